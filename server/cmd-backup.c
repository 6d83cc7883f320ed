/* cmd-backup.c - sondeod backup: a consistent copy of the server's store, taken while it serves, for safekeeping or
 * for analysts (with the views form_ID of its records, and without the accounts with --without-secrets). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "sstore.h"
#include "banned.h"

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "without-secrets", no_argument, NULL, 'w' }, { 0, 0, 0, 0 }
	};
	const char *out = NULL;
	struct sstore *s;
	char err[512];
	int c, without = 0, r;

	for (c = 1; c < argc && strcmp(argv[c], "--"); c++)
		if (!strcmp(argv[c], "-o"))
			argv[c] = (char *)"--output";
	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'w')
			without = 1;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!out || !*out || !strcmp(out, "-"))
		return cli_usage_error(cli, _("give the copy's file: -o FILE.db"));
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	r = sstore_backup(s, out, without, err, sizeof(err));
	sstore_close(s);
	if (r < 0) {
		cli_error("%s", err);
		return EXIT_FAIL;
	}
	/* TRANSLATORS: the file written by sondeod backup. */
	fprintf(stderr, _("copied the store to %s\n"), out);
	return EXIT_OK;
}
