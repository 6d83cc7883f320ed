/* db-engine.h - what db.c and an engine other than SQLite (db-pg.c) share: the handles' insides and the table of
 * an engine's functions. Nothing else includes it: the stores see db.h's opaque handles.
 *
 * A connection with e NULL is SQLite's, which db.c runs itself (the laptop's and the default server's path, one
 * test away from the library); with e set, every call goes to e's function, with the same contract as db.h's. */
#ifndef SONDEO_DB_ENGINE_H
#define SONDEO_DB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct sqlite3;
struct sqlite3_stmt;

struct db_engine;

struct db {
	struct sqlite3 *lite;            /* SQLite's connection, or NULL */
	const struct db_engine *e;      /* another engine, or NULL */
	void *x;                         /* e's connection */
	void (*on_rollback)(void *ctx);  /* db_on_rollback, for an engine without such a hook */
	void *on_rollback_ctx;
};

struct db_stmt {
	struct sqlite3_stmt *lite;       /* SQLite's statement, or NULL */
	struct db *db;
	void *x;                         /* e's statement */
};

/* An engine's functions: each as db.h's function of the same name, for connections and statements of e. */
struct db_engine {
	void (*close)(struct db *db);
	void (*set_busy_ms)(struct db *db, int ms);
	int (*exec)(struct db *db, const char *sql, char *err, size_t errlen);
	/* Prepares sql[0..len) into st->x, kept for the connection's life or built for one use (once). */
	int (*prepare)(struct db *db, struct db_stmt *st, const char *sql, size_t len, int once, char *err,
		       size_t errlen);
	int (*check)(struct db *db, char *err, size_t errlen);
	void (*finalize)(struct db_stmt *st);
	int (*begin)(struct db *db, int read_only, char *err, size_t errlen);
	int (*commit)(struct db *db, char *err, size_t errlen);
	void (*rollback)(struct db *db);
	int (*in_transaction)(struct db *db);
	/* db_lock's locks, by key: keys[0..n) sorted, each once. */
	int (*lock)(struct db *db, const int64_t *keys, size_t n, char *err, size_t errlen);
	int (*error)(struct db *db, int rc, char *err, size_t errlen);
	const char *(*errmsg)(struct db *db);
	int (*step)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);
	void (*clear)(struct db_stmt *st);
	int64_t (*changes)(struct db *db);
	/* Binds parameter i: type DB_INTEGER (iv), DB_FLOAT (fv), DB_TEXT (p, n bytes; NUL-terminated and kept by
	 * the caller unless copy), DB_BLOB (p, n), DB_NULL. */
	int (*bind)(struct db_stmt *st, int i, int type, int64_t iv, double fv, const void *p, size_t n, int copy);
	/* The index of the named parameter (":form"), 0 if the statement has none of that name. */
	int (*named)(struct db_stmt *st, const char *name);
	int64_t (*col_int)(struct db_stmt *st, int i);
	double (*col_float)(struct db_stmt *st, int i);
	const char *(*col_text)(struct db_stmt *st, int i);
	const void *(*col_blob)(struct db_stmt *st, int i);
	size_t (*col_bytes)(struct db_stmt *st, int i);
	int (*col_type)(struct db_stmt *st, int i);
	int (*columns)(struct db_stmt *st);
	void (*stream)(struct db_stmt *st);
	/* db_step_done's step: as step, for a statement whose rows are not read. */
	int (*step_done)(struct db_stmt *st);
	int (*gather)(struct db *db, int on, char *err, size_t errlen);
};

/* db_error for an engine: the message people read for result code rc (DB_BUSY, DB_FULL...), msg being the
 * engine's own words; a full disk makes the process's stores unwritable (db_writable). Returns -1. */
int db_engine_error(int rc, const char *msg, char *err, size_t errlen);
/* The commit of a write made the stores writable again (db_writable). */
void db_engine_wrote(void);

#endif
