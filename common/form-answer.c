/* form-answer.c - answers read from what a person typed or a file holds, each checked against its question's
 * type and choices. */
#include "form.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "form-priv.h"
#include "i18n.h"
#include "media.h"
#include "util.h"

#include "banned.h"

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

/* Puts s, shortened to about 40 bytes on a character boundary and with control characters as '?', into out:
 * messages quote what the person typed without flooding or garbling a terminal. */
const char *form_quote(const char *s, size_t len, char *out, size_t n)
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

int form_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int form_is_blank(char c)
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
		if (!form_is_digit(s[i]))
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
int form_parse_dec(const char *s, size_t len, double *out)
{
	size_t i = 0;
	int digits = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && form_is_digit(s[i]); i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && form_is_digit(s[i]); i++)
			digits++;
	if (!digits)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = ++i;

		if (i < len && (s[i] == '+' || s[i] == '-'))
			e = ++i;
		for (; i < len && form_is_digit(s[i]); i++)
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
		if (i != 4 && i != 7 && !form_is_digit(s[i]))
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

	if (len && form_is_digit(s[0]) && len >= 4 && s[1] == ':') {
		h = s[0] - '0';
		i = 2;
	} else if (len >= 5 && form_is_digit(s[0]) && form_is_digit(s[1]) && s[2] == ':') {
		h = (s[0] - '0') * 10 + (s[1] - '0');
		i = 3;
	} else {
		return 0;
	}
	if (i + 2 > len || !form_is_digit(s[i]) || !form_is_digit(s[i + 1]))
		return 0;
	m = (s[i] - '0') * 10 + (s[i + 1] - '0');
	i += 2;
	if (i < len) {
		if (i + 3 != len || s[i] != ':' || !form_is_digit(s[i + 1]) || !form_is_digit(s[i + 2]))
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

/* *out = v, a new answer; ERR_OOM with err when v is NULL (jansson found no memory for it). */
static int answer(json_t *v, json_t **out, char *err, size_t errlen)
{
	*out = v;
	return v ? 0 : err_oom(err, errlen);
}

/* "lat lon [alt [acc]]", separated by blanks or commas (as copied from a map), kept as typed but joined by
 * single spaces. */
/* The next word of s[0..len) from *i, words being separated by blanks or commas: 1 with it at s[*start..*i), or
 * 0 at the end. */
static int next_word(const char *s, size_t len, size_t *i, size_t *start)
{
	while (*i < len && (form_is_blank(s[*i]) || s[*i] == ','))
		(*i)++;
	if (*i == len)
		return 0;
	*start = *i;
	while (*i < len && !form_is_blank(s[*i]) && s[*i] != ',')
		(*i)++;
	return 1;
}

static int parse_geopoint(const char *s, size_t len, json_t **out, char *err, size_t errlen)
{
	const char *tok[4];
	size_t tlen[4], n = 0, i = 0, k, at = 0, start;
	double v[4];
	char q[64], *joined;

	while (next_word(s, len, &i, &start)) {
		if (n == 4)
			return errf(err, errlen, _("'%s' is not a location (give latitude and longitude, and "
						   "optionally altitude and accuracy)"),
				    form_quote(s, len, q, sizeof q));
		tok[n] = s + start;
		tlen[n++] = i - start;
	}
	if (n < 2)
		return errf(err, errlen, _("'%s' is not a location (give latitude and longitude in decimal degrees, "
					   "e.g. -1.2921 36.8219)"), form_quote(s, len, q, sizeof q));
	for (k = 0; k < n; k++)
		if (form_parse_dec(tok[k], tlen[k], &v[k]) < 0)
			return errf(err, errlen,
				    k == 0 ? _("'%s' is not a location: the latitude '%s' is not a number") :
				    k == 1 ? _("'%s' is not a location: the longitude '%s' is not a number") :
				    k == 2 ? _("'%s' is not a location: the altitude '%s' is not a number") :
					     _("'%s' is not a location: the accuracy '%s' is not a number"),
				    form_quote(s, len, q, sizeof q), form_quote(tok[k], tlen[k], q + 48, 16));
	if (v[0] < -90 || v[0] > 90)
		return errf(err, errlen, _("latitude %.*s is out of range (-90 to 90)"), (int)tlen[0], tok[0]);
	if (v[1] < -180 || v[1] > 180)
		return errf(err, errlen, _("longitude %.*s is out of range (-180 to 180)"), (int)tlen[1], tok[1]);
	if (n == 4 && v[3] < 0)
		return errf(err, errlen, _("accuracy %.*s cannot be negative"), (int)tlen[3], tok[3]);
	if (!(joined = mem_alloc(len + 1)))
		return err_oom(err, errlen);
	for (k = 0; k < n; k++) {
		if (k)
			joined[at++] = ' ';
		memcpy(joined + at, tok[k], tlen[k]);
		at += tlen[k];
	}
	joined[at] = '\0';
	*out = json_string(joined);
	free(joined);
	return *out ? 0 : err_oom(err, errlen);
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
		while (start < end && form_is_blank(s[start]))
			start++;
		if (start == end)
			continue;     /* "a; ; b" or a final ';' */
		if ((rc = parse_geopoint(s + start, end - start, &pt, e2, sizeof e2)) < 0) {
			if (rc != ERR_OOM)
				rc = errf(err, errlen, _("point %zu: %s"), n + 1, e2);
			else
				err_oom(err, errlen);
			goto out;
		}
		lastat = b.len + (b.len ? 2 : 0);
		rc = buf_printf(&b, "%s%s", b.len ? "; " : "", json_string_value(pt));
		json_decref(pt);
		if (rc < 0) {
			rc = err_oom(err, errlen);   /* the cap holds any answer within FORM_MAX_ANSWER */
			goto out;
		}
		rc = -1;
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
		if (!(first = mem_strndup(b.data, firstlen)) || buf_add(&b, "; ", 2) < 0 ||
		    buf_add(&b, first, firstlen) < 0) {
			rc = err_oom(err, errlen);
			goto out;
		}
		n++;
	}
	if (n - (q->type == FT_GEOSHAPE) < need) {
		size_t got = n - (q->type == FT_GEOSHAPE);

		if (q->type == FT_GEOSHAPE)
			/* TRANSLATORS: a shape answer (geoshape) with too few points: the answer, how many points it
			 * has, how many it needs. */
			errf(err, errlen, P_("'%s' has %zu point: a shape needs %zu or more",
					     "'%s' has %zu points: a shape needs %zu or more", got),
			     form_quote(s, len, q2, sizeof q2), got, need);
		else
			/* TRANSLATORS: a line answer (geotrace) with too few points: the answer, how many points it
			 * has, how many it needs. */
			errf(err, errlen, P_("'%s' has %zu point: a line needs %zu or more",
					     "'%s' has %zu points: a line needs %zu or more", got),
			     form_quote(s, len, q2, sizeof q2), got, need);
		goto out;
	}
	if (b.len > FORM_MAX_ANSWER) {
		errf(err, errlen, _("the answer is longer than %d bytes"), FORM_MAX_ANSWER);
		goto out;
	}
	*out = json_stringn(b.data, b.len);
	rc = *out ? 0 : err_oom(err, errlen);
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

		while (form_is_blank(*q))
			q++;
		l1 = strcspn(q, " ");
		l2 = q[l1] ? strcspn(q + l1 + 1, " ;") : 0;
		if (!l1 || !l2 || (size_t)(q + l1 + 1 + l2 - p) > plen || form_parse_dec(q, l1, &lat) < 0 ||
		    form_parse_dec(q + l1 + 1, l2, &lon) < 0 || fabs(lat) > 90 || fabs(lon) > 180) {
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

long form_find_exact(const struct form_question *q, const char *name)
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
	long k = name ? form_find_exact(q, name) : -1;

	return k >= 0 ? form_text(f, q->choices[k].label, lang) : NULL;
}

/* 1 if a choice's label (TEXT: a string, or one per language) reads as folded (utf8_fold) in some language. lb is
 * scratch. */
static int label_is(const json_t *label, const struct buf *folded, struct buf *lb)
{
	const char *k;
	json_t *v;

	if (json_is_string(label)) {
		utf8_fold(json_string_value(label), json_string_length(label), lb);
		return lb->len == folded->len && !memcmp(lb->data, folded->data, lb->len);
	}
	json_object_foreach((json_t *)label, k, v)
		if (json_is_string(v) && label_is(v, folded, lb))
			return 1;
	return 0;
}

/* The choice a word names: its name exactly, else with FORM_PARSE_NUMBERS its 1-based number, else its name
 * in another case if only one choice matches that way, else with FORM_PARSE_LABELS its label in one of the form's
 * languages, whatever its case and accents, if only one choice has it. Returns the index, -1 if none, -2 for a
 * number out of range. */
long form_find_choice(const struct form_question *q, const char *w, size_t len, int flags)
{
	struct buf folded = BUF_INIT(4 * len + 1), lb = BUF_INIT(1 << 16);
	size_t i;
	int all_digits = len > 0;
	long found = -1;

	for (i = 0; i < q->nchoices; i++)
		if (strlen(q->choices[i].name) == len && !memcmp(q->choices[i].name, w, len))
			return (long)i;
	for (i = 0; i < len; i++)
		all_digits &= form_is_digit(w[i]);
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
	if (found >= 0 || !(flags & FORM_PARSE_LABELS))
		return found;
	/* Else its label, in any of the form's languages, whatever its case and accents: "Kenya", "kenia" and "KEN"
	 * are one choice, and "cote d'ivoire" is "Côte d'Ivoire". */
	utf8_fold(w, len, &folded);
	for (i = 0; i < q->nchoices; i++)
		if (label_is(q->choices[i].label, &folded, &lb)) {
			if (found >= 0 && found != (long)i) {
				found = -1;
				break;
			}
			found = (long)i;
		}
	buf_release(&folded);
	buf_release(&lb);
	return found;
}

int form_not_a_choice(const struct form_question *q, const char *w, size_t len, long why, char *err,
			size_t errlen)
{
	struct buf b = BUF_INIT(1024);
	char qv[64];
	size_t i;
	int rc;

	if (why == -2)
		return errf(err, errlen, _("'%s' is not a choice (choose a number from 1 to %zu)"),
			    form_quote(w, len, qv, sizeof qv), q->nchoices);
	/* Twenty names say what a choice looks like; a country's 249 would drown the message. */
	for (i = 0; i < q->nchoices && i < 20; i++)
		if (buf_printf(&b, "%s%s", i ? ", " : "", q->choices[i].name) < 0)
			break;
	/* TRANSLATORS: the second %s lists the question's choices, the third is ", ..." when the list is cut. */
	rc = errf(err, errlen, _("'%s' is not a choice (choose from: %s%s)"), form_quote(w, len, qv, sizeof qv),
		  b.data, i < q->nchoices ? ", ..." : "");
	buf_release(&b);
	return rc;
}

/* The choices picked for a select_multiple or a rank, in the order given and without repeats. */
struct picks {
	char *seen;       /* per choice of the question */
	json_t *arr;      /* their names */
};

static int picks_init(struct picks *p, const struct form_question *q, char *err, size_t errlen)
{
	p->seen = mem_calloc(q->nchoices ? q->nchoices : 1, 1);
	p->arr = json_array();
	if (p->seen && p->arr)
		return 0;
	free(p->seen);
	json_decref(p->arr);
	return err_oom(err, errlen);
}

static void picks_release(struct picks *p)
{
	free(p->seen);
	json_decref(p->arr);
}

/* Adds choice c: a rank names each choice once, a select_multiple ignores a repeat. 0, or -1 (ERR_OOM) with
 * err. */
static int picks_add(struct picks *p, const struct form_question *q, long c, char *err, size_t errlen)
{
	if (p->seen[c] && q->type == FT_RANK)
		return errf(err, errlen, _("'%s' is ranked twice"), q->choices[c].name);
	if (p->seen[c])
		return 0;
	p->seen[c] = 1;
	if (json_array_append_new(p->arr, json_string(q->choices[c].name)) < 0)
		return err_oom(err, errlen);
	return 0;
}

/* The names picked into *out (NULL for none: no answer); releases p. */
static void picks_done(struct picks *p, json_t **out)
{
	*out = json_array_size(p->arr) ? json_incref(p->arr) : NULL;
	picks_release(p);
}

/* Reads select_multiple words, separated by blanks or commas, into an array of names in the order given and
 * without repeats. An empty list gives *out = NULL. */
static int parse_multi(const struct form_question *q, const char *s, size_t len, int flags, json_t **out,
		       char *err, size_t errlen)
{
	struct picks p;
	size_t i = 0, start;
	int r;

	if ((r = picks_init(&p, q, err, errlen)) < 0)
		return r;
	while (next_word(s, len, &i, &start)) {
		long c;

		c = form_find_choice(q, s + start, i - start, flags);
		r = c < 0 ? form_not_a_choice(q, s + start, i - start, c, err, errlen) : picks_add(&p, q, c, err, errlen);
		if (r < 0) {
			picks_release(&p);
			return r;
		}
	}
	picks_done(&p, out);
	return 0;
}

/* The answer s[0..n) (neither empty nor blank at either end) to a question of any type but text, as its type
 * stores it, into *out. One case per type, each a few lines: the switch reads best whole. 0, -1 or ERR_OOM with
 * err. */
static int parse_typed(const struct form_question *q, const char *s, size_t n, int flags, json_t **out, char *err,
		       size_t errlen)
{
	char qv[64];
	long c;

	form_quote(s, n, qv, sizeof qv);
	switch (stored_as(q->type)) {
	case FT_INTEGER: {
		json_int_t v;
		int rc = parse_int(s, n, &v);

		if (rc == -2)
			return errf(err, errlen, _("'%s' is too large for a whole number"), qv);
		if (rc < 0)
			return errf(err, errlen, _("'%s' is not a whole number"), qv);
		return answer(json_integer(v), out, err, errlen);
	}
	case FT_DECIMAL: {
		double d;
		int rc = form_parse_dec(s, n, &d);
		char comma[64];

		/* "3,5" where the language writes decimals with a comma (a comma means nothing else in one number). */
		if (rc == -1 && n < sizeof(comma) && !strcmp(C_("decimal separator", "."), ",") && !memchr(s, '.', n)) {
			char *sep;

			memcpy(comma, s, n);
			if ((sep = memchr(comma, ',', n)) != NULL) {
				*sep = '.';
				rc = form_parse_dec(comma, n, &d);   /* a second comma is still refused */
			}
		}
		if (rc == -2)
			return errf(err, errlen, _("'%s' is too large a number"), qv);
		if (rc < 0 && memchr(s, ',', n) && !memchr(s, '.', n))
			return errf(err, errlen, _("'%s' is not a number (write decimals with a point, as in 3.5)"),
				    qv);
		if (rc < 0)
			return errf(err, errlen, _("'%s' is not a number"), qv);
		return answer(json_real(d), out, err, errlen);
	}
	case FT_DATE:
		if (!valid_date(s, n)) {
			if (n == 10 && s[4] == '-' && s[7] == '-')
				return errf(err, errlen, _("'%s' is not a real date"), qv);
			return errf(err, errlen, _("'%s' is not a date (write it as YYYY-MM-DD)"), qv);
		}
		return answer(json_stringn(s, n), out, err, errlen);
	case FT_GEOPOINT:
		return parse_geopoint(s, n, out, err, errlen);
	case FT_GEOTRACE:
	case FT_GEOSHAPE:
		return parse_geoline(q, s, n, out, err, errlen);
	case FT_TIME: {
		char t[9];

		if (!parse_time(s, n, t))
			return errf(err, errlen, _("'%s' is not a time (write it as HH:MM, from 00:00 to 23:59)"), qv);
		return answer(json_string(t), out, err, errlen);
	}
	case FT_DATETIME: {
		/* A date, then 'T' or a space, then a time. */
		char t[9], v[32];

		if (n < 15 || !valid_date(s, 10) || (s[10] != 'T' && s[10] != ' ') || !parse_time(s + 11, n - 11, t))
			return errf(err, errlen, _("'%s' is not a date and time (write it as YYYY-MM-DD HH:MM)"), qv);
		snprintf(v, sizeof(v), "%.10sT%s", s, t);
		return answer(json_string(v), out, err, errlen);
	}
	case FT_ACKNOWLEDGE:
		if ((n == 2 && !strncasecmp(s, "ok", 2)) || (n == 3 && !strncasecmp(s, "yes", 3)) ||
		    (n == 1 && (s[0] == 'y' || s[0] == 'Y' || s[0] == '1'))) {
			return answer(json_string("OK"), out, err, errlen);
		}
		return errf(err, errlen, _("'%s' is not OK (type OK to acknowledge, or leave it blank)"), qv);
	case FT_SELECT_ONE:
		c = form_find_choice(q, s, n, flags);
		if (c < 0)
			return form_not_a_choice(q, s, n, c, err, errlen);
		return answer(json_string(q->choices[c].name), out, err, errlen);
	case FT_SELECT_MULTIPLE:
	case FT_RANK:
		return parse_multi(q, s, n, flags, out, err, errlen);
	case FT_OSM:
		return form_parse_osm(q, s, n, out, err, errlen);
	case FT_NOTE:
		return errf(err, errlen, _("'%s' cannot be given: this question is a note and takes no answer"), qv);
	case FT_IMAGE: case FT_AUDIO: case FT_VIDEO: case FT_FILE:
		/* The bytes are read by the program that has the file (sondeo's @PATH), never here. */
		return errf(err, errlen, _("'%s' is not a file: give the path of one as @PATH"), qv);
	default:
		return errf(err, errlen, _("unknown question type"));
	}
}

int form_parse_text(const struct form_question *q, const char *text, size_t len, int flags, json_t **out,
		      char *err, size_t errlen)
{
	const char *s = text;
	size_t n = len, bad, i;
	char qv[64];

	*out = NULL;
	if (len > FORM_MAX_ANSWER)
		return errf(err, errlen, _("'%s' is longer than %d bytes"), form_quote(text, len, qv, sizeof qv),
			    FORM_MAX_ANSWER);
	if (!utf8_valid(text, len, &bad)) {
		if (text[bad] == '\0')
			return errf(err, errlen, _("'%s' contains a NUL byte"), form_quote(text, bad, qv, sizeof qv));
		return errf(err, errlen, _("the answer is not valid UTF-8 (at byte %zu)"), bad + 1);
	}
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	for (i = 0; i < n && form_is_blank(s[i]); i++)
		;
	if (i == n)
		return 0;
	if (stored_as(q->type) == FT_TEXT) {
		/* Checked as UTF-8 above: no need for jansson to check it again. */
		return answer(json_stringn_nocheck(s, n), out, err, errlen);
	}
	/* other types ignore surrounding blanks */
	while (form_is_blank(*s)) {
		s++;
		n--;
	}
	while (form_is_blank(s[n - 1]))
		n--;
	return parse_typed(q, s, n, flags, out, err, errlen);
}

int form_parse_answer(const struct form *f, const struct form_question *q, const char *text, int flags,
		      json_t **out, char *err, size_t errlen)
{
	(void)f;
	*out = NULL;
	if (!text)
		return 0;
	return form_parse_text(q, text, strlen(text), flags, out, err, errlen);
}

/* "'v' is not" what a question of type t wants, one whole sentence per type for translators. */
static int not_kind(enum form_type t, const char *v, char *err, size_t errlen)
{
	switch (t) {
	case FT_INTEGER: return errf(err, errlen, _("'%s' is not a whole number"), v);
	case FT_DECIMAL: return errf(err, errlen, _("'%s' is not a number"), v);
	case FT_SELECT_ONE: return errf(err, errlen, _("'%s' is not a choice"), v);
	case FT_SELECT_MULTIPLE: return errf(err, errlen, _("'%s' is not a list of choices"), v);
	case FT_RANK: return errf(err, errlen, _("'%s' is not an order of the choices"), v);
	case FT_DATE: return errf(err, errlen, _("'%s' is not a date"), v);
	case FT_TIME: return errf(err, errlen, _("'%s' is not a time"), v);
	case FT_DATETIME: return errf(err, errlen, _("'%s' is not a date and time"), v);
	case FT_ACKNOWLEDGE: return errf(err, errlen, _("'%s' is not OK"), v);
	case FT_GEOPOINT: return errf(err, errlen, _("'%s' is not a location"), v);
	case FT_GEOTRACE: return errf(err, errlen, _("'%s' is not a line of locations"), v);
	case FT_GEOSHAPE: return errf(err, errlen, _("'%s' is not a shape of locations"), v);
	case FT_OSM: return errf(err, errlen, _("'%s' is not an OpenStreetMap feature and its tags"), v);
	case FT_NOTE: return errf(err, errlen, _("'%s' is not an answer (this question is a note)"), v);
	case FT_IMAGE: case FT_AUDIO: case FT_VIDEO: case FT_FILE:
		return errf(err, errlen, _("'%s' is not an attachment"), v);
	default: return errf(err, errlen, _("'%s' is not text"), v);
	}
}

int form_wrong_kind(const struct form_question *q, const json_t *in, char *err, size_t errlen)
{
	char *dump = json_dumps(in, JSON_ENCODE_ANY | JSON_COMPACT);
	char qv[64];
	int rc = not_kind(q->type, dump ? form_quote(dump, strlen(dump), qv, sizeof qv) : "?", err, errlen);

	free(dump);
	return rc;
}

/* An attachment's answer: its shape (media.h), then whether the question takes its type. */
static int coerce_media(const struct form_question *q, const json_t *in, json_t **out, char *err, size_t errlen)
{
	struct media_ref r;

	if (media_ref_read(in, &r, err, errlen) < 0)
		return -1;
	if (!media_accepts(q->accept, form_type_name(q->type), r.type, r.name))
		return errf(err, errlen, _("'%s' (%s) is not a file this question takes"), r.name, r.type);
	return answer(json_deep_copy(in), out, err, errlen);
}

int form_coerce_answer(const struct form *f, const struct form_question *q, const json_t *in, json_t **out,
		       char *err, size_t errlen)
{
	(void)f;
	*out = NULL;
	if (!in || json_is_null(in))
		return 0;
	if (json_is_string(in))
		return form_parse_text(q, json_string_value(in), json_string_length(in), 0, out, err, errlen);
	if (form_is_media(q->type) && json_is_object(in))
		return coerce_media(q, in, out, err, errlen);
	if (q->type == FT_INTEGER && json_is_integer(in)) {
		return answer(json_integer(json_integer_value(in)), out, err, errlen);
	}
	if (q->type == FT_INTEGER && json_is_real(in)) {
		double d = json_real_value(in);

		/* spreadsheets and some JSON writers turn 3 into 3.0 */
		if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
			return answer(json_integer((json_int_t)d), out, err, errlen);
		}
		return errf(err, errlen, _("'%.17g' is not a whole number"), d);
	}
	if (q->type == FT_DECIMAL && json_is_number(in)) {
		return answer(json_real(json_number_value(in)), out, err, errlen);
	}
	if ((q->type == FT_SELECT_MULTIPLE || q->type == FT_RANK) && json_is_array(in)) {
		struct picks p;
		const json_t *x;
		size_t i;
		int r;

		if ((r = picks_init(&p, q, err, errlen)) < 0)
			return r;
		json_array_foreach(in, i, x) {
			long c = json_is_string(x) ?
				 form_find_choice(q, json_string_value(x), json_string_length(x), 0) : -1;

			if (!json_is_string(x))
				r = form_wrong_kind(q, in, err, errlen);
			else if (c < 0)
				r = form_not_a_choice(q, json_string_value(x), json_string_length(x), c, err, errlen);
			else
				r = picks_add(&p, q, c, err, errlen);
			if (r < 0) {
				picks_release(&p);
				return r;
			}
		}
		picks_done(&p, out);
		return 0;
	}
	return form_wrong_kind(q, in, err, errlen);
}
