/* util.h - small helpers every module uses: checked allocation, UTF-8 checks, time. */
#ifndef SONDEO_UTIL_H
#define SONDEO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The release both programs are: what --version prints, the client's User-Agent, sondeod_build_info on /metrics. */
#define SONDEO_VERSION "0.1"

/* The allocation rule. A command-line tool may abort on out of memory: the x* allocators below do, with a
 * message. Code on the server's request paths (forms and expressions as ingest and the review page use them,
 * buffers) may not: it allocates with the mem_* allocators, which return NULL, and reports out of memory as an
 * error, ERR_OOM with "out of memory" in its error buffer (err_oom), so that the server fails that one request
 * with 503 and goes on. Functions that return a pointer set errno to ENOMEM in that case. */
#define ERR_OOM (-2)
void *mem_alloc(size_t n);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strndup(const char *s, size_t n);
char *mem_strdup(const char *s);
/* Writes "out of memory" into err (as errf) and returns ERR_OOM, for `return err_oom(err, errlen)`. */
int err_oom(char *err, size_t errlen);
/* For tests only: the next n mem_* allocations succeed and every later one fails, until called again with -1
 * (never fail, the default). Not thread-safe: a test sets it around single-threaded calls. */
void mem_fail_after(long n);

/* Allocation that aborts with a message on out of memory: for the command-line tools only (see above). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Copies src into dst of size n, always NUL-terminating; returns strlen(src) (truncated if >= n). */
size_t strlcpy_s(char *dst, const char *src, size_t n);
/* printf into a fixed error buffer; a NULL or zero-sized buffer is ignored. Returns -1 for `return errf(...)`. */
int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A function a library loaded at run time must have: its name, and where its pointer goes in the caller's table
 * (offsetof). */
struct lib_sym {
	const char *name;
	size_t at;
};
/* Loads soname (a library loaded when first needed rather than linked: net.c, xlsxlib.c) and fills table (size
 * bytes) with the n functions of syms. The library's handle, never to be closed once the caller keeps it; or
 * NULL with err ("cannot load S (Debian's PACKAGE): why" or "S lacks F (Debian's PACKAGE is needed)"), the
 * library let go and the table as it was. */
void *lib_load(const char *soname, const char *package, const struct lib_sym *syms, size_t n, void *table,
	       size_t size, char *err, size_t errlen);

/* 1 if s[0..len) is valid UTF-8 with no NUL byte and no overlong forms or surrogates; else 0, with the byte
 * offset of the first bad byte in *bad when bad is not NULL. */
int utf8_valid(const char *s, size_t len, size_t *bad);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_len(const char *s);
/* The printf width ("%-*s", "%*s") that pads UTF-8 s to width characters: printf counts bytes, and the French and
 * Spanish words of a table have letters of two or three. */
int utf8_pad(const char *s, int width);
/* How many bytes of s[0..len), at most max, end on a character boundary: where text is cut for a message or a
 * log, so that what is kept stays UTF-8. */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* The letter accented Latin letter cp (U+00C0..U+017F) is written with, in lower case: 'e' for U+00C9 (É), '*' for
 * U+00D7 (×) and '/' for U+00F7 (÷); 0 for any other code point. How names are matched loosely: possible
 * duplicates at headquarters, a choice typed by its label. */
char utf8_fold_latin(unsigned cp);
/* s[0..len) as names are matched loosely, into out (emptied first): ASCII letters in lower case, accented Latin
 * letters on their base letter, everything else as it is. "Côte d'Ivoire" -> "cote d'ivoire". */
struct buf;
void utf8_fold(const char *s, size_t len, struct buf *out);

/* Writes p[0..len) to fd whole, through short writes and signals: 0, or -1 with errno set. */
int fd_write_all(int fd, const void *p, size_t len);

/* Wall clock in milliseconds since the epoch. */
uint64_t now_ms(void);
/* The wall clock as this process shows it to people and forms (ms since the epoch): now_ms() moved by the last
 * correction set with clock_correct (0 until then). The client sets its home server's clock minus its own, so
 * that a form's today(), start and end fall on the day and time of the stamps its ops are saved with, whatever
 * the laptop's clock says. */
uint64_t clock_ms(void);
void clock_correct(long long offset_ms);
/* Formats an epoch-milliseconds time as "YYYY-MM-DD HH:MM" in local time into out (at least 17 bytes). */
void time_fmt(uint64_t ms, char *out, size_t n);
/* Formats a span of ms for people, to the nearest minute: "365 d 0 h", "1 h 0 min", "7 min". */
void span_fmt(uint64_t ms, char *out, size_t n);
/* The local date of ms (epoch milliseconds) as "YYYY-MM-DD" (out at least 11 bytes): today's is
 * today_str(clock_ms(), ...). SONDEO_TODAY=YYYY-MM-DD overrides, for tests. */
void today_str(uint64_t ms, char *out, size_t n);

/* strtod of s[0..len) with '.' as the decimal point whatever LC_NUMERIC says: answers and expressions always
 * use '.'. s holds a plain number (digits, signs, 'e', at most one '.'). NaN if it is over 255 bytes and
 * memory runs out. */
double strtod_c(const char *s, size_t len);

/* "30m", "12h", "7d" as milliseconds; 0 if s is not a whole number of minutes, hours or days from 1 minute to
 * max_ms. */
uint64_t duration_ms(const char *s, uint64_t max_ms);

/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void hex_encode(char *out, const unsigned char *in, size_t len);

#endif
