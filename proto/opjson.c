/* opjson.c - one op as JSON: the checks of every member (PROTOCOL.md, "The op"), the reader of a list of ops,
 * and the writer of one op. Used for change sets (changeset.c) and pull answers (pull.c); the reader and the
 * writer check the same things with the same functions, so that what one side writes the other reads. */
#include "opjson.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "i18n.h"
#include "jsonc.h"
#include "keys.h"
#include "scan.h"
#include "util.h"
#include "uuid.h"
#include "banned.h"

#define MAX_VALUE_DEPTH 8        /* arrays and objects nested in one value */
#define MAX_JSON_INT ((uint64_t)INT64_MAX)   /* a seq must fit jansson's json_int_t */

/* ---- checks of one member ---- */

int opjson_too_deep(const json_t *v, int room)
{
	const char *key;
	json_t *child;
	size_t i;

	if (!json_is_array(v) && !json_is_object(v))
		return 0;
	if (room == 0)
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (opjson_too_deep(child, room - 1))
				return 1;
		}
	} else {
		json_object_foreach((json_t *)v, key, child) {
			if (opjson_too_deep(child, room - 1))
				return 1;
		}
	}
	return 0;
}

/* A lower bound on the length of v's canonical text, counting each number as one byte; stops early past
 * limit. The canonical text is at most 24 times this (a number is at most 24 bytes, an escaped byte 6), so a
 * value that passes here has a text far below jsonc's own 64 MiB cap: jsonc_dumps failing on it then means
 * out of memory, never "too long". */
static size_t text_floor(const json_t *v, size_t limit)
{
	const char *key;
	json_t *child;
	size_t i, n = 0;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return 2 + json_string_length(v);
	case JSON_ARRAY:
		n = 2;
		json_array_foreach(v, i, child) {
			n += (i ? 1 : 0) + text_floor(child, limit);
			if (n > limit)
				break;
		}
		return n;
	case JSON_OBJECT:
		n = 1;
		json_object_foreach((json_t *)v, key, child) {
			n += 4 + strlen(key) + text_floor(child, limit);   /* "key": and a comma or the '}' */
			if (n > limit)
				break;
		}
		return n < 2 ? 2 : n;
	case JSON_TRUE:
	case JSON_NULL:
		return 4;
	case JSON_FALSE:
		return 5;
	default:
		return 1;
	}
}

/* The canonical text of a value (a new string the caller frees) in *text, or why it is refused in *why (and
 * OPJSON_BAD), or OPJSON_NO_MEMORY. */
static enum opjson_status value_text(const json_t *v, char **text, const char **why)
{
	char *t;

	*text = NULL;
	if (opjson_too_deep(v, MAX_VALUE_DEPTH)) {
		*why = _("it is nested more than 8 deep");
		return OPJSON_BAD;
	}
	if (text_floor(v, OPJSON_MAX_VALUE) > OPJSON_MAX_VALUE) {
		*why = _("its canonical text is over the limit of 65536 bytes");
		return OPJSON_BAD;
	}
	t = jsonc_dumps(v);
	if (!t) {
		*why = _("out of memory");
		return OPJSON_NO_MEMORY;
	}
	if (strlen(t) > OPJSON_MAX_VALUE) {
		free(t);
		*why = _("its canonical text is over the limit of 65536 bytes");
		return OPJSON_BAD;
	}
	*text = t;
	return OPJSON_OK;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

/* Why s[0..len) is not a form version (a plain name of A-Z a-z 0-9 _ . -, at most 64 characters), or NULL. The
 * reasons here and below are whole clauses about the value ("it is empty"), for the messages' parentheses. */
static const char *bad_version(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return _("it is empty");
	if (len > MERGE_MAX_NAME)
		return _("it is longer than 64 characters");
	for (i = 0; i < len; i++) {
		if (!is_name_char(s[i]))
			return _("it may hold only A-Z a-z 0-9 _ . -");
	}
	return NULL;
}

/* Why s[0..len) is not a form id (a version's rules, and not starting with a digit, '.' or '-'), or NULL. */
static const char *bad_form(const char *s, size_t len)
{
	const char *why = bad_version(s, len);

	if (why)
		return why;
	if (is_digit(s[0]) || s[0] == '.' || s[0] == '-')
		return _("it must not start with a digit, '.' or '-'");
	return NULL;
}

/* [A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters; the pseudo-fields _deleted and _review match it. */
static const char *bad_field(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return _("it is empty");
	if (len > MERGE_MAX_NAME)
		return _("it is longer than 64 characters");
	if (!is_alpha(s[0]) && s[0] != '_')
		return _("it must start with a letter or '_'");
	for (i = 1; i < len; i++) {
		if (!is_name_char(s[i]))
			return _("it may hold only A-Z a-z 0-9 _ . -");
	}
	return NULL;
}

static int is_device_id(const char *s, size_t len)
{
	size_t i;

	if (len != KEYS_ID_STRLEN)
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	}
	return 1;
}

/* Quotes untrusted text for a message: at most 40 bytes (cut on a character boundary), control characters
 * and quotes as \xNN, so an error line can be logged as it is. */
static const char *shown(char out[200], const char *s, size_t len)
{
	size_t i, o = 0, n = utf8_cut(s, len, 40);
	out[o++] = '\'';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\')
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '\'';
	if (n < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Why op's base breaks the table (entries numbered from 1), or 0. self is the op's device id. */
static int base_problem(const struct op *op, const char *self, char *why, size_t n)
{
	size_t j, k;

	if (op->nbase > MERGE_MAX_BASE)
		return snprintf(why, n, _("%zu entries, over the limit of %d"), op->nbase, MERGE_MAX_BASE), 1;
	for (j = 0; j < op->nbase; j++) {
		const struct op_ref *r = &op->base[j];
		char q[200];

		if (!is_device_id(r->device, strnlen(r->device, sizeof(r->device))))
			return snprintf(why, n, _("entry %zu: %s is not a device id (32 lowercase hex characters)"),
					j + 1, shown(q, r->device, strnlen(r->device, sizeof(r->device)))), 1;
		if (r->seq < 1 || r->seq > MAX_JSON_INT)
			return snprintf(why, n, _("entry %zu: seq %llu is out of range (1 .. 2^63 - 1)"), j + 1,
					(unsigned long long)r->seq), 1;
		for (k = 0; k < j; k++) {
			if (op->base[k].seq == r->seq && !strcmp(op->base[k].device, r->device))
				return snprintf(why, n, _("entry %zu repeats entry %zu"), j + 1, k + 1), 1;
		}
		if (r->seq == op->seq && !strcmp(r->device, self))
			return snprintf(why, n, _("entry %zu names the op itself"), j + 1), 1;
	}
	return 0;
}

/* Why by is not a reviewer's name (1-64 bytes of UTF-8 without control characters), or NULL. */
static const char *bad_by(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return _("it is empty");
	if (len > OPJSON_MAX_BY)
		return _("it is longer than 64 bytes");
	if (!utf8_valid(s, len, NULL))
		return _("it is not UTF-8");
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return _("it holds a control character");
	}
	return NULL;
}

const char *opjson_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	/* TRANSLATORS: a kind of JSON value, in messages such as "member 'seq' is a string, not an integer". */
	case JSON_OBJECT: return C_("JSON type", "an object");
	case JSON_ARRAY: return C_("JSON type", "an array");
	case JSON_STRING: return C_("JSON type", "a string");
	case JSON_INTEGER: return C_("JSON type", "an integer");
	case JSON_REAL: return C_("JSON type", "a real number");
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	default: return "null";
	}
}

/* Messages about op i (0-based; shown from 1) of a list from `from`: a change set's names the seq the op
 * should have. */
struct where {
	char *err;
	size_t errlen;
	size_t i;
	const struct opjson_from *from;
};

__attribute__((format(printf, 3, 4)))
static enum opjson_status op_fail(const struct where *w, enum opjson_status st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!w->err || !w->errlen)
		return st;
	if (w->from->signer)
		/* TRANSLATORS: an op (one change) by its place in a change set and its number, then the error. */
		snprintf(w->err, w->errlen, _("op %zu (seq %llu): %s"), w->i + 1,
			 (unsigned long long)(w->from->first + w->i), msg);
	else
		snprintf(w->err, w->errlen, _("op %zu: %s"), w->i + 1, msg);
	return st;
}

/* ---- the reader ---- */

/* A change set's op has exactly these members; a pull answer's has "device" too, and may have "by". */
static const char *const members[] = { "seq", "hlc", "record", "form", "version", "field", "value", "base" };
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

/* The strings and bases of decoded ops live in one arena (opjson_ops.owner). While it grows it may move, so the
 * ops first hold offsets (in off[SLOTS * i + k]: form, version, field, value, by, base) and get their pointers
 * at the end. */
#define SLOTS 6
#define NO_OFFSET SIZE_MAX

struct arena {
	struct buf b;
	size_t *off;
};

static int arena_add(struct arena *a, const char *s, size_t len, size_t *off)
{
	*off = a->b.len;
	if (buf_add(&a->b, s, len) < 0 || buf_addc(&a->b, '\0') < 0)
		return -1;
	return 0;
}

/* Appends refs[0..n) to the arena, aligned for them. */
static int arena_add_refs(struct arena *a, const struct op_ref *refs, size_t n, size_t *off)
{
	static const char pad[_Alignof(struct op_ref)];
	size_t mis = a->b.len % _Alignof(struct op_ref);

	if (mis && buf_add(&a->b, pad, sizeof(pad) - mis) < 0)
		return -1;
	*off = a->b.len;
	return buf_add(&a->b, refs, n * sizeof(*refs));
}

/* Gives each op its pointers into the arena (now out->owner) from the offsets kept while it grew. */
static void arena_point(struct opjson_ops *out, const size_t *offs)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		const char *base = out->owner;
		const size_t *off = &offs[SLOTS * i];

		out->ops[i].form = base + off[0];
		out->ops[i].form_version = base + off[1];
		out->ops[i].field = base + off[2];
		out->ops[i].value = base + off[3];
		out->ops[i].base = off[5] == NO_OFFSET ? NULL : (const struct op_ref *)(const void *)(base + off[5]);
		if (out->by)
			out->by[i] = off[4] == NO_OFFSET ? NULL : base + off[4];
	}
}

/* The end of a reader: on OPJSON_OK, out takes the ops, their reviewers and the arena (already in out->owner)
 * and each op gets its pointers; otherwise all of it is freed and out stays empty. Returns st. */
static enum opjson_status ops_finish(struct opjson_ops *out, struct op *ops, const char **by, size_t n,
				     struct arena *a, enum opjson_status st)
{
	if (st != OPJSON_OK) {
		free(ops);
		free(a->off);
		free(by);
		buf_release(&a->b);
		return st;
	}
	out->ops = ops;
	out->by = by;
	out->n = n;
	arena_point(out, a->off);
	free(a->off);
	return OPJSON_OK;
}

static int known_member(const char *key, int pull)
{
	size_t k;

	for (k = 0; k < NMEMBERS; k++) {
		if (!strcmp(key, members[k]))
			return 1;
	}
	return pull && (!strcmp(key, "device") || !strcmp(key, "by"));
}

/* The op is an object with exactly the members its source's ops have. */
static enum opjson_status check_members(const json_t *o, const struct where *w)
{
	const struct opjson_from *from = w->from;
	const char *key;
	char q[200];
	json_t *v;
	size_t k;

	if (!json_is_object(o))
		return op_fail(w, OPJSON_BAD, _("is %s, not an object"), opjson_type_name(o));
	json_object_foreach((json_t *)o, key, v) {
		if (!known_member(key, !from->signer))
			return op_fail(w, OPJSON_BAD, _("unknown member %s"), shown(q, key, strlen(key)));
	}
	if (!from->signer && !json_object_get(o, "device"))
		return op_fail(w, OPJSON_BAD, _("member 'device' is missing"));
	for (k = 0; k < NMEMBERS; k++) {
		if (!json_object_get(o, members[k]))
			return op_fail(w, OPJSON_BAD, _("member '%s' is missing"), members[k]);
	}
	return OPJSON_OK;
}

/* Who made the op and when, and its record: device (the signer's in a change set), seq, hlc, record. */
static enum opjson_status decode_ids(const json_t *o, const struct where *w, struct op *op)
{
	const json_t *seq = json_object_get(o, "seq"), *hlc = json_object_get(o, "hlc");
	const json_t *rec = json_object_get(o, "record");
	const struct opjson_from *from = w->from;
	char q[200];

	if (from->signer) {
		memcpy(op->device, from->signer, sizeof(op->device));
	} else {
		const json_t *dev = json_object_get(o, "device");

		if (!json_is_string(dev))
			return op_fail(w, OPJSON_BAD, _("member 'device' is %s, not a string"), opjson_type_name(dev));
		if (!is_device_id(json_string_value(dev), json_string_length(dev)))
			return op_fail(w, OPJSON_BAD, _("member 'device': %s is not a device id (32 lowercase hex "
							"characters)"),
				       shown(q, json_string_value(dev), json_string_length(dev)));
		memcpy(op->device, json_string_value(dev), sizeof(op->device));
	}

	if (!json_is_integer(seq))
		return op_fail(w, OPJSON_BAD, _("member 'seq' is %s, not an integer"), opjson_type_name(seq));
	if (from->signer && (json_integer_value(seq) < 1 || (uint64_t)json_integer_value(seq) != from->first + w->i))
		return op_fail(w, OPJSON_BAD,
			       _("member 'seq': %lld, expected %llu (the seqs must run %llu..%llu in order)"),
			       (long long)json_integer_value(seq), (unsigned long long)(from->first + w->i),
			       (unsigned long long)from->first, (unsigned long long)from->last);
	if (json_integer_value(seq) < 1)
		return op_fail(w, OPJSON_BAD, _("member 'seq': %lld is not 1 or more"),
			       (long long)json_integer_value(seq));
	op->seq = (uint64_t)json_integer_value(seq);

	if (!json_is_integer(hlc))
		return op_fail(w, OPJSON_BAD, _("member 'hlc' is %s, not an integer"), opjson_type_name(hlc));
	if (json_integer_value(hlc) < 0)
		return op_fail(w, OPJSON_BAD, _("member 'hlc': %lld is negative"), (long long)json_integer_value(hlc));
	/* Bounded far below 2^63, so that a replica adopting it can never be pushed past what it may send. */
	if ((uint64_t)json_integer_value(hlc) > HLC_MAX)
		return op_fail(w, OPJSON_BAD, _("member 'hlc': %lld is over 2^62 - 1"),
			       (long long)json_integer_value(hlc));
	op->hlc = (uint64_t)json_integer_value(hlc);

	if (!json_is_string(rec))
		return op_fail(w, OPJSON_BAD, _("member 'record' is %s, not a string"), opjson_type_name(rec));
	if (json_string_length(rec) != UUID_STRLEN || !uuid_valid(json_string_value(rec)))
		return op_fail(w, OPJSON_BAD, _("member 'record': %s is not a lowercase UUID"),
			       shown(q, json_string_value(rec), json_string_length(rec)));
	memcpy(op->record, json_string_value(rec), UUID_STRLEN + 1);
	return OPJSON_OK;
}

/* The names the op carries: form, version, field, and in a pull answer the reviewer it may name (*by, else NULL). */
static enum opjson_status check_names(const json_t *o, const struct where *w, const json_t **by)
{
	const json_t *form = json_object_get(o, "form"), *ver = json_object_get(o, "version");
	const json_t *field = json_object_get(o, "field");
	const char *why;
	char q[200];

	if (!json_is_string(form))
		return op_fail(w, OPJSON_BAD, _("member 'form' is %s, not a string"), opjson_type_name(form));
	if ((why = bad_form(json_string_value(form), json_string_length(form))))
		return op_fail(w, OPJSON_BAD, _("member 'form': %s is not a form id (%s)"),
			       shown(q, json_string_value(form), json_string_length(form)), why);

	if (!json_is_string(ver))
		return op_fail(w, OPJSON_BAD, _("member 'version' is %s, not a string"), opjson_type_name(ver));
	if ((why = bad_version(json_string_value(ver), json_string_length(ver))))
		return op_fail(w, OPJSON_BAD, _("member 'version': %s is not a form version (%s)"),
			       shown(q, json_string_value(ver), json_string_length(ver)), why);

	if (!json_is_string(field))
		return op_fail(w, OPJSON_BAD, _("member 'field' is %s, not a string"), opjson_type_name(field));
	if ((why = bad_field(json_string_value(field), json_string_length(field))))
		return op_fail(w, OPJSON_BAD, _("member 'field': %s is not a question name (%s)"),
			       shown(q, json_string_value(field), json_string_length(field)), why);

	*by = NULL;
	if (!w->from->signer && (*by = json_object_get(o, "by"))) {
		if (!json_is_string(*by))
			return op_fail(w, OPJSON_BAD, _("member 'by' is %s, not a string"), opjson_type_name(*by));
		if ((why = bad_by(json_string_value(*by), json_string_length(*by))))
			return op_fail(w, OPJSON_BAD, _("member 'by': %s is not a reviewer's name (%s)"),
				       shown(q, json_string_value(*by), json_string_length(*by)), why);
	}
	return OPJSON_OK;
}

/* The ops whose values the op replaces: at most MERGE_MAX_BASE [device id, seq] pairs, none repeated, not the op
 * itself. */
static enum opjson_status decode_base(const json_t *base, const struct where *w, struct op *op, struct arena *a,
				      size_t *off)
{
	struct op_ref refs[MERGE_MAX_BASE];
	char q[200], reason[300];
	const json_t *v;
	size_t j;

	if (!json_is_array(base))
		return op_fail(w, OPJSON_BAD, _("member 'base' is %s, not an array"), opjson_type_name(base));
	if (json_array_size(base) > MERGE_MAX_BASE)
		return op_fail(w, OPJSON_BAD, _("member 'base': %zu entries, over the limit of %d"),
			       json_array_size(base), MERGE_MAX_BASE);
	json_array_foreach(base, j, v) {
		const json_t *d = json_array_get(v, 0), *s = json_array_get(v, 1);

		if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_string(d) || !json_is_integer(s))
			return op_fail(w, OPJSON_BAD, _("member 'base': entry %zu is not [device id, seq]"), j + 1);
		if (!is_device_id(json_string_value(d), json_string_length(d)))
			return op_fail(w, OPJSON_BAD,
				       _("member 'base': entry %zu: %s is not a device id (32 lowercase hex "
					 "characters)"), j + 1, shown(q, json_string_value(d), json_string_length(d)));
		if (json_integer_value(s) < 1)
			return op_fail(w, OPJSON_BAD, _("member 'base': entry %zu: seq %lld is not 1 or more"), j + 1,
				       (long long)json_integer_value(s));
		memcpy(refs[j].device, json_string_value(d), KEYS_ID_STRLEN + 1);
		refs[j].seq = (uint64_t)json_integer_value(s);
	}
	op->nbase = json_array_size(base);
	op->base = refs;
	j = base_problem(op, op->device, reason, sizeof(reason));
	op->base = NULL;
	if (j)
		return op_fail(w, OPJSON_BAD, _("member 'base': %s"), reason);
	*off = NO_OFFSET;
	if (op->nbase && arena_add_refs(a, refs, op->nbase, off) < 0)
		return op_fail(w, OPJSON_NO_MEMORY, _("out of memory"));
	return OPJSON_OK;
}

/* Checks one decoded op against the table, member by member in the table's order, and fills op (its strings as
 * arena offsets). */
static enum opjson_status decode_op(const json_t *o, const struct where *w, struct op *op, struct arena *a,
				    size_t off[SLOTS])
{
	const json_t *by = NULL;
	const char *why;
	char *text;
	enum opjson_status st;

	if ((st = check_members(o, w)) != OPJSON_OK || (st = decode_ids(o, w, op)) != OPJSON_OK ||
	    (st = check_names(o, w, &by)) != OPJSON_OK)
		return st;
	if ((st = value_text(json_object_get(o, "value"), &text, &why)) != OPJSON_OK)
		return op_fail(w, st, _("member 'value': %s"), why);
	if ((st = decode_base(json_object_get(o, "base"), w, op, a, &off[5])) != OPJSON_OK) {
		free(text);
		return st;
	}
	off[4] = NO_OFFSET;
	if (arena_add(a, json_string_value(json_object_get(o, "form")), json_string_length(json_object_get(o, "form")),
		      &off[0]) < 0 ||
	    arena_add(a, json_string_value(json_object_get(o, "version")),
		      json_string_length(json_object_get(o, "version")), &off[1]) < 0 ||
	    arena_add(a, json_string_value(json_object_get(o, "field")), json_string_length(json_object_get(o, "field")),
		      &off[2]) < 0 ||
	    arena_add(a, text, strlen(text), &off[3]) < 0 ||
	    (by && arena_add(a, json_string_value(by), json_string_length(by), &off[4]) < 0)) {
		free(text);
		return op_fail(w, OPJSON_NO_MEMORY, _("out of memory"));
	}
	free(text);
	return OPJSON_OK;
}

/* On OPJSON_OK, out->owner is one malloc'd block holding every op's form, version, field, value and by text,
 * each NUL-terminated; nothing in out points into list. */
enum opjson_status opjson_decode(const json_t *list, const struct opjson_from *from, struct opjson_ops *out,
				 char *err, size_t errlen)
{
	size_t n = json_array_size(list), i;
	/* Each op adds at most three names, a value and a reviewer, each with its NUL, and its base with padding:
	 * that is the arena's cap (saturated where size_t is 32 bits; never reached in practice, since a body is at
	 * most 8 MiB). */
	size_t per_op = 4 * (MERGE_MAX_NAME + 1) + OPJSON_MAX_VALUE + 1 + (MERGE_MAX_BASE + 1) * sizeof(struct op_ref);
	struct arena a = { BUF_INIT(n > (SIZE_MAX / 2) / per_op ? SIZE_MAX / 2 : n * per_op), NULL };
	enum opjson_status st = OPJSON_OK;
	const char **by = NULL;
	struct op *ops;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(list))
		return OPJSON_BAD;
	/* n is at most CS_MAX_OPS (or PULL_MAX_OPS), checked by the caller, so neither product overflows. */
	ops = calloc(n ? n : 1, sizeof(*ops));
	a.off = malloc((n ? n : 1) * SLOTS * sizeof(*a.off));
	if (!from->signer)
		by = calloc(n ? n : 1, sizeof(*by));
	if (!ops || !a.off || (!from->signer && !by)) {
		free(ops);
		free(a.off);
		free(by);
		if (err && errlen)
			snprintf(err, errlen, _("out of memory for %zu ops"), n);
		return OPJSON_NO_MEMORY;
	}
	for (i = 0; i < n && st == OPJSON_OK; i++) {
		struct where w = { err, errlen, i, from };

		st = decode_op(json_array_get(list, i), &w, &ops[i], &a, &a.off[SLOTS * i]);
	}
	if (st == OPJSON_OK && !(out->owner = buf_detach(&a.b, NULL))) {
		st = OPJSON_NO_MEMORY;
		if (err && errlen)
			snprintf(err, errlen, "%s", _("out of memory"));
	}
	return ops_finish(out, ops, by, n, &a, st);
}

/* ---- the fast reader ---- */

/* One op as opjson_append writes it, into op and the arena, with the checks decode_op makes; 0 at the first
 * thing the reader must see for itself. */
static int plain_op(struct scan *c, const struct opjson_from *from, size_t i, struct op *op, struct arena *a,
		    size_t off[SLOTS])
{
	struct op_ref refs[MERGE_MAX_BASE];
	const char *p[3], *dev, *by, *value;
	size_t len[3], dlen, blen, vlen;
	char why[300];
	int bad;

	if (from->signer) {
		if (!SCAN_LIT(c, "{\"seq\":"))
			return 0;
		memcpy(op->device, from->signer, sizeof(op->device));
	} else {
		if (!SCAN_LIT(c, "{\"device\":") || !scan_str(c, &dev, &dlen) || !is_device_id(dev, dlen) ||
		    !SCAN_LIT(c, ",\"seq\":"))
			return 0;
		memcpy(op->device, dev, dlen);
		op->device[dlen] = '\0';
	}
	if (!scan_u64(c, &op->seq) || op->seq < 1 || (from->signer && op->seq != from->first + i) ||
	    !SCAN_LIT(c, ",\"hlc\":") || !scan_u64(c, &op->hlc) || op->hlc > HLC_MAX || !SCAN_LIT(c, ",\"record\":") ||
	    !scan_str(c, &dev, &dlen) || dlen != UUID_STRLEN)
		return 0;
	memcpy(op->record, dev, UUID_STRLEN);
	op->record[UUID_STRLEN] = '\0';
	if (!uuid_valid(op->record) || !SCAN_LIT(c, ",\"form\":") || !scan_str(c, &p[0], &len[0]) ||
	    bad_form(p[0], len[0]) || !SCAN_LIT(c, ",\"version\":") || !scan_str(c, &p[1], &len[1]) ||
	    bad_version(p[1], len[1]) || !SCAN_LIT(c, ",\"field\":") || !scan_str(c, &p[2], &len[2]) ||
	    bad_field(p[2], len[2]) || !SCAN_LIT(c, ",\"value\":"))
		return 0;
	if (!scan_value(c, &value, &vlen) || vlen > OPJSON_MAX_VALUE || !SCAN_LIT(c, ",\"base\":["))
		return 0;
	op->nbase = 0;
	while (!SCAN_LIT(c, "]")) {
		if (op->nbase == MERGE_MAX_BASE || (op->nbase && !SCAN_LIT(c, ",")) || !SCAN_LIT(c, "[") ||
		    !scan_str(c, &dev, &dlen) || !is_device_id(dev, dlen) || !SCAN_LIT(c, ",") ||
		    !scan_u64(c, &refs[op->nbase].seq) || refs[op->nbase].seq < 1 || !SCAN_LIT(c, "]"))
			return 0;
		memcpy(refs[op->nbase].device, dev, dlen);
		refs[op->nbase].device[dlen] = '\0';
		op->nbase++;
	}
	op->base = refs;
	bad = base_problem(op, op->device, why, sizeof(why));
	op->base = NULL;
	by = NULL;
	blen = 0;
	if (bad || (!from->signer && SCAN_LIT(c, ",\"by\":") && (!scan_str(c, &by, &blen) || bad_by(by, blen))) ||
	    !SCAN_LIT(c, "}"))
		return 0;
	off[4] = off[5] = NO_OFFSET;
	if (arena_add(a, p[0], len[0], &off[0]) < 0 || arena_add(a, p[1], len[1], &off[1]) < 0 ||
	    arena_add(a, p[2], len[2], &off[2]) < 0 || arena_add(a, value, vlen, &off[3]) < 0 ||
	    (by && arena_add(a, by, blen, &off[4]) < 0) ||
	    (op->nbase && arena_add_refs(a, refs, op->nbase, &off[5]) < 0))
		return -1;
	return 1;
}

enum opjson_status opjson_decode_plain(const char *text, size_t len, size_t count, const struct opjson_from *from,
				       struct opjson_ops *out)
{
	/* The arena holds copies of parts of the text, each with a NUL, and the bases with their padding: never
	 * more than this cap. */
	const size_t per_op = 8 + (MERGE_MAX_BASE + 1) * sizeof(struct op_ref);
	struct scan c = { text, len, 0 };
	struct arena a = { BUF_INIT(0), NULL };
	const char **by = NULL;
	struct op *ops;
	size_t i;
	int r = 1;

	memset(out, 0, sizeof(*out));
	if (len > SIZE_MAX / 4 || count > (SIZE_MAX / 4) / per_op || count > SIZE_MAX / (SLOTS * sizeof(*a.off)) ||
	    !SCAN_LIT(&c, "["))
		return OPJSON_BAD;
	buf_init(&a.b, len + count * per_op + 16);
	ops = calloc(count ? count : 1, sizeof(*ops));
	a.off = malloc((count ? count : 1) * SLOTS * sizeof(*a.off));
	if (!from->signer)
		by = calloc(count ? count : 1, sizeof(*by));
	if (!ops || !a.off || (!from->signer && !by))
		r = -1;
	for (i = 0; i < count && r == 1; i++) {
		if (i && !SCAN_LIT(&c, ","))
			r = 0;
		else
			r = plain_op(&c, from, i, &ops[i], &a, &a.off[SLOTS * i]);
	}
	if (r == 1 && (!SCAN_LIT(&c, "]") || c.i != c.n))
		r = 0;
	if (r == 1 && !(out->owner = buf_detach(&a.b, NULL)))
		r = -1;
	return ops_finish(out, ops, by, count, &a, r == 1 ? OPJSON_OK : r < 0 ? OPJSON_NO_MEMORY : OPJSON_BAD);
}

void opjson_ops_release(struct opjson_ops *out)
{
	if (!out)
		return;
	free(out->ops);
	free(out->by);
	free(out->owner);
	memset(out, 0, sizeof(*out));
}

/* ---- the writer ---- */

/* Checks that a value's text is the canonical text of a JSON value Sondeo takes. Nearly every answer is a
 * string, a whole number or a list of them, whose canonical text is known in one pass; the rest is parsed and
 * written again to be compared. */
static enum opjson_status check_value(const struct where *w, const char *value, size_t len)
{
	char q[200], reason[300];
	const char *why;
	enum opjson_status st;
	json_error_t je;
	json_t *v;
	char *text;

	if (jsonc_is_canonical(value, len))
		return OPJSON_OK;
	v = json_loadb(value, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return op_fail(w, json_error_code(&je) == json_error_out_of_memory ? OPJSON_NO_MEMORY : OPJSON_BAD,
			       _("member 'value': %s is not JSON text: %s"), shown(q, value, len), je.text);
	st = value_text(v, &text, &why);
	json_decref(v);
	if (st != OPJSON_OK)
		return op_fail(w, st, _("member 'value': %s"), why);
	if (strcmp(text, value)) {
		op_fail(w, OPJSON_BAD, _("member 'value': %s is not canonical text (that is %s)"), shown(q, value, len),
			shown(reason, text, strlen(text)));
		free(text);
		return OPJSON_BAD;
	}
	free(text);
	return OPJSON_OK;
}

enum opjson_status opjson_check(const struct op *op, const char *by, size_t i, const struct opjson_from *from,
				char *err, size_t errlen)
{
	struct where w = { err, errlen, i, from };
	char q[200], reason[300];
	const char *why = NULL;
	enum opjson_status st;
	size_t len;

	len = strnlen(op->device, sizeof(op->device));
	if (from->signer && (len != KEYS_ID_STRLEN || strcmp(op->device, from->signer)))
		return op_fail(&w, OPJSON_BAD, _("made by device %s, not by the signing key's device %s"),
			       shown(q, op->device, len), from->signer);
	if (!from->signer && !is_device_id(op->device, len))
		return op_fail(&w, OPJSON_BAD,
			       _("member 'device': %s is not a device id (32 lowercase hex characters)"),
			       shown(q, op->device, len));
	if (from->signer && op->seq != from->first + i)
		return op_fail(&w, OPJSON_BAD, _("member 'seq': %llu, expected %llu (seqs must be consecutive)"),
			       (unsigned long long)op->seq, (unsigned long long)(from->first + i));
	if (op->seq < 1 || op->seq > MAX_JSON_INT)
		return op_fail(&w, OPJSON_BAD, _("member 'seq': %llu is out of range (1 .. 2^63 - 1)"),
			       (unsigned long long)op->seq);
	if (op->hlc > HLC_MAX)
		return op_fail(&w, OPJSON_BAD, _("member 'hlc': %llu is over 2^62 - 1"), (unsigned long long)op->hlc);
	len = strnlen(op->record, sizeof(op->record));
	if (len != UUID_STRLEN || !uuid_valid(op->record))
		return op_fail(&w, OPJSON_BAD, _("member 'record': %s is not a lowercase UUID"),
			       shown(q, op->record, len));
	if (!op->form || (why = bad_form(op->form, strlen(op->form))))
		return op_fail(&w, OPJSON_BAD, _("member 'form': %s is not a form id (%s)"),
			       op->form ? shown(q, op->form, strlen(op->form)) : "NULL",
			       op->form ? why : _("it is missing"));
	if (!op->form_version || (why = bad_version(op->form_version, strlen(op->form_version))))
		return op_fail(&w, OPJSON_BAD, _("member 'version': %s is not a form version (%s)"),
			       op->form_version ? shown(q, op->form_version, strlen(op->form_version)) : "NULL",
			       op->form_version ? why : _("it is missing"));
	if (!op->field || (why = bad_field(op->field, strlen(op->field))))
		return op_fail(&w, OPJSON_BAD, _("member 'field': %s is not a question name (%s)"),
			       op->field ? shown(q, op->field, strlen(op->field)) : "NULL",
			       op->field ? why : _("it is missing"));
	if (by && from->signer)
		return op_fail(&w, OPJSON_BAD, _("member 'by': a change set's op names no reviewer"));
	if (by && (why = bad_by(by, strlen(by))))
		return op_fail(&w, OPJSON_BAD, _("member 'by': %s is not a reviewer's name (%s)"),
			       shown(q, by, strlen(by)), why);
	if (!op->value)
		return op_fail(&w, OPJSON_BAD, _("member 'value' is missing"));
	len = strlen(op->value);
	if (len > OPJSON_MAX_VALUE)
		return op_fail(&w, OPJSON_BAD, _("member 'value': its text is %zu bytes, over the limit of %d"), len,
			       OPJSON_MAX_VALUE);
	if ((st = check_value(&w, op->value, len)) != OPJSON_OK)
		return st;
	if (base_problem(op, op->device, reason, sizeof(reason)))
		return op_fail(&w, OPJSON_BAD, _("member 'base': %s"), reason);
	return OPJSON_OK;
}

/* Appends s, remembering why the first failure happened. */
static void put(struct buf *b, const char *s, size_t len, enum opjson_status *st)
{
	if (*st != OPJSON_OK)
		return;
	if (buf_add(b, s, len) < 0)
		*st = b->len + len > b->max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY;
}

static void puts_(struct buf *b, const char *s, enum opjson_status *st)
{
	put(b, s, strlen(s), st);
}

static void put_u64(struct buf *b, uint64_t v, enum opjson_status *st)
{
	char num[24];

	put(b, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v), st);
}

/* The names need no escapes: their checks allow only characters that JSON writes as they are. A reviewer's
 * name may hold any UTF-8 but control characters, so it goes through the canonical writer, which escapes. */
enum opjson_status opjson_append(struct buf *b, const struct op *op, int with_device, const char *by)
{
	enum opjson_status st = OPJSON_OK;
	size_t j;

	if (with_device) {
		puts_(b, "{\"device\":\"", &st);
		puts_(b, op->device, &st);
		puts_(b, "\",\"seq\":", &st);
	} else {
		puts_(b, "{\"seq\":", &st);
	}
	put_u64(b, op->seq, &st);
	puts_(b, ",\"hlc\":", &st);
	put_u64(b, op->hlc, &st);
	puts_(b, ",\"record\":\"", &st);
	puts_(b, op->record, &st);
	puts_(b, "\",\"form\":\"", &st);
	puts_(b, op->form, &st);
	puts_(b, "\",\"version\":\"", &st);
	puts_(b, op->form_version, &st);
	puts_(b, "\",\"field\":\"", &st);
	puts_(b, op->field, &st);
	puts_(b, "\",\"value\":", &st);
	puts_(b, op->value, &st);
	puts_(b, ",\"base\":[", &st);
	for (j = 0; j < op->nbase; j++) {
		puts_(b, j ? ",[\"" : "[\"", &st);
		puts_(b, op->base[j].device, &st);
		puts_(b, "\",", &st);
		put_u64(b, op->base[j].seq, &st);
		puts_(b, "]", &st);
	}
	puts_(b, "]", &st);
	if (by && st == OPJSON_OK) {
		json_t *s = json_string(by);

		puts_(b, ",\"by\":", &st);
		if (!s)
			st = OPJSON_NO_MEMORY;
		else if (st == OPJSON_OK && jsonc_append(b, s) < 0)
			st = b->len + strlen(by) + 2 > b->max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY;
		json_decref(s);
	}
	puts_(b, "}", &st);
	return st;
}
