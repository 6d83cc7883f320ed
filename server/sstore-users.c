/* sstore-users.c - accounts, web sessions, login delays and the audit log (sstore.h; docs/review-api.md).
 *
 * Passwords are kept as Argon2id strings (crypto_pwhash_str, interactive limits: SSTORE_PWHASH_OPS). A session token is 32 random
 * bytes given to the browser as hex; the store keeps only their BLAKE2b hash, so a copy of the database opens
 * no session. Failed logins are counted per user name ("u:NAME") and per address ("a:IP") in login_failures;
 * a count calls for a delay from its third (name) or tenth (address) failure on, and is forgotten a day after
 * the last attempt counted under it. A success clears its name's count, not its address's. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "sstore-int.h"
#include "util.h"
#include "banned.h"

#define TOKEN_BYTES 32
#define HASH_BYTES 32
#define NAME_FAILURES 3                                  /* failures of one name before a delay */
#define ADDR_FAILURES 10                                 /* failures from one address before a delay */
#define FIRST_DELAY_MS ((uint64_t)1000)
#define MAX_DELAY_MS ((uint64_t)15 * 60 * 1000)
#define FORGET_MS ((uint64_t)24 * 3600 * 1000)           /* a count is dropped this long after its last attempt */
#define KEY_MAX (2 + SSTORE_MAX_NAME + 64 + 1)           /* "u:" NAME or "a:" IP */

/* Checked against when there is no account (or no valid name), so that an unknown name takes the same time
 * as a wrong password. Nobody knows its password: 16 random bytes, thrown away. */
static const char dummy_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$OhHVE2aeceyFTyd2uTCT4g$eUvFs1P7njJEHBfro+XFBQNYVinXNbuvLh2TZ2FyQe8";

enum {
	U_USER_PUT, U_USER_GET, U_USER_LIST, U_USER_AUTH, U_USER_DISABLE, U_USER_PASSWD, U_SESS_PUT, U_SESS_GET,
	U_SESS_TOUCH, U_SESS_DEL, U_SESS_DEL_USER, U_SESS_DEL_OTHERS, U_SESS_PURGE, U_FAIL_GET, U_FAIL_ADD,
	U_FAIL_LAST, U_FAIL_CLEAR, U_FAIL_UNDO, U_FAIL_PURGE, U_AUDIT_PUT, U_AUDIT_LIST, U_AUDIT_COUNT, U_COUNT
};

#define USER_COLUMNS "name, role, disabled, must_change, created"

const char *const sstore_users_sql[SSTORE_USERS_STMTS] = {
	[U_USER_PUT] = "INSERT INTO users(name, role, pwhash, must_change, disabled, created) VALUES(?1, ?2, ?3, ?4, 0, ?5)",
	[U_USER_GET] = "SELECT " USER_COLUMNS " FROM users WHERE name = ?1",
	[U_USER_LIST] = "SELECT " USER_COLUMNS " FROM users ORDER BY name",
	[U_USER_AUTH] = "SELECT pwhash, disabled FROM users WHERE name = ?1",
	[U_USER_DISABLE] = "UPDATE users SET disabled = ?2 WHERE name = ?1 AND disabled != ?2",
	[U_USER_PASSWD] = "UPDATE users SET pwhash = ?2, must_change = ?3 WHERE name = ?1",
	[U_SESS_PUT] = "INSERT INTO sessions(token, \"user\", csrf, created, last_used) VALUES(?1, ?2, ?3, ?4, ?4)",
	[U_SESS_GET] = "SELECT s.\"user\", u.role, s.csrf, u.must_change, s.created, s.last_used, u.disabled"
		       " FROM sessions s JOIN users u ON u.name = s.\"user\" WHERE s.token = ?1",
	[U_SESS_TOUCH] = "UPDATE sessions SET last_used = max(last_used, ?2) WHERE token = ?1",
	[U_SESS_DEL] = "DELETE FROM sessions WHERE token = ?1",
	[U_SESS_DEL_USER] = "DELETE FROM sessions WHERE \"user\" = ?1",
	[U_SESS_DEL_OTHERS] = "DELETE FROM sessions WHERE \"user\" = ?1 AND token != ?2",
	[U_SESS_PURGE] = "DELETE FROM sessions WHERE created <= ?1 OR last_used <= ?2",
	[U_FAIL_GET] = "SELECT failures, last FROM login_failures WHERE key = ?1",
	[U_FAIL_ADD] = "INSERT INTO login_failures(key, failures, last) VALUES(?1, 1, ?2)"
		       " ON CONFLICT(key) DO UPDATE SET failures = login_failures.failures + 1, last = excluded.last",
	[U_FAIL_LAST] = "UPDATE login_failures SET last = max(last, ?2) WHERE key = ?1",
	[U_FAIL_CLEAR] = "DELETE FROM login_failures WHERE key = ?1",
	[U_FAIL_UNDO] = "UPDATE login_failures SET failures = failures - 1 WHERE key = ?1 AND failures > 0",
	[U_FAIL_PURGE] = "DELETE FROM login_failures WHERE last < ?1",
	[U_AUDIT_PUT] = "INSERT INTO audit(at, \"user\", ip, action, target, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[U_AUDIT_LIST] = "SELECT at, \"user\", ip, action, target, detail FROM audit ORDER BY id DESC LIMIT ?1 OFFSET ?2",
	[U_AUDIT_COUNT] = "SELECT count(*) FROM audit",
};

_Static_assert(U_COUNT <= SSTORE_USERS_STMTS, "raise SSTORE_USERS_STMTS in sstore-int.h");

int sstore_user_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= SSTORE_MAX_NAME && name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@") == n;
}

static int role_valid(const char *role)
{
	return !strcmp(role, "viewer") || !strcmp(role, "reviewer") || !strcmp(role, "admin");
}

static int password_valid(const char *password, char *err, size_t errlen)
{
	size_t n = strlen(password);

	if (n < SSTORE_PASSWORD_MIN || n > SSTORE_PASSWORD_MAX)
		return errf(err, errlen, _("a password has %d to %d bytes (this one has %zu)"), SSTORE_PASSWORD_MIN,
			    SSTORE_PASSWORD_MAX, n);
	return 0;
}

/* The stored form of a session token: BLAKE2b of its 32 bytes. -1 if token is not 64 hex digits. */
static int token_hash(const char *token, unsigned char hash[HASH_BYTES])
{
	unsigned char raw[TOKEN_BYTES];
	size_t n = 0;
	int r = -1;

	if (strlen(token) == SSTORE_TOKEN_HEXLEN &&
	    strspn(token, "0123456789abcdef") == SSTORE_TOKEN_HEXLEN &&
	    sodium_hex2bin(raw, sizeof(raw), token, SSTORE_TOKEN_HEXLEN, NULL, &n, NULL) == 0 && n == TOKEN_BYTES) {
		crypto_generichash(hash, HASH_BYTES, raw, sizeof(raw), NULL, 0);
		r = 0;
	}
	sodium_memzero(raw, sizeof(raw));
	return r;
}

static void user_from_row(struct db_stmt *st, struct sstore_user *u)
{
	memset(u, 0, sizeof(*u));
	strlcpy_s(u->name, db_text(st, 0), sizeof(u->name));
	strlcpy_s(u->role, db_text(st, 1), sizeof(u->role));
	u->disabled = db_int(st, 2) != 0;
	u->must_change = db_int(st, 3) != 0;
	u->created_ms = (uint64_t)db_int(st, 4);
}

int sstore_user_get(struct sstore *s, const char *name, struct sstore_user *u, char *err, size_t errlen)
{
	struct db_stmt *st = s->ust[U_USER_GET];
	int rc;

	db_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == DB_ROW)
		user_from_row(st, u);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_user_list(struct sstore *s, void (*fn)(void *ctx, const struct sstore_user *u), void *ctx, char *err,
		     size_t errlen)
{
	struct db_stmt *st = s->ust[U_USER_LIST];
	struct sstore_user u;
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		user_from_row(st, &u);
		fn(ctx, &u);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_password_hash(const char *password, size_t len, char *hash, char *err, size_t errlen)
{
	if (crypto_pwhash_str(hash, password, len, SSTORE_PWHASH_OPS, SSTORE_PWHASH_MEM) != 0)
		return errf(err, errlen, _("out of memory while hashing the password"));
	return 0;
}

int sstore_user_add(struct sstore *s, const char *name, const char *role, const char *password, int must_change,
		    char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	struct sstore_user u;
	struct db_stmt *st = s->ust[U_USER_PUT];
	int known, r = -1;

	if (!sstore_user_name_valid(name))
		return errf(err, errlen, _("'%.80s' is not a valid user name: 1 to %d letters, digits, '_', '.', '-' or"
			    " '@', not starting with '-'"), name, SSTORE_MAX_NAME);
	if (!role_valid(role))
		return errf(err, errlen, _("'%.40s' is not a role: viewer, reviewer or admin"), role);
	if (password_valid(password, err, errlen) < 0)
		return -1;
	/* Hashed before the transaction, which then stays short. */
	if (sstore_password_hash(password, strlen(password), hash, err, errlen) < 0)
		return -1;
	if (db_begin(s->db, err, errlen) < 0)
		goto out;
	if ((known = sstore_user_get(s, name, &u, err, errlen)) != 0) {
		if (known > 0)
			errf(err, errlen, _("there is already an account named '%s'"), name);
		goto rollback;
	}
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, role);
	db_bind_text(st, 3, hash);
	db_bind_int(st, 4, must_change ? 1 : 0);
	db_bind_int(st, 5, (int64_t)now_ms());
	if (db_step_done(st, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto rollback;
	r = 0;
	goto out;
rollback:
	db_rollback(s->db);
out:
	db_clear(st);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

int sstore_user_set_disabled(struct sstore *s, const char *name, int disabled, char *err, size_t errlen)
{
	struct db_stmt *st = s->ust[U_USER_DISABLE];
	struct sstore_user u;
	int changed, known;

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_int(st, 2, disabled ? 1 : 0);
	if (db_step_done(st, err, errlen) < 0)
		goto fail;
	changed = db_changes(s->db);
	if (!changed) {
		if ((known = sstore_user_get(s, name, &u, err, errlen)) < 0)
			goto fail;
		if (!known) {
			errf(err, errlen, _("there is no account named '%.80s'"), name);
			goto fail;
		}
	}
	if (disabled) {
		/* Also when it already was: a session made in between must not outlive the account. */
		st = s->ust[U_SESS_DEL_USER];
		db_bind_text(st, 1, name);
		if (db_step_done(st, err, errlen) < 0)
			goto fail;
	}
	if (db_commit(s->db, err, errlen) < 0)
		goto fail;
	return changed ? 1 : 0;
fail:
	db_rollback(s->db);
	return -1;
}

int sstore_user_passwd(struct sstore *s, const char *name, const char *password, int must_change,
		       const char *keep_token, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	unsigned char keep[HASH_BYTES];
	struct db_stmt *st = s->ust[U_USER_PASSWD];
	int r = -1;

	if (password_valid(password, err, errlen) < 0)
		return -1;
	if (keep_token && token_hash(keep_token, keep) < 0)
		return errf(err, errlen, _("internal error: the session token to keep is malformed"));
	if (sstore_password_hash(password, strlen(password), hash, err, errlen) < 0)
		return -1;
	if (db_begin(s->db, err, errlen) < 0)
		goto out;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, hash);
	db_bind_int(st, 3, must_change ? 1 : 0);
	if (db_step_done(st, err, errlen) < 0)
		goto rollback;
	if (db_changes(s->db) != 1) {
		errf(err, errlen, _("there is no account named '%.80s'"), name);
		goto rollback;
	}
	if (keep_token) {
		st = s->ust[U_SESS_DEL_OTHERS];
		db_bind_text(st, 1, name);
		db_bind_blob(st, 2, keep, HASH_BYTES);
	} else {
		st = s->ust[U_SESS_DEL_USER];
		db_bind_text(st, 1, name);
	}
	if (db_step_done(st, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto rollback;
	r = 0;
	goto out;
rollback:
	db_rollback(s->db);
out:
	db_clear(s->ust[U_USER_PASSWD]);
	db_clear(s->ust[U_SESS_DEL_OTHERS]);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

/* 1 if password is name's and the account is enabled, 0 if not, -1 on error. An unknown or disabled account
 * costs the same Argon2id verification as a wrong password. *why gets the audit log's code for a refusal
 * (unknown_user, account_disabled, wrong_password), which the page words in its reader's language. */
static int check_password(struct sstore *s, const char *name, const char *password, const char **why, char *err,
			  size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	struct db_stmt *st = s->ust[U_USER_AUTH];
	int rc, disabled = 0, found = 0, ok;

	strlcpy_s(hash, dummy_hash, sizeof(hash));
	if (sstore_user_name_valid(name)) {
		db_bind_text(st, 1, name);
		rc = db_step(st);
		if (rc == DB_ROW) {
			found = strlcpy_s(hash, db_text(st, 0), sizeof(hash)) < sizeof(hash);
			disabled = db_int(st, 1) != 0;
		}
		db_reset(st);
		if (rc != DB_ROW && rc != DB_DONE)
			return db_error(s->db, rc, err, errlen);
		if (!found)
			strlcpy_s(hash, dummy_hash, sizeof(hash));
	}
	ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	sodium_memzero(hash, sizeof(hash));
	*why = !found ? "unknown_user" : disabled ? "account_disabled" : !ok ? "wrong_password" : "";
	return found && !disabled && ok;
}

int sstore_user_check(struct sstore *s, const char *name, const char *password, char *err, size_t errlen)
{
	const char *why;

	return check_password(s, name, password, &why, err, errlen);
}

int sstore_audit(struct sstore *s, const char *user, const char *ip, const char *action, const char *target,
		 const char *detail, char *err, size_t errlen)
{
	struct db_stmt *st = s->ust[U_AUDIT_PUT];

	db_bind_int(st, 1, (int64_t)now_ms());
	db_bind_text(st, 2, user ? user : "");
	db_bind_text(st, 3, ip ? ip : "");
	db_bind_text(st, 4, action);
	db_bind_text(st, 5, target ? target : "");
	db_bind_text(st, 6, detail ? detail : "{}");
	return db_step_done(st, err, errlen);
}

int sstore_audit_json(struct sstore *s, const char *user, const char *ip, const char *action, const char *target,
		      json_t *detail, char *err, size_t errlen)
{
	char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	int r = sstore_audit(s, user, ip, action, target, text ? text : "{}", err, errlen);

	free(text);
	json_decref(detail);
	return r;
}

int sstore_audit_list(struct sstore *s, uint64_t offset, unsigned limit,
		      void (*fn)(void *ctx, const struct sstore_audit_entry *e), void *ctx, uint64_t *total, char *err,
		      size_t errlen)
{
	struct db_stmt *st;
	int rc;

	/* Both reads in one snapshot, so that total and the page agree while others write. */
	if (db_begin_read(s->db, err, errlen) < 0)
		return -1;
	st = s->ust[U_AUDIT_COUNT];
	rc = db_step(st);
	*total = rc == DB_ROW ? (uint64_t)db_int(st, 0) : 0;
	db_reset(st);
	if (rc != DB_ROW)
		goto fail;
	st = s->ust[U_AUDIT_LIST];
	db_bind_int(st, 1, (int64_t)limit);
	db_bind_int(st, 2, offset > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)offset);
	while ((rc = db_step(st)) == DB_ROW) {
		struct sstore_audit_entry e;

		e.at_ms = (uint64_t)db_int(st, 0);
		e.user = db_text(st, 1);
		e.ip = db_text(st, 2);
		e.action = db_text(st, 3);
		e.target = db_text(st, 4);
		e.detail = db_text(st, 5);
		fn(ctx, &e);
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto fail;
	db_rollback(s->db);
	return 0;
fail:
	db_error(s->db, rc, err, errlen);
	db_rollback(s->db);
	return -1;
}

/* The delay a count of failures calls for, from its threshold on: 1 s, doubling, at most 15 minutes. */
static uint64_t delay_ms(uint64_t failures, unsigned threshold)
{
	uint64_t d = FIRST_DELAY_MS;

	if (failures < threshold)
		return 0;
	for (failures -= threshold; failures > 0 && d < MAX_DELAY_MS; failures--)
		d *= 2;
	return d < MAX_DELAY_MS ? d : MAX_DELAY_MS;
}

/* How long key must still wait at now (0: not at all), inside the caller's transaction; -1 on error. */
static int64_t wait_of(struct sstore *s, const char *key, unsigned threshold, uint64_t now, char *err,
		       size_t errlen)
{
	struct db_stmt *st = s->ust[U_FAIL_GET];
	uint64_t failures = 0, last = 0, until;
	int rc;

	db_bind_text(st, 1, key);
	rc = db_step(st);
	if (rc == DB_ROW) {
		failures = (uint64_t)db_int(st, 0);
		last = (uint64_t)db_int(st, 1);
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	if (failures < threshold)
		return 0;
	until = last + delay_ms(failures, threshold);
	return until > now ? (int64_t)(until - now) : 0;
}

static int key_step(struct sstore *s, int which, const char *key, uint64_t t, char *err, size_t errlen)
{
	struct db_stmt *st = s->ust[which];

	db_bind_text(st, 1, key);
	if (which == U_FAIL_ADD || which == U_FAIL_LAST)
		db_bind_int(st, 2, (int64_t)t);
	return db_step_done(st, err, errlen);
}

/* Makes a session for name inside the caller's transaction: token (hex) for the browser, sess filled. 0 if the
 * account is gone or disabled by now, 1 made, -1 on error. */
static int session_new(struct sstore *s, const char *name, uint64_t now, char token[SSTORE_TOKEN_HEXLEN + 1],
		       struct sstore_session *sess, char *err, size_t errlen)
{
	unsigned char raw[TOKEN_BYTES], hash[HASH_BYTES], csrf[TOKEN_BYTES];
	struct db_stmt *st;
	struct sstore_user u;
	int known, r = -1;

	if ((known = sstore_user_get(s, name, &u, err, errlen)) <= 0 || u.disabled)
		return known < 0 ? -1 : 0;
	randombytes_buf(raw, sizeof(raw));
	randombytes_buf(csrf, sizeof(csrf));
	crypto_generichash(hash, sizeof(hash), raw, sizeof(raw), NULL, 0);
	memset(sess, 0, sizeof(*sess));
	strlcpy_s(sess->user, u.name, sizeof(sess->user));
	strlcpy_s(sess->role, u.role, sizeof(sess->role));
	hex_encode(sess->csrf, csrf, sizeof(csrf));
	sess->must_change = u.must_change;
	sess->created_ms = sess->last_used_ms = now;
	/* Sessions past their end are dropped as new ones come. */
	st = s->ust[U_SESS_PURGE];
	db_bind_int(st, 1, (int64_t)(now - SSTORE_SESSION_MAX_MS));
	db_bind_int(st, 2, (int64_t)(now - SSTORE_SESSION_IDLE_MS));
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	st = s->ust[U_SESS_PUT];
	db_bind_blob(st, 1, hash, sizeof(hash));
	db_bind_text(st, 2, sess->user);
	db_bind_text(st, 3, sess->csrf);
	db_bind_int(st, 4, (int64_t)now);
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	hex_encode(token, raw, sizeof(raw));
	r = 1;
out:
	db_clear(s->ust[U_SESS_PUT]);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(csrf, sizeof(csrf));
	return r;
}

/* A password attempt under the login delays; with token, a session is made on success (sstore_login), without,
 * the password is only checked (sstore_password_attempt, whose caller audits a refusal). */
static enum sstore_login_result attempt(struct sstore *s, const char *name, const char *password, const char *ip,
					uint64_t now, char *token, struct sstore_session *sess, unsigned *retry_s,
					char *err, size_t errlen)
{
	char ukey[KEY_MAX], akey[KEY_MAX];
	int valid = sstore_user_name_valid(name), ok, made;
	int64_t wait_u = 0, wait_a;
	uint64_t t0, failed_at;
	const char *why = "";

	*retry_s = 0;
	if (token) {
		token[0] = '\0';
		memset(sess, 0, sizeof(*sess));
	}
	/* An invalid name is not counted under its own key: it cannot name an account, and its text is anything. */
	snprintf(ukey, sizeof(ukey), "u:%s", valid ? name : "");
	snprintf(akey, sizeof(akey), "a:%.64s", ip ? ip : "");

	/* The failure is counted before the password is checked, under the write lock: attempts made at the same
	 * time see each other's, so parallel requests cannot try more passwords than one after another. */
	if (db_begin(s->db, err, errlen) < 0)
		return SL_ERROR;
	db_bind_int(s->ust[U_FAIL_PURGE], 1, now > FORGET_MS ? (int64_t)(now - FORGET_MS) : 0);
	if (db_step_done(s->ust[U_FAIL_PURGE], err, errlen) < 0 ||
	    (valid && (wait_u = wait_of(s, ukey, NAME_FAILURES, now, err, errlen)) < 0) ||
	    (wait_a = wait_of(s, akey, ADDR_FAILURES, now, err, errlen)) < 0)
		goto error;
	if (wait_u > 0 || wait_a > 0) {
		int64_t w = wait_u > wait_a ? wait_u : wait_a;

		db_rollback(s->db);
		*retry_s = (unsigned)((w + 999) / 1000);
		errf(err, errlen, _("too many failed logins: try again in %u s"), *retry_s);
		return SL_WAIT;
	}
	if ((valid && key_step(s, U_FAIL_ADD, ukey, now, err, errlen) < 0) ||
	    key_step(s, U_FAIL_ADD, akey, now, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto error;

	t0 = now_ms();
	ok = check_password(s, name, password, &why, err, errlen);
	if (ok < 0)
		return SL_ERROR;
	/* The delay runs from when the check ended, not from when it began. */
	failed_at = now + (now_ms() - t0);

	if (db_begin(s->db, err, errlen) < 0)
		return SL_ERROR;
	if (ok) {
		if (key_step(s, U_FAIL_CLEAR, ukey, 0, err, errlen) < 0 ||
		    key_step(s, U_FAIL_UNDO, akey, 0, err, errlen) < 0)
			goto error;
		if (!token)
			return db_commit(s->db, err, errlen) < 0 ? SL_ERROR : SL_OK;
		if ((made = session_new(s, name, now, token, sess, err, errlen)) < 0)
			goto error;
		if (made) {
			if (sstore_audit(s, name, ip, "login", name, "{}", err, errlen) < 0 ||
			    db_commit(s->db, err, errlen) < 0)
				goto error;
			return SL_OK;
		}
		/* Disabled while its password was being checked: a failure after all (counted already). */
		db_rollback(s->db);
		if (db_begin(s->db, err, errlen) < 0)
			return SL_ERROR;
		why = "account_disabled";
	}
	if ((valid && key_step(s, U_FAIL_LAST, ukey, failed_at, err, errlen) < 0) ||
	    key_step(s, U_FAIL_LAST, akey, failed_at, err, errlen) < 0 ||
	    (token && sstore_audit_json(s, valid ? name : "", ip, "login_failed", valid ? name : "",
					json_pack("{s:s}", "why", valid ? why : "invalid_name"), err, errlen) < 0) ||
	    db_commit(s->db, err, errlen) < 0)
		goto error;
	errf(err, errlen, _("unknown user, wrong password or disabled account"));
	return SL_BAD;
error:
	db_rollback(s->db);
	if (token)
		sodium_memzero(token, SSTORE_TOKEN_HEXLEN + 1);
	return SL_ERROR;
}

enum sstore_login_result sstore_login(struct sstore *s, const char *name, const char *password, const char *ip,
				      uint64_t now, char token[SSTORE_TOKEN_HEXLEN + 1], struct sstore_session *sess,
				      unsigned *retry_s, char *err, size_t errlen)
{
	return attempt(s, name, password, ip, now, token, sess, retry_s, err, errlen);
}

enum sstore_login_result sstore_password_attempt(struct sstore *s, const char *name, const char *password,
						 const char *ip, uint64_t now, unsigned *retry_s, char *err,
						 size_t errlen)
{
	return attempt(s, name, password, ip, now, NULL, NULL, retry_s, err, errlen);
}

int sstore_session_get(struct sstore *s, const char *token, uint64_t now, struct sstore_session *sess, char *err,
		       size_t errlen)
{
	unsigned char hash[HASH_BYTES];
	struct db_stmt *st = s->ust[U_SESS_GET];
	int rc, live = 0, found = 0;

	memset(sess, 0, sizeof(*sess));
	if (token_hash(token, hash) < 0)
		return 0;
	db_bind_blob(st, 1, hash, sizeof(hash));
	rc = db_step(st);
	if (rc == DB_ROW) {
		found = 1;
		strlcpy_s(sess->user, db_text(st, 0), sizeof(sess->user));
		strlcpy_s(sess->role, db_text(st, 1), sizeof(sess->role));
		strlcpy_s(sess->csrf, db_text(st, 2), sizeof(sess->csrf));
		sess->must_change = db_int(st, 3) != 0;
		sess->created_ms = (uint64_t)db_int(st, 4);
		sess->last_used_ms = (uint64_t)db_int(st, 5);
		/* A clock that went back counts as no time passed. */
		live = !db_int(st, 6) &&
		       (now <= sess->created_ms || now - sess->created_ms < SSTORE_SESSION_MAX_MS) &&
		       (now <= sess->last_used_ms || now - sess->last_used_ms < SSTORE_SESSION_IDLE_MS);
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		db_clear(st);
		memset(sess, 0, sizeof(*sess));
		return db_error(s->db, rc, err, errlen);
	}
	st = live ? s->ust[U_SESS_TOUCH] : s->ust[U_SESS_DEL];
	db_bind_blob(st, 1, hash, sizeof(hash));
	if (live)
		db_bind_int(st, 2, (int64_t)now);
	rc = found ? db_step_done(st, err, errlen) : 0;
	db_clear(s->ust[U_SESS_GET]);
	db_clear(st);
	if (rc < 0 || !live) {
		memset(sess, 0, sizeof(*sess));
		return rc < 0 ? -1 : 0;
	}
	if (now > sess->last_used_ms)
		sess->last_used_ms = now;
	return 1;
}

int sstore_session_end(struct sstore *s, const char *token, char *err, size_t errlen)
{
	unsigned char hash[HASH_BYTES];
	struct db_stmt *st = s->ust[U_SESS_DEL];
	int r;

	if (token_hash(token, hash) < 0)
		return 0;   /* no such session: nothing to end */
	db_bind_blob(st, 1, hash, sizeof(hash));
	r = db_step_done(st, err, errlen);
	db_clear(st);
	return r;
}
