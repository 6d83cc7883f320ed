/* sstore-filter.c - a selection's filters: read from query parameters, checked against the published forms,
 * and written as the one WHERE clause every reader of a selection uses (sstore-select.c, sstore-dashboard.c,
 * and over the kept counts, sstore-counts.c). */
#include "sstore.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "form.h"
#include "hlc.h"
#include "util.h"
#include "review.h"
#include "banned.h"

enum { F_FORM_TOP, F_SEARCH_CHECK, F_COUNT };

const char *const sstore_filter_sql[SSTORE_FILTER_STMTS] = {
	/* The form with the most records, else the first published. */
	[F_FORM_TOP] = "SELECT f.id FROM forms f LEFT JOIN (SELECT form, count(*) AS n FROM records WHERE draft = 0"
		       " AND rid NOT IN (SELECT rid FROM record_regions WHERE rep != '')"
		       " GROUP BY form) c ON c.form = f.id GROUP BY f.id ORDER BY max(coalesce(c.n, 0)) DESC,"
		       " min(f.rowid) LIMIT 1",
	/* A search SQLite cannot read fails here, when the filter is resolved, and not halfway through a selection. */
	[F_SEARCH_CHECK] = "SELECT 1 FROM records_fts WHERE records_fts MATCH ?1 LIMIT 1",
};

/* On PostgreSQL a search is read as FTS5 reads it, each of its words folded as the index's are (case and
 * accents: fold_word), and written as a tsquery (sstore_search_tsquery). */
const char *const sstore_filter_sql_pg[SSTORE_FILTER_STMTS] = {
	[F_SEARCH_CHECK] = "SELECT sondeo_compat.fold(?1)",
};

_Static_assert(F_COUNT <= SSTORE_FILTER_STMTS, "raise SSTORE_FILTER_STMTS in sstore-int.h");

/* "YYYY-MM-DD" as epoch ms at 00:00 UTC; -1 if malformed. */
static int64_t parse_day(const char *v)
{
	int y, m, d, n = 0;
	int64_t days;

	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t i;

	/* Digits where the digits go: sscanf's %d would also take a sign or spaces ("2024- 3-01"). */
	for (i = 0; i < 10 && v[i]; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return -1;
	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' || sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 1970 || y > 9999 ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return -1;
	/* Days from the civil date (Howard Hinnant's algorithm), so no time zone enters. */
	y -= m <= 2;
	days = (int64_t)(y / 400) * 146097 + (int64_t)((y % 400) * 365 + (y % 400) / 4 - (y % 400) / 100) +
	       ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1) - 719468;
	return days * 86400000;
}

/* The start of the JSON text of the day at midnight ms (UTC), "\"YYYY-MM-DD", into day (16 bytes); past year
 * 9999 (the day after the last a filter takes), "#", which follows every JSON string. */
static void day_text(char *day, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 > 9999)
		strlcpy_s(day, "#", 16);
	else
		strftime(day, 16, "\"%Y-%m-%d", &tm);
}

static int copy_value(char *dst, size_t n, const char *key, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= n)
		return errf(err, errlen, _("filter '%s': the value is too long"), key);
	strlcpy_s(dst, v, n);
	return 0;
}

int sstore_filter_set(struct sstore_filter *f, const char *key, const char *value, char *err, size_t errlen)
{
	int64_t day;

	if (!strcmp(key, "form"))
		return copy_value(f->form, sizeof(f->form), key, value, err, errlen);
	if (!strcmp(key, "repeat"))
		return copy_value(f->repeat, sizeof(f->repeat), key, value, err, errlen);
	if (!strcmp(key, "region"))
		return copy_value(f->region, sizeof(f->region), key, value, err, errlen);
	if (!strcmp(key, "review")) {
		if (*value && !review_state_valid(value))
			return errf(err, errlen, _("filter 'review': '%.40s' is not pending, approved, has_issues or"
				    " rejected"), value);
		return copy_value(f->review, sizeof(f->review), key, value, err, errlen);
	}
	if (!strcmp(key, "from") || !strcmp(key, "to")) {
		if (!*value) {
			*(key[0] == 'f' ? &f->from_ms : &f->to_ms) = 0;
			return 0;
		}
		if ((day = parse_day(value)) < 0)
			return errf(err, errlen, _("filter '%s': '%.40s' is not a day as YYYY-MM-DD"), key, value);
		/* "to" names the last day included. */
		if (key[0] == 'f')
			f->from_ms = (uint64_t)day;
		else
			f->to_ms = (uint64_t)day + 86400000;
		return 0;
	}
	if (!strcmp(key, "date"))
		return copy_value(f->date, sizeof(f->date), key, value, err, errlen);
	if (!strcmp(key, "q"))
		return copy_value(f->q, sizeof(f->q), key, value, err, errlen);
	if (!strcmp(key, "conflicts") || !strcmp(key, "deleted")) {
		if (strcmp(value, "0") && strcmp(value, "1") && *value)
			return errf(err, errlen, _("filter '%s': '%.40s' is not 0 or 1"), key, value);
		*(key[0] == 'c' ? &f->conflicts : &f->deleted) = value[0] == '1';
		return 0;
	}
	if (!strncmp(key, "f.", 2)) {
		size_t i = f->nsel;

		if (!*value)
			return 0;
		if (i == SSTORE_MAX_SELECT)
			return errf(err, errlen, _("at most %d question filters"), SSTORE_MAX_SELECT);
		if (copy_value(f->sel[i].question, sizeof(f->sel[i].question), key, key + 2, err, errlen) < 0 ||
		    copy_value(f->sel[i].choice, sizeof(f->sel[i].choice), key, value, err, errlen) < 0)
			return -1;
		f->nsel++;
		return 0;
	}
	return 1;
}

/* A search SQLite cannot read is the request's bad filter ("filter 'q': ..."); anything else the store's. -1. */
static int search_error(struct sstore *s, int rc, const struct sstore_filter *f, char *err, size_t errlen)
{
	if (f->q[0] && (rc == DB_ERROR))
		return errf(err, errlen, _("filter 'q': '%.80s' is not a search SQLite understands (%s)"), f->q,
			    db_errmsg(s->db));
	return db_error(s->db, rc, err, errlen);
}

/* A question that can date a record: a date or dateTime answered once per record (not in a repeat). */
static int dates_records(const struct form_question *q)
{
	return q && (q->type == FT_DATE || q->type == FT_DATETIME) && !form_repeat_of(q);
}

int sstore_filter_by_answer(const struct sstore_filter *f)
{
	return f->date[0] && strcmp(f->date, "_created");
}

/* Resolves f->date against form: the named date question, or the form's first one, else "_created". -1 with
 * err. */
static int resolve_date(struct sstore_filter *f, const struct form *form, char *err, size_t errlen)
{
	size_t i;

	if (!strcmp(f->date, "_created"))
		return 0;
	if (f->date[0]) {
		if (!dates_records(form_find(form, f->date)))
			return errf(err, errlen, _("filter 'date': form '%s' has no date question '%s' outside its"
						   " repeats (or _created, the day a record was created)"), f->form, f->date);
		return 0;
	}
	for (i = 0; i < form_count(form) && !dates_records(form_question(form, i)); i++)
		;
	strlcpy_s(f->date, i < form_count(form) ? form_question(form, i)->name : "_created", sizeof(f->date));
	return 0;
}

/* A word of a search folded as the index's words are, on PostgreSQL (sstore_search_tsquery). */
static int fold_word(void *ctx, const char *word, size_t n, struct buf *out, char *err, size_t errlen)
{
	struct sstore *s = ctx;
	struct db_stmt *st = s->filter_st[F_SEARCH_CHECK];
	int rc;

	db_bind_text_n(st, 1, word, n);
	if ((rc = db_step(st)) == DB_ROW)
		buf_adds(out, db_text(st, 0));
	db_reset(st);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_filter_resolve(struct sstore *s, struct sstore_filter *f, char *err, size_t errlen)
{
	struct form *form;
	struct db_stmt *st;
	size_t i, k;
	int r = 0;

	if (!f->form[0]) {
		st = s->filter_st[F_FORM_TOP];
		if (db_step(st) == DB_ROW)
			strlcpy_s(f->form, db_text(st, 0), sizeof(f->form));
		db_reset(st);
		if (!f->form[0])
			return errf(err, errlen, _("no form is published"));
	}
	f->tsq[0] = '\0';
	if (f->q[0] && db_is_pg(s->db)) {
		struct buf tsq = BUF_INIT(sizeof(f->tsq));
		char why[256] = "";
		int rc;

		rc = sstore_search_tsquery(f->q, fold_word, s, &tsq, why, sizeof(why));
		if (rc == 0)
			strlcpy_s(f->tsq, tsq.data, sizeof(f->tsq));
		buf_release(&tsq);
		if (rc < 0)
			return errf(err, errlen, _("filter 'q': '%.80s': %s"), f->q, why);
	} else if (f->q[0]) {
		int rc;

		st = s->filter_st[F_SEARCH_CHECK];
		db_bind_text(st, 1, f->q);
		rc = db_step(st);
		db_reset(st);
		if (rc != DB_ROW && rc != DB_DONE)
			return search_error(s, rc, f, err, errlen);
	}
	if (!(form = sstore_form_get(s, f->form, NULL, NULL, 0)))
		return errf(err, errlen, _("filter 'form': no published form '%.64s'"), f->form);
	r = resolve_date(f, form, err, errlen);
	for (i = 0; i < f->nsel && r == 0; i++) {
		const struct form_question *q = form_find(form, f->sel[i].question);

		if (!q || (q->type != FT_SELECT_ONE && q->type != FT_SELECT_MULTIPLE)) {
			r = errf(err, errlen, _("filter 'f.%s': form '%s' has no select question '%s'"), f->sel[i].question,
				 f->form, f->sel[i].question);
			break;
		}
		f->sel[i].multiple = q->type == FT_SELECT_MULTIPLE;
		for (k = 0; k < q->nchoices && strcmp(q->choices[k].name, f->sel[i].choice); k++)
			;
		if (k == q->nchoices)
			r = errf(err, errlen, _("filter 'f.%s': '%s' is not one of its choices"), f->sel[i].question,
				 f->sel[i].choice);
	}
	form_free(form);
	return r;
}

/* The columns a filter's dimensions are over, for each kind of row (enum sstore_over). */
static const struct {
	const char *form, *live, *region, *review, *from, *to, *conflicts;
} over_cols[] = {
	/* A form's records. */
	[SSTORE_OVER_RECORDS] = { "r.form = :form AND r.draft = 0 AND rr.rep = ''", "r.deleted = 0",
				  "rr.region = :region", "rr.review = :review", "r.created >= :from", "r.created < :to",
				  "r.conflicts > 0" },
	/* Filters on days are whole days there (from_ms and to_ms are midnights, UTC). */
	[SSTORE_OVER_COUNTS] = { "form = :form", "deleted = 0", "region = :region", "review = :review",
				 "day >= :from", "day < :to", "conflict = 1" },
};

/* The conditions on a form's records (or on the counts kept of them). */
static void records_where(struct buf *sql, const struct sstore_filter *f, enum sstore_over over)
{
	size_t i;

	buf_adds(sql, over_cols[over].form);
	if (!f->deleted)
		buf_printf(sql, " AND %s", over_cols[over].live);
	if (f->region[0])
		buf_printf(sql, " AND %s", over_cols[over].region);
	if (f->review[0])
		buf_printf(sql, " AND %s", over_cols[over].review);
	if ((f->from_ms || f->to_ms) && sstore_filter_by_answer(f) && over == SSTORE_OVER_RECORDS) {
		/* The answer's day as written (a dateTime's local day), over fields_by_field: its prefix compared as
		 * the index holds it, between the JSON texts of the two days ('"' and '#' bound what is not given). */
		buf_adds(sql, " AND r.rid IN (SELECT rid FROM fields WHERE field = :date"
			 " AND substr(value, 1, " SSTORE_SORT_PREFIX ") >= :fromday"
			 " AND substr(value, 1, " SSTORE_SORT_PREFIX ") < :today)");
	} else {
		if (f->from_ms)
			buf_printf(sql, " AND %s", over_cols[over].from);
		if (f->to_ms)
			buf_printf(sql, " AND %s", over_cols[over].to);
	}
	if (f->conflicts)
		buf_printf(sql, " AND %s", over_cols[over].conflicts);
	if (over != SSTORE_OVER_RECORDS)
		return;
	/* The search index: FTS5's on SQLite, a table of tsvectors on PostgreSQL (f->tsq, the search as a tsquery). */
	if (f->tsq[0])
		buf_adds(sql, " AND r.rid IN (SELECT rowid FROM records_fts WHERE body @@ to_tsquery('simple', :q))");
	else if (f->q[0])
		buf_adds(sql, " AND r.rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH :q)");
	/* The options each record chose are kept apart (sstore-counts.c), indexed by question and option. */
	for (i = 0; i < f->nsel; i++)
		buf_printf(sql, " AND r.rid IN (SELECT rid FROM record_choices WHERE field = :sq%zu AND choice = :sv%zu)",
			   i, i);
}

void sstore_filter_where(struct buf *sql, const struct sstore_filter *f, enum sstore_over over)
{
	if (over != SSTORE_OVER_RECORDS || !f->repeat[0]) {
		records_where(sql, f, over);
		return;
	}
	/* A repeat's instances are those of the selected records: every filter is the records' (an instance has no
	 * review, date or answers of the record's own), and the instances are found down the _parent chain from
	 * them, nested repeats included, over fields_by_field's prefix. An instance deleted by itself is left out
	 * as a record is. */
	buf_adds(sql, "r.form = :form AND r.draft = 0 AND rr.rep = :rep");
	if (!f->deleted)
		buf_adds(sql, " AND r.deleted = 0");
	buf_adds(sql, " AND r.rid IN (WITH RECURSIVE under(rid, quoted) AS (SELECT r.rid, json_quote(r.id)"
		 " FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE ");
	records_where(sql, f, over);
	buf_adds(sql, " UNION SELECT c.rid, json_quote(i.id) FROM under u JOIN fields c ON c.field = '_parent'"
		 " AND substr(c.value, 1, " SSTORE_SORT_PREFIX ") = substr(u.quoted, 1, " SSTORE_SORT_PREFIX ")"
		 " AND c.value = u.quoted JOIN records i ON i.rid = c.rid) SELECT rid FROM under)");
}

void sstore_filter_from(struct buf *sql, const struct sstore_filter *f)
{
	buf_adds(sql, " FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE ");
	sstore_filter_where(sql, f, SSTORE_OVER_RECORDS);
}

static void bind_filter(struct db_stmt *st, const struct sstore_filter *f, enum sstore_over over)
{
	char name[32];
	size_t i;

	db_bind_named_text(st, ":form", f->form);
	db_bind_named_text(st, ":rep", f->repeat);
	db_bind_named_text(st, ":region", f->region);
	db_bind_named_text(st, ":review", f->review);
	if (over == SSTORE_OVER_COUNTS) {
		db_bind_named_int(st, ":from", (int64_t)(f->from_ms / SSTORE_DAY_MS));
		db_bind_named_int(st, ":to", (int64_t)(f->to_ms / SSTORE_DAY_MS));
	} else {
		db_bind_named_int(st, ":from", (int64_t)HLC_MAKE(f->from_ms, 0));
		db_bind_named_int(st, ":to", (int64_t)HLC_MAKE(f->to_ms, 0));
	}
	db_bind_named_text(st, ":q", f->tsq[0] ? f->tsq : f->q);
	if (sstore_filter_by_answer(f)) {
		char day[16];

		db_bind_named_text(st, ":date", f->date);
		/* The JSON texts of the days the answers are compared with, from_ms and to_ms being midnights. */
		if (f->from_ms)
			day_text(day, f->from_ms);
		db_bind_named_text(st, ":fromday", f->from_ms ? day : "\"");
		if (f->to_ms)
			day_text(day, f->to_ms);
		db_bind_named_text(st, ":today", f->to_ms ? day : "#");
	}
	for (i = 0; i < f->nsel; i++) {
		snprintf(name, sizeof(name), ":sq%zu", i);
		db_bind_named_text(st, name, f->sel[i].question);
		snprintf(name, sizeof(name), ":sv%zu", i);
		db_bind_named_text(st, name, f->sel[i].choice);
	}
}

struct db_stmt *sstore_filter_prepare(struct sstore *s, const struct buf *sql, const struct sstore_filter *f,
				    enum sstore_over over, char *err, size_t errlen)
{
	struct db_stmt *st = NULL;

	if (sql->len + 1 >= sql->max) {
		errf(err, errlen, _("the selection is too complex"));
		return NULL;
	}
	if (!(st = db_prepare_once(s->db, sql->data, sql->len, err, errlen))) {
		/* TRANSLATORS: %s is the database engine's own words, in English. */
		if (over == SSTORE_OVER_COUNTS)
			errf(err, errlen, _("cannot count records: %s"), db_errmsg(s->db));
		else
			errf(err, errlen, _("cannot select records: %s"), db_errmsg(s->db));
		return NULL;
	}
	bind_filter(st, f, over);
	return st;
}

