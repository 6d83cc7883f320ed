/* xlsform-read.c - an XLSForm workbook into a Sondeo form definition (xlsform.h). Each sheet is read into a table
 * of its header columns; the survey's rows become questions, the choices' rows their lists, the settings' first
 * row the form's id, title, version and default language. */
#include "xlsform.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "expr.h"
#include "form.h"
#include "i18n.h"
#include "merge.h"
#include "util.h"
#include "xlsform-priv.h"
#include "xlsx.h"
#include "banned.h"

#define MAX_ROWS 20000
#define MAX_FORM_JSON ((size_t)16 << 20)
#define FORM_MAX_DEFAULT 4200        /* an expression is at most 4096 bytes (docs/forms.md) */

/* One sheet: its header columns (key and language) and, for each later row with a cell under one of them, the
 * texts under each header. */
struct head {
	char key[48];                /* "label", "list_name", ... ("" for a header Sondeo ignores) */
	char lang[48];               /* the language code after "::" or ":", or "" */
	unsigned col;
};

struct row {
	unsigned n;                  /* the row's number in the sheet */
	char **v;                    /* nhead texts (NULL when empty) */
};

/* What a sheet holds, for the other names pyxform gives its columns there. */
enum sheet_kind { SHEET_OTHER, SHEET_SURVEY, SHEET_LIST, SHEET_SETTINGS };

struct table {
	const char *sheet;
	enum sheet_kind kind;
	struct head head[MAX_HEADERS];
	size_t nhead;
	unsigned header_row, last_row;
	int *colmap;                 /* column -> header index, or -1 */
	struct row *rows;
	size_t nrows, cap;
	char err[512];
};

/* --- Reading a sheet into a table ------------------------------------------------------------------------- */

/* A cell's text as pyxform reads it (its clean_text_values): without the spaces around it, runs of spaces as one,
 * and typographic quotes (’ ‘ “ ”) as plain ones, which expressions need (a label's apostrophe becomes ' too, as
 * in pyxform). A new string. */
static char *cell_clean(const char *text)
{
	static const struct {
		const char *from, *to;
	} quotes[] = { { "\xe2\x80\x98", "'" }, { "\xe2\x80\x99", "'" }, { "\xe2\x80\x9c", "\"" },
		       { "\xe2\x80\x9d", "\"" } };
	char *out = xmalloc(strlen(text) + 1);
	size_t k = 0, i;
	const char *p = text;

	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p) {
		for (i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++)
			if (!strncmp(p, quotes[i].from, 3))
				break;
		if (i < sizeof(quotes) / sizeof(quotes[0])) {
			out[k++] = quotes[i].to[0];
			p += 3;
		} else if (*p == ' ' && k && out[k - 1] == ' ') {
			p++;
		} else {
			out[k++] = *p++;
		}
	}
	while (k && isspace((unsigned char)out[k - 1]))
		k--;
	out[k] = '\0';
	return out;
}

/* Header text to key and language: trimmed, lower case, spaces as '_', aliases resolved (those of the sheet's kind
 * too: pyxform's survey_header, list_header and settings_header). */
static void header_parse(const char *text, struct head *h, enum sheet_kind kind)
{
	static const struct {
		const char *alias, *key;
	} aliases[] = {
		{ "list_name", "list_name" }, { "read_only", "readonly" }, { "constraint_msg", "constraint_message" },
		{ "required_msg", "required_message" }, { "relevance", "relevant" }, { "caption", "label" },
		{ "calculate", "calculation" }, { "jr_count", "repeat_count" },
	};
	static const struct {
		enum sheet_kind kind;
		const char *alias, *key;
	} sheet_aliases[] = {
		{ SHEET_SURVEY, "value", "name" }, { SHEET_SURVEY, "tag", "name" }, { SHEET_SURVEY, "command", "type" },
		{ SHEET_SURVEY, "count", "repeat_count" }, { SHEET_SURVEY, "requiredmsg", "required_message" },
		{ SHEET_SURVEY, "constraining_message", "constraint_message" }, { SHEET_LIST, "value", "name" },
		{ SHEET_SETTINGS, "set_form_id", "form_id" }, { SHEET_SETTINGS, "set_form_title", "form_title" },
	};
	char t[160], *sep;
	size_t i, k = 0, len;

	for (i = 0; text[i] && k + 1 < sizeof(t); i++)
		t[k++] = text[i];
	t[k] = '\0';
	h->lang[0] = '\0';
	/* jr:count is XForms' name for repeat_count, not a column in a language */
	if (!strcasecmp(t, "jr:count"))
		t[2] = '_';
	if ((sep = strstr(t, "::")) || (sep = strchr(t, ':'))) {
		char lang[64];

		strlcpy_s(lang, sep + (sep[1] == ':' ? 2 : 1), sizeof(lang));
		*sep = '\0';
		xlsform_lang_code(lang, h->lang, sizeof(h->lang));
	}
	/* Trim, lower case, inner spaces as '_'. */
	len = strlen(t);
	while (len && isspace((unsigned char)t[len - 1]))
		t[--len] = '\0';
	for (i = 0; isspace((unsigned char)t[i]); i++)
		;
	for (k = 0; t[i] && k + 1 < sizeof(h->key); i++)
		h->key[k++] = isspace((unsigned char)t[i]) ? '_' : (char)tolower((unsigned char)t[i]);
	h->key[k] = '\0';
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(h->key, aliases[i].alias))
			strlcpy_s(h->key, aliases[i].key, sizeof(h->key));
	for (i = 0; i < sizeof(sheet_aliases) / sizeof(sheet_aliases[0]); i++)
		if (sheet_aliases[i].kind == kind && !strcmp(h->key, sheet_aliases[i].alias))
			strlcpy_s(h->key, sheet_aliases[i].key, sizeof(h->key));
}

static int table_cell(void *ctx, unsigned row, unsigned col, const char *text)
{
	struct table *t = ctx;
	char name[8], **cellp;
	int hi;

	/* Rows in the sheet's order (as every spreadsheet writes them): a row is complete before the next. */
	if (row < t->last_row) {
		snprintf(t->err, sizeof(t->err), _("sheet '%s': row %u comes after row %u in the file"), t->sheet, row,
			 t->last_row);
		return -1;
	}
	t->last_row = row;
	if (!t->header_row || row == t->header_row) {
		/* The first row with anything in it holds the headers. */
		struct head *h;
		size_t i;

		t->header_row = row;
		if (t->nhead == MAX_HEADERS) {
			snprintf(t->err, sizeof(t->err), _("sheet '%s', row %u: more than %d columns"), t->sheet, row,
				 MAX_HEADERS);
			return -1;
		}
		h = &t->head[t->nhead];
		header_parse(text, h, t->kind);
		h->col = col;
		for (i = 0; i < t->nhead && h->key[0]; i++) {
			if (!strcmp(t->head[i].key, h->key) && !strcmp(t->head[i].lang, h->lang)) {
				char other[8];

				snprintf(t->err, sizeof(t->err),
					 /* TRANSLATORS: a sheet, a column's letter, the header written in it, the other
					  * column's letter. */
					 _("sheet '%s', column %s: duplicate column header: %s (also in column %s)"),
					 t->sheet, xlsx_column_name(col, name), text,
					 xlsx_column_name(t->head[i].col, other));
				return -1;
			}
		}
		t->colmap[col] = (int)t->nhead++;
		return 0;
	}
	if ((hi = t->colmap[col]) < 0 || !t->head[hi].key[0])
		return 0;   /* a cell under no header, or under one Sondeo ignores */
	if (!t->nrows || t->rows[t->nrows - 1].n != row) {
		if (t->nrows == MAX_ROWS) {
			snprintf(t->err, sizeof(t->err), _("sheet '%s': more than %d rows"), t->sheet, MAX_ROWS);
			return -1;
		}
		if (t->nrows == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
		}
		t->rows[t->nrows].n = row;
		/* Headers come first, so the row needs a place for each of them only. */
		t->rows[t->nrows].v = xcalloc(t->nhead, sizeof(char *));
		t->nrows++;
	}
	cellp = &t->rows[t->nrows - 1].v[hi];
	free(*cellp);
	*cellp = cell_clean(text);
	/* A cell of spaces is an empty one. */
	if (!**cellp) {
		free(*cellp);
		*cellp = NULL;
	}
	return 0;
}

static void table_free(struct table *t)
{
	size_t i, k;

	for (i = 0; i < t->nrows; i++) {
		for (k = 0; k < t->nhead; k++)
			free(t->rows[i].v[k]);
		free(t->rows[i].v);
	}
	free(t->rows);
	free(t->colmap);
	memset(t, 0, sizeof(*t));
}

/* Reads sheet i of x, a sheet of that kind, into t. 0, or -1 with err. */
static int table_read(struct xlsx *x, size_t i, enum sheet_kind kind, struct table *t, char *err, size_t errlen)
{
	size_t c;
	int r;

	memset(t, 0, sizeof(*t));
	t->sheet = xlsx_sheet_name(x, i);
	t->kind = kind;
	t->colmap = xmalloc((XLSX_MAX_COL + 1) * sizeof(int));
	for (c = 0; c <= XLSX_MAX_COL; c++)
		t->colmap[c] = -1;
	r = xlsx_cells(x, i, table_cell, t, err, errlen);
	if (r > 0 || (r < 0 && t->err[0]))
		return errf(err, errlen, "%s", t->err);
	if (r < 0) {
		char e2[512];

		strlcpy_s(e2, err, sizeof(e2));
		return errf(err, errlen, _("sheet '%s': %s"), t->sheet, e2);
	}
	return 0;
}

/* The header index of key in language lang (NULL: any language, the plain one first), or -1. */
static int col_of(const struct table *t, const char *key, const char *lang)
{
	size_t i;

	for (i = 0; i < t->nhead; i++)
		if (!strcmp(t->head[i].key, key) && (lang ? !strcmp(t->head[i].lang, lang) : !t->head[i].lang[0]))
			return (int)i;
	if (!lang)
		for (i = 0; i < t->nhead; i++)
			if (!strcmp(t->head[i].key, key))
				return (int)i;
	return -1;
}

/* The row's text under key (any language), trimmed of surrounding spaces into a static-free copy; NULL when
 * empty. */
static const char *cell(const struct table *t, const struct row *r, const char *key)
{
	int c = col_of(t, key, NULL);

	return c >= 0 ? r->v[c] : NULL;
}

/* --- Converting ------------------------------------------------------------------------------------------- */

struct conv {
	struct table survey, choices, settings, external, osm;
	int has_choices, has_settings, has_external;   /* external_choices: the lists of select_one_external */
	int has_osm;                                   /* osm: the tags of osm questions, and their values */
	struct table titles;                           /* sondeo_settings: the form's title in every language, as */
	int has_titles;                                /* Sondeo writes it (pyxform has one form_title) */
	char lang[48];                /* the default language's code */
	char *err;
	size_t errlen;
	/* Every problem the rows have, one line each: a refused workbook says them all, not only the first. */
	struct buf problems;
	unsigned nproblems;
	struct row **loop_rows;       /* the rows made for a loop's passes (loop_row), freed with the conversion */
	size_t nloop_rows;
	json_t *questions, *groups;
	size_t copied;                /* bytes of choices and tags put in questions so far (see list_copied) */
	/* name -> row, to put a row on form_load's messages; and the group it is in, and whether it is a group, to
	 * refuse a group named as a question beside it */
	struct {
		char name[MERGE_MAX_NAME + 1], parent[MERGE_MAX_NAME + 1];
		unsigned row;
		int group;
	} *where;
	size_t nwhere;
};

/* Notes a problem of the workbook (its text, which says where): kept with the others, and in c->err too, so that
 * one problem reads as before. Returns -1, for `return problem(...)`. */
static int problem(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int problem(struct conv *c, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->nproblems++)
		errf(c->err, c->errlen, "%s", msg);
	buf_printf(&c->problems, "\n  %s", msg);
	return -1;
}

/* "sheet 'survey', row 7, column C (label): " and the message, as a problem. */
static int row_error(struct conv *c, const struct table *t, const struct row *r, const char *key, const char *fmt,
		     ...) __attribute__((format(printf, 5, 6)));
static int row_error(struct conv *c, const struct table *t, const struct row *r, const char *key, const char *fmt,
		     ...)
{
	char msg[400], name[8];
	int ci = key ? col_of(t, key, NULL) : -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ci >= 0)
		/* TRANSLATORS: where in a workbook the error is: a sheet, a row, a column (its letter and its
		 * header, "C (label)"), then the error. */
		return problem(c, _("sheet '%s', row %u, column %s (%s): %s"), t->sheet, r->n,
			       xlsx_column_name(t->head[ci].col, name), key, msg);
	return problem(c, _("sheet '%s', row %u: %s"), t->sheet, r->n, msg);
}

/* Counts the bytes of a choice or tag (its cells) put in a question. A list is copied into every question that
 * uses it, so a small workbook (2,000 questions on one list of 2,000 choices) could make a form of gigabytes:
 * the conversion stops, with row r named, as soon as the copies pass the size of the largest form. */
static int list_copied(struct conv *c, const struct table *t, const struct row *r, const struct row *qr,
		       const char *list)
{
	size_t i;

	/* about its JSON: {"name":"...","label":"..."} and its other columns, each "key":"value" */
	c->copied += 16;
	for (i = 0; i < t->nhead; i++)
		c->copied += r->v[i] ? strlen(r->v[i]) + 6 : 0;
	if (c->copied <= MAX_FORM_JSON)
		return 0;
	return row_error(c, &c->survey, qr, "type",
			 _("the form would be larger than %zu MiB here: list '%s' (sheet '%s') is copied into "
			   "this question, as every list is into each question that uses it"),
			 MAX_FORM_JSON >> 20, list, t->sheet);
}

/* TEXT for key: every column of it, each under its language (a plain one is the default language's); a plain
 * string when only the plain column has a text. NULL when the row has none. */
static json_t *text_of(struct conv *c, const struct table *t, const struct row *r, const char *key)
{
	json_t *o = json_object();
	int langs = 0;
	size_t i;

	for (i = 0; i < t->nhead; i++) {
		if (strcmp(t->head[i].key, key) || !r->v[i])
			continue;
		langs += t->head[i].lang[0] != '\0';
		/* A language's own column wins over the plain one for the default language. */
		if (!t->head[i].lang[0] && json_object_get(o, c->lang))
			continue;
		json_object_set_new(o, t->head[i].lang[0] ? t->head[i].lang : c->lang, json_string(r->v[i]));
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	if (!langs) {
		json_t *one = json_incref(json_object_iter_value(json_object_iter(o)));

		json_decref(o);
		return one;
	}
	return o;
}

/* The texts Sondeo adds to a form it converts: the "other" choice and its question, a range's message. */
enum own_words { OWN_OTHER, OWN_SPECIFY_OTHER, OWN_RANGE, OWN_RANGE_STEP };

static void own_words(enum own_words w, const double *v, char *out, size_t n)
{
	switch (w) {
	case OWN_OTHER:
		/* TRANSLATORS: the choice XLSForm's "or_other" adds to a list, in the forms Sondeo converts. */
		strlcpy_s(out, C_("choice", "Other"), n);
		break;
	case OWN_SPECIFY_OTHER:
		/* TRANSLATORS: the label of the question asked when "Other" is chosen. */
		strlcpy_s(out, _("Specify other."), n);
		break;
	case OWN_RANGE:
		/* TRANSLATORS: the message of a range question (XLSForm's range) when the answer is outside it. */
		snprintf(out, n, _("A number from %.15g to %.15g"), v[0], v[1]);
		break;
	case OWN_RANGE_STEP:
		snprintf(out, n, _("A number from %.15g to %.15g, in steps of %.15g"), v[0], v[1], v[2]);
		break;
	}
}

/* Those texts in every language the survey's labels are written in, from the catalogs (English for a language
 * there is none for), as TEXT like text_of's. The caller's language is the same after. */
static json_t *own_text(struct conv *c, enum own_words w, const double *v)
{
	const char *langs[MAX_HEADERS + 1];
	char was[16], out[256];
	json_t *o = json_object(), *one;
	size_t n = 0, i, k;

	langs[n++] = c->lang;
	for (i = 0; i < c->survey.nhead && n < sizeof(langs) / sizeof(langs[0]); i++) {
		const char *l = c->survey.head[i].lang;

		if (strcmp(c->survey.head[i].key, "label") || !l[0])
			continue;
		for (k = 0; k < n && strcmp(langs[k], l); k++)
			;
		if (k == n)
			langs[n++] = l;
	}
	strlcpy_s(was, i18n_lang(), sizeof(was));
	for (i = 0; i < n; i++) {
		if (i18n_set(langs[i]) < 0)
			i18n_set("en");
		own_words(w, v, out, sizeof(out));
		json_object_set_new(o, langs[i], json_string(out));
	}
	i18n_set(was);
	if (n > 1)
		return o;
	one = json_incref(json_object_get(o, c->lang));
	json_decref(o);
	return one;
}

/* yes/no columns: 1, 0, or -1 for anything else. */
static int yes_no(const char *v)
{
	if (!v || !*v || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	    !strcasecmp(v, "false()"))
		return 0;
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "true()"))
		return 1;
	return -1;
}

/* The choices of list name, as a question's "choices", or NULL with the error said. */
static json_t *choices_of(struct conv *c, const struct table *t, int have, const struct row *qr, const char *list)
{
	json_t *a = json_array();
	size_t i;

	if (have) {
		for (i = 0; i < t->nrows; i++) {
			const struct row *r = &t->rows[i];
			const char *ln = cell(t, r, "list_name"), *name = cell(t, r, "name");
			json_t *label;

			if (!ln || strcmp(ln, list))
				continue;
			if (!name) {
				json_decref(a);
				row_error(c, t, r, "name", _("a choice of list '%s' without a name"), list);
				return NULL;
			}
			if (list_copied(c, t, r, qr, list) < 0) {
				json_decref(a);
				return NULL;
			}
			label = text_of(c, t, r, "label");
			{
				json_t *ch = json_pack("{s:s, s:o}", "name", name, "label", label ? label : json_string(name));
				json_t *data = json_object();
				size_t k;

				/* The list's other columns, for choice_filter expressions (media columns aside). */
				for (k = 0; k < t->nhead; k++) {
					const struct head *h = &t->head[k];

					if (!r->v[k] || h->lang[0] || !strcmp(h->key, "list_name") || !strcmp(h->key, "name") ||
					    !strcmp(h->key, "label") || !strcmp(h->key, "image") || !strcmp(h->key, "audio") ||
					    !strcmp(h->key, "video") || !strcmp(h->key, "media"))
						continue;
					json_object_set_new(data, h->key, json_string(r->v[k]));
				}
				if (json_object_size(data))
					json_object_set_new(ch, "data", data);
				else
					json_decref(data);
				json_array_append_new(a, ch);
			}
		}
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		row_error(c, &c->survey, qr, "type", _("no choices of list '%s' in the %s sheet"), list,
			  t == &c->external ? "external_choices" : "choices");
		return NULL;
	}
	return a;
}

/* The rows of the osm sheet whose list_name is list, as {name, label} (the label a TEXT): NULL (and nothing
 * else) when there are none. */
static json_t *osm_rows(struct conv *c, const struct row *qr, const char *list, int *bad)
{
	json_t *a = NULL;
	size_t i;

	for (i = 0; c->has_osm && i < c->osm.nrows && !*bad; i++) {
		const struct row *r = &c->osm.rows[i];
		const char *ln = cell(&c->osm, r, "list_name"), *name = cell(&c->osm, r, "name");
		json_t *label;

		if (!ln || strcmp(ln, list))
			continue;
		if (!name) {
			*bad = row_error(c, &c->osm, r, "name", _("a row of list '%s' without a name"), list);
			break;
		}
		if ((*bad = list_copied(c, &c->osm, r, qr, list)) < 0)
			break;
		label = text_of(c, &c->osm, r, "label");
		if (!a)
			a = json_array();
		json_array_append_new(a, json_pack("{s:s, s:o}", "name", name, "label", label ? label : json_string(name)));
	}
	if (*bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* An osm question's tags: the osm sheet's rows of list, each with the values listed under its own name there
 * (as XLSForm has it: a tag "building" takes its values from the rows of list "building"). NULL with the error
 * said. */
static json_t *tags_of(struct conv *c, const struct row *qr, const char *list)
{
	int bad = 0;
	json_t *tags = osm_rows(c, qr, list, &bad), *t;
	size_t i;

	if (!tags) {
		if (!bad)
			row_error(c, &c->survey, qr, "type", _("no tags of list '%s' in the osm sheet"), list);
		return NULL;
	}
	json_array_foreach(tags, i, t) {
		json_t *vals = osm_rows(c, qr, json_string_value(json_object_get(t, "name")), &bad);

		if (bad) {
			json_decref(tags);
			return NULL;
		}
		if (vals)
			json_object_set_new(t, "choices", vals);
	}
	return tags;
}

/* --- The survey's rows ------------------------------------------------------------------------------------ */

/* The XLSForm types that are one Sondeo type each (selects and groups are read apart). */
static const struct {
	const char *xls, *type;
} plain_types[] = {
	{ "text", "text" }, { "string", "text" }, { "phone number", "text" }, { "trigger", "acknowledge" },
	{ "simserial", "simserial" }, { "subscriberid", "subscriberid" }, { "phonenumber", "phonenumber" },
	{ "email", "email" }, { "imei", "deviceid" }, { "barcode", "barcode" }, { "geotrace", "geotrace" },
	{ "geoshape", "geoshape" },
	{ "integer", "integer" }, { "int", "integer" }, { "decimal", "decimal" }, { "date", "date" },
	{ "time", "time" }, { "datetime", "dateTime" }, { "geopoint", "geopoint" }, { "acknowledge", "acknowledge" },
	{ "note", "note" }, { "calculate", "calculate" }, { "start", "start" }, { "end", "end" }, { "today", "today" },
	{ "deviceid", "deviceid" }, { "username", "username" },
	{ "image", "image" }, { "photo", "image" }, { "audio", "audio" }, { "video", "video" }, { "file", "file" },
	/* pyxform's other names for them (its question type dictionary and aliases) */
	{ "q string", "text" }, { "add text prompt", "text" }, { "q int", "integer" }, { "add integer prompt", "integer" },
	{ "q decimal", "decimal" }, { "add decimal prompt", "decimal" }, { "q date", "date" },
	{ "add date prompt", "date" }, { "add time prompt", "time" }, { "date time", "dateTime" },
	{ "q date time", "dateTime" }, { "q datetime", "dateTime" }, { "add date time prompt", "dateTime" },
	{ "add datetime prompt", "dateTime" }, { "gps", "geopoint" }, { "location", "geopoint" },
	{ "q geopoint", "geopoint" }, { "q location", "geopoint" }, { "add location prompt", "geopoint" },
	{ "q picture", "image" }, { "q image", "image" }, { "add image prompt", "image" },
	{ "add photo prompt", "image" }, { "q audio", "audio" }, { "add audio prompt", "audio" },
	{ "q video", "video" }, { "add video prompt", "video" }, { "add file prompt", "file" }, { "q note", "note" },
	{ "add note prompt", "note" }, { "q calculate", "calculate" }, { "add calculate prompt", "calculate" },
	{ "hidden", "calculate" }, { "q barcode", "barcode" }, { "add barcode prompt", "barcode" },
	{ "q acknowledge", "acknowledge" }, { "add acknowledge prompt", "acknowledge" }, { "start time", "start" },
	{ "get start time", "start" }, { "end time", "end" }, { "get end time", "end" }, { "get today", "today" },
	{ "device id", "deviceid" }, { "get device id", "deviceid" }, { "uri:deviceid", "deviceid" },
	{ "uri:username", "username" }, { "sim id", "simserial" }, { "get sim id", "simserial" },
	{ "uri:simserial", "simserial" }, { "subscriber id", "subscriberid" }, { "get subscriber id", "subscriberid" },
	{ "uri:subscriberid", "subscriberid" }, { "get phone number", "phonenumber" },
	{ "uri:phonenumber", "phonenumber" }, { "uri:email", "email" },
};

/* pyxform's whole numbers within bounds: an integer with its constraint. */
static const struct {
	const char *xls;
	int max;
} bounded_types[] = {
	{ "percentage", 100 }, { "number of days in last month", 31 }, { "number of days in last six months", 183 },
	{ "number of days in last year", 365 },
};

/* Types Sondeo refuses, with why. */
static const char *const background_types[] = { "background-audio", "background-video", NULL };
static const char *const later_types[] = { "audit", "xml-external", "csv-external", "start-geopoint",
					   "background-geopoint", NULL };

static int in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* A range question (a number from start to end, by step; XLSForm's defaults 1, 10, 1) as Sondeo has it: an
 * integer, or a decimal when a parameter has a fraction, whose constraint keeps it in range, and its "range". The parameters
 * cell holds "start=0 end=100 step=5" (spaces, commas or semicolons between). Sets q's type and constraint (and a
 * constraint_message when the row has none); -1 with the error said. */
static int range_question(struct conv *c, const struct row *row, json_t *q)
{
	const char *params = cell(&c->survey, row, "parameters"), *own = cell(&c->survey, row, "constraint");
	double v[3] = { 1, 10, 1 };
	static const char *const keys[3] = { "start", "end", "step" };
	char buf[256], cons[512], *tok, *save = NULL, *end;
	int decimal = 0;
	size_t k;

	if (strlcpy_s(buf, params ? params : "", sizeof(buf)) >= sizeof(buf))
		return row_error(c, &c->survey, row, "parameters", _("longer than %zu characters"), sizeof(buf) - 1);
	for (tok = strtok_r(buf, " ,;", &save); tok; tok = strtok_r(NULL, " ,;", &save)) {
		char *eq = strchr(tok, '=');

		for (k = 0; eq && k < 3; k++)
			if (strlen(keys[k]) == (size_t)(eq - tok) && !strncasecmp(tok, keys[k], strlen(keys[k])))
				break;
		if (!eq || k == 3)
			return row_error(c, &c->survey, row, "parameters",
					 _("'%s': a range takes start=, end= and step="), tok);
		v[k] = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || !isfinite(v[k]))
			return row_error(c, &c->survey, row, "parameters", _("'%s': %s is not a number"), tok, keys[k]);
		decimal |= strchr(eq + 1, '.') != NULL;
	}
	if (v[2] <= 0)
		return row_error(c, &c->survey, row, "parameters", _("step must be more than 0"));
	xlsform_range_constraint(v, decimal, own, cons, sizeof(cons));
	json_object_set_new(q, "type", json_string(decimal ? "decimal" : "integer"));
	json_object_set_new(q, "constraint", json_string(cons));
	/* Kept, so that a page shows a slider and the writer gives back a range. */
	json_object_set_new(q, "range", json_pack("{s:f, s:f, s:f}", "start", v[0], "end", v[1], "step", v[2]));
	if (!json_object_get(q, "constraint_message"))
		json_object_set_new(q, "constraint_message", own_text(c, v[2] != 1 ? OWN_RANGE_STEP : OWN_RANGE, v));
	return 0;
}

/* An attachment's cells: its parameters ("max-pixels=N" on an image; ODK's "quality" of a recording and "app" of
 * an Android app to capture with are taken and left: a laptop records with its browser), and "body::accept", the
 * media types and extensions the file picker offers, as pyxform passes it on (".pdf, application/msword").
 * -1 with the error said. */
static int media_question(struct conv *c, const struct row *row, json_t *q, const char *ft)
{
	int ac = col_of(&c->survey, "body", "accept");   /* "body::accept" reads as body in language "accept" */
	const char *params = cell(&c->survey, row, "parameters"), *acc = ac >= 0 ? row->v[ac] : NULL;
	char buf[512], *tok, *save = NULL, *end;
	json_t *list;

	if (strlcpy_s(buf, params ? params : "", sizeof(buf)) >= sizeof(buf))
		return row_error(c, &c->survey, row, "parameters", _("longer than %zu characters"), sizeof(buf) - 1);
	for (tok = strtok_r(buf, " ,;", &save); tok; tok = strtok_r(NULL, " ,;", &save)) {
		if (!strncasecmp(tok, "max-pixels=", 11) && !strcmp(ft, "image")) {
			long v = strtol(tok + 11, &end, 10);

			if (end == tok + 11 || *end || v < 1 || v > FORM_MAX_PIXELS)
				return row_error(c, &c->survey, row, "parameters",
						 _("'%s': max-pixels is a whole number from 1 to %d"), tok,
						 FORM_MAX_PIXELS);
			json_object_set_new(q, "max_pixels", json_integer(v));
		} else if (strncasecmp(tok, "quality=", 8) && strncasecmp(tok, "app=", 4)) {
			return row_error(c, &c->survey, row, "parameters",
					 !strcmp(ft, "image") ? _("'%s': an image takes max-pixels=N") :
								_("'%s': is not a parameter Sondeo knows for this type"),
					 tok);
		}
	}
	if (!acc)
		return 0;
	if (strlcpy_s(buf, acc, sizeof(buf)) >= sizeof(buf))
		return row_error(c, &c->survey, row, "body::accept", _("longer than %zu characters"), sizeof(buf) - 1);
	list = json_array();
	save = NULL;
	for (tok = strtok_r(buf, " ,;", &save); tok; tok = strtok_r(NULL, " ,;", &save))
		json_array_append_new(list, json_string(tok));
	if (json_array_size(list))
		json_object_set_new(q, "accept", list);
	else
		json_decref(list);
	return 0;
}

/* The parameters of a text, a select or rank, and a geopoint, geotrace or geoshape, as pyxform takes them: a text's
 * rows= (a whole number: a page's height, which a browser's text area has of its own), a select's randomize= and
 * seed= (Sondeo offers choices in the form's order, so randomize=true is refused), a geopoint's capture-accuracy=,
 * warning-accuracy= and allow-mock-accuracy= (ODK Collect's, for a phone's GPS, taken and left). Another parameter
 * is refused, as pyxform refuses it. -1 with the error said. */
static int params_check(struct conv *c, const struct row *row, const char *ft)
{
	static const struct {
		const char *type, *keys[4];
	} allowed[] = {
		{ "text", { "rows", NULL } },
		{ "select_one", { "randomize", "seed", NULL } },
		{ "select_multiple", { "randomize", "seed", NULL } },
		{ "rank", { "randomize", "seed", NULL } },
		{ "geopoint", { "capture-accuracy", "warning-accuracy", "allow-mock-accuracy", NULL } },
		{ "geotrace", { "allow-mock-accuracy", NULL } },
		{ "geoshape", { "allow-mock-accuracy", NULL } },
	};
	const char *params = cell(&c->survey, row, "parameters");
	char buf[512], *tok, *save = NULL, *end, *val, *seed = NULL;
	size_t k, i;

	for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && strcmp(ft, allowed[k].type); k++)
		;
	if (!params || k == sizeof(allowed) / sizeof(allowed[0]))
		return 0;
	if (strlcpy_s(buf, params, sizeof(buf)) >= sizeof(buf))
		return row_error(c, &c->survey, row, "parameters", _("longer than %zu characters"), sizeof(buf) - 1);
	for (tok = strtok_r(buf, " ,;", &save); tok; tok = strtok_r(NULL, " ,;", &save)) {
		if (!(val = strchr(tok, '=')))
			return row_error(c, &c->survey, row, "parameters", _("'%s': parameters are written name=value"),
					 tok);
		*val++ = '\0';
		for (i = 0; allowed[k].keys[i] && strcasecmp(tok, allowed[k].keys[i]); i++)
			;
		val[-1] = '=';
		if (!allowed[k].keys[i]) {
			if (k == 0)
				return row_error(c, &c->survey, row, "parameters", _("'%s': a text takes rows="), tok);
			if (k < 4)
				return row_error(c, &c->survey, row, "parameters",
						 _("'%s': a select takes randomize= and seed="), tok);
			if (k == 4)
				return row_error(c, &c->survey, row, "parameters",
						 _("'%s': a geopoint takes capture-accuracy=, warning-accuracy= and "
						   "allow-mock-accuracy="), tok);
			return row_error(c, &c->survey, row, "parameters", _("'%s': a %s takes allow-mock-accuracy="),
					 tok, ft);
		}
		if (!strncasecmp(tok, "rows=", 5) && (strtol(val, &end, 10), end == val || *end))
			return row_error(c, &c->survey, row, "parameters", _("'%s': rows is a whole number"), tok);
		if ((!strncasecmp(tok, "randomize=", 10) || !strncasecmp(tok, "allow-mock-accuracy=", 20)) &&
		    strcmp(val, "true") && strcmp(val, "false"))
			/* TRANSLATORS: the parameter as written ("randomize=yes"), then its name. */
			return row_error(c, &c->survey, row, "parameters", _("'%s': %.*s is true or false"), tok,
					 (int)(val - 1 - tok), tok);
		if (!strncasecmp(tok, "randomize=", 10) && !strcmp(val, "true"))
			return row_error(c, &c->survey, row, "parameters",
					 _("'%s': Sondeo offers choices in the form's order, the same in every interview"),
					 tok);
		if (strstr(tok, "-accuracy=") && strncasecmp(tok, "allow-", 6) && (strtod(val, &end), end == val || *end))
			/* TRANSLATORS: the parameter as written ("capture-accuracy=high"), then its name. */
			return row_error(c, &c->survey, row, "parameters", _("'%s': %.*s is a number"), tok,
					 (int)(val - 1 - tok), tok);
		if (!strncasecmp(tok, "seed=", 5))
			seed = tok;
	}
	/* randomize=true is refused above, so a seed has nothing to seed. */
	if (seed)
		return row_error(c, &c->survey, row, "parameters", _("'%s': a seed is for randomize=true"), seed);
	return 0;
}

/* The type cell, normalised: lower case, runs of spaces as one, "_" between words of the select forms. */
static void type_norm(const char *in, char *out, size_t n)
{
	size_t k = 0;
	int space = 0;

	for (; *in && k + 1 < n; in++) {
		if (isspace((unsigned char)*in)) {
			space = k > 0;
			continue;
		}
		if (space && k + 2 < n)
			out[k++] = ' ';
		space = 0;
		out[k++] = (char)tolower((unsigned char)*in);
	}
	out[k] = '\0';
}

/* A select type ("select_one L", "select one from L", "select all that apply L"...): 1 and *multiple and list
 * filled, 0 if it is not one. or_other says whether " or specify other" / " or_other" follows. */
static int select_type(const char *t, int *multiple, char *list, size_t n, int *or_other)
{
	static const struct {
		const char *prefix;
		int multiple;
	} forms[] = {
		{ "select_one_from ", 0 }, { "select_one ", 0 }, { "select one from ", 0 }, { "select one using ", 0 },
		{ "select one ", 0 }, { "select1 ", 0 }, { "add select one prompt using ", 0 },
		{ "select_multiple_from ", 1 }, { "select_multiple ", 1 }, { "select multiple from ", 1 },
		{ "select multiple using ", 1 }, { "select multiple ", 1 }, { "select all that apply from ", 1 },
		{ "select all that apply ", 1 }, { "select_all_that_apply ", 1 }, { "add select multiple prompt using ", 1 },
		{ "select_one_external ", 0 },
	};
	size_t i, len;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t p = strlen(forms[i].prefix);

		if (strncmp(t, forms[i].prefix, p))
			continue;
		*multiple = forms[i].multiple;
		strlcpy_s(list, t + p, n);
		len = strlen(list);
		*or_other = 0;
		if (len > 17 && !strcmp(list + len - 17, " or specify other")) {
			list[len - 17] = '\0';
			*or_other = 1;
		} else if (len > 9 && (!strcmp(list + len - 9, " or_other") || !strcmp(list + len - 9, " or other"))) {
			list[len - 9] = '\0';
			*or_other = 1;
		}
		return list[0] && !strchr(list, ' ');
	}
	return 0;
}

/* The groups and repeats open at a row of the survey, outermost first. */
struct nest {
	const char *groups[MAX_DEPTH];    /* their names */
	int repeats[MAX_DEPTH];           /* whether each is a repeat */
	unsigned group_row[MAX_DEPTH];    /* the row each begins in */
	size_t depth;
};

/* The group a question at this row is in: the innermost open, or NULL. */
static const char *nest_group(const struct nest *nest)
{
	return nest->depth ? nest->groups[nest->depth - 1] : NULL;
}

/* Notes that the group (when group) or question name, in group parent (or NULL), comes from row n, for locate to
 * name the row. */
static void where_add(struct conv *c, const char *name, const char *parent, int group, unsigned n)
{
	c->where = xrealloc(c->where, (c->nwhere + 1) * sizeof(*c->where));
	strlcpy_s(c->where[c->nwhere].name, name, sizeof(c->where[0].name));
	strlcpy_s(c->where[c->nwhere].parent, parent ? parent : "", sizeof(c->where[0].parent));
	c->where[c->nwhere].group = group;
	c->where[c->nwhere++].row = n;
}

/* The row of a question (!group) or group (group) called name in group parent (or NULL) so far, or 0. A question
 * and a group may share a name only in different groups: beside each other, pyxform refuses them, as their XForm
 * elements would have the same path (Sondeo would take the form, but not give it back to pyxform). */
static unsigned where_sibling(const struct conv *c, const char *name, const char *parent, int group)
{
	size_t i;

	for (i = 0; i < c->nwhere; i++)
		if (c->where[i].group == group && !strcmp(c->where[i].name, name) &&
		    !strcmp(c->where[i].parent, parent ? parent : ""))
			return c->where[i].row;
	return 0;
}

/* A begin group or begin repeat row: the group (in the one open, if any) put in c->groups, and opened. -1 with
 * the error said. */
static int group_begin(struct conv *c, struct nest *nest, const struct row *row, const char *name, int is_repeat)
{
	json_t *g, *v;
	unsigned other;

	if (nest->depth == MAX_DEPTH)
		return row_error(c, &c->survey, row, "type", _("groups nested more than %d deep"), MAX_DEPTH);
	if (!name) {
		if (is_repeat)
			row_error(c, &c->survey, row, "name", _("a repeat without a name"));
		else
			row_error(c, &c->survey, row, "name", _("a group without a name"));
		/* Kept open all the same, so that its end row matches it and says nothing more. */
		nest->groups[nest->depth] = "";
		nest->repeats[nest->depth] = is_repeat;
		nest->group_row[nest->depth++] = row->n;
		return -1;
	}
	if ((other = where_sibling(c, name, nest_group(nest), 0)))
		/* TRANSLATORS: a group's name, then the row of the question of the same name, in the same group. */
		row_error(c, &c->survey, row, "name", _("group '%s' is named as the question of row %u beside it"), name,
			  other);
	g = json_pack("{s:s}", "name", name);
	if (is_repeat)
		json_object_set_new(g, "repeat", json_true());
	if ((v = text_of(c, &c->survey, row, "label")))
		json_object_set_new(g, "label", v);
	if (cell(&c->survey, row, "relevant"))
		json_object_set_new(g, "relevant", json_string(cell(&c->survey, row, "relevant")));
	if (cell(&c->survey, row, "repeat_count"))
		json_object_set_new(g, "repeat_count", json_string(cell(&c->survey, row, "repeat_count")));
	if (cell(&c->survey, row, "appearance"))
		json_object_set_new(g, "appearance", json_string(cell(&c->survey, row, "appearance")));
	if (nest->depth)
		json_object_set_new(g, "group", json_string(nest->groups[nest->depth - 1]));
	json_array_append_new(c->groups, g);
	where_add(c, name, nest_group(nest), 1, row->n);
	nest->groups[nest->depth] = name;
	nest->repeats[nest->depth] = is_repeat;
	nest->group_row[nest->depth++] = row->n;
	return 0;
}

/* An end group or end repeat row (t, its type normalised): closes the innermost open one, which must be of the
 * same kind. -1 with the error said. */
static int group_end(struct conv *c, struct nest *nest, const struct row *row, const char *t)
{
	int ends_repeat = strstr(t, "repeat") != NULL;

	if (nest->depth == 0 && ends_repeat)
		/* TRANSLATORS: %s is the row's type ("end repeat"); "begin repeat" is a type, as written in the
		 * workbook. */
		return row_error(c, &c->survey, row, "type", _("%s without a begin repeat"), t);
	if (nest->depth == 0)
		/* TRANSLATORS: %s is the row's type ("end group"); "begin group" is a type, as written in the
		 * workbook. */
		return row_error(c, &c->survey, row, "type", _("%s without a begin group"), t);
	if (nest->repeats[nest->depth - 1] != ends_repeat && nest->repeats[nest->depth - 1])
		/* TRANSLATORS: %s is the row's type ("end group"), then the row where the repeat began. */
		return row_error(c, &c->survey, row, "type", _("%s, but the repeat begun in row %u is still open"), t,
				 nest->group_row[nest->depth - 1]);
	if (nest->repeats[nest->depth - 1] != ends_repeat)
		/* TRANSLATORS: %s is the row's type ("end repeat"), then the row where the group began. */
		return row_error(c, &c->survey, row, "type", _("%s, but the group begun in row %u is still open"), t,
				 nest->group_row[nest->depth - 1]);
	nest->depth--;
	return 0;
}

/* The Sondeo type of a question row (type as written, t normalised) into *ft; for a select, rank or osm, the list
 * it names into list[0..n), and for a select whether "or other" follows. -1 with the error said for a type
 * Sondeo refuses or does not know. */
static int question_type(struct conv *c, const struct row *row, const char *type, const char *t, const char **ft,
			 char *list, size_t n, int *or_other)
{
	char first[32];
	int multiple = 0;
	size_t k;

	*ft = NULL;
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(t, " "), t);
	if (in_list(first, background_types))
		return row_error(c, &c->survey, row, "type", _("'%s': Sondeo records nothing behind a form's back; ask "
							       "for a recording with an audio question, which the person "
							       "makes and gives"), type);
	if (in_list(t, later_types))
		return row_error(c, &c->survey, row, "type", _("type '%s' is not supported yet"), type);
	for (k = 0; k < sizeof(plain_types) / sizeof(plain_types[0]); k++)
		if (!strcmp(t, plain_types[k].xls))
			*ft = plain_types[k].type;
	if (!strcmp(t, "range"))
		*ft = "range";     /* an integer or a decimal: range_question says which */
	for (k = 0; k < sizeof(bounded_types) / sizeof(bounded_types[0]); k++)
		if (!strcmp(t, bounded_types[k].xls))
			*ft = "integer";   /* its bounds: survey_rows */
	if (!strncmp(t, "select_one_from_file ", 21) || !strncmp(t, "select_multiple_from_file ", 26))
		return row_error(c, &c->survey, row, "type",
				 _("'%s': choices from a file are not supported yet (put them on the choices sheet)"),
				 type);
	if (!*ft && select_type(t, &multiple, list, n, or_other)) {
		*ft = multiple ? "select_multiple" : "select_one";
	} else if (!*ft && !strncmp(t, "rank ", 5) && t[5] && !strchr(t + 5, ' ')) {
		/* "rank LIST": every choice of LIST, put in order */
		*ft = "rank";
		strlcpy_s(list, t + 5, n);
	} else if (!*ft && (!strcmp(t, "osm") || !strncmp(t, "osm ", 4))) {
		/* "osm TAGS": the feature, and the tags listed as TAGS on the osm sheet */
		*ft = "osm";
		strlcpy_s(list, t[3] ? t + 4 : "", n);
		if (strchr(list, ' '))
			return row_error(c, &c->survey, row, "type",
					 _("'%s': write osm and one list of tags, as in 'osm building_tags'"), type);
	} else if (!*ft) {
		return row_error(c, &c->survey, row, "type", _("unknown type '%s'"), type);
	}
	return 0;
}

/* A yes/no cell of the row (readonly, required) as a true member of q when yes. -1 with the error said when it is
 * neither. */
static int question_yes_no(struct conv *c, const struct row *row, json_t *q, const char *key)
{
	int yes = yes_no(cell(&c->survey, row, key));

	if (yes < 0)
		return row_error(c, &c->survey, row, key, _("'%s' is not yes or no"), cell(&c->survey, row, key));
	if (yes)
		json_object_set_new(q, key, json_true());
	return 0;
}

/* Whether questions of Sondeo type ft fill themselves in (a calculate, the metadata): they are never shown, so
 * need no label. */
static int fills_itself(const char *ft)
{
	static const char *const types[] = { "calculate", "start", "end", "today", "deviceid", "username", "simserial",
					     "subscriberid", "phonenumber", "email", NULL };

	return in_list(ft, types);
}

/* Whether the row has a text under key, in any language. */
static int has_text(const struct table *t, const struct row *r, const char *key)
{
	size_t i;

	for (i = 0; i < t->nhead; i++)
		if (r->v[i] && !strcmp(t->head[i].key, key))
			return 1;
	return 0;
}

/* The row's cells as the members of question q (of Sondeo type ft, in group, or NULL), in the order a definition
 * has them: the label (the name when there is none, but for the types that fill themselves in), choice_filter,
 * calculation, readonly, hint, the messages, required, relevant, group, constraint. -1 with the error said. */
static int question_cells(struct conv *c, const struct row *row, json_t *q, const char *ft, const char *name,
			  const char *group)
{
	int automatic = fills_itself(ft);
	json_t *v;

	if ((v = text_of(c, &c->survey, row, "label")))
		json_object_set_new(q, "label", v);
	else if (!automatic)
		json_object_set_new(q, "label", json_string(name));
	if (cell(&c->survey, row, "choice_filter"))
		json_object_set_new(q, "choice_filter", json_string(cell(&c->survey, row, "choice_filter")));
	if (cell(&c->survey, row, "appearance"))
		json_object_set_new(q, "appearance", json_string(cell(&c->survey, row, "appearance")));
	if (cell(&c->survey, row, "calculation"))
		json_object_set_new(q, "calculation", json_string(cell(&c->survey, row, "calculation")));
	if (question_yes_no(c, row, q, "readonly") < 0)
		return -1;
	if ((v = text_of(c, &c->survey, row, "hint")))
		json_object_set_new(q, "hint", v);
	if ((v = text_of(c, &c->survey, row, "required_message")))
		json_object_set_new(q, "required_message", v);
	if ((v = text_of(c, &c->survey, row, "constraint_message")))
		json_object_set_new(q, "constraint_message", v);
	if (question_yes_no(c, row, q, "required") < 0)
		return -1;
	if (cell(&c->survey, row, "relevant"))
		json_object_set_new(q, "relevant", json_string(cell(&c->survey, row, "relevant")));
	if (group)
		json_object_set_new(q, "group", json_string(group));
	if (cell(&c->survey, row, "constraint"))
		json_object_set_new(q, "constraint", json_string(cell(&c->survey, row, "constraint")));
	return 0;
}

/* A bounded whole number (percentage...) keeps within its bounds, as pyxform's constraint does, unless the row
 * gives its own. */
static void bounded(const char *t, json_t *q)
{
	char expr[48];
	size_t k;

	for (k = 0; k < sizeof(bounded_types) / sizeof(bounded_types[0]); k++)
		if (!strcmp(t, bounded_types[k].xls) && !json_object_get(q, "constraint")) {
			snprintf(expr, sizeof(expr), "0 <= . and . <= %d", bounded_types[k].max);
			json_object_set_new(q, "constraint", json_string(expr));
		}
}

/* The row's default, if any, as q's. A default in XLSForm is a value, or an expression when it calls a function
 * or names a question; Sondeo's is always an expression, so a plain text value becomes a quoted one. */
static void question_default(struct conv *c, const struct row *row, json_t *q)
{
	const char *d = cell(&c->survey, row, "default");
	char *end, quoted[FORM_MAX_DEFAULT];
	size_t dl;

	if (!d)
		return;
	dl = strlen(d);
	if (strchr(d, '(') || strstr(d, "${") || (strtod(d, &end), !*end) ||
	    (dl >= 2 && (d[0] == '\'' || d[0] == '"') && d[dl - 1] == d[0]))
		json_object_set_new(q, "default", json_string(d));
	else {
		snprintf(quoted, sizeof(quoted), strchr(d, '\'') ? "\"%s\"" : "'%s'", d);
		json_object_set_new(q, "default", json_string(quoted));
	}
}

/* The lists question q (of Sondeo type ft, t as normalised) takes from the other sheets: a select's or a rank's
 * choices (with "other" at the end when or_other), an osm question's tags. -1 with the error said. */
static int question_lists(struct conv *c, const struct row *row, json_t *q, const char *ft, const char *t,
			  const char *list, int or_other)
{
	if ((ft[0] == 's' && ft[1] == 'e') || !strcmp(ft, "rank")) {
		/* select_one_external takes its list from the external_choices sheet. */
		int ext = !strncmp(t, "select_one_external ", 20);
		json_t *ch = ext ? choices_of(c, &c->external, c->has_external, row, list) :
				   choices_of(c, &c->choices, c->has_choices, row, list);

		if (!ch)
			return -1;
		/* "or specify other", as XLSForm tools make it: a choice "other", and a text question NAME_other
		 * asked when it is chosen (other_question). */
		if (or_other)
			json_array_append_new(ch, json_pack("{s:s, s:o}", "name", "other", "label", own_text(c, OWN_OTHER, NULL)));
		json_object_set_new(q, "choices", ch);
	}
	if (!strcmp(ft, "osm") && list[0]) {
		json_t *tags = tags_of(c, row, list);

		if (!tags)
			return -1;
		json_object_set_new(q, "tags", tags);
	}
	return 0;
}

/* The text question NAME_other (in group, or NULL) that "select_one LIST or specify other" adds after question
 * name, asked when "other" is chosen. */
static void other_question(struct conv *c, const struct row *row, const char *name, const char *group)
{
	char other[MERGE_MAX_NAME + 16], cond[MERGE_MAX_NAME + 40];
	json_t *oq;

	snprintf(other, sizeof(other), "%s_other", name);
	snprintf(cond, sizeof(cond), "selected(${%s}, 'other')", name);
	oq = json_pack("{s:s, s:s, s:o, s:s}", "name", other, "type", "text", "label",
		       own_text(c, OWN_SPECIFY_OTHER, NULL), "relevant", cond);
	if (group)
		json_object_set_new(oq, "group", json_string(group));
	json_array_append_new(c->questions, oq);
	where_add(c, other, group, 0, row->n);
}

/* The survey's rows, in order, into c->groups and c->questions: a begin or end row opens or closes a group or
 * repeat, any other row with a type is a question. -1 with the error said. */
/* A begin or end row of a group, a repeat or a loop, as pyxform reads them ("begin group", "begin_repeat",
 * "begin looped group", "begin loop over LIST", "end lgroup"...): 1 for a begin, 2 for an end, with its kind (0
 * group, 1 repeat, 2 loop) and, for a loop's begin, its list; 0 when t is not one. */
static int control_of(const char *t, int *kind, char *list, size_t n)
{
	static const struct {
		const char *word;
		int kind;
	} kinds[] = { { "group", 0 }, { "repeat", 1 }, { "lgroup", 1 }, { "looped group", 1 }, { "loop", 2 } };
	int end = !strncmp(t, "end", 3);
	const char *p = t + (end ? 3 : 5);
	size_t i, w;

	list[0] = '\0';
	if ((!end && strncmp(t, "begin", 5)) || (*p != ' ' && *p != '_'))
		return 0;
	p++;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		w = strlen(kinds[i].word);
		if (strncmp(p, kinds[i].word, w) || (p[w] && p[w] != ' '))
			continue;
		*kind = kinds[i].kind;
		p += w;
		if (!*p)
			return end ? 2 : 1;
		if (end || kinds[i].kind != 2)
			return 0;
		p += !strncmp(p, " over ", 6) ? 6 : 1;
		strlcpy_s(list, p, n);
		return list[0] && !strchr(list, ' ') ? 1 : 0;
	}
	return 0;
}

/* One pass of a loop: its choice, and the names its rows define, which take the choice's name after theirs. */
struct loop {
	const char *list, *choice;
	const struct row *choice_row;     /* in c->choices */
	char **names;
	size_t nnames;
};

/* The choice's label in lang (or the plain label, or its name), for a loop row's %(label)s. */
static const char *loop_label(struct conv *c, const struct loop *l, const char *lang)
{
	size_t i;
	const char *plain = NULL;

	for (i = 0; i < c->choices.nhead; i++) {
		if (strcmp(c->choices.head[i].key, "label") || !l->choice_row->v[i])
			continue;
		if (!strcmp(c->choices.head[i].lang, lang))
			return l->choice_row->v[i];
		if (!c->choices.head[i].lang[0] || !strcmp(c->choices.head[i].lang, c->lang))
			plain = l->choice_row->v[i];
	}
	return plain ? plain : l->choice;
}

/* text with a loop's pass put in: %(name)s and %(label)s as pyxform has them, and each ${NAME} of a row of the
 * loop as ${NAME_CHOICE}. A new string. */
static char *loop_text(struct conv *c, const struct loop *l, const char *text, const char *lang)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	const char *p = text;
	size_t k;

	while (*p) {
		if (!strncmp(p, "%(name)s", 8)) {
			buf_adds(&b, l->choice);
			p += 8;
		} else if (!strncmp(p, "%(label)s", 9)) {
			buf_adds(&b, loop_label(c, l, lang));
			p += 9;
		} else if (!strncmp(p, "${", 2) && strchr(p, '}')) {
			size_t n = (size_t)(strchr(p, '}') - p - 2);

			buf_add(&b, p, n + 2);
			for (k = 0; k < l->nnames; k++)
				if (strlen(l->names[k]) == n && !strncmp(p + 2, l->names[k], n))
					buf_printf(&b, "_%s", l->choice);
			buf_addc(&b, '}');
			p += n + 3;
		} else {
			buf_addc(&b, *p++);
		}
	}
	return buf_detach(&b, NULL);
}

/* A copy of row r for a pass of loop l (free it with row_free): its name with the choice's after it, its texts
 * as loop_text makes them. */
static struct row *loop_row(struct conv *c, const struct loop *l, const struct row *r)
{
	struct row *copy = xcalloc(1, sizeof(*copy));
	size_t i;

	copy->n = r->n;
	copy->v = xcalloc(c->survey.nhead, sizeof(char *));
	for (i = 0; i < c->survey.nhead; i++) {
		const struct head *h = &c->survey.head[i];

		if (!r->v[i])
			continue;
		if (!strcmp(h->key, "name")) {
			size_t n = strlen(r->v[i]) + strlen(l->choice) + 2;

			copy->v[i] = xmalloc(n);
			snprintf(copy->v[i], n, "%s_%s", r->v[i], l->choice);
		} else if (!strcmp(h->key, "type")) {
			copy->v[i] = xstrdup(r->v[i]);
		} else {
			copy->v[i] = loop_text(c, l, r->v[i], h->lang[0] ? h->lang : c->lang);
		}
	}
	return copy;
}

static void row_free(const struct conv *c, struct row *r)
{
	size_t i;

	for (i = 0; i < c->survey.nhead; i++)
		free(r->v[i]);
	free(r->v);
	free(r);
}

static int row_read(struct conv *c, struct nest *nest, const struct row *row);

/* A loop (begin loop over LIST at row i, its end at row end): its rows once for each choice of LIST, in a group
 * of its own inside the loop's group, as pyxform makes it; names take the choice's name after theirs
 * (price_maize), and references to them within the pass follow. */
static void loop_read(struct conv *c, struct nest *nest, size_t i, size_t end, const char *list)
{
	const struct row *begin = &c->survey.rows[i];
	const char *name = cell(&c->survey, begin, "name");
	struct loop l = { list, NULL, NULL, NULL, 0 };
	size_t k, passes = 0;

	if (!c->has_choices) {
		row_error(c, &c->survey, begin, "type", _("loop over list '%s': there is no choices sheet"), list);
		return;
	}
	if (!name) {
		row_error(c, &c->survey, begin, "name", _("a loop without a name"));
		return;
	}
	if (group_begin(c, nest, begin, name, 0) < 0)
		return;
	for (k = i + 1; k < end; k++) {
		const char *n = cell(&c->survey, &c->survey.rows[k], "name");

		if (n) {
			l.names = xrealloc(l.names, (l.nnames + 1) * sizeof(*l.names));
			l.names[l.nnames++] = (char *)n;
		}
	}
	for (k = 0; k < c->choices.nrows; k++) {
		const struct row *cr = &c->choices.rows[k];
		char gname[2 * MERGE_MAX_NAME + 2];
		struct row *g;
		size_t j, ni = (size_t)col_of(&c->survey, "name", NULL);

		if (!cell(&c->choices, cr, "list_name") || strcmp(cell(&c->choices, cr, "list_name"), list) ||
		    !cell(&c->choices, cr, "name"))
			continue;
		l.choice = cell(&c->choices, cr, "name");
		l.choice_row = cr;
		passes++;
		/* The pass's group: the loop's name and the choice's, labelled with the choice's label. */
		g = xcalloc(1, sizeof(*g));
		g->n = begin->n;
		g->v = xcalloc(c->survey.nhead, sizeof(char *));
		snprintf(gname, sizeof(gname), "%s_%s", name ? name : "loop", l.choice);
		g->v[ni] = xstrdup(gname);
		for (j = 0; j < c->survey.nhead; j++)
			if (!strcmp(c->survey.head[j].key, "label"))
				g->v[j] = xstrdup(loop_label(c, &l, c->survey.head[j].lang[0] ? c->survey.head[j].lang : c->lang));
		group_begin(c, nest, g, g->v[ni], 0);
		for (j = i + 1; j < end; j++) {
			struct row *copy = loop_row(c, &l, &c->survey.rows[j]);

			row_read(c, nest, copy);
			/* The copies' names are kept by the groups and questions made of them: the rows go with the
			 * conversion (c->loop_rows). */
			c->loop_rows = xrealloc(c->loop_rows, (c->nloop_rows + 1) * sizeof(*c->loop_rows));
			c->loop_rows[c->nloop_rows++] = copy;
		}
		group_end(c, nest, g, "end group");
		c->loop_rows = xrealloc(c->loop_rows, (c->nloop_rows + 1) * sizeof(*c->loop_rows));
		c->loop_rows[c->nloop_rows++] = g;
	}
	free(l.names);
	if (!passes)
		row_error(c, &c->survey, begin, "type", _("loop over list '%s': the list has no choices"), list);
	group_end(c, nest, begin, "end group");
}

/* One row of the survey: a group's begin or end, or a question, put in c->questions (or its problems said).
 * -1 when it has a problem. */
static int row_read(struct conv *c, struct nest *nest, const struct row *row)
{
	const char *type = cell(&c->survey, row, "type"), *name = cell(&c->survey, row, "name");
	char t[160], list[128] = "", note_name[48];
	const char *ft;
	int or_other = 0, kind = 0, ctl;
	unsigned other;
	json_t *q;

	if (!type) {
		if (name)
			return row_error(c, &c->survey, row, "type", _("question '%s' has no type"), name);
		/* A row with neither a name nor a label is a comment, as in pyxform. */
		if (has_text(&c->survey, row, "label"))
			return row_error(c, &c->survey, row, "label",
					 _("a label without a type: give the row its type, or leave the row empty"));
		return 0;
	}
	type_norm(type, t, sizeof(t));
	ctl = control_of(t, &kind, list, sizeof(list));
	if (cell(&c->survey, row, "repeat_count") && !(ctl == 1 && kind == 1))
		row_error(c, &c->survey, row, "repeat_count", _("a repeat_count is for a begin repeat row"));
	if (ctl == 1 && kind == 2)
		return row_error(c, &c->survey, row, "type", _("a loop inside a loop: Sondeo repeats one list at a time"));
	if (ctl == 1)
		return group_begin(c, nest, row, name, kind == 1);
	if (ctl == 2)
		return group_end(c, nest, row, kind == 1 ? "end repeat" : "end group");
	/* A row's problem is said, and the next rows are read all the same, so that every one is said. */
	if (question_type(c, row, type, t, &ft, list, sizeof(list), &or_other) < 0)
		return -1;
	/* A note needs no name: pyxform gives it one after its row. */
	if (!name && !strcmp(ft, "note")) {
		snprintf(note_name, sizeof(note_name), "generated_note_name_%u", row->n);
		name = note_name;
	}
	if (!name)
		return row_error(c, &c->survey, row, "name", _("a question of type %s without a name"), ft);
	if ((other = where_sibling(c, name, nest_group(nest), 1)))
		/* TRANSLATORS: a question's name, then the row of the group of the same name, in the same group. */
		row_error(c, &c->survey, row, "name", _("question '%s' is named as the group of row %u beside it"), name,
			  other);
	/* Shown with nothing to say what it asks, which pyxform refuses; an image, audio or video column may stand
	 * for the label there, and a question worked out by the device is not shown. Said, and the row read on. */
	if (!fills_itself(ft) && !cell(&c->survey, row, "calculation") && !has_text(&c->survey, row, "label") &&
	    !has_text(&c->survey, row, "hint") && !has_text(&c->survey, row, "media") &&
	    !has_text(&c->survey, row, "image") && !has_text(&c->survey, row, "big-image") &&
	    !has_text(&c->survey, row, "audio") && !has_text(&c->survey, row, "video"))
		row_error(c, &c->survey, row, "label",
			  _("question '%s' has no label and no hint: it would be asked with nothing to say what"), name);
	/* pyxform's trigger column: the row's calculation (or default) set when another question changes, and then
	 * kept; taking the row without it would change when its value is made. */
	if (cell(&c->survey, row, "trigger"))
		row_error(c, &c->survey, row, "trigger",
			  _("a trigger sets a value when another question changes, which Sondeo does not do yet: a "
			    "calculation is worked out again after every answer"));
	if (or_other && cell(&c->survey, row, "choice_filter"))
		return row_error(c, &c->survey, row, "choice_filter",
				 _("or_other with a choice_filter: the choice 'other' it adds has no column to filter on; "
				   "put 'other' in the list instead"));
	/* Said here with the rows' other problems, rather than by form_load once they are all mended. */
	if (!strcmp(ft, "calculate") && !cell(&c->survey, row, "calculation") && !cell(&c->survey, row, "default"))
		return row_error(c, &c->survey, row, "calculation",
				 _("a calculate question needs a calculation, or a default it takes once"));
	q = json_pack("{s:s, s:s}", "name", name, "type", ft);
	if (question_cells(c, row, q, ft, name, nest_group(nest)) < 0 || params_check(c, row, ft) < 0 ||
	    (!strcmp(ft, "range") && range_question(c, row, q) < 0) ||
	    ((!strcmp(ft, "image") || !strcmp(ft, "audio") || !strcmp(ft, "video") || !strcmp(ft, "file")) &&
	     media_question(c, row, q, ft) < 0)) {
		json_decref(q);
		return -1;
	}
	question_default(c, row, q);
	bounded(t, q);
	if (question_lists(c, row, q, ft, t, list, or_other) < 0) {
		json_decref(q);
		return -1;
	}
	json_array_append_new(c->questions, q);
	where_add(c, name, nest_group(nest), 0, row->n);
	if (or_other)
		other_question(c, row, name, nest_group(nest));
	return 0;
}

/* The end row of the loop begun at row i: the next end loop at the same depth of begins and ends. */
static size_t loop_end(struct conv *c, size_t i)
{
	int depth = 0, kind;
	size_t k;
	char t[160], list[128];

	for (k = i; k < c->survey.nrows; k++) {
		const char *type = cell(&c->survey, &c->survey.rows[k], "type");
		int ctl;

		if (!type)
			continue;
		type_norm(type, t, sizeof(t));
		ctl = control_of(t, &kind, list, sizeof(list));
		depth += ctl == 1 ? 1 : ctl == 2 ? -1 : 0;
		if (ctl == 2 && depth == 0)
			return kind == 2 ? k : (size_t)-1;
	}
	return (size_t)-1;
}

/* Leaves out the survey's rows whose disabled column says yes, as pyxform does (the column is older than relevant,
 * and turns a row off while the form is made). */
static void survey_enabled(struct conv *c)
{
	size_t i, k, n = 0;

	for (i = 0; i < c->survey.nrows; i++) {
		struct row *r = &c->survey.rows[i];

		if (yes_no(cell(&c->survey, r, "disabled")) == 1) {
			for (k = 0; k < c->survey.nhead; k++)
				free(r->v[k]);
			free(r->v);
			continue;
		}
		c->survey.rows[n++] = *r;
	}
	c->survey.nrows = n;
}

static int survey_rows(struct conv *c)
{
	struct nest nest;
	size_t i;

	survey_enabled(c);
	memset(&nest, 0, sizeof(nest));
	for (i = 0; i < c->survey.nrows; i++) {
		const struct row *row = &c->survey.rows[i];
		const char *type = cell(&c->survey, row, "type");
		char t[160], list[128];
		int kind = 0;

		if (type) {
			type_norm(type, t, sizeof(t));
			if (control_of(t, &kind, list, sizeof(list)) == 1 && kind == 2) {
				size_t end = loop_end(c, i);

				if (end == (size_t)-1) {
					row_error(c, &c->survey, row, "type", _("begin loop without its end loop"));
					continue;
				}
				loop_read(c, &nest, i, end, list);
				i = end;
				continue;
			}
		}
		row_read(c, &nest, row);
	}
	if (nest.depth && nest.repeats[nest.depth - 1])
		/* TRANSLATORS: "begin repeat" and "end repeat" are types, as written in the workbook. */
		return problem(c, _("sheet '%s', row %u: begin repeat without an end repeat"), c->survey.sheet,
			       nest.group_row[nest.depth - 1]);
	if (nest.depth)
		/* TRANSLATORS: "begin group" and "end group" are types, as written in the workbook. */
		return problem(c, _("sheet '%s', row %u: begin group without an end group"), c->survey.sheet,
			       nest.group_row[nest.depth - 1]);
	if (json_array_size(c->questions) == 0 && !c->nproblems)
		return problem(c, _("sheet '%s': no questions"), c->survey.sheet);
	return c->nproblems ? -1 : 0;
}

/* Where msg names a thing as fmt does (form.c's "question '%s'", in this thread's language): the name's start,
 * and *end its end; NULL if it names none. */
static const char *named(const char *msg, const char *fmt, const char **end)
{
	const char *hole = strstr(fmt, "%s"), *at;
	char pre[64];

	if (!hole || (size_t)(hole - fmt) >= sizeof(pre) || hole == fmt || !hole[2])
		return NULL;
	memcpy(pre, fmt, (size_t)(hole - fmt));
	pre[hole - fmt] = '\0';
	if (!(at = strstr(msg, pre)))
		return NULL;
	at += hole - fmt;
	*end = strstr(at, hole + 2);
	return *end ? at : NULL;
}

/* Puts the row of the question form_load names ("question 'x': ...") before its message. */
static void locate(struct conv *c, const char *msg)
{
	const char *pe = NULL, *ge = NULL, *e = NULL;
	const char *p = named(msg, _("question '%s'"), &pe), *q = p, *g = named(msg, _("group '%s'"), &ge);
	size_t i;

	/* The one the message is about comes first: "group 'r': repeat_count names unknown question 'x'". */
	e = pe;
	if (g && (!p || g < p)) {
		q = g;
		e = ge;
	}
	if (q) {
		char name[MERGE_MAX_NAME + 1];

		if (e && (size_t)(e - q) < sizeof(name)) {
			memcpy(name, q, (size_t)(e - q));
			name[e - q] = '\0';
			/* The last row of that name: for a name that appears twice, the second is the one to change. */
			for (i = c->nwhere; i-- > 0;) {
				if (!strcmp(c->where[i].name, name)) {
					errf(c->err, c->errlen, _("sheet '%s', row %u: %s"), c->survey.sheet,
					     c->where[i].row, msg);
					return;
				}
			}
		}
	}
	errf(c->err, c->errlen, "%s", msg);
}

/* The settings' first row: id, title, version, default language, what names a record (instance_name). */
static int settings(struct conv *c, json_t *form, const char *fallback_id)
{
	const struct row *r = c->has_settings && c->settings.nrows ? &c->settings.rows[0] : NULL;
	const char *v;
	json_t *title;

	c->lang[0] = '\0';
	if (r && (v = cell(&c->settings, r, "default_language")))
		xlsform_lang_code(v, c->lang, sizeof(c->lang));
	if (!c->lang[0])
		strlcpy_s(c->lang, "en", sizeof(c->lang));
	/* form_id, else pyxform's own name for it, id_string (form_id wins when both are there, as in pyxform). */
	if (!r || (!(v = cell(&c->settings, r, "form_id")) && !(v = cell(&c->settings, r, "id_string"))))
		v = fallback_id;
	json_object_set_new(form, "id", json_string(v));
	json_object_set_new(form, "version", json_string(r && (v = cell(&c->settings, r, "version")) ? v : "1"));
	json_object_set_new(form, "default_language", json_string(c->lang));
	if (r && (title = text_of(c, &c->settings, r, "form_title")))
		json_object_set_new(form, "title", title);
	/* The title in every language, where Sondeo wrote it beside pyxform's one form_title. */
	if (c->has_titles && c->titles.nrows && (title = text_of(c, &c->titles, &c->titles.rows[0], "form_title")))
		json_object_set_new(form, "title", title);
	/* Taken when it is an expression Sondeo reads; pyxform's samples also hold bare XPath paths there, which
	 * name nothing in a record, so a workbook that imported before still does (its records are then named by
	 * their first questions). */
	if (r && (v = cell(&c->settings, r, "instance_name"))) {
		struct expr *e = expr_parse(v, NULL, 0);

		if (e)
			json_object_set_new(form, "instance_name", json_string(v));
		expr_free(e);
	}
	if (r && (v = cell(&c->settings, r, "allow_choice_duplicates"))) {
		int yes = yes_no(v);

		if (yes < 0)
			return row_error(c, &c->settings, r, "allow_choice_duplicates", _("'%s' is not yes or no"), v);
		if (yes)
			json_object_set_new(form, "allow_choice_duplicates", json_true());
	}
	return 0;
}

/* The sheets a workbook's form is read from, by their index in it ((size_t)-1: there is none). */
struct sheets {
	size_t survey, choices, settings, external, osm, titles;
};

/* Finds the sheets by name, in any case. A workbook of one sheet is its survey, whatever the sheet is called. */
static void sheets_find(struct xlsx *x, struct sheets *s)
{
	size_t i;

	s->survey = s->choices = s->settings = s->external = s->osm = s->titles = (size_t)-1;
	for (i = 0; i < xlsx_sheet_count(x); i++) {
		const char *n = xlsx_sheet_name(x, i);

		if (!strcasecmp(n, "survey"))
			s->survey = i;
		else if (!strcasecmp(n, "choices"))
			s->choices = i;
		else if (!strcasecmp(n, "settings"))
			s->settings = i;
		else if (!strcasecmp(n, "external_choices"))
			s->external = i;
		else if (!strcasecmp(n, "osm"))
			s->osm = i;
		else if (!strcasecmp(n, "sondeo_settings"))
			s->titles = i;
	}
	if (s->survey == (size_t)-1 && xlsx_sheet_count(x) == 1)
		s->survey = 0;
}

/* Reads sheet i of x, if there is one ((size_t)-1: none), a sheet of that kind, into t and sets *has. -1 with the
 * error said. */
static int sheet_read_if(struct conv *c, struct xlsx *x, size_t i, enum sheet_kind kind, struct table *t, int *has)
{
	if (i == (size_t)-1)
		return 0;
	if (table_read(x, i, kind, t, c->err, c->errlen) < 0)
		return -1;
	*has = 1;
	return 0;
}

/* Reads the sheets found into c's tables: the survey, which must be there with a type column, and each of the
 * others there is. -1 with the error said. */
static int sheets_read(struct conv *c, struct xlsx *x, const struct sheets *s)
{
	if (s->survey == (size_t)-1)
		return errf(c->err, c->errlen, _("the workbook has no sheet called survey"));
	if (table_read(x, s->survey, SHEET_SURVEY, &c->survey, c->err, c->errlen) < 0)
		return -1;
	if (col_of(&c->survey, "type", NULL) < 0)
		return errf(c->err, c->errlen, _("sheet '%s': no column called type in its first row"),
			    c->survey.sheet);
	if (sheet_read_if(c, x, s->choices, SHEET_LIST, &c->choices, &c->has_choices) < 0 ||
	    sheet_read_if(c, x, s->settings, SHEET_SETTINGS, &c->settings, &c->has_settings) < 0 ||
	    sheet_read_if(c, x, s->external, SHEET_LIST, &c->external, &c->has_external) < 0 ||
	    sheet_read_if(c, x, s->osm, SHEET_LIST, &c->osm, &c->has_osm) < 0 ||
	    sheet_read_if(c, x, s->titles, SHEET_SETTINGS, &c->titles, &c->has_titles) < 0)
		return -1;
	return 0;
}

/* The definition form as JSON text, checked as any form is (form_load's messages get the row they are about),
 * appended to out. -1 with the error said. */
static int definition_out(struct conv *c, const json_t *form, struct buf *out)
{
	struct form *f = NULL;
	char *text, msg[600];
	int r = -1;

	if (!(text = json_dumps(form, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		return errf(c->err, c->errlen, _("out of memory"));
	if (!(f = form_load(text, strlen(text), msg, sizeof(msg))))
		locate(c, msg);
	else if (buf_adds(out, text) < 0)
		errf(c->err, c->errlen, _("the form is larger than %zu MiB"), MAX_FORM_JSON >> 20);
	else
		r = 0;
	form_free(f);
	free(text);
	return r;
}

/* Frees what c holds. */
/* Puts every problem in c->err: one as it is; several counted, a line each, as many as fit, and how many more. */
static void problems_said(struct conv *c)
{
	const char *p = c->problems.data, *next;
	unsigned shown = 0;
	size_t len;

	if (c->nproblems < 2 || !p || !c->errlen)
		return;
	/* TRANSLATORS: the number of problems found in a workbook; each follows on a line of its own. */
	snprintf(c->err, c->errlen, P_("%u problem:", "%u problems:", c->nproblems), c->nproblems);
	len = strlen(c->err);
	for (; *p; p = next, shown++) {
		size_t n;

		next = strchr(p + 1, '\n');
		next = next ? next : p + strlen(p);
		n = (size_t)(next - p);
		/* Room kept for the last line, saying how many are left out. */
		if (len + n + 64 >= c->errlen)
			break;
		memcpy(c->err + len, p, n);
		len += n;
		c->err[len] = '\0';
	}
	if (shown < c->nproblems)
		/* TRANSLATORS: after the problems of a workbook that fit in the message: how many more it has. */
		snprintf(c->err + len, c->errlen - len, _("\n  (and %u more)"), c->nproblems - shown);
}

static void conv_release(struct conv *c)
{
	size_t i;

	for (i = 0; i < c->nloop_rows; i++)
		row_free(c, c->loop_rows[i]);
	free(c->loop_rows);
	buf_release(&c->problems);
	json_decref(c->questions);
	json_decref(c->groups);
	free(c->where);
	table_free(&c->survey);
	table_free(&c->choices);
	table_free(&c->settings);
	table_free(&c->external);
	table_free(&c->osm);
	table_free(&c->titles);
}

/* The workbook's sheets read, then the settings and the survey's rows made into a definition, which is checked. */
int xlsform_convert(const void *data, size_t len, const char *fallback_id, struct buf *out, char *err,
		    size_t errlen)
{
	struct conv c;
	struct sheets s;
	struct xlsx *x = xlsx_open_mem(data, len, err, errlen);
	json_t *form = NULL;
	int r = -1;

	if (!x)
		return -1;
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errlen = errlen;
	buf_init(&c.problems, (size_t)1 << 20);
	sheets_find(x, &s);
	if (sheets_read(&c, x, &s) < 0)
		goto out;
	form = json_object();
	c.questions = json_array();
	c.groups = json_array();
	settings(&c, form, fallback_id);
	survey_rows(&c);
	if (c.nproblems) {
		problems_said(&c);
		goto out;
	}
	if (json_array_size(c.groups))
		json_object_set(form, "groups", c.groups);
	json_object_set(form, "questions", c.questions);
	r = definition_out(&c, form, out);
out:
	json_decref(form);
	conv_release(&c);
	xlsx_close(x);
	return r;
}

int xlsform_read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(XLSX_MAX_FILE);
	char id[MERGE_MAX_NAME + 1], e2[XLSFORM_ERR_MAX];
	const char *base = strrchr(path, '/');
	size_t k = 0;
	int r;

	if (buf_read_file(&b, path) < 0) {
		if (errno == EFBIG)
			errf(err, errlen, _("cannot read '%s': larger than %zu MiB"), path, XLSX_MAX_FILE >> 20);
		else
			errf(err, errlen, _("cannot read '%s': %s"), path, strerror(errno));
		buf_release(&b);
		return -1;
	}
	if ((b.len < 4 || memcmp(b.data, "PK\003\004", 4)) && strlen(path) > 5 &&
	    !strcasecmp(path + strlen(path) - 5, ".xlsx")) {
		errf(err, errlen, _("%s: this is not an .xlsx workbook (not a zip file)"), path);
		buf_release(&b);
		return -1;
	}
	if (b.len < 4 || memcmp(b.data, "PK\003\004", 4)) {
		/* Not a zip: a JSON definition, taken as it is. */
		r = buf_add(out, b.data, b.len) < 0 ? errf(err, errlen, _("'%s' is too large for a form"), path) : 0;
		buf_release(&b);
		return r;
	}
	/* The form's id when the settings do not give one: the file's name, without .xlsx, as a name. */
	for (base = base ? base + 1 : path; *base && *base != '.' && k < sizeof(id) - 1; base++)
		id[k++] = isalnum((unsigned char)*base) || *base == '-' ? *base : '_';
	id[k] = '\0';
	if (!k || !isalpha((unsigned char)id[0]))
		snprintf(id, sizeof(id), "form");
	r = xlsform_convert(b.data, b.len, id, out, e2, sizeof(e2));
	if (r < 0)
		errf(err, errlen, "%s: %s", path, e2);
	buf_release(&b);
	return r;
}
