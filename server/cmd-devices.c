/* cmd-devices.c - sondeod devices: list the enrolled devices, or revoke one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "i18n.h"
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

	i18n_span((uint64_t)llabs(d->clock_off_ms), span, sizeof(span));
	if (!clock_far_off(d))
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%c%s", d->clock_off_ms < 0 ? '-' : '+', span);
}

/* What a device is, in the table: a laptop, a regional server, or at a regional server one known only from
 * headquarters' pull. */
static const char *kind_text(const struct sstore_device *d)
{
	/* TRANSLATORS: the kinds of device in the table of devices: a field laptop ("device"), a regional server
	 * ("relay"), or at a regional server a device known only from headquarters ("hq-only"). */
	return d->relay ? C_("device kind", "relay") : d->upstream ? C_("device kind", "hq-only") :
								     C_("device kind", "device");
}

static void print_table(const struct devices *all)
{
	/* TRANSLATORS: the headings of the table of devices, in capitals. OPS: how many ops; EQUIVOCATIONS: how
	 * many times the device sent two different contents under one number; CLOCK: how far off its clock is. */
	const char *h_id = _("ID"), *h_name = _("NAME"), *h_region = _("REGION"), *h_kind = _("KIND"),
		   *h_enrolled = _("ENROLLED"), *h_seen = _("LAST SEEN"), *h_ops = _("OPS"), *h_revoked = _("REVOKED"),
		   *h_equiv = _("EQUIVOCATIONS"), *h_clock = _("CLOCK");
	/* The columns of the kind, the ops and the equivocations are as wide as their heading or widest word. */
	int wk = 7, we = utf8_len(h_equiv) > 13 ? (int)utf8_len(h_equiv) : 13;
	int wo = utf8_len(h_ops) > 9 ? (int)utf8_len(h_ops) : 9;
	const char *never = _("never");
	size_t i;

	/* The moments' columns as wide as their heading or widest moment: "aujourd’hui 14:05", "28 févr. 2026 09:12". */
	int wen = (int)utf8_len(h_enrolled), wseen = (int)utf8_len(h_seen), wrev = (int)utf8_len(h_revoked);

	if ((int)utf8_len(h_kind) > wk)
		wk = (int)utf8_len(h_kind);
	for (i = 0; i < all->n; i++) {
		const struct sstore_device *d = &all->d[i];

		if ((int)utf8_len(kind_text(d)) > wk)
			wk = (int)utf8_len(kind_text(d));
		if ((int)utf8_len(cli_time(d->enrolled_ms)) > wen)
			wen = (int)utf8_len(cli_time(d->enrolled_ms));
		if ((int)utf8_len(d->last_seen_ms ? cli_time(d->last_seen_ms) : never) > wseen)
			wseen = (int)utf8_len(d->last_seen_ms ? cli_time(d->last_seen_ms) : never);
		if (d->revoked_ms && (int)utf8_len(cli_time(d->revoked_ms)) > wrev)
			wrev = (int)utf8_len(cli_time(d->revoked_ms));
	}
	printf("%-*s  %-*s %-*s %-*s %-*s  %-*s %*s  %-*s  %-*s  %s\n", utf8_pad(h_id, 32), h_id, utf8_pad(h_name, 20),
	       h_name, utf8_pad(h_region, 12), h_region, utf8_pad(h_kind, wk), h_kind, utf8_pad(h_enrolled, wen),
	       h_enrolled, utf8_pad(h_seen, wseen), h_seen, utf8_pad(h_ops, wo), h_ops, utf8_pad(h_revoked, wrev),
	       h_revoked, utf8_pad(h_equiv, we), h_equiv, h_clock);
	for (i = 0; i < all->n; i++) {
		const struct sstore_device *d = &all->d[i];
		const char *name = *d->name ? d->name : "-", *kind = kind_text(d);
		char enrolled[64], seen_s[64], clock[48];

		/* cli_time's answer lasts until its next call. */
		snprintf(seen_s, sizeof(seen_s), "%s", d->last_seen_ms ? cli_time(d->last_seen_ms) : never);
		snprintf(enrolled, sizeof(enrolled), "%s", cli_time(d->enrolled_ms));
		const char *ops = i18n_count(d->ops);

		printf("%-32s  %-*s %-*s %-*s %-*s  %-*s %*s  ", d->id, utf8_pad(name, 20), name,
		       utf8_pad(d->region, 12), d->region, utf8_pad(kind, wk), kind, utf8_pad(enrolled, wen), enrolled,
		       utf8_pad(seen_s, wseen), seen_s, utf8_pad(ops, wo), ops);
		clock_fmt(d, clock, sizeof(clock));
		const char *revoked = d->revoked_ms ? cli_time(d->revoked_ms) : "-";

		printf("%-*s  %-*llu  %s\n", utf8_pad(revoked, wrev), revoked, we, (unsigned long long)d->equivocations,
		       clock);
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
		return cli_error(_("out of memory"));
	puts(text);
	free(text);
	return EXIT_OK;
}

/* Revokes the one device whose id starts with prefix (any case). */
static int revoke(struct cli *cli, struct sstore *s, const struct devices *all, const char *prefix)
{
	char low[KEYS_ID_STRLEN + 1], err[512];
	const struct sstore_device *hit = NULL;
	const char *name;
	size_t i, n = strlen(prefix);
	int matches = 0, r;

	for (i = 0; i < n && i < KEYS_ID_STRLEN; i++)
		low[i] = (char)(prefix[i] >= 'A' && prefix[i] <= 'F' ? prefix[i] - 'A' + 'a' : prefix[i]);
	low[i] = '\0';
	if (n == 0 || n > KEYS_ID_STRLEN || strspn(low, "0123456789abcdef") != n)
		return cli_error(_("'%s' is not a device id (up to %d hex characters)"), prefix, KEYS_ID_STRLEN);
	for (i = 0; i < all->n; i++)
		if (!strncmp(all->d[i].id, low, n)) {
			hit = &all->d[i];
			matches++;
		}
	if (!matches)
		return cli_error(_("no device '%s' (see 'sondeod devices --data %s')"), prefix, cli->data_dir);
	if (matches > 1)
		return cli_error(P_("'%s' matches %d device; give more of the id",
				    "'%s' matches %d devices; give more of the id", matches), prefix, matches);
	r = sstore_device_revoke(s, hit->id, err, sizeof(err));
	if (r < 0)
		return cli_error("%s", err);
	/* TRANSLATORS: in place of a device's name, when it has none. */
	name = *hit->name ? hit->name : _("no name");
	if (r == 0)
		/* TRANSLATORS: device ID (its name) was already revoked on MOMENT. */
		printf(_("device %s (%s) was already revoked on %s\n"), hit->id, name, cli_time(hit->revoked_ms));
	else
		printf(_("revoked device %s (%s, region %s)\n"), hit->id, name, hit->region);
	if (r > 0) {
		/* The same fields as a revocation on the page: the device's name ("" if it has none) and region. */
		if (sstore_audit_json(s, SSTORE_CLI_USER, "", "revoke", hit->id,
				      json_pack("{s:s, s:s}", "device", hit->name, "region", hit->region), err,
				      sizeof(err)) < 0)
			fprintf(stderr, _("sondeod: warning: revoked, but the audit log could not be written: %s\n"), err);
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
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (id && json)
		return cli_usage_error(cli, _("--revoke and --json do not go together"));
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	if (sstore_device_list(s, collect, &all, err, sizeof(err)) < 0)
		r = cli_error("%s", err);
	else if (id)
		r = revoke(cli, s, &all, id);
	else if (json)
		r = print_json(&all);
	else if (!all.n) {
		printf(_("no devices enrolled (make a code for one with 'sondeod enrol-code --data %s')\n"),
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
