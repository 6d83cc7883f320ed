/* i18n.c - the built-in catalogs (GNU .mo files, made by msgfmt from po/LANG.po) and the thread's language.
 *
 * A .mo file is a header, a table of the original strings sorted by msgfmt, and a parallel table of their
 * translations: a message is found by binary search. Every offset is checked once, when the catalogs are first
 * used, so that a lookup trusts them. The catalogs come from the build, not from users, but a bad one is
 * ignored (English is shown) rather than read out of bounds. */
#include "i18n.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "util.h"
#include "banned.h"

/* gen/catalogs.c: one entry per po/LANG.po, named "LANG.mo". */
extern const struct embedded_file i18n_catalogs[];

#define MO_MAGIC 0x950412deU
#define MAX_CATALOGS 16
#define PLURAL_MAX 160

struct catalog {
	char lang[16];
	const unsigned char *mo;
	size_t len;
	uint32_t count;          /* messages */
	uint32_t orig, trans;    /* offsets of the two tables of (length, offset) pairs */
	int swap;                /* the file was written on a machine of the other byte order */
	unsigned nplurals;
	char plural[PLURAL_MAX]; /* the Plural-Forms expression, "(n > 1)" */
};

static struct catalog catalogs[MAX_CATALOGS];
static size_t ncatalogs;
static char lang_list[128];
static pthread_once_t loaded = PTHREAD_ONCE_INIT;
/* The process's language (NULL: English), and this thread's when it chose its own. */
static const struct catalog *process;
static _Thread_local const struct catalog *current;
static _Thread_local int own;

static const struct catalog *lang_now(void)
{
	return own ? current : process;
}

static uint32_t mo_u32(const struct catalog *c, size_t at)
{
	uint32_t v;

	memcpy(&v, c->mo + at, 4);
	if (c->swap)
		v = (v >> 24) | ((v >> 8) & 0xff00U) | ((v << 8) & 0xff0000U) | (v << 24);
	return v;
}

/* String i of the table at tab: its text (NUL-terminated, checked at load) and length. */
static const char *mo_str(const struct catalog *c, uint32_t tab, uint32_t i, uint32_t *len)
{
	*len = mo_u32(c, tab + 8 * (size_t)i);
	return (const char *)c->mo + mo_u32(c, tab + 8 * (size_t)i + 4);
}

/* The plural expression of gettext's Plural-Forms, a subset of C's: n, numbers, ( ), ! * / % + - < > <= >= ==
 * != && || ?:. Evaluated as it is parsed (it is a few dozen bytes and read once per plural message); *p moves
 * on, *ok turns 0 on a syntax error. Division by zero gives 0. */
struct pexpr {
	const char *p;
	unsigned long long n;
	int ok;
	int depth;
};

static unsigned long long p_cond(struct pexpr *e);

static void p_space(struct pexpr *e)
{
	while (*e->p == ' ' || *e->p == '\t' || *e->p == '\n')
		e->p++;
}

static int p_take(struct pexpr *e, const char *tok)
{
	size_t l = strlen(tok);

	p_space(e);
	if (strncmp(e->p, tok, l))
		return 0;
	/* "<" must not take the first half of "<=", nor "!" that of "!=". */
	if (l == 1 && strchr("<>!=", tok[0]) && e->p[1] == '=')
		return 0;
	e->p += l;
	return 1;
}

static unsigned long long p_primary(struct pexpr *e)
{
	unsigned long long v = 0;

	p_space(e);
	if (++e->depth > 64) {
		e->ok = 0;
		return 0;
	}
	if (p_take(e, "!")) {
		v = !p_primary(e);
	} else if (p_take(e, "(")) {
		v = p_cond(e);
		if (!p_take(e, ")"))
			e->ok = 0;
	} else if (*e->p == 'n') {
		e->p++;
		v = e->n;
	} else if (isdigit((unsigned char)*e->p)) {
		while (isdigit((unsigned char)*e->p) && v < 1000000000ULL)
			v = v * 10 + (unsigned)(*e->p++ - '0');
	} else {
		e->ok = 0;
	}
	e->depth--;
	return v;
}

static unsigned long long p_mul(struct pexpr *e)
{
	unsigned long long v = p_primary(e), r;

	for (;;) {
		if (p_take(e, "*")) {
			v *= p_primary(e);
		} else if (p_take(e, "/")) {
			r = p_primary(e);
			v = r ? v / r : 0;
		} else if (p_take(e, "%")) {
			r = p_primary(e);
			v = r ? v % r : 0;
		} else {
			return v;
		}
	}
}

static unsigned long long p_add(struct pexpr *e)
{
	unsigned long long v = p_mul(e);

	for (;;) {
		if (p_take(e, "+"))
			v += p_mul(e);
		else if (p_take(e, "-"))
			v -= p_mul(e);
		else
			return v;
	}
}

static unsigned long long p_rel(struct pexpr *e)
{
	unsigned long long v = p_add(e);

	for (;;) {
		if (p_take(e, "<="))
			v = v <= p_add(e);
		else if (p_take(e, ">="))
			v = v >= p_add(e);
		else if (p_take(e, "<"))
			v = v < p_add(e);
		else if (p_take(e, ">"))
			v = v > p_add(e);
		else
			return v;
	}
}

static unsigned long long p_eq(struct pexpr *e)
{
	unsigned long long v = p_rel(e);

	for (;;) {
		if (p_take(e, "=="))
			v = v == p_rel(e);
		else if (p_take(e, "!="))
			v = v != p_rel(e);
		else
			return v;
	}
}

static unsigned long long p_and(struct pexpr *e)
{
	unsigned long long v = p_eq(e);

	while (p_take(e, "&&")) {
		unsigned long long r = p_eq(e);   /* both sides are read: the parser must pass over them */

		v = v && r;
	}
	return v;
}

static unsigned long long p_or(struct pexpr *e)
{
	unsigned long long v = p_and(e);

	while (p_take(e, "||")) {
		unsigned long long r = p_and(e);

		v = v || r;
	}
	return v;
}

static unsigned long long p_cond(struct pexpr *e)
{
	unsigned long long c = p_or(e), a, b;

	if (!p_take(e, "?"))
		return c;
	if (++e->depth > 64) {
		e->ok = 0;
		return 0;
	}
	a = p_cond(e);
	if (!p_take(e, ":"))
		e->ok = 0;
	b = p_cond(e);
	e->depth--;
	return c ? a : b;
}

long i18n_plural(const char *expr, unsigned nplurals, unsigned long long n)
{
	struct pexpr e = { expr, n, 1, 0 };
	unsigned long long v = p_cond(&e);

	p_space(&e);
	if (!e.ok || (*e.p && *e.p != ';') || v >= nplurals)
		return -1;
	return (long)v;
}

static long plural_index(const struct catalog *c, unsigned long long n)
{
	return i18n_plural(c->plural, c->nplurals, n);
}

/* Reads "nplurals=N; plural=EXPR;" out of the header (the translation of ""). English's rule if it has none. */
static void catalog_plural(struct catalog *c, const char *head)
{
	const char *pf, *p;
	size_t i;

	c->nplurals = 2;
	strlcpy_s(c->plural, "n != 1", sizeof(c->plural));
	if (!head)
		return;
	for (pf = head; pf && strncmp(pf, "Plural-Forms:", 13); pf = strchr(pf, '\n') ? strchr(pf, '\n') + 1 : NULL)
		;
	if (!pf || !(p = strstr(pf, "nplurals=")))
		return;
	c->nplurals = (unsigned)atoi(p + 9);
	if (c->nplurals < 1 || c->nplurals > 6)
		c->nplurals = 2;
	if (!(p = strstr(pf, "plural=")))
		return;
	p += 7;
	for (i = 0; p[i] && p[i] != ';' && p[i] != '\n' && i + 1 < sizeof(c->plural); i++)
		c->plural[i] = p[i];
	c->plural[i] = '\0';
	/* An expression that cannot be read or gives a form the catalog lacks would fail at every plural: it is
	 * replaced once here by English's. */
	for (i = 0; i < 1000; i++)
		if (plural_index(c, i) < 0) {
			c->nplurals = 2;
			strlcpy_s(c->plural, "n != 1", sizeof(c->plural));
			return;
		}
}

/* Checks one built-in .mo file; 0 if every table and string lies inside it. */
static int catalog_open(struct catalog *c, const struct embedded_file *f)
{
	uint32_t magic, i, len, off;
	const char *dot = strrchr(f->name, '.');

	if (!dot || (size_t)(dot - f->name) >= sizeof(c->lang) || f->len < 28)
		return -1;
	memcpy(c->lang, f->name, (size_t)(dot - f->name));
	c->lang[dot - f->name] = '\0';
	c->mo = f->data;
	c->len = f->len;
	memcpy(&magic, f->data, 4);
	c->swap = magic != MO_MAGIC;
	if (mo_u32(c, 0) != MO_MAGIC)
		return -1;
	c->count = mo_u32(c, 8);
	c->orig = mo_u32(c, 12);
	c->trans = mo_u32(c, 16);
	if (c->count > (c->len / 16) || c->orig > c->len - 8 * (size_t)c->count ||
	    c->trans > c->len - 8 * (size_t)c->count)
		return -1;
	for (i = 0; i < c->count; i++) {
		uint32_t tab[2] = { c->orig, c->trans };
		int t;

		for (t = 0; t < 2; t++) {
			len = mo_u32(c, tab[t] + 8 * (size_t)i);
			off = mo_u32(c, tab[t] + 8 * (size_t)i + 4);
			if (off >= c->len || len >= c->len - off || c->mo[off + len] != '\0')
				return -1;
		}
	}
	/* msgfmt sorts the header, whose msgid is "", first. */
	catalog_plural(c, c->count && (mo_str(c, c->orig, 0, &len), len == 0) ? mo_str(c, c->trans, 0, &len) : NULL);
	return 0;
}

static void catalogs_load(void)
{
	const struct embedded_file *f;
	size_t i;

	strlcpy_s(lang_list, "en", sizeof(lang_list));
	for (f = i18n_catalogs; f->name && ncatalogs < MAX_CATALOGS; f++)
		if (catalog_open(&catalogs[ncatalogs], f) == 0)
			ncatalogs++;
	/* The list in alphabetical order, for messages: "en, es, fr". */
	for (;;) {
		const char *next = NULL;
		const char *last = strrchr(lang_list, ' ') ? strrchr(lang_list, ' ') + 1 : lang_list;

		for (i = 0; i < ncatalogs; i++)
			if (strcmp(catalogs[i].lang, last) > 0 && (!next || strcmp(catalogs[i].lang, next) < 0) &&
			    strcmp(catalogs[i].lang, "en"))
				next = catalogs[i].lang;
		size_t at = strlen(lang_list), l = next ? strlen(next) : 0;

		if (!next || at + l + 3 > sizeof(lang_list))
			break;
		memcpy(lang_list + at, ", ", 2);
		memcpy(lang_list + at + 2, next, l + 1);
	}
}

static const struct catalog *catalog_find(const char *code)
{
	size_t i;

	pthread_once(&loaded, catalogs_load);
	for (i = 0; i < ncatalogs; i++)
		if (!strcmp(catalogs[i].lang, code))
			return &catalogs[i];
	return NULL;
}

/* The index of msgid among the catalog's originals, or -1. */
static long catalog_lookup(const struct catalog *c, const char *msgid)
{
	uint32_t lo = 0, hi = c->count, len;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int d = strcmp(msgid, mo_str(c, c->orig, mid, &len));

		if (d == 0)
			return (long)mid;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *i18n_text(const char *msgid)
{
	const struct catalog *c = lang_now();
	uint32_t len;
	long i;

	if (!c || !*msgid || (i = catalog_lookup(c, msgid)) < 0)
		return msgid;
	return mo_str(c, c->trans, (uint32_t)i, &len);
}

const char *i18n_ctext(const char *context_msgid)
{
	const char *t = i18n_text(context_msgid);

	if (t == context_msgid)
		return strchr(context_msgid, '\004') + 1;
	return t;
}

const char *i18n_ntext(const char *one, const char *many, unsigned long long n)
{
	const struct catalog *c = lang_now();
	const char *s, *end;
	uint32_t len;
	long i, k;

	if (!c || (i = catalog_lookup(c, one)) < 0)
		return n == 1 ? one : many;
	k = plural_index(c, n);
	s = mo_str(c, c->trans, (uint32_t)i, &len);
	end = s + len;
	while (k-- > 0 && s < end)
		s += strlen(s) + 1;
	if (s >= end && len > 0)
		return n == 1 ? one : many;
	return s;
}

int i18n_code(const char *name, char *out, size_t n)
{
	size_t i = 0;

	if (!name || n < 4)
		return -1;
	if (!strcmp(name, "C") || !strncmp(name, "C.", 2) || !strcmp(name, "POSIX")) {
		strlcpy_s(out, "en", n);
		return 0;
	}
	while (isalpha((unsigned char)name[i]) && i < 3) {
		out[i] = (char)tolower((unsigned char)name[i]);
		i++;
	}
	if (i < 2 || (name[i] && !strchr("_-.@", name[i])))
		return -1;
	out[i] = '\0';
	return 0;
}

int i18n_has(const char *code)
{
	return !strcmp(code, "en") || catalog_find(code) != NULL;
}

int i18n_mo_each(const unsigned char *mo, size_t len, i18n_each_fn fn, void *ctx)
{
	struct embedded_file f = { "x.mo", mo, len };
	struct catalog c;
	uint32_t i, ol, tl;

	memset(&c, 0, sizeof(c));
	if (catalog_open(&c, &f) < 0)
		return -1;
	for (i = 0; i < c.count; i++) {
		const char *o = mo_str(&c, c.orig, i, &ol), *t = mo_str(&c, c.trans, i, &tl);

		if (ol > 0 && fn(ctx, o, ol, t, tl) < 0)
			return -1;
	}
	return 0;
}

int i18n_mo_plural(const unsigned char *mo, size_t len, unsigned *nplurals, char *expr, size_t n)
{
	struct embedded_file f = { "x.mo", mo, len };
	struct catalog c;

	memset(&c, 0, sizeof(c));
	if (catalog_open(&c, &f) < 0)
		return -1;
	*nplurals = c.nplurals;
	strlcpy_s(expr, c.plural, n);
	return 0;
}

/* The catalog of lang into *c (NULL for English); -1 if there is none. */
static int catalog_of(const char *lang, const struct catalog **c)
{
	char code[16];

	if (i18n_code(lang, code, sizeof(code)) < 0)
		return -1;
	*c = strcmp(code, "en") ? catalog_find(code) : NULL;
	return strcmp(code, "en") && !*c ? -1 : 0;
}

int i18n_set(const char *lang)
{
	const struct catalog *c;

	if (!lang) {
		own = 0;
		return 0;
	}
	if (catalog_of(lang, &c) < 0)
		return -1;
	current = c;
	own = 1;
	return 0;
}

int i18n_set_process(const char *lang)
{
	const struct catalog *c;

	if (catalog_of(lang, &c) < 0)
		return -1;
	process = c;
	own = 0;
	return 0;
}

const char *i18n_lang(void)
{
	const struct catalog *c = lang_now();

	return c ? c->lang : "en";
}

const char *i18n_list(void)
{
	pthread_once(&loaded, catalogs_load);
	return lang_list;
}

void i18n_from_env(char *out, size_t n)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v = getenv("LANGUAGE");
	char code[16];
	size_t i;

	/* LANGUAGE is a list, "fr:es": its first language there is a catalog for, as gettext reads it. */
	while (v && *v) {
		size_t l = strcspn(v, ":");
		char one[32];

		if (l < sizeof(one)) {
			memcpy(one, v, l);
			one[l] = '\0';
			if (i18n_code(one, code, sizeof(code)) == 0 && i18n_has(code)) {
				strlcpy_s(out, code, n);
				return;
			}
		}
		v += l + (v[l] == ':');
	}
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = getenv(vars[i]);
		if (v && *v && i18n_code(v, code, sizeof(code)) == 0) {
			strlcpy_s(out, code, n);
			return;
		}
	}
	strlcpy_s(out, "en", n);
}

void i18n_number(double v, int decimals, char *out, size_t n)
{
	char digits[48];

	if (decimals < 0 || decimals > 9)
		decimals = 0;
	snprintf(digits, sizeof(digits), "%.*f", decimals, v);
	i18n_decimal(digits, out, n);
}

void i18n_decimal(const char *plain, char *out, size_t n)
{
	/* TRANSLATORS: the character between a number's whole part and its decimals. */
	const char *point = C_("decimal separator", ".");
	/* TRANSLATORS: the character between groups of three digits, as in 12,345 (a narrow no-break space in
	 * French). */
	const char *group = C_("thousands separator", ",");
	/* TRANSLATORS: how many digits a whole number has before its digits are grouped: 4 groups 1,234, 5 leaves
	 * 1234 as it is and groups 12.345 (Spanish). */
	int from = atoi(C_("digits before grouping", "4"));
	const char *dot;
	size_t whole, i, o = 0;
	int neg = plain[0] == '-';

	/* printf's own decimal point is '.' in the C locale the programs run in; a ',' is taken as one too. */
	dot = strpbrk(plain, ".,");
	whole = (dot ? (size_t)(dot - plain) : strlen(plain)) - (size_t)neg;
	if (whole == 0 || strspn(plain + neg, "0123456789") != whole ||
	    (dot && strspn(dot + 1, "0123456789") != strlen(dot + 1))) {   /* inf, nan, 1e300: as they are */
		strlcpy_s(out, plain, n);
		return;
	}
#define PUT(s) do { size_t l_ = strlen(s); if (o + l_ < n) { memcpy(out + o, s, l_); o += l_; } } while (0)
	if (neg)
		PUT("-");
	for (i = 0; i < whole; i++) {
		char d[2] = { plain[neg + i], '\0' };

		if (i > 0 && (whole - i) % 3 == 0 && (int)whole >= (from > 0 ? from : 4))
			PUT(group);
		PUT(d);
	}
	if (dot) {
		PUT(point);
		PUT(dot + 1);
	}
#undef PUT
	if (n)
		out[o < n ? o : n - 1] = '\0';
}

const char *i18n_count(unsigned long long n)
{
	/* A few at once, for one printf's arguments; each thread its own. */
	static _Thread_local char ring[8][40];
	static _Thread_local unsigned next;
	char plain[24], *out = ring[next++ % 8];

	snprintf(plain, sizeof(plain), "%llu", n);
	i18n_decimal(plain, out, sizeof(ring[0]));
	return out;
}

void i18n_when(uint64_t ms, uint64_t now, char *out, size_t n)
{
	static const char *const months[12] = {
		/* TRANSLATORS: months as dates show them in short ("5 Dec 2026"). */
		N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
		N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"),
	};
	time_t t = (time_t)(ms / 1000), tn = (time_t)(now / 1000), ty = tn - 86400;
	struct tm tm, today, yesterday;
	char hm[8];

	localtime_r(&t, &tm);
	localtime_r(&tn, &today);
	localtime_r(&ty, &yesterday);
	snprintf(hm, sizeof(hm), "%02d:%02d", tm.tm_hour % 100, tm.tm_min % 100);
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		/* TRANSLATORS: a time of today, as "today 14:05". */
		snprintf(out, n, _("today %s"), hm);
	else if (tm.tm_year == yesterday.tm_year && tm.tm_yday == yesterday.tm_yday)
		snprintf(out, n, _("yesterday %s"), hm);
	else
		/* TRANSLATORS: day, month (short, translated above), year and time, as "5 Dec 2026 14:05"; reorder
		 * them with %1$d, %2$s, %3$d and %4$s. */
		snprintf(out, n, _("%1$d %2$s %3$d %4$s"), tm.tm_mday, _(months[tm.tm_mon % 12]), tm.tm_year + 1900, hm);
}

void i18n_span(uint64_t ms, char *out, size_t n)
{
	unsigned long long m = ((unsigned long long)ms + 30000) / 60000;

	if (m >= 1440)
		/* TRANSLATORS: days and hours, in short: "365 d 0 h". */
		snprintf(out, n, _("%llu d %llu h"), m / 1440, m % 1440 / 60);
	else if (m >= 60)
		/* TRANSLATORS: hours and minutes, in short: "1 h 5 min". */
		snprintf(out, n, _("%llu h %llu min"), m / 60, m % 60);
	else
		snprintf(out, n, _("%llu min"), m);
}
