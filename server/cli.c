/* cli.c - what every sondeod admin command shares. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

#define MAX_OPTS 24

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sondeod: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sondeod %s: ", cli->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, _("usage: sondeod %s\n"), cli->usage);
	return EXIT_USAGE;
}

int cli_getopt(struct cli *cli, int argc, char **argv, const struct option *longopts)
{
	/* The command's options plus --data; --help was answered by main before the command ran. */
	struct option all[MAX_OPTS + 2];
	size_t n = 0;
	int c;

	while (longopts[n].name && n < MAX_OPTS) {
		all[n] = longopts[n];
		n++;
	}
	all[n++] = (struct option){ "data", required_argument, NULL, 'D' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, ":", all, NULL);
		if (c == 'D') {
			if (!*optarg) {
				cli_usage_error(cli, _("--data needs a directory"));
				return '?';
			}
			cli->data_dir = optarg;
			continue;
		}
		break;
	}
	if (c == '?') {
		if (optopt)
			cli_usage_error(cli, _("unknown option '-%c'"), optopt);
		else
			cli_usage_error(cli, _("unknown option '%s'"), argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		cli_usage_error(cli, _("option '%s' needs a value"), argv[optind - 1]);
		return '?';
	}
	if (c == -1 && !cli->data_dir) {
		cli_usage_error(cli, _("--data DIR is required (the server's data directory)"));
		return '?';
	}
	return c;
}

struct sstore *cli_open(struct cli *cli)
{
	char err[512];
	struct sstore *s = sstore_open(cli->data_dir, err, sizeof(err));

	if (!s)
		cli_error("%s", err);
	return s;
}

const char *cli_time(uint64_t ms)
{
	static char out[64];

	i18n_when(ms, clock_ms(), out, sizeof(out));
	return out;
}

const char *cli_iso_time(uint64_t ms)
{
	static char out[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}
