/* signed.c - a signed request to a server. */
#include "signed.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

int signed_headers(const struct keys *k, const char *method, const char *path, const char *hash, uint64_t t,
		   const char *nonce, char h[SIGNED_HEADERS][SIGNED_HEADER_MAX], char *err, size_t errlen)
{
	char id[KEYS_ID_STRLEN + 1], sig[AUTH_SIG_HEXLEN + 1];

	if (auth_sign_request_hash(k, method, path, hash, t, nonce, sig, err, errlen) < 0)
		return -1;
	keys_id(keys_public(k), id);
	snprintf(h[0], SIGNED_HEADER_MAX, "Sondeo-Device: %s", id);
	snprintf(h[1], SIGNED_HEADER_MAX, "Sondeo-Time: %llu", (unsigned long long)t);
	snprintf(h[2], SIGNED_HEADER_MAX, "Sondeo-Nonce: %s", nonce);
	snprintf(h[3], SIGNED_HEADER_MAX, "Sondeo-Signature: %s", sig);
	/* The server checks the signature from the headers alone, before it reads the body. */
	snprintf(h[4], SIGNED_HEADER_MAX, "Sondeo-Body-Hash: %s", hash);
	return 0;
}

enum net_status signed_send(const struct signed_peer *p, const struct keys *k, const char *method, const char *path,
			    const void *body, size_t body_len, const char *content_type,
			    char nonce[AUTH_NONCE_HEXLEN + 1], struct net_response *rs, char *err, size_t errlen)
{
	char url[2048], h[SIGNED_HEADERS][SIGNED_HEADER_MAX], hash[AUTH_HASH_HEXLEN + 1];
	struct net_request rq;
	uint64_t t = (uint64_t)((long long)now_ms() + p->offset_ms);
	int w, i;

	auth_new_nonce(nonce);
	if (body_len && !body) {
		errf(err, errlen, _("no body bytes given for a body of %zu bytes"), body_len);
		return NET_FAILED;
	}
	auth_body_hash(body, body_len, hash);
	if (signed_headers(k, method, path, hash, t, nonce, h, err, errlen) < 0)
		return NET_FAILED;
	w = snprintf(url, sizeof(url), "%s%s", p->url, path);
	if (w < 0 || (size_t)w >= sizeof(url)) {
		errf(err, errlen, _("the address %s%s is too long"), p->url, path);
		return NET_FAILED;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.url = url;
	rq.body = body;
	rq.body_len = body_len;
	rq.content_type = content_type;
	for (i = 0; i < SIGNED_HEADERS; i++)
		rq.headers[i] = h[i];
	rq.cacert = p->cacert && p->cacert[0] ? p->cacert : NULL;
	rq.timeout_s = p->timeout_s;
	rq.verbose = p->verbose;
	rq.conn = p->conn;
	return net_send(&rq, rs, err, errlen);
}
