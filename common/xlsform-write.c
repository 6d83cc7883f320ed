/* xlsform-write.c - a Sondeo form definition into an XLSForm workbook (xlsform.h): survey, choices, settings and,
 * when the form has osm questions, osm sheets, written with libxlsxwriter beside the target and renamed onto it. */
#include "xlsform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"
#include "xlsform-priv.h"
#include "xlsxlib.h"
#include "banned.h"

/* The languages of a TEXT key over a list of objects (questions or choices), and whether a plain string is
 * among them. */
struct langs {
	char code[16][48];
	size_t n;
	int plain;
};

static void langs_add(struct langs *l, const json_t *text)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(text)) {
		l->plain = 1;
		return;
	}
	json_object_foreach((json_t *)text, k, v) {
		for (i = 0; i < l->n && strcmp(l->code[i], k); i++)
			;
		if (i == l->n && l->n < 16)
			strlcpy_s(l->code[l->n++], k, sizeof(l->code[0]));
	}
}


struct sheetw {
	lxw_worksheet *ws;
	lxw_format *bold;
	char head[MAX_HEADERS][64];    /* header text */
	char key[MAX_HEADERS][32];     /* the member it shows */
	char lang[MAX_HEADERS][48];    /* its language, "" for the plain column */
	int text[MAX_HEADERS];         /* a TEXT member */
	size_t n;
	lxw_row_t row;
	lxw_error e;
};

static void col_add(struct sheetw *w, const char *head, const char *key, const char *lang, int text)
{
	if (w->n == MAX_HEADERS)
		return;
	strlcpy_s(w->head[w->n], head, sizeof(w->head[0]));
	strlcpy_s(w->key[w->n], key, sizeof(w->key[0]));
	strlcpy_s(w->lang[w->n], lang, sizeof(w->lang[0]));
	w->text[w->n++] = text;
}

/* The columns of TEXT key over items (a JSON array) and member. */
static void text_cols(struct sheetw *w, const char *key, const json_t *items, const char *sub)
{
	struct langs l;
	size_t i;
	json_t *it;
	char head[96];

	memset(&l, 0, sizeof(l));
	json_array_foreach(items, i, it) {
		const json_t *t = json_object_get(sub ? json_object_get(it, sub) : it, key);

		if (t)
			langs_add(&l, t);
	}
	if (l.plain)
		col_add(w, key, key, "", 1);
	for (i = 0; i < l.n; i++) {
		xlsform_lang_header(key, l.code[i], head, sizeof(head));
		col_add(w, head, key, l.code[i], 1);
	}
}

static void write_headers(struct sheetw *w)
{
	size_t i;

	for (i = 0; i < w->n && !w->e; i++)
		w->e = worksheet_write_string(w->ws, 0, (lxw_col_t)i, w->head[i], w->bold);
	worksheet_freeze_panes(w->ws, 1, 0);
	worksheet_set_column(w->ws, 0, (lxw_col_t)(w->n ? w->n - 1 : 0), 24, NULL);
	w->row = 1;
}

/* One row: each column's member of o (a TEXT in its language; true as "yes"; numbers as text), with the
 * values of extra[] (column index -> text) first. */
static void write_row(struct sheetw *w, const json_t *o, const char *const *extra)
{
	size_t i;

	for (i = 0; i < w->n && !w->e; i++) {
		const json_t *v = json_object_get(o, w->key[i]);
		const char *s = extra && extra[i] ? extra[i] : NULL;

		if (!s && v && w->text[i])
			s = json_is_string(v) ? (w->lang[i][0] ? NULL : json_string_value(v)) :
						(w->lang[i][0] ? json_string_value(json_object_get(v, w->lang[i])) : NULL);
		else if (!s && json_is_string(v))
			s = json_string_value(v);
		else if (!s && json_is_true(v))
			s = "yes";
		if (s && *s)
			w->e = worksheet_write_string(w->ws, w->row, (lxw_col_t)i, s, NULL);
	}
	w->row++;
}

/* The chain of groups from the outermost to the group named name (at most MAX_DEPTH), into path; its length. */
static size_t group_path(const json_t *groups, const char *name, const json_t **path)
{
	const json_t *chain[MAX_DEPTH];
	size_t n = 0, i;

	while (name && n < MAX_DEPTH) {
		const json_t *g = NULL, *x;

		json_array_foreach(groups, i, x)
			if (!strcmp(json_string_value(json_object_get(x, "name")) ? json_string_value(json_object_get(x, "name")) : "",
				    name))
				g = x;
		if (!g)
			break;
		chain[n++] = g;
		name = json_string_value(json_object_get(g, "group"));
	}
	for (i = 0; i < n; i++)
		path[i] = chain[n - 1 - i];
	return n;
}

/* Opens a workbook to be written at a name beside path (into tmp[0..tmplen)), renamed onto path by book_close.
 * NULL with the error said. */
static lxw_workbook *book_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	lxw_workbook_options opt = { .constant_memory = LXW_FALSE, .tmpdir = NULL, .use_zip64 = LXW_FALSE };
	lxw_workbook *wb;
	FILE *probe;

	if (xlsxlib_load_lxw(err, errlen) < 0)
		return NULL;
	if (snprintf(tmp, tmplen, "%s.tmp-%ld", path, (long)getpid()) >= (int)tmplen) {
		errf(err, errlen, _("the path '%s' is too long"), path);
		return NULL;
	}
	/* Said here rather than by libxlsxwriter on standard error when the file is closed. */
	if (!(probe = fopen(tmp, "wb"))) {
		errf(err, errlen, _("cannot write '%s': %s"), path, strerror(errno));
		return NULL;
	}
	fclose(probe);
	if (!(wb = workbook_new_opt(tmp, &opt)))
		errf(err, errlen, _("cannot write '%s'"), path);
	return wb;
}

/* Closes wb, written at tmp, and renames it onto path; e is the first error met writing its cells, which leaves
 * nothing at path. -1 with the error said. */
static int book_close(lxw_workbook *wb, lxw_error e, const char *tmp, const char *path, char *err, size_t errlen)
{
	if (e) {
		workbook_close(wb);
		unlink(tmp);
		return errf(err, errlen, _("cannot write '%s': %s"), path, lxw_strerror(e));
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		unlink(tmp);
		return errf(err, errlen, _("cannot write '%s': %s"), path, lxw_strerror(e));
	}
	if (rename(tmp, path) < 0) {
		errf(err, errlen, _("cannot write '%s': %s"), path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The survey's columns: type and name, each TEXT per language, then the rest; and the header row. */
static void survey_columns(struct sheetw *sv, const json_t *questions, const json_t *groups)
{
	/* Group labels share the label columns. */
	json_t *all = json_array();

	col_add(sv, "type", "type", "", 0);
	col_add(sv, "name", "name", "", 0);
	json_array_extend(all, (json_t *)questions);
	if (groups)
		json_array_extend(all, (json_t *)groups);
	text_cols(sv, "label", all, NULL);
	json_decref(all);
	text_cols(sv, "hint", questions, NULL);
	col_add(sv, "required", "required", "", 0);
	text_cols(sv, "required_message", questions, NULL);
	col_add(sv, "relevant", "relevant", "", 0);
	col_add(sv, "constraint", "constraint", "", 0);
	text_cols(sv, "constraint_message", questions, NULL);
	col_add(sv, "default", "default", "", 0);
	col_add(sv, "calculation", "calculation", "", 0);
	col_add(sv, "choice_filter", "choice_filter", "", 0);
	col_add(sv, "readonly", "readonly", "", 0);
	col_add(sv, "repeat_count", "repeat_count", "", 0);
	col_add(sv, "appearance", "appearance", "", 0);
	col_add(sv, "parameters", "parameters", "", 0);
	col_add(sv, "body::accept", "body::accept", "", 0);
	write_headers(sv);
}

/* The end and begin rows between one question and the next: closes the groups open (open[0..*nopen)) that the
 * next is not in, and opens those it is in (want[0..nwant), outermost first). nwant 0 closes them all. */
static void groups_move(struct sheetw *sv, const json_t **open, size_t *nopen, const json_t *const *want,
			size_t nwant)
{
	size_t same;

	for (same = 0; same < *nopen && same < nwant && open[same] == want[same]; same++)
		;
	while (*nopen > same) {
		const char *endg[MAX_HEADERS] = { json_is_true(json_object_get(open[*nopen - 1], "repeat")) ?
						  "end repeat" : "end group" };

		write_row(sv, NULL, endg);
		(*nopen)--;
	}
	while (*nopen < nwant) {
		json_t *row = json_deep_copy(want[*nopen]);
		const char *beg[MAX_HEADERS] = { json_is_true(json_object_get(want[*nopen], "repeat")) ?
						 "begin repeat" : "begin group" };

		json_object_del(row, "group");
		json_object_del(row, "repeat");
		write_row(sv, row, beg);
		json_decref(row);
		open[*nopen] = want[*nopen];
		(*nopen)++;
	}
}

/* An osm question's tags, as rows of the osm sheet (into osm_all): the tags as a list named after the question;
 * a tag's values as a list named after the tag, once (XLSForm gives a key the same values wherever it is
 * asked). */
static void osm_lists(const json_t *q, const char *name, json_t *osm_all)
{
	const json_t *c;
	size_t k;

	json_array_foreach(json_object_get(q, "tags"), k, c)
		json_array_append_new(osm_all, json_pack("{s:s, s:O?, s:O?}", "list_name", name, "name",
							 json_object_get(c, "name"), "label",
							 json_object_get(c, "label")));
	json_array_foreach(json_object_get(q, "tags"), k, c) {
		const char *key = json_string_value(json_object_get(c, "name"));
		json_t *v;
		size_t j, seen = 0;

		json_array_foreach(osm_all, j, v)
			seen |= key && !strcmp(json_string_value(json_object_get(v, "list_name")), key);
		json_array_foreach(seen ? NULL : json_object_get(c, "choices"), j, v)
			json_array_append_new(osm_all, json_pack("{s:s, s:O?, s:O?}", "list_name", key, "name",
								 json_object_get(v, "name"), "label",
								 json_object_get(v, "label")));
	}
}

/* The lists of question q (type, name) put on the other sheets: a select's or rank's choices as rows of the
 * choices sheet (into choices_all), one list per question named after it; an osm question's tags and their values
 * (into osm_all). The type cell that names the list, written into t[0..n), or NULL when q has none. */
static const char *question_lists(const json_t *q, const char *type, const char *name, char *t, size_t n,
				  json_t *choices_all, json_t *osm_all)
{
	const json_t *c;
	size_t k;

	if (!strcmp(type, "select_one") || !strcmp(type, "select_multiple") || !strcmp(type, "rank")) {
		snprintf(t, n, "%s %s", type, name);
		json_array_foreach(json_object_get(q, "choices"), k, c) {
			json_t *row = json_deep_copy(c);

			json_object_set_new(row, "list_name", json_string(name));
			json_array_append_new(choices_all, row);
		}
		return t;
	}
	if (!strcmp(type, "osm") && json_array_size(json_object_get(q, "tags"))) {
		snprintf(t, n, "osm %s", name);
		osm_lists(q, name, osm_all);
		return t;
	}
	return NULL;
}

/* A range question's row as XLSForm has it: its parameters, and its own constraint only (the reader ANDs the
 * range's back in). A copy; caller releases it. */
static json_t *range_row(const json_t *q)
{
	const json_t *r = json_object_get(q, "range");
	const char *cons = json_string_value(json_object_get(q, "constraint"));
	double v[3] = { json_number_value(json_object_get(r, "start")), json_number_value(json_object_get(r, "end")),
			json_number_value(json_object_get(r, "step")) };
	int decimal = !strcmp(json_string_value(json_object_get(q, "type")), "decimal");
	json_t *row = json_deep_copy(q);
	char params[160], alone[512], head[512];
	size_t hl;

	snprintf(params, sizeof(params), "start=%.15g end=%.15g step=%.15g", v[0], v[1], v[2]);
	json_object_set_new(row, "parameters", json_string(params));
	json_object_del(row, "range");
	if (!cons)
		return row;
	/* The range's part, as the reader wrote it: alone, or "(range) and (own)". */
	xlsform_range_constraint(v, decimal, NULL, alone, sizeof(alone));
	xlsform_range_constraint(v, decimal, "", head, sizeof(head));
	hl = strlen(head) - 1;   /* "(range) and (" */
	if (!strcmp(cons, alone))
		json_object_del(row, "constraint");
	else if (!strncmp(cons, head, hl) && strlen(cons) > hl && cons[strlen(cons) - 1] == ')')
		json_object_set_new(row, "constraint", json_stringn(cons + hl, strlen(cons) - hl - 1));
	return row;
}

/* An attachment's row as XLSForm has it: max_pixels as the parameter max-pixels, accept as body::accept. A copy;
 * caller releases it. */
static json_t *media_row(const json_t *q)
{
	const json_t *mp = json_object_get(q, "max_pixels"), *acc = json_object_get(q, "accept"), *a;
	json_t *row = json_deep_copy(q);
	struct buf b = BUF_INIT(1 << 14);
	char params[64];
	size_t i;

	if (json_is_integer(mp)) {
		snprintf(params, sizeof(params), "max-pixels=%lld", (long long)json_integer_value(mp));
		json_object_set_new(row, "parameters", json_string(params));
	}
	json_array_foreach(acc, i, a)
		buf_printf(&b, "%s%s", i ? "," : "", json_string_value(a));
	if (b.len)
		json_object_set_new(row, "body::accept", json_string(b.data));
	buf_release(&b);
	json_object_del(row, "max_pixels");
	json_object_del(row, "accept");
	return row;
}

/* The survey sheet: a row per question, inside the begin and end rows of its groups; the questions' lists are
 * gathered into choices_all and osm_all for their own sheets. */
static void survey_sheet(struct sheetw *sv, const json_t *questions, const json_t *groups, json_t *choices_all,
			 json_t *osm_all)
{
	const json_t *open[MAX_DEPTH], *q;
	size_t nopen = 0, i;

	survey_columns(sv, questions, groups);
	json_array_foreach(questions, i, q) {
		const char *type = json_string_value(json_object_get(q, "type"));
		const char *name = json_string_value(json_object_get(q, "name"));
		const char *extra[MAX_HEADERS] = { NULL };
		const json_t *want[MAX_DEPTH];
		size_t nwant = groups ? group_path(groups, json_string_value(json_object_get(q, "group")), want) : 0;
		char t[160];

		if (!type || !name)
			continue;
		groups_move(sv, open, &nopen, want, nwant);
		extra[0] = question_lists(q, type, name, t, sizeof(t), choices_all, osm_all);
		if (json_object_get(q, "range")) {
			json_t *row = range_row(q);

			extra[0] = "range";
			write_row(sv, row, extra);
			json_decref(row);
			continue;
		}
		if (json_object_get(q, "max_pixels") || json_object_get(q, "accept")) {
			json_t *row = media_row(q);

			write_row(sv, row, extra);
			json_decref(row);
			continue;
		}
		write_row(sv, q, extra);
	}
	groups_move(sv, open, &nopen, NULL, 0);
}

/* The choices sheet: list_name, name, label per language, and the choices' data columns. */
static void choices_sheet(struct sheetw *ch, const json_t *choices_all)
{
	/* The choices' data columns, each once, in the order first met. */
	size_t first, i, k;
	const char *key;
	const json_t *q;
	json_t *v;

	col_add(ch, "list_name", "list_name", "", 0);
	col_add(ch, "name", "name", "", 0);
	text_cols(ch, "label", choices_all, NULL);
	first = ch->n;
	json_array_foreach(choices_all, i, q) {
		json_object_foreach(json_object_get(q, "data"), key, v) {
			for (k = first; k < ch->n && strcmp(ch->key[k], key); k++)
				;
			if (k == ch->n)
				col_add(ch, key, key, "", 0);
		}
	}
	write_headers(ch);
	json_array_foreach(choices_all, i, q) {
		/* A data column's value is in the choice's data. */
		json_t *row = json_deep_copy(q), *data = json_object_get(row, "data");

		json_object_foreach(data, key, v)
			if (!json_object_get(row, key))
				json_object_set(row, key, v);
		write_row(ch, row, NULL);
		json_decref(row);
	}
}

/* 1 if some text of the form is in languages (an object of language -> text), so that the workbook has columns
 * per language (label::English (en)). */
static int def_translated(const json_t *def)
{
	static const char *const keys[] = { "label", "hint", "constraint_message", "required_message" };
	const json_t *q, *c;
	size_t i, j, k;

	json_array_foreach(json_object_get(def, "questions"), i, q) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_is_object(json_object_get(q, keys[k])))
				return 1;
		json_array_foreach(json_object_get(q, "choices"), j, c)
			if (json_is_object(json_object_get(c, "label")))
				return 1;
	}
	json_array_foreach(json_object_get(def, "groups"), i, q)
		if (json_is_object(json_object_get(q, "label")))
			return 1;
	return 0;
}

/* The settings sheet: one row, of the definition's id, version, default language, title, instance_name, as pyxform
 * reads them: default_language names the language as the columns do ("English (en)"), and form_title is one text,
 * in the default language (pyxform has no form_title per language: a title in other languages is not carried). */
static void settings_sheet(struct sheetw *st, const json_t *def)
{
	const json_t *title = json_object_get(def, "title");
	const char *lang = json_string_value(json_object_get(def, "default_language"));
	char name[64];
	json_t *row;

	if (json_is_object(title)) {
		const json_t *t = json_object_get(title, lang ? lang : "en");

		title = t ? t : json_object_iter_value(json_object_iter((json_t *)title));
	}
	xlsform_lang_name(lang ? lang : "en", name, sizeof(name));
	row = json_pack("{s:O?, s:O?, s:s?, s:O?, s:O?, s:O?}", "form_id", json_object_get(def, "id"), "version",
			json_object_get(def, "version"), "default_language", def_translated(def) ? name : NULL,
			"form_title", title, "allow_choice_duplicates", json_object_get(def, "allow_choice_duplicates"),
			"instance_name", json_object_get(def, "instance_name"));
	col_add(st, "form_id", "form_id", "", 0);
	col_add(st, "version", "version", "", 0);
	if (json_object_get(row, "default_language"))
		col_add(st, "default_language", "default_language", "", 0);
	if (json_object_get(row, "form_title"))
		col_add(st, "form_title", "form_title", "", 0);
	col_add(st, "allow_choice_duplicates", "allow_choice_duplicates", "", 0);
	if (json_object_get(def, "instance_name"))
		col_add(st, "instance_name", "instance_name", "", 0);
	write_headers(st);
	write_row(st, row, NULL);
	json_decref(row);
}

/* The sheet sondeo_settings, added to wb when the form's title is in several languages: its form_title in each, in
 * the columns of a text (form_title::French (fr)). pyxform reads no sheet of that name, and Sondeo's reader takes
 * the title from it, so that a workbook written here is pyxform's and still Sondeo's whole. */
static void titles_sheet(lxw_workbook *wb, struct sheetw *ts, lxw_format *bold, const json_t *def)
{
	json_t *rows = json_array(), *row;

	if (!json_is_object(json_object_get(def, "title"))) {
		json_decref(rows);
		return;
	}
	row = json_pack("{s:O}", "form_title", json_object_get(def, "title"));
	json_array_append_new(rows, row);
	ts->ws = workbook_add_worksheet(wb, "sondeo_settings");
	ts->bold = bold;
	text_cols(ts, "form_title", rows, NULL);
	write_headers(ts);
	write_row(ts, row, NULL);
	json_decref(rows);
}

/* The osm sheet, added to wb when the form has osm questions: the tags of osm questions and their values. */
static void osm_sheet(lxw_workbook *wb, struct sheetw *os, lxw_format *bold, const json_t *osm_all)
{
	const json_t *q;
	size_t i;

	if (!json_array_size(osm_all))
		return;
	os->ws = workbook_add_worksheet(wb, "osm");
	os->bold = bold;
	col_add(os, "list_name", "list_name", "", 0);
	col_add(os, "name", "name", "", 0);
	text_cols(os, "label", osm_all, NULL);
	write_headers(os);
	json_array_foreach(osm_all, i, q)
		write_row(os, q, NULL);
}

/* The sheets written one after another; the questions' lists are gathered while the survey is written. */
int xlsform_write(const json_t *def, const char *path, char *err, size_t errlen)
{
	const json_t *questions = json_object_get(def, "questions"), *groups = json_object_get(def, "groups");
	char tmp[4096];
	struct sheetw *sv, *ch, *st, *os, *ts;
	lxw_workbook *wb;
	json_t *choices_all, *osm_all;
	int r;

	if (!(wb = book_open(path, tmp, sizeof(tmp), err, errlen)))
		return -1;
	sv = xcalloc(1, sizeof(*sv));
	ch = xcalloc(1, sizeof(*ch));
	st = xcalloc(1, sizeof(*st));
	os = xcalloc(1, sizeof(*os));
	ts = xcalloc(1, sizeof(*ts));
	choices_all = json_array();
	osm_all = json_array();
	sv->ws = workbook_add_worksheet(wb, "survey");
	ch->ws = workbook_add_worksheet(wb, "choices");
	st->ws = workbook_add_worksheet(wb, "settings");
	sv->bold = ch->bold = st->bold = workbook_add_format(wb);
	format_set_bold(sv->bold);
	survey_sheet(sv, questions, groups, choices_all, osm_all);
	choices_sheet(ch, choices_all);
	settings_sheet(st, def);
	osm_sheet(wb, os, sv->bold, osm_all);
	titles_sheet(wb, ts, sv->bold, def);
	r = book_close(wb, sv->e ? sv->e : ch->e ? ch->e : st->e ? st->e : os->e ? os->e : ts->e, tmp, path, err,
		       errlen);
	json_decref(choices_all);
	json_decref(osm_all);
	free(os);
	free(ts);
	free(sv);
	free(ch);
	free(st);
	return r;
}
