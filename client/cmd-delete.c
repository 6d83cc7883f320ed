/* cmd-delete.c - sondeo delete: delete a record (an op, so the deletion syncs and has history). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fill.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* What the record an instance belonged to works out from its instances (sum(), count()...) follows the deletion,
 * which stands either way. */
static void resettle(struct cli *cli, struct store *s, const char *parent)
{
	struct form_env env = { store_device(s), store_name(s), store_now(s), cli->lang };
	char err[512];

	if (fill_resettle_id(s, parent, &env, err, sizeof(err)) < 0)
		cli_error(_("record %s was not worked out again: %s"), cli_short_id(parent), err);
}

int cmd_delete(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { 0, 0, 0, 0 } };
	struct store_record rec;
	struct store *s;
	char err[512], *parent = NULL;
	size_t n = 0;
	int c, r = EXIT_FAIL;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1)
		return cli_opt_exit(c);
	if (optind + 1 != argc)
		return cli_usage_error(cli, optind < argc ? _("expected one record id") : _("which record? give its id"));
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (store_find(s, argv[optind], &rec, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		store_close(s);
		return EXIT_FAIL;
	}
	parent = fill_parent_of(s, rec.id);
	if (rec.deleted) {
		cli_error(_("record %s is already deleted"), cli_short_id(rec.id));
	} else if (store_begin(s, err, sizeof(err)) < 0 || store_delete_tree(s, &rec, &n, err, sizeof(err)) < 0 ||
		   store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error(_("%s: nothing was changed"), err);
	} else if (n > 1) {
		/* A record's repeat instances go with it. */
		if (rec.draft)
			printf(P_("deleted %s (a draft: removed from this device), and its %zu repeat instance\n",
				  "deleted %s (a draft: removed from this device), and its %zu repeat instances\n", n - 1),
			       rec.id, n - 1);
		else
			printf(P_("deleted %s, and its %zu repeat instance\n", "deleted %s, and its %zu repeat instances\n",
				  n - 1), rec.id, n - 1);
		r = EXIT_OK;
	} else {
		if (rec.draft)
			printf(_("deleted %s (a draft: removed from this device)\n"), rec.id);
		else
			printf(_("deleted %s\n"), rec.id);
		r = EXIT_OK;
	}
	if (r == EXIT_OK && parent)
		resettle(cli, s, parent);
	free(parent);
	store_close(s);
	return r;
}
