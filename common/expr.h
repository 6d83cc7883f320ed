/* expr.h - the XLSForm expression subset used by relevant, constraint and default.
 *
 * Grammar (lowest precedence first): or; and; = != ; < <= > >= ; + - ; * div mod ; unary -; primary.
 * Primaries: number literals, 'string' or "string" literals, ${name}, `.` (the answer being checked),
 * parentheses, and calls: not(x), selected(s, 'choice'), count-selected(s), string-length(s), regex(s, 're'),
 * today(), if(c, a, b), concat(a, ...), true(), false(), number(x), int(x), string(x), coalesce(a, b).
 *
 * Values follow XPath as ODK evaluates it: an unanswered question is the empty string; a select_multiple answer
 * (a JSON array) is its choice names joined by single spaces; comparisons are numeric when either side is a
 * number, else by string (ISO dates compare correctly as strings); and/or/not/if convert with XPath
 * boolean() (empty string, 0 and NaN are false). regex() uses POSIX extended expressions. */
#ifndef SONDEO_EXPR_H
#define SONDEO_EXPR_H

#include <jansson.h>
#include <stddef.h>

struct expr;

/* Compiles src. Returns NULL on a syntax error, with a message naming the position in err and errno EINVAL, or
 * out of memory, with "out of memory" and errno ENOMEM. Caller frees with expr_free(). */
struct expr *expr_parse(const char *src, char *err, size_t errlen);
void expr_free(struct expr *e);

/* Evaluates e with ${name} looked up in answers (a JSON object: name -> string, number, array of strings, or
 * null/missing for unanswered) and `.` bound to self (may be NULL: unanswered). On success returns 0 and sets
 * *out to a new reference (JSON string, number, or boolean) that the caller json_decref()s; on an evaluation
 * error (bad regex, wrong argument count) returns -1 with a message in err; out of memory, ERR_OOM (util.h) with
 * "out of memory". Nothing aborts: the server evaluates forms' expressions on its request paths. */
int expr_eval(const struct expr *e, const json_t *answers, const json_t *self, json_t **out, char *err,
	      size_t errlen);
/* The same, converted with XPath boolean(): *out is 0 or 1. */
int expr_eval_bool(const struct expr *e, const json_t *answers, const json_t *self, int *out, char *err,
		   size_t errlen);
/* Calls fn for every ${name} the expression mentions (in order, with repeats), so forms can check that each
 * names a question. Returns the first non-zero value fn returns, else 0. */
int expr_refs(const struct expr *e, int (*fn)(void *ctx, const char *name), void *ctx);

#endif
