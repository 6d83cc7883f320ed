/* form-check.c - the form's rules over answers: relevance, required, constraints, choice filters, defaults,
 * repeat counts, and a whole record checked at once. */
#include "form.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "form-priv.h"
#include "i18n.h"
#include "util.h"

#include "banned.h"

int form_unanswered(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

int form_relevant(const struct form *f, const struct form_question *q, const json_t *answers, char *err,
		  size_t errlen)
{
	const struct form_group *g;
	struct form_eval fe;
	char msg[256];
	int b, r;

	form_eval_init(&fe, f, answers, NULL, NULL, 0);
	/* The groups first, outermost last: a question of a skipped group is skipped. */
	for (g = q->group; g; g = g->parent) {
		if (!g->relevant)
			continue;
		if ((r = expr_eval_bool_in(g->relevant, &fe.env, &b, msg, sizeof msg)) < 0)
			return r == ERR_OOM ? err_oom(err, errlen)
					    : errf(err, errlen, _("relevant of group %s: %s"), g->name, msg);
		if (!b)
			return 0;
	}
	if (!q->relevant)
		return 1;
	fe.env.self = json_is_object(answers) ? json_object_get(answers, q->name) : NULL;
	if ((r = expr_eval_bool_in(q->relevant, &fe.env, &b, msg, sizeof msg)) < 0)
		return r == ERR_OOM ? err_oom(err, errlen) : errf(err, errlen, _("relevant: %s"), msg);
	return b;
}

/* 1 if choice k of q is offered given the answers, 0 if not (or its filter fails), ERR_OOM with err. */
static int offered(const struct form *f, const struct form_question *q, size_t k, const json_t *answers, char *err,
		   size_t errlen)
{
	struct form_eval fe;
	int b, r;

	if (k >= q->nchoices || !q->choices[k].filter)
		return 1;
	form_eval_init(&fe, f, answers, NULL, NULL, 0);
	r = expr_eval_bool_in(q->choices[k].filter, &fe.env, &b, NULL, 0);
	if (r == ERR_OOM)
		return err_oom(err, errlen);
	return r == 0 && b;
}

int form_check_answer(const struct form *f, const struct form_question *q, const json_t *value,
		      const json_t *answers, const char *lang, char *err, size_t errlen)
{
	json_t *with = NULL;
	const json_t *cur = json_is_object(answers) ? json_object_get(answers, q->name) : NULL;
	struct form_eval fe;
	char msg[256];
	const char *m;
	int ok, rc;

	if (form_unanswered(value)) {
		if (!q->required)
			return 0;
		m = form_text(f, q->required_message, lang);
		/* TRANSLATORS: follows a question's name and a colon ("age: is required"). */
		return errf(err, errlen, "%s", m ? m : _("is required"));
	}
	/* A choice the choice_filter does not offer, given the other answers, is not an answer. */
	if (q->nchoices && q->choices[0].filter) {
		size_t k, j;

		size_t n = json_is_array(value) ? json_array_size(value) : 1;

		for (j = 0; j < n; j++) {
			const json_t *one = json_is_array(value) ? json_array_get(value, j) : value;
			const char *name = json_string_value(one) ? json_string_value(one) : "";
			int is_offered = 0;

			/* Offered if one of the choices of that name is (a name may appear twice, filtered apart). */
			for (k = 0; k < q->nchoices && !is_offered; k++)
				if (!strcmp(q->choices[k].name, name) && (is_offered = offered(f, q, k, answers, err, errlen)) < 0)
					return is_offered;
			if (!is_offered)
				return errf(err, errlen, _("'%s' is not offered here (choice_filter: %s)"), name,
					    q->choice_filter_src);
		}
	}
	/* A ranking orders every choice offered. */
	if (q->type == FT_RANK && json_is_array(value)) {
		size_t k, j, missing = 0;
		struct buf names = BUF_INIT(1024);
		int r;

		for (k = 0; k < q->nchoices; k++) {
			int in = 0;

			for (j = 0; j < json_array_size(value) && !in; j++) {
				const char *name = json_string_value(json_array_get(value, j));

				in = name && !strcmp(name, q->choices[k].name);
			}
			if (!in && (r = offered(f, q, k, answers, err, errlen)) < 0) {
				buf_release(&names);
				return r;
			}
			if (!in && r)
				buf_printf(&names, "%s%s", missing++ ? ", " : "", q->choices[k].name);
		}
		/* TRANSLATORS: %s lists the choices not ranked yet ("ports, roads"). */
		r = missing ? errf(err, errlen, P_("rank every choice: %s is missing",
						   "rank every choice: %s are missing", missing), names.data) : 0;
		buf_release(&names);
		if (r < 0)
			return r;
	}
	if (!q->constraint)
		return 0;
	/* ${name} in the constraint must see the value being checked, not an older one */
	if (cur != value && !(cur && json_equal(cur, value))) {
		with = json_is_object(answers) ? json_copy((json_t *)answers) : json_object();
		if (!with || json_object_set(with, q->name, (json_t *)value) < 0) {
			json_decref(with);
			return err_oom(err, errlen);
		}
	}
	form_eval_init(&fe, f, with ? with : answers, value, lang, 0);
	rc = expr_eval_bool_in(q->constraint, &fe.env, &ok, msg, sizeof msg);
	json_decref(with);
	if (rc == ERR_OOM)
		return err_oom(err, errlen);
	if (rc < 0)
		return errf(err, errlen, _("constraint: %s"), msg);
	if (ok)
		return 0;
	m = form_text(f, q->constraint_message, lang);
	if (m)
		return errf(err, errlen, "%s", m);
	/* TRANSLATORS: follows a question's name and a colon; %s is the form's constraint (". > 0"). */
	return errf(err, errlen, _("does not satisfy: %s"), q->constraint_src);
}

int form_default_of(const struct form *f, const struct form_question *q, const json_t *answers, json_t **out,
		    char *err, size_t errlen)
{
	struct form_eval fe;
	json_t *v = NULL;
	char msg[256];
	int r;

	*out = NULL;
	if (!q->def)
		return 0;
	/* A default that fails to evaluate, or gives no answer of q's type, is no default; only memory is an error. */
	form_eval_init(&fe, f, answers, NULL, NULL, 0);
	if ((r = expr_eval_in(q->def, &fe.env, &v, msg, sizeof msg)) < 0)
		return r == ERR_OOM ? err_oom(err, errlen) : 0;
	if (json_is_number(v) && (q->type == FT_INTEGER || q->type == FT_DECIMAL)) {
		r = form_coerce_answer(f, q, v, out, msg, sizeof msg);
	} else if (json_is_string(v)) {
		r = form_coerce_answer(f, q, v, out, msg, sizeof msg);
	} else {
		/* the XPath string of a number or boolean, e.g. for a text question */
		char *s = json_is_boolean(v) ? mem_strdup(json_is_true(v) ? "true" : "false") :
			  json_dumps(v, JSON_ENCODE_ANY);

		r = s ? form_parse_answer(f, q, s, 0, out, msg, sizeof msg) : ERR_OOM;
		free(s);
	}
	json_decref(v);
	if (r == ERR_OOM)
		return err_oom(err, errlen);
	return 0;
}

json_t *form_default(const struct form *f, const struct form_question *q, const json_t *answers)
{
	json_t *out = NULL;

	form_default_of(f, q, answers, &out, NULL, 0);
	return out;
}

/* Whether a stored value has exactly its question's JSON type, choices and format. */
static int check_stored(const struct form *f, const struct form_question *q, const json_t *v, char *err,
			size_t errlen)
{
	json_t *norm = NULL;
	char qv[64];
	int rc;

	switch (q->type) {
	case FT_INTEGER:
		if (json_is_string(v))
			return errf(err, errlen, _("'%s' is text, not a whole number"),
				    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
		if (!json_is_integer(v))
			return form_wrong_kind(q, v, err, errlen);
		return 0;
	case FT_DECIMAL:
		if (json_is_string(v))
			return errf(err, errlen, _("'%s' is text, not a number"),
				    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
		if (!json_is_number(v))
			return form_wrong_kind(q, v, err, errlen);
		return 0;
	case FT_SELECT_MULTIPLE:
	case FT_RANK:
		if (!json_is_array(v))
			return form_wrong_kind(q, v, err, errlen);
		break;
	case FT_NOTE:
		return errf(err, errlen, _("is a note and takes no answer"));
	case FT_IMAGE: case FT_AUDIO: case FT_VIDEO: case FT_FILE:
		if (!json_is_object(v))
			return form_wrong_kind(q, v, err, errlen);
		break;
	default:
		if (!json_is_string(v))
			return form_wrong_kind(q, v, err, errlen);
		break;
	}
	if ((rc = form_coerce_answer(f, q, v, &norm, err, errlen)) < 0)
		return rc;
	/* coercion forgives what a person types ("Yes", " 2018-04-26", "1, 2"); a stored value must be exact */
	rc = json_equal(norm, (json_t *)v) ? 0 : -1;
	json_decref(norm);
	if (rc == 0)
		return 0;
	if (q->type == FT_SELECT_ONE)
		return form_not_a_choice(q, json_string_value(v), json_string_length(v), -1, err, errlen);
	if (q->type == FT_SELECT_MULTIPLE || q->type == FT_RANK) {
		const json_t *x, *y;
		size_t i, j;

		json_array_foreach(v, i, x) {
			if (form_find_exact(q, json_string_value(x)) < 0)
				return form_not_a_choice(q, json_string_value(x), json_string_length(x), -1, err, errlen);
			json_array_foreach(v, j, y)
				if (j < i && json_equal((json_t *)x, (json_t *)y))
					return errf(err, errlen, _("'%s' is chosen twice"), json_string_value(x));
		}
	}
	if (q->type == FT_DATE)
		return errf(err, errlen, _("'%s' is not written as YYYY-MM-DD"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_TIME)
		return errf(err, errlen, _("'%s' is not written as HH:MM or HH:MM:SS"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_DATETIME)
		return errf(err, errlen, _("'%s' is not written as YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_ACKNOWLEDGE)
		return errf(err, errlen, _("'%s' is not written as OK"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_GEOPOINT)
		return errf(err, errlen, _("'%s' is not written as 'latitude longitude [altitude accuracy]'"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_GEOTRACE)
		return errf(err, errlen, _("'%s' is not written as 'lat lon; lat lon; ...'"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_GEOSHAPE)
		return errf(err, errlen,
			    _("'%s' is not written as 'lat lon; lat lon; ...', its last point its first"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_OSM)
		return errf(err, errlen,
			    _("'%s' is not written as 'way/N; key=value; ...' with the tags in the form's order"),
			    form_quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	return 0;
}

int form_check(const struct form *f, const json_t *answers, const char *lang, form_error_fn fn, void *ctx)
{
	const struct form_group *scope = NULL;
	const char *rname;
	char err[1024];
	const char *key;
	const json_t *v;
	size_t i;
	int n = 0;

	if (!json_is_object(answers)) {
		fn(ctx, "", _("the record is not a JSON object"));
		return 1;
	}
	/* A record of a repeat instance (_repeat) answers that repeat's questions; the record itself the others. The
	 * caller may give an instance's answers merged over its parent's, for expressions that name the parent's. */
	rname = json_string_value(json_object_get(answers, "_repeat"));
	if (rname && !(scope = form_repeat_find(f, rname))) {
		snprintf(err, sizeof err, _("form '%s' has no repeat '%s'"), form_id(f), rname);
		fn(ctx, "_repeat", err);
		return 1;
	}
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		const struct form_group *r = form_repeat_of(q);
		int rel;

		v = json_object_get(answers, q->name);
		if (r != scope) {
			if (!scope && !form_unanswered(v)) {
				snprintf(err, sizeof err, _("is answered in the records of repeat %s, not in the "
							    "record itself"), r->name);
				fn(ctx, q->name, err);
				n++;
			}
			continue;
		}
		rel = form_relevant(f, q, answers, err, sizeof err);
		if (rel < 0) {
			fn(ctx, q->name, err);
			n++;
			continue;
		}
		if (form_unanswered(v)) {
			if (rel && form_check_answer(f, q, NULL, answers, lang, err, sizeof err) < 0) {
				fn(ctx, q->name, err);
				n++;
			}
			continue;
		}
		if (q->type != FT_NOTE && !rel) {
			snprintf(err, sizeof err, _("is answered but does not apply here (relevant: %s)"),
				 q->relevant_src);
			fn(ctx, q->name, err);
			n++;
			continue;
		}
		if (check_stored(f, q, v, err, sizeof err) < 0 ||
		    form_check_answer(f, q, v, answers, lang, err, sizeof err) < 0) {
			fn(ctx, q->name, err);
			n++;
		}
	}
	json_object_foreach((json_t *)answers, key, v) {
		if (key[0] == '_' || form_find(f, key))
			continue;
		snprintf(err, sizeof err, _("is not a question of form '%s'"), form_id(f));
		fn(ctx, key, err);
		n++;
	}
	return n;
}

int form_choice_offered(const struct form *f, const struct form_question *q, size_t k, const json_t *answers)
{
	return offered(f, q, k, answers, NULL, 0) == 1;
}

int form_repeat_count(const struct form *f, const struct form_group *g, const json_t *answers)
{
	struct form_eval fe;
	json_t *v = NULL;
	double d = -1;
	char err[256];

	if (!g || !g->repeat_count)
		return -1;
	form_eval_init(&fe, f, answers, NULL, NULL, 0);
	if (expr_eval_in(g->repeat_count, &fe.env, &v, err, sizeof err) < 0)
		return -1;
	/* An answer read from a text field, or a calculation's text, counts as its number. */
	if (json_is_number(v))
		d = json_number_value(v);
	else if (json_is_string(v) && json_string_length(v) && json_string_length(v) < 32) {
		char *end;

		d = strtod(json_string_value(v), &end);
		if (*end)
			d = -1;
	}
	json_decref(v);
	if (!(d >= 0 && d <= FORM_MAX_REPEAT_COUNT) || d != floor(d))
		return -1;
	return (int)d;
}
