/* enrol.c - the enrolling side of POST /v1/enrol: one exchange, checked before anything is kept. */
#include "enrol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

int enrol_answer_read(const char *body, size_t len, const unsigned char key[AUTH_KEY_BYTES], const char *nonce,
		      const struct keys *k, struct enrol_result *out, char *err, size_t errlen)
{
	json_t *answer = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *dev = json_string_value(json_object_get(answer, "device"));
	const char *region = json_string_value(json_object_get(answer, "region"));
	const char *spk = json_string_value(json_object_get(answer, "server_key"));
	const char *smac = json_string_value(json_object_get(answer, "mac"));
	struct buf text = BUF_INIT(4096);
	unsigned char mac[AUTH_MAC_BYTES];
	int r = -1;

	memset(out, 0, sizeof(*out));
	/* The answer counts only if its MAC, under the same code, covers our nonce and the server's key. */
	if (!dev || !region || !spk || !smac || strlen(dev) != KEYS_ID_STRLEN || strlen(region) > AUTH_NAME_MAX ||
	    auth_hex_decode(spk, out->server_pk, sizeof(out->server_pk)) < 0 ||
	    auth_hex_decode(smac, mac, sizeof(mac)) < 0 ||
	    auth_enrol_answer_text(&text, nonce, out->server_pk, dev, region, NULL, 0) < 0 ||
	    auth_enrol_mac_verify(key, text.data, text.len, mac) < 0) {
		errf(err, errlen, _("the answer does not prove the server made this code"));
		goto out;
	}
	keys_id(keys_public(k), out->device);
	if (strcmp(dev, out->device)) {
		errf(err, errlen, _("the server enrolled another device (%s)"), dev);
		r = -2;
		goto out;
	}
	strlcpy_s(out->region, region, sizeof(out->region));
	strlcpy_s(out->server_key, spk, sizeof(out->server_key));
	r = 0;
out:
	json_decref(answer);
	buf_release(&text);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int enrol_exchange(const char *url, const char *code, const struct keys *k, const char *name, int relay,
		   const char *cacert, int verbose, struct enrol_result *out, enum net_status *st, char *err,
		   size_t errlen)
{
	char raw[AUTH_CODE_LEN + 1], code_id[AUTH_CODE_ID_LEN + 1], nonce[AUTH_NONCE_HEXLEN + 1];
	char pkhex[2 * KEYS_PK_BYTES + 1], machex[2 * AUTH_MAC_BYTES + 1], target[1200], msg[600];
	unsigned char key[AUTH_KEY_BYTES], mac[AUTH_MAC_BYTES];
	struct net_response rs = { 0, BUF_INIT(1), "", "", 0 };
	struct buf text = BUF_INIT(4096);
	struct net_request rq;
	json_t *req = NULL;
	char *body = NULL;
	int r = -1;

	memset(out, 0, sizeof(*out));
	*st = NET_FAILED;
	if (auth_code_normalize(code, raw, msg, sizeof(msg)) < 0) {
		errf(err, errlen, _("the enrolment code: %s"), msg);
		goto out;
	}
	/* The code's id goes in the clear; the whole code only as the key of the MACs. */
	auth_code_id(raw, code_id);
	auth_code_key(raw, key);
	auth_new_nonce(nonce);
	if (auth_enrol_request_text(&text, keys_public(k), name, nonce, err, errlen) < 0)
		goto out;
	auth_enrol_mac(key, text.data, text.len, mac);
	sodium_bin2hex(pkhex, sizeof(pkhex), keys_public(k), KEYS_PK_BYTES);
	sodium_bin2hex(machex, sizeof(machex), mac, sizeof(mac));
	req = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", code_id, "public_key", pkhex, "name", name, "nonce", nonce,
			"mac", machex);
	if (relay)
		json_object_set_new(req, "relay", json_true());
	if (!req || !(body = json_dumps(req, JSON_COMPACT))) {
		errf(err, errlen, _("out of memory"));
		goto out;
	}
	snprintf(target, sizeof(target), "%s/v1/enrol", url);
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = target;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.content_type = "application/json";
	rq.cacert = cacert;
	rq.verbose = verbose;
	if ((*st = net_send(&rq, &rs, err, errlen)) != NET_OK)
		goto out;
	if (rs.status != 200) {
		net_error_text(&rs, msg, sizeof(msg));
		errf(err, errlen, _("enrolment refused: %s"), msg);
		goto out;
	}
	if ((r = enrol_answer_read(rs.body.data, rs.body.len, key, nonce, k, out, msg, sizeof(msg))) < 0) {
		if (r == -1)
			errf(err, errlen, _("the answer from %s does not prove it made this code"), url);
		else
			errf(err, errlen, "%s", msg);
		r = -1;
		goto out;
	}
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(raw, sizeof(raw));
	json_decref(req);
	free(body);
	buf_release(&text);
	buf_release(&rs.body);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}
