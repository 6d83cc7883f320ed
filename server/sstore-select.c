/* sstore-select.c - the records of a selection, page by page in the order asked, each with its answers: what
 * the review page's table, the exports and bulk review read (sstore-review.h). The filter's SQL is
 * sstore-filter.c's. */
#include "sstore.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

enum { S_FIELDS, S_COUNT };

const char *const sstore_select_sql[SSTORE_SELECT_STMTS] = {
	[S_FIELDS] = "SELECT field, value, conflict FROM fields WHERE rid = ?1",
};

_Static_assert(S_COUNT <= SSTORE_SELECT_STMTS, "raise SSTORE_SELECT_STMTS in sstore-int.h");

/* A list of strings with nothing escaped ("[\"a\",\"b c\"]": a select_multiple answer), or NULL to leave to the
 * parser. */
static json_t *plain_list(const char *text, size_t len)
{
	json_t *list;
	const char *end;
	size_t i = 1;

	if (len < 2 || text[0] != '[' || text[len - 1] != ']' || !(list = json_array()))
		return NULL;
	while (i < len - 1) {
		if (text[i] != '"' || !(end = memchr(text + i + 1, '"', len - 1 - (i + 1))) ||
		    memchr(text + i + 1, '\\', (size_t)(end - text) - (i + 1)) ||
		    json_array_append_new(list, json_stringn_nocheck(text + i + 1, (size_t)(end - text) - (i + 1))) < 0) {
			json_decref(list);
			return NULL;
		}
		i = (size_t)(end - text) + 1;
		if (i == len - 1)
			break;
		/* A comma, and another string after it. */
		if (text[i++] != ',' || i == len - 1) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* A stored value (canonical JSON text, checked when its op was taken in) as JSON, without the parser for the
 * common cases: a string with nothing escaped, a list of those, and a whole number. New reference, NULL if it is
 * not JSON. */
json_t *sstore_value_json(const char *text, size_t len)
{
	json_t *list;
	size_t i;

	if (len >= 2 && text[0] == '"' && text[len - 1] == '"' && !memchr(text + 1, '\\', len - 2))
		return json_stringn_nocheck(text + 1, len - 2);
	if ((list = plain_list(text, len)))
		return list;
	for (i = text[0] == '-'; i < len && text[i] >= '0' && text[i] <= '9'; i++)
		;
	if (len && len < 19 && i == len && i > (size_t)(text[0] == '-'))
		return json_integer(strtoll(text, NULL, 10));
	return json_loadb(text, len, JSON_DECODE_ANY, NULL);
}

/* Fills the answers and review of r from the record's fields (rid), and *review_conflict with whether its
 * review has several heads (review_conflict may be NULL). */
int sstore_answers_load(struct sstore *s, int64_t rid, json_t *answers, json_t **review,
			int *review_conflict, char *err, size_t errlen)
{
	struct db_stmt *st = s->select_st[S_FIELDS];
	int rc;

	json_object_clear(answers);
	*review = NULL;
	if (review_conflict)
		*review_conflict = 0;
	db_bind_int(st, 1, rid);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *field = db_text(st, 0);
		json_t *v;

		/* _parent stays with the answers: it names the record a repeat instance belongs to. */
		if (form_meta_name(field) && strcmp(field, "_review") && strcmp(field, "_parent"))
			continue;
		if (review_conflict && !strcmp(field, "_review"))
			*review_conflict = db_int(st, 2) != 0;
		v = sstore_value_json(db_text(st, 1), (size_t)db_bytes(st, 1));
		if (!v || json_is_null(v)) {
			json_decref(v);
			continue;
		}
		if (!strcmp(field, "_review"))
			*review = v;
		else
			json_object_set_new(answers, field, v);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

#define RECORD_COLUMNS "r.rid, r.id, r.form, r.form_version, rr.region, rr.review, r.created, r.updated," \
	" r.conflicts, r.deleted"

/* Calls fn for each row of st (RECORD_COLUMNS), with its answers; *stop is set when fn asks to stop. Finalizes
 * st. 0, or -1 with err. */
static int emit_rows(struct sstore *s, struct db_stmt *st, sstore_record_fn fn, void *ctx, json_t *answers, int *stop,
		     uint64_t *rows, char *err, size_t errlen)
{
	int rc = DB_DONE;

	while (!*stop && (rc = db_step(st)) == DB_ROW) {
		struct sstore_record rec;
		json_t *review = NULL;

		memset(&rec, 0, sizeof(rec));
		strlcpy_s(rec.id, db_text(st, 1), sizeof(rec.id));
		rec.form = db_text(st, 2);
		rec.version = db_text(st, 3);
		rec.region = db_text(st, 4);
		rec.review = db_text(st, 5);
		rec.created_ms = HLC_MS((uint64_t)db_int(st, 6));
		rec.updated_ms = HLC_MS((uint64_t)db_int(st, 7));
		rec.conflicts = db_int(st, 8);
		rec.deleted = db_int(st, 9);
		if (sstore_answers_load(s, db_int(st, 0), answers, &review, &rec.review_conflict, err,
				 errlen) < 0) {
			db_finalize(st);
			return -1;
		}
		rec.review_comment = json_string_value(json_object_get(review, "comment"));
		if (!rec.review_comment)
			rec.review_comment = "";
		rec.answers = answers;
		*stop = fn(ctx, &rec);
		(*rows)++;
		json_decref(review);
	}
	if (!*stop && rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		db_finalize(st);
		return -1;
	}
	db_finalize(st);
	return 0;
}

/* The number of selected records that sql (a SELECT count(*) over the selection) counts; -1 with err. */
static int64_t count_sel(struct sstore *s, const struct buf *sql, const struct sstore_filter *f,
			 const struct sstore_page *p, char *err, size_t errlen)
{
	struct db_stmt *st = sstore_filter_prepare(s, sql, f, SSTORE_OVER_RECORDS, err, errlen);
	int64_t n = -1;
	int rc;

	if (!st)
		return -1;
	db_bind_named_text(st, ":sortq", p->question);
	rc = db_step(st);
	if (rc == DB_ROW)
		n = db_int(st, 0);
	else
		db_error(s->db, rc, err, errlen);
	db_finalize(st);
	return n;
}

/* Pages of a selection sorted by a question's answer. Sorting every selected record on each page is too slow on
 * a large store, so the answers are walked in order in an index of the fields (fields_by_field, or for a
 * number fields_by_number), stopping at the page; the records without an answer come after them, in id
 * order. */
static int select_by_answer(struct sstore *s, const struct sstore_filter *f, const struct sstore_page *p,
			    sstore_record_fn fn, void *ctx, json_t *answers, char *err, size_t errlen)
{
	/* fields_by_number's own condition (sstore.c), which the query must state to use it. */
	static const char number_rows[] = "o.value >= '-' AND o.value < ':'";
	struct buf sql = BUF_INIT(SSTORE_SQL_MAX);
	uint64_t rows = 0, skip = p->offset;
	struct db_stmt *st;
	int64_t answered;
	int stop = 0, r = -1;

	buf_printf(&sql, "SELECT " RECORD_COLUMNS " FROM fields o INDEXED BY %s JOIN records r ON r.rid = o.rid"
		   " JOIN record_regions rr ON rr.rid = r.rid WHERE o.field = :sortq AND %s AND ",
		   p->numeric ? "fields_by_number" : "fields_by_field", p->numeric ? number_rows : "o.value != 'null'");
	sstore_filter_where(&sql, f, SSTORE_OVER_RECORDS);
	if (p->numeric)
		buf_adds(&sql, p->desc ? " ORDER BY CAST(o.value AS REAL) DESC, r.id DESC" :
					 " ORDER BY CAST(o.value AS REAL), r.id");
	else
		/* The index's order, then the whole answer where prefixes tie: SQLite walks the index and sorts
		 * only each run of equal prefixes. */
		buf_adds(&sql, p->desc ? " ORDER BY substr(o.value, 1, " SSTORE_SORT_PREFIX ") DESC, o.value DESC, r.id DESC" :
					 " ORDER BY substr(o.value, 1, " SSTORE_SORT_PREFIX "), o.value, r.id");
	if (p->limit)
		buf_adds(&sql, " LIMIT :limit OFFSET :offset");
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_RECORDS, err, errlen)))
		goto out;
	/* Every record of the selection (an export, a bulk review): a page of rows at a time. */
	if (!p->limit)
		db_stream(st);
	db_bind_named_text(st, ":sortq", p->question);
	db_bind_named_int(st, ":limit", p->limit);
	db_bind_named_int(st, ":offset", (int64_t)p->offset);
	if (emit_rows(s, st, fn, ctx, answers, &stop, &rows, err, errlen) < 0)
		goto out;
	if (stop || (p->limit && rows == p->limit)) {
		r = 0;
		goto out;
	}
	/* The page reaches past the answered records: how many there are says where the others start. */
	if (p->offset) {
		buf_reset(&sql);
		buf_printf(&sql, "SELECT count(*) FROM fields o INDEXED BY %s JOIN records r ON r.rid = o.rid"
			   " JOIN record_regions rr ON rr.rid = r.rid WHERE o.field = :sortq AND %s AND ",
			   p->numeric ? "fields_by_number" : "fields_by_field",
			   p->numeric ? number_rows : "o.value != 'null'");
		sstore_filter_where(&sql, f, SSTORE_OVER_RECORDS);
		if ((answered = count_sel(s, &sql, f, p, err, errlen)) < 0)
			goto out;
		skip = p->offset > (uint64_t)answered ? p->offset - (uint64_t)answered : 0;
	}
	buf_reset(&sql);
	buf_adds(&sql, "SELECT " RECORD_COLUMNS);
	sstore_filter_from(&sql, f);
	buf_printf(&sql, " AND NOT EXISTS (SELECT 1 FROM fields o WHERE o.rid = r.rid AND o.field = :sortq AND %s)",
		   p->numeric ? number_rows : "o.value != 'null'");
	buf_adds(&sql, p->desc ? " ORDER BY r.id DESC" : " ORDER BY r.id");
	if (p->limit)
		buf_adds(&sql, " LIMIT :limit OFFSET :offset");
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_RECORDS, err, errlen)))
		goto out;
	/* Every record of the selection (an export, a bulk review): a page of rows at a time. */
	if (!p->limit)
		db_stream(st);
	db_bind_named_text(st, ":sortq", p->question);
	db_bind_named_int(st, ":limit", (int64_t)(p->limit - rows));
	db_bind_named_int(st, ":offset", (int64_t)skip);
	if (emit_rows(s, st, fn, ctx, answers, &stop, &rows, err, errlen) < 0)
		goto out;
	r = 0;
out:
	buf_release(&sql);
	return r;
}

int sstore_select(struct sstore *s, const struct sstore_filter *f, const struct sstore_page *p,
		  sstore_record_fn fn, void *ctx, uint64_t *total, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(SSTORE_SQL_MAX);
	struct db_stmt *st;
	json_t *answers = json_object();
	uint64_t rows = 0;
	int64_t n;
	int r = -1, stop = 0;

	if (total) {
		buf_adds(&sql, "SELECT count(*)");
		sstore_filter_from(&sql, f);
		if ((n = count_sel(s, &sql, f, p, err, errlen)) < 0)
			goto out;
		*total = (uint64_t)n;
	}
	if (p->sort == SORT_QUESTION) {
		r = select_by_answer(s, f, p, fn, ctx, answers, err, errlen);
		goto out;
	}
	buf_reset(&sql);
	buf_adds(&sql, "SELECT " RECORD_COLUMNS);
	sstore_filter_from(&sql, f);
	switch (p->sort) {
	case SORT_CREATED: buf_adds(&sql, " ORDER BY r.created"); break;
	case SORT_REGION: buf_adds(&sql, " ORDER BY rr.region"); break;
	case SORT_REVIEW: buf_adds(&sql, " ORDER BY rr.review"); break;
	default: buf_adds(&sql, " ORDER BY r.updated");
	}
	buf_adds(&sql, p->desc ? " DESC, r.id DESC" : ", r.id");
	if (p->limit)
		buf_adds(&sql, " LIMIT :limit OFFSET :offset");
	if (!(st = sstore_filter_prepare(s, &sql, f, SSTORE_OVER_RECORDS, err, errlen)))
		goto out;
	/* Every record of the selection (an export, a bulk review): a page of rows at a time. */
	if (!p->limit)
		db_stream(st);
	db_bind_named_int(st, ":limit", p->limit);
	db_bind_named_int(st, ":offset", (int64_t)p->offset);
	r = emit_rows(s, st, fn, ctx, answers, &stop, &rows, err, errlen);
out:
	json_decref(answers);
	buf_release(&sql);
	return r;
}
