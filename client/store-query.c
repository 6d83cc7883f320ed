/* store-query.c - what the commands read from the device's store: the installed forms, selections of records,
 * a field's value and heads, a record's history and repeat instances, and counts. */
#include "store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

int store_form_list(struct store *s, void (*fn)(void *ctx, const char *id, const char *version, const char *json,
						uint64_t records), void *ctx, char *err, size_t errlen)
{
	/* Each form at its newest version, with how many records use the form. */
	struct db_stmt *st = db_prepare(s->db, "SELECT f.id, f.version, f.json, (SELECT COUNT(*) FROM records r"
				      " WHERE r.form = f.id AND NOT r.deleted) FROM forms f WHERE f.installed ="
				      " (SELECT max(installed) FROM forms g WHERE g.id = f.id) ORDER BY f.id", err, errlen);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_text(st, 0), db_text(st, 1), db_text(st, 2), (uint64_t)db_int(st, 3));
	db_finalize(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

/* The SQL of a selection; its parameters are bound by select_bind. */
static void select_sql(const struct store_filter *f, struct buf *sql)
{
	size_t i;

	buf_adds(sql, "SELECT " STORE_RECORD_COLUMNS " FROM records r WHERE 1");
	if (f->form)
		buf_adds(sql, " AND r.form = ?1");
	if (!f->deleted)
		buf_adds(sql, " AND NOT r.deleted");
	else if (f->deleted == 2)
		buf_adds(sql, " AND r.deleted");
	/* A repeat's instances are listed with their record (sondeo show), not among the records. */
	buf_adds(sql, " AND NOT EXISTS (SELECT 1 FROM fields p WHERE p.rid = r.rid AND p.field = '_parent')");
	if (f->drafts)
		buf_adds(sql, " AND r.draft");
	if (f->finals)
		buf_adds(sql, " AND NOT r.draft");
	if (f->conflicts)
		buf_adds(sql, " AND r.conflicts > 0");
	if (f->search)
		buf_adds(sql, " AND EXISTS (SELECT 1 FROM fields t WHERE t.rid = r.rid AND t.field NOT IN ('_parent', '_repeat', '_review')"
			 " AND (CASE json_type(t.value) WHEN 'text' THEN json_extract(t.value, '$') WHEN 'array' THEN t.value END)"
			 " LIKE ?2 ESCAPE '\\')");
	/* A select_multiple answer matches when the value is one of its choices. */
	for (i = 0; i < f->nwhere; i++)
		buf_printf(sql, " AND EXISTS (SELECT 1 FROM fields w WHERE w.rid = r.rid AND w.field = ?%zu AND"
			   " (CAST(json_extract(w.value, '$') AS TEXT) = ?%zu OR (json_type(w.value) = 'array' AND"
			   " EXISTS (SELECT 1 FROM json_each(w.value) e WHERE e.value = ?%zu))))",
			   10 + 2 * i, 11 + 2 * i, 11 + 2 * i);
	buf_adds(sql, " ORDER BY r.updated DESC, r.id");
}

static void select_bind(struct db_stmt *st, const struct store_filter *f, struct buf *like)
{
	const char *p;
	size_t i;

	if (f->form)
		db_bind_text(st, 1, f->form);
	if (f->search) {
		/* The text as typed: LIKE's own wildcards in it are plain characters. */
		buf_addc(like, '%');
		for (p = f->search; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				buf_addc(like, '\\');
			buf_addc(like, *p);
		}
		buf_addc(like, '%');
		db_bind_text(st, 2, like->data);
	}
	for (i = 0; i < f->nwhere; i++) {
		db_bind_text(st, 10 + 2 * (int)i, f->where[i].question);
		db_bind_text(st, 11 + 2 * (int)i, f->where[i].value);
	}
}

int store_select(struct store *s, const struct store_filter *f, store_record_fn fn, void *ctx, char *err,
		 size_t errlen)
{
	struct buf sql = BUF_INIT(1 << 16), like = BUF_INIT(4096);
	struct db_stmt *st = NULL;
	struct store_record rec;
	int rc = DB_DONE, r = -1;

	if (f->nwhere > STORE_MAX_WHERE) {
		errf(err, errlen, _("at most %d conditions in one selection"), STORE_MAX_WHERE);
		goto out;
	}
	select_sql(f, &sql);
	if (!(st = db_prepare(s->db, sql.data, err, errlen)))
		goto out;
	select_bind(st, f, &like);
	while ((rc = db_step(st)) == DB_ROW) {
		store_record_read(st, &rec);
		if (fn(ctx, &rec))
			break;
	}
	if (rc != DB_DONE && rc != DB_ROW)
		db_error(s->db, rc, err, errlen);
	else
		r = 0;
out:
	db_finalize(st);
	buf_release(&sql);
	buf_release(&like);
	return r;
}

int store_history(struct store *s, const struct store_record *rec,
		  int (*fn)(void *ctx, const struct store_history_op *h), void *ctx, char *err, size_t errlen)
{
	struct db_stmt *st;
	int rc;

	if (rec->draft)
		return 0;
	/* The old value of an op is the value of the ops it replaced: its base. */
	st = db_prepare(s->db, "SELECT o.hlc, d.id, o.seq, o.field, " MERGE_OP_VALUE("o") ","
			" (SELECT json_group_array(json(" MERGE_OP_VALUE("p") ")) FROM op_base b JOIN ops p"
			"  ON p.did = b.did AND p.seq = b.seq WHERE b.op = o.id), a.user"
			" FROM ops o JOIN devices d ON d.did = o.did LEFT JOIN op_authors a ON a.did = o.did AND a.seq = o.seq"
			" WHERE o.rid = ?1 ORDER BY o.hlc, d.id, o.seq", err, errlen);
	if (!st)
		return -1;
	db_bind_int(st, 1, rec->rid);
	while ((rc = db_step(st)) == DB_ROW) {
		struct store_history_op h;

		h.hlc = (uint64_t)db_int(st, 0);
		h.device = db_text(st, 1);
		h.seq = (uint64_t)db_int(st, 2);
		h.field = db_text(st, 3);
		h.value = db_text(st, 4);
		h.old = db_text(st, 5);
		h.by = db_is_null(st, 6) ? NULL : db_text(st, 6);
		if (fn(ctx, &h))
			break;
	}
	if (rc != DB_DONE && rc != DB_ROW)
		db_error(s->db, rc, err, errlen);
	db_finalize(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : -1;
}

int store_heads(struct store *s, const char *record, const char *field, merge_head_fn fn, void *ctx, char *err,
		size_t errlen)
{
	return merge_heads(s->merge, record, field, fn, ctx, err, errlen);
}

int store_instances(struct store *s, const char *parent, int (*fn)(void *ctx, const char *id, const char *repeat),
		    void *ctx, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT r.id, (SELECT json_extract(x.value, '$') FROM fields x"
				      " WHERE x.rid = r.rid AND x.field = '_repeat') AS rep FROM records r JOIN fields p"
				      " ON p.rid = r.rid AND p.field = '_parent' AND p.value = json_quote(?1)"
				      " WHERE NOT r.deleted ORDER BY rep, r.created", err, errlen);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, parent);
	while ((rc = db_step(st)) == DB_ROW)
		if (fn(ctx, db_text(st, 0), db_text(st, 1)))
			break;
	if (rc != DB_DONE && rc != DB_ROW)
		db_error(s->db, rc, err, errlen);
	db_finalize(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : -1;
}

int store_counts(struct store *s, struct store_counts *c, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT count(*) FILTER (WHERE NOT draft AND NOT deleted),"
				      " count(*) FILTER (WHERE draft), count(*) FILTER (WHERE deleted),"
				      " count(*) FILTER (WHERE conflicts > 0 AND NOT deleted) FROM records", err, errlen);
	int rc;

	memset(c, 0, sizeof(*c));
	if (!st)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW) {
		c->records = (uint64_t)db_int(st, 0);
		c->drafts = (uint64_t)db_int(st, 1);
		c->deleted = (uint64_t)db_int(st, 2);
		c->conflicts = (uint64_t)db_int(st, 3);
	} else {
		db_error(s->db, rc, err, errlen);
	}
	db_finalize(st);
	return rc == DB_ROW ? 0 : -1;
}
