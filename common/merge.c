/* merge.c - the op log and the heads rule, the same on every device and server. */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "banned.h"

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
	"CREATE TABLE IF NOT EXISTS heads("
	" rid INTEGER NOT NULL, field TEXT NOT NULL, op INTEGER NOT NULL,"
	" PRIMARY KEY(rid, field, op)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS fields("
	" rid INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL,"
	" did INTEGER NOT NULL, conflict INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(rid, field)) WITHOUT ROWID;";

enum {
	S_DEVICE, S_DEVICE_FIND, S_RECORD_FORM, S_RECORD, S_FIND, S_FIND_BASE, S_INSERT, S_INSERT_BASE,
	S_DROP_HEAD, S_NAMED, S_NAMED_ANY, S_ADD_HEAD, S_TOP, S_DROP_FIELD, S_SET_FIELD, S_SUMMARY, S_HEADS,
	S_DROP_HEADS, S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_DEVICE] = "INSERT INTO devices(id) VALUES(?1)",
	[S_DEVICE_FIND] = "SELECT did FROM devices WHERE id = ?1",
	[S_RECORD_FORM] = "SELECT form FROM records WHERE id = ?1",
	/* The record's form version is the one of its latest op by (stamp, device), as for shown values, so that it
	 * does not depend on the order ops arrive in, even when two ops carry the same stamp. stamp is the latest
	 * op's own, whatever merge_date_cap does to the dates: those depend on when ops arrived, the version must
	 * not. */
	[S_RECORD] = "INSERT INTO records(id, form, form_version, created, updated, updated_by, stamp)"
		     " VALUES(?1, ?2, ?3, ?4, ?6, ?5, ?7)"
		     " ON CONFLICT(id) DO UPDATE SET created = min(created, excluded.created),"
		     " form_version = CASE WHEN excluded.stamp > stamp OR (excluded.stamp = stamp AND"
		     "  excluded.updated_by > updated_by) THEN excluded.form_version ELSE form_version END,"
		     " updated_by = CASE WHEN excluded.stamp > stamp OR (excluded.stamp = stamp AND"
		     "  excluded.updated_by > updated_by) THEN excluded.updated_by ELSE updated_by END,"
		     " stamp = max(stamp, excluded.stamp), updated = max(updated, excluded.updated)"
		     " RETURNING rid",
	[S_FIND] = "SELECT o.id, o.hlc, r.id, r.form, o.form_version, o.field, o.value FROM ops o"
		   " JOIN records r ON r.rid = o.rid WHERE o.did = ?1 AND o.seq = ?2",
	[S_FIND_BASE] = "SELECT d.id, b.seq FROM op_base b JOIN devices d ON d.did = b.did WHERE b.op = ?1"
			" ORDER BY d.id, b.seq",
	[S_INSERT] = "INSERT INTO ops(did, seq, hlc, rid, form_version, field, value) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_INSERT_BASE] = "INSERT OR IGNORE INTO op_base(op, did, seq) VALUES(?1, ?2, ?3)",
	[S_DROP_HEAD] = "DELETE FROM heads WHERE rid = ?1 AND field = ?2 AND op ="
			" (SELECT id FROM ops WHERE did = ?3 AND seq = ?4 AND rid = ?1 AND field = ?2)",
	[S_NAMED_ANY] = "SELECT 1 FROM op_base b JOIN ops o ON o.id = b.op"
			" WHERE b.did = ?1 AND b.seq BETWEEN ?2 AND ?3 AND o.rid = ?4 LIMIT 1",
	[S_NAMED] = "SELECT 1 FROM op_base b JOIN ops o ON o.id = b.op"
		    " WHERE b.did = ?1 AND b.seq = ?2 AND o.rid = ?3 AND o.field = ?4 LIMIT 1",
	[S_ADD_HEAD] = "INSERT OR IGNORE INTO heads(rid, field, op) VALUES(?1, ?2, ?3)",
	[S_TOP] = "SELECT o.value, o.hlc, o.did,"
		  " (SELECT COUNT(DISTINCT o2.value) FROM heads h2 JOIN ops o2 ON o2.id = h2.op"
		  "  WHERE h2.rid = ?1 AND h2.field = ?2)"
		  " FROM heads h JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
		  " WHERE h.rid = ?1 AND h.field = ?2 ORDER BY o.hlc DESC, d.id DESC LIMIT 1",
	[S_DROP_FIELD] = "DELETE FROM fields WHERE rid = ?1 AND field = ?2",
	[S_SET_FIELD] = "INSERT INTO fields(rid, field, value, hlc, did, conflict) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
			" ON CONFLICT(rid, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc,"
			" did = excluded.did, conflict = excluded.conflict",
	[S_SUMMARY] = "UPDATE records SET"
		      " conflicts = (SELECT COUNT(*) FROM fields WHERE rid = ?1 AND conflict),"
		      " deleted = coalesce((SELECT value = 'true' FROM fields WHERE rid = ?1 AND field = '_deleted'), 0)"
		      " WHERE rid = ?1",
	[S_HEADS] = "SELECT d.id, o.seq, o.hlc, o.value FROM records r JOIN heads h ON h.rid = r.rid"
		    " JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
		    " WHERE r.id = ?1 AND h.field = ?2 ORDER BY o.hlc DESC, d.id DESC",
	[S_DROP_HEADS] = "DELETE FROM heads WHERE rid = ?1 AND field = ?2",
};

struct merge {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	/* The last device looked up: ops come in runs from one device. A rollback may undo the row it names, so
	 * the connection's rollback hook forgets it. */
	char last_device[KEYS_ID_STRLEN + 1];
	sqlite3_int64 last_did;
	uint64_t date_cap;   /* records are dated by stamps no later than this (merge_date_cap) */
};

static void forget_device(void *ctx)
{
	struct merge *m = ctx;

	m->last_did = 0;
	m->last_device[0] = '\0';
}

int merge_schema(sqlite3 *db, char *err, size_t errlen)
{
	return db_exec(db, schema, err, errlen);
}

/* A store made before records kept their latest op's own stamp (stamp) gets the column, filled from updated, which
 * was that stamp then. */
static int add_stamp(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM pragma_table_info('records') WHERE name = 'stamp'", err,
				      errlen);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_error(db, rc, err, errlen);
	return db_exec(db, "ALTER TABLE records ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;"
		       "UPDATE records SET stamp = updated", err, errlen);
}

struct merge *merge_open(sqlite3 *db, char *err, size_t errlen)
{
	struct merge *m;

	if (add_stamp(db, err, errlen) < 0)
		return NULL;
	if (!(m = calloc(1, sizeof(*m)))) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	m->db = db;
	m->date_cap = UINT64_MAX;
	sqlite3_rollback_hook(db, forget_device, m);
	if (db_prepare_all(db, sql, m->st, S_COUNT, err, errlen) < 0) {
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
	sqlite3_rollback_hook(m->db, NULL, NULL);
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

	memcpy(out, op->base, op->nbase * sizeof(*out));
	qsort(out, op->nbase, sizeof(*out), ref_cmp);
	for (i = 0; i < op->nbase; i++)
		if (n == 0 || ref_cmp(&out[n - 1], &out[i]))
			out[n++] = out[i];
	return n;
}

/* The integer key of a device already known, 0 if it is not, -1 on error. Adds nothing. */
static sqlite3_int64 device_find(struct merge *m, const char *device, char *err, size_t errlen)
{
	sqlite3_stmt *s = m->st[S_DEVICE_FIND];
	sqlite3_int64 did = 0;
	int rc;

	if (m->last_did && !strcmp(m->last_device, device))
		return m->last_did;
	db_bind_text(s, 1, device);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		did = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		did = db_error(m->db, rc, err, errlen);
	sqlite3_reset(s);
	if (did > 0) {
		m->last_did = did;
		strlcpy_s(m->last_device, device, sizeof(m->last_device));
	}
	return did;
}

/* The integer key of a device, added if new. -1 on error. */
static sqlite3_int64 device_key(struct merge *m, const char *device, char *err, size_t errlen)
{
	sqlite3_int64 did = device_find(m, device, err, errlen);
	sqlite3_stmt *s = m->st[S_DEVICE];

	if (did)
		return did;
	db_bind_text(s, 1, device);
	if (db_step_done(s, err, errlen) < 0)
		return -1;
	m->last_did = sqlite3_last_insert_rowid(m->db);
	strlcpy_s(m->last_device, device, sizeof(m->last_device));
	return m->last_did;
}

/* Refuses an op that names another form than its record's, before anything is changed: 1 if it does (err says
 * so), 0 if not, -1 on a store error. */
static int check_form(struct merge *m, const struct op *op, char *err, size_t errlen)
{
	sqlite3_stmt *s = m->st[S_RECORD_FORM];
	int rc, r = 0;

	db_bind_text(s, 1, op->record);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && strcmp(db_text(s, 0), op->form)) {
		errf(err, errlen, "op %s:%llu names form '%s' but record %s is a '%s' record", op->device,
		     (unsigned long long)op->seq, op->form, op->record, db_text(s, 0));
		r = 1;
	}
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_error(m->db, rc, err, errlen);
	sqlite3_reset(s);
	return r;
}

/* The integer key of the record of ops first..last (one op, or a run from one device stamped in order),
 * creating or updating its row: created from the first, form version and updated from the last. check_form
 * has accepted them. -1 on error. */
static sqlite3_int64 record_key(struct merge *m, const struct op *first, const struct op *last, char *err,
				size_t errlen)
{
	sqlite3_stmt *s = m->st[S_RECORD];
	sqlite3_int64 rid = -1;
	int rc;

	db_bind_text(s, 1, first->record);
	db_bind_text(s, 2, first->form);
	db_bind_text(s, 3, last->form_version);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)(first->hlc < m->date_cap ? first->hlc : m->date_cap));
	db_bind_text(s, 5, last->device);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)(last->hlc < m->date_cap ? last->hlc : m->date_cap));
	sqlite3_bind_int64(s, 7, (sqlite3_int64)last->hlc);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		db_error(m->db, rc, err, errlen);
	else
		rid = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rid;
}

static int same_text(sqlite3_stmt *st, int col, const char *s)
{
	return strcmp(db_text(st, col), s) == 0;
}

/* Compares op with the held op at row id (S_FIND is positioned on it). 1 if identical. */
static int same_op(struct merge *m, sqlite3_int64 id, const struct op *op, const struct op_ref *base, size_t nbase)
{
	sqlite3_stmt *f = m->st[S_FIND], *b = m->st[S_FIND_BASE];
	size_t i = 0;
	int same;

	same = (uint64_t)sqlite3_column_int64(f, 1) == op->hlc && same_text(f, 2, op->record) &&
	       same_text(f, 3, op->form) && same_text(f, 4, op->form_version) && same_text(f, 5, op->field) &&
	       same_text(f, 6, op->value);
	if (!same)
		return 0;
	sqlite3_bind_int64(b, 1, id);
	while (sqlite3_step(b) == SQLITE_ROW) {
		if (i >= nbase || strcmp(db_text(b, 0), base[i].device) ||
		    (uint64_t)sqlite3_column_int64(b, 1) != base[i].seq) {
			same = 0;
			break;
		}
		i++;
	}
	sqlite3_reset(b);
	return same && i == nbase;
}

/* Recomputes the shown value of (record, field) from its heads. */
static int refresh_field(struct merge *m, sqlite3_int64 rid, const char *field, char *err, size_t errlen)
{
	sqlite3_stmt *t = m->st[S_TOP], *s;
	int rc;

	sqlite3_bind_int64(t, 1, rid);
	db_bind_text(t, 2, field);
	rc = sqlite3_step(t);
	if (rc == SQLITE_ROW) {
		s = m->st[S_SET_FIELD];
		sqlite3_bind_int64(s, 1, rid);
		db_bind_text(s, 2, field);
		db_bind_text(s, 3, db_text(t, 0));
		sqlite3_bind_int64(s, 4, sqlite3_column_int64(t, 1));
		sqlite3_bind_int64(s, 5, sqlite3_column_int64(t, 2));
		sqlite3_bind_int(s, 6, sqlite3_column_int(t, 3) > 1);
		/* The value is bound without a copy: write before t lets go of it. */
		rc = db_step_done(s, err, errlen);
		sqlite3_reset(t);
		return rc;
	}
	sqlite3_reset(t);
	if (rc != SQLITE_DONE)
		return db_error(m->db, rc, err, errlen);
	/* No head at all: only ops that name each other in a cycle, which no honest device makes. */
	s = m->st[S_DROP_FIELD];
	sqlite3_bind_int64(s, 1, rid);
	db_bind_text(s, 2, field);
	return db_step_done(s, err, errlen);
}

/* Stores op (of device did and record rid) and its base rows; returns the new row id, or -1. */
static sqlite3_int64 insert_op(struct merge *m, const struct op *op, sqlite3_int64 did, sqlite3_int64 rid,
			       const struct op_ref *base, size_t nbase, char *err, size_t errlen)
{
	sqlite3_stmt *s = m->st[S_INSERT];
	sqlite3_int64 id, bdid;
	size_t i;

	sqlite3_bind_int64(s, 1, did);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)op->seq);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)op->hlc);
	sqlite3_bind_int64(s, 4, rid);
	db_bind_text(s, 5, op->form_version);
	db_bind_text(s, 6, op->field);
	db_bind_text(s, 7, op->value);
	if (db_step_done(s, err, errlen) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(m->db);
	for (i = 0; i < nbase; i++) {
		if ((bdid = device_key(m, base[i].device, err, errlen)) < 0)
			return -1;
		s = m->st[S_INSERT_BASE];
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, bdid);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)base[i].seq);
		if (db_step_done(s, err, errlen) < 0)
			return -1;
	}
	return id;
}

static int add_head(struct merge *m, sqlite3_int64 rid, const char *field, sqlite3_int64 op, char *err,
		    size_t errlen)
{
	sqlite3_stmt *s = m->st[S_ADD_HEAD];

	sqlite3_bind_int64(s, 1, rid);
	db_bind_text(s, 2, field);
	sqlite3_bind_int64(s, 3, op);
	return db_step_done(s, err, errlen);
}

/* Recounts the record's conflicts and its deleted flag. */
static int summarise(struct merge *m, sqlite3_int64 rid, char *err, size_t errlen)
{
	sqlite3_stmt *s = m->st[S_SUMMARY];

	sqlite3_bind_int64(s, 1, rid);
	return db_step_done(s, err, errlen);
}

/* Checks what every op must satisfy before it is stored. */
static int check_op(const struct op *op, const struct op_ref *base, size_t nbase, char *err, size_t errlen)
{
	size_t i;

	if (op->nbase > MERGE_MAX_BASE)
		return errf(err, errlen, "op %s:%llu names %zu base ops (at most %d)", op->device,
			    (unsigned long long)op->seq, op->nbase, MERGE_MAX_BASE);
	if (op->seq == 0 || op->seq > INT64_MAX)
		return errf(err, errlen, "op %s: seq %llu is out of range", op->device, (unsigned long long)op->seq);
	for (i = 0; i < nbase; i++)
		if (base[i].seq == op->seq && strcmp(base[i].device, op->device) == 0)
			return errf(err, errlen, "op %s:%llu names itself as its base", op->device,
				    (unsigned long long)op->seq);
	return 0;
}

/* 1 if an op of (rid, field) already names (did, seq) in its base, 0 if not, -1 on error. */
static int named_before(struct merge *m, sqlite3_int64 did, uint64_t seq, sqlite3_int64 rid, const char *field,
			char *err, size_t errlen)
{
	sqlite3_stmt *s = m->st[S_NAMED];
	int rc;

	sqlite3_bind_int64(s, 1, did);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 3, rid);
	db_bind_text(s, 4, field);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(m->db, rc, err, errlen);
	return rc == SQLITE_ROW;
}

enum merge_result merge_apply(struct merge *m, const struct op *op, char *err, size_t errlen)
{
	struct op_ref base[MERGE_MAX_BASE];
	sqlite3_int64 id, did, rid, bdid;
	sqlite3_stmt *s;
	size_t nbase, i;
	int rc, named;

	if (op->nbase > MERGE_MAX_BASE) {
		errf(err, errlen, "op %s:%llu names %zu base ops (at most %d)", op->device,
		     (unsigned long long)op->seq, op->nbase, MERGE_MAX_BASE);
		return MERGE_INVALID;
	}
	nbase = sorted_base(op, base);
	if (check_op(op, base, nbase, err, errlen) < 0)
		return MERGE_INVALID;
	if ((did = device_find(m, op->device, err, errlen)) < 0)
		return MERGE_ERROR;

	/* Already held? Identical is a harmless repeat; different is equivocation. An unknown device has sent
	 * nothing yet. */
	s = m->st[S_FIND];
	sqlite3_bind_int64(s, 1, did);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)op->seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int same;

		id = sqlite3_column_int64(s, 0);
		same = same_op(m, id, op, base, nbase);
		sqlite3_reset(s);
		if (same)
			return MERGE_DUPLICATE;
		errf(err, errlen, "op %s:%llu is already held with different content", op->device,
		     (unsigned long long)op->seq);
		return MERGE_EQUIVOCATION;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_error(m->db, rc, err, errlen);
		return MERGE_ERROR;
	}

	/* Refused ops change nothing: check before the first write. */
	if ((rc = check_form(m, op, err, errlen)) != 0)
		return rc > 0 ? MERGE_INVALID : MERGE_ERROR;
	if ((did = device_key(m, op->device, err, errlen)) < 0 ||
	    (rid = record_key(m, op, op, err, errlen)) < 0 ||
	    (id = insert_op(m, op, did, rid, base, nbase, err, errlen)) < 0)
		return MERGE_ERROR;
	/* What this op saw is no longer a head. */
	for (i = 0; i < nbase; i++) {
		if ((bdid = device_key(m, base[i].device, err, errlen)) < 0)
			return MERGE_ERROR;
		s = m->st[S_DROP_HEAD];
		sqlite3_bind_int64(s, 1, rid);
		db_bind_text(s, 2, op->field);
		sqlite3_bind_int64(s, 3, bdid);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)base[i].seq);
		if (db_step_done(s, err, errlen) < 0)
			return MERGE_ERROR;
	}

	/* This op is a head unless an op that arrived earlier already names it. */
	if ((named = named_before(m, did, op->seq, rid, op->field, err, errlen)) < 0)
		return MERGE_ERROR;
	if (!named && add_head(m, rid, op->field, id, err, errlen) < 0)
		return MERGE_ERROR;
	if (refresh_field(m, rid, op->field, err, errlen) < 0 || summarise(m, rid, err, errlen) < 0)
		return MERGE_ERROR;
	return MERGE_NEW;
}

enum merge_result merge_apply_local(struct merge *m, const struct op *ops, size_t n, char *err, size_t errlen)
{
	struct op_ref base[MERGE_MAX_BASE];
	sqlite3_int64 id, did, rid;
	const struct op *op;
	sqlite3_stmt *s;
	uint64_t lo = 0, hi = 0;
	size_t nbase, i;
	int named, any_named, rc;

	if (n == 0)
		return MERGE_NEW;
	for (i = 0; i < n; i++) {
		if (ops[i].nbase > MERGE_MAX_BASE) {
			errf(err, errlen, "op names %zu base ops (at most %d)", ops[i].nbase, MERGE_MAX_BASE);
			return MERGE_ERROR;
		}
		nbase = sorted_base(&ops[i], base);
		if (check_op(&ops[i], base, nbase, err, errlen) < 0)
			return MERGE_ERROR;
		if (strcmp(ops[i].device, ops[0].device) || strcmp(ops[i].record, ops[0].record)) {
			errf(err, errlen, "a local run of ops must be one device's, on one record");
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
	sqlite3_bind_int64(s, 1, did);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)lo);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)hi);
	sqlite3_bind_int64(s, 4, rid);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(m->db, rc, err, errlen);
		return MERGE_ERROR;
	}
	any_named = rc == SQLITE_ROW;
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
		if ((id = insert_op(m, op, did, rid, base, nbase, err, errlen)) < 0)
			return MERGE_ERROR;
		/* The base is every head, so the op is now the only one. */
		s = m->st[S_DROP_HEADS];
		sqlite3_bind_int64(s, 1, rid);
		db_bind_text(s, 2, op->field);
		if (nbase && db_step_done(s, err, errlen) < 0)
			return MERGE_ERROR;
		if (add_head(m, rid, op->field, id, err, errlen) < 0)
			return MERGE_ERROR;
		s = m->st[S_SET_FIELD];
		sqlite3_bind_int64(s, 1, rid);
		db_bind_text(s, 2, op->field);
		db_bind_text(s, 3, op->value);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)op->hlc);
		sqlite3_bind_int64(s, 5, did);
		sqlite3_bind_int(s, 6, 0);
		if (db_step_done(s, err, errlen) < 0)
			return MERGE_ERROR;
	}
	if (summarise(m, rid, err, errlen) < 0)
		return MERGE_ERROR;
	return MERGE_NEW;
}

int merge_heads(struct merge *m, const char *record, const char *field, merge_head_fn fn, void *ctx,
		char *err, size_t errlen)
{
	sqlite3_stmt *s = m->st[S_HEADS];
	struct op_ref ref;
	int n = 0, rc;

	db_bind_text(s, 1, record);
	db_bind_text(s, 2, field);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		strlcpy_s(ref.device, db_text(s, 0), sizeof(ref.device));
		ref.seq = (uint64_t)sqlite3_column_int64(s, 1);
		if (fn)
			fn(ctx, &ref, (uint64_t)sqlite3_column_int64(s, 2), db_text(s, 3));
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(m->db, rc, err, errlen);
	return n;
}
