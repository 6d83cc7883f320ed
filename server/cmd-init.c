/* cmd-init.c - sondeod init: create the data directory, the server's key pair and the admin account; with --store,
 * its database in PostgreSQL. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "cli.h"
#include "i18n.h"
#include "banned.h"

int cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' }, { 0, 0, 0, 0 } };
	char password[32], err[512], fp[KEYS_ID_STRLEN + 1], where[PATH_MAX];
	const char *store = NULL;
	struct sstore *s;
	int c, r = EXIT_OK;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c != 's')
			return EXIT_USAGE;
		store = optarg;
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (sstore_init(cli->data_dir, store, password, sizeof(password), err, sizeof(err)) < 0)
		return cli_error("%s", err);
	if (!realpath(cli->data_dir, where))
		snprintf(where, sizeof(where), "%s", cli->data_dir);
	printf(_("created sondeod data in %s\n"), where);
	/* The fingerprint is read back through the store, as every later command will see the key. */
	if ((s = cli_open(cli))) {
		keys_id(keys_public(sstore_keys(s)), fp);
		printf(_("server key fingerprint: %s\n"), fp);
		sstore_close(s);
	} else {
		r = EXIT_FAIL;
	}
	/* Printed even if the key could not be read back: it is the only copy. */
	/* TRANSLATORS: "admin" is the account's name, typed at login: keep it as it is. */
	printf(_("admin user: admin\nadmin password (shown once, change it at first login): %s\n"), password);
	fflush(stdout);
	sodium_memzero(password, sizeof(password));
	return r;
}
