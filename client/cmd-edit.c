/* cmd-edit.c - sondeo edit: change answers of a record, or resume a draft. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "entry.h"
#include "fill.h"
#include "i18n.h"
#include "prompt.h"
#include "util.h"
#include "banned.h"

/* Writes the answers that differ from the store's, and clears those that are gone. */
static int apply(struct store *s, struct store_record *rec, const struct form *f, json_t *now, int finalize,
		 int *changed, char *err, size_t errlen)
{
	json_t *before = store_answers(s, rec->id, err, errlen);
	size_t i;
	int r = -1;

	if (!before)
		return -1;
	for (i = 0; i < form_count(f); i++) {
		const char *name = form_question(f, i)->name;
		json_t *v = json_object_get(now, name);
		int c;

		if (!v && !json_object_get(before, name))
			continue;
		c = store_set(s, rec, name, v, err, errlen);
		if (c < 0)
			goto out;
		*changed += c;
	}
	if (finalize && rec->draft && store_finalize(s, rec, f, err, errlen) < 0)
		goto out;
	r = 0;
out:
	json_decref(before);
	return r;
}

/* The record's answers with the --set ones applied, settled (calculations, relevance, and on finalizing the
 * defaults) and checked, into e->answers: only the record's own questions (an instance's, or a record's outside
 * its repeats), ready to save. The answers no longer asked are appended to cleared. -1 after printing why. */
static int edit_answers(struct cli *cli, struct store *s, const struct form *f, const struct store_record *rec,
			char **sets, size_t nsets, int finalize, struct entry *e, json_t *cleared)
{
	struct form_env env = { store_device(s), store_name(s), store_now(s), cli->lang };
	const struct form_group *scope;
	json_t *answers, *before = NULL, *view, *was;
	char err[512];
	size_t i;
	int errors;

	if (!(answers = store_answers(s, rec->id, err, sizeof(err)))) {
		cli_error("%s", err);
		return -1;
	}
	entry_init(e, answers, cli_short_id(rec->id));
	/* A final record as it was: what the edit is checked against (entry_check). */
	if (!rec->draft)
		before = json_deep_copy(answers);
	json_decref(answers);
	errors = entry_apply_sets(f, e, sets, nsets);
	errors += entry_attach(f, e, s, NULL);
	/* A repeat instance is checked with its record's answers in view, and a record or instance with its repeats'
	 * instances (taken out again before saving). */
	scope = form_repeat_find(f, json_string_value(json_object_get(e->answers, "_repeat")));
	view = store_answers_in_view(s, rec->id, e->answers, err, sizeof(err));
	was = before ? store_answers_in_view(s, rec->id, before, err, sizeof(err)) : NULL;
	json_decref(before);
	before = was;
	if (!view) {
		cli_error("%s", err);
		json_decref(before);
		return -1;
	}
	json_decref(e->answers);
	e->answers = view;
	/* Calculations and relevance follow the answers changed, and an answer no longer asked is cleared.
	 * Finalizing fills in what a person at the prompt would have been offered, such as today's date, and end
	 * is when the record is finalized. */
	if (form_settle(f, e->answers, &env, scope, FORM_SETTLE_PRUNE |
			(finalize && rec->draft ? FORM_SETTLE_DEFAULTS | FORM_SETTLE_FINAL : 0), cleared) < 0)
		errors += cli_error(_("out of memory")) != 0;
	errors += entry_check(f, e, before, cli->lang, rec->draft && !finalize);
	json_decref(before);
	if (errors) {
		cli_error(P_("%d problem found: nothing was changed", "%d problems found: nothing was changed", errors),
			  errors);
		return -1;
	}
	for (i = 0; i < form_count(f); i++)
		if (form_repeat_of(form_question(f, i)) != scope)
			json_object_del(e->answers, form_question(f, i)->name);
	return 0;
}

int cmd_edit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' }, { "finalize", no_argument, NULL, 'F' }, { 0, 0, 0, 0 }
	};
	char **sets = xcalloc((size_t)argc, sizeof(*sets)), err[512];
	struct store_record rec;
	struct store *s = NULL;
	struct form *f = NULL;
	struct entry e = { NULL, NULL, NULL, 0, "" };
	json_t *cleared = NULL;
	size_t nsets = 0, i;
	int c, finalize = 0, changed = 0, r = EXIT_FAIL;

	while ((c = cli_getopt(cli, argc, argv, "s:", opts)) != -1) {
		if (c == 's')
			sets[nsets++] = optarg;
		else if (c == 'F')
			finalize = 1;
		else {
			free(sets);
			return cli_opt_exit(c);
		}
	}
	if (optind + 1 != argc) {
		free(sets);
		return cli_usage_error(cli, optind < argc ? _("expected one record id") : _("which record? give its id"));
	}
	if (!(s = cli_open_store(cli)))
		goto out;
	if (store_find(s, argv[optind], &rec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (rec.deleted) {
		cli_error(_("record %s is deleted"), cli_short_id(rec.id));
		goto out;
	}
	/* Edits follow the newest version of the form the device has. */
	if (!(f = store_form_get(s, rec.form, NULL, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	strlcpy_s(rec.form_version, form_version(f), sizeof(rec.form_version));

	if (!nsets && !finalize) {
		if (!cli_interactive()) {
			cli_error(_("nothing to change: give --set NAME=VALUE (or --finalize), or run on a terminal"));
			goto out;
		}
		cli_form_lang_note(cli, f);
		r = prompt_fill(s, f, &rec, 0, cli->lang) < 0 ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	cleared = json_array();
	if (edit_answers(cli, s, f, &rec, sets, nsets, finalize, &e, cleared) < 0) {
		/* The problems may quote the form's messages. */
		cli_form_lang_note(cli, f);
		goto out;
	}
	if (store_begin(s, err, sizeof(err)) < 0 ||
	    apply(s, &rec, f, e.answers, finalize, &changed, err, sizeof(err)) < 0 ||
	    store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error(_("%s: nothing was changed"), err);
		goto out;
	}
	/* What an instance's record works out from its instances (sum(), count()...) follows the edit. */
	if (json_string_value(json_object_get(e.answers, "_parent"))) {
		struct form_env env = { store_device(s), store_name(s), store_now(s), cli->lang };
		const char *parent = json_string_value(json_object_get(e.answers, "_parent"));

		if (fill_resettle(s, f, parent, &env, err, sizeof(err)) < 0)
			cli_error(_("record %s was not worked out again: %s"), cli_short_id(parent), err);
	}
	for (i = 0; i < json_array_size(cleared); i++)
		/* TRANSLATORS: %s is a question's name. */
		printf(_("cleared %s: no longer asked\n"), json_string_value(json_array_get(cleared, i)));
	if (finalize && rec.draft)
		printf(P_("finalized %s (%d change)\n", "finalized %s (%d changes)\n", changed), rec.id, changed);
	else if (changed)
		printf(P_("updated %s: %d change\n", "updated %s: %d changes\n", changed), rec.id, changed);
	else
		printf(P_("unchanged %s: %d change\n", "unchanged %s: %d changes\n", changed), rec.id, changed);
	r = EXIT_OK;
out:
	json_decref(e.answers);
	json_decref(e.bad);
	json_decref(e.named);
	json_decref(cleared);
	form_free(f);
	store_close(s);
	free(sets);
	return r;
}
