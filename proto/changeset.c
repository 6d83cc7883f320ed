/* changeset.c - change sets on the wire: the fixed header, the signature, a bounded inflate, strict JSON and
 * the checks of every op, in the order proto/PROTOCOL.md fixes. Each op is read, checked and written by the op
 * codec (opjson.c), which the pull answer uses too.
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
#include "i18n.h"
#include "opjson.h"
#include "banned.h"

#define MAGIC "SNDC"
#define FIXED_BYTES (CS_HEADER_BYTES + CS_SIG_BYTES)
#define MAX_DOC_DEPTH 16         /* arrays and objects nested in the whole body */
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
		return fail(CS_TRUNCATED, err, errlen, _("%zu bytes is shorter than the %d of a change set's header "
							 "and signature"), data ? len : 0, FIXED_BYTES);
	if (memcmp(data, MAGIC, 4))
		return fail(CS_BAD_MAGIC, err, errlen, _("not a change set: the first bytes are not \"SNDC\""));
	if (data[4] != CS_VERSION)
		return fail(CS_UNSUPPORTED_VERSION, err, errlen, _("format version %u is not supported (this reader "
								   "knows version %d)"), data[4], CS_VERSION);
	if (data[5])
		return fail(CS_BAD_HEADER, err, errlen, _("flags are 0x%02x, expected 0"), data[5]);
	if (data[6] || data[7])
		return fail(CS_BAD_HEADER, err, errlen, _("reserved bytes are 0x%02x%02x, expected 0"), data[6],
			    data[7]);
	first = get64(data + 40);
	last = get64(data + 48);
	hlc = get64(data + 56);
	blen = get32(data + 64);
	rlen = get32(data + 68);
	if (first == 0)
		return fail(CS_BAD_HEADER, err, errlen, _("first seq is 0; seqs start at 1"));
	if (last < first)
		return fail(CS_BAD_HEADER, err, errlen, _("last seq %llu is below first seq %llu"),
			    (unsigned long long)last, (unsigned long long)first);
	if (last - first >= CS_MAX_OPS)
		return fail(CS_BAD_HEADER, err, errlen, _("seqs %llu..%llu are %llu ops, over the limit of %d"),
			    (unsigned long long)first, (unsigned long long)last, (unsigned long long)(last - first + 1),
			    CS_MAX_OPS);
	if (last > MAX_JSON_INT)
		return fail(CS_BAD_HEADER, err, errlen, _("last seq %llu is over 2^63 - 1"), (unsigned long long)last);
	if (hlc > HLC_MAX)
		/* TRANSLATORS: hlc is the clock stamp of the newest op, as the protocol names it: keep the word. */
		return fail(CS_BAD_HEADER, err, errlen, _("hlc %llu is over 2^62 - 1"), (unsigned long long)hlc);
	if (blen == 0)
		return fail(CS_BAD_HEADER, err, errlen, _("body length is 0"));
	if (blen > CS_MAX_BODY)
		return fail(CS_TOO_LARGE, err, errlen, _("body length %u is over the limit of %u"), blen, CS_MAX_BODY);
	if (rlen == 0)
		return fail(CS_BAD_HEADER, err, errlen, _("raw length is 0"));
	if (rlen > CS_MAX_RAW)
		return fail(CS_TOO_LARGE, err, errlen, _("raw length %u is over the limit of %u"), rlen, CS_MAX_RAW);
	if (rlen > ratio_cap(blen))
		return fail(CS_TOO_LARGE, err, errlen, _("raw length %u is over %d x body length %u + 1024 = %llu"),
			    rlen, CS_MAX_RATIO, blen, (unsigned long long)ratio_cap(blen));
	total = (uint64_t)CS_HEADER_BYTES + blen + CS_SIG_BYTES;   /* blen <= 4 MiB: no overflow */
	if ((uint64_t)len < total)
		return fail(CS_TRUNCATED, err, errlen, _("%zu bytes, but the header says %d + %u + %d = %llu"), len,
			    CS_HEADER_BYTES, blen, CS_SIG_BYTES, (unsigned long long)total);
	if ((uint64_t)len > total)
		return fail(CS_BAD_HEADER, err, errlen,
			    _("%zu bytes, but the header says %d + %u + %d = %llu: %llu bytes too many"), len,
			    CS_HEADER_BYTES, blen, CS_SIG_BYTES, (unsigned long long)total,
			    (unsigned long long)((uint64_t)len - total));
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
		return fail(CS_NO_MEMORY, err, errlen, _("out of memory for a body of %u bytes"), rlen);
	memset(&z, 0, sizeof(z));
	z.next_in = in;
	z.avail_in = blen;
	z.next_out = out;
	z.avail_out = rlen + 1;
	zr = inflateInit(&z);
	if (zr != Z_OK) {
		free(out);
		return fail(zr == Z_MEM_ERROR ? CS_NO_MEMORY : CS_BAD_BODY, err, errlen,
			    _("cannot start inflating: %s"), z.msg ? z.msg : zError(zr));
	}
	for (;;) {
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_OK && z.avail_out > 0)
			continue;
		if (zr == Z_OK || (zr == Z_BUF_ERROR && z.avail_out == 0))
			st = fail(CS_BAD_BODY, err, errlen,
				  _("the body inflates to more than the %u bytes the header says"), rlen);
		else if (zr == Z_BUF_ERROR)
			st = fail(CS_BAD_BODY, err, errlen,
				  _("the body's deflate stream stops before its end, after %lu of the %u bytes the "
				    "header says"), z.total_out, rlen);
		else if (zr == Z_NEED_DICT)
			st = fail(CS_BAD_BODY, err, errlen, _("the body's deflate stream needs a preset dictionary"));
		else if (zr == Z_MEM_ERROR)
			st = fail(CS_NO_MEMORY, err, errlen, _("out of memory while inflating the body"));
		else
			st = fail(CS_BAD_BODY, err, errlen, _("the body is not a zlib deflate stream: %s"),
				  z.msg ? z.msg : zError(zr));
		break;
	}
	if (st == CS_OK && z.total_out > rlen)
		st = fail(CS_BAD_BODY, err, errlen, _("the body inflates to more than the %u bytes the header says"),
			  rlen);
	else if (st == CS_OK && z.total_out < rlen)
		st = fail(CS_BAD_BODY, err, errlen, _("the body inflates to %lu bytes, not the %u the header says"),
			  z.total_out, rlen);
	else if (st == CS_OK && z.avail_in > 0)
		st = fail(CS_BAD_BODY, err, errlen, _("the body has %u bytes after the end of its deflate stream"),
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

/* ---- the body: ops ---- */

/* The status of a change set for what the op codec said. */
static enum cs_status op_status(enum opjson_status st)
{
	return st == OPJSON_OK ? CS_OK : st == OPJSON_NO_MEMORY ? CS_NO_MEMORY : st == OPJSON_TOO_LARGE ? CS_TOO_LARGE
														: CS_BAD_OP;
}

/* The ops of a body read with jansson (root), when it is not as a writer of this code writes it. */
static enum cs_status check_ops(const json_t *root, const struct cs_header *h, struct opjson_ops *ops, char *err,
				size_t errlen)
{
	size_t n = (size_t)(h->last - h->first + 1);
	struct opjson_from from = { h->device, h->first, h->last };

	if (!json_is_array(root))
		return fail(CS_BAD_OP, err, errlen, _("the body is %s, not an array of ops"), opjson_type_name(root));
	if (json_array_size(root) != n)
		return fail(CS_BAD_OP, err, errlen,
			    _("the body holds %zu ops, but the header's seqs %llu..%llu make %zu"),
			    json_array_size(root), (unsigned long long)h->first, (unsigned long long)h->last, n);
	return op_status(opjson_decode(root, &from, ops, err, errlen));
}

/* The ops of the body read (raw, h->raw_len bytes): as opjson_append writes them, the fast way; otherwise with
 * jansson, which any JSON text passes (that it is an array of ops is then checked with the ops). */
static enum cs_status read_ops(const char *raw, const struct cs_header *h, struct opjson_ops *ops, char *err,
			       size_t errlen)
{
	struct opjson_from from = { h->device, h->first, h->last };
	enum cs_status st;
	json_error_t je;
	json_t *root;

	st = op_status(opjson_decode_plain(raw, h->raw_len, (size_t)(h->last - h->first + 1), &from, ops));
	if (st != CS_BAD_OP)
		return st == CS_NO_MEMORY ? fail(st, err, errlen, _("out of memory for the ops")) : st;
	/* jansson checks UTF-8, refuses \u0000 (no JSON_ALLOW_NUL) and, with this flag, duplicate names. */
	root = json_loadb(raw, h->raw_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return fail(CS_NO_MEMORY, err, errlen, _("out of memory parsing the body"));
		return fail(CS_BAD_JSON, err, errlen,
			    _("the body is not strict JSON: %s at byte %d (line %d, column %d)"), je.text, je.position,
			    je.line, je.column);
	}
	if (opjson_too_deep(root, MAX_DOC_DEPTH))
		st = fail(CS_BAD_JSON, err, errlen, _("the body nests arrays and objects more than %d deep"),
			  MAX_DOC_DEPTH);
	else
		st = check_ops(root, h, ops, err, errlen);
	json_decref(root);
	return st;
}

/* Hands the ops read over to out once the header's hlc is theirs; frees them otherwise. */
static enum cs_status take_ops(const struct cs_header *h, struct opjson_ops *ops, struct cs_ops *out, char *err,
			       size_t errlen)
{
	uint64_t top = 0;
	size_t i;

	for (i = 0; i < ops->n; i++) {
		if (ops->ops[i].hlc > top)
			top = ops->ops[i].hlc;
	}
	if (top != h->hlc) {
		opjson_ops_release(ops);
		return fail(CS_BAD_OP, err, errlen, _("the header's hlc %llu is not the highest of the ops' hlc, %llu"),
			    (unsigned long long)h->hlc, (unsigned long long)top);
	}
	out->ops = ops->ops;
	out->n = ops->n;
	out->owner = ops->owner;
	return CS_OK;
}

/* On CS_OK, out->owner is one malloc'd block holding every op's form, version, field and value text, each
 * NUL-terminated; the JSON tree is gone by then. */
enum cs_status cs_decode(const unsigned char *data, size_t len, const struct cs_header *h, struct cs_ops *out,
			 char *err, size_t errlen)
{
	struct opjson_ops ops;
	struct cs_header mine;
	enum cs_status st;
	char *raw;

	memset(out, 0, sizeof(*out));
	st = cs_parse_header(data, len, &mine, err, errlen);
	if (st != CS_OK)
		return st;
	if (!h || !same_header(&mine, h))
		return fail(CS_BAD_HEADER, err, errlen, _("the header given is not this change set's own"));
	st = inflate_body(data + CS_HEADER_BYTES, h->body_len, h->raw_len, &raw, err, errlen);
	if (st != CS_OK)
		return st;
	st = read_ops(raw, h, &ops, err, errlen);
	free(raw);
	return st == CS_OK ? take_ops(h, &ops, out, err, errlen) : st;
}

/* The ops came from opjson_decode, which owns the way they are held. */
void cs_ops_release(struct cs_ops *out)
{
	struct opjson_ops o;

	if (!out)
		return;
	o.ops = out->ops;
	o.by = NULL;
	o.n = out->n;
	o.owner = out->owner;
	opjson_ops_release(&o);
	memset(out, 0, sizeof(*out));
}

/* ---- the writer ---- */

/* The body in the table's member order (opjson_append). */
static enum cs_status write_body(const struct op *ops, size_t n, struct buf *b)
{
	enum opjson_status st = OPJSON_OK;
	size_t i;

	if (buf_addc(b, '[') < 0)
		return CS_NO_MEMORY;
	for (i = 0; i < n && st == OPJSON_OK; i++) {
		if (i && buf_addc(b, ',') < 0)
			return b->len + 1 > b->max ? CS_TOO_LARGE : CS_NO_MEMORY;
		st = opjson_append(b, &ops[i], 0, NULL);
	}
	if (st == OPJSON_OK && buf_addc(b, ']') < 0)
		return b->len + 1 > b->max ? CS_TOO_LARGE : CS_NO_MEMORY;
	return op_status(st);
}

/* Deflates raw into dst (room for compressBound(rlen) bytes); *blen gets the compressed length. */
static enum cs_status deflate_body(const char *raw, size_t rlen, int level, unsigned char *dst, size_t room,
				   size_t *blen, char *err, size_t errlen)
{
	uLongf dl = (uLongf)room;
	int zr = compress2(dst, &dl, (const Bytef *)raw, (uLong)rlen, level);

	if (zr != Z_OK)
		return fail(zr == Z_MEM_ERROR ? CS_NO_MEMORY : CS_BAD_BODY, err, errlen,
			    _("cannot deflate the body: %s"), zError(zr));
	*blen = dl;
	return CS_OK;
}

enum cs_status cs_encode(const struct keys *k, const struct op *ops, size_t n, struct buf *out, char *err,
			 size_t errlen)
{
	struct buf json = BUF_INIT(CS_MAX_RAW);
	char self[KEYS_ID_STRLEN + 1];
	struct opjson_from from;
	uint64_t first, top = 0;
	unsigned char *cs = NULL;
	size_t i, room, blen = 0, total;
	enum cs_status st;

	if (n == 0)
		return fail(CS_BAD_OP, err, errlen, _("no ops to encode"));
	if (n > CS_MAX_OPS)
		return fail(CS_TOO_LARGE, err, errlen, _("%zu ops, over the limit of %d in one change set"), n,
			    CS_MAX_OPS);
	first = ops[0].seq;
	if (first < 1 || first > MAX_JSON_INT - (n - 1))
		return fail(CS_BAD_OP, err, errlen, _("op 1: seq %llu is out of range (1 .. 2^63 - %zu)"),
			    (unsigned long long)first, n);
	keys_id(keys_public(k), self);
	from.signer = self;
	from.first = first;
	from.last = first + (n - 1);
	for (i = 0; i < n; i++) {
		st = op_status(opjson_check(&ops[i], NULL, i, &from, err, errlen));
		if (st != CS_OK)
			return st;
		if (ops[i].hlc > top)
			top = ops[i].hlc;
	}

	st = write_body(ops, n, &json);
	if (st != CS_OK) {
		buf_release(&json);
		return st == CS_TOO_LARGE
			       ? fail(st, err, errlen, _("the ops' JSON is over the limit of %u bytes: send fewer ops"),
				      CS_MAX_RAW)
			       : fail(st, err, errlen, _("out of memory for the ops' JSON"));
	}
	room = compressBound((uLong)json.len);
	cs = malloc(CS_HEADER_BYTES + room + CS_SIG_BYTES);
	if (!cs) {
		buf_release(&json);
		return fail(CS_NO_MEMORY, err, errlen, _("out of memory for a change set"));
	}
	st = deflate_body(json.data, json.len, DEFLATE_LEVEL, cs + CS_HEADER_BYTES, room, &blen, err, errlen);
	/* Text that compresses better than the ratio cap (long repeated values) goes stored instead: level 0
	 * never makes the body smaller than the text, so the reader's ratio check always passes. */
	if (st == CS_OK && blen <= CS_MAX_BODY && json.len > ratio_cap((uint32_t)blen))
		st = deflate_body(json.data, json.len, 0, cs + CS_HEADER_BYTES, room, &blen, err, errlen);
	if (st == CS_OK && blen > CS_MAX_BODY)
		st = fail(CS_TOO_LARGE, err, errlen,
			  _("the compressed body is %zu bytes, over the limit of %u: send fewer ops"), blen,
			  CS_MAX_BODY);
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
			     ? fail(CS_TOO_LARGE, err, errlen,
				    _("a change set of %zu bytes does not fit the output (at most %zu bytes)"), total,
				    out->max - out->len)
			     : fail(CS_NO_MEMORY, err, errlen, _("out of memory for a change set of %zu bytes"), total);
	}
	free(cs);
	return st;
}
