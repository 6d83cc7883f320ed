/* test_merge.c - the op log and the per-field heads rule: unit cases, merge_apply_local against merge_apply,
 * and the convergence property (replicas holding the same ops show the same values, conflicts and records,
 * whatever the arrival order and the duplicates) over many random seeds, with merge_apply_batch against
 * merge_apply in each seed.
 *
 * SONDEO_SOAK_SEEDS=N runs the convergence property over N seeds instead of the default (make soak);
 * SONDEO_SEED=S runs it over seed S alone, to reproduce a failure. */
#include <sqlite3.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "hlc.h"
#include "merge.h"
#include "test.h"
#include "testop.h"
#include "util.h"

#define FORM "partnership"
/* Devices are 32 hex characters of one letter, so that the letter names the device in expectations. */
#define DEV_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DEV_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DEV_C "cccccccccccccccccccccccccccccccc"
#define DEV_D "dddddddddddddddddddddddddddddddd"
#define DEV_E "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define DEV_F "ffffffffffffffffffffffffffffffff"
#define REC1 "11111111-1111-4111-8111-111111111111"
#define REC2 "22222222-2222-4222-8222-222222222222"
#define HOUR_MS 3600000ULL
#define T0 HLC_MAKE(1700000000000ULL, 0)   /* a plausible stamp: November 2023 */
#define DUMP_MAX ((size_t)64 << 20)

/* ---- helpers ---- */

/* Setup failures end the program with a "not ok" line, so that run.sh counts them. */
static void die(const char *what, const char *err)
{
	printf("not ok setup: %s: %s\n", what, err);
	exit(1);
}

struct replica {
	struct db *db;
	struct merge *m;
};

/* With SONDEO_TEST_PG (tests/cli/pg-engine.sh), each replica is a schema of its own in that PostgreSQL database,
 * made afresh; otherwise an SQLite database in memory. */
static const char *pg;
static struct db *pg_admin;
static unsigned pg_replicas;

static struct db *replica_db(char *err, size_t errlen)
{
	char conninfo[1024], sql[128];

	if (!pg)
		return db_open(":memory:", DB_CREATE, err, errlen);
	if (!pg_admin && !(pg_admin = db_open_pg(pg, err, errlen)))
		return NULL;
	pg_replicas++;
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS r%u CASCADE; CREATE SCHEMA r%u", pg_replicas, pg_replicas);
	if (db_exec(pg_admin, sql, err, errlen) < 0)
		return NULL;
	snprintf(conninfo, sizeof(conninfo), "%s options='-c search_path=r%u'", pg, pg_replicas);
	return db_open_pg(conninfo, err, errlen);
}

static void replica_open(struct replica *r)
{
	char err[256];

	if (!(r->db = replica_db(err, sizeof(err))))
		die("db_open", err);
	if (merge_schema(r->db, err, sizeof(err)) < 0)
		die("merge_schema", err);
	if (!(r->m = merge_open(r->db, err, sizeof(err))))
		die("merge_open", err);
}

static void replica_close(struct replica *r)
{
	merge_free(r->m);
	db_close(r->db);
	r->m = NULL;
	r->db = NULL;
}

/* An op of dev's seq on rec setting field to value, stamped hlc, form version "1", empty base. */
static struct op mkop(const char *dev, uint64_t seq, uint64_t hlc, const char *rec, const char *field,
		      const char *value)
{
	struct op op;

	memset(&op, 0, sizeof(op));
	strlcpy_s(op.device, dev, sizeof(op.device));
	op.seq = seq;
	op.hlc = hlc;
	strlcpy_s(op.record, rec, sizeof(op.record));
	op.form = FORM;
	op.form_version = "1";
	op.field = field;
	op.value = value;
	return op;
}

static void base_add(struct op *op, const char *dev, uint64_t seq)
{
	struct op_ref *b;

	if (op->nbase >= MERGE_MAX_BASE)
		die("base_add", "too many base ops");
	b = testop_base(op, op->nbase + 1);
	strlcpy_s(b[op->nbase].device, dev, sizeof(b[0].device));
	b[op->nbase++].seq = seq;
}

/* merge_apply in a transaction of its own, committed whatever the result (as a caller that skips a refused
 * op and goes on would do). err may be NULL. */
static enum merge_result apply_err(struct replica *r, const struct op *op, char *err, size_t errlen)
{
	char e[256], dummy[256];
	enum merge_result res;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (db_begin(r->db, e, sizeof(e)) < 0)
		die("db_begin", e);
	res = merge_apply(r->m, op, err, errlen);
	if (res == MERGE_ERROR)
		printf("#   merge_apply: %s\n", err);
	if (db_commit(r->db, e, sizeof(e)) < 0)
		die("db_commit", e);
	return res;
}

static enum merge_result apply(struct replica *r, const struct op *op)
{
	return apply_err(r, op, NULL, 0);
}

static enum merge_result apply_local(struct replica *r, const struct op *ops, size_t n)
{
	char e[256], err[256] = "";
	enum merge_result res;

	if (db_begin(r->db, e, sizeof(e)) < 0)
		die("db_begin", e);
	res = merge_apply_local(r->m, ops, n, err, sizeof(err));
	if (res != MERGE_NEW)
		printf("#   merge_apply_local: %d: %s\n", (int)res, err);
	if (db_commit(r->db, e, sizeof(e)) < 0)
		die("db_commit", e);
	return res;
}

/* Runs sql with up to two text parameters and renders every row as its columns joined by '|', rows joined by
 * ' ' ("" for no row). The result lives in one of a ring of static buffers, so a few can be compared at once. */
static const char *query(struct db *db, const char *sql, const char *p1, const char *p2)
{
	static char ring[8][4096];
	static int next;
	char *out = ring[next++ % 8], err[256];
	size_t used = 0;
	struct db_stmt *st = db_prepare(db, sql, err, sizeof(err));
	int i, rows = 0;

	if (!st)
		die(sql, err);
	if (p1)
		db_bind_text(st, 1, p1);
	if (p2)
		db_bind_text(st, 2, p2);
	out[0] = '\0';
	while (db_step(st) == DB_ROW) {
		for (i = 0; i < db_columns(st); i++) {
			const char *t = db_is_null(st, i) ? "NULL" : db_text(st, i);

			used += (size_t)snprintf(out + used, 4096 - used, "%s%s", i ? "|" : rows ? " " : "", t);
			if (used >= 4096)
				die("query", "result too long");
		}
		rows++;
	}
	db_finalize(st);
	return out;
}

/* The shown value of a field: "value|hlc|device letter|conflict", or "" when the field has no row. */
static const char *field_of(struct replica *r, const char *rec, const char *field)
{
	return query(r->db,
		     "SELECT f.value, f.hlc, substr(coalesce(d.id, '?'), 1, 1), f.conflict FROM fields f"
		     " JOIN records r ON r.rid = f.rid LEFT JOIN devices d ON d.did = f.did"
		     " WHERE r.id = ?1 AND f.field = ?2",
		     rec, field);
}

/* A record's row: "form|form_version|created|updated|deleted|conflicts". */
static const char *record_of(struct replica *r, const char *rec)
{
	return query(r->db, "SELECT form, form_version, created, updated, deleted, conflicts FROM records WHERE id = ?1",
		     rec, NULL);
}

struct heads_text {
	char s[1024];
	size_t used;
};

static void heads_cb(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct heads_text *h = ctx;

	(void)hlc;
	h->used += (size_t)snprintf(h->s + h->used, sizeof(h->s) - h->used, "%s%c%" PRIu64 "=%s",
				    h->used ? " " : "", id->device[0], id->seq, value);
}

/* The heads of a field as merge_heads lists them: "b2=\"x\" a1=\"y\"" (device letter, seq, value). The
 * count merge_heads returns must match the list. */
static const char *heads_of(struct replica *r, const char *rec, const char *field)
{
	static char ring[4][1040];
	static int next;
	char *out = ring[next++ % 4], err[256];
	struct heads_text h;
	int n;

	memset(&h, 0, sizeof(h));
	n = merge_heads(r->m, rec, field, heads_cb, &h, err, sizeof(err));
	if (n < 0)
		die("merge_heads", err);
	if (n != merge_heads(r->m, rec, field, NULL, NULL, err, sizeof(err)))
		die("merge_heads", "count differs without a callback");
	snprintf(out, sizeof(ring[0]), "%d:%s", n, h.s);
	return out;
}

static void buf_rows(struct buf *b, struct db *db, const char *sql)
{
	char err[256];
	struct db_stmt *st = db_prepare(db, sql, err, sizeof(err));
	int i;

	if (!st)
		die(sql, err);
	while (db_step(st) == DB_ROW) {
		for (i = 0; i < db_columns(st); i++)
			if (buf_printf(b, "%s%s", i ? "|" : "",
				       db_is_null(st, i) ? "NULL" : db_text(st, i)) < 0)
				die("dump", "too big");
		if (buf_addc(b, '\n') < 0)
			die("dump", "too big");
	}
	db_finalize(st);
}

/* Every row of every table, internal keys included: for "nothing changed". Caller frees. */
static char *dump_raw(struct db *db)
{
	struct buf b = BUF_INIT(DUMP_MAX), names = BUF_INIT(DUMP_MAX);
	char err[256], *p, *nl;
	struct db_stmt *st;

	buf_rows(&names, db, db_is_pg(db) ? "SELECT table_name FROM information_schema.tables WHERE table_type ="
		 " 'BASE TABLE' AND table_schema = current_schema() ORDER BY table_name COLLATE \"C\"" :
		 "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
	for (p = names.data; *p; p = nl + 1) {
		struct buf sql = BUF_INIT(4096);
		int i, n;

		nl = strchr(p, '\n');
		*nl = '\0';
		buf_printf(&sql, "SELECT * FROM \"%s\"", p);
		if (!(st = db_prepare(db, sql.data, err, sizeof(err))))
			die(sql.data, err);
		n = db_columns(st);
		db_finalize(st);
		for (i = 1; i <= n; i++)
			buf_printf(&sql, "%s%d", i == 1 ? " ORDER BY " : ", ", i);
		buf_printf(&b, "== %s\n", p);
		buf_rows(&b, db, sql.data);
		buf_release(&sql);
	}
	buf_release(&names);
	return buf_detach(&b, NULL);
}

/* The merge state by ids rather than internal keys, one line per row, sorted: what two replicas holding the
 * same ops must agree on. with_version adds each record's form version (V lines). Caller frees. */
static char *dump_ids(struct db *db, int with_version)
{
	struct buf b = BUF_INIT(DUMP_MAX);

	buf_rows(&b, db, "SELECT 'D|' || id AS l FROM devices ORDER BY l");
	buf_rows(&b, db,
		 "SELECT 'R|' || id || '|' || form || '|' || created || '|' || updated || '|' || deleted || '|' ||"
		 " conflicts || '|' || draft AS l FROM records ORDER BY l");
	if (with_version)
		buf_rows(&b, db, "SELECT 'V|' || id || '|' || form_version AS l FROM records ORDER BY l");
	buf_rows(&b, db,
		 "SELECT 'F|' || coalesce(r.id, '?') || '|' || f.field || '|' || f.value || '|' || f.hlc || '|' ||"
		 " coalesce(d.id, '?') || '|' || f.conflict AS l FROM fields f LEFT JOIN records r ON r.rid = f.rid"
		 " LEFT JOIN devices d ON d.did = f.did ORDER BY l");
	buf_rows(&b, db,
		 "SELECT 'H|' || coalesce(r.id, '?') || '|' || h.field || '|' || coalesce(d.id, '?') || '|' ||"
		 " coalesce(CAST(o.seq AS TEXT), '?') AS l FROM heads h LEFT JOIN records r ON r.rid = h.rid"
		 " LEFT JOIN ops o ON o.id = h.op LEFT JOIN devices d ON d.did = o.did ORDER BY l");
	buf_rows(&b, db,
		 "SELECT 'O|' || coalesce(d.id, '?') || '|' || o.seq || '|' || o.hlc || '|' || coalesce(r.id, '?') ||"
		 " '|' || o.form_version || '|' || o.field || '|' || " MERGE_OP_VALUE("o") " || '|' ||"
		 " coalesce((SELECT group_concat(x, ',') FROM (SELECT coalesce(d2.id, '?') || ':' || b.seq AS x"
		 "  FROM op_base b LEFT JOIN devices d2 ON d2.did = b.did WHERE b.op = o.id ORDER BY d2.id, b.seq) AS xs), '')"
		 " AS l FROM ops o LEFT JOIN devices d ON d.did = o.did LEFT JOIN records r ON r.rid = o.rid ORDER BY l");
	/* Each value is stored once (merge.h): exactly the ops their fields show have none of their own. A line
	 * only when that is broken, which no model or replica expects. */
	buf_rows(&b, db,
		 "SELECT 'X|ops whose value is held wrongly: ' || count(*) AS l FROM ops o WHERE (o.value = '') !="
		 " EXISTS(SELECT 1 FROM fields f WHERE f.op = o.id AND f.rid = o.rid AND f.field = o.field)"
		 " HAVING count(*) > 0");
	/* A single head is the op its field shows, with no row in multi_heads; several have a row each, the shown
	 * one among them. */
	buf_rows(&b, db,
		 "SELECT 'X|fields whose heads are kept wrongly: ' || count(*) AS l FROM fields f WHERE f.op != 0 AND"
		 " ((SELECT count(*) FROM multi_heads m WHERE m.rid = f.rid AND m.field = f.field) = 1 OR"
		 "  (EXISTS(SELECT 1 FROM multi_heads m WHERE m.rid = f.rid AND m.field = f.field) AND NOT EXISTS"
		 "   (SELECT 1 FROM multi_heads m WHERE m.rid = f.rid AND m.field = f.field AND m.op = f.op)))"
		 " HAVING count(*) > 0");
	return buf_detach(&b, NULL);
}

/* The records' form versions (V lines of dump_ids). Caller frees. */
static char *dump_versions(struct db *db)
{
	struct buf b = BUF_INIT(DUMP_MAX);

	buf_rows(&b, db, "SELECT 'V|' || id || '|' || form_version AS l FROM records ORDER BY l");
	return buf_detach(&b, NULL);
}

/* Prints the first line where a and b differ. */
static void print_diff(const char *what, const char *a, const char *b)
{
	size_t i = 0, line = 0;
	int la, lb;

	while (a[i] && a[i] == b[i])
		i++;
	while (i > 0 && a[i - 1] != '\n')
		i--;
	line = i;
	la = (int)strcspn(a + line, "\n");
	lb = (int)strcspn(b + line, "\n");
	printf("#   %s: first difference:\n#     < %.*s\n#     > %.*s\n", what, la, a + line, lb, b + line);
}

/* Checks that two dumps are identical, showing the first difference when not. */
#define CHECK_SAME(what, a, b) do { \
	if (strcmp((a), (b))) { \
		print_diff(what, a, b); \
		CHECK(!"dumps differ"); \
	} \
} while (0)

/* ---- unit cases ---- */

static void test_single_op(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"Caritas\"");

	replica_open(&r);
	CHECK_INT(apply(&r, &a1), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "1:a1=\"Caritas\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"Caritas\"|111411200000000100|a|0");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000100|0|0");
	CHECK_STR(field_of(&r, REC1, "level"), "");
	CHECK_STR(heads_of(&r, REC1, "level"), "0:");
	CHECK_STR(heads_of(&r, REC2, "name"), "0:");
	CHECK_STR(query(r.db, "SELECT count(*) FROM ops", NULL, NULL), "1");
	replica_close(&r);
}

static void test_replace(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"b\"");
	struct op a2 = mkop(DEV_A, 2, T0 + 300, REC1, "name", "null");

	base_add(&b1, DEV_A, 1);
	base_add(&a2, DEV_B, 1);
	replica_open(&r);
	CHECK_INT(apply(&r, &a1), MERGE_NEW);
	CHECK_INT(apply(&r, &b1), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "1:b1=\"b\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"b\"|111411200000000200|b|0");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000200|0|0");
	/* Clearing is a value like any other: the field keeps a row showing null. */
	CHECK_INT(apply(&r, &a2), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "1:a2=null");
	CHECK_STR(field_of(&r, REC1, "name"), "null|111411200000000300|a|0");
	replica_close(&r);
}

static void test_concurrent_conflict(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"b\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"c\"");
	struct op a2 = mkop(DEV_A, 2, T0 + 50, REC1, "level", "\"local\"");

	base_add(&b1, DEV_A, 1);
	base_add(&c1, DEV_A, 1);
	replica_open(&r);
	CHECK_INT(apply(&r, &a1), MERGE_NEW);
	CHECK_INT(apply(&r, &b1), MERGE_NEW);
	CHECK_INT(apply(&r, &c1), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "2:c1=\"c\" b1=\"b\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"c\"|111411200000000300|c|1");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000300|0|1");
	/* Another field without a conflict leaves the count alone. */
	CHECK_INT(apply(&r, &a2), MERGE_NEW);
	CHECK_STR(field_of(&r, REC1, "level"), "\"local\"|111411200000000050|a|0");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000050|111411200000000300|0|1");
	replica_close(&r);
}

/* On equal stamps the greater device id is shown, in either arrival order. */
static void test_conflict_tie_on_device(void)
{
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"b\"");
	struct op e1 = mkop(DEV_E, 1, T0 + 200, REC1, "name", "\"e\"");
	struct replica r1, r2;

	base_add(&b1, DEV_A, 1);
	base_add(&e1, DEV_A, 1);
	replica_open(&r1);
	replica_open(&r2);
	CHECK_INT(apply(&r1, &a1), MERGE_NEW);
	CHECK_INT(apply(&r1, &b1), MERGE_NEW);
	CHECK_INT(apply(&r1, &e1), MERGE_NEW);
	CHECK_INT(apply(&r2, &e1), MERGE_NEW);
	CHECK_INT(apply(&r2, &b1), MERGE_NEW);
	CHECK_INT(apply(&r2, &a1), MERGE_NEW);
	CHECK_STR(heads_of(&r1, REC1, "name"), "2:e1=\"e\" b1=\"b\"");
	CHECK_STR(heads_of(&r2, REC1, "name"), "2:e1=\"e\" b1=\"b\"");
	CHECK_STR(field_of(&r1, REC1, "name"), "\"e\"|111411200000000200|e|1");
	CHECK_STR(field_of(&r2, REC1, "name"), "\"e\"|111411200000000200|e|1");
	replica_close(&r1);
	replica_close(&r2);
}

static void test_concurrent_same_value(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"same\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"same\"");

	base_add(&b1, DEV_A, 1);
	base_add(&c1, DEV_A, 1);
	replica_open(&r);
	apply(&r, &a1);
	apply(&r, &b1);
	CHECK_INT(apply(&r, &c1), MERGE_NEW);
	/* Two heads, but they agree: no conflict. */
	CHECK_STR(heads_of(&r, REC1, "name"), "2:c1=\"same\" b1=\"same\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"same\"|111411200000000300|c|0");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000300|0|0");
	replica_close(&r);
}

/* Two first values made without seeing each other (empty bases) conflict too. */
static void test_concurrent_first_values(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 90, REC1, "name", "\"b\"");

	replica_open(&r);
	apply(&r, &a1);
	apply(&r, &b1);
	CHECK_STR(heads_of(&r, REC1, "name"), "2:a1=\"a\" b1=\"b\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"a\"|111411200000000100|a|1");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000090|111411200000000100|0|1");
	replica_close(&r);
}

static void test_resolution(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"b\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"c\"");
	struct op d1 = mkop(DEV_D, 1, T0 + 400, REC1, "name", "\"d\"");
	struct op e1 = mkop(DEV_E, 1, T0 + 150, REC1, "name", "\"resolved\"");

	base_add(&b1, DEV_A, 1);
	base_add(&c1, DEV_A, 1);
	/* d1 saw only c1: b1 and d1 are still in conflict. */
	base_add(&d1, DEV_C, 1);
	/* e1 names every head, with a stamp older than both (a slow clock): it still resolves. */
	base_add(&e1, DEV_D, 1);
	base_add(&e1, DEV_B, 1);
	replica_open(&r);
	apply(&r, &a1);
	apply(&r, &b1);
	apply(&r, &c1);
	CHECK_INT(apply(&r, &d1), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "2:d1=\"d\" b1=\"b\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"d\"|111411200000000400|d|1");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000400|0|1");
	CHECK_INT(apply(&r, &e1), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "1:e1=\"resolved\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"resolved\"|111411200000000150|e|0");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000400|0|0");
	replica_close(&r);
}

static void test_duplicate(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"b\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"c\"");
	struct op c1again;
	char *before, *after, err[256];

	base_add(&b1, DEV_A, 1);
	base_add(&c1, DEV_A, 1);
	base_add(&c1, DEV_B, 1);
	replica_open(&r);
	apply(&r, &a1);
	apply(&r, &b1);
	apply(&r, &c1);
	before = dump_raw(r.db);
	CHECK_INT(apply_err(&r, &a1, err, sizeof(err)), MERGE_DUPLICATE);
	CHECK_INT(apply_err(&r, &b1, err, sizeof(err)), MERGE_DUPLICATE);
	/* The same base in another order, or with a repeat, is the same op. */
	c1again = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"c\"");
	base_add(&c1again, DEV_B, 1);
	base_add(&c1again, DEV_A, 1);
	base_add(&c1again, DEV_B, 1);
	CHECK_INT(apply_err(&r, &c1again, err, sizeof(err)), MERGE_DUPLICATE);
	after = dump_raw(r.db);
	CHECK_SAME("tables after duplicates", before, after);
	CHECK_STR(heads_of(&r, REC1, "name"), "1:c1=\"c\"");
	free(before);
	free(after);
	replica_close(&r);
}

static void test_equivocation(void)
{
	struct replica r;
	struct op held = mkop(DEV_A, 2, T0 + 100, REC1, "name", "\"a\"");
	struct op other[8];
	char *before, *after, err[256];
	size_t i;

	base_add(&held, DEV_B, 1);
	for (i = 0; i < 8; i++)
		other[i] = held;
	other[0].value = "\"A\"";
	other[1].hlc++;
	other[2].nbase = 0;
	base_add(&other[3], DEV_C, 1);
	testop_base(&other[4], other[4].nbase)[0].seq = 2;
	other[5].field = "level";
	strlcpy_s(other[6].record, REC2, sizeof(other[6].record));
	other[7].form_version = "2";
	replica_open(&r);
	{
		struct op b1 = mkop(DEV_B, 1, T0, REC1, "name", "\"b\"");

		CHECK_INT(apply(&r, &b1), MERGE_NEW);
	}
	CHECK_INT(apply(&r, &held), MERGE_NEW);
	before = dump_raw(r.db);
	for (i = 0; i < 8; i++) {
		CHECK_INT(apply_err(&r, &other[i], err, sizeof(err)), MERGE_EQUIVOCATION);
		CHECK_STR(err, "op " DEV_A ":2 is already held with different content");
	}
	after = dump_raw(r.db);
	CHECK_SAME("tables after equivocations", before, after);
	CHECK_INT(apply(&r, &held), MERGE_DUPLICATE);
	free(before);
	free(after);
	replica_close(&r);
}

/* Ops refused before anything is stored: naming itself, seq 0, too many base ops. */
static void test_refused_ops(void)
{
	struct replica r;
	struct op self = mkop(DEV_A, 3, T0 + 100, REC1, "name", "\"a\"");
	struct op zero = mkop(DEV_A, 0, T0 + 100, REC1, "name", "\"a\"");
	struct op big = mkop(DEV_A, 4, T0 + 100, REC1, "name", "\"a\"");
	struct op huge = mkop(DEV_A, (uint64_t)INT64_MAX + 1, T0 + 100, REC1, "name", "\"a\"");
	char *before, *after, err[256];

	base_add(&self, DEV_B, 1);
	base_add(&self, DEV_A, 3);
	big.nbase = MERGE_MAX_BASE + 1;
	replica_open(&r);
	before = dump_raw(r.db);
	CHECK_INT(apply_err(&r, &self, err, sizeof(err)), MERGE_INVALID);
	CHECK_STR(err, "op " DEV_A ":3 names itself as its base");
	CHECK_INT(apply_err(&r, &zero, err, sizeof(err)), MERGE_INVALID);
	CHECK_STR(err, "op " DEV_A ": seq 0 is out of range");
	CHECK_INT(apply_err(&r, &huge, err, sizeof(err)), MERGE_INVALID);
	CHECK_INT(apply_err(&r, &big, err, sizeof(err)), MERGE_INVALID);
	CHECK_STR(err, "op " DEV_A ":4 names 65 base ops (at most 64)");
	after = dump_raw(r.db);
	CHECK_SAME("tables after refused ops", before, after);
	free(before);
	free(after);
	replica_close(&r);
}

/* A server dates a record no later than the ops reached it (merge_date_cap), which depends on when they arrived;
 * the record's form version must still be that of its latest op by stamp, the same on every replica. */
static void test_date_cap_keeps_version(void)
{
	struct replica a, b;
	struct op late = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op early = mkop(DEV_B, 1, T0 + 60, REC1, "level", "\"local\"");

	late.form_version = "2";
	replica_open(&a);
	replica_open(&b);
	apply(&a, &late);
	apply(&a, &early);
	/* b took the late op when its clock said T0 + 50, the early one at T0 + 70. */
	merge_date_cap(b.m, T0 + 50);
	apply(&b, &late);
	merge_date_cap(b.m, T0 + 70);
	apply(&b, &early);
	CHECK_STR(query(a.db, "SELECT form_version || ' ' || updated_by FROM records", NULL, NULL),
		  "2 " DEV_A);
	CHECK_STR(query(b.db, "SELECT form_version || ' ' || updated_by FROM records", NULL, NULL),
		  "2 " DEV_A);
	/* Its dates are bounded by arrival there, and only there. */
	CHECK_STR(query(b.db, "SELECT created || ' ' || updated FROM records", NULL, NULL), "111411200000000050 111411200000000060");
	replica_close(&a);
	replica_close(&b);
}

static void test_form_mismatch(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op a2 = mkop(DEV_A, 2, T0 + 200, REC1, "level", "\"local\"");
	char err[256];

	a2.form = "household";
	replica_open(&r);
	apply(&r, &a1);
	CHECK_INT(apply_err(&r, &a2, err, sizeof(err)), MERGE_INVALID);
	CHECK_STR(err, "op " DEV_A ":2 names form 'household' but record " REC1 " is a 'partnership' record");
	CHECK_STR(query(r.db, "SELECT count(*) FROM ops", NULL, NULL), "1");
	CHECK_STR(field_of(&r, REC1, "level"), "");
	replica_close(&r);
}

/* An op refused for its form must leave the record as it was, like the other refusals: a caller that skips
 * it and goes on (or commits the ops before it) must not keep its dates, form version or device. */
static void test_form_mismatch_changes_nothing(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "level", "\"local\"");
	char *before, *after, err[256];

	b1.form = "household";
	b1.form_version = "7";
	replica_open(&r);
	apply(&r, &a1);
	before = dump_raw(r.db);
	CHECK_INT(apply_err(&r, &b1, err, sizeof(err)), MERGE_INVALID);
	after = dump_raw(r.db);
	CHECK_SAME("tables after an op for another form", before, after);
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000100|0|0");
	free(before);
	free(after);
	replica_close(&r);
}

/* A base may name ops this replica does not hold, or ops of another field: neither matters to the heads. */
static void test_unknown_base(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "level", "\"local\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "topics", "[\"x\"]");
	struct op d1 = mkop(DEV_D, 1, T0 + 400, REC1, "topics", "[\"y\"]");
	struct op e1 = mkop(DEV_E, 1, T0 + 500, REC2, "name", "\"e\"");

	base_add(&b1, DEV_A, 1);          /* another field of the same record */
	base_add(&c1, DEV_F, 9);          /* never seen */
	base_add(&e1, DEV_A, 1);          /* another record */
	replica_open(&r);
	CHECK_INT(apply(&r, &a1), MERGE_NEW);
	CHECK_INT(apply(&r, &b1), MERGE_NEW);
	CHECK_INT(apply(&r, &c1), MERGE_NEW);
	CHECK_INT(apply(&r, &d1), MERGE_NEW);
	CHECK_INT(apply(&r, &e1), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "1:a1=\"a\"");
	CHECK_STR(heads_of(&r, REC1, "level"), "1:b1=\"local\"");
	CHECK_STR(heads_of(&r, REC1, "topics"), "2:d1=[\"y\"] c1=[\"x\"]");
	CHECK_STR(field_of(&r, REC1, "topics"), "[\"y\"]|111411200000000400|d|1");
	CHECK_STR(heads_of(&r, REC2, "name"), "1:e1=\"e\"");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000400|0|1");
	CHECK_STR(record_of(&r, REC2), "partnership|1|111411200000000500|111411200000000500|0|0");
	replica_close(&r);
}

/* The replacing op arrives first: when the op it replaces arrives, that one is not a head. */
static void test_out_of_order(void)
{
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 200, REC1, "name", "\"b\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"c\"");
	const struct op *orders[6][3] = {
		{ &a1, &b1, &c1 }, { &a1, &c1, &b1 }, { &b1, &a1, &c1 },
		{ &b1, &c1, &a1 }, { &c1, &a1, &b1 }, { &c1, &b1, &a1 },
	};
	struct replica r[6];
	char *first = NULL, *d;
	size_t i, j;

	base_add(&b1, DEV_A, 1);
	base_add(&c1, DEV_B, 1);
	for (i = 0; i < 6; i++) {
		replica_open(&r[i]);
		for (j = 0; j < 3; j++)
			CHECK_INT(apply(&r[i], orders[i][j]), MERGE_NEW);
		CHECK_STR(heads_of(&r[i], REC1, "name"), "1:c1=\"c\"");
		CHECK_STR(field_of(&r[i], REC1, "name"), "\"c\"|111411200000000300|c|0");
		CHECK_STR(record_of(&r[i], REC1), "partnership|1|111411200000000100|111411200000000300|0|0");
		d = dump_ids(r[i].db, 1);
		if (!first)
			first = d;
		else {
			CHECK_SAME("replicas after different orders", first, d);
			free(d);
		}
	}
	/* Only the first and the last: nothing held names a1, so it is a head beside c1 (a conflict) until b1,
	 * which names it, arrives; b1 is named by c1 and is not a head either. */
	replica_close(&r[0]);
	replica_open(&r[0]);
	apply(&r[0], &c1);
	apply(&r[0], &a1);
	CHECK_STR(heads_of(&r[0], REC1, "name"), "2:c1=\"c\" a1=\"a\"");
	CHECK_STR(field_of(&r[0], REC1, "name"), "\"c\"|111411200000000300|c|1");
	apply(&r[0], &b1);
	CHECK_STR(heads_of(&r[0], REC1, "name"), "1:c1=\"c\"");
	CHECK_STR(field_of(&r[0], REC1, "name"), "\"c\"|111411200000000300|c|0");
	CHECK_STR(record_of(&r[0], REC1), "partnership|1|111411200000000100|111411200000000300|0|0");
	free(first);
	for (i = 0; i < 6; i++)
		replica_close(&r[i]);
}

static void test_deleted(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op a2 = mkop(DEV_A, 2, T0 + 200, REC1, "_deleted", "true");
	struct op b1 = mkop(DEV_B, 1, T0 + 300, REC1, "_deleted", "false");
	struct op c1 = mkop(DEV_C, 1, T0 + 400, REC1, "_deleted", "true");
	struct op c2 = mkop(DEV_C, 2, T0 + 250, REC1, "_deleted", "false");

	base_add(&b1, DEV_A, 2);
	base_add(&c1, DEV_A, 2);
	base_add(&c2, DEV_C, 1);
	base_add(&c2, DEV_B, 1);
	replica_open(&r);
	apply(&r, &a1);
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000100|0|0");
	apply(&r, &a2);
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000200|1|0");
	/* Restored by one device, deleted again by another that did not see it: a conflict on _deleted, and
	 * the record shows the head with the highest stamp. */
	apply(&r, &b1);
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000300|0|0");
	apply(&r, &c1);
	CHECK_STR(heads_of(&r, REC1, "_deleted"), "2:c1=true b1=false");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000400|1|1");
	/* Resolved to restored, with an older stamp. */
	apply(&r, &c2);
	CHECK_STR(heads_of(&r, REC1, "_deleted"), "1:c2=false");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000400|0|0");
	/* The other fields are kept through all of it. */
	CHECK_STR(field_of(&r, REC1, "name"), "\"a\"|111411200000000100|a|0");
	replica_close(&r);
}

static void test_created_updated(void)
{
	static const uint64_t stamps[5] = { 500, 100, 900, 300, 700 };
	static const char *const fields[5] = { "name", "level", "topics", "name", "level" };
	struct replica r;
	struct op op;
	size_t i;

	replica_open(&r);
	for (i = 0; i < 5; i++) {
		op = mkop(DEV_A, i + 1, T0 + stamps[i], REC1, fields[i], "1");
		CHECK_INT(apply(&r, &op), MERGE_NEW);
	}
	/* Two heads in name and in level, of equal values: no conflict. */
	CHECK_STR(heads_of(&r, REC1, "name"), "2:a1=1 a4=1");
	CHECK_STR(record_of(&r, REC1), "partnership|1|111411200000000100|111411200000000900|0|0");
	replica_close(&r);
}

/* The record's form version is the one of its op with the highest stamp, whatever the arrival order. */
static void test_form_version(void)
{
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 300, REC1, "level", "\"local\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 200, REC1, "topics", "[]");
	const struct op *orders[3][3] = { { &a1, &b1, &c1 }, { &c1, &b1, &a1 }, { &b1, &a1, &c1 } };
	struct replica r;
	size_t i, j;

	b1.form_version = "2";
	c1.form_version = "3";
	for (i = 0; i < 3; i++) {
		replica_open(&r);
		for (j = 0; j < 3; j++)
			apply(&r, orders[i][j]);
		CHECK_STR(record_of(&r, REC1), "partnership|2|111411200000000100|111411200000000300|0|0");
		replica_close(&r);
	}
}

/* Two devices can make the same stamp (hlc_next after both observed a third device's clock an hour ahead):
 * the record's form version must still not depend on which op arrived last. */
static void test_form_version_equal_stamps(void)
{
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 100, REC1, "level", "\"local\"");
	struct replica r1, r2;

	b1.form_version = "2";
	replica_open(&r1);
	replica_open(&r2);
	apply(&r1, &a1);
	apply(&r1, &b1);
	apply(&r2, &b1);
	apply(&r2, &a1);
	CHECK_STR(record_of(&r1, REC1), record_of(&r2, REC1));
	replica_close(&r1);
	replica_close(&r2);
}

/* One causal history played with device B's clock right, an hour slow and an hour fast: the heads, the
 * conflict flags and the replacements are the same; only the shown head of a conflict may change. */
static void test_clock_skew(void)
{
	static const int64_t skews[3] = { 0, -(int64_t)HOUR_MS, (int64_t)HOUR_MS };
	static const char *const shown[3] = { "\"c\"", "\"c\"", "\"b2\"" };
	char heads[3][3][64];
	size_t i;

	for (i = 0; i < 3; i++) {
		uint64_t b = (uint64_t)((int64_t)T0 + skews[i] * 65536);
		struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
		struct op b1 = mkop(DEV_B, 1, b + 200, REC1, "name", "\"b\"");
		struct op c1 = mkop(DEV_C, 1, T0 + 300, REC1, "name", "\"c\"");
		struct op b2 = mkop(DEV_B, 2, b + 250, REC1, "name", "\"b2\"");
		struct op a2 = mkop(DEV_A, 2, T0 + 400, REC1, "level", "\"x\"");
		struct op b3 = mkop(DEV_B, 3, b + 500, REC1, "level", "\"y\"");
		struct replica r;

		base_add(&b1, DEV_A, 1);   /* B saw A: replaces it */
		base_add(&c1, DEV_B, 1);   /* C saw B: replaces it */
		base_add(&b2, DEV_B, 1);   /* B edits again without seeing C: conflict with c1 */
		base_add(&b3, DEV_A, 2);   /* B saw A's level: replaces it */
		replica_open(&r);
		apply(&r, &a1);
		apply(&r, &b1);
		CHECK_STR(heads_of(&r, REC1, "name"), "1:b1=\"b\"");
		apply(&r, &c1);
		apply(&r, &b2);
		apply(&r, &a2);
		apply(&r, &b3);
		snprintf(heads[i][0], 64, "%s", query(r.db, "SELECT group_concat(x, ' ') FROM (SELECT substr(d.id, 1, 1)"
			 " || o.seq AS x FROM heads h JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
			 " WHERE h.field = ?1 ORDER BY x) AS xs", "name", NULL));
		snprintf(heads[i][1], 64, "%s", query(r.db, "SELECT group_concat(x, ' ') FROM (SELECT substr(d.id, 1, 1)"
			 " || o.seq AS x FROM heads h JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
			 " WHERE h.field = ?1 ORDER BY x) AS xs", "level", NULL));
		snprintf(heads[i][2], 64, "%s",
			 query(r.db, "SELECT group_concat(field || '=' || conflict, ' ') FROM (SELECT field, conflict"
			       " FROM fields ORDER BY field) AS fs", NULL, NULL));
		CHECK_STR(heads[i][0], "b2 c1");
		CHECK_STR(heads[i][1], "b3");
		CHECK_STR(heads[i][2], "level=0 name=1");
		CHECK_STR(query(r.db, "SELECT f.value FROM fields f WHERE field = 'name'", NULL, NULL), shown[i]);
		CHECK_STR(query(r.db, "SELECT f.value FROM fields f WHERE field = 'level'", NULL, NULL), "\"y\"");
		CHECK_STR(query(r.db, "SELECT conflicts FROM records", NULL, NULL), "1");
		replica_close(&r);
	}
}

static void test_heads_order(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"root\"");
	struct op b1 = mkop(DEV_B, 1, T0 + 300, REC1, "name", "\"b\"");
	struct op c1 = mkop(DEV_C, 1, T0 + 100, REC1, "name", "\"c\"");
	struct op d1 = mkop(DEV_D, 1, T0 + 200, REC1, "name", "\"d\"");
	struct op e1 = mkop(DEV_E, 1, T0 + 300, REC1, "name", "\"e\"");
	char err[256];

	base_add(&b1, DEV_A, 1);
	base_add(&c1, DEV_A, 1);
	base_add(&d1, DEV_A, 1);
	base_add(&e1, DEV_A, 1);
	replica_open(&r);
	apply(&r, &c1);
	apply(&r, &e1);
	apply(&r, &a1);
	apply(&r, &d1);
	apply(&r, &b1);
	CHECK_STR(heads_of(&r, REC1, "name"), "4:e1=\"e\" b1=\"b\" d1=\"d\" c1=\"c\"");
	CHECK_STR(field_of(&r, REC1, "name"), "\"e\"|111411200000000300|e|1");
	CHECK_INT(merge_heads(r.m, "no-such-record", "name", NULL, NULL, err, sizeof(err)), 0);
	replica_close(&r);
}

/* ---- merge_apply_local against merge_apply ---- */

static void collect_base(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct op *op = ctx;

	(void)hlc;
	(void)value;
	if (op->nbase < MERGE_MAX_BASE) {
		struct op_ref *b = testop_base(op, op->nbase + 1);

		b[op->nbase++] = *id;
	}
}

/* Sets op's base to the current heads of its field in r. */
static void base_from_heads(struct replica *r, struct op *op)
{
	char err[256];

	op->nbase = 0;
	if (merge_heads(r->m, op->record, op->field, collect_base, op, err, sizeof(err)) < 0)
		die("merge_heads", err);
}

/* The local replica L makes device A's ops through merge_apply_local and receives B's through merge_apply;
 * the replica R receives everything through merge_apply, in the same order. */
static void test_local_matches_apply(void)
{
	struct replica l, r;
	struct op first[3], op;
	char *dl, *dr;
	size_t i;

	replica_open(&l);
	replica_open(&r);
	/* First values of a record, in one call. */
	first[0] = mkop(DEV_A, 1, T0 + 10, REC1, "name", "\"Caritas\"");
	first[1] = mkop(DEV_A, 2, T0 + 11, REC1, "level", "\"local\"");
	first[2] = mkop(DEV_A, 3, T0 + 12, REC1, "topics", "[\"labour\",\"health\"]");
	first[2].form_version = "2";
	CHECK_INT(apply_local(&l, first, 3), MERGE_NEW);
	for (i = 0; i < 3; i++)
		CHECK_INT(apply(&r, &first[i]), MERGE_NEW);
	/* Nothing at all. */
	CHECK_INT(apply_local(&l, first, 0), MERGE_NEW);
	/* An edit based on the heads. */
	op = mkop(DEV_A, 4, T0 + 20, REC1, "name", "\"Caritas Int.\"");
	base_from_heads(&l, &op);
	CHECK_INT(op.nbase, 1);
	CHECK_INT(apply_local(&l, &op, 1), MERGE_NEW);
	CHECK_INT(apply(&r, &op), MERGE_NEW);
	/* B, who saw only the first name, edits it too: a conflict arrives. */
	op = mkop(DEV_B, 1, T0 + 30, REC1, "name", "\"CI\"");
	base_add(&op, DEV_A, 1);
	CHECK_INT(apply(&l, &op), MERGE_NEW);
	CHECK_INT(apply(&r, &op), MERGE_NEW);
	CHECK_STR(field_of(&l, REC1, "name"), "\"CI\"|111411200000000030|b|1");
	/* A resolves it, naming both heads, with a stamp older than B's (A's clock is slow). */
	op = mkop(DEV_A, 5, T0 + 25, REC1, "name", "\"Caritas Internationalis\"");
	base_from_heads(&l, &op);
	CHECK_INT(op.nbase, 2);
	CHECK_INT(apply_local(&l, &op, 1), MERGE_NEW);
	CHECK_INT(apply(&r, &op), MERGE_NEW);
	CHECK_STR(field_of(&l, REC1, "name"), "\"Caritas Internationalis\"|111411200000000025|a|0");
	/* A new field on the existing record, then a delete. */
	op = mkop(DEV_A, 6, T0 + 40, REC1, "platforms", "[\"gfmd\"]");
	base_from_heads(&l, &op);
	CHECK_INT(op.nbase, 0);
	CHECK_INT(apply_local(&l, &op, 1), MERGE_NEW);
	CHECK_INT(apply(&r, &op), MERGE_NEW);
	op = mkop(DEV_A, 7, T0 + 50, REC1, "_deleted", "true");
	base_from_heads(&l, &op);
	CHECK_INT(apply_local(&l, &op, 1), MERGE_NEW);
	CHECK_INT(apply(&r, &op), MERGE_NEW);
	/* A second record, its first values from B arriving, then A's edit of one of them in a batch with a
	 * new field. */
	op = mkop(DEV_B, 2, T0 + 60, REC2, "name", "\"IOM\"");
	CHECK_INT(apply(&l, &op), MERGE_NEW);
	CHECK_INT(apply(&r, &op), MERGE_NEW);
	first[0] = mkop(DEV_A, 8, T0 + 70, REC2, "name", "\"OIM\"");
	base_from_heads(&l, &first[0]);
	first[1] = mkop(DEV_A, 9, T0 + 71, REC2, "level", "\"global\"");
	first[1].form_version = "3";
	CHECK_INT(apply_local(&l, first, 2), MERGE_NEW);
	for (i = 0; i < 2; i++)
		CHECK_INT(apply(&r, &first[i]), MERGE_NEW);

	CHECK_STR(record_of(&l, REC1), "partnership|1|111411200000000010|111411200000000050|1|0");
	CHECK_STR(record_of(&l, REC2), "partnership|3|111411200000000060|111411200000000071|0|0");
	dl = dump_ids(l.db, 1);
	dr = dump_ids(r.db, 1);
	CHECK_SAME("merge_apply_local against merge_apply", dl, dr);
	free(dl);
	free(dr);
	replica_close(&l);
	replica_close(&r);
}

/* An op held here may name, in its base, an op this device has not made yet (a device that misbehaves can
 * name any (device, seq)). When this device then makes that op, based on the heads it sees, the two ops name
 * each other: merge_apply leaves the field with no head, and merge_apply_local must give the same. */
static void test_local_op_named_before_made(void)
{
	struct op m1 = mkop(DEV_F, 1, T0 + 100, REC1, "name", "\"m\"");
	struct op a2 = mkop(DEV_A, 2, T0 + 200, REC1, "name", "\"a\"");
	struct replica l, r;
	char *dl, *dr;

	base_add(&m1, DEV_A, 2);
	replica_open(&l);
	replica_open(&r);
	CHECK_INT(apply(&l, &m1), MERGE_NEW);
	base_from_heads(&l, &a2);
	CHECK_INT(a2.nbase, 1);
	CHECK_INT(apply_local(&l, &a2, 1), MERGE_NEW);
	CHECK_INT(apply(&r, &m1), MERGE_NEW);
	CHECK_INT(apply(&r, &a2), MERGE_NEW);
	CHECK_STR(heads_of(&r, REC1, "name"), "0:");
	CHECK_STR(heads_of(&l, REC1, "name"), heads_of(&r, REC1, "name"));
	dl = dump_ids(l.db, 1);
	dr = dump_ids(r.db, 1);
	CHECK_SAME("merge_apply_local against merge_apply", dl, dr);
	free(dl);
	free(dr);
	replica_close(&l);
	replica_close(&r);
}

/* ---- store transactions ---- */

/* A transaction that applied an op from a new device and was rolled back (an equivocation later in the same
 * change set, a full disk) must leave the merge handle usable: the same op applies again afterwards. */
/* Each value is stored once: the op a field shows keeps its value in fields and none of its own, and gets it
 * back when another is shown instead; a store from before (fields without op, every op with its value) goes on
 * from where it is. */
static void test_values_once(void)
{
	struct replica r;
	struct op a = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	struct op b = mkop(DEV_A, 2, T0 + 200, REC1, "name", "\"b\"");
	struct op c = mkop(DEV_B, 1, T0 + 300, REC1, "name", "\"c\"");
	struct op d = mkop(DEV_C, 1, T0 + 250, REC1, "name", "\"d\"");
	const char *values = "SELECT o.seq || '=' || o.value || '=' || " MERGE_OP_VALUE("o") " FROM ops o"
			     " JOIN devices v ON v.did = o.did ORDER BY v.id, o.seq";
	char err[256];

	replica_open(&r);
	CHECK_INT(apply(&r, &a), MERGE_NEW);
	CHECK_STR(query(r.db, values, NULL, NULL), "1==\"a\"");
	CHECK_STR(query(r.db, "SELECT value || '|' || CASE WHEN op = (SELECT id FROM ops) THEN 1 ELSE 0 END FROM fields", NULL, NULL), "\"a\"|1");
	/* A store from before: the op keeps its value, its field names no op, and every head has its row in a
	 * table of heads. A store's layout step (merge_upgrade_heads) brings it up. */
	merge_free(r.m);
	r.m = NULL;
	CHECK_INT(db_exec(r.db, "CREATE TABLE old_heads AS SELECT * FROM heads; DROP VIEW heads;"
			  " ALTER TABLE old_heads RENAME TO heads; DROP TABLE multi_heads;"
			  " UPDATE ops SET value = '\"a\"'; ALTER TABLE fields DROP COLUMN op", err, sizeof(err)), 0);
	CHECK_INT(merge_upgrade_heads(r.db, err, sizeof(err)), 0);
	if (!(r.m = merge_open(r.db, err, sizeof(err))))
		die("merge_open", err);
	CHECK_STR(query(r.db, "SELECT op FROM fields", NULL, NULL), "0");
	/* Its field shows no op: its head keeps its row. */
	CHECK_STR(query(r.db, "SELECT count(*) FROM multi_heads", NULL, NULL), "1");
	CHECK_STR(heads_of(&r, REC1, "name"), "1:a1=\"a\"");
	base_add(&b, DEV_A, 1);
	CHECK_INT(apply(&r, &b), MERGE_NEW);
	CHECK_STR(query(r.db, values, NULL, NULL), "1=\"a\"=\"a\" 2==\"b\"");
	/* Replaced: b takes its value back, c gives its own up. */
	base_add(&c, DEV_A, 2);
	CHECK_INT(apply(&r, &c), MERGE_NEW);
	CHECK_STR(query(r.db, values, NULL, NULL), "1=\"a\"=\"a\" 2=\"b\"=\"b\" 1==\"c\"");
	/* A concurrent op shown after c (older stamp): it keeps its value, the field still shows c. */
	base_add(&d, DEV_A, 2);
	CHECK_INT(apply(&r, &d), MERGE_NEW);
	CHECK_STR(field_of(&r, REC1, "name"), "\"c\"|111411200000000300|b|1");
	CHECK_STR(query(r.db, "SELECT count(*) FROM ops WHERE value = ''", NULL, NULL), "1");
	CHECK_STR(heads_of(&r, REC1, "name"), "2:b1=\"c\" c1=\"d\"");
	CHECK_STR(query(r.db, "SELECT count(*) FROM multi_heads", NULL, NULL), "2");
	replica_close(&r);
}

static void test_rollback_then_reapply(void)
{
	struct replica r;
	struct op a1 = mkop(DEV_A, 1, T0 + 100, REC1, "name", "\"a\"");
	char err[256] = "";

	replica_open(&r);
	if (db_begin(r.db, err, sizeof(err)) < 0)
		die("db_begin", err);
	CHECK_INT(merge_apply(r.m, &a1, err, sizeof(err)), MERGE_NEW);
	db_rollback(r.db);
	CHECK_STR(query(r.db, "SELECT count(*) FROM devices", NULL, NULL), "0");
	err[0] = '\0';
	CHECK_INT(apply_err(&r, &a1, err, sizeof(err)), MERGE_NEW);
	CHECK_STR(err, "");
	CHECK_STR(heads_of(&r, REC1, "name"), "1:a1=\"a\"");
	replica_close(&r);
}

/* The same with two connections on one store (two server workers, or the client and a sync): after the first
 * rolls back an op from a new device X, the second stores a new device Y, which takes the row X had. X's op,
 * applied again through the first connection, must still be X's and not become Y's. */
static void test_rollback_other_connection(void)
{
	static const char *const files[] = { "store.db", "store.db-wal", "store.db-shm" };
	struct replica r1, r2;
	struct op x7 = mkop(DEV_C, 7, T0 + 100, REC1, "name", "\"x\"");
	struct op y1 = mkop(DEV_E, 1, T0 + 200, REC2, "name", "\"y\"");
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600], err[256] = "";
	size_t i;

	snprintf(dir, sizeof(dir), "%s/sondeo-test-merge.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", dir);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (!(r1.db = db_open(path, DB_CREATE, err, sizeof(err))) || merge_schema(r1.db, err, sizeof(err)) < 0 ||
	    !(r1.m = merge_open(r1.db, err, sizeof(err))))
		die("open 1", err);
	if (!(r2.db = db_open(path, 0, err, sizeof(err))) || !(r2.m = merge_open(r2.db, err, sizeof(err))))
		die("open 2", err);
	if (db_begin(r1.db, err, sizeof(err)) < 0)
		die("db_begin", err);
	CHECK_INT(merge_apply(r1.m, &x7, err, sizeof(err)), MERGE_NEW);
	db_rollback(r1.db);
	CHECK_INT(apply(&r2, &y1), MERGE_NEW);
	CHECK_INT(apply_err(&r1, &x7, err, sizeof(err)), MERGE_NEW);
	CHECK_STR(heads_of(&r1, REC1, "name"), "1:c7=\"x\"");
	CHECK_STR(heads_of(&r2, REC2, "name"), "1:e1=\"y\"");
	replica_close(&r1);
	replica_close(&r2);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		remove(path);
	}
	if (rmdir(dir) < 0)
		die("rmdir", dir);
}

/* ---- convergence ----
 *
 * Each seed: five devices, each with its own replica, make ops on a few shared records (first values through
 * merge_apply_local, edits, deletes and restores, resolutions of the conflicts they see, each based on the
 * heads they see) and send each other random parts of what they hold, in random orders, with repeats. One
 * device's clock is an hour off; the others agree within milliseconds, so equal stamps on different devices
 * happen, as they do after every device has observed the fast clock. Then every device receives everything,
 * and fresh replicas receive the whole log in random orders with duplicates, in transactions of random sizes.
 * Every replica must then hold the same devices, records, shown values, heads and ops, and these must be
 * what the rule gives when computed directly from the log. */

#define SIM_DEVICES 5
#define SIM_FRESH 3
#define SIM_STEPS 40
#define SIM_MAX_OPS 256
#define SIM_MAX_RECORDS 4
/* Each seed checks every delivery twice (one by one, and in batches). make test runs enough seeds to catch a
 * broken rule, which fails most of them, in a few seconds; make soak runs 20,000 for the rare interleavings. */
#define SIM_DEFAULT_SEEDS 60

static const char *const sim_fields[] = { "name", "level", "topics", "_deleted" };
static const char *const sim_values[] = { "\"a\"", "\"b\"", "3", "null", "[\"x\",\"y\"]" };
static const char *const sim_versions[] = { "1", "2" };

struct sim_device {
	struct replica *r;
	char id[KEYS_ID_STRLEN + 1];
	uint64_t seq;       /* last seq used */
	uint64_t last;      /* last stamp made or seen */
	int64_t skew;       /* wall clock error, ms */
	int version;        /* index in sim_versions of the form version it fills */
	unsigned char held[SIM_MAX_OPS];
};

struct sim {
	uint64_t rng;
	uint64_t seed;
	uint64_t now;      /* true time, ms */
	struct sim_device dev[SIM_DEVICES];
	struct op ops[SIM_MAX_OPS];
	size_t nops;
	char records[SIM_MAX_RECORDS][UUID_STRLEN + 1];
	size_t nrecords;
	int failed;        /* checks failed in this seed */
	int version_failed;  /* replicas whose records' form versions differ from the first replica's */
	int verbose;       /* print what fails */
};

/* The replicas of the simulation, opened once and emptied for each seed (opening and creating the schema
 * would take most of the time). */
static struct replica sim_replicas[SIM_DEVICES + SIM_FRESH + 2];

/* Opens r, or empties it and gives it a new merge handle, so that it is as a new replica. */
static void sim_replica_reset(struct replica *r)
{
	char err[256];

	if (!r->db) {
		replica_open(r);
		return;
	}
	merge_free(r->m);
	if (db_exec(r->db, "DELETE FROM op_base; DELETE FROM multi_heads; DELETE FROM fields; DELETE FROM ops;"
		    " DELETE FROM records; DELETE FROM devices;", err, sizeof(err)) < 0)
		die("emptying a replica", err);
	if (!(r->m = merge_open(r->db, err, sizeof(err))))
		die("merge_open", err);
}

/* splitmix64 */
static uint64_t rnd(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rndn(struct sim *s, size_t n)
{
	return (size_t)(rnd(s) % n);
}

static void shuffle(struct sim *s, size_t *a, size_t n)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) {
		j = rndn(s, i);
		t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* Seeds whose failures were printed: past a few, failures are only counted. */
static int sim_printed, sim_version_printed;

/* A failed check inside the simulation: counts it, and for the first few failing seeds says which seed and
 * what failed. */
static void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->failed && sim_printed++ < 5)
		s->verbose = 1;
	s->failed++;
	if (!s->verbose)
		return;
	if (s->failed == 1)
		printf("#   convergence seed %" PRIu64 " failed (rerun with SONDEO_SEED=%" PRIu64 "):\n", s->seed,
		       s->seed);
	printf("#     ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static uint64_t sim_stamp(struct sim *s, struct sim_device *d)
{
	d->last = hlc_next(d->last, (uint64_t)((int64_t)s->now + d->skew));
	return d->last;
}

/* Stores op as the next op of the log, held by device d. */
static void sim_log(struct sim *s, struct sim_device *d, const struct op *op)
{
	if (s->nops >= SIM_MAX_OPS)
		die("simulation", "op log full");
	s->ops[s->nops] = *op;
	d->held[s->nops++] = 1;
}

static struct op sim_op(struct sim *s, struct sim_device *d, const char *rec, const char *field,
			const char *value)
{
	struct op op = mkop(d->id, ++d->seq, sim_stamp(s, d), rec, field, value);

	op.form_version = sim_versions[d->version];
	return op;
}

static const char *sim_value(struct sim *s, const char *field)
{
	if (!strcmp(field, "_deleted"))
		return rndn(s, 3) ? "true" : "false";
	return sim_values[rndn(s, sizeof(sim_values) / sizeof(sim_values[0]))];
}

static void sim_create(struct sim *s, struct sim_device *d)
{
	struct op ops[3];
	char *rec = s->records[s->nrecords++];
	size_t n = 1 + rndn(s, 3), i, first = rndn(s, 3);
	uint64_t a = rnd(s), b = rnd(s);

	snprintf(rec, UUID_STRLEN + 1, "%08x-%04x-4%03x-%04x-%012" PRIx64, (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff, 0x8000 | ((unsigned)(b >> 48) & 0x3fff),
		 (uint64_t)(b & 0xffffffffffffULL));
	for (i = 0; i < n; i++) {
		const char *field = sim_fields[(first + i) % 3];

		ops[i] = sim_op(s, d, rec, field, sim_value(s, field));
	}
	if (apply_local(d->r, ops, n) != MERGE_NEW)
		sim_fail(s, "merge_apply_local of first values failed");
	for (i = 0; i < n; i++)
		sim_log(s, d, &ops[i]);
}

/* A record d knows (holds an op of), or NULL. */
static const char *sim_known_record(struct sim *s, struct sim_device *d)
{
	const char *known[SIM_MAX_RECORDS];
	size_t n = 0, i, j;

	for (i = 0; i < s->nrecords; i++)
		for (j = 0; j < s->nops; j++)
			if (d->held[j] && !strcmp(s->ops[j].record, s->records[i])) {
				known[n++] = s->records[i];
				break;
			}
	return n ? known[rndn(s, n)] : NULL;
}

/* One op of d on rec's field, based on the heads d sees: an edit, a delete or restore, or (when the field
 * is in conflict) a resolution. */
static void sim_edit(struct sim *s, struct sim_device *d, const char *rec, const char *field)
{
	struct op op = sim_op(s, d, rec, field, sim_value(s, field));

	base_from_heads(d->r, &op);
	/* Now and then the base also names an op of another field or record (an older op of this field, at
	 * times): allowed, and it must change no other field's heads. */
	if (!rndn(s, 8) && s->nops) {
		const struct op *o = &s->ops[rndn(s, s->nops)];
		size_t i;

		for (i = 0; i < op.nbase; i++)
			if (op.base[i].seq == o->seq && !strcmp(op.base[i].device, o->device))
				break;
		if (i == op.nbase)
			base_add(&op, o->device, o->seq);
	}
	if (apply_local(d->r, &op, 1) != MERGE_NEW)
		sim_fail(s, "merge_apply_local of an edit failed");
	sim_log(s, d, &op);
}

/* Resolves one of the conflicts d sees, if any; 0 if there was none. */
static int sim_resolve(struct sim *s, struct sim_device *d)
{
	char recs[16][UUID_STRLEN + 1], fields[16][MERGE_MAX_NAME + 1], err[256];
	struct db_stmt *st = db_prepare(d->r->db,
				      "SELECT r.id, f.field FROM fields f JOIN records r ON r.rid = f.rid"
				      " WHERE f.conflict <> 0 ORDER BY 1, 2", err, sizeof(err));
	size_t n = 0, k;

	if (!st)
		die("sim_resolve", err);
	while (n < 16 && db_step(st) == DB_ROW) {
		strlcpy_s(recs[n], db_text(st, 0), sizeof(recs[n]));
		strlcpy_s(fields[n], db_text(st, 1), sizeof(fields[n]));
		n++;
	}
	db_finalize(st);
	if (!n)
		return 0;
	k = rndn(s, n);
	for (n = 0; n < 4; n++)
		if (!strcmp(fields[k], sim_fields[n]))
			break;
	sim_edit(s, d, recs[k], sim_fields[n]);
	return 1;
}

/* Delivers the ops numbered order[0..n) to r, in transactions of random sizes as change sets and pull pages
 * would arrive, through merge_apply or (every other transaction or so) merge_apply_batch, expecting MERGE_NEW
 * for ops not marked in held and MERGE_DUPLICATE for the others, and marks them held. */
static void sim_deliver(struct sim *s, struct replica *r, const size_t *order, size_t n, unsigned char *held)
{
	static struct op batch[16];
	enum merge_result res[16], got;
	char err[256], e[256];
	size_t i, k, end;
	int batched;

	for (i = 0; i < n; i = end) {
		end = i + 1 + rndn(s, 16);
		if (end > n)
			end = n;
		batched = rndn(s, 2);
		if (db_begin(r->db, e, sizeof(e)) < 0)
			die("db_begin", e);
		if (batched) {
			for (k = i; k < end; k++) {
				batch[k - i] = s->ops[order[k]];
				res[k - i] = MERGE_ERROR;
			}
			err[0] = '\0';
			if ((got = merge_apply_batch(r->m, batch, end - i, res, err, sizeof(err))) != MERGE_NEW)
				sim_fail(s, "merge_apply_batch of %zu ops answered %d: %s", end - i, (int)got, err);
		}
		for (k = i; k < end; k++) {
			enum merge_result expect = held[order[k]] ? MERGE_DUPLICATE : MERGE_NEW;

			err[0] = '\0';
			got = batched ? res[k - i] : merge_apply(r->m, &s->ops[order[k]], err, sizeof(err));
			if (got != expect)
				sim_fail(s, "%s of op %zu answered %d (expected %d): %s",
					 batched ? "merge_apply_batch" : "merge_apply", order[k], (int)got, (int)expect, err);
			held[order[k]] = 1;
		}
		if (db_commit(r->db, e, sizeof(e)) < 0)
			die("db_commit", e);
	}
}

/* src sends dst some of the ops it holds (all of them, or a random part), in a random order, with a few
 * repeats of ops dst already holds. */
static void sim_sync(struct sim *s, struct sim_device *src, struct sim_device *dst)
{
	size_t order[SIM_MAX_OPS], n = 0, i;
	int all = rndn(s, 4) == 0;

	for (i = 0; i < s->nops; i++)
		if (src->held[i] && (all || rndn(s, 2) || (dst->held[i] && !rndn(s, 8))))
			order[n++] = i;
	shuffle(s, order, n);
	sim_deliver(s, dst->r, order, n, dst->held);
	for (i = 0; i < n; i++)
		if (s->ops[order[i]].hlc > dst->last)
			dst->last = s->ops[order[i]].hlc;
}

static int ref_less(const struct op_ref *a, const struct op_ref *b)
{
	int c = strcmp(a->device, b->device);

	return c < 0 || (c == 0 && a->seq < b->seq);
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names(const struct op *p, const struct op *o)
{
	size_t i;

	for (i = 0; i < p->nbase; i++)
		if (p->base[i].seq == o->seq && !strcmp(p->base[i].device, o->device))
			return 1;
	return 0;
}

/* 1 if (hlc, device) of a is above b's: the display order. */
static int shown_before(const struct op *a, const struct op *b)
{
	return a->hlc > b->hlc || (a->hlc == b->hlc && strcmp(a->device, b->device) > 0);
}

/* The state the rule gives for the whole log, computed directly from its definition, in dump_ids' format
 * without V lines. Caller frees. */
static char *sim_model(struct sim *s)
{
	size_t cap = SIM_MAX_OPS * (MERGE_MAX_BASE + 2) + SIM_MAX_RECORDS * 64, nl = 0, i, j, k, f;
	char **lines = xcalloc(cap, sizeof(*lines));
	struct buf b = BUF_INIT(DUMP_MAX), line = BUF_INIT(4096);

#define LINE(...) do { \
	buf_reset(&line); \
	buf_printf(&line, __VA_ARGS__); \
	if (nl >= cap) \
		die("sim_model", "too many lines"); \
	lines[nl++] = xstrdup(line.data); \
} while (0)
	/* Devices: every device of an op or named in a base. */
	for (i = 0; i < s->nops; i++) {
		LINE("D|%s", s->ops[i].device);
		for (j = 0; j < s->ops[i].nbase; j++)
			LINE("D|%s", s->ops[i].base[j].device);
	}
	/* Ops, with their base sorted. */
	for (i = 0; i < s->nops; i++) {
		const struct op *o = &s->ops[i];
		struct op_ref base[MERGE_MAX_BASE], t;

		if (o->nbase)
			memcpy(base, o->base, o->nbase * sizeof(base[0]));
		for (j = 1; j < o->nbase; j++)
			for (k = j; k > 0 && ref_less(&base[k], &base[k - 1]); k--) {
				t = base[k];
				base[k] = base[k - 1];
				base[k - 1] = t;
			}
		buf_reset(&line);
		buf_printf(&line, "O|%s|%" PRIu64 "|%" PRIu64 "|%s|%s|%s|%s|", o->device, o->seq, o->hlc, o->record,
			   o->form_version, o->field, o->value);
		for (j = 0; j < o->nbase; j++)
			buf_printf(&line, "%s%s:%" PRIu64, j ? "," : "", base[j].device, base[j].seq);
		if (nl >= cap)
			die("sim_model", "too many lines");
		lines[nl++] = xstrdup(line.data);
	}
	for (i = 0; i < s->nrecords; i++) {
		const char *rec = s->records[i];
		uint64_t created = UINT64_MAX, updated = 0;
		int deleted = 0, conflicts = 0, any = 0;

		for (j = 0; j < s->nops; j++)
			if (!strcmp(s->ops[j].record, rec)) {
				any = 1;
				if (s->ops[j].hlc < created)
					created = s->ops[j].hlc;
				if (s->ops[j].hlc > updated)
					updated = s->ops[j].hlc;
			}
		if (!any)
			continue;
		for (f = 0; f < 4; f++) {
			const struct op *heads[SIM_MAX_OPS], *top = NULL;
			size_t nh = 0;
			int conflict = 0;

			for (j = 0; j < s->nops; j++) {
				const struct op *o = &s->ops[j];
				int named = 0;

				if (strcmp(o->record, rec) || strcmp(o->field, sim_fields[f]))
					continue;
				for (k = 0; k < s->nops && !named; k++)
					named = !strcmp(s->ops[k].record, rec) &&
						!strcmp(s->ops[k].field, sim_fields[f]) && names(&s->ops[k], o);
				if (!named)
					heads[nh++] = o;
			}
			for (j = 0; j < nh; j++) {
				if (!top || shown_before(heads[j], top))
					top = heads[j];
				if (strcmp(heads[j]->value, heads[0]->value))
					conflict = 1;
				LINE("H|%s|%s|%s|%" PRIu64, rec, sim_fields[f], heads[j]->device, heads[j]->seq);
			}
			if (!top)
				continue;
			LINE("F|%s|%s|%s|%" PRIu64 "|%s|%d", rec, sim_fields[f], top->value, top->hlc, top->device,
			     conflict);
			conflicts += conflict;
			if (f == 3)
				deleted = !strcmp(top->value, "true");
		}
		LINE("R|%s|%s|%" PRIu64 "|%" PRIu64 "|%d|%d|0", rec, FORM, created, updated, deleted, conflicts);
	}
#undef LINE
	qsort(lines, nl, sizeof(*lines), line_cmp);
	/* Same order as dump_ids: D, R, F, H, O; each part sorted, repeats of D lines dropped. */
	{
		static const char order[] = "DRFHO";

		for (k = 0; k < 5; k++)
			for (i = 0; i < nl; i++)
				if (lines[i][0] == order[k] && (i == 0 || strcmp(lines[i], lines[i - 1])))
					buf_printf(&b, "%s\n", lines[i]);
	}
	for (i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	buf_release(&line);
	return buf_detach(&b, NULL);
}

/* The form version a record must show when one op has its highest stamp, or NULL when several ops share it
 * with different versions (a tie the design does not settle; replicas must still agree). */
static const char *sim_model_version(struct sim *s, const char *rec)
{
	const struct op *top = NULL;
	int tie = 0;
	size_t j;

	for (j = 0; j < s->nops; j++) {
		const struct op *o = &s->ops[j];

		if (strcmp(o->record, rec))
			continue;
		if (!top || o->hlc > top->hlc) {
			top = o;
			tie = 0;
		} else if (o->hlc == top->hlc && strcmp(o->form_version, top->form_version)) {
			tie = 1;
		}
	}
	return top && !tie ? top->form_version : NULL;
}

/* ---- batches against one by one ----
 *
 * Each seed also delivers its whole log, with ops no honest device makes, to two fresh replicas in the same
 * random order with repeats: one through merge_apply op by op, the other through merge_apply_batch in batches
 * of random sizes (a batch stops at a refused op; the rest of it follows as another batch), each pair in one
 * transaction, under the same date caps. The results, the errors of refused ops and every row of every table,
 * internal keys included, must be the same. */

#define BAD_MAX 32

/* The other form refused ops name. */
#define OTHER_FORM "other"

/* Up to BAD_MAX ops of a dishonest device of its own, on the log's records and fields and on records of their
 * own (ids in recs[]): cycles of two and three, two heads with one stamp, an equivocation of a log op, a stamp
 * past 2^63 (negative as the store holds it), ops naming another form than their record's, themselves, too
 * many bases or seq 0. Returns how many. */
static size_t sim_bad_ops(struct sim *s, struct op *out, char recs[4][UUID_STRLEN + 1])
{
	char dev[KEYS_ID_STRLEN + 1];
	uint64_t seq = 0, a = rnd(s), b = rnd(s);
	size_t n = 0, k, j, nrecs = 0;

	snprintf(dev, sizeof(dev), "%016" PRIx64 "%016" PRIx64, a, b);
	while (n + 3 <= BAD_MAX && s->nops) {
		const struct op *o = &s->ops[rndn(s, s->nops)];
		const char *field = sim_fields[rndn(s, 4)], *rec = o->record;
		struct op x[3];

		switch (rndn(s, 9)) {
		case 0:
		case 1:
			/* A cycle of two or three ops on one field, of a log record or of a record of their own. */
			k = 2 + rndn(s, 2);
			if (rndn(s, 2) && nrecs < 4) {
				a = rnd(s);
				snprintf(recs[nrecs], UUID_STRLEN + 1, "%08x-bbbb-4bbb-8bbb-%012" PRIx64, (unsigned)a,
					 (uint64_t)(a >> 16));
				rec = recs[nrecs++];
			}
			for (j = 0; j < k; j++)
				x[j] = mkop(dev, ++seq, o->hlc + rndn(s, 3), rec, field, sim_value(s, field));
			for (j = 0; j < k; j++)
				base_add(&x[j], dev, x[(j + 1) % k].seq);
			/* Now and then one of them also sees the log op. */
			if (!rndn(s, 3))
				base_add(&x[0], o->device, o->seq);
			for (j = 0; j < k; j++)
				out[n++] = x[j];
			break;
		case 2:
			/* Two heads with one stamp from one device, with different values. */
			x[0] = mkop(dev, ++seq, o->hlc, rec, o->field, "\"p\"");
			x[1] = mkop(dev, ++seq, o->hlc, rec, o->field, "\"q\"");
			x[1].form_version = "2";
			base_add(&x[0], o->device, o->seq);
			out[n++] = x[0];
			out[n++] = x[1];
			break;
		case 3:
			/* An equivocation: a log op's id with another value. */
			out[n] = *o;
			out[n++].value = "\"zz\"";
			break;
		case 4:
			/* A stamp past 2^63. */
			x[0] = mkop(dev, ++seq, (1ULL << 63) | (o->hlc >> 4), rec, field, sim_value(s, field));
			if (rndn(s, 2))
				base_add(&x[0], o->device, o->seq);
			out[n++] = x[0];
			break;
		case 5:
			/* Another form than the record's. */
			x[0] = mkop(dev, ++seq, o->hlc + 1, rec, field, sim_value(s, field));
			x[0].form = OTHER_FORM;
			out[n++] = x[0];
			break;
		case 6:
			/* Itself as its base. */
			x[0] = mkop(dev, ++seq, o->hlc + 1, rec, field, sim_value(s, field));
			base_add(&x[0], dev, x[0].seq);
			out[n++] = x[0];
			break;
		case 7:
			/* Seq 0, or too many bases. */
			x[0] = mkop(dev, rndn(s, 2) ? 0 : ++seq, o->hlc + 1, rec, field, sim_value(s, field));
			if (x[0].seq) {
				struct op_ref *many = testop_base(&x[0], MERGE_MAX_BASE + 1);

				for (j = 0; j < MERGE_MAX_BASE + 1; j++) {
					strlcpy_s(many[j].device, o->device, sizeof(many[j].device));
					many[j].seq = j + 1;
				}
				x[0].nbase = MERGE_MAX_BASE + 1;
			}
			out[n++] = x[0];
			break;
		default:
			/* An honest-looking op that names a log op of its field, which may arrive in a later batch. */
			x[0] = mkop(dev, ++seq, o->hlc + 1 + rndn(s, 2), rec, o->field, sim_value(s, o->field));
			base_add(&x[0], o->device, o->seq);
			out[n++] = x[0];
			break;
		}
	}
	return n;
}

/* Orders indices of sorted_ops by (device, seq). */
static const struct op *sorted_ops;

static int by_device_seq(const void *a, const void *b)
{
	const struct op *x = &sorted_ops[*(const size_t *)a], *y = &sorted_ops[*(const size_t *)b];
	int c = strcmp(x->device, y->device);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sim_batches(struct sim *s, struct replica *one, struct replica *many)
{
	size_t cap = 2 * (SIM_MAX_OPS + BAD_MAX), n = 0, nall, i, j, k, end;
	struct op *all = xcalloc(SIM_MAX_OPS + BAD_MAX, sizeof(*all)), *in = xcalloc(cap, sizeof(*in));
	enum merge_result *r1 = xcalloc(cap, sizeof(*r1)), *r2 = xcalloc(cap, sizeof(*r2)), got;
	char (*e1)[256] = xcalloc(cap, sizeof(*e1)), (*e2)[256] = xcalloc(cap, sizeof(*e2)), recs[4][UUID_STRLEN + 1];
	size_t order[2 * (SIM_MAX_OPS + BAD_MAX)];
	char e[256], *d1, *d2;

	sim_replica_reset(one);
	sim_replica_reset(many);
	memcpy(all, s->ops, s->nops * sizeof(*all));
	nall = s->nops + sim_bad_ops(s, all + s->nops, recs);
	if (rndn(s, 3)) {
		for (i = 0; i < nall; i++) {
			order[n++] = i;
			if (!rndn(s, 3))
				order[n++] = i;
		}
		shuffle(s, order, n);
	} else {
		/* Some ops in a random order, then all of them in runs of each device's seqs, as a change set
		 * or a pull page brings them: runs with held ops among them. */
		for (i = 0; i < nall; i++)
			if (rndn(s, 2))
				order[n++] = i;
		shuffle(s, order, n);
		for (i = 0; i < nall; i++)
			order[n + i] = i;
		sorted_ops = all;
		qsort(order + n, nall, sizeof(order[0]), by_device_seq);
		n += nall;
	}
	for (i = 0; i < n; i++)
		in[i] = all[order[i]];
	/* Now and then a draft: a record row and an answer without ops, as a device keeps before saving. */
	if (!rndn(s, 3) && s->nrecords) {
		static const char draft[] =
			"INSERT INTO records(id, form, form_version, created, updated, draft) VALUES(?1, 'partnership',"
			" '1', 1, 1, 1)";
		static const char answer[] =
			"INSERT INTO fields(rid, field, value, hlc, did) SELECT rid, ?2, '\"draft\"', 0, 0 FROM records"
			" WHERE id = ?1";
		const char *rec = s->records[rndn(s, s->nrecords)], *field = sim_fields[rndn(s, 4)];

		query(one->db, draft, rec, NULL);
		query(one->db, answer, rec, field);
		query(many->db, draft, rec, NULL);
		query(many->db, answer, rec, field);
	}
	for (i = 0; i < n; i = end) {
		uint64_t datecap = UINT64_MAX;

		end = i + 1 + rndn(s, rndn(s, 4) ? 24 : 2 * (SIM_MAX_OPS + BAD_MAX));
		if (end > n)
			end = n;
		/* A server caps the dates of what it receives. */
		if (!rndn(s, 4))
			datecap = in[rndn(s, n)].hlc;
		merge_date_cap(one->m, datecap);
		merge_date_cap(many->m, datecap);
		if (db_begin(one->db, e, sizeof(e)) < 0 || db_begin(many->db, e, sizeof(e)) < 0)
			die("db_begin", e);
		for (k = i; k < end; k++)
			r1[k] = merge_apply(one->m, &in[k], e1[k], sizeof(e1[k]));
		for (k = i; k < end; k = j + 1) {
			for (j = k; j < end; j++)
				r2[j] = MERGE_ERROR;
			got = merge_apply_batch(many->m, in + k, end - k, r2 + k, e, sizeof(e));
			if (got == MERGE_NEW)
				break;
			for (j = k; j < end && (r2[j] == MERGE_NEW || r2[j] == MERGE_DUPLICATE); j++)
				;
			if (j == end || r2[j] != got) {
				sim_fail(s, "merge_apply_batch answered %d, op %zu of %zu %d: %s", (int)got, j - k, end - k,
					 j < end ? (int)r2[j] : -1, e);
				break;
			}
			strlcpy_s(e2[j], e, sizeof(e2[j]));
		}
		if (db_commit(one->db, e, sizeof(e)) < 0 || db_commit(many->db, e, sizeof(e)) < 0)
			die("db_commit", e);
	}
	merge_date_cap(one->m, UINT64_MAX);
	merge_date_cap(many->m, UINT64_MAX);
	for (i = 0; i < n; i++) {
		if (r1[i] != r2[i])
			sim_fail(s, "op %zu of the batches (%s:%" PRIu64 "): merge_apply answered %d (%s),"
				 " merge_apply_batch %d (%s)", i, in[i].device, in[i].seq, (int)r1[i],
				 r1[i] == MERGE_NEW || r1[i] == MERGE_DUPLICATE ? "" : e1[i], (int)r2[i],
				 r2[i] == MERGE_NEW || r2[i] == MERGE_DUPLICATE ? "" : e2[i]);
		else if (r1[i] != MERGE_NEW && r1[i] != MERGE_DUPLICATE && strcmp(e1[i], e2[i]))
			sim_fail(s, "op %zu of the batches: merge_apply said '%s', merge_apply_batch '%s'", i, e1[i],
				 e2[i]);
	}
	/* Row for row, internal keys included; on PostgreSQL, by ids: its sequences give a number to every row an
	 * upsert tried to insert, so the keys of two equal stores may differ. */
	d1 = pg ? dump_ids(one->db, 1) : dump_raw(one->db);
	d2 = pg ? dump_ids(many->db, 1) : dump_raw(many->db);
	if (strcmp(d1, d2)) {
		sim_fail(s, "the tables after merge_apply_batch differ from merge_apply's");
		if (s->verbose)
			print_diff("merge_apply against merge_apply_batch", d1, d2);
	}
	free(d1);
	free(d2);
	free(all);
	free(in);
	free(r1);
	free(r2);
	free(e1);
	free(e2);
}

/* One seed: devices make ops and sync in part, then everything goes everywhere, and every replica must hold
 * the state computed from the log. Returns the number of failed checks; *version_failed is the number of
 * replicas whose records' form versions differ from the first replica's. */
static int sim_run(uint64_t seed, int *version_failed)
{
	struct sim *s = xcalloc(1, sizeof(*s));
	struct replica *fresh = sim_replicas + SIM_DEVICES;
	char *model, *ref = NULL, *refv = NULL;
	size_t i, j, step;
	int failed;

	s->seed = seed;
	s->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	s->now = 1700000000000ULL + rndn(s, 1000000);
	for (i = 0; i < SIM_DEVICES; i++) {
		struct sim_device *d = &s->dev[i];
		uint64_t a = rnd(s), b = rnd(s);

		d->r = &sim_replicas[i];
		sim_replica_reset(d->r);
		snprintf(d->id, sizeof(d->id), "%016" PRIx64 "%016" PRIx64, a, b);
		/* One clock an hour off (either way), the others within a few ms. */
		d->skew = i == 0 ? (rndn(s, 2) ? 1 : -1) * (int64_t)HOUR_MS : (int64_t)rndn(s, 4);
	}

	for (step = 0; step < SIM_STEPS; step++) {
		struct sim_device *d = &s->dev[rndn(s, SIM_DEVICES)];
		size_t what = rndn(s, 100);
		const char *rec;

		s->now += rndn(s, 3);
		if (!rndn(s, 25))
			d->version = 1;
		if (what < 35) {
			struct sim_device *to = &s->dev[rndn(s, SIM_DEVICES)];

			if (to != d)
				sim_sync(s, d, to);
			continue;
		}
		if (what < 70 && sim_resolve(s, d))
			continue;
		rec = sim_known_record(s, d);
		if (s->nrecords < SIM_MAX_RECORDS && (!rec || !rndn(s, 4))) {
			sim_create(s, d);
			continue;
		}
		if (rec)
			sim_edit(s, d, rec, sim_fields[rndn(s, 5) ? rndn(s, 3) : 3]);
	}

	/* Every device receives everything. */
	for (i = 0; i < SIM_DEVICES; i++) {
		size_t order[SIM_MAX_OPS], n = 0;

		for (j = 0; j < s->nops; j++)
			order[n++] = j;
		shuffle(s, order, n);
		sim_deliver(s, s->dev[i].r, order, n, s->dev[i].held);
	}
	/* Fresh replicas receive the whole log in random orders, a third of it twice. */
	for (i = 0; i < SIM_FRESH; i++) {
		size_t order[SIM_MAX_OPS * 2], n = 0;
		unsigned char seen[SIM_MAX_OPS] = { 0 };

		sim_replica_reset(&fresh[i]);
		for (j = 0; j < s->nops; j++) {
			order[n++] = j;
			if (!rndn(s, 3))
				order[n++] = j;
		}
		shuffle(s, order, n);
		sim_deliver(s, &fresh[i], order, n, seen);
	}

	sim_batches(s, &sim_replicas[SIM_DEVICES + SIM_FRESH], &sim_replicas[SIM_DEVICES + SIM_FRESH + 1]);

	/* Every replica holds the state of the first, which holds the state computed from the log. Form versions
	 * are compared on their own, so that a difference there does not hide the rest. */
	for (i = 0; i < SIM_FRESH + SIM_DEVICES; i++) {
		struct db *db = i < SIM_FRESH ? fresh[i].db : s->dev[i - SIM_FRESH].r->db;
		char *d = dump_ids(db, 0), *v = dump_versions(db), what[64];

		snprintf(what, sizeof(what), "replica %zu (%s %zu) against replica 0", i,
			 i < SIM_FRESH ? "fresh" : "device", i < SIM_FRESH ? i : i - SIM_FRESH);
		if (!ref) {
			ref = d;
			refv = v;
			continue;
		}
		if (strcmp(ref, d)) {
			sim_fail(s, "%s differs", what);
			if (s->verbose)
				print_diff(what, ref, d);
		}
		if (strcmp(refv, v)) {
			if (!s->version_failed++ && sim_version_printed++ < 3) {
				printf("#   convergence seed %" PRIu64 ": records.form_version differs (SONDEO_SEED=%" PRIu64
				       "):\n", s->seed, s->seed);
				print_diff(what, refv, v);
			}
		}
		free(d);
		free(v);
	}
	model = sim_model(s);
	{
		char *d = dump_ids(fresh[0].db, 0);

		if (strcmp(model, d)) {
			sim_fail(s, "replica 0 differs from the state computed from the log");
			if (s->verbose)
				print_diff("the log's state against replica 0", model, d);
		}
		free(d);
	}
	for (i = 0; i < s->nrecords; i++) {
		const char *want = sim_model_version(s, s->records[i]);
		const char *got = query(fresh[0].db, "SELECT form_version FROM records WHERE id = ?1", s->records[i],
					NULL);

		if (want && strcmp(want, got))
			sim_fail(s, "record %s has form version %s, expected %s", s->records[i], got, want);
	}

	free(model);
	free(ref);
	free(refv);
	failed = s->failed;
	*version_failed = s->version_failed;
	free(s);
	return failed;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return dflt;
	n = strtoull(v, &end, 10);
	if (*end)
		die(name, "not a number");
	return n;
}

/* Seeds run by test_convergence whose replicas disagree on records.form_version alone. */
static uint64_t convergence_version_bad;

static void test_convergence(void)
{
	uint64_t seeds = env_u64("SONDEO_SOAK_SEEDS", SIM_DEFAULT_SEEDS), only = env_u64("SONDEO_SEED", 0);
	uint64_t seed, first = only ? only : 1, last = only ? only : seeds, bad = 0;
	struct timespec t0, t1;
	int vf;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (seed = first; seed <= last; seed++) {
		if (sim_run(seed, &vf))
			bad++;
		if (vf)
			convergence_version_bad++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (seed = 0; seed < SIM_DEVICES + SIM_FRESH + 2; seed++)
		if (sim_replicas[seed].db)
			replica_close(&sim_replicas[seed]);
	printf("# convergence: seeds %" PRIu64 "..%" PRIu64 ": %" PRIu64 " failed, %" PRIu64
	       " with differing form versions, %.1f s\n", first, last, bad, convergence_version_bad,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK_INT(bad, 0);
}

/* The same seeds' records.form_version, which depends on arrival order when two ops of a record share the
 * highest stamp (see test_form_version_equal_stamps). */
static void test_convergence_form_version(void)
{
	CHECK_INT(convergence_version_bad, 0);
}

int main(void)
{
	pg = getenv("SONDEO_TEST_PG");
	if (pg && !*pg)
		pg = NULL;
	printf("# engine: %s\n", pg ? "postgresql" : "sqlite");
	RUN(test_single_op);
	RUN(test_replace);
	RUN(test_concurrent_conflict);
	RUN(test_conflict_tie_on_device);
	RUN(test_concurrent_same_value);
	RUN(test_concurrent_first_values);
	RUN(test_resolution);
	RUN(test_duplicate);
	RUN(test_equivocation);
	RUN(test_refused_ops);
	RUN(test_form_mismatch);
	RUN(test_date_cap_keeps_version);
	RUN(test_form_mismatch_changes_nothing);
	RUN(test_unknown_base);
	RUN(test_out_of_order);
	RUN(test_deleted);
	RUN(test_created_updated);
	RUN(test_form_version);
	RUN(test_form_version_equal_stamps);
	RUN(test_clock_skew);
	RUN(test_heads_order);
	RUN(test_local_matches_apply);
	RUN(test_local_op_named_before_made);
	RUN(test_values_once);
	RUN(test_rollback_then_reapply);
	RUN(test_rollback_other_connection);
	RUN(test_convergence);
	RUN(test_convergence_form_version);
	db_close(pg_admin);
	return test_done();
}
