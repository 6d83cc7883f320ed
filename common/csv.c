/* csv.c - an RFC 4180 reader that knows its line numbers, and the field writer. */
#include "csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

/* A row wider than any form we could import is a malformed file, not data to allocate for. */
#define CSV_MAX_FIELDS 1000

struct csv_reader {
	const char *p, *end;
	size_t line;        /* line number of *p */
	size_t row_line;    /* where the row last returned started */
	struct buf text;    /* the current row's fields, each followed by its NUL */
	size_t *offs;       /* where each field starts in text (text moves as it grows) */
	char **fields;
	size_t cap;
	char err[160];      /* once malformed, every later call repeats the same error */
};

struct csv_reader *csv_open(const char *data, size_t len)
{
	struct csv_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
		data += 3;
		len -= 3;
	}
	r->p = data;
	r->end = data + len;
	r->line = 1;
	/* A row's text is at most the input plus one NUL per field, so this cap never refuses valid input. */
	buf_init(&r->text, len > SIZE_MAX - CSV_MAX_FIELDS - 1 ? SIZE_MAX - 1 : len + CSV_MAX_FIELDS + 1);
	return r;
}

void csv_free(struct csv_reader *r)
{
	if (!r)
		return;
	buf_release(&r->text);
	free(r->offs);
	free(r->fields);
	free(r);
}

size_t csv_line(const struct csv_reader *r)
{
	return r->row_line;
}

/* The length of the line break at p: 2 for CRLF, 1 for LF or a lone CR (old Mac files), 0 for none. */
static size_t eol_len(const struct csv_reader *r, const char *p)
{
	if (p >= r->end)
		return 0;
	if (*p == '\n')
		return 1;
	if (*p == '\r')
		return p + 1 < r->end && p[1] == '\n' ? 2 : 1;
	return 0;
}

static int fail(struct csv_reader *r, char *err, size_t errlen)
{
	return errf(err, errlen, "%s", r->err);
}

/* Quotes c for a message: 'x' when printable, else its hex value. */
static void show_char(char *out, size_t n, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		errf(out, n, "'%c'", c);
	else
		/* TRANSLATORS: a character of a CSV file that cannot be shown, by its value ("byte 0x07"). */
		errf(out, n, _("byte 0x%02x"), c);
}

static int add_field_start(struct csv_reader *r, size_t n)
{
	size_t ncap;
	size_t *o;
	char **f;

	if (n < r->cap)
		goto done;
	ncap = r->cap ? r->cap * 2 : 16;
	if (ncap > CSV_MAX_FIELDS)
		ncap = CSV_MAX_FIELDS;
	o = realloc(r->offs, ncap * sizeof(*o));
	if (!o)
		return -1;
	r->offs = o;
	f = realloc(r->fields, ncap * sizeof(*f));
	if (!f)
		return -1;
	r->fields = f;
	r->cap = ncap;
done:
	r->offs[n] = r->text.len;
	return 0;
}

/* Reads a quoted field starting at the opening quote; r->p ends just past the closing quote. */
static int read_quoted(struct csv_reader *r)
{
	size_t qline = r->line, k;
	const char *s;

	r->p++;
	for (;;) {
		for (s = r->p; s < r->end && *s != '"' && *s != '\n' && *s != '\r' && *s; s++)
			;
		if (buf_add(&r->text, r->p, (size_t)(s - r->p)) < 0)
			return errf(r->err, sizeof(r->err), _("line %zu: out of memory"), r->line);
		r->p = s;
		if (s == r->end)
			return errf(r->err, sizeof(r->err), _("line %zu: unterminated quoted field"), qline);
		if (*s == '\0')
			return errf(r->err, sizeof(r->err), _("line %zu: NUL byte in a field"), r->line);
		if (*s == '"') {
			r->p++;
			if (r->p < r->end && *r->p == '"') {
				if (buf_addc(&r->text, '"') < 0)
					return errf(r->err, sizeof(r->err), _("line %zu: out of memory"), r->line);
				r->p++;
				continue;
			}
			return 0;
		}
		/* A line break inside quotes is data, kept as written; it still moves the line count. */
		k = eol_len(r, s);
		if (buf_add(&r->text, s, k) < 0)
			return errf(r->err, sizeof(r->err), _("line %zu: out of memory"), r->line);
		r->p += k;
		r->line++;
	}
}

static int read_unquoted(struct csv_reader *r)
{
	const char *s;

	for (s = r->p; s < r->end && *s != ',' && *s != '"' && *s != '\n' && *s != '\r' && *s; s++)
		;
	if (buf_add(&r->text, r->p, (size_t)(s - r->p)) < 0)
		return errf(r->err, sizeof(r->err), _("line %zu: out of memory"), r->line);
	r->p = s;
	if (s < r->end && *s == '"')
		return errf(r->err, sizeof(r->err), _("line %zu: quote inside an unquoted field"), r->line);
	if (s < r->end && *s == '\0')
		return errf(r->err, sizeof(r->err), _("line %zu: NUL byte in a field"), r->line);
	return 0;
}

int csv_next(struct csv_reader *r, char ***fields, size_t *n, char *err, size_t errlen)
{
	size_t nf = 0, i, k;
	char what[16];

	if (r->err[0])
		return fail(r, err, errlen);
	while ((k = eol_len(r, r->p))) {
		r->p += k;
		r->line++;
	}
	if (r->p >= r->end)
		return 0;
	r->row_line = r->line;
	buf_reset(&r->text);
	for (;;) {
		if (nf == CSV_MAX_FIELDS) {
			errf(r->err, sizeof(r->err), _("line %zu: more than %d fields"), r->row_line, CSV_MAX_FIELDS);
			return fail(r, err, errlen);
		}
		if (add_field_start(r, nf) < 0) {
			errf(r->err, sizeof(r->err), _("line %zu: out of memory"), r->line);
			return fail(r, err, errlen);
		}
		nf++;
		if (r->p < r->end && *r->p == '"' ? read_quoted(r) : read_unquoted(r))
			return fail(r, err, errlen);
		if (buf_addc(&r->text, '\0') < 0) {
			errf(r->err, sizeof(r->err), _("line %zu: out of memory"), r->line);
			return fail(r, err, errlen);
		}
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p >= r->end)
			break;
		if (!(k = eol_len(r, r->p))) {
			show_char(what, sizeof(what), (unsigned char)*r->p);
			errf(r->err, sizeof(r->err), _("line %zu: unexpected character %s after closing quote"),
			     r->line, what);
			return fail(r, err, errlen);
		}
		r->p += k;
		r->line++;
		break;
	}
	for (i = 0; i < nf; i++)
		r->fields[i] = r->text.data + r->offs[i];
	*fields = r->fields;
	*n = nf;
	return 1;
}

int csv_write_field(struct buf *b, const char *s)
{
	size_t len = strlen(s), mark = b->len;
	const char *q;

	/* A leading byte order mark is quoted: at the start of a file, a reader takes it for the file's own. */
	if (!strpbrk(s, ",\"\r\n") && !(len && (s[0] == ' ' || s[len - 1] == ' ')) && strncmp(s, "\xef\xbb\xbf", 3))
		return buf_add(b, s, len);
	if (buf_addc(b, '"') < 0)
		return -1;
	for (; (q = strchr(s, '"')); s = q + 1) {
		/* The quote goes out twice: once with the text before it, once on its own. */
		if (buf_add(b, s, (size_t)(q - s) + 1) < 0 || buf_addc(b, '"') < 0)
			goto fail;
	}
	if (buf_adds(b, s) < 0 || buf_addc(b, '"') < 0)
		goto fail;
	return 0;
fail:
	/* Leave the buffer as it was, as every other buf append does. */
	b->len = mark;
	b->data[b->len] = '\0';
	return -1;
}

/* 1 if a spreadsheet could take text starting with c for a formula. */
static int formula_start(char c)
{
	return c && strchr("=+-@\t\r", c);
}

static int guarded(const char *s)
{
	return formula_start(s[0]) || (s[0] == '\'' && (formula_start(s[1]) || s[1] == '\''));
}

int csv_write_text(struct buf *b, const char *s)
{
	size_t mark = b->len;
	int r;

	if (!guarded(s))
		return csv_write_field(b, s);
	/* The apostrophe inside the field: a field that needs quotes gets them around the whole. */
	if (strpbrk(s, ",\"\r\n") || s[strlen(s) - 1] == ' ') {
		struct buf t = BUF_INIT(b->max);

		r = buf_addc(&t, '\'') < 0 || buf_adds(&t, s) < 0 ? -1 : csv_write_field(b, t.data);
		buf_release(&t);
	} else {
		r = buf_addc(b, '\'') < 0 || buf_adds(b, s) < 0 ? -1 : 0;
	}
	if (r < 0 && b->len != mark) {
		b->len = mark;
		b->data[b->len] = '\0';
	}
	return r;
}

const char *csv_unguard(const char *s)
{
	return s[0] == '\'' && guarded(s + 1) ? s + 1 : s;
}
