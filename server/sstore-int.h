/* sstore-int.h - the inside of the server's store, shared by the files that implement sstore.h: sstore.c (devices,
 * codes, forms, ingest, pull), sstore-users.c (accounts, sessions, audit), sstore-review.c (what the review
 * page reads), sstore-own.c (the server's own ops), sstore-counts.c (the dashboard's counts) and sstore-relay.c
 * (the link between a regional server and headquarters). Nothing outside these files includes it. */
#ifndef SONDEO_SSTORE_INT_H
#define SONDEO_SSTORE_INT_H

#include <sqlite3.h>

#include "keys.h"
#include "form.h"
#include "merge.h"

/* Each file keeps its statements in a table of its own, prepared when the store opens (db_prepare_all). */
#define SSTORE_CORE_STMTS 32
#define SSTORE_USERS_STMTS 24
#define SSTORE_REVIEW_STMTS 40
#define SSTORE_COUNTS_STMTS 12
#define SSTORE_OWN_STMTS 4
#define SSTORE_RELAY_STMTS 16

extern const char *const sstore_users_sql[SSTORE_USERS_STMTS];
extern const char *const sstore_review_sql[SSTORE_REVIEW_STMTS];
extern const char *const sstore_counts_sql[SSTORE_COUNTS_STMTS];
extern const char *const sstore_own_sql[SSTORE_OWN_STMTS];
extern const char *const sstore_relay_sql[SSTORE_RELAY_STMTS];

struct dbstore;

struct sstore {
	char *dir;
	struct dbstore *base;    /* the file, meta and forms (dbstore.h) */
	sqlite3 *db;             /* base's connection */
	struct keys *keys;
	struct merge *merge;
	sqlite3_stmt *st[SSTORE_CORE_STMTS];    /* sstore.c's */
	sqlite3_stmt *ust[SSTORE_USERS_STMTS];  /* sstore-users.c's */
	sqlite3_stmt *rst[SSTORE_REVIEW_STMTS]; /* sstore-review.c's */
	sqlite3_stmt *cst[SSTORE_COUNTS_STMTS]; /* sstore-counts.c's */
	sqlite3_stmt *ost[SSTORE_OWN_STMTS];    /* sstore-own.c's */
	sqlite3_stmt *lst[SSTORE_RELAY_STMTS];  /* sstore-relay.c's */
	/* sstore-review.c: the form version a record was last summarised with, and its question that names the
	 * partner ("" if none); freed at close. */
	struct form *kind;
	char name_field[MERGE_MAX_NAME + 1];
};

/* sstore.c: the meta table (key -> value), the skeleton's (dbstore.h). sstore_meta_get copies the value into out and returns 0, or -1 if
 * there is none; sstore_meta_set belongs in a transaction. */
int sstore_meta_get(struct sstore *s, const char *key, char *out, size_t n);
int sstore_meta_set(struct sstore *s, const char *key, const char *value, char *err, size_t errlen);

/* sstore-review.c: recomputes a record's review summary (and with text its search document) from its fields,
 * inside the caller's transaction; sstore.c calls it for every record a change set touches. */
int sstore_review_refresh(struct sstore *s, const char *record, int text, char *err, size_t errlen);
/* Builds every record's summary and search document after an upgrade from layout 1 (meta 'reindex'). */
int sstore_review_reindex(struct sstore *s, char *err, size_t errlen);

/* sstore-counts.c. sstore_counts_refresh moves record rid's counts from its old dimensions and options to its
 * current ones (review being its review state now, choices its chosen options as [[question, option], ...]),
 * inside the caller's transaction. The others answer a dashboard from the counts, when sstore_counts_usable says its
 * filters are only dimensions: the totals (records, pending, conflicts, regions, partners, devices) into
 * totals; a chart's counts as chart_counts in sstore-review.c gives them; the records per week. */
int sstore_counts_refresh(struct sstore *s, sqlite3_int64 rid, const json_t *choices, const char *review,
			  const char *rep, char *err, size_t errlen);
int sstore_counts_usable(const struct sstore_filter *f);
int sstore_counts_totals(struct sstore *s, const struct sstore_filter *f, json_t *totals, char *err, size_t errlen);
int sstore_counts_chart(struct sstore *s, const struct sstore_filter *f, const char *field, unsigned top,
			json_t *counts, json_t *list, char *err, size_t errlen);
json_t *sstore_counts_weeks(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen);

/* sstore-relay.c: queues everything a server held before it became a relay (its devices, their change sets,
 * its revocations), inside the caller's transaction. */
int sstore_relay_backlog(struct sstore *s, char *err, size_t errlen);

#endif
