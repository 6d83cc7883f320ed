/* i18n.h - messages, numbers and dates in the reader's language.
 *
 * The messages are English in the code, marked _("...") where used and N_("...") where they are only listed (a
 * table, an initialiser) and translated later with _(). Translations are po/LANG.po, the files translators and
 * their tools know; the build compiles each with msgfmt and builds the catalogs into the programs, so that a
 * program needs no locale installed on the machine and no file beside it (the field laptops have neither).
 * scripts/po.sh extracts the messages (xgettext) and merges them into the .po files; `make test` checks that
 * every message is in every catalog and translated.
 *
 * The process has a language, English until i18n_set_process: the programs set it once from --lang or the
 * environment. A thread may choose its own with i18n_set: sondeod's request threads take the one each request
 * asks for, while its other threads (and its logs) keep the server's.
 * The functions return pointers into the built-in catalogs or to the message itself: never freed. */
#ifndef SONDEO_I18N_H
#define SONDEO_I18N_H

#include <stddef.h>
#include <stdint.h>

#define _(msgid) i18n_text(msgid)
/* A message listed here and translated where it is used, with _(). */
#define N_(msgid) (msgid)
/* A message whose words depend on a number: P_("%d record", "%d records", n). */
#define P_(one, many, n) i18n_ntext(one, many, n)
/* A message with a note to translators that also tells apart two uses of the same English words. */
#define C_(context, msgid) i18n_ctext(context "\004" msgid)
/* A message with a context listed in a table, translated where it is used with i18n_ctext(). */
#define NC_(context, msgid) (context "\004" msgid)

const char *i18n_text(const char *msgid) __attribute__((format_arg(1)));
const char *i18n_ntext(const char *one, const char *many, unsigned long long n)
	__attribute__((format_arg(1), format_arg(2)));
const char *i18n_ctext(const char *context_msgid) __attribute__((format_arg(1)));

/* Makes lang ("fr", "fr_FR.UTF-8", "es-ES", "C" and "POSIX" for English) the language of the process (every
 * thread that has not chosen its own, and this one), or of this thread only. 0, or -1 if there is no catalog
 * for it (the language stays as it was). Call i18n_set_process before starting threads. */
int i18n_set_process(const char *lang);
/* The same for this thread alone; i18n_set(NULL) gives it back the process's language. */
int i18n_set(const char *lang);
/* This thread's language: "en", "fr", "es". */
const char *i18n_lang(void);
/* The language a name stands for, as a code into out (at least 16 bytes): "fr_FR.UTF-8" -> "fr", "pt-BR" ->
 * "pt"; C, POSIX and C.UTF-8 -> "en". -1 if name is not a language name. Whether a catalog exists is not asked. */
int i18n_code(const char *name, char *out, size_t n);
/* 1 if there is a catalog for the language code (English always). */
int i18n_has(const char *code);
/* The languages there are catalogs for, as "en, es, fr", for messages. */
const char *i18n_list(void);
/* The language the environment asks for, as a code into out: the first of LANGUAGE (a list: its first language
 * with a catalog), LC_ALL, LC_MESSAGES, LANG that is set; "en" if none is. */
void i18n_from_env(char *out, size_t n);

/* Calls fn for each message of a .mo file (mo, len bytes; the header, whose msgid is "", is left out): its
 * msgid and translation with their lengths. A message with a context is "context\004msgid"; a plural one is
 * "one\0many" and its translation the forms one after the other, each ended by a NUL. fn returns 0 to go on,
 * -1 to stop. 0 when every message was seen, -1 if the file is not a .mo file or fn stopped. For sondeod, which
 * gives the review page the page's messages (gen/page catalogs) as JSON. */
typedef int (*i18n_each_fn)(void *ctx, const char *msgid, size_t idlen, const char *str, size_t strlen);
int i18n_mo_each(const unsigned char *mo, size_t len, i18n_each_fn fn, void *ctx);
/* The plural rule of a .mo file: how many forms (1 to 6) and the expression choosing one, as in its
 * Plural-Forms ("(n > 1)"), into expr (at least 160 bytes). -1 if the file is not a .mo file. */
int i18n_mo_plural(const unsigned char *mo, size_t len, unsigned *nplurals, char *expr, size_t n);

/* Which of nplurals forms n takes under a Plural-Forms expression ("n==1 ? 0 : n%10>=2 && n%10<=4 &&
 * (n%100<10 || n%100>=20) ? 1 : 2"); -1 if the expression cannot be read or gives a form past nplurals. */
long i18n_plural(const char *expr, unsigned nplurals, unsigned long long n);

/* A number as this thread's language writes it, into out (at least 32 bytes): decimals digits after the
 * decimal separator, thousands grouped ("12 345,5" in French, "12,345.5" in English). */
void i18n_number(double v, int decimals, char *out, size_t n);
/* The same for a number written plainly ("-12345.678", as answers are kept), its digits as they are: decimal
 * answers are shown this way. Anything else (an exponent, "inf") is copied unchanged. */
void i18n_decimal(const char *plain, char *out, size_t n);
/* A count as people read it in this thread's language ("12,345", "12 345", "12.345"), for printf's %s: the
 * text lasts until this thread's eighth next call, so one printf may hold several. */
const char *i18n_count(unsigned long long n);
/* A moment (epoch milliseconds) as people read it, in local time: "today 14:05", "yesterday 09:12",
 * "5 Dec 2026 14:05" in this thread's language; now_ms is the present. out at least 64 bytes. */
void i18n_when(uint64_t ms, uint64_t now_ms, char *out, size_t n);
/* A span of ms to the nearest minute: "365 d 0 h", "1 h 0 min", "7 min". out at least 48 bytes. */
void i18n_span(uint64_t ms, char *out, size_t n);

#endif
