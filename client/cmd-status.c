/* cmd-status.c - sondeo status: this device, its store, and what is waiting to sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hlc.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* Files this device gave that its server does not hold yet. */
struct unsent_files {
	uint64_t n, bytes;
};

static int count_file(void *ctx, const char *hex, uint64_t size)
{
	struct unsent_files *u = ctx;

	(void)hex;
	u->n++;
	u->bytes += size;
	return 0;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	struct store *s;
	struct store_counts n;
	struct unsent_files files = { 0, 0 };
	char err[512];
	uint64_t pending;
	long long ahead;
	int c, json = 0;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	/* Everything this device wrote past what the server acknowledged. */
	if (store_counts(s, &n, err, sizeof(err)) < 0 || store_ops_unsent(s, &pending, err, sizeof(err)) < 0 ||
	    store_media_unsent(s, "", count_file, &files, err, sizeof(err)) < 0) {
		store_close(s);
		return cli_error("%s", err);
	}
	/* How far this device's clock is ahead of its server's (behind: negative), as the server said at sync. */
	ahead = -store_clock_offset(s);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "device",
				      store_device(s), "name", store_name(s), "store", store_dir(s), "records",
				      (json_int_t)n.records, "drafts", (json_int_t)n.drafts, "deleted", (json_int_t)n.deleted,
				      "conflicts", (json_int_t)n.conflicts, "unsynced_ops", (json_int_t)pending,
				      "unsynced_files", (json_int_t)files.n, "unsynced_file_bytes", (json_int_t)files.bytes,
				      "clock_ahead_ms", (json_int_t)ahead);
		char *t = json_dumps(o, JSON_INDENT(2));

		puts(t);
		free(t);
		json_decref(o);
	} else {
		/* TRANSLATORS: the headings of sondeo status's lines, each followed by its value. */
		const char *hd[] = { C_("status", "device:"), C_("status", "store:"), C_("status", "records:"),
				     C_("status", "conflicts:"), C_("status", "not synced:"), C_("status", "clock:") };
		size_t i;
		int w = 0;

		/* The values line up two spaces past the longest heading, whatever the language. */
		for (i = 0; i < sizeof(hd) / sizeof(hd[0]); i++)
			if ((int)utf8_len(hd[i]) + 2 > w)
				w = (int)utf8_len(hd[i]) + 2;
		printf("%-*s", utf8_pad(hd[0], w), hd[0]);
		if (*store_name(s))
			printf("%s (%s)\n", store_device(s), store_name(s));
		else
			printf("%s\n", store_device(s));
		printf("%-*s%s\n", utf8_pad(hd[1], w), hd[1], store_dir(s));
		printf("%-*s", utf8_pad(hd[2], w), hd[2]);
		/* TRANSLATORS: how many final records, drafts and deleted records the store holds. */
		printf(_("%s final, %s draft, %s deleted\n"), i18n_count(n.records), i18n_count(n.drafts),
		       i18n_count(n.deleted));
		if (n.conflicts > 0) {
			printf("%-*s", utf8_pad(hd[3], w), hd[3]);
			printf(P_("%s record\n", "%s records\n", n.conflicts), i18n_count(n.conflicts));
		}
		printf("%-*s", utf8_pad(hd[4], w), hd[4]);
		printf(P_("%s change", "%s changes", pending), i18n_count((unsigned long long)pending));
		/* The photos and files waiting too: they exist only on this laptop until a sync sends them. */
		if (files.n)
			/* TRANSLATORS: after "N changes" of sondeo status: the files not sent yet, and their size. */
			printf(P_(", %s file (%s)", ", %s files (%s)", files.n), i18n_count(files.n), cli_size_text(files.bytes));
		putchar('\n');
		/* Past the window signed requests allow, the server said so: new ops are stamped with its time. */
		if ((unsigned long long)llabs(ahead) > HLC_MAX_AHEAD_MS) {
			char span[64];

			i18n_span((uint64_t)llabs(ahead), span, sizeof(span));
			printf("%-*s", utf8_pad(hd[5], w), hd[5]);
			if (ahead > 0)
				/* TRANSLATORS: %s is a span of time ("1 h 5 min"). */
				printf(_("%s ahead of the server's (corrected: new changes use the server's time)\n"), span);
			else
				printf(_("%s behind the server's (corrected: new changes use the server's time)\n"), span);
		}
	}
	store_close(s);
	return EXIT_OK;
}
