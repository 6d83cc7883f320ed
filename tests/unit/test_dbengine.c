/* test_dbengine.c - db.h's contract, the same checks on each engine: SQLite always, and PostgreSQL when
 * SONDEO_TEST_PG names a database to use (tests/cli/pg-engine.sh starts a throwaway cluster and runs this with
 * it). Parameters as SQLite writes them (?N, ?, :name) whatever the engine, quoted text and comments left alone;
 * every type read back as bound (64-bit integers, doubles, text in UTF-8, blobs with NUL bytes, NULL); a
 * constraint, a lock waited for too long, a rollback and its hook; rows read while another statement runs; rows
 * written together (db_gather). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "db.h"
#include "test.h"

static char dir[256];
static const char *engine;          /* "sqlite" or "postgresql" */
static const char *pg;              /* SONDEO_TEST_PG */

static struct db *open_db(void)
{
	char err[512] = "", path[300];
	struct db *db;

	snprintf(path, sizeof(path), "%s/engine.db", dir);
	db = strcmp(engine, "sqlite") ? db_open_pg(pg, err, sizeof(err)) : db_open(path, DB_CREATE, err, sizeof(err));
	if (!db) {
		printf("not ok open %s: %s\n", engine, err);
		exit(1);
	}
	return db;
}

static struct db *db;

static void rollback_seen(void *ctx)
{
	(*(int *)ctx)++;
}

/* A SELECT of one text value, or "(error)" / "(none)". Kept in a static buffer until the next call. */
static const char *one(const char *sql)
{
	static char out[256];
	char err[512];
	struct db_stmt *st = db_prepare(db, sql, err, sizeof(err));
	int rc;

	if (!st)
		return "(error)";
	rc = db_step(st);
	snprintf(out, sizeof(out), "%s", rc == DB_ROW ? db_text(st, 0) : "(none)");
	db_finalize(st);
	return out;
}

static void test_schema(void)
{
	char err[512] = "", sql[256];

	db_exec(db, "DROP TABLE IF EXISTS t", err, sizeof(err));
	snprintf(sql, sizeof(sql), "CREATE TABLE t(id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT,"
		 " f DOUBLE PRECISION, b %s)", strcmp(engine, "sqlite") ? "BYTEA" : "BLOB");
	CHECK_INT(db_exec(db, sql, err, sizeof(err)), 0);
	CHECK_STR(err, "");
}

static void test_types_round_trip(void)
{
	static const unsigned char blob[] = { 0, 1, 2, 0xff, 0, 'x', 0x80, '\\', '\'' };
	static const char utf8[] = "Zo\xc3\xab \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x8c\x8d 'quoted' \"too\" ?1 :x";
	char err[512] = "";
	struct db_stmt *ins = db_prepare(db, "INSERT INTO t(id, name, n, f, b) VALUES(?1, ?2, ?3, ?4, ?5)", err,
					 sizeof(err));
	struct db_stmt *sel = db_prepare(db, "SELECT name, n, f, b, id FROM t WHERE id = ?1", err, sizeof(err));

	CHECK(ins != NULL && sel != NULL);
	if (!ins || !sel)
		return;
	db_bind_int(ins, 1, 1);
	db_bind_text(ins, 2, utf8);
	db_bind_int(ins, 3, INT64_MAX);
	db_bind_float(ins, 4, 0.1 + 0.2);
	db_bind_blob(ins, 5, blob, sizeof(blob));
	CHECK_INT(db_step_done(ins, err, sizeof(err)), 0);
	CHECK_INT(db_changes(db), 1);
	db_bind_int(ins, 1, 2);
	db_bind_text_n(ins, 2, "secondXXX", 6);
	db_bind_int(ins, 3, INT64_MIN);
	db_bind_null(ins, 4);
	db_bind_null(ins, 5);
	CHECK_INT(db_step_done(ins, err, sizeof(err)), 0);

	db_bind_int(sel, 1, 1);
	CHECK_INT(db_step(sel), DB_ROW);
	CHECK_STR(db_text(sel, 0), utf8);
	CHECK(db_int(sel, 1) == INT64_MAX);
	CHECK(db_float(sel, 2) == 0.1 + 0.2);
	CHECK_INT(db_bytes(sel, 3), sizeof(blob));
	CHECK(db_blob(sel, 3) && !memcmp(db_blob(sel, 3), blob, sizeof(blob)));
	{
		/* The bytes stay while the length is read after them, as SQLite keeps them. */
		const void *b = db_blob(sel, 3);
		size_t n = db_bytes(sel, 3);

		CHECK(b && n == sizeof(blob) && !memcmp(b, blob, n));
	}
	CHECK_INT(db_type(sel, 0), DB_TEXT);
	CHECK_INT(db_type(sel, 1), DB_INTEGER);
	CHECK_INT(db_type(sel, 2), DB_FLOAT);
	CHECK_INT(db_type(sel, 3), DB_BLOB);
	CHECK_INT(db_columns(sel), 5);
	CHECK_INT(db_step(sel), DB_DONE);
	db_reset(sel);
	db_bind_int(sel, 1, 2);
	CHECK_INT(db_step(sel), DB_ROW);
	CHECK_STR(db_text(sel, 0), "second");
	CHECK(db_int(sel, 1) == INT64_MIN);
	CHECK_INT(db_is_null(sel, 2), 1);
	CHECK_INT(db_type(sel, 3), DB_NULL);
	CHECK_STR(db_text(sel, 2), "");
	CHECK_INT(db_bytes(sel, 3), 0);
	db_reset(sel);
	/* Forgotten bindings are NULL: no row has the id NULL. */
	db_clear(sel);
	CHECK_INT(db_step(sel), DB_DONE);
	db_reset(sel);
	db_finalize(ins);
	db_finalize(sel);
}

/* sql, which the engine cannot compile, is refused with a message naming word, as test_parameters says; once: built
 * for one use (db_prepare_once), which PostgreSQL runs unnamed, and so refuses at its run alone. */
static void refused(const char *sql, const char *word, int once)
{
	char err[512] = "";
	struct db_stmt *st = once ? db_prepare_once(db, sql, strlen(sql), err, sizeof(err)) :
				    db_prepare(db, sql, err, sizeof(err));

	if (!strcmp(engine, "sqlite")) {
		CHECK(st == NULL);
	} else {
		CHECK(st != NULL);
		CHECK_INT(db_check(db, err, sizeof(err)), once ? 0 : -1);
		if (!once)
			CHECK(strstr(err, sql) != NULL);
		CHECK_INT(db_step(st), DB_ERROR);
		if (once)
			snprintf(err, sizeof(err), "%s", db_errmsg(db));
		db_finalize(st);
		CHECK_STR(one("SELECT 1"), "1");
		CHECK_INT(db_check(db, err, sizeof(err)), 0);
	}
	CHECK(strstr(err, word) != NULL);
	if (!strstr(err, word))
		printf("#   the message: %s\n", err);
}

static void test_parameters(void)
{
	char err[512] = "";
	struct db_stmt *st;

	/* Quoted text, identifiers and comments keep their ? and :names; a bare ? is the next number. */
	st = db_prepare(db, "SELECT '?1 :x ''?'' -- no' || ? || \"name\" || ? /* ?9 :y */ FROM t -- ?3\n"
			" WHERE id = 1", err, sizeof(err));
	CHECK(st != NULL);
	if (st) {
		db_bind_text(st, 1, "[a]");
		db_bind_text(st, 2, "[b]");
		CHECK_INT(db_step(st), DB_ROW);
		CHECK(strncmp(db_text(st, 0), "?1 :x '?' -- no[a]", 18) == 0);
		CHECK(strstr(db_text(st, 0), "[b]") != NULL);
		db_finalize(st);
	}
	/* A name used twice is one parameter; an unknown name binds nothing. */
	st = db_prepare(db, "SELECT count(*) FROM t WHERE (id = :id OR n = :big) AND :id = :id", err, sizeof(err));
	CHECK(st != NULL);
	if (st) {
		db_bind_named_int(st, ":id", 2);
		db_bind_named_int(st, ":big", INT64_MAX);
		db_bind_named_text(st, ":nothing", "x");
		CHECK_INT(db_step(st), DB_ROW);
		CHECK_INT(db_int(st, 0), 2);   /* 2 by its id, 1 by its n */
		db_finalize(st);
	}
	/* Named text is copied: the caller's buffer may change before the step. */
	st = db_prepare(db, "SELECT name FROM t WHERE name = :name", err, sizeof(err));
	CHECK(st != NULL);
	if (st) {
		char name[16] = "second";

		db_bind_named_text(st, ":name", name);
		strcpy(name, "changed");
		CHECK_INT(db_step(st), DB_ROW);
		CHECK_STR(db_text(st, 0), "second");
		db_finalize(st);
	}
	/* SQL the engine cannot compile: refused with a message by db_prepare on SQLite; on PostgreSQL, which
	 * prepares a statement on the server when it is first run, by db_check (naming the statement) and by that
	 * first run, the connection still usable. */
	refused("SELEC nothing", "SELEC", 0);
	refused("SELECT id FROM nowhere", "nowhere", 0);
	refused("SELECT id FROM nowhere", "nowhere", 1);
}

static void test_constraint(void)
{
	char err[512] = "";
	struct db_stmt *st = db_prepare(db, "INSERT INTO t(id, name) VALUES(?1, ?2)", err, sizeof(err));

	CHECK(st != NULL);
	if (!st)
		return;
	db_bind_int(st, 1, 3);
	db_bind_text(st, 2, "second");
	CHECK_INT(db_step(st) & 0xff, DB_CONSTRAINT);
	db_reset(st);
	CHECK_INT(db_step_done(st, err, sizeof(err)), -1);
	CHECK(strncmp(err, "store error: ", 13) == 0);
	db_finalize(st);
	CHECK_STR(one("SELECT count(*) FROM t"), "2");
}

static void test_transactions(void)
{
	char err[512] = "";
	int rolled = 0;

	db_on_rollback(db, rollback_seen, &rolled);
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_in_transaction(db), 1);
	CHECK_INT(db_exec(db, "INSERT INTO t(id, name) VALUES(10, 'ten')", err, sizeof(err)), 0);
	CHECK_STR(one("SELECT count(*) FROM t"), "3");
	db_rollback(db);
	CHECK_INT(rolled, 1);
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_STR(one("SELECT count(*) FROM t"), "2");
	db_rollback(db);   /* outside a transaction: nothing */
	CHECK_INT(rolled, 1);
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_exec(db, "INSERT INTO t(id, name) VALUES(10, 'ten')", err, sizeof(err)), 0);
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	CHECK_STR(one("SELECT name FROM t WHERE id = 10"), "ten");
	CHECK_INT(rolled, 1);
	/* A read transaction sees one state. */
	CHECK_INT(db_begin_read(db, err, sizeof(err)), 0);
	CHECK_STR(one("SELECT count(*) FROM t"), "3");
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	db_on_rollback(db, NULL, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Another connection holding the row's lock makes this one wait, then answer busy with the message people read. */
static void test_busy(void)
{
	char err[512] = "";
	struct db *other = open_db();
	double t;
	int r;

	db_set_busy_ms(db, 100);
	CHECK_INT(db_begin(other, err, sizeof(err)), 0);
	CHECK_INT(db_exec(other, "UPDATE t SET n = 5 WHERE id = 10", err, sizeof(err)), 0);
	t = now_s();
	err[0] = '\0';
	/* SQLite refuses the second writer's BEGIN IMMEDIATE; PostgreSQL its UPDATE of the locked row. */
	r = db_begin(db, err, sizeof(err));
	if (r == 0) {
		r = db_exec(db, "UPDATE t SET n = 6 WHERE id = 10", err, sizeof(err));
		db_rollback(db);
	}
	t = now_s() - t;
	CHECK_INT(r, -1);
	CHECK_STR(err, "the store is busy: another program is writing to it (try again)");
	CHECK(t >= 0.09);
	CHECK(t < 3.0);
	CHECK_INT(db_commit(other, err, sizeof(err)), 0);
	db_close(other);
	db_set_busy_ms(db, DB_BUSY_MS);
	CHECK_STR(one("SELECT n FROM t WHERE id = 10"), "5");
}

/* Statements stepped by db_step_done in a transaction (PostgreSQL sends them in a pipeline; SQLite runs them at
 * once): what they changed is read by the next statement, db_changes counts the last one, and an error one meets
 * fails the transaction by its commit at the latest, nothing of it kept. */
static void test_step_done(void)
{
	char err[512] = "", name[32];
	struct db_stmt *ins = db_prepare(db, "INSERT INTO t(id, name, n) VALUES(?1, ?2, ?3)", err, sizeof(err));
	struct db_stmt *upd = db_prepare(db, "UPDATE t SET n = n + 1 WHERE id >= 1000", err, sizeof(err));
	int i, r;

	CHECK(ins != NULL && upd != NULL);
	if (!ins || !upd)
		return;
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "piped %d", i);
		db_bind_int(ins, 1, 1000 + i);
		db_bind_text(ins, 2, name);
		db_bind_int(ins, 3, i);
		CHECK_INT(db_step_done(ins, err, sizeof(err)), 0);
	}
	CHECK_INT(db_step_done(upd, err, sizeof(err)), 0);
	CHECK_INT(db_changes(db), 600);
	CHECK_STR(one("SELECT sum(n) FROM t WHERE id >= 1000"), "180300");
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	/* A name taken twice: refused at once on SQLite, at the commit on PostgreSQL; either way nothing stays. */
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	db_bind_int(ins, 1, 5000);
	db_bind_text(ins, 2, "piped new");
	db_bind_int(ins, 3, 1);
	CHECK_INT(db_step_done(ins, err, sizeof(err)), 0);
	db_bind_int(ins, 1, 5001);
	db_bind_text(ins, 2, "piped 7");
	r = db_step_done(ins, err, sizeof(err));
	if (r == 0)
		r = db_commit(db, err, sizeof(err));
	else
		db_rollback(db);
	CHECK_INT(r, -1);
	CHECK(!db_in_transaction(db));
	CHECK_STR(one("SELECT count(*) FROM t WHERE id >= 5000"), "0");
	CHECK_INT(db_exec(db, "DELETE FROM t WHERE id >= 1000", err, sizeof(err)), 0);
	db_finalize(ins);
	db_finalize(upd);
}

/* Counts the statements that insert into g on PostgreSQL (a statement trigger): 0 on SQLite. */
static int g_statements(void)
{
	return strcmp(engine, "sqlite") ? atoi(one("SELECT n FROM g_stmts")) : 0;
}

/* Inserts row id of g through ins (stepped with db_step_done), n NULL when id is a multiple of 7. */
static int g_put(struct db_stmt *ins, int id, const char *name, char *err, size_t errlen)
{
	db_bind_int(ins, 1, id);
	db_bind_text(ins, 2, name);
	if (id % 7)
		db_bind_int(ins, 3, id);
	else
		db_bind_null(ins, 3);
	db_bind_float(ins, 4, id / 4.0);
	return db_step_done(ins, err, errlen);
}

/* db_gather: every row written as stepped, values exact (quotes, backslashes, braces, commas, the text NULL, an
 * empty text, SQL NULL), more rows than one set holds, a read in the middle seeing the rows before it, a statement
 * that is not gathered keeping its place between them, an error told by the commit with nothing kept, a rollback
 * forgetting the rows; on PostgreSQL, thousands of rows in a few statements. */
static void test_gather(void)
{
	static const char *const odd[] = { "a \"quoted\" name", "back\\slash \\\\ two", "{braces}, commas",
					   "NULL", "", "S\xc3\xa3o Tom\xc3\xa9", "line\nbreak\ttab" };
	char err[512] = "", name[64], sql[600];
	struct db_stmt *ins, *twice, *dbl;
	size_t i;
	int id, before, r;

	db_exec(db, "DROP TABLE IF EXISTS g", err, sizeof(err));
	CHECK_INT(db_exec(db, "CREATE TABLE g(id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT,"
			  " f DOUBLE PRECISION)", err, sizeof(err)), 0);
	if (strcmp(engine, "sqlite")) {
		db_exec(db, "DROP TABLE IF EXISTS g_stmts", err, sizeof(err));
		CHECK_INT(db_exec(db, "CREATE TABLE g_stmts(k INTEGER PRIMARY KEY, n BIGINT); INSERT INTO g_stmts VALUES(1, 0);"
				  "CREATE OR REPLACE FUNCTION g_count() RETURNS trigger LANGUAGE plpgsql AS"
				  " 'BEGIN UPDATE g_stmts SET n = n + 1; RETURN NULL; END';"
				  "CREATE TRIGGER g_count AFTER INSERT ON g FOR EACH STATEMENT EXECUTE FUNCTION g_count()",
				  err, sizeof(err)), 0);
		CHECK_STR(err, "");
	}
	ins = db_prepare(db, "INSERT INTO g(id, name, n, f) VALUES(?1, ?2, ?3, ?4)", err, sizeof(err));
	dbl = db_prepare(db, "UPDATE g SET n = n * 2 WHERE n IS NOT NULL", err, sizeof(err));
	/* A parameter outside the VALUES list: written row by row, so that a row may meet the one before it. */
	twice = db_prepare(db, "INSERT INTO g(id, name, n) VALUES(?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET n = g.n + ?3",
			   err, sizeof(err));
	CHECK(ins && dbl && twice);
	if (!ins || !dbl || !twice)
		goto out;

	err[0] = '\0';
	before = g_statements();
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_gather(db, 1, err, sizeof(err)), 0);
	for (id = 1; id <= 10; id++) {
		snprintf(name, sizeof(name), "row %d", id);
		CHECK_INT(g_put(ins, id, name, err, sizeof(err)), 0);
	}
	/* A read sees the rows gathered before it; an update not gathered changes those rows and no later one. */
	CHECK_STR(one("SELECT count(*) FROM g"), "10");
	CHECK_INT(db_step_done(dbl, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		CHECK_INT(g_put(ins, 11 + (int)i, odd[i], err, sizeof(err)), 0);
	for (id = 100; id < 100 + 9000; id++) {
		snprintf(name, sizeof(name), "many %d", id);
		CHECK_INT(g_put(ins, id, name, err, sizeof(err)), 0);
	}
	for (i = 0; i < 2; i++) {
		db_bind_int(twice, 1, 50000);
		db_bind_text(twice, 2, "twice");
		db_bind_int(twice, 3, 5);
		CHECK_INT(db_step_done(twice, err, sizeof(err)), 0);
	}
	CHECK_INT(db_gather(db, 0, err, sizeof(err)), 0);
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(one("SELECT count(*) FROM g"), "9018");
	/* 1..10 doubled (7 is NULL), 11..17 and 100..9099 as written, except the multiples of 7. */
	CHECK_STR(one("SELECT sum(n) FROM g WHERE id <= 10"), "96");
	CHECK_STR(one("SELECT sum(n) FROM g WHERE id BETWEEN 11 AND 9099"),
		  "35485869");
	CHECK_STR(one("SELECT count(*) FROM g WHERE n IS NULL"), "1287");
	CHECK_STR(one("SELECT f FROM g WHERE id = 9099"), "2274.75");
	CHECK_STR(one("SELECT n FROM g WHERE id = 50000"), "10");
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT name FROM g WHERE id = %d", 11 + (int)i);
		CHECK_STR(one(sql), odd[i]);
	}
	/* 9,017 rows through ins in 4 statements (the 10 before the read; then 4,096 rows a set at most), the two
	 * through twice one each. */
	if (strcmp(engine, "sqlite"))
		CHECK_INT(g_statements() - before, 6);

	/* A name taken twice fails the transaction, at the latest at its commit; nothing of it stays. */
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_gather(db, 1, err, sizeof(err)), 0);
	r = g_put(ins, 60000, "new one", err, sizeof(err));
	if (r == 0)
		r = g_put(ins, 60001, "row 3", err, sizeof(err));
	if (r == 0)
		r = db_gather(db, 0, err, sizeof(err));
	if (r == 0)
		r = db_commit(db, err, sizeof(err));
	else
		db_rollback(db);
	CHECK_INT(r, -1);
	CHECK(strstr(err, "name") != NULL || strstr(err, "UNIQUE") != NULL || strstr(err, "unique") != NULL);
	CHECK(!db_in_transaction(db));
	CHECK_STR(one("SELECT count(*) FROM g WHERE id >= 60000"), "0");

	/* Rows gathered in a transaction rolled back are forgotten, not sent with the next one. */
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_gather(db, 1, err, sizeof(err)), 0);
	CHECK_INT(g_put(ins, 70000, "rolled back", err, sizeof(err)), 0);
	db_rollback(db);
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(g_put(ins, 70001, "kept", err, sizeof(err)), 0);
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	CHECK_STR(one("SELECT count(*) FROM g WHERE id >= 70000"), "1");
out:
	db_finalize(ins);
	db_finalize(dbl);
	db_finalize(twice);
}

/* Has the server cut db's session (as a restart does), through other; waits until it is gone. */
static void cut(struct db *other)
{
	char sql[160], pid[32], err[512] = "";
	int i;

	snprintf(pid, sizeof(pid), "%s", one("SELECT pg_backend_pid()"));
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
	CHECK_INT(db_exec(other, sql, err, sizeof(err)), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", pid);
	for (i = 0; i < 500; i++) {
		struct db_stmt *st = db_prepare(other, sql, err, sizeof(err));
		int gone = st && db_step(st) == DB_ROW && db_int(st, 0) == 0;

		db_finalize(st);
		if (gone)
			return;
		usleep(10000);
	}
	CHECK(!"the session was not cut");
}

/* PostgreSQL: a session the server cut (a restart, a failover) is opened again before the next statement outside
 * a transaction, its statements prepared again; inside a transaction the statements fail until it ends, never
 * running on their own, and nothing of it stays. SQLite has no connection to lose. */
static void test_lost_connection(void)
{
	char err[512] = "", before[64];
	struct db *other;
	struct db_stmt *st;

	if (!strcmp(engine, "sqlite"))
		return;
	other = open_db();
	st = db_prepare(db, "SELECT n FROM t WHERE id = 10", err, sizeof(err));
	CHECK(st != NULL);
	if (!st)
		return;
	snprintf(before, sizeof(before), "%s", one("SELECT n FROM t WHERE id = 10"));
	cut(other);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_STR(db_text(st, 0), before);
	db_reset(st);
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_exec(db, "UPDATE t SET n = 7 WHERE id = 10", err, sizeof(err)), 0);
	cut(other);
	CHECK_INT(db_exec(db, "UPDATE t SET n = 8 WHERE id = 10", err, sizeof(err)), -1);
	CHECK(db_step(st) != DB_ROW);
	db_reset(st);
	CHECK(db_in_transaction(db));
	db_rollback(db);
	CHECK(!db_in_transaction(db));
	CHECK_STR(one("SELECT n FROM t WHERE id = 10"), before);
	CHECK_INT(db_step(st), DB_ROW);
	db_finalize(st);
	db_close(other);
}

/* Rows are read while other statements run on the same connection, as the stores do. */
static void test_interleaved(void)
{
	char err[512] = "";
	struct db_stmt *rows = db_prepare(db, "SELECT id, name FROM t ORDER BY id", err, sizeof(err));
	struct db_stmt *upd = db_prepare(db, "UPDATE t SET n = ?2 WHERE id = ?1", err, sizeof(err));
	int n = 0;

	CHECK(rows && upd);
	if (!rows || !upd)
		return;
	while (db_step(rows) == DB_ROW) {
		db_bind_int(upd, 1, db_int(rows, 0));
		db_bind_int(upd, 2, 100 + n);
		CHECK_INT(db_step_done(upd, err, sizeof(err)), 0);
		n++;
	}
	db_reset(rows);
	CHECK_INT(n, 3);
	CHECK_STR(one("SELECT sum(n) FROM t"), "303");
	/* Reset, the statement runs again from its first row. */
	CHECK_INT(db_step(rows), DB_ROW);
	CHECK_INT(db_int(rows, 0), 1);
	db_finalize(rows);
	db_finalize(upd);
}

/* A statement marked db_stream gives every row, a page at a time on PostgreSQL, while other statements run; its
 * reading ends with its rows or a reset, in the caller's transaction or in none. */
static void test_stream(void)
{
	char err[512] = "";
	struct db_stmt *ins, *rows, *look;
	int64_t sum = 0, n = 0, i;

	CHECK_INT(db_exec(db, "DROP TABLE IF EXISTS many; CREATE TABLE many(i INTEGER PRIMARY KEY, t TEXT)", err,
			  sizeof(err)), 0);
	ins = db_prepare(db, "INSERT INTO many(i, t) VALUES(?1, ?2)", err, sizeof(err));
	CHECK(ins != NULL);
	if (!ins)
		return;
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	for (i = 1; i <= 1234; i++) {
		db_bind_int(ins, 1, i);
		db_bind_text(ins, 2, i % 2 ? "odd" : "even");
		db_step_done(ins, err, sizeof(err));
	}
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	db_finalize(ins);
	rows = db_prepare_once(db, "SELECT i, t FROM many WHERE i >= ?1 ORDER BY i", 46, err, sizeof(err));
	look = db_prepare(db, "SELECT t FROM many WHERE i = ?1", err, sizeof(err));
	CHECK(rows && look);
	if (!rows || !look)
		return;
	db_stream(rows);
	db_bind_int(rows, 1, 3);
	while (db_step(rows) == DB_ROW) {
		/* Another statement between two rows, as an export reads each record's answers. */
		db_bind_int(look, 1, db_int(rows, 0));
		CHECK_INT(db_step(look), DB_ROW);
		if (strcmp(db_text(look, 0), db_text(rows, 1)))
			printf("#   row %lld: %s, looked up %s\n", (long long)db_int(rows, 0), db_text(rows, 1),
			       db_text(look, 0));
		db_reset(look);
		/* On PostgreSQL the rows come through a cursor, not all at once. */
		if (n == 10 && !strcmp(engine, "postgresql"))
			CHECK_STR(one("SELECT count(*) FROM pg_cursors WHERE name <> ''"), "1");
		sum += db_int(rows, 0);
		n++;
	}
	CHECK_INT(n, 1232);
	CHECK_INT(sum, 1234 * 1235 / 2 - 3);
	CHECK_INT(db_in_transaction(db), 0);
	/* Stopped part way, then read again from the start. */
	db_reset(rows);
	for (n = 0; n < 600 && db_step(rows) == DB_ROW; n++)
		;
	db_reset(rows);
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_INT(db_step(rows), DB_ROW);
	CHECK_INT(db_int(rows, 0), 3);
	db_reset(rows);
	/* In the caller's transaction, which goes on after the rows. */
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	for (n = 0; db_step(rows) == DB_ROW; n++)
		;
	CHECK_INT(n, 1232);
	CHECK_INT(db_in_transaction(db), 1);
	CHECK_INT(db_exec(db, "DELETE FROM many WHERE i > 1000", err, sizeof(err)), 0);
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	db_reset(rows);
	for (n = 0; db_step(rows) == DB_ROW; n++)
		;
	CHECK_INT(n, 998);
	db_finalize(rows);
	db_finalize(look);
}

static void run_all(void)
{
	printf("# engine: %s\n", engine);
	db = open_db();
	RUN(test_schema);
	RUN(test_types_round_trip);
	RUN(test_parameters);
	RUN(test_constraint);
	RUN(test_transactions);
	RUN(test_busy);
	RUN(test_interleaved);
	RUN(test_stream);
	RUN(test_step_done);
	RUN(test_gather);
	RUN(test_lost_connection);
	db_close(db);
}

int main(void)
{
	char cmd[300];

	snprintf(dir, sizeof(dir), "%s/test_dbengine.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	engine = "sqlite";
	run_all();
	pg = getenv("SONDEO_TEST_PG");
	if (pg && *pg) {
		engine = "postgresql";
		run_all();
	} else {
		printf("# PostgreSQL: tests/cli/pg-engine.sh runs these checks on it\n");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return test_done();
}
