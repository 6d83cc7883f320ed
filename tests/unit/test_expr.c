/* test_expr.c - unit tests for the expression parser and evaluator (common/expr.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "expr.h"
#include "test.h"
#include "util.h"

#include "banned.h"

static char result[2048];

/* Evaluates src with answers and self given as JSON text (NULL: none) and describes the result: strings in
 * quotes ('abc'), numbers as JSON (7, 0.5), booleans as true()/false(), parse or evaluation errors as
 * "ERR: message". */
static const char *ev(const char *src, const char *answers, const char *self)
{
	char err[256] = "";
	json_t *a = answers ? json_loads(answers, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *s = self ? json_loads(self, JSON_DECODE_ANY, NULL) : NULL;
	struct expr *e = expr_parse(src, err, sizeof err);
	json_t *out = NULL;

	if (!e) {
		snprintf(result, sizeof result, "ERR: %s", err);
	} else if (expr_eval(e, a, s, &out, err, sizeof err) < 0) {
		snprintf(result, sizeof result, "ERR: %s", err);
	} else if (json_is_string(out)) {
		snprintf(result, sizeof result, "'%s'", json_string_value(out));
	} else if (json_is_boolean(out)) {
		snprintf(result, sizeof result, "%s", json_is_true(out) ? "true()" : "false()");
	} else {
		char *d = json_dumps(out, JSON_ENCODE_ANY);

		snprintf(result, sizeof result, "%s", d);
		free(d);
	}
	json_decref(out);
	expr_free(e);
	json_decref(a);
	json_decref(s);
	return result;
}

/* The boolean value, or -1 on an error. */
static int evb(const char *src, const char *answers, const char *self)
{
	char err[256];
	json_t *a = answers ? json_loads(answers, 0, NULL) : NULL;
	json_t *s = self ? json_loads(self, JSON_DECODE_ANY, NULL) : NULL;
	struct expr *e = expr_parse(src, err, sizeof err);
	int b = -1;

	if (e && expr_eval_bool(e, a, s, &b, err, sizeof err) < 0)
		b = -1;
	expr_free(e);
	json_decref(a);
	json_decref(s);
	return b;
}

static const char *parse_error(const char *src)
{
	struct expr *e;

	result[0] = '\0';
	e = expr_parse(src, result, sizeof result);
	if (e) {
		expr_free(e);
		return "(parsed)";
	}
	return result;
}

static void test_precedence(void)
{
	CHECK_STR(ev("1 + 2 * 3", NULL, NULL), "7");
	CHECK_STR(ev("(1 + 2) * 3", NULL, NULL), "9");
	CHECK_STR(ev("10 - 4 - 3", NULL, NULL), "3");
	CHECK_STR(ev("12 div 2 div 3", NULL, NULL), "2");
	CHECK_STR(ev("7 mod 4 * 2", NULL, NULL), "6");
	CHECK_STR(ev("-2 * -3", NULL, NULL), "6");
	CHECK_STR(ev("- - 4", NULL, NULL), "4");
	CHECK_STR(ev("not(1 = 2) and 3 > 2", NULL, NULL), "true()");
	CHECK_STR(ev("1 + 1 = 2", NULL, NULL), "true()");
	CHECK_STR(ev("1 < 2 = 2 > 1", NULL, NULL), "true()");
	/* a or b and c is a or (b and c) */
	CHECK_STR(ev("true() or false() and false()", NULL, NULL), "true()");
	CHECK_STR(ev("(true() or false()) and false()", NULL, NULL), "false()");
	CHECK_STR(ev("false() and true() or true()", NULL, NULL), "true()");
	CHECK_STR(ev("1 = 1 and 2 = 3 or 4 = 4", NULL, NULL), "true()");
	CHECK_STR(ev("1 = 1 and (2 = 3 or 4 = 5)", NULL, NULL), "false()");
}

static void test_numbers(void)
{
	CHECK_STR(ev("1.5 + 1.5", NULL, NULL), "3");
	CHECK_STR(ev("7 div 2", NULL, NULL), "3.5");
	CHECK_STR(ev(".5 * 3", NULL, NULL), "1.5");
	CHECK_STR(ev("7 mod 3", NULL, NULL), "1");
	CHECK_STR(ev("-7 mod 3", NULL, NULL), "-1");
	CHECK_STR(ev("5.5 mod 2", NULL, NULL), "1.5");
	CHECK_STR(ev("string(1 div 0)", NULL, NULL), "'Infinity'");
	CHECK_STR(ev("string(-1 div 0)", NULL, NULL), "'-Infinity'");
	CHECK_STR(ev("string(0 div 0)", NULL, NULL), "'NaN'");
	CHECK_STR(ev("0 div 0", NULL, NULL), "'NaN'");
	CHECK_STR(ev("string(3)", NULL, NULL), "'3'");
	CHECK_STR(ev("string(2.50)", NULL, NULL), "'2.5'");
	CHECK_STR(ev("string(0.1 + 0.2)", NULL, NULL), "'0.30000000000000004'");
	CHECK_STR(ev("string(-0)", NULL, NULL), "'0'");
	CHECK_STR(ev("concat(10 div 4, '|', 100)", NULL, NULL), "'2.5|100'");
	CHECK_STR(ev("'3' + '4'", NULL, NULL), "7");
	CHECK_STR(ev("string('x' + 1)", NULL, NULL), "'NaN'");
}

static void test_comparisons(void)
{
	CHECK_STR(ev("'a' = 'a'", NULL, NULL), "true()");
	CHECK_STR(ev("'a' != 'A'", NULL, NULL), "true()");
	CHECK_STR(ev("'2024-01-31' < '2024-02-01'", NULL, NULL), "true()");
	CHECK_STR(ev("'2024-12-01' <= '2024-02-01'", NULL, NULL), "false()");
	CHECK_STR(ev("'10' > '9'", NULL, NULL), "true()");      /* two numeric strings compare as numbers */
	CHECK_STR(ev("'b' > 'a'", NULL, NULL), "true()");
	CHECK_STR(ev("'5' = 5", NULL, NULL), "true()");
	CHECK_STR(ev("'5.0' = 5", NULL, NULL), "true()");
	CHECK_STR(ev("'5.0' = '5'", NULL, NULL), "false()");    /* two strings: exact */
	/* NaN: every comparison false except != */
	CHECK_STR(ev("'abc' = 1", NULL, NULL), "false()");
	CHECK_STR(ev("'abc' < 1", NULL, NULL), "false()");
	CHECK_STR(ev("'abc' >= 1", NULL, NULL), "false()");
	CHECK_STR(ev("'abc' != 1", NULL, NULL), "true()");
	CHECK_STR(ev("true() = 1", NULL, NULL), "true()");
	CHECK_STR(ev("true() > 0", NULL, NULL), "true()");
	CHECK_STR(ev("'yes' = true()", NULL, NULL), "true()");  /* XPath: compared as booleans */
	CHECK_STR(ev("'' = false()", NULL, NULL), "true()");
	CHECK_STR(ev("2 >= 2 and 2 <= 2 and 1 < 2 and 2 > 1", NULL, NULL), "true()");
}

static void test_functions(void)
{
	const char *ans = "{\"colours\": [\"red\", \"green\"], \"one\": \"blue\", \"n\": 3, \"r\": 2.5,"
			  " \"name\": \"Zoë\", \"empty\": \"\", \"none\": null}";

	CHECK_STR(ev("not(0)", NULL, NULL), "true()");
	CHECK_STR(ev("not('x')", NULL, NULL), "false()");
	CHECK_STR(ev("not('')", NULL, NULL), "true()");
	CHECK_STR(ev("not(0 div 0)", NULL, NULL), "true()");
	CHECK_STR(ev("selected(${colours}, 'green')", ans, NULL), "true()");
	CHECK_STR(ev("selected(${colours}, 'gree')", ans, NULL), "false()");
	CHECK_STR(ev("selected(${colours}, 'blue')", ans, NULL), "false()");
	CHECK_STR(ev("selected(${one}, 'blue')", ans, NULL), "true()");
	CHECK_STR(ev("selected(${none}, 'blue')", ans, NULL), "false()");
	CHECK_STR(ev("selected('a  b', '')", NULL, NULL), "false()");
	CHECK_STR(ev("count-selected(${colours})", ans, NULL), "2");
	CHECK_STR(ev("count-selected(${one})", ans, NULL), "1");
	CHECK_STR(ev("count-selected(${none})", ans, NULL), "0");
	CHECK_STR(ev("count-selected(' a  b c ')", NULL, NULL), "3");
	CHECK_STR(ev("string-length(${name})", ans, NULL), "3");     /* characters, not bytes */
	CHECK_STR(ev("string-length('')", NULL, NULL), "0");
	CHECK_STR(ev("string-length()", NULL, "\"abcd\""), "4");
	CHECK_STR(ev("string-length(12.5)", NULL, NULL), "4");
	CHECK_STR(ev("regex('KEN', '^[A-Z]{3}$')", NULL, NULL), "true()");
	CHECK_STR(ev("regex('KENY', '^[A-Z]{3}$')", NULL, NULL), "false()");
	CHECK_STR(ev("regex('ab', 'b')", NULL, NULL), "true()");
	CHECK_STR(ev("regex(${n}, '^[0-9]+$')", ans, NULL), "true()");
	CHECK_STR(ev("if(${n} > 2, 'big', 'small')", ans, NULL), "'big'");
	CHECK_STR(ev("if(${none}, 'yes', 'no')", ans, NULL), "'no'");
	CHECK_STR(ev("if(true(), 1, 2) + 1", NULL, NULL), "2");
	CHECK_STR(ev("concat('a', ${n}, ${colours}, true())", ans, NULL), "'a3red greentrue'");
	CHECK_STR(ev("concat()", NULL, NULL), "''");
	CHECK_STR(ev("concat('x')", NULL, NULL), "'x'");
	CHECK_STR(ev("true()", NULL, NULL), "true()");
	CHECK_STR(ev("false()", NULL, NULL), "false()");
	CHECK_STR(ev("number(' 42 ')", NULL, NULL), "42");
	CHECK_STR(ev("number('-1.25')", NULL, NULL), "-1.25");
	CHECK_STR(ev("string(number('1e3'))", NULL, NULL), "'NaN'");   /* XPath numbers have no exponent */
	CHECK_STR(ev("string(number(''))", NULL, NULL), "'NaN'");
	CHECK_STR(ev("number(true())", NULL, NULL), "1");
	CHECK_STR(ev("int(3.9)", NULL, NULL), "3");
	CHECK_STR(ev("int(-3.9)", NULL, NULL), "-3");
	CHECK_STR(ev("int('7.2')", NULL, NULL), "7");
	CHECK_STR(ev("string(${r})", ans, NULL), "'2.5'");
	CHECK_STR(ev("string(false())", NULL, NULL), "'false'");
	CHECK_STR(ev("coalesce(${none}, 'fallback')", ans, NULL), "'fallback'");
	CHECK_STR(ev("coalesce(${empty}, ${one})", ans, NULL), "'blue'");
	CHECK_STR(ev("coalesce(${n}, 'x')", ans, NULL), "3");
}

static void test_today(void)
{
	setenv("SONDEO_TODAY", "2031-07-04", 1);
	CHECK_STR(ev("today()", NULL, NULL), "'2031-07-04'");
	CHECK_INT(evb(". <= today()", NULL, "\"2031-07-04\""), 1);
	CHECK_INT(evb(". <= today()", NULL, "\"2031-07-05\""), 0);
	CHECK_INT(evb(". <= today()", NULL, "\"2030-12-31\""), 1);
	unsetenv("SONDEO_TODAY");
}

/* today() is the day of the corrected clock (a laptop whose server said it is two days behind), not of the
 * laptop's own. */
static void test_today_corrected(void)
{
	char day[16], lit[40], str[40];

	clock_correct(2 * 86400000LL);
	today_str(now_ms() + 2 * 86400000ULL, day, sizeof(day));
	snprintf(lit, sizeof(lit), "'%s'", day);
	snprintf(str, sizeof(str), "\"%s\"", day);
	CHECK_STR(ev("today()", NULL, NULL), lit);
	CHECK_INT(evb(". <= today()", NULL, str), 1);
	clock_correct(0);
}

static void test_self(void)
{
	CHECK_STR(ev(".", NULL, "7"), "7");
	CHECK_STR(ev(".", NULL, "\"x\""), "'x'");
	CHECK_STR(ev(".", NULL, NULL), "''");
	CHECK_STR(ev(".", NULL, "[\"a\", \"b\"]"), "'a b'");
	CHECK_INT(evb(". >= 1 and . <= 5", NULL, "3"), 1);
	CHECK_INT(evb(". >= 1 and . <= 5", NULL, "6"), 0);
	CHECK_INT(evb(". >= 1 and . <= 5", NULL, "0"), 0);
	CHECK_INT(evb(". >= 1 and . <= 5", NULL, NULL), 0);
	CHECK_INT(evb(". * 2 = 5", NULL, "2.5"), 1);
	CHECK_INT(evb("regex(., '^[A-Z]{3}$')", NULL, "\"KEN\""), 1);
	CHECK_INT(evb("regex(., '^[A-Z]{3}$')", NULL, "\"ken\""), 0);
}

static void test_lookups(void)
{
	const char *ans = "{\"a\": \"other\", \"n\": 4, \"list\": [\"x\", \"y\"], \"nul\": null, \"t\": true}";

	CHECK_STR(ev("${a} = 'other'", ans, NULL), "true()");
	CHECK_STR(ev("${n} * 2", ans, NULL), "8");
	CHECK_STR(ev("${n} = '4'", ans, NULL), "true()");
	CHECK_STR(ev("${list}", ans, NULL), "'x y'");
	CHECK_STR(ev("${missing}", ans, NULL), "''");
	CHECK_STR(ev("${nul}", ans, NULL), "''");
	CHECK_STR(ev("${t}", ans, NULL), "true()");
	CHECK_STR(ev("${missing} = ''", ans, NULL), "true()");
	CHECK_STR(ev("${missing} != 'no'", ans, NULL), "true()");
	CHECK_STR(ev("${missing} > 3", ans, NULL), "false()");
	CHECK_STR(ev("${missing} < 3", ans, NULL), "false()");
	CHECK_STR(ev("${n} != ''", ans, NULL), "true()");
	CHECK_STR(ev("${a}", NULL, NULL), "''");           /* no answers object at all */
	CHECK_STR(ev("${with.dot-and_dash}", "{\"with.dot-and_dash\": 1}", NULL), "1");
	CHECK_INT(evb("${missing}", ans, NULL), 0);
	CHECK_INT(evb("${a}", ans, NULL), 1);
	CHECK_INT(evb("${list}", ans, NULL), 1);
	CHECK_INT(evb("${nul} or ${n} = 4", ans, NULL), 1);
}

static void test_syntax_errors(void)
{
	CHECK_STR(parse_error("(1 + 2"), "at column 7: expected ')'");
	CHECK_STR(parse_error("${a} = 'x' ${b}"), "at column 12: expected an operator or the end of the expression");
	CHECK_STR(parse_error("1 +"), "at column 4: expected a value");
	CHECK_STR(parse_error("1 + * 2"), "at column 5: expected a value");
	CHECK_STR(parse_error("'abc"), "at column 1: unterminated string (no closing ')");
	CHECK_STR(parse_error("${a"), "at column 4: expected '}'");
	CHECK_STR(parse_error("${}"), "at column 3: expected a question name after '${'");
	CHECK_STR(parse_error("$a"), "at column 1: expected '{' after '$'");
	CHECK_STR(parse_error("1 # 2"), "at column 3: unexpected character '#'");
	CHECK_STR(parse_error("1 ! 2"), "at column 3: unexpected character '!'");
	CHECK_STR(parse_error("foo(1)"), "at column 1: unknown function 'foo'");
	CHECK_STR(parse_error("today"), "at column 6: expected '(' after 'today'");
	CHECK_STR(parse_error("${a} = yes"),
		  "at column 8: unexpected word 'yes' (quote text, as in 'yes'; write a question as ${yes})");
	CHECK_STR(parse_error("selected(${a})"), "at column 1: selected() takes 2 arguments, not 1");
	CHECK_STR(parse_error("1 = today(1)"), "at column 5: today() takes 0 arguments, not 1");
	CHECK_STR(parse_error("string-length(1, 2)"), "at column 1: string-length() takes 0 or 1 arguments, not 2");
	CHECK_STR(parse_error("if(1, 2 3)"), "at column 9: expected ',' or ')'");
	CHECK_STR(parse_error("concat('a',)"), "at column 12: expected a value");
	CHECK_STR(parse_error("if(1, 2, 3, 4)"), "at column 1: if() takes 3 arguments, not 4");
	CHECK_STR(parse_error("regex(.)"), "at column 1: regex() takes 2 arguments, not 1");
	CHECK_STR(parse_error("and 1"), "at column 1: expected a value before 'and'");
	CHECK_STR(parse_error(""), "empty expression");
	CHECK_STR(parse_error("   "), "empty expression");
	CHECK_STR(parse_error("1 )"), "at column 3: expected an operator or the end of the expression");
	/* columns count characters, not bytes */
	CHECK_STR(parse_error("'é' = ("), "at column 8: expected a value");
	CHECK_STR(parse_error("\xe2\x80\x98yes\xe2\x80\x99"), "at column 1: unexpected character '\xe2\x80\x98' "
		  "(quote text with ' or \")");
	CHECK_STR(parse_error("'a\xff'"), "at byte 3: invalid UTF-8");
	CHECK_STR(parse_error("1.2.3"), "at column 4: expected an operator or the end of the expression");
	CHECK_STR(parse_error("1e5"), "at column 2: expected an operator or the end of the expression");
	CHECK_STR(parse_error("\"double\" = 'single'"), "(parsed)");
	CHECK_STR(parse_error(" count-selected( ${x} ) >= 2 "), "(parsed)");
}

static void test_limits(void)
{
	char src[8192];
	size_t i, n = 0;

	/* 64 nested parentheses parse, 65 do not */
	for (i = 0; i < 64; i++)
		src[n++] = '(';
	src[n++] = '1';
	for (i = 0; i < 64; i++)
		src[n++] = ')';
	src[n] = '\0';
	CHECK_STR(parse_error(src), "(parsed)");
	n = 0;
	for (i = 0; i < 65; i++)
		src[n++] = '(';
	src[n++] = '1';
	for (i = 0; i < 65; i++)
		src[n++] = ')';
	src[n] = '\0';
	CHECK_STR(parse_error(src), "at column 65: expression is too deeply nested (more than 64 levels)");
	/* nested calls and signs count too */
	n = 0;
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, "not(");
	src[n++] = '1';
	for (i = 0; i < 100; i++)
		src[n++] = ')';
	src[n] = '\0';
	CHECK(strstr(parse_error(src), "too deeply nested") != NULL);
	memset(src, '-', 2000);
	snprintf(src + 2000, sizeof src - 2000, "1");
	CHECK(strstr(parse_error(src), "too deeply nested") != NULL);
	/* a long flat chain is fine up to the tree's depth limit */
	n = 0;
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, "%s1", i ? "+" : "");
	CHECK_STR(ev(src, NULL, NULL), "200");
	n = 0;
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, "%s1", i ? "+" : "");
	CHECK(strstr(parse_error(src), "too deeply nested (more than 256 levels)") != NULL);
	/* length */
	memset(src, ' ', 4096);
	src[0] = '1';
	src[4096] = '\0';
	CHECK_STR(parse_error(src), "(parsed)");
	memset(src, ' ', 4097);
	src[0] = '1';
	src[4097] = '\0';
	CHECK_STR(parse_error(src), "expression is longer than 4096 bytes");
}

static void test_bad_regex(void)
{
	char err[256] = "";
	struct expr *e;
	json_t *out = NULL;
	int b = 7;

	/* a literal pattern is checked when parsing */
	CHECK(strncmp(parse_error("regex(., '[a-')"), "at column 10: bad regular expression '[a-': ", 44) == 0);
	/* a computed one when evaluating */
	e = expr_parse("regex(., concat('(', 'a'))", err, sizeof err);
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_INT(expr_eval(e, NULL, NULL, &out, err, sizeof err), -1);
	CHECK(out == NULL);
	CHECK(strncmp(err, "regex(): bad regular expression '(a': ", 38) == 0);
	err[0] = '\0';
	CHECK_INT(expr_eval_bool(e, NULL, NULL, &b, err, sizeof err), -1);
	CHECK(strstr(err, "bad regular expression") != NULL);
	expr_free(e);
	/* and/or short-circuit past it, as XPath does */
	CHECK_INT(evb("false() and regex('a', concat('(', ''))", NULL, NULL), 0);
	CHECK_INT(evb("true() or regex('a', concat('(', ''))", NULL, NULL), 1);
	CHECK_INT(evb("true() and regex('a', concat('(', ''))", NULL, NULL), -1);
}

struct collected {
	char names[8][32];
	int n;
	int stop_at;
};

static int collect(void *ctx, const char *name)
{
	struct collected *c = ctx;

	if (c->n < 8)
		snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
	c->n++;
	return c->n == c->stop_at ? 42 : 0;
}

static void test_refs(void)
{
	char err[256];
	struct expr *e = expr_parse("if(${a} = 'x', concat(${b}, .), -${a}) + count-selected(${c.d})", err,
				    sizeof err);
	struct collected c = { .stop_at = 0 };

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_INT(expr_refs(e, collect, &c), 0);
	CHECK_INT(c.n, 4);
	CHECK_STR(c.names[0], "a");
	CHECK_STR(c.names[1], "b");
	CHECK_STR(c.names[2], "a");
	CHECK_STR(c.names[3], "c.d");
	memset(&c, 0, sizeof c);
	c.stop_at = 2;
	CHECK_INT(expr_refs(e, collect, &c), 42);
	CHECK_INT(c.n, 2);
	expr_free(e);
	e = expr_parse(". > 1", err, sizeof err);
	memset(&c, 0, sizeof c);
	CHECK_INT(expr_refs(e, collect, &c), 0);
	CHECK_INT(c.n, 0);
	expr_free(e);
}

static void test_eval_types(void)
{
	char err[256];
	struct expr *e = expr_parse("${n} + 1", err, sizeof err);
	json_t *ans = json_pack("{s:i}", "n", 41), *out = NULL;

	CHECK_INT(expr_eval(e, ans, NULL, &out, err, sizeof err), 0);
	CHECK(json_is_integer(out));
	CHECK_INT(json_integer_value(out), 42);
	json_decref(out);
	expr_free(e);
	e = expr_parse("${n} div 2", err, sizeof err);
	CHECK_INT(expr_eval(e, ans, NULL, &out, err, sizeof err), 0);
	CHECK(json_is_real(out) && json_real_value(out) == 20.5);
	json_decref(out);
	expr_free(e);
	json_decref(ans);
}

int main(void)
{
	RUN(test_precedence);
	RUN(test_numbers);
	RUN(test_comparisons);
	RUN(test_functions);
	RUN(test_today);
	RUN(test_today_corrected);
	RUN(test_self);
	RUN(test_lookups);
	RUN(test_syntax_errors);
	RUN(test_limits);
	RUN(test_bad_regex);
	RUN(test_refs);
	RUN(test_eval_types);
	return test_done();
}
