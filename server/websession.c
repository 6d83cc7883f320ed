/* websession.c - the review page's sessions on each request: the sondeo_session cookie, the CSRF header, a
 * pending password change and the role (srv.h; docs/review-api.md, "Accounts, sessions and roles"). */
#include "srv.h"
#include "sstore-users.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

#define COOKIE_NAME "sondeo_session"

enum srv_role srv_role_of(const char *r)
{
	if (!r)
		return 0;
	if (!strcmp(r, "viewer"))
		return ROLE_VIEWER;
	if (!strcmp(r, "reviewer"))
		return ROLE_REVIEWER;
	if (!strcmp(r, "admin"))
		return ROLE_ADMIN;
	return 0;
}

int srv_session(struct http_request *rq, struct http_response *rs, struct sstore *s, enum srv_role need,
		int allow_must_change, struct sstore_session *sess, char *token)
{
	const char *cookie = http_header(rq, "Cookie"), *csrf, *lang;
	char tok[SSTORE_TOKEN_HEXLEN + 1], err[512];
	int found, r = -1;

	memset(sess, 0, sizeof(*sess));
	if (!cookie || !http_cookie_token(cookie, COOKIE_NAME, tok)) {
		http_reply_error(rs, 401, "login_required", _("log in first"));
		return -1;
	}
	/* Its errors are the log's: in the server's language. */
	lang = http_lang_server();
	found = sstore_session_get(s, tok, now_ms(), sess, err, sizeof(err));
	if (found < 0)
		http_log("%s", err);
	i18n_set(lang);
	if (found < 0) {
		http_reply_error(rs, 503, "unavailable", _("the server cannot read its sessions now"));
		goto out;
	}
	if (!found) {
		http_reply_error(rs, 401, "login_required", _("the session has ended: log in again"));
		goto out;
	}
	/* Anything but a read must prove it comes from the page, which alone can read the token. */
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		csrf = http_header(rq, "X-CSRF-Token");
		if (!csrf || strlen(csrf) != SSTORE_TOKEN_HEXLEN ||
		    sodium_memcmp(csrf, sess->csrf, SSTORE_TOKEN_HEXLEN) != 0) {
			http_reply_error(rs, 403, "csrf", _("the X-CSRF-Token header is missing or wrong"));
			goto out;
		}
	}
	if (sess->must_change && !allow_must_change) {
		http_reply_error(rs, 403, "password_change_required", _("choose a new password first"));
		goto out;
	}
	if (srv_role_of(sess->role) < need) {
		http_reply_error(rs, 403, "forbidden", _("the role %s may not do this"), sess->role);
		goto out;
	}
	if (token)
		memcpy(token, tok, sizeof(tok));
	r = 0;
out:
	if (r < 0)
		memset(sess, 0, sizeof(*sess));
	sodium_memzero(tok, sizeof(tok));
	return r;
}
