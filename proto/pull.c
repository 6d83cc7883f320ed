/* pull.c - the answer of GET /v1/pull, written by servers and read by devices, around the op codec. */
#include "pull.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "i18n.h"
#include "jsonc.h"
#include "scan.h"
#include "banned.h"

/* The members of each version's answer. */
static const char *const members_v1[] = { "ops", "next", "more", NULL };
static const char *const members_v2[] = { "ops", "devices", "records", "next", "more", "forms", NULL };

#define ROW_MEMBERS 8              /* a version 2 row without its reviewer */
#define MAX_DEVICES (PULL_V2_MAX_OPS * (1 + MERGE_MAX_BASE))   /* every device an answer's ops can name */

/* ---- the tables of a version 2 answer being written ---- */

/* A table of names (device ids, or record id and form), each given its place in order of first use, found
 * again by an open-addressing hash: a page names a few devices and records many times each. The hash is keyed
 * (SipHash, a key drawn for each table): devices choose their record ids, and must not be able to choose ids
 * that all land in one slot. */
struct names {
	char **name;               /* name[i]: the i-th, owned */
	uint64_t *last;            /* devices: the seq of the device's last op in the page so far */
	uint32_t *slot;            /* 1 + index, 0 for empty; nslots is a power of two */
	size_t n, cap, nslots;
	unsigned char key[crypto_shorthash_KEYBYTES];
};

struct pull_tables {
	struct names devices, records;
	struct buf devs, recs;     /* the members' text so far: "\"ID\",\"ID\"" and "[\"UUID\",\"FORM\"],..." */
	uint64_t hlc;              /* the stamp of the page's last op so far */
};

static size_t hash(const struct names *t, const char *s)
{
	unsigned char h[crypto_shorthash_BYTES];
	size_t v;

	crypto_shorthash(h, (const unsigned char *)s, strlen(s), t->key);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void names_free(struct names *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t->last);
	free(t->slot);
}

static int names_rehash(struct names *t, size_t nslots)
{
	uint32_t *slot = calloc(nslots, sizeof(*slot));
	size_t i;

	if (!slot)
		return -1;
	for (i = 0; i < t->n; i++) {
		size_t k = hash(t, t->name[i]) & (nslots - 1);

		while (slot[k])
			k = (k + 1) & (nslots - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = nslots;
	return 0;
}

/* The place of name, added if new (*added set): its index, or -1 out of memory. */
static long names_get(struct names *t, const char *name, int *added)
{
	size_t k;

	*added = 0;
	if (t->nslots) {
		for (k = hash(t, name) & (t->nslots - 1); t->slot[k]; k = (k + 1) & (t->nslots - 1))
			if (!strcmp(t->name[t->slot[k] - 1], name))
				return (long)t->slot[k] - 1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **name2 = realloc(t->name, cap * sizeof(*name2));
		uint64_t *last2;

		if (!name2)
			return -1;
		t->name = name2;
		if (!(last2 = realloc(t->last, cap * sizeof(*last2))))
			return -1;
		t->last = last2;
		t->cap = cap;
	}
	if (2 * (t->n + 1) > t->nslots && names_rehash(t, t->nslots ? 2 * t->nslots : 32) < 0)
		return -1;
	if (!(t->name[t->n] = strdup(name)))
		return -1;
	t->last[t->n] = 0;
	for (k = hash(t, name) & (t->nslots - 1); t->slot[k]; k = (k + 1) & (t->nslots - 1))
		;
	t->slot[k] = (uint32_t)(t->n + 1);
	*added = 1;
	return (long)t->n++;
}

/* The device's place, its id added to the devices member when new; -1 out of memory or past the cap. */
static long device_index(struct pull_tables *t, const char *id)
{
	int added;
	long i = names_get(&t->devices, id, &added);

	if (i >= 0 && added && buf_printf(&t->devs, "%s\"%s\"", i ? "," : "", id) < 0)
		return -1;
	return i;
}

static long record_index(struct pull_tables *t, const char *record, const char *form)
{
	char key[UUID_STRLEN + MERGE_MAX_NAME + 2];
	int added;
	long i;

	/* The pair is the key: a record has one form, but the writer need not rely on it. */
	snprintf(key, sizeof(key), "%s %s", record, form);
	i = names_get(&t->records, key, &added);
	if (i >= 0 && added && buf_printf(&t->recs, "%s[\"%s\",\"%s\"]", i ? "," : "", record, form) < 0)
		return -1;
	return i;
}

/* ---- writing ---- */

void pull_writer_init(struct pull_writer *w, int version, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	w->version = version;
	buf_init(&w->body, PULL_MAX_BYTES);
	w->st = OPJSON_OK;
}

static void writer_fail(struct pull_writer *w, enum opjson_status st, const char *what)
{
	if (w->st != OPJSON_OK)
		return;
	w->st = st;
	if (st == OPJSON_TOO_LARGE)
		/* TRANSLATORS: %s is what was being done (_("writing the pull answer")). */
		snprintf(w->err, sizeof(w->err), _("%s: the answer is over %zu ops or %zu bytes"), what, w->max,
			 PULL_MAX_BYTES);
	else if (st == OPJSON_NO_MEMORY)
		/* TRANSLATORS: %s is what was being done (_("writing the pull answer")). */
		snprintf(w->err, sizeof(w->err), _("%s: out of memory"), what);
}

/* Appends op as a version 2 row ("[DEV,SEQ,HLC,REC,VERSION,FIELD,VALUE,BASE(,BY)]"). The op passed
 * opjson_check: its names need no escapes, its value is canonical, its seq at most 2^63 - 1 and its stamp at
 * most HLC_MAX, so the differences fit a signed 64-bit integer. */
static enum opjson_status append_row(struct pull_writer *w, const struct op *op, const char *by)
{
	struct pull_tables *t = w->t;
	long dev, rec, bdev;
	int64_t dseq, dhlc;
	size_t j;
	int r;

	if ((dev = device_index(t, op->device)) < 0 || (rec = record_index(t, op->record, op->form)) < 0)
		return OPJSON_NO_MEMORY;
	dseq = (int64_t)op->seq - (int64_t)t->devices.last[dev];
	dhlc = (int64_t)op->hlc - (int64_t)t->hlc;
	t->devices.last[dev] = op->seq;
	t->hlc = op->hlc;
	r = buf_printf(&w->body, "%s[%ld,%" PRId64 ",%" PRId64 ",%ld,\"%s\",\"%s\",%s,[", w->n ? "," : "{\"ops\":[",
		       dev, dseq, dhlc, rec, op->form_version, op->field, op->value);
	for (j = 0; r == 0 && j < op->nbase; j++) {
		if ((bdev = device_index(t, op->base[j].device)) < 0)
			return OPJSON_NO_MEMORY;
		r = buf_printf(&w->body, "%s[%ld,%" PRIu64 "]", j ? "," : "", bdev, op->base[j].seq);
	}
	if (r == 0)
		r = buf_adds(&w->body, "]");
	if (r == 0 && by) {
		json_t *s = json_string(by);

		r = !s || buf_addc(&w->body, ',') < 0 || jsonc_append(&w->body, s) < 0 ? -1 : 0;
		json_decref(s);
	}
	if (r == 0)
		r = buf_addc(&w->body, ']');
	if (r < 0)
		return w->body.len + 4096 > w->body.max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY;
	return OPJSON_OK;
}

int pull_writer_add(struct pull_writer *w, const struct op *op, const char *by)
{
	const struct opjson_from from = { NULL, 0, 0 };
	enum opjson_status st;
	size_t size;

	if (w->st != OPJSON_OK)
		return 1;
	if (w->n >= w->max) {
		writer_fail(w, OPJSON_TOO_LARGE, _("writing the pull answer"));
		return 1;
	}
	st = opjson_check(op, by, w->n, &from, w->err, sizeof(w->err));
	if (st != OPJSON_OK) {
		w->st = st;
		return 1;
	}
	if (w->version == 2) {
		if (!w->t) {
			if (!(w->t = calloc(1, sizeof(*w->t)))) {
				writer_fail(w, OPJSON_NO_MEMORY, _("writing the pull answer"));
				return 1;
			}
			buf_init(&w->t->devs, PULL_MAX_BYTES);
			buf_init(&w->t->recs, PULL_MAX_BYTES);
			randombytes_buf(w->t->devices.key, sizeof(w->t->devices.key));
			randombytes_buf(w->t->records.key, sizeof(w->t->records.key));
		}
		st = append_row(w, op, by);
	} else if (buf_adds(&w->body, w->n ? "," : "{\"ops\":[") < 0) {
		st = w->body.len + 8 > w->body.max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY;
	} else {
		st = opjson_append(&w->body, op, 1, by);
	}
	if (st != OPJSON_OK) {
		writer_fail(w, st, _("writing the pull answer"));
		return 1;
	}
	w->n++;
	size = w->body.len + (w->t ? w->t->devs.len + w->t->recs.len : 0);
	return w->n >= w->max || size >= PULL_PAGE_BYTES;
}

enum opjson_status pull_writer_end(struct pull_writer *w, uint64_t next, int more, const char *forms)
{
	int r;

	if (w->st == OPJSON_OK && next > (uint64_t)INT64_MAX) {
		w->st = OPJSON_BAD;
		snprintf(w->err, sizeof(w->err), _("the cursor %llu is over 2^63 - 1"), (unsigned long long)next);
	}
	if (w->st != OPJSON_OK)
		return w->st;
	r = buf_adds(&w->body, w->n ? "]" : "{\"ops\":[]");
	if (r == 0 && w->version == 2)
		r = buf_printf(&w->body, ",\"devices\":[%s],\"records\":[%s]", w->t ? w->t->devs.data : "",
			       w->t ? w->t->recs.data : "");
	if (r == 0)
		r = buf_printf(&w->body, ",\"next\":%" PRIu64 ",\"more\":%s", next, more ? "true" : "false");
	if (r == 0 && w->version == 2)
		r = buf_printf(&w->body, ",\"forms\":\"%s\"", forms ? forms : "");
	if (r == 0)
		r = buf_adds(&w->body, "}\n");
	if (r < 0)
		writer_fail(w, w->body.len + 64 > w->body.max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY,
			    _("writing the pull answer"));
	return w->st;
}

void pull_writer_release(struct pull_writer *w)
{
	buf_release(&w->body);
	if (w->t) {
		names_free(&w->t->devices);
		names_free(&w->t->records);
		buf_release(&w->t->devs);
		buf_release(&w->t->recs);
		free(w->t);
		w->t = NULL;
	}
}

/* ---- reading ---- */

static int forms_tag_valid(const char *t)
{
	size_t i;

	if (!t || strlen(t) != PULL_FORMS_TAG_LEN)
		return 0;
	for (i = 0; i < PULL_FORMS_TAG_LEN; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return 1;
}

/* An index into a table of n: the integer v, from 0 to n - 1; -1 if it is not one. */
static long table_index(const json_t *v, size_t n)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	return i >= 0 && (size_t)i < n ? (long)i : -1;
}

/* Reads a version 2 row (op i, from 0) back into the op's object, as a version 1 answer holds it, for the op
 * codec to check: its device and record from the tables, its seq and stamp from the differences, with the
 * device's last seq and the last stamp moved on. NULL with err when the row is not one. */
static json_t *row_object(const json_t *row, size_t i, const json_t *devs, const json_t *recs, int64_t *last_seq,
			  int64_t *last_hlc, char *err, size_t errlen)
{
	json_t *o, *base, *b;
	const json_t *rec;
	int64_t seq, hlc;
	long dev, r, bdev;
	size_t j, n = json_array_size(row);

	if (!json_is_array(row) || (n != ROW_MEMBERS && n != ROW_MEMBERS + 1)) {
		snprintf(err, errlen, _("op %zu: is not an array of %d or %d items"), i + 1, ROW_MEMBERS,
			 ROW_MEMBERS + 1);
		return NULL;
	}
	if ((dev = table_index(json_array_get(row, 0), json_array_size(devs))) < 0) {
		snprintf(err, errlen, _("op %zu: item 1 is not a place in 'devices'"), i + 1);
		return NULL;
	}
	if ((r = table_index(json_array_get(row, 3), json_array_size(recs))) < 0) {
		snprintf(err, errlen, _("op %zu: item 4 is not a place in 'records'"), i + 1);
		return NULL;
	}
	if (!json_is_integer(json_array_get(row, 1)) || !json_is_integer(json_array_get(row, 2)) ||
	    __builtin_add_overflow(last_seq[dev], (int64_t)json_integer_value(json_array_get(row, 1)), &seq) ||
	    __builtin_add_overflow(*last_hlc, (int64_t)json_integer_value(json_array_get(row, 2)), &hlc)) {
		snprintf(err, errlen, _("op %zu: items 2 and 3 are not differences of seq and stamp"), i + 1);
		return NULL;
	}
	last_seq[dev] = seq;
	*last_hlc = hlc;
	rec = json_array_get(recs, (size_t)r);
	base = json_array();
	for (j = 0; base && j < json_array_size(json_array_get(row, 7)); j++) {
		b = json_array_get(json_array_get(row, 7), j);
		if (!json_is_array(b) || json_array_size(b) != 2 ||
		    (bdev = table_index(json_array_get(b, 0), json_array_size(devs))) < 0) {
			snprintf(err, errlen, _("op %zu: base %zu is not [a place in 'devices', seq]"), i + 1, j + 1);
			json_decref(base);
			return NULL;
		}
		json_array_append_new(base, json_pack("[OO]", json_array_get(devs, (size_t)bdev), json_array_get(b, 1)));
	}
	if (!json_is_array(json_array_get(row, 7))) {
		snprintf(err, errlen, _("op %zu: item 8, the base, is not an array"), i + 1);
		json_decref(base);
		return NULL;
	}
	/* Types and bounds of each member are the op codec's to check, as in version 1. */
	o = json_pack("{s:O, s:I, s:I, s:O, s:O, s:O, s:O, s:O, s:o}", "device", json_array_get(devs, (size_t)dev),
		      "seq", (json_int_t)seq, "hlc", (json_int_t)hlc, "record", json_array_get(rec, 0), "form",
		      json_array_get(rec, 1),
		      "version", json_array_get(row, 4), "field", json_array_get(row, 5), "value",
		      json_array_get(row, 6), "base", base);
	if (o && n == ROW_MEMBERS + 1 && json_object_set(o, "by", json_array_get(row, 8)) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		snprintf(err, errlen, _("op %zu: out of memory"), i + 1);
	return o;
}

/* The ops of a version 2 answer as the list of op objects a version 1 answer holds: a new reference, or NULL with
 * err. The tables are checked here; each op's members by the op codec after. */
static json_t *rows_list(const json_t *root, char *err, size_t errlen)
{
	const json_t *rows = json_object_get(root, "ops"), *devs = json_object_get(root, "devices");
	const json_t *recs = json_object_get(root, "records");
	int64_t *last_seq, last_hlc = 0;
	json_t *list;
	size_t i;

	if (!json_is_array(devs) || json_array_size(devs) > MAX_DEVICES) {
		snprintf(err, errlen, _("the answer's member 'devices' is not an array of at most %d device ids"),
			 MAX_DEVICES);
		return NULL;
	}
	if (!json_is_array(recs) || json_array_size(recs) > PULL_V2_MAX_OPS) {
		snprintf(err, errlen, _("the answer's member 'records' is not an array of at most %d records"),
			 PULL_V2_MAX_OPS);
		return NULL;
	}
	for (i = 0; i < json_array_size(recs); i++) {
		const json_t *r = json_array_get(recs, i);

		if (!json_is_array(r) || json_array_size(r) != 2) {
			snprintf(err, errlen, _("record %zu of 'records' is not [record id, form id]"), i + 1);
			return NULL;
		}
	}
	if (!(last_seq = calloc(json_array_size(devs) + 1, sizeof(*last_seq))) || !(list = json_array())) {
		free(last_seq);
		snprintf(err, errlen, _("out of memory reading the answer"));
		return NULL;
	}
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *o = row_object(json_array_get(rows, i), i, devs, recs, last_seq, &last_hlc, err, errlen);

		if (!o || json_array_append_new(list, o) < 0) {
			json_decref(list);
			list = NULL;
			break;
		}
	}
	free(last_seq);
	return list;
}

/* Reads root, an answer of the version asked for, into out (see pull_answer_decode). */
static enum opjson_status answer_read(const json_t *root, int version, struct pull_answer *out, char *err,
				      size_t errlen)
{
	const char *const *members = version == 2 ? members_v2 : members_v1;
	const struct opjson_from from = { NULL, 0, 0 };
	size_t max = version == 2 ? PULL_V2_MAX_OPS : PULL_MAX_OPS;
	const json_t *ops, *next, *more, *v;
	enum opjson_status st = OPJSON_BAD;
	json_t *list = NULL;
	const char *key;
	size_t k;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(root)) {
		snprintf(err, errlen, _("the answer is %s, not an object"), opjson_type_name(root));
		return OPJSON_BAD;
	}
	json_object_foreach((json_t *)root, key, v) {
		for (k = 0; members[k] && strcmp(key, members[k]); k++)
			;
		if (!members[k]) {
			snprintf(err, errlen, _("the answer has an unknown member '%.40s'"), key);
			return OPJSON_BAD;
		}
	}
	for (k = 0; members[k]; k++) {
		if (!json_object_get(root, members[k])) {
			snprintf(err, errlen, _("the answer's member '%s' is missing"), members[k]);
			return OPJSON_BAD;
		}
	}
	ops = json_object_get(root, "ops");
	next = json_object_get(root, "next");
	more = json_object_get(root, "more");
	if (!json_is_array(ops)) {
		snprintf(err, errlen, _("the answer's member 'ops' is %s, not an array"), opjson_type_name(ops));
		return OPJSON_BAD;
	}
	if (json_array_size(ops) > max) {
		snprintf(err, errlen, _("the answer holds %zu ops, over the limit of %zu"), json_array_size(ops), max);
		return OPJSON_BAD;
	}
	if (!json_is_integer(next)) {
		snprintf(err, errlen, _("the answer's member 'next' is %s, not an integer"), opjson_type_name(next));
		return OPJSON_BAD;
	}
	if (json_integer_value(next) < 0) {
		snprintf(err, errlen, _("the answer's member 'next': %lld is negative"),
			 (long long)json_integer_value(next));
		return OPJSON_BAD;
	}
	if (!json_is_boolean(more)) {
		snprintf(err, errlen, _("the answer's member 'more' is %s, not true or false"), opjson_type_name(more));
		return OPJSON_BAD;
	}
	if (version == 2 && !forms_tag_valid(json_string_value(json_object_get(root, "forms")))) {
		snprintf(err, errlen, _("the answer's member 'forms' is not %d lowercase hex characters"),
			 PULL_FORMS_TAG_LEN);
		return OPJSON_BAD;
	}
	if (version == 2 && !(list = rows_list(root, err, errlen)))
		return OPJSON_BAD;
	st = opjson_decode(list ? list : ops, &from, &out->ops, err, errlen);
	if (st == OPJSON_OK) {
		out->next = (uint64_t)json_integer_value(next);
		out->more = json_is_true(more);
		if (version == 2)
			memcpy(out->forms, json_string_value(json_object_get(root, "forms")), PULL_FORMS_TAG_LEN + 1);
	}
	json_decref(list);
	return st;
}

/* ---- the fast reader of version 2 ---- */

/* A row as read, before the tables after it are known: its texts point into the answer. */
struct plain_row {
	uint64_t dev, rec;
	int64_t dseq, dhlc;
	const char *ver, *field, *value, *by;
	size_t verlen, fieldlen, valuelen, bylen;
	size_t base, nbase;        /* its base entries: refs[base .. base + nbase) */
};

struct plain_ref {
	uint64_t dev, seq;
};

struct plain_answer {
	struct buf rows, refs;     /* struct plain_row[], struct plain_ref[] */
	struct buf devs, recs;     /* struct span[] of the device ids; of record id and form, two per record */
	size_t nrows;
};

struct span {
	const char *p;
	size_t len;
};

/* One row: [DEV,SEQ,HLC,REC,"VERSION","FIELD",VALUE,[[DEV,SEQ],...](,"BY")]. */
static int plain_row(struct scan *c, struct plain_answer *a)
{
	struct plain_row r;
	struct plain_ref ref;

	memset(&r, 0, sizeof(r));
	if (!SCAN_LIT(c, "[") || !scan_u64(c, &r.dev) || !SCAN_LIT(c, ",") || !scan_i64(c, &r.dseq) ||
	    !SCAN_LIT(c, ",") || !scan_i64(c, &r.dhlc) || !SCAN_LIT(c, ",") || !scan_u64(c, &r.rec) ||
	    !SCAN_LIT(c, ",") || !scan_str(c, &r.ver, &r.verlen) || !SCAN_LIT(c, ",") ||
	    !scan_str(c, &r.field, &r.fieldlen) || !SCAN_LIT(c, ",") || !scan_value(c, &r.value, &r.valuelen) ||
	    !SCAN_LIT(c, ",["))
		return 0;
	r.base = a->refs.len / sizeof(ref);
	while (!SCAN_LIT(c, "]")) {
		if (r.nbase == MERGE_MAX_BASE || (r.nbase && !SCAN_LIT(c, ",")) || !SCAN_LIT(c, "[") ||
		    !scan_u64(c, &ref.dev) || !SCAN_LIT(c, ",") || !scan_u64(c, &ref.seq) || !SCAN_LIT(c, "]") ||
		    buf_add(&a->refs, &ref, sizeof(ref)) < 0)
			return 0;
		r.nbase++;
	}
	if ((SCAN_LIT(c, ",") && !scan_str(c, &r.by, &r.bylen)) || !SCAN_LIT(c, "]"))
		return 0;
	return buf_add(&a->rows, &r, sizeof(r)) == 0;
}

/* A table of strings ("devices"), or of pairs of strings ("records": per = 2), up to its closing ']' and at most
 * max entries. */
static int plain_table(struct scan *c, struct buf *out, int per, size_t max)
{
	struct span sp[2];
	size_t n = 0;
	int k;

	while (!SCAN_LIT(c, "]")) {
		if (n == max || (n && !SCAN_LIT(c, ",")) || (per == 2 && !SCAN_LIT(c, "[")))
			return 0;
		for (k = 0; k < per; k++) {
			if ((k && !SCAN_LIT(c, ",")) || !scan_str(c, &sp[k].p, &sp[k].len))
				return 0;
		}
		if ((per == 2 && !SCAN_LIT(c, "]")) || buf_add(out, sp, (size_t)per * sizeof(sp[0])) < 0)
			return 0;
		n++;
	}
	return 1;
}

static int put_lit(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* v in decimal. */
static int put_i64(struct buf *b, int64_t v)
{
	char d[24];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t n = sizeof(d);

	do {
		d[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--n] = '-';
	return buf_add(b, d + n, sizeof(d) - n);
}

/* The rows again, as the op objects of a version 1 answer (the op writer's form), into list: 0, or -1 if a
 * row's places or differences are not what the full reader takes. */
static int plain_list(const struct plain_answer *a, struct buf *list)
{
	const struct plain_row *rows = (const struct plain_row *)(const void *)a->rows.data;
	const struct plain_ref *refs = (const struct plain_ref *)(const void *)a->refs.data;
	const struct span *devs = (const struct span *)(const void *)a->devs.data;
	const struct span *recs = (const struct span *)(const void *)a->recs.data;
	size_t ndevs = a->devs.len / sizeof(*devs), nrecs = a->recs.len / (2 * sizeof(*recs)), i, j;
	int64_t *last_seq, last_hlc = 0, seq, hlc;
	int r = 0;

	if (!(last_seq = calloc(ndevs + 1, sizeof(*last_seq))))
		return -1;
	r = buf_addc(list, '[');
	for (i = 0; i < a->nrows && r == 0; i++) {
		const struct plain_row *w = &rows[i];
		const struct span *rec;

		if (w->dev >= ndevs || w->rec >= nrecs || __builtin_add_overflow(last_seq[w->dev], w->dseq, &seq) ||
		    __builtin_add_overflow(last_hlc, w->dhlc, &hlc)) {
			r = -1;
			break;
		}
		rec = &recs[2 * w->rec];
		last_seq[w->dev] = seq;
		last_hlc = hlc;
		/* Piece by piece rather than through printf, whose parsing of its format was most of this reader's
		 * time. */
		r = i && buf_addc(list, ',') < 0 ? -1 : 0;
		r |= put_lit(list, "{\"device\":\"") | buf_add(list, devs[w->dev].p, devs[w->dev].len) |
		     put_lit(list, "\",\"seq\":") | put_i64(list, seq) | put_lit(list, ",\"hlc\":") | put_i64(list, hlc) |
		     put_lit(list, ",\"record\":\"") | buf_add(list, rec[0].p, rec[0].len) |
		     put_lit(list, "\",\"form\":\"") | buf_add(list, rec[1].p, rec[1].len) |
		     put_lit(list, "\",\"version\":\"") | buf_add(list, w->ver, w->verlen) |
		     put_lit(list, "\",\"field\":\"") | buf_add(list, w->field, w->fieldlen) |
		     put_lit(list, "\",\"value\":") | buf_add(list, w->value, w->valuelen) | put_lit(list, ",\"base\":[");
		for (j = 0; j < w->nbase && r == 0; j++) {
			const struct plain_ref *f = &refs[w->base + j];

			if (f->dev >= ndevs) {
				r = -1;
				break;
			}
			r = put_lit(list, j ? ",[\"" : "[\"") | buf_add(list, devs[f->dev].p, devs[f->dev].len) |
			    put_lit(list, "\",") | put_i64(list, (int64_t)f->seq) | buf_addc(list, ']');
		}
		r |= buf_addc(list, ']');
		if (w->by)
			r |= put_lit(list, ",\"by\":\"") | buf_add(list, w->by, w->bylen) | buf_addc(list, '"');
		r |= buf_addc(list, '}');
	}
	if (r == 0)
		r = buf_addc(list, ']');
	free(last_seq);
	return r;
}

/* A version 2 answer as pull_writer_end writes it (without its line feed), at the reading point, into out: 1,
 * or 0 when the text is not all in that form or breaks a check (the full reader then says which), or -1 out of
 * memory. */
static int plain_answer(struct scan *c, struct pull_answer *out)
{
	const struct opjson_from from = { NULL, 0, 0 };
	struct plain_answer a = { BUF_INIT(PULL_MAX_BYTES), BUF_INIT(PULL_MAX_BYTES), BUF_INIT(PULL_MAX_BYTES),
				  BUF_INIT(PULL_MAX_BYTES), 0 };
	struct buf list = BUF_INIT(2 * PULL_MAX_BYTES);
	const char *forms = NULL;
	size_t flen = 0;
	uint64_t next = 0;
	int more = 0, r = 0;
	enum opjson_status st;

	if (SCAN_LIT(c, "{\"ops\":[")) {
		r = 1;
		while (r && !SCAN_LIT(c, "]")) {
			if (a.nrows == PULL_V2_MAX_OPS || (a.nrows && !SCAN_LIT(c, ",")) || !plain_row(c, &a))
				r = 0;
			else
				a.nrows++;
		}
	}
	r = r && SCAN_LIT(c, ",\"devices\":[") && plain_table(c, &a.devs, 1, MAX_DEVICES) &&
	    SCAN_LIT(c, ",\"records\":[") && plain_table(c, &a.recs, 2, PULL_V2_MAX_OPS) &&
	    SCAN_LIT(c, ",\"next\":") && scan_u64(c, &next) && SCAN_LIT(c, ",\"more\":") &&
	    ((more = SCAN_LIT(c, "true")) || SCAN_LIT(c, "false")) && SCAN_LIT(c, ",\"forms\":") &&
	    scan_str(c, &forms, &flen) && flen == PULL_FORMS_TAG_LEN && SCAN_LIT(c, "}");
	if (r)
		r = plain_list(&a, &list) == 0;
	if (r) {
		st = opjson_decode_plain(list.data, list.len, a.nrows, &from, &out->ops);
		r = st == OPJSON_OK ? 1 : st == OPJSON_NO_MEMORY ? -1 : 0;
	}
	if (r == 1) {
		memcpy(out->forms, forms, PULL_FORMS_TAG_LEN);
		out->forms[PULL_FORMS_TAG_LEN] = '\0';
		if (!forms_tag_valid(out->forms)) {
			opjson_ops_release(&out->ops);
			r = 0;
		}
	}
	if (r == 1) {
		out->next = next;
		out->more = more;
	} else {
		memset(out, 0, sizeof(*out));
	}
	buf_release(&a.rows);
	buf_release(&a.refs);
	buf_release(&a.devs);
	buf_release(&a.recs);
	buf_release(&list);
	return r;
}

/* The reading point is at the end of the text, or at its line feed. */
static int plain_end(const struct scan *c)
{
	return c->i == c->n || (c->i + 1 == c->n && c->s[c->i] == '\n');
}

/* The whole text is one version 2 answer as the writer writes it. */
static int plain_whole(const char *text, size_t len, struct pull_answer *out)
{
	struct scan c = { text, len, 0 };
	int r = plain_answer(&c, out);

	if (r == 1 && !plain_end(&c)) {
		pull_answer_release(out);
		r = 0;
	}
	return r;
}

/* The whole text is the answer to an upload with a pull page, as pull_upload_write writes it. */
static int plain_upload(const char *text, size_t len, struct pull_upload *out)
{
	struct scan c = { text, len, 0 };
	int r;

	if (!SCAN_LIT(&c, "{\"accepted\":") || !scan_u64(&c, &out->accepted) || !SCAN_LIT(&c, ",\"duplicates\":") ||
	    !scan_u64(&c, &out->duplicates) || !SCAN_LIT(&c, ",\"next_seq\":") || !scan_u64(&c, &out->next_seq) ||
	    !SCAN_LIT(&c, ",\"pull\":"))
		r = 0;
	else
		r = plain_answer(&c, &out->pull);
	if (r == 1 && (!SCAN_LIT(&c, "}") || !plain_end(&c))) {
		pull_answer_release(&out->pull);
		r = 0;
	}
	if (r == 1)
		out->has_pull = 1;
	else
		memset(out, 0, sizeof(*out));
	return r;
}

/* Parses text as strict JSON: no duplicate names, UTF-8 checked, no NUL in strings, as a change set's body.
 * A new reference, or NULL with err (and *st OPJSON_BAD or OPJSON_NO_MEMORY). */
static json_t *strict_load(const char *text, size_t len, enum opjson_status *st, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (root)
		return root;
	if (json_error_code(&je) == json_error_out_of_memory) {
		snprintf(err, errlen, _("out of memory reading the answer"));
		*st = OPJSON_NO_MEMORY;
	} else {
		snprintf(err, errlen, _("the answer is not strict JSON: %s at byte %d (line %d, column %d)"), je.text,
			 je.position, je.line, je.column);
		*st = OPJSON_BAD;
	}
	return NULL;
}

enum opjson_status pull_answer_decode(const char *text, size_t len, int version, struct pull_answer *out, char *err,
				      size_t errlen)
{
	enum opjson_status st;
	json_t *root;
	int r;

	memset(out, 0, sizeof(*out));
	if (version == 2 && (r = plain_whole(text, len, out)) != 0) {
		if (r < 0)
			snprintf(err, errlen, _("out of memory reading the answer"));
		return r > 0 ? OPJSON_OK : OPJSON_NO_MEMORY;
	}
	if (!(root = strict_load(text, len, &st, err, errlen)))
		return st;
	st = answer_read(root, version, out, err, errlen);
	json_decref(root);
	return st;
}

int pull_upload_write(struct buf *out, uint64_t accepted, uint64_t duplicates, uint64_t next_seq,
		      const struct buf *page)
{
	/* The page without its line feed: it is a member here. */
	int len = page->len && page->data[page->len - 1] == '\n' ? (int)page->len - 1 : (int)page->len;

	return buf_printf(out, "{\"accepted\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"next_seq\":%" PRIu64
			  ",\"pull\":%.*s}\n", accepted, duplicates, next_seq, len, page->data);
}

/* A whole number from 0 to 2^63 - 1 in member name of o, into out: 0, or -1 with err. */
static int count_read(const json_t *o, const char *name, uint64_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, _("the answer's member '%s' is not a whole number"), name);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

enum opjson_status pull_upload_decode(const char *text, size_t len, struct pull_upload *out, char *err,
				      size_t errlen)
{
	static const char *const members[] = { "accepted", "duplicates", "next_seq", "pull", NULL };
	enum opjson_status st = OPJSON_BAD;
	const char *key;
	json_t *root, *v;
	size_t k;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = plain_upload(text, len, out)) != 0) {
		if (r < 0)
			snprintf(err, errlen, _("out of memory reading the answer"));
		return r > 0 ? OPJSON_OK : OPJSON_NO_MEMORY;
	}
	if (!(root = strict_load(text, len, &st, err, errlen)))
		return st;
	if (!json_is_object(root)) {
		snprintf(err, errlen, _("the answer is %s, not an object"), opjson_type_name(root));
		goto out;
	}
	json_object_foreach(root, key, v) {
		for (k = 0; members[k] && strcmp(key, members[k]); k++)
			;
		if (!members[k]) {
			snprintf(err, errlen, _("the answer has an unknown member '%.40s'"), key);
			goto out;
		}
	}
	if (count_read(root, "accepted", &out->accepted, err, errlen) < 0 ||
	    count_read(root, "duplicates", &out->duplicates, err, errlen) < 0 ||
	    count_read(root, "next_seq", &out->next_seq, err, errlen) < 0)
		goto out;
	st = OPJSON_OK;
	if ((v = json_object_get(root, "pull"))) {
		char e2[400];

		out->has_pull = 1;
		if ((st = answer_read(v, 2, &out->pull, e2, sizeof(e2))) != OPJSON_OK)
			/* TRANSLATORS: the ops a server sends back inside its answer to a push, then the error. */
			snprintf(err, errlen, _("its pull: %s"), e2);
	}
out:
	if (st != OPJSON_OK)
		pull_answer_release(&out->pull);
	json_decref(root);
	return st;
}

void pull_answer_release(struct pull_answer *a)
{
	if (!a)
		return;
	opjson_ops_release(&a->ops);
	memset(a, 0, sizeof(*a));
}
