/* srv.h - what sondeod's endpoints share while serving: the data directory, a store handle per worker
 * thread, and the checks of a signed device request. One endpoint per api-*.c file. */
#ifndef SONDEO_SRV_H
#define SONDEO_SRV_H

#include "auth.h"
#include "embed.h"
#include "http.h"
#include "sstore.h"

/* Each endpoint includes the store's headers it uses (sstore-users.h, sstore-review.h...); these are only
 * passed through here. */
struct sstore_session;
struct sstore_filter;
struct sstore_page;
struct form;

#define SRV_MAX_SKEW_MS (5 * 60 * 1000)   /* a request's time may be this far from ours */

/* What the endpoints count for GET /metrics beside the HTTP layer's figures and the store's (api-metrics.c):
 * change sets taken in, and refused by the code of their refusal (one of a fixed list: srv_count_changeset), and
 * logins by their outcome. Updated atomically: handlers run on several threads at once. */
#define SRV_REFUSALS 26
enum srv_login { SRV_LOGIN_OK, SRV_LOGIN_FAILED, SRV_LOGIN_THROTTLED, SRV_LOGINS };
struct srv_counters {
	uint64_t changesets_accepted;
	uint64_t changesets_refused[SRV_REFUSALS];
	uint64_t logins[SRV_LOGINS];
};

struct srv {
	const char *data_dir;
	struct http_server *http;   /* for /metrics */
	int tls;                    /* serving HTTPS: session cookies are Secure */
	uint64_t media_file_max, media_day_max;   /* attachments: a file, a device's day (sstore-media.h) */
	struct srv_counters counters;
};

/* Counts a change set: taken in when refused is NULL, else refused with the answer set in refused (the code of
 * its error body, or "other" for a code not in the list). */
void srv_count_changeset(struct http_request *rq, const struct http_response *refused);
/* Counts a login's outcome. */
void srv_count_login(struct http_request *rq, enum srv_login result);

/* This worker thread's store, opened on first use and kept for the thread's life; NULL with a 503 set in
 * rs when it cannot be opened. */
struct sstore *srv_store(struct http_request *rq, struct http_response *rs);

/* The check of every signed route's headers (struct http_route's check), before its body is read: the five
 * Sondeo-* headers are there, the device is enrolled and not revoked, the time is close to ours, the signature
 * verifies over the method, path and query, and the body hash the request claims, and its nonce is unused
 * (nothing is recorded). 0, or -1 with the error response set in rs. */
int srv_check_signed(struct http_request *rq, struct http_response *rs);
/* Checks a signed device request whole (PROTOCOL.md, "Signed requests"): the checks of srv_check_signed, then
 * that the body is the one Sondeo-Body-Hash names, and uses up the nonce. Returns 0 and fills d, or -1 with the
 * error response set in rs. */
int srv_authenticate(struct http_request *rq, struct http_response *rs, struct sstore *s, struct sstore_device *d);

/* The roles of the review page, in order: each may do what the ones before it may. */
enum srv_role { ROLE_VIEWER = 1, ROLE_REVIEWER = 2, ROLE_ADMIN = 3 };
/* The role named r ("viewer"...), or 0. */
enum srv_role srv_role_of(const char *r);
/* Checks a review-page request (docs/review-api.md): a live session from the sondeo_session cookie, the
 * X-CSRF-Token header on POST, no password change pending (unless allow_must_change), and a role of at least
 * need. Returns 0 with sess filled, or -1 with the error response set in rs (401 login_required, 403 csrf,
 * 403 password_change_required, 403 forbidden). token, when not NULL, gets the session's token
 * (SSTORE_TOKEN_HEXLEN + 1 bytes). */
int srv_session(struct http_request *rq, struct http_response *rs, struct sstore *s, enum srv_role need,
		int allow_must_change, struct sstore_session *sess, char *token);
/* The cookie attributes for this server: "; Secure" is added when it serves HTTPS. */
int srv_tls(const struct http_request *rq);

/* Answers 200 with body (a new reference, taken), signed with the server's key over the exact bytes sent and
 * bound to the request's nonce (PROTOCOL.md, "Signed responses"); 500 if it cannot be signed. */
void srv_reply_signed(struct http_request *rq, struct http_response *rs, struct sstore *s, json_t *body);
/* The same for an answer already written as JSON text (a pull answer, proto/pull.c). */
void srv_reply_signed_text(struct http_request *rq, struct http_response *rs, struct sstore *s, const char *json);
/* The tag of what GET /v1/forms answers now (the forms, at a regional server also headquarters' address and
 * key): hex of a 16-byte BLAKE2b hash, which changes whenever the answer does. A version 2 pull carries it, so
 * that a device downloads the forms only when they changed. 0, or -1 with err. */
int srv_forms_tag(struct sstore *s, char out[33], char *err, size_t errlen);
struct pull_writer;
/* Writes into w (which the caller releases) the pull answer of the given version for device d: at most limit ops
 * of its region after the cursor after, in version 2 with the forms tag. 0 with the whole answer in w->body, or
 * -1 with the error answer set in rs (503, or 500 for an op held here that a device would refuse). */
int srv_pull_page(struct sstore *s, const struct sstore_device *d, uint64_t after, unsigned limit, int version,
		  struct pull_writer *w, struct http_response *rs);

/* Reads the selection filters of docs/review-api.md from the query (other parameters are left alone) and
 * resolves them against the published forms: 0, or -1 with 400 bad_filter (or 503) set in rs. */
int srv_filter(struct http_request *rq, struct http_response *rs, struct sstore *s, struct sstore_filter *f);
/* The canonical value of a review op ({"comment", "status"}) in *value (caller frees), after checking the
 * status, the comment's length and characters, and that has_issues and rejected say why. -1 with err. */
int srv_review_value(const char *status, const char *comment, char **value, char *err, size_t errlen);
/* --- Reading requests ------------------------------------------------------------------------------------
 * What the endpoints read from a request, each in its own function and before the store is asked anything, so
 * that the fuzz targets (tests/fuzz/fuzz_auth.c, fuzz_review.c, fuzz_query.c) call exactly what the server
 * calls. Strings point into the body given; -1 leaves the error code of the 400 in *code and words in err. */


/* POST /v1/login: exactly user and password, strings without NUL (who they are is the store's question). */
int srv_login_read(json_t *body, const char **user, const char **password, const char **code, char *err,
		   size_t errlen);
/* POST /v1/review: record, status, comment (default ""); *value gets the review op's value (caller frees). */
struct srv_review_req {
	const char *record, *status, *comment;
	char *value;
};
int srv_review_read(json_t *body, struct srv_review_req *r, const char **code, char *err, size_t errlen);
/* POST /v1/resolve: record, field (not _review), value (JSON; null clears); the answer is checked against the
 * record's form by the endpoint. */
struct srv_resolve_req {
	const char *record, *field;
	json_t *value;
};
int srv_resolve_read(json_t *body, struct srv_resolve_req *r, const char **code, char *err, size_t errlen);
/* POST /v1/bulk-review: filter (an object of strings, read as the query's filters into f), status, comment;
 * *value as srv_review_read's. */
int srv_bulk_review_read(json_t *body, struct sstore_filter *f, char **value, const char **code, char *err,
			 size_t errlen);
/* POST /v1/duplicates: records (2 to SRV_GROUP_MAX; each checked against the store by the endpoint), decision
 * (dismiss or confirm), keep (an id, with confirm). */
#define SRV_GROUP_MAX 1000
struct srv_duplicates_req {
	json_t *records;
	const char *decision, *keep;
};
int srv_duplicates_read(json_t *body, struct srv_duplicates_req *r, const char **code, char *err, size_t errlen);
/* POST /v1/users: exactly name (sstore_user_name_valid), role, password (bytes within the store's bounds). */
struct srv_user_req {
	const char *name, *role, *password;
};
int srv_user_add_read(json_t *body, struct srv_user_req *r, const char **code, char *err, size_t errlen);
/* POST /v1/users/disable and /enable: exactly name, a string without NUL (an unknown name is the store's 404). */
int srv_user_name_read(json_t *body, const char **name, const char **code, char *err, size_t errlen);
/* POST /v1/password: exactly old and new, new within the bounds and without NUL; *old_ok is 0 when old holds a
 * NUL (it is then wrong, and the attempt still counts). */
int srv_password_read(json_t *body, const char **old, const char **neu, int *old_ok, const char **code, char *err,
		      size_t errlen);
/* POST /v1/codes: region (sstore_region_check), uses (1 to SRV_CODE_MAX_USES, default 1), expires (a duration
 * from 1m to 365d, default "7d") as *ttl_ms. */
#define SRV_CODE_MAX_USES 100000
#define SRV_CODE_MAX_EXPIRY_MS (365ULL * 24 * 3600 * 1000)
struct srv_code_req {
	const char *region, *expires;
	long long uses;
	uint64_t ttl_ms;
};
int srv_code_read(json_t *body, struct srv_code_req *r, const char **code, char *err, size_t errlen);

/* POST /v1/vouch: exactly action (enrol or revoke), public_key (64 lowercase hex), name, region, time (ms) and
 * signature (128 lowercase hex); text gets the statement the signature must cover (auth_vouch_text). */
struct srv_vouch_req {
	enum auth_vouch action;
	unsigned char pk[KEYS_PK_BYTES], sig[KEYS_SIG_BYTES];
	const char *name, *region;
	uint64_t time_ms;
};
int srv_vouch_read(json_t *body, struct srv_vouch_req *r, struct buf *text, char *err, size_t errlen);

/* GET /v1/records: sort (updated, created, region, review or a question of form), dir (asc or desc), page (from
 * 1) and per_page (1 to SRV_PER_PAGE_MAX), each NULL when absent, into p. */
#define SRV_PER_PAGE 50
#define SRV_PER_PAGE_MAX 200
int srv_page_read(const struct form *form, const char *sort, const char *dir, const char *page, const char *per_page,
		  struct sstore_page *p, char *err, size_t errlen);
/* Its columns: names of questions of form, comma-separated, at most SRV_MAX_COLUMNS; cols is cut in place and
 * columns point into it. Without any (NULL or ""), the first four questions that are not notes. */
#define SRV_MAX_COLUMNS 64
int srv_columns_read(const struct form *form, char *cols, const char **columns, size_t *n, char *err, size_t errlen);

/* Answers a store error, 503 (a bad filter was answered 400 by srv_filter before the store was asked). */
void srv_store_error(struct http_response *rs, const char *err);

void api_health(struct http_request *rq, struct http_response *rs);
void api_metrics(struct http_request *rq, struct http_response *rs);
void api_enrol(struct http_request *rq, struct http_response *rs);
void api_forms(struct http_request *rq, struct http_response *rs);
void api_changesets(struct http_request *rq, struct http_response *rs);
/* srv_check_signed for POST /v1/changesets, counting what it refuses. */
int api_changesets_check(struct http_request *rq, struct http_response *rs);
void api_pull(struct http_request *rq, struct http_response *rs);
void api_media_offset(struct http_request *rq, struct http_response *rs);
void api_media_put(struct http_request *rq, struct http_response *rs);
void api_media_get(struct http_request *rq, struct http_response *rs);
void api_attachment(struct http_request *rq, struct http_response *rs);
int api_media_check(struct http_request *rq, struct http_response *rs);   /* the chunk's headers, before its body */
void api_vouch(struct http_request *rq, struct http_response *rs);
void api_relay_pull(struct http_request *rq, struct http_response *rs);
/* Accounts and sessions of the review page (api-login.c, api-session.c, api-logout.c, api-password.c,
 * api-users.c, api-audit.c). */
void api_login(struct http_request *rq, struct http_response *rs);
void api_session(struct http_request *rq, struct http_response *rs);
void api_logout(struct http_request *rq, struct http_response *rs);
void api_password(struct http_request *rq, struct http_response *rs);
void api_users(struct http_request *rq, struct http_response *rs);
void api_users_add(struct http_request *rq, struct http_response *rs);
void api_users_disable(struct http_request *rq, struct http_response *rs);
void api_users_enable(struct http_request *rq, struct http_response *rs);
void api_audit(struct http_request *rq, struct http_response *rs);
/* The review endpoints (docs/review-api.md). */
void api_catalog(struct http_request *rq, struct http_response *rs);
void api_dashboard(struct http_request *rq, struct http_response *rs);
void api_records(struct http_request *rq, struct http_response *rs);
void api_record(struct http_request *rq, struct http_response *rs);
void api_review(struct http_request *rq, struct http_response *rs);
void api_resolve(struct http_request *rq, struct http_response *rs);
void api_bulk_review(struct http_request *rq, struct http_response *rs);
void api_duplicates(struct http_request *rq, struct http_response *rs);
void api_duplicates_decide(struct http_request *rq, struct http_response *rs);
void api_devices(struct http_request *rq, struct http_response *rs);
void api_devices_revoke(struct http_request *rq, struct http_response *rs);
void api_codes(struct http_request *rq, struct http_response *rs);
void api_export(struct http_request *rq, struct http_response *rs);
/* GET /i18n: the review page's languages and messages (api-i18n.c). */
void api_i18n(struct http_request *rq, struct http_response *rs);
/* GET / and the review page's files (api-static.c). */
void api_static(struct http_request *rq, struct http_response *rs);
/* The review page's files, ended by an entry whose name is NULL (built in: scripts/embed.sh, embed.h). */
extern const struct embedded_file web_files[];

#endif
