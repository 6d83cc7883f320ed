/* cmd-migrate.c - sondeod migrate: move a server's store from its SQLite file into PostgreSQL (sstore_migrate),
 * then point the data directory at the database; the file is kept aside, renamed, for a way back. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dbstore.h"
#include "i18n.h"
#include "sstore.h"
#include "banned.h"

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' }, { 0, 0, 0, 0 } };
	static const char *const sides[] = { "", "-wal", "-shm" };
	struct sstore_migrated m;
	const char *store = NULL;
	char err[512], from[PATH_MAX], to[PATH_MAX];
	struct sstore *s;
	size_t i;
	int c, r;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c != 's')
			return EXIT_USAGE;
		store = optarg;
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!store || !*store)
		return cli_usage_error(cli, _("give the PostgreSQL database: --store CONNINFO"));
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	r = sstore_migrate(s, store, &m, err, sizeof(err));
	sstore_close(s);
	if (r < 0)
		return cli_error("%s", err);
	/* The database now holds everything: the directory names it, and the file is put aside, not removed. */
	if (dbstore_conf_write(cli->data_dir, store, err, sizeof(err)) < 0)
		return cli_error(_("%s; the data is in PostgreSQL, and '%s' still holds it too"), err, cli->data_dir);
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s%s", cli->data_dir, dbstore_file(DBSTORE_SERVER), sides[i]);
		snprintf(to, sizeof(to), "%s/%s.before-postgresql%s", cli->data_dir, dbstore_file(DBSTORE_SERVER),
			 sides[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			return cli_error(_("cannot put '%s' aside: %s"), from, strerror(errno));
	}
	/* TRANSLATORS: counts of what was copied, then the file kept aside. */
	printf(_("moved %llu tables, %llu rows (%llu ops, checked) to PostgreSQL; the SQLite file is kept as"
		 " %s/%s.before-postgresql\n"), (unsigned long long)m.tables, (unsigned long long)m.rows,
	       (unsigned long long)m.ops, cli->data_dir, dbstore_file(DBSTORE_SERVER));
	fflush(stdout);
	/* The search index is made now, once, rather than by the first sondeod serve, which would listen only then. */
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	sstore_close(s);
	puts(_("the review page's search index is made"));
	return EXIT_OK;
}
