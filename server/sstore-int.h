/* sstore-int.h - the inside of the server's store, shared by the files that implement its headers: sstore.c
 * (devices, codes, forms, ingest, pull), sstore-users.c (accounts, sessions, audit), sstore-relay.c (the link
 * between a regional server and headquarters), sstore-own.c (the server's own ops), sstore-counts.c (the
 * dashboard's kept counts), and what the review page reads: sstore-summary.c (each record's review summary and
 * search document), sstore-filter.c (a selection's filters and their SQL), sstore-select.c (selections),
 * sstore-dashboard.c, sstore-record.c (one record), sstore-duplicates.c and sstore-catalog.c. Nothing outside
 * these files includes it. */
#ifndef SONDEO_SSTORE_INT_H
#define SONDEO_SSTORE_INT_H

#include <sodium.h>

#include "buf.h"
#include "db.h"
#include "keys.h"
#include "form.h"
#include "merge.h"
#include "sstore-review.h"

/* Each file keeps its statements in a table of its own, prepared when the store opens (db_prepare_all). */
#define SSTORE_CORE_STMTS 32
#define SSTORE_USERS_STMTS 24
#define SSTORE_COUNTS_STMTS 12
#define SSTORE_OWN_STMTS 4
#define SSTORE_RELAY_STMTS 18
#define SSTORE_SUMMARY_STMTS 13
#define SSTORE_FILTER_STMTS 2
#define SSTORE_SELECT_STMTS 2
#define SSTORE_RECORD_STMTS 10
#define SSTORE_DUPS_STMTS 6
#define SSTORE_CATALOG_STMTS 6
#define SSTORE_MEDIA_STMTS 8

/* sstore-views.c: the analysts' views of form f (form_ID, and form_ID:REPEAT for each repeat), made again; or of
 * every form's newest version. 0, or -1 with err. */
int sstore_views_make(struct db *db, const struct form *f, char *err, size_t errlen);
int sstore_views_make_all(struct db *db, char *err, size_t errlen);

extern const char *const sstore_users_sql[SSTORE_USERS_STMTS];
extern const char *const sstore_counts_sql[SSTORE_COUNTS_STMTS];
extern const char *const sstore_own_sql[SSTORE_OWN_STMTS];
extern const char *const sstore_relay_sql[SSTORE_RELAY_STMTS];
extern const char *const sstore_relay_sql_pg[SSTORE_RELAY_STMTS];
/* On PostgreSQL, the feed (sstore.c, FEED_PG) of rows that came with their ids: each id its position. */
#define FEED_FROM_IDS \
	"UPDATE ops SET pos = id;" \
	"UPDATE changesets SET pos = id;" \
	"UPDATE feed SET pos = greatest((SELECT coalesce(max(id), 0) FROM ops)," \
	" (SELECT coalesce(max(id), 0) FROM changesets));"
extern const char *const sstore_summary_sql[SSTORE_SUMMARY_STMTS];
extern const char *const sstore_filter_sql[SSTORE_FILTER_STMTS];
/* PostgreSQL's own text of the statements it writes another way (db_prepare_all): the search index's. */
extern const char *const sstore_summary_sql_pg[SSTORE_SUMMARY_STMTS];
extern const char *const sstore_filter_sql_pg[SSTORE_FILTER_STMTS];
extern const char *const sstore_select_sql[SSTORE_SELECT_STMTS];
extern const char *const sstore_record_sql[SSTORE_RECORD_STMTS];
extern const char *const sstore_dups_sql[SSTORE_DUPS_STMTS];
extern const char *const sstore_media_sql[SSTORE_MEDIA_STMTS];
extern const char *const sstore_catalog_sql[SSTORE_CATALOG_STMTS];

struct dbstore;

struct sstore {
	char *dir;
	struct dbstore *base;    /* the file, meta and forms (dbstore.h) */
	struct db *db;             /* base's connection */
	struct keys *keys;
	struct merge *merge;
	struct db_stmt *st[SSTORE_CORE_STMTS];    /* sstore.c's */
	struct db_stmt *ust[SSTORE_USERS_STMTS];  /* sstore-users.c's */
	struct db_stmt *cst[SSTORE_COUNTS_STMTS]; /* sstore-counts.c's */
	struct db_stmt *ost[SSTORE_OWN_STMTS];    /* sstore-own.c's */
	struct db_stmt *lst[SSTORE_RELAY_STMTS];  /* sstore-relay.c's */
	struct db_stmt *summary_st[SSTORE_SUMMARY_STMTS];
	struct db_stmt *filter_st[SSTORE_FILTER_STMTS];
	struct db_stmt *select_st[SSTORE_SELECT_STMTS];
	struct db_stmt *record_st[SSTORE_RECORD_STMTS];
	struct db_stmt *dups_st[SSTORE_DUPS_STMTS];
	struct db_stmt *catalog_st[SSTORE_CATALOG_STMTS];
	struct db_stmt *media_st[SSTORE_MEDIA_STMTS];   /* sstore-media.c's */
	/* sstore-summary.c: the form version a record was last summarised with; freed at close. */
	struct form *kind;
};

/* Argon2id's cost for stored passwords: libsodium's interactive limits (64 MiB, two passes, about 0.2 s). The
 * sanitizer build that make test runs is compiled with SONDEO_CHEAP_PASSWORDS and uses its minimum instead: the
 * suite makes and checks some hundreds of passwords, which at full cost were a sixth of its time. The release
 * build's cost is checked by tests/cli/server-admin.sh on the installed sondeod. */
#ifdef SONDEO_CHEAP_PASSWORDS
#define SSTORE_PWHASH_OPS crypto_pwhash_OPSLIMIT_MIN
#define SSTORE_PWHASH_MEM crypto_pwhash_MEMLIMIT_MIN
#else
#define SSTORE_PWHASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define SSTORE_PWHASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
#endif

#define SSTORE_DAY_MS 86400000ULL
#define SSTORE_SQL_MAX 16384              /* a selection's SQL text */
/* How many characters of an answer the sort index holds (fields_by_field), as SQL text. */
#define SSTORE_SORT_PREFIX "16"
/* The longest search document a record has (sstore-summary.c): its text answers, one a line. */
#define SSTORE_TEXT_MAX (8u << 20)
/* The search index's columns and options: contentless, so its text is not stored a second time; a document
 * is taken out by giving its text again (sstore-summary.c). */
#define SSTORE_FTS "body, content = '', tokenize = 'unicode61 remove_diacritics 2'"
/* sstore-summary.c: what the summary knows of a form's questions, from the form itself (form_title_fields). The
 * question that names a record: its first text title field, else its first text question; NULL if none. */
const char *sstore_name_field(const struct form *f);
/* 1 if q is a text or select_one title field of f other than its name field: a short answer records are told apart
 * by (the partnership form's country), which with the name is what possible duplicates are matched on, and which
 * the dashboard charts as given. */
int sstore_title_detail(const struct form *f, const struct form_question *q);

/* sstore-users.c: hash, crypto_pwhash_STRBYTES bytes, receives the Argon2id string of password[0..len) at the
 * cost above; -1 only when the memory for it cannot be had. */
int sstore_password_hash(const char *password, size_t len, char *hash, char *err, size_t errlen);

/* sstore.c: the meta table (key -> value), the skeleton's (dbstore.h). sstore_meta_get copies the value into out and returns 0, or -1 if
 * there is none; sstore_meta_set belongs in a transaction. */
int sstore_meta_get(struct sstore *s, const char *key, char *out, size_t n);
int sstore_meta_set(struct sstore *s, const char *key, const char *value, char *err, size_t errlen);

/* sstore-summary.c, around a change to the records ops[0..n) name, in the caller's transaction: forget takes
 * their documents out of the search index before their fields change (it needs their text as indexed), refresh
 * recomputes their review summaries and search documents after; each record once. 0, or -1 with err. */
int sstore_review_forget(struct sstore *s, const struct op *ops, size_t n, char *err, size_t errlen);
int sstore_review_refresh(struct sstore *s, const struct op *ops, size_t n, char *err, size_t errlen);
/* Builds every record's summary and search document after an upgrade from layout 1 (meta 'reindex'). */
int sstore_review_reindex(struct sstore *s, char *err, size_t errlen);
/* Loads into s->kind the form version of record rid (kept while the next records are of the same version: ops
 * come in runs of one form): NULL if the form cannot be loaded. The store keeps the form. */
const struct form *sstore_record_kind(struct sstore *s, int64_t rid);

/* sstore-filter.c: the one WHERE clause of a selection's filters, over one kind of rows. */
enum sstore_over {
	SSTORE_OVER_RECORDS,   /* records r JOIN record_regions rr: every filter */
	SSTORE_OVER_COUNTS     /* the dimension columns of record_counts, choice_counts or record_regions alone: only
				* filters sstore_counts_usable accepts (no search, no answer) */
};
/* Appends the conditions of f over rows of kind over to sql, with named parameters that sstore_filter_prepare
 * binds. */
void sstore_filter_where(struct buf *sql, const struct sstore_filter *f, enum sstore_over over);
/* Appends " FROM records r JOIN record_regions rr ... WHERE " and f's conditions over them to sql. */
void sstore_filter_from(struct buf *sql, const struct sstore_filter *f);
/* Prepares sql (a statement over f built with the above, in a buffer of at most SSTORE_SQL_MAX bytes) with f
 * bound; NULL with err. Caller finalizes. */
struct db_stmt *sstore_filter_prepare(struct sstore *s, const struct buf *sql, const struct sstore_filter *f,
				    enum sstore_over over, char *err, size_t errlen);

/* sstore-select.c. A stored value (canonical JSON text, checked when its op was taken in) as JSON, without the
 * parser for the common cases: a string with nothing escaped, and a whole number. New reference, NULL if it is
 * not JSON. */
json_t *sstore_value_json(const char *text, size_t len);
/* Fills answers (question -> value; cleared first) and *review (a new reference, or NULL) from the fields of
 * record rid, and *review_conflict (may be NULL) with whether its review has several heads. */
int sstore_answers_load(struct sstore *s, int64_t rid, json_t *answers, json_t **review,
			int *review_conflict, char *err, size_t errlen);

/* sstore.c: what makes a database the server's store (its kind, layout, tables and upgrades). */
struct dbstore_spec;
extern const struct dbstore_spec sstore_spec;

/* sstore-search.c. The review page's search q, in the query language of SQLite's FTS5 (words, "phrases", prefix*,
 * AND, OR, NOT, parentheses), as a PostgreSQL tsquery into out: each word folded by fold (may be NULL: as it is)
 * as the index's words are, then quoted, so that nothing typed is read as tsquery's own syntax and AND, OR and
 * NOT keep their case. 0, or -1 with err saying what is wrong with it. fold appends word[0..n) folded to out. */
typedef int (*sstore_fold_fn)(void *ctx, const char *word, size_t n, struct buf *out, char *err, size_t errlen);
int sstore_search_tsquery(const char *q, sstore_fold_fn fold, void *ctx, struct buf *out, char *err, size_t errlen);

/* sstore-counts.c. sstore_counts_refresh moves record rid's counts from its old dimensions and options to its
 * current ones (review being its review state now, choices its chosen options as [[question, option], ...]),
 * inside the caller's transaction, by adding to tally (a JSON object, empty at first); sstore_counts_flush then
 * writes what tally sums to, in the same transaction, and empties it. The others answer a dashboard from the
 * counts, when sstore_counts_usable says its filters are only dimensions (the day of creation being one): the
 * totals (records, pending, conflicts, regions, partners, devices) into totals; a chart's counts as
 * sstore-dashboard.c's chart_counts gives them; the records per week of creation. */
int sstore_counts_refresh(struct sstore *s, int64_t rid, const json_t *choices, const char *review,
			  const char *rep, json_t *tally, char *err, size_t errlen);
int sstore_counts_flush(struct sstore *s, json_t *tally, char *err, size_t errlen);
int sstore_counts_usable(const struct sstore_filter *f);
int sstore_counts_totals(struct sstore *s, const struct sstore_filter *f, json_t *totals, char *err, size_t errlen);
int sstore_counts_chart(struct sstore *s, const struct sstore_filter *f, const char *field, unsigned top,
			json_t *counts, json_t *list, char *err, size_t errlen);
/* Steps a chart's statement st, whose rows are (value, count), into counts (value -> count) or, without it, into
 * list ([{"value", "count"}...]), skipping values that are not text; finalizes st. Both ways of counting a chart
 * (kept counts, or the selection itself) end here. 0, or -1 with err. */
int sstore_chart_rows(struct sstore *s, struct db_stmt *st, json_t *counts, json_t *list, char *err, size_t errlen);
json_t *sstore_counts_weeks(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen);

/* sstore-relay.c: queues everything a server held before it became a relay (its devices, their change sets,
 * its revocations), inside the caller's transaction. */
int sstore_relay_backlog(struct sstore *s, char *err, size_t errlen);

#endif
