/* cmd-init.c - sondeo init: create this device's store and key pair. */
#include <stdio.h>

#include "cli.h"
#include "i18n.h"
#include "banned.h"

int cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "name", required_argument, NULL, 'n' }, { 0, 0, 0, 0 } };
	char device[KEYS_ID_STRLEN + 1], err[512];
	const char *name = "";
	int c;

	while ((c = cli_getopt(cli, argc, argv, "n:", opts)) != -1) {
		if (c == 'n')
			name = optarg;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (store_init(cli->store_dir, name, device, err, sizeof(err)) < 0)
		return cli_error("%s", err);
	printf(_("created store in %s\n"), cli->store_dir);
	/* TRANSLATORS: the device's id, 32 hexadecimal digits, follows. */
	printf(_("device id: %s\n"), device);
	return EXIT_OK;
}
