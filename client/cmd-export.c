/* cmd-export.c - sondeo export: a form's final records as CSV, XLSX, JSON or GeoJSON, through the exporter both
 * tiers share (common/export.h), so a laptop and its server write the same columns for the same records. The
 * file appears only once complete (written beside it, then renamed). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "util.h"
#include "banned.h"

struct feed {
	struct export *x;
	char *err;
	size_t errlen;
	int failed;
};

static int feed_one(void *ctx, const struct export_record *r)
{
	struct feed *c = ctx;

	if (export_add(c->x, r, c->err, c->errlen) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

/* Writes the records of form f (or the instances of its repeat) to tmp. 0 with *count, or -1 with err (tmp
 * removed). */
static int export_store(struct store *s, const struct form *f, const char *tmp, enum export_format fmt,
			const struct export_opts *o, uint64_t *count, char *err, size_t errlen)
{
	struct feed c = { NULL, err, errlen, 0 };

	if (!(c.x = export_open(tmp, fmt, f, o, err, errlen)))
		return -1;
	if (store_export_records(s, f, o->repeat, feed_one, &c, err, errlen) < 0 || c.failed) {
		export_close(c.x, 0, NULL, 0);
		return -1;
	}
	/* What was written: a GeoJSON export leaves out the records without a place. */
	*count = export_count(c.x);
	return export_close(c.x, 1, err, errlen);
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' }, { "repeat", required_argument, NULL, 'r' }, { 0, 0, 0, 0 }
	};
	const char *form_name = "partnership", *format = NULL, *path = NULL;
	struct export_opts o = { 0, NULL, NULL };
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
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!format)
		return cli_usage_error(cli, "which format? give --format csv, xlsx, json or geojson");
	if ((fmt = export_format_parse(format)) < 0)
		return cli_usage_error(cli, "unknown format '%s' (csv, xlsx, json or geojson)", format);
	if (fmt == EXPORT_XLSX && (!path || !strcmp(path, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(cli, "an XLSX file is not for a terminal: give -o FILE.xlsx");
	/* XLSX headers are the questions' labels, in the language this command runs in. */
	o.lang = cli->lang;
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (!(f = store_form_get(s, form_name, NULL, err, sizeof(err))) ||
	    export_tmp_path(path, tmp, sizeof(tmp), err, sizeof(err)) < 0 ||
	    export_store(s, f, tmp, (enum export_format)fmt, &o, &n, err, sizeof(err)) < 0 ||
	    export_deliver(tmp, path, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	ok = 1;
	if (path && strcmp(path, "-"))
		fprintf(stderr, "exported %llu record%s to %s\n", (unsigned long long)n, n == 1 ? "" : "s", path);
out:
	form_free(f);
	store_close(s);
	return ok ? EXIT_OK : EXIT_FAIL;
}
