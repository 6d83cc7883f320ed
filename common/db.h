/* db.h - the one way Sondeo's stores speak SQL: a connection, prepared statements, transactions and errors,
 * shared by the client and the server.
 *
 * The handles are opaque so that a store's code is the same whatever engine is under it: SQLite, which every
 * laptop and the default server use, or PostgreSQL (db-pg.c). SQL is written once, as both engines read it: in a
 * table's definition INTEGER is a 64-bit integer, REAL a double and BLOB bytes, and INTEGER PRIMARY KEY an id the
 * engine gives (PostgreSQL's engine writes BIGINT, DOUBLE PRECISION, BYTEA and an identity column); no integer
 * stands for a boolean (write conflict <> 0); a table with neither an INTEGER PRIMARY KEY nor WITHOUT ROWID has
 * SQLite's rowid, its rows in the order they were inserted, on both; CROSS JOIN, which fixes SQLite's join order,
 * always has its ON, and INDEXED BY is SQLite's alone (PostgreSQL's engine leaves both to its planner); HAVING
 * names no column by its alias; SQLite's min and max of two values, sum of comparisons, group_concat and the JSON functions
 * the stores use are the engines' (PostgreSQL's engine adds them, a JSON value read as text). Each store opened
 * with db_open runs in WAL mode with synchronous=FULL, so a committed transaction survives kill -9 and power loss,
 * and waits a few seconds for another program's lock before saying the store is busy. SQL goes only through
 * prepared statements with bound values; parameters are written ?1, ?2... or :name.
 *
 * Result codes are SQLite's numbers (DB_ROW, DB_DONE, DB_BUSY...), so that one test tells a full disk or a busy
 * store apart whatever the engine. Errors are 0 / -1 with a message in err; the message says what a person can
 * do ("the disk is full: nothing was saved"). */
#ifndef SONDEO_DB_H
#define SONDEO_DB_H

#include <stddef.h>
#include <stdint.h>

#define DB_BUSY_MS 5000

/* db_open's flags. */
enum { DB_CREATE = 1, DB_READONLY = 2 };

/* What db_step and the other calls answer: DB_ROW, DB_DONE, or an error code whose low byte (rc & 0xff) is one
 * of these (SQLite says more above it); db_error tells them apart for people. */
enum {
	DB_OK = 0, DB_ERROR = 1, DB_BUSY = 5, DB_NOMEM = 7, DB_CORRUPT = 11, DB_FULL = 13, DB_CONSTRAINT = 19,
	DB_ROW = 100, DB_DONE = 101
};

/* A column's type in the current row. */
enum { DB_INTEGER = 1, DB_FLOAT = 2, DB_TEXT = 3, DB_BLOB = 4, DB_NULL = 5 };

struct db;        /* a connection, owned by whoever opened it */
struct db_stmt;   /* a prepared statement of one connection, owned by whoever prepared it */

/* Opens (or with DB_CREATE creates) the SQLite database at path. Returns NULL with err on failure. */
struct db *db_open(const char *path, int flags, char *err, size_t errlen);
/* Connects to the PostgreSQL database conninfo names (a libpq connection string or URI, "service=NAME"; a
 * password comes from ~/.pgpass or the service file, never from here), loading libpq on first use (db-pg.c).
 * Statements are written as for SQLite, ?N and :name, and run as PostgreSQL's $N. NULL with err. */
struct db *db_open_pg(const char *conninfo, char *err, size_t errlen);
/* Closes db; its statements must have been finalized. NULL is fine. */
void db_close(struct db *db);
/* How long db waits for another connection's lock before answering DB_BUSY (DB_BUSY_MS unless set). */
void db_set_busy_ms(struct db *db, int ms);
/* The process uses its connections from one thread at a time, and never asks how much memory SQLite holds (the
 * laptop's sondeo): SQLite's locks and counters are left out. Call before anything else opens a database. */
void db_single_thread(void);
/* Runs SQL without parameters (schema, pragmas), one statement or several. */
int db_exec(struct db *db, const char *sql, char *err, size_t errlen);
/* Prepares sql, kept for the connection's life (a module's table of statements); NULL with err on failure. */
struct db_stmt *db_prepare(struct db *db, const char *sql, char *err, size_t errlen);
/* Prepares the first len bytes of sql, built for one use (a selection's filters); NULL with err. */
struct db_stmt *db_prepare_once(struct db *db, const char *sql, size_t len, char *err, size_t errlen);
/* Prepares sql[0..n) into st[0..n) (each module keeps its statements in such a table; a NULL entry of sql is
 * left NULL in st, so a table may be sized with room to spare). On PostgreSQL an entry of pg (may be NULL) that
 * is not NULL is prepared instead of sql's: the few statements each engine writes its own way, side by side in
 * the module. On failure, finalizes what it prepared, leaves st all NULL and returns -1 with err. */
int db_prepare_all(struct db *db, const char *const *sql, const char *const *pg, struct db_stmt **st, int n,
		   char *err, size_t errlen);
/* Has the engine compile now every statement of db it keeps for its first run: PostgreSQL prepares a statement on
 * the server when it is first run, since a command runs a few of the many its store prepares; a server calls this
 * as it starts, so that a statement the engine refuses is said then, as SQLite says it at db_prepare. 0, or -1
 * with err naming the statement. */
int db_check(struct db *db, char *err, size_t errlen);
/* Finalizes st (NULL is fine), or st[0..n), setting them NULL. */
void db_finalize(struct db_stmt *st);
void db_finalize_all(struct db_stmt **st, int n);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to DB_BUSY_MS), COMMIT, ROLLBACK (a no-op outside a
 * transaction). db_begin_read starts a transaction that reads one state of the store and takes no lock until it
 * writes. */
int db_begin(struct db *db, char *err, size_t errlen);
int db_begin_read(struct db *db, char *err, size_t errlen);
int db_commit(struct db *db, char *err, size_t errlen);
void db_rollback(struct db *db);
/* Whether db's database has a table (not a view) called name, or the column column in table: 1, 0, or -1 with
 * err. */
int db_has_table(struct db *db, const char *name, char *err, size_t errlen);
int db_has_column(struct db *db, const char *table, const char *column, char *err, size_t errlen);
/* Inside a write transaction, from db_gather(db, 1) to db_gather(db, 0) (or the transaction's end), rows written
 * with db_step_done may be sent together: on PostgreSQL, the rows of a statement INSERT INTO t(...) VALUES(...)
 * whose parameters are all in that list are gathered and sent as one statement over arrays (unnest), before
 * anything else runs, so that what runs next sees them; a merge writes tens of thousands of rows a change set,
 * which PostgreSQL then runs as a few statements, not one each. SQLite writes each row as it comes. The caller
 * promises that the rows one statement gathers do not meet each other in an ON CONFLICT DO UPDATE (PostgreSQL
 * refuses a row changed twice by one statement), and that rows of different statements do not depend on their
 * order among themselves: each statement's are sent in the order of its first. An error a gathered row meets is
 * told by a later call (at the latest the commit), and fails the transaction. 0, or -1 with err. */
int db_gather(struct db *db, int on, char *err, size_t errlen);
/* Whether db is a PostgreSQL connection: for the few statements each engine writes its own way (side by side). */
int db_is_pg(struct db *db);
/* Whether a transaction is open on db. */
int db_in_transaction(struct db *db);
/* Inside a write transaction, takes until its end a lock on each of names[0..n) (the records a change set
 * touches, a device's id), so that two transactions on the same thing take turns, the second reading what the
 * first committed. All of one transaction's locks must be taken in one call: they are taken in one order (by
 * the names' hashes), so two transactions never each hold what the other waits for. On SQLite the write
 * transaction already shuts out every other writer, and this does nothing. 0, or -1 with err (busy after the
 * connection's wait). */
int db_lock(struct db *db, const char *const *names, size_t n, char *err, size_t errlen);
/* fn(ctx) is called when a transaction of db is rolled back, whoever rolls it back (NULL fn: no longer). */
void db_on_rollback(struct db *db, void (*fn)(void *ctx), void *ctx);

/* Puts a message for result code rc (from db, which may be NULL) in err, translated for people where it matters:
 * busy, read-only, full disk, corrupt. Returns -1. */
int db_error(struct db *db, int rc, char *err, size_t errlen);
/* The engine's own words for db's last error. */
const char *db_errmsg(struct db *db);

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
 * database at path, which must be done soon on another connection (db_checkpoint): sondeod's checkpointer
 * thread, so that a request never waits for a checkpoint. fn must be quick and must not use the database.
 * Thread-safe: once this has returned, the fn it replaced is no longer running or called. */
#define DB_CHECKPOINT_PAGES 1000
void db_on_checkpoint(void (*fn)(void *ctx, const char *path), void *ctx);
/* Copies what it can of db's WAL back into the database without waiting for readers or writers. */
void db_checkpoint(struct db *db);
/* Copies the whole database of db into the existing empty file path, as one consistent state (read in one
 * transaction while others write), a single file without a WAL; then runs the SQL then (may be NULL) on the copy.
 * 0, or -1 with err. */
int db_backup(struct db *db, const char *path, const char *then, char *err, size_t errlen);

/* Steps st: DB_ROW (a row to read), DB_DONE, or an error code for db_error. */
int db_step(struct db_stmt *st);
/* Steps a statement whose rows are not read and resets it; 0 or -1 with err. On PostgreSQL, inside a transaction,
 * it is sent without waiting for its answer, in a pipeline with the next ones (a round trip each would cost more
 * than the statements): an error it meets is returned by the next call that waits for the server (a statement
 * stepped, db_changes, the commit), and fails the transaction as it would have. */
int db_step_done(struct db_stmt *st, char *err, size_t errlen);
/* db_reset makes st ready to step again from its start, its bindings kept; db_clear forgets the bindings. */
void db_reset(struct db_stmt *st);
void db_clear(struct db_stmt *st);
/* Marks st, not yet stepped, as one whose rows may be many (an export of every record): they are read a page at a
 * time rather than all at once. SQLite reads every statement so; PostgreSQL's engine through a cursor, in the
 * caller's transaction or a read-only one of its own that ends with the rows (or db_reset). */
void db_stream(struct db_stmt *st);
/* The connection st belongs to. */
struct db *db_of(struct db_stmt *st);
/* Steps an INSERT ... RETURNING of one integer (the id the engine gave the row) and resets it: that integer, or
 * -1 with err. */
int64_t db_step_id(struct db_stmt *st, char *err, size_t errlen);
/* The rows the last INSERT, UPDATE or DELETE of db changed. */
int64_t db_changes(struct db *db);

/* Binding parameter i (from 1). Text and blobs are not copied: they must stay valid until the statement has
 * been stepped, and every parameter is bound again before each step. db_bind_text with NULL binds SQL NULL.
 * Each returns the engine's code (DB_OK). */
int db_bind_int(struct db_stmt *st, int i, int64_t v);
int db_bind_float(struct db_stmt *st, int i, double v);
int db_bind_text(struct db_stmt *st, int i, const char *s);
int db_bind_text_n(struct db_stmt *st, int i, const char *s, size_t n);
int db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
int db_bind_null(struct db_stmt *st, int i);
/* Binds to the named parameter name (":form") a copy of text v, or an integer; a statement without that
 * parameter is left as it is, so that SQL built from optional parts binds everything the same way. */
void db_bind_named_text(struct db_stmt *st, const char *name, const char *v);
void db_bind_named_int(struct db_stmt *st, const char *name, int64_t v);

/* Column i (from 0) of the current row. Text is never NULL ("" for SQL NULL); text and blobs are valid until
 * the next step, reset or finalize of st. */
int64_t db_int(struct db_stmt *st, int i);
double db_float(struct db_stmt *st, int i);
const char *db_text(struct db_stmt *st, int i);
const void *db_blob(struct db_stmt *st, int i);
size_t db_bytes(struct db_stmt *st, int i);
int db_type(struct db_stmt *st, int i);
int db_is_null(struct db_stmt *st, int i);
int db_columns(struct db_stmt *st);

#endif
