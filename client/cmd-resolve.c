/* cmd-resolve.c - sondeo resolve ID FIELD VALUE: settle a conflict on one field with the value given.
 *
 * The new op names every head of the field as its base, so once it has synced every replica holds one value
 * again; the competing values stay in the history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* sondeo resolve ID _review: shows the reviews in conflict and says who settles them; changes nothing. */
static int resolve_review(struct cli *cli, const char *id)
{
	struct store_record rec;
	struct store *s;
	char err[512];
	int heads, r = EXIT_FAIL;

	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (store_find(s, id, &rec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	heads = store_heads(s, rec.id, "_review", NULL, NULL, err, sizeof(err));
	if (heads > 1) {
		printf(_("Review of record %s:\n"), rec.id);
		cli_review_heads(s, rec.id, NULL);
	}
	if (heads < 0)
		cli_error(_("cannot read the review of record %s"), cli_short_id(rec.id));
	else if (heads < 2)
		cli_error(_("the review of record %s is not in conflict; reviews are made by reviewers at a server, not "
			    "on a device"), cli_short_id(rec.id));
	else
		cli_error(_("a review conflict is settled by a reviewer, on the review page at headquarters or at the "
			    "regional office; nothing was changed here"));
out:
	store_close(s);
	return r;
}

int cmd_resolve(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	const struct form_question *q;
	struct store_record rec;
	struct store *s;
	struct form *f = NULL;
	json_t *value = NULL;
	char err[512];
	int c, heads, r = EXIT_FAIL;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1)
		return cli_opt_exit(c);
	/* A review is decided by a reviewer at a server, never on a device (a device's _review op is refused). */
	if (optind + 2 <= argc && optind + 3 >= argc && !strcmp(argv[optind + 1], "_review"))
		return resolve_review(cli, argv[optind]);
	if (optind + 3 != argc)
		return cli_usage_error(cli, _("expected a record id, a question name and the value to keep"));
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (store_find(s, argv[optind], &rec, err, sizeof(err)) < 0 ||
	    !(f = store_form_get(s, rec.form, NULL, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	if (!(q = form_find(f, argv[optind + 1]))) {
		cli_error(_("form '%s' has no question '%s'"), rec.form, argv[optind + 1]);
		goto out;
	}
	heads = store_heads(s, rec.id, q->name, NULL, NULL, err, sizeof(err));
	if (heads < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (heads < 2) {
		/* TRANSLATORS: a question's name, then a record's id. */
		cli_error(_("%s of record %s is not in conflict: change it with sondeo edit"), q->name,
			  cli_short_id(rec.id));
		goto out;
	}
	if (form_parse_answer(f, q, argv[optind + 2], FORM_PARSE_LABELS, &value, err, sizeof(err)) < 0) {
		cli_error("%s: %s", q->name, err);
		goto out;
	}
	strlcpy_s(rec.form_version, form_version(f), sizeof(rec.form_version));
	if (store_begin(s, err, sizeof(err)) < 0 || store_set(s, &rec, q->name, value, err, sizeof(err)) < 0 ||
	    store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error(_("%s: nothing was changed"), err);
		goto out;
	}
	/* TRANSLATORS: a question's name, a record's id and how many values there were (two or more). */
	printf(P_("resolved %s of %s: %d value replaced by one; it reaches the others at the next sync\n",
		  "resolved %s of %s: %d values replaced by one; it reaches the others at the next sync\n", heads),
	       q->name, rec.id, heads);
	r = EXIT_OK;
out:
	json_decref(value);
	form_free(f);
	store_close(s);
	return r;
}
