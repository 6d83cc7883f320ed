/* relay.c - the regional server's forwarder and puller (relay.h). */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "i18n.h"
#include "signed.h"
#include "sstore.h"
#include "sstore-media.h"
#include "sstore-relay.h"
#include "util.h"
#include "banned.h"

#define RESEND_MAX 4096               /* change sets resent for one gap answer */
#define RELAY_STANDBY_MS 2000         /* how often a process that does not relay asks whether it may */
#define CS_MAX_BYTES ((size_t)CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES)

struct relay {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;                 /* under lock */
	struct sstore *s;
	struct sstore_upstream up;
	unsigned char hq_pk[KEYS_PK_BYTES];
	struct signed_peer peer;
	unsigned pull_s;
	uint64_t retry_max_ms;
	size_t forms_seen;            /* form versions taken from headquarters in this run */
	int down;                     /* the link was down at the last try: say so once, and when it is back */
	int leads;                    /* sstore_relay_lead at the last look: 1, 0, -1; 2 before the first */
	uint64_t answered_ms;         /* when headquarters last answered (any status) */
	uint64_t ok_ms;               /* when it last answered with success (/metrics: how long it has been silent) */
	uint64_t noted_ms;            /* when that was last written to the store */
	struct buf cs;                /* a change set being forwarded */
};

/* How an exchange went. */
enum outcome {
	SENT,       /* headquarters took it */
	REFUSED,    /* headquarters answered 4xx: a person must look (err says why) */
	DOWN        /* unreachable, cut, 5xx: try again later */
};

static int stopping(struct relay *r)
{
	int s;

	pthread_mutex_lock(&r->lock);
	s = r->stopping;
	pthread_mutex_unlock(&r->lock);
	return s;
}

/* The error code of a JSON error answer ("gap", "clock_skew"...) into code, and its expected_seq. */
static void answer_code(const struct net_response *rs, char *code, size_t n, uint64_t *expected)
{
	json_t *j = json_loadb(rs->body.data, rs->body.len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));

	strlcpy_s(code, e ? e : "", n);
	if (expected)
		*expected = (uint64_t)json_integer_value(json_object_get(j, "expected_seq"));
	json_decref(j);
}

/* Sends one signed request to headquarters; a 200 whose answer must be signed is checked against the key
 * pinned at enrolment. A clock far from headquarters' is corrected from its answer and the request sent once
 * more. */
static enum outcome call(struct relay *r, const char *method, const char *path, const void *body, size_t len,
			 const char *type, int want_signed, struct net_response *rs, char *err, size_t errlen)
{
	char nonce[AUTH_NONCE_HEXLEN + 1], code[32];
	enum net_status st;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		buf_release(&rs->body);
		st = signed_send(&r->peer, sstore_keys(r->s), method, path, body, len, type, nonce, rs, err, errlen);
		if (st != NET_OK)
			return DOWN;
		r->answered_ms = now_ms();
		answer_code(rs, code, sizeof(code), NULL);
		if (rs->status == 401 && !strcmp(code, "clock_skew") && rs->time[0]) {
			uint64_t t;

			if (auth_time_parse(rs->time, &t) == 0)
				r->peer.offset_ms = (long long)t - (long long)now_ms();
			continue;
		}
		break;
	}
	if (rs->status == 200) {
		if (want_signed && auth_verify_response(r->hq_pk, nonce, rs->body.data, rs->body.len, rs->signature) < 0) {
			errf(err, errlen, _("the answer from %s is not signed by the headquarters this server enrolled with"),
			     r->peer.url);
			return DOWN;
		}
		r->ok_ms = r->answered_ms;
		return SENT;
	}
	net_error_text(rs, err, errlen);
	return rs->status >= 500 || rs->status == 429 ? DOWN : REFUSED;
}

/* Forwards change set id byte for byte. A gap answer (headquarters lacks earlier ops of the device) resends the
 * device's change sets from the seq it expects, then this one again. */
static enum outcome push_changeset(struct relay *r, int64_t id, int depth, char *err, size_t errlen)
{
	struct net_response rs = { 0, BUF_INIT(1 << 20), "", "", 0 };
	struct sstore_relay_cs c;
	char path[128], own[KEYS_ID_STRLEN + 1], code[32];
	enum outcome o;
	uint64_t expected = 0;
	int found = sstore_relay_changeset(r->s, id, &r->cs, &c, err, errlen);

	if (found <= 0)
		return found < 0 ? DOWN : SENT;   /* no longer held: nothing to send */
	keys_id(keys_public(sstore_keys(r->s)), own);
	/* This server's own change set (its reviewers' work) names its reviewer, as headquarters' own do. */
	if (c.author[0] && !strcmp(c.device, own))
		snprintf(path, sizeof(path), "/v1/changesets?by=%s", c.author);
	else
		strlcpy_s(path, "/v1/changesets", sizeof(path));
	o = call(r, "POST", path, r->cs.data, r->cs.len, "application/octet-stream", 0, &rs, err, errlen);
	if (o == REFUSED && rs.status == 409)
		answer_code(&rs, code, sizeof(code), &expected);
	buf_release(&rs.body);
	if (o != REFUSED || rs.status != 409 || strcmp(code, "gap") || depth > 0)
		return o;
	{
		int64_t *ids = malloc(RESEND_MAX * sizeof(*ids));
		size_t n = 0, i;

		if (!ids)
			return errf(err, errlen, _("out of memory")), DOWN;
		if (sstore_relay_resend(r->s, c.device, expected, ids, RESEND_MAX, &n, err, errlen) < 0) {
			free(ids);
			return DOWN;
		}
		fprintf(stderr, P_("sondeod: relay: headquarters expects device %s from seq %llu: resending %zu change set\n",
				   "sondeod: relay: headquarters expects device %s from seq %llu: resending %zu change sets\n",
				   n), c.device, (unsigned long long)expected, n);
		for (i = 0, o = SENT; i < n && o == SENT && ids[i] != id; i++)
			o = push_changeset(r, ids[i], depth + 1, err, errlen);
		free(ids);
		if (o != SENT)
			return o;
	}
	return push_changeset(r, id, depth + 1, err, errlen);
}

/* Vouches for (or revokes) device id at headquarters, with a statement signed by this server's key. */
static enum outcome push_vouch(struct relay *r, const char *kind, const char *id, char *err, size_t errlen)
{
	struct net_response rs = { 0, BUF_INIT(1 << 16), "", "", 0 };
	struct buf text = BUF_INIT(4096);
	enum auth_vouch act = strcmp(kind, "revoke") ? AUTH_VOUCH_ENROL : AUTH_VOUCH_REVOKE;
	unsigned char sig[KEYS_SIG_BYTES];
	char pkh[2 * KEYS_PK_BYTES + 1], sigh[2 * KEYS_SIG_BYTES + 1], *body = NULL;
	struct sstore_device d;
	uint64_t t = (uint64_t)((long long)now_ms() + r->peer.offset_ms);
	enum outcome o = DOWN;
	json_t *j;
	int found = sstore_device_find(r->s, id, &d, err, errlen);

	if (found <= 0)
		return found < 0 ? DOWN : SENT;   /* nothing to speak for */
	if (auth_vouch_text(&text, act, d.pk, d.name, d.region, t, err, errlen) < 0) {
		buf_release(&text);
		return REFUSED;
	}
	keys_sign(sstore_keys(r->s), text.data, text.len, sig);
	sodium_bin2hex(pkh, sizeof(pkh), d.pk, sizeof(d.pk));
	sodium_bin2hex(sigh, sizeof(sigh), sig, sizeof(sig));
	j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "action", act == AUTH_VOUCH_REVOKE ? "revoke" : "enrol",
		      "public_key", pkh, "name", d.name, "region", d.region, "time", (json_int_t)t, "signature", sigh);
	if (j && (body = json_dumps(j, JSON_COMPACT)))
		o = call(r, "POST", "/v1/vouch", body, strlen(body), "application/json", 0, &rs, err, errlen);
	else
		errf(err, errlen, _("out of memory"));
	free(body);
	json_decref(j);
	buf_release(&text);
	buf_release(&rs.body);
	return o;
}

/* One request of an upload (media_upload), signed by this server for headquarters; its outcome in r->media_o. */
static int media_call(void *ctx, const char *method, const char *path, const void *body, size_t len, long *status,
		      struct buf *answer, char *err, size_t errlen)
{
	struct relay *r = ctx;
	struct net_response rs = { 0, BUF_INIT(1 << 16), "", "", 0 };
	enum outcome o = call(r, method, path, body, len, body ? "application/octet-stream" : NULL, 0, &rs, err, errlen);

	buf_reset(answer);
	buf_add(answer, rs.body.data, rs.body.len);
	*status = rs.status;
	buf_release(&rs.body);
	return o == DOWN && !rs.status ? -1 : 0;
}

/* Forwards attachment hex, whole here, from where headquarters' bytes end, in the chunks a device sends
 * (docs/attachments-design.md): the same bytes, as their hash says at every hop. */
static enum outcome push_media(struct relay *r, const char *hex, char *err, size_t errlen)
{
	struct sstore_media m;
	char path[4096];
	uint64_t sent;
	int found, rc;

	if ((found = sstore_media_get(r->s, hex, &m, err, errlen)) <= 0 || m.held != m.size ||
	    sstore_media_path(r->s, hex, path, sizeof path, err, errlen) != 1)
		return found < 0 ? DOWN : SENT;   /* nothing whole here to forward */
	rc = media_upload(path, hex, m.size, media_call, r, &sent, err, errlen);
	/* Headquarters' disk full is its operator's to fix, not this file's: the queue waits, as for an outage. */
	return rc == 0 ? SENT : rc == MEDIA_DOWN || rc == MEDIA_FULL ? DOWN : REFUSED;
}

/* What a queue entry is, for the log: its kind ("changeset", or a vouch: "enrol", "revoke") in words. */
static const char *item_kind(const char *kind)
{
	/* TRANSLATORS: what the relay sends to headquarters: a change set, or its word for a device (a vouch) to
	 * enrol or to revoke; followed by its number or the device's id. */
	if (!strcmp(kind, "changeset"))
		return C_("relay item", "changeset");
	if (!strcmp(kind, "enrol"))
		return C_("relay item", "enrol");
	if (!strcmp(kind, "revoke"))
		return C_("relay item", "revoke");
	if (!strcmp(kind, "media"))
		return C_("relay item", "attachment");
	return kind;
}

/* Sends what is due in the queue, oldest first. DOWN stops at the first entry the link fails on. */
static enum outcome push(struct relay *r, char *err, size_t errlen)
{
	struct sstore_relay_item it;
	char e2[256];
	int got = 0;

	while (!stopping(r) && (got = sstore_relay_next(r->s, now_ms(), &it, err, errlen)) > 0) {
		enum outcome o = !strcmp(it.kind, "changeset") ?
			push_changeset(r, strtoll(it.ref, NULL, 10), 0, err, errlen) :
			!strcmp(it.kind, "media") ? push_media(r, it.ref, err, errlen) :
			push_vouch(r, it.kind, it.ref, err, errlen);

		if (o == DOWN)
			return DOWN;
		if (o == REFUSED) {
			/* Kept, with its error, and tried again later on the backoff schedule. */
			uint64_t wait = (uint64_t)1000 << (it.tries < 8 ? it.tries : 8);

			/* TRANSLATORS: headquarters refused KIND REF: WHY, where KIND REF is "changeset 12", "enrol ID" or
			 * "revoke ID" (a vouch for a device). */
			fprintf(stderr, _("sondeod: relay: headquarters refused %s %s: %s\n"), item_kind(it.kind), it.ref, err);
			if (wait > r->retry_max_ms)
				wait = r->retry_max_ms;
			if (sstore_relay_failed(r->s, it.id, now_ms() + wait, err, e2, sizeof(e2)) < 0)
				return errf(err, errlen, "%s", e2), DOWN;
			continue;
		}
		if (sstore_relay_done(r->s, it.id, err, errlen) < 0)
			return DOWN;
	}
	return got < 0 ? DOWN : SENT;
}

/* Publishes the forms of a pull answer here (a version held already with the same text changes nothing). */
static void take_forms(struct relay *r, json_t *forms)
{
	char err[512];
	size_t i;

	for (i = 0; i < json_array_size(forms); i++) {
		char *def = json_dumps(json_array_get(forms, i), JSON_COMPACT);

		if (def && sstore_form_publish(r->s, def, strlen(def), err, sizeof(err)) < 0) {
			fprintf(stderr, _("sondeod: relay: a form from headquarters was not published here: %s\n"), err);
			sstore_relay_note(r->s, 0, 0, err, err, sizeof(err));
		}
		free(def);
	}
	r->forms_seen = json_array_size(forms);
}

/* One change set of a pull answer; 0 taken (or refused, which is logged and noted: it would be refused on every
 * pull), -1 when this store fails. */
/* Takes one change set of headquarters' answer: 0 taken (or held already), 1 refused here (err says why), -1 on a
 * store error. */
static int take_changeset(struct relay *r, json_t *o, char *err, size_t errlen)
{
	const char *b64 = json_string_value(json_object_get(o, "data"));
	const char *by = json_string_value(json_object_get(o, "by"));
	const char *name = json_string_value(json_object_get(o, "name"));
	unsigned char *bytes;
	size_t len = 0;
	struct sstore_ingest in;
	enum sstore_ingest_status st;

	if (!b64 || strlen(b64) > sodium_base64_ENCODED_LEN(CS_MAX_BYTES, sodium_base64_VARIANT_ORIGINAL) ||
	    !(bytes = malloc(strlen(b64) / 4 * 3 + 3)))
		return errf(err, errlen, _("a change set in headquarters' answer is missing or too large")), 1;
	if (sodium_base642bin(bytes, strlen(b64) / 4 * 3 + 3, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) < 0) {
		free(bytes);
		return errf(err, errlen, _("a change set in headquarters' answer is not base64")), 1;
	}
	st = sstore_relay_take(r->s, bytes, len, by ? by : "", name ? name : "", r->up.region, &in, err, errlen);
	free(bytes);
	if (st == SI_ERROR)
		return -1;
	/* A device that sent one seq with two contents, one here and one to headquarters: neither copy can replace
	 * the other. It is counted on the device and shown (sondeod devices), and passed, so that one device cannot
	 * stop everything else of its region from coming down. */
	if (st == SI_EQUIVOCATION) {
		fprintf(stderr, _("sondeod: relay: a change set from headquarters equivocates with what this server holds:"
				  " %s; counted on the device, and passed\n"), err);
		return 0;
	}
	return st != SI_OK;
}

/* Pulls until headquarters has nothing more for this region. */
static enum outcome pull(struct relay *r, char *err, size_t errlen)
{
	struct net_response rs = { 0, BUF_INIT(NET_MAX_RESPONSE), "", "", 0 };
	enum outcome o = SENT;
	int more = 1;

	while (more && o == SENT && !stopping(r)) {
		char path[128], e2[1024];
		json_t *j, *list, *revoked;
		json_int_t next;
		uint64_t taken = sstore_relay_cursor(r->s);
		int held = 0;
		size_t i;

		snprintf(path, sizeof(path), "/v1/relay/pull?after=%llu&forms=%zu",
			 (unsigned long long)sstore_relay_cursor(r->s), r->forms_seen);
		if ((o = call(r, "GET", path, NULL, 0, NULL, 1, &rs, err, errlen)) != SENT)
			break;
		j = json_loadb(rs.body.data, rs.body.len, JSON_REJECT_DUPLICATES, NULL);
		list = json_object_get(j, "changesets");
		revoked = json_object_get(j, "revoked");
		next = json_integer_value(json_object_get(j, "next"));
		more = json_is_true(json_object_get(j, "more"));
		if (!json_is_array(list) || !json_is_array(revoked) || next < 0) {
			json_decref(j);
			errf(err, errlen, _("headquarters' pull answer is not valid"));
			o = REFUSED;
			break;
		}
		if (json_is_array(json_object_get(j, "forms")))
			take_forms(r, json_object_get(j, "forms"));
		/* In order, moving the cursor only past what was taken: a change set refused here holds the pull
		 * before it, with its reason for status, and is tried again at the next pull; nothing is passed over. */
		for (i = 0; i < json_array_size(list) && o == SENT && !held; i++) {
			json_t *cs = json_array_get(list, i);
			int t = take_changeset(r, cs, err, errlen);

			if (t < 0) {
				o = DOWN;
			} else if (t > 0) {
				snprintf(e2, sizeof(e2), _("a change set from headquarters was refused here: %.900s"), err);
				strlcpy_s(err, e2, errlen);
				fprintf(stderr, _("sondeod: relay: %s; the pull waits before it\n"), err);
				held = 1;
			} else if (json_integer_value(json_object_get(cs, "at")) > 0) {
				taken = (uint64_t)json_integer_value(json_object_get(cs, "at"));
			}
		}
		/* A revocation at headquarters takes effect here too. */
		for (i = 0; i < json_array_size(revoked) && o == SENT; i++) {
			const char *id = json_string_value(json_array_get(revoked, i));
			struct sstore_device d;

			if (id && sstore_device_find(r->s, id, &d, err, errlen) > 0 && !d.revoked_ms) {
				fprintf(stderr, _("sondeod: relay: device %s (%s) was revoked at headquarters: revoked here\n"),
					d.id, d.name);
				if (sstore_device_revoke(r->s, id, err, errlen) < 0)
					o = DOWN;
			}
		}
		if (o == SENT && sstore_relay_cursor_set(r->s, held ? taken : (uint64_t)next, held ? err : NULL, e2,
							 sizeof(e2)) < 0) {
			strlcpy_s(err, e2, errlen);
			o = DOWN;
		}
		json_decref(j);
		if (o == SENT && held)
			o = REFUSED;
	}
	buf_release(&rs.body);
	return o;
}

/* Whether this process relays now (sstore_relay_lead), saying so when that changes. */
static int leads(struct relay *r)
{
	char err[512];
	int lead = sstore_relay_lead(r->s, err, sizeof(err));

	if (lead != r->leads) {
		if (lead == 1 && r->leads != 2)
			fprintf(stderr, _("sondeod: relay: this process relays region %s now\n"), r->up.region);
		else if (lead == 0)
			fprintf(stderr, _("sondeod: relay: another process relays region %s; this one stands by\n"),
				r->up.region);
		else if (lead < 0)
			fprintf(stderr, _("sondeod: relay: cannot tell which process relays (%s); this one stands by\n"),
				err);
		r->leads = lead;
	}
	return lead == 1;
}

static void *run(void *arg)
{
	struct relay *r = arg;
	uint64_t backoff = 0, next_pull = 0;
	char err[1024], e2[256];

	while (!stopping(r)) {
		enum outcome o;
		uint64_t now, wait;
		struct timespec until;
		int back = 0;

		if (!leads(r)) {
			wait = RELAY_STANDBY_MS;
			goto sleep;
		}
		o = push(r, err, sizeof(err));
		now = now_ms();
		if (o != DOWN && now >= next_pull) {
			o = pull(r, err, sizeof(err));
			if (o != DOWN)
				next_pull = now_ms() + (uint64_t)r->pull_s * 1000;
		}
		if (o == DOWN) {
			backoff = backoff ? backoff * 2 : 1000;
			if (backoff > r->retry_max_ms)
				backoff = r->retry_max_ms;
			if (!r->down)
				fprintf(stderr, _("sondeod: relay: headquarters cannot be reached (%s); the queue waits\n"),
					err);
			r->down = 1;
			next_pull = 0;   /* pull as soon as the link is back */
			wait = backoff;
		} else {
			if (r->down) {
				fputs(_("sondeod: relay: headquarters reached again\n"), stderr);
				back = 1;
			}
			r->down = 0;
			backoff = 0;
			wait = 1000;    /* the queue is looked at every second; it costs one indexed read */
		}
		/* What status and /metrics show: every error, and the last answer at most every 5 s (not a write a
		 * second), but at once when the link comes back; the first failure notes the last answers exactly. */
		if (o != SENT || back || (r->answered_ms && r->answered_ms >= r->noted_ms + 5000)) {
			sstore_relay_note(r->s, r->answered_ms, r->ok_ms, o != SENT ? err : NULL, e2, sizeof(e2));
			r->noted_ms = r->answered_ms;
		}
sleep:
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(wait / 1000);
		until.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&r->lock);
		if (!r->stopping)
			pthread_cond_timedwait(&r->wake, &r->lock, &until);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

struct relay *relay_start(const struct relay_options *o, char *err, size_t errlen)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (!r) {
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	buf_init(&r->cs, CS_MAX_BYTES);
	/* Here, before the relay's thread and the first connection: libcurl's set-up is not thread-safe. */
	if (net_init(err, errlen) < 0)
		goto fail;
	if (!(r->s = sstore_open(o->data_dir, err, errlen)))
		goto fail;
	if (!sstore_upstream_get(r->s, &r->up)) {
		errf(err, errlen, _("this server is not enrolled at headquarters: run sondeod enrol --data %s URL CODE"
		     " first"), o->data_dir);
		goto fail;
	}
	if (o->url)
		strlcpy_s(r->up.url, o->url, sizeof(r->up.url));
	if (auth_hex_decode(r->up.key, r->hq_pk, sizeof(r->hq_pk)) < 0) {
		errf(err, errlen, _("headquarters' key kept in %s is damaged"), o->data_dir);
		goto fail;
	}
	r->peer.url = r->up.url;
	r->peer.cacert = r->up.cacert;
	r->peer.timeout_s = 120;
	r->peer.verbose = o->verbose;
	/* One connection to headquarters, kept while it stays open: a burst of forwarded change sets is one. Used
	 * by the relay's thread alone. */
	r->peer.conn = net_conn_new();
	r->pull_s = o->pull_s ? o->pull_s : 10;
	r->leads = 2;
	r->retry_max_ms = o->retry_max_s ? (uint64_t)o->retry_max_s * 1000 : RELAY_BACKOFF_MAX_MS;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		errf(err, errlen, _("cannot start the relay thread"));
		goto fail;
	}
	return r;
fail:
	net_conn_free(r->peer.conn);
	sstore_close(r->s);
	buf_release(&r->cs);
	free(r);
	return NULL;
}

void relay_stop(struct relay *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	net_conn_free(r->peer.conn);
	sstore_close(r->s);
	buf_release(&r->cs);
	free(r);
}
