/* api-codes.c - POST /v1/codes {region, uses, expires}: a new enrolment code for a region (admin;
 * docs/review-api.md). The page shows it as text and as a QR code. */
#include <string.h>

#include "auth.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

int srv_code_read(json_t *body, struct srv_code_req *r, const char **code, char *err, size_t errlen)
{
	json_t *uses = json_object_get(body, "uses");

	r->region = json_string_value(json_object_get(body, "region"));
	r->expires = json_object_get(body, "expires") ? json_string_value(json_object_get(body, "expires")) : "7d";
	r->uses = !uses ? 1 : json_is_integer(uses) ? json_integer_value(uses) : 0;
	r->ttl_ms = 0;
	*code = "bad_request";
	if (!r->region || !r->expires)
		return errf(err, errlen, _("give region and expires (\"30m\", \"12h\", \"7d\") as strings"));
	if (r->uses < 1 || r->uses > SRV_CODE_MAX_USES)
		return errf(err, errlen, _("uses is a whole number from 1 to %d"), SRV_CODE_MAX_USES);
	if (!(r->ttl_ms = duration_ms(r->expires, SRV_CODE_MAX_EXPIRY_MS)))
		return errf(err, errlen, _("expires '%.20s' is not a duration from 1m to 365d (30m, 12h, 7d)"), r->expires);
	return sstore_region_check(r->region, err, errlen);
}

void api_codes(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	char err[512], code[AUTH_CODE_SHOWN_LEN + 1];
	struct sstore_session sess;
	struct srv_code_req r;
	const char *ecode;
	uint64_t at;
	json_t *body, *detail;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0 || !(body = http_json_body(rq, rs)))
		return;
	if (srv_code_read(body, &r, &ecode, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, ecode, "%s", err);
		goto out;
	}
	/* One moment for the code, the answer and the log. */
	at = now_ms() + r.ttl_ms;
	if (sstore_code_new(s, r.region, (unsigned)r.uses, at, code, sizeof(code), err, sizeof(err)) < 0) {
		/* The request was checked above: what is left is the store's. */
		http_reply_error(rs, 503, "unavailable", "%s", err);
	} else {
		/* The code itself stays out of the log: it is a secret until used. */
		detail = json_pack("{s:s, s:I, s:I, s:b}", "region", r.region, "uses", (json_int_t)r.uses, "expires",
				   (json_int_t)at, "relay", 0);
		sstore_audit_json(s, sess.user, rq->ip, "code", r.region, detail, NULL, 0);
		http_reply_json(rs, 201, json_pack("{s:s, s:s, s:I, s:I}", "code", code, "region", r.region, "uses",
						   (json_int_t)r.uses, "expires", (json_int_t)at));
		sodium_memzero(code, sizeof(code));
	}
out:
	json_decref(body);
}
