/* api-logout.c - POST /v1/logout: ends the request's session and clears its cookie (docs/review-api.md). */
#include <stdio.h>

#include <sodium.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-users.h"
#include "banned.h"

void api_logout(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char token[SSTORE_TOKEN_HEXLEN + 1], err[512], cookie[160];
	const char *lang;
	int r;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 1, &sess, token) < 0)
		return;
	/* The store's errors are for the log alone: in its language. */
	lang = http_lang_server();
	if ((r = sstore_session_end(s, token, err, sizeof(err))) < 0)
		/* TRANSLATORS: a line of the server's log: a logout failed for a reason of the server's, given after. */
		http_log(N_("logout: %s"), err);
	else if (sstore_audit(s, sess.user, rq->ip, "logout", sess.user, "{}", err, sizeof(err)) < 0)
		http_log(N_("logout of %s: cannot write the audit log: %s"), sess.user, err);
	i18n_set(lang);
	if (r < 0) {
		http_reply_error(rs, 503, "unavailable", _("the server cannot end the session now"));
		goto out;
	}
	snprintf(cookie, sizeof(cookie), "sondeo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
		 srv_tls(rq) ? "; Secure" : "");
	http_add_header(rs, "Set-Cookie", cookie);
	http_reply_json(rs, 200, json_object());
out:
	sodium_memzero(token, sizeof(token));
}
