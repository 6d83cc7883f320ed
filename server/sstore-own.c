/* sstore-own.c - the ops the server makes itself, on behalf of reviewers: reviews, resolutions and
 * corrections (sstore_change in sstore.h). They are ops like any device's, signed in change sets with the
 * server's own key, kept for relaying, merged by the same rule, and each names the reviewer who made it. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

#define CHUNK_OPS 2000             /* ops in one of the server's own change sets */

enum { O_FIND, O_CS_PUT, O_AUTHOR, O_COUNT };

const char *const sstore_own_sql[SSTORE_OWN_STMTS] = {
	[O_FIND] = "SELECT r.id, r.form, r.form_version, coalesce(rr.region, '') FROM records r"
		   " LEFT JOIN record_regions rr ON rr.rid = r.rid WHERE r.id = ?1 AND r.draft = 0",
	[O_CS_PUT] = "INSERT INTO changesets(device, first_seq, last_seq, received, bytes, region, author)"
		     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[O_AUTHOR] = "INSERT INTO op_authors(op, \"user\") SELECT o.id, ?4 FROM ops o JOIN devices d"
		     " ON d.did = o.did WHERE d.id = ?1 AND o.seq BETWEEN ?2 AND ?3"
		     " ON CONFLICT(op) DO UPDATE SET \"user\" = excluded.\"user\"",
};

_Static_assert(O_COUNT <= SSTORE_OWN_STMTS, "raise SSTORE_OWN_STMTS in sstore-int.h");

/* One op being made, with the strings it points to. */
struct own_op {
	struct op op;                    /* its base is base[0..nbase), below, once the op is made */
	struct op_ref base[MERGE_MAX_BASE];
	size_t nbase;
	char form[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1];
	char region[SSTORE_MAX_NAME + 1];
	uint64_t top_hlc;      /* the highest stamp among the heads it replaces */
};

static void collect_head(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct own_op *o = ctx;

	(void)value;
	if (o->nbase < MERGE_MAX_BASE)
		o->base[o->nbase++] = *id;
	if (hlc > o->top_hlc)
		o->top_hlc = hlc;
}

/* Signs ops[0..n) as one change set, keeps it, merges each op and names its author; inside a transaction. The
 * ops are of one region (ops[0].region), so that the change set goes to that region's server alone. */
static int own_flush(struct sstore *s, const char *own, const char *user, struct own_op *ops, size_t n, char *err,
		     size_t errlen)
{
	struct buf cs = BUF_INIT((size_t)CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES);
	struct op *plain = malloc(n * sizeof(*plain));
	enum merge_result *res = calloc(n, sizeof(*res));
	struct db_stmt *st;
	size_t i;
	int r = -1;

	if (!plain || !res) {
		free(plain);
		free(res);
		return errf(err, errlen, _("out of memory"));
	}
	for (i = 0; i < n; i++)
		plain[i] = ops[i].op;
	if (cs_encode(s->keys, plain, n, &cs, err, errlen) != CS_OK)
		goto out;
	st = s->ost[O_CS_PUT];
	db_bind_text(st, 1, own);
	db_bind_int(st, 2, (int64_t)plain[0].seq);
	db_bind_int(st, 3, (int64_t)plain[n - 1].seq);
	db_bind_int(st, 4, (int64_t)now_ms());
	db_bind_blob(st, 5, cs.data, cs.len);
	db_bind_text(st, 6, ops[0].region);
	db_bind_text(st, 7, user);
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	if (sstore_review_forget(s, plain, n, err, errlen) < 0)
		goto out;
	/* By runs, as a change set that came in is: on PostgreSQL, op by op would wait on a round trip for each
	 * read. Every op is new (its seq was just taken), or the batch is refused. */
	if (merge_apply_batch(s->merge, plain, n, res, err, errlen) != MERGE_NEW)
		goto out;
	for (i = 0; i < n; i++)
		if (res[i] != MERGE_NEW) {
			errf(err, errlen, _("the server's op %llu was already held"), (unsigned long long)plain[i].seq);
			goto out;
		}
	st = s->ost[O_AUTHOR];
	db_bind_text(st, 1, own);
	db_bind_int(st, 2, (int64_t)plain[0].seq);
	db_bind_int(st, 3, (int64_t)plain[n - 1].seq);
	db_bind_text(st, 4, user);
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	if (sstore_review_refresh(s, plain, n, err, errlen) < 0)
		goto out;
	r = 0;
out:
	db_clear(s->ost[O_CS_PUT]);
	buf_release(&cs);
	free(plain);
	free(res);
	return r;
}

/* Takes, for the rest of the transaction (db_lock), the server's own counter (named by its key, own) and the
 * records c[0..n) change, all in one call. 0, or -1 with err. */
static int lock_changes(struct sstore *s, const char *own, const struct sstore_change *c, size_t n, char *err,
			size_t errlen)
{
	const char **names;
	size_t i;
	int r;

	if (!db_is_pg(s->db))
		return 0;
	if (!(names = malloc((n + 1) * sizeof(*names))))
		return err_oom(err, errlen);
	names[0] = own;
	for (i = 0; i < n; i++)
		names[i + 1] = c[i].record;
	r = db_lock(s->db, names, n + 1, err, errlen);
	free(names);
	return r;
}

int sstore_change(struct sstore *s, const char *user, const struct sstore_change *c, size_t n, char *err,
		  size_t errlen)
{
	struct own_op *ops = NULL;
	char own[KEYS_ID_STRLEN + 1], text[32];
	uint64_t seq = 0, hlc = 0;
	size_t i, k = 0;
	struct db_stmt *st;
	int rc;

	if (n == 0)
		return 0;
	if (!(ops = calloc(n < CHUNK_OPS ? n : CHUNK_OPS, sizeof(*ops))))
		return errf(err, errlen, _("out of memory"));
	keys_id(keys_public(s->keys), own);
	if (db_begin(s->db, err, errlen) < 0) {
		free(ops);
		return -1;
	}
	/* The server's own counter and clock, read under the write lock: on PostgreSQL, where several processes
	 * sign with the one key, under a lock on them taken with the records changed. */
	if (lock_changes(s, own, c, n, err, errlen) < 0)
		goto fail;
	if (sstore_meta_get(s, "own_seq", text, sizeof(text)) == 0)
		seq = strtoull(text, NULL, 10);
	if (sstore_meta_get(s, "own_hlc", text, sizeof(text)) == 0)
		hlc = strtoull(text, NULL, 10);
	for (i = 0; i < n; i++) {
		struct own_op *o;

		if (k == CHUNK_OPS) {
			if (own_flush(s, own, user, ops, k, err, errlen) < 0)
				goto fail;
			k = 0;
		}
		o = &ops[k];
		memset(o, 0, sizeof(*o));
		st = s->ost[O_FIND];
		db_bind_text(st, 1, c[i].record);
		rc = db_step(st);
		if (rc == DB_ROW && !strcmp(db_text(st, 0), c[i].record)) {
			strlcpy_s(o->form, db_text(st, 1), sizeof(o->form));
			strlcpy_s(o->version, db_text(st, 2), sizeof(o->version));
			strlcpy_s(o->region, db_text(st, 3), sizeof(o->region));
		}
		db_reset(st);
		/* A change set holds one region's ops: a new region starts a new one. */
		if (k && strcmp(o->region, ops[0].region)) {
			struct own_op next = *o;

			if (own_flush(s, own, user, ops, k, err, errlen) < 0)
				goto fail;
			k = 0;
			ops[0] = next;
			o = &ops[0];
		}
		if (!o->form[0]) {
			if (rc == DB_ROW || rc == DB_DONE)
				errf(err, errlen, _("no record '%s'"), c[i].record);
			else
				db_error(s->db, rc, err, errlen);
			goto fail;
		}
		strlcpy_s(o->op.device, own, sizeof(o->op.device));
		strlcpy_s(o->op.record, c[i].record, sizeof(o->op.record));
		o->op.form = o->form;
		o->op.form_version = o->version;
		o->op.field = c[i].field;
		o->op.value = c[i].value;
		/* Its base is every head of the field as it stands. */
		if (merge_heads(s->merge, c[i].record, c[i].field, collect_head, o, err, errlen) < 0)
			goto fail;
		o->op.base = o->base;
		o->op.nbase = o->nbase;
		o->op.seq = ++seq;
		hlc = hlc_observe(hlc, o->top_hlc, now_ms());
		o->op.hlc = hlc;
		k++;
		/* The next change of the same field must see this one as its head: merge this one first. */
		if (i + 1 < n && !strcmp(c[i + 1].record, c[i].record) && !strcmp(c[i + 1].field, c[i].field)) {
			if (own_flush(s, own, user, ops, k, err, errlen) < 0)
				goto fail;
			k = 0;
		}
	}
	if (k && own_flush(s, own, user, ops, k, err, errlen) < 0)
		goto fail;
	snprintf(text, sizeof(text), "%llu", (unsigned long long)seq);
	if (sstore_meta_set(s, "own_seq", text, err, errlen) < 0)
		goto fail;
	snprintf(text, sizeof(text), "%llu", (unsigned long long)hlc);
	if (sstore_meta_set(s, "own_hlc", text, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto fail;
	free(ops);
	return 0;
fail:
	db_rollback(s->db);
	free(ops);
	return -1;
}
