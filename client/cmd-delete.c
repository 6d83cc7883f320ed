/* cmd-delete.c - sondeo delete: delete a record (an op, so the deletion syncs and has history). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fill.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* The record an instance belongs to (a new string the caller frees), or NULL for a record. */
static char *parent_of(struct store *s, const char *id)
{
	char err[256];
	json_t *a = store_answers(s, id, err, sizeof(err));
	const char *p = json_string_value(json_object_get(a, "_parent"));
	char *r = p ? xstrdup(p) : NULL;

	json_decref(a);
	return r;
}

/* What the record an instance belonged to works out from its instances (sum(), count()...) follows the deletion,
 * which stands either way. */
static void resettle(struct cli *cli, struct store *s, const char *parent)
{
	struct form_env env = { store_device(s), store_name(s), store_now(s), cli->lang };
	struct store_record r;
	struct form *f;
	char err[512];

	if (store_find(s, parent, &r, err, sizeof(err)) < 0 || !(f = store_form_get(s, r.form, NULL, err, sizeof(err)))) {
		cli_error(_("record %s was not worked out again: %s"), cli_short_id(parent), err);
		return;
	}
	if (fill_resettle(s, f, parent, &env, err, sizeof(err)) < 0)
		cli_error(_("record %s was not worked out again: %s"), cli_short_id(parent), err);
	form_free(f);
}

int cmd_delete(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	struct store_record rec;
	struct store *s;
	char err[512], *parent = NULL;
	size_t n = 0;
	int c, r = EXIT_FAIL;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1)
		return cli_opt_exit(c);
	if (optind + 1 != argc)
		return cli_usage_error(cli, optind < argc ? _("expected one record id") : _("which record? give its id"));
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (store_find(s, argv[optind], &rec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		store_close(s);
		return EXIT_FAIL;
	}
	parent = parent_of(s, rec.id);
	if (rec.deleted) {
		cli_error(_("record %s is already deleted"), cli_short_id(rec.id));
	} else if (store_begin(s, err, sizeof(err)) < 0 || store_delete_tree(s, &rec, &n, err, sizeof(err)) < 0 ||
		   store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error(_("%s: nothing was changed"), err);
	} else if (n > 1) {
		/* A record's repeat instances go with it. */
		if (rec.draft)
			printf(P_("deleted %s (a draft: removed from this device), and its %zu repeat instance\n",
				  "deleted %s (a draft: removed from this device), and its %zu repeat instances\n", n - 1),
			       rec.id, n - 1);
		else
			printf(P_("deleted %s, and its %zu repeat instance\n", "deleted %s, and its %zu repeat instances\n",
				  n - 1), rec.id, n - 1);
		r = EXIT_OK;
	} else {
		if (rec.draft)
			printf(_("deleted %s (a draft: removed from this device)\n"), rec.id);
		else
			printf(_("deleted %s\n"), rec.id);
		r = EXIT_OK;
	}
	if (r == EXIT_OK && parent)
		resettle(cli, s, parent);
	free(parent);
	store_close(s);
	return r;
}
