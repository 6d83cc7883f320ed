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

/* What the full check says of s: 1 if jansson reads it and its canonical text is s itself. */
static int canonical_by_parsing(const char *s, size_t n)
{
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	char *t = v ? jsonc_dumps(v) : NULL;
	int r = t && strlen(t) == n && !memcmp(t, s, n);

	free(t);
	json_decref(v);
	return r;
}

static void test_canonical_shapes(void)
{
	static const char *const yes[] = {
		"\"\"", "\"Kenya Red Cross\"", "\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\\u0001i\\u001fj/k é 漢 😀\"",
		"\"\x7f\"", "0", "7", "-7", "123456789012345678", "-123456789012345678", "true", "false", "null",
		"[]", "[\"local\",\"national\"]", "[1,-2,\"x\",null,true]",
	};
	static const char *const no[] = {
		"", "\"", "\"abc", "\"\\u0000\"", "\"\\u0008\"", "\"\\u000a\"", "\"\\u001F\"", "\"\\/\"",
		"\"\\u0041\"", "\"\x01\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"",
		"-0", "01", "1.5", "1e3", "1234567890123456789", "tru", "nul", "[", "[1,]", "[,1]", "[1 ,2]", " 1",
		"1 ", "[[1]]", "{}", "[\"a\"]x", "\"a\"\"b\"", "+1", "-",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		CHECK_INT(jsonc_is_canonical(yes[i], strlen(yes[i])), 1);
		CHECK_INT(canonical_by_parsing(yes[i], strlen(yes[i])), 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK_INT(jsonc_is_canonical(no[i], strlen(no[i])), 0);
}

/* Random texts over the bytes that matter: whatever the fast check calls canonical, parsing agrees. */
static void test_canonical_never_wrong(void)
{
	static const char *const parts[] = {
		"\"", "\\", "\\\"", "\\\\", "\\n", "\\u00", "\\u001", "0", "1", "9", "a", "f", "F", "-", ".", "e",
		"[", "]", ",", " ", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xc3", "\xa9", "\xe6\xbc\xa2", "\xed\xa0\x80",
		"\xf0\x9f\x98\x80", "\xf4\x90\x80\x80", "\xc0\x80", "true", "null", "x", "/", "b", "u",
	};
	unsigned long seed = 2018, tried = 0, fast = 0;
	char s[64];
	int round;

	for (round = 0; round < 200000; round++) {
		size_t n = 0, k, count;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		count = 1 + (seed >> 33) % 8;
		/* Half the texts start as a string or an array, where most canonical values are. */
		if (round % 2)
			s[n++] = round % 4 == 1 ? '"' : '[';
		for (k = 0; k < count; k++) {
			const char *p;

			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			p = parts[(seed >> 33) % (sizeof(parts) / sizeof(parts[0]))];
			if (n + strlen(p) + 2 >= sizeof(s))
				break;
			memcpy(s + n, p, strlen(p));
			n += strlen(p);
		}
		if (round % 4 == 1)
			s[n++] = '"';
		else if (round % 4 == 3)
			s[n++] = ']';
		tried++;
		if (jsonc_is_canonical(s, n)) {
			fast++;
			if (!canonical_by_parsing(s, n)) {
				s[n] = '\0';
				CHECK_STR(s, "(a text the fast check wrongly calls canonical)");
				return;
			}
		}
	}
	/* The generator must reach the fast path often enough for the comparison to mean something. */
	CHECK(fast > tried / 100);
}

int main(void)
{
	RUN(test_strings);
	RUN(test_other_values);
	RUN(test_sorted_keys);
	RUN(test_full_buffer);
	RUN(test_canonical_shapes);
	RUN(test_canonical_never_wrong);
	return test_done();
}
