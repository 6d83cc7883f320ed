/* cmd-export.c - sondeod export: the merged records as CSV, XLSX, JSON or GeoJSON, with the review page's
 * filters, streamed; with --with-media, a ZIP of them and of their attachments (export_zip). The file appears only
 * once complete (written beside it, then renamed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export-store.h"
#include "zipstream.h"
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
	const char *url;      /* --url: the server's address, for the links to attachments; NULL: no links */
	int fmt, media;       /* --with-media */
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
		{ "lang", required_argument, NULL, 'l' }, { "repeat", required_argument, NULL, 'P' },
		{ "with-media", no_argument, NULL, 'M' }, { "url", required_argument, NULL, 'U' },
		{ "labels", no_argument, NULL, 'L' }, { "date", required_argument, NULL, 'T' },
		{ 0, 0, 0, 0 }
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
		case 'L': a->o.labels = 1; continue;
		case 'M': a->media = 1; continue;
		case 'U': a->url = optarg; continue;
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
		case 'T': k = "date"; break;
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
	if (a->o.labels && a->fmt != EXPORT_XLSX)
		return cli_usage_error(cli,
				       _("--labels is for --format xlsx: CSV, JSON and GeoJSON keep the choices' names"));
	if (a->fmt == EXPORT_XLSX && !a->media && (!a->out || !strcmp(a->out, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(cli, _("an XLSX file is not for a terminal: give -o FILE.xlsx"));
	if (a->media && (!a->out || !strcmp(a->out, "-")) && isatty(STDOUT_FILENO))
		return cli_usage_error(cli, _("a ZIP file is not for a terminal: give -o FILE.zip"));
	if (a->url && a->media)
		return cli_usage_error(cli, _("--url goes without --with-media: in the ZIP, each link is the file's place in it"));
	if (a->url && (strncmp(a->url, "http://", 7) && strncmp(a->url, "https://", 8)))
		return cli_usage_error(cli, _("--url is the server's address, as http://HOST[:PORT] or https://HOST[:PORT], not '%s'"),
				       a->url);
	return 0;
}

/* The ZIP of the export and its attachments (export_zip): written to tmp (created: never over another file), or
 * straight to standard output (tmp NULL), as it is read. */
static int export_media(struct sstore *s, const struct export_args *a, const char *tmp, uint64_t *count,
			uint64_t *files, char *err, size_t errlen)
{
	const char *slash = tmp ? strrchr(tmp, '/') : NULL, *td = getenv("TMPDIR");
	struct zipstream *z;
	char dir[4096];
	int fd = STDOUT_FILENO, r;

	/* The tables are deflated beside the archive, on the same disk; for standard output, in the temporary
	 * directory. */
	if (!tmp)
		snprintf(dir, sizeof(dir), "%s", td && *td ? td : "/tmp");
	else if (!slash)
		strlcpy_s(dir, ".", sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == tmp ? 1 : (int)(slash - tmp), tmp);
	if (!(z = export_zip(s, &a->f, (enum export_format)a->fmt, &a->o, dir, count, files, err, errlen)))
		return -1;
	if (tmp && (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		zipstream_free(z);
		return errf(err, errlen, _("cannot create '%s': %s"), tmp, strerror(errno));
	}
	r = zipstream_write(z, fd, err, errlen);
	zipstream_free(z);
	if (!tmp)
		return r;
	if (r == 0 && fsync(fd) < 0)
		r = errf(err, errlen, _("cannot write '%s': %s"), tmp, strerror(errno));
	if (close(fd) < 0 && r == 0)
		r = errf(err, errlen, _("cannot write '%s': %s"), tmp, strerror(errno));
	if (r < 0)
		unlink(tmp);
	return r;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	struct export_args a;
	struct sstore *s = NULL;
	struct export_server_links links;
	char err[512], tmp[4096], base[1024];
	uint64_t count = 0, files = 0;
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
	if (a.url) {
		size_t n = strlen(a.url);

		/* "https://hq.example.org/" and "https://hq.example.org" give the same links. */
		links.s = s;
		links.base = base;
		snprintf(base, sizeof(base), "%.*s", (int)(n && a.url[n - 1] == '/' ? n - 1 : n), a.url);
		a.o.link = export_link_server;
		a.o.link_ctx = &links;
	}
	/* Written beside the destination and renamed, or into the temporary directory for standard output; a ZIP
	 * goes to standard output as it is made. */
	if (a.media && (!a.out || !strcmp(a.out, "-"))) {
		if (export_media(s, &a, NULL, &count, &files, err, sizeof(err)) < 0 || fflush(stdout) != 0) {
			cli_error("%s", err);
			goto done;
		}
	} else if (export_tmp_path(a.out, tmp, sizeof(tmp), err, sizeof(err)) < 0 ||
		   (a.media ? export_media(s, &a, tmp, &count, &files, err, sizeof(err))
			    : export_selection(s, &a.f, tmp, (enum export_format)a.fmt, &a.o, &count, err,
					       sizeof(err))) < 0 ||
		   export_deliver(tmp, a.out, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto done;
	}
	if (a.out && strcmp(a.out, "-") && a.media)
		/* TRANSLATORS: exported N records of FORM and M attachments to FILE. */
		fprintf(stderr, P_("exported %s record of %s and %s attachment(s) to %s\n",
				   "exported %s records of %s and %s attachment(s) to %s\n", count),
			i18n_count(count), a.f.form, i18n_count(files), a.out);
	else if (a.out && strcmp(a.out, "-"))
		/* TRANSLATORS: exported N records of FORM to FILE. */
		fprintf(stderr, P_("exported %s record of %s to %s\n", "exported %s records of %s to %s\n", count),
			i18n_count(count), a.f.form, a.out);
	sstore_audit_json(s, SSTORE_CLI_USER, "", "export", a.f.form,
			  a.media ? json_pack("{s:s, s:I, s:I}", "format", a.format, "records", (json_int_t)count,
					      "attachments", (json_int_t)files)
				  : json_pack("{s:s, s:I}", "format", a.format, "records", (json_int_t)count), NULL, 0);
	r = EXIT_OK;
done:
	sstore_close(s);
	return r;
}
