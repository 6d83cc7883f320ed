/* test_jsonc.c - canonical JSON text: the same bytes as jansson's compact output where both apply, keys
 * sorted, and a full buffer reported rather than a cut value. */
#include <stdlib.h>
#include <string.h>

#include "jsonc.h"
#include "test.h"

/* Canonical text must equal jansson's compact, sorted, 17-digit output for the same value. */
static void check_like_jansson(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *mine = v ? jsonc_dumps(v) : NULL;
	char *theirs = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))
			 : NULL;

	CHECK(v != NULL);
	CHECK_STR(mine, theirs);
	free(mine);
	free(theirs);
	json_decref(v);
}

static void test_strings(void)
{
	json_t *v = json_string("a\"b\\c\nd\te\rf\bg\fh\x01i\x1fj/k é 漢 😀");
	char *t = jsonc_dumps(v);

	CHECK_STR(t, "\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0001i\\u001fj/k é 漢 😀\"");
	free(t);
	json_decref(v);
	check_like_jansson("\"plain text\"");
	check_like_jansson("\"\\u0007 bell and \\\" quote\"");
	check_like_jansson("\"\"");
}

static void test_other_values(void)
{
	check_like_jansson("[\"local\",\"national\"]");
	check_like_jansson("[]");
	check_like_jansson("42");
	check_like_jansson("-7");
	check_like_jansson("2.5");
	check_like_jansson("0.1");
	check_like_jansson("1e300");
	check_like_jansson("true");
	check_like_jansson("null");
	check_like_jansson("{\"b\":1,\"a\":[\"x\",{\"d\":null,\"c\":\"y\"}]}");
}

static void test_sorted_keys(void)
{
	json_t *v = json_pack("{s:i, s:i, s:i}", "zeta", 1, "alpha", 2, "mid", 3);
	char *t = jsonc_dumps(v);

	CHECK_STR(t, "{\"alpha\":2,\"mid\":3,\"zeta\":1}");
	free(t);
	json_decref(v);
}

static void test_full_buffer(void)
{
	struct buf b = BUF_INIT(8);
	json_t *v = json_string("longer than eight bytes");

	CHECK_INT(jsonc_append(&b, v), -1);
	buf_release(&b);
	buf_init(&b, 64);
	CHECK_INT(jsonc_append(&b, v), 0);
	CHECK_STR(b.data, "\"longer than eight bytes\"");
	buf_release(&b);
	json_decref(v);
}

int main(void)
{
	RUN(test_strings);
	RUN(test_other_values);
	RUN(test_sorted_keys);
	RUN(test_full_buffer);
	return test_done();
}
