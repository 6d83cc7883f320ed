/* teststore.h - the server store's unit tests on either engine.
 *
 * With SONDEO_TEST_PG (a libpq connection string: tests/cli/pg-engine.sh starts a throwaway cluster and runs the
 * store's tests with it), each store a test makes lives in a schema of its own in that PostgreSQL database, named
 * in the data directory's store.conf; without it, in the directory's SQLite file. The tests read and change the
 * store's tables behind its back through teststore_int, teststore_text and teststore_exec, which speak db.h to
 * whichever engine holds them. */
#ifndef SONDEO_TESTSTORE_H
#define SONDEO_TESTSTORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "dbstore.h"
#include "sstore.h"

/* SONDEO_TEST_PG, or NULL when the stores are SQLite files. */
static inline const char *teststore_pg(void)
{
	return getenv("SONDEO_TEST_PG");
}

/* sstore_init on the engine the run asks for. */
static inline int teststore_init(const char *dir, char *password, size_t passlen, char *err, size_t errlen)
{
	static unsigned made;
	const char *pg = teststore_pg();
	char conninfo[1024], sql[160];
	struct db *db;
	int r;

	if (!pg)
		return sstore_init(dir, NULL, password, passlen, err, errlen);
	if (!made)
		printf("# stores in PostgreSQL\n");
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS store_%ld_%u CASCADE; CREATE SCHEMA store_%ld_%u",
		 (long)getpid(), made, (long)getpid(), made);
	if (!(db = db_open_pg(pg, err, errlen)))
		return -1;
	r = db_exec(db, sql, err, errlen);
	db_close(db);
	if (r < 0)
		return -1;
	snprintf(conninfo, sizeof(conninfo), "%s options='-c search_path=store_%ld_%u'", pg, (long)getpid(), made++);
	return sstore_init(dir, conninfo, password, passlen, err, errlen);
}

/* A connection of its own to the database of the store in dir; NULL (said on stderr) on failure. */
static inline struct db *teststore_db(const char *dir)
{
	char conninfo[1024], path[1024], err[512];
	struct db *db = NULL;
	int pg = dbstore_conf_read(dir, conninfo, sizeof(conninfo), err, sizeof(err));

	if (pg > 0) {
		db = db_open_pg(conninfo, err, sizeof(err));
	} else if (pg == 0) {
		snprintf(path, sizeof(path), "%s/server.db", dir);
		db = db_open(path, 0, err, sizeof(err));
	}
	if (!db)
		fprintf(stderr, "# teststore: %s: %s\n", dir, err);
	return db;
}

/* The first column of sql's first row (its ?1 bound to arg, unless NULL) as an integer, from the store in dir;
 * -1 when there is no row or on error. */
static inline long long teststore_int(const char *dir, const char *sql, const char *arg)
{
	struct db *db = teststore_db(dir);
	struct db_stmt *st = db ? db_prepare_once(db, sql, strlen(sql), NULL, 0) : NULL;
	long long v = -1;

	if (st) {
		if (arg)
			db_bind_text(st, 1, arg);
		if (db_step(st) == DB_ROW && !db_is_null(st, 0))
			v = db_int(st, 0);
		db_finalize(st);
	}
	db_close(db);
	return v;
}

/* The same as text into out (n bytes): out, "" when there is no row, "(error)" on error. */
static inline const char *teststore_text(const char *dir, const char *sql, const char *arg, char *out, size_t n)
{
	struct db *db = teststore_db(dir);
	struct db_stmt *st = db ? db_prepare_once(db, sql, strlen(sql), NULL, 0) : NULL;
	int rc;

	snprintf(out, n, "(error)");
	if (st) {
		if (arg)
			db_bind_text(st, 1, arg);
		rc = db_step(st);
		if (rc == DB_ROW)
			snprintf(out, n, "%s", db_text(st, 0));
		else if (rc == DB_DONE)
			out[0] = '\0';
		db_finalize(st);
	}
	db_close(db);
	return out;
}

/* Runs sql (statements without parameters) on the store in dir: 0, or -1 said on stderr. */
static inline int teststore_exec(const char *dir, const char *sql)
{
	struct db *db = teststore_db(dir);
	char err[512];
	int r = db ? db_exec(db, sql, err, sizeof(err)) : -1;

	if (db && r < 0)
		fprintf(stderr, "# teststore: %s: %s\n", sql, err);
	db_close(db);
	return r;
}

#endif
