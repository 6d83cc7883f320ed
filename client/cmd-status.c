/* cmd-status.c - sondeo status: this device, its store, and what is waiting to sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

static long long count(sqlite3 *db, const char *sql, const char *device)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (device)
			db_bind_text(st, 1, device);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	struct store *s;
	sqlite3 *db;
	long long records, drafts, deleted, conflicts, pending, ahead;
	int c, json = 0;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	db = store_db(s);
	records = count(db, "SELECT COUNT(*) FROM records WHERE NOT draft AND NOT deleted", NULL);
	drafts = count(db, "SELECT COUNT(*) FROM records WHERE draft", NULL);
	deleted = count(db, "SELECT COUNT(*) FROM records WHERE deleted", NULL);
	conflicts = count(db, "SELECT COUNT(*) FROM records WHERE conflicts > 0 AND NOT deleted", NULL);
	/* Everything this device wrote past what the server acknowledged; nothing is acknowledged before
	 * the first sync. */
	pending = count(db, "SELECT COUNT(*) FROM ops WHERE did = (SELECT did FROM devices WHERE id = ?1) AND seq >"
		       " coalesce((SELECT value FROM meta WHERE key = 'acked_seq'), 0)", store_device(s));
	/* How far this device's clock is ahead of its server's (behind: negative), as the server said at sync. */
	ahead = -store_clock_offset(s);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "device", store_device(s),
				      "name", store_name(s), "store", store_dir(s), "records", records,
				      "drafts", drafts, "deleted", deleted, "conflicts", conflicts,
				      "unsynced_ops", pending, "clock_ahead_ms", (json_int_t)ahead);
		char *t = json_dumps(o, JSON_INDENT(2));

		puts(t);
		free(t);
		json_decref(o);
	} else {
		printf("device:      %s%s%s%s\n", store_device(s), *store_name(s) ? " (" : "", store_name(s),
		       *store_name(s) ? ")" : "");
		printf("store:       %s\n", store_dir(s));
		printf("records:     %lld final, %lld draft, %lld deleted\n", records, drafts, deleted);
		if (conflicts > 0)
			printf("conflicts:   %lld record%s\n", conflicts, conflicts == 1 ? "" : "s");
		printf("not synced:  %lld changes\n", pending);
		/* Past the window signed requests allow, the server said so: new ops are stamped with its time. */
		if ((unsigned long long)llabs(ahead) > HLC_MAX_AHEAD_MS) {
			char span[64];

			span_fmt((unsigned long long)llabs(ahead), span, sizeof(span));
			printf("clock:       %s %s the server's (corrected: new changes use the server's time)\n", span,
			       ahead > 0 ? "ahead of" : "behind");
		}
	}
	store_close(s);
	return EXIT_OK;
}
