/* sstore-record.c - one record as the review page shows it (sstore-review.h; docs/review-api.md): found by its
 * id or a prefix, with its fields and the heads of those in conflict, its repeat instances, its review, and its
 * history, each op checked against the signature of the change set that brought it. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

enum {
	R_FIND, R_DEVNAMES, R_CS_OF, R_HISTORY, R_AUTHOR_OF, R_FIELD_ROWS, R_ROW, R_INSTANCES, R_COUNT
};

const char *const sstore_record_sql[SSTORE_RECORD_STMTS] = {
	/* A record by full id or prefix: '~' sorts after every character of an id. */
	[R_FIND] = "SELECT r.id, r.form, r.form_version, r.rid FROM records r JOIN record_regions rr ON rr.rid = r.rid"
		   " WHERE r.id >= ?1 AND r.id <= ?1 || '~' AND r.draft = 0 ORDER BY r.id LIMIT 2",
	[R_DEVNAMES] = "SELECT id, name, pk FROM enrolled_devices",
	[R_CS_OF] = "SELECT id, bytes FROM changesets WHERE device = ?1 AND first_seq <= ?2 AND last_seq >= ?2"
		    " ORDER BY id LIMIT 1",
	/* Every op of a record, oldest first, with the values of the ops it replaced, who made it, and when the
	 * change set that brought it here was received (an op is dated no later than that). */
	[R_HISTORY] = "SELECT d.id, o.seq, o.hlc, o.field, " MERGE_OP_VALUE("o") ", oa.\"user\","
		      " (SELECT json_group_array(json(" MERGE_OP_VALUE("bo") ")) FROM op_base b JOIN ops bo"
		      "  ON bo.did = b.did"
		      "  AND bo.seq = b.seq WHERE b.op = o.id),"
		      " (SELECT c.received FROM changesets c WHERE c.device = d.id AND c.first_seq <= o.seq"
		      "  AND c.last_seq >= o.seq ORDER BY c.id LIMIT 1)"
		      " FROM ops o JOIN devices d ON d.did = o.did LEFT JOIN op_authors oa ON oa.op = o.id"
		      " WHERE o.rid = ?1 ORDER BY o.hlc, d.id, o.seq",
	[R_AUTHOR_OF] = "SELECT oa.\"user\" FROM op_authors oa JOIN ops o ON o.id = oa.op JOIN devices d ON d.did = o.did"
			" WHERE d.id = ?1 AND o.seq = ?2",
	[R_FIELD_ROWS] = "SELECT field, value, conflict FROM fields WHERE rid = ?1 ORDER BY field",
	[R_ROW] = "SELECT r.created, r.updated, r.deleted, r.conflicts, rr.region FROM records r"
		  " JOIN record_regions rr ON rr.rid = r.rid WHERE r.rid = ?1",
	/* The instances of a record's repeats, oldest first. */
	[R_INSTANCES] = "SELECT r.id, json_extract(x.value, '$') FROM records r JOIN fields p ON p.rid = r.rid"
			" AND p.field = '_parent' AND p.value = json_quote(?1) JOIN fields x ON x.rid = r.rid"
			" AND x.field = '_repeat' WHERE r.deleted = 0 AND r.draft = 0 ORDER BY r.created",
};

_Static_assert(R_COUNT <= SSTORE_RECORD_STMTS, "raise SSTORE_RECORD_STMTS in sstore-int.h");

/* What looking a record up by its id or a prefix found: the kind of a refusal is told by this value, its words
 * by err. */
enum found { FOUND_ERROR = -1, FOUND_NONE = 0, FOUND_ONE = 1, FOUND_MANY = 2 };

/* sstore_record_find, with the record's key in the store into *rid, and an ambiguous prefix told apart. */
static enum found find_record(struct sstore *s, const char *id, char full[UUID_STRLEN + 1], char *form, char *version,
		       size_t n, int64_t *rid, char *err, size_t errlen)
{
	struct db_stmt *st = s->record_st[R_FIND];
	int rows = 0, rc;

	if (strlen(id) < 8 || strlen(id) > UUID_STRLEN) {
		errf(err, errlen, _("'%.40s' is not a record id (give at least its first 8 characters)"), id);
		return FOUND_NONE;
	}
	db_bind_text(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW) {
		/* The range also takes ids that merely sort between: keep true prefixes only. */
		if (strncmp(db_text(st, 0), id, strlen(id)))
			continue;
		if (rows++ == 0) {
			strlcpy_s(full, db_text(st, 0), UUID_STRLEN + 1);
			if (form)
				strlcpy_s(form, db_text(st, 1), n);
			if (version)
				strlcpy_s(version, db_text(st, 2), n);
			*rid = db_int(st, 3);
		}
	}
	db_reset(st);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		return FOUND_ERROR;
	}
	if (rows == 1)
		return FOUND_ONE;
	if (rows == 0) {
		errf(err, errlen, _("no record '%s'"), id);
		return FOUND_NONE;
	}
	errf(err, errlen, _("'%s' names more than one record: give more of its id"), id);
	return FOUND_MANY;
}

int sstore_record_find(struct sstore *s, const char *id, char full[UUID_STRLEN + 1], char *form, char *version,
		       size_t n, char *err, size_t errlen)
{
	int64_t rid;
	enum found r = find_record(s, id, full, form, version, n, &rid, err, errlen);

	return r == FOUND_MANY ? 0 : (int)r;
}

json_t *sstore_record_answers(struct sstore *s, const char *id, char *err, size_t errlen)
{
	char full[UUID_STRLEN + 1];
	json_t *answers, *review = NULL;
	int64_t rid;

	if (find_record(s, id, full, NULL, NULL, 0, &rid, err, errlen) != FOUND_ONE)
		return NULL;
	answers = json_object();
	if (sstore_answers_load(s, rid, answers, &review, NULL, err, errlen) < 0) {
		json_decref(answers);
		answers = NULL;
	}
	json_decref(review);
	return answers;
}

/* Verifies change sets at most once per request: the id of each one checked, and its verdict. */
struct verdicts {
	int64_t id[64];
	int ok[64];
	size_t n;
};

/* 1 if the change set that brought (device, seq) verifies against the device's key (pk), 0 if not or if it is
 * not held. */
static int op_verified(struct sstore *s, struct verdicts *v, const char *device, uint64_t seq,
		       const unsigned char *pk)
{
	struct db_stmt *st = s->record_st[R_CS_OF];
	struct cs_header h;
	int64_t id;
	size_t i;
	int ok = 0;

	if (!pk)
		return 0;
	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)seq);
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return 0;
	}
	id = db_int(st, 0);
	for (i = 0; i < v->n; i++)
		if (v->id[i] == id) {
			db_reset(st);
			return v->ok[i];
		}
	{
		const unsigned char *bytes = db_blob(st, 1);
		size_t len = (size_t)db_bytes(st, 1);

		ok = bytes && cs_parse_header(bytes, len, &h, NULL, 0) == CS_OK &&
		     sodium_memcmp(h.signer, pk, KEYS_PK_BYTES) == 0 && cs_verify(bytes, len, &h) == CS_OK &&
		     h.first <= seq && seq <= h.last;
	}
	db_reset(st);
	if (v->n < sizeof(v->id) / sizeof(v->id[0])) {
		v->id[v->n] = id;
		v->ok[v->n++] = ok;
	}
	return ok;
}

/* Device id -> {"name", "pk"} for every enrolled device and this server. */
static json_t *device_names(struct sstore *s, char own[KEYS_ID_STRLEN + 1])
{
	struct db_stmt *st = s->record_st[R_DEVNAMES];
	json_t *names = json_object();
	char hex[2 * KEYS_PK_BYTES + 1];

	keys_id(keys_public(s->keys), own);
	hex_encode(hex, keys_public(s->keys), KEYS_PK_BYTES);
	json_object_set_new(names, own, json_pack("{s:s, s:s}", "name", "server", "pk", hex));
	while (db_step(st) == DB_ROW) {
		if (db_bytes(st, 2) != KEYS_PK_BYTES)
			continue;
		hex_encode(hex, db_blob(st, 2), KEYS_PK_BYTES);
		json_object_set_new(names, db_text(st, 0), json_pack("{s:s, s:s}", "name", db_text(st, 1), "pk", hex));
	}
	db_reset(st);
	return names;
}

struct heads_ctx {
	struct sstore *s;
	json_t *list, *names;
};

static void add_head_json(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct heads_ctx *c = ctx;
	json_t *dev = json_object_get(c->names, id->device), *v = json_loads(value, JSON_DECODE_ANY, NULL);
	struct db_stmt *st = c->s->record_st[R_AUTHOR_OF];
	char by[SSTORE_MAX_NAME + 1] = "";

	/* A head made at this server names its reviewer, as its history entry does. */
	db_bind_text(st, 1, id->device);
	db_bind_int(st, 2, (int64_t)id->seq);
	if (db_step(st) == DB_ROW)
		strlcpy_s(by, db_text(st, 0), sizeof(by));
	db_reset(st);
	json_array_append_new(c->list, json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:o}", "device", id->device,
						 "device_name", json_string_value(json_object_get(dev, "name")), "by",
						 by[0] ? by : NULL, "seq", (json_int_t)id->seq, "at",
						 (json_int_t)HLC_MS(hlc), "value", v ? v : json_null()));
}

/* Sets out's "fields": each field of record rid (full) with its value, and every head of those in conflict.
 * *review gets the value of its _review field (a new reference, or NULL). */
static int record_fields(struct sstore *s, int64_t rid, const char *full, json_t *names, json_t *out,
			 json_t **review, char *err, size_t errlen)
{
	struct db_stmt *st = s->record_st[R_FIELD_ROWS];
	json_t *fields = json_array();
	int rc;

	db_bind_int(st, 1, rid);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *field = db_text(st, 0);
		json_t *v = json_loads(db_text(st, 1), JSON_DECODE_ANY, NULL), *heads = json_array();
		int conflict = db_int(st, 2);

		if (!strcmp(field, "_review")) {
			json_decref(*review);
			*review = json_incref(v);
		}
		if (conflict) {
			struct heads_ctx hc = { s, heads, names };

			/* merge_heads uses the merge's own statements, not this one: safe while st is stepping. */
			merge_heads(s->merge, full, field, add_head_json, &hc, NULL, 0);
		}
		json_array_append_new(fields, json_pack("{s:s, s:o, s:b, s:o}", "name", field, "value",
							v ? v : json_null(), "conflict", conflict, "heads", heads));
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(fields);
		return db_error(s->db, rc, err, errlen);
	}
	json_object_set_new(out, "fields", fields);
	return 0;
}

/* Sets out's "instances": those of record full's repeats (each a record of its own, whose fields name this one as
 * _parent). */
static int record_instances(struct sstore *s, const char *full, json_t *out, char *err, size_t errlen)
{
	struct db_stmt *st = s->record_st[R_INSTANCES];
	json_t *inst = json_array();
	int rc;

	db_bind_text(st, 1, full);
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(inst, json_pack("{s:s, s:s}", "id", db_text(st, 0), "repeat", db_text(st, 1)));
	db_reset(st);
	json_object_set_new(out, "instances", inst);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

/* Sets out's "history" (every op of record rid, each checked against the change set it came in) and "review":
 * the value of its _review field (review, or NULL), with who made it and when from the op that set it last. */
static int record_history(struct sstore *s, int64_t rid, json_t *names, const json_t *review, json_t *out,
			  char *err, size_t errlen)
{
	struct db_stmt *st = s->record_st[R_HISTORY];
	json_t *history = json_array(), *last_review_op = NULL;
	struct verdicts *verdicts;
	int rc;

	json_object_set_new(out, "history", history);
	if (!(verdicts = calloc(1, sizeof(*verdicts))))
		return errf(err, errlen, _("out of memory"));
	db_bind_int(st, 1, rid);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *dev = db_text(st, 0), *by = db_is_null(st, 5) ? NULL : db_text(st, 5);
		uint64_t seq = (uint64_t)db_int(st, 1), hlc = (uint64_t)db_int(st, 2);
		uint64_t at = HLC_MS(hlc), received = (uint64_t)db_int(st, 7);
		json_t *d = json_object_get(names, dev), *nv = json_loads(db_text(st, 4), JSON_DECODE_ANY, NULL);
		json_t *old = json_loads(db_text(st, 6), 0, NULL), *entry;
		unsigned char pk[KEYS_PK_BYTES];
		const char *pkhex = json_string_value(json_object_get(d, "pk"));
		int have_pk = pkhex && sodium_hex2bin(pk, sizeof(pk), pkhex, strlen(pkhex), NULL, NULL, NULL) == 0;

		entry = json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:s, s:o, s:o, s:b}", "device", dev, "device_name",
				  json_string_value(json_object_get(d, "name")), "by", by, "seq", (json_int_t)seq,
				  "at", (json_int_t)(received && received < at ? received : at), "field",
				  db_text(st, 3), "old",
				  old ? old : json_array(), "new", nv ? nv : json_null(), "verified",
				  op_verified(s, verdicts, dev, seq, have_pk ? pk : NULL));
		if (!strcmp(db_text(st, 3), "_review"))
			last_review_op = entry;
		json_array_append_new(history, entry);
	}
	db_reset(st);
	free(verdicts);
	if (rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	if (json_is_object(review)) {
		json_object_set_new(out, "review", json_pack("{s:O, s:O, s:O, s:O}", "status",
							     json_object_get(review, "status"), "comment",
							     json_object_get(review, "comment") ?
							     json_object_get(review, "comment") : json_string(""),
							     "by", last_review_op ? json_object_get(last_review_op, "by") :
							     json_null(), "at", last_review_op ?
							     json_object_get(last_review_op, "at") : json_null()));
	} else {
		json_object_set_new(out, "review", json_null());
	}
	return 0;
}

/* Sets out's members from the record's own row. */
static void record_row(struct sstore *s, int64_t rid, const char *full, const char *form, const char *version,
		       json_t *out)
{
	struct db_stmt *r = s->record_st[R_ROW];

	db_bind_int(r, 1, rid);
	if (db_step(r) == DB_ROW) {
		json_object_set_new(out, "id", json_string(full));
		json_object_set_new(out, "form", json_string(form));
		json_object_set_new(out, "version", json_string(version));
		json_object_set_new(out, "region", json_string(db_text(r, 4)));
		json_object_set_new(out, "created", json_integer((json_int_t)HLC_MS((uint64_t)db_int(r, 0))));
		json_object_set_new(out, "updated", json_integer((json_int_t)HLC_MS((uint64_t)db_int(r, 1))));
		json_object_set_new(out, "deleted", json_boolean(db_int(r, 2)));
		json_object_set_new(out, "conflicts", json_integer(db_int(r, 3)));
	}
	db_reset(r);
}

/* Sets out's "title": what names the record (its form's instance_name, else its first title field: form.h), or
 * null when nothing does. The form is the one the summary keeps loaded (sstore_record_kind). */
static void record_title(struct sstore *s, int64_t rid, json_t *out)
{
	const struct form *f = sstore_record_kind(s, rid);
	json_t *answers = json_object(), *field, *title = NULL;
	char *t = NULL;
	size_t i;

	json_array_foreach(json_object_get(out, "fields"), i, field)
		json_object_set(answers, json_string_value(json_object_get(field, "name")), json_object_get(field, "value"));
	if (f)
		t = form_record_title(f, answers);
	if (t)
		title = json_string(t);   /* NULL if not UTF-8 */
	json_object_set_new(out, "title", title ? title : json_null());
	free(t);
	json_decref(answers);
}

json_t *sstore_record_json(struct sstore *s, const char *id, unsigned *status, char *err, size_t errlen)
{
	char full[UUID_STRLEN + 1], form[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1], own[KEYS_ID_STRLEN + 1];
	json_t *out, *names, *review = NULL;
	int64_t rid;
	enum found found;

	found = find_record(s, id, full, form, version, sizeof(form), &rid, err, errlen);
	if (found != FOUND_ONE) {
		*status = found == FOUND_MANY ? 400 : found == FOUND_NONE ? 404 : 500;
		return NULL;
	}
	*status = 500;
	names = device_names(s, own);
	out = json_object();
	if (record_fields(s, rid, full, names, out, &review, err, errlen) < 0 ||
	    record_instances(s, full, out, err, errlen) < 0 ||
	    record_history(s, rid, names, review, out, err, errlen) < 0) {
		json_decref(out);
		out = NULL;
	} else {
		record_row(s, rid, full, form, version, out);
		record_title(s, rid, out);
		*status = 200;
	}
	json_decref(review);
	json_decref(names);
	return out;
}
