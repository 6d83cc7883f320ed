/* merge.h - the op log and the heads rule, the same on every device and server.
 *
 * An op sets one field of one record to one JSON value. It is identified by (device, seq) and names as its
 * base the ops whose value its author saw. For each (record, field) the heads are the ops of that record and
 * field that no other op of that record and field names in its base. One head is the value; several heads
 * with different values are a conflict, shown by the head with the highest (hlc, device) and kept until an op
 * names them all. The heads depend only on the set of ops applied, never on their order or on duplicates.
 *
 * Tables (created by merge_schema, inside the caller's database); devices and records are referred to by
 * integer keys (did, rid) so that their long ids are stored once:
 *   devices(did, id)
 *   records(rid, id, form, form_version, created, updated, updated_by, deleted, conflicts, draft, stamp)
 *   ops(id, did, seq, hlc, rid, form_version, field, value)   one row per op, value as JSON text
 *   op_base(op, did, seq)                                     the base of each op
 *   multi_heads(rid, field, op)                               the heads of fields that have several
 *   heads(rid, field, op)                                     a view: every field's heads, its single head
 *                                                             being the op it shows (fields.op)
 *   fields(rid, field, value, hlc, did, conflict, op)         the value shown for each field, and its op
 * `fields` and `records` are derived from the ops, except a device's draft answers, which have no ops yet.
 * Each value is stored once: the op a field shows (fields.op) keeps its value in fields, its own ops.value ''
 * (never a JSON text; NULL would break the NOT NULL of stores made before), and gets it back when another op is
 * shown instead. SQL reads an op's value as MERGE_OP_VALUE(alias). (op 0:
 * a draft's answer, or a row from before values were kept once, whose op still holds its value.)
 * Dates are HLC stamps; a record's stamp is its latest op's own, which decides its form version (updated may be
 * capped: merge_date_cap). */
#ifndef SONDEO_MERGE_H
#define SONDEO_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "op.h"

enum merge_result {
	MERGE_ERROR = -1,        /* a store error; err says what */
	MERGE_NEW = 0,           /* applied */
	MERGE_DUPLICATE = 1,     /* already held, identical: nothing changed */
	MERGE_EQUIVOCATION = 2,  /* the same (device, seq) is held with different content: refused */
	MERGE_INVALID = 3        /* the op can never be applied (it names another form than its record's, itself as
				  * its base, too many bases, a seq out of range): refused, err says why. Unlike
				  * MERGE_ERROR, trying again cannot help, so a server answers it 400, not 503 */
};

struct merge;

/* The value of op row o (an alias of ops in the query) as SQL: its own, or the one its field shows for it. */
#define MERGE_OP_VALUE(o) \
	"coalesce(nullif(" o ".value, ''), (SELECT f_.value FROM fields f_ WHERE f_.rid = " o ".rid AND" \
	" f_.field = " o ".field))"

/* Creates the merge tables if they do not exist. */
int merge_schema(struct db *db, char *err, size_t errlen);
/* A store step (dbstore.h): brings the merge tables of a store made before multi_heads to them, in the caller's
 * transaction; nothing if they are there already. */
int merge_upgrade_heads(struct db *db, char *err, size_t errlen);
/* Prepares the statements the merge needs over db (which must outlive it), first adding what an older store's
 * tables lack. Caller frees with merge_free(). */
struct merge *merge_open(struct db *db, char *err, size_t errlen);
void merge_free(struct merge *m);
/* From now on, a record's created and updated stamps are at most cap: a server passes when it receives the
 * ops it applies next (HLC_MAKE(now, 0xffff)), so that a device whose clock runs ahead cannot date its records in
 * the future there. The ops keep their own stamps, and the record's form version follows them, not the capped
 * dates, so that it is the same on every replica. UINT64_MAX (the default): no cap. */
void merge_date_cap(struct merge *m, uint64_t cap);
/* Applies one op inside the caller's transaction: stores it and updates heads, fields and records. */
enum merge_result merge_apply(struct merge *m, const struct op *op, char *err, size_t errlen);
/* Applies ops[0..n) in that order inside the caller's transaction, as n calls of merge_apply would (the same
 * results, errors and tables, which the tests compare), by runs rather than op by op: n ops of a change set or
 * of a pull page. res[i] gets each op's result up to the first op refused (MERGE_EQUIVOCATION, MERGE_INVALID),
 * which ends the batch: the ops before it are applied, it and those after are not, and its result is returned
 * with err. MERGE_NEW when no op was refused (each is MERGE_NEW or MERGE_DUPLICATE); MERGE_ERROR (a store
 * error or out of memory, with err) leaves res and the tables to be rolled back. */
enum merge_result merge_apply_batch(struct merge *m, const struct op *ops, size_t n, enum merge_result *res,
				    char *err, size_t errlen);
/* Applies n ops this replica just made on one record, inside the caller's transaction, when each op's base
 * is exactly its field's current heads (read in the same transaction), its (device, seq) is new, and no two
 * ops set the same field; ops[n - 1] is the latest. The result is the one merge_apply gives for such ops (the tests compare them),
 * reached with a third of the statements, since each op replaces every head of its field. */
enum merge_result merge_apply_local(struct merge *m, const struct op *ops, size_t n, char *err, size_t errlen);
/* Calls fn for each head of (record, field), in display order (highest (hlc, device) first). Returns the
 * number of heads, or -1 with err. */
int merge_heads(struct merge *m, const char *record, const char *field, merge_head_fn fn, void *ctx,
		char *err, size_t errlen);

#endif
