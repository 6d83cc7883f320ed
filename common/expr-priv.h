/* expr-priv.h - what the expression language's files share: the tree the parser builds (expr.c), the values the
 * evaluator works with (expr.c), the function library (expr-fn.c) and its dates (expr-date.c). Callers use expr.h. */
#ifndef SONDEO_EXPR_PRIV_H
#define SONDEO_EXPR_PRIV_H

#include <jansson.h>
#include <regex.h>
#include <stddef.h>

#include "expr.h"

#define EXPR_MAX_STR (1 << 20)       /* bytes of a string worked out (join() over many answers, uuid(n)) */
#define EXPR_MAX_INDEXED 3           /* repeats indexed-repeat() goes into, one inside the other (the spec's) */

enum expr_kind {
	N_NUM, N_STR, N_REF, N_SELF, N_NEG, N_BIN, N_CALL,
	N_PARENT,            /* `..`, as position(..) has it */
	N_QNAME              /* '${name}' as jr:choice-name() takes it: the question itself, not its answer */
};

struct expr_fn;

struct expr_node {
	enum expr_kind kind;
	int op;                       /* the operator of N_BIN */
	const struct expr_fn *fn;     /* N_CALL */
	double num;                   /* N_NUM */
	char *str;                    /* N_STR text, N_REF and N_QNAME question name; owned */
	size_t nargs;
	struct expr_node **args;      /* operands or arguments, in source order; owned */
	int depth;                    /* of the subtree */
	int volatile_;                /* the subtree calls random() or uuid() outside once() */
	size_t off;                   /* where it begins in the source, in bytes: for errors found after parsing */
	regex_t *re;                  /* regex() with a literal pattern: compiled once, at parse time; owned */
	int aux;                      /* digest(): the algorithm and encoding a literal names (expr-fn.c) */
};

/* A value being worked out: XPath's string, number and boolean. */
enum expr_vtype { V_STR, V_NUM, V_BOOL };
struct expr_val {
	enum expr_vtype t;
	double n;                     /* V_NUM, and V_BOOL as 0 or 1 */
	char *s;                      /* V_STR, owned */
};

/* One evaluation: its environment and where its error goes. */
struct expr_ctx {
	const struct expr_env *env;
	char *err;
	size_t errlen;
};

/* A function of the language: how many arguments it takes (max -1: any number), how it is worked out, and what
 * the parser checks of its arguments. A function Sondeo refuses has no eval, and why it is refused. */
typedef int (*expr_fn_eval)(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
/* 0 if call's arguments are usable, else -1 with why in msg and *at the argument the error is about (or
 * (size_t)-1: the call itself), or ERR_OOM. May prepare the call for evaluation (call->re, call->aux). */
typedef int (*expr_fn_check)(struct expr_node *call, size_t *at, char *msg, size_t msglen);
struct expr_fn {
	const char *name;
	int min, max;
	expr_fn_eval eval;
	expr_fn_check check;
	int volatile_;                /* another value at each call (random(), uuid()) */
	const char *refused;          /* why Sondeo does not have it (to be translated), or NULL */
};

/* The function called name (len bytes), or NULL (expr-fn.c). */
const struct expr_fn *expr_fn_find(const char *name, size_t len);

/* --- the evaluator (expr.c) --- */

/* -1 (ERR_OOM when out of memory) with c->err set, or 0 and *out, which the caller releases. */
int expr_node_eval(const struct expr_node *nd, struct expr_ctx *c, struct expr_val *out);
/* Argument i of call as a string the caller frees, or as a number. */
int expr_arg_str(const struct expr_node *call, size_t i, struct expr_ctx *c, char **out);
int expr_arg_num(const struct expr_node *call, size_t i, struct expr_ctx *c, double *out);
/* Calls fn with each value arg stands for: every answer when it is a ${name} standing for several (expr_env's
 * each), else its one value; until fn returns non-zero, which expr_each returns (fn's negative ones are errors with
 * c->err set). The value lives during the call. */
int expr_each(const struct expr_node *arg, struct expr_ctx *c,
	      int (*fn)(void *fctx, struct expr_ctx *c, const struct expr_val *v), void *fctx);
/* An answer (NULL: unanswered) as XPath sees it. */
int expr_from_json(struct expr_ctx *c, const json_t *j, struct expr_val *out);

void expr_val_release(struct expr_val *v);
struct expr_val expr_vnum(double d);
struct expr_val expr_vbool(int b);
/* *out = the string owned (NULL: out of memory, the evaluation fails with ERR_OOM). */
int expr_vstr(struct expr_ctx *c, char *owned, struct expr_val *out);
double expr_to_num(const struct expr_val *v);
int expr_to_bool(const struct expr_val *v);
/* string(v) as a new string the caller frees; NULL when out of memory. */
char *expr_to_str(const struct expr_val *v);
/* XPath string(number) into out (64 bytes are enough). */
void expr_fmt_num(double d, char *out, size_t n);
/* XPath number(string), with dates and dateTimes as days since 1970-01-01. */
double expr_str_num(const char *s);
int expr_is_space(int c);
/* "NAME(): message" into c->err; returns -1. */
int expr_fail(struct expr_ctx *c, const struct expr_node *call, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "out of memory" into c->err; returns ERR_OOM. */
int expr_oom(struct expr_ctx *c);

/* --- dates and times (expr-date.c) --- */

/* A moment as a wall clock reads it, which is how Sondeo's dates and dateTimes are written (without a time zone). */
struct expr_time {
	int y, mon, d;                /* the date */
	int h, min, s, ms;            /* the time of day */
};
/* Reads a date (YYYY-MM-DD), a dateTime (YYYY-MM-DDTHH:MM[:SS[.fff]], with an optional Z or +HH:MM, which is
 * turned into this computer's time), a time alone (HH:MM[:SS[.fff]], on 1970-01-01; want_time only), or a
 * number of days since 1970-01-01, into t. 1 if read, 0 for the empty string or NaN (no moment), -1 if v is
 * none of these. */
int expr_time_read(const struct expr_val *v, int want_time, struct expr_time *t);
/* The days since 1970-01-01 of t, with the time of day as a fraction. */
double expr_time_days(const struct expr_time *t);
/* t written as "YYYY-MM-DD" (date 1) or "YYYY-MM-DDTHH:MM:SS" into out (at least 32 bytes). */
void expr_time_fmt(const struct expr_time *t, int date, char *out, size_t n);
/* The date or dateTime text s as days since 1970-01-01; NaN if it is neither. */
double expr_time_str_days(const char *s);
/* The clock the evaluation reads: env's now_ms, else clock_ms(). */
uint64_t expr_now_ms(const struct expr_ctx *c);

/* The date functions, for expr-fn.c's table. */
int expr_date_today(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
int expr_date_now(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
int expr_date_date(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
int expr_date_decimal_date_time(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
int expr_date_decimal_time(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
int expr_date_format(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out);
int expr_date_check_format(struct expr_node *call, size_t *at, char *msg, size_t msglen);

#endif
