/* expr.h - the XLSForm expression language (XPath as ODK evaluates it) used by relevant, constraint, calculation,
 * default, choice_filter and repeat_count.
 *
 * Grammar (lowest precedence first): or; and; = != ; < <= > >= ; + - ; * div mod ; unary -; primary.
 * Primaries: number literals, 'string' or "string" literals, ${name}, `.` (the answer being checked or worked out),
 * parentheses, and calls of the functions of the ODK XForms specification that a laptop can work out (docs/forms.md
 * lists them, and those refused and why); `..` only as position(..).
 *
 * Values follow XPath as ODK evaluates it: an unanswered question is the empty string; a select_multiple answer
 * (a JSON array) is its choice names joined by single spaces; a date (YYYY-MM-DD) or dateTime used as a number is
 * its days since 1970-01-01; comparisons are numeric when either side is a number, else by string (ISO dates compare
 * correctly as strings); and/or/not/if convert with XPath boolean() (empty string, 0 and NaN are false). regex()
 * uses POSIX extended expressions. ${name} may stand for several answers (a question of a repeat seen from outside
 * its instances): functions such as sum() and count() take them all, anything else the first. */
#ifndef SONDEO_EXPR_H
#define SONDEO_EXPR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct expr;

/* Compiles src. Returns NULL on a syntax error, with a message naming the position in err and errno EINVAL, or
 * out of memory, with "out of memory" and errno ENOMEM. Caller frees with expr_free(). */
struct expr *expr_parse(const char *src, char *err, size_t errlen);
void expr_free(struct expr *e);

/* What an expression is evaluated with. Only answers is needed; every other member may be 0 or NULL, and then
 * ${name} is answers[name] alone, count() of it 1, indexed-repeat() and jr:choice-name() empty, position(..) NaN,
 * and now() and today() read the clock (clock_ms). The callbacks are the form's (form-eval.c): the expression
 * language knows nothing of forms or stores. */
struct expr_env {
	const json_t *answers;        /* ${name} -> answers[name]: name -> string, number, array of strings, or
				       * null/missing for unanswered; NULL: nothing answered */
	const json_t *self;           /* `.`: the answer being checked or worked out; NULL: unanswered */
	void *ctx;                    /* given to the callbacks */
	/* When ${name} stands for several answers (a question of a repeat seen from outside its instances: one per
	 * instance, NULL for an unanswered one; or a repeat itself: each instance's answers object), calls fn with
	 * each in order, until fn returns non-zero, and returns 1; returns 0, without calling fn, when name stands for
	 * one answer (answers[name]). */
	int (*each)(void *ctx, const char *name, int (*fn)(void *fctx, const json_t *v), void *fctx);
	/* indexed-repeat(): the answer to question in instance index[0] (1-based) of repeat[0], and inside it instance
	 * index[1] of repeat[1]... (depth of them); NULL when there is none (borrowed). */
	const json_t *(*indexed)(void *ctx, const char *question, const char *const *repeat, const long *index,
				 size_t depth);
	/* jr:choice-name(): the label, in the language being used, of the choice called name of question; NULL when
	 * it has no such choice (borrowed). */
	const char *(*choice_label)(void *ctx, const char *question, const char *name);
	long position;                /* position(..): the 1-based place of the instance evaluated among its repeat's
				       * (1 for a record, outside any repeat); 0: not known */
	uint64_t now_ms;              /* now() and today(), ms since the epoch; 0: clock_ms() */
	const char *lang;             /* format-date()'s %b and %a: "fr" and "es" have their own, else English */
};

/* Evaluates e in env. On success returns 0 and sets *out to a new reference (JSON string, number, or boolean) that
 * the caller json_decref()s; on an evaluation error (a bad regex, a text that is no date in format-date()) returns
 * -1 with a message in err; out of memory, ERR_OOM (util.h) with "out of memory". Nothing aborts and every
 * evaluation is bounded: the server evaluates forms' expressions on its request paths. */
int expr_eval_in(const struct expr *e, const struct expr_env *env, json_t **out, char *err, size_t errlen);
/* The same, converted with XPath boolean(): *out is 0 or 1. */
int expr_eval_bool_in(const struct expr *e, const struct expr_env *env, int *out, char *err, size_t errlen);
/* expr_eval_in with only answers and `.` (self, may be NULL: unanswered). */
int expr_eval(const struct expr *e, const json_t *answers, const json_t *self, json_t **out, char *err,
	      size_t errlen);
int expr_eval_bool(const struct expr *e, const json_t *answers, const json_t *self, int *out, char *err,
		   size_t errlen);

/* How an expression names something with ${name} (expr_refs_how). */
enum expr_ref {
	EXPR_REF_VALUE,         /* its answer (or answers, or a repeat's instances) */
	EXPR_REF_CHOICES,       /* the question whose choices jr:choice-name() looks up: a select question */
	EXPR_REF_REPEAT,        /* a repeat indexed-repeat() picks an instance of */
	EXPR_REF_TARGET         /* the question indexed-repeat() reads, inside that repeat */
};
/* Calls fn for every ${name} the expression mentions (in order, with repeats), so forms can check that each names
 * a question. Returns the first non-zero value fn returns, else 0. */
int expr_refs(const struct expr *e, int (*fn)(void *ctx, const char *name), void *ctx);
/* The same, saying how each is named. */
int expr_refs_how(const struct expr *e, int (*fn)(void *ctx, const char *name, enum expr_ref how), void *ctx);
/* 1 if e gives another value each time however the answers stand (it calls random() or uuid() outside once()), so
 * that working a form out does it once rather than until nothing changes. */
int expr_volatile(const struct expr *e);

#endif
