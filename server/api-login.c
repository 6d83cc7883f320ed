/* api-login.c - POST /v1/login: a person logs in to the review page with a name and password and gets a session
 * cookie (docs/review-api.md, "Accounts, sessions and roles"). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

/* Wipes a JSON string's bytes in place: jansson frees without wiping. */
static void wipe_string(json_t *v)
{
	if (json_is_string(v))
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

int srv_login_read(json_t *body, const char **user, const char **password, const char **code, char *err,
		   size_t errlen)
{
	json_t *u = json_object_get(body, "user"), *p = json_object_get(body, "password");

	*code = "bad_request";
	if (!json_is_object(body) || !json_is_string(u) || !json_is_string(p) || json_object_size(body) != 2)
		return errf(err, errlen, _("expected a JSON object with exactly: user, password"));
	*user = json_string_value(u);
	*password = json_string_value(p);
	if (strlen(*password) != json_string_length(p) || strlen(*user) != json_string_length(u))
		return errf(err, errlen, _("the user name or password holds a NUL character"));
	return 0;
}

void api_login(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char token[SSTORE_TOKEN_HEXLEN + 1], cookie[160], err[512], retry[16];
	json_t *body = NULL, *pass = NULL;
	const char *name, *password, *code, *lang;
	unsigned retry_s = 0;
	enum sstore_login_result st;

	token[0] = '\0';
	if (!s)
		goto wipe;
	body = http_json_body(rq, rs);
	/* The body holds the password: nothing of it stays once read. */
	sodium_memzero(rq->body.data, rq->body.len);
	if (!body)
		goto out;
	pass = json_object_get(body, "password");
	if (srv_login_read(body, &name, &password, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	/* The answer's words are this endpoint's; the store's errors are for the log alone: in its language. */
	lang = http_lang_server();
	st = sstore_login(s, name, password, rq->ip, now_ms(), token, &sess, &retry_s, err, sizeof(err));
	i18n_set(lang);
	/* A login the server could not check (SL_ERROR) is none of these: /healthz and the log tell of it. */
	if (st != SL_ERROR)
		srv_count_login(rq, st == SL_OK ? SRV_LOGIN_OK : st == SL_WAIT ? SRV_LOGIN_THROTTLED : SRV_LOGIN_FAILED);
	switch (st) {
	case SL_OK:
		snprintf(cookie, sizeof(cookie), "sondeo_session=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%llu%s",
			 token, (unsigned long long)(SSTORE_SESSION_MAX_MS / 1000), srv_tls(rq) ? "; Secure" : "");
		http_add_header(rs, "Set-Cookie", cookie);
		http_add_header(rs, "Cache-Control", "no-store");
		http_reply_json(rs, 200, json_pack("{s:s, s:s, s:s, s:b}", "user", sess.user, "role", sess.role,
						   "csrf", sess.csrf, "must_change", sess.must_change));
		break;
	case SL_WAIT:
		snprintf(retry, sizeof(retry), "%u", retry_s);
		http_add_header(rs, "Retry-After", retry);
		http_reply_error(rs, 429, "too_many_attempts", _("too many failed logins: try again in %u s"), retry_s);
		break;
	case SL_BAD:
		http_reply_error(rs, 401, "bad_login", _("unknown user, wrong password or disabled account"));
		break;
	default:
		/* TRANSLATORS: a line of the server's log: a login failed for a reason of the server's, given after. */
		http_log(N_("login: %s"), err);
		http_reply_error(rs, 503, "unavailable", _("the server cannot log anyone in now"));
		break;
	}
out:
	wipe_string(pass);
	json_decref(body);
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(&sess, sizeof(sess));
wipe:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(rq->body.data, rq->body.len);
}
