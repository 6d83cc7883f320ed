/* fuzz_changeset.c - libFuzzer target for proto/changeset.c and the op codec behind it (proto/opjson.c), also
 * as proto/pull.c reads it in a pull answer.
 *
 * Each input is used three times:
 *   1. as a whole change set, the way a server receives one: cs_parse_header, cs_verify and (if it verifies,
 *      which mutated data almost never does) cs_decode;
 *   2. as the body of a change set that this target signs with a fixed test key, so that the fuzzer reaches
 *      the inflate, JSON and op checks behind the signature. The first byte chooses how:
 *        bit 0 clear: the rest is the JSON text, deflated here at level (byte >> 1) % 10;
 *        bit 0 set:   the rest is the zlib stream itself; R is its true inflated length, or that +- 1 when
 *                     bits 1-2 say so.
 *      The header's first, last and hlc are taken from the JSON when it is an array of ops (first = the first
 *      op's seq, last = first + count - 1, hlc = the highest op hlc) so that mutations reach every op.
 *   3. as the text of a pull answer (GET /v1/pull) of version 1 and of version 2, the way a device reads one:
 *      pull_answer_decode.
 * When a decode succeeds the ops must survive a round trip: cs_encode with the same key (or pull_writer, for
 * a pull answer, with the same reviewers and cursor) accepts them, and decoding that gives the same ops again.
 * Anything else aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. With
 * FUZZ_VERBOSE=1 in the environment it prints the status and message of each read, to check what a corpus
 * file reaches. */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "changeset.h"
#include "jsonc.h"
#include "pull.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keys *key;
static char dir[256], key_path[300];
static int verbose;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_changeset: %s\n", what);
	abort();
}

static void cleanup(void)
{
	keys_free(key);
	key = NULL;
	if (key_path[0])
		unlink(key_path);
	if (dir[0])
		rmdir(dir);
}

/* The test key: a fixed seed written as a Sondeo secret key file (keys.c's format) and loaded through
 * keys_load, so that cs_encode can sign with it and every run signs the same bytes. */
static void setup(void)
{
	static const char header[] = "sondeo ed25519 secret key v1\n";
	unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char hex[2 * sizeof(sk) + 2], err[256];
	int fd;

	if (key)
		return;
	if (sodium_init() < 0)
		die("sodium_init failed");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	memset(seed, 0x5d, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2hex(hex, sizeof(hex), sk, sizeof(sk));
	hex[2 * sizeof(sk)] = '\n';
	hex[2 * sizeof(sk) + 1] = '\0';
	sodium_memzero(sk, sizeof(sk));
	snprintf(dir, sizeof(dir), "%s/fuzz_changeset.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		die("cannot make a temporary directory");
	snprintf(key_path, sizeof(key_path), "%s/test.key", dir);
	fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, header, strlen(header)) != (ssize_t)strlen(header) ||
	    write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || close(fd) < 0)
		die("cannot write the test key");
	key = keys_load(key_path, err, sizeof(err));
	if (!key)
		die(err);
	atexit(cleanup);
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

/* Step 1 to 6 as a reader runs them; the decoded ops in *ops on CS_OK. */
static enum cs_status read_set(const unsigned char *cs, size_t len, struct cs_ops *ops, const char *what)
{
	struct cs_header h;
	enum cs_status st;
	char err[512] = "";

	memset(ops, 0, sizeof(*ops));
	st = cs_parse_header(cs, len, &h, err, sizeof(err));
	if (st == CS_OK) {
		st = cs_verify(cs, len, &h);
		if (st == CS_OK) {
			st = cs_decode(cs, len, &h, ops, err, sizeof(err));
			if (st != CS_OK && (ops->ops || ops->n || ops->owner))
				die("a failed decode left ops behind");
		}
	}
	if (verbose)
		fprintf(stderr, "%s: %s%s%s\n", what, cs_code(st), err[0] ? ": " : "", err);
	return st;
}

static int same_ops(const struct cs_ops *a, const struct cs_ops *b)
{
	size_t i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct op *x = &a->ops[i], *y = &b->ops[i];

		if (strcmp(x->device, y->device) || x->seq != y->seq || x->hlc != y->hlc || strcmp(x->record, y->record) ||
		    strcmp(x->form, y->form) || strcmp(x->form_version, y->form_version) || strcmp(x->field, y->field) ||
		    strcmp(x->value, y->value) || x->nbase != y->nbase)
			return 0;
		for (j = 0; j < x->nbase; j++) {
			if (strcmp(x->base[j].device, y->base[j].device) || x->base[j].seq != y->base[j].seq)
				return 0;
		}
	}
	return 1;
}

/* What a decoded change set must satisfy: every op by the signer, values canonical, and a round trip
 * through the writer that gives the same ops. */
static void check_decoded(const struct cs_ops *ops)
{
	char id[KEYS_ID_STRLEN + 1], err[512];
	struct buf again = BUF_INIT((size_t)128 << 20);
	struct cs_ops back;
	size_t i;

	keys_id(keys_public(key), id);
	for (i = 0; i < ops->n; i++) {
		json_t *v = json_loads(ops->ops[i].value, JSON_DECODE_ANY, NULL);
		char *t = v ? jsonc_dumps(v) : NULL;

		if (!t || strcmp(t, ops->ops[i].value))
			die("a decoded value is not canonical");
		free(t);
		json_decref(v);
		if (strcmp(ops->ops[i].device, id))
			die("a decoded op is not the signer's");
	}
	if (cs_encode(key, ops->ops, ops->n, &again, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "fuzz_changeset: %s\n", err);
		die("the writer refuses ops the reader accepted");
	}
	if (read_set((unsigned char *)again.data, again.len, &back, "  re-encoded") != CS_OK)
		die("the reader refuses what the writer made of its own ops");
	if (!same_ops(ops, &back))
		die("ops changed in a round trip");
	cs_ops_release(&back);
	buf_release(&again);
}

/* Header fields that let the JSON text's ops line up with the header: first from the first op's seq,
 * the count from the array, hlc the highest op hlc. Defaults for anything else. */
static void guess_fields(const char *json, size_t len, uint64_t *first, uint64_t *last, uint64_t *hlc)
{
	json_t *root = json_loadb(json, len, JSON_DECODE_ANY, NULL), *op;
	size_t n = 1, i;

	*first = 1;
	*hlc = 0;
	if (json_is_array(root) && json_array_size(root) > 0) {
		json_t *s = json_object_get(json_array_get(root, 0), "seq");

		n = json_array_size(root);
		if (json_is_integer(s) && json_integer_value(s) >= 1 && json_integer_value(s) <= INT64_MAX - 200000)
			*first = (uint64_t)json_integer_value(s);
		json_array_foreach(root, i, op) {
			json_t *t = json_object_get(op, "hlc");

			if (json_is_integer(t) && json_integer_value(t) >= 0 && (uint64_t)json_integer_value(t) > *hlc)
				*hlc = (uint64_t)json_integer_value(t);
		}
	}
	*last = *first + (n > CS_MAX_OPS ? CS_MAX_OPS : n) - 1;
	json_decref(root);
}

/* The inflated length of a zlib stream, if it is one that ends, within limit; else 0. */
static size_t inflated_len(const unsigned char *z, size_t len, size_t limit, char **text)
{
	uLongf out = (uLongf)limit;
	uLong in = (uLong)len;
	char *b = malloc(limit + 1);

	*text = NULL;
	if (!b)
		return 0;
	if (uncompress2((Bytef *)b, &out, z, &in) != Z_OK) {
		free(b);
		return 0;
	}
	b[out] = '\0';
	*text = b;
	return out;
}

/* A change set of body[0..blen) claiming raw length rlen, signed with the test key. */
static void signed_run(const unsigned char *body, size_t blen, uint32_t rlen, uint64_t first, uint64_t last,
		       uint64_t hlc)
{
	size_t len = CS_HEADER_BYTES + blen + CS_SIG_BYTES;
	unsigned char *cs = malloc(len);
	struct cs_header h;
	struct cs_ops ops;
	enum cs_status st;
	char err[512];

	if (!cs)
		return;
	memset(cs, 0, CS_HEADER_BYTES);
	memcpy(cs, "SNDC", 4);
	cs[4] = CS_VERSION;
	memcpy(cs + 8, keys_public(key), KEYS_PK_BYTES);
	put64(cs + 40, first);
	put64(cs + 48, last);
	put64(cs + 56, hlc);
	put32(cs + 64, (uint32_t)blen);
	put32(cs + 68, rlen);
	memcpy(cs + CS_HEADER_BYTES, body, blen);
	keys_sign(key, cs, CS_HEADER_BYTES + blen, cs + CS_HEADER_BYTES + blen);
	/* Only a header outside the limits (an empty body, a ratio too high) may stop it before the decode. */
	st = cs_parse_header(cs, len, &h, err, sizeof(err));
	if (st == CS_OK) {
		if (cs_verify(cs, len, &h) != CS_OK)
			die("a change set signed with the test key does not verify");
		st = read_set(cs, len, &ops, "as a signed body");
		if (st == CS_OK)
			check_decoded(&ops);
		cs_ops_release(&ops);
	} else {
		if (verbose)
			fprintf(stderr, "as a signed body: %s: %s\n", cs_code(st), err);
		if (st != CS_BAD_HEADER && st != CS_TOO_LARGE) {
			fprintf(stderr, "fuzz_changeset: %s\n", err);
			die("a well-formed signed header was refused");
		}
	}
	free(cs);
}

/* 3: the input as a pull answer of the version given. What the reader takes, the writer writes again and the
 * reader reads back the same: ops, reviewers, cursor, forms tag. */
static void pull_run(const uint8_t *data, size_t size, int version)
{
	struct pull_answer a, back;
	struct pull_writer w;
	struct cs_ops x, y;
	char err[512] = "";
	enum opjson_status st;
	size_t i;

	st = pull_answer_decode((const char *)data, size, version, &a, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "as a pull answer: %d%s%s\n", (int)st, err[0] ? ": " : "", err);
	if (st != OPJSON_OK) {
		if (a.ops.n || a.ops.ops || a.ops.by || a.ops.owner)
			die("a failed pull answer decode left ops behind");
		return;
	}
	for (i = 0; i < a.ops.n; i++) {
		json_t *v = json_loads(a.ops.ops[i].value, JSON_DECODE_ANY, NULL);
		char *t = v ? jsonc_dumps(v) : NULL;

		if (!t || strcmp(t, a.ops.ops[i].value))
			die("a value of a pull answer is not canonical");
		free(t);
		json_decref(v);
	}
	pull_writer_init(&w, version, version == 2 ? PULL_V2_MAX_OPS : PULL_MAX_OPS);
	for (i = 0; i < a.ops.n; i++)
		pull_writer_add(&w, &a.ops.ops[i], a.ops.by[i]);
	if (pull_writer_end(&w, a.next, a.more, version == 2 ? a.forms : NULL) != OPJSON_OK) {
		fprintf(stderr, "fuzz_changeset: %s\n", w.err);
		die("the pull writer refuses ops the pull reader accepted");
	}
	if (pull_answer_decode(w.body.data, w.body.len, version, &back, err, sizeof(err)) != OPJSON_OK) {
		fprintf(stderr, "fuzz_changeset: %s\n", err);
		die("the pull reader refuses what the pull writer made");
	}
	x.ops = a.ops.ops;
	x.n = a.ops.n;
	y.ops = back.ops.ops;
	y.n = back.ops.n;
	if (!same_ops(&x, &y) || a.next != back.next || a.more != back.more || strcmp(a.forms, back.forms))
		die("a pull answer changed in a round trip");
	for (i = 0; i < a.ops.n; i++) {
		if ((a.ops.by[i] == NULL) != (back.ops.by[i] == NULL) ||
		    (a.ops.by[i] && strcmp(a.ops.by[i], back.ops.by[i])))
			die("a reviewer changed in a round trip");
	}
	pull_answer_release(&back);
	pull_writer_release(&w);
	pull_answer_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_ops ops;
	uint64_t first, last, hlc;
	const unsigned char *body = data + 1;
	size_t blen;
	uint8_t mode;

	setup();
	/* 1: the input as a received change set. */
	if (read_set(data, size, &ops, "as a change set") == CS_OK)
		check_decoded(&ops);
	cs_ops_release(&ops);

	/* 3: the input as a pull answer of each version. */
	pull_run(data, size, 1);
	pull_run(data, size, 2);

	/* 2: the input as a body behind a valid signature. */
	if (size < 1 || size - 1 > CS_MAX_BODY)
		return 0;
	mode = data[0];
	blen = size - 1;
	if (!(mode & 1)) {
		uLongf zl = compressBound((uLong)blen);
		unsigned char *z = malloc(zl);

		if (!z)
			return 0;
		if (compress2(z, &zl, body, (uLong)blen, (mode >> 1) % 10) == Z_OK && blen > 0) {
			guess_fields((const char *)body, blen, &first, &last, &hlc);
			signed_run(z, zl, (uint32_t)blen, first, last, hlc);
		}
		free(z);
	} else {
		size_t cap = (size_t)CS_MAX_RATIO * blen + 1024, rlen;
		char *text;
		int delta = (mode >> 1) & 3;

		if (cap > CS_MAX_RAW)
			cap = CS_MAX_RAW;
		rlen = inflated_len(body, blen, cap, &text);
		guess_fields(text ? text : "", rlen, &first, &last, &hlc);
		free(text);
		if (delta == 1)
			rlen++;
		else if (delta == 2 && rlen > 0)
			rlen--;
		else if (delta == 3)
			rlen = (size_t)(mode >> 3) + 1;   /* a small lie, as in an inflate bomb */
		if (blen > 0)
			signed_run(body, blen, (uint32_t)(rlen ? rlen : 1), first, last, hlc);
	}
	return 0;
}
