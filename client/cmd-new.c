/* cmd-new.c - sondeo new: fill a new record interactively, from --set, or in bulk from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "entry.h"
#include "fill.h"
#include "i18n.h"
#include "prompt.h"
#include "util.h"
#include "banned.h"

/* Saves every entry in one transaction: all records or none. */
static int save_all(struct store *s, const struct form *f, struct entry *e, size_t n, int draft)
{
	struct store_record *recs = xcalloc(n ? n : 1, sizeof(*recs));
	char err[512];
	size_t i;
	int r = EXIT_FAIL;

	if (store_begin(s, err, sizeof(err)) < 0) {
		cli_error(_("%s: nothing was saved"), err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (store_add(s, f, e[i].answers, draft, &recs[i], err, sizeof(err)) < 0)
			goto fail;
	}
	if (store_commit(s, err, sizeof(err)) < 0) {
		cli_error(_("%s: nothing was saved"), err);
		goto out;
	}
	for (i = 0; i < n; i++)
		puts(recs[i].id);
	if (cli_interactive() || n > 1)
		fprintf(stderr, draft ? P_("saved %s draft record\n", "saved %s draft records\n", n) :
				P_("saved %s final record\n", "saved %s final records\n", n), i18n_count(n));
	r = EXIT_OK;
	goto out;
fail:
	store_rollback(s);
	cli_error(_("%s: nothing was saved"), err);
out:
	free(recs);
	return r;
}

/* sondeo new --parent ID --repeat NAME --set ...: one instance of a repeat of record ID, as a record of its own
 * (with _parent and _repeat), checked with the parent's answers in view. */
static int add_instance(struct cli *cli, struct store *s, const char *parent, const char *repeat, char **sets,
			size_t nsets, int draft)
{
	struct store_record prec, rec;
	struct form_env env = { store_device(s), store_name(s), store_now(s), cli->lang };
	const struct form_group *rg;
	struct form *f = NULL;
	struct entry e;
	json_t *ctx = NULL, *own = NULL, *v;
	const char *key;
	char err[512];
	size_t i;
	int errors, r = EXIT_FAIL;

	memset(&e, 0, sizeof(e));
	if (store_find(s, parent, &prec, err, sizeof(err)) < 0)
		return cli_error("%s", err);
	if (prec.deleted)
		return cli_error(_("record %s is deleted"), prec.id);
	/* The form the device has newest, as edits use. */
	if (!(f = store_form_get(s, prec.form, NULL, err, sizeof(err))))
		return cli_error("%s", err);
	if (!(rg = form_repeat_find(f, repeat))) {
		cli_error(_("form '%s' has no repeat '%s'"), form_id(f), repeat);
		goto out;
	}
	if (!(ctx = store_answers(s, prec.id, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	/* A repeat whose number of instances the form fixes takes no more than that. */
	{
		int count = form_repeat_count(f, rg, ctx), have = store_instance_count(s, prec.id, repeat);

		if (count >= 0 && have >= count) {
			/* TRANSLATORS: a record, how many instances its repeat has, the repeat's name and the form's
			 * expression that fixes how many there are. */
			cli_error(P_("record %s has all %d instances of %s already (repeat_count: %s)",
				     "record %s has all %d instances of %s already (repeat_count: %s)", count),
				  cli_short_id(prec.id), count, repeat, rg->repeat_count_src);
			goto out;
		}
	}
	entry_init(&e, NULL, "--set");
	errors = entry_apply_sets(f, &e, sets, nsets);
	errors += entry_attach(f, &e, s, NULL);
	json_object_foreach(e.answers, key, v) {
		const struct form_question *q = form_find(f, key);

		if (q && form_repeat_of(q) != rg) {
			fprintf(stderr, _("--set: %s is not a question of repeat %s\n"), key, repeat);
			errors++;
		}
	}
	/* The instance's answers over its parent's, so that expressions may name the parent's questions, with the
	 * record's instances and this one's place among them (the next). */
	json_object_set_new(e.answers, "_parent", json_string(prec.id));
	json_object_set_new(e.answers, "_repeat", json_string(repeat));
	json_decref(ctx);
	if (!(ctx = store_answers_in_view(s, NULL, e.answers, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	json_decref(e.answers);
	e.answers = ctx;
	ctx = NULL;
	if (form_settle(f, e.answers, &env, rg, FORM_SETTLE_DEFAULTS | (draft ? 0 : FORM_SETTLE_FINAL), NULL) < 0)
		errors += cli_error(_("out of memory")) != 0;
	errors += entry_check(f, &e, NULL, cli->lang, draft);
	if (errors) {
		/* The problems may quote the form's messages. */
		cli_form_lang_note(cli, f);
		cli_error(P_("%d problem found: nothing was saved", "%d problems found: nothing was saved", errors),
			  errors);
		goto out;
	}
	own = json_object();
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);

		if (form_repeat_of(q) == rg && (v = json_object_get(e.answers, q->name)))
			json_object_set(own, q->name, v);
	}
	if (store_begin(s, err, sizeof(err)) < 0 || store_add(s, f, own, draft, &rec, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error(_("%s: nothing was saved"), err);
		goto out;
	}
	{
		json_t *pid = json_string(prec.id), *rn = json_string(repeat);
		int rc = store_set(s, &rec, "_parent", pid, err, sizeof(err)) < 0 ||
			 store_set(s, &rec, "_repeat", rn, err, sizeof(err)) < 0 || store_commit(s, err, sizeof(err)) < 0;

		json_decref(pid);
		json_decref(rn);
		if (rc) {
			store_rollback(s);
			cli_error(_("%s: nothing was saved"), err);
			goto out;
		}
	}
	/* What the record works out from its instances (sum(), count()...) takes this one in. */
	if (fill_resettle(s, f, prec.id, &env, err, sizeof(err)) < 0)
		cli_error(_("record %s was not worked out again: %s"), cli_short_id(prec.id), err);
	puts(rec.id);
	r = EXIT_OK;
out:
	json_decref(own);
	json_decref(ctx);
	json_decref(e.answers);
	json_decref(e.bad);
	json_decref(e.named);
	form_free(f);
	return r;
}

/* The folder of path ("." for a name alone) into out. */
static const char *dir_of(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, n, ".");
	else
		snprintf(out, n, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	return out;
}

/* The records to add: read from the file (or standard input), or the one --set gives; --set applies to every
 * record, over what the file says. Each is settled (defaults, calculations, metadata such as start, today and
 * deviceid, from the answers as given) and checked. Returns the number of problems found (printed), or -1 when
 * the records could not be read. Caller frees *entries with entry_free(*entries, *n). */
static int new_entries(struct cli *cli, struct store *s, const struct form *f, const char *from, char **sets,
		       size_t nsets, int draft, struct entry **entries, size_t *n)
{
	struct form_env env = { store_device(s), store_name(s), store_now(s), cli->lang };
	char fdir[4096];
	int errors = 0;
	size_t i;

	if (from || !nsets) {
		/* Without a terminal and without --set, records come from standard input. */
		if (!from && isatty(STDIN_FILENO))
			fputs(_("reading records (CSV or JSON) from standard input; end with Ctrl-D\n"), stderr);
		if ((errors = entry_load(f, from ? from : "-", entries, n)) < 0)
			return -1;
		if (!errors && *n == 0) {
			if (from)
				cli_error(_("%s: no records in the file"), from);
			else
				cli_error(_("standard input: no records in the file"));
			return -1;
		}
	} else {
		*entries = xcalloc(1, sizeof(**entries));
		entry_init(&(*entries)[0], NULL, "--set");
		*n = 1;
	}
	for (i = 0; i < *n && nsets; i++)
		errors += entry_apply_sets(f, &(*entries)[i], sets, nsets);
	/* The files attachments name: from --set, where sondeo runs; from a file, beside it. */
	for (i = 0; i < *n; i++)
		if (!(*entries)[i].unreadable)
			errors += entry_attach(f, &(*entries)[i], s, from && strcmp(from, "-") ? dir_of(from, fdir,
													sizeof fdir) : NULL);
	for (i = 0; i < *n; i++) {
		if (form_settle(f, (*entries)[i].answers, &env, NULL,
				FORM_SETTLE_DEFAULTS | (draft ? 0 : FORM_SETTLE_FINAL), NULL) < 0)
			errors += cli_error(_("out of memory")) != 0;
		errors += entry_check(f, &(*entries)[i], NULL, cli->lang, draft);
	}
	return errors;
}

int cmd_new(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' }, { "from", required_argument, NULL, 'f' },
		{ "draft", no_argument, NULL, 'd' }, { "parent", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' }, { 0, 0, 0, 0 }
	};
	const char *parent = NULL, *repeat = NULL;
	char **sets = xcalloc((size_t)argc, sizeof(*sets)), err[512];
	const char *form_name = "partnership", *from = NULL;
	struct entry *entries = NULL;
	struct store *s = NULL;
	struct form *f = NULL;
	size_t nsets = 0, n = 0;
	int c, draft = 0, errors, r = EXIT_FAIL;

	while ((c = cli_getopt(cli, argc, argv, "s:f:d", opts)) != -1) {
		if (c == 's')
			sets[nsets++] = optarg;
		else if (c == 'f')
			from = optarg;
		else if (c == 'd')
			draft = 1;
		else if (c == 'p')
			parent = optarg;
		else if (c == 'r')
			repeat = optarg;
		else {
			free(sets);
			return cli_opt_exit(c);
		}
	}
	if (optind < argc)
		form_name = argv[optind++];
	if (optind < argc) {
		free(sets);
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	}
	if (!parent != !repeat) {
		free(sets);
		return cli_usage_error(cli, _("--parent ID and --repeat NAME go together"));
	}
	if (parent && (from || !nsets)) {
		free(sets);
		return cli_usage_error(cli, _("an instance of a repeat is given with --set"));
	}
	if (!(s = cli_open_store(cli)))
		goto out;
	if (parent) {
		r = add_instance(cli, s, parent, repeat, sets, nsets, draft);
		goto out;
	}
	if (!(f = store_form_get(s, form_name, NULL, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}

	if (!from && !nsets && cli_interactive()) {
		struct store_record rec;
		int pr;

		cli_form_lang_note(cli, f);
		pr = prompt_fill(s, f, &rec, 1, cli->lang);

		r = pr < 0 ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	if ((errors = new_entries(cli, s, f, from, sets, nsets, draft, &entries, &n)) < 0)
		goto out;
	if (errors) {
		cli_form_lang_note(cli, f);
		cli_error(P_("%d problem found: nothing was saved", "%d problems found: nothing was saved", errors),
			  errors);
		goto out;
	}
	r = save_all(s, f, entries, n, draft);
out:
	entry_free(entries, n);
	form_free(f);
	store_close(s);
	free(sets);
	return r;
}
