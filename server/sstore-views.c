/* sstore-views.c - what analysts read: a consistent copy of the store (sstore_backup, sstore.h), and in it
 * read-only views of the records (sstore_views_make): one a form,
 * "form_ID", a row a record and a column a question, and one a repeat, "form_ID:REPEAT", a row an instance; beside
 * the store's own underscore columns, named as the exports name them (_id, _parent, _form_version, _status,
 * _created, _updated, _conflicts, _region, _review, _review_comment). A form's views follow its newest version;
 * they are made again whenever a version is published. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "form.h"
#include "i18n.h"
#include "sstore.h"
#include "sstore-int.h"
#include "util.h"
#include "banned.h"

/* A record's stamp (HLC: milliseconds << 16) as ISO 8601 UTC, as exports write it. */
#define VIEW_TIME(col) "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', (r." col " >> 16) / 1000, 'unixepoch')"

/* The view of scope (NULL: the records; a repeat: its instances) into sql, for PostgreSQL when pg. Names of forms,
 * repeats and questions are plain names (form_load and dbstore_form_put check them): they go into the SQL text as
 * they are. */
static int view_sql(struct buf *sql, const struct form *f, const struct form_group *scope, int pg)
{
	size_t i;
	char name[2 * MERGE_MAX_NAME + 8];
	int bad = 0;

	if (scope)
		snprintf(name, sizeof(name), "form_%s:%s", form_id(f), scope->name);
	else
		snprintf(name, sizeof(name), "form_%s", form_id(f));
	bad |= buf_printf(sql, "DROP VIEW IF EXISTS \"%s\"; CREATE VIEW \"%s\" AS SELECT r.id AS _id,", name, name);
	if (scope)
		bad |= buf_adds(sql, " (SELECT json_extract(p.value, '$') FROM fields p WHERE p.rid = r.rid AND p.field = '_parent')"
			 " AS _parent,");
	bad |= buf_adds(sql, " r.form_version AS _form_version, CASE WHEN r.deleted <> 0 THEN 'deleted' ELSE 'final' END AS _status,"
		 " " VIEW_TIME("created") " AS _created, " VIEW_TIME("updated") " AS _updated,"
		 " r.conflicts AS _conflicts, rr.region AS _region, rr.review AS _review,"
		 " coalesce((SELECT json_extract(c.value, '$.comment') FROM fields c WHERE c.rid = r.rid"
		 " AND c.field = '_review'), '') AS _review_comment");
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);

		if (q->type == FT_NOTE || form_repeat_of(q) != scope)
			continue;
		/* A column has one type on PostgreSQL: a number question's is numeric (SQLite types each value), and a
		 * value that is no number (an older version's answer) reads as NULL rather than failing the view. */
		if (pg && (q->type == FT_INTEGER || q->type == FT_DECIMAL)) {
			bad |= buf_printf(sql, ", (SELECT CASE WHEN json_type(v.value) IN ('integer', 'real') THEN"
					  " CAST(v.value AS NUMERIC) END FROM fields v WHERE v.rid = r.rid AND v.field = '%s')"
					  " AS \"%s\"", q->name, q->name);
			continue;
		}
		/* As exports show answers: a select_multiple's names joined by spaces, an attachment by its file's
		 * name, anything else as its value. */
		bad |= buf_printf(sql, ", (SELECT CASE json_type(v.value) WHEN 'array' THEN"
			   " (SELECT group_concat(j.value, ' ') FROM json_each(v.value) j)"
			   " WHEN 'object' THEN coalesce(json_extract(v.value, '$.name'), v.value)"
			   " ELSE json_extract(v.value, '$') END FROM fields v"
			   " WHERE v.rid = r.rid AND v.field = '%s') AS \"%s\"", q->name, q->name);
	}
	bad |= buf_printf(sql, " FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE r.form = '%s'"
			  " AND r.draft = 0 AND rr.rep = '%s';", form_id(f), scope ? scope->name : "");
	return bad ? -1 : 0;
}

int sstore_views_make(struct db *db, const struct form *f, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT((size_t)8 << 20);
	size_t i, j;
	int r, bad = view_sql(&sql, f, NULL, db_is_pg(db));

	/* One view for each repeat, in the order the form first names them. */
	for (i = 0; i < form_count(f); i++) {
		const struct form_group *g = form_repeat_of(form_question(f, i));

		for (j = 0; g && j < i && form_repeat_of(form_question(f, j)) != g; j++)
			;
		if (g && j == i)
			bad |= view_sql(&sql, f, g, db_is_pg(db));
	}
	if (bad)
		r = errf(err, errlen, _("form '%s' is too large for its views"), form_id(f));
	else
		r = db_exec(db, sql.data, err, errlen);
	buf_release(&sql);
	return r;
}

int sstore_views_make_all(struct db *db, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare(db, "SELECT f.json FROM forms f WHERE f.rowid = (SELECT max(g.rowid) FROM forms g"
				      " WHERE g.id = f.id)", err, errlen);
	int rc, r = 0;

	if (!st)
		return -1;
	while (r == 0 && (rc = db_step(st)) == DB_ROW) {
		struct form *f = form_load(db_text(st, 0), (size_t)db_bytes(st, 0), err, errlen);

		r = f ? sstore_views_make(db, f, err, errlen) : -1;
		form_free(f);
	}
	if (r == 0 && rc != DB_DONE)
		r = db_error(db, rc, err, errlen);
	db_finalize(st);
	return r;
}

int sstore_backup(struct sstore *s, const char *path, int without_secrets, char *err, size_t errlen)
{
	int fd, r;

	/* Never over another file, and private: the copy holds every answer (and, whole, the accounts). */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return errf(err, errlen, _("cannot create '%s': %s"), path, strerror(errno));
	close(fd);
	/* For analysts, nothing that lets anyone in (accounts, sessions, codes). */
	r = db_backup(s->db, path, without_secrets ? "DELETE FROM sessions; DELETE FROM users; DELETE FROM codes;"
			" DELETE FROM nonces; DELETE FROM login_failures; VACUUM;" : NULL, err, errlen);
	if (r == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fsync(fd) < 0)
			r = errf(err, errlen, _("cannot write '%s': %s"), path, strerror(errno));
		close(fd);
	}
	if (r < 0)
		unlink(path);
	return r;
}
