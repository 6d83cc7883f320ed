/* form.c - survey forms: loading and validating the JSON definition, reading and checking answers. */
#include "form.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

#include "banned.h"

#define FORM_MAX_NAME 64

struct qdata {
	struct form_question q;   /* first, so the public view is the start of the private one */
	struct expr *relevant, *constraint, *def, *calculation;
	json_t *own_label;        /* the name, as the label of a question that has none (automatic types) */
	struct expr **filters;    /* per choice, with a choice_filter */
	struct form_choice *choices;
	struct form_tag *tags;            /* osm only */
	struct form_choice **tag_choices; /* per tag, its values (owned here, viewed by tags[i].choices) */
};

struct gdata {
	struct form_group g;      /* first, as for questions */
	struct expr *relevant, *repeat_count;
};

struct form {
	json_t *root;
	struct gdata *groups;
	size_t ngroups;
	const char *id, *version, *default_language;
	const json_t *title;
	struct qdata *qs;
	size_t nq;
	json_t *index;            /* question name -> its position, for lookups by name */
};

static const char *const type_names[] = {
	[FT_TEXT] = "text", [FT_INTEGER] = "integer", [FT_DECIMAL] = "decimal", [FT_SELECT_ONE] = "select_one",
	[FT_SELECT_MULTIPLE] = "select_multiple", [FT_DATE] = "date", [FT_GEOPOINT] = "geopoint", [FT_NOTE] = "note",
	[FT_TIME] = "time", [FT_DATETIME] = "dateTime", [FT_ACKNOWLEDGE] = "acknowledge", [FT_OSM] = "osm",
	[FT_RANK] = "rank", [FT_BARCODE] = "barcode", [FT_GEOTRACE] = "geotrace", [FT_GEOSHAPE] = "geoshape",
	[FT_CALCULATE] = "calculate",
	[FT_START] = "start", [FT_END] = "end", [FT_TODAY] = "today", [FT_DEVICEID] = "deviceid",
	[FT_USERNAME] = "username", [FT_SIMSERIAL] = "simserial", [FT_SUBSCRIBERID] = "subscriberid",
	[FT_PHONENUMBER] = "phonenumber", [FT_EMAIL] = "email",
};

/* The type whose answers another type's answers look like: a calculation's is text, start's a dateTime, a
 * barcode's the text of its code. */
static enum form_type stored_as(enum form_type t)
{
	switch (t) {
	case FT_BARCODE: case FT_CALCULATE: case FT_DEVICEID: case FT_USERNAME: case FT_SIMSERIAL: case FT_SUBSCRIBERID:
	case FT_PHONENUMBER: case FT_EMAIL: return FT_TEXT;
	case FT_START: case FT_END: return FT_DATETIME;
	case FT_TODAY: return FT_DATE;
	default: return t;
	}
}
#define NTYPES (sizeof type_names / sizeof type_names[0])

const char *form_type_name(enum form_type t)
{
	return (unsigned)t < NTYPES ? type_names[t] : "unknown";
}

static int is_select(enum form_type t)
{
	return t == FT_SELECT_ONE || t == FT_SELECT_MULTIPLE || t == FT_RANK;
}

/* --- loading --- */

/* "question 'name'" once the name is known, "question N" before. */
static void qlabel(char *out, size_t n, size_t i, const char *name)
{
	if (name)
		snprintf(out, n, "question '%s'", name);
	else
		snprintf(out, n, "question %zu", i + 1);
}

__attribute__((format(printf, 4, 5)))
static int qerr(char *err, size_t errlen, const char *who, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return errf(err, errlen, "%s: %s", who, msg);
}

/* Question names: a letter, then letters, digits, '_', '.' or '-' (names starting with '_' are the store's).
 * Choice names may also start with a digit, since numeric codes are common. Returns a reason, or NULL. */
static const char *bad_name(const char *s, int choice)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > FORM_MAX_NAME)
		return "is longer than 64 characters";
	if (s[0] == '_' && !choice)
		return "starts with '_', which is reserved for the store's own fields";
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), digit = c >= '0' && c <= '9';

		if (i == 0 && !alpha && !(choice && digit))
			return choice ? "must start with a letter or a digit" : "must start with a letter";
		if (!alpha && !digit && c != '_' && c != '.' && c != '-')
			return "may hold only letters, digits, '_', '.' and '-'";
	}
	return NULL;
}

/* TEXT: a string, or a non-empty object of language code -> string. */
static int check_text(const json_t *t, const char *who, const char *key, char *err, size_t errlen)
{
	const char *lang;
	const json_t *v;

	if (json_is_string(t))
		return 0;
	if (!json_is_object(t))
		return qerr(err, errlen, who, "%s must be a string or an object of language -> string", key);
	if (json_object_size(t) == 0)
		return qerr(err, errlen, who, "%s has no text in any language", key);
	json_object_foreach((json_t *)t, lang, v) {
		if (!lang[0])
			return qerr(err, errlen, who, "%s: empty language code", key);
		if (!json_is_string(v))
			return qerr(err, errlen, who, "%s: the '%s' text is not a string", key, lang);
	}
	return 0;
}

static int only_keys(const json_t *obj, const char *const *keys, const char *who, char *err, size_t errlen)
{
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i])
			return qerr(err, errlen, who, "unknown key '%s'", k);
	}
	return 0;
}

static const char *const form_keys[] = { "id", "version", "title", "default_language", "groups", "questions",
					 "allow_choice_duplicates", NULL };
static const char *const group_keys[] = { "name", "label", "relevant", "group", "repeat", "repeat_count", NULL };
static const char *const question_keys[] = {
	"name", "type", "label", "hint", "required", "required_message", "relevant", "constraint",
	"constraint_message", "default", "choices", "calculation", "readonly", "group", "choice_filter", "tags", NULL
};
static const char *const tag_keys[] = { "name", "label", "choices", NULL };
static const char *const choice_keys[] = { "name", "label", "data", NULL };

/* A choice_filter for one choice: the expression with each bare word that is not a function, a keyword or inside
 * ${...} or quotes (a column of the choices sheet, such as `cf`, `name` or `label::English`) replaced by that
 * choice's value for it, quoted. So `${state} = cf` becomes `${state} = 'washington'` for the choice whose cf is
 * washington, and is compiled and evaluated as any expression. NULL (err set) when it does not compile. */
static struct expr *filter_for(const char *src, const struct form_choice *c, char *err, size_t errlen)
{
	struct buf b = BUF_INIT((size_t)64 << 10);
	struct expr *e = NULL;
	const char *p = src;

	while (*p) {
		if (*p == '\'' || *p == '"') {
			const char *end = strchr(p + 1, *p);
			size_t n = end ? (size_t)(end - p) + 1 : strlen(p);

			buf_add(&b, p, n);
			p += n;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p, '}');
			size_t n = end ? (size_t)(end - p) + 1 : strlen(p);

			buf_add(&b, p, n);
			p += n;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			const char *w = p, *after;
			char word[128];
			size_t n;

			while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.' ||
			       (*p == ':' && (isalnum((unsigned char)p[1]) || p[1] == ':')))
				p++;
			n = (size_t)(p - w);
			for (after = p; *after == ' '; after++)
				;
			if (*after == '(' || n >= sizeof(word) ||
			    ((n == 2 && !strncmp(w, "or", 2)) || (n == 3 && (!strncmp(w, "and", 3) || !strncmp(w, "div", 3) ||
									   !strncmp(w, "mod", 3))))) {
				buf_add(&b, w, n);
				continue;
			}
			memcpy(word, w, n);
			word[n] = '\0';
			{
				const char *v = "";
				const json_t *d = c->data ? json_object_get(c->data, word) : NULL;
				const char *dk;
				json_t *dv;

				/* Column names are read in lower case; a filter may write them in any case. */
				if (!d && c->data)
					json_object_foreach((json_t *)c->data, dk, dv)
						if (!strcasecmp(dk, word))
							d = dv;

				if (d)
					v = json_string_value(d);
				else if (!strcmp(word, "name"))
					v = c->name;
				else if (!strncmp(word, "label", 5) && json_is_string(c->label))
					v = json_string_value(c->label);
				else if (!strncmp(word, "label", 5) && json_is_object(c->label)) {
					const char *lang = strstr(word, "::") ? strstr(word, "::") + 2 : NULL;
					const json_t *t = NULL;
					const char *k;
					json_t *x;

					/* label::English or label::en: the text whose code, or language name, fits. */
					json_object_foreach((json_t *)c->label, k, x)
						if (!t || (lang && (!strcasecmp(k, lang) || !strncasecmp(lang, k, strlen(k)))))
							t = x;
					v = json_string_value(t);
				}
				buf_printf(&b, strchr(v ? v : "", '\'') ? "\"%s\"" : "'%s'", v ? v : "");
			}
		} else {
			buf_addc(&b, *p++);
		}
	}
	if (buf_addc(&b, '\0') == 0)
		e = expr_parse(b.data, err, errlen);
	else
		errf(err, errlen, "too long");
	buf_release(&b);
	return e;
}

static int load_filter(struct qdata *qd, const json_t *jq, const char *who, char *err, size_t errlen)
{
	const json_t *cf = json_object_get(jq, "choice_filter");
	char msg[512];
	size_t i;

	if (!cf)
		return 0;
	if (!json_is_string(cf))
		return qerr(err, errlen, who, "choice_filter must be an expression in a string");
	qd->q.choice_filter_src = json_string_value(cf);
	qd->filters = xcalloc(qd->q.nchoices, sizeof *qd->filters);
	for (i = 0; i < qd->q.nchoices; i++) {
		if (!(qd->filters[i] = filter_for(qd->q.choice_filter_src, &qd->choices[i], msg, sizeof msg)))
			return qerr(err, errlen, who, "choice_filter: %s", msg);
		qd->choices[i].filter = qd->filters[i];
	}
	return 0;
}

/* A list of choices ({"name", "label": TEXT, "data": {column: text}}), names unique unless dup_ok: into *out,
 * a new array the caller frees (set even on error), and *n. */
static int load_choice_list(const json_t *list, int dup_ok, struct form_choice **out, size_t *n, const char *who,
			    char *err, size_t errlen)
{
	const json_t *jc;
	size_t i, j;

	*n = 0;
	*out = NULL;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return qerr(err, errlen, who, "choices must be a non-empty array");
	*out = xcalloc(json_array_size(list), sizeof **out);
	json_array_foreach(list, i, jc) {
		const json_t *name = json_object_get(jc, "name");
		struct form_choice *c = &(*out)[i];
		const char *why;
		char cwho[160];

		if (!json_is_object(jc))
			return qerr(err, errlen, who, "choice %zu is not an object", i + 1);
		if (!json_is_string(name))
			return qerr(err, errlen, who, "choice %zu: missing name", i + 1);
		if ((why = bad_name(json_string_value(name), 1)))
			return qerr(err, errlen, who, "choice name '%s' %s", json_string_value(name), why);
		snprintf(cwho, sizeof cwho, "%s: choice '%s'", who, json_string_value(name));
		if (only_keys(jc, choice_keys, cwho, err, errlen) < 0)
			return -1;
		/* Twice only where the form allows it, for lists whose choice_filter offers one at a time (the same
		 * county name in two states). */
		for (j = 0; j < i && !dup_ok; j++)
			if (!strcmp((*out)[j].name, json_string_value(name)))
				return qerr(err, errlen, who, "choice '%s' appears twice", json_string_value(name));
		if (!json_object_get(jc, "label"))
			return qerr(err, errlen, cwho, "missing label");
		if (check_text(json_object_get(jc, "label"), cwho, "label", err, errlen) < 0)
			return -1;
		c->name = json_string_value(name);
		c->label = json_object_get(jc, "label");
		if ((c->data = json_object_get(jc, "data"))) {
			const char *k;
			const json_t *v;

			if (!json_is_object(c->data))
				return qerr(err, errlen, cwho, "data must be an object of column -> text");
			json_object_foreach((json_t *)c->data, k, v)
				if (!json_is_string(v))
					return qerr(err, errlen, cwho, "data: '%s' is not a string", k);
		}
		*n = i + 1;
	}
	return 0;
}

static int load_choices(struct qdata *qd, const json_t *jq, int dup_ok, const char *who, char *err, size_t errlen)
{
	const json_t *list = json_object_get(jq, "choices");
	int r;

	if (!is_select(qd->q.type)) {
		if (list)
			return qerr(err, errlen, who, "choices are only for select_one, select_multiple and rank questions");
		if (json_object_get(jq, "choice_filter"))
			return qerr(err, errlen, who, "a choice_filter is only for select_one, select_multiple and rank"
				    " questions");
		return 0;
	}
	if (!list)
		return qerr(err, errlen, who, "a %s question needs choices", form_type_name(qd->q.type));
	r = load_choice_list(list, dup_ok, &qd->choices, &qd->q.nchoices, who, err, errlen);
	qd->q.choices = qd->choices;
	return r < 0 ? -1 : load_filter(qd, jq, who, err, errlen);
}

/* OpenStreetMap keys: letters, digits and '_', ':', '.', '-' (as in addr:street or building:levels). */
static const char *bad_tag_key(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > FORM_MAX_NAME)
		return "is longer than 64 characters";
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_:.-", s[i]))
			return "may hold only letters, digits, '_', ':', '.' and '-'";
	return NULL;
}

/* An osm question's tags, each with the values offered for it (if any). */
static int load_tags(struct qdata *qd, const json_t *jq, const char *who, char *err, size_t errlen)
{
	const json_t *list = json_object_get(jq, "tags"), *jt;
	size_t i, j;

	if (qd->q.type != FT_OSM)
		return list ? qerr(err, errlen, who, "tags are only for osm questions") : 0;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return qerr(err, errlen, who, "tags must be an array");
	qd->tags = xcalloc(json_array_size(list) + 1, sizeof *qd->tags);
	qd->tag_choices = xcalloc(json_array_size(list) + 1, sizeof *qd->tag_choices);
	qd->q.tags = qd->tags;
	json_array_foreach(list, i, jt) {
		const json_t *name = json_object_get(jt, "name"), *vals = json_object_get(jt, "choices");
		struct form_tag *t = &qd->tags[i];
		const char *why;
		char twho[160];

		if (!json_is_object(jt))
			return qerr(err, errlen, who, "tag %zu is not an object", i + 1);
		if (!json_is_string(name))
			return qerr(err, errlen, who, "tag %zu: missing name", i + 1);
		if ((why = bad_tag_key(json_string_value(name))))
			return qerr(err, errlen, who, "tag '%s' %s", json_string_value(name), why);
		snprintf(twho, sizeof twho, "%s: tag '%s'", who, json_string_value(name));
		if (only_keys(jt, tag_keys, twho, err, errlen) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(qd->tags[j].name, json_string_value(name)))
				return qerr(err, errlen, who, "tag '%s' appears twice", json_string_value(name));
		if (!json_object_get(jt, "label"))
			return qerr(err, errlen, twho, "missing label");
		if (check_text(json_object_get(jt, "label"), twho, "label", err, errlen) < 0)
			return -1;
		t->name = json_string_value(name);
		t->label = json_object_get(jt, "label");
		qd->q.ntags = i + 1;
		if (vals && load_choice_list(vals, 0, &qd->tag_choices[i], &t->nchoices, twho, err, errlen) < 0)
			return -1;
		t->choices = qd->tag_choices[i];
	}
	return 0;
}

static int load_expr(const json_t *jq, const char *key, const char **src, struct expr **e, const char *who,
		     char *err, size_t errlen)
{
	const json_t *v = json_object_get(jq, key);
	char msg[512];

	if (!v)
		return 0;
	if (!json_is_string(v))
		return qerr(err, errlen, who, "%s must be an expression in a string", key);
	*src = json_string_value(v);
	*e = expr_parse(*src, msg, sizeof msg);
	if (!*e)
		return qerr(err, errlen, who, "%s: %s", key, msg);
	return 0;
}

static const struct form_group *group_find(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->ngroups; i++)
		if (!strcmp(f->groups[i].g.name, name))
			return &f->groups[i].g;
	return NULL;
}

/* The form's groups, each after the group it is in. */
static int load_groups(struct form *f, const json_t *gs, char *err, size_t errlen)
{
	const json_t *jg;
	size_t i;

	if (!gs)
		return 0;
	if (!json_is_array(gs))
		return errf(err, errlen, "form '%s': groups must be an array", f->id);
	f->groups = xcalloc(json_array_size(gs) + 1, sizeof *f->groups);
	json_array_foreach(gs, i, jg) {
		struct gdata *gd = &f->groups[i];
		const json_t *name = json_object_get(jg, "name"), *parent = json_object_get(jg, "group");
		char who[128];
		const char *why;

		f->ngroups = i + 1;
		if (!json_is_object(jg))
			return errf(err, errlen, "group %zu: must be an object", i + 1);
		if (!json_is_string(name))
			return errf(err, errlen, "group %zu: name must be a string", i + 1);
		if ((why = bad_name(json_string_value(name), 0)))
			return errf(err, errlen, "group %zu: name '%s' %s", i + 1, json_string_value(name), why);
		gd->g.name = json_string_value(name);
		snprintf(who, sizeof who, "group '%s'", gd->g.name);
		if (only_keys(jg, group_keys, who, err, errlen) < 0)
			return -1;
		if (group_find(f, gd->g.name) != &gd->g)
			return errf(err, errlen, "%s: the name appears twice", who);
		if (json_object_get(jg, "repeat") && !json_is_boolean(json_object_get(jg, "repeat")))
			return errf(err, errlen, "%s: repeat must be true or false", who);
		gd->g.repeat = json_is_true(json_object_get(jg, "repeat"));
		gd->g.label = json_object_get(jg, "label");
		if (gd->g.label && check_text(gd->g.label, who, "label", err, errlen) < 0)
			return -1;
		if (load_expr(jg, "relevant", &gd->g.relevant_src, &gd->relevant, who, err, errlen) < 0)
			return -1;
		gd->g.relevant = gd->relevant;
		if (load_expr(jg, "repeat_count", &gd->g.repeat_count_src, &gd->repeat_count, who, err, errlen) < 0)
			return -1;
		gd->g.repeat_count = gd->repeat_count;
		if (gd->repeat_count && !gd->g.repeat)
			return errf(err, errlen, "%s: only a repeat has a repeat_count", who);
		if (parent) {
			const struct form_group *p = json_is_string(parent) ? group_find(f, json_string_value(parent)) : NULL;

			if (!p || p == &gd->g)
				return errf(err, errlen, "%s: group: no group '%s' before it", who,
					    json_is_string(parent) ? json_string_value(parent) : "?");
			gd->g.parent = p;
		}
	}
	return 0;
}

static int load_question(struct form *f, size_t i, const json_t *jq, char *err, size_t errlen)
{
	struct qdata *qd = &f->qs[i];
	struct form_question *q = &qd->q;
	const json_t *name = json_object_get(jq, "name"), *type, *req;
	const char *why;
	char who[128];
	size_t t;
	static const char *const texts[] = { "label", "hint", "required_message", "constraint_message" };

	qlabel(who, sizeof who, i, NULL);
	if (!json_is_object(jq))
		return qerr(err, errlen, who, "not a JSON object");
	if (!name)
		return qerr(err, errlen, who, "missing name");
	if (!json_is_string(name))
		return qerr(err, errlen, who, "name must be a string");
	if ((why = bad_name(json_string_value(name), 0)))
		return qerr(err, errlen, who, "name '%s' %s", json_string_value(name), why);
	q->name = json_string_value(name);
	qlabel(who, sizeof who, i, q->name);
	if (json_object_get(f->index, q->name))
		return qerr(err, errlen, who, "the name appears twice (questions %d and %zu)",
			    (int)json_integer_value(json_object_get(f->index, q->name)) + 1, i + 1);
	json_object_set_new(f->index, q->name, json_integer((json_int_t)i));
	if (only_keys(jq, question_keys, who, err, errlen) < 0)
		return -1;

	type = json_object_get(jq, "type");
	if (!type)
		return qerr(err, errlen, who, "missing type");
	if (!json_is_string(type))
		return qerr(err, errlen, who, "type must be a string");
	for (t = 0; t < NTYPES && strcmp(type_names[t], json_string_value(type)); t++)
		;
	if (t == NTYPES)
		return qerr(err, errlen, who, "unknown type '%s' (use text, integer, decimal, select_one, "
			    "select_multiple, rank, date, time, dateTime, geopoint, geotrace, geoshape, acknowledge, note, osm, barcode, "
			    "calculate, start, end, today, deviceid, username, simserial, subscriberid, phonenumber or "
			    "email)", json_string_value(type));
	q->type = (enum form_type)t;
	q->automatic = t >= FT_CALCULATE || json_object_get(jq, "calculation") != NULL;

	/* What is never asked needs no label. */
	if (!json_object_get(jq, "label") && !q->automatic)
		return qerr(err, errlen, who, "missing label");
	for (t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		const json_t *v = json_object_get(jq, texts[t]);

		if (v && check_text(v, who, texts[t], err, errlen) < 0)
			return -1;
	}
	q->label = json_object_get(jq, "label");
	if (!q->label)
		q->label = qd->own_label = json_string(q->name);
	if (json_object_get(jq, "group")) {
		const json_t *g = json_object_get(jq, "group");

		if (!json_is_string(g) || !(q->group = group_find(f, json_string_value(g))))
			return qerr(err, errlen, who, "group: no group '%s' in the form's groups",
				    json_is_string(g) ? json_string_value(g) : "?");
	}
	if (json_object_get(jq, "readonly") && !json_is_boolean(json_object_get(jq, "readonly")))
		return qerr(err, errlen, who, "readonly must be true or false");
	q->readonly = json_is_true(json_object_get(jq, "readonly"));
	q->hint = json_object_get(jq, "hint");
	q->required_message = json_object_get(jq, "required_message");
	q->constraint_message = json_object_get(jq, "constraint_message");

	req = json_object_get(jq, "required");
	if (req && !json_is_boolean(req))
		return qerr(err, errlen, who, "required must be true or false");
	q->required = json_is_true(req);

	if (load_expr(jq, "relevant", &q->relevant_src, &qd->relevant, who, err, errlen) < 0 ||
	    load_expr(jq, "constraint", &q->constraint_src, &qd->constraint, who, err, errlen) < 0 ||
	    load_expr(jq, "default", &q->default_src, &qd->def, who, err, errlen) < 0)
		return -1;
	q->relevant = qd->relevant;
	q->constraint = qd->constraint;
	q->def = qd->def;
	if (load_expr(jq, "calculation", &q->calculation_src, &qd->calculation, who, err, errlen) < 0)
		return -1;
	q->calculation = qd->calculation;
	if (q->type == FT_CALCULATE && !q->calculation)
		return qerr(err, errlen, who, "a calculate question needs a calculation");
	if (q->calculation && (q->type == FT_NOTE || (q->type > FT_CALCULATE)))
		return qerr(err, errlen, who, "a %s question cannot have a calculation", type_names[q->type]);
	/* A question with a calculation is worked out as a calculate is, its result read as its type's answer;
	 * XLSForm designers often mark it readonly as well, which says nothing more. */
	if (q->calculation && q->type != FT_CALCULATE && (q->required || q->constraint || q->def))
		return qerr(err, errlen, who, "a question with a calculation is filled in by the device: it cannot be"
			    " required, or have a constraint or a default");
	if (q->automatic && !q->calculation && (q->required || q->constraint || q->def || q->readonly))
		return qerr(err, errlen, who, "a %s question is filled in by the device: it cannot be required, have a"
			    " constraint, a default or be readonly", type_names[t]);
	if (q->type == FT_CALCULATE && (q->required || q->constraint || q->def || q->readonly))
		return qerr(err, errlen, who, "a calculate question is filled in by the device: it cannot be required,"
			    " have a constraint, a default or be readonly");
	if (q->readonly && q->required)
		return qerr(err, errlen, who, "a readonly question cannot be required: nobody can answer it");

	if (q->type == FT_NOTE) {
		/* a note is shown, never answered */
		if (q->required)
			return qerr(err, errlen, who, "a note cannot be required");
		if (q->constraint)
			return qerr(err, errlen, who, "a note cannot have a constraint");
		if (q->def)
			return qerr(err, errlen, who, "a note cannot have a default");
	}
	if (load_tags(qd, jq, who, err, errlen) < 0)
		return -1;
	return load_choices(qd, jq, json_is_true(json_object_get(f->root, "allow_choice_duplicates")), who, err, errlen);
}

struct refcheck {
	const struct form *f;
	const char *bad;
};

static int ref_known(void *ctx, const char *name)
{
	struct refcheck *rc = ctx;

	if (json_object_get(rc->f->index, name))
		return 0;
	rc->bad = name;
	return 1;
}

/* Every ${name} must be a question of the form; done once all names are known, since references may point
 * forward. */
/* The first ${name} in TEXT t (any language) that names no question of f, into bad; 0 if none. */
static int text_ref_unknown(const struct form *f, const json_t *t, char *bad, size_t badlen)
{
	const char *k, *s;
	const json_t *v;

	json_object_foreach((json_t *)(json_is_object(t) ? t : NULL), k, v)
		if (text_ref_unknown(f, v, bad, badlen))
			return 1;
	for (s = json_string_value(t); s && (s = strstr(s, "${")); s += 2) {
		const char *end = strchr(s, '}');
		size_t n = end ? (size_t)(end - s - 2) : 0;

		if (!end)
			break;
		snprintf(bad, badlen, "%.*s", (int)(n < badlen ? n : badlen - 1), s + 2);
		if (n > FORM_MAX_NAME || !form_find(f, bad))
			return 1;
	}
	return 0;
}

static int check_refs(const struct form *f, char *err, size_t errlen)
{
	size_t i, k;
	char bad[FORM_MAX_NAME + 8];

	/* Labels, hints and messages may show answers ("How old is ${mname}?"): of questions the form has. */
	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		const json_t *texts[4] = { q->label, q->hint, q->required_message, q->constraint_message };
		static const char *const what[4] = { "label", "hint", "required_message", "constraint_message" };

		for (k = 0; k < 4; k++)
			if (texts[k] && text_ref_unknown(f, texts[k], bad, sizeof bad))
				return errf(err, errlen, "question '%s': %s names unknown question '%s'", q->name, what[k],
					    bad);
	}
	for (i = 0; i < f->ngroups; i++)
		if (f->groups[i].g.label && text_ref_unknown(f, f->groups[i].g.label, bad, sizeof bad))
			return errf(err, errlen, "group '%s': label names unknown question '%s'", f->groups[i].g.name, bad);

	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		const struct expr *ex[4] = { q->relevant, q->constraint, q->def, q->calculation };
		static const char *const what[4] = { "relevant", "constraint", "default", "calculation" };

		for (k = 0; k < 4; k++) {
			struct refcheck rc = { f, NULL };

			if (ex[k] && expr_refs(ex[k], ref_known, &rc))
				return errf(err, errlen, "question '%s': %s names unknown question '%s'", q->name,
					    what[k], rc.bad);
		}
	}
	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		struct refcheck rc = { f, NULL };

		if (q->nchoices && q->choices[0].filter && expr_refs(q->choices[0].filter, ref_known, &rc))
			return errf(err, errlen, "question '%s': choice_filter names unknown question '%s'", q->name, rc.bad);
	}
	for (i = 0; i < f->ngroups; i++) {
		struct refcheck rc = { f, NULL };

		if (f->groups[i].relevant && expr_refs(f->groups[i].relevant, ref_known, &rc))
			return errf(err, errlen, "group '%s': relevant names unknown question '%s'", f->groups[i].g.name,
				    rc.bad);
		if (f->groups[i].repeat_count && expr_refs(f->groups[i].repeat_count, ref_known, &rc))
			return errf(err, errlen, "group '%s': repeat_count names unknown question '%s'",
				    f->groups[i].g.name, rc.bad);
	}
	return 0;
}

static int load_form(struct form *f, char *err, size_t errlen)
{
	const json_t *root = f->root, *id, *version, *lang, *qs, *jq;
	const char *why;
	size_t i;

	if (!json_is_object(root))
		return errf(err, errlen, "a form must be a JSON object");
	if (only_keys(root, form_keys, "form", err, errlen) < 0)
		return -1;
	id = json_object_get(root, "id");
	if (!json_is_string(id))
		return errf(err, errlen, "form: missing id");
	if ((why = bad_name(json_string_value(id), 0)))
		return errf(err, errlen, "form: id '%s' %s", json_string_value(id), why);
	f->id = json_string_value(id);
	version = json_object_get(root, "version");
	if (!json_is_string(version) || !json_string_length(version))
		return errf(err, errlen, "form '%s': missing version (a string such as \"1\")", f->id);
	f->version = json_string_value(version);
	lang = json_object_get(root, "default_language");
	if (lang && (!json_is_string(lang) || !json_string_length(lang)))
		return errf(err, errlen, "form '%s': default_language must be a language code", f->id);
	f->default_language = lang ? json_string_value(lang) : "en";
	f->title = json_object_get(root, "title");
	if (f->title && check_text(f->title, "form", "title", err, errlen) < 0)
		return -1;
	if (json_object_get(root, "allow_choice_duplicates") && !json_is_boolean(json_object_get(root, "allow_choice_duplicates")))
		return errf(err, errlen, "form '%s': allow_choice_duplicates must be true or false", f->id);
	if (load_groups(f, json_object_get(root, "groups"), err, errlen) < 0)
		return -1;
	qs = json_object_get(root, "questions");
	if (!json_is_array(qs) || json_array_size(qs) == 0)
		return errf(err, errlen, "form '%s': questions must be a non-empty array", f->id);
	f->qs = xcalloc(json_array_size(qs), sizeof *f->qs);
	json_array_foreach(qs, i, jq) {
		f->nq = i + 1;   /* so form_free releases what this question compiled, even on error */
		if (load_question(f, i, jq, err, errlen) < 0)
			return -1;
	}
	return check_refs(f, err, errlen);
}

struct form *form_load(const char *json, size_t len, char *err, size_t errlen)
{
	struct form *f;
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!root) {
		errf(err, errlen, "not valid JSON: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->root = root;
	f->index = json_object();
	if (!f->index || load_form(f, err, errlen) < 0) {
		form_free(f);
		return NULL;
	}
	return f;
}

void form_free(struct form *f)
{
	size_t i, k;

	if (!f)
		return;
	for (i = 0; i < f->nq; i++) {
		expr_free(f->qs[i].relevant);
		expr_free(f->qs[i].constraint);
		expr_free(f->qs[i].def);
		expr_free(f->qs[i].calculation);
		json_decref(f->qs[i].own_label);
		for (k = 0; f->qs[i].filters && k < f->qs[i].q.nchoices; k++)
			expr_free(f->qs[i].filters[k]);
		free(f->qs[i].filters);
		free(f->qs[i].choices);
		for (k = 0; f->qs[i].tag_choices && k < f->qs[i].q.ntags + 1; k++)
			free(f->qs[i].tag_choices[k]);
		free(f->qs[i].tag_choices);
		free(f->qs[i].tags);
	}
	free(f->qs);
	for (i = 0; i < f->ngroups; i++) {
		expr_free(f->groups[i].relevant);
		expr_free(f->groups[i].repeat_count);
	}
	free(f->groups);
	json_decref(f->index);
	json_decref(f->root);
	free(f);
}

const char *form_id(const struct form *f)
{
	return f->id;
}

const char *form_version(const struct form *f)
{
	return f->version;
}

const json_t *form_json(const struct form *f)
{
	return f->root;
}

size_t form_count(const struct form *f)
{
	return f->nq;
}

const struct form_question *form_question(const struct form *f, size_t i)
{
	return i < f->nq ? &f->qs[i].q : NULL;
}

const struct form_question *form_find(const struct form *f, const char *name)
{
	const json_t *at = name ? json_object_get(f->index, name) : NULL;

	return at ? &f->qs[json_integer_value(at)].q : NULL;
}

const char *form_text(const struct form *f, const json_t *t, const char *lang)
{
	const char *try[4] = { lang, NULL, f ? f->default_language : NULL, "en" };
	char two[3];
	const char *k;
	const json_t *v;
	size_t i;

	if (!t)
		return NULL;
	if (json_is_string(t))
		return json_string_value(t);
	if (!json_is_object(t))
		return NULL;
	if (lang && strlen(lang) > 2) {
		memcpy(two, lang, 2);
		two[2] = '\0';
		try[1] = two;
	}
	for (i = 0; i < 4; i++)
		if (try[i] && json_is_string(v = json_object_get(t, try[i])))
			return json_string_value(v);
	json_object_foreach((json_t *)t, k, v)
		if (json_is_string(v))
			return json_string_value(v);
	return NULL;
}

char *form_interpolate(const struct form *f, const char *text, const json_t *answers, const char *lang)
{
	struct buf b = BUF_INIT((size_t)4 * FORM_MAX_ANSWER);
	const char *p, *end;

	if (!text)
		return NULL;
	for (p = text; *p; p = end + 1) {
		const char *open = strstr(p, "${");
		const struct form_question *q;
		const json_t *v, *x;
		char name[FORM_MAX_NAME + 1];
		size_t n, i;

		end = open ? strchr(open, '}') : NULL;
		if (!end) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		n = (size_t)(end - open - 2);
		if (n > FORM_MAX_NAME || !(memcpy(name, open + 2, n), name[n] = '\0', q = form_find(f, name))) {
			buf_add(&b, open, (size_t)(end - open) + 1);    /* not a question: as written */
			continue;
		}
		v = answers ? json_object_get(answers, name) : NULL;
		if (json_is_string(v)) {
			const char *l = form_choice_label(f, q, json_string_value(v), lang);

			buf_adds(&b, l ? l : json_string_value(v));
		} else if (json_is_integer(v)) {
			buf_printf(&b, "%lld", (long long)json_integer_value(v));
		} else if (json_is_real(v)) {
			buf_printf(&b, "%.15g", json_real_value(v));
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, x) {
				const char *l = form_choice_label(f, q, json_string_value(x), lang);

				buf_printf(&b, "%s%s", i ? ", " : "", l ? l : json_string_value(x) ? json_string_value(x) : "");
			}
		}
	}
	buf_addc(&b, '\0');
	return buf_detach(&b, NULL);
}

const char *form_title(const struct form *f, const char *lang)
{
	const char *t = form_text(f, f->title, lang);

	return t ? t : f->id;
}

/* --- answers --- */

/* Puts s, shortened to about 40 bytes on a character boundary and with control characters as '?', into out:
 * messages quote what the person typed without flooding or garbling a terminal. */
static const char *quote(const char *s, size_t len, char *out, size_t n)
{
	size_t i, at = 0, max = n > 4 ? n - 4 : 0;

	if (max > 40)
		max = 40;
	for (i = 0; i < len && at < max; i++) {
		unsigned char c = (unsigned char)s[i];

		out[at++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (i < len) {
		while (at && ((unsigned char)out[at - 1] & 0xc0) == 0x80)
			at--;
		if (at && ((unsigned char)out[at - 1] & 0xc0) == 0xc0)
			at--;
		memcpy(out + at, "...", 3);
		at += 3;
	}
	if (n)
		out[at < n ? at : n - 1] = '\0';
	return out;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A whole number: optional sign and digits only, within int64. 0 ok, -1 not a number, -2 out of range. */
static int parse_int(const char *s, size_t len, json_int_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, lim;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == len)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -2;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)v) : (json_int_t)v;
	return 0;
}

/* A decimal number: sign, digits with an optional '.' fraction, optional exponent; no hex, inf or nan. 0 ok,
 * -1 not a number, -2 out of range. */
static int parse_dec(const char *s, size_t len, double *out)
{
	size_t i = 0;
	int digits = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && is_digit(s[i]); i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit(s[i]); i++)
			digits++;
	if (!digits)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = ++i;

		if (i < len && (s[i] == '+' || s[i] == '-'))
			e = ++i;
		for (; i < len && is_digit(s[i]); i++)
			;
		if (i == e)
			return -1;
	}
	if (i != len)
		return -1;
	*out = strtod_c(s, len);
	return isfinite(*out) ? 0 : -2;
}

static int valid_date(const char *s, size_t len)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i, leap;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* "H:MM", "HH:MM" or "HH:MM:SS" (hours 0 to 23) into out as "HH:MM" or "HH:MM:SS"; 0 if it is not a time. */
static int parse_time(const char *s, size_t len, char out[9])
{
	int h, m, sec = -1;
	size_t i = 0;

	if (len && is_digit(s[0]) && len >= 4 && s[1] == ':') {
		h = s[0] - '0';
		i = 2;
	} else if (len >= 5 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':') {
		h = (s[0] - '0') * 10 + (s[1] - '0');
		i = 3;
	} else {
		return 0;
	}
	if (i + 2 > len || !is_digit(s[i]) || !is_digit(s[i + 1]))
		return 0;
	m = (s[i] - '0') * 10 + (s[i + 1] - '0');
	i += 2;
	if (i < len) {
		if (i + 3 != len || s[i] != ':' || !is_digit(s[i + 1]) || !is_digit(s[i + 2]))
			return 0;
		sec = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	}
	if (h > 23 || m > 59 || sec > 59)
		return 0;
	if (sec >= 0)
		snprintf(out, 9, "%02d:%02d:%02d", h, m, sec);
	else
		snprintf(out, 9, "%02d:%02d", h, m);
	return 1;
}

/* "lat lon [alt [acc]]", separated by blanks or commas (as copied from a map), kept as typed but joined by
 * single spaces. */
static int parse_geopoint(const char *s, size_t len, json_t **out, char *err, size_t errlen)
{
	static const char *const what[] = { "latitude", "longitude", "altitude", "accuracy" };
	const char *tok[4];
	size_t tlen[4], n = 0, i = 0, k, at = 0;
	double v[4];
	char q[64], *joined;

	while (i < len) {
		size_t start;

		while (i < len && (is_blank(s[i]) || s[i] == ','))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(s[i]) && s[i] != ',')
			i++;
		if (n == 4)
			return errf(err, errlen, "'%s' is not a location (give latitude and longitude, and optionally "
				    "altitude and accuracy)", quote(s, len, q, sizeof q));
		tok[n] = s + start;
		tlen[n++] = i - start;
	}
	if (n < 2)
		return errf(err, errlen, "'%s' is not a location (give latitude and longitude in decimal degrees, "
			    "e.g. -1.2921 36.8219)", quote(s, len, q, sizeof q));
	for (k = 0; k < n; k++)
		if (parse_dec(tok[k], tlen[k], &v[k]) < 0)
			return errf(err, errlen, "'%s' is not a location: the %s '%s' is not a number",
				    quote(s, len, q, sizeof q), what[k], quote(tok[k], tlen[k], q + 48, 16));
	if (v[0] < -90 || v[0] > 90)
		return errf(err, errlen, "latitude %.*s is out of range (-90 to 90)", (int)tlen[0], tok[0]);
	if (v[1] < -180 || v[1] > 180)
		return errf(err, errlen, "longitude %.*s is out of range (-180 to 180)", (int)tlen[1], tok[1]);
	if (n == 4 && v[3] < 0)
		return errf(err, errlen, "accuracy %.*s cannot be negative", (int)tlen[3], tok[3]);
	joined = xmalloc(len + 1);
	for (k = 0; k < n; k++) {
		if (k)
			joined[at++] = ' ';
		memcpy(joined + at, tok[k], tlen[k]);
		at += tlen[k];
	}
	joined[at] = '\0';
	*out = json_string(joined);
	free(joined);
	return 0;
}

/* A line (geotrace: two points or more) or a shape (geoshape: three or more, closed by repeating the first
 * point at the end, which is added when it is left out): points as geopoint reads them, separated by ';'.
 * Written with "; " between the points. */
static int parse_geoline(const struct form_question *q, const char *s, size_t len, json_t **out, char *err,
			 size_t errlen)
{
	struct buf b = BUF_INIT(2 * FORM_MAX_ANSWER + 64);
	char *first = NULL;
	size_t i = 0, n = 0, need = q->type == FT_GEOSHAPE ? 3 : 2, firstlen = 0, lastat = 0;
	char q2[64];
	int rc = -1;

	while (i <= len) {
		size_t start = i, end;
		json_t *pt = NULL;
		char e2[400];

		while (i < len && s[i] != ';')
			i++;
		end = i++;
		while (start < end && is_blank(s[start]))
			start++;
		if (start == end)
			continue;     /* "a; ; b" or a final ';' */
		if (parse_geopoint(s + start, end - start, &pt, e2, sizeof e2) < 0) {
			errf(err, errlen, "point %zu: %s", n + 1, e2);
			goto out;
		}
		lastat = b.len + (b.len ? 2 : 0);
		buf_printf(&b, "%s%s", b.len ? "; " : "", json_string_value(pt));
		json_decref(pt);
		n++;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	firstlen = strcspn(b.data, ";");
	/* a shape ends where it began (a copy of the first point: b may move as it grows) */
	if (q->type == FT_GEOSHAPE &&
	    (n < 2 || b.len - lastat != firstlen || memcmp(b.data + lastat, b.data, firstlen))) {
		first = xstrndup(b.data, firstlen);
		buf_add(&b, "; ", 2);
		buf_add(&b, first, firstlen);
		n++;
	}
	if (n - (q->type == FT_GEOSHAPE) < need) {
		errf(err, errlen, "'%s' has %zu point%s: a %s needs %zu or more", quote(s, len, q2, sizeof q2),
		     n - (q->type == FT_GEOSHAPE), n - (q->type == FT_GEOSHAPE) == 1 ? "" : "s",
		     q->type == FT_GEOSHAPE ? "shape" : "line", need);
		goto out;
	}
	if (b.len > FORM_MAX_ANSWER) {
		errf(err, errlen, "the answer is longer than %d bytes", FORM_MAX_ANSWER);
		goto out;
	}
	*out = json_stringn(b.data, b.len);
	rc = 0;
out:
	free(first);
	buf_release(&b);
	return rc;
}

int form_geojson_geometry(enum form_type t, const char *answer, struct buf *out)
{
	static const char *const kinds[] = { "Point", "LineString", "Polygon" };
	size_t mark = out->len, n = 0;
	const char *p = answer;
	int kind = t == FT_GEOPOINT ? 0 : t == FT_GEOTRACE ? 1 : t == FT_GEOSHAPE ? 2 : -1;
	int bad = 0;

	if (kind < 0 || !answer)
		return 0;
	bad |= buf_printf(out, "{\"type\":\"%s\",\"coordinates\":%s", kinds[kind], kind == 2 ? "[[" : kind ? "[" : "");
	/* each point: "lat lon[ alt acc]", the points joined by "; " (as parse_geopoint and parse_geoline write) */
	while (*p && !bad) {
		size_t plen = strcspn(p, ";"), l1, l2;
		const char *q = p;
		double lat, lon;

		while (is_blank(*q))
			q++;
		l1 = strcspn(q, " ");
		l2 = q[l1] ? strcspn(q + l1 + 1, " ;") : 0;
		if (!l1 || !l2 || (size_t)(q + l1 + 1 + l2 - p) > plen || parse_dec(q, l1, &lat) < 0 ||
		    parse_dec(q + l1 + 1, l2, &lon) < 0 || fabs(lat) > 90 || fabs(lon) > 180) {
			out->len = mark;
			if (out->alloc)
				out->data[mark] = '\0';
			return 0;
		}
		bad |= buf_printf(out, "%s[%.10g,%.10g]", n++ ? "," : "", lon, lat);
		p += plen + (p[plen] == ';');
	}
	bad |= buf_adds(out, kind == 2 ? "]]}" : kind ? "]}" : "}");
	if (bad || n == 0 || (kind == 0 && n != 1)) {
		out->len = mark;
		if (out->alloc)
			out->data[mark] = '\0';
		return bad ? -1 : 0;
	}
	return 1;
}

static long find_exact(const struct form_question *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->nchoices; i++)
		if (!strcmp(q->choices[i].name, name))
			return (long)i;
	return -1;
}

const char *form_choice_label(const struct form *f, const struct form_question *q, const char *name,
			      const char *lang)
{
	long k = name ? find_exact(q, name) : -1;

	return k >= 0 ? form_text(f, q->choices[k].label, lang) : NULL;
}

/* The choice a word names: its name exactly, else with FORM_PARSE_NUMBERS its 1-based number, else its name
 * in another case if only one choice matches that way. Returns the index, -1 if none, -2 for a number out of
 * range. */
static long find_choice(const struct form_question *q, const char *w, size_t len, int flags)
{
	size_t i;
	int all_digits = len > 0;
	long found = -1;

	for (i = 0; i < q->nchoices; i++)
		if (strlen(q->choices[i].name) == len && !memcmp(q->choices[i].name, w, len))
			return (long)i;
	for (i = 0; i < len; i++)
		all_digits &= is_digit(w[i]);
	if ((flags & FORM_PARSE_NUMBERS) && all_digits) {
		size_t num = 0;

		for (i = 0; i < len && num <= q->nchoices; i++)
			num = num * 10 + (size_t)(w[i] - '0');
		return num >= 1 && num <= q->nchoices ? (long)num - 1 : -2;
	}
	for (i = 0; i < q->nchoices; i++)
		if (strlen(q->choices[i].name) == len && !strncasecmp(q->choices[i].name, w, len)) {
			if (found >= 0)
				return -1;
			found = (long)i;
		}
	return found;
}

static int not_a_choice(const struct form_question *q, const char *w, size_t len, long why, char *err,
			size_t errlen)
{
	struct buf b = BUF_INIT(1024);
	char qv[64];
	size_t i;
	int rc;

	if (why == -2)
		return errf(err, errlen, "'%s' is not a choice (choose a number from 1 to %zu)",
			    quote(w, len, qv, sizeof qv), q->nchoices);
	for (i = 0; i < q->nchoices; i++)
		if (buf_printf(&b, "%s%s", i ? ", " : "", q->choices[i].name) < 0)
			break;
	rc = errf(err, errlen, "'%s' is not a choice (choose from: %s%s)", quote(w, len, qv, sizeof qv), b.data,
		  i < q->nchoices ? ", ..." : "");
	buf_release(&b);
	return rc;
}

/* Reads select_multiple words, separated by blanks or commas, into an array of names in the order given and
 * without repeats. An empty list gives *out = NULL. */
static int parse_multi(const struct form_question *q, const char *s, size_t len, int flags, json_t **out,
		       char *err, size_t errlen)
{

	char *seen = xcalloc(q->nchoices ? q->nchoices : 1, 1);
	json_t *arr = json_array();
	size_t i = 0;

	while (i < len) {
		size_t start;
		long c;

		while (i < len && (is_blank(s[i]) || s[i] == ','))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(s[i]) && s[i] != ',')
			i++;
		c = find_choice(q, s + start, i - start, flags);
		if (c < 0) {
			free(seen);
			json_decref(arr);
			return not_a_choice(q, s + start, i - start, c, err, errlen);
		}
		if (seen[c] && q->type == FT_RANK) {
			/* an order names each choice once */
			free(seen);
			json_decref(arr);
			return errf(err, errlen, "'%s' is ranked twice", q->choices[c].name);
		}
		if (!seen[c]) {
			seen[c] = 1;
			json_array_append_new(arr, json_string(q->choices[c].name));
		}
	}
	free(seen);
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		arr = NULL;
	}
	*out = arr;
	return 0;
}

/* --- osm answers --- */

/* An OpenStreetMap feature as node/N, way/N or relation/N, or a link to it (https://www.openstreetmap.org/way/N,
 * whatever follows: #map=..., /history), or as n123, w123, r123 (JOSM's way): written as "way/N" into out. 0 if it
 * is none of these. */
static int osm_feature(const char *s, size_t n, char *out, size_t outn)
{
	static const char *const kinds[] = { "node", "way", "relation" };
	size_t k, i, at = (size_t)-1, kind = 0;
	unsigned long long id = 0;

	for (k = 0; k < 3; k++) {
		size_t kl = strlen(kinds[k]);

		/* the last "kind/" that starts the text or follows a '/' */
		for (i = 0; i + kl + 1 < n; i++)
			if (!memcmp(s + i, kinds[k], kl) && s[i + kl] == '/' && (i == 0 || s[i - 1] == '/') &&
			    (at == (size_t)-1 || i + kl + 1 > at)) {
				at = i + kl + 1;
				kind = k;
			}
	}
	if (at == (size_t)-1 && n >= 2 && strchr("nwrNWR", s[0]) && is_digit(s[1])) {
		at = 1;
		kind = s[0] == 'n' || s[0] == 'N' ? 0 : s[0] == 'w' || s[0] == 'W' ? 1 : 2;
	}
	if (at == (size_t)-1 || at >= n)
		return 0;
	for (i = at; i < n && is_digit(s[i]); i++) {
		if (i - at == 19)
			return 0;
		id = id * 10 + (unsigned)(s[i] - '0');
	}
	/* A link may go on: ".../way/4242#map=19/-1.29/36.82", ".../node/5/history". */
	if (id == 0 || (i < n && !strchr("#?/", s[i])))
		return 0;
	snprintf(out, outn, "%s/%llu", kinds[kind], id);
	return 1;
}

/* The next part of an osm answer from *pos: up to a ';' that is not doubled, with ";;" read as ';' and the
 * blanks around it dropped, into b. 0 at the end. */
static int osm_next(const char *s, size_t len, size_t *pos, struct buf *b)
{
	size_t i = *pos;

	buf_reset(b);
	if (i >= len)
		return 0;
	for (; i < len; i++) {
		if (s[i] == ';' && i + 1 < len && s[i + 1] == ';') {
			buf_addc(b, ';');
			i++;
		} else if (s[i] == ';') {
			i++;
			break;
		} else {
			buf_addc(b, s[i]);
		}
	}
	*pos = i;
	while (b->len && is_blank(b->data[b->len - 1]))
		b->len--;
	buf_addc(b, '\0');
	b->len--;
	return 1;
}

static void osm_escaped(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == ';')
			buf_addc(b, ';');
		buf_addc(b, *v);
	}
}

/* "way/123; building=yes; name=Central Market" (see form.h) from what a person typed: the parts in any order,
 * keys in any case, a value of a tag with choices by the choice's name. */
static int parse_osm(const struct form_question *q, const char *s, size_t len, json_t **out, char *err,
		     size_t errlen)
{
	struct buf part = BUF_INIT(FORM_MAX_ANSWER + 1), canon = BUF_INIT(2 * FORM_MAX_ANSWER + 64);
	char **vals = xcalloc(q->ntags + 1, sizeof *vals), feature[40] = "", qv[64];
	size_t pos = 0, i;
	int rc = -1, any = 0;

	while (osm_next(s, len, &pos, &part)) {
		const char *p = part.data, *eq;
		size_t k;

		while (is_blank(*p))
			p++;
		if (!*p)
			continue;
		/* a part without '=' is the feature; so is a link, whose address may hold one */
		if (!(eq = strchr(p, '=')) || !strncasecmp(p, "http", 4)) {
			char f2[40];

			if (!osm_feature(p, strlen(p), f2, sizeof f2)) {
				errf(err, errlen, "'%s' is neither an OpenStreetMap feature (node/N, way/N or relation/N) nor "
				     "a tag (key=value)", quote(p, strlen(p), qv, sizeof qv));
				goto out;
			}
			if (feature[0] && strcmp(feature, f2)) {
				errf(err, errlen, "two features, %s and %s: an answer is about one", feature, f2);
				goto out;
			}
			strlcpy_s(feature, f2, sizeof feature);
			any = 1;
			continue;
		}
		{
			size_t kl = (size_t)(eq - p);
			const char *v = eq + 1;
			long c;

			while (kl && is_blank(p[kl - 1]))
				kl--;
			while (is_blank(*v))
				v++;
			for (k = 0; k < q->ntags; k++)
				if (strlen(q->tags[k].name) == kl && !memcmp(q->tags[k].name, p, kl))
					break;
			for (i = 0; k == q->ntags && i < q->ntags; i++)
				if (strlen(q->tags[i].name) == kl && !strncasecmp(q->tags[i].name, p, kl))
					k = i;
			if (k == q->ntags) {
				struct buf names = BUF_INIT(1024);

				for (i = 0; i < q->ntags; i++)
					buf_printf(&names, "%s%s", i ? ", " : "", q->tags[i].name);
				if (q->ntags)
					errf(err, errlen, "'%s' is not one of this question's tags (%s)",
					     quote(p, kl, qv, sizeof qv), names.data);
				else
					errf(err, errlen, "'%s': this question takes the feature only, no tags",
					     quote(p, kl, qv, sizeof qv));
				buf_release(&names);
				goto out;
			}
			if (vals[k]) {
				errf(err, errlen, "the tag %s is given twice", q->tags[k].name);
				goto out;
			}
			if (!*v)
				continue;         /* "key=" leaves the tag out */
			if (q->tags[k].nchoices) {
				/* The tag's values are looked up as a select_one's choices. */
				struct form_question tq = { .name = q->tags[k].name, .choices = q->tags[k].choices,
							    .nchoices = q->tags[k].nchoices };
				char why[480];

				if ((c = find_choice(&tq, v, strlen(v), 0)) < 0) {
					not_a_choice(&tq, v, strlen(v), c, why, sizeof why);
					errf(err, errlen, "%s: %s", q->tags[k].name, why);
					goto out;
				}
				v = tq.choices[c].name;
			}
			vals[k] = xstrdup(v);
			any = 1;
		}
	}
	if (!any) {
		rc = 0;
		goto out;
	}
	if (feature[0])
		buf_adds(&canon, feature);
	for (i = 0; i < q->ntags; i++) {
		if (!vals[i])
			continue;
		buf_printf(&canon, "%s%s=", canon.len ? "; " : "", q->tags[i].name);
		osm_escaped(&canon, vals[i]);
	}
	if (canon.len > FORM_MAX_ANSWER || buf_addc(&canon, '\0') < 0) {
		errf(err, errlen, "the answer is longer than %d bytes", FORM_MAX_ANSWER);
		goto out;
	}
	*out = json_string(canon.data);
	rc = 0;
out:
	for (i = 0; i < q->ntags; i++)
		free(vals[i]);
	free(vals);
	buf_release(&part);
	buf_release(&canon);
	return rc;
}

char *form_osm_part(const char *answer, const char *key)
{
	struct buf part = BUF_INIT(FORM_MAX_ANSWER + 1);
	size_t pos = 0, len = answer ? strlen(answer) : 0;
	char *r = NULL;

	while (!r && osm_next(answer, len, &pos, &part)) {
		const char *p = part.data, *eq;

		while (is_blank(*p))
			p++;
		eq = strchr(p, '=');
		if (!key && !eq && *p)
			r = xstrdup(p);
		else if (key && eq && (size_t)(eq - p) == strlen(key) && !memcmp(p, key, strlen(key)))
			r = xstrdup(eq + 1);
	}
	buf_release(&part);
	return r;
}

/* form_parse_answer on text of known length, which may come from JSON and so hold NUL bytes. */
static int parse_text(const struct form_question *q, const char *text, size_t len, int flags, json_t **out,
		      char *err, size_t errlen)
{
	const char *s = text;
	size_t n = len, bad, i;
	char qv[64];
	long c;

	*out = NULL;
	if (len > FORM_MAX_ANSWER)
		return errf(err, errlen, "'%s' is longer than %d bytes", quote(text, len, qv, sizeof qv),
			    FORM_MAX_ANSWER);
	if (!utf8_valid(text, len, &bad)) {
		if (text[bad] == '\0')
			return errf(err, errlen, "'%s' contains a NUL byte", quote(text, bad, qv, sizeof qv));
		return errf(err, errlen, "the answer is not valid UTF-8 (at byte %zu)", bad + 1);
	}
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	for (i = 0; i < n && is_blank(s[i]); i++)
		;
	if (i == n)
		return 0;
	if (stored_as(q->type) == FT_TEXT) {
		/* Checked as UTF-8 above: no need for jansson to check it again. */
		*out = json_stringn_nocheck(s, n);
		return 0;
	}
	/* other types ignore surrounding blanks */
	while (is_blank(*s)) {
		s++;
		n--;
	}
	while (is_blank(s[n - 1]))
		n--;
	quote(s, n, qv, sizeof qv);
	switch (stored_as(q->type)) {
	case FT_INTEGER: {
		json_int_t v;
		int rc = parse_int(s, n, &v);

		if (rc == -2)
			return errf(err, errlen, "'%s' is too large for a whole number", qv);
		if (rc < 0)
			return errf(err, errlen, "'%s' is not a whole number", qv);
		*out = json_integer(v);
		return 0;
	}
	case FT_DECIMAL: {
		double d;
		int rc = parse_dec(s, n, &d);

		if (rc == -2)
			return errf(err, errlen, "'%s' is too large a number", qv);
		if (rc < 0 && memchr(s, ',', n) && !memchr(s, '.', n))
			return errf(err, errlen, "'%s' is not a number (write decimals with a point, as in 3.5)", qv);
		if (rc < 0)
			return errf(err, errlen, "'%s' is not a number", qv);
		*out = json_real(d);
		return 0;
	}
	case FT_DATE:
		if (!valid_date(s, n)) {
			if (n == 10 && s[4] == '-' && s[7] == '-')
				return errf(err, errlen, "'%s' is not a real date", qv);
			return errf(err, errlen, "'%s' is not a date (write it as YYYY-MM-DD)", qv);
		}
		*out = json_stringn(s, n);
		return 0;
	case FT_GEOPOINT:
		return parse_geopoint(s, n, out, err, errlen);
	case FT_GEOTRACE:
	case FT_GEOSHAPE:
		return parse_geoline(q, s, n, out, err, errlen);
	case FT_TIME: {
		char t[9];

		if (!parse_time(s, n, t))
			return errf(err, errlen, "'%s' is not a time (write it as HH:MM, from 00:00 to 23:59)", qv);
		*out = json_string(t);
		return 0;
	}
	case FT_DATETIME: {
		/* A date, then 'T' or a space, then a time. */
		char t[9], v[32];

		if (n < 15 || !valid_date(s, 10) || (s[10] != 'T' && s[10] != ' ') || !parse_time(s + 11, n - 11, t))
			return errf(err, errlen, "'%s' is not a date and time (write it as YYYY-MM-DD HH:MM)", qv);
		snprintf(v, sizeof(v), "%.10sT%s", s, t);
		*out = json_string(v);
		return 0;
	}
	case FT_ACKNOWLEDGE:
		if ((n == 2 && !strncasecmp(s, "ok", 2)) || (n == 3 && !strncasecmp(s, "yes", 3)) ||
		    (n == 1 && (s[0] == 'y' || s[0] == 'Y' || s[0] == '1'))) {
			*out = json_string("OK");
			return 0;
		}
		return errf(err, errlen, "'%s' is not OK (type OK to acknowledge, or leave it blank)", qv);
	case FT_SELECT_ONE:
		c = find_choice(q, s, n, flags);
		if (c < 0)
			return not_a_choice(q, s, n, c, err, errlen);
		*out = json_string(q->choices[c].name);
		return 0;
	case FT_SELECT_MULTIPLE:
	case FT_RANK:
		return parse_multi(q, s, n, flags, out, err, errlen);
	case FT_OSM:
		return parse_osm(q, s, n, out, err, errlen);
	case FT_NOTE:
		return errf(err, errlen, "'%s' cannot be given: this question is a note and takes no answer", qv);
	default:
		return errf(err, errlen, "unknown question type");
	}
}

int form_parse_answer(const struct form *f, const struct form_question *q, const char *text, int flags,
		      json_t **out, char *err, size_t errlen)
{
	(void)f;
	*out = NULL;
	if (!text)
		return 0;
	return parse_text(q, text, strlen(text), flags, out, err, errlen);
}

static const char *kind_wanted(enum form_type t)
{
	switch (t) {
	case FT_INTEGER: return "a whole number";
	case FT_DECIMAL: return "a number";
	case FT_SELECT_ONE: return "a choice";
	case FT_SELECT_MULTIPLE: return "a list of choices";
	case FT_RANK: return "an order of the choices";
	case FT_DATE: return "a date";
	case FT_TIME: return "a time";
	case FT_DATETIME: return "a date and time";
	case FT_ACKNOWLEDGE: return "OK";
	case FT_GEOPOINT: return "a location";
	case FT_GEOTRACE: return "a line of locations";
	case FT_GEOSHAPE: return "a shape of locations";
	case FT_OSM: return "an OpenStreetMap feature and its tags";
	case FT_NOTE: return "an answer (this question is a note)";
	default: return "text";
	}
}

static int wrong_kind(const struct form_question *q, const json_t *in, char *err, size_t errlen)
{
	char *dump = json_dumps(in, JSON_ENCODE_ANY | JSON_COMPACT);
	char qv[64];
	int rc = errf(err, errlen, "'%s' is not %s", dump ? quote(dump, strlen(dump), qv, sizeof qv) : "?",
		      kind_wanted(q->type));

	free(dump);
	return rc;
}

int form_coerce_answer(const struct form *f, const struct form_question *q, const json_t *in, json_t **out,
		       char *err, size_t errlen)
{
	(void)f;
	*out = NULL;
	if (!in || json_is_null(in))
		return 0;
	if (json_is_string(in))
		return parse_text(q, json_string_value(in), json_string_length(in), 0, out, err, errlen);
	if (q->type == FT_INTEGER && json_is_integer(in)) {
		*out = json_integer(json_integer_value(in));
		return 0;
	}
	if (q->type == FT_INTEGER && json_is_real(in)) {
		double d = json_real_value(in);

		/* spreadsheets and some JSON writers turn 3 into 3.0 */
		if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
			*out = json_integer((json_int_t)d);
			return 0;
		}
		return errf(err, errlen, "'%.17g' is not a whole number", d);
	}
	if (q->type == FT_DECIMAL && json_is_number(in)) {
		*out = json_real(json_number_value(in));
		return 0;
	}
	if ((q->type == FT_SELECT_MULTIPLE || q->type == FT_RANK) && json_is_array(in)) {
		char *seen = xcalloc(q->nchoices ? q->nchoices : 1, 1);
		json_t *arr = json_array();
		const json_t *x;
		size_t i;

		json_array_foreach(in, i, x) {
			long c = json_is_string(x) ?
				 find_choice(q, json_string_value(x), json_string_length(x), 0) : -1;

			if (c < 0) {
				free(seen);
				json_decref(arr);
				if (!json_is_string(x))
					return wrong_kind(q, in, err, errlen);
				return not_a_choice(q, json_string_value(x), json_string_length(x), c, err, errlen);
			}
			if (seen[c] && q->type == FT_RANK) {
				free(seen);
				json_decref(arr);
				return errf(err, errlen, "'%s' is ranked twice", q->choices[c].name);
			}
			if (!seen[c]) {
				seen[c] = 1;
				json_array_append_new(arr, json_string(q->choices[c].name));
			}
		}
		free(seen);
		if (json_array_size(arr) == 0) {
			json_decref(arr);
			arr = NULL;
		}
		*out = arr;
		return 0;
	}
	return wrong_kind(q, in, err, errlen);
}

/* Unanswered: absent, null, "" or [] (as a cleared select_multiple). */
static int unanswered(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

int form_relevant(const struct form *f, const struct form_question *q, const json_t *answers, char *err,
		  size_t errlen)
{
	const struct form_group *g;
	char msg[256];
	int b;

	(void)f;
	/* The groups first, outermost last: a question of a skipped group is skipped. */
	for (g = q->group; g; g = g->parent) {
		if (!g->relevant)
			continue;
		if (expr_eval_bool(g->relevant, answers, NULL, &b, msg, sizeof msg) < 0)
			return errf(err, errlen, "relevant of group %s: %s", g->name, msg);
		if (!b)
			return 0;
	}
	if (!q->relevant)
		return 1;
	if (expr_eval_bool(q->relevant, answers, json_is_object(answers) ? json_object_get(answers, q->name) : NULL,
			   &b, msg, sizeof msg) < 0)
		return errf(err, errlen, "relevant: %s", msg);
	return b;
}

int form_check_answer(const struct form *f, const struct form_question *q, const json_t *value,
		      const json_t *answers, const char *lang, char *err, size_t errlen)
{
	json_t *with = NULL;
	const json_t *cur = json_is_object(answers) ? json_object_get(answers, q->name) : NULL;
	char msg[256];
	const char *m;
	int ok, rc;

	if (unanswered(value)) {
		if (!q->required)
			return 0;
		m = form_text(f, q->required_message, lang);
		return errf(err, errlen, "%s", m ? m : "is required");
	}
	/* A choice the choice_filter does not offer, given the other answers, is not an answer. */
	if (q->nchoices && q->choices[0].filter) {
		size_t k, j;

		size_t n = json_is_array(value) ? json_array_size(value) : 1;

		for (j = 0; j < n; j++) {
			const json_t *one = json_is_array(value) ? json_array_get(value, j) : value;
			const char *name = json_string_value(one) ? json_string_value(one) : "";
			int offered = 0;

			/* Offered if one of the choices of that name is (a name may appear twice, filtered apart). */
			for (k = 0; k < q->nchoices && !offered; k++)
				offered = !strcmp(q->choices[k].name, name) && form_choice_offered(f, q, k, answers);
			if (!offered)
				return errf(err, errlen, "'%s' is not offered here (choice_filter: %s)", name,
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
			if (!in && form_choice_offered(f, q, k, answers))
				buf_printf(&names, "%s%s", missing++ ? ", " : "", q->choices[k].name);
		}
		r = missing ? errf(err, errlen, "rank every choice: %s %s missing", names.data,
				   missing == 1 ? "is" : "are") : 0;
		buf_release(&names);
		if (r < 0)
			return r;
	}
	if (!q->constraint)
		return 0;
	/* ${name} in the constraint must see the value being checked, not an older one */
	if (cur != value && !(cur && json_equal(cur, value))) {
		with = json_is_object(answers) ? json_copy((json_t *)answers) : json_object();
		json_object_set(with, q->name, (json_t *)value);
	}
	rc = expr_eval_bool(q->constraint, with ? with : answers, value, &ok, msg, sizeof msg);
	json_decref(with);
	if (rc < 0)
		return errf(err, errlen, "constraint: %s", msg);
	if (ok)
		return 0;
	m = form_text(f, q->constraint_message, lang);
	if (m)
		return errf(err, errlen, "%s", m);
	return errf(err, errlen, "does not satisfy: %s", q->constraint_src);
}

json_t *form_default(const struct form *f, const struct form_question *q, const json_t *answers)
{
	json_t *v = NULL, *out = NULL;
	char err[256];

	if (!q->def || expr_eval(q->def, answers, NULL, &v, err, sizeof err) < 0)
		return NULL;
	if (json_is_number(v) && (q->type == FT_INTEGER || q->type == FT_DECIMAL)) {
		form_coerce_answer(f, q, v, &out, err, sizeof err);
	} else if (json_is_string(v)) {
		form_coerce_answer(f, q, v, &out, err, sizeof err);
	} else {
		/* the XPath string of a number or boolean, e.g. for a text question */
		char *s = json_is_boolean(v) ? xstrdup(json_is_true(v) ? "true" : "false") :
			  json_dumps(v, JSON_ENCODE_ANY);

		if (s)
			form_parse_answer(f, q, s, 0, &out, err, sizeof err);
		free(s);
	}
	json_decref(v);
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
			return errf(err, errlen, "'%s' is text, not a whole number",
				    quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
		if (!json_is_integer(v))
			return wrong_kind(q, v, err, errlen);
		return 0;
	case FT_DECIMAL:
		if (json_is_string(v))
			return errf(err, errlen, "'%s' is text, not a number",
				    quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
		if (!json_is_number(v))
			return wrong_kind(q, v, err, errlen);
		return 0;
	case FT_SELECT_MULTIPLE:
	case FT_RANK:
		if (!json_is_array(v))
			return wrong_kind(q, v, err, errlen);
		break;
	case FT_NOTE:
		return errf(err, errlen, "is a note and takes no answer");
	default:
		if (!json_is_string(v))
			return wrong_kind(q, v, err, errlen);
		break;
	}
	if (form_coerce_answer(f, q, v, &norm, err, errlen) < 0)
		return -1;
	/* coercion forgives what a person types ("Yes", " 2018-04-26", "1, 2"); a stored value must be exact */
	rc = json_equal(norm, (json_t *)v) ? 0 : -1;
	json_decref(norm);
	if (rc == 0)
		return 0;
	if (q->type == FT_SELECT_ONE)
		return not_a_choice(q, json_string_value(v), json_string_length(v), -1, err, errlen);
	if (q->type == FT_SELECT_MULTIPLE || q->type == FT_RANK) {
		const json_t *x, *y;
		size_t i, j;

		json_array_foreach(v, i, x) {
			if (find_exact(q, json_string_value(x)) < 0)
				return not_a_choice(q, json_string_value(x), json_string_length(x), -1, err, errlen);
			json_array_foreach(v, j, y)
				if (j < i && json_equal((json_t *)x, (json_t *)y))
					return errf(err, errlen, "'%s' is chosen twice", json_string_value(x));
		}
	}
	if (q->type == FT_DATE)
		return errf(err, errlen, "'%s' is not written as YYYY-MM-DD",
			    quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_TIME || q->type == FT_DATETIME)
		return errf(err, errlen, "'%s' is not written as %s",
			    quote(json_string_value(v), json_string_length(v), qv, sizeof qv),
			    q->type == FT_TIME ? "HH:MM or HH:MM:SS" : "YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS");
	if (q->type == FT_ACKNOWLEDGE)
		return errf(err, errlen, "'%s' is not written as OK",
			    quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_GEOPOINT)
		return errf(err, errlen, "'%s' is not written as 'latitude longitude [altitude accuracy]'",
			    quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
	if (q->type == FT_GEOTRACE || q->type == FT_GEOSHAPE)
		return errf(err, errlen, "'%s' is not written as 'lat lon; lat lon; ...'%s",
			    quote(json_string_value(v), json_string_length(v), qv, sizeof qv),
			    q->type == FT_GEOSHAPE ? ", its last point its first" : "");
	if (q->type == FT_OSM)
		return errf(err, errlen, "'%s' is not written as 'way/N; key=value; ...' with the tags in the form's order",
			    quote(json_string_value(v), json_string_length(v), qv, sizeof qv));
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
		fn(ctx, "", "the record is not a JSON object");
		return 1;
	}
	/* A record of a repeat instance (_repeat) answers that repeat's questions; the record itself the others. The
	 * caller may give an instance's answers merged over its parent's, for expressions that name the parent's. */
	rname = json_string_value(json_object_get(answers, "_repeat"));
	if (rname && !(scope = form_repeat_find(f, rname))) {
		snprintf(err, sizeof err, "form '%s' has no repeat '%s'", f->id, rname);
		fn(ctx, "_repeat", err);
		return 1;
	}
	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		const struct form_group *r = form_repeat_of(q);
		int rel;

		v = json_object_get(answers, q->name);
		if (r != scope) {
			if (!scope && !unanswered(v)) {
				snprintf(err, sizeof err, "is answered in the records of repeat %s, not in the record itself",
					 r->name);
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
		if (unanswered(v)) {
			if (rel && form_check_answer(f, q, NULL, answers, lang, err, sizeof err) < 0) {
				fn(ctx, q->name, err);
				n++;
			}
			continue;
		}
		if (q->type != FT_NOTE && !rel) {
			snprintf(err, sizeof err, "is answered but does not apply here (relevant: %s)",
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
		if (key[0] == '_' || json_object_get(f->index, key))
			continue;
		snprintf(err, sizeof err, "is not a question of form '%s'", f->id);
		fn(ctx, key, err);
		n++;
	}
	return n;
}

/* A calculation's result as the text stored: strings as they are, whole numbers without ".0", booleans as
 * true/false. NULL for an empty result. */
static json_t *calc_text(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return json_string_length(v) ? json_incref((json_t *)v) : NULL;
	if (json_is_boolean(v))
		return json_string(json_is_true(v) ? "true" : "false");
	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (!isfinite(d))
			return NULL;
		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(buf, sizeof buf, "%.0f", d);
		else
			snprintf(buf, sizeof buf, "%.15g", d);
		return json_string(buf);
	}
	return NULL;
}

/* Sets answers[name] to v (a new reference; NULL removes the answer), counting it in *changed if that changes
 * anything. */
static void settle_put(json_t *answers, const char *name, json_t *v, int *changed)
{
	json_t *cur = json_object_get(answers, name);

	if (v ? cur && json_equal(cur, v) : !cur) {
		json_decref(v);
		return;
	}
	(*changed)++;
	if (v)
		json_object_set_new(answers, name, v);
	else
		json_object_del(answers, name);
}

/* q's calculation worked out from answers, as q's answer (a new reference), or NULL when it gives none: it is
 * not relevant, it fails, its result is empty, or (on a question of another type than calculate) its result is
 * not such an answer. */
static json_t *calc_answer(const struct form *f, const struct form_question *q, const json_t *answers)
{
	json_t *v = NULL, *text, *out = NULL;
	char err[256];

	if (form_relevant(f, q, answers, NULL, 0) != 1 || expr_eval(q->calculation, answers, NULL, &v, err, sizeof err) < 0)
		return NULL;
	text = calc_text(v);
	json_decref(v);
	if (!text || q->type == FT_CALCULATE)
		return text;
	if (parse_text(q, json_string_value(text), json_string_length(text), 0, &out, err, sizeof err) < 0)
		out = NULL;
	json_decref(text);
	return out;
}

int form_settle(const struct form *f, json_t *answers, const struct form_env *env, const struct form_group *scope,
		int flags, json_t *cleared)
{
	char now[32], today[16];
	time_t t = (time_t)(env->now_ms / 1000);
	struct tm tm;
	size_t i, round, pass;
	int pruned = 0, changed;

	localtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", &tm);
	today_str(today, sizeof today);
	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		const char *v = NULL;

		if (form_repeat_of(q) != scope)
			continue;
		switch (q->type) {
		case FT_START: v = now; break;
		case FT_TODAY: v = today; break;
		case FT_DEVICEID: v = env->device; break;
		case FT_USERNAME: v = env->username; break;
		case FT_END:
			if (flags & FORM_SETTLE_FINAL)
				json_object_set_new(answers, q->name, json_string(now));
			continue;
		default: continue;
		}
		/* Set once, when the record is made: editing it later keeps when and where it began. */
		if (v && *v && !json_object_get(answers, q->name))
			json_object_set_new(answers, q->name, json_string(v));
	}
	/* Rounds until nothing changes: a calculation may decide a relevance, and clearing or defaulting an answer
	 * may change a calculation. Each round first brings every calculation to rest (one may use a later one), so
	 * that relevance is never judged on a stale result. The bounds only stop a form whose calculations feed
	 * themselves. */
	for (round = 0; round <= f->nq; round++) {
		for (pass = 0; pass <= f->nq; pass++) {
			changed = 0;
			for (i = 0; i < f->nq; i++) {
				const struct form_question *q = &f->qs[i].q;

				if (q->calculation && form_repeat_of(q) == scope)
					settle_put(answers, q->name, calc_answer(f, q, answers), &changed);
			}
			if (!changed)
				break;
		}
		changed = 0;
		for (i = 0; i < f->nq; i++) {
			const struct form_question *q = &f->qs[i].q;
			const json_t *cur = json_object_get(answers, q->name);
			int rel;

			if (q->automatic || q->calculation || q->type == FT_NOTE || form_repeat_of(q) != scope)
				continue;
			rel = form_relevant(f, q, answers, NULL, 0);
			if (cur && rel == 0 && (flags & FORM_SETTLE_PRUNE)) {
				if (cleared)
					json_array_append_new(cleared, json_string(q->name));
				settle_put(answers, q->name, NULL, &changed);
				pruned++;
			} else if (!cur && rel == 1 && q->def && (q->readonly || (flags & FORM_SETTLE_DEFAULTS))) {
				/* A readonly question is never asked: its default is its answer. */
				json_t *d = form_default(f, q, answers);

				if (d)
					settle_put(answers, q->name, d, &changed);
			}
		}
		if (!changed)
			break;
	}
	return pruned;
}

int form_choice_offered(const struct form *f, const struct form_question *q, size_t k, const json_t *answers)
{
	int b;

	(void)f;
	if (k >= q->nchoices || !q->choices[k].filter)
		return 1;
	return expr_eval_bool(q->choices[k].filter, answers, NULL, &b, NULL, 0) == 0 && b;
}

int form_repeat_count(const struct form *f, const struct form_group *g, const json_t *answers)
{
	json_t *v = NULL;
	double d = -1;
	char err[256];

	(void)f;
	if (!g || !g->repeat_count || expr_eval(g->repeat_count, answers, NULL, &v, err, sizeof err) < 0)
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

const struct form_group *form_repeat_of(const struct form_question *q)
{
	const struct form_group *g;

	for (g = q->group; g; g = g->parent)
		if (g->repeat)
			return g;
	return NULL;
}

const struct form_group *form_repeat_find(const struct form *f, const char *name)
{
	const struct form_group *g = name ? group_find(f, name) : NULL;

	return g && g->repeat ? g : NULL;
}
