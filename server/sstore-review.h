/* sstore-review.h - what the review page reads from the server's store, and the ops the server makes itself on
 * behalf of reviewers (docs/review-api.md): filters and selections (sstore-filter.c, sstore-select.c), the
 * dashboard (sstore-dashboard.c), one record with its history (sstore-record.c), possible duplicates
 * (sstore-duplicates.c), the catalog of forms and regions (sstore-catalog.c), review states (sstore-summary.c)
 * and the server's own changes (sstore-own.c). The conventions of sstore.h hold. */
#ifndef SONDEO_SSTORE_REVIEW_H
#define SONDEO_SSTORE_REVIEW_H

#include <jansson.h>

#include "form.h"
#include "sstore.h"

#define SSTORE_MAX_SELECT 16            /* select-question filters in one selection */
#define SSTORE_MAX_COMMENT 2000         /* characters in a review comment */

/* A selection of records: the filters of docs/review-api.md. Empty strings and zeros select everything. */
struct sstore_filter {
	char form[MERGE_MAX_NAME + 1];  /* "" until sstore_filter_resolve picks the form with the most records */
	char repeat[MERGE_MAX_NAME + 1];/* "": records; a repeat's name: its instances (exports) */
	char region[SSTORE_MAX_NAME + 1];
	char review[16];                /* pending, approved, has_issues, rejected, or "" */
	uint64_t from_ms, to_ms;        /* dated in [from_ms, to_ms) (midnights, UTC); 0: unbounded */
	/* What dates a record, for from/to and the records per week: a date or dateTime question of the form
	 * outside its repeats (its answer's day as written), or "_created" (the day it was created, UTC). "" until
	 * sstore_filter_resolve picks the form's first date question, else "_created". */
	char date[MERGE_MAX_NAME + 1];
	char q[512];                    /* FTS5 query, or "" */
	char tsq[2048];                 /* on PostgreSQL, q as a tsquery (set by sstore_filter_resolve) */
	int conflicts, deleted;         /* only records in conflict; include deleted records */
	size_t nsel;
	struct {
		char question[MERGE_MAX_NAME + 1];
		char choice[MERGE_MAX_NAME + 1];
		int multiple;           /* set by sstore_filter_resolve */
	} sel[SSTORE_MAX_SELECT];
};

/* Whether a reviewer's decision may be written: a known status, a comment of at most SSTORE_MAX_COMMENT characters
 * without control characters (but line ends and tabs), and one when the status says something is wrong. The same
 * rule for the review page and for the reviews a server takes in from another. 0 valid, -1 with err. */
int sstore_review_check(const char *status, const char *comment, char *err, size_t errlen);
/* Sets one filter from its query parameter (key "form", "region", ..., "f.QUESTION"); unknown keys are left for
 * the caller (returns 1). 0 when taken, -1 with err naming the parameter when its value is malformed. */
int sstore_filter_set(struct sstore_filter *f, const char *key, const char *value, char *err, size_t errlen);
/* Checks the filter against the published forms (the form exists, each f.QUESTION is a select question of its
 * newest version and CHOICE one of its choices, date a date question of it, the search q is one SQLite can
 * read), picking the form with the most records when none is named, and its first date question when no date
 * is. -1 with err naming the parameter. */
int sstore_filter_resolve(struct sstore *s, struct sstore_filter *f, char *err, size_t errlen);
/* Whether a resolved filter dates records by a question's answer rather than by their creation. */
int sstore_filter_by_answer(const struct sstore_filter *f);

/* One record as the review page lists it. Strings and answers are valid during the callback only. */
struct sstore_record {
	char id[UUID_STRLEN + 1];
	const char *form, *version, *region, *review, *review_comment;
	uint64_t created_ms, updated_ms;
	int conflicts, deleted;
	int review_conflict;            /* the review has several heads: review is the one shown */
	const json_t *answers;          /* question name -> value (no pseudo-fields) */
};
typedef int (*sstore_record_fn)(void *ctx, const struct sstore_record *r);   /* non-zero stops */

enum sstore_sort { SORT_UPDATED, SORT_CREATED, SORT_REGION, SORT_REVIEW, SORT_QUESTION };
struct sstore_page {
	enum sstore_sort sort;
	char question[MERGE_MAX_NAME + 1];   /* with SORT_QUESTION; unanswered records come after the others */
	int numeric;                         /* with SORT_QUESTION: the answers are numbers (integer, decimal) */
	int desc;
	uint64_t offset;
	unsigned limit;                      /* 0: every record (streams, for exports and bulk review) */
};
/* Calls fn for the selected records in page order; *total gets the number selected (NULL: not counted). */
int sstore_select(struct sstore *s, const struct sstore_filter *f, const struct sstore_page *p,
		  sstore_record_fn fn, void *ctx, uint64_t *total, char *err, size_t errlen);

/* The dashboard of a selection, as the JSON of docs/review-api.md (new reference), or NULL with err. */
json_t *sstore_dashboard(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen);
/* One record with its fields, heads and history, as the JSON of GET /v1/record; id is the full id or a prefix of
 * at least 8 characters. NULL with *status 404 (no such record) or 400 (ambiguous), or 500, and err. */
json_t *sstore_record_json(struct sstore *s, const char *id, unsigned *status, char *err, size_t errlen);
/* The answers of record id (full id or prefix of at least 8), question name -> value, without the record's
 * history: a new reference, or NULL with err. */
json_t *sstore_record_answers(struct sstore *s, const char *id, char *err, size_t errlen);
/* The possible duplicates of a form, as the JSON of GET /v1/duplicates. */
json_t *sstore_duplicates(struct sstore *s, const char *form, char *err, size_t errlen);
/* Marks every pair of the records as not duplicates. */
int sstore_duplicates_dismiss(struct sstore *s, const char *const *records, size_t n, char *err, size_t errlen);
/* The regions that hold records or devices, as a JSON array of strings (new reference). */
json_t *sstore_regions(struct sstore *s, char *err, size_t errlen);
/* The published form id at version (NULL: its newest). Caller frees with form_free(); NULL with err. */
struct form *sstore_form_get(struct sstore *s, const char *id, const char *version, char *err, size_t errlen);
/* Calls fn for every published version of every form, oldest first. */
int sstore_form_versions(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						      const char *json), void *ctx, char *err, size_t errlen);

/* A change made by the server itself on behalf of a reviewer: record (a full id), field (a question or
 * _review), value (canonical JSON text, already checked against the record's form version by the caller). */
struct sstore_change {
	const char *record, *field, *value;
};
/* Makes ops of the changes with the server's own key in one transaction: each op's base is every current head
 * of its field (so it settles a conflict), its form version the record's; they are written as change sets
 * signed by the server's key (kept for relaying), merged by the same rule as a device's, and each names user
 * (op_authors). -1 with err and nothing changed. */
int sstore_change(struct sstore *s, const char *user, const struct sstore_change *c, size_t n, char *err,
		  size_t errlen);
/* The full id, form and form version of the record id (full id or prefix of at least 8); 1 found, 0 none or
 * ambiguous (err says which), -1 error. */
int sstore_record_find(struct sstore *s, const char *id, char full[UUID_STRLEN + 1], char *form, char *version,
		       size_t n, char *err, size_t errlen);

#endif
