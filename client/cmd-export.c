/* cmd-export.c - sondeo export: a form's final records as CSV, XLSX, JSON or GeoJSON, through the exporter both
 * tiers share (common/export.h), so a laptop and its server write the same columns for the same records. The
 * file appears only once complete (written beside it, then renamed). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* What the source needs: the store, the form and the repeat (NULL: the records themselves). */
struct source {
	struct store *s;
	const struct form *f;
	const char *repeat;
};

static int store_source(void *src, export_add_fn add, void *sink, char *err, size_t errlen)
{
	struct source *c = src;

	return store_export_records(c->s, c->f, c->repeat, add, sink, err, errlen);
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' }, { "repeat", required_argument, NULL, 'r' },
		{ "labels", no_argument, NULL, 'L' }, { 0, 0, 0, 0 }
	};
	const char *form_name = "partnership", *format = NULL, *path = NULL;
	struct export_opts o = { .choice_columns = 0 };
	struct store *s = NULL;
	struct form *f = NULL;
	char err[512], tmp[4096];
	uint64_t n = 0;
	int c, fmt, ok = 0;

	while ((c = cli_getopt(cli, argc, argv, "o:", opts)) != -1) {
		if (c == 'f')
			form_name = optarg;
		else if (c == 'F')
			format = optarg;
		else if (c == 'o')
			path = optarg;
		else if (c == 'r')
			o.repeat = optarg;
		else if (c == 'L')
			o.labels = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!format)
		return cli_usage_error(cli, _("which format? give --format csv, xlsx, json or geojson"));
	if ((fmt = export_format_parse(format)) < 0)
		return cli_usage_error(cli, _("unknown format '%s' (csv, xlsx, json or geojson)"), format);
	if (o.labels && fmt != EXPORT_XLSX)
		return cli_usage_error(cli,
				       _("--labels is for --format xlsx: CSV, JSON and GeoJSON keep the choices' names"));
	if (fmt == EXPORT_XLSX && (!path || !strcmp(path, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(cli, _("an XLSX file is not for a terminal: give -o FILE.xlsx"));
	/* XLSX headers are the questions' labels, in the language this command runs in. */
	o.lang = cli->lang;
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (!(f = store_form_get(s, form_name, NULL, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	/* A workbook is headed with the questions' labels. */
	if (fmt == EXPORT_XLSX)
		cli_form_lang_note(cli, f);
	if (export_tmp_path(path, tmp, sizeof(tmp), err, sizeof(err)) < 0 ||
	    export_write(tmp, (enum export_format)fmt, f, &o, store_source, &(struct source){ s, f, o.repeat }, &n, err,
			 sizeof(err)) < 0 ||
	    export_deliver(tmp, path, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	ok = 1;
	if (path && strcmp(path, "-"))
		fprintf(stderr, P_("exported %s record to %s\n", "exported %s records to %s\n", n), i18n_count(n), path);
out:
	form_free(f);
	store_close(s);
	return ok ? EXIT_OK : EXIT_FAIL;
}
