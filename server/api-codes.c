/* api-codes.c - POST /v1/codes {region, uses, expires}: a new enrolment code for a region (admin;
 * docs/review-api.md). The page shows it as text and as a QR code. */
#include <string.h>

#include "auth.h"
#include "srv.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

#define MAX_USES 100000
#define MAX_EXPIRY_MS (365ULL * 24 * 3600 * 1000)

void api_codes(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	char err[512], code[AUTH_CODE_SHOWN_LEN + 1], detail[128];
	struct sstore_session sess;
	const char *region, *expires;
	json_int_t uses = 1;
	uint64_t ttl;
	json_t *body;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0 || !(body = srv_json_body(rq, rs)))
		return;
	region = json_string_value(json_object_get(body, "region"));
	expires = json_object_get(body, "expires") ? json_string_value(json_object_get(body, "expires")) : "7d";
	if (json_object_get(body, "uses"))
		uses = json_is_integer(json_object_get(body, "uses")) ? json_integer_value(json_object_get(body, "uses")) : 0;
	if (!region || !expires) {
		http_reply_error(rs, 400, "bad_request", "give region and expires (\"30m\", \"12h\", \"7d\") as strings");
	} else if (uses < 1 || uses > MAX_USES) {
		http_reply_error(rs, 400, "bad_request", "uses is a whole number from 1 to %d", MAX_USES);
	} else if (!(ttl = duration_ms(expires, MAX_EXPIRY_MS))) {
		http_reply_error(rs, 400, "bad_request", "expires '%.20s' is not a duration from 1m to 365d (30m, 12h, 7d)",
				 expires);
	} else if (sstore_region_check(region, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, "bad_request", "%s", err);
	} else if (sstore_code_new(s, region, (unsigned)uses, now_ms() + ttl, code, sizeof(code), err, sizeof(err)) < 0) {
		/* The request was checked above: what is left is the store's. */
		http_reply_error(rs, 503, "unavailable", "%s", err);
	} else {
		snprintf(detail, sizeof(detail), "region %s, %lld uses, expires in %s", region, (long long)uses, expires);
		sstore_audit(s, sess.user, rq->ip, "code", region, detail, NULL, 0);
		http_reply_json(rs, 201, json_pack("{s:s, s:s, s:I, s:I}", "code", code, "region", region, "uses", uses,
						   "expires", (json_int_t)(now_ms() + ttl)));
		sodium_memzero(code, sizeof(code));
	}
	json_decref(body);
}
