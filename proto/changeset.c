/* changeset.c - change sets on the wire: the fixed header, the signature, a bounded inflate, strict JSON and
 * the checks of every op, in the order proto/PROTOCOL.md fixes.
 *
 * Memory: nothing is sized from the header before cs_verify and the ratio check have passed; the inflate
 * output buffer is exactly raw_len + 1 bytes (the extra byte only detects a body that inflates to more), and
 * zlib's own state (its 32 KiB window and about 7 KiB) is the only other allocation before the JSON parse. */
#include "changeset.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <jansson.h>
#include <zlib.h>

#include "hlc.h"
#include "jsonc.h"
#include "uuid.h"
#include "banned.h"

#define MAGIC "SNDC"
#define FIXED_BYTES (CS_HEADER_BYTES + CS_SIG_BYTES)
#define MAX_DOC_DEPTH 16         /* arrays and objects nested in the whole body */
#define MAX_VALUE_DEPTH 8        /* ... and in one value */
#define MAX_JSON_INT ((uint64_t)INT64_MAX)   /* a seq must fit jansson's json_int_t */
#define DEFLATE_LEVEL 6

static const char *const codes[] = {
	[CS_OK] = "ok",
	[CS_TRUNCATED] = "truncated",
	[CS_BAD_MAGIC] = "bad_magic",
	[CS_UNSUPPORTED_VERSION] = "unsupported_version",
	[CS_BAD_HEADER] = "bad_header",
	[CS_TOO_LARGE] = "too_large",
	[CS_UNKNOWN_SIGNER] = "unknown_signer",
	[CS_BAD_SIGNATURE] = "bad_signature",
	[CS_BAD_BODY] = "bad_body",
	[CS_BAD_JSON] = "bad_json",
	[CS_BAD_OP] = "bad_op",
	[CS_NO_MEMORY] = "no_memory",
};

const char *cs_code(enum cs_status st)
{
	if ((unsigned)st >= sizeof(codes) / sizeof(codes[0]) || !codes[st])
		return "unknown";
	return codes[st];
}

__attribute__((format(printf, 4, 5)))
static enum cs_status fail(enum cs_status st, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

/* ---- the fixed header ---- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* The largest raw length a body of b bytes may claim. */
static uint64_t ratio_cap(uint32_t b)
{
	return (uint64_t)CS_MAX_RATIO * b + 1024;
}

/* Checks in the order of PROTOCOL.md step 1. The limits on B and R come before the exact total length, so a
 * receiver holding only the first bytes can refuse an oversized change set without reading the rest. Beyond
 * the spec's list, last must fit a JSON integer (below 2^63), as every op's seq must, and hlc is at most
 * HLC_MAX, as every op's hlc is. */
enum cs_status cs_parse_header(const unsigned char *data, size_t len, struct cs_header *h, char *err,
			       size_t errlen)
{
	uint64_t first, last, hlc, total;
	uint32_t blen = 0, rlen = 0;

	memset(h, 0, sizeof(*h));
	if (!data || len < FIXED_BYTES)
		return fail(CS_TRUNCATED, err, errlen, "%zu bytes is shorter than the %d of a change set's header "
			    "and signature", data ? len : 0, FIXED_BYTES);
	if (memcmp(data, MAGIC, 4))
		return fail(CS_BAD_MAGIC, err, errlen, "not a change set: the first bytes are not \"SNDC\"");
	if (data[4] != CS_VERSION)
		return fail(CS_UNSUPPORTED_VERSION, err, errlen, "format version %u is not supported (this reader "
			    "knows version %d)", data[4], CS_VERSION);
	if (data[5])
		return fail(CS_BAD_HEADER, err, errlen, "flags are 0x%02x, expected 0", data[5]);
	if (data[6] || data[7])
		return fail(CS_BAD_HEADER, err, errlen, "reserved bytes are 0x%02x%02x, expected 0", data[6], data[7]);
	first = get64(data + 40);
	last = get64(data + 48);
	hlc = get64(data + 56);
	blen = get32(data + 64);
	rlen = get32(data + 68);
	if (first == 0)
		return fail(CS_BAD_HEADER, err, errlen, "first seq is 0; seqs start at 1");
	if (last < first)
		return fail(CS_BAD_HEADER, err, errlen, "last seq %" PRIu64 " is below first seq %" PRIu64, last, first);
	if (last - first >= CS_MAX_OPS)
		return fail(CS_BAD_HEADER, err, errlen, "seqs %" PRIu64 "..%" PRIu64 " are %" PRIu64 " ops, over the "
			    "limit of %d", first, last, last - first + 1, CS_MAX_OPS);
	if (last > MAX_JSON_INT)
		return fail(CS_BAD_HEADER, err, errlen, "last seq %" PRIu64 " is over 2^63 - 1", last);
	if (hlc > HLC_MAX)
		return fail(CS_BAD_HEADER, err, errlen, "hlc %" PRIu64 " is over 2^62 - 1", hlc);
	if (blen == 0)
		return fail(CS_BAD_HEADER, err, errlen, "body length is 0");
	if (blen > CS_MAX_BODY)
		return fail(CS_TOO_LARGE, err, errlen, "body length %" PRIu32 " is over the limit of %" PRIu32, blen,
			    CS_MAX_BODY);
	if (rlen == 0)
		return fail(CS_BAD_HEADER, err, errlen, "raw length is 0");
	if (rlen > CS_MAX_RAW)
		return fail(CS_TOO_LARGE, err, errlen, "raw length %" PRIu32 " is over the limit of %" PRIu32, rlen,
			    CS_MAX_RAW);
	if (rlen > ratio_cap(blen))
		return fail(CS_TOO_LARGE, err, errlen, "raw length %" PRIu32 " is over %d x body length %" PRIu32
			    " + 1024 = %" PRIu64, rlen, CS_MAX_RATIO, blen, ratio_cap(blen));
	total = (uint64_t)CS_HEADER_BYTES + blen + CS_SIG_BYTES;   /* blen <= 4 MiB: no overflow */
	if ((uint64_t)len < total)
		return fail(CS_TRUNCATED, err, errlen, "%zu bytes, but the header says %d + %" PRIu32 " + %d = %"
			    PRIu64, len, CS_HEADER_BYTES, blen, CS_SIG_BYTES, total);
	if ((uint64_t)len > total)
		return fail(CS_BAD_HEADER, err, errlen, "%zu bytes, but the header says %d + %" PRIu32 " + %d = %"
			    PRIu64 ": %" PRIu64 " bytes too many", len, CS_HEADER_BYTES, blen, CS_SIG_BYTES, total,
			    (uint64_t)len - total);
	h->version = data[4];
	memcpy(h->signer, data + 8, KEYS_PK_BYTES);
	keys_id(h->signer, h->device);
	h->first = first;
	h->last = last;
	h->hlc = hlc;
	h->body_len = blen;
	h->raw_len = rlen;
	return CS_OK;
}

static int same_header(const struct cs_header *a, const struct cs_header *b)
{
	return a->version == b->version && !memcmp(a->signer, b->signer, KEYS_PK_BYTES) &&
	       !strcmp(a->device, b->device) && a->first == b->first && a->last == b->last && a->hlc == b->hlc &&
	       a->body_len == b->body_len && a->raw_len == b->raw_len;
}

/* h must be what cs_parse_header made of these very bytes: anything else (a caller's mix-up) fails rather than
 * verifying one thing and decoding another. */
enum cs_status cs_verify(const unsigned char *data, size_t len, const struct cs_header *h)
{
	struct cs_header mine;
	size_t signed_len;

	if (!h || cs_parse_header(data, len, &mine, NULL, 0) != CS_OK || !same_header(&mine, h))
		return CS_BAD_SIGNATURE;
	signed_len = (size_t)CS_HEADER_BYTES + h->body_len;
	return crypto_sign_verify_detached(data + signed_len, data, signed_len, h->signer) == 0 ? CS_OK
												  : CS_BAD_SIGNATURE;
}

/* ---- the body: inflate ---- */

/* Inflates the zlib stream in[0..blen) into a new buffer of exactly rlen bytes (plus a NUL), which *raw
 * receives on CS_OK (the caller frees it). Never allocates more than rlen + 1 bytes of output. */
static enum cs_status inflate_body(const unsigned char *in, uint32_t blen, uint32_t rlen, char **raw, char *err,
				   size_t errlen)
{
	unsigned char *out = malloc((size_t)rlen + 1);
	enum cs_status st = CS_OK;
	z_stream z;
	int zr;

	*raw = NULL;
	if (!out)
		return fail(CS_NO_MEMORY, err, errlen, "out of memory for a body of %" PRIu32 " bytes", rlen);
	memset(&z, 0, sizeof(z));
	z.next_in = in;
	z.avail_in = blen;
	z.next_out = out;
	z.avail_out = rlen + 1;
	zr = inflateInit(&z);
	if (zr != Z_OK) {
		free(out);
		return fail(zr == Z_MEM_ERROR ? CS_NO_MEMORY : CS_BAD_BODY, err, errlen, "cannot start inflating: %s",
			    z.msg ? z.msg : zError(zr));
	}
	for (;;) {
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_OK && z.avail_out > 0)
			continue;
		if (zr == Z_OK || (zr == Z_BUF_ERROR && z.avail_out == 0))
			st = fail(CS_BAD_BODY, err, errlen, "the body inflates to more than the %" PRIu32 " bytes the "
				  "header says", rlen);
		else if (zr == Z_BUF_ERROR)
			st = fail(CS_BAD_BODY, err, errlen, "the body's deflate stream stops before its end, after %lu "
				  "of the %" PRIu32 " bytes the header says", z.total_out, rlen);
		else if (zr == Z_NEED_DICT)
			st = fail(CS_BAD_BODY, err, errlen, "the body's deflate stream needs a preset dictionary");
		else if (zr == Z_MEM_ERROR)
			st = fail(CS_NO_MEMORY, err, errlen, "out of memory while inflating the body");
		else
			st = fail(CS_BAD_BODY, err, errlen, "the body is not a zlib deflate stream: %s",
				  z.msg ? z.msg : zError(zr));
		break;
	}
	if (st == CS_OK && z.total_out > rlen)
		st = fail(CS_BAD_BODY, err, errlen, "the body inflates to more than the %" PRIu32 " bytes the header "
			  "says", rlen);
	else if (st == CS_OK && z.total_out < rlen)
		st = fail(CS_BAD_BODY, err, errlen, "the body inflates to %lu bytes, not the %" PRIu32 " the header "
			  "says", z.total_out, rlen);
	else if (st == CS_OK && z.avail_in > 0)
		st = fail(CS_BAD_BODY, err, errlen, "the body has %u bytes after the end of its deflate stream",
			  z.avail_in);
	inflateEnd(&z);
	if (st != CS_OK) {
		free(out);
		return st;
	}
	out[rlen] = '\0';
	*raw = (char *)out;
	return CS_OK;
}

/* ---- checks shared by the reader and the writer ---- */

/* 1 if v holds arrays or objects nested more than room deep (a scalar is 0 deep, [] is 1 deep). */
static int too_deep(const json_t *v, int room)
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
			if (too_deep(child, room - 1))
				return 1;
		}
	} else {
		json_object_foreach((json_t *)v, key, child) {
			if (too_deep(child, room - 1))
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
 * CS_BAD_OP), or CS_NO_MEMORY. */
static enum cs_status value_text(const json_t *v, char **text, const char **why)
{
	char *t;

	*text = NULL;
	if (too_deep(v, MAX_VALUE_DEPTH)) {
		*why = "it is nested more than 8 deep";
		return CS_BAD_OP;
	}
	if (text_floor(v, CS_MAX_VALUE) > CS_MAX_VALUE) {
		*why = "its canonical text is over the limit of 65536 bytes";
		return CS_BAD_OP;
	}
	t = jsonc_dumps(v);
	if (!t) {
		*why = "out of memory";
		return CS_NO_MEMORY;
	}
	if (strlen(t) > CS_MAX_VALUE) {
		free(t);
		*why = "its canonical text is over the limit of 65536 bytes";
		return CS_BAD_OP;
	}
	*text = t;
	return CS_OK;
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

/* Why s[0..len) is not a form id, or NULL. */
static const char *bad_form(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "is empty";
	if (len > MERGE_MAX_NAME)
		return "is longer than 64 characters";
	for (i = 0; i < len; i++) {
		if (!is_name_char(s[i]))
			return "may hold only A-Z a-z 0-9 _ . -";
	}
	if (is_digit(s[0]) || s[0] == '.' || s[0] == '-')
		return "must not start with a digit, '.' or '-'";
	return NULL;
}

static const char *bad_version(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "is empty";
	if (len > MERGE_MAX_NAME)
		return "is longer than 64 characters";
	for (i = 0; i < len; i++) {
		if (!is_name_char(s[i]))
			return "may hold only A-Z a-z 0-9 _ . -";
	}
	return NULL;
}

/* [A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters; the pseudo-fields _deleted and _review match it. */
static const char *bad_field(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "is empty";
	if (len > MERGE_MAX_NAME)
		return "is longer than 64 characters";
	if (!is_alpha(s[0]) && s[0] != '_')
		return "must start with a letter or '_'";
	for (i = 1; i < len; i++) {
		if (!is_name_char(s[i]))
			return "may hold only A-Z a-z 0-9 _ . -";
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
	size_t i, o = 0, n = len > 40 ? 40 : len;

	if (n < len) {
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
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

/* Why op's base breaks the table (entries numbered from 1), or 0. self is the signer's device id. */
static int base_problem(const struct op *op, const char *self, char *why, size_t n)
{
	size_t j, k;

	if (op->nbase > MERGE_MAX_BASE)
		return snprintf(why, n, "%zu entries, over the limit of %d", op->nbase, MERGE_MAX_BASE), 1;
	for (j = 0; j < op->nbase; j++) {
		const struct op_ref *r = &op->base[j];
		char q[200];

		if (!is_device_id(r->device, strnlen(r->device, sizeof(r->device))))
			return snprintf(why, n, "entry %zu: %s is not a device id (32 lowercase hex characters)", j + 1,
					shown(q, r->device, strnlen(r->device, sizeof(r->device)))), 1;
		if (r->seq < 1 || r->seq > MAX_JSON_INT)
			return snprintf(why, n, "entry %zu: seq %" PRIu64 " is out of range (1 .. 2^63 - 1)", j + 1,
					r->seq), 1;
		for (k = 0; k < j; k++) {
			if (op->base[k].seq == r->seq && !strcmp(op->base[k].device, r->device))
				return snprintf(why, n, "entry %zu repeats entry %zu", j + 1, k + 1), 1;
		}
		if (r->seq == op->seq && !strcmp(r->device, self))
			return snprintf(why, n, "entry %zu names the op itself", j + 1), 1;
	}
	return 0;
}

/* Messages about op i (0-based; shown from 1) whose seq should be seq. */
struct where {
	char *err;
	size_t errlen;
	size_t i;
	uint64_t seq;
};

__attribute__((format(printf, 3, 4)))
static enum cs_status op_fail(const struct where *w, enum cs_status st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(st, w->err, w->errlen, "op %zu (seq %" PRIu64 "): %s", w->i + 1, w->seq, msg);
}

/* ---- the body: ops ---- */

static const char *const members[] = { "seq", "hlc", "record", "form", "version", "field", "value", "base" };
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	default: return "null";
	}
}

/* The strings of decoded ops live in one arena (cs_ops.owner). While it grows it may move, so the ops first
 * hold offsets (in off[4 * i + k]) and get their pointers at the end. */
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

/* Checks one decoded op against the table and fills op (strings as arena offsets). */
static enum cs_status check_op(const json_t *o, const struct cs_header *h, const struct where *w, struct op *op,
			       struct arena *a, size_t off[4])
{
	const json_t *seq, *hlc, *rec, *form, *ver, *field, *val, *base;
	const char *key, *why;
	char q[200], reason[300];
	json_t *v;
	size_t k, j;
	char *text;
	enum cs_status st;

	if (!json_is_object(o))
		return op_fail(w, CS_BAD_OP, "is %s, not an object", type_name(o));
	json_object_foreach((json_t *)o, key, v) {
		for (k = 0; k < NMEMBERS && strcmp(key, members[k]); k++)
			;
		if (k == NMEMBERS)
			return op_fail(w, CS_BAD_OP, "unknown member %s", shown(q, key, strlen(key)));
	}
	for (k = 0; k < NMEMBERS; k++) {
		if (!json_object_get(o, members[k]))
			return op_fail(w, CS_BAD_OP, "member '%s' is missing", members[k]);
	}
	seq = json_object_get(o, "seq");
	hlc = json_object_get(o, "hlc");
	rec = json_object_get(o, "record");
	form = json_object_get(o, "form");
	ver = json_object_get(o, "version");
	field = json_object_get(o, "field");
	val = json_object_get(o, "value");
	base = json_object_get(o, "base");

	if (!json_is_integer(seq))
		return op_fail(w, CS_BAD_OP, "member 'seq' is %s, not an integer", type_name(seq));
	if (json_integer_value(seq) < 1 || (uint64_t)json_integer_value(seq) != w->seq)
		return op_fail(w, CS_BAD_OP, "member 'seq': %" JSON_INTEGER_FORMAT ", expected %" PRIu64 " (the seqs "
			       "must run %" PRIu64 "..%" PRIu64 " in order)", json_integer_value(seq), w->seq, h->first,
			       h->last);
	op->seq = w->seq;
	memcpy(op->device, h->device, sizeof(op->device));

	if (!json_is_integer(hlc))
		return op_fail(w, CS_BAD_OP, "member 'hlc' is %s, not an integer", type_name(hlc));
	if (json_integer_value(hlc) < 0)
		return op_fail(w, CS_BAD_OP, "member 'hlc': %" JSON_INTEGER_FORMAT " is negative",
			       json_integer_value(hlc));
	/* Bounded far below 2^63, so that a replica adopting it can never be pushed past what it may send. */
	if ((uint64_t)json_integer_value(hlc) > HLC_MAX)
		return op_fail(w, CS_BAD_OP, "member 'hlc': %" JSON_INTEGER_FORMAT " is over 2^62 - 1",
			       json_integer_value(hlc));
	op->hlc = (uint64_t)json_integer_value(hlc);

	if (!json_is_string(rec))
		return op_fail(w, CS_BAD_OP, "member 'record' is %s, not a string", type_name(rec));
	if (json_string_length(rec) != UUID_STRLEN || !uuid_valid(json_string_value(rec)))
		return op_fail(w, CS_BAD_OP, "member 'record': %s is not a lowercase UUID",
			       shown(q, json_string_value(rec), json_string_length(rec)));
	memcpy(op->record, json_string_value(rec), UUID_STRLEN + 1);

	if (!json_is_string(form))
		return op_fail(w, CS_BAD_OP, "member 'form' is %s, not a string", type_name(form));
	if ((why = bad_form(json_string_value(form), json_string_length(form))))
		return op_fail(w, CS_BAD_OP, "member 'form': %s is not a form id (it %s)",
			       shown(q, json_string_value(form), json_string_length(form)), why);

	if (!json_is_string(ver))
		return op_fail(w, CS_BAD_OP, "member 'version' is %s, not a string", type_name(ver));
	if ((why = bad_version(json_string_value(ver), json_string_length(ver))))
		return op_fail(w, CS_BAD_OP, "member 'version': %s is not a form version (it %s)",
			       shown(q, json_string_value(ver), json_string_length(ver)), why);

	if (!json_is_string(field))
		return op_fail(w, CS_BAD_OP, "member 'field' is %s, not a string", type_name(field));
	if ((why = bad_field(json_string_value(field), json_string_length(field))))
		return op_fail(w, CS_BAD_OP, "member 'field': %s is not a question name (it %s)",
			       shown(q, json_string_value(field), json_string_length(field)), why);

	st = value_text(val, &text, &why);
	if (st != CS_OK)
		return op_fail(w, st, "member 'value': %s", why);

	if (!json_is_array(base)) {
		free(text);
		return op_fail(w, CS_BAD_OP, "member 'base' is %s, not an array", type_name(base));
	}
	if (json_array_size(base) > MERGE_MAX_BASE) {
		free(text);
		return op_fail(w, CS_BAD_OP, "member 'base': %zu entries, over the limit of %d", json_array_size(base),
			       MERGE_MAX_BASE);
	}
	json_array_foreach(base, j, v) {
		const json_t *d = json_array_get(v, 0), *s = json_array_get(v, 1);

		if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_string(d) || !json_is_integer(s)) {
			free(text);
			return op_fail(w, CS_BAD_OP, "member 'base': entry %zu is not [device id, seq]", j + 1);
		}
		if (!is_device_id(json_string_value(d), json_string_length(d))) {
			free(text);
			return op_fail(w, CS_BAD_OP, "member 'base': entry %zu: %s is not a device id (32 lowercase hex "
				       "characters)", j + 1, shown(q, json_string_value(d), json_string_length(d)));
		}
		if (json_integer_value(s) < 1) {
			free(text);
			return op_fail(w, CS_BAD_OP, "member 'base': entry %zu: seq %" JSON_INTEGER_FORMAT " is not 1 or "
				       "more", j + 1, json_integer_value(s));
		}
		memcpy(op->base[j].device, json_string_value(d), KEYS_ID_STRLEN + 1);
		op->base[j].seq = (uint64_t)json_integer_value(s);
	}
	op->nbase = json_array_size(base);
	if (base_problem(op, h->device, reason, sizeof(reason))) {
		free(text);
		return op_fail(w, CS_BAD_OP, "member 'base': %s", reason);
	}

	if (arena_add(a, json_string_value(form), json_string_length(form), &off[0]) < 0 ||
	    arena_add(a, json_string_value(ver), json_string_length(ver), &off[1]) < 0 ||
	    arena_add(a, json_string_value(field), json_string_length(field), &off[2]) < 0 ||
	    arena_add(a, text, strlen(text), &off[3]) < 0) {
		free(text);
		return op_fail(w, CS_NO_MEMORY, "out of memory");
	}
	free(text);
	return CS_OK;
}

static enum cs_status check_ops(const json_t *root, const struct cs_header *h, struct cs_ops *out, char *err,
				size_t errlen)
{
	size_t n = (size_t)(h->last - h->first + 1), i;
	/* Each op adds at most three names and a value, each with its NUL: that is the arena's cap (saturated
	 * where size_t is 32 bits; never reached in practice, since the body is at most 8 MiB). */
	size_t per_op = 3 * (MERGE_MAX_NAME + 1) + CS_MAX_VALUE + 1;
	struct arena a = { BUF_INIT(n > (SIZE_MAX / 2) / per_op ? SIZE_MAX / 2 : n * per_op), NULL };
	enum cs_status st = CS_OK;
	uint64_t top = 0;
	struct op *ops;

	if (!json_is_array(root))
		return fail(CS_BAD_OP, err, errlen, "the body is %s, not an array of ops", type_name(root));
	if (json_array_size(root) != n)
		return fail(CS_BAD_OP, err, errlen, "the body holds %zu ops, but the header's seqs %" PRIu64 "..%"
			    PRIu64 " make %zu", json_array_size(root), h->first, h->last, n);
	/* n <= CS_MAX_OPS, so neither product overflows. */
	ops = calloc(n, sizeof(*ops));
	a.off = malloc(n * 4 * sizeof(*a.off));
	if (!ops || !a.off) {
		free(ops);
		free(a.off);
		return fail(CS_NO_MEMORY, err, errlen, "out of memory for %zu ops", n);
	}
	for (i = 0; i < n && st == CS_OK; i++) {
		struct where w = { err, errlen, i, h->first + i };

		st = check_op(json_array_get(root, i), h, &w, &ops[i], &a, &a.off[4 * i]);
		if (st == CS_OK && ops[i].hlc > top)
			top = ops[i].hlc;
	}
	if (st == CS_OK && top != h->hlc)
		st = fail(CS_BAD_OP, err, errlen, "the header's hlc %" PRIu64 " is not the highest of the ops' hlc, %"
			  PRIu64, h->hlc, top);
	if (st != CS_OK) {
		free(ops);
		free(a.off);
		buf_release(&a.b);
		return st;
	}
	out->owner = buf_detach(&a.b, NULL);
	if (!out->owner) {
		free(ops);
		free(a.off);
		return fail(CS_NO_MEMORY, err, errlen, "out of memory");
	}
	for (i = 0; i < n; i++) {
		const char *base = out->owner;

		ops[i].form = base + a.off[4 * i];
		ops[i].form_version = base + a.off[4 * i + 1];
		ops[i].field = base + a.off[4 * i + 2];
		ops[i].value = base + a.off[4 * i + 3];
	}
	free(a.off);
	out->ops = ops;
	out->n = n;
	return CS_OK;
}

/* On CS_OK, out->owner is one malloc'd block holding every op's form, version, field and value text, each
 * NUL-terminated; the JSON tree is gone by then. */
enum cs_status cs_decode(const unsigned char *data, size_t len, const struct cs_header *h, struct cs_ops *out,
			 char *err, size_t errlen)
{
	struct cs_header mine;
	enum cs_status st;
	json_error_t je;
	json_t *root;
	char *raw;

	memset(out, 0, sizeof(*out));
	st = cs_parse_header(data, len, &mine, err, errlen);
	if (st != CS_OK)
		return st;
	if (!h || !same_header(&mine, h))
		return fail(CS_BAD_HEADER, err, errlen, "the header given is not this change set's own");
	st = inflate_body(data + CS_HEADER_BYTES, h->body_len, h->raw_len, &raw, err, errlen);
	if (st != CS_OK)
		return st;
	/* jansson checks UTF-8, refuses \u0000 (no JSON_ALLOW_NUL) and, with this flag, duplicate names. Any
	 * JSON text passes this step; that it is an array of ops is checked with the ops. */
	root = json_loadb(raw, h->raw_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	free(raw);
	if (!root) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return fail(CS_NO_MEMORY, err, errlen, "out of memory parsing the body");
		return fail(CS_BAD_JSON, err, errlen, "the body is not strict JSON: %s at byte %d (line %d, column %d)",
			    je.text, je.position, je.line, je.column);
	}
	if (too_deep(root, MAX_DOC_DEPTH)) {
		json_decref(root);
		return fail(CS_BAD_JSON, err, errlen, "the body nests arrays and objects more than %d deep",
			    MAX_DOC_DEPTH);
	}
	st = check_ops(root, h, out, err, errlen);
	json_decref(root);
	return st;
}

void cs_ops_release(struct cs_ops *out)
{
	if (!out)
		return;
	free(out->ops);
	free(out->owner);
	memset(out, 0, sizeof(*out));
}

/* ---- the writer ---- */

/* Checks one op to be encoded, as the reader will. */
static enum cs_status check_out_op(const struct op *op, const char *self, const struct where *w)
{
	char q[200], reason[300];
	const char *why;
	enum cs_status st;
	json_error_t je;
	json_t *v;
	char *text;
	size_t len;

	if (strnlen(op->device, sizeof(op->device)) != KEYS_ID_STRLEN || strcmp(op->device, self))
		return op_fail(w, CS_BAD_OP, "made by device %s, not by the signing key's device %s",
			       shown(q, op->device, strnlen(op->device, sizeof(op->device))), self);
	if (op->seq != w->seq)
		return op_fail(w, CS_BAD_OP, "member 'seq': %" PRIu64 ", expected %" PRIu64 " (seqs must be "
			       "consecutive)", op->seq, w->seq);
	if (op->hlc > HLC_MAX)
		return op_fail(w, CS_BAD_OP, "member 'hlc': %" PRIu64 " is over 2^62 - 1", op->hlc);
	len = strnlen(op->record, sizeof(op->record));
	if (len != UUID_STRLEN || !uuid_valid(op->record))
		return op_fail(w, CS_BAD_OP, "member 'record': %s is not a lowercase UUID", shown(q, op->record, len));
	if (!op->form || (why = bad_form(op->form, strlen(op->form))))
		return op_fail(w, CS_BAD_OP, "member 'form': %s is not a form id (it %s)",
			       op->form ? shown(q, op->form, strlen(op->form)) : "NULL", op->form ? why : "is missing");
	if (!op->form_version || (why = bad_version(op->form_version, strlen(op->form_version))))
		return op_fail(w, CS_BAD_OP, "member 'version': %s is not a form version (it %s)",
			       op->form_version ? shown(q, op->form_version, strlen(op->form_version)) : "NULL",
			       op->form_version ? why : "is missing");
	if (!op->field || (why = bad_field(op->field, strlen(op->field))))
		return op_fail(w, CS_BAD_OP, "member 'field': %s is not a question name (it %s)",
			       op->field ? shown(q, op->field, strlen(op->field)) : "NULL", op->field ? why : "is missing");
	if (!op->value)
		return op_fail(w, CS_BAD_OP, "member 'value' is missing");
	len = strlen(op->value);
	if (len > CS_MAX_VALUE)
		return op_fail(w, CS_BAD_OP, "member 'value': its text is %zu bytes, over the limit of %d", len,
			       CS_MAX_VALUE);
	v = json_loadb(op->value, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return op_fail(w, json_error_code(&je) == json_error_out_of_memory ? CS_NO_MEMORY : CS_BAD_OP,
			       "member 'value': %s is not JSON text: %s", shown(q, op->value, len), je.text);
	st = value_text(v, &text, &why);
	json_decref(v);
	if (st != CS_OK)
		return op_fail(w, st, "member 'value': %s", why);
	if (strcmp(text, op->value)) {
		op_fail(w, CS_BAD_OP, "member 'value': %s is not canonical text (that is %s)", shown(q, op->value, len),
			shown(reason, text, strlen(text)));
		free(text);
		return CS_BAD_OP;
	}
	free(text);
	if (base_problem(op, self, reason, sizeof(reason)))
		return op_fail(w, CS_BAD_OP, "member 'base': %s", reason);
	return CS_OK;
}

/* Appends to the JSON body, remembering why the first failure happened. */
static void put(struct buf *b, const char *s, size_t len, enum cs_status *st)
{
	if (*st != CS_OK)
		return;
	if (buf_add(b, s, len) < 0)
		*st = b->len + len > b->max ? CS_TOO_LARGE : CS_NO_MEMORY;
}

static void puts_(struct buf *b, const char *s, enum cs_status *st)
{
	put(b, s, strlen(s), st);
}

static void put_u64(struct buf *b, uint64_t v, enum cs_status *st)
{
	char num[24];

	put(b, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v), st);
}

/* The body in the table's member order. The strings need no escapes: their checks allow only characters
 * that JSON writes as they are, and the value is already canonical JSON text. */
static enum cs_status write_body(const struct op *ops, size_t n, struct buf *b)
{
	enum cs_status st = CS_OK;
	size_t i, j;

	puts_(b, "[", &st);
	for (i = 0; i < n && st == CS_OK; i++) {
		const struct op *op = &ops[i];

		puts_(b, i ? ",{\"seq\":" : "{\"seq\":", &st);
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
		puts_(b, "]}", &st);
	}
	puts_(b, "]", &st);
	return st;
}

/* Deflates raw into dst (room for compressBound(rlen) bytes); *blen gets the compressed length. */
static enum cs_status deflate_body(const char *raw, size_t rlen, int level, unsigned char *dst, size_t room,
				   size_t *blen, char *err, size_t errlen)
{
	uLongf dl = (uLongf)room;
	int zr = compress2(dst, &dl, (const Bytef *)raw, (uLong)rlen, level);

	if (zr != Z_OK)
		return fail(zr == Z_MEM_ERROR ? CS_NO_MEMORY : CS_BAD_BODY, err, errlen, "cannot deflate the body: %s",
			    zError(zr));
	*blen = dl;
	return CS_OK;
}

enum cs_status cs_encode(const struct keys *k, const struct op *ops, size_t n, struct buf *out, char *err,
			 size_t errlen)
{
	struct buf json = BUF_INIT(CS_MAX_RAW);
	char self[KEYS_ID_STRLEN + 1];
	uint64_t first, top = 0;
	unsigned char *cs = NULL;
	size_t i, room, blen = 0, total;
	enum cs_status st;

	if (n == 0)
		return fail(CS_BAD_OP, err, errlen, "no ops to encode");
	if (n > CS_MAX_OPS)
		return fail(CS_TOO_LARGE, err, errlen, "%zu ops, over the limit of %d in one change set", n,
			    CS_MAX_OPS);
	first = ops[0].seq;
	if (first < 1 || first > MAX_JSON_INT - (n - 1))
		return fail(CS_BAD_OP, err, errlen, "op 1: seq %" PRIu64 " is out of range (1 .. 2^63 - %zu)", first,
			    n);
	keys_id(keys_public(k), self);
	for (i = 0; i < n; i++) {
		struct where w = { err, errlen, i, first + i };

		st = check_out_op(&ops[i], self, &w);
		if (st != CS_OK)
			return st;
		if (ops[i].hlc > top)
			top = ops[i].hlc;
	}

	st = write_body(ops, n, &json);
	if (st != CS_OK) {
		buf_release(&json);
		return st == CS_TOO_LARGE ? fail(st, err, errlen, "the ops' JSON is over the limit of %" PRIu32
						 " bytes: send fewer ops", CS_MAX_RAW)
					  : fail(st, err, errlen, "out of memory for the ops' JSON");
	}
	room = compressBound((uLong)json.len);
	cs = malloc(CS_HEADER_BYTES + room + CS_SIG_BYTES);
	if (!cs) {
		buf_release(&json);
		return fail(CS_NO_MEMORY, err, errlen, "out of memory for a change set");
	}
	st = deflate_body(json.data, json.len, DEFLATE_LEVEL, cs + CS_HEADER_BYTES, room, &blen, err, errlen);
	/* Text that compresses better than the ratio cap (long repeated values) goes stored instead: level 0
	 * never makes the body smaller than the text, so the reader's ratio check always passes. */
	if (st == CS_OK && blen <= CS_MAX_BODY && json.len > ratio_cap((uint32_t)blen))
		st = deflate_body(json.data, json.len, 0, cs + CS_HEADER_BYTES, room, &blen, err, errlen);
	if (st == CS_OK && blen > CS_MAX_BODY)
		st = fail(CS_TOO_LARGE, err, errlen, "the compressed body is %zu bytes, over the limit of %" PRIu32
			  ": send fewer ops", blen, CS_MAX_BODY);
	if (st != CS_OK) {
		free(cs);
		buf_release(&json);
		return st;
	}
	memcpy(cs, MAGIC, 4);
	cs[4] = CS_VERSION;
	cs[5] = cs[6] = cs[7] = 0;
	memcpy(cs + 8, keys_public(k), KEYS_PK_BYTES);
	put64(cs + 40, first);
	put64(cs + 48, first + (n - 1));
	put64(cs + 56, top);
	put32(cs + 64, (uint32_t)blen);
	put32(cs + 68, (uint32_t)json.len);
	buf_release(&json);
	keys_sign(k, cs, CS_HEADER_BYTES + blen, cs + CS_HEADER_BYTES + blen);
	total = CS_HEADER_BYTES + blen + CS_SIG_BYTES;
	if (buf_add(out, cs, total) < 0) {
		st = out->len + total > out->max
			     ? fail(CS_TOO_LARGE, err, errlen, "a change set of %zu bytes does not fit the output (at "
				    "most %zu bytes)", total, out->max - out->len)
			     : fail(CS_NO_MEMORY, err, errlen, "out of memory for a change set of %zu bytes", total);
	}
	free(cs);
	return st;
}
