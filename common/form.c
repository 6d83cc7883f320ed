/* form.c - survey forms: loading and validating the JSON definition, and the read-only model callers see.
 *
 * The answers live beside it: form-answer.c reads them, form-osm.c reads osm answers, form-check.c checks
 * them against the form's rules, form-settle.c works out what the device fills in. */
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
#include "form-priv.h"
#include "i18n.h"
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
	const char *instance_name_src;     /* what names one record (XLSForm's instance_name), or NULL */
	struct expr *instance_name;
	const char *title_fields[FORM_TITLE_MAX];   /* form_title_fields */
	size_t ntitle;
};

static const char *const type_names[] = {
	[FT_TEXT] = "text", [FT_INTEGER] = "integer", [FT_DECIMAL] = "decimal", [FT_SELECT_ONE] = "select_one",
	[FT_SELECT_MULTIPLE] = "select_multiple", [FT_DATE] = "date", [FT_GEOPOINT] = "geopoint", [FT_NOTE] = "note",
	[FT_TIME] = "time", [FT_DATETIME] = "dateTime", [FT_ACKNOWLEDGE] = "acknowledge", [FT_OSM] = "osm",
	[FT_RANK] = "rank", [FT_BARCODE] = "barcode", [FT_GEOTRACE] = "geotrace", [FT_GEOSHAPE] = "geoshape",
	[FT_IMAGE] = "image", [FT_AUDIO] = "audio", [FT_VIDEO] = "video", [FT_FILE] = "file",
	[FT_CALCULATE] = "calculate",
	[FT_START] = "start", [FT_END] = "end", [FT_TODAY] = "today", [FT_DEVICEID] = "deviceid",
	[FT_USERNAME] = "username", [FT_SIMSERIAL] = "simserial", [FT_SUBSCRIBERID] = "subscriberid",
	[FT_PHONENUMBER] = "phonenumber", [FT_EMAIL] = "email",
};

#define NTYPES (sizeof type_names / sizeof type_names[0])

const char *form_type_name(enum form_type t)
{
	return (unsigned)t < NTYPES ? type_names[t] : "unknown";
}

static int is_select(enum form_type t)
{
	return t == FT_SELECT_ONE || t == FT_SELECT_MULTIPLE || t == FT_RANK;
}
/* "question 'name'" once the name is known, "question N" before. */
static void qlabel(char *out, size_t n, size_t i, const char *name)
{
	if (name)
		/* TRANSLATORS: names a question at the start of a form's error ("question 'age': missing label"). */
		snprintf(out, n, _("question '%s'"), name);
	else
		/* TRANSLATORS: a question not named yet, by its place in the form ("question 3: missing name"). */
		snprintf(out, n, _("question %zu"), i + 1);
}

__attribute__((format(printf, 4, 5)))
static int qerr(char *err, size_t errlen, const char *who, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* TRANSLATORS: where in a form the error is ("question 'age'", "form"), then what is wrong there. */
	return errf(err, errlen, C_("form error", "%s: %s"), who, msg);
}

/* Why a name is refused: what bad_name and bad_tag_key find, said by name_refused. */
enum bad_name { NAME_OK, NAME_EMPTY, NAME_LONG, NAME_UNDERSCORE, NAME_START, NAME_CHARS,
		NAME_TAG_CHARS };
/* The names checked, each the subject of its own sentences (translators need whole sentences). */
enum name_of { OF_NAME, OF_ID, OF_CHOICE, OF_TAG };

/* Question and group names (of OF_NAME) and form ids (OF_ID): an ASCII letter or '_', then ASCII letters, digits,
 * '_', '.' or '-' (XML's names, which XLSForm's are), but for a question none of the store's own (form_meta_name).
 * Choice names (OF_CHOICE) are values: anything but spaces and control characters, which would split a
 * select_multiple's answer (its names separated by spaces); pyxform takes ">150" as a name. Tags (OF_TAG) are
 * checked by bad_tag_key. Returns a reason, or NAME_OK. */
static enum bad_name bad_name(const char *s, enum name_of of)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return NAME_EMPTY;
	if (n > FORM_MAX_NAME)
		return NAME_LONG;
	if (of == OF_NAME && form_meta_name(s))
		return NAME_UNDERSCORE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), digit = c >= '0' && c <= '9';

		if (of == OF_CHOICE) {
			if (c <= ' ' || c == 0x7f)
				return NAME_CHARS;
			continue;
		}
		if (i == 0 && !alpha && c != '_')
			return NAME_START;
		if (!alpha && !digit && c != '_' && c != '.' && c != '-')
			return NAME_CHARS;
	}
	return NAME_OK;
}

/* "name 'x' is empty": why the name v of a question or group (OF_NAME), a form (OF_ID), a choice or a tag is
 * refused, into out. */
static void name_refused(char *out, size_t n, enum name_of of, enum bad_name why, const char *v)
{
	switch (of) {
	case OF_NAME:
		switch (why) {
		case NAME_EMPTY: snprintf(out, n, _("name '%s' is empty"), v); return;
		case NAME_LONG: snprintf(out, n, _("name '%s' is longer than 64 characters"), v); return;
		case NAME_UNDERSCORE:
			snprintf(out, n, _("name '%s' is one of the store's own fields (_id, _parent, _repeat, _review, "
					   "_status, _created, _updated...)"), v);
			return;
		case NAME_START: snprintf(out, n, _("name '%s' must start with an ASCII letter (a-z, A-Z) or '_'"), v); return;
		default:
			snprintf(out, n, _("name '%s' may hold only ASCII letters (a-z, A-Z), digits, '_', '.' and '-'"), v);
			return;
		}
	case OF_ID:
		switch (why) {
		case NAME_EMPTY: snprintf(out, n, _("id '%s' is empty"), v); return;
		case NAME_LONG: snprintf(out, n, _("id '%s' is longer than 64 characters"), v); return;
		case NAME_START: snprintf(out, n, _("id '%s' must start with an ASCII letter (a-z, A-Z) or '_'"), v); return;
		default:
			snprintf(out, n, _("id '%s' may hold only ASCII letters (a-z, A-Z), digits, '_', '.' and '-'"), v);
			return;
		}
	case OF_CHOICE:
		switch (why) {
		case NAME_EMPTY: snprintf(out, n, _("choice name '%s' is empty"), v); return;
		case NAME_LONG: snprintf(out, n, _("choice name '%s' is longer than 64 characters"), v); return;
		default:
			snprintf(out, n, _("choice name '%s' may not hold a space or a control character: a "
					   "select_multiple's answer is its choices' names separated by spaces"), v);
			return;
		}
	default:
		switch (why) {
		case NAME_EMPTY: snprintf(out, n, _("tag '%s' is empty"), v); return;
		case NAME_LONG: snprintf(out, n, _("tag '%s' is longer than 64 characters"), v); return;
		default:
			snprintf(out, n, _("tag '%s' may hold only letters, digits, '_', ':', '.' and '-'"), v);
			return;
		}
	}
}

/* TEXT: a string, or a non-empty object of language code -> string. */
static int check_text(const json_t *t, const char *who, const char *key, char *err, size_t errlen)
{
	const char *lang;
	const json_t *v;

	if (json_is_string(t))
		return 0;
	if (!json_is_object(t))
		return qerr(err, errlen, who, _("%s must be a string or an object of language -> string"), key);
	if (json_object_size(t) == 0)
		return qerr(err, errlen, who, _("%s has no text in any language"), key);
	json_object_foreach((json_t *)t, lang, v) {
		if (!lang[0])
			return qerr(err, errlen, who, _("%s: empty language code"), key);
		if (!json_is_string(v))
			return qerr(err, errlen, who, _("%s: the '%s' text is not a string"), key, lang);
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
			return qerr(err, errlen, who, _("unknown key '%s'"), k);
	}
	return 0;
}

static const char *const form_keys[] = { "id", "version", "title", "default_language", "groups", "questions",
					 "allow_choice_duplicates", "instance_name", NULL };
static const char *const group_keys[] = { "name", "label", "relevant", "group", "repeat", "repeat_count", "appearance",
					  NULL };
static const char *const question_keys[] = {
	"name", "type", "label", "hint", "required", "required_message", "relevant", "constraint",
	"constraint_message", "default", "choices", "calculation", "readonly", "group", "choice_filter", "tags",
	"appearance", "range", "max_pixels", "accept", NULL
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
	if (buf_addc(&b, '\0') == 0) {
		e = expr_parse(b.data, err, errlen);
	} else {
		errf(err, errlen, _("too long"));
		errno = EINVAL;
	}
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
		return qerr(err, errlen, who, _("choice_filter must be an expression in a string"));
	qd->q.choice_filter_src = json_string_value(cf);
	if (!(qd->filters = mem_calloc(qd->q.nchoices, sizeof *qd->filters)))
		return err_oom(err, errlen);
	for (i = 0; i < qd->q.nchoices; i++) {
		if (!(qd->filters[i] = filter_for(qd->q.choice_filter_src, &qd->choices[i], msg, sizeof msg)))
			return errno == ENOMEM ? err_oom(err, errlen)
					       : qerr(err, errlen, who, _("choice_filter: %s"), msg);
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
		return qerr(err, errlen, who, _("choices must be a non-empty array"));
	if (!(*out = mem_calloc(json_array_size(list), sizeof **out)))
		return err_oom(err, errlen);
	json_array_foreach(list, i, jc) {
		const json_t *name = json_object_get(jc, "name");
		struct form_choice *c = &(*out)[i];
		enum bad_name why;
		char cwho[160], msg[512];

		if (!json_is_object(jc))
			return qerr(err, errlen, who, _("choice %zu is not an object"), i + 1);
		if (!json_is_string(name))
			return qerr(err, errlen, who, _("choice %zu: missing name"), i + 1);
		if ((why = bad_name(json_string_value(name), OF_CHOICE))) {
			name_refused(msg, sizeof msg, OF_CHOICE, why, json_string_value(name));
			return qerr(err, errlen, who, "%s", msg);
		}
		/* TRANSLATORS: where a form's error is: a question (or a tag), then one of its choices. */
		snprintf(cwho, sizeof cwho, _("%s: choice '%s'"), who, json_string_value(name));
		if (only_keys(jc, choice_keys, cwho, err, errlen) < 0)
			return -1;
		/* Twice only where the form allows it, for lists whose choice_filter offers one at a time (the same
		 * county name in two states). */
		for (j = 0; j < i && !dup_ok; j++)
			if (!strcmp((*out)[j].name, json_string_value(name)))
				return qerr(err, errlen, who, _("choice '%s' appears twice"), json_string_value(name));
		if (!json_object_get(jc, "label"))
			return qerr(err, errlen, cwho, _("missing label"));
		if (check_text(json_object_get(jc, "label"), cwho, "label", err, errlen) < 0)
			return -1;
		c->name = json_string_value(name);
		c->label = json_object_get(jc, "label");
		if ((c->data = json_object_get(jc, "data"))) {
			const char *k;
			const json_t *v;

			if (!json_is_object(c->data))
				return qerr(err, errlen, cwho, _("data must be an object of column -> text"));
			json_object_foreach((json_t *)c->data, k, v)
				if (!json_is_string(v))
					return qerr(err, errlen, cwho, _("data: '%s' is not a string"), k);
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
			return qerr(err, errlen, who,
				    _("choices are only for select_one, select_multiple and rank questions"));
		if (json_object_get(jq, "choice_filter"))
			return qerr(err, errlen, who,
				    _("a choice_filter is only for select_one, select_multiple and rank questions"));
		return 0;
	}
	if (!list)
		return qerr(err, errlen, who, _("a %s question needs choices"), form_type_name(qd->q.type));
	r = load_choice_list(list, dup_ok, &qd->choices, &qd->q.nchoices, who, err, errlen);
	qd->q.choices = qd->choices;
	return r < 0 ? r : load_filter(qd, jq, who, err, errlen);
}

/* OpenStreetMap keys: letters, digits and '_', ':', '.', '-' (as in addr:street or building:levels). */
static enum bad_name bad_tag_key(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return NAME_EMPTY;
	if (n > FORM_MAX_NAME)
		return NAME_LONG;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_:.-", s[i]))
			return NAME_TAG_CHARS;
	return NAME_OK;
}

/* An osm question's tags, each with the values offered for it (if any). */
static int load_tags(struct qdata *qd, const json_t *jq, const char *who, char *err, size_t errlen)
{
	const json_t *list = json_object_get(jq, "tags"), *jt;
	size_t i, j;
	int r;

	if (qd->q.type != FT_OSM)
		return list ? qerr(err, errlen, who, _("tags are only for osm questions")) : 0;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return qerr(err, errlen, who, _("tags must be an array"));
	qd->tags = mem_calloc(json_array_size(list) + 1, sizeof *qd->tags);
	qd->tag_choices = mem_calloc(json_array_size(list) + 1, sizeof *qd->tag_choices);
	if (!qd->tags || !qd->tag_choices)
		return err_oom(err, errlen);
	qd->q.tags = qd->tags;
	json_array_foreach(list, i, jt) {
		const json_t *name = json_object_get(jt, "name"), *vals = json_object_get(jt, "choices");
		struct form_tag *t = &qd->tags[i];
		enum bad_name why;
		char twho[160], msg[512];

		if (!json_is_object(jt))
			return qerr(err, errlen, who, _("tag %zu is not an object"), i + 1);
		if (!json_is_string(name))
			return qerr(err, errlen, who, _("tag %zu: missing name"), i + 1);
		if ((why = bad_tag_key(json_string_value(name)))) {
			name_refused(msg, sizeof msg, OF_TAG, why, json_string_value(name));
			return qerr(err, errlen, who, "%s", msg);
		}
		/* TRANSLATORS: where a form's error is: a question, then one of its OpenStreetMap tags. */
		snprintf(twho, sizeof twho, _("%s: tag '%s'"), who, json_string_value(name));
		if (only_keys(jt, tag_keys, twho, err, errlen) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(qd->tags[j].name, json_string_value(name)))
				return qerr(err, errlen, who, _("tag '%s' appears twice"), json_string_value(name));
		if (!json_object_get(jt, "label"))
			return qerr(err, errlen, twho, _("missing label"));
		if (check_text(json_object_get(jt, "label"), twho, "label", err, errlen) < 0)
			return -1;
		t->name = json_string_value(name);
		t->label = json_object_get(jt, "label");
		qd->q.ntags = i + 1;
		if (vals && (r = load_choice_list(vals, 0, &qd->tag_choices[i], &t->nchoices, twho, err, errlen)) < 0)
			return r;
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
		return qerr(err, errlen, who, _("%s must be an expression in a string"), key);
	*src = json_string_value(v);
	*e = expr_parse(*src, msg, sizeof msg);
	if (!*e)
		return errno == ENOMEM ? err_oom(err, errlen) : qerr(err, errlen, who, "%s: %s", key, msg);
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
	int r;

	if (!gs)
		return 0;
	if (!json_is_array(gs))
		return errf(err, errlen, _("form '%s': groups must be an array"), f->id);
	if (!(f->groups = mem_calloc(json_array_size(gs) + 1, sizeof *f->groups)))
		return err_oom(err, errlen);
	json_array_foreach(gs, i, jg) {
		struct gdata *gd = &f->groups[i];
		const json_t *name = json_object_get(jg, "name"), *parent = json_object_get(jg, "group");
		char who[128], msg[512];
		enum bad_name why;

		f->ngroups = i + 1;
		if (!json_is_object(jg))
			return errf(err, errlen, _("group %zu: must be an object"), i + 1);
		if (!json_is_string(name))
			return errf(err, errlen, _("group %zu: name must be a string"), i + 1);
		if ((why = bad_name(json_string_value(name), OF_NAME))) {
			name_refused(msg, sizeof msg, OF_NAME, why, json_string_value(name));
			/* TRANSLATORS: a group of questions not named yet, by its place in the form, then the error. */
			return errf(err, errlen, _("group %zu: %s"), i + 1, msg);
		}
		gd->g.name = json_string_value(name);
		/* TRANSLATORS: names a group of questions at the start of a form's error ("group 'household': ..."). */
		snprintf(who, sizeof who, _("group '%s'"), gd->g.name);
		if (only_keys(jg, group_keys, who, err, errlen) < 0)
			return -1;
		if (group_find(f, gd->g.name) != &gd->g)
			return errf(err, errlen, _("%s: the name appears twice"), who);
		if (json_object_get(jg, "repeat") && !json_is_boolean(json_object_get(jg, "repeat")))
			return errf(err, errlen, _("%s: repeat must be true or false"), who);
		gd->g.repeat = json_is_true(json_object_get(jg, "repeat"));
		if (json_object_get(jg, "appearance") && !json_is_string(json_object_get(jg, "appearance")))
			return errf(err, errlen, _("%s: appearance must be a string"), who);
		gd->g.appearance = json_string_value(json_object_get(jg, "appearance"));
		gd->g.label = json_object_get(jg, "label");
		if (gd->g.label && check_text(gd->g.label, who, "label", err, errlen) < 0)
			return -1;
		if ((r = load_expr(jg, "relevant", &gd->g.relevant_src, &gd->relevant, who, err, errlen)) < 0)
			return r;
		gd->g.relevant = gd->relevant;
		if ((r = load_expr(jg, "repeat_count", &gd->g.repeat_count_src, &gd->repeat_count, who, err, errlen)) < 0)
			return r;
		gd->g.repeat_count = gd->repeat_count;
		if (gd->repeat_count && !gd->g.repeat)
			return errf(err, errlen, _("%s: only a repeat has a repeat_count"), who);
		if (parent) {
			const struct form_group *p = json_is_string(parent) ? group_find(f, json_string_value(parent)) : NULL;

			if (!p || p == &gd->g)
				return errf(err, errlen, _("%s: group: no group '%s' before it"), who,
					    json_is_string(parent) ? json_string_value(parent) : "?");
			gd->g.parent = p;
		}
	}
	return 0;
}

/* Question i's name, checked and put in the form's index, and its keys checked; who becomes "question 'NAME'"
 * (or "question N" before the name is known) for the messages. 0, -1 or ERR_OOM with err. */
static int question_name(struct form *f, size_t i, const json_t *jq, char *who, size_t wholen, char *err,
			 size_t errlen)
{
	struct form_question *q = &f->qs[i].q;
	const json_t *name = json_object_get(jq, "name");
	enum bad_name why;
	char msg[512];

	qlabel(who, wholen, i, NULL);
	if (!json_is_object(jq))
		return qerr(err, errlen, who, _("not a JSON object"));
	if (!name)
		return qerr(err, errlen, who, _("missing name"));
	if (!json_is_string(name))
		return qerr(err, errlen, who, _("name must be a string"));
	if ((why = bad_name(json_string_value(name), OF_NAME))) {
		name_refused(msg, sizeof msg, OF_NAME, why, json_string_value(name));
		return qerr(err, errlen, who, "%s", msg);
	}
	q->name = json_string_value(name);
	qlabel(who, wholen, i, q->name);
	if (json_object_get(f->index, q->name))
		/* TRANSLATORS: said of a form whose two questions have one name, perhaps in different groups. */
		return qerr(err, errlen, who, _("the name appears twice (questions %d and %zu); an answer is kept under"
						" its question's name alone, so each name is used once in the whole form,"
						" whatever its group"),
			    (int)json_integer_value(json_object_get(f->index, q->name)) + 1, i + 1);
	if (json_object_set_new(f->index, q->name, json_integer((json_int_t)i)) < 0)
		return err_oom(err, errlen);
	return only_keys(jq, question_keys, who, err, errlen) < 0 ? -1 : 0;
}

/* The question's type, and whether it is filled in by the device rather than asked. 0 or -1 with err. */
static int question_type(struct form_question *q, const json_t *jq, const char *who, char *err, size_t errlen)
{
	const json_t *type = json_object_get(jq, "type");
	size_t t;

	if (!type)
		return qerr(err, errlen, who, _("missing type"));
	if (!json_is_string(type))
		return qerr(err, errlen, who, _("type must be a string"));
	for (t = 0; t < NTYPES && strcmp(type_names[t], json_string_value(type)); t++)
		;
	if (t == NTYPES)
		/* TRANSLATORS: the names of the types are the form's own words: keep them. */
		return qerr(err, errlen, who, _("unknown type '%s' (use text, integer, decimal, select_one, "
						"select_multiple, rank, date, time, dateTime, geopoint, geotrace, "
						"geoshape, acknowledge, note, osm, barcode, image, audio, video, file, "
						"calculate, start, end, "
						"today, deviceid, username, simserial, subscriberid, phonenumber or "
						"email)"),
			    json_string_value(type));
	q->type = (enum form_type)t;
	q->automatic = t >= FT_CALCULATE || json_object_get(jq, "calculation") != NULL;
	return 0;
}

int form_meta_name(const char *name)
{
	static const char *const meta[] = {
		"_id", "_parent", "_repeat", "_review", "_review_comment", "_form_version", "_status", "_created",
		"_updated", "_conflicts", "_region"
	};
	size_t i;

	for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
		if (!strcmp(name, meta[i]))
			return 1;
	return 0;
}

int form_is_media(enum form_type t)
{
	return t == FT_IMAGE || t == FT_AUDIO || t == FT_VIDEO || t == FT_FILE;
}

/* An attachment's members: max_pixels (an image's), accept (a list of media types, families and extensions).
 * 0 or -1 with err. */
static int question_media(struct form_question *q, const json_t *jq, const char *who, char *err, size_t errlen)
{
	const json_t *mp = json_object_get(jq, "max_pixels"), *acc = json_object_get(jq, "accept"), *a;
	size_t i;

	if (mp && (q->type != FT_IMAGE || !json_is_integer(mp) || json_integer_value(mp) < 1 ||
		   json_integer_value(mp) > FORM_MAX_PIXELS))
		return qerr(err, errlen, who, _("max_pixels is an image's, a whole number from 1 to %d"),
			    FORM_MAX_PIXELS);
	q->max_pixels = mp ? (unsigned)json_integer_value(mp) : 0;
	if (!acc)
		return 0;
	if (!form_is_media(q->type))
		return qerr(err, errlen, who, _("only an image, audio, video or file question has accept"));
	if (!json_is_array(acc) || json_array_size(acc) == 0 || json_array_size(acc) > 64)
		return qerr(err, errlen, who, _("accept must be a list of 1 to 64 media types or extensions"));
	json_array_foreach(acc, i, a) {
		const char *s = json_string_value(a);
		size_t n = s ? strlen(s) : 0, k;
		int ok = n > 1 && n < 128;

		for (k = 0; ok && k < n; k++)
			ok = (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9') ||
			     strchr("./*+-", s[k]);
		if (!ok || (s[0] != '.' && !strchr(s, '/')))
			return qerr(err, errlen, who, _("accept: '%s' is neither a media type (image/png, audio/*) nor an "
							"extension (.pdf)"), s ? s : "?");
	}
	q->accept = acc;
	return 0;
}

/* The question's texts (a label, the name's when it is never asked), its group, and whether it is readonly or
 * required. 0, -1 or ERR_OOM with err. */
static int question_members(const struct form *f, struct qdata *qd, const json_t *jq, const char *who, char *err,
			    size_t errlen)
{
	static const char *const texts[] = { "label", "hint", "required_message", "constraint_message" };
	struct form_question *q = &qd->q;
	const json_t *req;
	size_t t;

	/* What is never asked needs no label. */
	if (!json_object_get(jq, "label") && !q->automatic)
		return qerr(err, errlen, who, _("missing label"));
	for (t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		const json_t *v = json_object_get(jq, texts[t]);

		if (v && check_text(v, who, texts[t], err, errlen) < 0)
			return -1;
	}
	q->label = json_object_get(jq, "label");
	if (!q->label && !(q->label = qd->own_label = json_string(q->name)))
		return err_oom(err, errlen);
	if (json_object_get(jq, "group")) {
		const json_t *g = json_object_get(jq, "group");

		if (!json_is_string(g) || !(q->group = group_find(f, json_string_value(g))))
			return qerr(err, errlen, who, _("group: no group '%s' in the form's groups"),
				    json_is_string(g) ? json_string_value(g) : "?");
	}
	if (json_object_get(jq, "readonly") && !json_is_boolean(json_object_get(jq, "readonly")))
		return qerr(err, errlen, who, _("readonly must be true or false"));
	q->readonly = json_is_true(json_object_get(jq, "readonly"));
	if (json_object_get(jq, "appearance") && !json_is_string(json_object_get(jq, "appearance")))
		return qerr(err, errlen, who, _("appearance must be a string"));
	q->appearance = json_string_value(json_object_get(jq, "appearance"));
	if (json_object_get(jq, "range")) {
		const json_t *r = json_object_get(jq, "range");
		const json_t *a = json_object_get(r, "start"), *b = json_object_get(r, "end"), *st = json_object_get(r, "step");

		if (!json_is_object(r) || !json_is_number(a) || !json_is_number(b) || !json_is_number(st) ||
		    json_object_size(r) != 3 || json_number_value(st) <= 0)
			return qerr(err, errlen, who, _("range must be {\"start\": N, \"end\": N, \"step\": N} with a step "
							"above 0"));
		q->has_range = 1;
		q->range_start = json_number_value(a);
		q->range_end = json_number_value(b);
		q->range_step = json_number_value(st);
	}
	if (question_media(q, jq, who, err, errlen) < 0)
		return -1;
	q->hint = json_object_get(jq, "hint");
	q->required_message = json_object_get(jq, "required_message");
	q->constraint_message = json_object_get(jq, "constraint_message");

	req = json_object_get(jq, "required");
	if (req && !json_is_boolean(req))
		return qerr(err, errlen, who, _("required must be true or false"));
	q->required = json_is_true(req);
	return 0;
}

/* The question's expressions, compiled: relevant, constraint, default, calculation. 0, -1 or ERR_OOM with err. */
static int question_exprs(struct qdata *qd, const json_t *jq, const char *who, char *err, size_t errlen)
{
	struct form_question *q = &qd->q;
	int r;

	if ((r = load_expr(jq, "relevant", &q->relevant_src, &qd->relevant, who, err, errlen)) < 0 ||
	    (r = load_expr(jq, "constraint", &q->constraint_src, &qd->constraint, who, err, errlen)) < 0 ||
	    (r = load_expr(jq, "default", &q->default_src, &qd->def, who, err, errlen)) < 0)
		return r;
	q->relevant = qd->relevant;
	q->constraint = qd->constraint;
	q->def = qd->def;
	if ((r = load_expr(jq, "calculation", &q->calculation_src, &qd->calculation, who, err, errlen)) < 0)
		return r;
	q->calculation = qd->calculation;
	return 0;
}

/* What a question's type and members cannot have together: what the device fills in is neither required nor
 * constrained nor given a default, a readonly question is not required, a note is never answered. 0 or -1 with
 * err. */
static int question_consistent(const struct form_question *q, const char *who, char *err, size_t errlen)
{
	if (q->type == FT_CALCULATE && !q->calculation && !q->def)
		return qerr(err, errlen, who, _("a calculate question needs a calculation, or a default it takes once"));
	if (q->calculation && (q->type == FT_NOTE || (q->type > FT_CALCULATE)))
		return qerr(err, errlen, who, _("a %s question cannot have a calculation"), type_names[q->type]);
	/* A question with a calculation is worked out as a calculate is, its result read as its type's answer;
	 * XLSForm designers often mark it readonly as well, which says nothing more. */
	if (q->calculation && q->type != FT_CALCULATE && (q->required || q->constraint || q->def))
		return qerr(err, errlen, who, _("a question with a calculation is filled in by the device: it cannot be"
						" required, or have a constraint or a default"));
	if (q->automatic && !q->calculation && q->type != FT_CALCULATE &&
	    (q->required || q->constraint || q->def || q->readonly))
		return qerr(err, errlen, who, _("a %s question is filled in by the device: it cannot be required, "
						"have a constraint, a default or be readonly"), type_names[q->type]);
	if (q->type == FT_CALCULATE && (q->required || q->constraint || (q->def && q->calculation) || q->readonly))
		return qerr(err, errlen, who, _("a calculate question is filled in by the device: it cannot be "
						"required, have a constraint, a default or be readonly"));
	if (q->readonly && q->required)
		return qerr(err, errlen, who, _("a readonly question cannot be required: nobody can answer it"));
	if (form_is_media(q->type) && (q->calculation || q->def))
		return qerr(err, errlen, who, _("an attachment is a file a person gives: it cannot have a calculation "
						"or a default"));
	if (q->has_range && q->type != FT_INTEGER && q->type != FT_DECIMAL)
		return qerr(err, errlen, who, _("only an integer or a decimal question can have a range"));

	if (q->type == FT_NOTE) {
		/* a note is shown, never answered */
		if (q->required)
			return qerr(err, errlen, who, _("a note cannot be required"));
		if (q->constraint)
			return qerr(err, errlen, who, _("a note cannot have a constraint"));
		if (q->def)
			return qerr(err, errlen, who, _("a note cannot have a default"));
	}
	return 0;
}

/* Question i of the form, from jq, in the steps above, then its tags and choices. 0, -1 or ERR_OOM with err. */
static int load_question(struct form *f, size_t i, const json_t *jq, char *err, size_t errlen)
{
	struct qdata *qd = &f->qs[i];
	char who[128];
	int r;

	if ((r = question_name(f, i, jq, who, sizeof who, err, errlen)) < 0 ||
	    (r = question_type(&qd->q, jq, who, err, errlen)) < 0 ||
	    (r = question_members(f, qd, jq, who, err, errlen)) < 0 ||
	    (r = question_exprs(qd, jq, who, err, errlen)) < 0 ||
	    (r = question_consistent(&qd->q, who, err, errlen)) < 0 ||
	    (r = load_tags(qd, jq, who, err, errlen)) < 0)
		return r;
	return load_choices(qd, jq, json_is_true(json_object_get(f->root, "allow_choice_duplicates")), who, err, errlen);
}

struct refcheck {
	const struct form *f;
	const char *bad;
	int misused;          /* 0: bad names nothing of the form; else how it was named (expr_ref + 1) where it
			       * cannot be */
};

/* Every ${name} names a question of the form or a repeat (count(${member})); jr:choice-name()'s a select
 * question, indexed-repeat()'s a repeat and a question inside one. */
static int ref_known(void *ctx, const char *name, enum expr_ref how)
{
	struct refcheck *rc = ctx;
	const struct form_question *q = json_object_get(rc->f->index, name) ? form_find(rc->f, name) : NULL;
	const struct form_group *g = q ? NULL : form_repeat_find(rc->f, name);

	rc->bad = name;
	rc->misused = (int)how + 1;
	if (!q && !g) {
		rc->misused = 0;
		return 1;
	}
	switch (how) {
	case EXPR_REF_CHOICES:
		return !(q && is_select(q->type));
	case EXPR_REF_REPEAT:
		return !g;
	case EXPR_REF_TARGET:
		return !(q && form_repeat_of(q));
	default:
		return 0;
	}
}

/* The error for what rc found in expression `what` of the question or group who: "question 'x': relevant names
 * unknown question 'y'" and the like. */
static int ref_error(const struct refcheck *rc, int group, const char *who, const char *what, char *err,
		     size_t errlen)
{
	char why[256];

	if (!rc->misused)
		return group ? errf(err, errlen, _("group '%s': %s names unknown question '%s'"), who, what, rc->bad)
			     : errf(err, errlen, _("question '%s': %s names unknown question '%s'"), who, what, rc->bad);
	if (rc->misused == EXPR_REF_CHOICES + 1)
		snprintf(why, sizeof why, _("jr:choice-name() names '%s', which is not a select question"), rc->bad);
	else if (rc->misused == EXPR_REF_REPEAT + 1)
		snprintf(why, sizeof why, _("indexed-repeat() names '%s', which is not a repeat"), rc->bad);
	else
		snprintf(why, sizeof why, _("indexed-repeat() reads '%s', which is not a question of a repeat"),
			 rc->bad);
	/* TRANSLATORS: a question's name, an expression's column (relevant, calculation...), and what is wrong. */
	return group ? errf(err, errlen, _("group '%s': %s: %s"), who, what, why)
		     : errf(err, errlen, _("question '%s': %s: %s"), who, what, why);
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
				return errf(err, errlen, _("question '%s': %s names unknown question '%s'"), q->name,
					    what[k], bad);
	}
	for (i = 0; i < f->ngroups; i++)
		if (f->groups[i].g.label && text_ref_unknown(f, f->groups[i].g.label, bad, sizeof bad))
			return errf(err, errlen, _("group '%s': label names unknown question '%s'"),
				    f->groups[i].g.name, bad);

	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		const struct expr *ex[4] = { q->relevant, q->constraint, q->def, q->calculation };
		static const char *const what[4] = { "relevant", "constraint", "default", "calculation" };

		for (k = 0; k < 4; k++) {
			struct refcheck rc = { f, NULL, 0 };

			if (ex[k] && expr_refs_how(ex[k], ref_known, &rc))
				return ref_error(&rc, 0, q->name, what[k], err, errlen);
		}
	}
	for (i = 0; i < f->nq; i++) {
		const struct form_question *q = &f->qs[i].q;
		struct refcheck rc = { f, NULL, 0 };

		if (q->nchoices && q->choices[0].filter && expr_refs_how(q->choices[0].filter, ref_known, &rc))
			return ref_error(&rc, 0, q->name, "choice_filter", err, errlen);
	}
	for (i = 0; i < f->ngroups; i++) {
		struct refcheck rc = { f, NULL, 0 };

		if (f->groups[i].relevant && expr_refs_how(f->groups[i].relevant, ref_known, &rc))
			return ref_error(&rc, 1, f->groups[i].g.name, "relevant", err, errlen);
		if (f->groups[i].repeat_count && expr_refs_how(f->groups[i].repeat_count, ref_known, &rc))
			return ref_error(&rc, 1, f->groups[i].g.name, "repeat_count", err, errlen);
	}
	return 0;
}

/* Gathers the questions an instance_name names, once each, in order; stops (non-zero) at a name that is not a
 * question of the record itself (unknown, or inside a repeat): a record's title comes from its own answers. */
struct title_refs {
	struct form *f;
	const char *bad;
};

static int title_ref(void *ctx, const char *name)
{
	struct title_refs *t = ctx;
	const struct form_question *q = form_find(t->f, name);
	size_t i;

	if (!q || form_repeat_of(q)) {
		t->bad = name;
		return 1;
	}
	for (i = 0; i < t->f->ntitle; i++)
		if (!strcmp(t->f->title_fields[i], q->name))
			return 0;
	if (t->f->ntitle < FORM_TITLE_MAX)
		t->f->title_fields[t->f->ntitle++] = q->name;
	return 0;
}

/* The title fields: those instance_name names, else the first questions asked of every record. */
static int load_title(struct form *f, char *err, size_t errlen)
{
	size_t i;
	int r;

	if ((r = load_expr(f->root, "instance_name", &f->instance_name_src, &f->instance_name, _("form"), err,
			   errlen)) < 0)
		return r;
	if (f->instance_name) {
		struct title_refs t = { f, NULL };

		if (expr_refs(f->instance_name, title_ref, &t) && form_find(f, t.bad))
			return errf(err, errlen, _("form '%s': instance_name names the repeated question '%s'"),
				    f->id, t.bad);
		if (t.bad)
			return errf(err, errlen, _("form '%s': instance_name names unknown question '%s'"), f->id,
				    t.bad);
		if (!f->ntitle)
			return errf(err, errlen, _("form '%s': instance_name names no question (${name})"), f->id);
		return 0;
	}
	/* Asked of every record: not shown conditionally, not worked out, not inside a repeat. */
	for (i = 0; i < f->nq && f->ntitle < FORM_TITLE_MAX; i++) {
		const struct form_question *q = &f->qs[i].q;
		const struct form_group *g;
		int conditional = q->relevant != NULL;

		for (g = q->group; g && !conditional; g = g->parent)
			conditional = g->relevant != NULL || g->repeat;
		if (q->type != FT_NOTE && !q->automatic && !conditional)
			f->title_fields[f->ntitle++] = q->name;
	}
	return 0;
}

static int load_form(struct form *f, char *err, size_t errlen)
{
	const json_t *root = f->root, *id, *version, *lang, *qs, *jq;
	enum bad_name why;
	char msg[512];
	size_t i;
	int r;

	if (!json_is_object(root))
		return errf(err, errlen, _("a form must be a JSON object"));
	/* TRANSLATORS: the form itself, at the start of a form's error ("form: unknown key 'x'"). */
	if (only_keys(root, form_keys, _("form"), err, errlen) < 0)
		return -1;
	id = json_object_get(root, "id");
	if (!json_is_string(id))
		return errf(err, errlen, _("form: missing id"));
	if ((why = bad_name(json_string_value(id), OF_ID))) {
		name_refused(msg, sizeof msg, OF_ID, why, json_string_value(id));
		return qerr(err, errlen, _("form"), "%s", msg);
	}
	f->id = json_string_value(id);
	version = json_object_get(root, "version");
	if (!json_is_string(version) || !json_string_length(version))
		return errf(err, errlen, _("form '%s': missing version (a string such as \"1\")"), f->id);
	f->version = json_string_value(version);
	lang = json_object_get(root, "default_language");
	if (lang && (!json_is_string(lang) || !json_string_length(lang)))
		return errf(err, errlen, _("form '%s': default_language must be a language code"), f->id);
	f->default_language = lang ? json_string_value(lang) : "en";
	f->title = json_object_get(root, "title");
	if (f->title && check_text(f->title, _("form"), "title", err, errlen) < 0)
		return -1;
	if (json_object_get(root, "allow_choice_duplicates") && !json_is_boolean(json_object_get(root, "allow_choice_duplicates")))
		return errf(err, errlen, _("form '%s': allow_choice_duplicates must be true or false"), f->id);
	if ((r = load_groups(f, json_object_get(root, "groups"), err, errlen)) < 0)
		return r;
	qs = json_object_get(root, "questions");
	if (!json_is_array(qs) || json_array_size(qs) == 0)
		return errf(err, errlen, _("form '%s': questions must be a non-empty array"), f->id);
	if (!(f->qs = mem_calloc(json_array_size(qs), sizeof *f->qs)))
		return err_oom(err, errlen);
	json_array_foreach(qs, i, jq) {
		f->nq = i + 1;   /* so form_free releases what this question compiled, even on error */
		if ((r = load_question(f, i, jq, err, errlen)) < 0)
			return r;
	}
	if ((r = check_refs(f, err, errlen)) < 0)
		return r;
	return load_title(f, err, errlen);
}

struct form *form_load(const char *json, size_t len, char *err, size_t errlen)
{
	struct form *f;
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	int r;

	if (!root) {
		/* jansson says which: an allocation failed, or the text is wrong (every parse error has a text; only
		 * its set-up, which allocates, fails without one) */
		if (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0]) {
			err_oom(err, errlen);
			errno = ENOMEM;
		} else {
			errf(err, errlen, _("not valid JSON: line %d, column %d: %s"), jerr.line, jerr.column,
			     jerr.text);
			errno = EINVAL;
		}
		return NULL;
	}
	if (!(f = mem_calloc(1, sizeof *f))) {
		json_decref(root);
		err_oom(err, errlen);
		errno = ENOMEM;
		return NULL;
	}
	f->root = root;
	f->index = json_object();
	r = f->index ? load_form(f, err, errlen) : err_oom(err, errlen);
	if (r < 0) {
		form_free(f);
		errno = r == ERR_OOM ? ENOMEM : EINVAL;
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
	expr_free(f->instance_name);
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

static int text_has(const json_t *t, const char *lang)
{
	return json_is_object(t) && json_is_string(json_object_get(t, lang));
}

int form_has_language(const struct form *f, const char *lang)
{
	size_t i;

	if (!strcmp(f->default_language, lang) || text_has(f->title, lang))
		return 1;
	for (i = 0; i < f->nq; i++)
		if (text_has(f->qs[i].q.label, lang))
			return 1;
	return 0;
}

const char *form_default_language(const struct form *f)
{
	return f->default_language;
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

size_t form_title_fields(const struct form *f, const char *const **names)
{
	*names = f->title_fields;
	return f->ntitle;
}

/* An answer or a value worked out, as text: strings as they are, numbers as written, arrays joined by spaces. */
static char *value_text(const json_t *v)
{
	struct buf b = BUF_INIT(1 << 16);
	size_t i;

	if (json_is_string(v))
		return mem_strdup(json_string_value(v));
	if (json_is_integer(v))
		buf_printf(&b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		buf_printf(&b, "%.15g", json_real_value(v));
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
		if (json_is_string(json_array_get(v, i)))
			buf_printf(&b, "%s%s", b.len ? " " : "", json_string_value(json_array_get(v, i)));
	if (!b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

char *form_record_title(const struct form *f, const json_t *answers)
{
	struct form_eval fe;
	json_t *v = NULL;
	char *t = NULL;

	form_eval_init(&fe, f, answers, NULL, NULL, 0);
	if (f->instance_name && expr_eval_in(f->instance_name, &fe.env, &v, NULL, 0) == 0) {
		t = value_text(v);
		json_decref(v);
		if (t && *t)
			return t;
		free(t);
		t = NULL;
	}
	if (f->ntitle && json_is_object(answers))
		t = value_text(json_object_get(answers, f->title_fields[0]));
	return t;
}

const char *form_title(const struct form *f, const char *lang)
{
	const char *t = form_text(f, f->title, lang);

	return t ? t : f->id;
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
