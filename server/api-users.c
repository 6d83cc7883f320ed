/* api-users.c - the accounts of the review page, for admins (docs/review-api.md, "Administration"):
 * GET /v1/users, POST /v1/users (a new account), POST /v1/users/disable and POST /v1/users/enable. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

static json_t *user_json(const struct sstore_user *u)
{
	return json_pack("{s:s, s:s, s:b, s:b, s:I}", "name", u->name, "role", u->role, "disabled", u->disabled,
			 "must_change", u->must_change, "created", (json_int_t)u->created_ms);
}

static void add_user(void *ctx, const struct sstore_user *u)
{
	json_array_append_new(ctx, user_json(u));
}

static void wipe_string(json_t *v)
{
	if (json_is_string(v))
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

/* A member that is a string without NUL characters, or NULL. */
static const char *text(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) ? json_string_value(v)
											 : NULL;
}

/* Answers with the account name as it is now (after a change). */
static void reply_user(struct http_response *rs, struct sstore *s, const char *name)
{
	struct sstore_user u;
	char err[512];
	int found = sstore_user_get(s, name, &u, err, sizeof(err));

	if (found > 0)
		http_reply_json(rs, 200, user_json(&u));
	else
		http_reply_error(rs, 503, "unavailable", _("the account cannot be read back now"));
}

void api_users(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char err[512];
	const char *lang;
	json_t *list;
	int r;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0)
		return;
	list = json_array();
	/* The store's errors in this file are for the log alone: in its language. */
	lang = http_lang_server();
	r = sstore_user_list(s, add_user, list, err, sizeof(err));
	i18n_set(lang);
	if (r < 0) {
		json_decref(list);
		/* TRANSLATORS: a line of the server's log: the accounts could not be read or changed, and why. */
		http_log(N_("users: %s"), err);
		http_reply_error(rs, 503, "unavailable", _("the accounts cannot be read now"));
		return;
	}
	http_reply_json(rs, 200, json_pack("{s:o}", "users", list));
}

int srv_user_add_read(json_t *body, struct srv_user_req *r, const char **code, char *err, size_t errlen)
{
	size_t n;

	r->name = text(body, "name");
	r->role = text(body, "role");
	r->password = text(body, "password");
	*code = "bad_request";
	if (!json_is_object(body) || !r->name || !r->role || !json_is_string(json_object_get(body, "password")) ||
	    json_object_size(body) != 3)
		return errf(err, errlen, _("expected a JSON object with exactly: name, role, password"));
	*code = "bad_name";
	if (!sstore_user_name_valid(r->name))
		return errf(err, errlen, _("a user name has 1 to %d letters, digits, '_', '.', '-' or '@', and does not"
			    " start with '-'"), SSTORE_MAX_NAME);
	*code = "bad_role";
	if (!srv_role_of(r->role))
		return errf(err, errlen, _("the role is viewer, reviewer or admin"));
	*code = "bad_password";
	n = r->password ? strlen(r->password) : 0;
	if (!r->password || n < SSTORE_PASSWORD_MIN || n > SSTORE_PASSWORD_MAX)
		return errf(err, errlen, _("a password has %d to %d bytes, without NUL characters"), SSTORE_PASSWORD_MIN,
			    SSTORE_PASSWORD_MAX);
	return 0;
}

int srv_user_name_read(json_t *body, const char **name, const char **code, char *err, size_t errlen)
{
	*name = text(body, "name");
	*code = "bad_request";
	if (!json_is_object(body) || !*name || json_object_size(body) != 1)
		return errf(err, errlen, _("expected a JSON object with exactly: name"));
	return 0;
}

void api_users_add(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	struct sstore_user u;
	struct srv_user_req r;
	const char *name, *role, *password, *code, *lang;
	char err[512];
	json_t *body = NULL;
	int known, added;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0)
		goto out;
	body = http_json_body(rq, rs);
	sodium_memzero(rq->body.data, rq->body.len);
	if (!body)
		goto out;
	if (srv_user_add_read(body, &r, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	name = r.name;
	role = r.role;
	password = r.password;
	lang = http_lang_server();
	added = sstore_user_add(s, name, role, password, 1, err, sizeof(err)) == 0;
	known = added ? 1 : sstore_user_get(s, name, &u, NULL, 0);
	if (!added && known <= 0)
		/* TRANSLATORS: a line of the server's log: the account NAME could not be added, and why. */
		http_log(N_("adding user %s: %s"), name, err);
	if (added && sstore_audit_json(s, sess.user, rq->ip, "user_add", name, json_pack("{s:s}", "role", role), err,
				       sizeof(err)) < 0)
		http_log(N_("cannot write the audit log: %s"), err);
	i18n_set(lang);
	if (added)
		reply_user(rs, s, name);
	else if (known > 0)
		http_reply_error(rs, 409, "user_exists", _("there is already an account named '%s'"), name);
	else
		http_reply_error(rs, 503, "unavailable", _("the account cannot be added now"));
out:
	wipe_string(json_object_get(body, "password"));
	json_decref(body);
	sodium_memzero(rq->body.data, rq->body.len);
}

static void set_disabled(struct http_request *rq, struct http_response *rs, int disabled)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	struct sstore_user u;
	const char *name, *code, *lang;
	char err[512];
	json_t *body = NULL;
	int found, r;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0)
		return;
	if (!(body = http_json_body(rq, rs)))
		return;
	if (srv_user_name_read(body, &name, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	lang = http_lang_server();
	found = sstore_user_name_valid(name) ? sstore_user_get(s, name, &u, err, sizeof(err)) : 0;
	if (found < 0)
		http_log(N_("users: %s"), err);
	i18n_set(lang);
	if (found < 0) {
		http_reply_error(rs, 503, "unavailable", _("the accounts cannot be read now"));
		goto out;
	}
	if (!found) {
		http_reply_error(rs, 404, "no_user", _("there is no account with this name"));
		goto out;
	}
	/* Locking oneself out would leave the page to the command line. */
	if (disabled && !strcmp(name, sess.user)) {
		http_reply_error(rs, 400, "own_account", _("an admin cannot disable their own account"));
		goto out;
	}
	lang = http_lang_server();
	if ((r = sstore_user_set_disabled(s, name, disabled, err, sizeof(err))) < 0)
		http_log(N_("users: %s"), err);
	else if (r > 0 && sstore_audit(s, sess.user, rq->ip, disabled ? "user_disable" : "user_enable", name, "{}", err,
				       sizeof(err)) < 0)
		http_log(N_("cannot write the audit log: %s"), err);
	i18n_set(lang);
	if (r < 0)
		http_reply_error(rs, 503, "unavailable", _("the account cannot be changed now"));
	else
		reply_user(rs, s, name);
out:
	json_decref(body);
}

void api_users_disable(struct http_request *rq, struct http_response *rs)
{
	set_disabled(rq, rs, 1);
}

void api_users_enable(struct http_request *rq, struct http_response *rs)
{
	set_disabled(rq, rs, 0);
}
