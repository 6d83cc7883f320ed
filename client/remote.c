/* remote.c - signed requests from this device to its server. */
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "i18n.h"
#include "pull.h"
#include "signed.h"
#include "util.h"
#include "banned.h"

#define REMOTE_TRIES 5           /* sends of one request at most: the first and four more */
#define REMOTE_BACKOFF_MS 1000   /* before the first retry; doubled before each next one */
#define REMOTE_WAIT_MAX_MS 60000 /* the longest wait before a retry, whatever the server asks */

const char *remote_key(const struct remote *r, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s%s", r->prefix, name);
	return out;
}

static int open_prefixed(struct remote *r, struct store *s, int verbose, const char *prefix)
{
	char pkhex[2 * KEYS_PK_BYTES + 8], off[32], key[64];

	memset(r, 0, sizeof(*r));
	r->s = s;
	r->verbose = verbose;
	r->prefix = prefix;
	if (store_meta_get(s, remote_key(r, "server_url", key, sizeof(key)), r->url, sizeof(r->url)) < 0 ||
	    store_meta_get(s, remote_key(r, "server_key", key, sizeof(key)), pkhex, sizeof(pkhex)) < 0 ||
	    auth_hex_decode(pkhex, r->server_pk, sizeof(r->server_pk)) < 0)
		return -1;
	if (store_meta_get(s, remote_key(r, "server_cacert", key, sizeof(key)), r->cacert, sizeof(r->cacert)) < 0)
		r->cacert[0] = '\0';
	if (store_meta_get(s, remote_key(r, STORE_CLOCK_OFFSET, key, sizeof(key)), off, sizeof(off)) == 0)
		r->offset_ms = strtoll(off, NULL, 10);
	return 0;
}

int remote_open(struct remote *r, struct store *s, int verbose, char *err, size_t errlen)
{
	if (open_prefixed(r, s, verbose, "") < 0)
		return errf(err, errlen, "%s", _("this device is not enrolled: run sondeo enrol URL CODE"));
	return net_init(err, errlen);
}

int remote_open_hq(struct remote *r, struct store *s, int verbose)
{
	struct remote home;

	if (open_prefixed(r, s, verbose, "hq_") < 0)
		return 0;
	/* Headquarters' certificate is checked as the home server's is. */
	if (open_prefixed(&home, s, 0, "") == 0)
		strlcpy_s(r->cacert, home.cacert, sizeof(r->cacert));
	return 1;
}

void remote_close(struct remote *r)
{
	net_conn_free(r->conn);
	r->conn = NULL;
}

static int is_clock_skew(const struct net_response *rs)
{
	json_t *j;
	const char *e;
	int skew;

	/* Only a 401 can say so: a pull's megabytes are not parsed for it. */
	if (rs->status != 401 || !rs->time[0])
		return 0;
	j = json_loadb(rs->body.data, rs->body.len, 0, NULL);
	e = json_string_value(json_object_get(j, "error"));
	skew = e && !strcmp(e, "clock_skew");
	json_decref(j);
	return skew;
}

static enum net_status send_signed(struct remote *r, const struct keys *k, const char *method, const char *path,
				   const void *body, size_t body_len, const char *content_type,
				   char nonce[AUTH_NONCE_HEXLEN + 1], struct net_response *rs, char *err, size_t errlen)
{
	struct signed_peer p = { r->url, r->cacert, r->offset_ms, 0, r->verbose, NULL };

	/* One connection for all of a remote's requests; without one (out of memory) each has its own. */
	if (!r->conn)
		r->conn = net_conn_new();
	p.conn = r->conn;

	return signed_send(&p, k, method, path, body, body_len, content_type, nonce, rs, err, errlen);
}

/* How long to wait before retry number n (from 1): REMOTE_BACKOFF_MS doubled n - 1 times, times a random factor
 * from 0.5 to 1.5, so that devices cut off together (an office's link, a server restarting) do not all come
 * back in the same second; at least what the server asked for (Retry-After). */
static unsigned backoff_ms(int n, long retry_after_s)
{
	uint64_t ms = (uint64_t)REMOTE_BACKOFF_MS << (n - 1);

	ms = ms / 2 + randombytes_uniform((uint32_t)ms + 1);
	if ((uint64_t)retry_after_s * 1000 > ms)
		ms = (uint64_t)retry_after_s * 1000;
	return (unsigned)(ms > REMOTE_WAIT_MAX_MS ? REMOTE_WAIT_MAX_MS : ms);
}

/* 1 if the exchange is worth trying again: the connection was cut (or reset, as a server at its limit for
 * one address does), or the server said it is busy (503), which passes. */
static int retry_worth(enum net_status st, const struct net_response *rs)
{
	return st == NET_CUT || (st == NET_OK && rs->status == 503);
}

void remote_clock_save(struct remote *r)
{
	char off[32], e2[256], key[64];

	if (!r->clock_pending)
		return;
	r->clock_pending = 0;
	snprintf(off, sizeof(off), "%lld", r->offset_ms);
	/* The home server's word also corrects the clock this device stamps its ops with. */
	if (store_begin(r->s, e2, sizeof(e2)) == 0 &&
	    ((*r->prefix ? store_meta_set(r->s, remote_key(r, STORE_CLOCK_OFFSET, key, sizeof(key)), off, e2, sizeof(e2))
			 : store_clock_correct(r->s, r->offset_ms, e2, sizeof(e2))) < 0 ||
	     store_commit(r->s, e2, sizeof(e2)) < 0))
		store_rollback(r->s);
}

enum net_status remote_call(struct remote *r, const char *method, const char *path, const void *body,
			    size_t body_len, const char *content_type, int want_signed, struct net_response *rs,
			    char *err, size_t errlen)
{
	const struct keys *k = store_keys(r->s, err, errlen);
	char nonce[AUTH_NONCE_HEXLEN + 1];
	enum net_status st;
	int tries;

	if (!k)
		return NET_FAILED;
	st = send_signed(r, k, method, path, body, body_len, content_type, nonce, rs, err, errlen);
	/* A link that drops mid-transfer often comes back, and a busy server frees up: try again, waiting longer
	 * each time. Every request here can be repeated safely (an upload the server took is answered as held),
	 * and each try is signed afresh. */
	for (tries = 1; retry_worth(st, rs) && tries < REMOTE_TRIES; tries++) {
		unsigned ms = backoff_ms(tries, st == NET_OK ? rs->retry_after_s : 0);
		struct timespec wait = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

		if (r->verbose) {
			char secs[32];

			i18n_number(ms / 1000.0, 1, secs, sizeof(secs));
			fputs("> ", stderr);
			if (st == NET_OK)
				/* TRANSLATORS: %s is a number of seconds ("1.5"). */
				fprintf(stderr, _("the server is busy (503); trying again in %s s\n"), secs);
			else
				/* TRANSLATORS: why the connection was cut, then a number of seconds ("1.5"). */
				fprintf(stderr, _("the connection was cut (%s); trying again in %s s\n"), err, secs);
		}
		while (nanosleep(&wait, &wait) < 0)
			;
		buf_release(&rs->body);
		st = send_signed(r, k, method, path, body, body_len, content_type, nonce, rs, err, errlen);
	}
	if (st == NET_CUT)
		st = NET_UNREACHABLE;
	if (st == NET_OK && is_clock_skew(rs)) {
		/* This device's clock is wrong: adopt the server's time, remember the offset, try once more. */
		uint64_t server_time;

		if (auth_time_parse(rs->time, &server_time) == 0) {
			r->offset_ms = (long long)server_time - (long long)now_ms();
			r->clock_pending = 1;
			if (!r->detached)
				remote_clock_save(r);
			if (r->verbose) {
				fputs("> ", stderr);
				fprintf(stderr, _("the device's clock is %lld s off the server's: corrected\n"),
					r->offset_ms / 1000);
			}
			buf_release(&rs->body);
			st = send_signed(r, k, method, path, body, body_len, content_type, nonce, rs, err, errlen);
		}
	}
	if (st == NET_OK && rs->status == 200 && want_signed &&
	    (want_signed == REMOTE_SIGNED || rs->signature[0]) &&
	    auth_verify_response(r->server_pk, nonce, rs->body.data, rs->body.len, rs->signature) < 0) {
		errf(err, errlen, _("the answer from %s is not signed by the server this device enrolled with"), r->url);
		return NET_FAILED;
	}
	return st;
}

int remote_forms_read(const char *body, size_t len, struct remote_forms *out, char *err, size_t errlen)
{
	json_t *up;
	const char *url, *key, *tag;
	unsigned char pk[KEYS_PK_BYTES];

	memset(out, 0, sizeof(*out));
	out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	out->forms = json_object_get(out->root, "forms");
	if (!json_is_array(out->forms)) {
		remote_forms_release(out);
		return errf(err, errlen, "%s", _("the server's list of forms is not valid"));
	}
	tag = json_string_value(json_object_get(out->root, "tag"));
	if (tag && strlen(tag) == PULL_FORMS_TAG_LEN && strspn(tag, "0123456789abcdef") == PULL_FORMS_TAG_LEN)
		out->tag = tag;
	if (!(up = json_object_get(out->root, "upstream")))
		return 0;
	url = json_string_value(json_object_get(up, "url"));
	key = json_string_value(json_object_get(up, "key"));
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) >= 1024 || !key ||
	    auth_hex_decode(key, pk, sizeof(pk)) < 0) {
		out->up_bad = 1;
		return 0;
	}
	out->up_url = url;
	out->up_key = key;
	return 0;
}

void remote_forms_release(struct remote_forms *rf)
{
	json_decref(rf->root);
	memset(rf, 0, sizeof(*rf));
}

/* Installs every form of a signed /v1/forms answer, in one transaction, with their tag (under tag_key: the next
 * sync fetches them again only when a pull brings another) and headquarters' address and key when the device's
 * own server (home) names them. Returns how many, or -1. */
static int install_forms(struct store *s, const struct net_response *rs, int home, const char *tag_key, char *err,
			 size_t errlen)
{
	struct remote_forms rf;
	size_t i;
	int n = -1;

	if (remote_forms_read(rs->body.data, rs->body.len, &rf, err, errlen) < 0)
		return -1;
	if (store_begin(s, err, errlen) < 0)
		goto out;
	for (i = 0; i < json_array_size(rf.forms); i++) {
		char *def = json_dumps(json_array_get(rf.forms, i), JSON_COMPACT);
		int r = def ? store_form_put(s, def, strlen(def), err, errlen) : -1;

		free(def);
		if (r < 0) {
			store_rollback(s);
			goto out;
		}
	}
	/* Headquarters is the regional server's word only when it is the device's own server. */
	if (home && rf.up_bad) {
		errf(err, errlen, "%s", _("the server's word on headquarters is not valid"));
		store_rollback(s);
		goto out;
	}
	if ((home && rf.up_url && (store_meta_set(s, "hq_server_url", rf.up_url, err, errlen) < 0 ||
				   store_meta_set(s, "hq_server_key", rf.up_key, err, errlen) < 0)) ||
	    (rf.tag && store_meta_set(s, tag_key, rf.tag, err, errlen) < 0) || store_commit(s, err, errlen) < 0) {
		store_rollback(s);
		goto out;
	}
	n = (int)json_array_size(rf.forms);
out:
	remote_forms_release(&rf);
	return n;
}

int remote_forms(struct remote *r, enum net_status *st, char *err, size_t errlen)
{
	struct net_response rs = { 0, BUF_INIT(1), "", "", 0 };
	char key[64];
	int n = -1;

	remote_key(r, "forms_tag", key, sizeof(key));
	*st = remote_call(r, "GET", "/v1/forms", NULL, 0, NULL, 1, &rs, err, errlen);
	if (*st == NET_OK) {
		if (rs.status == 200)
			n = install_forms(r->s, &rs, r->prefix[0] == '\0', key, err, errlen);
		else
			net_error_text(&rs, err, errlen);
	}
	buf_release(&rs.body);
	return n;
}
