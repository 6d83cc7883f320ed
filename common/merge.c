/* merge.c - the op log and the heads rule, the same on every device and server. */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS ops("
	" id INTEGER PRIMARY KEY, device TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,"
	" record TEXT NOT NULL, form TEXT NOT NULL, form_version TEXT NOT NULL, field TEXT NOT NULL,"
	" value TEXT NOT NULL, UNIQUE(device, seq));"
	"CREATE INDEX IF NOT EXISTS ops_record ON ops(record, field);"
	"CREATE TABLE IF NOT EXISTS op_base("
	" op INTEGER NOT NULL REFERENCES ops(id), device TEXT NOT NULL, seq INTEGER NOT NULL,"
	" PRIMARY KEY(op, device, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS op_base_ref ON op_base(device, seq);"
	"CREATE TABLE IF NOT EXISTS heads("
	" record TEXT NOT NULL, field TEXT NOT NULL, op INTEGER NOT NULL,"
	" PRIMARY KEY(record, field, op)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS records("
	" id TEXT PRIMARY KEY, form TEXT NOT NULL, form_version TEXT NOT NULL,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,"
	" conflicts INTEGER NOT NULL DEFAULT 0, draft INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS records_form ON records(form, updated);"
	"CREATE TABLE IF NOT EXISTS fields("
	" record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL,"
	" device TEXT NOT NULL, conflict INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(record, field)) WITHOUT ROWID;";

enum {
	S_FIND, S_FIND_BASE, S_INSERT, S_INSERT_BASE, S_DROP_HEAD, S_NAMED, S_ADD_HEAD, S_TOP, S_DROP_FIELD,
	S_SET_FIELD, S_RECORD_FORM, S_SET_RECORD, S_SUMMARY, S_HEADS, S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_FIND] = "SELECT id, hlc, record, form, form_version, field, value FROM ops WHERE device = ?1 AND seq = ?2",
	[S_FIND_BASE] = "SELECT device, seq FROM op_base WHERE op = ?1 ORDER BY device, seq",
	[S_INSERT] = "INSERT INTO ops(device, seq, hlc, record, form, form_version, field, value)"
		     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_INSERT_BASE] = "INSERT OR IGNORE INTO op_base(op, device, seq) VALUES(?1, ?2, ?3)",
	[S_DROP_HEAD] = "DELETE FROM heads WHERE record = ?1 AND field = ?2 AND op ="
			" (SELECT id FROM ops WHERE device = ?3 AND seq = ?4 AND record = ?1 AND field = ?2)",
	[S_NAMED] = "SELECT 1 FROM op_base b JOIN ops o ON o.id = b.op"
		    " WHERE b.device = ?1 AND b.seq = ?2 AND o.record = ?3 AND o.field = ?4 LIMIT 1",
	[S_ADD_HEAD] = "INSERT OR IGNORE INTO heads(record, field, op) VALUES(?1, ?2, ?3)",
	[S_TOP] = "SELECT o.value, o.hlc, o.device,"
		  " (SELECT COUNT(DISTINCT o2.value) FROM heads h2 JOIN ops o2 ON o2.id = h2.op"
		  "  WHERE h2.record = ?1 AND h2.field = ?2)"
		  " FROM heads h JOIN ops o ON o.id = h.op WHERE h.record = ?1 AND h.field = ?2"
		  " ORDER BY o.hlc DESC, o.device DESC LIMIT 1",
	[S_DROP_FIELD] = "DELETE FROM fields WHERE record = ?1 AND field = ?2",
	[S_SET_FIELD] = "INSERT INTO fields(record, field, value, hlc, device, conflict) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
			" ON CONFLICT(record, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc,"
			" device = excluded.device, conflict = excluded.conflict",
	[S_RECORD_FORM] = "SELECT form FROM records WHERE id = ?1",
	/* The record's form version is the one of its latest op, whatever order ops arrive in. */
	[S_SET_RECORD] = "INSERT INTO records(id, form, form_version, created, updated) VALUES(?1, ?2, ?3, ?4, ?4)"
			 " ON CONFLICT(id) DO UPDATE SET created = min(created, excluded.created),"
			 " updated = max(updated, excluded.updated),"
			 " form_version = CASE WHEN excluded.updated >= updated THEN excluded.form_version"
			 " ELSE form_version END",
	[S_SUMMARY] = "UPDATE records SET"
		      " conflicts = (SELECT COUNT(*) FROM fields WHERE record = ?1 AND conflict),"
		      " deleted = coalesce((SELECT value = 'true' FROM fields WHERE record = ?1 AND field = '_deleted'), 0)"
		      " WHERE id = ?1",
	[S_HEADS] = "SELECT o.device, o.seq, o.hlc, o.value FROM heads h JOIN ops o ON o.id = h.op"
		    " WHERE h.record = ?1 AND h.field = ?2 ORDER BY o.hlc DESC, o.device DESC",
};

struct merge {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
};

int merge_schema(sqlite3 *db, char *err, size_t errlen)
{
	return db_exec(db, schema, err, errlen);
}

struct merge *merge_open(sqlite3 *db, char *err, size_t errlen)
{
	struct merge *m = calloc(1, sizeof(*m));
	int i;

	if (!m) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	m->db = db;
	for (i = 0; i < S_COUNT; i++) {
		m->st[i] = db_prepare(db, sql[i], err, errlen);
		if (!m->st[i]) {
			merge_free(m);
			return NULL;
		}
	}
	return m;
}

void merge_free(struct merge *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(m->st[i]);
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
static int refresh_field(struct merge *m, const struct op *op, char *err, size_t errlen)
{
	sqlite3_stmt *t = m->st[S_TOP], *s;
	int rc;

	db_bind_text(t, 1, op->record);
	db_bind_text(t, 2, op->field);
	rc = sqlite3_step(t);
	if (rc == SQLITE_ROW) {
		s = m->st[S_SET_FIELD];
		db_bind_text(s, 1, op->record);
		db_bind_text(s, 2, op->field);
		db_bind_text(s, 3, db_text(t, 0));
		sqlite3_bind_int64(s, 4, sqlite3_column_int64(t, 1));
		db_bind_text(s, 5, db_text(t, 2));
		sqlite3_bind_int(s, 6, sqlite3_column_int(t, 3) > 1);
		sqlite3_reset(t);
		return db_step_done(s, err, errlen);
	}
	sqlite3_reset(t);
	if (rc != SQLITE_DONE)
		return db_error(m->db, rc, err, errlen);
	/* No head at all: only ops that name each other in a cycle, which no honest device makes. */
	s = m->st[S_DROP_FIELD];
	db_bind_text(s, 1, op->record);
	db_bind_text(s, 2, op->field);
	return db_step_done(s, err, errlen);
}

enum merge_result merge_apply(struct merge *m, const struct op *op, char *err, size_t errlen)
{
	struct op_ref base[MERGE_MAX_BASE];
	sqlite3_stmt *s;
	sqlite3_int64 id;
	size_t nbase, i;
	int rc, named;

	if (op->nbase > MERGE_MAX_BASE) {
		errf(err, errlen, "op %s:%llu names %zu base ops (at most %d)", op->device,
		     (unsigned long long)op->seq, op->nbase, MERGE_MAX_BASE);
		return MERGE_ERROR;
	}
	nbase = sorted_base(op, base);
	for (i = 0; i < nbase; i++) {
		if (base[i].seq == op->seq && strcmp(base[i].device, op->device) == 0) {
			errf(err, errlen, "op %s:%llu names itself as its base", op->device,
			     (unsigned long long)op->seq);
			return MERGE_ERROR;
		}
	}

	/* Already held? Identical is a harmless repeat; different is equivocation. */
	s = m->st[S_FIND];
	db_bind_text(s, 1, op->device);
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

	/* A record keeps the form it was created with. */
	s = m->st[S_RECORD_FORM];
	db_bind_text(s, 1, op->record);
	if (sqlite3_step(s) == SQLITE_ROW && strcmp(db_text(s, 0), op->form)) {
		errf(err, errlen, "op %s:%llu names form '%s' but record %s is a '%s' record", op->device,
		     (unsigned long long)op->seq, op->form, op->record, db_text(s, 0));
		sqlite3_reset(s);
		return MERGE_ERROR;
	}
	sqlite3_reset(s);

	s = m->st[S_INSERT];
	db_bind_text(s, 1, op->device);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)op->seq);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)op->hlc);
	db_bind_text(s, 4, op->record);
	db_bind_text(s, 5, op->form);
	db_bind_text(s, 6, op->form_version);
	db_bind_text(s, 7, op->field);
	db_bind_text(s, 8, op->value);
	if (db_step_done(s, err, errlen) < 0)
		return MERGE_ERROR;
	id = sqlite3_last_insert_rowid(m->db);

	for (i = 0; i < nbase; i++) {
		s = m->st[S_INSERT_BASE];
		sqlite3_bind_int64(s, 1, id);
		db_bind_text(s, 2, base[i].device);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)base[i].seq);
		if (db_step_done(s, err, errlen) < 0)
			return MERGE_ERROR;
		/* What this op saw is no longer a head. */
		s = m->st[S_DROP_HEAD];
		db_bind_text(s, 1, op->record);
		db_bind_text(s, 2, op->field);
		db_bind_text(s, 3, base[i].device);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)base[i].seq);
		if (db_step_done(s, err, errlen) < 0)
			return MERGE_ERROR;
	}

	/* This op is a head unless an op that arrived earlier already names it. */
	s = m->st[S_NAMED];
	db_bind_text(s, 1, op->device);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)op->seq);
	db_bind_text(s, 3, op->record);
	db_bind_text(s, 4, op->field);
	rc = sqlite3_step(s);
	named = rc == SQLITE_ROW;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(m->db, rc, err, errlen);
		return MERGE_ERROR;
	}
	if (!named) {
		s = m->st[S_ADD_HEAD];
		db_bind_text(s, 1, op->record);
		db_bind_text(s, 2, op->field);
		sqlite3_bind_int64(s, 3, id);
		if (db_step_done(s, err, errlen) < 0)
			return MERGE_ERROR;
	}

	if (refresh_field(m, op, err, errlen) < 0)
		return MERGE_ERROR;
	s = m->st[S_SET_RECORD];
	db_bind_text(s, 1, op->record);
	db_bind_text(s, 2, op->form);
	db_bind_text(s, 3, op->form_version);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)op->hlc);
	if (db_step_done(s, err, errlen) < 0)
		return MERGE_ERROR;
	s = m->st[S_SUMMARY];
	db_bind_text(s, 1, op->record);
	if (db_step_done(s, err, errlen) < 0)
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
