/* form-priv.h - what the form's own files (form*.c) share with each other; callers use form.h. */
#ifndef SONDEO_FORM_PRIV_H
#define SONDEO_FORM_PRIV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "form.h"

/* Puts s, shortened to about 40 bytes and with control characters as '?', into out (n bytes); returns out. */
const char *form_quote(const char *s, size_t len, char *out, size_t n);
int form_is_digit(char c);
int form_is_blank(char c);
/* A decimal number as answers write it: 0 ok, -1 not a number, -2 out of range. */
int form_parse_dec(const char *s, size_t len, double *out);
/* The index of q's choice called name exactly, or -1. */
long form_find_exact(const struct form_question *q, const char *name);
/* The choice a typed word names (form-answer.c): the index, -1 if none, -2 for a number out of range. */
long form_find_choice(const struct form_question *q, const char *w, size_t len, int flags);   /* form-answer.c */
/* "'w' is not a choice (choose from: ...)" into err, for why as form_find_choice returned it. Returns -1. */
int form_not_a_choice(const struct form_question *q, const char *w, size_t len, long why, char *err,
		      size_t errlen);
/* "'value' is not a whole number" and the like, for a JSON value of the wrong kind. Returns -1. */
int form_wrong_kind(const struct form_question *q, const json_t *in, char *err, size_t errlen);
/* form_parse_answer on text of known length, which may come from JSON and so hold NUL bytes. */
int form_parse_text(const struct form_question *q, const char *text, size_t len, int flags, json_t **out,
		    char *err, size_t errlen);
/* An osm answer from what a person typed (form-osm.c). */
int form_parse_osm(const struct form_question *q, const char *s, size_t len, json_t **out, char *err,
		   size_t errlen);
/* form_default, with out of memory told apart: 0 and *out (NULL: no default), or ERR_OOM with err. */
int form_default_of(const struct form *f, const struct form_question *q, const json_t *answers, json_t **out,
		    char *err, size_t errlen);
/* Unanswered: absent, null, "" or [] (as a cleared select_multiple). */
int form_unanswered(const json_t *v);

/* What f's expressions are worked out with, for answers (a record's or an instance's, with the _instances and
 * _position form.h describes when the caller has them), `.` bound to self (NULL: unanswered), jr:choice-name()
 * and format-date() in lang (NULL: the form's default language), now() at now_ms (0: the clock). Borrows all of
 * them; holds nothing to free, and must stay where it is while fe->env is used (form-eval.c). */
struct form_eval {
	struct expr_env env;
	const struct form *f;
	const struct form_group *scope;   /* the repeat the answers are an instance of, or NULL */
};
void form_eval_init(struct form_eval *fe, const struct form *f, const json_t *answers, const json_t *self,
		    const char *lang, uint64_t now_ms);

#endif
