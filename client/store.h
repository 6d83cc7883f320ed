/* store.h - the device's local store: one SQLite file and the device key pair in one directory.
 *
 * Every change to a finalized record is an op (merge.h), written in the same transaction as the value the
 * user sees, so what was confirmed is exactly what will sync. Drafts keep their answers without ops: they
 * never leave the device, and their answers become ops when they are finalized. Writes happen between
 * store_begin() and store_commit(); on any error the caller calls store_rollback() and nothing was saved. */
#ifndef SONDEO_STORE_H
#define SONDEO_STORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "form.h"
#include "merge.h"
#include "uuid.h"

struct store;

struct store_record {
	char id[UUID_STRLEN + 1];
	char form[MERGE_MAX_NAME + 1];
	char form_version[MERGE_MAX_NAME + 1];
	int draft, deleted, conflicts;
	uint64_t created, updated;     /* HLC stamps */
	sqlite3_int64 rid;             /* the record's key inside the store */
};

/* The store directory: $SONDEO_HOME, else $XDG_DATA_HOME/sondeo, else ~/.local/share/sondeo. Caller frees. */
char *store_default_dir(void);
/* Creates a store in dir (made mode 0700 if missing) with a new key pair and the built-in forms. Refuses if a
 * store or key is already there, destroying nothing. Writes the new device id into device_id. */
int store_init(const char *dir, const char *name, char device_id[KEYS_ID_STRLEN + 1], char *err, size_t errlen);
/* Opens the store in dir. Caller closes with store_close(). */
struct store *store_open(const char *dir, char *err, size_t errlen);
void store_close(struct store *s);

sqlite3 *store_db(struct store *s);
const char *store_dir(const struct store *s);
const char *store_device(const struct store *s);
/* The device name given at init ("" if none). Borrowed. */
const char *store_name(struct store *s);
struct merge *store_merge(struct store *s);

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
 * stamped with and what forms see as now. */
uint64_t store_now(struct store *s);
/* The correction kept, in ms (0 before the server ever said the clock was off). */
long long store_clock_offset(struct store *s);
/* Inside a transaction: keeps offset_ms as the correction, and brings this device's clock back to the
 * corrected time if stamps made under the wrong clock ran ahead of it. */
int store_clock_correct(struct store *s, long long offset_ms, char *err, size_t errlen);

int store_begin(struct store *s, char *err, size_t errlen);
int store_commit(struct store *s, char *err, size_t errlen);
void store_rollback(struct store *s);

/* Installs a form definition (validated by form_load). Installing the same id and version again with the same
 * definition is a no-op; with a different definition it is refused. Refreshes the form's SQL view. Inside a
 * transaction. */
int store_form_put(struct store *s, const char *json, size_t len, char *err, size_t errlen);
/* Loads form id at version (NULL: the latest installed). Caller frees with form_free(). */
struct form *store_form_get(struct store *s, const char *id, const char *version, char *err, size_t errlen);

/* Finds the record whose id starts with prefix (any unambiguous prefix). */
int store_find(struct store *s, const char *prefix, struct store_record *rec, char *err, size_t errlen);
/* Creates an empty record of form f, as a draft or final; writes its id into rec. Inside a transaction. */
int store_create(struct store *s, const struct form *f, int draft, struct store_record *rec, char *err,
		 size_t errlen);
/* Creates a record of form f with the given answers (a JSON object, written in form order), as a draft or
 * final, in one go; writes its id into rec. Inside a transaction. */
int store_add(struct store *s, const struct form *f, const json_t *answers, int draft, struct store_record *rec,
	      char *err, size_t errlen);
/* Sets field of record to value (NULL clears it). On a final record this writes an op whose base is the
 * field's current heads; nothing is written if the value is unchanged and not in conflict. Returns 1 if
 * something changed, 0 if not, -1 on error. Inside a transaction. */
int store_set(struct store *s, const struct store_record *rec, const char *field, const json_t *value,
	      char *err, size_t errlen);
/* Turns a draft into a final record: one op per answer, in form order. Inside a transaction. */
int store_finalize(struct store *s, const struct store_record *rec, const struct form *f, char *err,
		   size_t errlen);
/* Deletes a record: a draft is removed outright; a final record gets a `_deleted` op. Inside a transaction. */
/* Deletes rec and, first, the instances of its repeats (records whose _parent is rec), theirs too; *n counts the
 * records deleted. Inside the caller's transaction. */
int store_delete_tree(struct store *s, const struct store_record *rec, size_t *n, char *err, size_t errlen);
int store_delete(struct store *s, const struct store_record *rec, char *err, size_t errlen);
/* How many instances of its repeat called repeat the record parent has, drafts included, deleted ones not; -1 on
 * a store error. */
int store_instance_count(struct store *s, const char *parent, const char *repeat);
/* The record's current answers as a JSON object (field -> value), pseudo-fields included. New reference. */
json_t *store_answers(struct store *s, const char *record, char *err, size_t errlen);
/* A record's answers as its expressions and labels see them: with, under them, the answers of the record it
 * belongs to when it is a repeat instance (its _parent). New reference, or NULL with err on a store error. */
json_t *store_answers_in_view(struct store *s, const json_t *answers, char *err, size_t errlen);

/* Notes that the op (device, seq), made by a server, names user as its author (a reviewer at headquarters).
 * Inside a transaction. */
int store_op_author(struct store *s, const char *device, uint64_t seq, const char *user, char *err, size_t errlen);
/* Puts in user (n bytes) the reviewer named by the op (device, seq): 1, or 0 with "" when it names none. */
int store_op_author_get(struct store *s, const char *device, uint64_t seq, char *user, size_t n);

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
