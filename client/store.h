/* store.h - the device's local store: one SQLite file and the device key pair in one directory.
 *
 * Every change to a finalized record is an op (merge.h), written in the same transaction as the value the
 * user sees, so what was confirmed is exactly what will sync. Drafts keep their answers without ops: they
 * never leave the device, and their answers become ops when they are finalized. Writes happen between
 * store_begin() and store_commit(); on any error the caller calls store_rollback() and nothing was saved. */
#ifndef SONDEO_STORE_H
#define SONDEO_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "form.h"
#include "op.h"
#include "uuid.h"

struct store;

struct store_record {
	char id[UUID_STRLEN + 1];
	char form[MERGE_MAX_NAME + 1];
	char form_version[MERGE_MAX_NAME + 1];
	int draft, deleted, conflicts;
	uint64_t created, updated;     /* HLC stamps */
	int64_t rid;                   /* the record's key inside the store: the store's own business */
};

/* Sets SQLite up for this program: one thread, one connection. Once, before any store is opened. */
void store_global_init(void);

/* The store directory: $SONDEO_HOME, else $XDG_DATA_HOME/sondeo, else ~/.local/share/sondeo. Caller frees. */
char *store_default_dir(void);
/* Creates a store in dir (made mode 0700 if missing) with a new key pair and the built-in forms. Refuses if a
 * store or key is already there, destroying nothing. Writes the new device id into device_id. */
int store_init(const char *dir, const char *name, char device_id[KEYS_ID_STRLEN + 1], char *err, size_t errlen);
/* Opens the store in dir. Caller closes with store_close(). */
struct store *store_open(const char *dir, char *err, size_t errlen);
void store_close(struct store *s);

const char *store_dir(const struct store *s);
const char *store_device(const struct store *s);
/* The device name given at init ("" if none). Borrowed. */
const char *store_name(struct store *s);

/* The device's key pair, loaded on first use and wiped at close. NULL with err if it cannot be read. */
const struct keys *store_keys(struct store *s, char *err, size_t errlen);
/* Settings kept in the store (the server's address and key after enrolment...). store_meta_get copies the
 * value into out and returns 0, or -1 if there is none; store_meta_set belongs in a transaction. */
int store_meta_get(struct store *s, const char *key, char *out, size_t n);
int store_meta_set(struct store *s, const char *key, const char *value, char *err, size_t errlen);

/* Moves this device's clock past a stamp seen on another's op, inside a transaction, so that its next edits
 * come after everything it has seen whatever its wall clock says; but never more than HLC_MAX_AHEAD_MS past
 * the corrected wall clock (hlc.h), so another device's wrong clock does not move this one's dates. */
void store_observe(struct store *s, uint64_t hlc);

/* The meta key of this device's clock correction: the home server's clock minus this device's, in ms. */
#define STORE_CLOCK_OFFSET "clock_offset_ms"
/* The wall clock corrected by what the server said at the last sync (ms since the epoch): what new ops are
 * stamped with and what forms see as now, today() included. It is the process's clock_ms() (util.h), which
 * opening the store, each transaction (another process may have synced) and store_clock_correct set. */
uint64_t store_now(struct store *s);
/* The correction kept, in ms (0 before the server ever said the clock was off). */
long long store_clock_offset(struct store *s);
/* Inside a transaction: keeps offset_ms as the correction, and brings this device's clock back to the
 * corrected time if stamps made under the wrong clock ran ahead of it. */
int store_clock_correct(struct store *s, long long offset_ms, char *err, size_t errlen);

/* --- Transactions ------------------------------------------------------------------------------------------------- */

int store_begin(struct store *s, char *err, size_t errlen);
int store_commit(struct store *s, char *err, size_t errlen);
void store_rollback(struct store *s);

/* --- Forms (store.c) ---------------------------------------------------------------------------------------------- */

/* Installs a form definition (validated by form_load). Installing the same id and version again with the same
 * definition is a no-op; with a different definition it is refused. Refreshes the form's SQL view. Inside a
 * transaction. */
int store_form_put(struct store *s, const char *json, size_t len, char *err, size_t errlen);
/* Loads form id at version (NULL: the latest installed). Caller frees with form_free(). */
struct form *store_form_get(struct store *s, const char *id, const char *version, char *err, size_t errlen);

/* Calls fn for each installed form at its newest version, by id, with its definition (JSON text, borrowed for the
 * call) and how many records use it (drafts included, deleted ones not). In store-query.c. */
int store_form_list(struct store *s, void (*fn)(void *ctx, const char *id, const char *version, const char *json,
						uint64_t records), void *ctx, char *err, size_t errlen);

/* --- One record (store-records.c) --------------------------------------------------------------------------------- */

/* Finds the record whose id starts with prefix (any unambiguous prefix). */
int store_find(struct store *s, const char *prefix, struct store_record *rec, char *err, size_t errlen);
/* Creates an empty record of form f, as a draft or final; writes its id into rec. Inside a transaction. */
int store_create(struct store *s, const struct form *f, int draft, struct store_record *rec, char *err,
		 size_t errlen);
/* Creates a record of form f with the given answers (a JSON object, written in form order), as a draft or
 * final, in one go; writes its id into rec. Inside a transaction. */
int store_add(struct store *s, const struct form *f, const json_t *answers, int draft, struct store_record *rec,
	      char *err, size_t errlen);
/* Makes again, under its own id, a draft deleted with store_delete (a draft is removed outright, and only its
 * answers, pseudo-fields _parent and _repeat included, tell what it was): the undo of a deletion. Refused if the id
 * is in use. Inside a transaction. */
int store_draft_restore(struct store *s, const struct form *f, const char *id, const json_t *answers,
			struct store_record *rec, char *err, size_t errlen);
/* Sets field of record to value (NULL clears it). On a final record this writes an op whose base is the
 * field's current heads; nothing is written if the value is unchanged and not in conflict. Returns 1 if
 * something changed, 0 if not, -1 on error. Inside a transaction. */
int store_set(struct store *s, const struct store_record *rec, const char *field, const json_t *value,
	      char *err, size_t errlen);
/* Turns a draft into a final record: one op per answer, in form order. Inside a transaction. */
int store_finalize(struct store *s, const struct store_record *rec, const struct form *f, char *err,
		   size_t errlen);
/* Deletes a record: a draft is removed outright; a final record gets a `_deleted` op. Inside a transaction. */
int store_delete(struct store *s, const struct store_record *rec, char *err, size_t errlen);
/* Deletes rec and, first, the instances of its repeats (records whose _parent is rec), theirs too; *n counts the
 * records deleted. Inside the caller's transaction. */
int store_delete_tree(struct store *s, const struct store_record *rec, size_t *n, char *err, size_t errlen);
/* How many instances of its repeat called repeat the record parent has, drafts included, deleted ones not; -1 on
 * a store error. */
int store_instance_count(struct store *s, const char *parent, const char *repeat);
/* The value of field of rec (a draft's answer too) as JSON text into *value (caller frees): 1, or 0 and NULL when
 * the field has none, or -1 with err. */
int store_field_get(struct store *s, const struct store_record *rec, const char *field, char **value, char *err,
		    size_t errlen);
/* The record's current answers as a JSON object (field -> value), pseudo-fields included. New reference. */
json_t *store_answers(struct store *s, const char *record, char *err, size_t errlen);
/* A record's answers as its expressions and labels see them (form.h): answers (borrowed: record id's, as they are or
 * are about to be saved; id NULL for one not made yet) with, under them, the answers of the record it belongs to
 * when it is a repeat instance (its _parent); _instances, the answers of the instances of that record's repeats
 * and of its own, each with theirs; and for an instance _position, its place among its repeat's instances (the
 * next one when it is new). New reference, or NULL with err on a store error. */
json_t *store_answers_in_view(struct store *s, const char *id, const json_t *answers, char *err, size_t errlen);

/* --- Reading: selections, history, heads, counts (store-query.c) -------------------------------------------------- */

#define STORE_MAX_WHERE 32      /* question = value conditions in one selection */

/* A selection of records (never repeat instances: they are shown with their record). */
struct store_filter {
	const char *form;               /* NULL: every form */
	const char *search;             /* text in any answer (pseudo-fields aside), as typed; NULL: none */
	int drafts;                     /* only drafts */
	int finals;                     /* only final records */
	int deleted;                    /* deleted records too; 2: only them */
	int conflicts;                  /* only records in conflict */
	size_t nwhere;                  /* and each of these: the answer is value, or one of its choices */
	struct {
		char question[MERGE_MAX_NAME + 1];
		const char *value;
	} where[STORE_MAX_WHERE];
};
/* Called for each record selected; the record lives during the call. Non-zero stops the selection. */
typedef int (*store_record_fn)(void *ctx, const struct store_record *rec);
/* Calls fn for the records f selects, the last changed first. */
int store_select(struct store *s, const struct store_filter *f, store_record_fn fn, void *ctx, char *err,
		 size_t errlen);

/* One op of a record's history. Strings live during the call. */
struct store_history_op {
	uint64_t hlc, seq;
	const char *device, *field;
	const char *value;              /* the value it set (JSON text) */
	const char *old;                /* the values it replaced, those of its base, as a JSON array text */
	const char *by;                 /* the reviewer a server's op names, or NULL */
};
/* Calls fn for each op of rec, oldest first (by stamp, then device and seq); non-zero from fn stops. A draft has
 * none. */
int store_history(struct store *s, const struct store_record *rec,
		  int (*fn)(void *ctx, const struct store_history_op *h), void *ctx, char *err, size_t errlen);
/* Calls fn for each head of the field of record, in display order (merge_heads). Returns how many heads there are
 * (several: a conflict), or -1 with err. fn may be NULL to count them only. */
int store_heads(struct store *s, const char *record, const char *field, merge_head_fn fn, void *ctx, char *err,
		size_t errlen);
/* Calls fn for each instance of the repeats of the record parent that is not deleted, drafts included, with the
 * repeat's name, by repeat and then in the order they were created; non-zero from fn stops. */
int store_instances(struct store *s, const char *parent, int (*fn)(void *ctx, const char *id, const char *repeat),
		    void *ctx, char *err, size_t errlen);

struct store_counts {
	uint64_t records;               /* final and not deleted */
	uint64_t drafts, deleted;
	uint64_t conflicts;             /* records in conflict, deleted ones aside */
};
int store_counts(struct store *s, struct store_counts *c, char *err, size_t errlen);

/* --- Sync: the ops to push, the ops pulled (store-sync.c) --------------------------------------------------------- */

/* A batch of this device's ops read from the store, for a change set. store_ops_release frees what it holds. */
struct store_ops {
	struct op *op;
	size_t n;
	char **text;                    /* the strings the ops point to, 4 per op; owned */
	struct op_ref *refs;            /* the ops' bases, one after the other; owned */
};
/* Reads up to max of this device's own ops after seq after, in seq order, into out (released first). Returns how
 * many, or -1 with err. */
int store_ops_after(struct store *s, uint64_t after, size_t max, struct store_ops *out, char *err, size_t errlen);
void store_ops_release(struct store_ops *o);
/* Puts in *n how many of this device's own ops come after seq after (those a server has not acknowledged). */
int store_ops_count(struct store *s, uint64_t after, uint64_t *n, char *err, size_t errlen);
/* Puts in *n how many of this device's own ops its home server has not acknowledged yet (after acked_seq): the
 * changes waiting for the next sync. */
int store_ops_unsent(struct store *s, uint64_t *n, char *err, size_t errlen);
/* Takes in n ops pulled from a server, in one transaction of its own, as a server's ingest does: each is merged by
 * the rule every replica uses (one held already is a duplicate, not an error), the reviewer by[i] it names is noted
 * when by[i] is not NULL and the op is not this device's own (by may be NULL: none), and this device's clock moves past its stamp; the meta key cursor
 * is set to next with them, so the ops and the cursor past them are saved together or neither is. *received gets
 * how many ops were new. -1 with err, and nothing changed. */
int store_take_pulled(struct store *s, const struct op *ops, const char *const *by, size_t n, const char *cursor,
		      uint64_t next, uint64_t *received, char *err, size_t errlen);
/* Notes that the op (device, seq), made by a server, names user as its author (a reviewer at headquarters).
 * Inside a transaction. */
int store_op_author(struct store *s, const char *device, uint64_t seq, const char *user, char *err, size_t errlen);
/* Puts in user (n bytes) the reviewer named by the op (device, seq): 1, or 0 with "" when it names none. */
int store_op_author_get(struct store *s, const char *device, uint64_t seq, char *user, size_t n);

/* Attachments (store-media.c): a file read from fd (opened by the caller, given as name) for question q, checked
 * for its size (at most max bytes, before a byte is read), its kind and what q accepts, kept by its hash and synced
 * to disk; *answer receives the answer naming it (media.h). Not inside a transaction: the store notes first that a
 * file may be left unnamed, so that it is swept if no op comes to name it. 0, or -1 with err and nothing kept. */
int store_media_add(struct store *s, int fd, const char *name, const struct form_question *q, uint64_t max,
		    json_t **answer, char *err, size_t errlen);
/* The path of the attachment whose hash is hex into out (n bytes): 1 if the file is on this laptop, 0 if not, -1
 * for a hash that is not one or a path too long. */
int store_media_path(const struct store *s, const char *hex, char *out, size_t n);
/* Calls fn with the hash and size of each attachment this device's own ops name that the server known by prefix
 * server ("" or "hq_") does not hold whole yet (store_media_sent); non-zero from fn stops. 0, or -1 with err. */
typedef int (*store_media_fn)(void *ctx, const char *hex, uint64_t size);
int store_media_unsent(struct store *s, const char *server, store_media_fn fn, void *ctx, char *err, size_t errlen);
/* Calls fn with the hash and size of every attachment an op or an answer on this laptop names; non-zero from fn
 * stops. 0, or -1 with err. */
int store_media_named(struct store *s, store_media_fn fn, void *ctx, char *err, size_t errlen);
/* Keeps data[0..len), downloaded, as attachment hex: only if it is of that hash. 0, or -1 with err. */
int store_media_keep(struct store *s, const char *hex, const void *data, size_t len, char *err, size_t errlen);
/* Notes that that server holds the attachment whole. 0, or -1 with err. */
int store_media_sent(struct store *s, const char *server, const char *hex, char *err, size_t errlen);
#define STORE_MEDIA_MAX ((uint64_t)64000000)   /* the largest file (64 MB), unless a store says otherwise */

/* The records as the exporter takes them (store-export.c, common/export.h). */
struct export_record;

/* Called with each record exported, borrowed for the length of the call; non-zero stops (export_add_fn). */
typedef int (*store_export_fn)(void *ctx, const struct export_record *r);
/* Calls fn for each final, undeleted record of form f, in the order they reached this device: with repeat
 * NULL or "", the records themselves; with a repeat's name, its instances (their answers hold _parent). Their
 * region is the one this device was enrolled in ("" before), their review as pulled from the server. 0 (also
 * when fn stopped), or -1 with err. */
int store_export_records(struct store *s, const struct form *f, const char *repeat, store_export_fn fn, void *ctx,
			 char *err, size_t errlen);

#endif
