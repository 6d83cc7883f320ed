/* expr-date.c - dates and times in expressions: reading the ways forms write them, days since 1970-01-01, and
 * the date functions (today, now, date, decimal-date-time, decimal-time, format-date, format-date-time).
 *
 * Sondeo's dates and dateTimes carry no time zone: they are the wall clock as the person saw it. Expressions work
 * them out as such, on the calendar alone (days since 1970-01-01 of the same wall clock), which is the same on the
 * laptop and at headquarters whatever zone either is set to; a dateTime written with an offset (Z, +02:00) is
 * first turned into this computer's time, as ODK does. */
#include "expr-priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"

#include "banned.h"

#define MIN_DAYS (-719162.0)     /* 0001-01-01 */
#define MAX_DAYS 2932896.0       /* 9999-12-31 */

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : days[m - 1];
}

/* n digits at s, as a number; -1 if they are not all digits. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* HH:MM[:SS[.fff...]] at s into t; the bytes read, or 0. */
static size_t read_clock(const char *s, struct expr_time *t)
{
	size_t i = 5;

	t->h = digits(s, 2);
	t->min = s[2] == ':' ? digits(s + 3, 2) : -1;
	t->s = t->ms = 0;
	if (t->h < 0 || t->h > 23 || t->min < 0 || t->min > 59)
		return 0;
	if (s[5] == ':') {
		if ((t->s = digits(s + 6, 2)) < 0 || t->s > 59)
			return 0;
		i = 8;
		if (s[8] == '.' && s[9] >= '0' && s[9] <= '9') {
			int k;

			/* milliseconds: the first three digits of the fraction */
			for (k = 0, i = 9; s[i] >= '0' && s[i] <= '9'; i++, k++)
				if (k < 3)
					t->ms = t->ms * 10 + (s[i] - '0');
			for (; k < 3; k++)
				t->ms *= 10;
		}
	}
	return i;
}

/* A time zone written after a time: Z, +HH:MM, +HHMM or +HH, into *minutes east of UTC; the bytes read, 0 for
 * none, (size_t)-1 for a bad one. */
static size_t read_zone(const char *s, int *minutes)
{
	int sign, h, m = 0;
	size_t n = 3;

	*minutes = 0;
	if (*s == 'Z')
		return 1;
	if (*s != '+' && *s != '-')
		return 0;
	sign = *s == '-' ? -1 : 1;
	if ((h = digits(s + 1, 2)) < 0 || h > 23)
		return (size_t)-1;
	if (s[3] == ':' && (m = digits(s + 4, 2)) >= 0)
		n = 6;
	else if (s[3] >= '0' && s[3] <= '9' && (m = digits(s + 3, 2)) >= 0)
		n = 5;
	else
		m = 0;
	if (m > 59)
		return (size_t)-1;
	*minutes = sign * (h * 60 + m);
	return n;
}

/* t, which the clock of the zone `minutes` east of UTC reads, as this computer's clock reads it. */
static void to_local(struct expr_time *t, int minutes)
{
	long long secs = (long long)days_from_civil(t->y, t->mon, t->d) * 86400 + t->h * 3600 + t->min * 60 + t->s -
			 (long long)minutes * 60;
	time_t tt = (time_t)secs;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return;
	t->y = tm.tm_year + 1900;
	t->mon = tm.tm_mon + 1;
	t->d = tm.tm_mday;
	t->h = tm.tm_hour;
	t->min = tm.tm_min;
	t->s = tm.tm_sec;
}

/* A date, a dateTime, or (want_time) a time alone, as text; 1 if s is one, else 0. */
static int read_text(const char *s, int want_time, struct expr_time *t)
{
	size_t n, z;
	int zone;

	memset(t, 0, sizeof *t);
	while (expr_is_space(*s))
		s++;
	if (want_time && s[0] && s[1] && s[2] == ':') {
		t->y = 1970;
		t->mon = t->d = 1;
		if (!(n = read_clock(s, t)))
			return 0;
		s += n;
	} else {
		if ((t->y = digits(s, 4)) < 1 || s[4] != '-' || (t->mon = digits(s + 5, 2)) < 1 || t->mon > 12 ||
		    s[7] != '-' || (t->d = digits(s + 8, 2)) < 1 || t->d > month_days(t->y, t->mon))
			return 0;
		s += 10;
		if (*s != 'T')
			goto end;
		if (!(n = read_clock(s + 1, t)))
			return 0;
		s += 1 + n;
	}
	if ((z = read_zone(s, &zone)) == (size_t)-1)
		return 0;
	if (z) {
		to_local(t, zone);
		s += z;
	}
end:
	while (expr_is_space(*s))
		s++;
	return *s == '\0';
}

/* days (since 1970-01-01, the time of day as a fraction) into t; 0 if out of the range of 4-digit years. */
static int from_days(double days, struct expr_time *t)
{
	double whole = floor(days);
	long long ms;

	if (!(whole >= MIN_DAYS && whole <= MAX_DAYS))
		return 0;
	ms = llround((days - whole) * 86400000.0);
	if (ms >= 86400000) {
		whole += 1;
		ms -= 86400000;
		if (whole > MAX_DAYS)
			return 0;
	}
	civil_from_days((long)whole, &t->y, &t->mon, &t->d);
	t->h = (int)(ms / 3600000);
	t->min = (int)(ms / 60000 % 60);
	t->s = (int)(ms / 1000 % 60);
	t->ms = (int)(ms % 1000);
	return 1;
}

int expr_time_read(const struct expr_val *v, int want_time, struct expr_time *t)
{
	if (v->t == V_STR) {
		if (!v->s[0])
			return 0;
		return read_text(v->s, want_time, t) ? 1 : -1;
	}
	if (v->t == V_NUM && isnan(v->n))
		return 0;
	return v->t == V_NUM && from_days(v->n, t) ? 1 : -1;
}

double expr_time_days(const struct expr_time *t)
{
	return (double)days_from_civil(t->y, t->mon, t->d) +
	       ((t->h * 3600 + t->min * 60 + t->s) * 1000.0 + t->ms) / 86400000.0;
}

void expr_time_fmt(const struct expr_time *t, int date, char *out, size_t n)
{
	if (date)
		snprintf(out, n, "%04d-%02d-%02d", t->y, t->mon, t->d);
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", t->y, t->mon, t->d, t->h, t->min, t->s);
}

double expr_time_str_days(const char *s)
{
	struct expr_time t;

	return read_text(s, 0, &t) ? expr_time_days(&t) : NAN;
}

uint64_t expr_now_ms(const struct expr_ctx *c)
{
	return c->env->now_ms ? c->env->now_ms : clock_ms();
}

/* --- the functions --- */

int expr_date_today(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	char today[16];

	(void)call;
	today_str(expr_now_ms(c), today, sizeof today);
	return expr_vstr(c, mem_strdup(today), out);
}

/* now(): the local date and time as Sondeo writes dateTime answers (ODK's adds milliseconds and the zone's
 * offset, which Sondeo's answers do not have), so that it is a dateTime question's default. */
int expr_date_now(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	time_t t = (time_t)(expr_now_ms(c) / 1000);
	struct tm tm;
	char now[32];

	(void)call;
	if (!localtime_r(&t, &tm))
		return expr_fail(c, call, _("the clock cannot be read"));
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", &tm);
	return expr_vstr(c, mem_strdup(now), out);
}

/* The moment argument 0 of call stands for: 1 and *t, 0 when there is none (unanswered), or an error. */
static int arg_time(const struct expr_node *call, struct expr_ctx *c, int want_time, struct expr_time *t)
{
	struct expr_val v;
	char *shown;
	int r;

	if ((r = expr_node_eval(call->args[0], c, &v)) < 0)
		return r;
	if ((r = expr_time_read(&v, want_time, t)) >= 0) {
		expr_val_release(&v);
		return r;
	}
	shown = expr_to_str(&v);
	expr_val_release(&v);
	if (!shown)
		return expr_oom(c);
	r = want_time ? expr_fail(c, call, _("'%.64s' is not a date, a time or a number of days"), shown) :
			expr_fail(c, call, _("'%.64s' is not a date or a number of days"), shown);
	free(shown);
	return r;
}

int expr_date_date(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_time t;
	char s[32];
	int r;

	if ((r = arg_time(call, c, 0, &t)) <= 0)
		return r < 0 ? r : expr_vstr(c, mem_strdup(""), out);
	expr_time_fmt(&t, 1, s, sizeof s);
	return expr_vstr(c, mem_strdup(s), out);
}

int expr_date_decimal_date_time(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_time t;
	int r;

	if ((r = arg_time(call, c, 0, &t)) <= 0)
		return r < 0 ? r : expr_vstr(c, mem_strdup(""), out);
	*out = expr_vnum(expr_time_days(&t));
	return 0;
}

int expr_date_decimal_time(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_time t;
	int r;

	if ((r = arg_time(call, c, 1, &t)) <= 0)
		return r < 0 ? r : expr_vstr(c, mem_strdup(""), out);
	*out = expr_vnum(((t.h * 3600 + t.min * 60 + t.s) * 1000.0 + t.ms) / 86400000.0);
	return 0;
}

/* Short names of months and weekdays (Sunday first), in the languages Sondeo speaks, as their own calendars write
 * them (CLDR's abbreviated format forms). */
static const char *const months[3][12] = {
	{ "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" },
	{ "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc." },
	{ "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic" },
};
static const char *const weekdays[3][7] = {
	{ "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" },
	{ "dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam." },
	{ "dom", "lun", "mar", "mié", "jue", "vie", "sáb" },
};

static int lang_index(const char *lang)
{
	if (lang && !strncmp(lang, "fr", 2))
		return 1;
	if (lang && !strncmp(lang, "es", 2))
		return 2;
	return 0;
}

/* The first % directive of fmt that format-date() does not know, or NULL (a trailing % is one: *bad then '\0'). */
static const char *bad_directive(const char *fmt)
{
	const char *p;

	for (p = fmt; (p = strchr(p, '%')); p += 2)
		if (!p[1] || !strchr("%YymnbdeaHhMS3", p[1]))
			return p;
	return NULL;
}

/* The text of a format that names a directive format-date() does not know. */
static void say_bad_directive(const char *bad, char *msg, size_t n)
{
	if (!bad[1])
		snprintf(msg, n, _("the format ends with a lone %%"));
	else
		/* TRANSLATORS: %.*s is a directive of format-date() such as %Q, which it does not know. */
		snprintf(msg, n, _("unknown %.*s in the format (it knows %%Y %%y %%m %%n %%b %%d %%e %%a %%H %%h %%M "
				   "%%S %%3 and %%%%)"), (int)(((unsigned char)bad[1] & 0x80) ? 1 : 2), bad);
}

int expr_date_check_format(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	const struct expr_node *fmt = call->args[1];
	const char *bad;

	if (fmt->kind != N_STR || !(bad = bad_directive(fmt->str)))
		return 0;
	*at = 1;
	snprintf(msg, msglen, "%s(): ", call->fn->name);
	say_bad_directive(bad, msg + strlen(msg), msglen - strlen(msg));
	return -1;
}

/* format-date(value, format) and format-date-time(value, format): the directives of the ODK spec, each replaced by
 * its part of the moment. The result is at most about 6 times the format, which the source's length bounds. */
int expr_date_format(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct buf b = BUF_INIT(EXPR_MAX_STR);
	struct expr_time t;
	const char *bad, *p;
	char *fmt, msg[256];
	int r, lang = lang_index(c->env->lang);

	if ((r = arg_time(call, c, 1, &t)) <= 0)
		return r < 0 ? r : expr_vstr(c, mem_strdup(""), out);
	if ((r = expr_arg_str(call, 1, c, &fmt)) < 0)
		return r;
	if ((bad = bad_directive(fmt))) {
		say_bad_directive(bad, msg, sizeof msg);
		free(fmt);
		return expr_fail(c, call, "%s", msg);
	}
	for (p = fmt, r = 0; *p && r == 0; p++) {
		if (*p != '%') {
			r = buf_addc(&b, *p);
			continue;
		}
		switch (*++p) {
		case 'Y': r = buf_printf(&b, "%04d", t.y); break;
		case 'y': r = buf_printf(&b, "%02d", t.y % 100); break;
		case 'm': r = buf_printf(&b, "%02d", t.mon); break;
		case 'n': r = buf_printf(&b, "%d", t.mon); break;
		case 'b': r = buf_adds(&b, months[lang][t.mon - 1]); break;
		case 'd': r = buf_printf(&b, "%02d", t.d); break;
		case 'e': r = buf_printf(&b, "%d", t.d); break;
		case 'a': {
			/* 1970-01-01 was a Thursday */
			long wd = (days_from_civil(t.y, t.mon, t.d) % 7 + 11) % 7;

			r = buf_adds(&b, weekdays[lang][wd]);
			break;
		}
		case 'H': r = buf_printf(&b, "%02d", t.h); break;
		case 'h': r = buf_printf(&b, "%d", t.h); break;
		case 'M': r = buf_printf(&b, "%02d", t.min); break;
		case 'S': r = buf_printf(&b, "%02d", t.s); break;
		case '3': r = buf_printf(&b, "%03d", t.ms); break;
		default: r = buf_addc(&b, '%'); break;
		}
	}
	free(fmt);
	if (r < 0) {
		buf_release(&b);
		return expr_oom(c);
	}
	return expr_vstr(c, buf_detach(&b, NULL), out);
}
