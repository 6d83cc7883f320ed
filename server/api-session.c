/* api-session.c - GET /v1/session: who the page's session is, with its CSRF token, so that a reloaded page
 * carries on without logging in again (docs/review-api.md). */
#include "srv.h"
#include "sstore-users.h"
#include "banned.h"

void api_session(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 1, &sess, NULL) < 0)
		return;
	http_add_header(rs, "Cache-Control", "no-store");
	http_reply_json(rs, 200, json_pack("{s:s, s:s, s:s, s:b}", "user", sess.user, "role", sess.role, "csrf",
					   sess.csrf, "must_change", sess.must_change));
}
