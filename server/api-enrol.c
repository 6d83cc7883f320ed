/* api-enrol.c - POST /v1/enrol: a device enrols with a one-time code (PROTOCOL.md, "Enrolment").
 *
 * The request names the code by its first five characters and proves it knows the whole code with a MAC;
 * the answer carries the server's key under a MAC with the same code, so a device enrolling over plain HTTP
 * pins the right key or none. */
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-relay.h"
#include "banned.h"

struct enrol_check {
	const unsigned char *pk;
	const char *name, *nonce;
	unsigned char mac[AUTH_MAC_BYTES];
	unsigned char key[AUTH_KEY_BYTES];   /* kept to MAC the answer; wiped before returning */
};

static int check_mac(void *ctx, const unsigned char key[32])
{
	struct enrol_check *c = ctx;
	struct buf text = BUF_INIT(4096);
	int r = -1;

	if (auth_enrol_request_text(&text, c->pk, c->name, c->nonce, NULL, 0) == 0 &&
	    auth_enrol_mac_verify(key, text.data, text.len, c->mac) == 0) {
		memcpy(c->key, key, AUTH_KEY_BYTES);
		r = 0;
	}
	buf_release(&text);
	return r;
}

static const char *member(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

void api_enrol(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct enrol_check c;
	struct sstore_device d;
	unsigned char pk[KEYS_PK_BYTES], mac[AUTH_MAC_BYTES];
	char err[512], pkhex[2 * KEYS_PK_BYTES + 1], machex[2 * AUTH_MAC_BYTES + 1];
	struct buf text = BUF_INIT(4096);
	const char *code, *pkh, *name, *nonce, *mach;
	json_t *relay;
	json_error_t je;
	json_t *body;

	if (!s)
		return;
	memset(&c, 0, sizeof(c));
	body = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES, &je);
	if (!body || !json_is_object(body)) {
		if (body)
			http_reply_error(rs, 400, "bad_json", _("the body is not a JSON object"));
		else
			/* TRANSLATORS: %s is the JSON parser's own words, in English. */
			http_reply_error(rs, 400, "bad_json", _("the body is not a JSON object: %s"), je.text);
		goto out;
	}
	code = member(body, "code");
	pkh = member(body, "public_key");
	name = member(body, "name");
	nonce = member(body, "nonce");
	mach = member(body, "mac");
	/* A regional server says so: its code must be a relay code (and a device's must not). */
	relay = json_object_get(body, "relay");
	if (!code || strlen(code) != AUTH_CODE_ID_LEN || !pkh || auth_hex_decode(pkh, pk, sizeof(pk)) < 0 ||
	    !name || !nonce || !auth_nonce_valid(nonce) || !mach || auth_hex_decode(mach, c.mac, sizeof(c.mac)) < 0 ||
	    (relay && !json_is_boolean(relay)) || json_object_size(body) != 5u + (relay != NULL)) {
		http_reply_error(rs, 400, "bad_request", _("expected exactly: code (5 characters), public_key (64 hex), "
				 "name, nonce (32 hex), mac (64 hex), and relay (true or false) for a regional server"));
		goto out;
	}
	c.pk = pk;
	c.name = name;
	c.nonce = nonce;
	if ((json_is_true(relay) ? sstore_relay_enrol : sstore_enrol)(s, code, check_mac, &c, pk, name, &d, err,
								      sizeof(err)) < 0) {
		http_reply_error(rs, 403, "enrol_refused", "%s", err);
		goto out;
	}
	if (auth_enrol_answer_text(&text, nonce, keys_public(sstore_keys(s)), d.id, d.region, err, sizeof(err)) < 0) {
		http_reply_error(rs, 500, "internal", "%s", err);
		goto out;
	}
	auth_enrol_mac(c.key, text.data, text.len, mac);
	sodium_bin2hex(pkhex, sizeof(pkhex), keys_public(sstore_keys(s)), KEYS_PK_BYTES);
	sodium_bin2hex(machex, sizeof(machex), mac, sizeof(mac));
	http_reply_json(rs, 200, json_pack("{s:s, s:s, s:s, s:s}", "device", d.id, "region", d.region,
					   "server_key", pkhex, "mac", machex));
out:
	sodium_memzero(&c, sizeof(c));
	buf_release(&text);
	json_decref(body);
}
