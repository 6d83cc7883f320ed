/* signed.c - a signed request to a server. */
#include "signed.h"

#include <stdio.h>
#include <string.h>

#include "util.h"
#include "banned.h"

enum net_status signed_send(const struct signed_peer *p, const struct keys *k, const char *method, const char *path,
			    const void *body, size_t body_len, const char *content_type,
			    char nonce[AUTH_NONCE_HEXLEN + 1], struct net_response *rs, char *err, size_t errlen)
{
	char url[2048], h_dev[64], h_time[64], h_nonce[64], h_hash[96], h_sig[160], sig[AUTH_SIG_HEXLEN + 1];
	char id[KEYS_ID_STRLEN + 1], hash[AUTH_HASH_HEXLEN + 1];
	struct net_request rq;
	uint64_t t = (uint64_t)((long long)now_ms() + p->offset_ms);
	int w;

	auth_new_nonce(nonce);
	if (body_len && !body) {
		errf(err, errlen, "no body bytes given for a body of %zu bytes", body_len);
		return NET_FAILED;
	}
	auth_body_hash(body, body_len, hash);
	if (auth_sign_request_hash(k, method, path, hash, t, nonce, sig, err, errlen) < 0)
		return NET_FAILED;
	w = snprintf(url, sizeof(url), "%s%s", p->url, path);
	if (w < 0 || (size_t)w >= sizeof(url)) {
		errf(err, errlen, "the address %s%s is too long", p->url, path);
		return NET_FAILED;
	}
	keys_id(keys_public(k), id);
	snprintf(h_dev, sizeof(h_dev), "Sondeo-Device: %s", id);
	snprintf(h_time, sizeof(h_time), "Sondeo-Time: %llu", (unsigned long long)t);
	snprintf(h_nonce, sizeof(h_nonce), "Sondeo-Nonce: %s", nonce);
	/* The server checks the signature from the headers alone, before it reads the body. */
	snprintf(h_hash, sizeof(h_hash), "Sondeo-Body-Hash: %s", hash);
	snprintf(h_sig, sizeof(h_sig), "Sondeo-Signature: %s", sig);
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.url = url;
	rq.body = body;
	rq.body_len = body_len;
	rq.content_type = content_type;
	rq.headers[0] = h_dev;
	rq.headers[1] = h_time;
	rq.headers[2] = h_nonce;
	rq.headers[3] = h_hash;
	rq.headers[4] = h_sig;
	rq.cacert = p->cacert && p->cacert[0] ? p->cacert : NULL;
	rq.timeout_s = p->timeout_s;
	rq.verbose = p->verbose;
	rq.conn = p->conn;
	return net_send(&rq, rs, err, errlen);
}
