/* srv.c - what sondeod's endpoints share: per-thread stores and signed-request checks. */
#include "srv.h"
#include "sstore-review.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "i18n.h"
#include "pull.h"
#include "sstore-relay.h"
#include "util.h"
#include "banned.h"

/* SQLite connections are not shared between threads: each worker opens its own on first use. */
static pthread_key_t store_key;
static pthread_once_t store_once = PTHREAD_ONCE_INIT;

static void close_store(void *p)
{
	sstore_close(p);
}

static void make_key(void)
{
	pthread_key_create(&store_key, close_store);
}

struct sstore *srv_store(struct http_request *rq, struct http_response *rs)
{
	struct srv *srv = rq->app;
	struct sstore *s;
	const char *lang;
	char err[512];

	pthread_once(&store_once, make_key);
	s = pthread_getspecific(store_key);
	if (s)
		return s;
	/* Why it cannot be opened is the log's: in the server's language. */
	lang = http_lang_server();
	s = sstore_open(srv->data_dir, err, sizeof(err));
	if (!s)
		http_log("%s", err);
	i18n_set(lang);
	if (!s) {
		http_reply_error(rs, 503, "unavailable", _("the server cannot open its store"));
		return NULL;
	}
	pthread_setspecific(store_key, s);
	return s;
}

/* The five headers of a signed request. */
struct signed_headers {
	const char *dev, *time, *nonce, *hash, *sig;
};

/* What a signed request's headers allow to check alone: the five headers are there, the device is enrolled
 * here and not revoked, the time is close to when the request arrived, and the signature verifies over the
 * method, path and query, and the body hash the request claims. 0 with d and h filled, or -1 with the error
 * response set in rs. */
static int check_headers(struct http_request *rq, struct http_response *rs, struct sstore *s,
			 struct sstore_device *d, struct signed_headers *h)
{
	char err[512], now_s[24];
	uint64_t t, now = rq->received_ms;
	int found;

	h->dev = http_header(rq, "Sondeo-Device");
	h->time = http_header(rq, "Sondeo-Time");
	h->nonce = http_header(rq, "Sondeo-Nonce");
	h->hash = http_header(rq, "Sondeo-Body-Hash");
	h->sig = http_header(rq, "Sondeo-Signature");
	if (!h->dev || !h->time || !h->nonce || !h->hash || !h->sig) {
		http_reply_error(rs, 401, "unsigned", _("this request must be signed (Sondeo-Device, Sondeo-Time, "
				 "Sondeo-Nonce, Sondeo-Body-Hash, Sondeo-Signature)"));
		return -1;
	}
	found = sstore_device_find(s, h->dev, d, err, sizeof(err));
	if (found < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return -1;
	}
	/* A device this regional server knows only from headquarters' pull has not enrolled here. */
	if (!found || d->upstream) {
		http_reply_error(rs, 401, "unknown_device", _("device %.40s is not enrolled here"), h->dev);
		return -1;
	}
	if (d->revoked_ms) {
		http_reply_error(rs, 403, "revoked", _("device %s has been revoked"), d->id);
		return -1;
	}
	if (auth_time_parse(h->time, &t) < 0 || (t > now ? t - now : now - t) > SRV_MAX_SKEW_MS) {
		/* Kept for the admin only when the device signed it, so nobody else can make its clock look wrong (a
		 * replay of an old refused request only shows an old offset again). */
		if (auth_time_parse(h->time, &t) == 0 &&
		    auth_verify_request_hash(d->pk, rq->method, rq->path_and_query, h->hash, t, h->nonce, h->sig) == 0) {
			const char *lang = http_lang_server();

			if (sstore_device_clock(s, d->id, (long long)t - (long long)now, now, err, sizeof(err)) < 0)
				http_log(N_("cannot keep device %s's clock offset: %s"), d->id, err);
			i18n_set(lang);
		}
		/* The client reads our time from this header, corrects its offset and tries again. */
		snprintf(now_s, sizeof(now_s), "%llu", (unsigned long long)now);
		http_add_header(rs, "Sondeo-Time", now_s);
		http_reply_error(rs, 401, "clock_skew", P_("the request's time is more than %d minute from the server's",
							   "the request's time is more than %d minutes from the server's",
							   SRV_MAX_SKEW_MS / 60000), SRV_MAX_SKEW_MS / 60000);
		return -1;
	}
	if (auth_verify_request_hash(d->pk, rq->method, rq->path_and_query, h->hash, t, h->nonce, h->sig) < 0) {
		http_reply_error(rs, 401, "bad_request_signature", _("the request's signature does not verify"));
		return -1;
	}
	return 0;
}

int srv_check_signed(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_device d;
	struct signed_headers h;
	char err[512];
	int used;

	if (!s || check_headers(rq, rs, s, &d, &h) < 0)
		return -1;
	used = sstore_nonce_used(s, d.id, h.nonce, now_ms(), err, sizeof(err));
	if (used < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return -1;
	}
	if (used) {
		http_reply_error(rs, 401, "replay", _("this request was already received"));
		return -1;
	}
	return 0;
}

int srv_authenticate(struct http_request *rq, struct http_response *rs, struct sstore *s, struct sstore_device *d)
{
	struct signed_headers h;
	char err[512], hash[AUTH_HASH_HEXLEN + 1];
	int fresh;

	/* The headers again, not a result kept from srv_check_signed: a body may take minutes to arrive, and a device
	 * revoked meanwhile must not land its change set. One lookup and one signature check per request. */
	if (check_headers(rq, rs, s, d, &h) < 0)
		return -1;
	auth_body_hash(rq->body.data, rq->body.len, hash);
	if (strcmp(hash, h.hash)) {
		http_reply_error(rs, 401, "bad_body_hash", _("the body is not the one Sondeo-Body-Hash names (altered or cut "
				 "on the way?)"));
		return -1;
	}
	/* Only a request verified whole, body included, may use up a nonce, so nobody can burn another device's
	 * nonces. */
	fresh = sstore_nonce_use(s, d->id, h.nonce, now_ms(), err, sizeof(err));
	if (fresh < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return -1;
	}
	if (!fresh) {
		http_reply_error(rs, 401, "replay", _("this request was already received"));
		return -1;
	}
	return 0;
}

int srv_tls(const struct http_request *rq)
{
	const struct srv *srv = rq->app;

	return srv->tls;
}

struct filter_ctx {
	struct sstore_filter *f;
	char err[512];
	int failed;
};

static int filter_param(void *ctx, const char *key, const char *value)
{
	struct filter_ctx *c = ctx;

	if (sstore_filter_set(c->f, key, value, c->err, sizeof(c->err)) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

int srv_filter(struct http_request *rq, struct http_response *rs, struct sstore *s, struct sstore_filter *f)
{
	struct filter_ctx c;

	memset(f, 0, sizeof(*f));
	memset(&c, 0, sizeof(c));
	c.f = f;
	http_query_each(rq, filter_param, &c);
	if (!c.failed && sstore_filter_resolve(s, f, c.err, sizeof(c.err)) == 0)
		return 0;
	http_reply_error(rs, 400, "bad_filter", "%s", c.err);
	return -1;
}

void srv_store_error(struct http_response *rs, const char *err)
{
	http_reply_error(rs, 503, "unavailable", "%s", err);
}

/* Signs the answer rs holds now: its exact body, bound to the request's nonce. */
static void sign_reply(struct http_request *rq, struct http_response *rs, struct sstore *s)
{
	char err[256], sig[AUTH_SIG_HEXLEN + 1];

	if (auth_sign_response(sstore_keys(s), http_header(rq, "Sondeo-Nonce"), rs->body.data, rs->body.len, sig, err,
			       sizeof(err)) < 0) {
		http_reply_error(rs, 500, "internal", "%s", err);
		return;
	}
	http_add_header(rs, "Sondeo-Signature", sig);
}

void srv_reply_signed(struct http_request *rq, struct http_response *rs, struct sstore *s, json_t *body)
{
	http_reply_json(rs, 200, body);
	sign_reply(rq, rs, s);
}

void srv_reply_signed_text(struct http_request *rq, struct http_response *rs, struct sstore *s, const char *json)
{
	http_reply_text(rs, 200, "application/json", json);
	sign_reply(rq, rs, s);
}

/* Each form as id, version and definition, NUL after each: no form's bytes can pass for another's. */
static void hash_form(void *ctx, const char *id, const char *version, const char *json)
{
	crypto_generichash_state *h = ctx;

	crypto_generichash_update(h, (const unsigned char *)id, strlen(id) + 1);
	crypto_generichash_update(h, (const unsigned char *)version, strlen(version) + 1);
	crypto_generichash_update(h, (const unsigned char *)json, strlen(json) + 1);
}

int srv_forms_tag(struct sstore *s, char out[33], char *err, size_t errlen)
{
	crypto_generichash_state h;
	unsigned char tag[16];
	struct sstore_upstream up;

	crypto_generichash_init(&h, NULL, 0, sizeof(tag));
	if (sstore_form_list(s, hash_form, &h, err, errlen) < 0)
		return -1;
	/* What sets the forms answer apart from the list, the same way. */
	if (sstore_upstream_get(s, &up)) {
		crypto_generichash_update(&h, (const unsigned char *)"upstream", 9);
		crypto_generichash_update(&h, (const unsigned char *)up.url, strlen(up.url) + 1);
		crypto_generichash_update(&h, (const unsigned char *)up.key, strlen(up.key) + 1);
	}
	crypto_generichash_final(&h, tag, sizeof(tag));
	sodium_bin2hex(out, 33, tag, sizeof(tag));
	return 0;
}

/* Who at this server made it: the server's own ops name their reviewer (by). 1 when the page is full. */
static int add_op(void *ctx, const struct op *op, const char *by)
{
	return pull_writer_add(ctx, op, by);
}

int srv_pull_page(struct sstore *s, const struct sstore_device *d, uint64_t after, unsigned limit, int version,
		  struct pull_writer *w, struct http_response *rs)
{
	char err[512], forms[PULL_FORMS_TAG_LEN + 1];
	enum opjson_status st;
	uint64_t next;
	int more;

	pull_writer_init(w, version, limit);
	/* The tag of the forms as they are now: a device fetches them once it sees a tag it does not hold. */
	if ((version == 2 && srv_forms_tag(s, forms, err, sizeof(err)) < 0) ||
	    sstore_pull(s, d->region, d->id, after, limit, add_op, w, &next, &more, err, sizeof(err)) < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return -1;
	}
	st = pull_writer_end(w, next, more, version == 2 ? forms : NULL);
	if (st == OPJSON_OK)
		return 0;
	if (st == OPJSON_BAD)
		/* An op this server holds that a device would refuse: sending it would stop every device of the
		 * region at it, so the pull fails here, where the log shows which op. */
		http_reply_error(rs, 500, "internal", _("an op held here breaks the protocol: %s"), w->err);
	else
		http_reply_error(rs, 503, "unavailable", "%s", w->err);
	return -1;
}
