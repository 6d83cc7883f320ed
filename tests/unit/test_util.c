/* test_util.c - UTF-8 checks with the offset of the first bad byte, errf, strlcpy_s, dates and hex. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "util.h"

/* utf8_valid over a string literal (which may hold NUL bytes); the bad offset, or -1 when valid. */
static long bad_at(const char *s, size_t len)
{
	size_t bad = 12345;

	return utf8_valid(s, len, &bad) ? -1 : (long)bad;
}

#define BAD(lit) bad_at(lit, sizeof(lit) - 1)

static void test_utf8_valid_multibyte(void)
{
	CHECK_INT(BAD(""), -1);
	CHECK_INT(BAD("plain ascii ~\x7f"), -1);
	CHECK_INT(BAD("h\xc3\xa9llo"), -1);                     /* é */
	CHECK_INT(BAD("\xe2\x82\xac"), -1);                     /* € */
	CHECK_INT(BAD("\xf0\x9d\x84\x9e"), -1);                 /* U+1D11E */
	CHECK_INT(BAD("\xe6\x9d\xb1\xe4\xba\xac"), -1);         /* 東京 */
	/* The edges of each length. */
	CHECK_INT(BAD("\xc2\x80"), -1);                         /* U+0080 */
	CHECK_INT(BAD("\xdf\xbf"), -1);                         /* U+07FF */
	CHECK_INT(BAD("\xe0\xa0\x80"), -1);                     /* U+0800 */
	CHECK_INT(BAD("\xef\xbf\xbf"), -1);                     /* U+FFFF */
	CHECK_INT(BAD("\xf0\x90\x80\x80"), -1);                 /* U+10000 */
	CHECK_INT(BAD("\xf4\x8f\xbf\xbf"), -1);                 /* U+10FFFF */
	CHECK_INT(BAD("\xed\x9f\xbf"), -1);                     /* U+D7FF, just below the surrogates */
	CHECK_INT(BAD("\xee\x80\x80"), -1);                     /* U+E000, just above */
	CHECK(utf8_valid("ok", 2, NULL));
}

static void test_utf8_overlong(void)
{
	CHECK_INT(BAD("\xc0\x80"), 0);
	CHECK_INT(BAD("ab\xc1\xbf"), 2);
	CHECK_INT(BAD("abc\xe0\x80\x80"), 3);
	CHECK_INT(BAD("\xe0\x9f\xbf"), 0);                      /* U+07FF in three bytes */
	CHECK_INT(BAD("x\xf0\x80\x80\x80"), 1);
	CHECK_INT(BAD("\xf0\x8f\xbf\xbf"), 0);                  /* U+FFFF in four bytes */
}

static void test_utf8_surrogates_and_range(void)
{
	CHECK_INT(BAD("\xed\xa0\x80"), 0);                      /* U+D800 */
	CHECK_INT(BAD("ok \xed\xbf\xbf"), 3);                   /* U+DFFF */
	CHECK_INT(BAD("\xed\xa0\xbd\xed\xb8\x80"), 0);          /* a CESU-8 pair */
	CHECK_INT(BAD("\xf4\x90\x80\x80"), 0);                  /* U+110000 */
	CHECK_INT(BAD("\xf5\x80\x80\x80"), 0);
	CHECK_INT(BAD("a\xfe"), 1);
	CHECK_INT(BAD("a\xff"), 1);
}

static void test_utf8_truncated_and_stray(void)
{
	CHECK_INT(BAD("a\xc3"), 1);
	CHECK_INT(BAD("ab\xe2\x82"), 2);
	CHECK_INT(BAD("\xf0\x9d\x84"), 0);
	CHECK_INT(BAD("\xc3\x28"), 0);                          /* continuation missing */
	CHECK_INT(BAD("\xe2\x28\xa1"), 0);
	CHECK_INT(BAD("\x80"), 0);                              /* lone continuation */
	CHECK_INT(BAD("\xc3\xa9\xa9"), 2);
	/* len cuts a sequence short even when the bytes after it would complete it. */
	CHECK_INT(bad_at("\xc3\xa9", 1), 0);
	CHECK_INT(bad_at("a\xe2\x82\xac", 3), 1);
	CHECK_INT(bad_at("\xe2\x82\xac", 3), -1);
	CHECK(!utf8_valid("\xc3", 1, NULL));
}

static void test_utf8_nul(void)
{
	CHECK_INT(BAD("a\0b"), 1);
	CHECK_INT(BAD("\0"), 0);
	CHECK_INT(BAD("\xc3\xa9\0"), 2);
	CHECK_INT(BAD("\xc0\x80"), 0);                          /* and not through the overlong disguise */
}

static void test_utf8_len(void)
{
	CHECK_INT(utf8_len(""), 0);
	CHECK_INT(utf8_len("abc"), 3);
	CHECK_INT(utf8_len("h\xc3\xa9llo"), 5);
	CHECK_INT(utf8_len("\xe2\x82\xac\xf0\x9d\x84\x9e"), 2);
	CHECK_INT(utf8_len("\xe6\x9d\xb1\xe4\xba\xac"), 2);
}

static void test_errf(void)
{
	char err[64] = "untouched", small[5];

	CHECK_INT(errf(err, sizeof(err), "cannot open '%s': %d", "x.csv", 5), -1);
	CHECK_STR(err, "cannot open 'x.csv': 5");
	CHECK_INT(errf(small, sizeof(small), "%s", "truncated"), -1);
	CHECK_STR(small, "trun");
	CHECK_INT(errf(NULL, 100, "%s", "nowhere"), -1);
	strlcpy_s(err, "untouched", sizeof(err));
	CHECK_INT(errf(err, 0, "%s", "nowhere"), -1);
	CHECK_STR(err, "untouched");
}

static void test_strlcpy_s(void)
{
	char dst[10];

	CHECK_INT(strlcpy_s(dst, "hello", sizeof(dst)), 5);
	CHECK_STR(dst, "hello");
	CHECK_INT(strlcpy_s(dst, "hello", 6), 5);
	CHECK_STR(dst, "hello");
	CHECK_INT(strlcpy_s(dst, "hello", 5), 5);
	CHECK_STR(dst, "hell");
	CHECK_INT(strlcpy_s(dst, "a longer string", sizeof(dst)), 15);
	CHECK_STR(dst, "a longer ");
	CHECK_INT(strlcpy_s(dst, "abc", 1), 3);
	CHECK_STR(dst, "");
	memcpy(dst, "keep", 5);
	CHECK_INT(strlcpy_s(dst, "abc", 0), 3);
	CHECK_STR(dst, "keep");
	CHECK_INT(strlcpy_s(dst, "", sizeof(dst)), 0);
	CHECK_STR(dst, "");
}

static void test_today_str(void)
{
	char out[16], want[16];
	time_t t;
	struct tm tm;

	setenv("SONDEO_TODAY", "2018-03-01", 1);
	today_str(now_ms(), out, sizeof(out));
	CHECK_STR(out, "2018-03-01");
	today_str(now_ms(), out, 5);
	CHECK_STR(out, "2018");

	/* Not a date's length: ignored, so today comes from the clock. */
	setenv("SONDEO_TODAY", "2018-3-1", 1);
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(want, sizeof(want), "%Y-%m-%d", &tm);
	today_str((uint64_t)t * 1000, out, sizeof(out));
	CHECK_STR(out, want);
	unsetenv("SONDEO_TODAY");
	today_str((uint64_t)t * 1000 + 999, out, sizeof(out));
	CHECK_STR(out, want);
	CHECK_INT(strlen(out), 10);

	/* The date of the time given, not of the clock: 2018-03-01 12:00 UTC and the day before. */
	setenv("TZ", "UTC", 1);
	tzset();
	today_str(1519905600000ULL, out, sizeof(out));
	CHECK_STR(out, "2018-03-01");
	today_str(1519905600000ULL - 86400000, out, sizeof(out));
	CHECK_STR(out, "2018-02-28");
	unsetenv("TZ");
	tzset();
}

/* clock_ms is the wall clock moved by the last correction, either way, and back when it is 0. */
static void test_clock_correct(void)
{
	uint64_t before, got;

	before = now_ms();
	clock_correct(-3600000);
	got = clock_ms();
	CHECK(got + 3600000 >= before && got + 3600000 <= now_ms());
	clock_correct(2 * 86400000LL);
	before = now_ms();
	got = clock_ms();
	CHECK(got >= before + 2 * 86400000ULL && got <= now_ms() + 2 * 86400000ULL);
	clock_correct(0);
	before = now_ms();
	got = clock_ms();
	CHECK(got >= before && got <= now_ms());
}

/* Spans to the nearest minute, in the largest units that keep them short. */
static void test_span_fmt(void)
{
	char out[40];

	span_fmt(0, out, sizeof(out));
	CHECK_STR(out, "0 min");
	span_fmt(7 * 60000 + 29999, out, sizeof(out));
	CHECK_STR(out, "7 min");
	span_fmt(59 * 60000 + 30000, out, sizeof(out));
	CHECK_STR(out, "1 h 0 min");
	span_fmt(3600000ULL + 61 * 60000, out, sizeof(out));
	CHECK_STR(out, "2 h 1 min");
	span_fmt(365ULL * 86400000, out, sizeof(out));
	CHECK_STR(out, "365 d 0 h");
}

static void test_time_fmt(void)
{
	char out[32];

	setenv("TZ", "UTC", 1);
	tzset();
	time_fmt(0, out, sizeof(out));
	CHECK_STR(out, "1970-01-01 00:00");
	time_fmt(1520000000999ULL, out, sizeof(out));
	CHECK_STR(out, "2018-03-02 14:13");
}

static void test_now_ms(void)
{
	uint64_t a = now_ms(), b;
	time_t t = time(NULL);

	CHECK(a / 1000 + 2 >= (uint64_t)t && a / 1000 <= (uint64_t)t + 2);
	b = now_ms();
	CHECK(b >= a);
}

static void test_hex_and_strings(void)
{
	static const unsigned char in[] = { 0x00, 0xff, 0x1a, 0xb0 };
	char out[9], *p;

	hex_encode(out, in, sizeof(in));
	CHECK_STR(out, "00ff1ab0");
	hex_encode(out, in, 0);
	CHECK_STR(out, "");
	p = xstrndup("hello", 3);
	CHECK_STR(p, "hel");
	free(p);
	p = xstrndup("hi", 10);
	CHECK_STR(p, "hi");
	free(p);
	p = xstrdup("");
	CHECK_STR(p, "");
	free(p);
}

/* Text is cut between characters, never inside one (a long comment or answer for the audit log, a quoted
 * value in a message). */
static void test_utf8_cut(void)
{
#define CUT(lit, max) utf8_cut(lit, sizeof(lit) - 1, max)
	CHECK_INT(CUT("abc", 5), 3);
	CHECK_INT(CUT("abc", 3), 3);
	CHECK_INT(CUT("abc", 2), 2);
	CHECK_INT(CUT("a\xc3\xa9", 2), 1);       /* aé: not half of é */
	CHECK_INT(CUT("\xc3\xa9\xc3\xa9", 3), 2);
	CHECK_INT(CUT("\xc3\xa9\xc3\xa9", 4), 4);
	CHECK_INT(CUT("\xe2\x82\xac!", 2), 0);   /* the euro sign's three bytes, or none */
	CHECK_INT(CUT("\xf0\x9f\x98\x80", 3), 0);
	CHECK_INT(CUT("", 0), 0);
#undef CUT
}

/* Padding counts characters, not bytes: "é" is two bytes and one column. */
static void test_utf8_pad(void)
{
	CHECK_INT(utf8_pad("abc", 10), 10);
	CHECK_INT(utf8_pad("\xc3\xa9t\xc3\xa9", 10), 12);
	CHECK_INT(utf8_pad("12\xe2\x80\xaf" "345", 8), 10);
}

int main(void)
{
	RUN(test_utf8_valid_multibyte);
	RUN(test_utf8_overlong);
	RUN(test_utf8_surrogates_and_range);
	RUN(test_utf8_truncated_and_stray);
	RUN(test_utf8_nul);
	RUN(test_utf8_len);
	RUN(test_utf8_cut);
	RUN(test_utf8_pad);
	RUN(test_errf);
	RUN(test_strlcpy_s);
	RUN(test_today_str);
	RUN(test_clock_correct);
	RUN(test_time_fmt);
	RUN(test_span_fmt);
	RUN(test_now_ms);
	RUN(test_hex_and_strings);
	return test_done();
}
