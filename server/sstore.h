/* sstore.h - the server's store: devices, enrolment codes, forms, nonces, change sets as received and ingest,
 * the pull feed, and the same merge tables as every replica (common/merge.h), in one SQLite database in the
 * data directory.
 *
 * Everything a request needs goes through this interface and the store's other headers, one per concern:
 * sstore-relay.h (the link between a regional server and headquarters), sstore-review.h (what the review page
 * reads, and the server's own ops) and sstore-users.h (accounts, sessions and the audit log), so that a
 * PostgreSQL implementation can take its place without touching the HTTP code. Functions return 0 on success
 * and -1 with a message in err unless said otherwise. A handle is used by one thread at a time; the server
 * opens one per worker. */
#ifndef SONDEO_SSTORE_H
#define SONDEO_SSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "merge.h"
#include "changeset.h"

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
 * bytes). The database is a file of the directory, or with store (not NULL) the empty PostgreSQL database that
 * libpq connection string names, kept in the directory's store.conf (dbstore.h). Refuses if anything is already
 * there, destroying nothing. */
int sstore_init(const char *dir, const char *store, char *password, size_t passlen, char *err, size_t errlen);
/* Opens the data directory. Caller closes with sstore_close(). */
struct sstore *sstore_open(const char *dir, char *err, size_t errlen);
void sstore_close(struct sstore *s);
/* Has the store's engine compile every statement now (PostgreSQL leaves each for its first run, db_check): sondeod
 * serve calls it as it starts, so that a statement the engine refuses is said then. 0, or -1 with err. */
int sstore_check(struct sstore *s, char *err, size_t errlen);
/* The server's key pair (loaded once at open; wiped at close). */
const struct keys *sstore_keys(const struct sstore *s);

/* 0 if region can name a region: 1 to SSTORE_MAX_NAME letters, digits, '_', '.' or '-'; else -1 with err saying
 * so (err may be NULL). Callers check a region a person gave before asking the store to use it, so that a bad
 * one is told apart from a store error by this answer, not by the message. */
int sstore_region_check(const char *region, char *err, size_t errlen);

/* Enrolment codes. sstore_code_new makes a code for region with uses and an expiry (epoch ms; 0: never) and
 * writes it (as shown to people, e.g. "K7QF-2MZX-9RTA-LB4E-WCJ8") into code. */
int sstore_code_new(struct sstore *s, const char *region, unsigned uses, uint64_t expires_ms, char *code,
		    size_t codelen, char *err, size_t errlen);

/* Enrols a device with the code whose first five characters are code_id: the code must exist, be unexpired
 * and have a use left. check(ctx, mac_key) is called with the code's MAC key (32 bytes) and returns 0 if the
 * request's MAC verifies with it. Then, in one transaction, the device (pk, name) is stored in the code's
 * region and the code loses a use; d is filled. Enrolling the same key again with a valid MAC answers the
 * same device without using the code again. Returns 0, or -1 with err ("unknown or used enrolment code, or a
 * MAC that does not match it", the same for an unknown code and a bad MAC; "enrolment code expired", store
 * errors). */
int sstore_enrol(struct sstore *s, const char *code_id, int (*check)(void *ctx, const unsigned char key[32]),
		 void *ctx, const unsigned char pk[KEYS_PK_BYTES], const char *name, struct sstore_device *d,
		 char *err, size_t errlen);


/* Forms: publishes a form definition (validated by form_load); the same id and version again with the same
 * definition is a no-op, with another definition it is refused. Calls fn for each published form at its
 * newest version. */
int sstore_form_publish(struct sstore *s, const char *json, size_t len, char *err, size_t errlen);

/* Writes a consistent copy of the store to path (created, mode 0600, never over a file), one moment of it while
 * sondeod serve goes on: a SQLite file with the views form_ID and form_ID:REPEAT for analysts. without_secrets:
 * the accounts, sessions, enrolment codes and nonces left out. 0, or -1 with err (and no file). */
int sstore_backup(struct sstore *s, const char *path, int without_secrets, char *err, size_t errlen);
int sstore_form_list(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						  const char *json), void *ctx, char *err, size_t errlen);

/* Records that device used nonce at now (epoch ms), forgetting nonces older than SSTORE_NONCE_KEEP_MS, and
 * notes the device as seen. 1 if the nonce is new, 0 if it was already used (a replay), -1 on error. */
#define SSTORE_NONCE_KEEP_MS ((uint64_t)15 * 60 * 1000)
int sstore_nonce_use(struct sstore *s, const char *device, const char *nonce, uint64_t now, char *err,
		     size_t errlen);
/* Whether device used nonce within SSTORE_NONCE_KEEP_MS before now, changing nothing: 1 if so, 0 if not, -1 on
 * error. A request's headers are checked with it before its body is read; only sstore_nonce_use decides. */
int sstore_nonce_used(struct sstore *s, const char *device, const char *nonce, uint64_t now, char *err,
		      size_t errlen);

struct sstore_stats {
	uint64_t ops, conflicts, devices_active, devices_revoked;
	uint64_t media_whole, media_bytes, media_partial;   /* attachments held whole (and their bytes), and not yet */
};
/* Figures for /metrics and status: ops held, records with a conflict, devices, attachments. */
int sstore_stats(struct sstore *s, struct sstore_stats *out, char *err, size_t errlen);

/* More for /metrics. sstore_form_counts calls fn for each published form, in order of id, with its records (not
 * deleted; a repeat's instances are not records of their own) and those of them awaiting review (pending), from
 * the dashboard's kept counts (sstore-counts.c): a pass over those, not over the records. */
int sstore_form_counts(struct sstore *s, void (*fn)(void *ctx, const char *form, uint64_t records, uint64_t pending),
		       void *ctx, char *err, size_t errlen);
/* Into out[i], how many of the devices that sync with this server last did more than ago_ms[i] before now (one
 * that never synced, since its enrolment). Those are the enrolled devices not revoked, less the regional servers,
 * and the devices that sync with a regional server (vouched for by one, at headquarters; known only through
 * headquarters, at a regional server), whose office sees them. */
#define SSTORE_SILENT_STEPS 4
int sstore_devices_silent(struct sstore *s, uint64_t now, const uint64_t ago_ms[SSTORE_SILENT_STEPS],
			  uint64_t out[SSTORE_SILENT_STEPS], char *err, size_t errlen);
/* sondeod migrate: copies every table of s (a store on SQLite, whose file no other program writes meanwhile) into
 * the empty PostgreSQL database conninfo names, in one transaction, and checks that both hold the same ops
 * before it commits; the search index is rebuilt there at its first open. The caller then points the data
 * directory at that database (dbstore_conf_write) and puts the file aside. 0 with out, or -1 with err and the
 * database as it was. */
struct sstore_migrated {
	uint64_t tables, rows, ops;
};
int sstore_migrate(struct sstore *s, const char *conninfo, struct sstore_migrated *out, char *err, size_t errlen);
/* The bytes of the database (its file and its write-ahead log), and the file system of the data directory: its
 * size, and what is free for the server to write (not what only root may). */
struct sstore_disk {
	uint64_t db_bytes, wal_bytes, free_bytes, size_bytes;
};
int sstore_disk(struct sstore *s, struct sstore_disk *out, char *err, size_t errlen);

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
 * server made (NULL for a device's). fn returns non-zero when the page is full: that op is the page's last. The
 * op's strings live only during the call. *next gets the cursor to ask from next time and *more whether there
 * may be more now. One call looks at no more than limit * SSTORE_PULL_WINDOW positions, so a page costs the same
 * whatever the cursor; a page may then hold fewer than limit ops, even none, with *more set. */
int sstore_pull(struct sstore *s, const char *region, const char *skip_device, uint64_t after, unsigned limit,
		int (*fn)(void *ctx, const struct op *op, const char *by), void *ctx, uint64_t *next, int *more, char *err,
		size_t errlen);
#define SSTORE_PULL_WINDOW 8

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

#endif
