/* sstore-relay.h - the server store's side of the link between a regional server and headquarters
 * (sstore-relay.c, and the relay's enrolment and vouching in sstore.c; docs/relay-design.md): relay codes and
 * enrolment, vouching, the regional server's store and forward queue and its pull from headquarters, and at
 * headquarters what a relay pulls. The conventions of sstore.h hold. */
#ifndef SONDEO_SSTORE_RELAY_H
#define SONDEO_SSTORE_RELAY_H

#include "auth.h"
#include "buf.h"
#include "sstore.h"

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

/* One entry of a regional server's store and forward queue: kind "changeset" (ref: the change set's id here),
 * "enrol" or "revoke" (ref: the device's id), to be vouched for, or "media" (ref: an attachment's hash, whole
 * here: sstore-media.c queues it). */
struct sstore_relay_item {
	int64_t id;
	char kind[16], ref[64 + 1];
	unsigned tries;
};
/* Whether this process forwards and pulls for the regional server: on PostgreSQL, several processes may serve
 * one region's database, and one at a time relays (two would send a device's change sets out of order), the one
 * whose connection s holds the relay's lock; it goes with the connection when its process dies, and another takes
 * it at its next try. 1 (this one: always on SQLite), 0 (another), -1 with err. */
int sstore_relay_lead(struct sstore *s, char *err, size_t errlen);
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
/* Notes the link's state: a contact with headquarters at contact_ms (any answer; 0: none now), its last
 * successful answer at ok_ms (0: none now), and error (NULL or "": none now). The last error stays until another
 * replaces it, so status can say when things last went wrong. */
int sstore_relay_note(struct sstore *s, uint64_t contact_ms, uint64_t ok_ms, const char *error, char *err,
		      size_t errlen);
/* The cursor of the pull from headquarters. It never moves past a change set that was not taken here: held is
 * NULL when everything before cursor was taken, or why the change set just after it was refused, which holds the
 * pull there (tried again at every pull, shown by status) until it is taken. */
uint64_t sstore_relay_cursor(struct sstore *s);
int sstore_relay_cursor_set(struct sstore *s, uint64_t cursor, const char *held, char *err, size_t errlen);
/* What `sondeod status` shows of a regional server's link. */
struct sstore_relay_status {
	uint64_t changesets, vouches;       /* waiting in the queue (vouches: every other entry, attachments too) */
	uint64_t media;                     /* of those vouches, the attachments */
	uint64_t oldest_ms;                 /* when the oldest waiting one was queued; 0: none */
	uint64_t refused;                   /* entries headquarters refused, waiting for their next try */
	char refusal[600];                  /* the newest of them: "changeset 12: ..." */
	uint64_t contact_ms, error_ms, cursor;
	uint64_t ok_ms;                     /* headquarters' last successful answer noted; 0: none */
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

#endif
