/* test_users.c - accounts, web sessions, login delays and the audit log of the server's store (sstore.h), on real
 * data directories made with sstore_init: names, roles and password bounds, Argon2id hashes, disabling, password
 * changes that end sessions, the delays after failed logins (per name after 3, per address after 10, doubling to
 * 15 minutes, decided before the password is looked at), session expiry (12 h, 2 h idle), only a BLAKE2b hash of
 * a token kept, and the audit log's order and pages. */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sstore.h"
#include "sstore-users.h"
#include "test.h"
#include "teststore.h"
#include "util.h"
#include "banned.h"

#define HOUR ((uint64_t)3600 * 1000)

static char top[256];
static char admin_pw[32];

static void rm_rf(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char sub[1024];

				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				rm_rf(sub);
			}
		closedir(d);
	}
	rmdir(path);
}

/* A new data directory under the test's, opened; its path in dir (at least 400 bytes). */
static struct sstore *fresh(const char *name, char *dir)
{
	static int serial;
	char err[512] = "";
	struct sstore *s;

	snprintf(dir, 400, "%s/%s-%d", top, name, serial++);
	if (teststore_init(dir, admin_pw, sizeof(admin_pw), err, sizeof(err)) < 0) {
		printf("#   sstore_init('%s'): %s\n", dir, err);
		return NULL;
	}
	if (!(s = sstore_open(dir, err, sizeof(err))))
		printf("#   sstore_open('%s'): %s\n", dir, err);
	return s;
}

/* --- the database read and changed behind the store's back --- */

/* The first column of the first row of sql, as an integer (-1 if none). */
static long long q_int(const char *dir, const char *sql)
{
	return teststore_int(dir, sql, NULL);
}

/* The same as text, into out ("" if none). */
static const char *q_text(const char *dir, const char *sql, char *out, size_t n)
{
	if (!strcmp(teststore_text(dir, sql, NULL, out, n), "(error)"))
		out[0] = '\0';
	return out;
}

static int q_exec(const char *dir, const char *sql)
{
	return teststore_exec(dir, sql);
}

/* The time of the last failure counted under key ("u:NAME", "a:IP"), 0 if none. */
static uint64_t last_failure(const char *dir, const char *key)
{
	char sql[256];
	long long v;

	snprintf(sql, sizeof(sql), "SELECT last FROM login_failures WHERE key = '%s'", key);
	v = q_int(dir, sql);
	return v < 0 ? 0 : (uint64_t)v;
}

static long long failures(const char *dir, const char *key)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT failures FROM login_failures WHERE key = '%s'", key);
	return q_int(dir, sql);
}

static long long count_where(const char *dir, const char *table, const char *where)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s", table, where);
	return q_int(dir, sql);
}

/* --- helpers --- */

struct names {
	char v[16][SSTORE_MAX_NAME + 1];
	char roles[16][16];
	int must_change[16], disabled[16];
	int n;
};

static void collect(void *ctx, const struct sstore_user *u)
{
	struct names *c = ctx;

	if (c->n < 16) {
		snprintf(c->v[c->n], sizeof(c->v[0]), "%s", u->name);
		snprintf(c->roles[c->n], sizeof(c->roles[0]), "%s", u->role);
		c->must_change[c->n] = u->must_change;
		c->disabled[c->n] = u->disabled;
	}
	c->n++;
}

static enum sstore_login_result login(struct sstore *s, const char *name, const char *pw, const char *ip,
				      uint64_t now, char token[SSTORE_TOKEN_HEXLEN + 1], unsigned *retry)
{
	struct sstore_session sess;
	char err[512];
	unsigned r = 0;
	enum sstore_login_result res = sstore_login(s, name, pw, ip, now, token, &sess, &r, err, sizeof(err));

	if (res == SL_ERROR)
		printf("#   sstore_login: %s\n", err);
	if (retry)
		*retry = r;
	return res;
}

/* --- tests --- */

static void test_name_valid(void)
{
	char long_name[SSTORE_MAX_NAME + 2];

	CHECK(sstore_user_name_valid("amina"));
	CHECK(sstore_user_name_valid("a"));
	CHECK(sstore_user_name_valid("Amina.Otieno-2@hq_kisumu"));
	CHECK(!sstore_user_name_valid(""));
	CHECK(!sstore_user_name_valid("-amina"));
	CHECK(!sstore_user_name_valid("amina otieno"));
	CHECK(!sstore_user_name_valid("amina/.."));
	CHECK(!sstore_user_name_valid("am\xc3\xadna"));
	CHECK(!sstore_user_name_valid("amina\n"));
	memset(long_name, 'x', SSTORE_MAX_NAME);
	long_name[SSTORE_MAX_NAME] = '\0';
	CHECK(sstore_user_name_valid(long_name));
	long_name[SSTORE_MAX_NAME] = 'x';
	long_name[SSTORE_MAX_NAME + 1] = '\0';
	CHECK(!sstore_user_name_valid(long_name));
}

static void test_add_get_list(void)
{
	char dir[400], err[512], hash[256];
	struct sstore *s = fresh("add", dir);
	struct sstore_user u;
	struct names c = { .n = 0 };
	uint64_t before = now_ms();

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "zoe", "viewer", "zoe's password", 0, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_add(s, "bob", "reviewer", "bob's password", 1, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_get(s, "bob", &u, err, sizeof(err)), 1);
	CHECK_STR(u.name, "bob");
	CHECK_STR(u.role, "reviewer");
	CHECK_INT(u.disabled, 0);
	CHECK_INT(u.must_change, 1);
	CHECK(u.created_ms >= before && u.created_ms <= now_ms());
	CHECK_INT(sstore_user_get(s, "zoe", &u, err, sizeof(err)), 1);
	CHECK_INT(u.must_change, 0);
	CHECK_STR(u.role, "viewer");
	CHECK_INT(sstore_user_get(s, "nobody", &u, err, sizeof(err)), 0);
	/* The account made by init is there too; the list is by name. */
	CHECK_INT(sstore_user_list(s, collect, &c, err, sizeof(err)), 0);
	CHECK_INT(c.n, 3);
	CHECK_STR(c.v[0], "admin");
	CHECK_STR(c.roles[0], "admin");
	CHECK_STR(c.v[1], "bob");
	CHECK_STR(c.v[2], "zoe");
	/* Only an Argon2id hash is kept, not the password. */
	CHECK(!strncmp(q_text(dir, "SELECT pwhash FROM users WHERE name = 'bob'", hash, sizeof(hash)), "$argon2id$", 10));
	CHECK(!strstr(hash, "bob's password"));
	CHECK_INT(count_where(dir, "users", "pwhash LIKE '%password%'"), 0);
	sstore_close(s);
}

static void test_add_refusals(void)
{
	char dir[400], err[512] = "", pw[SSTORE_PASSWORD_MAX + 2];
	struct sstore *s = fresh("refuse", dir);
	struct sstore_user u;

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "reviewer", "first password", 1, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_add(s, "amina", "viewer", "other password", 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "already") != NULL);
	CHECK_INT(sstore_user_get(s, "amina", &u, err, sizeof(err)), 1);
	CHECK_STR(u.role, "reviewer");
	CHECK_INT(sstore_user_check(s, "amina", "first password", err, sizeof(err)), 1);
	CHECK_INT(sstore_user_add(s, "kofi", "superuser", "a good password", 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "role") != NULL);
	CHECK_INT(sstore_user_add(s, "ko fi", "viewer", "a good password", 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "user name") != NULL);
	CHECK_INT(sstore_user_add(s, "-kofi", "viewer", "a good password", 1, err, sizeof(err)), -1);
	/* 10 to 256 bytes. */
	CHECK_INT(sstore_user_add(s, "kofi", "viewer", "123456789", 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "10 to 256") != NULL);
	memset(pw, 'p', sizeof(pw));
	pw[SSTORE_PASSWORD_MAX + 1] = '\0';
	CHECK_INT(sstore_user_add(s, "kofi", "viewer", pw, 1, err, sizeof(err)), -1);
	CHECK_INT(count_where(dir, "users", "name = 'kofi' OR name = 'ko fi' OR name = '-kofi'"), 0);
	pw[SSTORE_PASSWORD_MAX] = '\0';
	CHECK_INT(sstore_user_add(s, "kofi", "viewer", pw, 1, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "kofi", pw, err, sizeof(err)), 1);
	CHECK_INT(sstore_user_add(s, "ama", "admin", "1234567890", 1, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "ama", "1234567890", err, sizeof(err)), 1);
	sstore_close(s);
}

static void test_check_and_disable(void)
{
	char dir[400], err[512] = "", token[SSTORE_TOKEN_HEXLEN + 1];
	struct sstore *s = fresh("disable", dir);
	struct sstore_session sess;
	struct sstore_user u;
	uint64_t now = now_ms();

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "reviewer", "amina's password", 0, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "amina", "amina's password", err, sizeof(err)), 1);
	CHECK_INT(sstore_user_check(s, "amina", "amina's passworD", err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "amina", "", err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "nobody", "amina's password", err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "not a name", "amina's password", err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "admin", admin_pw, err, sizeof(err)), 1);

	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now, token, NULL), SL_OK);
	CHECK_INT(sstore_session_get(s, token, now + 1, &sess, err, sizeof(err)), 1);
	CHECK_INT(sstore_user_set_disabled(s, "amina", 1, err, sizeof(err)), 1);
	CHECK_INT(sstore_user_set_disabled(s, "amina", 1, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_get(s, "amina", &u, err, sizeof(err)), 1);
	CHECK_INT(u.disabled, 1);
	/* Disabling ended the session, and a disabled account cannot log in or pass a check. */
	CHECK_INT(count_where(dir, "sessions", "\"user\" = 'amina'"), 0);
	CHECK_INT(sstore_session_get(s, token, now + 2, &sess, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "amina", "amina's password", err, sizeof(err)), 0);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now + 3, token, NULL), SL_BAD);
	CHECK_INT(count_where(dir, "audit", "action = 'login_failed' AND \"user\" = 'amina' AND detail = '{\"why\":\"account_disabled\"}'"),
		  1);
	CHECK_INT(sstore_user_set_disabled(s, "amina", 0, err, sizeof(err)), 1);
	CHECK_INT(sstore_user_set_disabled(s, "amina", 0, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "amina", "amina's password", err, sizeof(err)), 1);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now + 4, token, NULL), SL_OK);
	/* An unknown name is an error. */
	CHECK_INT(sstore_user_set_disabled(s, "nobody", 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "nobody") != NULL);
	CHECK_INT(count_where(dir, "users", "name = 'nobody'"), 0);
	sstore_close(s);
}

static void test_passwd_ends_sessions(void)
{
	char dir[400], err[512] = "", t1[SSTORE_TOKEN_HEXLEN + 1], t2[SSTORE_TOKEN_HEXLEN + 1];
	char t3[SSTORE_TOKEN_HEXLEN + 1], before[256], after[256];
	struct sstore *s = fresh("passwd", dir);
	struct sstore_session sess;
	struct sstore_user u;
	uint64_t now = now_ms();

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "reviewer", "amina's password", 0, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_add(s, "kofi", "viewer", "kofi's password", 0, err, sizeof(err)), 0);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now, t1, NULL), SL_OK);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.2", now, t2, NULL), SL_OK);
	CHECK_INT(login(s, "kofi", "kofi's password", "10.0.0.2", now, t3, NULL), SL_OK);
	/* A change from a session keeps that session only. */
	CHECK_INT(sstore_user_passwd(s, "amina", "a new password", 0, t1, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, t1, now + 1, &sess, err, sizeof(err)), 1);
	CHECK_INT(sess.must_change, 0);
	CHECK_INT(sstore_session_get(s, t2, now + 1, &sess, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, t3, now + 1, &sess, err, sizeof(err)), 1);
	CHECK_INT(sstore_user_check(s, "amina", "amina's password", err, sizeof(err)), 0);
	CHECK_INT(sstore_user_check(s, "amina", "a new password", err, sizeof(err)), 1);
	/* An admin's reset ends them all and asks for a new password. */
	CHECK_INT(sstore_user_passwd(s, "amina", "reset by admin", 1, NULL, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, t1, now + 2, &sess, err, sizeof(err)), 0);
	CHECK_INT(sstore_user_get(s, "amina", &u, err, sizeof(err)), 1);
	CHECK_INT(u.must_change, 1);
	CHECK_INT(login(s, "amina", "reset by admin", "10.0.0.1", now + 3, t1, NULL), SL_OK);
	CHECK_INT(sstore_session_get(s, t1, now + 4, &sess, err, sizeof(err)), 1);
	CHECK_INT(sess.must_change, 1);
	/* Refusals change nothing. */
	q_text(dir, "SELECT pwhash || must_change FROM users WHERE name = 'amina'", before, sizeof(before));
	CHECK_INT(sstore_user_passwd(s, "amina", "short", 0, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "10 to 256") != NULL);
	CHECK_INT(sstore_user_passwd(s, "nobody", "long enough password", 0, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "nobody") != NULL);
	q_text(dir, "SELECT pwhash || must_change FROM users WHERE name = 'amina'", after, sizeof(after));
	CHECK_STR(after, before);
	CHECK_INT(sstore_session_get(s, t1, now + 5, &sess, err, sizeof(err)), 1);
	CHECK_INT(sstore_session_get(s, t3, now + 5, &sess, err, sizeof(err)), 1);
	sstore_close(s);
}

static void test_login_session(void)
{
	char dir[400], err[512] = "", token[SSTORE_TOKEN_HEXLEN + 1], hex[2 * 32 + 1], sql[256], stored[80];
	unsigned char raw[32], hash[32];
	struct sstore *s = fresh("login", dir);
	struct sstore_session sess, again;
	unsigned retry = 99;
	size_t n = 0;
	uint64_t now = now_ms();

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "reviewer", "amina's password", 1, err, sizeof(err)), 0);
	memset(&sess, 0x55, sizeof(sess));
	CHECK_INT(sstore_login(s, "amina", "amina's password", "10.0.0.1", now, token, &sess, &retry, err, sizeof(err)),
		  SL_OK);
	CHECK_INT(retry, 0);
	CHECK_INT(strlen(token), SSTORE_TOKEN_HEXLEN);
	CHECK_INT(strspn(token, "0123456789abcdef"), SSTORE_TOKEN_HEXLEN);
	CHECK_STR(sess.user, "amina");
	CHECK_STR(sess.role, "reviewer");
	CHECK_INT(sess.must_change, 1);
	CHECK_INT(strlen(sess.csrf), SSTORE_TOKEN_HEXLEN);
	CHECK_INT(strspn(sess.csrf, "0123456789abcdef"), SSTORE_TOKEN_HEXLEN);
	CHECK(strcmp(sess.csrf, token) != 0);
	CHECK_INT(sess.created_ms, now);
	CHECK_INT(sess.last_used_ms, now);
	/* Only the BLAKE2b hash of the token's 32 bytes is stored. */
	CHECK_INT(sodium_hex2bin(raw, sizeof(raw), token, SSTORE_TOKEN_HEXLEN, NULL, &n, NULL), 0);
	crypto_generichash(hash, sizeof(hash), raw, sizeof(raw), NULL, 0);
	hex_encode(hex, hash, sizeof(hash));
	snprintf(sql, sizeof(sql), teststore_pg()
		 ? "SELECT count(*) FROM sessions WHERE encode(token, 'hex') = lower('%s') AND \"user\" = 'amina'"
		 : "SELECT count(*) FROM sessions WHERE hex(token) = upper('%s') AND \"user\" = 'amina'", hex);
	CHECK_INT(q_int(dir, sql), 1);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM sessions"), 1);
	hex_encode(hex, raw, sizeof(raw));
	snprintf(sql, sizeof(sql), teststore_pg()
		 ? "SELECT count(*) FROM sessions WHERE encode(token, 'hex') LIKE '%%%.16s%%' OR csrf LIKE '%%%.16s%%'"
		 : "SELECT count(*) FROM sessions WHERE instr(lower(hex(token)), '%.16s') > 0 OR instr(csrf, '%.16s') > 0",
		 hex, hex);
	CHECK_INT(q_int(dir, sql), 0);
	CHECK_STR(q_text(dir, "SELECT csrf FROM sessions", stored, sizeof(stored)), sess.csrf);
	CHECK_INT(count_where(dir, "audit", "action = 'login' AND \"user\" = 'amina' AND ip = '10.0.0.1'"), 1);

	/* The token finds the session and moves its last use. */
	CHECK_INT(sstore_session_get(s, token, now + 60000, &again, err, sizeof(err)), 1);
	CHECK_STR(again.user, "amina");
	CHECK_STR(again.role, "reviewer");
	CHECK_STR(again.csrf, sess.csrf);
	CHECK_INT(again.must_change, 1);
	CHECK_INT(again.created_ms, now);
	CHECK_INT(again.last_used_ms, now + 60000);
	CHECK_INT(q_int(dir, "SELECT last_used FROM sessions"), (long long)(now + 60000));
	/* Another token, a malformed one, an upper-case copy: none. */
	hex_encode(hex, hash, sizeof(hash));
	CHECK_INT(sstore_session_get(s, hex, now + 60001, &again, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, "", now + 60001, &again, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, "zz", now + 60001, &again, err, sizeof(err)), 0);
	snprintf(hex, sizeof(hex), "%s", token);
	for (n = 0; hex[n]; n++)
		if (hex[n] >= 'a' && hex[n] <= 'f')
			hex[n] = (char)(hex[n] - 'a' + 'A');
	CHECK_INT(sstore_session_get(s, hex, now + 60001, &again, err, sizeof(err)), 0);
	/* Ending it. */
	CHECK_INT(sstore_session_end(s, token, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, token, now + 60002, &again, err, sizeof(err)), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM sessions"), 0);
	sstore_close(s);
}

static void test_session_expiry(void)
{
	char dir[400], err[512] = "", t1[SSTORE_TOKEN_HEXLEN + 1], t2[SSTORE_TOKEN_HEXLEN + 1];
	struct sstore *s = fresh("expiry", dir);
	struct sstore_session sess;
	uint64_t now = now_ms(), t;

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "viewer", "amina's password", 0, err, sizeof(err)), 0);
	/* Idle: alive 1 ms before 2 hours without a request, ended at 2 hours. */
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now, t1, NULL), SL_OK);
	CHECK_INT(sstore_session_get(s, t1, now + SSTORE_SESSION_IDLE_MS - 1, &sess, err, sizeof(err)), 1);
	t = now + SSTORE_SESSION_IDLE_MS - 1;
	CHECK_INT(sstore_session_get(s, t1, t + SSTORE_SESSION_IDLE_MS - 1, &sess, err, sizeof(err)), 1);
	t += SSTORE_SESSION_IDLE_MS - 1;
	CHECK_INT(sstore_session_get(s, t1, t + SSTORE_SESSION_IDLE_MS, &sess, err, sizeof(err)), 0);
	CHECK_INT(sstore_session_get(s, t1, t + 1, &sess, err, sizeof(err)), 0);   /* and gone for good */
	CHECK_INT(count_where(dir, "sessions", "1 = 1"), 0);
	/* Absolute: used every hour, it still ends 12 hours after login. */
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now, t2, NULL), SL_OK);
	for (t = now + HOUR; t < now + SSTORE_SESSION_MAX_MS; t += HOUR)
		CHECK_INT(sstore_session_get(s, t2, t, &sess, err, sizeof(err)), 1);
	CHECK_INT(sstore_session_get(s, t2, now + SSTORE_SESSION_MAX_MS - 1, &sess, err, sizeof(err)), 1);
	CHECK_INT(sstore_session_get(s, t2, now + SSTORE_SESSION_MAX_MS, &sess, err, sizeof(err)), 0);
	/* Sessions left behind are purged when someone logs in. */
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now, t1, NULL), SL_OK);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.1", now + 3 * HOUR, t2, NULL), SL_OK);
	CHECK_INT(count_where(dir, "sessions", "1 = 1"), 1);
	CHECK_INT(sstore_session_get(s, t2, now + 3 * HOUR + 1, &sess, err, sizeof(err)), 1);
	sstore_close(s);
}

static void test_login_delays_per_name(void)
{
	char dir[400], err[512] = "", token[SSTORE_TOKEN_HEXLEN + 1];
	struct sstore *s = fresh("delay", dir);
	unsigned retry = 0;
	uint64_t now = now_ms(), last;
	int i;

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "viewer", "amina's password", 0, err, sizeof(err)), 0);
	/* Two failures: no delay yet; each from another address, which does not matter for the name. */
	CHECK_INT(login(s, "amina", "wrong password", "10.0.0.1", now, token, &retry), SL_BAD);
	CHECK_INT(login(s, "amina", "wrong password", "10.0.0.2", now, token, &retry), SL_BAD);
	CHECK_INT(retry, 0);
	CHECK_INT(token[0], 0);
	CHECK_INT(failures(dir, "u:amina"), 2);
	CHECK_INT(login(s, "amina", "wrong password", "10.0.0.3", now, token, &retry), SL_BAD);
	last = last_failure(dir, "u:amina");
	CHECK(last >= now);
	/* After the third: 1 s, for the right password too, from any address, without a new failure counted. */
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.4", last + 999, token, &retry), SL_WAIT);
	CHECK_INT(retry, 1);
	CHECK_INT(token[0], 0);
	CHECK_INT(login(s, "amina", "wrong password", "10.0.0.4", last, token, &retry), SL_WAIT);
	CHECK_INT(retry, 1);
	CHECK_INT(failures(dir, "u:amina"), 3);
	CHECK_INT(count_where(dir, "sessions", "1 = 1"), 0);
	/* Another name is not held up. */
	CHECK_INT(login(s, "admin", admin_pw, "10.0.0.4", last, token, &retry), SL_OK);
	/* Then one try, and the delay doubles with each failure: 2 s, 4 s, 8 s... */
	for (i = 0; i < 5; i++) {
		uint64_t wait = 1000ull << i;

		CHECK_INT(login(s, "amina", "wrong password", "10.0.0.5", last + wait, token, &retry), SL_BAD);
		last = last_failure(dir, "u:amina");
		CHECK_INT(login(s, "amina", "amina's password", "10.0.0.5", last, token, &retry), SL_WAIT);
		CHECK_INT(retry, (2 * wait) / 1000);
		CHECK_INT(login(s, "amina", "amina's password", "10.0.0.5", last + 2 * wait - 1, token, &retry),
			  SL_WAIT);
		CHECK_INT(retry, 1);
	}
	CHECK_INT(failures(dir, "u:amina"), 8);
	/* At most 15 minutes. */
	CHECK_INT(q_exec(dir, "UPDATE login_failures SET failures = 40 WHERE key = 'u:amina'"), 0);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.5", last, token, &retry), SL_WAIT);
	CHECK_INT(retry, 900);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.5", last + 899 * 1000 + 1, token, &retry), SL_WAIT);
	CHECK_INT(retry, 1);
	/* Once the wait is over the right password works, and clears the name's count. */
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.5", last + 900 * 1000, token, &retry), SL_OK);
	CHECK_INT(strlen(token), SSTORE_TOKEN_HEXLEN);
	CHECK_INT(failures(dir, "u:amina"), -1);
	CHECK_INT(login(s, "amina", "wrong password", "10.0.0.6", last + 900 * 1000, token, &retry), SL_BAD);
	CHECK_INT(login(s, "amina", "amina's password", "10.0.0.6", last + 900 * 1000, token, &retry), SL_OK);
	/* Refused attempts were not audited as failures; each password checked was. */
	CHECK_INT(count_where(dir, "audit", "action = 'login_failed' AND \"user\" = 'amina'"), 9);
	CHECK_INT(count_where(dir, "audit", "action = 'login_failed' AND detail = '{\"why\":\"wrong_password\"}'"), 9);
	sstore_close(s);
}

static void test_login_delays_per_address(void)
{
	char dir[400], err[512] = "", token[SSTORE_TOKEN_HEXLEN + 1], name[32];
	struct sstore *s = fresh("address", dir);
	unsigned retry = 0;
	uint64_t now = now_ms(), last;
	int i;

	if (!s) {
		CHECK(s);
		return;
	}
	CHECK_INT(sstore_user_add(s, "amina", "viewer", "amina's password", 0, err, sizeof(err)), 0);
	/* Ten failures from one address, each under another name (none reaches three). */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		CHECK_INT(login(s, name, "wrong password", "192.0.2.7", now, token, &retry), SL_BAD);
	}
	CHECK_INT(failures(dir, "a:192.0.2.7"), 10);
	CHECK_INT(count_where(dir, "audit", "action = 'login_failed' AND detail = '{\"why\":\"unknown_user\"}' AND"
			      " ip = '192.0.2.7'"), 10);
	last = last_failure(dir, "a:192.0.2.7");
	/* The address waits, whatever the name; others do not. */
	CHECK_INT(login(s, "amina", "amina's password", "192.0.2.7", last + 999, token, &retry), SL_WAIT);
	CHECK_INT(retry, 1);
	CHECK_INT(login(s, "amina", "amina's password", "192.0.2.8", last, token, &retry), SL_OK);
	CHECK_INT(login(s, "amina", "wrong password", "192.0.2.7", last + 1000, token, &retry), SL_BAD);
	last = last_failure(dir, "a:192.0.2.7");
	CHECK_INT(login(s, "amina", "amina's password", "192.0.2.7", last, token, &retry), SL_WAIT);
	CHECK_INT(retry, 2);
	CHECK_INT(login(s, "amina", "amina's password", "192.0.2.7", last + 1999, token, &retry), SL_WAIT);
	CHECK_INT(retry, 1);
	/* A success from the address does not clear its count. */
	CHECK_INT(login(s, "amina", "amina's password", "192.0.2.7", last + 2000, token, &retry), SL_OK);
	CHECK_INT(failures(dir, "a:192.0.2.7"), 11);
	/* An invalid name is counted for the address only, and logged without its text. */
	CHECK_INT(login(s, "not a\nname", "x", "198.51.100.1", now, token, &retry), SL_BAD);
	CHECK_INT(failures(dir, "a:198.51.100.1"), 1);
	CHECK_INT(count_where(dir, "login_failures", "key LIKE 'u:%name%'"), 0);
	CHECK_INT(count_where(dir, "audit", "\"user\" LIKE '%name%' OR target LIKE '%name%'"), 0);
	/* Counts are forgotten a day after the last attempt counted under them. */
	CHECK_INT(login(s, "amina", "amina's password", "192.0.2.7", last + 2000 + 24 * HOUR + 1, token, &retry),
		  SL_OK);
	CHECK_INT(failures(dir, "a:192.0.2.7"), 0);
	CHECK_INT(failures(dir, "a:198.51.100.1"), -1);
	sstore_close(s);
}

struct audit_seen {
	char actions[8][32], users[8][64], targets[8][64], ips[8][64], details[8][64];
	uint64_t at[8];
	int n;
};

static void collect_audit(void *ctx, const struct sstore_audit_entry *e)
{
	struct audit_seen *a = ctx;

	if (a->n < 8) {
		snprintf(a->actions[a->n], sizeof(a->actions[0]), "%s", e->action);
		snprintf(a->users[a->n], sizeof(a->users[0]), "%s", e->user);
		snprintf(a->targets[a->n], sizeof(a->targets[0]), "%s", e->target);
		snprintf(a->ips[a->n], sizeof(a->ips[0]), "%s", e->ip);
		snprintf(a->details[a->n], sizeof(a->details[0]), "%s", e->detail);
		a->at[a->n] = e->at_ms;
	}
	a->n++;
}

static void test_audit_log(void)
{
	char dir[400], err[512] = "", target[16];
	struct sstore *s = fresh("audit", dir);
	struct audit_seen a;
	uint64_t total = 0, before = now_ms();
	int i;

	if (!s) {
		CHECK(s);
		return;
	}
	memset(&a, 0, sizeof(a));
	CHECK_INT(sstore_audit_list(s, 0, 50, collect_audit, &a, &total, err, sizeof(err)), 0);
	CHECK_INT(total, 0);
	CHECK_INT(a.n, 0);
	/* Details are objects of machine fields, written compact; a detail json_pack could not make is {}. */
	CHECK_INT(sstore_audit_json(s, SSTORE_CLI_USER, "", "user_add", "amina", json_pack("{s:s}", "role", "viewer"), err,
				    sizeof(err)), 0);
	CHECK_INT(sstore_audit_json(s, "amina", "10.0.0.1", "review", "45e06a94",
				    json_pack("{s:s, s:s}", "status", "approved", "comment", "ok"), err, sizeof(err)), 0);
	CHECK_INT(sstore_audit_json(s, "admin", "::1", "revoke", "5f0c2e9a", NULL, err, sizeof(err)), 0);
	CHECK_INT(sstore_audit_list(s, 0, 50, collect_audit, &a, &total, err, sizeof(err)), 0);
	CHECK_INT(total, 3);
	CHECK_INT(a.n, 3);
	/* Newest first. */
	CHECK_STR(a.actions[0], "revoke");
	CHECK_STR(a.users[0], "admin");
	CHECK_STR(a.ips[0], "::1");
	CHECK_STR(a.actions[1], "review");
	CHECK_STR(a.targets[1], "45e06a94");
	CHECK_STR(a.details[1], "{\"status\":\"approved\",\"comment\":\"ok\"}");
	CHECK_STR(a.details[0], "{}");
	CHECK_STR(a.details[2], "{\"role\":\"viewer\"}");
	CHECK_STR(a.actions[2], "user_add");
	CHECK_STR(a.users[2], SSTORE_CLI_USER);
	CHECK_STR(a.ips[2], "");
	CHECK(a.at[2] >= before && a.at[0] >= a.at[2] && a.at[0] <= now_ms());
	/* Pages. */
	for (i = 0; i < 20; i++) {
		snprintf(target, sizeof(target), "t%d", i);
		CHECK_INT(sstore_audit(s, "admin", "::1", "code", target, "", err, sizeof(err)), 0);
	}
	memset(&a, 0, sizeof(a));
	CHECK_INT(sstore_audit_list(s, 5, 4, collect_audit, &a, &total, err, sizeof(err)), 0);
	CHECK_INT(total, 23);
	CHECK_INT(a.n, 4);
	CHECK_STR(a.targets[0], "t14");
	CHECK_STR(a.targets[3], "t11");
	memset(&a, 0, sizeof(a));
	CHECK_INT(sstore_audit_list(s, 21, 50, collect_audit, &a, &total, err, sizeof(err)), 0);
	CHECK_INT(a.n, 2);
	CHECK_STR(a.actions[1], "user_add");
	memset(&a, 0, sizeof(a));
	CHECK_INT(sstore_audit_list(s, 1000, 50, collect_audit, &a, &total, err, sizeof(err)), 0);
	CHECK_INT(a.n, 0);
	CHECK_INT(total, 23);
	sstore_close(s);
}

int main(void)
{
	snprintf(top, sizeof(top), "%s/test_users.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (sodium_init() < 0 || !mkdtemp(top)) {
		perror("test_users setup");
		return 1;
	}
	RUN(test_name_valid);
	RUN(test_add_get_list);
	RUN(test_add_refusals);
	RUN(test_check_and_disable);
	RUN(test_passwd_ends_sessions);
	RUN(test_login_session);
	RUN(test_session_expiry);
	RUN(test_login_delays_per_name);
	RUN(test_login_delays_per_address);
	RUN(test_audit_log);
	rm_rf(top);
	return test_done();
}
