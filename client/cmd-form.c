/* cmd-form.c - sondeo forms, sondeo form show|import|export: the forms this device can fill. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "i18n.h"
#include "util.h"
#include "xlsform.h"
#include "banned.h"

struct forms_ctx {
	const char *lang;
	json_t *list;           /* for --json */
	int w_form, w_version, w_records;   /* the columns' widths, in characters: their headings may be wider */
};

static void form_line(void *ctx, const char *id, const char *version, const char *def, uint64_t records)
{
	struct forms_ctx *c = ctx;
	char err[512];
	struct form *f = form_load(def, strlen(def), err, sizeof(err));
	const char *title = f ? form_title(f, c->lang) : _("(damaged definition)");

	if (c->list)
		json_array_append_new(c->list, json_pack("{s:s, s:s, s:s, s:I}", "id", id, "version", version, "title",
							 title, "records", (json_int_t)records));
	else
		printf("%-*s %-*s %*llu  %s\n", utf8_pad(id, c->w_form), id, utf8_pad(version, c->w_version), version,
		       c->w_records, (unsigned long long)records, title);
	form_free(f);
}

int cmd_forms(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	struct forms_ctx ctx = { cli->lang, NULL, 20, 10, 8 };
	struct store *s;
	char err[512];
	int c, json = 0, r;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	/* One line per form at its newest version, with how many records use the form. */
	if (json) {
		ctx.list = json_array();
	} else {
		/* TRANSLATORS: the headings of the list of forms, in capitals (sondeo forms). */
		const char *hf = C_("column heading", "FORM"), *hv = C_("column heading", "VERSION");
		const char *hr = C_("column heading", "RECORDS"), *ht = C_("column heading", "TITLE");

		if ((int)utf8_len(hf) > ctx.w_form)
			ctx.w_form = (int)utf8_len(hf);
		if ((int)utf8_len(hv) > ctx.w_version)
			ctx.w_version = (int)utf8_len(hv);
		if ((int)utf8_len(hr) > ctx.w_records)
			ctx.w_records = (int)utf8_len(hr);
		printf("%-*s %-*s %*s  %s\n", utf8_pad(hf, ctx.w_form), hf, utf8_pad(hv, ctx.w_version), hv,
		       utf8_pad(hr, ctx.w_records), hr, ht);
	}
	r = store_form_list(s, form_line, &ctx, err, sizeof(err));
	if (json && r == 0) {
		char *t = json_dumps(ctx.list, JSON_INDENT(2));

		puts(t);
		free(t);
	}
	json_decref(ctx.list);
	store_close(s);
	return r == 0 ? EXIT_OK : cli_error(_("cannot read the forms: %s"), err);
}

static int form_show(struct cli *cli, struct store *s, const char *id, const char *version, int json)
{
	char err[512];
	struct form *f = store_form_get(s, id, version, err, sizeof(err));
	const struct form_group *section = NULL;
	size_t i, k;

	if (!f)
		return cli_error("%s", err);
	if (json) {
		char *t = json_dumps(form_json(f), JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(t);
		free(t);
		form_free(f);
		return EXIT_OK;
	}
	cli_form_lang_note(cli, f);
	/* TRANSLATORS: a form's title, its id and its version: "Partnerships (partnership version 3)". */
	printf(_("%s (%s version %s)"), form_title(f, cli->lang), form_id(f), form_version(f));
	printf("\n\n");
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		const char *hint = form_text(f, q->hint, cli->lang);

		if (q->group != section) {
			section = q->group;
			if (section) {
				printf("-- %s --", section->label ? form_text(f, section->label, cli->lang) : section->name);
				if (section->relevant_src) {
					fputs("  ", stdout);
					/* TRANSLATORS: %s is an expression of the form: when its questions are asked. */
					printf(_("asked when: %s"), section->relevant_src);
				}
				if (section->repeat_count_src) {
					fputs("  ", stdout);
					/* TRANSLATORS: %s is an expression of the form: how many times a repeat is filled. */
					printf(_("how many: %s"), section->repeat_count_src);
				}
				printf("\n");
			}
		}

		printf("%2zu. %s%s  [%s %s]\n", i + 1, form_text(f, q->label, cli->lang), q->required ? " *" : "",
		       q->name, form_type_name(q->type));
		if (hint)
			printf("      %s\n", hint);
		/* The form's expressions, each under the words that say what it does. */
		if (q->relevant_src)
			cli_indented(_("asked when: %s"), q->relevant_src);
		if (q->constraint_src)
			/* TRANSLATORS: %s is an expression of the form that an answer must meet (its constraint). */
			cli_indented(_("rule: %s"), q->constraint_src);
		if (q->default_src)
			/* TRANSLATORS: %s is an expression of the form: the answer offered at first. */
			cli_indented(_("default: %s"), q->default_src);
		if (q->calculation_src)
			/* TRANSLATORS: %s is an expression of the form: how the answer is calculated. */
			cli_indented(_("worked out: %s"), q->calculation_src);
		if (q->readonly)
			cli_indented("%s", _("read-only"));
		if (q->choice_filter_src)
			/* TRANSLATORS: %s is an expression of the form: which choices are offered. */
			cli_indented(_("choices offered where: %s"), q->choice_filter_src);
		for (k = 0; k < q->nchoices; k++)
			printf("      %2zu) %-28s %s\n", k + 1, q->choices[k].name,
			       form_text(f, q->choices[k].label, cli->lang));
		/* An osm question's tags, each key=value in the answer, with the values it offers. */
		for (k = 0; k < q->ntags; k++) {
			const struct form_tag *t = &q->tags[k];
			size_t j;

			/* TRANSLATORS: an OpenStreetMap tag (key=value) an answer holds; its key follows. */
			printf("      %s %-24s %s", C_("OpenStreetMap", "tag"), t->name, form_text(f, t->label, cli->lang));
			for (j = 0; j < t->nchoices; j++)
				printf("%s%s", j ? ", " : ": ", t->choices[j].name);
			printf("\n");
		}
	}
	form_free(f);
	return EXIT_OK;
}

static int form_import(struct store *s, const char *path)
{
	struct buf b = BUF_INIT((size_t)16 << 20);
	char err[XLSFORM_ERR_MAX], msg[XLSFORM_ERR_MAX + 100];
	struct form *f;
	int r = EXIT_FAIL;

	/* A JSON definition, or an XLSForm workbook turned into one. */
	if (xlsform_read_file(path, &b, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (!(f = form_load(b.data, b.len, err, sizeof(err)))) {
		cli_error("%s: %s", path, err);
		goto out;
	}
	if (store_begin(s, err, sizeof(err)) < 0 || store_form_put(s, b.data, b.len, err, sizeof(err)) < 0 ||
	    store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		snprintf(msg, sizeof(msg), "%s: %s", path, err);
		cli_error("%s", msg);
	} else {
		printf(P_("installed form %s version %s (%zu question)\n", "installed form %s version %s (%zu questions)\n",
			  form_count(f)), form_id(f), form_version(f), form_count(f));
		r = EXIT_OK;
	}
	form_free(f);
out:
	buf_release(&b);
	return r;
}

/* Writes form id (at version, or its newest) as an XLSForm workbook. */
static int form_export(struct store *s, const char *id, const char *version, const char *path)
{
	char err[600];
	struct form *f = store_form_get(s, id, version, err, sizeof(err));
	int r = EXIT_FAIL;

	if (!f)
		return cli_error("%s", err);
	if (xlsform_write(form_json(f), path, err, sizeof(err)) < 0) {
		cli_error("%s", err);
	} else {
		printf(P_("wrote form %s version %s (%zu question) to %s\n", "wrote form %s version %s (%zu questions) to %s\n",
			  form_count(f)), form_id(f), form_version(f), form_count(f), path);
		r = EXIT_OK;
	}
	form_free(f);
	return r;
}

int cmd_form(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "version", required_argument, NULL, 'v' },
		{ "output", required_argument, NULL, 'o' }, { 0, 0, 0, 0 }
	};
	const char *version = NULL, *output = NULL;
	struct store *s;
	int c, json = 0, r;

	while ((c = cli_getopt(cli, argc, argv, "o:", opts)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'v')
			version = optarg;
		else if (c == 'o')
			output = optarg;
		else
			return cli_opt_exit(c);
	}
	if (optind + 2 != argc ||
	    (strcmp(argv[optind], "show") && strcmp(argv[optind], "import") && strcmp(argv[optind], "export")))
		return cli_usage_error(cli, _("expected 'show ID', 'import FILE' or 'export ID -o FILE.xlsx'"));
	if (!strcmp(argv[optind], "export") && !output)
		return cli_usage_error(cli, _("export needs -o FILE.xlsx"));
	if (output && strcmp(argv[optind], "export"))
		return cli_usage_error(cli, _("-o goes with export"));
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (!strcmp(argv[optind], "show"))
		r = form_show(cli, s, argv[optind + 1], version, json);
	else if (!strcmp(argv[optind], "export"))
		r = form_export(s, argv[optind + 1], version, output);
	else
		r = form_import(s, argv[optind + 1]);
	store_close(s);
	return r;
}
