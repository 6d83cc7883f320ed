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
#define COOKIE_SCAN_MAX 8192   /* bytes of a Cookie header looked at; the session cookie is early or absent */

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

static int is_token(const char *v, size_t n)
{
	size_t i;

	if (n != SSTORE_TOKEN_HEXLEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return 0;
	return 1;
}

/* Reads a Cookie header ("a=1; b=2"), at most COOKIE_SCAN_MAX bytes of it. */
int srv_session_cookie(const char *h, char *out)
{
	const char *end = h + strnlen(h, COOKIE_SCAN_MAX), *p = h;
	const size_t nlen = sizeof(COOKIE_NAME) - 1;

	while (p < end) {
		const char *name, *eq, *val, *semi;
		size_t n;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		name = p;
		semi = memchr(p, ';', (size_t)(end - p));
		if (!semi)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		p = semi;
		if (!eq)
			continue;
		n = (size_t)(eq - name);
		while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
			n--;
		if (n != nlen || memcmp(name, COOKIE_NAME, nlen))
			continue;
		val = eq + 1;
		while (val < semi && (*val == ' ' || *val == '\t'))
			val++;
		n = (size_t)(semi - val);
		while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
			n--;
		if (is_token(val, n)) {
			memcpy(out, val, n);
			out[n] = '\0';
			return 1;
		}
	}
	return 0;
}

int srv_session(struct http_request *rq, struct http_response *rs, struct sstore *s, enum srv_role need,
		int allow_must_change, struct sstore_session *sess, char *token)
{
	const char *cookie = http_header(rq, "Cookie"), *csrf, *lang;
	char tok[SSTORE_TOKEN_HEXLEN + 1], err[512];
	int found, r = -1;

	memset(sess, 0, sizeof(*sess));
	if (!cookie || !srv_session_cookie(cookie, tok)) {
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
