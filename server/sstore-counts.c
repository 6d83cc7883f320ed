/* sstore-counts.c - the dashboard's counts, kept as records change rather than counted when asked.
 *
 * A dashboard over 100,000 records must answer in a fraction of a second, and counting every answer of every
 * selected record on each request takes seconds. So each record's dimensions (form, region, review state, day of
 * creation, in conflict, deleted) live in its record_regions row, its chosen options (select answers, and the
 * country) in record_choices, and two tables hold how many records have each combination of dimensions
 * (record_counts) and of dimensions and chosen option (choice_counts). sstore_counts_refresh moves a record's
 * contribution from its old dimensions to its new ones, in the transaction that changed it: into a tally, summed
 * over every record a change set touched and written once (sstore_counts_flush), so that a change set of 300
 * records costs a few hundred writes of sums rather than thousands of +1 and -1, and an edit that changes no
 * dimension and no option writes none; a dashboard whose
 * filters are only dimensions then sums a few thousand rows. Filters on answers or a search fall back to
 * counting the selection itself (sstore-dashboard.c). */
#include "sstore.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "hlc.h"
#include "opjson.h"
#include "util.h"
#include "banned.h"

enum {
	C_OLD, C_OLD_CHOICES, C_RC_ADD, C_CC_ADD, C_CHOICES_DEL, C_CHOICE_PUT, C_DIMS_SET, C_FORMS, C_COUNT
};

const char *const sstore_counts_sql[SSTORE_COUNTS_STMTS] = {
	/* What a record counted for, and what it is now, in one round trip. */
	[C_OLD] = "SELECT rr.counted, rr.form, rr.region, rr.review, rr.day, rr.conflict, rr.deleted, r.form, r.created,"
		  " r.deleted, r.conflicts > 0 FROM record_regions rr LEFT JOIN records r ON r.rid = rr.rid"
		  " WHERE rr.rid = ?1",
	[C_OLD_CHOICES] = "SELECT field, choice FROM record_choices WHERE rid = ?1",
	[C_RC_ADD] = "INSERT INTO record_counts(form, region, review, day, conflict, deleted, n)"
		     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(form, region, review, day, conflict, deleted)"
		     " DO UPDATE SET n = record_counts.n + excluded.n",
	[C_CC_ADD] = "INSERT INTO choice_counts(form, field, choice, region, review, day, conflict, deleted, n)"
		     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		     " ON CONFLICT(form, field, choice, region, review, day, conflict, deleted)"
		     " DO UPDATE SET n = choice_counts.n + excluded.n",
	[C_CHOICES_DEL] = "DELETE FROM record_choices WHERE rid = ?1",
	[C_CHOICE_PUT] = "INSERT INTO record_choices(rid, field, choice) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[C_DIMS_SET] = "UPDATE record_regions SET counted = 1, form = ?2, review = ?3, day = ?4, conflict = ?5,"
		       " deleted = ?6 WHERE rid = ?1",
	/* Each published form's records and those pending review, for /metrics: a repeat's instances count under
	 * FORM/REPEAT, which names no form. */
	[C_FORMS] = "SELECT f.id, coalesce(sum(c.n), 0), coalesce(sum(CASE WHEN c.review = 'pending' THEN c.n END), 0)"
		    " FROM (SELECT DISTINCT id FROM forms) f LEFT JOIN record_counts c ON c.form = f.id AND c.deleted = 0"
		    " GROUP BY f.id ORDER BY f.id",
};

_Static_assert(C_COUNT <= SSTORE_COUNTS_STMTS, "raise SSTORE_COUNTS_STMTS in sstore-int.h");

/* A record's dimensions: what the dashboard's filters select on. */
struct dims {
	char form[2 * MERGE_MAX_NAME + 2], region[SSTORE_MAX_NAME + 1], review[16];   /* form: FORM or FORM/REPEAT */
	int64_t day;
	int conflict, deleted;
};

/* The tally's key of one count: each part with its length before it, so that no answer can pass for another
 * part (a country typed with a separator in it, say). */
static int tally_key(struct buf *k, const struct dims *d, const char *field, const char *choice)
{
	const char *part[5] = { d->form, d->region, d->review, field, choice };
	size_t i;

	buf_reset(k);
	if (buf_printf(k, "%lld/%d/%d", (long long)d->day, d->conflict, d->deleted) < 0)
		return -1;
	for (i = 0; i < 5; i++)
		if (part[i] && buf_printf(k, "/%zu:%s", strlen(part[i]), part[i]) < 0)
			return -1;
	return 0;
}

/* Adds delta to one count in tally: its row [form, region, review, day, conflict, deleted, field, choice, n]
 * (field and choice null for a record count). */
static int tally_add(json_t *tally, struct buf *k, const struct dims *d, const char *field, const char *choice,
		     int delta)
{
	json_t *row;

	if (tally_key(k, d, field, choice) < 0)
		return -1;
	if ((row = json_object_get(tally, k->data)))
		return json_array_set_new(row, 8, json_integer(json_integer_value(json_array_get(row, 8)) + delta));
	row = json_pack("[s, s, s, I, i, i, s?, s?, i]", d->form, d->region, d->review, (json_int_t)d->day,
			d->conflict, d->deleted, field, choice, delta);
	return row ? json_object_set_new(tally, k->data, row) : -1;
}

/* Adds delta (1 or -1) to the record count of d and to the choice count of each (field, choice) in choices
 * (a JSON array of [field, choice] pairs), in tally. */
static int add_counts(json_t *tally, const struct dims *d, const json_t *choices, int delta, char *err,
		      size_t errlen)
{
	/* A choice is an answer, at most one value long; the other parts are names. */
	struct buf k = BUF_INIT(OPJSON_MAX_VALUE + 4096);
	size_t i;
	int r = tally_add(tally, &k, d, NULL, NULL, delta);

	for (i = 0; r == 0 && i < json_array_size(choices); i++) {
		const json_t *pair = json_array_get(choices, i);

		r = tally_add(tally, &k, d, json_string_value(json_array_get(pair, 0)),
			      json_string_value(json_array_get(pair, 1)), delta);
	}
	buf_release(&k);
	return r < 0 ? err_oom(err, errlen) : 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sstore_counts_flush(struct sstore *s, json_t *tally, char *err, size_t errlen)
{
	size_t nkeys = json_object_size(tally), i = 0;
	const char **keys = nkeys ? malloc(nkeys * sizeof(*keys)) : NULL;
	const char *key;
	json_t *row;
	int r = 0;

	if (nkeys && !keys)
		return err_oom(err, errlen);
	/* In the keys' order, the same in every transaction: on PostgreSQL two ingests that change the same counts
	 * take their rows in one order, and never each hold one the other waits for. */
	json_object_foreach(tally, key, row)
		keys[i++] = key;
	qsort(keys, nkeys, sizeof(*keys), key_cmp);
	for (i = 0; i < nkeys; i++) {
		json_int_t n;
		int choice;
		struct db_stmt *st;
		int c = 1;

		row = json_object_get(tally, keys[i]);
		n = json_integer_value(json_array_get(row, 8));
		choice = json_is_string(json_array_get(row, 6));
		st = s->cst[choice ? C_CC_ADD : C_RC_ADD];

		/* A count taken back and given again, by a record whose dimensions and options stayed. */
		if (n == 0)
			continue;
		db_bind_text(st, c++, json_string_value(json_array_get(row, 0)));
		if (choice) {
			db_bind_text(st, c++, json_string_value(json_array_get(row, 6)));
			db_bind_text(st, c++, json_string_value(json_array_get(row, 7)));
		}
		db_bind_text(st, c++, json_string_value(json_array_get(row, 1)));
		db_bind_text(st, c++, json_string_value(json_array_get(row, 2)));
		db_bind_int(st, c++, json_integer_value(json_array_get(row, 3)));
		db_bind_int(st, c++, (int)json_integer_value(json_array_get(row, 4)));
		db_bind_int(st, c++, (int)json_integer_value(json_array_get(row, 5)));
		db_bind_int(st, c, n);
		if ((r = db_step_done(st, err, errlen)) < 0)
			break;
	}
	free(keys);
	json_object_clear(tally);
	return r;
}

int sstore_counts_refresh(struct sstore *s, int64_t rid, const json_t *new_choices, const char *review,
			  const char *rep, json_t *tally, char *err, size_t errlen)
{
	struct dims old, now;
	json_t *old_choices = json_array();
	struct db_stmt *st;
	int counted = 0, rc, r = -1;
	size_t i;

	memset(&old, 0, sizeof(old));
	memset(&now, 0, sizeof(now));
	/* What the record counted for until now, taken back, and what it counts for now. */
	st = s->cst[C_OLD];
	db_bind_int(st, 1, rid);
	rc = db_step(st);
	if (rc == DB_ROW) {
		counted = db_int(st, 0);
		strlcpy_s(old.form, db_text(st, 1), sizeof(old.form));
		strlcpy_s(old.region, db_text(st, 2), sizeof(old.region));
		strlcpy_s(old.review, db_text(st, 3), sizeof(old.review));
		old.day = db_int(st, 4);
		old.conflict = db_int(st, 5);
		old.deleted = db_int(st, 6);
		strlcpy_s(now.region, old.region, sizeof(now.region));
		/* A repeat's instances count under FORM/REPEAT: never among the form's records. */
		if (rep && rep[0])
			snprintf(now.form, sizeof(now.form), "%s/%s", db_text(st, 7), rep);
		else
			strlcpy_s(now.form, db_text(st, 7), sizeof(now.form));
		now.day = (int64_t)(HLC_MS((uint64_t)db_int(st, 8)) / SSTORE_DAY_MS);
		now.deleted = db_int(st, 9);
		now.conflict = db_int(st, 10);
		if (db_is_null(st, 7))
			rc = DB_CORRUPT;   /* a region's row without its record */
	}
	db_reset(st);
	if (rc != DB_ROW) {
		if (rc == DB_DONE)
			r = 0;   /* not a record of this server's regions: nothing to count */
		else
			db_error(s->db, rc, err, errlen);
		goto out;
	}
	if (counted) {
		st = s->cst[C_OLD_CHOICES];
		db_bind_int(st, 1, rid);
		while ((rc = db_step(st)) == DB_ROW)
			json_array_append_new(old_choices, json_pack("[s, s]", db_text(st, 0), db_text(st, 1)));
		db_reset(st);
		if (rc != DB_DONE) {
			db_error(s->db, rc, err, errlen);
			goto out;
		}
		if (add_counts(tally, &old, old_choices, -1, err, errlen) < 0)
			goto out;
	}
	strlcpy_s(now.review, review, sizeof(now.review));
	st = s->cst[C_CHOICES_DEL];
	db_bind_int(st, 1, rid);
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	st = s->cst[C_CHOICE_PUT];
	for (i = 0; i < json_array_size(new_choices); i++) {
		db_bind_int(st, 1, rid);
		db_bind_text(st, 2, json_string_value(json_array_get(json_array_get(new_choices, i), 0)));
		db_bind_text(st, 3, json_string_value(json_array_get(json_array_get(new_choices, i), 1)));
		if (db_step_done(st, err, errlen) < 0)
			goto out;
	}
	st = s->cst[C_DIMS_SET];
	db_bind_int(st, 1, rid);
	db_bind_text(st, 2, now.form);
	db_bind_text(st, 3, now.review);
	db_bind_int(st, 4, now.day);
	db_bind_int(st, 5, now.conflict);
	db_bind_int(st, 6, now.deleted);
	if (db_step_done(st, err, errlen) < 0 || add_counts(tally, &now, new_choices, 1, err, errlen) < 0)
		goto out;
	r = 0;
out:
	json_decref(old_choices);
	return r;
}

int sstore_counts_usable(const struct sstore_filter *f)
{
	/* The counts are kept by the day of creation: days of an answer are counted from the answers. */
	return !f->q[0] && f->nsel == 0 && !(sstore_filter_by_answer(f) && (f->from_ms || f->to_ms));
}

int sstore_counts_totals(struct sstore *s, const struct sstore_filter *f, json_t *totals, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(4096);
	struct db_stmt *st;
	int rc;

	buf_adds(&sql, "SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN review = 'pending' THEN n ELSE 0 END), 0),"
		 " coalesce(sum(CASE WHEN conflict <> 0 THEN n ELSE 0 END), 0),"
		 " count(DISTINCT CASE WHEN n > 0 THEN region END) FROM record_counts");
	buf_adds(&sql, " WHERE ");
	sstore_filter_where(&sql, f, SSTORE_OVER_COUNTS);
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_COUNTS, err, errlen)))
		goto fail;
	rc = db_step(st);
	if (rc == DB_ROW) {
		json_object_set_new(totals, "records", json_integer(db_int(st, 0)));
		json_object_set_new(totals, "pending", json_integer(db_int(st, 1)));
		json_object_set_new(totals, "conflicts", json_integer(db_int(st, 2)));
		json_object_set_new(totals, "regions", json_integer(db_int(st, 3)));
	}
	db_finalize(st);
	if (rc != DB_ROW)
		goto dberr;
	/* Distinct partners and devices cannot be summed: one pass over the records' own rows. */
	buf_reset(&sql);
	buf_adds(&sql, "SELECT count(DISTINCT nullif(namekey, '')), count(DISTINCT nullif(device, ''))"
		 " FROM record_regions");
	buf_adds(&sql, " WHERE ");
	sstore_filter_where(&sql, f, SSTORE_OVER_COUNTS);
	buf_adds(&sql, " AND counted <> 0");
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_COUNTS, err, errlen)))
		goto fail;
	rc = db_step(st);
	if (rc == DB_ROW) {
		json_object_set_new(totals, "partners", json_integer(db_int(st, 0)));
		json_object_set_new(totals, "devices", json_integer(db_int(st, 1)));
	}
	db_finalize(st);
	if (rc != DB_ROW)
		goto dberr;
	buf_release(&sql);
	return 0;
dberr:
	db_error(s->db, rc, err, errlen);
fail:
	buf_release(&sql);
	return -1;
}

int sstore_counts_chart(struct sstore *s, const struct sstore_filter *f, const char *field, unsigned top,
			json_t *counts, json_t *list, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(4096);
	struct db_stmt *st;
	int rc;

	buf_adds(&sql, "SELECT choice, sum(n) AS c FROM choice_counts");
	buf_adds(&sql, " WHERE ");
	sstore_filter_where(&sql, f, SSTORE_OVER_COUNTS);
	buf_adds(&sql, " AND field = :field GROUP BY choice HAVING sum(n) > 0 ORDER BY c DESC, choice");
	if (top)
		buf_printf(&sql, " LIMIT %u", top);
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_COUNTS, err, errlen))) {
		buf_release(&sql);
		return -1;
	}
	db_bind_named_text(st, ":field", field);
	rc = sstore_chart_rows(s, st, counts, list, err, errlen);
	buf_release(&sql);
	return rc;
}

int sstore_chart_rows(struct sstore *s, struct db_stmt *st, json_t *counts, json_t *list, char *err, size_t errlen)
{
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		if (db_type(st, 0) != DB_TEXT)
			continue;
		if (counts)
			json_object_set_new(counts, db_text(st, 0), json_integer(db_int(st, 1)));
		else
			json_array_append_new(list, json_pack("{s:s, s:I}", "value", db_text(st, 0), "count",
							      (json_int_t)db_int(st, 1)));
	}
	if (rc != DB_DONE)
		db_error(s->db, rc, err, errlen);
	db_finalize(st);
	return rc == DB_DONE ? 0 : -1;
}

json_t *sstore_counts_weeks(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(4096);
	json_t *weeks = json_array();
	struct db_stmt *st;
	int rc;

	/* Of creation, or of the day a date question's answer names, kept as that question's option. */
	if (sstore_filter_by_answer(f))
		buf_adds(&sql, "SELECT date(choice, '-6 days', 'weekday 1') AS w, sum(n) AS c FROM choice_counts");
	else
		buf_adds(&sql, "SELECT date(day * 86400, 'unixepoch', '-6 days', 'weekday 1') AS w, sum(n) AS c"
			 " FROM record_counts");
	buf_adds(&sql, " WHERE ");
	sstore_filter_where(&sql, f, SSTORE_OVER_COUNTS);
	if (sstore_filter_by_answer(f))
		buf_adds(&sql, " AND field = :date");
	buf_adds(&sql, " GROUP BY w HAVING sum(n) > 0 ORDER BY w");
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_COUNTS, err, errlen))) {
		buf_release(&sql);
		json_decref(weeks);
		return NULL;
	}
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(weeks, json_pack("{s:s, s:I}", "week", db_text(st, 0), "count",
						       (json_int_t)db_int(st, 1)));
	db_finalize(st);
	buf_release(&sql);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(weeks);
		return NULL;
	}
	return weeks;
}

int sstore_form_counts(struct sstore *s, void (*fn)(void *ctx, const char *form, uint64_t records, uint64_t pending),
		       void *ctx, char *err, size_t errlen)
{
	struct db_stmt *st = s->cst[C_FORMS];
	int rc;

	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_text(st, 0), (uint64_t)db_int(st, 1), (uint64_t)db_int(st, 2));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}
