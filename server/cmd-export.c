/* cmd-export.c - sondeod export: the merged records as CSV, XLSX, JSON or GeoJSON, with the review page's
 * filters, streamed. The file appears only once complete (written beside it, then renamed). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export-store.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

/* What the command line asks: the selection's filters, the export's options, the file and its format. */
struct export_args {
	struct sstore_filter f;
	struct export_opts o;
	const char *out, *format;
	int fmt;
};

/* Reads the options into a: 0, or an exit status after a usage error. */
static int export_args(struct cli *cli, int argc, char **argv, struct export_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' }, { "output", required_argument, NULL, 'o' },
		{ "form", required_argument, NULL, 'f' }, { "region", required_argument, NULL, 'r' },
		{ "review", required_argument, NULL, 'R' }, { "from", required_argument, NULL, 'a' },
		{ "to", required_argument, NULL, 'b' }, { "search", required_argument, NULL, 'q' },
		{ "where", required_argument, NULL, 'w' }, { "conflicts", no_argument, NULL, 'c' },
		{ "deleted", no_argument, NULL, 'd' }, { "choice-columns", no_argument, NULL, 'C' },
		{ "lang", required_argument, NULL, 'l' }, { "repeat", required_argument, NULL, 'P' }, { 0, 0, 0, 0 }
	};
	char err[512], key[80];
	int c;

	/* -o is what sondeo export takes too; the admin commands otherwise have long options only. */
	for (c = 1; c < argc && strcmp(argv[c], "--"); c++)
		if (!strcmp(argv[c], "-o"))
			argv[c] = (char *)"--output";
	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		const char *k = NULL, *v = optarg;

		switch (c) {
		case 'F': a->format = optarg; continue;
		case 'o': a->out = optarg; continue;
		case 'C': a->o.choice_columns = 1; continue;
		case 'l':
			/* The headings' words follow too, when sondeod speaks the language; a form may speak more. */
			a->o.lang = optarg;
			i18n_set_process(optarg);
			continue;
		case 'f': k = "form"; break;
		case 'P': k = "repeat"; a->o.repeat = optarg; break;
		case 'r': k = "region"; break;
		case 'R': k = "review"; break;
		case 'a': k = "from"; break;
		case 'b': k = "to"; break;
		case 'q': k = "q"; break;
		case 'c': k = "conflicts"; v = "1"; break;
		case 'd': k = "deleted"; v = "1"; break;
		case 'w': {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || (size_t)(eq - optarg) > MERGE_MAX_NAME)
				return cli_usage_error(cli, _("--where takes QUESTION=CHOICE, not '%s'"), optarg);
			snprintf(key, sizeof(key), "f.%.*s", (int)(eq - optarg), optarg);
			k = key;
			v = eq + 1;
			break;
		}
		default: return EXIT_USAGE;
		}
		if (sstore_filter_set(&a->f, k, v, err, sizeof(err)) != 0)
			return cli_usage_error(cli, "%s", err);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!a->format || (a->fmt = export_format_parse(a->format)) < 0)
		return cli_usage_error(cli, _("--format is csv, xlsx, json or geojson"));
	if (a->fmt == EXPORT_XLSX && (!a->out || !strcmp(a->out, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(cli, _("an XLSX file is not for a terminal: give -o FILE.xlsx"));
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	struct export_args a;
	struct sstore *s = NULL;
	char err[512], tmp[4096];
	uint64_t count = 0;
	int r;

	memset(&a, 0, sizeof(a));
	a.o.lang = i18n_lang();
	if ((r = export_args(cli, argc, argv, &a)) != 0)
		return r;
	r = EXIT_FAIL;
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	if (sstore_filter_resolve(s, &a.f, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto done;
	}
	/* Written beside the destination and renamed, or into the temporary directory for standard output. */
	if (export_tmp_path(a.out, tmp, sizeof(tmp), err, sizeof(err)) < 0 ||
	    export_selection(s, &a.f, tmp, (enum export_format)a.fmt, &a.o, &count, err, sizeof(err)) < 0 ||
	    export_deliver(tmp, a.out, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto done;
	}
	if (a.out && strcmp(a.out, "-"))
		/* TRANSLATORS: exported N records of FORM to FILE. */
		fprintf(stderr, P_("exported %s record of %s to %s\n", "exported %s records of %s to %s\n", count),
			i18n_count(count), a.f.form, a.out);
	sstore_audit_json(s, SSTORE_CLI_USER, "", "export", a.f.form,
			  json_pack("{s:s, s:I}", "format", a.format, "records", (json_int_t)count), NULL, 0);
	r = EXIT_OK;
done:
	sstore_close(s);
	return r;
}
