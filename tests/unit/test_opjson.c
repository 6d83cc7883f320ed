/* test_opjson.c - the op codec (proto/opjson.c) and the pull answer around it (proto/pull.c): what the writer
 * makes, byte for byte; round trips; every member the reader refuses, with the message naming it. The same
 * checks inside a change set are tested through cs_decode in test_changeset.c. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "opjson.h"
#include "pull.h"
#include "test.h"
#include "testop.h"

#define REC "0f8fad5b-d9cb-469f-a165-70867728950e"
#define DEVA "0123456789abcdef0123456789abcdef"
#define DEVB "fedcba9876543210fedcba9876543210"

/* One op of a pull answer, as a server writes it. */
#define OP_A "{\"device\":\"" DEVA "\",\"seq\":7,\"hlc\":5,\"record\":\"" REC "\",\"form\":\"partnership\"," \
	     "\"version\":\"3\",\"field\":\"name\",\"value\":\"x\",\"base\":[]}"

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

static int same_op(const struct op *x, const struct op *y)
{
	size_t j;

	if (strcmp(x->device, y->device) || x->seq != y->seq || x->hlc != y->hlc || strcmp(x->record, y->record) ||
	    strcmp(x->form, y->form) || strcmp(x->form_version, y->form_version) || strcmp(x->field, y->field) ||
	    strcmp(x->value, y->value) || x->nbase != y->nbase)
		return 0;
	for (j = 0; j < x->nbase; j++) {
		if (strcmp(x->base[j].device, y->base[j].device) || x->base[j].seq != y->base[j].seq)
			return 0;
	}
	return 1;
}

/* Decodes a pull answer whose ops are `ops` (JSON text of the array's members), with next 9 and more false. */
static enum opjson_status decode_ops(const char *ops, struct pull_answer *a, char *err, size_t errlen)
{
	char text[8192];

	snprintf(text, sizeof(text), "{\"ops\":[%s],\"next\":9,\"more\":false}", ops);
	return pull_answer_decode(text, strlen(text), 1, a, err, errlen);
}

/* OP_A with `from` replaced by `to`, decoded as a pull answer's only op; err gets the message. */
static enum opjson_status try_variant(const char *from, const char *to, char *err, size_t errlen)
{
	char op[4096];
	const char *at = strstr(OP_A, from);
	struct pull_answer a;
	enum opjson_status st;

	if (!at) {
		fprintf(stdout, "#   '%s' is not in the op\n", from);
		return -1;
	}
	snprintf(op, sizeof(op), "%.*s%s%s", (int)(at - OP_A), OP_A, to, at + strlen(from));
	err[0] = '\0';
	st = decode_ops(op, &a, err, errlen);
	if (st == OPJSON_OK)
		CHECK(a.ops.n == 1);
	else
		CHECK(a.ops.n == 0 && !a.ops.ops && !a.ops.by && !a.ops.owner);
	pull_answer_release(&a);
	return st;
}

static void test_writes_exact_bytes(void)
{
	struct pull_writer w;
	struct op o[2];
	struct buf b = BUF_INIT(4096);

	mkop(&o[0], DEVA, 7, 5, "name", "\"x\"");
	mkop(&o[1], DEVB, 2, HLC_MAX, "_review", "{\"comment\":\"ok \\\"fine\\\"\",\"status\":\"approved\"}");
	add_base(&o[1], DEVA, 7);
	add_base(&o[1], DEVB, 1);

	/* In a change set: no device, members in the table's order. */
	CHECK_INT(opjson_append(&b, &o[0], 0, NULL), OPJSON_OK);
	CHECK_STR(b.data, "{\"seq\":7,\"hlc\":5,\"record\":\"" REC "\",\"form\":\"partnership\",\"version\":\"3\","
		  "\"field\":\"name\",\"value\":\"x\",\"base\":[]}");
	buf_release(&b);

	/* In a pull answer: the device first, the reviewer last, escaped as JSON. */
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	pull_writer_add(&w, &o[0], NULL);
	pull_writer_add(&w, &o[1], "ana \"the\" reviewer");
	CHECK_INT(pull_writer_end(&w, 42, 1, NULL), OPJSON_OK);
	CHECK_STR(w.body.data, "{\"ops\":[" OP_A ",{\"device\":\"" DEVB "\",\"seq\":2,\"hlc\":4611686018427387903,"
		  "\"record\":\"" REC "\",\"form\":\"partnership\",\"version\":\"3\",\"field\":\"_review\","
		  "\"value\":{\"comment\":\"ok \\\"fine\\\"\",\"status\":\"approved\"},\"base\":[[\"" DEVA "\",7],[\""
		  DEVB "\",1]],\"by\":\"ana \\\"the\\\" reviewer\"}],\"next\":42,\"more\":true}\n");
	pull_writer_release(&w);

	/* No ops. */
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	CHECK_INT(pull_writer_end(&w, 0, 0, NULL), OPJSON_OK);
	CHECK_STR(w.body.data, "{\"ops\":[],\"next\":0,\"more\":false}\n");
	pull_writer_release(&w);
}

static void test_round_trip(void)
{
	static const char *const values[] = { "\"x\"", "null", "true", "-2.5", "[\"a\",\"b\"]",
					      "{\"comment\":\"caf\xc3\xa9\\n\",\"status\":\"has_issues\"}", "12" };
	const struct opjson_from cs = { DEVA, 3, 3 + 6 };
	struct op o[7];
	struct pull_writer w;
	struct pull_answer a;
	struct opjson_ops got;
	struct buf b = BUF_INIT(1 << 16);
	json_t *list;
	char err[512];
	size_t i;

	for (i = 0; i < 7; i++) {
		mkop(&o[i], DEVA, 3 + i, 100 + i, i % 2 ? "name" : "_deleted", values[i]);
		if (i)
			add_base(&o[i], i % 2 ? DEVB : DEVA, i);
	}
	/* Through the pull answer, with a reviewer on some. */
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	for (i = 0; i < 7; i++)
		pull_writer_add(&w, &o[i], i == 2 ? "r\xc3\xa9viewer" : i == 5 ? "x" : NULL);
	CHECK_INT(pull_writer_end(&w, (uint64_t)INT64_MAX, 0, NULL), OPJSON_OK);
	CHECK_INT(pull_answer_decode(w.body.data, w.body.len, 1, &a, err, sizeof(err)), OPJSON_OK);
	CHECK_INT(a.ops.n, 7);
	CHECK(a.next == (uint64_t)INT64_MAX);
	CHECK_INT(a.more, 0);
	for (i = 0; i < a.ops.n; i++) {
		CHECK(same_op(&a.ops.ops[i], &o[i]));
		CHECK(i == 2 ? a.ops.by[i] && !strcmp(a.ops.by[i], "r\xc3\xa9viewer") :
		      i == 5 ? a.ops.by[i] && !strcmp(a.ops.by[i], "x") : a.ops.by[i] == NULL);
	}
	pull_answer_release(&a);
	CHECK(a.ops.n == 0 && a.ops.ops == NULL);
	pull_writer_release(&w);

	/* As a change set's list: checked, written, read back with the signer's device and no by. */
	CHECK_INT(buf_addc(&b, '['), 0);
	for (i = 0; i < 7; i++) {
		CHECK_INT(opjson_check(&o[i], NULL, i, &cs, err, sizeof(err)), OPJSON_OK);
		if (i)
			CHECK_INT(buf_addc(&b, ','), 0);
		CHECK_INT(opjson_append(&b, &o[i], 0, NULL), OPJSON_OK);
	}
	CHECK_INT(buf_addc(&b, ']'), 0);
	list = json_loads(b.data, 0, NULL);
	CHECK(list != NULL);
	CHECK_INT(opjson_decode(list, &cs, &got, err, sizeof(err)), OPJSON_OK);
	CHECK_INT(got.n, 7);
	CHECK(got.by == NULL);
	for (i = 0; i < got.n; i++)
		CHECK(same_op(&got.ops[i], &o[i]));
	opjson_ops_release(&got);
	json_decref(list);
	buf_release(&b);

	/* Values are read into canonical text whatever their spelling. */
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\": { \"b\" : 1.50, \"a\" : [ \"\\u00e9\\/\" ] }", err,
			      sizeof(err)), OPJSON_OK);
	{
		struct pull_answer c;
		char op[1024];
		const char *at = strstr(OP_A, "\"value\":\"x\"");

		snprintf(op, sizeof(op), "%.*s\"value\":{\"b\":1.50,\"a\":[\"\\u00e9\\/\"]}%s", (int)(at - OP_A), OP_A,
			 at + strlen("\"value\":\"x\""));
		CHECK_INT(decode_ops(op, &c, err, sizeof(err)), OPJSON_OK);
		CHECK(c.ops.n == 1 && !strcmp(c.ops.ops[0].value, "{\"a\":[\"\xc3\xa9/\"],\"b\":1.5}"));
		pull_answer_release(&c);
	}
}

/* Every member of a pull answer's op, refused with a message that names it and its value. */
static void test_refused_members(void)
{
	char err[512], big[8192];
	size_t o;
	int i;

	CHECK_INT(try_variant("\"seq\":7", "\"seq\":7", err, sizeof(err)), OPJSON_OK);

	CHECK_INT(try_variant("\"device\":\"" DEVA "\",", "", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'device' is missing");
	CHECK_INT(try_variant("\"device\":\"" DEVA "\"", "\"device\":7", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'device' is an integer, not a string");
	CHECK_INT(try_variant(DEVA, "0123456789ABCDEF0123456789abcdef", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'device': '0123456789ABCDEF0123456789abcdef' is not a device id (32 lowercase "
		  "hex characters)");
	CHECK_INT(try_variant(DEVA, "0123456789abcdef", err, sizeof(err)), OPJSON_BAD);

	CHECK_INT(try_variant("\"seq\":7", "\"seq\":\"7\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'seq' is a string, not an integer");
	CHECK_INT(try_variant("\"seq\":7", "\"seq\":0", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'seq': 0 is not 1 or more");
	CHECK_INT(try_variant("\"seq\":7", "\"seq\":-3", err, sizeof(err)), OPJSON_BAD);
	CHECK_INT(try_variant("\"seq\":7", "\"seq\":9223372036854775807", err, sizeof(err)), OPJSON_OK);
	CHECK_INT(try_variant("\"seq\":7", "\"seq\":9223372036854775808", err, sizeof(err)), OPJSON_BAD);

	CHECK_INT(try_variant("\"hlc\":5", "\"hlc\":5.0", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'hlc' is a real number, not an integer");
	CHECK_INT(try_variant("\"hlc\":5", "\"hlc\":-5", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'hlc': -5 is negative");
	CHECK_INT(try_variant("\"hlc\":5", "\"hlc\":4611686018427387903", err, sizeof(err)), OPJSON_OK);
	CHECK_INT(try_variant("\"hlc\":5", "\"hlc\":4611686018427387904", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'hlc': 4611686018427387904 is over 2^62 - 1");

	CHECK_INT(try_variant("\"record\":\"" REC "\"", "\"record\":null", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'record' is null, not a string");
	CHECK_INT(try_variant(REC, "0F8FAD5B-D9CB-469F-A165-70867728950E", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'record': '0F8FAD5B-D9CB-469F-A165-70867728950E' is not a lowercase UUID");

	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"partner ship\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'form': 'partner ship' is not a form id (it may hold only A-Z a-z 0-9 _ . -)");
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":\"9lives\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_INT(try_variant("\"form\":\"partnership\"", "\"form\":[]", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'form' is an array, not a string");
	memset(big, 'a', 200);
	memcpy(big, "\"form\":\"", 8);
	memcpy(big + 8 + 65, "\"", 2);
	CHECK_INT(try_variant("\"form\":\"partnership\"", big, err, sizeof(err)), OPJSON_BAD);
	CHECK(strstr(err, "is longer than 64 characters") != NULL);

	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":\"3/4\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'version': '3/4' is not a form version (it may hold only A-Z a-z 0-9 _ . -)");
	CHECK_INT(try_variant("\"version\":\"3\"", "\"version\":3", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'version' is an integer, not a string");

	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"1abc\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'field': '1abc' is not a question name (it must start with a letter or '_')");
	CHECK_INT(try_variant("\"field\":\"name\"", "\"field\":\"\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'field': '' is not a question name (it is empty)");

	CHECK_INT(try_variant("\"value\":\"x\",", "", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'value' is missing");
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":[[[[[[[[[1]]]]]]]]]", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'value': it is nested more than 8 deep");
	CHECK_INT(try_variant("\"value\":\"x\"", "\"value\":null", err, sizeof(err)), OPJSON_OK);
	{
		/* 64 KiB of text is the most a value may be. */
		size_t n = OPJSON_MAX_VALUE + 300;
		char *op = malloc(n), *text = malloc(n + 100);
		struct pull_answer a;

		for (i = 0; i <= 1; i++) {
			size_t k = (size_t)snprintf(op, n, "{\"device\":\"" DEVA "\",\"seq\":1,\"hlc\":5,\"record\":\"" REC
						    "\",\"form\":\"f\",\"version\":\"1\",\"field\":\"a\",\"value\":\"");

			memset(op + k, 'a', OPJSON_MAX_VALUE - 2 + (size_t)i);
			k += OPJSON_MAX_VALUE - 2 + (size_t)i;
			snprintf(op + k, n - k, "\",\"base\":[]}");
			snprintf(text, n + 100, "{\"ops\":[%s],\"next\":1,\"more\":false}", op);
			CHECK_INT(pull_answer_decode(text, strlen(text), 1, &a, err, sizeof(err)), i ? OPJSON_BAD : OPJSON_OK);
			pull_answer_release(&a);
		}
		CHECK_STR(err, "op 1: member 'value': its canonical text is over the limit of 65536 bytes");
		free(op);
		free(text);
	}

	CHECK_INT(try_variant("\"base\":[]", "\"base\":{}", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'base' is an object, not an array");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"" DEVB "\",0]]", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'base': entry 1: seq 0 is not 1 or more");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"" DEVB "\"]]", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'base': entry 1 is not [device id, seq]");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"" DEVB "x\",1]]", err, sizeof(err)), OPJSON_BAD);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"" DEVB "\",1],[\"" DEVB "\",1]]", err, sizeof(err)),
		  OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'base': entry 2 repeats entry 1");
	/* The op's own device and seq: itself. */
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"" DEVA "\",7]]", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'base': entry 1 names the op itself");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[[\"" DEVA "\",6]]", err, sizeof(err)), OPJSON_OK);
	for (i = 64; i <= 65; i++) {
		int j;

		o = (size_t)snprintf(big, sizeof(big), "\"base\":[");
		for (j = 0; j < i; j++)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "%s[\"%s\",%d]", j ? "," : "", DEVB, j + 1);
		snprintf(big + o, sizeof(big) - o, "]");
		CHECK_INT(try_variant("\"base\":[]", big, err, sizeof(err)), i == 64 ? OPJSON_OK : OPJSON_BAD);
	}
	CHECK_STR(err, "op 1: member 'base': 65 entries, over the limit of 64");

	/* The reviewer: 1-64 bytes of UTF-8 without control characters. */
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[],\"by\":\"ana@hq\"", err, sizeof(err)), OPJSON_OK);
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[],\"by\":7", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'by' is an integer, not a string");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[],\"by\":\"\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'by': '' is not a reviewer's name (it is empty)");
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[],\"by\":\"a\\tb\"", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: member 'by': 'a\\x09b' is not a reviewer's name (it holds a control character)");
	o = (size_t)snprintf(big, sizeof(big), "\"base\":[],\"by\":\"");
	memset(big + o, 'r', 65);
	snprintf(big + o + 65, sizeof(big) - o - 65, "\"");
	CHECK_INT(try_variant("\"base\":[]", big, err, sizeof(err)), OPJSON_BAD);
	CHECK(strstr(err, "is not a reviewer's name (it is longer than 64 bytes)") != NULL);

	/* Nothing else. */
	CHECK_INT(try_variant("\"base\":[]", "\"base\":[],\"note\":1", err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1: unknown member 'note'");
}

/* The answer around the ops. */
static void test_refused_answers(void)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "[]", "the answer is an array, not an object" },
		{ "{\"ops\":[],\"next\":1,\"more\":false", NULL },
		{ "{\"ops\":[],\"next\":1,\"more\":false,\"more\":true}", NULL },
		{ "{\"ops\":[],\"next\":1}", "the answer's member 'more' is missing" },
		{ "{\"ops\":[],\"more\":true}", "the answer's member 'next' is missing" },
		{ "{\"next\":1,\"more\":true}", "the answer's member 'ops' is missing" },
		{ "{\"ops\":[],\"next\":1,\"more\":false,\"extra\":0}", "the answer has an unknown member 'extra'" },
		{ "{\"ops\":{},\"next\":1,\"more\":false}", "the answer's member 'ops' is an object, not an array" },
		{ "{\"ops\":[],\"next\":\"1\",\"more\":false}", "the answer's member 'next' is a string, not an integer" },
		{ "{\"ops\":[],\"next\":-1,\"more\":false}", "the answer's member 'next': -1 is negative" },
		{ "{\"ops\":[],\"next\":1,\"more\":1}", "the answer's member 'more' is an integer, not true or false" },
		{ "{\"ops\":[7],\"next\":1,\"more\":false}", "op 1: is an integer, not an object" },
		{ "{\"ops\":[" OP_A "," OP_A ",{}],\"next\":1,\"more\":false}", "op 3: member 'device' is missing" },
	};
	struct pull_answer a;
	char err[512], *text;
	size_t i, o, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(pull_answer_decode(bad[i].text, strlen(bad[i].text), 1, &a, err, sizeof(err)), OPJSON_BAD);
		CHECK(a.ops.n == 0 && a.ops.ops == NULL);
		if (bad[i].err)
			CHECK_STR(err, bad[i].err);
		else
			CHECK(!strncmp(err, "the answer is not strict JSON: ", 31));
	}
	/* At most PULL_MAX_OPS ops in version 1. */
	n = (PULL_MAX_OPS + 1) * (sizeof(OP_A) + 1) + 64;
	text = malloc(n);
	o = (size_t)snprintf(text, n, "{\"ops\":[");
	for (i = 0; i <= PULL_MAX_OPS; i++)
		o += (size_t)snprintf(text + o, n - o, "%s%s", i ? "," : "", OP_A);
	snprintf(text + o, n - o, "],\"next\":1,\"more\":false}");
	CHECK_INT(pull_answer_decode(text, strlen(text), 1, &a, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "the answer holds 2001 ops, over the limit of 2000");
	free(text);
}

/* The writer sends nothing the reader would refuse: the op and its reviewer are checked first. */
static void test_writer_refusals(void)
{
	struct pull_writer w;
	struct op o;
	const struct opjson_from cs = { DEVA, 1, 1 };
	char err[512];
	size_t i;

	mkop(&o, DEVA, 7, 5, "name", "[1, 2]");
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	pull_writer_add(&w, &o, NULL);
	CHECK_INT(pull_writer_end(&w, 1, 0, NULL), OPJSON_BAD);
	CHECK_STR(w.err, "op 1: member 'value': '[1, 2]' is not canonical text (that is '[1,2]')");
	pull_writer_release(&w);

	mkop(&o, DEVA, 7, 5, "name", "1");
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	pull_writer_add(&w, &o, NULL);
	pull_writer_add(&w, &o, "bad\nname");
	pull_writer_add(&w, &o, NULL);
	CHECK_INT(pull_writer_end(&w, 1, 0, NULL), OPJSON_BAD);
	CHECK_STR(w.err, "op 2: member 'by': 'bad\\x0aname' is not a reviewer's name (it holds a control character)");
	pull_writer_release(&w);

	mkop(&o, "not a device", 7, 5, "name", "1");
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	pull_writer_add(&w, &o, NULL);
	CHECK_INT(pull_writer_end(&w, 1, 0, NULL), OPJSON_BAD);
	CHECK_STR(w.err, "op 1: member 'device': 'not a device' is not a device id (32 lowercase hex characters)");
	pull_writer_release(&w);

	mkop(&o, DEVA, 7, HLC_MAX + 1, "name", "1");
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	pull_writer_add(&w, &o, NULL);
	CHECK_INT(pull_writer_end(&w, 1, 0, NULL), OPJSON_BAD);
	CHECK_STR(w.err, "op 1: member 'hlc': 4611686018427387904 is over 2^62 - 1");
	pull_writer_release(&w);

	mkop(&o, DEVA, 7, 5, "name", "1");
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	CHECK_INT(pull_writer_end(&w, (uint64_t)INT64_MAX + 1, 0, NULL), OPJSON_BAD);
	CHECK_STR(w.err, "the cursor 9223372036854775808 is over 2^63 - 1");
	pull_writer_release(&w);

	/* At most PULL_MAX_OPS. */
	pull_writer_init(&w, 1, PULL_MAX_OPS);
	for (i = 0; i <= PULL_MAX_OPS; i++)
		pull_writer_add(&w, &o, NULL);
	CHECK_INT(pull_writer_end(&w, 1, 0, NULL), OPJSON_TOO_LARGE);
	pull_writer_release(&w);

	/* A change set's op names no reviewer, and is its signer's. */
	mkop(&o, DEVA, 1, 5, "name", "1");
	CHECK_INT(opjson_check(&o, NULL, 0, &cs, err, sizeof(err)), OPJSON_OK);
	CHECK_INT(opjson_check(&o, "ana", 0, &cs, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1 (seq 1): member 'by': a change set's op names no reviewer");
	mkop(&o, DEVB, 1, 5, "name", "1");
	CHECK_INT(opjson_check(&o, NULL, 0, &cs, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1 (seq 1): made by device '" DEVB "', not by the signing key's device " DEVA);
}

/* In a change set, an op may not carry what only a pull answer does. */
static void test_changeset_members(void)
{
	const struct opjson_from cs = { DEVA, 7, 7 };
	struct opjson_ops got;
	char err[512];
	json_t *list;

	list = json_loads("[" OP_A "]", 0, NULL);
	CHECK_INT(opjson_decode(list, &cs, &got, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1 (seq 7): unknown member 'device'");
	json_decref(list);
	list = json_loads("[{\"seq\":7,\"hlc\":5,\"record\":\"" REC "\",\"form\":\"f\",\"version\":\"1\",\"field\":\"a\","
			  "\"value\":1,\"base\":[],\"by\":\"ana\"}]", 0, NULL);
	CHECK_INT(opjson_decode(list, &cs, &got, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "op 1 (seq 7): unknown member 'by'");
	json_decref(list);
	list = json_loads("[{\"seq\":7,\"hlc\":5,\"record\":\"" REC "\",\"form\":\"f\",\"version\":\"1\",\"field\":\"a\","
			  "\"value\":1,\"base\":[]}]", 0, NULL);
	CHECK_INT(opjson_decode(list, &cs, &got, err, sizeof(err)), OPJSON_OK);
	CHECK(got.n == 1 && !strcmp(got.ops[0].device, DEVA) && got.ops[0].seq == 7 && got.by == NULL);
	opjson_ops_release(&got);
	json_decref(list);
}

/* Version 2: ops as rows naming their device and record by place, seq and stamp as differences, the forms tag;
 * written exactly, read back to the same ops, and refused whole when a row or a table breaks the rules. */
static void test_version_2(void)
{
	static const char *const bad_tags[] = { "\"0123456789abcdef0123456789abcde\"",
						"\"0123456789ABCDEF0123456789abcdef\"", "12", "null" };
	static const struct { const char *rows, *devices, *records, *msg; } bad[] = {
		{ "[[1,7,5,0,\"3\",\"name\",\"x\",[]]]", "[\"" DEVA "\"]", "[[\"" REC "\",\"partnership\"]]",
		  "op 1: item 1 is not a place in 'devices'" },
		{ "[[0,7,5,1,\"3\",\"name\",\"x\",[]]]", "[\"" DEVA "\"]", "[[\"" REC "\",\"partnership\"]]",
		  "op 1: item 4 is not a place in 'records'" },
		{ "[[0,7,5,0,\"3\",\"name\",\"x\",[]],[0,-7,1,0,\"3\",\"name\",\"y\",[]]]", "[\"" DEVA "\"]",
		  "[[\"" REC "\",\"partnership\"]]", "op 2: member 'seq': 0 is not 1 or more" },
		{ "[[0,9223372036854775807,5,0,\"3\",\"name\",\"x\",[]],[0,1,1,0,\"3\",\"name\",\"y\",[]]]",
		  "[\"" DEVA "\"]", "[[\"" REC "\",\"partnership\"]]",
		  "op 2: items 2 and 3 are not differences of seq and stamp" },
		{ "[[0,7,5,0,\"3\",\"name\",\"x\",[[2,1]]]]", "[\"" DEVA "\"]", "[[\"" REC "\",\"partnership\"]]",
		  "op 1: base 1 is not [a place in 'devices', seq]" },
		{ "[[0,7,5,0,\"3\",\"name\",\"x\"]]", "[\"" DEVA "\"]", "[[\"" REC "\",\"partnership\"]]",
		  "op 1: is not an array of 8 or 9 items" },
		{ "[[0,7,5,0,\"3\",\"name\",\"x\",[]]]", "[\"nothex\"]", "[[\"" REC "\",\"partnership\"]]", NULL },
		{ "[]", "[]", "[[\"" REC "\"]]", "record 1 of 'records' is not [record id, form id]" },
	};
	const char *tag = "0123456789abcdef0123456789abcdef";
	struct pull_writer w;
	struct pull_answer a;
	char err[512], text[1024], *big;
	struct op o[3];
	size_t i, added;
	int full = 0;

	mkop(&o[0], DEVA, 7, 5, "name", "\"x\"");
	mkop(&o[1], DEVB, 2, 9, "_review", "{\"comment\":\"ok\",\"status\":\"approved\"}");
	add_base(&o[1], DEVA, 7);
	mkop(&o[2], DEVA, 8, 3, "name", "\"y\"");
	pull_writer_init(&w, 2, PULL_V2_MAX_OPS);
	pull_writer_add(&w, &o[0], NULL);
	pull_writer_add(&w, &o[1], "ana \"the\" reviewer");
	pull_writer_add(&w, &o[2], NULL);
	CHECK_INT(pull_writer_end(&w, 9, 0, tag), OPJSON_OK);
	CHECK_STR(w.body.data, "{\"ops\":[[0,7,5,0,\"3\",\"name\",\"x\",[]],[1,2,4,0,\"3\",\"_review\",{\"comment\":\"ok\","
		  "\"status\":\"approved\"},[[0,7]],\"ana \\\"the\\\" reviewer\"],[0,1,-6,0,\"3\",\"name\",\"y\",[]]],"
		  "\"devices\":[\"" DEVA "\",\"" DEVB "\"],\"records\":[[\"" REC "\",\"partnership\"]],\"next\":9,"
		  "\"more\":false,\"forms\":\"0123456789abcdef0123456789abcdef\"}\n");
	CHECK_INT(pull_answer_decode(w.body.data, w.body.len, 2, &a, err, sizeof(err)), OPJSON_OK);
	CHECK_STR(a.forms, tag);
	CHECK(a.ops.n == 3 && a.next == 9 && !a.more);
	for (i = 0; i < 3 && a.ops.n == 3; i++)
		CHECK(same_op(&a.ops.ops[i], &o[i]));
	CHECK(a.ops.by[0] == NULL && a.ops.by[1] && !strcmp(a.ops.by[1], "ana \"the\" reviewer"));
	pull_answer_release(&a);
	/* A version 2 answer is not a version 1 one, nor the other way round. */
	CHECK_INT(pull_answer_decode(w.body.data, w.body.len, 1, &a, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "the answer has an unknown member 'devices'");
	pull_writer_release(&w);
	snprintf(text, sizeof(text), "{\"ops\":[],\"next\":1,\"more\":false}");
	CHECK_INT(pull_answer_decode(text, strlen(text), 2, &a, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "the answer's member 'devices' is missing");
	CHECK_INT(pull_answer_decode(text, strlen(text), 1, &a, err, sizeof(err)), OPJSON_OK);
	CHECK_STR(a.forms, "");
	pull_answer_release(&a);

	for (i = 0; i < sizeof(bad_tags) / sizeof(bad_tags[0]); i++) {
		snprintf(text, sizeof(text), "{\"ops\":[],\"devices\":[],\"records\":[],\"next\":1,\"more\":false,"
			 "\"forms\":%s}", bad_tags[i]);
		CHECK_INT(pull_answer_decode(text, strlen(text), 2, &a, err, sizeof(err)), OPJSON_BAD);
		CHECK_STR(err, "the answer's member 'forms' is not 32 lowercase hex characters");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"ops\":%s,\"devices\":%s,\"records\":%s,\"next\":1,\"more\":false,"
			 "\"forms\":\"%s\"}", bad[i].rows, bad[i].devices, bad[i].records, tag);
		CHECK_INT(pull_answer_decode(text, strlen(text), 2, &a, err, sizeof(err)), OPJSON_BAD);
		if (bad[i].msg)
			CHECK_STR(err, bad[i].msg);
		else
			CHECK(!strncmp(err, "op 1", 4));
		CHECK(a.ops.n == 0 && a.ops.ops == NULL);
	}

	/* Values of 60 KiB: the page is full past PULL_PAGE_BYTES, long before PULL_V2_MAX_OPS ops. */
	big = malloc(60 * 1024 + 3);
	big[0] = '"';
	memset(big + 1, 'a', 60 * 1024);
	big[60 * 1024 + 1] = '"';
	big[60 * 1024 + 2] = '\0';
	mkop(&o[0], DEVA, 7, 5, "name", big);
	pull_writer_init(&w, 2, PULL_V2_MAX_OPS);
	for (added = 0; added < PULL_V2_MAX_OPS && !full; added++) {
		o[0].seq++;
		full = pull_writer_add(&w, &o[0], NULL);
	}
	CHECK(full);
	CHECK(w.body.len >= PULL_PAGE_BYTES && w.body.len < PULL_PAGE_BYTES + 62 * 1024);
	CHECK(added > 60 && added < 80);
	CHECK_INT(pull_writer_end(&w, 1, 1, tag), OPJSON_OK);
	pull_writer_release(&w);
	free(big);
}

/* The answer to an upload: its counts alone (an older server, or no pull asked), or with a version 2 pull page. */
static void test_upload_answer(void)
{
	struct pull_upload up;
	char err[512], text[128];
	const char *plain = "{\"accepted\":3,\"duplicates\":1,\"next_seq\":12}";
	const char *with = "{\"accepted\":3,\"duplicates\":0,\"next_seq\":12,\"pull\":{\"ops\":[[0,7,5,0,\"3\","
			   "\"name\",\"x\",[]]],\"devices\":[\"" DEVA "\"],\"records\":[[\"" REC "\",\"partnership\"]],"
			   "\"next\":40,\"more\":false,\"forms\":\"0123456789abcdef0123456789abcdef\"}}";
	const char *bad_pull = "{\"accepted\":3,\"duplicates\":0,\"next_seq\":12,\"pull\":{\"ops\":[],\"next\":1,"
			       "\"more\":false}}";

	CHECK_INT(pull_upload_decode(plain, strlen(plain), &up, err, sizeof(err)), OPJSON_OK);
	CHECK(up.accepted == 3 && up.duplicates == 1 && up.next_seq == 12 && !up.has_pull && up.pull.ops.n == 0);
	pull_answer_release(&up.pull);
	CHECK_INT(pull_upload_decode(with, strlen(with), &up, err, sizeof(err)), OPJSON_OK);
	CHECK(up.has_pull && up.pull.ops.n == 1 && up.pull.next == 40 && !up.pull.more);
	CHECK(up.pull.ops.n == 1 && !strcmp(up.pull.ops.ops[0].device, DEVA) && up.pull.ops.ops[0].seq == 7);
	pull_answer_release(&up.pull);
	/* What the server writes, the device reads back. */
	{
		struct pull_writer w;
		struct buf b = BUF_INIT(1 << 20);
		struct op o;

		mkop(&o, DEVA, 7, 5, "name", "\"x\"");
		pull_writer_init(&w, 2, PULL_V2_MAX_OPS);
		pull_writer_add(&w, &o, NULL);
		CHECK_INT(pull_writer_end(&w, 40, 1, "0123456789abcdef0123456789abcdef"), OPJSON_OK);
		CHECK_INT(pull_upload_write(&b, 3, 0, 12, &w.body), 0);
		CHECK_INT(pull_upload_decode(b.data, b.len, &up, err, sizeof(err)), OPJSON_OK);
		CHECK(up.accepted == 3 && up.next_seq == 12 && up.has_pull && up.pull.ops.n == 1 && up.pull.more);
		pull_answer_release(&up.pull);
		pull_writer_release(&w);
		buf_release(&b);
	}
	CHECK_INT(pull_upload_decode(bad_pull, strlen(bad_pull), &up, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "its pull: the answer's member 'devices' is missing");
	CHECK(up.pull.ops.n == 0);
	snprintf(text, sizeof(text), "{\"accepted\":3,\"next_seq\":1,\"duplicates\":-1}");
	CHECK_INT(pull_upload_decode(text, strlen(text), &up, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "the answer's member 'duplicates' is not a whole number");
	snprintf(text, sizeof(text), "{\"accepted\":3,\"duplicates\":0,\"next_seq\":1,\"x\":1}");
	CHECK_INT(pull_upload_decode(text, strlen(text), &up, err, sizeof(err)), OPJSON_BAD);
	CHECK_STR(err, "the answer has an unknown member 'x'");
}

/* ---- the fast reader against the full one ---- */

static unsigned long plain_seed = 2026;

static unsigned plain_rand(unsigned n)
{
	plain_seed = plain_seed * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((plain_seed >> 33) % n);
}

/* Changes t (not empty) at a random place: a byte replaced by one that matters to a JSON reader, dropped, or
 * doubled. */
static void mutate(struct buf *t)
{
	static const char bytes[] = "\"\\,]}[{:019- a\x80\xc3\x01";
	size_t at = plain_rand((unsigned)t->len);

	switch (plain_rand(3)) {
	case 0:
		t->data[at] = bytes[plain_rand(sizeof(bytes) - 1)];
		break;
	case 1:
		memmove(t->data + at, t->data + at + 1, t->len - at - 1);
		t->len--;
		break;
	default:
		CHECK(buf_addc(t, 0) == 0);
		memmove(t->data + at + 1, t->data + at, t->len - at - 1);
	}
}

/* The full reader on any text, as a change set's body or a pull's list is read: jansson, then opjson_decode. */
static enum opjson_status full_decode(const char *text, size_t len, size_t count, const struct opjson_from *from,
				      struct opjson_ops *out)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	enum opjson_status st = OPJSON_BAD;

	memset(out, 0, sizeof(*out));
	if (root && json_is_array(root) && json_array_size(root) == count && !opjson_too_deep(root, 16))
		st = opjson_decode(root, from, out, NULL, 0);
	json_decref(root);
	return st;
}

/* 1 if both readers found the same ops (and reviewers). */
static int same_ops(const struct opjson_ops *a, const struct opjson_ops *b)
{
	size_t i;

	if (a->n != b->n || !a->by != !b->by)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (!same_op(&a->ops[i], &b->ops[i]))
			return 0;
		if (a->by && (!a->by[i] != !b->by[i] || (a->by[i] && strcmp(a->by[i], b->by[i]))))
			return 0;
	}
	return 1;
}

/* Whatever the text, the fast reader either finds exactly what the full one finds or leaves it to the full one;
 * and it takes lists as the writer writes them. Random lists of ops (pull lists and change set bodies), then
 * each mutated: a byte replaced, dropped or doubled. */
static void test_plain_reader(void)
{
	static const char *const values[] = {
		"\"x\"", "\"Caritas \\\"Nairobi\\\"\"", "\"caf\xc3\xa9\"", "\"line\\nnext\"", "\"\\u0001\"", "12",
		"-7", "0", "true", "false", "null", "[]", "[\"a\",\"b c\"]", "[1,2,3]", "\"\"", "123456789012345678",
		/* values the fast reader leaves to the full one */
		"1.5", "{\"a\":1}", "[[1]]",
	};
	static const char *const fields[] = { "name", "_review", "a.b-c", "country" };
	static const char *const bys[] = { NULL, "amina", "Jos\xc3\xa9", "a\\\"b" };
	size_t lists = 0, plain = 0, mutants = 0, mutants_plain = 0;
	int round;

	for (round = 0; round < 400; round++) {
		struct opjson_from from = { round % 2 ? DEVA : NULL, 5, 0 };
		struct op ops[6];
		const char *by[6];
		struct buf b = BUF_INIT(1 << 20);
		struct opjson_ops fast, full;
		size_t n = 1 + plain_rand(5), i, v;
		int m, known = 1;   /* every value and reviewer is of a kind the fast reader knows */

		for (i = 0; i < n; i++) {
			v = plain_rand(12) ? plain_rand(16) : 16 + plain_rand(3);
			mkop(&ops[i], from.signer ? DEVA : (plain_rand(2) ? DEVA : DEVB), from.signer ? 5 + i : plain_rand(8) ? 1 + plain_rand(50) : (uint64_t)INT64_MAX - plain_rand(2),
			     plain_rand(4) ? plain_rand(1000) : HLC_MAX, fields[plain_rand(4)], values[v]);
			while (plain_rand(3) == 0 && ops[i].nbase < 3)
				add_base(&ops[i], plain_rand(2) ? DEVA : DEVB, 100 + plain_rand(5));
			by[i] = from.signer || plain_rand(2) ? NULL : bys[plain_rand(4)];
			if (v >= 16 || (by[i] && strchr(by[i], '\\')))
				known = 0;
		}
		from.last = 5 + n - 1;
		CHECK(buf_addc(&b, '[') == 0);
		for (i = 0; i < n; i++) {
			if (i)
				CHECK(buf_addc(&b, ',') == 0);
			/* opjson_append writes what opjson_check passes; the rest is made here by hand below. */
			if (opjson_check(&ops[i], by[i], i, &from, NULL, 0) == OPJSON_OK) {
				CHECK_INT(opjson_append(&b, &ops[i], !from.signer, by[i]), OPJSON_OK);
			} else {
				/* A base that names one op twice: neither reader takes it. */
				CHECK_INT(opjson_append(&b, &ops[i], !from.signer, NULL), OPJSON_OK);
				known = 0;
			}
		}
		CHECK(buf_addc(&b, ']') == 0);
		lists++;
		for (m = -1; m < 30; m++) {
			struct buf t = BUF_INIT(1 << 20);
			enum opjson_status fs, ls;

			CHECK(buf_add(&t, b.data, b.len) == 0);
			if (m >= 0) {
				mutate(&t);
				mutants++;
			}
			fs = opjson_decode_plain(t.data, t.len, n, &from, &fast);
			ls = full_decode(t.data, t.len, n, &from, &full);
			if (m < 0 && known && fs != OPJSON_OK) {
				printf("#   the fast reader left to the full one: %.*s\n", (int)t.len, t.data);
				CHECK(0);
			}
			if (fs == OPJSON_OK) {
				if (m < 0)
					plain++;
				else
					mutants_plain++;
				CHECK_INT(ls, OPJSON_OK);
				if (ls == OPJSON_OK && !same_ops(&fast, &full)) {
					printf("#   the readers differ on: %.*s\n", (int)t.len, t.data);
					CHECK(0);
				}
			}
			CHECK(fs == OPJSON_OK || fs == OPJSON_BAD);
			opjson_ops_release(&fast);
			opjson_ops_release(&full);
			buf_release(&t);
		}
		buf_release(&b);
	}
	/* The fast way is taken: for every list whose values are all of the kinds it knows (most of them here), and
	 * for some mutants (a digit changed, say). */
	printf("# fast reader: %zu of %zu lists, %zu of %zu mutants\n", plain, lists, mutants_plain, mutants);
	CHECK(plain > lists / 3);
	CHECK(mutants_plain > 0);
}

/* The full reader's answer for text: the same text spaced out (which the fast reader never takes), or -1 when
 * it is not JSON at all. */
static int full_answer(const char *text, size_t len, int upload, struct pull_upload *out)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	char *spaced, err[400];
	int st;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	spaced = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(root);
	if (!spaced)
		return -1;
	st = upload ? (int)pull_upload_decode(spaced, strlen(spaced), out, err, sizeof(err))
		    : (int)pull_answer_decode(spaced, strlen(spaced), 2, &out->pull, err, sizeof(err));
	free(spaced);
	return st;
}

static int same_answer(const struct pull_upload *a, const struct pull_upload *b, int upload)
{
	if (upload && (a->accepted != b->accepted || a->duplicates != b->duplicates || a->next_seq != b->next_seq ||
		       a->has_pull != b->has_pull))
		return 0;
	return same_ops(&a->pull.ops, &b->pull.ops) && a->pull.next == b->pull.next &&
	       a->pull.more == b->pull.more && !strcmp(a->pull.forms, b->pull.forms);
}

/* Version 2 answers, alone and inside an upload's answer: whatever the text, what the fast reader finds is what
 * the full one finds in the same answer spaced out; and it takes answers as the writer writes them. */
static void test_plain_answers(void)
{
	static const char *const values[] = { "\"x\"", "\"caf\xc3\xa9\"", "12", "-7", "null", "[\"a\",\"b\"]", "[]" };
	static const char *const recs[] = { REC, "1b4e28ba-2fa1-41d2-883f-0016d3cca427" };
	size_t taken = 0, mutants = 0, mutants_taken = 0;
	int round;

	for (round = 0; round < 300; round++) {
		struct pull_writer w;
		struct op ops[8];
		struct buf text = BUF_INIT(1 << 20);
		size_t n = plain_rand(8), i;
		int upload = round % 3 == 0, m;

		pull_writer_init(&w, 2, PULL_V2_MAX_OPS);
		for (i = 0; i < n; i++) {
			mkop(&ops[i], plain_rand(2) ? DEVA : DEVB, 1 + plain_rand(40), plain_rand(5) ? plain_rand(100000) :
			     HLC_MAX - plain_rand(3), plain_rand(2) ? "name" : "_review", values[plain_rand(7)]);
			snprintf(ops[i].record, sizeof(ops[i].record), "%s", recs[plain_rand(2)]);
			while (plain_rand(3) == 0 && ops[i].nbase < 3)
				add_base(&ops[i], plain_rand(2) ? DEVA : DEVB, 100 + plain_rand(5));
			/* A base that names one op twice would stop the writer. */
			if (opjson_check(&ops[i], NULL, 0, &(struct opjson_from){ NULL, 0, 0 }, NULL, 0) == OPJSON_OK)
				CHECK_INT(pull_writer_add(&w, &ops[i], plain_rand(3) ? NULL : "amina"), 0);
		}
		CHECK_INT(pull_writer_end(&w, plain_rand(1000), (int)plain_rand(2), "0123456789abcdef0123456789abcdef"),
			  OPJSON_OK);
		if (upload)
			CHECK(pull_upload_write(&text, plain_rand(9), plain_rand(9), 1 + plain_rand(9), &w.body) == 0);
		else
			CHECK(buf_add(&text, w.body.data, w.body.len) == 0);
		pull_writer_release(&w);
		for (m = -1; m < 30; m++) {
			struct buf t = BUF_INIT(1 << 20);
			struct pull_upload fast, full;
			char err[400];
			int fs, ls;

			CHECK(buf_add(&t, text.data, text.len) == 0);
			if (m >= 0) {
				mutate(&t);
				mutants++;
			}
			memset(&fast, 0, sizeof(fast));
			fs = upload ? (int)pull_upload_decode(t.data, t.len, &fast, err, sizeof(err))
				    : (int)pull_answer_decode(t.data, t.len, 2, &fast.pull, err, sizeof(err));
			ls = full_answer(t.data, t.len, upload, &full);
			if (fs == OPJSON_OK) {
				if (m < 0)
					taken++;
				else
					mutants_taken++;
				CHECK_INT(ls, OPJSON_OK);
				if (ls == OPJSON_OK && !same_answer(&fast, &full, upload)) {
					printf("#   the readers differ on: %.*s\n", (int)t.len, t.data);
					CHECK(0);
				}
			} else if (m < 0) {
				printf("#   refused as written: %.*s (%s)\n", (int)t.len, t.data, err);
				CHECK(0);
			}
			pull_answer_release(&fast.pull);
			pull_answer_release(&full.pull);
			buf_release(&t);
		}
		buf_release(&text);
	}
	printf("# answers: %zu of 300 read, %zu of %zu mutants\n", taken, mutants_taken, mutants);
	CHECK(mutants_taken > 0);
}

int main(void)
{
	RUN(test_upload_answer);
	RUN(test_writes_exact_bytes);
	RUN(test_version_2);
	RUN(test_round_trip);
	RUN(test_refused_members);
	RUN(test_refused_answers);
	RUN(test_writer_refusals);
	RUN(test_changeset_members);
	RUN(test_plain_reader);
	RUN(test_plain_answers);
	return test_done();
}
