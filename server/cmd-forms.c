/* cmd-forms.c - sondeod forms publish|list: the forms devices receive when they sync. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "i18n.h"
#include "util.h"
#include "xlsform.h"
#include "form.h"
#include "banned.h"

#define MAX_FORM_FILE ((size_t)16 << 20)

static int publish(struct cli *cli, const char *path)
{
	struct buf b = BUF_INIT(MAX_FORM_FILE);
	char err[XLSFORM_ERR_MAX];
	struct form *f = NULL;
	struct sstore *s = NULL;
	int r = EXIT_FAIL;

	/* The file is checked before the store is opened: a bad form is reported the same way everywhere. */
	/* A JSON definition, or an XLSForm workbook turned into one. */
	if (xlsform_read_file(path, &b, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (!(f = form_load(b.data, b.len, err, sizeof(err)))) {
		cli_error("%s: %s", path, err);
		goto out;
	}
	if (!(s = cli_open(cli)))
		goto out;
	if (sstore_form_publish(s, b.data, b.len, err, sizeof(err)) < 0) {
		cli_error("%s: %s", path, err);
		goto out;
	}
	/* TRANSLATORS: published form ID version VERSION (N questions). */
	printf(P_("published form %s version %s (%zu question)\n", "published form %s version %s (%zu questions)\n",
		  form_count(f)), form_id(f), form_version(f), form_count(f));
	r = EXIT_OK;
out:
	sstore_close(s);
	form_free(f);
	buf_release(&b);
	return r;
}

struct listing {
	int rows;
};

static void list_one(void *ctx, const char *id, const char *version, const char *json)
{
	struct listing *l = ctx;
	struct form *f = form_load(json, strlen(json), NULL, 0);
	/* TRANSLATORS: the headings of the table of forms, in capitals. */
	const char *h_form = _("FORM"), *h_version = _("VERSION"), *h_questions = _("QUESTIONS"), *h_title = _("TITLE");
	/* The numbers' column is as wide as its heading, at least 9. */
	int wq = utf8_len(h_questions) > 9 ? (int)utf8_len(h_questions) : 9;

	if (!l->rows++)
		printf("%-*s %-*s %*s  %s\n", utf8_pad(h_form, 20), h_form, utf8_pad(h_version, 10), h_version,
		       utf8_pad(h_questions, wq), h_questions, h_title);
	if (f)
		printf("%-20s %-10s %*zu  %s\n", id, version, wq, form_count(f), form_title(f, i18n_lang()));
	else
		printf("%-20s %-10s %*s  %s\n", id, version, wq, "?", _("(damaged definition)"));
	form_free(f);
}

int cmd_forms(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	struct listing l = { 0 };
	struct sstore *s;
	char err[512];
	int c, r;

	if ((c = cli_getopt(cli, argc, argv, opts)) != -1)
		return EXIT_USAGE;
	if (optind < argc && !strcmp(argv[optind], "publish")) {
		if (optind + 2 != argc)
			return cli_usage_error(cli, _("publish takes one FILE (.json or .xlsx)"));
		return publish(cli, argv[optind + 1]);
	}
	if (optind >= argc)
		return cli_usage_error(cli, _("expected 'publish FILE' or 'list'"));
	if (strcmp(argv[optind], "list"))
		return cli_usage_error(cli, _("expected 'publish FILE' or 'list', not '%s'"), argv[optind]);
	if (optind + 1 < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind + 1]);
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	r = sstore_form_list(s, list_one, &l, err, sizeof(err));
	sstore_close(s);
	if (r < 0)
		return cli_error("%s", err);
	if (!l.rows)
		puts(_("no forms published"));
	return EXIT_OK;
}
