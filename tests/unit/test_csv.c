/* test_csv.c - the CSV reader's rows, line numbers and errors, and the writer's quoting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "test.h"

/* Reads all of data and renders each row as "LINE:[f1|f2|...]" separated by spaces, or "error: MSG" when the
 * reader refuses it, so one string shows everything the reader returned. */
static const char *parse(const char *data, size_t len)
{
	static char out[4096];
	struct csv_reader *r = csv_open(data, len);
	char err[200], **f;
	size_t n, i, used = 0;
	int rc;

	out[0] = '\0';
	while ((rc = csv_next(r, &f, &n, err, sizeof(err))) == 1) {
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%zu:[", used ? " " : "", csv_line(r));
		for (i = 0; i < n; i++)
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", i ? "|" : "", f[i]);
		used += (size_t)snprintf(out + used, sizeof(out) - used, "]");
	}
	if (rc < 0)
		snprintf(out + used, sizeof(out) - used, "%serror: %s", used ? " " : "", err);
	csv_free(r);
	return out;
}

#define P(s) parse(s, sizeof(s) - 1)

static void test_simple_rows(void)
{
	CHECK_STR(P("a,b,c\n1,2,3\n"), "1:[a|b|c] 2:[1|2|3]");
	CHECK_STR(P("a,b,c\n1,2,3"), "1:[a|b|c] 2:[1|2|3]");
	CHECK_STR(P("x"), "1:[x]");
	CHECK_STR(P(""), "");
}

static void test_empty_fields(void)
{
	CHECK_STR(P(",\n"), "1:[|]");
	CHECK_STR(P("a,,c\n"), "1:[a||c]");
	CHECK_STR(P("a,\n"), "1:[a|]");
	CHECK_STR(P("a,"), "1:[a|]");
	CHECK_STR(P("\"\"\n"), "1:[]");
	CHECK_STR(P("\"\",\"\""), "1:[|]");
}

static void test_empty_lines_skipped(void)
{
	CHECK_STR(P("\n\na\n\n\nb\n\n"), "3:[a] 6:[b]");
	CHECK_STR(P("\r\n\r\na\r\n"), "3:[a]");
	CHECK_STR(P("\n\n\n"), "");
}

static void test_crlf(void)
{
	CHECK_STR(P("a,b\r\nc,d\r\n"), "1:[a|b] 2:[c|d]");
	CHECK_STR(P("\"a\"\r\n\"b\""), "1:[a] 2:[b]");
	/* A lone CR ends a line, as old spreadsheets on the Mac wrote. */
	CHECK_STR(P("a\rb\r"), "1:[a] 2:[b]");
}

static void test_quoted(void)
{
	CHECK_STR(P("\"a,b\",c\n"), "1:[a,b|c]");
	CHECK_STR(P("\"say \"\"hi\"\"\"\n"), "1:[say \"hi\"]");
	CHECK_STR(P("\"\"\"\"\n"), "1:[\"]");
	CHECK_STR(P("\" padded \"\n"), "1:[ padded ]");
	CHECK_STR(P(" spaces kept ,x\n"), "1:[ spaces kept |x]");
}

static void test_embedded_newlines_count_lines(void)
{
	const char *d = "id,note\n1,\"two\nlines\"\n2,\"three\r\nlines\r\nhere\"\n3,x\n\n4,\"\n\"\n5,y\n";
	struct csv_reader *r = csv_open(d, strlen(d));
	char err[200], **f;
	size_t n;

	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_line(r), 1);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_line(r), 2);
	CHECK_INT(n, 2);
	CHECK_STR(f[1], "two\nlines");
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_line(r), 4);
	CHECK_STR(f[1], "three\r\nlines\r\nhere");
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_line(r), 7);
	CHECK_STR(f[0], "3");
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_line(r), 9);
	CHECK_STR(f[1], "\n");
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_line(r), 11);
	CHECK_STR(f[1], "y");
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 0);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 0);
	csv_free(r);
}

static void test_bom(void)
{
	CHECK_STR(P("\xef\xbb\xbfname,age\nAda,36\n"), "1:[name|age] 2:[Ada|36]");
	CHECK_STR(P("\xef\xbb\xbf\"q\"\n"), "1:[q]");
	CHECK_STR(P("\xef\xbb\xbf"), "");
	/* Only at the very start: later it is data. */
	CHECK_STR(P("a\n\xef\xbb\xbf" "b\n"), "1:[a] 2:[\xef\xbb\xbf" "b]");
}

static void test_utf8_passes_through(void)
{
	CHECK_STR(P("Bogotá,Côte d'Ivoire,東京\n"), "1:[Bogotá|Côte d'Ivoire|東京]");
}

static void test_errors(void)
{
	CHECK_STR(P("a\nb\n\"open\n\nstill open"), "1:[a] 2:[b] error: line 3: unterminated quoted field");
	CHECK_STR(P("a\n\"x\" ,b\n"), "1:[a] error: line 2: unexpected character ' ' after closing quote");
	CHECK_STR(P("\"a\nb\"x\n"), "error: line 2: unexpected character 'x' after closing quote");
	CHECK_STR(P("\"a\"\"\"b\n"), "error: line 1: unexpected character 'b' after closing quote");
	CHECK_STR(P("a\nb\nc\nab\"c\n"), "1:[a] 2:[b] 3:[c] error: line 4: quote inside an unquoted field");
	CHECK_STR(P("x,a\"\n"), "error: line 1: quote inside an unquoted field");
	CHECK_STR(P(" \"a\"\n"), "error: line 1: quote inside an unquoted field");
	CHECK_STR(P("a,\"\"\"\n"), "error: line 1: unterminated quoted field");
	CHECK_STR(P("\"a\"\tb\n"), "error: line 1: unexpected character byte 0x09 after closing quote");
	CHECK_STR(P("a\nb\0c\n"), "1:[a] error: line 2: NUL byte in a field");
	CHECK_STR(P("\"b\0c\"\n"), "error: line 1: NUL byte in a field");
}

static void test_error_is_sticky(void)
{
	const char *d = "ok\nbad\"\nfine\n";
	struct csv_reader *r = csv_open(d, strlen(d));
	char err[200], **f;
	size_t n;

	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), -1);
	CHECK_STR(err, "line 2: quote inside an unquoted field");
	err[0] = '\0';
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), -1);
	CHECK_STR(err, "line 2: quote inside an unquoted field");
	/* A NULL error buffer is allowed. */
	CHECK_INT(csv_next(r, &f, &n, NULL, 0), -1);
	csv_free(r);
}

static void test_field_limit(void)
{
	struct buf b = BUF_INIT(1 << 20);
	struct csv_reader *r;
	char err[200], **f;
	size_t n, i;

	CHECK_INT(buf_adds(&b, "first\n"), 0);
	for (i = 0; i < 1000; i++)
		CHECK_INT(buf_printf(&b, "%s%zu", i ? "," : "", i), 0);
	CHECK_INT(buf_adds(&b, "\n"), 0);
	for (i = 0; i < 1001; i++)
		CHECK_INT(buf_adds(&b, i ? ",\"\"" : "\"\n\""), 0);
	CHECK_INT(buf_adds(&b, "\n"), 0);
	r = csv_open(b.data, b.len);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(n, 1000);
	CHECK_STR(f[0], "0");
	CHECK_STR(f[999], "999");
	CHECK_INT(csv_line(r), 2);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), -1);
	CHECK_STR(err, "line 3: more than 1000 fields");
	csv_free(r);
	buf_release(&b);
}

static void test_fields_not_nul_terminated_input(void)
{
	/* The reader must not look past len: the byte after is a quote that would change the meaning. */
	const char d[] = "a,b\"";
	CHECK_STR(parse(d, 3), "1:[a|b]");
	CHECK_STR(parse(d, 2), "1:[a|]");
	CHECK_STR(parse("\"ab\"", 3), "error: line 1: unterminated quoted field");
}

static const char *written(const char *s)
{
	static char out[256];
	struct buf b = BUF_INIT(256);

	CHECK_INT(csv_write_field(&b, s), 0);
	snprintf(out, sizeof(out), "%s", b.data);
	buf_release(&b);
	return out;
}

static void test_writer_quoting(void)
{
	CHECK_STR(written("plain"), "plain");
	CHECK_STR(written(""), "");
	CHECK_STR(written("in side"), "in side");
	CHECK_STR(written("a,b"), "\"a,b\"");
	CHECK_STR(written("say \"hi\""), "\"say \"\"hi\"\"\"");
	CHECK_STR(written("\""), "\"\"\"\"");
	CHECK_STR(written("two\nlines"), "\"two\nlines\"");
	CHECK_STR(written("cr\r"), "\"cr\r\"");
	CHECK_STR(written(" lead"), "\" lead\"");
	CHECK_STR(written("trail "), "\"trail \"");
	CHECK_STR(written("é,ü"), "\"é,ü\"");
	/* A text that starts with a byte order mark would lose it at the start of a file, where readers take it
	 * for the file's own (found by fuzz_client: tests/fuzz/corpus/client/csv-bom-after-empty-line). */
	CHECK_STR(written("\xef\xbb\xbf" "x"), "\"\xef\xbb\xbf" "x\"");
	CHECK_STR(parse(written("\xef\xbb\xbf" "x"), strlen(written("\xef\xbb\xbf" "x"))), "1:[\xef\xbb\xbf" "x]");
}

static void test_writer_cap(void)
{
	struct buf b = BUF_INIT(8);

	CHECK_INT(csv_write_field(&b, "abc"), 0);
	/* "\"x,y\"" is 5 bytes: 3 + 5 = 8 fits exactly; one more byte does not, and leaves b unchanged. */
	CHECK_INT(csv_write_field(&b, "x,y"), 0);
	CHECK_STR(b.data, "abc\"x,y\"");
	buf_reset(&b);
	CHECK_INT(csv_write_field(&b, "abcd"), 0);
	CHECK_INT(csv_write_field(&b, "x\"y"), -1);
	CHECK_INT(b.len, 4);
	CHECK_STR(b.data, "abcd");
	buf_release(&b);
}

static void test_round_trip(void)
{
	static const char *rows[][4] = {
		{ "id", "name", "note", "empty" },
		{ "1", "Ada, Countess", "said \"hi\"\nand left", "" },
		{ " x ", "\"", ",", "\r\n" },
		{ "último", "a\"\"b", "end\r", "z" },
	};
	struct buf b = BUF_INIT(4096);
	struct csv_reader *r;
	char err[200], **f;
	size_t n, i, j;

	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			if (j)
				CHECK_INT(buf_addc(&b, ','), 0);
			CHECK_INT(csv_write_field(&b, rows[i][j]), 0);
		}
		CHECK_INT(buf_adds(&b, "\r\n"), 0);
	}
	r = csv_open(b.data, b.len);
	for (i = 0; i < 4; i++) {
		CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
		CHECK_INT(n, 4);
		for (j = 0; j < 4 && j < n; j++)
			CHECK_STR(f[j], rows[i][j]);
	}
	CHECK_INT(csv_line(r), 6);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 0);
	csv_free(r);
	buf_release(&b);
}

/* Text people typed: what a spreadsheet could run gets an apostrophe, and every text reads back exactly. */
static void test_text_guard(void)
{
	static const char *const texts[] = {
		"=1+1", "+x", "-x", "@SUM(A1)", "\tx", "\rx", "'=x", "''x", "'''", "'tis", "'", "plain", "", "a,b",
		"=a,b", "=HYPERLINK(\"http://x\")", "=x ", "-", "=",
	};
	struct buf b = BUF_INIT(4096);
	struct csv_reader *r;
	char err[200], **f;
	size_t n, i;

	CHECK_INT(csv_write_text(&b, "=1+1"), 0);
	CHECK_STR(b.data, "'=1+1");
	buf_reset(&b);
	CHECK_INT(csv_write_text(&b, "=a,b"), 0);
	CHECK_STR(b.data, "\"'=a,b\"");
	buf_reset(&b);
	CHECK_INT(csv_write_text(&b, "'tis"), 0);
	CHECK_STR(b.data, "'tis");
	buf_reset(&b);
	CHECK_INT(csv_write_text(&b, "'=x"), 0);
	CHECK_STR(b.data, "''=x");
	buf_reset(&b);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (i)
			CHECK_INT(buf_addc(&b, ','), 0);
		CHECK_INT(csv_write_text(&b, texts[i]), 0);
	}
	CHECK_INT(buf_adds(&b, "\r\n"), 0);
	r = csv_open(b.data, b.len);
	CHECK_INT(csv_next(r, &f, &n, err, sizeof(err)), 1);
	CHECK_INT(n, sizeof(texts) / sizeof(texts[0]));
	for (i = 0; i < n && i < sizeof(texts) / sizeof(texts[0]); i++) {
		CHECK_STR(csv_unguard(f[i]), texts[i]);
		/* and nothing a spreadsheet would run */
		CHECK(!strchr("=+-@\t\r", f[i][0]) || !f[i][0]);
	}
	csv_free(r);
	buf_release(&b);
	/* a full buffer is left as it was */
	{
		struct buf small = BUF_INIT(6);

		CHECK_INT(csv_write_text(&small, "ab"), 0);
		CHECK_INT(csv_write_text(&small, "=cdef"), -1);
		CHECK_STR(small.data, "ab");
		buf_release(&small);
	}
}

int main(void)
{
	RUN(test_simple_rows);
	RUN(test_empty_fields);
	RUN(test_empty_lines_skipped);
	RUN(test_crlf);
	RUN(test_quoted);
	RUN(test_embedded_newlines_count_lines);
	RUN(test_bom);
	RUN(test_utf8_passes_through);
	RUN(test_errors);
	RUN(test_error_is_sticky);
	RUN(test_field_limit);
	RUN(test_fields_not_nul_terminated_input);
	RUN(test_writer_quoting);
	RUN(test_writer_cap);
	RUN(test_round_trip);
	RUN(test_text_guard);
	return test_done();
}
