/* cmd-status.c - sondeod status: the link between the tiers (docs/relay-design.md, "Status"). At a regional
 * server: headquarters' address and key, the last contact, what waits in the store and forward queue, the last
 * error, the pull cursor. At headquarters: the regional servers enrolled there, with the ops they sent (their own
 * and those they forwarded) and the distinct change sets they altered. Read from the database, so it
 * works whether or not sondeod serve is running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "sstore-relay.h"
#include "util.h"
#include "banned.h"

/* "12 s ago", "3 min ago", "2 h ago", "5 days ago" from now. Returns a static buffer. */
static const char *ago(uint64_t ms)
{
	static char out[32];
	uint64_t now = now_ms(), s = now > ms ? (now - ms) / 1000 : 0;

	if (s < 120)
		snprintf(out, sizeof(out), "%llu s ago", (unsigned long long)s);
	else if (s < 7200)
		snprintf(out, sizeof(out), "%llu min ago", (unsigned long long)(s / 60));
	else if (s < 172800)
		snprintf(out, sizeof(out), "%llu h ago", (unsigned long long)(s / 3600));
	else
		snprintf(out, sizeof(out), "%llu days ago", (unsigned long long)(s / 86400));
	return out;
}

/* Prints o (taken) as indented JSON. */
static int print_json(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	if (!text)
		return cli_error("out of memory");
	puts(text);
	free(text);
	return EXIT_OK;
}

static json_t *time_or_null(uint64_t ms)
{
	return ms ? json_string(cli_iso_time(ms)) : json_null();
}

static int regional(struct sstore *s, const struct sstore_upstream *up, int as_json)
{
	struct sstore_relay_status st;
	unsigned char pk[KEYS_PK_BYTES];
	char fp[KEYS_ID_STRLEN + 1] = "", err[512];

	if (sstore_relay_status(s, &st, err, sizeof(err)) < 0)
		return cli_error("%s", err);
	if (auth_hex_decode(up->key, pk, sizeof(pk)) == 0)
		keys_id(pk, fp);
	if (as_json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:o, s:I, s:o, s:o, s:I}", "role", "regional",
				      "region", up->region, "upstream", up->url, "upstream_key", fp, "last_contact",
				      time_or_null(st.contact_ms), "changesets_waiting", (json_int_t)st.changesets,
				      "vouches_waiting", (json_int_t)st.vouches, "oldest_waiting", time_or_null(st.oldest_ms),
				      "refused", (json_int_t)st.refused, "last_error",
				      st.error[0] ? json_string(st.error) : json_null(), "last_error_at",
				      time_or_null(st.error_ms), "pull_cursor", (json_int_t)st.cursor);

		if (o)
			json_object_set_new(o, "pull_held", st.held[0] ? json_string(st.held) : json_null());
		return print_json(o);
	}
	printf("regional server of region %s, relaying to %s\n", up->region, up->url);
	printf("headquarters' key:  %s\n", fp);
	if (st.contact_ms)
		printf("last contact:       %s (%s)\n", cli_time(st.contact_ms), ago(st.contact_ms));
	else
		printf("last contact:       never\n");
	if (st.changesets || st.vouches)
		printf("waiting:            %llu change set%s, %llu vouch%s (oldest queued %s, %s)\n",
		       (unsigned long long)st.changesets, st.changesets == 1 ? "" : "s", (unsigned long long)st.vouches,
		       st.vouches == 1 ? "" : "es", cli_time(st.oldest_ms), ago(st.oldest_ms));
	else
		printf("waiting:            nothing\n");
	if (st.refused)
		printf("refused:            %llu, tried again from time to time; the newest: %s\n",
		       (unsigned long long)st.refused, st.refusal);
	if (st.error[0])
		printf("last error:         %s (%s): %s\n", cli_time(st.error_ms), ago(st.error_ms), st.error);
	else
		printf("last error:         none\n");
	printf("pull cursor:        %llu\n", (unsigned long long)st.cursor);
	/* Nothing from headquarters is passed over: a change set refused here holds the pull until it is taken. */
	if (st.held[0])
		printf("pull held:          %s (tried again at every pull)\n", st.held);
	return EXIT_OK;
}

/* The regional servers enrolled here, as sstore_device_list gives them. */
struct relays {
	struct sstore_device *d;
	size_t n, cap;
};

static void add_relay(void *ctx, const struct sstore_device *d)
{
	struct relays *r = ctx;

	if (!d->relay)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->d = xrealloc(r->d, r->cap * sizeof(*r->d));
	}
	r->d[r->n++] = *d;
}

static int headquarters(struct sstore *s, int as_json)
{
	struct relays r = { NULL, 0, 0 };
	char err[512];
	size_t i;
	int rc = EXIT_OK;

	if (sstore_device_list(s, add_relay, &r, err, sizeof(err)) < 0) {
		free(r.d);
		return cli_error("%s", err);
	}
	/* A relay's ops are its own and those of the change sets it forwarded: its laptops' work comes through it. */
	for (i = 0; i < r.n; i++) {
		uint64_t forwarded;

		if (sstore_relay_forwarded(s, &r.d[i], &forwarded, err, sizeof(err)) < 0) {
			free(r.d);
			return cli_error("%s", err);
		}
		r.d[i].ops += forwarded;
	}
	if (as_json) {
		json_t *list = json_array();

		for (i = 0; i < r.n; i++)
			json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:o}", "id", r.d[i].id,
							      "name", r.d[i].name, "region", r.d[i].region, "last_contact",
							      time_or_null(r.d[i].last_seen_ms), "ops",
							      (json_int_t)r.d[i].ops, "altered", (json_int_t)r.d[i].altered,
							      "revoked", time_or_null(r.d[i].revoked_ms)));
		rc = print_json(json_pack("{s:s, s:o}", "role", "headquarters", "relays", list));
		free(r.d);
		return rc;
	}
	printf("headquarters: not relaying to another server; %zu regional server%s enrolled here\n", r.n,
	       r.n == 1 ? "" : "s");
	if (r.n)
		printf("%-32s  %-20s %-12s %-16s %-14s %9s  %s\n", "ID", "NAME", "REGION", "LAST CONTACT", "",
		       "OPS", "ALTERED");
	for (i = 0; i < r.n; i++) {
		const struct sstore_device *d = &r.d[i];

		printf("%-32s  %-20s %-12s %-16s %-14s %9llu  %llu%s\n", d->id, d->name, d->region,
		       d->last_seen_ms ? cli_time(d->last_seen_ms) : "never", d->last_seen_ms ? ago(d->last_seen_ms) : "",
		       (unsigned long long)d->ops, (unsigned long long)d->altered, d->revoked_ms ? "  (revoked)" : "");
	}
	free(r.d);
	return rc;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	struct sstore_upstream up;
	struct sstore *s;
	int c, as_json = 0, r;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'j')
			as_json = 1;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	r = sstore_upstream_get(s, &up) ? regional(s, &up, as_json) : headquarters(s, as_json);
	sstore_close(s);
	return r;
}
