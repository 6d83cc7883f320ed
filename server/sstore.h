/* sstore.h - the server's store: devices, enrolment codes, nonces, change sets as received, and the same
 * merge tables as every replica (common/merge.h), in one SQLite database in the data directory.
 *
 * Everything a request needs goes through this interface, so that a PostgreSQL implementation can take its
 * place without touching the HTTP code. Functions return 0 on success and -1 with a message in err unless
 * said otherwise. A handle is used by one thread at a time; the server opens one per worker. */
#ifndef SONDEO_SSTORE_H
#define SONDEO_SSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keys.h"
#include "merge.h"
#include "auth.h"
#include "changeset.h"
#include "buf.h"

#define SSTORE_MAX_NAME 64     /* bytes in a device name or region */

struct sstore;

struct sstore_device {
	char id[KEYS_ID_STRLEN + 1];
	unsigned char pk[KEYS_PK_BYTES];
	char name[SSTORE_MAX_NAME + 1];
	char region[SSTORE_MAX_NAME + 1];
	uint64_t enrolled_ms, last_seen_ms;   /* 0: never seen */
	uint64_t revoked_ms;                  /* 0: not revoked */
	uint64_t ops;                         /* ops received from it */
	uint64_t next_seq;                    /* the seq its next change set must start at */
	uint64_t equivocations;               /* refused (device, seq) with different content */
	int relay;                            /* a regional server enrolled here (docs/relay-design.md) */
	char via[KEYS_ID_STRLEN + 1];         /* the regional server that vouched for it, or "" */
	int upstream;                         /* at a regional server: known only through headquarters' pull */
	uint64_t altered;                     /* a relay: distinct change sets it forwarded altered (refused) */
	long long clock_off_ms;               /* its clock minus ours when a request was last refused for it */
	uint64_t clock_off_at_ms;             /* when that was; 0: never */
};

/* Creates the data directory (mode 0700) with a new database and the server's key pair (secret 0600), and
 * the first admin account named admin with a new random password written into password (at least 24
 * bytes). Refuses if anything is already there, destroying nothing. */
int sstore_init(const char *dir, char *password, size_t passlen, char *err, size_t errlen);
/* Opens the data directory. Caller closes with sstore_close(). */
struct sstore *sstore_open(const char *dir, char *err, size_t errlen);
void sstore_close(struct sstore *s);
/* The server's key pair (loaded once at open; wiped at close). */
const struct keys *sstore_keys(const struct sstore *s);

/* Enrolment codes. sstore_code_new makes a code for region with uses and an expiry (epoch ms; 0: never) and
 * writes it (as shown to people, e.g. "K7QF-2MZX-9RTA-LB4E-WCJ8") into code. */
int sstore_code_new(struct sstore *s, const char *region, unsigned uses, uint64_t expires_ms, char *code,
		    size_t codelen, char *err, size_t errlen);

/* Enrols a device with the code whose first five characters are code_id: the code must exist, be unexpired
 * and have a use left. check(ctx, mac_key) is called with the code's MAC key (32 bytes) and returns 0 if the
 * request's MAC verifies with it. Then, in one transaction, the device (pk, name) is stored in the code's
 * region and the code loses a use; d is filled. Enrolling the same key again with a valid MAC answers the
 * same device without using the code again. Returns 0, or -1 with err ("unknown or used enrolment code",
 * "enrolment code expired", "bad enrolment MAC", store errors). */
int sstore_enrol(struct sstore *s, const char *code_id, int (*check)(void *ctx, const unsigned char key[32]),
		 void *ctx, const unsigned char pk[KEYS_PK_BYTES], const char *name, struct sstore_device *d,
		 char *err, size_t errlen);

/* The same for regional servers: sstore_relay_code_new makes a one-use relay code, sstore_relay_enrol enrols a
 * regional server's key with one (as a relay, in the code's region). A device code cannot enrol a relay, nor a
 * relay code a device ("this code enrols ..."). */
int sstore_relay_code_new(struct sstore *s, const char *region, uint64_t expires_ms, char *code, size_t codelen,
			  char *err, size_t errlen);
int sstore_relay_enrol(struct sstore *s, const char *code_id, int (*check)(void *ctx, const unsigned char key[32]),
		       void *ctx, const unsigned char pk[KEYS_PK_BYTES], const char *name, struct sstore_device *d,
		       char *err, size_t errlen);

/* Takes regional server relay's word for a device of its region (docs/relay-design.md, "Vouching"), the
 * statement's signature checked by the caller: enrols the key (name, region) as vouched for by relay, or, for
 * AUTH_VOUCH_REVOKE, revokes a device it vouched for. A device enrolled already keeps its row; a revoked key
 * stays revoked. d gets the device as it now stands. 0 done, 1 refused (err: not a relay, another region, a
 * device it did not vouch for, a bad key or name), -1 on a store error. */
int sstore_vouch(struct sstore *s, const struct sstore_device *relay, enum auth_vouch action,
		 const unsigned char pk[KEYS_PK_BYTES], const char *name, const char *region, struct sstore_device *d,
		 char *err, size_t errlen);
#define SSTORE_RELAY_USER "(regional server)"   /* who the audit log names for what a relay did */

/* A regional server's link to headquarters, set by `sondeod enrol`: headquarters' URL, its key pinned at
 * enrolment (hex), the CA file for its certificate ("" for the system's), and the region this server serves. */
struct sstore_upstream {
	char url[1024], key[2 * KEYS_PK_BYTES + 1], cacert[1024], region[SSTORE_MAX_NAME + 1];
};
/* 1 and u filled when this server is enrolled at headquarters, 0 when it is not. */
int sstore_upstream_get(struct sstore *s, struct sstore_upstream *u);
int sstore_upstream_set(struct sstore *s, const struct sstore_upstream *u, char *err, size_t errlen);

/* Forms: publishes a form definition (validated by form_load); the same id and version again with the same
 * definition is a no-op, with another definition it is refused. Calls fn for each published form at its
 * newest version. */
int sstore_form_publish(struct sstore *s, const char *json, size_t len, char *err, size_t errlen);
int sstore_form_list(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						  const char *json), void *ctx, char *err, size_t errlen);

/* Records that device used nonce at now (epoch ms), forgetting nonces older than SSTORE_NONCE_KEEP_MS, and
 * notes the device as seen. 1 if the nonce is new, 0 if it was already used (a replay), -1 on error. */
#define SSTORE_NONCE_KEEP_MS ((uint64_t)15 * 60 * 1000)
int sstore_nonce_use(struct sstore *s, const char *device, const char *nonce, uint64_t now, char *err,
		     size_t errlen);

struct sstore_stats {
	uint64_t ops, conflicts, devices_active, devices_revoked;
};
/* Figures for /metrics: ops held, records with a conflict, devices. */
int sstore_stats(struct sstore *s, struct sstore_stats *out, char *err, size_t errlen);

/* What sstore_ingest did with a change set. */
enum sstore_ingest_status {
	SI_OK = 0,            /* applied (some or all ops may have been held already) */
	SI_GAP,               /* it starts after the seq the device must send next: expected_seq says which */
	SI_EQUIVOCATION,      /* an op the server holds, with different content: refused, counted on the device */
	SI_BAD_OP,            /* an op names an unpublished form, an unknown question, a value of the wrong type, or
			       * another form than its record's: it can never be taken */
	SI_FORBIDDEN,         /* its signer may not write an op of it (PROTOCOL.md, "Authority"): code says which rule */
	SI_ERROR              /* a store error */
};

struct sstore_ingest {
	uint64_t accepted;     /* ops new to the server */
	uint64_t duplicates;   /* ops it held already */
	uint64_t next_seq;     /* the seq the device must send next, after this change set */
	uint64_t expected_seq; /* with SI_GAP */
	const char *code;      /* with SI_FORBIDDEN: "not_allowed" (a device's review) or "wrong_region" */
};

/* Applies a change set of device d that the caller has verified (cs_verify) and decoded (cs_decode) from
 * bytes[0..len), all in one transaction: the ops are checked against the published form versions, merged with
 * the rule every replica uses, and the change set is kept as received (for relaying byte for byte). A change
 * set that starts past the device's next seq is refused as a gap; one that overlaps what was received is
 * applied again harmlessly. On anything but SI_OK nothing is changed (except the equivocation count), and err
 * says what. */
enum sstore_ingest_status sstore_ingest(struct sstore *s, const struct sstore_device *d, const unsigned char *bytes,
					size_t len, const struct cs_header *h, const struct cs_ops *ops,
					struct sstore_ingest *out, char *err, size_t errlen);

/* Where a change set came from when not straight from its device: via is the regional server that forwarded it
 * (at headquarters) or SSTORE_VIA_UPSTREAM (at a regional server, what came down from headquarters, which is
 * not forwarded back up); author the reviewer behind a server's change set, or "".
 *
 * Who may write what (PROTOCOL.md, "Authority") is decided where an op enters the system: reviews come only
 * from servers (a regional server's own change sets at headquarters), and a record is written only by its own
 * region's devices and office. What came down from headquarters was decided there, and headquarters writes any
 * record, so it is not judged again. Headquarters' own change sets come down filtered to the region (its seqs
 * are one counter across every region), so their seqs may skip: the gap check is for devices and offices,
 * whose every change set reaches the server. */
struct sstore_origin {
	const char *via, *author;
	int headquarters;    /* at a regional server: the change set is headquarters' own, signed by the key pinned at
			      * enrolment (sstore_relay_take decides) */
};
#define SSTORE_VIA_UPSTREAM "upstream"
enum sstore_ingest_status sstore_ingest_from(struct sstore *s, const struct sstore_device *d,
					     const unsigned char *bytes, size_t len, const struct cs_header *h,
					     const struct cs_ops *ops, const struct sstore_origin *o,
					     struct sstore_ingest *out, char *err, size_t errlen);

/* Calls fn for each op of the records of region held after position after (a cursor: positions grow as ops
 * arrive), oldest first, at most limit, leaving out skip_device's own ops; by names the reviewer of an op this
 * server made (NULL for a device's). The op's strings live only during the call. *next gets the cursor to ask from next time and *more whether there may be more now. */
int sstore_pull(struct sstore *s, const char *region, const char *skip_device, uint64_t after, unsigned limit,
		void (*fn)(void *ctx, const struct op *op, const char *by), void *ctx, uint64_t *next, int *more, char *err,
		size_t errlen);

/* --- The link between a regional server and headquarters (sstore-relay.c; docs/relay-design.md) ----------- */

/* One entry of a regional server's store and forward queue: kind "changeset" (ref: the change set's id here),
 * "enrol" or "revoke" (ref: the device's id), to be vouched for. */
struct sstore_relay_item {
	int64_t id;
	char kind[16], ref[KEYS_ID_STRLEN + 1];
	unsigned tries;
};
/* The oldest entry due at now (one that failed waits for its next try without holding up the others): 1 and it
 * filled, 0 when none is due, -1 on error. */
int sstore_relay_next(struct sstore *s, uint64_t now, struct sstore_relay_item *it, char *err, size_t errlen);
/* Headquarters took the entry: it leaves the queue. */
int sstore_relay_done(struct sstore *s, int64_t id, char *err, size_t errlen);
/* It failed (error says how): tried again from next_try on. */
int sstore_relay_failed(struct sstore *s, int64_t id, uint64_t next_try, const char *error, char *err,
			size_t errlen);
/* A change set held here, by its id: its bytes (exactly as received) into bytes, the rest into c. 1 found, 0 not
 * (no longer held), -1 on error. */
struct sstore_relay_cs {
	char device[KEYS_ID_STRLEN + 1];
	uint64_t first, last;
	char author[SSTORE_MAX_NAME + 1];   /* the reviewer behind this server's own change set, or "" */
};
int sstore_relay_changeset(struct sstore *s, int64_t id, struct buf *bytes, struct sstore_relay_cs *c, char *err,
			   size_t errlen);
/* The ids of device's change sets that hold seq from_seq or later, in seq order (at most max, into ids). */
int sstore_relay_resend(struct sstore *s, const char *device, uint64_t from_seq, int64_t *ids, size_t max, size_t *n,
			char *err, size_t errlen);
/* Notes the link's state: a contact with headquarters at contact_ms (0: none now), and error (NULL or "": none
 * now). The last error stays until another replaces it, so status can say when things last went wrong. */
int sstore_relay_note(struct sstore *s, uint64_t contact_ms, const char *error, char *err, size_t errlen);
/* The cursor of the pull from headquarters. It never moves past a change set that was not taken here: held is
 * NULL when everything before cursor was taken, or why the change set just after it was refused, which holds the
 * pull there (tried again at every pull, shown by status) until it is taken. */
uint64_t sstore_relay_cursor(struct sstore *s);
int sstore_relay_cursor_set(struct sstore *s, uint64_t cursor, const char *held, char *err, size_t errlen);
/* What `sondeod status` shows of a regional server's link. */
struct sstore_relay_status {
	uint64_t changesets, vouches;       /* waiting in the queue */
	uint64_t oldest_ms;                 /* when the oldest waiting one was queued; 0: none */
	uint64_t refused;                   /* entries headquarters refused, waiting for their next try */
	char refusal[600];                  /* the newest of them: "changeset 12: ..." */
	uint64_t contact_ms, error_ms, cursor;
	char error[512];                    /* the last error, "" if none ever */
	char held[512];                     /* why the pull is held before a change set it could not take, or "" */
};
int sstore_relay_status(struct sstore *s, struct sstore_relay_status *out, char *err, size_t errlen);
/* Takes a change set that came down from headquarters: verified against its signer's key (a device of the
 * region not enrolled here becomes known as an upstream device named name, which may not sign requests here),
 * then merged as any change set, not to be forwarded back. */
enum sstore_ingest_status sstore_relay_take(struct sstore *s, const unsigned char *bytes, size_t len,
					    const char *author, const char *name, const char *region,
					    struct sstore_ingest *out, char *err, size_t errlen);

/* Headquarters. The change sets of relay's region held after the cursor after, oldest first, leaving out those
 * it forwarded or made: at most limit, and past the first no more than max_bytes in all. fn gets each one's bytes,
 * its reviewer ("" for a device's), its device's name and its position (the cursor that follows it), and returns
 * -1 to stop on out of memory. */
typedef int (*sstore_pulled_fn)(void *ctx, const unsigned char *bytes, size_t len, const char *author,
				const char *name, uint64_t at);
int sstore_relay_pull(struct sstore *s, const struct sstore_device *relay, uint64_t after, unsigned limit,
		      size_t max_bytes, sstore_pulled_fn fn, void *ctx, uint64_t *next, int *more, char *err,
		      size_t errlen);
/* Calls fn with the id of every revoked device of region. */
int sstore_region_revoked(struct sstore *s, const char *region, void (*fn)(void *ctx, const char *id), void *ctx,
			  char *err, size_t errlen);
/* Counts on relay the change set of device (seqs first..last) that it altered on the way, once however often
 * it is refused. */
int sstore_relay_altered(struct sstore *s, const char *relay, const char *device, uint64_t first, uint64_t last,
			 char *err, size_t errlen);
/* Puts in ops how many ops of its region's change sets relay forwarded here (its own are in relay->ops). */
int sstore_relay_forwarded(struct sstore *s, const struct sstore_device *relay, uint64_t *ops, char *err,
			   size_t errlen);

/* Devices. sstore_device_find returns 1 and fills d, 0 if unknown, -1 on error. */
int sstore_device_find(struct sstore *s, const char *id, struct sstore_device *d, char *err, size_t errlen);
/* Calls fn for every device, in enrolment order. */
int sstore_device_list(struct sstore *s, void (*fn)(void *ctx, const struct sstore_device *d), void *ctx,
		       char *err, size_t errlen);
/* Keeps how far a device's clock is from ours (its minus ours, ms), as a request of it refused for its time
 * showed at at_ms, for `sondeod devices` and the Devices page. The device corrects itself and its next
 * requests are on time, so this is what tells an admin its clock is wrong. */
int sstore_device_clock(struct sstore *s, const char *id, long long off_ms, uint64_t at_ms, char *err,
			size_t errlen);
/* Revokes a device from now on. 1 if it was revoked by this call, 0 if it already was, -1 on error (an
 * unknown id is an error). */
int sstore_device_revoke(struct sstore *s, const char *id, char *err, size_t errlen);

/* --- What the review page reads, and the server's own ops (sstore-review.c; docs/review-api.md) ---------- */

#define SSTORE_MAX_SELECT 16            /* select-question filters in one selection */
#define SSTORE_MAX_COMMENT 2000         /* characters in a review comment */

/* A selection of records: the filters of docs/review-api.md. Empty strings and zeros select everything. */
struct sstore_filter {
	char form[MERGE_MAX_NAME + 1];  /* "" until sstore_filter_resolve picks the form with the most records */
	char repeat[MERGE_MAX_NAME + 1];/* "": records; a repeat's name: its instances (exports) */
	char region[SSTORE_MAX_NAME + 1];
	char review[16];                /* pending, approved, has_issues, rejected, or "" */
	uint64_t from_ms, to_ms;        /* created in [from_ms, to_ms); 0: unbounded */
	char q[512];                    /* FTS5 query, or "" */
	int conflicts, deleted;         /* only records in conflict; include deleted records */
	size_t nsel;
	struct {
		char question[MERGE_MAX_NAME + 1];
		char choice[MERGE_MAX_NAME + 1];
		int multiple;           /* set by sstore_filter_resolve */
	} sel[SSTORE_MAX_SELECT];
};

/* 1 if s is a review state: pending, approved, has_issues or rejected. */
int sstore_review_state_valid(const char *s);
/* Whether a reviewer's decision may be written: a known status, a comment of at most SSTORE_MAX_COMMENT characters
 * without control characters (but line ends and tabs), and one when the status says something is wrong. The same
 * rule for the review page and for the reviews a server takes in from another. 0 valid, -1 with err. */
int sstore_review_check(const char *status, const char *comment, char *err, size_t errlen);
/* Sets one filter from its query parameter (key "form", "region", ..., "f.QUESTION"); unknown keys are left for
 * the caller (returns 1). 0 when taken, -1 with err naming the parameter when its value is malformed. */
int sstore_filter_set(struct sstore_filter *f, const char *key, const char *value, char *err, size_t errlen);
/* Checks the filter against the published forms (the form exists, each f.QUESTION is a select question of its
 * newest version and CHOICE one of its choices), picking the form with the most records when none is named.
 * -1 with err naming the parameter. */
int sstore_filter_resolve(struct sstore *s, struct sstore_filter *f, char *err, size_t errlen);

/* One record as the review page lists it. Strings and answers are valid during the callback only. */
struct sstore_record {
	char id[UUID_STRLEN + 1];
	const char *form, *version, *region, *review, *review_comment;
	uint64_t created_ms, updated_ms;
	int conflicts, deleted;
	int review_conflict;            /* the review has several heads: review is the one shown */
	const json_t *answers;          /* question name -> value (no pseudo-fields) */
};
typedef int (*sstore_record_fn)(void *ctx, const struct sstore_record *r);   /* non-zero stops */

enum sstore_sort { SORT_UPDATED, SORT_CREATED, SORT_REGION, SORT_REVIEW, SORT_QUESTION };
struct sstore_page {
	enum sstore_sort sort;
	char question[MERGE_MAX_NAME + 1];   /* with SORT_QUESTION; unanswered records come after the others */
	int numeric;                         /* with SORT_QUESTION: the answers are numbers (integer, decimal) */
	int desc;
	uint64_t offset;
	unsigned limit;                      /* 0: every record (streams, for exports and bulk review) */
};
/* Calls fn for the selected records in page order; *total gets the number selected (NULL: not counted). */
int sstore_select(struct sstore *s, const struct sstore_filter *f, const struct sstore_page *p,
		  sstore_record_fn fn, void *ctx, uint64_t *total, char *err, size_t errlen);

/* The dashboard of a selection, as the JSON of docs/review-api.md (new reference), or NULL with err. */
json_t *sstore_dashboard(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen);
/* One record with its fields, heads and history, as the JSON of GET /v1/record; id is the full id or a prefix of
 * at least 8 characters. NULL with *status 404 (no such record) or 400 (ambiguous), or 500, and err. */
json_t *sstore_record_json(struct sstore *s, const char *id, unsigned *status, char *err, size_t errlen);
/* The answers of record id (full id or prefix of at least 8), question name -> value, without the record's
 * history: a new reference, or NULL with err. */
json_t *sstore_record_answers(struct sstore *s, const char *id, char *err, size_t errlen);
/* The possible duplicates of a form, as the JSON of GET /v1/duplicates. */
json_t *sstore_duplicates(struct sstore *s, const char *form, char *err, size_t errlen);
/* Marks every pair of the records as not duplicates. */
int sstore_duplicates_dismiss(struct sstore *s, const char *const *records, size_t n, char *err, size_t errlen);
/* The regions that hold records or devices, as a JSON array of strings (new reference). */
json_t *sstore_regions(struct sstore *s, char *err, size_t errlen);
/* The published form id at version (NULL: its newest). Caller frees with form_free(); NULL with err. */
struct form *sstore_form_get(struct sstore *s, const char *id, const char *version, char *err, size_t errlen);
/* Calls fn for every published version of every form, oldest first. */
int sstore_form_versions(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						      const char *json), void *ctx, char *err, size_t errlen);

/* A change made by the server itself on behalf of a reviewer: record (a full id), field (a question or
 * _review), value (canonical JSON text, already checked against the record's form version by the caller). */
struct sstore_change {
	const char *record, *field, *value;
};
/* Makes ops of the changes with the server's own key in one transaction: each op's base is every current head
 * of its field (so it settles a conflict), its form version the record's; they are written as change sets
 * signed by the server's key (kept for relaying), merged by the same rule as a device's, and each names user
 * (op_authors). -1 with err and nothing changed. */
int sstore_change(struct sstore *s, const char *user, const struct sstore_change *c, size_t n, char *err,
		  size_t errlen);
/* The full id, form and form version of the record id (full id or prefix of at least 8); 1 found, 0 none or
 * ambiguous (err says which), -1 error. */
int sstore_record_find(struct sstore *s, const char *id, char full[UUID_STRLEN + 1], char *form, char *version,
		       size_t n, char *err, size_t errlen);

/* --- Accounts, sessions and the audit log (sstore-users.c; docs/review-api.md) ---------------------------- */

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

/* Appends an entry to the audit log (user: an account or SSTORE_CLI_USER; ip: "" from the command line). */
int sstore_audit(struct sstore *s, const char *user, const char *ip, const char *action, const char *target,
		 const char *detail, char *err, size_t errlen);
struct sstore_audit_entry {
	uint64_t at_ms;
	const char *user, *ip, *action, *target, *detail;   /* valid during the call */
};
/* Calls fn for the entries offset..offset+limit, newest first; *total gets the number of entries. */
int sstore_audit_list(struct sstore *s, uint64_t offset, unsigned limit,
		      void (*fn)(void *ctx, const struct sstore_audit_entry *e), void *ctx, uint64_t *total, char *err,
		      size_t errlen);

#endif
