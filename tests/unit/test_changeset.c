/* test_changeset.c - change sets: round trips byte for byte, every status of PROTOCOL.md's table at the step
 * that must give it, bounded inflate (no allocation past the raw length), strict JSON and every op rule. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "changeset.h"
#include "hlc.h"
#include "jsonc.h"
#include "test.h"
#include "testop.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_HOOKS 1
#endif
#endif
#ifdef HAVE_HOOKS
/* From the sanitizers' allocator_interface.h, which gcc does not install; libasan has the function. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));
#endif

#define REC "0f8fad5b-d9cb-469f-a165-70867728950e"
#define REC2 "7c9e6679-7425-40de-944b-e07fc1f90ae7"

static char dir[256];
static struct keys *ka, *kb;
static char ida[KEYS_ID_STRLEN + 1], idb[KEYS_ID_STRLEN + 1];

/* ---- allocation accounting (ASan builds only) ---- */

static volatile int counting;
static size_t alloc_total, alloc_max;

#ifdef HAVE_HOOKS
static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (counting) {
		alloc_total += n;
		if (n > alloc_max)
			alloc_max = n;
	}
}

static void on_free(const volatile void *p)
{
	(void)p;
}
#endif

/* ---- helpers ---- */

static struct keys *make_key(const char *name, char id[KEYS_ID_STRLEN + 1])
{
	char sec[512], pub[512], err[256];
	struct keys *k;

	snprintf(sec, sizeof(sec), "%s/%s.key", dir, name);
	snprintf(pub, sizeof(pub), "%s/%s.pub", dir, name);
	if (keys_generate(sec, pub, err, sizeof(err)) < 0 || !(k = keys_load(sec, err, sizeof(err)))) {
		fprintf(stderr, "test_changeset: %s\n", err);
		exit(2);
	}
	unlink(sec);
	unlink(pub);
	keys_id(keys_public(k), id);
	return k;
}

static void mkop(struct op *o, const char *dev, uint64_t seq, uint64_t hlc, const char *field, const char *value)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->device, sizeof(o->device), "%s", dev);
	o->seq = seq;
	o->hlc = hlc;
	snprintf(o->record, sizeof(o->record), "%s", REC);
	o->form = "partnership";
	o->form_version = "3";
	o->field = field;
	o->value = value;
}

static void add_base(struct op *o, const char *dev, uint64_t seq)
{
	struct op_ref *b = testop_base(o, o->nbase + 1);

	snprintf(b[o->nbase].device, sizeof(b[0].device), "%s", dev);
	b[o->nbase++].seq = seq;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void set32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void set64(unsigned char *p, uint64_t v)
{
	set32(p, (uint32_t)(v >> 32));
	set32(p + 4, (uint32_t)v);
}

/* Parse, verify and decode, as a reader does; the first status that is not CS_OK, with err. */
static enum cs_status read_all(const void *data, size_t len, struct cs_ops *ops, char *err, size_t errlen)
{
	struct cs_header h;
	enum cs_status st;

	memset(ops, 0, sizeof(*ops));
	err[0] = '\0';
	st = cs_parse_header(data, len, &h, err, errlen);
	if (st != CS_OK)
		return st;
	st = cs_verify(data, len, &h);
	if (st != CS_OK)
		return st;
	return cs_decode(data, len, &h, ops, err, errlen);
}

/* A change set around any body, signed by k: the way to reach the steps after the signature. */
static void signed_set(struct buf *out, const struct keys *k, uint64_t first, uint64_t last, uint64_t hlc,
		       const void *body, size_t blen, uint32_t rlen)
{
	unsigned char h[CS_HEADER_BYTES], sig[CS_SIG_BYTES];

	memset(h, 0, sizeof(h));
	memcpy(h, "SNDC", 4);
	h[4] = 1;
	memcpy(h + 8, keys_public(k), KEYS_PK_BYTES);
	set64(h + 40, first);
	set64(h + 48, last);
	set64(h + 56, hlc);
	set32(h + 64, (uint32_t)blen);
	set32(h + 68, rlen);
	buf_reset(out);
	CHECK_INT(buf_add(out, h, sizeof(h)), 0);
	CHECK_INT(buf_add(out, body, blen), 0);
	keys_sign(k, out->data, out->len, sig);
	CHECK_INT(buf_add(out, sig, sizeof(sig)), 0);
}

/* Signs bytes [0, len - 64) again with k, after a test changed them. */
static void resign(struct buf *cs, const struct keys *k)
{
	keys_sign(k, cs->data, cs->len - CS_SIG_BYTES, (unsigned char *)cs->data + cs->len - CS_SIG_BYTES);
}

/* zlib stream of text[0..len) at level; the caller frees. */
static unsigned char *deflated(const void *text, size_t len, int level, size_t *blen)
{
	uLongf dl = compressBound((uLong)len);
	unsigned char *b = malloc(dl);

	if (!b || compress2(b, &dl, text, (uLong)len, level) != Z_OK) {
		fprintf(stderr, "test_changeset: compress2 failed\n");
		exit(2);
	}
	*blen = dl;
	return b;
}

/* A change set by k whose body is the JSON text json[0..len), deflated at level, with its honest raw length. */
static void json_set_len(struct buf *out, const struct keys *k, uint64_t first, uint64_t last, uint64_t hlc,
			 const char *json, size_t len, int level)
{
	size_t blen;
	unsigned char *b = deflated(json, len, level, &blen);

	signed_set(out, k, first, last, hlc, b, blen, (uint32_t)len);
	free(b);
}

static void json_set(struct buf *out, const struct keys *k, uint64_t first, uint64_t last, uint64_t hlc,
		     const char *json)
{
	json_set_len(out, k, first, last, hlc, json, strlen(json), 6);
}

/* The text of a valid one-op body (seq 1, hlc 5, by ka) with one substring replaced: the way to make each
 * invalid op. `from` must occur in the template. */
static char *variant(const char *from, const char *to)
{
	static const char tmpl[] = "[{\"seq\":1,\"hlc\":5,\"record\":\"" REC "\",\"form\":\"partnership\","
				   "\"version\":\"3\",\"field\":\"name\",\"value\":\"x\",\"base\":[]}]";
	const char *at = strstr(tmpl, from);
	size_t n;
	char *s;

	if (!at) {
		fprintf(stderr, "test_changeset: '%s' is not in the template\n", from);
		exit(2);
	}
	n = strlen(tmpl) - strlen(from) + strlen(to);
	s = malloc(n + 1);
	if (!s)
		exit(2);
	snprintf(s, n + 1, "%.*s%s%s", (int)(at - tmpl), tmpl, to, at + strlen(from));
	return s;
}

/* Decodes the variant as a change set of seq 1, hlc 5, by ka; returns the status and leaves err. */
static enum cs_status try_variant(const char *from, const char *to, char *err, size_t errlen)
{
	struct buf cs = BUF_INIT(1 << 26);
	struct cs_ops ops;
	char *json = variant(from, to);
	enum cs_status st;

	json_set(&cs, ka, 1, 1, 5, json);
	st = read_all(cs.data, cs.len, &ops, err, errlen);
	cs_ops_release(&ops);
	free(json);
	buf_release(&cs);
	return st;
}

/* Decodes a whole body text as a change set by ka with these header fields. */
static enum cs_status try_json(uint64_t first, uint64_t last, uint64_t hlc, const char *json, char *err,
			       size_t errlen)
{
	struct buf cs = BUF_INIT(1 << 26);
	struct cs_ops ops;
	enum cs_status st;

	json_set(&cs, ka, first, last, hlc, json);
	st = read_all(cs.data, cs.len, &ops, err, errlen);
	cs_ops_release(&ops);
	buf_release(&cs);
	return st;
}

static int ops_equal(const struct op *a, const struct op *b)
{
	size_t j;

	if (strcmp(a->device, b->device) || a->seq != b->seq || a->hlc != b->hlc || strcmp(a->record, b->record) ||
	    strcmp(a->form, b->form) || strcmp(a->form_version, b->form_version) || strcmp(a->field, b->field) ||
	    strcmp(a->value, b->value) || a->nbase != b->nbase)
		return 0;
	for (j = 0; j < a->nbase; j++) {
		if (strcmp(a->base[j].device, b->base[j].device) || a->base[j].seq != b->base[j].seq)
			return 0;
	}
	return 1;
}

/* Canonical text of a JSON literal, kept until the end of the run. */
static char *canon_store[64];
static int ncanon;

static const char *canon(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *t = v ? jsonc_dumps(v) : NULL;

	json_decref(v);
	if (!t || ncanon == 64) {
		fprintf(stderr, "test_changeset: cannot canonicalise %s\n", json);
		exit(2);
	}
	canon_store[ncanon++] = t;
	return t;
}

/* Encodes ops[0..n) with ka, reads the result back and checks every op comes back the same. */
static void round_trip(const struct op *ops, size_t n)
{
	struct buf cs = BUF_INIT(1 << 26);
	struct cs_header h;
	struct cs_ops got;
	char err[512] = "";
	uint64_t top = 0;
	size_t i, same = 0;

	CHECK_INT(cs_encode(ka, ops, n, &cs, err, sizeof(err)), CS_OK);
	CHECK_STR(err, "");
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_OK);
	for (i = 0; i < n; i++)
		top = ops[i].hlc > top ? ops[i].hlc : top;
	CHECK_INT(h.version, 1);
	CHECK_STR(h.device, ida);
	CHECK(!memcmp(h.signer, keys_public(ka), KEYS_PK_BYTES));
	CHECK_INT(h.first, ops[0].seq);
	CHECK_INT(h.last, ops[0].seq + n - 1);
	CHECK_INT(h.hlc, top);
	CHECK_INT(h.body_len + 136, cs.len);
	CHECK_INT(cs_verify((unsigned char *)cs.data, cs.len, &h), CS_OK);
	CHECK_INT(cs_decode((unsigned char *)cs.data, cs.len, &h, &got, err, sizeof(err)), CS_OK);
	CHECK_STR(err, "");
	CHECK_INT(got.n, n);
	for (i = 0; i < n && i < got.n; i++)
		same += ops_equal(&ops[i], &got.ops[i]);
	CHECK_INT(same, n);
	cs_ops_release(&got);
	CHECK(got.ops == NULL && got.n == 0 && got.owner == NULL);
	buf_release(&cs);
}

/* ---- tests ---- */

static void test_codes(void)
{
	CHECK_STR(cs_code(CS_OK), "ok");
	CHECK_STR(cs_code(CS_TRUNCATED), "truncated");
	CHECK_STR(cs_code(CS_BAD_MAGIC), "bad_magic");
	CHECK_STR(cs_code(CS_UNSUPPORTED_VERSION), "unsupported_version");
	CHECK_STR(cs_code(CS_BAD_HEADER), "bad_header");
	CHECK_STR(cs_code(CS_TOO_LARGE), "too_large");
	CHECK_STR(cs_code(CS_UNKNOWN_SIGNER), "unknown_signer");
	CHECK_STR(cs_code(CS_BAD_SIGNATURE), "bad_signature");
	CHECK_STR(cs_code(CS_BAD_BODY), "bad_body");
	CHECK_STR(cs_code(CS_BAD_JSON), "bad_json");
	CHECK_STR(cs_code(CS_BAD_OP), "bad_op");
	CHECK_STR(cs_code(CS_NO_MEMORY), "no_memory");
	CHECK_STR(cs_code((enum cs_status)99), "unknown");
}

/* One op: the exact header fields and the exact body text the writer must produce. */
static void test_one_op_exact_bytes(void)
{
	struct buf cs = BUF_INIT(1 << 20);
	unsigned char *p;
	char err[512] = "", body[512], want[512];
	uLongf blen = sizeof(body) - 1;
	struct op o;

	mkop(&o, ida, 7, 0x0001234500000002ULL, "name", "\"Caf\xc3\xa9\"");
	add_base(&o, idb, 3);
	round_trip(&o, 1);
	CHECK_INT(cs_encode(ka, &o, 1, &cs, err, sizeof(err)), CS_OK);
	p = (unsigned char *)cs.data;
	CHECK(!memcmp(p, "SNDC\x01\x00\x00\x00", 8));
	CHECK(!memcmp(p + 8, keys_public(ka), 32));
	CHECK_INT(be64(p + 40), 7);
	CHECK_INT(be64(p + 48), 7);
	CHECK_INT(be64(p + 56), 0x0001234500000002ULL);
	CHECK_INT(p[72], 0x78);   /* a zlib header */
	CHECK_INT(uncompress((Bytef *)body, &blen, p + 72, be32(p + 64)), Z_OK);
	body[blen] = '\0';
	snprintf(want, sizeof(want), "[{\"seq\":7,\"hlc\":%llu,\"record\":\"%s\",\"form\":\"partnership\","
		 "\"version\":\"3\",\"field\":\"name\",\"value\":\"Caf\xc3\xa9\",\"base\":[[\"%s\",3]]}]",
		 0x0001234500000002ULL, REC, idb);
	CHECK_STR(body, want);
	CHECK_INT(be32(p + 68), strlen(want));
	CHECK_INT(crypto_sign_verify_detached(p + cs.len - 64, p, cs.len - 64, keys_public(ka)), 0);
	buf_release(&cs);
}

static void test_round_trips(void)
{
	const char *values[] = {
		canon("\"plain\""), canon("\"\\u00e9 \\u6f22 \\ud83d\\ude00 line\\nbreak tab\\t quote\\\" back\\\\ "
					  "slash/ ctl\\u0001\""),
		canon("0"), canon("-42"), canon("9007199254740993"), canon("3.25"), canon("1.0"), canon("-0.0"),
		canon("1e300"), canon("0.1"), canon("null"), canon("true"), canon("false"), canon("[]"),
		canon("[\"a\",\"b\",\"c\"]"), canon("{\"b\":[1,{\"z\":null,\"a\":2}],\"a\":\"x\"}"),
		canon("[[[[[[[[1]]]]]]]]"), canon("\"\""),
	};
	size_t nv = sizeof(values) / sizeof(values[0]), i;
	static struct op ops[1000];
	static const char *fields[] = { "name", "_deleted", "_review", "a.b-c_d", "Z9" };

	mkop(&ops[0], ida, 1, 0, "name", values[1]);
	round_trip(ops, 1);

	for (i = 0; i < 3; i++) {
		mkop(&ops[i], ida, 41 + i, 1000 - i, fields[i], values[i + 10]);
		add_base(&ops[i], idb, 9);
		add_base(&ops[i], ida, 40);
		add_base(&ops[i], idb, 10 + i);
	}
	ops[2].form = "a._-Z9";
	ops[2].form_version = "2024-01.rc_1";
	round_trip(ops, 3);

	for (i = 0; i < 1000; i++) {
		size_t j;

		mkop(&ops[i], ida, 5000 + i, ((uint64_t)1700000000000 + i * 7) << 16 | (i % 3), fields[i % 5],
		     values[i % nv]);
		if (i % 2)
			snprintf(ops[i].record, sizeof(ops[i].record), "%s", REC2);
		for (j = 0; j < i % 5; j++)
			add_base(&ops[i], j % 2 ? ida : idb, 4990 + i - j);
	}
	/* The highest hlc is not the last op's. */
	ops[500].hlc = (uint64_t)1800000000000 << 16;
	ops[999].nbase = 0;
	for (i = 0; i < 64; i++)
		add_base(&ops[999], idb, 100 + i);
	round_trip(ops, 1000);
}

static void test_truncated(void)
{
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	char err[512];
	struct op o;
	size_t lens[] = { 0, 1, 71, 72, 135 }, i;

	mkop(&o, ida, 1, 5, "name", "\"x\"");
	CHECK_INT(cs_encode(ka, &o, 1, &cs, err, sizeof(err)), CS_OK);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		CHECK_INT(cs_parse_header((unsigned char *)cs.data, lens[i], &h, err, sizeof(err)), CS_TRUNCATED);
	CHECK_INT(cs_parse_header(NULL, 0, &h, err, sizeof(err)), CS_TRUNCATED);
	CHECK_STR(err, "0 bytes is shorter than the 136 of a change set's header and signature");
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, 136, &h, err, sizeof(err)), CS_TRUNCATED);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len - 1, &h, err, sizeof(err)), CS_TRUNCATED);
	{
		char want[200];

		snprintf(want, sizeof(want), "%zu bytes, but the header says 72 + %zu + 64 = %zu", cs.len - 1,
			 cs.len - 136, cs.len);
		CHECK_STR(err, want);
	}
	/* One byte more than the header says is not truncation, and still refused. */
	CHECK_INT(buf_addc(&cs, 0), 0);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_BAD_HEADER);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len - 1, &h, err, sizeof(err)), CS_OK);
	buf_release(&cs);
}

/* Header-only checks on a copy of a valid change set with one field changed. */
static enum cs_status header_with(const struct buf *cs, size_t off, int width, uint64_t v, char *err)
{
	unsigned char *d = malloc(cs->len);
	struct cs_header h;
	enum cs_status st;

	memcpy(d, cs->data, cs->len);
	if (width == 1)
		d[off] = (unsigned char)v;
	else if (width == 4)
		set32(d + off, (uint32_t)v);
	else
		set64(d + off, v);
	st = cs_parse_header(d, cs->len, &h, err, 512);
	free(d);
	return st;
}

static void test_header_fields(void)
{
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	char err[512];
	unsigned char *big;
	struct op o;
	uint32_t b;

	mkop(&o, ida, 1, 5, "name", "\"x\"");
	CHECK_INT(cs_encode(ka, &o, 1, &cs, err, sizeof(err)), CS_OK);
	b = be32((unsigned char *)cs.data + 64);
	CHECK_INT(header_with(&cs, 0, 1, 'S', err), CS_OK);
	CHECK_INT(header_with(&cs, 0, 1, 's', err), CS_BAD_MAGIC);
	CHECK_INT(header_with(&cs, 3, 1, 'X', err), CS_BAD_MAGIC);
	CHECK_INT(header_with(&cs, 4, 1, 2, err), CS_UNSUPPORTED_VERSION);
	CHECK_STR(err, "format version 2 is not supported (this reader knows version 1)");
	CHECK_INT(header_with(&cs, 4, 1, 0, err), CS_UNSUPPORTED_VERSION);
	CHECK_INT(header_with(&cs, 5, 1, 1, err), CS_BAD_HEADER);
	CHECK_STR(err, "flags are 0x01, expected 0");
	CHECK_INT(header_with(&cs, 5, 1, 0x80, err), CS_BAD_HEADER);
	CHECK_INT(header_with(&cs, 6, 1, 1, err), CS_BAD_HEADER);
	CHECK_INT(header_with(&cs, 7, 1, 0x40, err), CS_BAD_HEADER);
	CHECK_STR(err, "reserved bytes are 0x0040, expected 0");
	/* Seqs. */
	CHECK_INT(header_with(&cs, 40, 8, 0, err), CS_BAD_HEADER);
	CHECK_STR(err, "first seq is 0; seqs start at 1");
	CHECK_INT(header_with(&cs, 48, 8, 0, err), CS_BAD_HEADER);
	CHECK_STR(err, "last seq 0 is below first seq 1");
	CHECK_INT(header_with(&cs, 48, 8, CS_MAX_OPS, err), CS_OK);   /* the most ops there may be */
	CHECK_INT(header_with(&cs, 48, 8, CS_MAX_OPS + 1, err), CS_BAD_HEADER);
	CHECK_STR(err, "seqs 1..10001 are 10001 ops, over the limit of 10000");
	CHECK_INT(header_with(&cs, 48, 8, UINT64_MAX, err), CS_BAD_HEADER);
	CHECK_INT(header_with(&cs, 40, 8, (uint64_t)INT64_MAX + 1, err), CS_BAD_HEADER);
	/* hlc: at most HLC_MAX, far below 2^63 (the poison a replica adopting it could not stamp past). */
	CHECK_INT(header_with(&cs, 56, 8, HLC_MAX, err), CS_OK);
	CHECK_INT(header_with(&cs, 56, 8, HLC_MAX + 1, err), CS_BAD_HEADER);
	CHECK_STR(err, "hlc 4611686018427387904 is over 2^62 - 1");
	CHECK_INT(header_with(&cs, 56, 8, (uint64_t)INT64_MAX, err), CS_BAD_HEADER);
	CHECK_INT(header_with(&cs, 56, 8, (uint64_t)INT64_MAX + 1, err), CS_BAD_HEADER);
	/* Body length B. */
	CHECK_INT(header_with(&cs, 64, 4, 0, err), CS_BAD_HEADER);
	CHECK_STR(err, "body length is 0");
	CHECK_INT(header_with(&cs, 64, 4, 20000000, err), CS_TOO_LARGE);
	CHECK_STR(err, "body length 20000000 is over the limit of 4194304");
	CHECK_INT(header_with(&cs, 64, 4, CS_MAX_BODY + 1, err), CS_TOO_LARGE);
	CHECK_INT(header_with(&cs, 64, 4, UINT32_MAX, err), CS_TOO_LARGE);
	CHECK_INT(header_with(&cs, 64, 4, b + 1, err), CS_TRUNCATED);
	CHECK_INT(header_with(&cs, 64, 4, b - 1, err), CS_BAD_HEADER);
	/* Raw length R. */
	CHECK_INT(header_with(&cs, 68, 4, 0, err), CS_BAD_HEADER);
	CHECK_STR(err, "raw length is 0");
	CHECK_INT(header_with(&cs, 68, 4, 200 * b + 1024, err), CS_OK);
	CHECK_INT(header_with(&cs, 68, 4, 200 * b + 1025, err), CS_TOO_LARGE);
	{
		char want[200];

		snprintf(want, sizeof(want), "raw length %u is over 200 x body length %u + 1024 = %u", 200 * b + 1025,
			 b, 200 * b + 1024);
		CHECK_STR(err, want);
	}
	CHECK_INT(header_with(&cs, 68, 4, CS_MAX_RAW + 1, err), CS_TOO_LARGE);
	CHECK_INT(header_with(&cs, 68, 4, UINT32_MAX, err), CS_TOO_LARGE);

	/* The limits themselves are allowed: a 4 MiB body, raw 8 MiB. */
	big = calloc(1, 136 + (size_t)CS_MAX_BODY);
	CHECK(big != NULL);
	if (big) {
		memcpy(big, cs.data, 72);
		set32(big + 64, CS_MAX_BODY);
		set32(big + 68, CS_MAX_RAW);
		CHECK_INT(cs_parse_header(big, 136 + (size_t)CS_MAX_BODY, &h, err, sizeof(err)), CS_OK);
		CHECK_INT(h.body_len, CS_MAX_BODY);
		CHECK_INT(h.raw_len, CS_MAX_RAW);
		set32(big + 68, CS_MAX_RAW + 1);
		CHECK_INT(cs_parse_header(big, 136 + (size_t)CS_MAX_BODY, &h, err, sizeof(err)), CS_TOO_LARGE);
		CHECK_STR(err, "raw length 8388609 is over the limit of 8388608");
		free(big);
	}
	/* A failed parse leaves no half-filled header. */
	CHECK_INT(header_with(&cs, 4, 1, 2, err), CS_UNSUPPORTED_VERSION);
	memset(&h, 0x55, sizeof(h));
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, 10, &h, err, sizeof(err)), CS_TRUNCATED);
	CHECK_INT(h.first, 0);
	CHECK_INT(h.body_len, 0);
	buf_release(&cs);
}

/* Every single-bit flip anywhere is refused: by the header check, or else by the signature. */
static void test_flips(void)
{
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	char err[512];
	struct op o;
	size_t i, len, accepted = 0, by_sig = 0, by_header = 0;
	int bit;

	mkop(&o, ida, 3, 77, "name", "[\"a\",\"b\"]");
	add_base(&o, idb, 2);
	CHECK_INT(cs_encode(ka, &o, 1, &cs, err, sizeof(err)), CS_OK);
	len = cs.len;
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			enum cs_status st;

			cs.data[i] ^= (char)(1 << bit);
			st = cs_parse_header((unsigned char *)cs.data, len, &h, err, sizeof(err));
			if (st == CS_OK) {
				st = cs_verify((unsigned char *)cs.data, len, &h);
				by_sig += st == CS_BAD_SIGNATURE;
			} else {
				by_header++;
			}
			accepted += st == CS_OK;
			cs.data[i] ^= (char)(1 << bit);
		}
	}
	CHECK_INT(accepted, 0);
	CHECK_INT(by_sig + by_header, 2 * len);
	/* Every flip in the signer, the body and the signature is the signature's to catch. */
	CHECK(by_sig >= 2 * (len - 72) + 2 * 32);

	/* Specific places, specific statuses. */
#define FLIP_AT(pos, mask, want) do { \
		enum cs_status want_ = (want); \
		cs.data[pos] ^= (mask); \
		st = cs_parse_header((unsigned char *)cs.data, len, &h, err, sizeof(err)); \
		if (st == CS_OK) \
			st = cs_verify((unsigned char *)cs.data, len, &h); \
		CHECK_INT(st, want_); \
		cs.data[pos] ^= (mask); \
	} while (0)
	{
		enum cs_status st;

		FLIP_AT(0, 1, CS_BAD_MAGIC);
		FLIP_AT(4, 1, CS_UNSUPPORTED_VERSION);
		FLIP_AT(5, 1, CS_BAD_HEADER);
		FLIP_AT(7, 1, CS_BAD_HEADER);
		FLIP_AT(8, 1, CS_BAD_SIGNATURE);       /* signer */
		FLIP_AT(39, 1, CS_BAD_SIGNATURE);
		FLIP_AT(47, 1, CS_BAD_SIGNATURE);      /* first 3 -> 2: still valid, signed */
		FLIP_AT(55, 1, CS_BAD_HEADER);         /* last 3 -> 2: below first */
		FLIP_AT(56, 0x80, CS_BAD_HEADER);      /* hlc >= 2^63 */
		FLIP_AT(56, 0x40, CS_BAD_HEADER);      /* hlc >= 2^62: over HLC_MAX */
		FLIP_AT(63, 1, CS_BAD_SIGNATURE);      /* hlc */
		/* B +- 1: the length no longer matches, one way or the other. */
		FLIP_AT(67, 1, (cs.data[67] & 1) ? CS_BAD_HEADER : CS_TRUNCATED);
		FLIP_AT(71, 1, CS_BAD_SIGNATURE);      /* R +-1 */
		FLIP_AT(72, 1, CS_BAD_SIGNATURE);      /* body */
		FLIP_AT(len - 65, 1, CS_BAD_SIGNATURE);
		FLIP_AT(len - 64, 1, CS_BAD_SIGNATURE);   /* signature */
		FLIP_AT(len - 1, 1, CS_BAD_SIGNATURE);
	}
#undef FLIP_AT
	/* cs_verify refuses a header that is not these bytes' own. */
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, len, &h, err, sizeof(err)), CS_OK);
	CHECK_INT(cs_verify((unsigned char *)cs.data, len, &h), CS_OK);
	h.raw_len++;
	CHECK_INT(cs_verify((unsigned char *)cs.data, len, &h), CS_BAD_SIGNATURE);
	h.raw_len--;
	CHECK_INT(cs_verify((unsigned char *)cs.data, len - 1, &h), CS_BAD_SIGNATURE);
	/* Signed by another key than the one in the header. */
	keys_sign(kb, cs.data, len - 64, (unsigned char *)cs.data + len - 64);
	CHECK_INT(cs_verify((unsigned char *)cs.data, len, &h), CS_BAD_SIGNATURE);
	buf_release(&cs);
}

static void test_flip_in_last_seq(void)
{
	/* first 2, last 3: flipping the low bit of last (3 -> 2) keeps the header valid; of first (2 -> 3) too. */
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	struct op o[2];
	char err[512];

	mkop(&o[0], ida, 2, 1, "a", "1");
	mkop(&o[1], ida, 3, 1, "b", "2");
	CHECK_INT(cs_encode(ka, o, 2, &cs, err, sizeof(err)), CS_OK);
	cs.data[55] ^= 1;
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_OK);
	CHECK_INT(h.last, 2);
	CHECK_INT(cs_verify((unsigned char *)cs.data, cs.len, &h), CS_BAD_SIGNATURE);
	cs.data[55] ^= 1;
	cs.data[55] ^= 2;   /* 3 -> 1: below first */
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_BAD_HEADER);
	buf_release(&cs);
}

static void test_body_inflate(void)
{
	const char *json = "[{\"seq\":1,\"hlc\":5,\"record\":\"" REC "\",\"form\":\"f\",\"version\":\"1\",\"field\":"
			   "\"name\",\"value\":\"x\",\"base\":[]}]";
	size_t jlen = strlen(json), blen;
	struct buf cs = BUF_INIT(1 << 20), body = BUF_INIT(1 << 20);
	unsigned char *z = deflated(json, jlen, 6, &blen);
	struct cs_ops ops;
	char err[512];

	/* The honest set decodes. */
	signed_set(&cs, ka, 1, 1, 5, z, blen, (uint32_t)jlen);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_OK);
	CHECK_INT(ops.n, 1);
	CHECK_STR(ops.n ? ops.ops[0].form : NULL, "f");
	cs_ops_release(&ops);

	/* Not zlib at all. */
	signed_set(&cs, ka, 1, 1, 5, "hello, world", 12, 12);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
	CHECK(strstr(err, "not a zlib deflate stream") != NULL);
	CHECK(ops.ops == NULL && ops.n == 0 && ops.owner == NULL);

	/* R one less or one more than the text. */
	signed_set(&cs, ka, 1, 1, 5, z, blen, (uint32_t)jlen - 1);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
	{
		char want[200];

		snprintf(want, sizeof(want), "the body inflates to more than the %zu bytes the header says", jlen - 1);
		CHECK_STR(err, want);
		signed_set(&cs, ka, 1, 1, 5, z, blen, (uint32_t)jlen + 1);
		CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
		snprintf(want, sizeof(want), "the body inflates to %zu bytes, not the %zu the header says", jlen,
			 jlen + 1);
		CHECK_STR(err, want);
	}

	/* Trailing bytes after the stream. */
	buf_reset(&body);
	buf_add(&body, z, blen);
	buf_add(&body, "\0\0", 2);
	signed_set(&cs, ka, 1, 1, 5, body.data, body.len, (uint32_t)jlen);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
	CHECK_STR(err, "the body has 2 bytes after the end of its deflate stream");

	/* A stream that does not end: cut before the checksum, and in the middle. */
	signed_set(&cs, ka, 1, 1, 5, z, blen - 4, (uint32_t)jlen);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
	CHECK(strstr(err, "stops before its end") != NULL);
	signed_set(&cs, ka, 1, 1, 5, z, blen / 2, (uint32_t)jlen);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);

	/* A wrong checksum. */
	z[blen - 1] ^= 1;
	signed_set(&cs, ka, 1, 1, 5, z, blen, (uint32_t)jlen);
	CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
	CHECK(strstr(err, "incorrect data check") != NULL);
	z[blen - 1] ^= 1;
	free(z);

	/* Raw deflate and gzip are not the zlib format; a stream needing a dictionary is refused. */
	{
		static const int wbits[] = { -15, 31 };
		unsigned char out[1024];
		z_stream s;
		int i;

		for (i = 0; i < 3; i++) {
			memset(&s, 0, sizeof(s));
			CHECK_INT(deflateInit2(&s, 6, Z_DEFLATED, i < 2 ? wbits[i] : 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
			if (i == 2)
				CHECK_INT(deflateSetDictionary(&s, (const Bytef *)"seqhlcrecord", 12), Z_OK);
			s.next_in = (Bytef *)json;
			s.avail_in = (uInt)jlen;
			s.next_out = out;
			s.avail_out = sizeof(out);
			CHECK_INT(deflate(&s, Z_FINISH), Z_STREAM_END);
			signed_set(&cs, ka, 1, 1, 5, out, s.total_out, (uint32_t)jlen);
			deflateEnd(&s);
			CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_BODY);
			if (i == 2)
				CHECK_STR(err, "the body's deflate stream needs a preset dictionary");
		}
	}
	buf_release(&body);
	buf_release(&cs);
}

/* 1 MiB of zeros deflates to about 1 KiB. Claimed honestly it breaks the ratio; claimed small it is cut off
 * at R + 1 bytes, and the reader allocates no more than that and zlib's own state. */
static void test_inflate_bomb(void)
{
	size_t n = (size_t)1 << 20, blen;
	char *zeros = calloc(1, n);
	unsigned char *z = deflated(zeros, n, 9, &blen);
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	struct cs_ops ops;
	char err[512];

	CHECK(blen < 2048);
	signed_set(&cs, ka, 1, 1, 5, z, blen, (uint32_t)n);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_TOO_LARGE);
	CHECK(strstr(err, "raw length 1048576 is over 200 x body length") == err);

	signed_set(&cs, ka, 1, 1, 5, z, blen, 4096);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_OK);
	CHECK_INT(cs_verify((unsigned char *)cs.data, cs.len, &h), CS_OK);
	alloc_total = alloc_max = 0;
	counting = 1;
	CHECK_INT(cs_decode((unsigned char *)cs.data, cs.len, &h, &ops, err, sizeof(err)), CS_BAD_BODY);
	counting = 0;
	CHECK_STR(err, "the body inflates to more than the 4096 bytes the header says");
#ifdef HAVE_HOOKS
	/* R + 1 for the output, zlib's window (32 KiB) and state (about 7 KiB), nothing sized from the stream. */
	CHECK(alloc_max <= 32768);
	CHECK(alloc_total <= 4097 + 48 * 1024);
	CHECK(alloc_total >= 4097);
#else
	printf("# allocation hooks need ASan: the allocation bound was not measured\n");
#endif
	free(z);
	free(zeros);
	buf_release(&cs);
}

static void test_strict_json(void)
{
	char err[512], *deep;
	int i;

	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":1,\"seq\":1,", err, sizeof(err)), CS_BAD_JSON);
	CHECK(strstr(err, "the body is not strict JSON: duplicate object key") == err);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":{\"a\":1,\"a\":2}", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":\"a\\u0000b\"", err, sizeof(err)), CS_BAD_JSON);
	CHECK(strstr(err, "\\u0000 is not allowed") != NULL);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":\"\\ud800\"", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":\"\xff\"", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":\"\xc0\xaf\"", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":'x'", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":NaN", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"base\":[]}]", "\"base\":[],}]", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"base\":[]}]", "\"base\":[]}] x", err, sizeof(err)), CS_BAD_JSON);
	CHECK_INT(try_variant("\"base\":[]}]", "\"base\":[]}][]", err, sizeof(err)), CS_BAD_JSON);
	{
		/* A raw NUL byte in the text. */
		char *json = variant("\"value\":\"x\"", "\"value\":\"x@\"");
		size_t len = strlen(json);
		struct buf cs = BUF_INIT(1 << 20);
		struct cs_ops ops;

		*strchr(json, '@') = '\0';
		json_set_len(&cs, ka, 1, 1, 5, json, len, 6);
		CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_JSON);
		free(json);
		buf_release(&cs);
	}

	/* Nesting: the body's array (1) and op object (2) hold the value, so a value n deep nests the body n + 2
	 * deep. 17 is bad JSON; 16 is JSON but a value over 8 deep; 8 is fine. */
	deep = malloc(100);
	for (i = 8; i <= 15; i++) {
		int d;
		size_t o = 0;
		enum cs_status want = i <= 8 ? CS_OK : i <= 14 ? CS_BAD_OP : CS_BAD_JSON;

		o += (size_t)snprintf(deep + o, 100 - o, "\"value\":");
		for (d = 0; d < i; d++)
			deep[o++] = '[';
		deep[o++] = '1';
		for (d = 0; d < i; d++)
			deep[o++] = ']';
		deep[o] = '\0';
		CHECK_INT(try_variant("\"value\":\"x\"", deep, err, sizeof(err)), want);
		if (i == 9)
			CHECK_STR(err, "op 1 (seq 1): member 'value': it is nested more than 8 deep");
		if (i == 15)
			CHECK_STR(err, "the body nests arrays and objects more than 16 deep");
	}
	free(deep);
	/* Objects count as arrays do; and depth past jansson's own limit is bad JSON too. */
	CHECK_INT(try_variant("\"value\":\"x\"",
			      "\"value\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[]}}}}}}}}}",
			      err, sizeof(err)), CS_BAD_OP);
	{
		char *many = malloc(6000);

		memset(many, '[', 2999);
		memset(many + 2999, ']', 2999);
		many[5998] = '\0';
		CHECK_INT(try_json(1, 1, 5, many, err, sizeof(err)), CS_BAD_JSON);
		free(many);
	}

	/* Any member order and whitespace is read; values come back canonical. */
	{
		const char *json = " [ {\n\"base\" : [ ] , \"value\" : [ \"\\u00e9\" , 1.50 , {\"b\":1, \"a\":\"\\/\"} ] ,"
				   "\"field\":\"name\",\"version\":\"3\",\"form\":\"f\",\"record\":\"" REC "\",\r\n"
				   "\"hlc\":5,\"seq\":1}\t] ";
		struct buf cs = BUF_INIT(1 << 20);
		struct cs_ops ops;

		json_set(&cs, ka, 1, 1, 5, json);
		CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_OK);
		CHECK_STR(ops.n ? ops.ops[0].value : NULL, "[\"\xc3\xa9\",1.5,{\"a\":\"/\",\"b\":1}]");
		cs_ops_release(&ops);
		buf_release(&cs);
	}
}

static void test_op_members(void)
{
	char err[512];

	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":1,", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":1,\"note\":\"hi\",", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): unknown member 'note'");
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":1,\"\":0,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): unknown member ''");
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":1,\"a\\nb\":0,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): unknown member 'a\\x0ab'");
	CHECK_INT(try_variant("\"hlc\":5,", "", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'hlc' is missing");
	CHECK_INT(try_variant(",\"base\":[]", "", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base' is missing");
	CHECK_INT(try_variant("\"value\":\"x\",", "", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'value' is missing");

	/* Types. */
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":\"1\",", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'seq' is a string, not an integer");
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":1.0,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'seq' is a real number, not an integer");
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":0,", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"seq\":1,", "\"seq\":-1,", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"hlc\":5,", "\"hlc\":null,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'hlc' is null, not an integer");
	CHECK_INT(try_variant("\"hlc\":5,", "\"hlc\":-5,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'hlc': -5 is negative");
	CHECK_INT(try_variant("\"hlc\":5,", "\"hlc\":4611686018427387904,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'hlc': 4611686018427387904 is over 2^62 - 1");
	CHECK_INT(try_variant("\"hlc\":5,", "\"hlc\":9223372036854775807,", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'hlc': 9223372036854775807 is over 2^62 - 1");
	CHECK_INT(try_variant("\"hlc\":5,", "\"hlc\":5e0,", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"record\":\"" REC "\"", "\"record\":7", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'record' is an integer, not a string");
	CHECK_INT(try_variant("\"record\":\"" REC "\"", "\"record\":\"0F8FAD5B-D9CB-469F-A165-70867728950E\"", err,
			      sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'record': '0F8FAD5B-D9CB-469F-A165-70867728950E' is not a lowercase "
		  "UUID");
	CHECK_INT(try_variant("\"record\":\"" REC "\"", "\"record\":\"" REC "0\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"record\":\"" REC "\"", "\"record\":\"\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":[\"partnership\"]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'form' is an array, not a string");
	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":3", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'version' is an integer, not a string");
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":true", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":{}", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base' is an object, not an array");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":null", err, sizeof(err)), CS_BAD_OP);

	/* Every JSON type is a value. */
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":null", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":false", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":-2.5e-3", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":{\"decision\":\"approved\"}", err, sizeof(err)), CS_OK);

	/* Not an array of objects. */
	CHECK_INT(try_json(1, 1, 5, "{\"seq\":1}", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "the body is an object, not an array of ops");
	CHECK_INT(try_json(1, 1, 5, "7", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_json(1, 1, 5, "[7]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): is an integer, not an object");
}

static void test_op_names(void)
{
	char err[512];
	char name65[80];

	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"partner ship\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'form': 'partner ship' is not a form id (it may hold only A-Z a-z 0-9 "
		  "_ . -)");
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"9lives\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'form': '9lives' is not a form id (it must not start with a digit, '.' "
		  "or '-')");
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\".x\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"-x\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"_x.y-Z\"", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'form': '' is not a form id (it is empty)");
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"caf\xc3\xa9\"", err, sizeof(err)), CS_BAD_OP);
	memset(name65, 'a', sizeof(name65));
	memcpy(name65, "\"form\":\"", 8);
	name65[8 + 64] = '"';
	name65[8 + 65] = '\0';
	CHECK_INT(try_variant("\"form\":\"partnership\"", name65, err, sizeof(err)), CS_OK);   /* 64 characters */
	name65[8 + 64] = 'a';
	name65[8 + 65] = '"';
	name65[8 + 66] = '\0';
	CHECK_INT(try_variant("\"form\":\"partnership\"", name65, err, sizeof(err)), CS_BAD_OP);
	CHECK(strstr(err, "is longer than 64 characters") != NULL);

	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":\"3.0-rc_1\"", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":\".3\"", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":\"3/4\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'version': '3/4' is not a form version (it may hold only A-Z a-z 0-9 _ "
		  ". -)");
	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":\"\"", err, sizeof(err)), CS_BAD_OP);

	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"_deleted\"", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"_review\"", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"a1.b-c_\"", err, sizeof(err)), CS_OK);
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"1abc\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'field': '1abc' is not a question name (it must start with a letter or "
		  "'_')");
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\".abc\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"a b\"", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"\"", err, sizeof(err)), CS_BAD_OP);

	/* The message names the op by its place and seq. */
	{
		char json[2048];
		size_t o = 0;
		int i;

		o += (size_t)snprintf(json + o, sizeof(json) - o, "[");
		for (i = 0; i < 3; i++)
			o += (size_t)snprintf(json + o, sizeof(json) - o, "%s{\"seq\":%d,\"hlc\":5,\"record\":\"" REC
					      "\",\"form\":\"f\",\"version\":\"1\",\"field\":\"%s\",\"value\":1,"
					      "\"base\":[]}", i ? "," : "", 10 + i, i == 2 ? "1abc" : "ok");
		snprintf(json + o, sizeof(json) - o, "]");
		CHECK_INT(try_json(10, 12, 5, json, err, sizeof(err)), CS_BAD_OP);
		CHECK_STR(err, "op 3 (seq 12): member 'field': '1abc' is not a question name (it must start with a "
			  "letter or '_')");
	}
}

static void test_op_seqs(void)
{
	char err[512], json[4096];
	size_t o;

#define OPJ(seq, hlc) "{\"seq\":" #seq ",\"hlc\":" #hlc ",\"record\":\"" REC "\",\"form\":\"f\",\"version\":\"1\"," \
		      "\"field\":\"a\",\"value\":1,\"base\":[]}"
	CHECK_INT(try_json(1, 3, 9, "[" OPJ(1, 9) "," OPJ(2, 3) "," OPJ(3, 4) "]", err, sizeof(err)), CS_OK);
	/* A gap, a repeat, and the wrong order. */
	CHECK_INT(try_json(1, 3, 9, "[" OPJ(1, 9) "," OPJ(3, 3) "," OPJ(4, 4) "]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 2 (seq 2): member 'seq': 3, expected 2 (the seqs must run 1..3 in order)");
	CHECK_INT(try_json(1, 3, 9, "[" OPJ(1, 9) "," OPJ(1, 3) "," OPJ(3, 4) "]", err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_json(1, 3, 9, "[" OPJ(2, 9) "," OPJ(1, 3) "," OPJ(3, 4) "]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'seq': 2, expected 1 (the seqs must run 1..3 in order)");
	/* The seqs must match the header's, not just run on. */
	CHECK_INT(try_json(5, 7, 9, "[" OPJ(1, 9) "," OPJ(2, 3) "," OPJ(3, 4) "]", err, sizeof(err)), CS_BAD_OP);
	/* Count mismatches. */
	CHECK_INT(try_json(1, 3, 9, "[" OPJ(1, 9) "," OPJ(2, 3) "]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "the body holds 2 ops, but the header's seqs 1..3 make 3");
	CHECK_INT(try_json(1, 1, 9, "[" OPJ(1, 9) "," OPJ(2, 3) "]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "the body holds 2 ops, but the header's seqs 1..1 make 1");
	CHECK_INT(try_json(1, 1, 9, "[]", err, sizeof(err)), CS_BAD_OP);
	/* The header's hlc is the highest of the ops'. */
	CHECK_INT(try_json(1, 3, 8, "[" OPJ(1, 9) "," OPJ(2, 3) "," OPJ(3, 4) "]", err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "the header's hlc 8 is not the highest of the ops' hlc, 9");
	CHECK_INT(try_json(1, 3, 10, "[" OPJ(1, 9) "," OPJ(2, 3) "," OPJ(3, 4) "]", err, sizeof(err)), CS_BAD_OP);
	/* Seqs near the top of the range, and the highest stamp. */
	o = (size_t)snprintf(json, sizeof(json), "[{\"seq\":9223372036854775807,\"hlc\":4611686018427387903,"
			     "\"record\":\"" REC "\",\"form\":\"f\",\"version\":\"1\",\"field\":\"a\",\"value\":1,"
			     "\"base\":[]}]");
	CHECK(o < sizeof(json));
	CHECK_INT(try_json((uint64_t)INT64_MAX, (uint64_t)INT64_MAX, HLC_MAX, json, err, sizeof(err)), CS_OK);
#undef OPJ
}

static void test_op_base(void)
{
	char err[512], self[200], other[200], big[8192];
	size_t o;
	int i;

	snprintf(other, sizeof(other), "\"base\":[[\"%s\",1],[\"%s\",2],[\"%s\",1]]", idb, idb, ida + 0);
	/* Naming another device's seq 1, or this device's seq 1 from op 1... is itself: refused. */
	CHECK_INT(try_variant("\"base\":[]", other, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 3 names the op itself");
	snprintf(other, sizeof(other), "\"base\":[[\"%s\",1],[\"%s\",2],[\"%s\",2]]", idb, idb, ida);
	CHECK_INT(try_variant("\"base\":[]", other, err, sizeof(err)), CS_OK);
	snprintf(self, sizeof(self), "\"base\":[[\"%s\",1]]", ida);
	CHECK_INT(try_variant("\"base\":[]", self, err, sizeof(err)), CS_BAD_OP);
	/* Repeats. */
	snprintf(other, sizeof(other), "\"base\":[[\"%s\",1],[\"%s\",2],[\"%s\",1]]", idb, idb, idb);
	CHECK_INT(try_variant("\"base\":[]", other, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 3 repeats entry 1");
	/* Device ids: 32 lowercase hex characters. */
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789ABCDEF0123456789abcdef\",1]]", err, sizeof(err)),
		  CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 1: '0123456789ABCDEF0123456789abcdef' is not a device id "
		  "(32 lowercase hex characters)");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcde\",1]]", err, sizeof(err)),
		  CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdefa\",1]]", err, sizeof(err)),
		  CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdeg\",1]]", err, sizeof(err)),
		  CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdef\",1]]", err, sizeof(err)),
		  CS_OK);
	/* Entry shapes. */
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdef\",0]]", err, sizeof(err)),
		  CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 1: seq 0 is not 1 or more");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdef\",\"1\"]]", err,
			      sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 1 is not [device id, seq]");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdef\",1,2]]", err,
			      sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"0123456789abcdef0123456789abcdef\"]]", err, sizeof(err)),
		  CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[{\"device\":\"0123456789abcdef0123456789abcdef\",\"seq\":1}]",
			      err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[1,\"0123456789abcdef0123456789abcdef\"]]", err, sizeof(err)),
		  CS_BAD_OP);
	/* At most 64 entries. */
	for (i = 64; i <= 65; i++) {
		int j;

		o = (size_t)snprintf(big, sizeof(big), "\"base\":[");
		for (j = 0; j < i; j++)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "%s[\"%s\",%d]", j ? "," : "", idb, j + 1);
		snprintf(big + o, sizeof(big) - o, "]");
		CHECK_INT(try_variant("\"base\":[]", big, err, sizeof(err)), i == 64 ? CS_OK : CS_BAD_OP);
	}
	CHECK_STR(err, "op 1 (seq 1): member 'base': 65 entries, over the limit of 64");
}

/* A value of exactly 64 KiB of canonical text is the most there may be. */
static void test_op_value_size(void)
{
	size_t n = CS_MAX_VALUE + 200, o;
	char *v = malloc(n), *json;
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_ops ops;
	char err[512];
	int extra;

	for (extra = 0; extra <= 1; extra++) {
		/* "aaa...": 2 quotes + 65534 + extra letters. */
		o = (size_t)snprintf(v, n, "\"value\":\"");
		memset(v + o, 'a', CS_MAX_VALUE - 2 + (size_t)extra);
		o += CS_MAX_VALUE - 2 + (size_t)extra;
		snprintf(v + o, n - o, "\"");
		json = variant("\"value\":\"x\"", v);
		/* Stored, so the ratio cap does not get in the way. */
		json_set_len(&cs, ka, 1, 1, 5, json, strlen(json), 0);
		CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), extra ? CS_BAD_OP : CS_OK);
		if (extra)
			CHECK_STR(err, "op 1 (seq 1): member 'value': its canonical text is over the limit of 65536 "
				  "bytes");
		else
			CHECK_INT(ops.n ? strlen(ops.ops[0].value) : 0, CS_MAX_VALUE);
		cs_ops_release(&ops);
		free(json);
	}
	/* An escape makes the canonical text one byte longer than the string: 65532 letters and a newline are
	 * 65536 bytes as "a...a\n", 65533 letters and a newline one too many. */
	for (extra = 0; extra <= 1; extra++) {
		o = (size_t)snprintf(v, n, "\"value\":\"");
		memset(v + o, 'a', CS_MAX_VALUE - 4 + (size_t)extra);
		o += CS_MAX_VALUE - 4 + (size_t)extra;
		snprintf(v + o, n - o, "\\n\"");
		json = variant("\"value\":\"x\"", v);
		json_set_len(&cs, ka, 1, 1, 5, json, strlen(json), 0);
		CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), extra ? CS_BAD_OP : CS_OK);
		if (!extra)
			CHECK_INT(ops.n ? strlen(ops.ops[0].value) : 0, CS_MAX_VALUE);
		cs_ops_release(&ops);
		free(json);
	}
	/* Short as written, long once canonical: 1e300 is 1.0000000000000001e300. The canonical text is what
	 * counts. */
	{
		size_t k, cnt = 3000;

		o = (size_t)snprintf(v, n, "\"value\":[");
		for (k = 0; k < cnt; k++)
			o += (size_t)snprintf(v + o, n - o, "%s1e300", k ? "," : "");
		snprintf(v + o, n - o, "]");
		json = variant("\"value\":\"x\"", v);
		json_set_len(&cs, ka, 1, 1, 5, json, strlen(json), 0);
		CHECK(strlen(json) < CS_MAX_VALUE);
		CHECK_INT(read_all(cs.data, cs.len, &ops, err, sizeof(err)), CS_BAD_OP);
		CHECK_STR(err, "op 1 (seq 1): member 'value': its canonical text is over the limit of 65536 bytes");
		cs_ops_release(&ops);
		free(json);
	}
	free(v);
	buf_release(&cs);
}

static void test_encode_refusals(void)
{
	struct buf cs = BUF_INIT(1 << 20);
	char err[512], *longv;
	struct op o[3];

	mkop(&o[0], ida, 1, 5, "name", "\"x\"");
	CHECK_INT(cs_encode(ka, o, 0, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "no ops to encode");
	CHECK_INT(cs_encode(ka, o, CS_MAX_OPS + 1, &cs, err, sizeof(err)), CS_TOO_LARGE);
	CHECK_STR(err, "10001 ops, over the limit of 10000 in one change set");
	/* Another device's op, even with a valid signature of our own. */
	mkop(&o[0], idb, 1, 5, "name", "\"x\"");
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	{
		char want[300];

		snprintf(want, sizeof(want), "op 1 (seq 1): made by device '%s', not by the signing key's device %s",
			 idb, ida);
		CHECK_STR(err, want);
	}
	CHECK_INT(cs_encode(kb, o, 1, &cs, err, sizeof(err)), CS_OK);
	buf_reset(&cs);
	/* Seqs. */
	mkop(&o[0], ida, 1, 5, "a", "1");
	mkop(&o[1], ida, 3, 5, "b", "1");
	CHECK_INT(cs_encode(ka, o, 2, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 2 (seq 2): member 'seq': 3, expected 2 (seqs must be consecutive)");
	o[1].seq = 1;
	CHECK_INT(cs_encode(ka, o, 2, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].seq = 0;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].seq = (uint64_t)INT64_MAX + 1;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].seq = (uint64_t)INT64_MAX;
	o[1].seq = (uint64_t)INT64_MAX + 1;
	CHECK_INT(cs_encode(ka, o, 2, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_OK);
	buf_reset(&cs);
	o[0].seq = 1;
	o[0].hlc = (uint64_t)INT64_MAX + 1;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	/* The encoder writes nothing a reader would refuse: a stamp just below 2^63 neither. */
	o[0].hlc = (uint64_t)INT64_MAX;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'hlc': 9223372036854775807 is over 2^62 - 1");
	o[0].hlc = HLC_MAX + 1;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].hlc = HLC_MAX;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_OK);
	{
		struct cs_ops got;

		CHECK_INT(read_all(cs.data, cs.len, &got, err, sizeof(err)), CS_OK);
		CHECK(got.n == 1 && got.ops[0].hlc == HLC_MAX);
		cs_ops_release(&got);
	}
	buf_reset(&cs);
	o[0].hlc = 5;

	/* Values must be canonical JSON text already. */
	{
		static const char *bad[] = { "[1, 2]", "1.50", "{\"b\":1,\"a\":2}", "[1,", "", "'x'", "\"\\/\"",
					     "\"\\u00e9\"", "1E2", " 1", "{\"a\":1,\"a\":1}", "\"a\\u0000\"" };
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			o[0].value = bad[k];
			CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
		}
		o[0].value = "[1, 2]";
		CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
		CHECK_STR(err, "op 1 (seq 1): member 'value': '[1, 2]' is not canonical text (that is '[1,2]')");
		o[0].value = "[[[[[[[[[1]]]]]]]]]";
		CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
		CHECK_STR(err, "op 1 (seq 1): member 'value': it is nested more than 8 deep");
		o[0].value = NULL;
		CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
		CHECK_STR(err, "op 1 (seq 1): member 'value' is missing");
	}
	longv = malloc(CS_MAX_VALUE + 2);
	memset(longv, 'a', CS_MAX_VALUE + 1);
	longv[0] = longv[CS_MAX_VALUE] = '"';
	longv[CS_MAX_VALUE + 1] = '\0';
	o[0].value = longv;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	longv[CS_MAX_VALUE - 1] = '"';
	longv[CS_MAX_VALUE] = '\0';
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_OK);
	buf_reset(&cs);
	free(longv);
	o[0].value = "1";

	/* Names, record, base. */
	o[0].field = "1abc";
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'field': '1abc' is not a question name (it must start with a letter or "
		  "'_')");
	o[0].field = NULL;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].field = "name";
	o[0].form = "a b";
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].form = "f";
	o[0].form_version = "";
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].form_version = "1";
	o[0].record[3] = 'X';
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	snprintf(o[0].record, sizeof(o[0].record), "%s", REC);
	add_base(&o[0], ida, 1);
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 1 names the op itself");
	testop_base(&o[0], o[0].nbase)[0].seq = 0;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	testop_base(&o[0], o[0].nbase)[0].seq = 2;
	add_base(&o[0], ida, 2);
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	CHECK_STR(err, "op 1 (seq 1): member 'base': entry 2 repeats entry 1");
	o[0].nbase = 1;
	testop_base(&o[0], o[0].nbase)[0].device[0] = 'G';
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].nbase = MERGE_MAX_BASE + 1;
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_BAD_OP);
	o[0].nbase = 0;
	CHECK_INT(cs.len, 0);   /* nothing written by any refusal */

	/* An output buffer too small: too large, the buffer as it was. */
	{
		struct buf small = BUF_INIT(100);

		CHECK_INT(buf_adds(&small, "xy"), 0);
		CHECK_INT(cs_encode(ka, o, 1, &small, err, sizeof(err)), CS_TOO_LARGE);
		CHECK_INT(small.len, 2);
		CHECK_STR(small.data, "xy");
		buf_release(&small);
	}
	/* Otherwise the change set is appended. */
	CHECK_INT(buf_adds(&cs, "xy"), 0);
	CHECK_INT(cs_encode(ka, o, 1, &cs, err, sizeof(err)), CS_OK);
	CHECK(!memcmp(cs.data, "xySNDC", 6));
	buf_release(&cs);
}

/* Text that deflates better than the ratio cap still makes a change set every reader accepts. */
static void test_encode_compressible(void)
{
	size_t n = 60000;
	char *v = malloc(n + 3);
	struct op o[3];
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	char err[512];
	int i;

	memset(v, 'a', n + 2);
	v[0] = v[n + 1] = '"';
	v[n + 2] = '\0';
	for (i = 0; i < 3; i++)
		mkop(&o[i], ida, 1 + (uint64_t)i, 5, "name", v);
	round_trip(o, 3);
	CHECK_INT(cs_encode(ka, o, 3, &cs, err, sizeof(err)), CS_OK);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_OK);
	CHECK(h.raw_len > 3 * n);
	CHECK(h.body_len >= h.raw_len);   /* stored: level 6 would have made ~600 bytes */
	free(v);
	buf_release(&cs);
}

/* cs_decode refuses a header that is not the data's own, and failures leave out empty. */
static void test_decode_contract(void)
{
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	struct cs_ops ops;
	char err[512];
	struct op o;

	mkop(&o, ida, 1, 5, "name", "\"x\"");
	CHECK_INT(cs_encode(ka, &o, 1, &cs, err, sizeof(err)), CS_OK);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_OK);
	h.raw_len = 10;
	memset(&ops, 0x5a, sizeof(ops));
	CHECK_INT(cs_decode((unsigned char *)cs.data, cs.len, &h, &ops, err, sizeof(err)), CS_BAD_HEADER);
	CHECK(ops.ops == NULL && ops.n == 0 && ops.owner == NULL);
	CHECK_INT(cs_decode((unsigned char *)cs.data, 50, &h, &ops, err, sizeof(err)), CS_TRUNCATED);
	/* Releasing twice, or an empty set, is harmless. */
	cs_ops_release(&ops);
	cs_ops_release(&ops);
	cs_ops_release(NULL);
	/* resign() is how the other tests reach the later steps: make sure it signs what they changed. */
	cs.data[71] ^= 1;
	resign(&cs, ka);
	CHECK_INT(cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)), CS_OK);
	CHECK_INT(cs_verify((unsigned char *)cs.data, cs.len, &h), CS_OK);
	CHECK_INT(cs_decode((unsigned char *)cs.data, cs.len, &h, &ops, err, sizeof(err)), CS_BAD_BODY);
	buf_release(&cs);
}

int main(void)
{
	int i;

	snprintf(dir, sizeof(dir), "%s/test_changeset.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (sodium_init() < 0 || !mkdtemp(dir)) {
		perror("test_changeset setup");
		return 1;
	}
	ka = make_key("a", ida);
	kb = make_key("b", idb);
	rmdir(dir);
#ifdef HAVE_HOOKS
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#endif
	RUN(test_codes);
	RUN(test_one_op_exact_bytes);
	RUN(test_round_trips);
	RUN(test_truncated);
	RUN(test_header_fields);
	RUN(test_flips);
	RUN(test_flip_in_last_seq);
	RUN(test_body_inflate);
	RUN(test_inflate_bomb);
	RUN(test_strict_json);
	RUN(test_op_members);
	RUN(test_op_names);
	RUN(test_op_seqs);
	RUN(test_op_base);
	RUN(test_op_value_size);
	RUN(test_encode_refusals);
	RUN(test_encode_compressible);
	RUN(test_decode_contract);
	keys_free(ka);
	keys_free(kb);
	for (i = 0; i < ncanon; i++)
		free(canon_store[i]);
	return test_done();
}
