/* vouch.c - a test tool: a regional server's POST /v1/vouch, exactly as it is made or with its statement
 * altered, so that the end-to-end tests can check headquarters' answers (docs/relay-design.md).
 *
 *   vouch URL RELAY_KEYFILE enrol|revoke DEVICE_PUBFILE NAME REGION [--flip]
 *     --flip   change the statement's region after signing it (headquarters must refuse the signature)
 * The statement and the request are signed with RELAY_KEYFILE, the regional server's secret key. Uses the
 * project's own network layer (common/net.c). Prints the HTTP status on the first line and the body after it;
 * exits 0 if an answer came, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "net.h"
#include "signed.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct buf text = BUF_INIT(4096);
	struct net_response rs = { 0, BUF_INIT(1), "", "", 0 };
	struct net_request rq;
	unsigned char pk[KEYS_PK_BYTES], sig[KEYS_SIG_BYTES];
	char err[512], url[2048], pkhex[2 * KEYS_PK_BYTES + 1], sighex[2 * KEYS_SIG_BYTES + 1];
	char nonce[AUTH_NONCE_HEXLEN + 1], h[SIGNED_HEADERS][SIGNED_HEADER_MAX], hash[AUTH_HASH_HEXLEN + 1];
	enum auth_vouch action;
	struct keys *k;
	uint64_t t = now_ms();
	json_t *body;
	char *b;

	if (argc < 7 || argc > 8 || (argc == 8 && strcmp(argv[7], "--flip")) ||
	    (strcmp(argv[3], "enrol") && strcmp(argv[3], "revoke"))) {
		fputs("usage: vouch URL RELAY_KEYFILE enrol|revoke DEVICE_PUBFILE NAME REGION [--flip]\n", stderr);
		return 2;
	}
	if (sodium_init() < 0 || net_init(err, sizeof(err)) < 0 || !(k = keys_load(argv[2], err, sizeof(err))) ||
	    keys_load_public(argv[4], pk, err, sizeof(err)) < 0) {
		fprintf(stderr, "vouch: %s\n", err);
		return 1;
	}
	action = strcmp(argv[3], "revoke") ? AUTH_VOUCH_ENROL : AUTH_VOUCH_REVOKE;
	if (auth_vouch_text(&text, action, pk, argv[5], argv[6], t, err, sizeof(err)) < 0) {
		fprintf(stderr, "vouch: %s\n", err);
		return 1;
	}
	keys_sign(k, text.data, text.len, sig);
	hex_encode(pkhex, pk, sizeof(pk));
	hex_encode(sighex, sig, sizeof(sig));
	body = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "action", argv[3], "public_key", pkhex, "name", argv[5],
			 "region", argc == 8 ? "elsewhere" : argv[6], "time", (json_int_t)t, "signature", sighex);
	b = json_dumps(body, JSON_COMPACT);
	auth_new_nonce(nonce);
	if (b)
		auth_body_hash(b, strlen(b), hash);
	if (!b || signed_headers(k, "POST", "/v1/vouch", hash, t, nonce, h, err, sizeof(err)) < 0) {
		fprintf(stderr, "vouch: %s\n", err);
		return 1;
	}
	snprintf(url, sizeof(url), "%s/v1/vouch", argv[1]);
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = url;
	rq.body = b;
	rq.body_len = strlen(b);
	rq.content_type = "application/json";
	rq.headers[0] = h[0];
	rq.headers[1] = h[1];
	rq.headers[2] = h[2];
	rq.headers[3] = h[3];
	rq.headers[4] = h[4];
	if (net_send(&rq, &rs, err, sizeof(err)) != NET_OK) {
		fprintf(stderr, "vouch: %s\n", err);
		return 1;
	}
	printf("%ld\n%.*s\n", rs.status, (int)rs.body.len, rs.body.data);
	buf_release(&rs.body);
	buf_release(&text);
	json_decref(body);
	free(b);
	keys_free(k);
	return 0;
}
