/* api-logout.c - POST /v1/logout: ends the request's session and clears its cookie (docs/review-api.md). */
#include <stdio.h>

#include <sodium.h>

#include "srv.h"
#include "sstore-users.h"
#include "banned.h"

void api_logout(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char token[SSTORE_TOKEN_HEXLEN + 1], err[512], cookie[160];

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 1, &sess, token) < 0)
		return;
	if (sstore_session_end(s, token, err, sizeof(err)) < 0) {
		fprintf(stderr, "sondeod: logout: %s\n", err);
		http_reply_error(rs, 503, "unavailable", "the server cannot end the session now");
		goto out;
	}
	if (sstore_audit(s, sess.user, rq->ip, "logout", sess.user, "", err, sizeof(err)) < 0)
		fprintf(stderr, "sondeod: logout of %s: cannot write the audit log: %s\n", sess.user, err);
	snprintf(cookie, sizeof(cookie), "sondeo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
		 srv_tls(rq) ? "; Secure" : "");
	http_add_header(rs, "Set-Cookie", cookie);
	http_reply_json(rs, 200, json_object());
out:
	sodium_memzero(token, sizeof(token));
}
