/* test_db.c - db.h over SQLite: durable opening (WAL, synchronous FULL), messages people can act on (busy,
 * read-only, full, damaged), statements and their helpers. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "test.h"

#define BUSY_MSG "the store is busy: another program is writing to it (try again)"
#define READONLY_MSG "the store is read-only"

static char dir[512];

static void die(const char *what, const char *err)
{
	printf("not ok setup: %s: %s\n", what, err);
	exit(1);
}

/* path of name inside the test's temporary directory, in one of a ring of static buffers. */
static const char *in_dir(const char *name)
{
	static char ring[4][600];
	static int next;
	char *p = ring[next++ % 4];

	snprintf(p, sizeof(ring[0]), "%s/%s", dir, name);
	return p;
}

/* Removes a store and its WAL files. */
static void remove_store(const char *name)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char p[700];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", in_dir(name), ext[i]);
		remove(p);
	}
}

/* The first column of the first row of sql, as text ("" for none). */
static const char *one(struct db *db, const char *sql)
{
	static char out[4][256];
	static int next;
	char *o = out[next++ % 4], err[256];
	struct db_stmt *st = db_prepare(db, sql, err, sizeof(err));

	if (!st)
		die(sql, err);
	o[0] = '\0';
	if (db_step(st) == DB_ROW)
		snprintf(o, sizeof(out[0]), "%s", db_text(st, 0));
	db_finalize(st);
	return o;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_open_durable(void)
{
	char err[256] = "";
	struct db *db = db_open(in_dir("a.db"), DB_CREATE, err, sizeof(err));

	CHECK(db != NULL);
	CHECK_STR(err, "");
	if (!db)
		return;
	CHECK_STR(one(db, "PRAGMA journal_mode"), "wal");
	CHECK_STR(one(db, "PRAGMA synchronous"), "2");
	CHECK_STR(one(db, "PRAGMA foreign_keys"), "1");
	CHECK_STR(one(db, "PRAGMA busy_timeout"), "5000");
	CHECK_INT(db_exec(db, "CREATE TABLE t(a)", err, sizeof(err)), 0);
	db_close(db);
	/* Opening it again, without DB_CREATE, keeps WAL and sets synchronous again (it is per connection). */
	db = db_open(in_dir("a.db"), 0, err, sizeof(err));
	CHECK(db != NULL);
	if (!db)
		return;
	CHECK_STR(one(db, "PRAGMA journal_mode"), "wal");
	CHECK_STR(one(db, "PRAGMA synchronous"), "2");
	CHECK_STR(one(db, "SELECT count(*) FROM sqlite_master WHERE name = 't'"), "1");
	db_close(db);
	/* Read-only connections get synchronous FULL too. */
	db = db_open(in_dir("a.db"), DB_READONLY, err, sizeof(err));
	CHECK(db != NULL);
	if (!db)
		return;
	CHECK_STR(one(db, "PRAGMA journal_mode"), "wal");
	CHECK_STR(one(db, "PRAGMA synchronous"), "2");
	db_close(db);
	remove_store("a.db");
}

static void test_open_missing(void)
{
	char err[256] = "", want[800];

	CHECK(db_open(in_dir("none.db"), 0, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "cannot open '%s': unable to open database file", in_dir("none.db"));
	CHECK_STR(err, want);
	err[0] = '\0';
	CHECK(db_open(in_dir("none.db"), DB_READONLY, err, sizeof(err)) == NULL);
	CHECK_STR(err, want);
	CHECK(access(in_dir("none.db"), F_OK) < 0);
}

static void test_open_not_a_database(void)
{
	char err[256] = "", junk[4096];
	FILE *f = fopen(in_dir("junk.db"), "wb");

	if (!f)
		die("fopen", strerror(errno));
	memset(junk, 'x', sizeof(junk));
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	CHECK(db_open(in_dir("junk.db"), 0, err, sizeof(err)) == NULL);
	CHECK_STR(err, "the store is damaged or not a Sondeo store: file is not a database");
	remove_store("junk.db");
}

/* A second connection cannot take the write lock while the first holds it: after its busy timeout it says
 * the store is busy, and succeeds once the first lets go. */
static void test_busy(void)
{
	char err[256] = "";
	struct db *a = db_open(in_dir("busy.db"), DB_CREATE, err, sizeof(err));
	struct db *b = a ? db_open(in_dir("busy.db"), 0, err, sizeof(err)) : NULL;
	double t;

	if (!a || !b)
		die("db_open", err);
	CHECK_INT(db_exec(a, "CREATE TABLE t(a)", err, sizeof(err)), 0);
	db_set_busy_ms(b, 100);
	CHECK_INT(db_begin(a, err, sizeof(err)), 0);
	CHECK_INT(db_exec(a, "INSERT INTO t VALUES(1)", err, sizeof(err)), 0);
	t = now_s();
	err[0] = '\0';
	CHECK_INT(db_begin(b, err, sizeof(err)), -1);
	t = now_s() - t;
	CHECK_STR(err, BUSY_MSG);
	CHECK(t >= 0.09);
	CHECK(t < 3.0);
	CHECK_INT(db_in_transaction(b), 0);
	/* A write without a transaction is refused the same way; reading still works (WAL). */
	err[0] = '\0';
	CHECK_INT(db_exec(b, "INSERT INTO t VALUES(2)", err, sizeof(err)), -1);
	CHECK_STR(err, BUSY_MSG);
	CHECK_STR(one(b, "SELECT count(*) FROM t"), "0");
	CHECK_INT(db_commit(a, err, sizeof(err)), 0);
	CHECK_INT(db_begin(b, err, sizeof(err)), 0);
	CHECK_INT(db_exec(b, "INSERT INTO t VALUES(3)", err, sizeof(err)), 0);
	CHECK_INT(db_commit(b, err, sizeof(err)), 0);
	CHECK_STR(one(a, "SELECT group_concat(a) FROM t"), "1,3");
	db_close(b);
	db_close(a);
	remove_store("busy.db");
}

/* Makes a store with one table and one row, closed. */
static void make_store(const char *name)
{
	char err[256];
	struct db *db = db_open(in_dir(name), DB_CREATE, err, sizeof(err));

	if (!db || db_exec(db, "CREATE TABLE t(a); INSERT INTO t VALUES('x')", err, sizeof(err)) < 0)
		die("make_store", err);
	db_close(db);
}

/* A store that another program holds locked for a moment (here about a second, by a connection in exclusive
 * locking mode, as during a checkpoint) opens once the lock is gone: the busy timeout applies to opening too,
 * not only to the statements after it. */
static void test_open_waits_for_lock(void)
{
	char err[256] = "", c;
	int ready[2];
	struct db *db;
	pid_t pid;
	double t;

	make_store("locked.db");
	if (pipe(ready) < 0)
		die("pipe", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		sqlite3 *h = NULL;

		close(ready[0]);
		if (sqlite3_open(in_dir("locked.db"), &h) != SQLITE_OK ||
		    sqlite3_exec(h, "PRAGMA locking_mode=EXCLUSIVE; BEGIN IMMEDIATE; INSERT INTO t VALUES('y');",
				 NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		usleep(1000 * 1000);
		sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(h);
		_exit(0);
	}
	close(ready[1]);
	CHECK_INT(read(ready[0], &c, 1), 1);
	close(ready[0]);
	t = now_s();
	db = db_open(in_dir("locked.db"), 0, err, sizeof(err));
	t = now_s() - t;
	CHECK(db != NULL);
	CHECK_STR(err, "");
	CHECK(t >= 0.5);
	CHECK(t < DB_BUSY_MS / 1000.0);
	if (db)
		CHECK_STR(one(db, "SELECT group_concat(a) FROM t"), "x,y");
	db_close(db);
	{
		int status = -1;

		CHECK_INT(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	remove_store("locked.db");
}

static void test_readonly_flag(void)
{
	char err[256] = "";
	struct db *db;

	make_store("ro.db");
	db = db_open(in_dir("ro.db"), DB_READONLY, err, sizeof(err));
	CHECK(db != NULL);
	if (!db)
		return;
	CHECK_STR(one(db, "SELECT a FROM t"), "x");
	CHECK_INT(db_exec(db, "INSERT INTO t VALUES('y')", err, sizeof(err)), -1);
	CHECK_STR(err, READONLY_MSG);
	/* BEGIN IMMEDIATE is allowed on a read-only connection; the write inside it is not. */
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	err[0] = '\0';
	CHECK_INT(db_exec(db, "UPDATE t SET a = 'z'", err, sizeof(err)), -1);
	CHECK_STR(err, READONLY_MSG);
	db_rollback(db);
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_STR(one(db, "SELECT group_concat(a) FROM t"), "x");
	db_close(db);
	remove_store("ro.db");
}

/* A store file without write permission opens (SQLite falls back to reading) and the first write says it is
 * read-only. Root ignores file permissions, so this test only runs for other users. */
static void test_step_done(void)
{
	char err[256] = "";
	struct db *db = db_open(":memory:", DB_CREATE, err, sizeof(err));
	struct db_stmt *st;

	if (!db || db_exec(db, "CREATE TABLE t(a UNIQUE)", err, sizeof(err)) < 0)
		die("db_open", err);
	st = db_prepare(db, "INSERT INTO t VALUES(?1)", err, sizeof(err));
	CHECK(st != NULL);
	if (!st)
		return;
	CHECK_INT(db_bind_text(st, 1, "x"), DB_OK);
	CHECK_INT(db_step_done(st, err, sizeof(err)), 0);
	/* Reset by db_step_done: it runs again with the same binding, and fails on the constraint. */
	CHECK_INT(db_step_done(st, err, sizeof(err)), -1);
	CHECK_STR(err, "store error: UNIQUE constraint failed: t.a");
	/* ... and is reset after the failure too. */
	CHECK_INT(db_bind_text(st, 1, "y"), DB_OK);
	CHECK_INT(db_step_done(st, err, sizeof(err)), 0);
	/* NULL binds SQL NULL. */
	CHECK_INT(db_bind_text(st, 1, NULL), DB_OK);
	CHECK_INT(db_step_done(st, err, sizeof(err)), 0);
	db_finalize(st);
	CHECK_STR(one(db, "SELECT count(*) FROM t WHERE a IS NULL"), "1");
	CHECK_STR(one(db, "SELECT group_concat(a) FROM t"), "x,y");
	/* A statement that returns rows counts as done and is reset: it starts again at the first row. */
	st = db_prepare(db, "SELECT a FROM t WHERE a IS NOT NULL ORDER BY a", err, sizeof(err));
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_INT(db_step_done(st, err, sizeof(err)), 0);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK_STR(db_text(st, 0), "x");
	db_finalize(st);
	db_close(db);
}

static void test_text(void)
{
	char err[256] = "";
	struct db *db = db_open(":memory:", DB_CREATE, err, sizeof(err));
	struct db_stmt *st = db ? db_prepare(db, "SELECT NULL, 'abc', 5, ''", err, sizeof(err)) : NULL;

	if (!st)
		die("db_prepare", err);
	CHECK_INT(db_step(st), DB_ROW);
	CHECK(db_text(st, 0) != NULL);
	CHECK_STR(db_text(st, 0), "");
	CHECK_STR(db_text(st, 1), "abc");
	CHECK_STR(db_text(st, 2), "5");
	CHECK_STR(db_text(st, 3), "");
	db_finalize(st);
	db_close(db);
}

static void test_error_messages(void)
{
	char err[256];

#define MSG(rc, want) do { \
	err[0] = '\0'; \
	errno = 0; \
	CHECK_INT(db_error(NULL, (rc), err, sizeof(err)), -1); \
	CHECK_STR(err, want); \
} while (0)
	MSG(DB_BUSY, BUSY_MSG);
	MSG(SQLITE_BUSY_SNAPSHOT, BUSY_MSG);
	MSG(SQLITE_LOCKED, BUSY_MSG);
	MSG(SQLITE_READONLY, READONLY_MSG);
	MSG(SQLITE_READONLY_DBMOVED, READONLY_MSG);
	MSG(SQLITE_FULL, "the disk is full");
	MSG(DB_CORRUPT, "the store is damaged or not a Sondeo store: database disk image is malformed");
	MSG(SQLITE_NOTADB, "the store is damaged or not a Sondeo store: file is not a database");
	MSG(SQLITE_CANTOPEN, "cannot open the store: unable to open database file");
	MSG(SQLITE_IOERR, "input/output error on the store: disk I/O error");
	MSG(SQLITE_IOERR_WRITE, "cannot write the store (disk I/O error)");
	MSG(SQLITE_IOERR_FSYNC, "cannot write the store (disk I/O error)");
	MSG(SQLITE_MISUSE, "store error: bad parameter or other API misuse");
	/* An I/O error while the disk is full is a failed write. */
	err[0] = '\0';
	errno = ENOSPC;
	CHECK_INT(db_error(NULL, SQLITE_IOERR_SHORT_READ, err, sizeof(err)), -1);
	CHECK_STR(err, "cannot write the store (disk I/O error)");
#undef MSG
	/* No buffer: still -1, nothing written. */
	CHECK_INT(db_error(NULL, SQLITE_FULL, NULL, 0), -1);
	/* A small buffer is cut, not overrun. */
	memset(err, '#', sizeof(err));
	CHECK_INT(db_error(NULL, SQLITE_FULL, err, 9), -1);
	CHECK_STR(err, "the disk");
	CHECK_INT(err[9], '#');
}

static void test_exec_prepare_commit(void)
{
	char err[256] = "";
	struct db *db = db_open(":memory:", DB_CREATE, err, sizeof(err));

	if (!db)
		die("db_open", err);
	CHECK_INT(db_exec(db, "BOGUS", err, sizeof(err)), -1);
	CHECK_STR(err, "store error: near \"BOGUS\": syntax error");
	err[0] = '\0';
	CHECK(db_prepare(db, "SELECT * FROM nowhere", err, sizeof(err)) == NULL);
	CHECK_STR(err, "store error: no such table: nowhere");
	/* Commit without a transaction fails; rollback without one does nothing. */
	err[0] = '\0';
	CHECK_INT(db_commit(db, err, sizeof(err)), -1);
	CHECK_STR(err, "store error: cannot commit - no transaction is active");
	db_rollback(db);
	CHECK_INT(db_in_transaction(db), 0);
	/* Rollback undoes; a transaction can follow. */
	CHECK_INT(db_exec(db, "CREATE TABLE t(a)", err, sizeof(err)), 0);
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_exec(db, "INSERT INTO t VALUES(1)", err, sizeof(err)), 0);
	db_rollback(db);
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_STR(one(db, "SELECT count(*) FROM t"), "0");
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_exec(db, "INSERT INTO t VALUES(2)", err, sizeof(err)), 0);
	CHECK_INT(db_commit(db, err, sizeof(err)), 0);
	CHECK_STR(one(db, "SELECT group_concat(a) FROM t"), "2");
	/* A failed commit (a deferred foreign key broken) rolls back and leaves no transaction open. */
	CHECK_INT(db_exec(db, "CREATE TABLE p(id INTEGER PRIMARY KEY);"
			  " CREATE TABLE c(p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)", err, sizeof(err)), 0);
	CHECK_INT(db_begin(db, err, sizeof(err)), 0);
	CHECK_INT(db_exec(db, "INSERT INTO c VALUES(7)", err, sizeof(err)), 0);
	CHECK_INT(db_commit(db, err, sizeof(err)), -1);
	CHECK_STR(err, "store error: FOREIGN KEY constraint failed");
	CHECK_INT(db_in_transaction(db), 0);
	CHECK_STR(one(db, "SELECT count(*) FROM c"), "0");
	db_close(db);
}

/* db_on_checkpoint's fn: counts the WALs it was handed and keeps the last path. */
static int handed;
static char handed_path[700];

static void take_checkpoint(void *ctx, const char *path)
{
	(void)ctx;
	handed++;
	snprintf(handed_path, sizeof(handed_path), "%s", path);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* A commit that fills the WAL checkpoints it, unless another thread is to (db_on_checkpoint): then the WAL is
 * handed over, with the database's path, and left as it is. */
static void test_checkpoint_handed_off(void)
{
	char err[256] = "", wal[720];
	struct db *db = db_open(in_dir("k.db"), DB_CREATE, err, sizeof(err));
	long long before;

	CHECK(db != NULL);
	if (!db)
		return;
	snprintf(wal, sizeof(wal), "%s-wal", in_dir("k.db"));
	/* One commit of some 1,250 pages of 4 KiB. */
	CHECK_INT(db_exec(db, "CREATE TABLE t(a); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
			  " WHERE i < 5000) INSERT INTO t SELECT randomblob(1000) FROM n", err, sizeof(err)), 0);
	/* By the committing connection: the database file holds the rows now. */
	CHECK(file_size(in_dir("k.db")) > 4000000);
	before = file_size(in_dir("k.db"));
	db_on_checkpoint(take_checkpoint, NULL);
	CHECK_INT(db_exec(db, "INSERT INTO t SELECT randomblob(1000) FROM t", err, sizeof(err)), 0);
	db_on_checkpoint(NULL, NULL);
	CHECK_INT(handed, 1);
	CHECK_STR(handed_path, in_dir("k.db"));
	/* Handed over: the new rows are only in the WAL. */
	CHECK(file_size(in_dir("k.db")) == before);
	CHECK(file_size(wal) > 4000000);
	/* Taken back: the next commit that fills the WAL checkpoints it again itself. */
	CHECK_INT(db_exec(db, "INSERT INTO t SELECT randomblob(1000) FROM t LIMIT 5000", err, sizeof(err)), 0);
	CHECK_INT(handed, 1);
	CHECK(file_size(in_dir("k.db")) > before + 4000000);
	db_close(db);
	remove_store("k.db");
}

/* Another program's connection, which change_schema uses to change the schema in the middle of a prepare of the
 * store's connection, and how many times it did. */
static sqlite3 *other;
static int changed;

/* The store's connection's authorizer (hook_connection): called as a statement is parsed, after the table it
 * writes is found and before the virtual table is connected (which reads its own tables); another program makes a
 * table right then, as the server does when a form arrives while an admin command opens the store. */
static int change_schema(void *ctx, int action, const char *a, const char *b, const char *c, const char *d)
{
	char sql[64];

	(void)ctx, (void)b, (void)c, (void)d;
	if (action == SQLITE_INSERT && a && strcmp(a, "ft") == 0 && other && changed < 100) {
		snprintf(sql, sizeof(sql), "CREATE TABLE made%d(a)", changed);
		if (sqlite3_exec(other, sql, NULL, NULL, NULL) == SQLITE_OK)
			changed++;
	}
	return SQLITE_OK;
}

/* An automatic extension: each connection opened while it is set gets change_schema. */
static int hook_connection(sqlite3 *db, char **errmsg, const struct sqlite3_api_routines *api)
{
	(void)errmsg, (void)api;
	sqlite3_set_authorizer(db, change_schema, NULL);
	return SQLITE_OK;
}

/* A statement that writes an FTS5 table is prepared whole while another program changes the schema under it, at
 * the worst moment: by db_prepare, db_prepare_once and db_prepare_all, outside a transaction and inside one begun
 * for reading; never "database schema has changed" nor "vtable constructor failed". */
static void test_prepare_while_schema_changes(void)
{
	static const char *const all[] = { "INSERT INTO ft(rowid, body) VALUES(?1, ?2)", "SELECT count(*) FROM ft",
					   "INSERT INTO ft(ft, rowid, body) VALUES('delete', ?1, ?2)" };
	static const char once[] = "INSERT INTO ft(rowid, body) VALUES(1, 'one')";
	char err[256] = "", made[16];
	struct db_stmt *st, *set[3];
	struct db *db;
	int i;

	CHECK_INT(sqlite3_open(in_dir("s.db"), &other), SQLITE_OK);
	sqlite3_busy_timeout(other, 5000);
	CHECK_INT(sqlite3_exec(other, "PRAGMA journal_mode=WAL; CREATE VIRTUAL TABLE ft USING fts5(body, content='')",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_auto_extension((void (*)(void))hook_connection);
	db = db_open(in_dir("s.db"), 0, err, sizeof(err));
	sqlite3_reset_auto_extension();
	CHECK(db != NULL);
	if (!db) {
		sqlite3_close(other);
		return;
	}
	for (i = 0; i < 5; i++) {
		err[0] = '\0';
		st = db_prepare(db, all[0], err, sizeof(err));
		CHECK_STR(err, "");
		db_finalize(st);
		st = db_prepare_once(db, once, sizeof(once) - 1, err, sizeof(err));
		CHECK_STR(err, "");
		db_finalize(st);
		CHECK_INT(db_prepare_all(db, all, NULL, set, 3, err, sizeof(err)), 0);
		CHECK_STR(err, "");
		db_finalize_all(set, 3);
		CHECK_INT(db_begin_read(db, err, sizeof(err)), 0);
		st = db_prepare(db, all[0], err, sizeof(err));
		CHECK_STR(err, "");
		db_finalize(st);
		db_rollback(db);
	}
	/* The schema did change under every one of them (five a round), and the store's connection sees it now. */
	CHECK(changed >= 25);
	snprintf(made, sizeof(made), "%d", changed);
	CHECK_STR(one(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'made%'"), made);
	changed = 100;
	CHECK_INT(db_exec(db, once, err, sizeof(err)), 0);
	CHECK_STR(one(db, "SELECT count(*) FROM ft"), "1");
	db_close(db);
	sqlite3_close(other);
	other = NULL;
	remove_store("s.db");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/sondeo-test-db.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	RUN(test_open_durable);
	RUN(test_open_missing);
	RUN(test_open_not_a_database);
	RUN(test_busy);
	RUN(test_open_waits_for_lock);
	RUN(test_readonly_flag);
	RUN(test_step_done);
	RUN(test_text);
	RUN(test_error_messages);
	RUN(test_exec_prepare_commit);
	RUN(test_checkpoint_handed_off);
	RUN(test_prepare_while_schema_changes);
	if (rmdir(dir) < 0) {
		printf("not ok cleanup: cannot remove '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	return test_done();
}
