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
#include "i18n.h"
#include "sstore-relay.h"
#include "util.h"
#include "banned.h"

/* "12 s ago", "3 min ago", "2 h ago", "5 days ago" from now. Returns a static buffer. */
static const char *ago(uint64_t ms)
{
	static char out[32];
	uint64_t now = now_ms(), s = now > ms ? (now - ms) / 1000 : 0;

	/* TRANSLATORS: how long ago something happened: 12 s ago, 3 min ago, 2 h ago, 5 days ago. */
	if (s < 120)
		snprintf(out, sizeof(out), _("%llu s ago"), (unsigned long long)s);
	else if (s < 7200)
		snprintf(out, sizeof(out), _("%llu min ago"), (unsigned long long)(s / 60));
	else if (s < 172800)
		snprintf(out, sizeof(out), _("%llu h ago"), (unsigned long long)(s / 3600));
	else
		snprintf(out, sizeof(out), P_("%llu day ago", "%llu days ago", s / 86400), (unsigned long long)(s / 86400));
	return out;
}

/* Prints o (taken) as indented JSON. */
/* The attachments held here (whole, their bytes, and those still coming), for both kinds of server: a member of
 * the JSON, or a line. */
static struct sstore_stats held;

static int print_json(json_t *o)
{
	char *text;

	if (o)
		json_object_set_new(o, "attachments", json_pack("{s:I, s:I, s:I}", "whole", (json_int_t)held.media_whole,
								"bytes", (json_int_t)held.media_bytes, "partial",
								(json_int_t)held.media_partial));
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	if (!text)
		return cli_error(_("out of memory"));
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
				      "vouches_waiting", (json_int_t)(st.vouches - st.media), "oldest_waiting",
				      time_or_null(st.oldest_ms),
				      "refused", (json_int_t)st.refused, "last_error",
				      st.error[0] ? json_string(st.error) : json_null(), "last_error_at",
				      time_or_null(st.error_ms), "pull_cursor", (json_int_t)st.cursor);

		if (o) {
			json_object_set_new(o, "pull_held", st.held[0] ? json_string(st.held) : json_null());
			json_object_set_new(o, "attachments_waiting", json_integer((json_int_t)st.media));
		}
		return print_json(o);
	}
	/* TRANSLATORS: regional server of region NAME, relaying to URL (headquarters' address). */
	printf(_("regional server of region %s, relaying to %s\n"), up->region, up->url);
	/* TRANSLATORS: the labels of these lines ("headquarters' key:", "last contact:", "waiting:", "refused:",
	 * "last error:", "pull cursor:", "pull held:") are padded so that what follows them lines up: pad them
	 * alike in the translation. */
	printf(_("headquarters' key:  %s\n"), fp);
	if (st.contact_ms)
		/* TRANSLATORS: the moment, then how long ago: (3 min ago). */
		printf(_("last contact:       %s (%s)\n"), cli_time(st.contact_ms), ago(st.contact_ms));
	else
		fputs(_("last contact:       never\n"), stdout);
	if (st.changesets || st.vouches) {
		/* The queue's attachments are counted among its vouches (sstore_relay_status): said apart here. */
		uint64_t nv = st.vouches - st.media;
		char cs[64], vouches[128], files[64];

		snprintf(cs, sizeof(cs), P_("%s change set", "%s change sets", st.changesets), i18n_count(st.changesets));
		/* TRANSLATORS: a vouch is a regional server's signed word for a device's key, sent to headquarters. */
		snprintf(vouches, sizeof(vouches), P_("%s vouch", "%s vouches", nv), i18n_count(nv));
		if (st.media) {
			/* TRANSLATORS: after "N vouches" on the waiting line: the attachments waiting to go up. */
			snprintf(files, sizeof(files), P_(", %s attachment", ", %s attachments", st.media),
				 i18n_count(st.media));
			strlcpy_s(vouches + strlen(vouches), files, sizeof(vouches) - strlen(vouches));
		}
		/* TRANSLATORS: waiting: 3 change sets, 1 vouch (oldest queued MOMENT, 3 min ago). */
		printf(_("waiting:            %s, %s (oldest queued %s, %s)\n"), cs, vouches, cli_time(st.oldest_ms),
		       ago(st.oldest_ms));
	} else {
		fputs(_("waiting:            nothing\n"), stdout);
	}
	if (st.refused)
		/* TRANSLATORS: how many change sets or vouches headquarters refused; then the newest refusal's reason. */
		printf(_("refused:            %s, tried again from time to time; the newest: %s\n"),
		       i18n_count(st.refused), st.refusal);
	if (st.error[0])
		printf(_("last error:         %s (%s): %s\n"), cli_time(st.error_ms), ago(st.error_ms), st.error);
	else
		fputs(_("last error:         none\n"), stdout);
	printf(_("pull cursor:        %llu\n"), (unsigned long long)st.cursor);
	/* Nothing from headquarters is passed over: a change set refused here holds the pull until it is taken. */
	if (st.held[0])
		printf(_("pull held:          %s (tried again at every pull)\n"), st.held);
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
	int rc = EXIT_OK, wo = 9;   /* the width of the ops' column: 9, or its heading's */

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
	printf(P_("headquarters: not relaying to another server; %zu regional server enrolled here\n",
		  "headquarters: not relaying to another server; %zu regional servers enrolled here\n", r.n), r.n);
	if (r.n) {
		/* TRANSLATORS: the headings of the table of regional servers, in capitals. OPS: how many ops;
		 * ALTERED: how many change sets the server altered on the way. */
		const char *h_id = _("ID"), *h_name = _("NAME"), *h_region = _("REGION"), *h_contact = _("LAST CONTACT"),
			   *h_ops = _("OPS"), *h_altered = _("ALTERED");

		if ((int)utf8_len(h_ops) > wo)
			wo = (int)utf8_len(h_ops);
		printf("%-*s  %-*s %-*s %-*s %-14s %*s  %s\n", utf8_pad(h_id, 32), h_id, utf8_pad(h_name, 20), h_name,
		       utf8_pad(h_region, 12), h_region, utf8_pad(h_contact, 16), h_contact, "", utf8_pad(h_ops, wo),
		       h_ops, h_altered);
	}
	for (i = 0; i < r.n; i++) {
		const struct sstore_device *d = &r.d[i];
		/* TRANSLATORS: in the column of the last contact: there was none. */
		const char *seen = d->last_seen_ms ? cli_time(d->last_seen_ms) : _("never");
		const char *when = d->last_seen_ms ? ago(d->last_seen_ms) : "";

		const char *ops = i18n_count(d->ops);

		printf("%-32s  %-*s %-*s %-*s %-*s %*s  %s", d->id, utf8_pad(d->name, 20), d->name,
		       utf8_pad(d->region, 12), d->region, utf8_pad(seen, 16), seen, utf8_pad(when, 14), when,
		       utf8_pad(ops, wo), ops, i18n_count(d->altered));
		/* TRANSLATORS: after a regional server's row in the table: it was revoked. */
		fputs(d->revoked_ms ? _("  (revoked)\n") : "\n", stdout);
	}
	free(r.d);
	return rc;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	struct sstore_upstream up;
	struct sstore *s;
	char err[512];
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
	if (sstore_stats(s, &held, err, sizeof err) < 0) {
		sstore_close(s);
		return cli_error("%s", err);
	}
	r = sstore_upstream_get(s, &up) ? regional(s, &up, as_json) : headquarters(s, as_json);
	if (r == EXIT_OK && !as_json)
		/* TRANSLATORS: the attachments a server holds whole, the space they take, and those still coming. */
		printf(_("attachments:        %s held (%s MB), %s still coming\n"), i18n_count(held.media_whole),
		       i18n_count((held.media_bytes + 500000) / 1000000), i18n_count(held.media_partial));
	sstore_close(s);
	return r;
}
