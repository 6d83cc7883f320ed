/* export.c - the exports of both tiers: CSV, XLSX (libxlsxwriter, constant memory), JSON and GeoJSON, streamed;
 * and the temporary file an export command writes before it puts the export in its place. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "csv.h"
#include "i18n.h"
#include "jsonc.h"
#include "util.h"
#include "review.h"
#include "xlsxlib.h"
#include "banned.h"

#define FLUSH_AT 65536                   /* bytes of CSV or JSON gathered before they are written */
#define RECORD_MAX ((size_t)64 << 20)    /* bytes one record may take once written out */
#define XLSX_STR_MAX 32767               /* characters in one cell, Excel's limit */
#define MAX_LANGS 16

#define NO_TAG ((size_t)-1)

/* What a column shows. */
enum col_kind {
	COL_ID, COL_QUESTION, COL_CHOICE, COL_TAG, COL_VERSION, COL_STATUS, COL_CREATED, COL_UPDATED, COL_CONFLICTS,
	COL_REGION, COL_REVIEW, COL_COMMENT, COL_PARENT, COL_LINK, COL_GEO
};

struct col {
	enum col_kind kind;
	const struct form_question *q;   /* COL_QUESTION, COL_CHOICE, COL_TAG, COL_LINK, COL_GEO */
	size_t choice;                   /* COL_CHOICE; COL_TAG: the tag, or NO_TAG for the feature; COL_GEO: the
					  * part (geo_parts) */
};

/* A geopoint's parts, each in a column of its own after the answer (QUESTION/latitude...), as ODK Central's and
 * KoboToolbox's exports split them, so that a spreadsheet or a GIS reads the numbers without parsing the text. */
static const char *const geo_parts[] = { "latitude", "longitude", "altitude", "accuracy" };
#define GEO_PARTS 4

/* Their headings in XLSX, after the question's label and a slash. */
static const char *const geo_headings[] = {
	/* TRANSLATORS: a column heading of an XLSX export, after a location (geopoint) question's label and a
	 * slash: the location's latitude. */
	NC_("export heading", "latitude"),
	/* TRANSLATORS: a column heading of an XLSX export, after a location question's label and a slash. */
	NC_("export heading", "longitude"),
	/* TRANSLATORS: a column heading of an XLSX export, after a location question's label and a slash: the
	 * height above sea level. */
	NC_("export heading", "altitude"),
	/* TRANSLATORS: a column heading of an XLSX export, after a location question's label and a slash: how
	 * precise the location is, in metres. */
	NC_("export heading", "accuracy"),
};

static const char *const meta_names[] = {
	[COL_ID] = "_id", [COL_PARENT] = "_parent", [COL_VERSION] = "_form_version", [COL_STATUS] = "_status", [COL_CREATED] = "_created",
	[COL_UPDATED] = "_updated", [COL_CONFLICTS] = "_conflicts", [COL_REGION] = "_region",
	[COL_REVIEW] = "_review", [COL_COMMENT] = "_review_comment",
};

/* The headings of the meta columns in XLSX, for people, in the export's language (CSV and JSON keep meta_names,
 * which programs read). English keeps the names. */
static const char *const meta_headings[] = {
	/* TRANSLATORS: a column heading of an XLSX export: the record's id. English keeps the column's name. */
	[COL_ID] = NC_("export heading", "_id"),
	/* TRANSLATORS: a column heading of an XLSX export of a repeat: the id of the record it belongs to. */
	[COL_PARENT] = NC_("export heading", "_parent"),
	/* TRANSLATORS: a column heading of an XLSX export: the version of the form the record was filled in. */
	[COL_VERSION] = NC_("export heading", "_form_version"),
	/* TRANSLATORS: a column heading of an XLSX export: whether the record is final or deleted. */
	[COL_STATUS] = NC_("export heading", "_status"),
	/* TRANSLATORS: a column heading of an XLSX export: when the record was created. */
	[COL_CREATED] = NC_("export heading", "_created"),
	/* TRANSLATORS: a column heading of an XLSX export: when the record was last changed. */
	[COL_UPDATED] = NC_("export heading", "_updated"),
	/* TRANSLATORS: a column heading of an XLSX export: how many of the record's answers are in conflict. */
	[COL_CONFLICTS] = NC_("export heading", "_conflicts"),
	/* TRANSLATORS: a column heading of an XLSX export: the region (regional office) of the record. */
	[COL_REGION] = NC_("export heading", "_region"),
	/* TRANSLATORS: a column heading of an XLSX export: the record's review status. */
	[COL_REVIEW] = NC_("export heading", "_review"),
	/* TRANSLATORS: a column heading of an XLSX export: the reviewer's comment on the record. */
	[COL_COMMENT] = NC_("export heading", "_review_comment"),
};

/* A sheet name in this thread's language (t), or en if t is not one Excel takes: at most 31 characters, none of
 * []:*?/\ and no apostrophe at either end. */
static const char *sheet_name(const char *t, const char *en)
{
	size_t n = strlen(t);

	if (!n || t[0] == '\'' || t[n - 1] == '\'' || strpbrk(t, "[]:*?/\\"))
		return en;
	return utf8_len(t) <= 31 ? t : en;
}

/* One cell of a record: its text (what CSV shows, valid until the next cell is made) and what XLSX makes of
 * it. */
enum cell_type { CELL_EMPTY, CELL_TEXT, CELL_NUMBER, CELL_DATE, CELL_TIME };

struct cell {
	enum cell_type type;
	const char *text;
	int guard;          /* text that came from people: a spreadsheet might take it for a formula */
	double num;         /* CELL_NUMBER */
	lxw_datetime date;  /* CELL_DATE */
	int64_t secs;       /* CELL_TIME: Unix seconds */
};

struct export {
	enum export_format fmt;
	const struct form *f;
	char *path;
	int fd;
	int failed;                /* an export_add failed: the file can only be removed */
	int choice_columns;
	int labels;                /* XLSX: choices by their labels in lang */
	export_link_fn link;       /* attachments' links, or NULL */
	void *link_ctx;
	const struct form_group *scope;   /* the repeat whose instances are exported, or NULL */
	char lang[32];
	struct col *cols;
	size_t ncols;
	struct buf out;            /* CSV or JSON waiting to be written */
	struct buf scratch;        /* one cell's text */
	struct buf guarded;        /* one cell's text cut to what a spreadsheet cell holds */
	char when[32];             /* one cell's time or count */
	uint64_t n;                /* records (or features) written */
	/* XLSX */
	char *tmpdir;
	lxw_workbook *wb;
	lxw_worksheet *data, *side[2];
	lxw_format *bold, *date_fmt, *time_fmt;
	lxw_row_t row;             /* the next row of the data sheet */
};

int export_format_parse(const char *name)
{
	static const char *const names[] = {
		[EXPORT_CSV] = "csv", [EXPORT_XLSX] = "xlsx", [EXPORT_JSON] = "json", [EXPORT_GEOJSON] = "geojson"
	};
	size_t i;

	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

const char *export_content_type(enum export_format f)
{
	switch (f) {
	case EXPORT_CSV: return "text/csv; charset=utf-8";
	case EXPORT_XLSX: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	case EXPORT_JSON: return "application/json";
	case EXPORT_GEOJSON: return "application/geo+json";
	}
	return "application/octet-stream";
}

const char *export_extension(enum export_format f)
{
	switch (f) {
	case EXPORT_CSV: return "csv";
	case EXPORT_XLSX: return "xlsx";
	case EXPORT_JSON: return "json";
	case EXPORT_GEOJSON: return "geojson";
	}
	return "bin";
}

/* --- values --- */

/* "YYYY-MM-DD" naming a real day Excel can hold (1900 to 9999) -> 1 with d filled; else 0. */
static int parse_date(const char *s, lxw_datetime *d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, day, leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789") != 4 ||
	    strspn(s + 5, "0123456789") != 2 || strspn(s + 8, "0123456789") != 2)
		return 0;
	y = atoi(s);
	m = atoi(s + 5);
	day = atoi(s + 8);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1900 || m < 1 || m > 12 || day < 1 || day > mdays[m - 1] || (m == 2 && day == 29 && !leap))
		return 0;
	memset(d, 0, sizeof(*d));
	d->year = y;
	d->month = m;
	d->day = day;
	return 1;
}

/* 1 if s is made only of characters that cannot call anything in a spreadsheet (digits, signs, points,
 * exponents and spaces), as a geopoint is. */
static int numeric_text(const char *s)
{
	return s[strspn(s, "0123456789.+-eE ")] == '\0';
}

/* A decimal number as answers write it (a sign, digits, a point, an exponent: the syntax form_parse_dec of
 * common/form-answer.c takes): 1 with *v, or 0. */
static int dec_token(const char *s, size_t len, double *v)
{
	size_t i = 0, digits = 0, e;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		e = ++i;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			e = ++i;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == e)
			return 0;
	}
	if (i != len)
		return 0;
	*v = strtod_c(s, len);
	return isfinite(*v);
}

/* Part k (geo_parts) of a geopoint answer "lat lon [alt [acc]]": 1 with its text (*tok, *len, as written) and its
 * value, 0 when the answer has no such part or is not a location within range (its parts are then all empty:
 * the answer's own column keeps its text). */
static int geo_part(const char *answer, size_t k, const char **tok, size_t *len, double *v)
{
	const char *t[GEO_PARTS + 1];
	size_t l[GEO_PARTS + 1], n = 0, i;
	double d[GEO_PARTS];
	const char *p = answer;

	while (*p && n <= GEO_PARTS) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		t[n] = p;
		l[n] = strcspn(p, " \t");
		p += l[n++];
	}
	if (n < 2 || n > GEO_PARTS || k >= n)
		return 0;
	for (i = 0; i < n; i++)
		if (!dec_token(t[i], l[i], &d[i]))
			return 0;
	if (fabs(d[0]) > 90 || fabs(d[1]) > 180)
		return 0;
	*tok = t[k];
	*len = l[k];
	*v = d[k];
	return 1;
}

/* A decimal in the fewest significant digits (15 to 17) that read back as the same number: 1.68 as typed, where
 * canonical JSON's 17 digits write 1.6799999999999999, the same double, which spreadsheets and pandas show as
 * 1.68 but a database's NUMERIC column keeps as written. A whole one without a fraction (2, not 2.0). Answers
 * hold finite numbers only (JSON has no others); LC_NUMERIC is never set, so the point is '.'. */
static int real_text(struct buf *b, double d)
{
	char t[40];
	int digits;

	for (digits = 15; digits <= 17; digits++) {
		snprintf(t, sizeof(t), "%.*g", digits, d);
		if (strtod_c(t, strlen(t)) == d)
			break;
	}
	return buf_adds(b, t);
}

/* The answer as a spreadsheet shows it, appended to b: strings bare, arrays of strings joined by spaces, a
 * decimal in its fewest digits, anything else as its canonical JSON text. */
static int answer_text(struct buf *b, const json_t *v)
{
	size_t i;

	if (json_is_string(v))
		return buf_add(b, json_string_value(v), json_string_length(v));
	if (json_is_real(v))
		return real_text(b, json_real_value(v));
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *e = json_array_get(v, i);

			if ((i && buf_addc(b, ' ') < 0) || buf_adds(b, json_is_string(e) ? json_string_value(e) : "?") < 0)
				return -1;
		}
		return 0;
	}
	/* An attachment by its file's name, as spreadsheets of ODK's and Kobo's exports have it. */
	if (json_is_object(v) && json_is_string(json_object_get(v, "blake2b")) && json_is_string(json_object_get(v, "name")))
		return buf_adds(b, json_string_value(json_object_get(v, "name")));
	return jsonc_append(b, v);
}

/* A question answered with several choices, which may each have a column: select_multiple, rank. */
static int is_several(const struct form_question *q)
{
	return q->type == FT_SELECT_MULTIPLE || q->type == FT_RANK;
}

/* The label of q's choice called name in the export's language, else its name. */
static const char *choice_label(const struct export *x, const struct form_choice *choices, size_t n,
				const char *name)
{
	const char *label;
	size_t i;

	for (i = 0; i < n && strcmp(choices[i].name, name); i++)
		;
	label = i < n ? form_text(x->f, choices[i].label, x->lang) : NULL;
	return label && *label ? label : name;
}

/* A choice answer (select_one, select_multiple, rank) as its choices' labels, appended to b: several joined by
 * "; ", since labels, unlike names, hold spaces and commas. */
static int choice_labels(const struct export *x, const struct form_question *q, const json_t *v, struct buf *b)
{
	size_t i;

	if (json_is_string(v))
		return buf_adds(b, choice_label(x, q->choices, q->nchoices, json_string_value(v)));
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		const char *label = !json_is_string(e) ? "?"
						       : choice_label(x, q->choices, q->nchoices, json_string_value(e));

		if ((i && buf_adds(b, "; ") < 0) || buf_adds(b, label) < 0)
			return -1;
	}
	return 0;
}

static void utc_iso(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Makes the cell of column c for record r. -1 if the text does not fit the scratch buffer. */
static int cell_make(struct export *x, const struct col *c, const struct export_record *r, struct cell *out)
{
	const json_t *v = NULL;

	memset(out, 0, sizeof(*out));
	out->type = CELL_TEXT;
	switch (c->kind) {
	case COL_ID: out->text = nz(r->id); return 0;
	case COL_PARENT: out->text = nz(json_string_value(json_object_get(r->answers, "_parent"))); return 0;
	case COL_VERSION: out->text = nz(r->version); out->guard = 1; return 0;
	case COL_STATUS: out->text = r->deleted ? "deleted" : "final"; return 0;
	case COL_REGION: out->text = nz(r->region); out->guard = 1; return 0;
	case COL_REVIEW: out->text = nz(r->review); out->guard = 1; return 0;
	case COL_COMMENT: out->text = nz(r->review_comment); out->guard = 1; return 0;
	case COL_CREATED:
	case COL_UPDATED: {
		uint64_t ms = c->kind == COL_CREATED ? r->created_ms : r->updated_ms;

		utc_iso(ms, x->when, sizeof(x->when));
		out->type = CELL_TIME;
		out->text = x->when;
		out->secs = (int64_t)(ms / 1000);
		return 0;
	}
	case COL_CONFLICTS:
		snprintf(x->when, sizeof(x->when), "%d", r->conflicts);
		out->type = CELL_NUMBER;
		out->text = x->when;
		out->num = r->conflicts;
		return 0;
	case COL_QUESTION:
	case COL_CHOICE:
	case COL_TAG:
	case COL_LINK:
	case COL_GEO:
		break;
	}
	if (r->answers)
		v = json_object_get(r->answers, c->q->name);
	if (!v || json_is_null(v)) {
		out->type = CELL_EMPTY;
		out->text = "";
		return 0;
	}
	if (c->kind == COL_LINK) {
		int got;

		buf_reset(&x->scratch);
		if ((got = x->link(x->link_ctx, r, v, &x->scratch)) < 0)
			return -1;
		out->type = got ? CELL_EMPTY : CELL_TEXT;
		out->text = got || !x->scratch.data ? "" : x->scratch.data;
		out->guard = 1;
		return 0;
	}
	if (c->kind == COL_TAG) {
		/* One part of an osm answer: the feature, or one tag's value. */
		char *part = json_is_string(v) ? form_osm_part(json_string_value(v),
							       c->choice == NO_TAG ? NULL : c->q->tags[c->choice].name) : NULL;
		const struct form_tag *tag = c->choice == NO_TAG ? NULL : &c->q->tags[c->choice];
		int bad;

		buf_reset(&x->scratch);
		/* A value chosen from the tag's list, by its label when choices go by their labels. */
		bad = buf_adds(&x->scratch, !part ? "" : x->labels && tag && tag->nchoices ?
					    choice_label(x, tag->choices, tag->nchoices, part) : part) < 0;
		free(part);
		if (bad)
			return -1;
		out->text = x->scratch.data ? x->scratch.data : "";
		out->type = part ? CELL_TEXT : CELL_EMPTY;
		out->guard = 1;
		return 0;
	}
	if (c->kind == COL_CHOICE) {
		const char *name = c->q->choices[c->choice].name;
		size_t i;

		out->type = CELL_NUMBER;
		out->text = "0";
		out->num = 0;
		/* chosen (1) or not (0); for a ranking, the choice's place (1 the highest) */
		for (i = 0; i < json_array_size(v); i++)
			if (json_is_string(json_array_get(v, i)) && !strcmp(json_string_value(json_array_get(v, i)), name))
				out->num = c->q->type == FT_RANK ? (double)(i + 1) : 1;
		if (out->num) {
			snprintf(x->when, sizeof(x->when), "%.0f", out->num);
			out->text = x->when;
		}
		return 0;
	}
	if (c->kind == COL_GEO) {
		const char *tok;
		size_t len;

		if (!json_is_string(v) || !geo_part(json_string_value(v), c->choice, &tok, &len, &out->num)) {
			out->type = CELL_EMPTY;
			out->text = "";
			return 0;
		}
		buf_reset(&x->scratch);
		if (buf_add(&x->scratch, tok, len) < 0)
			return -1;
		/* The number as written (CSV), and its value (XLSX). */
		out->type = CELL_NUMBER;
		out->text = x->scratch.data;
		return 0;
	}
	buf_reset(&x->scratch);
	if (x->labels && (c->q->type == FT_SELECT_ONE || is_several(c->q)) ? choice_labels(x, c->q, v, &x->scratch) < 0
									   : answer_text(&x->scratch, v) < 0)
		return -1;
	out->text = x->scratch.data ? x->scratch.data : "";
	out->guard = 1;
	if (json_is_number(v) && (c->q->type == FT_INTEGER || c->q->type == FT_DECIMAL)) {
		out->type = CELL_NUMBER;
		out->num = json_number_value(v);
		out->guard = 0;
	} else if (c->q->type == FT_DATE && parse_date(out->text, &out->date)) {
		out->type = CELL_DATE;
	} else if (c->q->type == FT_GEOPOINT && numeric_text(out->text)) {
		out->guard = 0;
	}
	return 0;
}

/* --- writing CSV and JSON --- */

static int out_flush(struct export *x, char *err, size_t errlen)
{
	size_t done = 0;

	while (done < x->out.len) {
		ssize_t w = write(x->fd, x->out.data + done, x->out.len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			errf(err, errlen, _("cannot write '%s': %s"), x->path,
			     w < 0 ? strerror(errno) : _("short write"));
			return -1;
		}
		done += (size_t)w;
	}
	buf_reset(&x->out);
	return 0;
}

static int csv_cell(struct export *x, const struct cell *c)
{
	return c->guard ? csv_write_text(&x->out, c->text) : csv_write_field(&x->out, c->text);
}

/* The column's name, as CSV's header and the XLSX names row give it, in x->scratch: the question's name, or
 * QUESTION/CHOICE, QUESTION/feature, QUESTION/TAG, QUESTION/url, QUESTION/latitude..., or the meta column's. */
static int col_name(struct export *x, const struct col *c)
{
	buf_reset(&x->scratch);
	switch (c->kind) {
	case COL_QUESTION: return buf_adds(&x->scratch, c->q->name);
	case COL_CHOICE: return buf_printf(&x->scratch, "%s/%s", c->q->name, c->q->choices[c->choice].name);
	case COL_TAG:
		return buf_printf(&x->scratch, "%s/%s", c->q->name,
				  c->choice == NO_TAG ? "feature" : c->q->tags[c->choice].name);
	case COL_LINK: return buf_printf(&x->scratch, "%s/url", c->q->name);
	case COL_GEO: return buf_printf(&x->scratch, "%s/%s", c->q->name, geo_parts[c->choice]);
	default: return buf_adds(&x->scratch, meta_names[c->kind]);
	}
}

static int csv_header(struct export *x)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < x->ncols && !bad; i++) {
		if (i)
			bad |= buf_addc(&x->out, ',');
		bad |= col_name(x, &x->cols[i]) < 0 || csv_write_field(&x->out, x->scratch.data) < 0;
	}
	bad |= buf_adds(&x->out, "\r\n");
	return bad ? -1 : 0;
}

static int csv_record(struct export *x, const struct export_record *r)
{
	struct cell c;
	size_t i;
	int bad = 0;

	for (i = 0; i < x->ncols && !bad; i++) {
		if (i)
			bad |= buf_addc(&x->out, ',');
		bad |= cell_make(x, &x->cols[i], r, &c);
		if (!bad)
			bad |= csv_cell(x, &c);
	}
	bad |= buf_adds(&x->out, "\r\n");
	return bad ? -1 : 0;
}

/* A JSON string literal, escaped as common/jsonc.c does: the quote, the backslash and C0 controls. */
static int json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int bad = buf_addc(b, '"');

	for (; *s && !bad; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			bad |= buf_addc(b, '\\') | buf_addc(b, (char)ch);
		else if (ch == '\n')
			bad |= buf_adds(b, "\\n");
		else if (ch == '\t')
			bad |= buf_adds(b, "\\t");
		else if (ch == '\r')
			bad |= buf_adds(b, "\\r");
		else if (ch == '\b')
			bad |= buf_adds(b, "\\b");
		else if (ch == '\f')
			bad |= buf_adds(b, "\\f");
		else if (ch < 0x20)
			bad |= buf_adds(b, "\\u00") | buf_addc(b, hex[ch >> 4]) | buf_addc(b, hex[ch & 15]);
		else
			bad |= buf_addc(b, (char)ch);
	}
	bad |= buf_addc(b, '"');
	return bad ? -1 : 0;
}

/* An attachment's answer with its link as member "url", when it has one. */
static int json_linked(struct export *x, const struct export_record *r, const json_t *v)
{
	json_t *c = json_deep_copy(v);
	int got, bad;

	buf_reset(&x->scratch);
	if (!c || (got = x->link(x->link_ctx, r, v, &x->scratch)) < 0) {
		json_decref(c);
		return -1;
	}
	bad = !got && json_object_set_new(c, "url", json_string(x->scratch.data ? x->scratch.data : "")) < 0;
	bad = bad || jsonc_append(&x->out, c) < 0;
	json_decref(c);
	return bad ? -1 : 0;
}

/* A GeoJSON property for an answer that is not a string, number or boolean: the text CSV has for it (choices
 * joined by spaces, an attachment's file name), and after an attachment its link as "QUESTION/url", when it
 * has one. GIS tools take each property as a column of one type: GDAL's Shapefile driver refuses a list, and
 * GeoPackage keeps it as a string "(3:a,b,c)". */
static int json_flat(struct export *x, const struct export_record *r, const struct form_question *q,
		     const json_t *v)
{
	int got;

	buf_reset(&x->scratch);
	if (answer_text(&x->scratch, v) < 0 || json_str(&x->out, x->scratch.data ? x->scratch.data : "") < 0)
		return -1;
	if (!x->link || !form_is_media(q->type) || !json_is_object(v))
		return 0;
	buf_reset(&x->scratch);
	if ((got = x->link(x->link_ctx, r, v, &x->scratch)) < 0)
		return -1;
	if (got || !x->scratch.data)
		return 0;
	if (buf_printf(&x->out, ",\"%s/url\":", q->name) < 0 || json_str(&x->out, x->scratch.data) < 0)
		return -1;
	return 0;
}

/* The record as one JSON object: _id, the answers in form order, then the other underscore members. flat (the
 * properties of a GeoJSON feature): every answer a string, number or boolean (json_flat). */
static int json_record(struct export *x, const struct export_record *r, int flat)
{
	struct buf *b = &x->out;
	char when[32];
	size_t i;
	int bad = 0;

	bad |= buf_adds(b, "{\"_id\":") | json_str(b, nz(r->id));
	if (x->scope)
		bad |= buf_adds(b, ",\"_parent\":") | json_str(b, nz(json_string_value(json_object_get(r->answers,
													   "_parent"))));
	for (i = 0; i < form_count(x->f) && !bad; i++) {
		const struct form_question *q = form_question(x->f, i);
		const json_t *v = r->answers ? json_object_get(r->answers, q->name) : NULL;

		if (q->type == FT_NOTE || form_repeat_of(q) != x->scope || !v || json_is_null(v))
			continue;
		bad |= buf_addc(b, ',') | json_str(b, q->name) | buf_addc(b, ':');
		if (!bad && flat && (json_is_array(v) || json_is_object(v)))
			bad |= json_flat(x, r, q, v);
		else if (!bad && x->link && form_is_media(q->type) && json_is_object(v))
			bad |= json_linked(x, r, v);
		else
			bad |= jsonc_append(b, v);
	}
	bad |= buf_adds(b, ",\"_form_version\":") | json_str(b, nz(r->version));
	bad |= buf_adds(b, r->deleted ? ",\"_status\":\"deleted\"" : ",\"_status\":\"final\"");
	utc_iso(r->created_ms, when, sizeof(when));
	bad |= buf_printf(b, ",\"_created\":\"%s\"", when);
	utc_iso(r->updated_ms, when, sizeof(when));
	bad |= buf_printf(b, ",\"_updated\":\"%s\",\"_conflicts\":%d", when, r->conflicts);
	bad |= buf_adds(b, ",\"_region\":") | json_str(b, nz(r->region));
	bad |= buf_adds(b, ",\"_review\":") | json_str(b, nz(r->review));
	bad |= buf_adds(b, ",\"_review_comment\":") | json_str(b, nz(r->review_comment));
	bad |= buf_addc(b, '}');
	return bad ? -1 : 0;
}

/* The record as a GeoJSON feature at its first answered geopoint: 1 if written, 0 if it has no location, -1
 * if it does not fit. */
static int geojson_record(struct export *x, const struct export_record *r)
{
	size_t i, mark = x->out.len;
	int pass, got;

	/* Its first geopoint; a record without one, its first line or shape. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < form_count(x->f); i++) {
			const struct form_question *q = form_question(x->f, i);
			const json_t *v = r->answers ? json_object_get(r->answers, q->name) : NULL;

			if ((q->type == FT_GEOPOINT) != (pass == 0) || !json_is_string(v))
				continue;
			if (buf_printf(&x->out, "%s{\"type\":\"Feature\",\"geometry\":", x->n ? ",\n" : "\n") < 0)
				return -1;
			if ((got = form_geojson_geometry(q->type, json_string_value(v), &x->out)) < 0)
				return -1;
			if (!got) {
				x->out.len = mark;
				x->out.data[mark] = '\0';
				continue;
			}
			if (buf_adds(&x->out, ",\"properties\":") < 0 || json_record(x, r, 1) < 0 ||
			    buf_addc(&x->out, '}') < 0)
				return -1;
			return 1;
		}
	}
	return 0;
}

/* --- writing XLSX --- */

static void lang_add(const char **langs, size_t *n, const char *lang)
{
	size_t j;

	for (j = 0; j < *n && strcmp(langs[j], lang); j++)
		;
	if (j == *n && *n < MAX_LANGS)
		langs[(*n)++] = lang;
}

/* The languages of the form's labels (at most MAX_LANGS), the default language first, then in order of
 * appearance; 0 if every label is a plain string. The strings are borrowed from the form. */
static size_t form_langs(const struct form *f, const char **langs)
{
	const char *def = json_string_value(json_object_get(form_json(f), "default_language"));
	size_t n = 0, i, k;
	int has_def = 0;

	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);

		for (k = 0; k <= q->nchoices; k++) {
			const json_t *t = k ? q->choices[k - 1].label : q->label;
			const char *key;
			json_t *val;

			json_object_foreach((json_t *)t, key, val) {
				if (def && !strcmp(key, def))
					has_def = 1;
				else
					lang_add(langs, &n, key);
			}
		}
	}
	if (has_def) {
		if (n == MAX_LANGS)
			n--;
		memmove(langs + 1, langs, n * sizeof(*langs));
		langs[0] = def;
		n++;
	}
	return n;
}

/* The label in exactly lang (a plain string label stands for every language); "" if it has none. */
static const char *label_in(const json_t *t, const char *lang)
{
	if (json_is_string(t))
		return json_string_value(t);
	return json_is_string(json_object_get(t, lang)) ? json_string_value(json_object_get(t, lang)) : "";
}

static int lxw_fail(struct export *x, lxw_error e, char *err, size_t errlen)
{
	if (e == LXW_NO_ERROR)
		return 0;
	x->failed = 1;
	return errf(err, errlen, _("cannot write '%s': %s"), x->path, lxw_strerror(e));
}

/* s cut to Excel's limit on characters in a cell (a pointer to s itself when it fits). */
static const char *xlsx_fit(struct export *x, const char *s)
{
	size_t i, chars = 0;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (++chars > XLSX_STR_MAX) {
			buf_reset(&x->guarded);
			if (buf_add(&x->guarded, s, i) < 0)
				return "";
			return x->guarded.data;
		}
	}
	return s;
}

static lxw_error xlsx_str(struct export *x, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s,
			  lxw_format *fmt)
{
	return worksheet_write_string(ws, row, col, xlsx_fit(x, s), fmt);
}

/* Header row of a side sheet: fixed names, then label::LANG for each language (or "label"). */
static lxw_error side_header(struct export *x, lxw_worksheet *ws, const char *a, const char *b,
			     const char **langs, size_t nlangs)
{
	lxw_error e;
	size_t i;

	e = xlsx_str(x, ws, 0, 0, a, x->bold);
	if (!e)
		e = xlsx_str(x, ws, 0, 1, b, x->bold);
	for (i = 0; !e && i < (nlangs ? nlangs : 1); i++) {
		buf_reset(&x->scratch);
		/* TRANSLATORS: a column heading of an XLSX export's "choices" and "questions" sheets: the label of a
		 * choice or question, followed by "::" and a language code when the form has several. */
		if (buf_adds(&x->scratch, C_("export heading", "label")) < 0 ||
		    (nlangs && buf_printf(&x->scratch, "::%s", langs[i]) < 0))
			return LXW_ERROR_MEMORY_MALLOC_FAILED;
		e = xlsx_str(x, ws, 0, (lxw_col_t)(2 + i), x->scratch.data, x->bold);
	}
	worksheet_freeze_panes(ws, 1, 0);
	worksheet_set_column(ws, 0, 1, 24, NULL);
	worksheet_set_column(ws, 2, (lxw_col_t)(2 + (nlangs ? nlangs : 1) - 1), 50, NULL);
	return e;
}

/* The "choices" and "questions" sheets, written whole at open: they are small. Their names and headings are in
 * this thread's language. */
static lxw_error xlsx_side_sheets(struct export *x)
{
	/* TRANSLATORS: the name of an XLSX export's sheet that lists the choices of every question: at most 31
	 * characters, none of [ ] : * ? / or a backslash */
	lxw_worksheet *ch = x->side[0] = workbook_add_worksheet(x->wb, sheet_name(C_("sheet name", "choices"),
										"choices"));
	/* TRANSLATORS: the name of an XLSX export's sheet that lists the form's questions: at most 31 characters,
	 * none of [ ] : * ? / or a backslash */
	lxw_worksheet *qs = x->side[1] = workbook_add_worksheet(x->wb, sheet_name(C_("sheet name", "questions"),
										"questions"));
	const char *langs[MAX_LANGS];
	size_t nlangs = form_langs(x->f, langs), ncol = 2 + (nlangs ? nlangs : 1), i, k, l;
	lxw_row_t chrow = 1, qrow = 1;
	lxw_error e;

	if (!ch || !qs)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	/* TRANSLATORS: column headings of an XLSX export's "choices" sheet: the question, then its choice's name. */
	if ((e = side_header(x, ch, C_("export heading", "question"), C_("export heading", "choice"), langs,
			     nlangs)) ||
	    /* TRANSLATORS: column headings of an XLSX export's "questions" sheet: a question's name and type. */
	    (e = side_header(x, qs, C_("export heading", "name"), C_("export heading", "type"), langs, nlangs)))
		return e;
	for (i = 0; i < form_count(x->f); i++) {
		const struct form_question *q = form_question(x->f, i);

		if (q->type == FT_NOTE)
			continue;
		if ((e = xlsx_str(x, qs, qrow, 0, q->name, NULL)) ||
		    (e = xlsx_str(x, qs, qrow, 1, form_type_name(q->type), NULL)))
			return e;
		for (l = 0; l < (nlangs ? nlangs : 1); l++)
			if ((e = xlsx_str(x, qs, qrow, (lxw_col_t)(2 + l), label_in(q->label, nlangs ? langs[l] : ""),
					  NULL)))
				return e;
		qrow++;
		for (k = 0; k < q->nchoices; k++, chrow++) {
			if ((e = xlsx_str(x, ch, chrow, 0, q->name, NULL)) ||
			    (e = xlsx_str(x, ch, chrow, 1, q->choices[k].name, NULL)))
				return e;
			for (l = 0; l < (nlangs ? nlangs : 1); l++)
				if ((e = xlsx_str(x, ch, chrow, (lxw_col_t)(2 + l),
						  label_in(q->choices[k].label, nlangs ? langs[l] : ""), NULL)))
					return e;
		}
	}
	if ((e = worksheet_autofilter(ch, 0, 0, chrow - 1, (lxw_col_t)(ncol - 1))))
		return e;
	return worksheet_autofilter(qs, 0, 0, qrow - 1, (lxw_col_t)(ncol - 1));
}

/* The data sheet's two header rows: the question labels in the export's language (the underscore columns' headings
 * in this thread's), for people; under them the columns' names as CSV has them, for scripts (pandas'
 * read_excel(header=1), readxl's read_excel(skip = 1)), which the autofilter sits on. Both frozen. */
static lxw_error xlsx_header(struct export *x)
{
	lxw_error e = LXW_NO_ERROR;
	size_t i;

	for (i = 0; i < x->ncols && !e; i++) {
		const struct col *c = &x->cols[i];
		const char *label = c->q ? form_text(x->f, c->q->label, x->lang) : NULL;
		double width = 14;

		if (c->q && !label)
			label = c->q->name;
		buf_reset(&x->scratch);
		if (c->kind == COL_QUESTION) {
			buf_adds(&x->scratch, label);
			width = c->q->type == FT_TEXT || c->q->type == FT_SELECT_MULTIPLE ? 30 :
				c->q->type == FT_SELECT_ONE || c->q->type == FT_GEOPOINT ? 20 : 12;
		} else if (c->kind == COL_CHOICE) {
			const char *cl = form_text(x->f, c->q->choices[c->choice].label, x->lang);

			buf_printf(&x->scratch, "%s/%s", label, cl ? cl : c->q->choices[c->choice].name);
			width = 10;
		} else if (c->kind == COL_TAG) {
			/* TRANSLATORS: a column heading of an XLSX export, after an OpenStreetMap question's label and
			 * a slash: the feature (way/123) the answer is about. */
			const char *tl = c->choice == NO_TAG ? C_("export heading", "feature")
							     : form_text(x->f, c->q->tags[c->choice].label, x->lang);

			buf_printf(&x->scratch, "%s/%s", label, tl ? tl : c->q->tags[c->choice].name);
			width = 16;
		} else if (c->kind == COL_GEO) {
			buf_printf(&x->scratch, "%s/%s", label, i18n_ctext(geo_headings[c->choice]));
			width = 12;
		} else if (c->kind == COL_LINK) {
			/* TRANSLATORS: a column heading of an XLSX export, after an attachment question's label and a
			 * slash: the attachment's link (on the server, or in the ZIP of an export with attachments). */
			buf_printf(&x->scratch, "%s/%s", label, C_("export heading", "link"));
			width = 40;
		} else {
			buf_adds(&x->scratch, i18n_ctext(meta_headings[c->kind]));
			width = c->kind == COL_ID ? 36 : c->kind == COL_CREATED || c->kind == COL_UPDATED ? 20 :
				c->kind == COL_COMMENT ? 40 : 14;
		}
		e = xlsx_str(x, x->data, 0, (lxw_col_t)i, x->scratch.data, x->bold);
		if (!e)
			e = worksheet_set_column(x->data, (lxw_col_t)i, (lxw_col_t)i, width, NULL);
	}
	/* Row by row: in constant memory, a row is written out once the next one begins. */
	for (i = 0; i < x->ncols && !e; i++)
		e = col_name(x, &x->cols[i]) < 0 ? LXW_ERROR_MEMORY_MALLOC_FAILED
						 : xlsx_str(x, x->data, 1, (lxw_col_t)i, x->scratch.data, NULL);
	worksheet_freeze_panes(x->data, 2, 0);
	return e;
}

/* libxlsxwriter does not check the writes to its temporary files: a full disk would give a truncated sheet in
 * an otherwise valid zip. So the rows' temporary file is checked as records go in (and flushed before the
 * workbook is closed), and the finished zip's data sheet must hold at least the bytes of rows written. */
static int xlsx_tmp_ok(lxw_worksheet *ws, int flush)
{
	FILE *t = ws ? ws->optimize_tmpfile : NULL;

	return !t || ((!flush || fflush(t) == 0) && !ferror(t));
}

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}

/* The uncompressed size of member name in the zip open on fd: 0 with *size, or -1 if it cannot be found. */
static int zip_member_size(int fd, const char *name, uint64_t *size)
{
	unsigned char *tail = NULL, *cd = NULL;
	size_t nlen = strlen(name), want, i;
	off_t end = lseek(fd, 0, SEEK_END);
	uint32_t cd_size, cd_off;
	int rc = -1;

	if (end < 22)
		return -1;
	want = (size_t)(end < 22 + 65535 ? end : 22 + 65535);
	if (!(tail = malloc(want)) || pread(fd, tail, want, end - (off_t)want) != (ssize_t)want)
		goto out;
	/* The end of central directory record: the last "PK\5\6", followed by at most a 64 KiB comment. */
	for (i = want - 22; i > 0 && memcmp(tail + i, "PK\5\6", 4); i--)
		;
	if (memcmp(tail + i, "PK\5\6", 4))
		goto out;
	cd_size = le32(tail + i + 12);
	cd_off = le32(tail + i + 16);
	if (cd_size > ((uint32_t)1 << 24) || (off_t)cd_off + cd_size > end || !(cd = malloc(cd_size ? cd_size : 1)) ||
	    pread(fd, cd, cd_size, cd_off) != (ssize_t)cd_size)
		goto out;
	for (i = 0; i + 46 <= cd_size && !memcmp(cd + i, "PK\1\2", 4);
	     i += 46 + le16(cd + i + 28) + le16(cd + i + 30) + le16(cd + i + 32)) {
		if (le16(cd + i + 28) == nlen && i + 46 + nlen <= cd_size && !memcmp(cd + i + 46, name, nlen)) {
			*size = le32(cd + i + 24);
			rc = 0;
			break;
		}
	}
out:
	free(tail);
	free(cd);
	return rc;
}

/* Finishes the workbook into the file. 0, or -1 with err. */
static int xlsx_close(struct export *x, char *err, size_t errlen)
{
	uint64_t rows_bytes = 0, member;
	lxw_error e;

	worksheet_autofilter(x->data, 1, 0, x->row - 1, (lxw_col_t)(x->ncols - 1));
	if (!xlsx_tmp_ok(x->data, 1) || !xlsx_tmp_ok(x->side[0], 1) || !xlsx_tmp_ok(x->side[1], 1))
		return errf(err, errlen, _("cannot write '%s': a temporary file in '%s' failed (disk full?)"), x->path,
			    x->tmpdir);
	if (x->data->optimize_tmpfile)
		rows_bytes = (uint64_t)ftello(x->data->optimize_tmpfile);
	/* workbook_close writes the zip over the file created at open (by its name), and frees the workbook. */
	e = workbook_close(x->wb);
	x->wb = NULL;
	if (e != LXW_NO_ERROR)
		return errf(err, errlen, _("cannot write '%s': %s"), x->path, lxw_strerror(e));
	if (zip_member_size(x->fd, "xl/worksheets/sheet1.xml", &member) < 0 ||
	    (member != 0xffffffffu && member < rows_bytes))
		return errf(err, errlen, _("cannot write '%s': the data sheet came out short (is '%s' full?)"), x->path,
			    x->tmpdir);
	return 0;
}

static int xlsx_open(struct export *x, char *err, size_t errlen)
{
	lxw_workbook_options o;
	lxw_error e;

	if (xlsxlib_load_lxw(err, errlen) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	/* Rows go to temporary files as they are written; beside the export rather than in /tmp, which may be
	 * memory. */
	o.constant_memory = LXW_TRUE;
	o.tmpdir = x->tmpdir;
	if (!(x->wb = workbook_new_opt(x->path, &o)))
		return errf(err, errlen, _("cannot create '%s': libxlsxwriter failed"), x->path);
	x->bold = workbook_add_format(x->wb);
	x->date_fmt = workbook_add_format(x->wb);
	x->time_fmt = workbook_add_format(x->wb);
	/* TRANSLATORS: the name of an XLSX export's sheet that holds the records: at most 31 characters, none of
	 * [ ] : * ? / or a backslash */
	x->data = workbook_add_worksheet(x->wb, sheet_name(C_("sheet name", "data"), "data"));
	if (!x->bold || !x->date_fmt || !x->time_fmt || !x->data)
		return errf(err, errlen, _("cannot create '%s': out of memory"), x->path);
	format_set_bold(x->bold);
	format_set_num_format(x->date_fmt, "yyyy-mm-dd");
	format_set_num_format(x->time_fmt, "yyyy-mm-dd hh:mm:ss");
	if ((e = xlsx_header(x)) || (e = xlsx_side_sheets(x)))
		return errf(err, errlen, _("cannot write '%s': %s"), x->path, lxw_strerror(e));
	x->row = 2;
	return 0;
}

/* A hyperlink cell showing its link, for a URL. Only links made here (export_opts.link) come this way, never an
 * answer's text. A path in a ZIP stays text: libxlsxwriter writes a file's link with Windows' backslashes, which
 * other spreadsheets do not follow. */
static lxw_error xlsx_link(struct export *x, lxw_col_t col, const char *link)
{
	if (strncmp(link, "http://", 7) && strncmp(link, "https://", 8))
		return LXW_ERROR_PARAMETER_VALIDATION;
	return worksheet_write_url_opt(x->data, x->row, col, link, NULL, link, NULL);
}

static int xlsx_record(struct export *x, const struct export_record *r, char *err, size_t errlen)
{
	struct cell c;
	lxw_error e = LXW_NO_ERROR;
	size_t i;

	if (!xlsx_tmp_ok(x->data, 0)) {
		x->failed = 1;
		return errf(err, errlen, _("cannot write '%s': a temporary file in '%s' failed (disk full?)"), x->path,
			    x->tmpdir);
	}
	if (x->row >= LXW_ROW_MAX) {
		x->failed = 1;
		return errf(err, errlen, _("cannot write '%s': an XLSX sheet holds at most %d records"), x->path,
			    LXW_ROW_MAX - 2);
	}
	for (i = 0; i < x->ncols && !e; i++) {
		lxw_col_t col = (lxw_col_t)i;

		if (cell_make(x, &x->cols[i], r, &c) < 0) {
			x->failed = 1;
			return errf(err, errlen, _("record %s: an answer is too large"), nz(r->id));
		}
		switch (c.type) {
		case CELL_EMPTY:
			break;
		case CELL_TEXT:
			/* An attachment's link that opens it, in the ZIP (a file's link) or on the server; a link Excel
			 * cannot hold (too long, or past its 65,530 a sheet) stays its text. */
			if (x->cols[i].kind == COL_LINK && xlsx_link(x, col, c.text) == LXW_NO_ERROR)
				break;
			/* Always a string cell: text that looks like a formula stays text. */
			e = xlsx_str(x, x->data, x->row, col, c.text, NULL);
			break;
		case CELL_NUMBER:
			e = worksheet_write_number(x->data, x->row, col, c.num, NULL);
			break;
		case CELL_DATE:
			e = worksheet_write_datetime(x->data, x->row, col, &c.date, x->date_fmt);
			break;
		case CELL_TIME:
			e = worksheet_write_unixtime(x->data, x->row, col, c.secs, x->time_fmt);
			break;
		}
	}
	if (e)
		return lxw_fail(x, e, err, errlen);
	x->row++;
	return 0;
}

/* --- the interface --- */

static void export_free(struct export *x)
{
	if (x->wb)
		lxw_workbook_free(x->wb);
	if (x->fd >= 0)
		close(x->fd);
	buf_release(&x->out);
	buf_release(&x->scratch);
	buf_release(&x->guarded);
	free(x->cols);
	free(x->tmpdir);
	free(x->path);
	free(x);
}

/* The columns, in order: _id, the questions (and choices), the underscore columns. */
static int export_columns(struct export *x)
{
	static const enum col_kind tail[] = {
		COL_VERSION, COL_STATUS, COL_CREATED, COL_UPDATED, COL_CONFLICTS, COL_REGION, COL_REVIEW, COL_COMMENT
	};
	size_t i, k, n = 2 + sizeof(tail) / sizeof(tail[0]);

	for (i = 0; i < form_count(x->f); i++) {
		const struct form_question *q = form_question(x->f, i);

		if (q->type != FT_NOTE)
			n += 1 + (x->choice_columns && is_several(q) ? q->nchoices : 0) +
			     (q->type == FT_OSM ? 1 + q->ntags : 0) + (x->link && form_is_media(q->type)) +
			     (q->type == FT_GEOPOINT ? GEO_PARTS : 0);
	}
	if (!(x->cols = calloc(n, sizeof(*x->cols))))
		return -1;
	x->cols[x->ncols++].kind = COL_ID;
	/* A repeat's instances: the record each belongs to, then the repeat's questions only. */
	if (x->scope)
		x->cols[x->ncols++].kind = COL_PARENT;
	for (i = 0; i < form_count(x->f); i++) {
		const struct form_question *q = form_question(x->f, i);

		if (q->type == FT_NOTE || form_repeat_of(q) != x->scope)
			continue;
		x->cols[x->ncols].kind = COL_QUESTION;
		x->cols[x->ncols++].q = q;
		for (k = 0; x->choice_columns && is_several(q) && k < q->nchoices; k++) {
			x->cols[x->ncols].kind = COL_CHOICE;
			x->cols[x->ncols].q = q;
			x->cols[x->ncols++].choice = k;
		}
		/* An osm answer's parts, each in a column of its own for spreadsheets: the feature, then each tag. */
		for (k = 0; q->type == FT_OSM && k < q->ntags + 1; k++) {
			x->cols[x->ncols].kind = COL_TAG;
			x->cols[x->ncols].q = q;
			x->cols[x->ncols++].choice = k == 0 ? NO_TAG : k - 1;
		}
		for (k = 0; q->type == FT_GEOPOINT && k < GEO_PARTS; k++) {
			x->cols[x->ncols].kind = COL_GEO;
			x->cols[x->ncols].q = q;
			x->cols[x->ncols++].choice = k;
		}
		if (x->link && form_is_media(q->type)) {
			x->cols[x->ncols].kind = COL_LINK;
			x->cols[x->ncols++].q = q;
		}
	}
	for (i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		x->cols[x->ncols++].kind = tail[i];
	return 0;
}

struct export *export_open(const char *path, enum export_format fmt, const struct form *f,
			   const struct export_opts *o, char *err, size_t errlen)
{
	struct export *x;
	const char *slash;
	int rc = 0;

	if (export_format_parse(export_extension(fmt)) != (int)fmt) {
		errf(err, errlen, _("unknown export format %d"), (int)fmt);
		return NULL;
	}
	if (!(x = calloc(1, sizeof(*x)))) {
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	x->fd = -1;
	x->fmt = fmt;
	x->f = f;
	x->choice_columns = o && o->choice_columns;
	x->labels = o && o->labels && fmt == EXPORT_XLSX;
	x->link = o ? o->link : NULL;
	x->link_ctx = o ? o->link_ctx : NULL;
	if (o && o->repeat && o->repeat[0] && !(x->scope = form_repeat_find(f, o->repeat))) {
		errf(err, errlen, _("form '%s' has no repeat '%s'"), form_id(f), o->repeat);
		free(x);
		return NULL;
	}
	strlcpy_s(x->lang, o && o->lang && *o->lang ? o->lang : "en", sizeof(x->lang));
	buf_init(&x->out, RECORD_MAX + FLUSH_AT);
	buf_init(&x->scratch, RECORD_MAX);
	buf_init(&x->guarded, RECORD_MAX);
	slash = strrchr(path, '/');
	x->path = strdup(path);
	x->tmpdir = !slash ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (!x->path || !x->tmpdir || export_columns(x) < 0) {
		errf(err, errlen, _("out of memory"));
		export_free(x);
		return NULL;
	}
	/* Exports hold survey answers: private to the server's user, and never over someone else's file. */
	x->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (x->fd < 0) {
		errf(err, errlen, _("cannot create '%s': %s"), path, strerror(errno));
		export_free(x);
		return NULL;
	}
	switch (fmt) {
	case EXPORT_CSV:
		if (csv_header(x) < 0)
			rc = errf(err, errlen, _("cannot write '%s': the header is too large"), path);
		break;
	case EXPORT_JSON:
		rc = buf_adds(&x->out, "[");
		break;
	case EXPORT_GEOJSON:
		rc = buf_adds(&x->out, "{\"type\":\"FeatureCollection\",\"features\":[");
		break;
	case EXPORT_XLSX:
		rc = xlsx_open(x, err, errlen);
		break;
	}
	if (rc == 0 && x->out.len >= FLUSH_AT)
		rc = out_flush(x, err, errlen);
	if (rc < 0) {
		unlink(path);
		export_free(x);
		return NULL;
	}
	return x;
}

int export_add(struct export *x, const struct export_record *r, char *err, size_t errlen)
{
	size_t mark = x->out.len;
	int rc = 0;

	if (x->failed)
		return errf(err, errlen, _("cannot write '%s': an earlier record failed"), x->path);
	switch (x->fmt) {
	case EXPORT_XLSX:
		if (xlsx_record(x, r, err, errlen) < 0)
			return -1;
		x->n++;
		return 0;
	case EXPORT_CSV:
		rc = csv_record(x, r);
		break;
	case EXPORT_JSON:
		rc = buf_adds(&x->out, x->n ? ",\n" : "\n");
		if (rc == 0)
			rc = json_record(x, r, 0);
		break;
	case EXPORT_GEOJSON:
		rc = geojson_record(x, r);
		if (rc == 0)
			return 0;
		rc = rc < 0 ? -1 : 0;
		break;
	}
	if (rc < 0) {
		x->out.len = mark;
		x->out.data[mark] = '\0';
		x->failed = 1;
		return errf(err, errlen, _("record %s: too large to export"), nz(r->id));
	}
	x->n++;
	if (x->out.len >= FLUSH_AT && out_flush(x, err, errlen) < 0) {
		x->failed = 1;
		return -1;
	}
	return 0;
}

uint64_t export_count(const struct export *x)
{
	return x->n;
}

int export_close(struct export *x, int ok, char *err, size_t errlen)
{
	int rc = 0;

	if (ok && x->failed)
		rc = errf(err, errlen, _("cannot write '%s': an earlier record failed"), x->path);
	if (ok && !x->failed) {
		if (x->fmt == EXPORT_XLSX)
			rc = xlsx_close(x, err, errlen);
		else if ((x->fmt == EXPORT_JSON && buf_adds(&x->out, "\n]\n") < 0) ||
			 (x->fmt == EXPORT_GEOJSON && buf_adds(&x->out, "\n]}\n") < 0))
			rc = errf(err, errlen, _("cannot write '%s': out of memory"), x->path);
		else
			rc = out_flush(x, err, errlen);
		if (rc == 0 && fsync(x->fd) < 0)
			rc = errf(err, errlen, _("cannot write '%s': %s"), x->path, strerror(errno));
		if (rc == 0) {
			int fd = x->fd;

			x->fd = -1;
			if (close(fd) < 0)
				rc = errf(err, errlen, _("cannot write '%s': %s"), x->path, strerror(errno));
		}
	}
	if (!ok || rc < 0) {
		if (unlink(x->path) < 0 && errno != ENOENT && rc == 0)
			rc = errf(err, errlen, _("cannot remove '%s': %s"), x->path, strerror(errno));
	}
	export_free(x);
	return rc;
}

/* --- a tier's records into an export --- */

struct sink {
	struct export *x;
	char *err;
	size_t errlen;
	int failed;
};

static int sink_add(void *ctx, const struct export_record *r)
{
	struct sink *k = ctx;

	if (export_add(k->x, r, k->err, k->errlen) < 0) {
		k->failed = 1;
		return 1;
	}
	return 0;
}

int export_write(const char *path, enum export_format fmt, const struct form *f, const struct export_opts *o,
		 export_source_fn source, void *src, uint64_t *count, char *err, size_t errlen)
{
	struct sink k = { NULL, err, errlen, 0 };

	if (!(k.x = export_open(path, fmt, f, o, err, errlen)))
		return -1;
	if (source(src, sink_add, &k, err, errlen) < 0 || k.failed) {
		export_close(k.x, 0, NULL, 0);
		return -1;
	}
	/* What was written: a GeoJSON export leaves out the records without a place. */
	*count = export_count(k.x);
	return export_close(k.x, 1, err, errlen);
}

/* --- the review columns --- */

void export_review(const json_t *review, const char **state, const char **comment)
{
	const char *status = json_string_value(json_object_get(review, "status"));

	*state = review_state_valid(status) ? status : "pending";
	*comment = json_string_value(json_object_get(review, "comment"));
	if (!*comment)
		*comment = "";
}

/* --- the export commands' file --- */

static int to_stdout(const char *out)
{
	return !out || !strcmp(out, "-");
}

int export_tmp_path(const char *out, char *tmp, size_t n, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	unsigned char raw[8];
	char rnd[17];
	int c;

	randombytes_buf(raw, sizeof(raw));
	hex_encode(rnd, raw, sizeof(raw));
	/* Beside the destination, so that the rename cannot cross file systems; for standard output, a private
	 * file in the temporary directory (an XLSX file cannot be streamed). */
	if (!to_stdout(out))
		c = snprintf(tmp, n, "%s.tmp-%s", out, rnd);
	else
		c = snprintf(tmp, n, "%s/export-%s", dir && *dir ? dir : "/tmp", rnd);
	if (c < 0 || (size_t)c >= n)
		return errf(err, errlen, _("the output path is too long"));
	return 0;
}

/* Copies the file at path to standard output. 0, or -1 with errno. */
static int copy_out(const char *path)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (fwrite(chunk, 1, (size_t)n, stdout) != (size_t)n) {
			r = -1;
			break;
		}
	if (n < 0)
		r = -1;
	close(fd);
	return r;
}

int export_deliver(const char *tmp, const char *out, char *err, size_t errlen)
{
	int r;

	if (!to_stdout(out)) {
		if (rename(tmp, out) == 0)
			return 0;
		errf(err, errlen, _("cannot write '%s': %s"), out, strerror(errno));
		unlink(tmp);
		return -1;
	}
	r = copy_out(tmp) < 0 || fflush(stdout) != 0 ? -1 : 0;
	if (r < 0)
		errf(err, errlen, _("cannot write the export to standard output: %s"), strerror(errno));
	unlink(tmp);
	return r;
}
