/* sstore-users.h - the review page's accounts, web sessions, login delays and the audit log, in the server's
 * store (sstore-users.c; docs/review-api.md). The conventions of sstore.h hold. */
#ifndef SONDEO_SSTORE_USERS_H
#define SONDEO_SSTORE_USERS_H

#include <jansson.h>

#include "sstore.h"

#define SSTORE_PASSWORD_MIN 10          /* bytes in a password */
#define SSTORE_PASSWORD_MAX 256
#define SSTORE_TOKEN_HEXLEN 64          /* a session token or CSRF token: 32 random bytes as hex */
#define SSTORE_SESSION_MAX_MS ((uint64_t)12 * 3600 * 1000)   /* a session ends this long after login */
#define SSTORE_SESSION_IDLE_MS ((uint64_t)2 * 3600 * 1000)   /* or after this long without a request */
#define SSTORE_CLI_USER "(command line)"                      /* who the audit log names for admin commands */

struct sstore_user {
	char name[SSTORE_MAX_NAME + 1];
	char role[16];                  /* "viewer", "reviewer" or "admin" */
	int disabled, must_change;
	uint64_t created_ms;
};

struct sstore_session {
	char user[SSTORE_MAX_NAME + 1];
	char role[16];
	char csrf[SSTORE_TOKEN_HEXLEN + 1];
	int must_change;
	uint64_t created_ms, last_used_ms;
};

/* 1 if name can name an account: 1 to 64 of a-z A-Z 0-9 _ . - @, not starting with '-'. */
int sstore_user_name_valid(const char *name);
/* Adds an account (role viewer, reviewer or admin; password SSTORE_PASSWORD_MIN..MAX bytes, hashed with
 * Argon2id). must_change: the user must choose a new password at first login. Refuses an existing name. */
int sstore_user_add(struct sstore *s, const char *name, const char *role, const char *password, int must_change,
		    char *err, size_t errlen);
/* 1 and u filled, 0 if there is no such account, -1 on error. */
int sstore_user_get(struct sstore *s, const char *name, struct sstore_user *u, char *err, size_t errlen);
/* Calls fn for every account, by name. */
int sstore_user_list(struct sstore *s, void (*fn)(void *ctx, const struct sstore_user *u), void *ctx, char *err,
		     size_t errlen);
/* Disables (or enables) an account; disabling ends its sessions. 1 if changed, 0 if it already was so, -1 on
 * error (an unknown name is an error). */
int sstore_user_set_disabled(struct sstore *s, const char *name, int disabled, char *err, size_t errlen);
/* Sets a new password and must_change, and ends every session of the user except keep_token's (NULL: all). */
int sstore_user_passwd(struct sstore *s, const char *name, const char *password, int must_change,
		       const char *keep_token, char *err, size_t errlen);
/* 1 if password is name's, 0 if not (or no such enabled account), -1 on error. Takes Argon2id's time. */
int sstore_user_check(struct sstore *s, const char *name, const char *password, char *err, size_t errlen);

enum sstore_login_result { SL_OK, SL_BAD, SL_WAIT, SL_ERROR };
/* Logs name in from address ip at now: refuses at once (SL_WAIT, with *retry_s) while the failures of that name
 * or address call for a delay (docs/review-api.md), else checks the password. On SL_OK a new session is made:
 * its token (64 hex) in token, which the caller gives to the browser and then wipes, and sess filled. A failure
 * is counted for the name and the address; a success clears the name's count. Audits login and login_failed. */
enum sstore_login_result sstore_login(struct sstore *s, const char *name, const char *password, const char *ip,
				      uint64_t now, char token[SSTORE_TOKEN_HEXLEN + 1], struct sstore_session *sess,
				      unsigned *retry_s, char *err, size_t errlen);
/* Checks name's password as sstore_login does, under the same delays and counts, without making a session
 * or writing the audit log: for a signed-in user who must give their password again (changing it), so that a
 * session cannot be used to guess passwords faster than the login page allows. */
enum sstore_login_result sstore_password_attempt(struct sstore *s, const char *name, const char *password,
						 const char *ip, uint64_t now, unsigned *retry_s, char *err,
						 size_t errlen);
/* The session of token at now: 1 and sess filled (and its last use moved to now), 0 if there is none (unknown,
 * expired, idle too long, its user disabled), -1 on error. */
int sstore_session_get(struct sstore *s, const char *token, uint64_t now, struct sstore_session *sess, char *err,
		       size_t errlen);
/* Ends a session. */
int sstore_session_end(struct sstore *s, const char *token, char *err, size_t errlen);

/* Appends an entry to the audit log (user: an account, SSTORE_CLI_USER or SSTORE_RELAY_USER; ip: "" from the
 * command line). detail is the text of a JSON object of machine fields ("{}": none), which the page words in its
 * reader's language (docs/review-api.md lists them per action): the log is read in languages other than the
 * one of the moment it was written in. */
int sstore_audit(struct sstore *s, const char *user, const char *ip, const char *action, const char *target,
		 const char *detail, char *err, size_t errlen);
/* The same with detail as an object (json_pack's), which it takes and frees. A NULL detail (json_pack found no
 * memory) is written as "{}": who did what to which target is kept even then. */
int sstore_audit_json(struct sstore *s, const char *user, const char *ip, const char *action, const char *target,
		      json_t *detail, char *err, size_t errlen);
struct sstore_audit_entry {
	uint64_t at_ms;
	const char *user, *ip, *action, *target, *detail;   /* valid during the call */
};
/* Calls fn for the entries offset..offset+limit, newest first; *total gets the number of entries. */
int sstore_audit_list(struct sstore *s, uint64_t offset, unsigned limit,
		      void (*fn)(void *ctx, const struct sstore_audit_entry *e), void *ctx, uint64_t *total, char *err,
		      size_t errlen);

#endif
