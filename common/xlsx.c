/* xlsx.c - reading an .xlsx workbook's cells (xlsx.h). The parts it reads: xl/workbook.xml (sheet names,
 * 1904 dates), its relationships (where each sheet and the shared strings are), xl/sharedStrings.xml,
 * xl/styles.xml (which cell styles are dates), and a sheet's XML when asked. Namespaced names are compared by
 * their local part, so a workbook written with prefixes ("x:c") reads the same. */
#include "xlsx.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"
#include "xlsxlib.h"
#include "banned.h"

#define MAX_STYLES 65536
#define MAX_PATH 256

struct sheet {
	char *name;
	char *part;        /* its path in the zip, "xl/worksheets/sheet1.xml" */
	char rid[64];
};

struct xlsx {
	void *data;        /* the file's bytes (libzip reads from them) */
	zip_t *zip;
	struct sheet sheets[XLSX_MAX_SHEETS];
	size_t nsheets;
	char **strings;    /* shared strings */
	size_t nstrings;
	unsigned char *date_style;   /* per cell style (cellXfs index): 0 not a date, 1 date, 2 time, 3 both */
	size_t nstyles;
	int date1904;
	size_t inflated;   /* bytes inflated so far, against XLSX_MAX_TOTAL */
};

/* --- Parts ------------------------------------------------------------------------------------------------ */

/* Reads part name (any case) into b, at most XLSX_MAX_PART bytes whatever the zip says. 1 read, 0 no such part,
 * -1 with err. */
static int read_part(struct xlsx *x, const char *name, struct buf *b, char *err, size_t errlen)
{
	zip_int64_t idx = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
	zip_file_t *zf;
	zip_int64_t n;
	char chunk[16384];

	if (idx < 0)
		return 0;
	if (!(zf = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0)))
		/* TRANSLATORS: a part is one of the files inside a workbook (an .xlsx file is a zip of them). */
		return errf(err, errlen, _("part %s cannot be opened: %s"), name, zip_strerror(x->zip));
	buf_init(b, XLSX_MAX_PART);
	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0) {
		x->inflated += (size_t)n;
		if (x->inflated > XLSX_MAX_TOTAL || buf_add(b, chunk, (size_t)n) < 0) {
			zip_fclose(zf);
			buf_release(b);
			return errf(err, errlen,
				    _("part %s inflates to more than %zu MiB: not a workbook Sondeo reads"), name,
				    (x->inflated > XLSX_MAX_TOTAL ? XLSX_MAX_TOTAL : XLSX_MAX_PART) >> 20);
		}
	}
	if (n < 0) {
		errf(err, errlen, _("part %s cannot be read: %s"), name, zip_file_strerror(zf));
		zip_fclose(zf);
		buf_release(b);
		return -1;
	}
	zip_fclose(zf);
	return 1;
}

/* --- XML -------------------------------------------------------------------------------------------------- */

/* The local part of an expat name "namespace|local" (or a plain one). */
static const char *local(const char *name)
{
	const char *bar = strrchr(name, '|');

	return bar ? bar + 1 : name;
}

/* An attribute by local name, or NULL. */
static const char *attr(const char **atts, const char *name)
{
	size_t i;

	for (i = 0; atts[i]; i += 2)
		if (!strcmp(local(atts[i]), name))
			return atts[i + 1];
	return NULL;
}

struct xml {
	XML_Parser p;
	char *err;
	size_t errlen;
	int failed;
	const char *part;
};

/* Stops the parse with "part NAME: " and the message. */
static void xml_fail(struct xml *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xml_fail(struct xml *m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!m->failed) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		errf(m->err, m->errlen, _("part %s: %s"), m->part, msg);
	}
	m->failed = 1;
	XML_StopParser(m->p, XML_FALSE);
}

/* A document type declaration is where entities would be declared: refused, so no expansion can happen. */
static void XMLCALL no_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)internal;
	xml_fail(ud, _("a document type declaration (where entities would be declared): refused"));
}

/* Parses b with the handlers already set on m->p. 0, or -1 with err. */
static int xml_run(struct xml *m, const struct buf *b)
{
	XML_SetStartDoctypeDeclHandler(m->p, no_doctype);
	if (b->len > (size_t)0x7fffffff)
		return errf(m->err, m->errlen, _("part %s is too large"), m->part);
	/* Stopped by a handler (a refusal, or the caller's callback asking to stop) is not malformed XML. */
	if (XML_Parse(m->p, b->data, (int)b->len, XML_TRUE) == XML_STATUS_ERROR && !m->failed &&
	    XML_GetErrorCode(m->p) != XML_ERROR_ABORTED) {
		errf(m->err, m->errlen, _("part %s is not well-formed XML: line %lu: %s"), m->part,
		     (unsigned long)XML_GetCurrentLineNumber(m->p), XML_ErrorString(XML_GetErrorCode(m->p)));
		return -1;
	}
	return m->failed ? -1 : 0;
}

static XML_Parser xml_new(struct xml *m, void *ud, const char *part, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->err = err;
	m->errlen = errlen;
	m->part = part;
	m->p = XML_ParserCreateNS(NULL, '|');
	if (m->p)
		XML_SetUserData(m->p, ud);
	return m->p;
}

/* --- The workbook and its relationships -------------------------------------------------------------------- */

struct wb_ctx {
	struct xml m;
	struct xlsx *x;
};

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct wb_ctx *c = ud;
	const char *n = local(name);

	if (!strcmp(n, "workbookPr")) {
		const char *v = attr(atts, "date1904");

		c->x->date1904 = v && (!strcmp(v, "1") || !strcasecmp(v, "true"));
	} else if (!strcmp(n, "sheet")) {
		const char *sn = attr(atts, "name"), *rid = attr(atts, "id");
		struct sheet *s;

		if (!sn || !rid || strlen(rid) >= sizeof(s->rid)) {
			xml_fail(&c->m, _("a sheet without a name or relationship"));
			return;
		}
		if (c->x->nsheets == XLSX_MAX_SHEETS) {
			xml_fail(&c->m, _("more than 64 sheets"));
			return;
		}
		s = &c->x->sheets[c->x->nsheets++];
		s->name = xstrdup(sn);
		strlcpy_s(s->rid, rid, sizeof(s->rid));
	}
}

struct rels_ctx {
	struct xml m;
	struct xlsx *x;
	char strings[MAX_PATH], styles[MAX_PATH];
};

/* A relationship's target as a path in the zip: relative to xl/, or absolute from the root. */
static void target_path(const char *target, char *out, size_t n)
{
	if (target[0] == '/')
		strlcpy_s(out, target + 1, n);
	else
		snprintf(out, n, "xl/%s", target);
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct rels_ctx *c = ud;
	const char *id = attr(atts, "Id"), *type = attr(atts, "Type"), *target = attr(atts, "Target");
	size_t i;

	if (strcmp(local(name), "Relationship") || !id || !type || !target || strlen(target) >= MAX_PATH - 4)
		return;
	if (ends_with(type, "/sharedStrings")) {
		target_path(target, c->strings, sizeof(c->strings));
		return;
	}
	if (ends_with(type, "/styles")) {
		target_path(target, c->styles, sizeof(c->styles));
		return;
	}
	for (i = 0; i < c->x->nsheets; i++) {
		if (!strcmp(c->x->sheets[i].rid, id) && !c->x->sheets[i].part) {
			char path[MAX_PATH];

			target_path(target, path, sizeof(path));
			c->x->sheets[i].part = xstrdup(path);
		}
	}
}

/* --- Shared strings --------------------------------------------------------------------------------------- */

struct sst_ctx {
	struct xml m;
	struct xlsx *x;
	size_t cap;
	int in_si, in_t, in_rph;   /* inside <si>, a <t> of it, phonetic runs (<rPh>, not shown in cells) */
	struct buf text;
};

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sst_ctx *c = ud;
	const char *n = local(name);

	(void)atts;
	if (!strcmp(n, "si")) {
		c->in_si = 1;
		buf_reset(&c->text);
	} else if (!strcmp(n, "rPh")) {
		c->in_rph = 1;
	} else if (!strcmp(n, "t") && c->in_si && !c->in_rph) {
		c->in_t = 1;
	}
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
	struct sst_ctx *c = ud;
	const char *n = local(name);

	if (!strcmp(n, "t")) {
		c->in_t = 0;
	} else if (!strcmp(n, "rPh")) {
		c->in_rph = 0;
	} else if (!strcmp(n, "si") && c->in_si) {
		c->in_si = 0;
		if (c->x->nstrings == XLSX_MAX_STRINGS) {
			xml_fail(&c->m, _("more than a million shared strings"));
			return;
		}
		if (c->x->nstrings == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 256;
			c->x->strings = xrealloc(c->x->strings, c->cap * sizeof(*c->x->strings));
		}
		c->x->strings[c->x->nstrings++] = xstrdup(c->text.len ? c->text.data : "");
	}
}

static void XMLCALL sst_text(void *ud, const XML_Char *s, int len)
{
	struct sst_ctx *c = ud;

	if (c->in_t && buf_add(&c->text, s, (size_t)len) < 0)
		xml_fail(&c->m, _("a string longer than 64 KiB"));
}

/* --- Styles: which cell formats are dates ----------------------------------------------------------------- */

struct fmt {
	unsigned id;
	unsigned char kind;    /* as date_style */
};

struct styles_ctx {
	struct xml m;
	struct xlsx *x;
	struct fmt *fmts;
	size_t nfmts, cap;
	int in_xfs;
	size_t styles_cap;
};

/* Whether an Excel number format shows a date (1), a time (2) or both (3): its d, m, y and h, s outside quotes
 * and brackets ("[Red]", "[$-409]"), and not the m of minutes alone. */
static unsigned char format_kind(const char *code)
{
	int date = 0, time = 0, quoted = 0, bracket = 0;
	const char *p;

	for (p = code; *p; p++) {
		char c = *p;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted)
			continue;
		if (c == '\\' && p[1]) {
			p++;
			continue;
		}
		if (c == '[') {
			bracket = 1;
			/* [h], [mm], [ss]: elapsed time */
			if (p[1] == 'h' || p[1] == 'H' || p[1] == 's' || p[1] == 'S')
				time = 1;
			continue;
		}
		if (c == ']') {
			bracket = 0;
			continue;
		}
		if (bracket)
			continue;
		if (strchr("dDyY", c))
			date = 1;
		else if (strchr("hHsS", c))
			time = 1;
		else if (c == 'm' || c == 'M')
			date = 1;   /* months; a format with h or s is a time as well */
	}
	if (time && date) {
		/* "h:mm" and "mm:ss" have an m that is minutes: a time only, unless d or y says date. */
		int dy = 0;

		quoted = 0;
		for (p = code; *p; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (!quoted && strchr("dDyY", *p))
				dy = 1;
		}
		return dy ? 3 : 2;
	}
	return (unsigned char)(date ? 1 : time ? 2 : 0);
}

/* Excel's built-in number formats that are dates or times. */
static unsigned char builtin_kind(unsigned id)
{
	if ((id >= 14 && id <= 17) || id == 30 || id == 31 || (id >= 27 && id <= 29) || (id >= 34 && id <= 36) ||
	    (id >= 50 && id <= 58))
		return 1;
	if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47) || id == 32 || id == 33)
		return 2;
	if (id == 22)
		return 3;
	return 0;
}

static void XMLCALL styles_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct styles_ctx *c = ud;
	const char *n = local(name);

	if (!strcmp(n, "numFmt")) {
		const char *id = attr(atts, "numFmtId"), *code = attr(atts, "formatCode");

		if (!id || !code || c->nfmts == MAX_STYLES)
			return;
		if (c->nfmts == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->fmts = xrealloc(c->fmts, c->cap * sizeof(*c->fmts));
		}
		c->fmts[c->nfmts].id = (unsigned)strtoul(id, NULL, 10);
		c->fmts[c->nfmts++].kind = format_kind(code);
	} else if (!strcmp(n, "cellXfs")) {
		c->in_xfs = 1;
	} else if (!strcmp(n, "xf") && c->in_xfs) {
		const char *id = attr(atts, "numFmtId");
		unsigned fid = id ? (unsigned)strtoul(id, NULL, 10) : 0;
		unsigned char kind = builtin_kind(fid);
		size_t i;

		if (c->x->nstyles == MAX_STYLES) {
			xml_fail(&c->m, _("more than 65536 cell styles"));
			return;
		}
		for (i = 0; i < c->nfmts; i++)
			if (c->fmts[i].id == fid)
				kind = c->fmts[i].kind;
		if (c->x->nstyles == c->styles_cap) {
			c->styles_cap = c->styles_cap ? c->styles_cap * 2 : 64;
			c->x->date_style = xrealloc(c->x->date_style, c->styles_cap);
		}
		c->x->date_style[c->x->nstyles++] = kind;
	}
}

static void XMLCALL styles_end(void *ud, const XML_Char *name)
{
	struct styles_ctx *c = ud;

	if (!strcmp(local(name), "cellXfs"))
		c->in_xfs = 0;
}

/* --- Opening ---------------------------------------------------------------------------------------------- */

void xlsx_close(struct xlsx *x)
{
	size_t i;

	if (!x)
		return;
	if (x->zip)
		zip_discard(x->zip);
	for (i = 0; i < x->nsheets; i++) {
		free(x->sheets[i].name);
		free(x->sheets[i].part);
	}
	for (i = 0; i < x->nstrings; i++)
		free(x->strings[i]);
	free(x->strings);
	free(x->date_style);
	free(x->data);
	free(x);
}

/* Parses part with the handlers of ctx (whose first member is its struct xml). 0 (also when absent and not
 * required), -1 with err. */
static int parse_part(struct xlsx *x, const char *part, int required, void *ctx, XML_StartElementHandler start,
		      XML_EndElementHandler end, XML_CharacterDataHandler text, char *err, size_t errlen)
{
	struct xml *m = ctx;
	struct buf b;
	int r = read_part(x, part, &b, err, errlen);

	if (r <= 0) {
		if (r == 0 && required)
			return errf(err, errlen, _("this is not an .xlsx workbook: it has no %s"), part);
		return r;
	}
	if (!xml_new(m, ctx, part, err, errlen)) {
		buf_release(&b);
		return errf(err, errlen, _("out of memory"));
	}
	XML_SetElementHandler(m->p, start, end);
	if (text)
		XML_SetCharacterDataHandler(m->p, text);
	r = xml_run(m, &b);
	XML_ParserFree(m->p);
	buf_release(&b);
	return r;
}

struct xlsx *xlsx_open_mem(const void *data, size_t len, char *err, size_t errlen)
{
	struct xlsx *x;
	zip_error_t ze;
	zip_source_t *src;
	struct wb_ctx wb;
	struct rels_ctx rels;
	size_t i;

	if (xlsxlib_load_zip(err, errlen) < 0)
		return NULL;
	x = xcalloc(1, sizeof(*x));
	if (len > XLSX_MAX_FILE) {
		errf(err, errlen, _("the file is larger than %zu MiB"), XLSX_MAX_FILE >> 20);
		goto fail;
	}
	x->data = xmalloc(len ? len : 1);
	memcpy(x->data, data, len);
	zip_error_init(&ze);
	if (!(src = zip_source_buffer_create(x->data, len, 0, &ze)) ||
	    !(x->zip = zip_open_from_source(src, ZIP_RDONLY, &ze))) {
		errf(err, errlen, _("this is not an .xlsx workbook (not a zip file: %s)"), zip_error_strerror(&ze));
		if (src)
			zip_source_free(src);
		zip_error_fini(&ze);
		goto fail;
	}
	zip_error_fini(&ze);
	memset(&wb, 0, sizeof(wb));
	wb.x = x;
	if (parse_part(x, "xl/workbook.xml", 1, &wb, wb_start, NULL, NULL, err, errlen) < 0)
		goto fail;
	if (x->nsheets == 0) {
		errf(err, errlen, _("the workbook has no sheets"));
		goto fail;
	}
	memset(&rels, 0, sizeof(rels));
	rels.x = x;
	strlcpy_s(rels.strings, "xl/sharedStrings.xml", sizeof(rels.strings));
	strlcpy_s(rels.styles, "xl/styles.xml", sizeof(rels.styles));
	if (parse_part(x, "xl/_rels/workbook.xml.rels", 0, &rels, rels_start, NULL, NULL, err, errlen) < 0)
		goto fail;
	for (i = 0; i < x->nsheets; i++) {
		if (!x->sheets[i].part) {
			/* No relationship: the usual place. */
			char path[64];

			snprintf(path, sizeof(path), "xl/worksheets/sheet%zu.xml", i + 1);
			x->sheets[i].part = xstrdup(path);
		}
	}
	{
		struct sst_ctx sst;
		int r;

		memset(&sst, 0, sizeof(sst));
		sst.x = x;
		buf_init(&sst.text, XLSX_MAX_CELL);
		r = parse_part(x, rels.strings, 0, &sst, sst_start, sst_end, sst_text, err, errlen);
		buf_release(&sst.text);
		if (r < 0)
			goto fail;
	}
	{
		struct styles_ctx st;
		int r;

		memset(&st, 0, sizeof(st));
		st.x = x;
		r = parse_part(x, rels.styles, 0, &st, styles_start, styles_end, NULL, err, errlen);
		free(st.fmts);
		if (r < 0)
			goto fail;
	}
	return x;
fail:
	xlsx_close(x);
	return NULL;
}

struct xlsx *xlsx_open(const char *path, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(XLSX_MAX_FILE);
	struct xlsx *x;

	if (buf_read_file(&b, path) < 0) {
		if (errno == EFBIG)
			errf(err, errlen, _("'%s' is larger than %zu MiB"), path, XLSX_MAX_FILE >> 20);
		else
			errf(err, errlen, _("cannot read '%s': %s"), path, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	x = xlsx_open_mem(b.data, b.len, err, errlen);
	buf_release(&b);
	return x;
}

size_t xlsx_sheet_count(const struct xlsx *x)
{
	return x->nsheets;
}

const char *xlsx_sheet_name(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].name : NULL;
}

const char *xlsx_column_name(unsigned col, char *out)
{
	char rev[8];
	size_t n = 0, i;

	while (col > 0 && n < sizeof(rev) - 1) {
		rev[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
	return out;
}

/* --- A sheet's cells -------------------------------------------------------------------------------------- */

struct sheet_ctx {
	struct xml m;
	struct xlsx *x;
	xlsx_cell_fn fn;
	void *fn_ctx;
	int stopped;                 /* fn's non-zero return */
	unsigned row, col;           /* of the cell being read; row also of <row r=...> */
	unsigned next_col;           /* for cells without r= */
	char type[16];
	unsigned style;
	int in_v, in_is, in_t, in_rph, in_c;
	struct buf v;                /* the <v> or inline text */
	char out[64];
};

/* "B12" into col 2, row 12; 0 when malformed or out of bounds. */
static int cell_ref(const char *r, unsigned *row, unsigned *col)
{
	unsigned long c = 0, w = 0;
	const char *p = r;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
		c = c * 26 + (unsigned long)((*p | 0x20) - 'a' + 1);
		if (c > XLSX_MAX_COL)
			return 0;
		p++;
	}
	while (*p >= '0' && *p <= '9') {
		w = w * 10 + (unsigned long)(*p - '0');
		if (w > XLSX_MAX_ROW)
			return 0;
		p++;
	}
	if (*p || c == 0 || w == 0)
		return 0;
	*row = (unsigned)w;
	*col = (unsigned)c;
	return 1;
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = ud;
	const char *n = local(name);

	if (!strcmp(n, "row")) {
		const char *r = attr(atts, "r");

		if (r) {
			char *end;
			unsigned long w = strtoul(r, &end, 10);

			if (*end || w == 0 || w > XLSX_MAX_ROW) {
				xml_fail(&c->m, _("a row number out of bounds: '%.20s'"), r);
				return;
			}
			c->row = (unsigned)w;
		} else {
			c->row++;
		}
		c->next_col = 1;
	} else if (!strcmp(n, "c")) {
		const char *r = attr(atts, "r"), *t = attr(atts, "t"), *s = attr(atts, "s");

		c->in_c = 1;
		if (r) {
			if (!cell_ref(r, &c->row, &c->col)) {
				xml_fail(&c->m, _("a cell reference out of bounds: '%.20s'"), r);
				return;
			}
		} else {
			if (c->row == 0)
				c->row = 1;
			c->col = c->next_col;
			if (c->col > XLSX_MAX_COL) {
				xml_fail(&c->m, _("more columns than Sondeo reads"));
				return;
			}
		}
		c->next_col = c->col + 1;
		strlcpy_s(c->type, t ? t : "n", sizeof(c->type));
		c->style = s ? (unsigned)strtoul(s, NULL, 10) : 0;
		buf_reset(&c->v);
	} else if (c->in_c && !strcmp(n, "v")) {
		c->in_v = 1;
	} else if (c->in_c && !strcmp(n, "is")) {
		c->in_is = 1;
	} else if (c->in_is && !strcmp(n, "rPh")) {
		c->in_rph = 1;
	} else if (c->in_is && !c->in_rph && !strcmp(n, "t")) {
		c->in_t = 1;
	}
}

static void XMLCALL sheet_text(void *ud, const XML_Char *s, int len)
{
	struct sheet_ctx *c = ud;

	if ((c->in_v || c->in_t) && buf_add(&c->v, s, (size_t)len) < 0)
		xml_fail(&c->m, _("a cell longer than 64 KiB"));
}

/* An Excel serial (days since 1899-12-30, or 1904-01-01) as text of kind (1 date, 2 time, 3 both). */
static void serial_text(double serial, int date1904, unsigned char kind, char *out, size_t n)
{
	long long days = (long long)floor(serial);
	long long secs = llround((serial - (double)days) * 86400.0);
	long long z, era, doe, yoe, y, doy, mp, d, m;

	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	/* Days from 1970-01-01 (serial 25569, or 24107 in the 1904 system), then the civil date (Howard Hinnant's
	 * algorithm). Serials below 61 are before Excel's phantom 1900-02-29 and read one day late: no form has
	 * those. */
	z = days - (date1904 ? 24107 : 25569) + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* The caller keeps the serial within years 1900 to 9999, so these are short. */
	if (kind == 2)
		snprintf(out, n, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	else if (kind == 1)
		snprintf(out, n, "%04d-%02d-%02d", (int)(y % 10000), (int)m, (int)d);
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", (int)(y % 10000), (int)m, (int)d, (int)(secs / 3600),
			 (int)(secs / 60 % 60), (int)(secs % 60));
}

/* A number's text: a whole number without ".0", others with the fewest digits that read back the same. */
static void number_text(double v, char *out, size_t n)
{
	int prec;

	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, n, "%.0f", v);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
	struct sheet_ctx *c = ud;
	const char *n = local(name), *text = NULL;

	if (!strcmp(n, "v")) {
		c->in_v = 0;
		return;
	}
	if (!strcmp(n, "t")) {
		c->in_t = 0;
		return;
	}
	if (!strcmp(n, "rPh")) {
		c->in_rph = 0;
		return;
	}
	if (!strcmp(n, "is")) {
		c->in_is = 0;
		return;
	}
	if (strcmp(n, "c") || !c->in_c)
		return;
	c->in_c = 0;
	if (buf_addc(&c->v, '\0') < 0) {
		xml_fail(&c->m, _("a cell longer than 64 KiB"));
		return;
	}
	c->v.len--;
	if (!strcmp(c->type, "s")) {
		char *end;
		unsigned long i = strtoul(c->v.data, &end, 10);

		if (!c->v.len || *end || i >= c->x->nstrings) {
			xml_fail(&c->m, _("a cell names shared string '%.20s', which the workbook does not have"),
				 c->v.data);
			return;
		}
		text = c->x->strings[i];
	} else if (!strcmp(c->type, "inlineStr") || !strcmp(c->type, "str") || !strcmp(c->type, "d") ||
		   !strcmp(c->type, "e")) {
		text = c->v.data;
	} else if (!strcmp(c->type, "b")) {
		text = !strcmp(c->v.data, "1") ? "TRUE" : "FALSE";
	} else if (c->v.len) {
		char *end;
		double v = strtod(c->v.data, &end);
		unsigned char kind = c->style < c->x->nstyles ? c->x->date_style[c->style] : 0;

		if (*end || !isfinite(v)) {
			xml_fail(&c->m, _("a number cell holds '%.20s'"), c->v.data);
			return;
		}
		if (kind && v >= 0 && v < 2958466)   /* up to 9999-12-31 */
			serial_text(v, c->x->date1904, kind, c->out, sizeof(c->out));
		else
			number_text(v, c->out, sizeof(c->out));
		text = c->out;
	}
	if (text && *text && !c->stopped) {
		int r = c->fn(c->fn_ctx, c->row, c->col, text);

		if (r) {
			c->stopped = r;
			XML_StopParser(c->m.p, XML_FALSE);
		}
	}
}

int xlsx_cells(struct xlsx *x, size_t i, xlsx_cell_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sheet_ctx c;
	int r;

	if (i >= x->nsheets)
		return errf(err, errlen, _("no sheet %zu"), i + 1);
	memset(&c, 0, sizeof(c));
	c.x = x;
	c.fn = fn;
	c.fn_ctx = ctx;
	buf_init(&c.v, XLSX_MAX_CELL);
	r = parse_part(x, x->sheets[i].part, 1, &c, sheet_start, sheet_end, sheet_text, err, errlen);
	buf_release(&c.v);
	if (c.stopped)
		return c.stopped;
	return r;
}
