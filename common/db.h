/* db.h - SQLite helpers shared by the client and the server: opening a store durably, statements, errors.
 *
 * Every store runs in WAL mode with synchronous=FULL, so a committed transaction survives kill -9 and power
 * loss, and waits a few seconds for another process's lock before saying the store is busy. SQL goes only
 * through prepared statements with bound values. Errors are 0 / -1 with a message in err; the message says
 * what a person can do ("the disk is full: nothing was saved"). */
#ifndef SONDEO_DB_H
#define SONDEO_DB_H

#include <sqlite3.h>
#include <stddef.h>

#define DB_BUSY_MS 5000

enum { DB_CREATE = 1, DB_READONLY = 2 };

/* Opens (or with DB_CREATE creates) the database at path. Returns NULL with err on failure. */
sqlite3 *db_open(const char *path, int flags, char *err, size_t errlen);
void db_close(sqlite3 *db);
/* Runs SQL without parameters (schema, pragmas). */
int db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Prepares sql; NULL with err on failure. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Prepares sql[0..n) into st[0..n) (each module keeps its statements in such a table; a NULL entry of sql is
 * left NULL in st, so a table may be sized with room to spare). On failure, finalizes
 * what it prepared, leaves st all NULL and returns -1 with err. */
int db_prepare_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, int n, char *err, size_t errlen);
/* Finalizes st[0..n); NULL entries are fine. */
void db_finalize_all(sqlite3_stmt **st, int n);
/* BEGIN IMMEDIATE (takes the write lock now, waiting up to DB_BUSY_MS), COMMIT, ROLLBACK. */
int db_begin(sqlite3 *db, char *err, size_t errlen);
int db_commit(sqlite3 *db, char *err, size_t errlen);
void db_rollback(sqlite3 *db);
/* Puts a message for SQLite result code rc (from db) in err, translated for people where it matters: busy,
 * read-only, full disk, corrupt. Returns -1. */
int db_error(sqlite3 *db, int rc, char *err, size_t errlen);

/* Whether this process's stores could write at their last try. A write that failed for lack of room or on an
 * I/O error while writing (each such failure goes through db_error) makes them unwritable; the next commit that
 * writes anything makes them writable again. Returns 1 or 0;
 * why (may be NULL) gets the failure's message ("the disk is full"), "" when writable. Thread-safe. */
int db_writable(char *why, size_t n);
/* fn(writable, path, why) is called at each change of that state, on the thread that saw it, with the store's
 * file and the message (sondeod logs it). */
void db_on_writable(void (*fn)(int writable, const char *path, const char *why));
/* Who copies a WAL back into its database once it holds DB_CHECKPOINT_PAGES pages: the connection that has just
 * committed, as SQLite does by default (fn NULL); or, with fn set, whatever fn(ctx, path) arranges for the
 * database at path, which must be done soon on another connection: sondeod's checkpointer thread, so that a
 * request never waits for a checkpoint. fn must be quick and must not use SQLite. Thread-safe: once this has
 * returned, the fn it replaced is no longer running or called. */
#define DB_CHECKPOINT_PAGES 1000
void db_on_checkpoint(void (*fn)(void *ctx, const char *path), void *ctx);

/* Binds text (NULL binds SQL NULL) without copying it: s must stay valid until the statement has been
 * stepped, and every parameter is bound again before each step. Returns the SQLite code. */
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Binds to the named parameter name (":form") a copy of text v, or an integer; a statement without that
 * parameter is left as it is, so that SQL built from optional parts binds everything the same way. */
void db_bind_named_text(sqlite3_stmt *st, const char *name, const char *v);
void db_bind_named_int(sqlite3_stmt *st, const char *name, sqlite3_int64 v);
/* Steps a statement that returns no row and resets it; 0 or -1 with err. */
int db_step_done(sqlite3_stmt *st, char *err, size_t errlen);
/* Column text, never NULL ("" for SQL NULL). */
const char *db_text(sqlite3_stmt *st, int i);

#endif
