/* fuzz_form.c - libFuzzer target for form definitions and the expression language (common/form.c, common/expr.c):
 * what a server publishes and every device and server loads, and the relevant, constraint, default and
 * calculation texts in it. The first byte of an input picks the reader, the rest is its text:
 *   even: a whole form definition (JSON). A form that loads must load again from its own definition written
 *         out, to the same definition; and its rules must settle: form_settle on the answers it settled leaves
 *         them as they are, and form_check gives a message for each problem it counts.
 *   odd:  an expression. One that compiles evaluates to a string, a number or a boolean, or fails with a
 *         message; its boolean is XPath's boolean() of its value; evaluated twice, it gives the same; its
 *         references are question names. Put in a form as a question's relevant, the form loads only if the
 *         expression compiles: nothing a form accepts is refused by the expression reader.
 * Anything else aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "form.h"
#include "fuzzkey.h"
#include "jsonc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW_MS 1767225600000ULL   /* 2026-01-01, so that settling twice gives the same start and today */

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_form: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void no_error(void *ctx, const char *question, const char *message)
{
	int *n = ctx;

	if (!question || !message || !message[0])
		die("form_check reported a problem without a question or a message", question);
	(*n)++;
}

static void form_run(const char *text, size_t len)
{
	char err[600] = "", *again;
	struct form *f = form_load(text, len, err, sizeof(err)), *g;
	struct form_env env = { "0123456789abcdef0123456789abcdef", "fuzz", FUZZ_NOW_MS, NULL };
	json_t *answers, *settled;
	int n, removed;

	if (!f) {
		if (!err[0])
			die("a form was refused without a message", NULL);
		return;
	}
	if (!form_id(f) || !form_id(f)[0] || !form_version(f))
		die("a form loaded without an id or a version", NULL);
	again = jsonc_dumps(form_json(f));
	if (!again)
		die("a loaded form's definition cannot be written out", NULL);
	g = form_load(again, strlen(again), err, sizeof(err));
	if (!g)
		die("a loaded form's own definition does not load again", err);
	if (!json_equal(form_json(f), form_json(g)) || form_count(f) != form_count(g))
		die("a form's definition changed in a round trip", form_id(f));
	form_free(g);
	free(again);

	/* A new record's answers, settled as a device settles them, then settled again: nothing moves. */
	answers = json_object();
	removed = form_settle(f, answers, &env, NULL, FORM_SETTLE_DEFAULTS | FORM_SETTLE_PRUNE, NULL);
	if (removed >= 0) {
		settled = json_deep_copy(answers);
		removed = form_settle(f, answers, &env, NULL, FORM_SETTLE_DEFAULTS | FORM_SETTLE_PRUNE, NULL);
		if (removed != 0 && removed >= 0)
			die("settling settled answers removed some", form_id(f));
		if (removed >= 0 && !json_equal(settled, answers)) {
			char *a = jsonc_dumps(settled), *b = jsonc_dumps(answers);

			fprintf(stderr, "fuzz_form: %s\n  then %s\n", a, b);
			die("settling settled answers changed them", form_id(f));
		}
		json_decref(settled);
		n = 0;
		form_check(f, answers, "en", no_error, &n);
	}
	json_decref(answers);
	form_free(f);
}

static int ref_is_name(void *ctx, const char *name)
{
	(void)ctx;
	if (!name || !name[0])
		die("an expression refers to an empty name", NULL);
	return 0;
}

static int xpath_boolean(const json_t *v)
{
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_number(v)) {
		double d = json_number_value(v);

		return d != 0 && !isnan(d);
	}
	if (json_is_string(v))
		return json_string_length(v) > 0;
	die("an expression's value is not a string, a number or a boolean", NULL);
	return 0;
}

static void expr_run(const char *src)
{
	char err[600] = "", err2[600] = "";
	struct expr *e = expr_parse(src, err, sizeof(err));
	json_t *answers, *out = NULL, *out2 = NULL, *self, *form, *qs;
	struct form *f;
	char *def;
	int b, r, r2, rb;

	if (!e) {
		if (!err[0])
			die("an expression was refused without a message", NULL);
	} else {
		answers = json_pack("{s:s, s:i, s:f, s:[s, s], s:s, s:n}", "a", "yes", "n", 12, "d", 2.5, "s", "x", "y",
				    "day", "2024-02-29", "none");
		self = json_string("self");
		expr_refs(e, ref_is_name, NULL);
		r = expr_eval(e, answers, self, &out, err, sizeof(err));
		r2 = expr_eval(e, answers, self, &out2, err2, sizeof(err2));
		rb = expr_eval_bool(e, answers, self, &b, err2, sizeof(err2));
		if (r != r2 || (r == 0) != (rb == 0))
			die("an expression evaluated twice gave different outcomes", src);
		if (r == 0) {
			if (!out || !json_equal(out, out2))
				die("an expression evaluated twice gave different values", src);
			/* A number that is not finite comes out as its XPath string ("NaN" is false as a number). */
			if (xpath_boolean(out) != b && !(json_is_string(out) && !strcmp(json_string_value(out), "NaN")))
				die("an expression's boolean is not boolean() of its value", src);
		} else if (!err[0]) {
			die("an expression failed without a message", src);
		}
		json_decref(out);
		json_decref(out2);
		json_decref(self);
		json_decref(answers);
		expr_free(e);
	}
	/* The same text in a form, as a relevant: loads only if it compiles. */
	qs = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]},"
		       " {s:s, s:s, s:s, s:s}]",
		       "name", "a", "type", "text", "label", "A", "name", "n", "type", "integer", "label", "N",
		       "name", "s", "type", "select_multiple", "label", "S", "choices", "name", "x", "label", "X",
		       "name", "y", "label", "Y", "name", "q", "type", "text", "label", "Q", "relevant", src);
	form = qs ? json_pack("{s:s, s:s, s:o}", "id", "fuzz", "version", "1", "questions", qs) : NULL;
	def = form ? json_dumps(form, JSON_COMPACT) : NULL;
	json_decref(form);
	if (!def)
		return;   /* not UTF-8: jansson will not hold it, and no form can carry it */
	f = form_load(def, strlen(def), err2, sizeof(err2));
	if (f && !e)
		die("a form accepts a relevant the expression reader refuses", src);
	form_free(f);
	free(def);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	if (data[0] & 1)
		expr_run(text);
	else
		form_run(text, size - 1);
	free(text);
	return 0;
}
