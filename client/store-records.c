/* store-records.c - one record of the device's store: finding it, creating it, setting its fields (a draft's
 * answers, a final record's ops), finalizing, deleting, and its answers. */
#include "store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbstore.h"
#include "hlc.h"
#include "i18n.h"
#include "jsonc.h"
#include "util.h"
#include "banned.h"

enum {
	S_FIND, S_RECORD_NEW, S_FIELD_GET, S_DRAFT_SET, S_DRAFT_CLEAR, S_TOUCH, S_CREATED, S_FINAL, S_DROP_FIELDS,
	S_DROP_RECORD, S_ANSWERS, S_COUNT
};
_Static_assert(S_COUNT == STORE_RECORDS_STMTS, "store-records.c's statements");

const char *const store_records_sql[STORE_RECORDS_STMTS] = {
	[S_FIND] = "SELECT " STORE_RECORD_COLUMNS " FROM records r"
		   " WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT 2",
	[S_RECORD_NEW] = "INSERT INTO records(id, form, form_version, created, updated, draft, updated_by)"
			 " VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6) RETURNING rid",
	[S_FIELD_GET] = "SELECT value, conflict FROM fields WHERE rid = ?1 AND field = ?2",
	/* Draft answers are fields without ops, marked as this device's. */
	[S_DRAFT_SET] = "INSERT INTO fields(rid, field, value, hlc, did)"
			" VALUES(?1, ?2, ?3, ?4, (SELECT did FROM devices WHERE id = ?5))"
			" ON CONFLICT(rid, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc",
	[S_DRAFT_CLEAR] = "DELETE FROM fields WHERE rid = ?1 AND field = ?2",
	[S_TOUCH] = "UPDATE records SET updated = max(updated, ?2) WHERE rid = ?1",
	/* A record was created when its first op was made, on every replica alike: they know only its ops. */
	[S_CREATED] = "UPDATE records SET created = coalesce((SELECT min(hlc) FROM ops WHERE rid = ?1), created)"
		      " WHERE rid = ?1",
	[S_FINAL] = "UPDATE records SET draft = 0 WHERE rid = ?1",
	[S_DROP_FIELDS] = "DELETE FROM fields WHERE rid = ?1",
	[S_DROP_RECORD] = "DELETE FROM records WHERE rid = ?1 AND draft",
	[S_ANSWERS] = "SELECT f.field, f.value FROM records r JOIN fields f ON f.rid = r.rid WHERE r.id = ?1",
};

static uint64_t next_hlc(struct store *s)
{
	s->last_hlc = hlc_next(s->last_hlc, store_now(s));
	return s->last_hlc;
}


void store_record_read(struct db_stmt *st, struct store_record *rec)
{
	strlcpy_s(rec->id, db_text(st, 0), sizeof(rec->id));
	strlcpy_s(rec->form, db_text(st, 1), sizeof(rec->form));
	strlcpy_s(rec->form_version, db_text(st, 2), sizeof(rec->form_version));
	rec->draft = db_int(st, 3);
	rec->deleted = db_int(st, 4);
	rec->conflicts = db_int(st, 5);
	rec->created = (uint64_t)db_int(st, 6);
	rec->updated = (uint64_t)db_int(st, 7);
	rec->rid = db_int(st, 8);
}

int store_find(struct store *s, const char *prefix, struct store_record *rec, char *err, size_t errlen)
{
	struct db_stmt *st = s->rst[S_FIND];
	char low[UUID_STRLEN + 1];
	size_t i, n = strlen(prefix);
	int rows = 0, rc;

	if (n == 0 || n > UUID_STRLEN)
		return errf(err, errlen, _("'%s' is not a record id"), prefix);
	for (i = 0; i <= n; i++) {
		char c = prefix[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (c && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			return errf(err, errlen, _("'%s' is not a record id"), prefix);
		low[i] = c;
	}
	db_bind_text(st, 1, low);
	while ((rc = db_step(st)) == DB_ROW) {
		if (rows++ == 0)
			store_record_read(st, rec);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	if (rows == 0)
		return errf(err, errlen, _("no record '%s'"), prefix);
	if (rows > 1)
		return errf(err, errlen, _("'%s' matches several records; give more of the id"), prefix);
	return 0;
}

/* store_create, under the id given (NULL: a new one). */
static int create(struct store *s, const struct form *f, int draft, const char *id, struct store_record *rec,
		  char *err, size_t errlen)
{
	struct db_stmt *st = s->rst[S_RECORD_NEW];

	memset(rec, 0, sizeof(*rec));
	if (id)
		strlcpy_s(rec->id, id, sizeof(rec->id));
	else
		uuid_new(rec->id);
	strlcpy_s(rec->form, form_id(f), sizeof(rec->form));
	strlcpy_s(rec->form_version, form_version(f), sizeof(rec->form_version));
	rec->draft = draft;
	rec->created = rec->updated = next_hlc(s);
	db_bind_text(st, 1, rec->id);
	db_bind_text(st, 2, rec->form);
	db_bind_text(st, 3, rec->form_version);
	db_bind_int(st, 4, (int64_t)rec->created);
	db_bind_int(st, 5, draft);
	db_bind_text(st, 6, s->device);
	return (rec->rid = db_step_id(st, err, errlen)) < 0 ? -1 : 0;
}

int store_create(struct store *s, const struct form *f, int draft, struct store_record *rec, char *err,
		 size_t errlen)
{
	return create(s, f, draft, NULL, rec, err, errlen);
}

int store_draft_restore(struct store *s, const struct form *f, const char *id, const json_t *answers,
			struct store_record *rec, char *err, size_t errlen)
{
	static const char *const pseudo[] = { "_parent", "_repeat" };
	size_t i;

	if (create(s, f, 1, id, rec, err, errlen) < 0)
		return -1;
	for (i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
		if (json_object_get(answers, pseudo[i]) &&
		    store_set(s, rec, pseudo[i], json_object_get(answers, pseudo[i]), err, errlen) < 0)
			return -1;
	for (i = 0; i < form_count(f); i++) {
		const json_t *v = json_object_get(answers, form_question(f, i)->name);

		if (v && store_set(s, rec, form_question(f, i)->name, v, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The heads of a field, collected as an op's base. */
struct heads {
	struct op_ref ref[MERGE_MAX_BASE];
	size_t n;
};

static void add_base(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct heads *h = ctx;

	(void)hlc;
	(void)value;
	if (h->n < MERGE_MAX_BASE)
		h->ref[h->n++] = *id;
}

/* Makes op this device's next op, setting field of rec to value (canonical JSON text, borrowed). */
static void op_init(struct store *s, struct op *op, const struct store_record *rec, const char *field,
		    const char *value)
{
	op->nbase = 0;
	op->base = NULL;
	strlcpy_s(op->device, s->device, sizeof(op->device));
	op->seq = s->next_seq++;
	op->hlc = next_hlc(s);
	strlcpy_s(op->record, rec->id, sizeof(op->record));
	op->form = rec->form;
	op->form_version = rec->form_version;
	op->field = field;
	op->value = value;
}

/* The pseudo-fields a draft carries into its first ops: those of a repeat instance. */
static const char *const carried[] = { "_parent", "_repeat" };
#define NCARRIED (sizeof(carried) / sizeof(carried[0]))

/* Writes the first values of a record that has none yet: one op per answer (and per carried pseudo-field in
 * extra, which may be NULL), nothing before them. The record's creation becomes theirs: the stamp store_create
 * gave it (when a draft was begun, say) is this device's alone, and the other replicas see only the ops. */
static int write_first(struct store *s, const struct store_record *rec, const struct form *f, char **values,
		       char **extra, char *err, size_t errlen)
{
	size_t i, n = 0;

	if (s->ops_cap < form_count(f) + NCARRIED) {
		s->ops_cap = form_count(f) + NCARRIED;
		s->ops = xrealloc(s->ops, s->ops_cap * sizeof(*s->ops));
	}
	for (i = 0; i < form_count(f); i++)
		if (values[i])
			op_init(s, &s->ops[n++], rec, form_question(f, i)->name, values[i]);
	for (i = 0; extra && i < NCARRIED; i++)
		if (extra[i])
			op_init(s, &s->ops[n++], rec, carried[i], extra[i]);
	if (merge_apply_local(s->merge, s->ops, n, err, errlen) != MERGE_NEW)
		return -1;
	db_bind_int(s->rst[S_CREATED], 1, rec->rid);
	return db_step_done(s->rst[S_CREATED], err, errlen);
}

int store_add(struct store *s, const struct form *f, const json_t *answers, int draft, struct store_record *rec,
	      char *err, size_t errlen)
{
	char **values = xcalloc(form_count(f) ? form_count(f) : 1, sizeof(*values));
	size_t i;
	int r = -1;

	if (store_create(s, f, draft, rec, err, errlen) < 0)
		goto out;
	for (i = 0; i < form_count(f); i++) {
		const json_t *v = json_object_get(answers, form_question(f, i)->name);

		if (v && !json_is_null(v) &&
		    !(values[i] = jsonc_dumps(v))) {
			errf(err, errlen, _("cannot encode the answer to '%s'"), form_question(f, i)->name);
			goto out;
		}
	}
	if (!draft) {
		r = write_first(s, rec, f, values, NULL, err, errlen);
		goto out;
	}
	for (i = 0; i < form_count(f); i++) {
		json_t *v = json_object_get(answers, form_question(f, i)->name);

		if (v && store_set(s, rec, form_question(f, i)->name, v, err, errlen) < 0)
			goto out;
	}
	r = 0;
out:
	for (i = 0; i < form_count(f); i++)
		free(values[i]);
	free(values);
	return r;
}

int store_set(struct store *s, const struct store_record *rec, const char *field, const json_t *value,
	      char *err, size_t errlen)
{
	struct db_stmt *st = s->rst[S_FIELD_GET];
	char *text = value ? jsonc_dumps(value) : NULL;
	int rc, unchanged, r = -1;

	if (value && !text)
		return errf(err, errlen, _("cannot encode the answer to '%s'"), field);
	db_bind_int(st, 1, rec->rid);
	db_bind_text(st, 2, field);
	rc = db_step(st);
	if (rc == DB_ROW) {
		const char *cur = db_text(st, 0);

		/* The same value again, or clearing a cleared field, is not a change; unless the field is in
		 * conflict, where writing it is what resolves the conflict. */
		unchanged = !db_int(st, 1) &&
			    (text ? strcmp(cur, text) == 0 : strcmp(cur, "null") == 0);
	} else {
		unchanged = !text;
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	if (unchanged) {
		r = 0;
		goto out;
	}
	if (rec->draft) {
		uint64_t h = next_hlc(s);

		st = s->rst[text ? S_DRAFT_SET : S_DRAFT_CLEAR];
		db_bind_int(st, 1, rec->rid);
		db_bind_text(st, 2, field);
		if (text) {
			db_bind_text(st, 3, text);
			db_bind_int(st, 4, (int64_t)h);
			db_bind_text(st, 5, s->device);
		}
		if (db_step_done(st, err, errlen) < 0)
			goto out;
		st = s->rst[S_TOUCH];
		db_bind_int(st, 1, rec->rid);
		db_bind_int(st, 2, (int64_t)h);
		if (db_step_done(st, err, errlen) < 0)
			goto out;
	} else {
		struct heads heads = { .n = 0 };
		struct op op;

		/* The base is what the field shows now, every head of it: the edit replaces them all, which is
		 * also how a conflict is resolved. */
		op_init(s, &op, rec, field, text ? text : "null");
		if (merge_heads(s->merge, rec->id, field, add_base, &heads, err, errlen) < 0)
			goto out;
		op.base = heads.ref;
		op.nbase = heads.n;
		if (merge_apply_local(s->merge, &op, 1, err, errlen) != MERGE_NEW)
			goto out;
	}
	r = 1;
out:
	free(text);
	return r;
}

int store_finalize(struct store *s, const struct store_record *rec, const struct form *f, char *err,
		   size_t errlen)
{
	struct db_stmt *st = s->rst[S_FIELD_GET];
	char **values = xcalloc(form_count(f) ? form_count(f) : 1, sizeof(*values)), *extra[NCARRIED] = { NULL };
	size_t i;
	int r = -1, rc;

	if (!rec->draft) {
		free(values);
		return 0;
	}
	for (i = 0; i < form_count(f); i++) {
		db_bind_int(st, 1, rec->rid);
		db_bind_text(st, 2, form_question(f, i)->name);
		rc = db_step(st);
		if (rc == DB_ROW)
			values[i] = xstrdup(db_text(st, 0));
		db_reset(st);
		if (rc != DB_ROW && rc != DB_DONE) {
			db_error(s->db, rc, err, errlen);
			goto out;
		}
	}
	/* A repeat instance's _parent and _repeat go with them. */
	for (i = 0; i < NCARRIED; i++) {
		db_bind_int(st, 1, rec->rid);
		db_bind_text(st, 2, carried[i]);
		if (db_step(st) == DB_ROW)
			extra[i] = xstrdup(db_text(st, 0));
		db_reset(st);
	}
	/* The draft's answers are the record's first values: nothing came before them. */
	if (write_first(s, rec, f, values, extra, err, errlen) < 0)
		goto out;
	st = s->rst[S_FINAL];
	db_bind_int(st, 1, rec->rid);
	r = db_step_done(st, err, errlen);
out:
	for (i = 0; i < form_count(f); i++)
		free(values[i]);
	for (i = 0; i < NCARRIED; i++)
		free(extra[i]);
	free(values);
	return r;
}

int store_instance_count(struct store *s, const char *parent, const char *repeat)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT count(*) FROM records r JOIN fields p ON p.rid = r.rid AND"
				      " p.field = '_parent' AND p.value = json_quote(?1) JOIN fields x ON x.rid = r.rid"
				      " AND x.field = '_repeat' AND x.value = json_quote(?2) WHERE NOT r.deleted", NULL, 0);
	int n = -1;

	if (!st)
		return -1;
	db_bind_text(st, 1, parent);
	db_bind_text(st, 2, repeat);
	if (db_step(st) == DB_ROW)
		n = db_int(st, 0);
	db_finalize(st);
	return n;
}

struct ids {
	char (*id)[UUID_STRLEN + 1];
	size_t n, cap;
};

static int collect_id(void *ctx, const char *id, const char *repeat)
{
	struct ids *k = ctx;

	(void)repeat;
	if (k->n == k->cap)
		k->id = xrealloc(k->id, (k->cap = k->cap ? k->cap * 2 : 16) * sizeof(*k->id));
	strlcpy_s(k->id[k->n++], id, sizeof(k->id[0]));
	return 0;
}

int store_delete_tree(struct store *s, const struct store_record *rec, size_t *n, char *err, size_t errlen)
{
	struct ids k = { NULL, 0, 0 };
	size_t i;
	int r = -1;

	/* The instances first: once the record is gone, its drafts among them could not be found by it. */
	if (store_instances(s, rec->id, collect_id, &k, err, errlen) < 0)
		goto out;
	for (i = 0; i < k.n; i++) {
		struct store_record child;

		if (store_find(s, k.id[i], &child, err, errlen) < 0 || store_delete_tree(s, &child, n, err, errlen) < 0)
			goto out;
	}
	if (store_delete(s, rec, err, errlen) < 0)
		goto out;
	(*n)++;
	r = 0;
out:
	free(k.id);
	return r;
}

int store_delete(struct store *s, const struct store_record *rec, char *err, size_t errlen)
{
	struct db_stmt *st;

	if (!rec->draft) {
		json_t *t = json_true();
		int r = store_set(s, rec, "_deleted", t, err, errlen);

		json_decref(t);
		return r < 0 ? -1 : 0;
	}
	/* A draft never left this device: removing it leaves nothing behind anywhere. Its attachments go at the next
	 * open of the store alone (store-media.c), not now: an undo may give its answers back. */
	if (dbstore_meta_set(s->base, "media_sweep", "1", err, errlen) < 0)
		return -1;
	st = s->rst[S_DROP_FIELDS];
	db_bind_int(st, 1, rec->rid);
	if (db_step_done(st, err, errlen) < 0)
		return -1;
	st = s->rst[S_DROP_RECORD];
	db_bind_int(st, 1, rec->rid);
	return db_step_done(st, err, errlen);
}

int store_field_get(struct store *s, const struct store_record *rec, const char *field, char **value, char *err,
		    size_t errlen)
{
	struct db_stmt *st = s->rst[S_FIELD_GET];
	int rc;

	*value = NULL;
	db_bind_int(st, 1, rec->rid);
	db_bind_text(st, 2, field);
	rc = db_step(st);
	if (rc == DB_ROW)
		*value = xstrdup(db_text(st, 0));
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	return rc == DB_ROW;
}

json_t *store_answers(struct store *s, const char *record, char *err, size_t errlen)
{
	struct db_stmt *st = s->rst[S_ANSWERS];
	json_t *obj = json_object();
	int rc;

	db_bind_text(st, 1, record);
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *v = json_loads(db_text(st, 1), JSON_DECODE_ANY, NULL);

		if (v && !json_is_null(v))
			json_object_set_new(obj, db_text(st, 0), v);
		else
			json_decref(v);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* The instances of record id's repeats, as store_instances lists them: ids and repeats, owned. */
struct kids {
	char **id, **repeat;
	size_t n, alloc;
};

static int kid_add(void *ctx, const char *id, const char *repeat)
{
	struct kids *k = ctx;

	if (!repeat)
		return 0;
	if (k->n == k->alloc) {
		k->alloc = k->alloc ? 2 * k->alloc : 8;
		k->id = xrealloc(k->id, k->alloc * sizeof(*k->id));
		k->repeat = xrealloc(k->repeat, k->alloc * sizeof(*k->repeat));
	}
	k->id[k->n] = xstrdup(id);
	k->repeat[k->n++] = xstrdup(repeat);
	return 0;
}

static void kids_release(struct kids *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		free(k->id[i]);
		free(k->repeat[i]);
	}
	free(k->id);
	free(k->repeat);
}

#define VIEW_DEPTH 8    /* repeats inside one another whose instances a view holds */

/* Adds to into (repeat name -> array) the answers of the instances of record id's repeats, in order, each with its
 * own instances the same way. If self is one of them, *place is its place among its repeat's, from 1; a new one
 * (self NULL, or not found) is the next of repeat. 0, or -1 with err. */
static int add_instances(struct store *s, const char *id, json_t *into, int depth, const char *self,
			 const char *repeat, long *place, char *err, size_t errlen)
{
	struct kids k = { NULL, NULL, 0, 0 };
	long count = 0;
	size_t i;
	int r = store_instances(s, id, kid_add, &k, err, errlen);

	for (i = 0; i < k.n && r == 0; i++) {
		json_t *list = json_object_get(into, k.repeat[i]), *a = store_answers(s, k.id[i], err, errlen);

		if (!a) {
			r = -1;
			break;
		}
		if (depth + 1 < VIEW_DEPTH) {
			json_t *theirs = json_object();

			r = add_instances(s, k.id[i], theirs, depth + 1, NULL, NULL, NULL, err, errlen);
			json_object_set_new(a, "_instances", theirs);
		}
		if (!list) {
			list = json_array();
			json_object_set_new(into, k.repeat[i], list);
		}
		json_array_append_new(list, a);
		if (repeat && !strcmp(k.repeat[i], repeat)) {
			count++;
			if (self && !strcmp(self, k.id[i]))
				*place = count;
		}
	}
	if (place && *place == 0)
		*place = count + 1;
	kids_release(&k);
	return r;
}

json_t *store_answers_in_view(struct store *s, const char *id, const json_t *answers, char *err, size_t errlen)
{
	const char *parent = json_string_value(json_object_get(answers, "_parent"));
	const char *repeat = json_string_value(json_object_get(answers, "_repeat"));
	json_t *view = parent ? store_answers(s, parent, err, errlen) : json_object(), *inst = json_object();
	long place = 0;

	if (!view) {
		json_decref(inst);
		return NULL;
	}
	json_object_update(view, (json_t *)answers);
	/* An instance sees its record's instances (its own repeat's among them), a record and an instance their
	 * own; a repeat's name is the form's, so the two never meet. */
	if ((parent && add_instances(s, parent, inst, 1, id, repeat, &place, err, errlen) < 0) ||
	    (id && add_instances(s, id, inst, parent ? 1 : 0, NULL, NULL, NULL, err, errlen) < 0)) {
		json_decref(inst);
		json_decref(view);
		return NULL;
	}
	json_object_set_new(view, "_instances", inst);
	if (parent)
		json_object_set_new(view, "_position", json_integer(place));
	else
		json_object_del(view, "_position");
	return view;
}
