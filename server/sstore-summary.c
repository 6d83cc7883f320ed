/* sstore-summary.c - the review summary and search index kept beside each record: its review state, the
 * partner-name and duplicate keys, the options the dashboard counts (sstore-counts.c) and its full-text
 * document, recomputed in the transaction that changed the record (sstore_review_refresh), and the rules of a
 * review state (sstore-review.h). */
#include "sstore.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db.h"
#include "form.h"
#include "util.h"
#include "review.h"
#include "banned.h"

enum {
	S_FIELDS, S_SUMMARY, S_FTS_DEL, S_FTS_PUT, S_RID, S_ALL_RIDS, S_META_DEL, S_CREATOR, S_KIND, S_FTS_CLEAR,
	S_FTS_HASH, S_REINDEX, S_KIND_FIELDS, S_COUNT
};

const char *const sstore_summary_sql[SSTORE_SUMMARY_STMTS] = {
	[S_FIELDS] = "SELECT field, value, conflict FROM fields WHERE rid = ?1",
	[S_SUMMARY] = "UPDATE record_regions SET review = ?2, namekey = ?3, dupkey = ?4, rep = ?5, fts = ?6"
		      " WHERE rid = ?1",
	[S_FTS_HASH] = "SELECT fts FROM record_regions WHERE rid = ?1",
	[S_REINDEX] = "INSERT INTO meta(key, value) VALUES('reindex', '1')"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* The search index is contentless (SSTORE_FTS): a document is taken out by giving its text again. */
	[S_FTS_DEL] = "INSERT INTO records_fts(records_fts, rowid, body) VALUES('delete', ?1, ?2)",
	[S_FTS_CLEAR] = "INSERT INTO records_fts(records_fts) VALUES('delete-all')",
	[S_FTS_PUT] = "INSERT INTO records_fts(rowid, body) VALUES(?1, ?2)",
	/* RID_CHUNK ids at a time (repeated to fill the list): one round trip for 32 records, not 32, on PostgreSQL. */
	[S_RID] = "SELECT rid FROM records WHERE id IN (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
		  " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)",
	[S_ALL_RIDS] = "SELECT rid FROM record_regions ORDER BY rid",
	[S_META_DEL] = "DELETE FROM meta WHERE key = ?1",
	/* After an upgrade from layout 1: the device of a record's first op made it. */
	[S_CREATOR] = "UPDATE record_regions SET device = coalesce((SELECT d.id FROM ops o JOIN devices d"
		      " ON d.did = o.did WHERE o.rid = record_regions.rid ORDER BY o.hlc, o.id LIMIT 1), '')"
		      " WHERE device = ''",
	[S_KIND] = "SELECT form, form_version FROM records WHERE rid = ?1",
	/* S_KIND and S_FIELDS in one round trip: a record's form version, then its fields (none: one row of NULLs). */
	[S_KIND_FIELDS] = "SELECT r.form, r.form_version, f.field, f.value FROM records r LEFT JOIN fields f"
			  " ON f.rid = r.rid WHERE r.rid = ?1",
};

/* On PostgreSQL the search index is a table of tsvectors (sstore.c, SEARCH_PG): a document goes in as its words
 * (sondeo_compat.search_words splits them as FTS5's unicode61 does, and folds case and accents), and out by its
 * record alone. */
const char *const sstore_summary_sql_pg[SSTORE_SUMMARY_STMTS] = {
	[S_FTS_DEL] = "DELETE FROM records_fts WHERE rowid = ?1",
	[S_FTS_CLEAR] = "DELETE FROM records_fts",
	[S_FTS_PUT] = "INSERT INTO records_fts(rowid, body) VALUES(?1, to_tsvector('simple', sondeo_compat.search_words(?2)))",
};

_Static_assert(S_COUNT <= SSTORE_SUMMARY_STMTS, "raise SSTORE_SUMMARY_STMTS in sstore-int.h");

#define RID_CHUNK 32                    /* the ids S_RID takes */

int sstore_review_check(const char *status, const char *comment, char *err, size_t errlen)
{
	size_t i;

	if (!review_state_valid(status))
		return errf(err, errlen, _("status '%.40s' is not pending, approved, has_issues or rejected"), status);
	if (utf8_len(comment) > SSTORE_MAX_COMMENT)
		return errf(err, errlen, _("the comment has more than %d characters"), SSTORE_MAX_COMMENT);
	for (i = 0; comment[i]; i++)
		if (((unsigned char)comment[i] < 0x20 && comment[i] != '\n' && comment[i] != '\t') || comment[i] == 0x7f)
			return errf(err, errlen, _("the comment holds a control character"));
	if ((!strcmp(status, "has_issues") || !strcmp(status, "rejected")) && !*comment)
		return errf(err, errlen, _("say what is wrong: a comment is needed with %s"), status);
	return 0;
}

/* A name as duplicates are matched on: lower case, Latin accents removed, anything but letters and digits a
 * single space, trimmed. "  Ministère du  Travail (MoL)" -> "ministere du travail mol". Other scripts are kept
 * as they are. */
static void normalise(const char *in, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	int space = 0;

	buf_reset(out);
	while (*p) {
		char c = 0;
		size_t n = 1;

		if (*p < 0x80) {
			c = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
				c = ' ';
		} else if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			n = 2;
			c = utf8_fold_latin(((unsigned)(*p & 0x1f) << 6) | (p[1] & 0x3f));
			if (c == '*' || c == '/')
				c = ' ';
		} else {
			n = (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 1;
		}
		if (c == ' ') {
			space = out->len > 0;
		} else {
			if (space)
				buf_addc(out, ' ');
			space = 0;
			if (c)
				buf_addc(out, c);
			else
				buf_add(out, p, strnlen((const char *)p, n));
		}
		p += strnlen((const char *)p, n);
	}
}

const char *sstore_name_field(const struct form *f)
{
	const char *const *names;
	size_t n = form_title_fields(f, &names), i;

	for (i = 0; i < n; i++)
		if (form_find(f, names[i])->type == FT_TEXT)
			return names[i];
	for (i = 0; i < form_count(f); i++)
		if (form_question(f, i)->type == FT_TEXT)
			return form_question(f, i)->name;
	return NULL;
}

int sstore_title_detail(const struct form *f, const struct form_question *q)
{
	const char *const *names;
	const char *name = sstore_name_field(f);
	size_t n = form_title_fields(f, &names), i;

	/* A country is typed (a text) or chosen (a select_one): either tells one partner of that name from another. */
	if ((q->type != FT_TEXT && q->type != FT_SELECT_ONE) || (name && !strcmp(q->name, name)))
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], q->name))
			return 1;
	return 0;
}

/* Loads into s->kind version of form (kept while the next records are of the same version: ops come in runs of
 * one form). NULL if the form cannot be loaded. */
static const struct form *kind_load(struct sstore *s, const char *form, const char *version)
{
	if (s->kind && !strcmp(form_id(s->kind), form) && !strcmp(form_version(s->kind), version))
		return s->kind;
	form_free(s->kind);
	if (!form[0] || !(s->kind = sstore_form_get(s, form, version, NULL, 0)))
		return s->kind = NULL;
	return s->kind;
}

/* Loads into s->kind the form version of record rid (kind_load). */
const struct form *sstore_record_kind(struct sstore *s, int64_t rid)
{
	struct db_stmt *st = s->summary_st[S_KIND];
	char form[MERGE_MAX_NAME + 1] = "", version[MERGE_MAX_NAME + 1] = "";

	db_bind_int(st, 1, rid);
	if (db_step(st) == DB_ROW) {
		strlcpy_s(form, db_text(st, 0), sizeof(form));
		strlcpy_s(version, db_text(st, 1), sizeof(version));
	}
	db_reset(st);
	return kind_load(s, form, version);
}

/* Appends to choices a [field, choice] pair for each choice of answer v (a string, or an array of them): what the
 * dashboard's kept counts count. */
static void add_choices(json_t *choices, const char *field, const json_t *v)
{
	size_t i;

	if (json_is_string(v))
		json_array_append_new(choices, json_pack("[s, s]", field, json_string_value(v)));
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
		if (json_is_string(json_array_get(v, i)))
			json_array_append_new(choices, json_pack("[s, s]", field, json_string_value(json_array_get(v, i))));
}

/* Adds [field, "YYYY-MM-DD"] to choices: the day a date or dateTime answer v names, as written. */
static void add_day(json_t *choices, const char *field, const json_t *v)
{
	const char *d = json_string_value(v);
	size_t i;

	for (i = 0; d && i < 10; i++)
		if (!(i == 4 || i == 7 ? d[i] == '-' : d[i] >= '0' && d[i] <= '9'))
			return;
	if (d)
		json_array_append_new(choices, json_pack("[s, s#]", field, d, 10));
}

/* The duplicate key: the normalised name, then the other title fields (detail: field -> normalised answer)
 * in the form's order, "name|country" for the partnership form. */
static void dup_key(const struct form *kind, const char *name, const json_t *detail, struct buf *key)
{
	const char *const *names;
	size_t n = form_title_fields(kind, &names), i;

	buf_adds(key, name);
	for (i = 0; i < n; i++) {
		const char *d = json_string_value(json_object_get(detail, names[i]));

		if (sstore_title_detail(kind, form_find(kind, names[i])))
			buf_printf(key, "|%s", d ? d : "");
	}
}

/* Adds answer v of question q (NULL: not in the form) to a record's search document: only what people wrote
 * is searched, not choice names, dates or places; one answer a line. */
static void text_add(const struct form_question *q, const json_t *v, struct buf *body)
{
	if (!q || q->type != FT_TEXT || !json_is_string(v))
		return;
	if (body->len)
		buf_addc(body, '\n');
	buf_add(body, json_string_value(v), json_string_length(v));
}

/* What record_regions.fts keeps of a search document: 0 for none, else 63 bits of its BLAKE2b hash. */
static int64_t text_hash(const struct buf *body)
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	uint64_t v = 0;
	size_t i;

	if (!body->len)
		return 0;
	crypto_generichash(h, sizeof(h), (const unsigned char *)body->data, body->len, NULL, 0);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	v >>= 1;
	return v ? (int64_t)v : 1;
}

/* The search document of record rid as its fields are now, into body: what refresh_rid indexed, as long as
 * the record has not changed since. 0, or -1 with err. */
static int text_of(struct sstore *s, int64_t rid, struct buf *body, char *err, size_t errlen)
{
	const struct form *kind = sstore_record_kind(s, rid);
	struct db_stmt *st = s->summary_st[S_FIELDS];
	int rc;

	buf_reset(body);
	db_bind_int(st, 1, rid);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *field = db_text(st, 0);
		json_t *v;

		if (form_meta_name(field) || !kind)
			continue;
		v = sstore_value_json(db_text(st, 1), (size_t)db_bytes(st, 1));
		text_add(form_find(kind, field), v, body);
		json_decref(v);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

/* Puts record rid's document into the search index, as its fields give it now. 0, or -1 with err. */
static int search_put(struct sstore *s, int64_t rid, char *err, size_t errlen)
{
	struct buf body = BUF_INIT(SSTORE_TEXT_MAX);
	struct db_stmt *st = s->summary_st[S_FTS_PUT];
	int r = text_of(s, rid, &body, err, errlen);

	if (r == 0 && body.len) {
		db_bind_int(st, 1, rid);
		db_bind_text(st, 2, body.data);
		r = db_step_done(st, err, errlen);
	}
	buf_release(&body);
	return r;
}

/* Recomputes the summary row of record rid from its fields: its review state, its name key and duplicate key,
 * and its full-text document: every text answer, one after the other. The record's old document must have
 * been taken out of the search index before its fields changed (sstore_review_forget). */
static int refresh_rid(struct sstore *s, int64_t rid, json_t *tally, char *err, size_t errlen)
{
	struct buf body = BUF_INIT(SSTORE_TEXT_MAX), name = BUF_INIT(4096), details = BUF_INIT(4096), key = BUF_INIT(8192);
	char review[16] = "pending", rep[MERGE_MAX_NAME + 1] = "";
	const struct form *kind = NULL;
	const char *name_field = NULL;
	const struct form_question *q;
	json_t *choices = json_array(), *detail = json_object();
	struct db_stmt *st;
	int rc, r = -1, first = 1;

	st = s->summary_st[S_KIND_FIELDS];
	db_bind_int(st, 1, rid);
	for (rc = db_step(st); rc == DB_ROW; rc = db_step(st)) {
		const char *field = db_text(st, 2), *value = db_text(st, 3);
		json_t *v;

		/* The first row names the form version; the form is loaded once the strings are copied, as loading it
		 * may read the store. */
		if (first) {
			char form[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1];

			first = 0;
			strlcpy_s(form, db_text(st, 0), sizeof(form));
			strlcpy_s(version, db_text(st, 1), sizeof(version));
			kind = kind_load(s, form, version);
			name_field = kind ? sstore_name_field(kind) : NULL;
			field = db_text(st, 2);
			value = db_text(st, 3);
		}
		if (db_is_null(st, 2))
			continue;   /* a record without fields */

		if (!strcmp(field, "_review")) {
			const char *state;

			v = json_loads(value, JSON_DECODE_ANY, NULL);
			state = json_string_value(json_object_get(v, "status"));
			if (state && review_state_valid(state))
				strlcpy_s(review, state, sizeof(review));
			json_decref(v);
			continue;
		}
		if (!strcmp(field, "_repeat")) {
			v = json_loads(value, JSON_DECODE_ANY, NULL);
			strlcpy_s(rep, json_string_value(v) ? json_string_value(v) : "", sizeof(rep));
			json_decref(v);
			continue;
		}
		if (form_meta_name(field))
			continue;
		v = sstore_value_json(value, (size_t)db_bytes(st, 3));
		q = kind ? form_find(kind, field) : NULL;
		/* The options the dashboard counts: select answers, and the text title fields as given (a country);
		 * and the day a date question's answer names, by which it counts records per week. */
		if (q && (q->type == FT_SELECT_ONE || q->type == FT_SELECT_MULTIPLE || sstore_title_detail(kind, q)))
			add_choices(choices, field, v);
		else if (q && (q->type == FT_DATE || q->type == FT_DATETIME) && !form_repeat_of(q))
			add_day(choices, field, v);
		if (json_is_string(v)) {
			if (name_field && !strcmp(field, name_field)) {
				normalise(json_string_value(v), &name);
			} else if (q && sstore_title_detail(kind, q)) {
				normalise(json_string_value(v), &details);
				json_object_set_new(detail, field, json_string(details.data));
			}
		}
		text_add(q, v, &body);
		json_decref(v);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	if (name.len)
		dup_key(kind, name.data, detail, &key);
	/* The counts first: they take back what the record counted for, with its review as it was. */
	if (sstore_counts_refresh(s, rid, choices, review, rep, tally, err, errlen) < 0)
		goto out;
	st = s->summary_st[S_SUMMARY];
	db_bind_int(st, 1, rid);
	db_bind_text(st, 2, review);
	db_bind_text(st, 3, name.data);
	db_bind_text(st, 4, rep[0] ? "" : key.data);   /* an instance is no duplicate of a record */
	db_bind_text(st, 5, rep);
	db_bind_int(st, 6, text_hash(&body));
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	st = s->summary_st[S_FTS_PUT];
	db_bind_int(st, 1, rid);
	db_bind_text(st, 2, body.data);
	if (body.len && db_step_done(st, err, errlen) < 0)
		goto out;
	r = 0;
out:
	json_decref(choices);
	buf_release(&body);
	buf_release(&name);
	buf_release(&details);
	json_decref(detail);
	buf_release(&key);
	return r;
}

static int rid_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The records ops[0..n) name that the store holds, each once, into *rids (*nrids; the caller frees it): a
 * record's document is taken out and put back exactly once: a contentless index keeps no record of what it
 * holds, and a document taken out twice corrupts it. 0, or -1 with err. */
static int touched(struct sstore *s, const struct op *ops, size_t n, int64_t **rids, size_t *nrids,
		   char *err, size_t errlen)
{
	struct db_stmt *st = s->summary_st[S_RID];
	const char *ids[RID_CHUNK];
	size_t i = 0, k = 0, m, j;
	int rc;

	*nrids = 0;
	if (!(*rids = mem_calloc(n ? n : 1, sizeof(**rids))))
		return err_oom(err, errlen);
	while (i < n) {
		/* The next RID_CHUNK records named (an op's record once when its ops follow each other), the last
		 * repeated to fill the list; each record's row comes once, however often it is named. */
		for (m = 0; i < n && m < RID_CHUNK; i++)
			if (!m || strcmp(ops[i].record, ids[m - 1]))
				ids[m++] = ops[i].record;
		for (j = 0; j < RID_CHUNK; j++)
			db_bind_text(st, (int)j + 1, ids[j < m ? j : m - 1]);
		/* A row for each record named at most, and never more names than ops: k stays within n. */
		while ((rc = db_step(st)) == DB_ROW)
			(*rids)[k++] = db_int(st, 0);
		db_reset(st);
		if (rc != DB_DONE) {
			free(*rids);
			*rids = NULL;
			return db_error(s->db, rc, err, errlen);
		}
	}
	qsort(*rids, k, sizeof(**rids), rid_cmp);
	for (i = 0; i < k; i++)
		if (!*nrids || (*rids)[*nrids - 1] != (*rids)[i])
			(*rids)[(*nrids)++] = (*rids)[i];
	return 0;
}

int sstore_review_forget(struct sstore *s, const struct op *ops, size_t n, char *err, size_t errlen)
{
	struct buf body = BUF_INIT(SSTORE_TEXT_MAX);
	struct db_stmt *st = s->summary_st[S_FTS_DEL];
	int64_t *rids;
	size_t nrids, i;
	int r = -1;

	if (touched(s, ops, n, &rids, &nrids, err, errlen) < 0)
		return -1;
	for (i = 0; i < nrids; i++) {
		struct db_stmt *hs = s->summary_st[S_FTS_HASH];
		int64_t held = 0;
		int rc;

		/* On PostgreSQL a record's entry is taken out by its record alone, whatever words it holds. */
		if (db_is_pg(s->db)) {
			db_bind_int(st, 1, rids[i]);
			if (db_step_done(st, err, errlen) < 0)
				goto out;
			continue;
		}
		if (text_of(s, rids[i], &body, err, errlen) < 0)
			goto out;
		db_bind_int(hs, 1, rids[i]);
		if ((rc = db_step(hs)) == DB_ROW)
			held = db_int(hs, 0);
		db_reset(hs);
		if (rc != DB_ROW && rc != DB_DONE) {
			db_error(s->db, rc, err, errlen);
			goto out;
		}
		/* Not the text that was indexed (a form that could not be read then, or now): taking other words
		 * out would corrupt the index, so the old ones stay, found by a search until the index is rebuilt
		 * the next time the store is opened. */
		if (text_hash(&body) != held) {
			if (db_step_done(s->summary_st[S_REINDEX], err, errlen) < 0)
				goto out;
			continue;
		}
		if (!body.len)
			continue;
		db_bind_int(st, 1, rids[i]);
		db_bind_text(st, 2, body.data);
		if (db_step_done(st, err, errlen) < 0)
			goto out;
	}
	r = 0;
out:
	buf_release(&body);
	free(rids);
	return r;
}

int sstore_review_refresh(struct sstore *s, const struct op *ops, size_t n, char *err, size_t errlen)
{
	json_t *tally = json_object();
	int64_t *rids;
	size_t nrids, i;
	int r = 0;

	if (!tally)
		return err_oom(err, errlen);
	if (touched(s, ops, n, &rids, &nrids, err, errlen) < 0) {
		json_decref(tally);
		return -1;
	}
	for (i = 0; i < nrids && r == 0; i++)
		r = refresh_rid(s, rids[i], tally, err, errlen);
	if (r == 0)
		r = sstore_counts_flush(s, tally, err, errlen);
	json_decref(tally);
	free(rids);
	return r;
}

int sstore_review_reindex(struct sstore *s, char *err, size_t errlen)
{
	struct db_stmt *st = s->summary_st[S_ALL_RIDS];
	json_t *tally = NULL;
	int64_t *rids = NULL;
	size_t n = 0, cap = 0, i;
	char flag[8];
	int rc;

	static const char *const reindexing[] = { "sondeo: reindex" };
	int search_only;

	if (sstore_meta_get(s, "reindex", flag, sizeof(flag)) < 0)
		return 0;
	/* On PostgreSQL, processes started together take turns here (SQLite's BEGIN IMMEDIATE does it there). */
	if (db_begin(s->db, err, errlen) < 0 || db_lock(s->db, reindexing, 1, err, errlen) < 0)
		goto fail;
	/* Another worker may have done it while we waited for the lock. */
	if (sstore_meta_get(s, "reindex", flag, sizeof(flag)) < 0) {
		db_rollback(s->db);
		return 0;
	}
	/* "search": the summaries and counts are right (a store moved by sondeod migrate), only the search index,
	 * each engine's own, is to be made. */
	search_only = !strcmp(flag, "search");
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap) {
			int64_t *more = realloc(rids, (cap = cap ? cap * 2 : 1024) * sizeof(*rids));

			if (!more) {
				rc = DB_NOMEM;
				break;
			}
			rids = more;
		}
		rids[n++] = db_int(st, 0);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		goto fail;
	}
	if (db_step_done(s->summary_st[S_FTS_CLEAR], err, errlen) < 0)
		goto fail;
	if (!(tally = json_object())) {
		err_oom(err, errlen);
		goto fail;
	}
	for (i = 0; i < n; i++)
		if ((search_only ? search_put(s, rids[i], err, errlen) : refresh_rid(s, rids[i], tally, err, errlen)) < 0)
			goto fail;
	if (!search_only && (sstore_counts_flush(s, tally, err, errlen) < 0 ||
			     db_step_done(s->summary_st[S_CREATOR], err, errlen) < 0))
		goto fail;
	db_bind_text(s->summary_st[S_META_DEL], 1, "reindex");
	if (db_step_done(s->summary_st[S_META_DEL], err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto fail;
	json_decref(tally);
	free(rids);
	return 0;
fail:
	db_rollback(s->db);
	json_decref(tally);
	free(rids);
	return -1;
}
