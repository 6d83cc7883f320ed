/* store-sync.c - what sync exchanges through the device's store: this device's ops to push, how many a server
 * has not acknowledged, and the ops pulled from a server taken in with their cursor, as a server's ingest takes
 * a change set; and the reviewers a server's ops name. */
#include "store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "banned.h"

enum { S_AUTHOR, S_AUTHOR_GET, S_OWN_OPS, S_OP_BASE, S_OWN_COUNT, S_COUNT };
_Static_assert(S_COUNT == STORE_SYNC_STMTS, "store-sync.c's statements");

const char *const store_sync_sql[STORE_SYNC_STMTS] = {
	[S_AUTHOR] = "INSERT OR REPLACE INTO op_authors(did, seq, user) SELECT did, ?2, ?3 FROM devices WHERE id = ?1",
	[S_AUTHOR_GET] = "SELECT a.user FROM op_authors a JOIN devices d ON d.did = a.did WHERE d.id = ?1 AND a.seq = ?2",
	[S_OWN_OPS] = "SELECT o.seq, o.hlc, r.id, r.form, o.form_version, o.field, " MERGE_OP_VALUE("o") ", o.id"
		      " FROM ops o JOIN records r ON r.rid = o.rid"
		      " WHERE o.did = (SELECT did FROM devices WHERE id = ?1) AND o.seq > ?2"
		      " ORDER BY o.seq LIMIT ?3",
	[S_OP_BASE] = "SELECT d.id, b.seq FROM op_base b JOIN devices d ON d.did = b.did WHERE b.op = ?1",
	[S_OWN_COUNT] = "SELECT count(*) FROM ops WHERE did = (SELECT did FROM devices WHERE id = ?1) AND seq > ?2",
};

void store_ops_release(struct store_ops *o)
{
	size_t i;

	for (i = 0; o->text && i < 4 * o->n; i++)
		free(o->text[i]);
	free(o->text);
	free(o->refs);
	free(o->op);
	memset(o, 0, sizeof(*o));
}

int store_ops_after(struct store *s, uint64_t after, size_t max, struct store_ops *out, char *err, size_t errlen)
{
	struct db_stmt *q = s->yst[S_OWN_OPS], *b = s->yst[S_OP_BASE];
	size_t nrefs = 0, cap = 0, i, at;
	int rc = DB_DONE, brc, k;

	store_ops_release(out);
	out->op = xcalloc(max ? max : 1, sizeof(*out->op));
	out->text = xcalloc(max ? 4 * max : 1, sizeof(*out->text));
	db_bind_text(q, 1, s->device);
	db_bind_int(q, 2, (int64_t)after);
	db_bind_int(q, 3, (int64_t)max);
	while (out->n < max && (rc = db_step(q)) == DB_ROW) {
		struct op *o = &out->op[out->n];
		char **text = &out->text[4 * out->n];

		strlcpy_s(o->device, s->device, sizeof(o->device));
		o->seq = (uint64_t)db_int(q, 0);
		o->hlc = (uint64_t)db_int(q, 1);
		strlcpy_s(o->record, db_text(q, 2), sizeof(o->record));
		for (k = 0; k < 4; k++)
			text[k] = xstrdup(db_text(q, 3 + k));
		o->form = text[0];
		o->form_version = text[1];
		o->field = text[2];
		o->value = text[3];
		out->n++;
		db_bind_int(b, 1, db_int(q, 7));
		while ((brc = db_step(b)) == DB_ROW && o->nbase < MERGE_MAX_BASE) {
			if (nrefs == cap)
				out->refs = xrealloc(out->refs, (cap = cap ? 2 * cap : 64) * sizeof(*out->refs));
			strlcpy_s(out->refs[nrefs].device, db_text(b, 0), sizeof(out->refs[0].device));
			out->refs[nrefs++].seq = (uint64_t)db_int(b, 1);
			o->nbase++;
		}
		db_reset(b);
		if (brc != DB_DONE && brc != DB_ROW) {
			rc = brc;
			break;
		}
	}
	db_reset(q);
	if (rc != DB_DONE && rc != DB_ROW) {
		db_error(s->db, rc, err, errlen);
		store_ops_release(out);
		return -1;
	}
	/* The refs have stopped moving: each op's base is its run of them. */
	for (i = 0, at = 0; i < out->n; at += out->op[i].nbase, i++)
		out->op[i].base = out->op[i].nbase ? &out->refs[at] : NULL;
	return (int)out->n;
}

int store_ops_count(struct store *s, uint64_t after, uint64_t *n, char *err, size_t errlen)
{
	struct db_stmt *st = s->yst[S_OWN_COUNT];
	int rc;

	*n = 0;
	db_bind_text(st, 1, s->device);
	db_bind_int(st, 2, (int64_t)after);
	rc = db_step(st);
	if (rc == DB_ROW)
		*n = (uint64_t)db_int(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

int store_ops_unsent(struct store *s, uint64_t *n, char *err, size_t errlen)
{
	char acked[32];

	/* Nothing is acknowledged before the first sync. */
	if (store_meta_get(s, "acked_seq", acked, sizeof(acked)) < 0)
		strlcpy_s(acked, "0", sizeof(acked));
	return store_ops_count(s, strtoull(acked, NULL, 10), n, err, errlen);
}

int store_take_pulled(struct store *s, const struct op *ops, const char *const *by, size_t n, const char *cursor,
		      uint64_t next, uint64_t *received, char *err, size_t errlen)
{
	enum merge_result *res = n ? xcalloc(n, sizeof(*res)) : NULL;
	uint64_t fresh = 0;
	char num[24];
	size_t i;

	*received = 0;
	if (store_begin(s, err, errlen) < 0) {
		free(res);
		return -1;
	}
	/* The page's ops are taken in at once, as a server takes a change set: any refused fails the page. */
	if (n && merge_apply_batch(s->merge, ops, n, res, err, errlen) != MERGE_NEW)
		goto fail;
	for (i = 0; i < n; i++) {
		/* The reviewer a server's op names, kept for the history; never on this device's own ops. */
		if (by && by[i] && strcmp(ops[i].device, s->device) &&
		    store_op_author(s, ops[i].device, ops[i].seq, by[i], err, errlen) < 0)
			goto fail;
		store_observe(s, ops[i].hlc);
		fresh += res[i] == MERGE_NEW;
	}
	free(res);
	res = NULL;
	/* The ops and the cursor past them are saved together, or neither is. */
	snprintf(num, sizeof(num), "%llu", (unsigned long long)next);
	if (store_meta_set(s, cursor, num, err, errlen) < 0 || store_commit(s, err, errlen) < 0)
		goto fail;
	*received = fresh;
	return 0;
fail:
	free(res);
	store_rollback(s);
	return -1;
}

int store_op_author(struct store *s, const char *device, uint64_t seq, const char *user, char *err, size_t errlen)
{
	struct db_stmt *st = s->yst[S_AUTHOR];

	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)seq);
	db_bind_text(st, 3, user);
	return db_step_done(st, err, errlen);
}

int store_op_author_get(struct store *s, const char *device, uint64_t seq, char *user, size_t n)
{
	struct db_stmt *st = s->yst[S_AUTHOR_GET];
	int found;

	user[0] = '\0';
	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)seq);
	found = db_step(st) == DB_ROW;
	if (found)
		strlcpy_s(user, db_text(st, 0), n);
	db_reset(st);
	return found;
}
