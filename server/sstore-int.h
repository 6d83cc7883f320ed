/* sstore-int.h - the inside of the server's store, shared by the files that implement sstore.h: sstore.c (devices,
 * codes, forms, ingest, pull), sstore-users.c (accounts, sessions, audit) and sstore-review.c (what the review
 * page reads and the server's own ops). Nothing outside these files includes it. */
#ifndef SONDEO_SSTORE_INT_H
#define SONDEO_SSTORE_INT_H

#include <sqlite3.h>

#include "keys.h"
#include "merge.h"

/* Each file keeps its statements in a table of its own, prepared when the store opens (db_prepare_all). */
#define SSTORE_CORE_STMTS 32
#define SSTORE_USERS_STMTS 24
#define SSTORE_REVIEW_STMTS 40

extern const char *const sstore_users_sql[SSTORE_USERS_STMTS];
extern const char *const sstore_review_sql[SSTORE_REVIEW_STMTS];

struct sstore {
	char *dir;
	sqlite3 *db;
	struct keys *keys;
	struct merge *merge;
	sqlite3_stmt *st[SSTORE_CORE_STMTS];    /* sstore.c's */
	sqlite3_stmt *ust[SSTORE_USERS_STMTS];  /* sstore-users.c's */
	sqlite3_stmt *rst[SSTORE_REVIEW_STMTS]; /* sstore-review.c's */
};

#endif
