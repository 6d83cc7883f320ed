/* api-password.c - POST /v1/password: a person changes their own password; their other sessions end
 * (docs/review-api.md). A new account, or one whose password an admin set, must come here first. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

static void wipe_string(json_t *v)
{
	if (json_is_string(v))
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

int srv_password_read(json_t *body, const char **old, const char **neu, int *old_ok, const char **code, char *err,
		      size_t errlen)
{
	json_t *o = json_object_get(body, "old"), *n = json_object_get(body, "new");
	size_t len;

	*old = json_string_value(o);
	*neu = json_string_value(n);
	*old_ok = 0;
	*code = "bad_request";
	if (!json_is_object(body) || !json_is_string(o) || !json_is_string(n) || json_object_size(body) != 2)
		return errf(err, errlen, _("expected a JSON object with exactly: old, new"));
	*code = "bad_password";
	len = json_string_length(n);
	if (strlen(*neu) != len || len < SSTORE_PASSWORD_MIN || len > SSTORE_PASSWORD_MAX)
		return errf(err, errlen, _("a password has %d to %d bytes, without NUL characters"), SSTORE_PASSWORD_MIN,
			    SSTORE_PASSWORD_MAX);
	*old_ok = strlen(*old) == json_string_length(o);
	return 0;
}

void api_password(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char token[SSTORE_TOKEN_HEXLEN + 1], err[512];
	json_t *body = NULL, *old = NULL, *neu = NULL;
	const char *olds, *news, *code, *lang;
	int ok, old_ok, r;

	token[0] = '\0';
	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 1, &sess, token) < 0)
		goto out;
	body = http_json_body(rq, rs);
	sodium_memzero(rq->body.data, rq->body.len);
	if (!body)
		goto out;
	old = json_object_get(body, "old");
	neu = json_object_get(body, "new");
	if (srv_password_read(body, &olds, &news, &old_ok, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	/* The current password is checked under the login delays: a session is no faster way to guess it. The
	 * store's errors are for the log alone, here and below: in its language. */
	if (!old_ok) {
		ok = 0;
	} else {
		enum sstore_login_result st;
		unsigned retry = 0;
		char after[16];

		lang = http_lang_server();
		st = sstore_password_attempt(s, sess.user, json_string_value(old), rq->ip, now_ms(), &retry, err,
					     sizeof(err));
		i18n_set(lang);
		switch (st) {
		case SL_OK: ok = 1; break;
		case SL_BAD: ok = 0; break;
		case SL_WAIT:
			snprintf(after, sizeof(after), "%u", retry);
			http_add_header(rs, "Retry-After", after);
			http_reply_error(rs, 429, "too_many_attempts", _("too many wrong passwords: try again in %u s"),
					 retry);
			goto out;
		default: ok = -1;
		}
	}
	if (ok < 0) {
		/* TRANSLATORS: a line of the server's log: checking a password failed for a reason of the server's. */
		http_log(N_("password: %s"), err);
		http_reply_error(rs, 503, "unavailable", _("the server cannot check passwords now"));
		goto out;
	}
	if (!ok) {
		lang = http_lang_server();
		if (sstore_audit_json(s, sess.user, rq->ip, "password", sess.user,
				      json_pack("{s:s}", "refused", "wrong_current_password"), err, sizeof(err)) < 0)
			http_log(N_("cannot write the audit log: %s"), err);
		i18n_set(lang);
		http_reply_error(rs, 403, "bad_login", _("the current password is wrong"));
		goto out;
	}
	if (!strcmp(json_string_value(old), json_string_value(neu))) {
		http_reply_error(rs, 400, "bad_password", _("the new password must differ from the current one"));
		goto out;
	}
	lang = http_lang_server();
	if ((r = sstore_user_passwd(s, sess.user, json_string_value(neu), 0, token, err, sizeof(err))) < 0)
		/* TRANSLATORS: a line of the server's log: the password of USER could not be changed, and why. */
		http_log(N_("password of %s: %s"), sess.user, err);
	else if (sstore_audit(s, sess.user, rq->ip, "password", sess.user, "{}", err, sizeof(err)) < 0)
		http_log(N_("cannot write the audit log: %s"), err);
	i18n_set(lang);
	if (r < 0) {
		http_reply_error(rs, 503, "unavailable", _("the server cannot change the password now"));
		goto out;
	}
	http_add_header(rs, "Cache-Control", "no-store");
	http_reply_json(rs, 200, json_pack("{s:s, s:s, s:s, s:b}", "user", sess.user, "role", sess.role, "csrf",
					   sess.csrf, "must_change", 0));
out:
	wipe_string(old);
	wipe_string(neu);
	json_decref(body);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(rq->body.data, rq->body.len);
}
