/* api-vouch.c - POST /v1/vouch: a regional server speaks for a device of its region, enrolling or revoking its
 * key at headquarters with a statement signed by its own key (docs/relay-design.md, "Vouching"). The request is
 * signed by the regional server, as a device's are; identity comes only from the keys. */
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-relay.h"
#include "util.h"
#include "banned.h"

int srv_vouch_read(json_t *body, struct srv_vouch_req *r, struct buf *text, char *err, size_t errlen)
{
	const char *action = json_string_value(json_object_get(body, "action"));
	const char *pkh = json_string_value(json_object_get(body, "public_key"));
	const char *sigh = json_string_value(json_object_get(body, "signature"));
	json_t *t = json_object_get(body, "time");

	r->name = json_string_value(json_object_get(body, "name"));
	r->region = json_string_value(json_object_get(body, "region"));
	if (!action || (strcmp(action, "enrol") && strcmp(action, "revoke")) || !pkh ||
	    auth_hex_decode(pkh, r->pk, sizeof(r->pk)) < 0 || !r->name || !r->region || !json_is_integer(t) ||
	    json_integer_value(t) < 0 || !sigh || auth_hex_decode(sigh, r->sig, sizeof(r->sig)) < 0 ||
	    json_object_size(body) != 6)
		return errf(err, errlen, _("expected exactly: action (enrol or revoke), public_key (64 hex), name, region,"
			    " time (ms), signature (128 hex)"));
	r->action = strcmp(action, "revoke") ? AUTH_VOUCH_ENROL : AUTH_VOUCH_REVOKE;
	r->time_ms = (uint64_t)json_integer_value(t);
	return auth_vouch_text(text, r->action, r->pk, r->name, r->region, r->time_ms, err, errlen);
}

void api_vouch(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_device relay, d;
	struct buf text = BUF_INIT(4096);
	struct srv_vouch_req v;
	char err[512];
	json_t *body = NULL;
	int r;

	if (!s || srv_authenticate(rq, rs, s, &relay) < 0 || !(body = http_json_body(rq, rs)))
		goto out;
	if (!relay.relay) {
		http_reply_error(rs, 403, "not_a_relay", _("device %s is not a regional server: it cannot vouch"), relay.id);
		goto out;
	}
	if (srv_vouch_read(body, &v, &text, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	/* The statement is the regional server's own word, checked against the key that signed the request. */
	if (keys_verify(relay.pk, text.data, text.len, v.sig) < 0) {
		http_reply_error(rs, 400, "bad_signature", _("the statement's signature does not verify with the key of"
				 " regional server %s"), relay.id);
		goto out;
	}
	r = sstore_vouch(s, &relay, v.action, v.pk, v.name, v.region, &d, err, sizeof(err));
	if (r < 0)
		srv_store_error(rs, err);
	else if (r > 0)
		http_reply_error(rs, 403, "vouch_refused", "%s", err);
	else
		http_reply_json(rs, 200, json_pack("{s:s, s:s, s:b}", "device", d.id, "region", d.region, "revoked",
						   d.revoked_ms != 0));
out:
	buf_release(&text);
	json_decref(body);
}
