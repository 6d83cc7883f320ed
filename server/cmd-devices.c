/* cmd-devices.c - sondeod devices: list the enrolled devices, or revoke one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "sstore-users.h"
#include "srv.h"
#include "util.h"
#include "banned.h"

struct devices {
	struct sstore_device *d;
	size_t n, cap;
};

static void collect(void *ctx, const struct sstore_device *d)
{
	struct devices *all = ctx;

	if (all->n == all->cap) {
		all->cap = all->cap ? all->cap * 2 : 16;
		all->d = xrealloc(all->d, all->cap * sizeof(*all->d));
	}
	all->d[all->n++] = *d;
}

/* A device's clock is far off when a request of it was refused for its time: more than the window signed
 * requests allow. */
static int clock_far_off(const struct sstore_device *d)
{
	return d->clock_off_at_ms && (unsigned long long)llabs(d->clock_off_ms) > SRV_MAX_SKEW_MS;
}

/* "+365 d 0 h", "-1 h 0 min": how far a clock is off, for people, to the nearest minute (the request took its
 * time to arrive); "-" when it is not. */
static void clock_fmt(const struct sstore_device *d, char *out, size_t n)
{
	char span[40];

	span_fmt((uint64_t)llabs(d->clock_off_ms), span, sizeof(span));
	if (!clock_far_off(d))
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%c%s", d->clock_off_ms < 0 ? '-' : '+', span);
}

static void print_table(const struct devices *all)
{
	size_t i;

	printf("%-32s  %-20s %-12s %-7s %-16s  %-16s %9s  %-16s  %-13s  %s\n", "ID", "NAME", "REGION", "KIND",
	       "ENROLLED", "LAST SEEN", "OPS", "REVOKED", "EQUIVOCATIONS", "CLOCK");
	for (i = 0; i < all->n; i++) {
		const struct sstore_device *d = &all->d[i];
		char enrolled[32], clock[48];

		snprintf(enrolled, sizeof(enrolled), "%s", cli_time(d->enrolled_ms));
		printf("%-32s  %-20s %-12s %-7s %-16s  %-16s %9llu  ", d->id, *d->name ? d->name : "-", d->region,
		       d->relay ? "relay" : d->upstream ? "hq-only" : "device", enrolled, d->last_seen_ms ? cli_time(d->last_seen_ms) : "never",
		       (unsigned long long)d->ops);
		clock_fmt(d, clock, sizeof(clock));
		printf("%-16s  %-13llu  %s\n", d->revoked_ms ? cli_time(d->revoked_ms) : "-",
		       (unsigned long long)d->equivocations, clock);
	}
}

static int print_json(const struct devices *all)
{
	json_t *list = json_array();
	char pk[2 * KEYS_PK_BYTES + 1];
	char *text;
	size_t i;

	for (i = 0; i < all->n; i++) {
		const struct sstore_device *d = &all->d[i];
		json_t *o;

		hex_encode(pk, d->pk, KEYS_PK_BYTES);
		o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", d->id, "public_key", pk, "name", d->name, "region",
			      d->region, "enrolled", cli_iso_time(d->enrolled_ms));
		json_object_set_new(o, "relay", json_boolean(d->relay));
		json_object_set_new(o, "via", d->via[0] ? json_string(d->via) : json_null());
		/* At a regional server: known only from headquarters' pull, not enrolled here. */
		json_object_set_new(o, "upstream", json_boolean(d->upstream));
		json_object_set_new(o, "altered", json_integer((json_int_t)d->altered));
		json_object_set_new(o, "last_seen", d->last_seen_ms ? json_string(cli_iso_time(d->last_seen_ms))
								    : json_null());
		json_object_set_new(o, "revoked", d->revoked_ms ? json_string(cli_iso_time(d->revoked_ms)) : json_null());
		json_object_set_new(o, "ops", json_integer((json_int_t)d->ops));
		json_object_set_new(o, "next_seq", json_integer((json_int_t)d->next_seq));
		json_object_set_new(o, "equivocations", json_integer((json_int_t)d->equivocations));
		/* Its clock minus ours, when a request was last refused for its time (null: never, or within the
		 * window), and when. */
		json_object_set_new(o, "clock_off_ms", clock_far_off(d) ? json_integer((json_int_t)d->clock_off_ms)
								       : json_null());
		json_object_set_new(o, "clock_off_seen", clock_far_off(d) ? json_string(cli_iso_time(d->clock_off_at_ms))
									 : json_null());
		json_array_append_new(list, o);
	}
	text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(list);
	if (!text)
		return cli_error("out of memory");
	puts(text);
	free(text);
	return EXIT_OK;
}

/* Revokes the one device whose id starts with prefix (any case). */
static int revoke(struct cli *cli, struct sstore *s, const struct devices *all, const char *prefix)
{
	char low[KEYS_ID_STRLEN + 1], err[512];
	const struct sstore_device *hit = NULL;
	size_t i, n = strlen(prefix);
	int matches = 0, r;

	for (i = 0; i < n && i < KEYS_ID_STRLEN; i++)
		low[i] = (char)(prefix[i] >= 'A' && prefix[i] <= 'F' ? prefix[i] - 'A' + 'a' : prefix[i]);
	low[i] = '\0';
	if (n == 0 || n > KEYS_ID_STRLEN || strspn(low, "0123456789abcdef") != n)
		return cli_error("'%s' is not a device id (up to %d hex characters)", prefix, KEYS_ID_STRLEN);
	for (i = 0; i < all->n; i++)
		if (!strncmp(all->d[i].id, low, n)) {
			hit = &all->d[i];
			matches++;
		}
	if (!matches)
		return cli_error("no device '%s' (see 'sondeod devices --data %s')", prefix, cli->data_dir);
	if (matches > 1)
		return cli_error("'%s' matches %d devices; give more of the id", prefix, matches);
	r = sstore_device_revoke(s, hit->id, err, sizeof(err));
	if (r < 0)
		return cli_error("%s", err);
	if (r == 0)
		printf("device %s (%s) was already revoked on %s\n", hit->id, *hit->name ? hit->name : "no name",
		       cli_time(hit->revoked_ms));
	else
		printf("revoked device %s (%s, region %s)\n", hit->id,
		       *hit->name ? hit->name : "no name", hit->region);
	if (r > 0) {
		char detail[2 * SSTORE_MAX_NAME + 16];

		snprintf(detail, sizeof(detail), "%s, region %s", *hit->name ? hit->name : "no name", hit->region);
		if (sstore_audit(s, SSTORE_CLI_USER, "", "revoke", hit->id, detail, err, sizeof(err)) < 0)
			fprintf(stderr, "sondeod: warning: revoked, but the audit log could not be written: %s\n", err);
	}
	return EXIT_OK;
}

int cmd_devices(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "revoke", required_argument, NULL, 'r' }, { 0, 0, 0, 0 }
	};
	struct devices all = { NULL, 0, 0 };
	const char *id = NULL;
	struct sstore *s;
	char err[512];
	int c, json = 0, r;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'r')
			id = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (id && json)
		return cli_usage_error(cli, "--revoke and --json do not go together");
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	if (sstore_device_list(s, collect, &all, err, sizeof(err)) < 0)
		r = cli_error("%s", err);
	else if (id)
		r = revoke(cli, s, &all, id);
	else if (json)
		r = print_json(&all);
	else if (!all.n) {
		printf("no devices enrolled (make a code for one with 'sondeod enrol-code --data %s')\n",
		       cli->data_dir);
		r = EXIT_OK;
	} else {
		print_table(&all);
		r = EXIT_OK;
	}
	free(all.d);
	sstore_close(s);
	return r;
}
