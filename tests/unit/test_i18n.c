/* test_i18n.c - the built-in catalogs: languages by name, messages and plurals in French and Spanish, each thread
 * its own language, gettext's plural expressions, and numbers and moments as each language writes them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "i18n.h"

static void test_codes(void)
{
	char c[16];

	CHECK_INT(i18n_code("fr_FR.UTF-8", c, sizeof(c)), 0);
	CHECK_STR(c, "fr");
	CHECK_INT(i18n_code("ES-es", c, sizeof(c)), 0);
	CHECK_STR(c, "es");
	CHECK_INT(i18n_code("C.UTF-8", c, sizeof(c)), 0);
	CHECK_STR(c, "en");
	CHECK_INT(i18n_code("POSIX", c, sizeof(c)), 0);
	CHECK_STR(c, "en");
	CHECK_INT(i18n_code("pt@euro", c, sizeof(c)), 0);
	CHECK_STR(c, "pt");
	CHECK_INT(i18n_code("", c, sizeof(c)), -1);
	CHECK_INT(i18n_code("f", c, sizeof(c)), -1);
	CHECK_INT(i18n_code("français", c, sizeof(c)), -1);
	CHECK_INT(i18n_code("fr/../x", c, sizeof(c)), -1);
	CHECK_INT(i18n_code("frenchy", c, sizeof(c)), -1);
	CHECK(i18n_has("en"));
	CHECK(i18n_has("fr"));
	CHECK(i18n_has("es"));
	CHECK(!i18n_has("de"));
	CHECK(strncmp(i18n_list(), "en, es, fr", 10) == 0);
}

static void test_messages(void)
{
	CHECK_INT(i18n_set_process("de"), -1);
	CHECK_STR(i18n_lang(), "en");
	CHECK_STR(_("today %s"), "today %s");
	CHECK_INT(i18n_set_process("fr_FR.UTF-8"), 0);
	CHECK_STR(i18n_lang(), "fr");
	CHECK_STR(_("yesterday %s"), "hier %s");
	CHECK_STR(_("May"), "mai");
	/* Not in the catalog: the English itself, and the context never shows. */
	CHECK_STR(_("no such message in any catalog"), "no such message in any catalog");
	CHECK_STR(C_("nowhere", "Nothing"), "Nothing");
	CHECK_STR(_(""), "");
	CHECK_INT(i18n_set_process("es"), 0);
	CHECK_STR(_("yesterday %s"), "ayer %s");
	CHECK_INT(i18n_set_process("C"), 0);
	CHECK_STR(_("yesterday %s"), "yesterday %s");
}

/* French takes the singular for 0 and 1, Spanish and English for 1 only; an English fallback keeps English's. */
static void test_plurals(void)
{
	CHECK_INT(i18n_set_process("fr"), 0);
	CHECK_STR(P_("%llu never translated", "%llu never translated ones", 0ULL), "%llu never translated ones");
	CHECK_STR(P_("%llu never translated", "%llu never translated ones", 1ULL), "%llu never translated");
	CHECK_INT(i18n_set_process("en"), 0);
	CHECK_STR(P_("one", "many", 0ULL), "many");
	CHECK_STR(P_("one", "many", 1ULL), "one");
	CHECK_STR(P_("one", "many", 2ULL), "many");
}

/* gettext's plural rules of a few languages, as their catalogs write them. */
static void test_plural_expressions(void)
{
	const char *slavic = "n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2";
	const char *arabic = "n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5";

	CHECK_INT(i18n_plural("(n > 1)", 2, 0), 0);
	CHECK_INT(i18n_plural("(n > 1)", 2, 1), 0);
	CHECK_INT(i18n_plural("(n > 1)", 2, 2), 1);
	CHECK_INT(i18n_plural("(n != 1);", 2, 0), 1);
	CHECK_INT(i18n_plural("0", 1, 5), 0);
	CHECK_INT(i18n_plural(slavic, 3, 1), 0);
	CHECK_INT(i18n_plural(slavic, 3, 11), 2);
	CHECK_INT(i18n_plural(slavic, 3, 22), 1);
	CHECK_INT(i18n_plural(slavic, 3, 25), 2);
	CHECK_INT(i18n_plural(slavic, 3, 101), 0);
	CHECK_INT(i18n_plural(arabic, 6, 0), 0);
	CHECK_INT(i18n_plural(arabic, 6, 2), 2);
	CHECK_INT(i18n_plural(arabic, 6, 105), 3);
	CHECK_INT(i18n_plural(arabic, 6, 111), 4);
	CHECK_INT(i18n_plural(arabic, 6, 100), 5);
	CHECK_INT(i18n_plural("!(n <= 1) && n >= 2 || n == 7", 2, 7), 1);
	CHECK_INT(i18n_plural("n / 0 + n % 0", 2, 5), 0);        /* no trap on division by zero */
	/* Unreadable, or a form past nplurals: refused. */
	CHECK_INT(i18n_plural("(n > 1", 2, 2), -1);
	CHECK_INT(i18n_plural("n ? 1", 2, 2), -1);
	CHECK_INT(i18n_plural("n + ", 2, 2), -1);
	CHECK_INT(i18n_plural("x", 2, 2), -1);
	CHECK_INT(i18n_plural("n", 2, 5), -1);
	CHECK_INT(i18n_plural("", 2, 5), -1);
	{
		char deep[400];

		memset(deep, '(', 300);
		strcpy(deep + 300, "n");
		CHECK_INT(i18n_plural(deep, 2, 1), -1);   /* bounded: no stack to exhaust */
	}
}

static void *in_spanish(void *arg)
{
	const char **out = arg;

	i18n_set("es");
	out[0] = _("yesterday %s");
	i18n_set(NULL);
	out[1] = _("yesterday %s");
	return NULL;
}

/* A thread that chooses its language leaves the others' alone, and can take the process's back. */
static void test_threads(void)
{
	const char *seen[2] = { NULL, NULL };
	pthread_t t;

	CHECK_INT(i18n_set_process("fr"), 0);
	CHECK_INT(pthread_create(&t, NULL, in_spanish, seen), 0);
	pthread_join(t, NULL);
	CHECK_STR(seen[0], "ayer %s");
	CHECK_STR(seen[1], "hier %s");
	CHECK_STR(_("yesterday %s"), "hier %s");
	CHECK_INT(i18n_set("de"), -1);
	CHECK_STR(i18n_lang(), "fr");
}

static void test_numbers(void)
{
	char out[64];

	CHECK_INT(i18n_set_process("en"), 0);
	i18n_number(12345.5, 1, out, sizeof(out));
	CHECK_STR(out, "12,345.5");
	i18n_number(-1234567, 0, out, sizeof(out));
	CHECK_STR(out, "-1,234,567");
	i18n_number(999, 2, out, sizeof(out));
	CHECK_STR(out, "999.00");
	CHECK_INT(i18n_set_process("fr"), 0);
	i18n_number(12345.5, 1, out, sizeof(out));
	CHECK_STR(out, "12\u202f345,5");
	i18n_number(0.25, 2, out, sizeof(out));
	CHECK_STR(out, "0,25");
	CHECK_INT(i18n_set_process("es"), 0);
	i18n_number(1234, 0, out, sizeof(out));
	CHECK_STR(out, "1234");                 /* Spanish groups from five digits */
	i18n_number(12345.75, 2, out, sizeof(out));
	CHECK_STR(out, "12.345,75");
	i18n_number(1e300 * 1e300, 0, out, sizeof(out));
	CHECK_STR(out, "inf");
	CHECK_INT(i18n_set_process("fr"), 0);
	i18n_decimal("-12345.678", out, sizeof(out));
	CHECK_STR(out, "-12\u202f345,678");     /* every digit kept */
	i18n_decimal("0.5", out, sizeof(out));
	CHECK_STR(out, "0,5");
	i18n_decimal("1e300", out, sizeof(out));
	CHECK_STR(out, "1e300");
	i18n_decimal("", out, sizeof(out));
	CHECK_STR(out, "");
	i18n_decimal("-", out, sizeof(out));
	CHECK_STR(out, "-");
	/* Counts for printf's %s: several at once in one call. */
	CHECK_INT(i18n_set_process("en"), 0);
	snprintf(out, sizeof(out), "%s %s %s", i18n_count(12345), i18n_count(0), i18n_count(18446744073709551615ULL));
	CHECK_STR(out, "12,345 0 18,446,744,073,709,551,615");
	CHECK_INT(i18n_set_process("fr"), 0);
	CHECK_STR(i18n_count(1234), "1\u202f234");
	CHECK_INT(i18n_set_process("es"), 0);
	snprintf(out, sizeof(out), "%s %s", i18n_count(1234), i18n_count(12345));
	CHECK_STR(out, "1234 12.345");
	i18n_number(1234.5, 1, out, 5);          /* truncated, never overrun */
	CHECK_INT(strlen(out), 4);
}

static void test_moments(void)
{
	/* 2026-12-07 10:00:00 UTC */
	const uint64_t now = 1796637600000ULL, min = 60000, hour = 60 * min, day = 24 * hour;
	char out[64];

	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_INT(i18n_set_process("en"), 0);
	i18n_when(now - 55 * min, now, out, sizeof(out));
	CHECK_STR(out, "today 09:05");
	i18n_when(now - 10 * hour - min, now, out, sizeof(out));
	CHECK_STR(out, "yesterday 23:59");
	i18n_when(now - day - 10 * hour - min, now, out, sizeof(out));
	CHECK_STR(out, "5 Dec 2026 23:59");
	i18n_when(0, now, out, sizeof(out));
	CHECK_STR(out, "1 Jan 1970 00:00");
	CHECK_INT(i18n_set_process("fr"), 0);
	i18n_when(now - 55 * min, now, out, sizeof(out));
	CHECK_STR(out, "aujourd’hui 09:05");
	i18n_when(now - 30 * day, now, out, sizeof(out));
	CHECK_STR(out, "7 nov. 2026 10:00");
	CHECK_INT(i18n_set_process("es"), 0);
	i18n_when(now - 10 * hour - min, now, out, sizeof(out));
	CHECK_STR(out, "ayer 23:59");
	i18n_when(now - 30 * day, now, out, sizeof(out));
	CHECK_STR(out, "7 nov 2026 10:00");
	CHECK_INT(i18n_set_process("fr"), 0);
	i18n_span(365ULL * day, out, sizeof(out));
	CHECK_STR(out, "365 j 0 h");
	CHECK_INT(i18n_set_process("en"), 0);
	i18n_span(7 * min + 29999, out, sizeof(out));
	CHECK_STR(out, "7 min");
	i18n_span(hour + 61 * min, out, sizeof(out));
	CHECK_STR(out, "2 h 1 min");
}

static void test_environment(void)
{
	char c[16];

	unsetenv("LANGUAGE");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANG");
	i18n_from_env(c, sizeof(c));
	CHECK_STR(c, "en");
	setenv("LANG", "de_DE.UTF-8", 1);
	i18n_from_env(c, sizeof(c));
	CHECK_STR(c, "de");                      /* a language the forms may speak even if Sondeo does not */
	setenv("LC_MESSAGES", "es_MX.UTF-8", 1);
	i18n_from_env(c, sizeof(c));
	CHECK_STR(c, "es");
	setenv("LC_ALL", "C.UTF-8", 1);
	i18n_from_env(c, sizeof(c));
	CHECK_STR(c, "en");
	setenv("LANGUAGE", "de:pt:fr_CA:es", 1);
	i18n_from_env(c, sizeof(c));
	CHECK_STR(c, "fr");                      /* the first of the list with a catalog */
	setenv("LANGUAGE", "de", 1);
	i18n_from_env(c, sizeof(c));
	CHECK_STR(c, "en");                      /* none of the list: LC_ALL */
}

int main(void)
{
	RUN(test_codes);
	RUN(test_messages);
	RUN(test_plurals);
	RUN(test_plural_expressions);
	RUN(test_threads);
	RUN(test_numbers);
	RUN(test_moments);
	RUN(test_environment);
	return test_done();
}
