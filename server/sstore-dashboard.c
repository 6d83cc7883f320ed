/* sstore-dashboard.c - the dashboard of a selection (sstore-review.h; docs/review-api.md): its totals, a chart
 * per select question (and the country), and the records per week (of creation, or of the date question's
 * answer). From the counts kept as records change (sstore-counts.c) when the filters are only dimensions, else
 * by counting the selection itself. */
#include "sstore.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <string.h>

#include "buf.h"
#include "db.h"
#include "form.h"
#include "util.h"
#include "banned.h"

#define COUNTRY_TOP 30             /* answers charted for a country question */

/* Counts the answers of field over the selection, most frequent first (at most top; 0: all): into counts
 * (value -> count) when it is not NULL, else appended to list as {"value", "count"} in that order. */
static int chart_counts(struct sstore *s, const struct sstore_filter *f, const char *field, int multiple,
			unsigned top, json_t *counts, json_t *list, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(SSTORE_SQL_MAX);
	struct db_stmt *st;
	int rc;

	buf_adds(&sql, multiple ? "SELECT j.value, count(*) AS n FROM fields c, json_each(c.value) j"
				: "SELECT json_extract(c.value, '$'), count(*) AS n FROM fields c");
	buf_adds(&sql, " WHERE c.field = :chart AND c.rid IN (SELECT r.rid");
	sstore_filter_from(&sql, f);
	buf_adds(&sql, ") GROUP BY 1 ORDER BY n DESC, 1");
	if (top)
		buf_printf(&sql, " LIMIT %u", top);
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_RECORDS, err, errlen))) {
		buf_release(&sql);
		return -1;
	}
	db_bind_named_text(st, ":chart", field);
	rc = sstore_chart_rows(s, st, counts, list, err, errlen);
	buf_release(&sql);
	return rc;
}

/* The totals of the selection itself, counted in one pass, into totals as sstore_counts_totals gives them. */
static int selection_totals(struct sstore *s, const struct sstore_filter *f, json_t *totals, char *err,
			    size_t errlen)
{
	struct buf sql = BUF_INIT(SSTORE_SQL_MAX);
	struct db_stmt *st;
	int rc;

	buf_adds(&sql, "SELECT count(*), count(DISTINCT nullif(rr.namekey, '')), count(DISTINCT rr.region),"
		 " coalesce(sum(r.conflicts > 0), 0), coalesce(sum(rr.review = 'pending'), 0),"
		 " count(DISTINCT nullif(rr.device, ''))");
	sstore_filter_from(&sql, f);
	st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_RECORDS, err, errlen);
	buf_release(&sql);
	if (!st)
		return -1;
	rc = db_step(st);
	if (rc != DB_ROW) {
		db_error(s->db, rc, err, errlen);
		db_finalize(st);
		return -1;
	}
	json_object_set_new(totals, "records", json_integer(db_int(st, 0)));
	json_object_set_new(totals, "partners", json_integer(db_int(st, 1)));
	json_object_set_new(totals, "devices", json_integer(db_int(st, 5)));
	json_object_set_new(totals, "regions", json_integer(db_int(st, 2)));
	json_object_set_new(totals, "conflicts", json_integer(db_int(st, 3)));
	json_object_set_new(totals, "pending", json_integer(db_int(st, 4)));
	db_finalize(st);
	return 0;
}

/* The selection's records per week, keyed by the week's Monday, as sstore_counts_weeks gives them (a new
 * reference), or NULL with err: of creation, or of the day the date question's answer names (as written: a
 * dateTime's own day), for the records that answered it. */
static json_t *selection_weeks(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(SSTORE_SQL_MAX);
	json_t *weeks;
	struct db_stmt *st;
	int rc;

	if (sstore_filter_by_answer(f)) {
		/* A date's JSON text only: date() would read a bare number as a Julian day. */
#define WEEK_OF_ANSWER "date(substr(d.value, 2, 10), '-6 days', 'weekday 1')"
		buf_adds(&sql, "SELECT " WEEK_OF_ANSWER " AS w, count(*)"
			 " FROM fields d WHERE d.field = :date AND d.value LIKE '\"____-__-__%' AND d.rid IN (SELECT r.rid");
		sstore_filter_from(&sql, f);
		buf_adds(&sql, ") GROUP BY w HAVING " WEEK_OF_ANSWER " IS NOT NULL ORDER BY w");
	} else {
		buf_adds(&sql, "SELECT date(((r.created >> 16) / 1000), 'unixepoch', '-6 days', 'weekday 1') AS w,"
			 " count(*)");
		sstore_filter_from(&sql, f);
		buf_adds(&sql, " GROUP BY w ORDER BY w");
	}
	st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_RECORDS, err, errlen);
	buf_release(&sql);
	if (!st)
		return NULL;
	weeks = json_array();
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(weeks, json_pack("{s:s, s:I}", "week", db_text(st, 0), "count",
						       (json_int_t)db_int(st, 1)));
	db_finalize(st);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(weeks);
		return NULL;
	}
	return weeks;
}

/* Appends to charts the chart of question q (a select question, or the country) over the selection, from the
 * kept counts when counted. */
static int chart_add(struct sstore *s, const struct sstore_filter *f, const struct form_question *q, int counted,
		     json_t *charts, char *err, size_t errlen)
{
	int sel = q->type == FT_SELECT_ONE || q->type == FT_SELECT_MULTIPLE;
	json_t *counts = sel ? json_object() : NULL, *list = json_array(), *n;
	size_t k;

	if ((counted ? sstore_counts_chart(s, f, q->name, sel ? 0 : COUNTRY_TOP, counts, list, err, errlen) :
		       chart_counts(s, f, q->name, q->type == FT_SELECT_MULTIPLE, sel ? 0 : COUNTRY_TOP, counts, list,
				    err, errlen)) < 0) {
		json_decref(counts);
		json_decref(list);
		return -1;
	}
	if (sel) {
		/* Every choice in form order, chosen or not. */
		for (k = 0; k < q->nchoices; k++) {
			n = json_object_get(counts, q->choices[k].name);
			json_array_append_new(list, json_pack("{s:s, s:I}", "value", q->choices[k].name, "count",
							      (json_int_t)(n ? json_integer_value(n) : 0)));
		}
	}
	json_array_append_new(charts, json_pack("{s:s, s:s, s:o}", "question", q->name, "type",
						form_type_name(q->type), "counts", list));
	json_decref(counts);
	return 0;
}

json_t *sstore_dashboard(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen)
{
	struct form *form = sstore_form_get(s, f->form, NULL, err, errlen);
	/* Filters on dimensions only: the counts kept as records change answer at once. A search or an answer
	 * filter: count the selection itself. */
	int counted = sstore_counts_usable(f);
	json_t *out, *charts, *weeks, *totals;
	size_t i;

	if (!form)
		return NULL;
	totals = json_object();
	out = json_pack("{s:s, s:o}", "form", f->form, "totals", totals);
	if ((counted ? sstore_counts_totals(s, f, totals, err, errlen) : selection_totals(s, f, totals, err, errlen)) < 0)
		goto fail;
	charts = json_array();
	json_object_set_new(out, "charts", charts);
	for (i = 0; i < form_count(form); i++) {
		const struct form_question *q = form_question(form, i);

		if ((q->type == FT_SELECT_ONE || q->type == FT_SELECT_MULTIPLE || sstore_title_detail(form, q)) &&
		    chart_add(s, f, q, counted, charts, err, errlen) < 0)
			goto fail;
	}
	if (!(weeks = counted ? sstore_counts_weeks(s, f, err, errlen) : selection_weeks(s, f, err, errlen)))
		goto fail;
	json_object_set_new(out, "weeks", weeks);
	json_object_set_new(out, "date", json_string(f->date));
	if (sstore_filter_by_answer(f)) {
		/* The records the weeks leave out, so that the chart's sum is not taken for the total. */
		json_int_t dated = 0;
		json_t *w;

		json_array_foreach(weeks, i, w)
			dated += json_integer_value(json_object_get(w, "count"));
		json_object_set_new(out, "undated", json_integer(json_integer_value(json_object_get(totals, "records")) -
								dated));
	}
	form_free(form);
	return out;
fail:
	json_decref(out);
	form_free(form);
	return NULL;
}
