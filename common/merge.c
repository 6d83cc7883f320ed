/* merge.c - the op log and the heads rule, the same on every device and server. */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* A field's heads are mostly one op, the one it shows (fields.op): a row for it in a table of heads would repeat
 * (rid, field, op) for every field held. So multi_heads holds the heads of the fields that have more than one,
 * and of no other; the view heads reads both as one table for those who read the heads with SQL. While a field
 * takes new ops, its single head is first written out (heads_expand) so that the rule below works on one table,
 * and taken back in (refresh_field) once it is single again. */
#define MULTI_HEADS_SQL \
	"CREATE TABLE IF NOT EXISTS multi_heads(" \
	" rid INTEGER NOT NULL, field TEXT NOT NULL, op INTEGER NOT NULL," \
	" PRIMARY KEY(rid, field, op)) WITHOUT ROWID;"
/* op 0 is a draft's answer, which has no op and so no head. */
#define HEADS_VIEW_SQL \
	"CREATE VIEW IF NOT EXISTS heads(rid, field, op) AS SELECT rid, field, op FROM multi_heads" \
	" UNION ALL SELECT f.rid, f.field, f.op FROM fields f WHERE f.op != 0 AND NOT EXISTS" \
	" (SELECT 1 FROM multi_heads m WHERE m.rid = f.rid AND m.field = f.field);"

/* Devices and records are named by integer keys inside the store: a record's 36-character id and a
 * device's 32-character id would otherwise be repeated in every op, head, field and index entry. The keys
 * are kept consistent by this file alone, the only writer of these tables, so no foreign-key checks are
 * declared: they would double the cost of storing an op. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS devices(did INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS records("
	" rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, form TEXT NOT NULL, form_version TEXT NOT NULL,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL, updated_by TEXT NOT NULL DEFAULT '',"
	" deleted INTEGER NOT NULL DEFAULT 0, conflicts INTEGER NOT NULL DEFAULT 0, draft INTEGER NOT NULL DEFAULT 0,"
	" stamp INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS records_form ON records(form, updated);"
	"CREATE TABLE IF NOT EXISTS ops("
	" id INTEGER PRIMARY KEY, did INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" hlc INTEGER NOT NULL, rid INTEGER NOT NULL, form_version TEXT NOT NULL,"
	" field TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(did, seq));"
	"CREATE INDEX IF NOT EXISTS ops_record ON ops(rid);"
	"CREATE TABLE IF NOT EXISTS op_base("
	" op INTEGER NOT NULL, did INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" PRIMARY KEY(op, did, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS op_base_ref ON op_base(did, seq);"
	MULTI_HEADS_SQL
	"CREATE TABLE IF NOT EXISTS fields("
	" rid INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL,"
	" did INTEGER NOT NULL, conflict INTEGER NOT NULL DEFAULT 0, op INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(rid, field)) WITHOUT ROWID;"
	/* After the tables it reads: PostgreSQL checks a view's tables when it is made. */
	HEADS_VIEW_SQL;

enum {
	S_DEVICE, S_DEVICE_FIND, S_RECORD_FORM, S_RECORD, S_FIND, S_FIND_BASE, S_INSERT, S_INSERT_BASE,
	S_DROP_HEAD, S_NAMED, S_NAMED_ANY, S_ADD_HEAD, S_TOP, S_DROP_FIELD, S_SET_FIELD, S_SUMMARY, S_HEADS,
	S_DROP_HEADS, S_FIND_RANGE, S_FIELDS_HELD, S_FIELD_OP, S_OP_RESTORE, S_OP_HOLD, S_EXPAND, S_OP_IDS,
	S_RECORD_IDS, S_INSERT_AT, S_RECORD_NEW, S_RECORD_MORE, S_COUNT
};

/* How a record's row takes new ops (the SET list, the new values given as SQL): created the lowest of their dates,
 * updated the highest; its form version and updated_by those of its latest op by (stamp, device), as for shown
 * values, so that they do not depend on the order ops arrive in, even when two ops carry the same stamp. stamp is
 * the latest op's own, whatever merge_date_cap does to the dates: those depend on when ops arrived, the version
 * must not. R prefixes the row's columns: "records." in the upsert's DO UPDATE, "" in an UPDATE. */
#define RECORD_MORE(R, created, version, by, updated, stamp) \
	" created = min(" R "created, " created ")," \
	" form_version = CASE WHEN " stamp " > " R "stamp OR (" stamp " = " R "stamp AND " by " > " R "updated_by)" \
	"  THEN " version " ELSE " R "form_version END," \
	" updated_by = CASE WHEN " stamp " > " R "stamp OR (" stamp " = " R "stamp AND " by " > " R "updated_by)" \
	"  THEN " by " ELSE " R "updated_by END," \
	" stamp = max(" R "stamp, " stamp "), updated = max(" R "updated, " updated ")"

/* n new row ids of ops or records, rising, for a batch's rows written without waiting for their ids (on
 * PostgreSQL each would otherwise be a round trip). One writer on SQLite: the next after the highest, as SQLite
 * would give them. Several on PostgreSQL: the table's sequence, which another transaction may take from meanwhile
 * (the ids need not follow each other). */
#define NEXT_IDS(id, table) \
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)" \
	" SELECT (SELECT coalesce(max(" id "), 0) FROM " table ") + i FROM n ORDER BY 1"
/* The sequence found once, not for each id (8 times slower). */
#define NEXT_IDS_PG(id, table) \
	"WITH q AS MATERIALIZED (SELECT pg_get_serial_sequence('" table "', '" id "')::regclass AS s)" \
	" SELECT nextval(q.s) FROM q, generate_series(1, ?1) ORDER BY 1"

static const char *const sql_pg[S_COUNT] = {
	[S_OP_IDS] = NEXT_IDS_PG("id", "ops"),
	[S_RECORD_IDS] = NEXT_IDS_PG("rid", "records"),
};

static const char *const sql[S_COUNT] = {
	/* Nothing when another transaction added the device meanwhile (PostgreSQL: having waited for its commit). */
	[S_DEVICE] = "INSERT INTO devices(id) VALUES(?1) ON CONFLICT DO NOTHING",
	[S_DEVICE_FIND] = "SELECT did FROM devices WHERE id = ?1",
	[S_RECORD_FORM] = "SELECT form, rid FROM records WHERE id = ?1",
	[S_RECORD] = "INSERT INTO records(id, form, form_version, created, updated, updated_by, stamp)"
		     " VALUES(?1, ?2, ?3, ?4, ?6, ?5, ?7)"
		     " ON CONFLICT(id) DO UPDATE SET"
		     RECORD_MORE("records.", "excluded.created", "excluded.form_version", "excluded.updated_by",
				 "excluded.updated", "excluded.stamp")
		     " RETURNING rid",
	/* A batch's: a record not held before the batch, with its id taken ahead (S_RECORD_IDS); a record held. No
	 * upsert: a record is created under its lock (sstore's records_lock), so another transaction creating it
	 * meanwhile is a failure, not a row to take over. */
	[S_RECORD_NEW] = "INSERT INTO records(rid, id, form, form_version, created, updated, updated_by, stamp)"
			 " VALUES(?8, ?1, ?2, ?3, ?4, ?6, ?5, ?7)",
	[S_RECORD_MORE] = "UPDATE records SET" RECORD_MORE("", "?4", "?3", "?5", "?6", "?7")
			  " WHERE rid = ?8 AND id = ?1 AND form = ?2",
	[S_FIND] = "SELECT o.id, o.hlc, r.id, r.form, o.form_version, o.field, " MERGE_OP_VALUE("o") " FROM ops o"
		   " JOIN records r ON r.rid = o.rid WHERE o.did = ?1 AND o.seq = ?2",
	[S_FIND_BASE] = "SELECT d.id, b.seq FROM op_base b JOIN devices d ON d.did = b.did WHERE b.op = ?1"
			" ORDER BY d.id, b.seq",
	[S_INSERT] = "INSERT INTO ops(did, seq, hlc, rid, form_version, field, value) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		     " RETURNING id",
	[S_INSERT_AT] = "INSERT INTO ops(id, did, seq, hlc, rid, form_version, field, value)"
			" VALUES(?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_INSERT_BASE] = "INSERT INTO op_base(op, did, seq) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[S_DROP_HEAD] = "DELETE FROM multi_heads WHERE rid = ?1 AND field = ?2 AND op ="
			" (SELECT id FROM ops WHERE did = ?3 AND seq = ?4 AND rid = ?1 AND field = ?2)",
	[S_NAMED_ANY] = "SELECT 1 FROM op_base b JOIN ops o ON o.id = b.op"
			" WHERE b.did = ?1 AND b.seq BETWEEN ?2 AND ?3 AND o.rid = ?4 LIMIT 1",
	[S_NAMED] = "SELECT 1 FROM op_base b JOIN ops o ON o.id = b.op"
		    " WHERE b.did = ?1 AND b.seq = ?2 AND o.rid = ?3 AND o.field = ?4 LIMIT 1",
	[S_ADD_HEAD] = "INSERT INTO multi_heads(rid, field, op) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING",
	/* Over a field's heads written out (heads_expand): the one shown, how many values and how many heads. */
	[S_TOP] = "SELECT " MERGE_OP_VALUE("o") ", o.hlc, o.did,"
		  " (SELECT COUNT(DISTINCT " MERGE_OP_VALUE("o2") ") FROM multi_heads h2 JOIN ops o2 ON o2.id = h2.op"
		  "  WHERE h2.rid = ?1 AND h2.field = ?2), o.id,"
		  " (SELECT count(*) FROM multi_heads h3 WHERE h3.rid = ?1 AND h3.field = ?2)"
		  " FROM multi_heads h JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
		  " WHERE h.rid = ?1 AND h.field = ?2 ORDER BY o.hlc DESC, d.id DESC, o.seq DESC LIMIT 1",
	[S_DROP_FIELD] = "DELETE FROM fields WHERE rid = ?1 AND field = ?2",
	[S_SET_FIELD] = "INSERT INTO fields(rid, field, value, hlc, did, conflict, op)"
			" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			" ON CONFLICT(rid, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc,"
			" did = excluded.did, conflict = excluded.conflict, op = excluded.op",
	[S_SUMMARY] = "UPDATE records SET"
		      " conflicts = (SELECT COUNT(*) FROM fields WHERE rid = ?1 AND conflict <> 0),"
		      " deleted = coalesce((SELECT CASE WHEN value = 'true' THEN 1 ELSE 0 END FROM fields"
		      "  WHERE rid = ?1 AND field = '_deleted'), 0)"
		      " WHERE rid = ?1",
	[S_HEADS] = "SELECT d.id, o.seq, o.hlc, " MERGE_OP_VALUE("o") " FROM records r JOIN heads h ON h.rid = r.rid"
		    " JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
		    " WHERE r.id = ?1 AND h.field = ?2 ORDER BY o.hlc DESC, d.id DESC, o.seq DESC",
	[S_DROP_HEADS] = "DELETE FROM multi_heads WHERE rid = ?1 AND field = ?2",
	/* The columns of S_FIND, then the seq: the held ops of one device in a range of seqs (a batch's run). */
	[S_FIND_RANGE] = "SELECT o.id, o.hlc, r.id, r.form, o.form_version, o.field, " MERGE_OP_VALUE("o") ", o.seq"
			 " FROM ops o"
			 " JOIN records r ON r.rid = o.rid WHERE o.did = ?1 AND o.seq BETWEEN ?2 AND ?3 ORDER BY o.seq",
	[S_FIELDS_HELD] = "SELECT DISTINCT field FROM ops WHERE rid = ?1",
	/* A value is stored once (merge.h): the op a field shows keeps its value in fields, and takes it back
	 * (S_OP_RESTORE, before the field changes) when another is shown instead (S_OP_HOLD). */
	[S_FIELD_OP] = "SELECT op FROM fields WHERE rid = ?1 AND field = ?2",
	[S_OP_RESTORE] = "UPDATE ops SET value = (SELECT value FROM fields WHERE rid = ?2 AND field = ?3)"
			 " WHERE id = ?1 AND value = ''",
	[S_OP_HOLD] = "UPDATE ops SET value = '' WHERE id = ?1",
	/* A field's single head, written out as a row of multi_heads unless it has rows there already. */
	[S_EXPAND] = "INSERT INTO multi_heads(rid, field, op) SELECT rid, field, op FROM fields"
		     " WHERE rid = ?1 AND field = ?2 AND op != 0"
		     " AND NOT EXISTS (SELECT 1 FROM multi_heads WHERE rid = ?1 AND field = ?2)",
	[S_OP_IDS] = NEXT_IDS("id", "ops"),
	[S_RECORD_IDS] = NEXT_IDS("rid", "records"),
};

struct merge {
	struct db *db;
	struct db_stmt *st[S_COUNT];
	/* The last device looked up: ops come in runs from one device. A rollback may undo the row it names, so
	 * the connection's rollback hook forgets it. */
	char last_device[KEYS_ID_STRLEN + 1];
	int64_t last_did;
	uint64_t date_cap;   /* records are dated by stamps no later than this (merge_date_cap) */
};

static void forget_device(void *ctx)
{
	struct merge *m = ctx;

	m->last_did = 0;
	m->last_device[0] = '\0';
}

int merge_schema(struct db *db, char *err, size_t errlen)
{
	return db_exec(db, schema, err, errlen);
}

/* What the tables of a store made by an older version lack, added when it is opened: the column, and the SQL
 * that adds it (and fills it). */
static const struct {
	const char *table, *column, *sql;
} added[] = {
	/* records kept their latest op's own stamp: filled from updated, which was that stamp then. */
	{ "records", "stamp", "ALTER TABLE records ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;"
			      "UPDATE records SET stamp = updated" },
	/* values stored once: 0 in every row, whose ops keep their values. */
	{ "fields", "op", "ALTER TABLE fields ADD COLUMN op INTEGER NOT NULL DEFAULT 0" },
};

static int add_columns(struct db *db, char *err, size_t errlen)
{
	size_t i;
	int has;

	for (i = 0; i < sizeof(added) / sizeof(added[0]); i++)
		if ((has = db_has_column(db, added[i].table, added[i].column, err, errlen)) < 0 ||
		    (!has && db_exec(db, added[i].sql, err, errlen) < 0))
			return -1;
	return 0;
}

int merge_upgrade_heads(struct db *db, char *err, size_t errlen)
{
	/* A field keeps its rows if it has several heads, or shows an op from before values were kept once (op 0):
	 * fields.op cannot stand for its head. */
	static const char move[] =
		MULTI_HEADS_SQL
		"INSERT INTO multi_heads(rid, field, op) SELECT h.rid, h.field, h.op FROM heads h"
		" WHERE NOT EXISTS (SELECT 1 FROM fields f WHERE f.rid = h.rid AND f.field = h.field AND f.op = h.op)"
		" OR (SELECT count(*) FROM heads h2 WHERE h2.rid = h.rid AND h2.field = h.field) > 1;"
		"DROP TABLE heads;" HEADS_VIEW_SQL;
	int has;

	if (add_columns(db, err, errlen) < 0 || (has = db_has_table(db, "heads", err, errlen)) < 0)
		return -1;
	/* heads is a view since: a table of that name is the old layout's. */
	return has ? db_exec(db, move, err, errlen) : 0;
}

struct merge *merge_open(struct db *db, char *err, size_t errlen)
{
	struct merge *m;

	if (add_columns(db, err, errlen) < 0)
		return NULL;
	if (!(m = calloc(1, sizeof(*m)))) {
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	m->db = db;
	m->date_cap = UINT64_MAX;
	db_on_rollback(db, forget_device, m);
	if (db_prepare_all(db, sql, sql_pg, m->st, S_COUNT, err, errlen) < 0) {
		merge_free(m);
		return NULL;
	}
	return m;
}

void merge_date_cap(struct merge *m, uint64_t cap)
{
	m->date_cap = cap;
}

void merge_free(struct merge *m)
{

	if (!m)
		return;
	db_on_rollback(m->db, NULL, NULL);
	db_finalize_all(m->st, S_COUNT);
	free(m);
}

static int ref_cmp(const void *a, const void *b)
{
	const struct op_ref *x = a, *y = b;
	int c = strcmp(x->device, y->device);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The op's base sorted and without repeats, so that content comparison does not depend on order. */
static size_t sorted_base(const struct op *op, struct op_ref *out)
{
	size_t i, n = 0;

	if (!op->nbase)
		return 0;
	memcpy(out, op->base, op->nbase * sizeof(*out));
	qsort(out, op->nbase, sizeof(*out), ref_cmp);
	for (i = 0; i < op->nbase; i++)
		if (n == 0 || ref_cmp(&out[n - 1], &out[i]))
			out[n++] = out[i];
	return n;
}

/* The integer key of a device already known, 0 if it is not, -1 on error. Adds nothing. */
static int64_t device_find(struct merge *m, const char *device, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_DEVICE_FIND];
	int64_t did = 0;
	int rc;

	if (m->last_did && !strcmp(m->last_device, device))
		return m->last_did;
	db_bind_text(s, 1, device);
	rc = db_step(s);
	if (rc == DB_ROW)
		did = db_int(s, 0);
	else if (rc != DB_DONE)
		did = db_error(m->db, rc, err, errlen);
	db_reset(s);
	if (did > 0) {
		m->last_did = did;
		strlcpy_s(m->last_device, device, sizeof(m->last_device));
	}
	return did;
}

/* The integer key of a device, added if new (by this transaction or, on PostgreSQL, by one it waited for). -1 on
 * error. */
static int64_t device_key(struct merge *m, const char *device, char *err, size_t errlen)
{
	int64_t did = device_find(m, device, err, errlen);

	if (did)
		return did;
	db_bind_text(m->st[S_DEVICE], 1, device);
	if (db_step_done(m->st[S_DEVICE], err, errlen) < 0)
		return -1;
	if ((did = device_find(m, device, err, errlen)) == 0)
		return errf(err, errlen, _("device %s could not be added"), device);
	return did;
}

/* Refuses an op that names another form than its record's, before anything is changed: 1 if it does (err says
 * so), 0 if not, -1 on a store error. */
static int check_form(struct merge *m, const struct op *op, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_RECORD_FORM];
	int rc, r = 0;

	db_bind_text(s, 1, op->record);
	rc = db_step(s);
	if (rc == DB_ROW && strcmp(db_text(s, 0), op->form)) {
		/* TRANSLATORS: an op (one change) named by its device and number; a form id; a record id; the form id
		 * of the record ("a 'partnership' record"). */
		errf(err, errlen, _("op %s:%llu names form '%s' but record %s is a '%s' record"), op->device,
		     (unsigned long long)op->seq, op->form, op->record, db_text(s, 0));
		r = 1;
	}
	else if (rc != DB_ROW && rc != DB_DONE)
		r = db_error(m->db, rc, err, errlen);
	db_reset(s);
	return r;
}

/* The integer key of record (of form), creating or updating its row with what its new ops say: created, the
 * lowest of their capped stamps; updated, the highest; top, the latest of them by (stamp, device), its form
 * version and device. check_form has accepted them. -1 on error. */
static int64_t record_put(struct merge *m, const char *record, const char *form, const struct op *top,
				int64_t created, int64_t updated, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_RECORD];
	int64_t rid = -1;
	int rc;

	db_bind_text(s, 1, record);
	db_bind_text(s, 2, form);
	db_bind_text(s, 3, top->form_version);
	db_bind_int(s, 4, created);
	db_bind_text(s, 5, top->device);
	db_bind_int(s, 6, updated);
	db_bind_int(s, 7, (int64_t)top->hlc);
	rc = db_step(s);
	if (rc != DB_ROW)
		db_error(m->db, rc, err, errlen);
	else
		rid = db_int(s, 0);
	db_reset(s);
	return rid;
}

/* op's stamp as a record's dates take it: no later than the cap. */
static int64_t capped(const struct merge *m, const struct op *op)
{
	return (int64_t)(op->hlc < m->date_cap ? op->hlc : m->date_cap);
}

/* The integer key of the record of ops first..last (one op, or a run from one device stamped in order),
 * creating or updating its row: created from the first, form version and updated from the last. check_form
 * has accepted them. -1 on error. */
static int64_t record_key(struct merge *m, const struct op *first, const struct op *last, char *err,
				size_t errlen)
{
	return record_put(m, first->record, first->form, last, capped(m, first), capped(m, last), err, errlen);
}

static int same_text(struct db_stmt *st, int col, const char *s)
{
	return strcmp(db_text(st, col), s) == 0;
}

/* Compares op with the held op at row id (f, S_FIND or S_FIND_RANGE, is positioned on it). 1 if identical. */
static int same_op(struct merge *m, struct db_stmt *f, int64_t id, const struct op *op, const struct op_ref *base,
		   size_t nbase)
{
	struct db_stmt *b = m->st[S_FIND_BASE];
	size_t i = 0;
	int same;

	same = (uint64_t)db_int(f, 1) == op->hlc && same_text(f, 2, op->record) &&
	       same_text(f, 3, op->form) && same_text(f, 4, op->form_version) && same_text(f, 5, op->field) &&
	       same_text(f, 6, op->value);
	if (!same)
		return 0;
	db_bind_int(b, 1, id);
	while (db_step(b) == DB_ROW) {
		if (i >= nbase || strcmp(db_text(b, 0), base[i].device) ||
		    (uint64_t)db_int(b, 1) != base[i].seq) {
			same = 0;
			break;
		}
		i++;
	}
	db_reset(b);
	return same && i == nbase;
}

/* The op field (rid, field) shows now: its row id, 0 for none (or a draft's answer), or -1 with err. */
static int64_t field_op(struct merge *m, int64_t rid, const char *field, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_FIELD_OP];
	int64_t op = 0;
	int rc;

	db_bind_int(s, 1, rid);
	db_bind_text(s, 2, field);
	rc = db_step(s);
	if (rc == DB_ROW)
		op = db_int(s, 0);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_error(m->db, rc, err, errlen);
	return op;
}

/* Gives op prev of (rid, field) back the value the field shows for it, before the field changes. */
static int op_restore(struct merge *m, int64_t prev, int64_t rid, const char *field, char *err,
		      size_t errlen)
{
	struct db_stmt *s = m->st[S_OP_RESTORE];

	db_bind_int(s, 1, prev);
	db_bind_int(s, 2, rid);
	db_bind_text(s, 3, field);
	return db_step_done(s, err, errlen);
}

/* Shows value (op's, stamped hlc by device did) for (rid, field), and keeps it there alone: the op shown before
 * (prev; -1 to look it up) takes its value back, op gives its own up unless held says it has none already. */
static int field_show(struct merge *m, int64_t rid, const char *field, const char *value, uint64_t hlc,
		      int64_t did, int conflict, int64_t op, int64_t prev, int held, char *err,
		      size_t errlen)
{
	struct db_stmt *s = m->st[S_SET_FIELD];

	if (prev < 0 && (prev = field_op(m, rid, field, err, errlen)) < 0)
		return -1;
	if (prev && prev != op && op_restore(m, prev, rid, field, err, errlen) < 0)
		return -1;
	db_bind_int(s, 1, rid);
	db_bind_text(s, 2, field);
	db_bind_text(s, 3, value);
	db_bind_int(s, 4, (int64_t)hlc);
	db_bind_int(s, 5, did);
	db_bind_int(s, 6, conflict);
	db_bind_int(s, 7, op);
	if (db_step_done(s, err, errlen) < 0)
		return -1;
	if (held || prev == op)
		return 0;
	s = m->st[S_OP_HOLD];
	db_bind_int(s, 1, op);
	return db_step_done(s, err, errlen);
}

/* Runs statement which, whose parameters are (rid, field) alone, to its end. */
static int field_run(struct merge *m, int which, int64_t rid, const char *field, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[which];

	db_bind_int(s, 1, rid);
	db_bind_text(s, 2, field);
	return db_step_done(s, err, errlen);
}

/* (rid, field) shows nothing any more: the op it showed takes its value back. */
static int field_drop(struct merge *m, int64_t rid, const char *field, char *err, size_t errlen)
{
	int64_t prev;

	if ((prev = field_op(m, rid, field, err, errlen)) < 0 ||
	    (prev && op_restore(m, prev, rid, field, err, errlen) < 0))
		return -1;
	return field_run(m, S_DROP_FIELD, rid, field, err, errlen);
}

/* Writes out the single head of (rid, field), if that is what it has, as a row of multi_heads: the heads rule
 * then works on that table alone until refresh_field takes it back. */
static int heads_expand(struct merge *m, int64_t rid, const char *field, char *err, size_t errlen)
{
	return field_run(m, S_EXPAND, rid, field, err, errlen);
}

/* Forgets the rows of (rid, field) in multi_heads: it has one head, which fields.op names. */
static int heads_single(struct merge *m, int64_t rid, const char *field, char *err, size_t errlen)
{
	return field_run(m, S_DROP_HEADS, rid, field, err, errlen);
}

/* Recomputes the shown value of (record, field) from its heads, written out by heads_take (not here: no row
 * left there means that no head is left), and keeps them in multi_heads only if there are several. */
static int refresh_field(struct merge *m, int64_t rid, const char *field, char *err, size_t errlen)
{
	struct db_stmt *t = m->st[S_TOP];
	char *value;
	int rc;

	db_bind_int(t, 1, rid);
	db_bind_text(t, 2, field);
	rc = db_step(t);
	if (rc == DB_ROW) {
		uint64_t hlc = (uint64_t)db_int(t, 1);
		int64_t did = db_int(t, 2), op = db_int(t, 4);
		int conflict = db_int(t, 3) > 1, single = db_int(t, 5) == 1;

		/* A copy: showing it changes the rows t read it from. */
		value = strdup(db_text(t, 0));
		db_reset(t);
		if (!value)
			return err_oom(err, errlen);
		rc = field_show(m, rid, field, value, hlc, did, conflict, op, -1, 0, err, errlen);
		free(value);
		if (rc == 0 && single)
			rc = heads_single(m, rid, field, err, errlen);
		return rc;
	}
	db_reset(t);
	if (rc != DB_DONE)
		return db_error(m->db, rc, err, errlen);
	/* No head at all: only ops that name each other in a cycle, which no honest device makes. */
	return field_drop(m, rid, field, err, errlen);
}

/* Stores op (of device did and record rid) and its base rows, its value '' when held (the field will show it:
 * field_show), as row id (taken by next_ids; 0: the store chooses); returns the row id, or -1. */
static int64_t insert_op(struct merge *m, const struct op *op, int64_t did, int64_t rid,
			       const struct op_ref *base, size_t nbase, int held, int64_t id, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[id ? S_INSERT_AT : S_INSERT];
	int64_t bdid;
	size_t i;

	db_bind_int(s, 1, did);
	db_bind_int(s, 2, (int64_t)op->seq);
	db_bind_int(s, 3, (int64_t)op->hlc);
	db_bind_int(s, 4, rid);
	db_bind_text(s, 5, op->form_version);
	db_bind_text(s, 6, op->field);
	db_bind_text(s, 7, held ? "" : op->value);
	if (id) {
		db_bind_int(s, 8, id);
		if (db_step_done(s, err, errlen) < 0)
			return -1;
	} else if ((id = db_step_id(s, err, errlen)) < 0) {
		return -1;
	}
	for (i = 0; i < nbase; i++) {
		if ((bdid = device_key(m, base[i].device, err, errlen)) < 0)
			return -1;
		s = m->st[S_INSERT_BASE];
		db_bind_int(s, 1, id);
		db_bind_int(s, 2, bdid);
		db_bind_int(s, 3, (int64_t)base[i].seq);
		if (db_step_done(s, err, errlen) < 0)
			return -1;
	}
	return id;
}

static int add_head(struct merge *m, int64_t rid, const char *field, int64_t op, char *err,
		    size_t errlen)
{
	struct db_stmt *s = m->st[S_ADD_HEAD];

	db_bind_int(s, 1, rid);
	db_bind_text(s, 2, field);
	db_bind_int(s, 3, op);
	return db_step_done(s, err, errlen);
}

/* Recounts the record's conflicts and its deleted flag. */
static int summarise(struct merge *m, int64_t rid, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_SUMMARY];

	db_bind_int(s, 1, rid);
	return db_step_done(s, err, errlen);
}

/* Checks what every op must satisfy before it is stored. */
static int check_op(const struct op *op, const struct op_ref *base, size_t nbase, char *err, size_t errlen)
{
	size_t i;

	if (op->nbase > MERGE_MAX_BASE)
		return errf(err, errlen, _("op %s:%llu names %zu base ops (at most %d)"), op->device,
			    (unsigned long long)op->seq, op->nbase, MERGE_MAX_BASE);
	if (op->seq == 0 || op->seq > INT64_MAX)
		return errf(err, errlen, _("op %s: seq %llu is out of range"), op->device, (unsigned long long)op->seq);
	for (i = 0; i < nbase; i++)
		if (base[i].seq == op->seq && strcmp(base[i].device, op->device) == 0)
			return errf(err, errlen, _("op %s:%llu names itself as its base"), op->device,
				    (unsigned long long)op->seq);
	return 0;
}

/* Checks op as every replica must before storing it, with its base sorted and without repeats into base
 * (*nbase refs): 0, or -1 with err (the op can never be applied). */
static int op_valid(const struct op *op, struct op_ref base[MERGE_MAX_BASE], size_t *nbase, char *err, size_t errlen)
{
	/* Bounded before sorted_base copies it. */
	if (op->nbase > MERGE_MAX_BASE)
		return errf(err, errlen, _("op %s:%llu names %zu base ops (at most %d)"), op->device,
			    (unsigned long long)op->seq, op->nbase, MERGE_MAX_BASE);
	*nbase = sorted_base(op, base);
	return check_op(op, base, *nbase, err, errlen);
}

/* 1 if an op of (rid, field) already names (did, seq) in its base, 0 if not, -1 on error. */
static int named_before(struct merge *m, int64_t did, uint64_t seq, int64_t rid, const char *field,
			char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_NAMED];
	int rc;

	db_bind_int(s, 1, did);
	db_bind_int(s, 2, (int64_t)seq);
	db_bind_int(s, 3, rid);
	db_bind_text(s, 4, field);
	rc = db_step(s);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_error(m->db, rc, err, errlen);
	return rc == DB_ROW;
}

/* The heads rule for op, just stored as row id (of device did, record rid, sorted base[0..nbase)), by what the
 * store holds: what it saw is no longer a head, and it is one unless an op held already names it. The field's
 * heads are written out (heads_expand) before its first op: once its rows are all gone, it has no head left. */
static int heads_take(struct merge *m, const struct op *op, int64_t did, int64_t rid, int64_t id,
		      const struct op_ref *base, size_t nbase, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_DROP_HEAD];
	int64_t bdid;
	size_t i;
	int named;

	for (i = 0; i < nbase; i++) {
		if ((bdid = device_key(m, base[i].device, err, errlen)) < 0)
			return -1;
		db_bind_int(s, 1, rid);
		db_bind_text(s, 2, op->field);
		db_bind_int(s, 3, bdid);
		db_bind_int(s, 4, (int64_t)base[i].seq);
		if (db_step_done(s, err, errlen) < 0)
			return -1;
	}
	if ((named = named_before(m, did, op->seq, rid, op->field, err, errlen)) < 0)
		return -1;
	return named ? 0 : add_head(m, rid, op->field, id, err, errlen);
}

enum merge_result merge_apply(struct merge *m, const struct op *op, char *err, size_t errlen)
{
	struct op_ref base[MERGE_MAX_BASE];
	int64_t id, did, rid;
	struct db_stmt *s;
	size_t nbase;
	int rc;

	if (op_valid(op, base, &nbase, err, errlen) < 0)
		return MERGE_INVALID;
	if ((did = device_find(m, op->device, err, errlen)) < 0)
		return MERGE_ERROR;

	/* Already held? Identical is a harmless repeat; different is equivocation. An unknown device has sent
	 * nothing yet. */
	s = m->st[S_FIND];
	db_bind_int(s, 1, did);
	db_bind_int(s, 2, (int64_t)op->seq);
	rc = db_step(s);
	if (rc == DB_ROW) {
		int same;

		id = db_int(s, 0);
		same = same_op(m, s, id, op, base, nbase);
		db_reset(s);
		if (same)
			return MERGE_DUPLICATE;
		errf(err, errlen, _("op %s:%llu is already held with different content"), op->device,
		     (unsigned long long)op->seq);
		return MERGE_EQUIVOCATION;
	}
	db_reset(s);
	if (rc != DB_DONE) {
		db_error(m->db, rc, err, errlen);
		return MERGE_ERROR;
	}

	/* Refused ops change nothing: check before the first write. */
	if ((rc = check_form(m, op, err, errlen)) != 0)
		return rc > 0 ? MERGE_INVALID : MERGE_ERROR;
	if ((did = device_key(m, op->device, err, errlen)) < 0 ||
	    (rid = record_key(m, op, op, err, errlen)) < 0 ||
	    (id = insert_op(m, op, did, rid, base, nbase, 0, 0, err, errlen)) < 0)
		return MERGE_ERROR;
	if (heads_expand(m, rid, op->field, err, errlen) < 0 ||
	    heads_take(m, op, did, rid, id, base, nbase, err, errlen) < 0 ||
	    refresh_field(m, rid, op->field, err, errlen) < 0 || summarise(m, rid, err, errlen) < 0)
		return MERGE_ERROR;
	return MERGE_NEW;
}

enum merge_result merge_apply_local(struct merge *m, const struct op *ops, size_t n, char *err, size_t errlen)
{
	struct op_ref base[MERGE_MAX_BASE];
	int64_t id, did, rid;
	const struct op *op;
	struct db_stmt *s;
	uint64_t lo = 0, hi = 0;
	size_t nbase, i;
	int named, any_named, rc;

	if (n == 0)
		return MERGE_NEW;
	for (i = 0; i < n; i++) {
		if (ops[i].nbase > MERGE_MAX_BASE) {
			errf(err, errlen, _("op names %zu base ops (at most %d)"), ops[i].nbase, MERGE_MAX_BASE);
			return MERGE_ERROR;
		}
		nbase = sorted_base(&ops[i], base);
		if (check_op(&ops[i], base, nbase, err, errlen) < 0)
			return MERGE_ERROR;
		if (strcmp(ops[i].device, ops[0].device) || strcmp(ops[i].record, ops[0].record)) {
			errf(err, errlen, _("a local run of ops must be one device's, on one record"));
			return MERGE_ERROR;
		}
		lo = i == 0 || ops[i].seq < lo ? ops[i].seq : lo;
		hi = i == 0 || ops[i].seq > hi ? ops[i].seq : hi;
	}
	/* Ops are stamped in order: the first creates the record if needed, the last moves its dates on. */
	if (check_form(m, &ops[0], err, errlen) != 0 || (did = device_key(m, ops[0].device, err, errlen)) < 0 ||
	    (rid = record_key(m, &ops[0], &ops[n - 1], err, errlen)) < 0)
		return MERGE_ERROR;
	/* Only a misbehaving device names an op before it is made; then the general rule decides for that op.
	 * One look for the whole run, since it is almost never so. */
	s = m->st[S_NAMED_ANY];
	db_bind_int(s, 1, did);
	db_bind_int(s, 2, (int64_t)lo);
	db_bind_int(s, 3, (int64_t)hi);
	db_bind_int(s, 4, rid);
	rc = db_step(s);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE) {
		db_error(m->db, rc, err, errlen);
		return MERGE_ERROR;
	}
	any_named = rc == DB_ROW;
	for (i = 0; i < n; i++) {
		op = &ops[i];
		nbase = sorted_base(op, base);
		if (!any_named)
			named = 0;
		else if ((named = named_before(m, did, op->seq, rid, op->field, err, errlen)) < 0)
			return MERGE_ERROR;
		if (named) {
			if (merge_apply(m, op, err, errlen) != MERGE_NEW)
				return MERGE_ERROR;
			continue;
		}
		if ((id = insert_op(m, op, did, rid, base, nbase, 1, 0, err, errlen)) < 0)
			return MERGE_ERROR;
		/* The base is every head, so the op is now the only one: fields.op names it. */
		if ((nbase && heads_single(m, rid, op->field, err, errlen) < 0) ||
		    field_show(m, rid, op->field, op->value, op->hlc, did, 0, id, -1, 1, err, errlen) < 0)
			return MERGE_ERROR;
	}
	if (summarise(m, rid, err, errlen) < 0)
		return MERGE_ERROR;
	return MERGE_NEW;
}

/* ---- batches ----
 *
 * merge_apply_batch reaches the results and the tables that n calls of merge_apply would, in three passes:
 * 1. checks, reading only: each op as merge_apply checks it, "held" meaning held before the batch (one range
 *    query for each run of one device's seqs) or new earlier in the batch (compared in memory); the first op
 *    refused ends the batch there;
 * 2. writes, in op order so that rows are numbered as merge_apply numbers them: a record's row once, from
 *    all its new ops; each op and its base; the heads of a field that held ops before the batch, by the
 *    general rule, op by op;
 * 3. for each field, once: the heads of a field that held no op before the batch, which follow from the
 *    batch alone (computed here), and its shown value; for each record, once, its summary. */

/* Seqs of one run are at most this far apart, so that its range query reads a few rows per op at most. */
#define RUN_STEP 8
#define NO_OP SIZE_MAX

/* A record the batch's new ops name. */
struct brec {
	size_t first;                   /* the first op naming it */
	int64_t rid;              /* its key: held before the batch, or taken ahead (batch_ids); else 0 */
	char *held_form;                /* its form when it had a row before the batch (owned), else NULL */
	const char *form;               /* its form: held_form, or its first new op's */
	const struct op *top;           /* the latest of its new ops by (stamp, device), the first of equals */
	int64_t created, updated; /* the lowest and highest capped stamps of its new ops */
	size_t nnew;                    /* its new ops */
	int put;                        /* its row is written */
};

/* A field of a record the batch's new ops set. */
struct bfield {
	size_t rec;
	const char *field;
	int fresh;                      /* no op of it was held before the batch: its heads follow from the batch */
	size_t first, last;             /* its first and last new op, chained by bop.next */
	size_t top;                     /* fresh: the new op it shows (fresh_top), or NO_OP */
};

/* An op of the batch, once checked new. */
struct bop {
	size_t rec, fld;
	size_t next;                    /* the next new op of its field, or NO_OP */
	int64_t id, did;          /* its row (taken ahead: batch_ids) and its device's key (once written) */
	int named;                      /* a new op of its field names it in its base */
};

/* Batch entries by key, open addressing: a slot holds an entry's index + 1, or 0 when free. Never more than
 * half full. */
struct btable {
	size_t *slot;
	size_t mask;
};

struct batch {
	const struct op *ops;
	size_t n;
	struct bop *op;
	struct brec *rec;
	struct bfield *fld;
	size_t nrec, nfld;
	struct btable recs, flds, ids;  /* records by id; fields by (record, field); ops by (device, seq), the first */
	unsigned char key[crypto_shorthash_KEYBYTES];   /* of the tables' hash, drawn for each batch */
};

struct bfield_key {
	size_t rec;
	const char *field;
};

typedef int (*bsame_fn)(const struct batch *b, size_t entry, const void *key);

/* The tables' hash: keyed (SipHash, a key drawn for each batch), so that a device cannot choose record ids or
 * field names that all land in one slot and make a change set cost the square of its size. */
static uint64_t hash_bytes(const struct batch *b, const void *p, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, n, b->key);
	memcpy(&v, h, sizeof(v));
	return v;
}

static uint64_t hash_str(const struct batch *b, const char *s)
{
	return hash_bytes(b, s, strlen(s));
}

static uint64_t hash_id(const struct batch *b, const char *device, uint64_t seq)
{
	unsigned char k[KEYS_ID_STRLEN + sizeof(seq)];
	size_t n = strnlen(device, KEYS_ID_STRLEN);

	memcpy(k, device, n);
	memcpy(k + n, &seq, sizeof(seq));
	return hash_bytes(b, k, n + sizeof(seq));
}

/* The slot of key in t: its entry's index + 1, or 0 where it would go. */
static size_t *btable_slot(const struct btable *t, uint64_t h, bsame_fn same, const struct batch *b, const void *key)
{
	size_t i = (size_t)(h ^ (h >> 32)) & t->mask;

	while (t->slot[i] && !same(b, t->slot[i] - 1, key))
		i = (i + 1) & t->mask;
	return &t->slot[i];
}

static int same_record(const struct batch *b, size_t e, const void *key)
{
	return !strcmp(b->ops[b->rec[e].first].record, key);
}

static int same_field(const struct batch *b, size_t e, const void *key)
{
	const struct bfield_key *k = key;

	return b->fld[e].rec == k->rec && !strcmp(b->fld[e].field, k->field);
}

static int same_id(const struct batch *b, size_t e, const void *key)
{
	const struct op_ref *k = key;

	return b->ops[e].seq == k->seq && !strcmp(b->ops[e].device, k->device);
}

/* The slot of op (device, seq) in b->ids. */
static size_t *id_slot(const struct batch *b, const char *device, uint64_t seq)
{
	struct op_ref k;

	strlcpy_s(k.device, device, sizeof(k.device));
	k.seq = seq;
	return btable_slot(&b->ids, hash_id(b, device, seq), same_id, b, &k);
}

static size_t *field_slot(const struct batch *b, size_t rec, const char *field)
{
	struct bfield_key k = { rec, field };

	return btable_slot(&b->flds, hash_str(b, field) ^ ((uint64_t)rec * 0x9e3779b97f4a7c15ULL), same_field, b, &k);
}

static int btable_init(struct btable *t, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	t->mask = cap - 1;
	return (t->slot = mem_calloc(cap, sizeof(*t->slot))) ? 0 : -1;
}

static void batch_release(struct batch *b)
{
	size_t i;

	for (i = 0; b->rec && i < b->nrec; i++)
		free(b->rec[i].held_form);
	free(b->op);
	free(b->rec);
	free(b->fld);
	free(b->recs.slot);
	free(b->flds.slot);
	free(b->ids.slot);
}

static int batch_init(struct batch *b, const struct op *ops, size_t n)
{
	memset(b, 0, sizeof(*b));
	randombytes_buf(b->key, sizeof(b->key));
	b->ops = ops;
	b->n = n;
	if (!(b->op = mem_calloc(n, sizeof(*b->op))) || !(b->rec = mem_calloc(n, sizeof(*b->rec))) ||
	    !(b->fld = mem_calloc(n, sizeof(*b->fld))) || btable_init(&b->recs, n) < 0 ||
	    btable_init(&b->flds, n) < 0 || btable_init(&b->ids, n) < 0) {
		batch_release(b);
		return -1;
	}
	return 0;
}

/* ---- pass 1: checks ---- */

/* Starts the run of ops from ops[i]: one device's seqs, rising by at most RUN_STEP, and reads the ops of it
 * held before the batch with one query (S_FIND_RANGE), positioned on the first in *row. Sets *end past the
 * run. 0, or -1 with err. */
static int run_start(struct merge *m, const struct batch *b, size_t i, size_t *end, int *row, char *err,
		     size_t errlen)
{
	const struct op *ops = b->ops;
	struct db_stmt *s = m->st[S_FIND_RANGE];
	int64_t did;
	size_t j = i + 1;
	int rc;

	db_reset(s);
	*row = 0;
	*end = j;
	/* A seq out of range is refused; its run is itself. */
	if (ops[i].seq == 0 || ops[i].seq > INT64_MAX)
		return 0;
	while (j < b->n && ops[j].seq > ops[j - 1].seq && ops[j].seq - ops[j - 1].seq <= RUN_STEP &&
	       ops[j].seq <= INT64_MAX && !strcmp(ops[j].device, ops[i].device))
		j++;
	*end = j;
	/* An unknown device has sent nothing yet. */
	if ((did = device_find(m, ops[i].device, err, errlen)) <= 0)
		return did < 0 ? -1 : 0;
	db_bind_int(s, 1, did);
	db_bind_int(s, 2, (int64_t)ops[i].seq);
	db_bind_int(s, 3, (int64_t)ops[j - 1].seq);
	rc = db_step(s);
	if (rc == DB_ROW)
		*row = 1;
	else if (rc != DB_DONE)
		return db_error(m->db, rc, err, errlen);
	return 0;
}

/* 1 if op, of the current run, was held before the batch (S_FIND_RANGE is then positioned on it), 0 if not,
 * -1 on error. */
static int run_held(struct merge *m, const struct op *op, int *row, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_FIND_RANGE];
	int rc;

	while (*row && (uint64_t)db_int(s, 7) < op->seq) {
		rc = db_step(s);
		if (rc != DB_ROW) {
			*row = 0;
			if (rc != DB_DONE)
				return db_error(m->db, rc, err, errlen);
		}
	}
	return *row && (uint64_t)db_int(s, 7) == op->seq;
}

/* 1 if ops a and b (b's base sorted in base[0..nbase)) have the same content. */
static int same_content(const struct op *a, const struct op *b, const struct op_ref *base, size_t nbase)
{
	struct op_ref abase[MERGE_MAX_BASE];
	size_t i, na;

	if (a->hlc != b->hlc || strcmp(a->record, b->record) || strcmp(a->form, b->form) ||
	    strcmp(a->form_version, b->form_version) || strcmp(a->field, b->field) || strcmp(a->value, b->value))
		return 0;
	na = sorted_base(a, abase);
	if (na != nbase)
		return 0;
	for (i = 0; i < na; i++)
		if (ref_cmp(&abase[i], &base[i]))
			return 0;
	return 1;
}

/* The record ops[i] names, looked up in the store the first time: its index in b->rec, or NO_OP with err. */
static size_t batch_record(struct merge *m, struct batch *b, size_t i, char *err, size_t errlen)
{
	const struct op *op = &b->ops[i];
	size_t *slot = btable_slot(&b->recs, hash_str(b, op->record), same_record, b, op->record);
	struct db_stmt *s = m->st[S_RECORD_FORM];
	struct brec *r;
	int rc;

	if (*slot)
		return *slot - 1;
	r = &b->rec[b->nrec];
	r->first = i;
	db_bind_text(s, 1, op->record);
	rc = db_step(s);
	if (rc == DB_ROW) {
		r->rid = db_int(s, 1);
		r->form = r->held_form = mem_strdup(db_text(s, 0));
	}
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE) {
		db_error(m->db, rc, err, errlen);
		return NO_OP;
	}
	if (rc == DB_ROW && !r->held_form) {
		err_oom(err, errlen);
		return NO_OP;
	}
	*slot = ++b->nrec;
	return b->nrec - 1;
}

/* 1 if a comes after b by (stamp, device), as records and shown values order ops (stamps as the store holds
 * them, signed). */
static int stamped_after(const struct op *a, const struct op *b)
{
	int c;

	if ((int64_t)a->hlc != (int64_t)b->hlc)
		return (int64_t)a->hlc > (int64_t)b->hlc;
	c = strcmp(a->device, b->device);
	return c > 0;
}

/* Enters new op ops[i] in its record (index rec) and field. */
static void batch_enter(struct merge *m, struct batch *b, size_t i, size_t rec)
{
	const struct op *op = &b->ops[i];
	struct brec *r = &b->rec[rec];
	int64_t c = capped(m, op);
	size_t *slot = field_slot(b, rec, op->field);
	struct bfield *f;

	if (!r->form)
		r->form = op->form;
	if (!r->nnew || c < r->created)
		r->created = c;
	if (!r->nnew || c > r->updated)
		r->updated = c;
	if (!r->top || stamped_after(op, r->top))
		r->top = op;
	r->nnew++;
	if (!*slot) {
		f = &b->fld[b->nfld];
		f->rec = rec;
		f->field = op->field;
		f->fresh = 1;
		f->first = i;
		*slot = ++b->nfld;
	} else {
		f = &b->fld[*slot - 1];
		b->op[f->last].next = i;
	}
	f->last = i;
	b->op[i].rec = rec;
	b->op[i].fld = *slot - 1;
	b->op[i].next = NO_OP;
}

/* The result merge_apply would give ops[i] after ops[0..i), read without writing; a new op is entered in its
 * record and field. *row is the state of the current run (run_start). */
static enum merge_result batch_check(struct merge *m, struct batch *b, size_t i, int *row, char *err, size_t errlen)
{
	const struct op *op = &b->ops[i];
	struct op_ref base[MERGE_MAX_BASE];
	size_t nbase, *slot, rec;
	int held;

	if (op_valid(op, base, &nbase, err, errlen) < 0)
		return MERGE_INVALID;
	if ((held = run_held(m, op, row, err, errlen)) < 0)
		return MERGE_ERROR;
	slot = id_slot(b, op->device, op->seq);
	if (held || *slot) {
		struct db_stmt *s = m->st[S_FIND_RANGE];

		if (held ? same_op(m, s, db_int(s, 0), op, base, nbase) :
			   same_content(&b->ops[*slot - 1], op, base, nbase))
			return MERGE_DUPLICATE;
		errf(err, errlen, _("op %s:%llu is already held with different content"), op->device,
		     (unsigned long long)op->seq);
		return MERGE_EQUIVOCATION;
	}
	if ((rec = batch_record(m, b, i, err, errlen)) == NO_OP)
		return MERGE_ERROR;
	if (b->rec[rec].form && strcmp(b->rec[rec].form, op->form)) {
		errf(err, errlen, _("op %s:%llu names form '%s' but record %s is a '%s' record"), op->device,
		     (unsigned long long)op->seq, op->form, op->record, b->rec[rec].form);
		return MERGE_INVALID;
	}
	*slot = i + 1;
	batch_enter(m, b, i, rec);
	return MERGE_NEW;
}

/* ---- passes 2 and 3: writes ---- */

/* Marks the fields of records held before the batch that held ops then: their heads take the general rule. */
static int fields_held(struct merge *m, struct batch *b, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_FIELDS_HELD];
	size_t i, *slot;
	int rc;

	for (i = 0; i < b->nrec; i++) {
		if (!b->rec[i].held_form || !b->rec[i].nnew)
			continue;
		db_bind_int(s, 1, b->rec[i].rid);
		while ((rc = db_step(s)) == DB_ROW)
			if (*(slot = field_slot(b, i, db_text(s, 0))))
				b->fld[*slot - 1].fresh = 0;
		db_reset(s);
		if (rc != DB_DONE)
			return db_error(m->db, rc, err, errlen);
	}
	return 0;
}

/* 1 if a is shown before b among a field's heads: (stamp, device, seq) higher. */
static int shown_before(const struct op *a, const struct op *b)
{
	if ((int64_t)a->hlc != (int64_t)b->hlc || strcmp(a->device, b->device))
		return stamped_after(a, b);
	return a->seq > b->seq;
}

/* The heads of field f, which held no op before the batch, are its new ops ops[0..k) that no other names: marks
 * the others named, and sets f->top to the one it shows (NO_OP if none), before the ops are written, so that
 * the shown op is written without its value (merge.h). */
static void fresh_top(struct batch *b, const enum merge_result *res, size_t k, size_t fi)
{
	struct bfield *f = &b->fld[fi];
	size_t i, j, e, *slot;

	for (i = f->first; i != NO_OP; i = b->op[i].next)
		for (j = 0; j < b->ops[i].nbase; j++) {
			slot = id_slot(b, b->ops[i].base[j].device, b->ops[i].base[j].seq);
			if (*slot && (e = *slot - 1) < k && res[e] == MERGE_NEW && b->op[e].fld == fi)
				b->op[e].named = 1;
		}
	f->top = NO_OP;
	for (i = f->first; i != NO_OP; i = b->op[i].next)
		if (!b->op[i].named && (f->top == NO_OP || shown_before(&b->ops[i], &b->ops[f->top])))
			f->top = i;
}

/* Adds the heads of fresh field f (fresh_top found them) and sets its shown value, as refresh_field would. */
static int fresh_heads(struct merge *m, struct batch *b, size_t fi, char *err, size_t errlen)
{
	const struct bfield *f = &b->fld[fi];
	int64_t rid = b->rec[f->rec].rid;
	size_t i, top = f->top, heads = 0;
	int conflict = 0;

	for (i = f->first; i != NO_OP; i = b->op[i].next)
		heads += !b->op[i].named;
	/* One head is fields.op alone; several are written out. */
	for (i = f->first; heads > 1 && i != NO_OP; i = b->op[i].next) {
		if (b->op[i].named)
			continue;
		if (add_head(m, rid, f->field, b->op[i].id, err, errlen) < 0)
			return -1;
		if (strcmp(b->ops[i].value, b->ops[top].value))
			conflict = 1;
	}
	if (top == NO_OP) {
		/* Only ops that name each other in a cycle, which no honest device makes. */
		return field_drop(m, rid, f->field, err, errlen);
	}
	return field_show(m, rid, f->field, b->ops[top].value, b->ops[top].hlc, b->op[top].did, conflict,
			  b->op[top].id, 0, 1, err, errlen);
}

/* Takes n new row ids of ops or of records (which: S_OP_IDS, S_RECORD_IDS) into ids[0..n), rising. 0, or -1
 * with err. */
static int next_ids(struct merge *m, int which, size_t n, int64_t *ids, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[which];
	size_t i = 0;
	int rc;

	if (!n)
		return 0;
	db_bind_int(s, 1, (int64_t)n);
	while (i < n && (rc = db_step(s)) == DB_ROW)
		ids[i++] = db_int(s, 0);
	db_reset(s);
	if (i < n)
		/* TRANSLATORS: row ids are the store's numbers for new rows; two counts. */
		return rc == DB_DONE ? errf(err, errlen, _("the store handed out %zu of the %zu new row ids asked for"), i,
					    n) : db_error(m->db, rc, err, errlen);
	return 0;
}

/* Writes the row of record r as its new ops say (record_put's rule), without waiting for an answer: a new row if
 * it had none before the batch (its id taken by batch_ids). */
static int record_write(struct merge *m, const struct brec *r, const char *record, char *err, size_t errlen)
{
	struct db_stmt *s = m->st[r->held_form ? S_RECORD_MORE : S_RECORD_NEW];

	db_bind_text(s, 1, record);
	db_bind_text(s, 2, r->form);
	db_bind_text(s, 3, r->top->form_version);
	db_bind_int(s, 4, r->created);
	db_bind_text(s, 5, r->top->device);
	db_bind_int(s, 6, r->updated);
	db_bind_int(s, 7, (int64_t)r->top->hlc);
	db_bind_int(s, 8, r->rid);
	return db_step_done(s, err, errlen);
}

/* Takes the row ids of the batch's new ops (b->op[].id) and of its records not held before it (b->rec[].rid), in
 * op order, so that their rows are written without waiting for their ids. */
static int batch_ids(struct merge *m, struct batch *b, const enum merge_result *res, size_t k, char *err,
		     size_t errlen)
{
	size_t i, j, nops = 0, nrec = 0;
	int64_t *ids;
	int r;

	for (i = 0; i < k; i++)
		nops += res[i] == MERGE_NEW;
	for (i = 0; i < b->nrec; i++)
		nrec += b->rec[i].nnew && !b->rec[i].held_form;
	if (!nops)
		return 0;
	if (!(ids = mem_calloc(nops + nrec, sizeof(*ids))))
		return err_oom(err, errlen);
	r = next_ids(m, S_OP_IDS, nops, ids, err, errlen) < 0 ||
	    next_ids(m, S_RECORD_IDS, nrec, ids + nops, err, errlen) < 0 ? -1 : 0;
	for (i = j = 0; r == 0 && i < k; i++)
		if (res[i] == MERGE_NEW)
			b->op[i].id = ids[j++];
	for (i = 0; r == 0 && i < b->nrec; i++)
		if (b->rec[i].nnew && !b->rec[i].held_form)
			b->rec[i].rid = ids[j++];
	free(ids);
	return r;
}

/* Writes the new ops of ops[0..k) (res says which), their records, heads and fields. */
static int batch_write(struct merge *m, struct batch *b, const enum merge_result *res, size_t k, char *err,
		       size_t errlen)
{
	struct op_ref base[MERGE_MAX_BASE];
	size_t i, nbase;

	if (fields_held(m, b, err, errlen) < 0 || batch_ids(m, b, res, k, err, errlen) < 0)
		return -1;
	/* The rows written from here on are sent together where the engine can (db_gather): each record's row,
	 * op, base ref, head and field is written once by this batch (a field's by fresh_heads or refresh_field,
	 * never both), so none meets another of its statement, and none of them reads the others' tables. A failure
	 * ends the transaction, and with it the gathering. */
	if (db_gather(m->db, 1, err, errlen) < 0)
		return -1;
	/* A field held before has its heads written out once, before its first new op (heads_take). */
	for (i = 0; i < b->nfld; i++) {
		if (b->fld[i].fresh)
			fresh_top(b, res, k, i);
		else if (heads_expand(m, b->rec[b->fld[i].rec].rid, b->fld[i].field, err, errlen) < 0)
			return -1;
	}
	for (i = 0; i < k; i++) {
		const struct op *op = &b->ops[i];
		struct bop *o = &b->op[i];
		struct brec *r = &b->rec[o->rec];

		if (res[i] != MERGE_NEW)
			continue;
		if ((o->did = device_key(m, op->device, err, errlen)) < 0)
			return -1;
		if (!r->put) {
			if (record_write(m, r, op->record, err, errlen) < 0)
				return -1;
			r->put = 1;
		}
		nbase = sorted_base(op, base);
		if ((o->id = insert_op(m, op, o->did, r->rid, base, nbase,
				       b->fld[o->fld].fresh && b->fld[o->fld].top == i, o->id, err, errlen)) < 0)
			return -1;
		if (!b->fld[o->fld].fresh && heads_take(m, op, o->did, r->rid, o->id, base, nbase, err, errlen) < 0)
			return -1;
	}
	for (i = 0; i < b->nfld; i++) {
		if (b->fld[i].fresh ? fresh_heads(m, b, i, err, errlen) < 0 :
				      refresh_field(m, b->rec[b->fld[i].rec].rid, b->fld[i].field, err, errlen) < 0)
			return -1;
	}
	for (i = 0; i < b->nrec; i++)
		if (b->rec[i].nnew && summarise(m, b->rec[i].rid, err, errlen) < 0)
			return -1;
	return db_gather(m->db, 0, err, errlen);
}

enum merge_result merge_apply_batch(struct merge *m, const struct op *ops, size_t n, enum merge_result *res,
				    char *err, size_t errlen)
{
	enum merge_result r = MERGE_NEW;
	struct batch b;
	size_t i, end = 0;
	int row = 0;

	if (n == 0)
		return MERGE_NEW;
	if (batch_init(&b, ops, n) < 0) {
		err_oom(err, errlen);
		return MERGE_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (i == end && run_start(m, &b, i, &end, &row, err, errlen) < 0) {
			r = MERGE_ERROR;
			break;
		}
		res[i] = batch_check(m, &b, i, &row, err, errlen);
		if (res[i] != MERGE_NEW && res[i] != MERGE_DUPLICATE) {
			r = res[i];
			break;
		}
	}
	db_reset(m->st[S_FIND_RANGE]);
	if (r != MERGE_ERROR && batch_write(m, &b, res, i, err, errlen) < 0)
		r = MERGE_ERROR;
	batch_release(&b);
	return r;
}

int merge_heads(struct merge *m, const char *record, const char *field, merge_head_fn fn, void *ctx,
		char *err, size_t errlen)
{
	struct db_stmt *s = m->st[S_HEADS];
	struct op_ref ref;
	int n = 0, rc;

	db_bind_text(s, 1, record);
	db_bind_text(s, 2, field);
	while ((rc = db_step(s)) == DB_ROW) {
		strlcpy_s(ref.device, db_text(s, 0), sizeof(ref.device));
		ref.seq = (uint64_t)db_int(s, 1);
		if (fn)
			fn(ctx, &ref, (uint64_t)db_int(s, 2), db_text(s, 3));
		n++;
	}
	db_reset(s);
	if (rc != DB_DONE)
		return db_error(m->db, rc, err, errlen);
	return n;
}
