/* test_expr.c - unit tests for the expression parser and evaluator (common/expr.c). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "expr.h"
#include "test.h"
#include "util.h"

#include "banned.h"

static char result[2048];

/* A JSON number as XPath writes it: the shortest digits that read back as it. */
static void describe_number(const json_t *out)
{
	double d = json_number_value(out);
	int n;

	if (json_is_integer(out)) {
		snprintf(result, sizeof result, "%lld", (long long)json_integer_value(out));
		return;
	}
	for (n = 15; n < 17; n++) {
		snprintf(result, sizeof result, "%.*g", n, d);
		if (strtod(result, NULL) == d)
			return;
	}
	snprintf(result, sizeof result, "%.17g", d);
}

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
		describe_number(out);
	}
	json_decref(out);
	expr_free(e);
	json_decref(a);
	json_decref(s);
	return result;
}

/* A record with a repeat, as a form's callbacks would show it: ${age} and ${name} stand for the answers of the
 * instances of repeat kids (${kids} for the instances themselves), ${colour} is a select question whose choices
 * have labels, and the instance being worked out is the second. */
static const char *const kid_names[] = { "Ana", "", "Cleo" };
static const int kid_ages[] = { 7, -1, 12 };   /* -1: unanswered */

static int fake_each(void *ctx, const char *name, int (*fn)(void *fctx, const json_t *v), void *fctx)
{
	size_t i;
	int stop = 0;

	(void)ctx;
	if (strcmp(name, "age") && strcmp(name, "name") && strcmp(name, "kids"))
		return 0;
	for (i = 0; i < 3 && !stop; i++) {
		json_t *v = !strcmp(name, "kids") ? json_object() :
			    !strcmp(name, "name") ? (kid_names[i][0] ? json_string(kid_names[i]) : NULL) :
			    kid_ages[i] >= 0 ? json_integer(kid_ages[i]) : NULL;

		stop = fn(fctx, v);
		json_decref(v);
	}
	return 1;
}

static const json_t *fake_indexed(void *ctx, const char *question, const char *const *repeat, const long *index,
				  size_t depth)
{
	static json_t *held;

	(void)ctx;
	json_decref(held);
	held = NULL;
	if (depth != 1 || strcmp(repeat[0], "kids") || index[0] > 3 || strcmp(question, "name"))
		return NULL;
	return held = kid_names[index[0] - 1][0] ? json_string(kid_names[index[0] - 1]) : NULL;
}

static const char *fake_label(void *ctx, const char *question, const char *name)
{
	(void)ctx;
	if (strcmp(question, "colour"))
		return NULL;
	return !strcmp(name, "r") ? "Red" : !strcmp(name, "g") ? "Green" : NULL;
}

/* ev() with the fake repeat above, now_ms and lang. */
static const char *ev_env(const char *src, const char *answers, const char *self, uint64_t now, const char *lang)
{
	char err[256] = "";
	json_t *a = answers ? json_loads(answers, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *s = self ? json_loads(self, JSON_DECODE_ANY, NULL) : NULL;
	struct expr *e = expr_parse(src, err, sizeof err);
	struct expr_env env = { a, s, NULL, fake_each, fake_indexed, fake_label, 2, now, lang };
	json_t *out = NULL;

	if (!e) {
		snprintf(result, sizeof result, "ERR: %s", err);
	} else if (expr_eval_in(e, &env, &out, err, sizeof err) < 0) {
		snprintf(result, sizeof result, "ERR: %s", err);
	} else if (json_is_string(out)) {
		snprintf(result, sizeof result, "'%s'", json_string_value(out));
	} else if (json_is_boolean(out)) {
		snprintf(result, sizeof result, "%s", json_is_true(out) ? "true()" : "false()");
	} else {
		describe_number(out);
	}
	fake_indexed(NULL, "", NULL, NULL, 0);
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

static void test_strings(void)
{
	CHECK_STR(ev("substr('abcdef', 1, 3)", NULL, NULL), "'bc'");          /* from 0, end excluded */
	CHECK_STR(ev("substr('abcdef', 2)", NULL, NULL), "'cdef'");
	CHECK_STR(ev("substr('abc', -2)", NULL, NULL), "'bc'");               /* negative: from the end */
	CHECK_STR(ev("substr('abc', 0, -1)", NULL, NULL), "'ab'");
	CHECK_STR(ev("substr('abc', 5)", NULL, NULL), "''");
	CHECK_STR(ev("substr('abc', 2, 1)", NULL, NULL), "''");
	CHECK_STR(ev("substr('h\xc3\xa9llo', 1, 3)", NULL, NULL), "'\xc3\xa9l'");   /* characters, not bytes */
	CHECK_STR(ev("substr('abc', 'x')", NULL, NULL), "'abc'");             /* NaN counts as 0 */
	CHECK_STR(ev("substr(12345, 1, 3)", NULL, NULL), "'23'");
	CHECK_STR(ev("substring-before('2024-05-01', '-')", NULL, NULL), "'2024'");
	CHECK_STR(ev("substring-after('2024-05-01', '-')", NULL, NULL), "'05-01'");
	CHECK_STR(ev("substring-before('abc', 'x')", NULL, NULL), "''");
	CHECK_STR(ev("substring-after('abc', 'x')", NULL, NULL), "''");
	CHECK_STR(ev("substring-after('abc', '')", NULL, NULL), "'abc'");
	CHECK_STR(ev("substring-before('abc', '')", NULL, NULL), "''");
	CHECK_STR(ev("translate('bar', 'abc', 'ABC')", NULL, NULL), "'BAr'");
	CHECK_STR(ev("translate('--aaa--', 'abc-', 'ABC')", NULL, NULL), "'AAA'");   /* no counterpart: dropped */
	CHECK_STR(ev("translate('\xc3\xa9t\xc3\xa9', '\xc3\xa9', 'e')", NULL, NULL), "'ete'");
	CHECK_STR(ev("translate('abca', 'aa', 'xy')", NULL, NULL), "'xbcx'");      /* the first place counts */
	CHECK_STR(ev("translate('', 'a', 'b')", NULL, NULL), "''");
	CHECK_STR(ev("normalize-space('  a   b \t c  ')", NULL, NULL), "'a b c'");
	CHECK_STR(ev("normalize-space()", NULL, "\"  x  y \""), "'x y'");
	CHECK_STR(ev("normalize-space('   ')", NULL, NULL), "''");
	CHECK_STR(ev("contains('abc', 'b')", NULL, NULL), "true()");
	CHECK_STR(ev("contains('abc', 'd')", NULL, NULL), "false()");
	CHECK_STR(ev("contains('abc', '')", NULL, NULL), "true()");
	CHECK_STR(ev("starts-with('abc', 'ab')", NULL, NULL), "true()");
	CHECK_STR(ev("starts-with('abc', 'b')", NULL, NULL), "false()");
	CHECK_STR(ev("ends-with('abc', 'bc')", NULL, NULL), "true()");
	CHECK_STR(ev("ends-with('a', 'abc')", NULL, NULL), "false()");
	CHECK_STR(ev("join(', ', 'a', 'b', 3)", NULL, NULL), "'a, b, 3'");
	CHECK_STR(ev("join('-')", NULL, NULL), "''");
	CHECK_STR(ev("string-length(concat('ab', 'c'))", NULL, NULL), "3");
}

static void test_uuid_random(void)
{
	char a[64];
	int i;

	CHECK_STR(ev("string-length(uuid())", NULL, NULL), "36");
	snprintf(a, sizeof a, "%s", ev("uuid()", NULL, NULL));
	CHECK(a[15] == '4');                                   /* version 4 ('...' quoted: one more) */
	CHECK(strchr("89ab", a[20]) != NULL);                  /* RFC 4122's variant */
	CHECK(strcmp(a, ev("uuid()", NULL, NULL)) != 0);
	CHECK(strcmp(a, ev("uuid()", NULL, NULL)) != 0);
	CHECK_STR(ev("string-length(uuid(8))", NULL, NULL), "8");
	CHECK_STR(ev("regex(uuid(40), '^[0-9a-zA-Z]{40}$')", NULL, NULL), "true()");
	CHECK_STR(ev("uuid(0)", NULL, NULL), "''");
	CHECK_STR(ev("uuid(-3)", NULL, NULL), "''");
	CHECK_STR(ev("uuid(5000)", NULL, NULL), "ERR: uuid(): 5000 characters is more than 4096");
	for (i = 0; i < 50; i++)
		CHECK_STR(ev("random() >= 0 and random() < 1", NULL, NULL), "true()");
	snprintf(a, sizeof a, "%s", ev("string(random())", NULL, NULL));
	CHECK(strcmp(a, ev("string(random())", NULL, NULL)) != 0);
}

static void test_digests(void)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sm[crypto_sign_BYTES + 32];
	char pk64[64], sm64[160], src[512];
	unsigned long long smlen;

	CHECK_STR(ev("digest('abc', 'SHA-256', 'hex')", NULL, NULL),
		  "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'");
	CHECK_STR(ev("digest('abc', 'SHA-256')", NULL, NULL), "'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
	CHECK_STR(ev("digest('abc', 'sha-256', 'base64')", NULL, NULL), "'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
	CHECK_STR(ev("substr(digest('abc', 'SHA-512', 'hex'), 0, 32)", NULL, NULL), "'ddaf35a193617abacc417349ae204131'");
	CHECK_STR(ev("digest(${n}, concat('SHA', '-256'), concat('h', 'ex'))", "{\"n\": \"Zo\xc3\xab\"}", NULL),
		  "'c6a12698582fc1104ea24107a2d7268145ff06ef859707729d01fd060897f067'");   /* UTF-8 bytes */
	CHECK_STR(parse_error("digest('abc', 'MD5')"),
		  "at column 15: digest(): MD5 is not available in Sondeo (SHA-256 and SHA-512 are)");
	CHECK_STR(parse_error("digest('abc', 'SHA-1')"),
		  "at column 15: digest(): SHA-1 is not available in Sondeo (SHA-256 and SHA-512 are)");
	CHECK_STR(parse_error("digest('abc', 'crc')"), "at column 15: digest(): unknown algorithm 'crc' (SHA-256 or SHA-512)");
	CHECK_STR(parse_error("digest('abc', 'SHA-256', 'b32')"),
		  "at column 26: digest(): unknown encoding 'b32' (base64 or hex)");
	CHECK_STR(ev("digest('abc', concat('MD', '5'))", NULL, NULL),
		  "ERR: digest(): MD5 is not available in Sondeo (SHA-256 and SHA-512 are)");
	CHECK_STR(ev("digest('abc', 'SHA-256', concat('b', '32'))", NULL, NULL),
		  "ERR: digest(): unknown encoding 'b32' (base64 or hex)");
	CHECK_STR(ev("base64-decode('aGVsbG8=')", NULL, NULL), "'hello'");
	CHECK_STR(ev("base64-decode('aGVsbG8')", NULL, NULL), "'hello'");      /* without its padding */
	CHECK_STR(ev("base64-decode('Wm/Dqw==')", NULL, NULL), "'Zo\xc3\xab'");
	CHECK_STR(ev("base64-decode('!!')", NULL, NULL), "''");
	CHECK_STR(ev("base64-decode('AA==')", NULL, NULL), "''");              /* a NUL byte is no text */
	CHECK_STR(ev("base64-decode('/w==')", NULL, NULL), "''");              /* nor is a byte that is not UTF-8 */
	/* extract-signed: an Ed25519 signed message (signature, then message), as libsodium makes one */
	crypto_sign_keypair(pk, sk);
	crypto_sign(sm, &smlen, (const unsigned char *)"real data", 9, sk);
	sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(sm64, sizeof sm64, sm, (size_t)smlen, sodium_base64_VARIANT_ORIGINAL);
	snprintf(src, sizeof src, "extract-signed('%s', '%s')", sm64, pk64);
	CHECK_STR(ev(src, NULL, NULL), "'real data'");
	sm64[5] = sm64[5] == 'A' ? 'B' : 'A';     /* the signature no longer fits */
	snprintf(src, sizeof src, "extract-signed('%s', '%s')", sm64, pk64);
	CHECK_STR(ev(src, NULL, NULL), "''");
	snprintf(src, sizeof src, "extract-signed('%s', 'AAAA')", sm64);
	CHECK_STR(ev(src, NULL, NULL), "''");
}

static void test_booleans(void)
{
	CHECK_STR(ev("boolean('')", NULL, NULL), "false()");
	CHECK_STR(ev("boolean('false')", NULL, NULL), "true()");              /* XPath: any text is true */
	CHECK_STR(ev("boolean(0)", NULL, NULL), "false()");
	CHECK_STR(ev("boolean(0 div 0)", NULL, NULL), "false()");
	CHECK_STR(ev("boolean(-2)", NULL, NULL), "true()");
	CHECK_STR(ev("boolean-from-string('true')", NULL, NULL), "true()");
	CHECK_STR(ev("boolean-from-string('TRUE')", NULL, NULL), "true()");
	CHECK_STR(ev("boolean-from-string('1')", NULL, NULL), "true()");
	CHECK_STR(ev("boolean-from-string('yes')", NULL, NULL), "false()");
	CHECK_STR(ev("boolean-from-string('')", NULL, NULL), "false()");
	CHECK_STR(ev("once(concat('a', 'b'))", NULL, NULL), "'ab'");           /* unanswered: worked out */
	CHECK_STR(ev("once(concat('a', 'b'))", NULL, "\"kept\""), "'kept'");    /* answered: kept */
	CHECK_STR(ev("once(5)", NULL, "\"\""), "5");
	CHECK_STR(ev("coalesce(0 div 0, 'b')", NULL, NULL), "'b'");           /* NaN is empty */
	CHECK_STR(ev("coalesce('', '')", NULL, NULL), "''");
	CHECK_STR(ev("checklist(1, 2, 'yes', '', 'no')", NULL, NULL), "true()");
	CHECK_STR(ev("checklist(3, -1, 'a', 'b')", NULL, NULL), "false()");
	CHECK_STR(ev("checklist(-1, 1, 'a', 'b')", NULL, NULL), "false()");
	CHECK_STR(ev("checklist(-1, -1)", NULL, NULL), "true()");
	CHECK_STR(ev("weighted-checklist(2, 5, 'yes', 2, '', 10, 'x', 1)", NULL, NULL), "true()");
	CHECK_STR(ev("weighted-checklist(4, 5, 'yes', 2, '', 10, 'x', 1)", NULL, NULL), "false()");
	CHECK_STR(parse_error("weighted-checklist(1, 2, 'a')"),
		  "at column 1: weighted-checklist() takes a weight after each value");
}

static void test_numbers_fn(void)
{
	CHECK_STR(ev("round(2.5)", NULL, NULL), "3");
	CHECK_STR(ev("round(-2.5)", NULL, NULL), "-3");                      /* half away from zero */
	CHECK_STR(ev("round(2.4)", NULL, NULL), "2");
	CHECK_STR(ev("round(2.675, 2)", NULL, NULL), "2.68");               /* its decimal digits, not its binary */
	CHECK_STR(ev("round(1.005, 2)", NULL, NULL), "1.01");
	CHECK_STR(ev("round(-1.005, 2)", NULL, NULL), "-1.01");
	CHECK_STR(ev("round(1234.5678, -2)", NULL, NULL), "1200");
	CHECK_STR(ev("round(-35, -1)", NULL, NULL), "-40");
	CHECK_STR(ev("round(99.95, 1)", NULL, NULL), "100");
	CHECK_STR(ev("round(9.5)", NULL, NULL), "10");
	CHECK_STR(ev("round(0.004, 2)", NULL, NULL), "0");
	CHECK_STR(ev("round(0.005, 2)", NULL, NULL), "0.01");
	CHECK_STR(ev("round(0.0004, 2)", NULL, NULL), "0");
	CHECK_STR(ev("round(7, 3)", NULL, NULL), "7");
	CHECK_STR(ev("round(0.49999999999999994)", NULL, NULL), "0");
	CHECK_STR(ev("round(1.5, 31)", NULL, NULL), "'NaN'");
	CHECK_STR(ev("round('abc')", NULL, NULL), "'NaN'");
	CHECK_STR(ev("round(1 div 0)", NULL, NULL), "'Infinity'");
	CHECK_STR(ev("round(${x}, 1)", "{\"x\": \"3.14159\"}", NULL), "3.1");
	CHECK_STR(parse_error("round(1, 2, 3)"), "at column 1: round() takes 1 or 2 arguments, not 3");
	CHECK_STR(ev("pow(2, 10)", NULL, NULL), "1024");
	CHECK_STR(ev("pow(2, 0.5)", NULL, NULL), "1.4142135623730951");
	CHECK_STR(ev("exp10(2)", NULL, NULL), "100");
	CHECK_STR(ev("log10(1000)", NULL, NULL), "3");
	CHECK_STR(ev("log(1)", NULL, NULL), "0");
	CHECK_STR(ev("log(0)", NULL, NULL), "'-Infinity'");
	CHECK_STR(ev("abs(-3.5)", NULL, NULL), "3.5");
	CHECK_STR(ev("abs('')", NULL, NULL), "'NaN'");
	CHECK_STR(ev("sqrt(16)", NULL, NULL), "4");
	CHECK_STR(ev("sqrt(-1)", NULL, NULL), "'NaN'");
	CHECK_STR(ev("exp(0)", NULL, NULL), "1");
	CHECK_STR(ev("pi()", NULL, NULL), "3.141592653589793");
	CHECK_STR(ev("sin(0) + cos(0) + tan(0)", NULL, NULL), "1");
	CHECK_STR(ev("asin(1) * 2 = pi() and acos(1) = 0 and atan(0) = 0", NULL, NULL), "true()");
	CHECK_STR(ev("atan2(1, 1)", NULL, NULL), "0.7853981633974483");
	CHECK_STR(parse_error("atan2(1)"), "at column 1: atan2() takes 2 arguments, not 1");
	CHECK_STR(ev("int('7.9')", NULL, NULL), "7");
	CHECK_STR(ev("int(-0.5)", NULL, NULL), "0");
	CHECK_STR(ev("max(1, 5, 3)", NULL, NULL), "5");
	CHECK_STR(ev("min(4, '', 2)", NULL, NULL), "2");                   /* what is no number is left out */
	CHECK_STR(ev("max(-4, -2)", NULL, NULL), "-2");
	CHECK_STR(ev("max('', 'x')", NULL, NULL), "'NaN'");
	CHECK_STR(ev("sum(3)", NULL, NULL), "3");
	CHECK_STR(ev("sum('')", NULL, NULL), "0");
	CHECK_STR(parse_error("max()"), "at column 1: max() takes at least 1 argument, not 0");
}

static void test_dates(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_STR(ev("number('2024-01-02')", NULL, NULL), "19724");          /* days since 1970-01-01 */
	CHECK_STR(ev("'2024-01-10' - '2024-01-01'", NULL, NULL), "9");
	CHECK_STR(ev("${d} + 1", "{\"d\": \"1970-01-01\"}", NULL), "1");
	CHECK_STR(ev("'2024-01-10' > '2024-01-09T23:00'", NULL, NULL), "true()");
	CHECK_STR(ev("'2024-01-10' = '2024-01-10T00:00'", NULL, NULL), "false()");   /* = of two texts: exact */
	CHECK_STR(ev("number('2024-02-30')", NULL, NULL), "'NaN'");          /* no such day */
	CHECK_STR(ev("date(19723)", NULL, NULL), "'2024-01-01'");
	CHECK_STR(ev("date(19723.99)", NULL, NULL), "'2024-01-01'");
	CHECK_STR(ev("date(-1)", NULL, NULL), "'1969-12-31'");
	CHECK_STR(ev("date(-0.5)", NULL, NULL), "'1969-12-31'");
	CHECK_STR(ev("date('2024-03-05T10:00')", NULL, NULL), "'2024-03-05'");
	CHECK_STR(ev("date('2024-01-01') = '2024-01-01'", NULL, NULL), "true()");
	CHECK_STR(ev("date(today()) = today()", NULL, NULL), "true()");
	CHECK_STR(ev("date('')", NULL, NULL), "''");
	CHECK_STR(ev("date(${n})", "{\"n\": null}", NULL), "''");
	CHECK_STR(ev("date('abc')", NULL, NULL), "ERR: date(): 'abc' is not a date or a number of days");
	CHECK_STR(ev("date(10000000000)", NULL, NULL), "ERR: date(): '10000000000' is not a date or a number of days");
	CHECK_STR(ev("date('2024-13-01')", NULL, NULL), "ERR: date(): '2024-13-01' is not a date or a number of days");
	CHECK_STR(ev("decimal-date-time('2024-01-01T12:00')", NULL, NULL), "19723.5");
	CHECK_STR(ev("decimal-date-time('1970-01-01')", NULL, NULL), "0");
	CHECK_STR(ev("decimal-date-time('2024-01-01T02:00:00+02:00')", NULL, NULL), "19723");   /* to this zone, UTC */
	CHECK_STR(ev("decimal-date-time('2023-12-31T23:00:00-01:00')", NULL, NULL), "19723");
	CHECK_STR(ev("decimal-date-time('2024-01-01T00:00:00Z')", NULL, NULL), "19723");
	CHECK_STR(ev("decimal-date-time(19723.25)", NULL, NULL), "19723.25");
	CHECK_STR(ev("decimal-date-time('')", NULL, NULL), "''");
	CHECK_STR(ev("decimal-time('12:00')", NULL, NULL), "0.5");
	CHECK_STR(ev("decimal-time('18:00:00')", NULL, NULL), "0.75");
	CHECK_STR(ev("decimal-time('2024-01-01T06:00')", NULL, NULL), "0.25");
	CHECK_STR(ev("decimal-time('2024-01-01')", NULL, NULL), "0");
	CHECK_STR(ev("decimal-time('25:00')", NULL, NULL),
		  "ERR: decimal-time(): '25:00' is not a date, a time or a number of days");
	CHECK_STR(ev("format-date('2024-03-05', '%Y/%m/%d %e %n %y %b %a')", NULL, NULL), "'2024/03/05 5 3 24 Mar Tue'");
	CHECK_STR(ev("format-date('2009-01-04', '%a %d %b')", NULL, NULL), "'Sun 04 Jan'");
	CHECK_STR(ev("format-date-time('2024-03-05T07:08:09.123', '%H:%M:%S.%3 %h')", NULL, NULL),
		  "'07:08:09.123 7'");
	CHECK_STR(ev("format-date-time('07:08', '%H.%M')", NULL, NULL), "'07.08'");
	CHECK_STR(ev("format-date(19723.5, '%Y-%m-%d %H:%M')", NULL, NULL), "'2024-01-01 12:00'");
	CHECK_STR(ev("format-date('2024-03-05', '100%% on %e')", NULL, NULL), "'100% on 5'");
	CHECK_STR(ev("format-date('', '%Y')", NULL, NULL), "''");
	CHECK_STR(ev("format-date('1969-07-20', '%a')", NULL, NULL), "'Sun'");
	CHECK_STR(ev("format-date('yesterday', '%Y')", NULL, NULL),
		  "ERR: format-date(): 'yesterday' is not a date, a time or a number of days");
	CHECK_STR(parse_error("format-date(., '%Y-%Q')"), "at column 16: format-date(): unknown %Q in the format "
		  "(it knows %Y %y %m %n %b %d %e %a %H %h %M %S %3 and %%)");
	CHECK_STR(parse_error("format-date(., '%Y %')"), "at column 16: format-date(): the format ends with a lone %");
	CHECK_STR(ev("format-date('2024-03-05', concat('%', 'Q'))", NULL, NULL), "ERR: format-date(): unknown %Q in "
		  "the format (it knows %Y %y %m %n %b %d %e %a %H %h %M %S %3 and %%)");
	CHECK_STR(ev_env("format-date('2024-03-05', '%a %e %b')", NULL, NULL, 0, "fr"), "'mar. 5 mars'");
	CHECK_STR(ev_env("format-date('2024-08-11', '%a %e %b')", NULL, NULL, 0, "es_ES"), "'dom 11 ago'");
	CHECK_STR(ev_env("format-date('2024-08-11', '%a %e %b')", NULL, NULL, 0, "sw"), "'Sun 11 Aug'");
	/* now() and today() read the moment the evaluation is given */
	CHECK_STR(ev_env("now()", NULL, NULL, 1700000000000ULL, NULL), "'2023-11-14T22:13:20'");
	CHECK_STR(ev_env("today()", NULL, NULL, 1700000000000ULL, NULL), "'2023-11-14'");
	CHECK_STR(ev_env("round(decimal-date-time(now()) - decimal-date-time(today()), 6)", NULL, NULL,
			 1700000000000ULL, NULL), "0.925926");
	CHECK_STR(ev("string-length(now())", NULL, NULL), "19");
	unsetenv("TZ");
	tzset();
}

static void test_selects(void)
{
	CHECK_STR(ev("selected-at('a b c', 1)", NULL, NULL), "'b'");
	CHECK_STR(ev("selected-at('a b c', 0)", NULL, NULL), "'a'");
	CHECK_STR(ev("selected-at('a b c', 3)", NULL, NULL), "''");
	CHECK_STR(ev("selected-at('a b c', -1)", NULL, NULL), "''");
	CHECK_STR(ev("selected-at(${m}, 1)", "{\"m\": [\"x\", \"y\"]}", NULL), "'y'");
	CHECK_STR(ev("selected-at('', 0)", NULL, NULL), "''");
	CHECK_STR(ev_env("jr:choice-name('g', '${colour}')", NULL, NULL, 0, NULL), "'Green'");
	CHECK_STR(ev_env("jr:choice-name(' r ', \"${colour}\")", NULL, NULL, 0, NULL), "'Red'");
	CHECK_STR(ev_env("choice-name(selected-at(${c}, 1), '${colour}')", "{\"c\": [\"r\", \"g\"]}", NULL, 0, NULL),
		  "'Green'");
	CHECK_STR(ev_env("jr:choice-name('x', '${colour}')", NULL, NULL, 0, NULL), "''");     /* no such choice */
	CHECK_STR(ev("jr:choice-name('g', '${colour}')", NULL, NULL), "''");                /* no labels given */
	CHECK_STR(parse_error("jr:choice-name(${a}, ${colour})"),
		  "at column 22: jr:choice-name() takes the question in quotes, as '${question}'");
	CHECK_STR(parse_error("jr:choice-name(${a}, 'colour')"),
		  "at column 22: jr:choice-name() takes the question in quotes, as '${question}'");
	CHECK_STR(parse_error("jr:choice-name(${a}, '${a b}')"),
		  "at column 22: jr:choice-name() takes the question in quotes, as '${question}'");
	CHECK_STR(parse_error("jr:foo(1)"), "at column 1: unknown function 'jr:foo'");
	CHECK_STR(parse_error("jr:choice-name"), "at column 15: expected '(' after 'jr:choice-name'");
}

/* ${name} standing for the answers of a repeat's instances (here Ana 7, an unanswered one, Cleo 12). */
static void test_sets(void)
{
	CHECK_STR(ev_env("count(${kids})", NULL, NULL, 0, NULL), "3");
	CHECK_STR(ev_env("count(${age})", NULL, NULL, 0, NULL), "3");
	CHECK_STR(ev_env("count-non-empty(${age})", NULL, NULL, 0, NULL), "2");
	CHECK_STR(ev_env("sum(${age})", NULL, NULL, 0, NULL), "19");
	CHECK_STR(ev_env("max(${age})", NULL, NULL, 0, NULL), "12");
	CHECK_STR(ev_env("min(${age}, 9)", NULL, NULL, 0, NULL), "7");
	CHECK_STR(ev_env("join(', ', ${name})", NULL, NULL, 0, NULL), "'Ana, , Cleo'");
	CHECK_STR(ev_env("concat(${name}, '!')", NULL, NULL, 0, NULL), "'AnaCleo!'");
	CHECK_STR(ev_env("${age} + 1", NULL, NULL, 0, NULL), "8");               /* one value: the first */
	CHECK_STR(ev_env("${name}", NULL, NULL, 0, NULL), "'Ana'");
	CHECK_STR(ev_env("checklist(2, 2, ${name})", NULL, NULL, 0, NULL), "true()");
	CHECK_STR(ev_env("count(${other})", "{\"other\": 5}", NULL, 0, NULL), "1");   /* one answer */
	CHECK_STR(ev_env("sum(${other})", "{\"other\": 5}", NULL, 0, NULL), "5");
	CHECK_STR(ev_env("indexed-repeat(${name}, ${kids}, 3)", NULL, NULL, 0, NULL), "'Cleo'");
	CHECK_STR(ev_env("indexed-repeat(${name}, ${kids}, 0)", NULL, NULL, 0, NULL), "'Ana'");   /* below 1: the first */
	CHECK_STR(ev_env("indexed-repeat(${name}, ${kids}, 'x')", NULL, NULL, 0, NULL), "'Ana'");
	CHECK_STR(ev_env("indexed-repeat(${name}, ${kids}, 4)", NULL, NULL, 0, NULL), "''");
	CHECK_STR(ev_env("indexed-repeat(${name}, ${kids}, position(..) + 1)", NULL, NULL, 0, NULL), "'Cleo'");
	CHECK_STR(ev_env("position(..)", NULL, NULL, 0, NULL), "2");
	/* without a repeat's instances: ${name} is the answer given, and nothing is known of the rest */
	CHECK_STR(ev("count(${age})", "{\"age\": 4}", NULL), "1");
	CHECK_STR(ev("sum(${age})", "{\"age\": 4}", NULL), "4");
	CHECK_STR(ev("indexed-repeat(${name}, ${kids}, 1)", NULL, NULL), "''");
	CHECK_STR(ev("position(..)", NULL, NULL), "'NaN'");
	CHECK_STR(parse_error("count('x')"),
		  "at column 7: count() counts the answers to a question or the instances of a repeat: write count(${name})");
	CHECK_STR(parse_error("count()"), "at column 1: count() takes 1 argument, not 0");
	CHECK_STR(parse_error("position()"), "at column 1: position() takes 1 argument, not 0");
	CHECK_STR(parse_error("position(.)"),
		  "at column 10: position() takes .. (the repeat instance the question is in): position(..)");
	CHECK_STR(parse_error(".. + 1"), "at column 1: '..' is read only as position(..)");
	CHECK_STR(parse_error("concat(..)"), "at column 8: '..' is read only as position(..)");
	CHECK_STR(parse_error("position(.. + 1)"), "at column 13: expected ',' or ')'");
	CHECK_STR(parse_error("indexed-repeat(${a}, ${r})"), "at column 1: indexed-repeat() takes 3 to 7 arguments, not 2");
	CHECK_STR(parse_error("indexed-repeat(${a}, ${r}, 1, ${s})"),
		  "at column 1: indexed-repeat() takes a number after each repeat");
	CHECK_STR(parse_error("indexed-repeat('a', ${r}, 1)"),
		  "at column 16: indexed-repeat() takes the question as ${name}");
	CHECK_STR(parse_error("indexed-repeat(${a}, ${r}, 1, 'b', 2)"),
		  "at column 31: indexed-repeat() takes a repeat as ${name} here");
}

static void test_geo(void)
{
	const char *square = "'0 0; 0 1; 1 1; 1 0; 0 0'";
	char src[256];

	CHECK_STR(ev("round(distance('0 0; 0 1'), 2)", NULL, NULL), "111318.85");
	CHECK_STR(ev("round(distance('0 0 10 5;0 1 20 5'), 2)", NULL, NULL), "111318.85");   /* altitude aside */
	snprintf(src, sizeof src, "round(distance(%s), 2)", square);
	CHECK_STR(ev(src, NULL, NULL), "445258.43");
	snprintf(src, sizeof src, "round(area(%s))", square);
	CHECK_STR(ev(src, NULL, NULL), "12390941585");
	CHECK_STR(ev("area('0 0; 0 1')", NULL, NULL), "0");                     /* a line has none */
	CHECK_STR(ev("distance('0 0')", NULL, NULL), "0");
	CHECK_STR(ev("distance('')", NULL, NULL), "0");
	CHECK_STR(ev("distance('abc')", NULL, NULL), "ERR: distance(): 'abc' is not a geopoint, geotrace or geoshape");
	CHECK_STR(ev("distance('91 0; 0 0')", NULL, NULL),
		  "ERR: distance(): '91 0; 0 0' is not a geopoint, geotrace or geoshape");
	snprintf(src, sizeof src, "geofence('0.5 0.5', %s)", square);
	CHECK_STR(ev(src, NULL, NULL), "true()");
	snprintf(src, sizeof src, "geofence('2 0.5 100 5', %s)", square);
	CHECK_STR(ev(src, NULL, NULL), "false()");
	snprintf(src, sizeof src, "geofence('', %s)", square);
	CHECK_STR(ev(src, NULL, NULL), "false()");
}

static void test_refused(void)
{
	CHECK_STR(parse_error("pulldata('fruits', 'name', 'key', ${k})"), "at column 1: pulldata() is not available in "
		  "Sondeo: it reads a CSV file attached to the form, and Sondeo forms have no attached files");
	CHECK(strstr(parse_error("1 + instance('x')"), "at column 5: instance() is not available in Sondeo: ") != NULL);
	CHECK(strstr(parse_error("current()"), "current() is not available in Sondeo") != NULL);
	CHECK(strstr(parse_error("randomize(${a})"), "randomize() is not available in Sondeo") != NULL);
	CHECK(strstr(parse_error("jr:itext('a')"), "jr:itext() is not available in Sondeo") != NULL);
	CHECK(strstr(parse_error("version()"), "version() is not available in Sondeo") != NULL);
	CHECK(strstr(parse_error("property('deviceid')"), "property() is not available in Sondeo") != NULL);
}

static void test_volatile(void)
{
	static const struct {
		const char *src;
		int v;
	} cases[] = {
		{ "uuid()", 1 }, { "concat('a', random())", 1 }, { "if(${a}, uuid(8), '')", 1 },
		{ "once(uuid())", 0 }, { "once(concat(uuid(), 'x'))", 0 }, { "concat(once(uuid()), random())", 1 },
		{ "now()", 0 }, { "1", 0 },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct expr *e = expr_parse(cases[i].src, err, sizeof err);

		CHECK(e != NULL);
		if (e && expr_volatile(e) != cases[i].v)
			fprintf(stdout, "#   %s: volatile %d\n", cases[i].src, expr_volatile(e));
		CHECK(e && expr_volatile(e) == cases[i].v);
		expr_free(e);
	}
	CHECK(expr_volatile(NULL) == 0);
}

struct hows {
	char seen[256];
};

static int note_how(void *ctx, const char *name, enum expr_ref how)
{
	struct hows *h = ctx;
	static const char *const names[] = { "value", "choices", "repeat", "target" };
	size_t n = strlen(h->seen);

	snprintf(h->seen + n, sizeof h->seen - n, "%s%s:%s", n ? " " : "", name, names[how]);
	return 0;
}

static void test_refs_how(void)
{
	char err[256];
	struct expr *e = expr_parse("jr:choice-name(${c}, '${q}') = indexed-repeat(${x}, ${r}, ${n}, ${s}, 2)", err,
				    sizeof err);
	struct hows h = { "" };

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_INT(expr_refs_how(e, note_how, &h), 0);
	CHECK_STR(h.seen, "c:value q:choices x:target r:repeat n:value s:repeat");
	expr_free(e);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
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
	RUN(test_strings);
	RUN(test_uuid_random);
	RUN(test_digests);
	RUN(test_booleans);
	RUN(test_numbers_fn);
	RUN(test_dates);
	RUN(test_selects);
	RUN(test_sets);
	RUN(test_geo);
	RUN(test_refused);
	RUN(test_volatile);
	RUN(test_refs_how);
	return test_done();
}
