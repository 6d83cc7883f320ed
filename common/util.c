/* util.c - small helpers every module uses. */
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"
#include "banned.h"

static void oom(void)
{
	fputs(_("sondeo: out of memory\n"), stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

/* mem_fail_after's count: -1 never fails. Read on every mem_* allocation, written only by tests. */
static long fail_after = -1;

void mem_fail_after(long n)
{
	fail_after = n;
}

/* 1 if this allocation is to fail for a test. */
static int mem_failing(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0) {
		errno = ENOMEM;
		return 1;
	}
	fail_after--;
	return 0;
}

void *mem_alloc(size_t n)
{
	return mem_failing() ? NULL : malloc(n ? n : 1);
}

void *mem_calloc(size_t n, size_t size)
{
	return mem_failing() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *mem_realloc(void *p, size_t n)
{
	return mem_failing() ? NULL : realloc(p, n ? n : 1);
}

char *mem_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = mem_alloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *mem_strdup(const char *s)
{
	return mem_strndup(s, strlen(s));
}

int err_oom(char *err, size_t errlen)
{
	errf(err, errlen, "%s", _("out of memory"));
	return ERR_OOM;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t strlcpy_s(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return len;
}

int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void *lib_load(const char *soname, const char *package, const struct lib_sym *syms, size_t n, void *table,
	       size_t size, char *err, size_t errlen)
{
	unsigned char *t = malloc(size);
	void *lib, *fn;
	size_t i;

	if (!t)
		return errf(err, errlen, _("out of memory loading %s"), soname), NULL;
	if (!(lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL))) {
		/* TRANSLATORS: a library's file (libcurl.so.4), the Debian package that installs it, the system's
		 * reason. */
		errf(err, errlen, _("cannot load %s (Debian's %s): %s"), soname, package, dlerror());
		free(t);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!(fn = dlsym(lib, syms[i].name))) {
			/* TRANSLATORS: a library's file, a function it should have, the Debian package to install. */
			errf(err, errlen, _("%s lacks %s (Debian's %s is needed)"), soname, syms[i].name, package);
			dlclose(lib);
			free(t);
			return NULL;
		}
		/* POSIX makes a function's address from dlsym callable; memcpy says so without a cast C forbids. */
		memcpy(t + syms[i].at, &fn, sizeof(fn));
	}
	memcpy(table, t, size);
	free(t);
	return lib;
}

int utf8_valid(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n, k;
		unsigned cp;

		/* Eight ASCII bytes at a time, none of them NUL: most text is like that. */
		if (len - i >= 8) {
			uint64_t v;

			memcpy(&v, s + i, 8);
			if (!(v & 0x8080808080808080ULL) && !((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		if (c == 0)
			goto fail;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07;
		} else {
			goto fail;
		}
		if (len - i <= n)
			goto fail;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += n + 1;
	}
	return 1;
fail:
	if (bad)
		*bad = i;
	return 0;
}

size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int utf8_pad(const char *s, int width)
{
	return width + (int)(strlen(s) - utf8_len(s));
}

int fd_write_all(int fd, const void *p, size_t len)
{
	const char *s = p;

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

char utf8_fold_latin(unsigned cp)
{
	static const char latin1[] = "aaaaaaaceeeeiiiidnooooo*ouuuuyts"   /* U+00C0..U+00DF */
				     "aaaaaaaceeeeiiiidnooooo/ouuuuyty";  /* U+00E0..U+00FF */
	static const char ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjjjkkklllllllllln"
				    "nnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";  /* U+0100..U+017F */

	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[cp - 0xc0];
	if (cp >= 0x100 && cp <= 0x17f)
		return ext_a[cp - 0x100];
	return 0;
}

void utf8_fold(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	buf_reset(out);
	while (p < end) {
		char c = 0;

		if (*p >= 'A' && *p <= 'Z') {
			buf_addc(out, (char)(*p++ - 'A' + 'a'));
			continue;
		}
		if ((*p & 0xe0) == 0xc0 && p + 1 < end && (p[1] & 0xc0) == 0x80)
			c = utf8_fold_latin(((unsigned)(*p & 0x1f) << 6) | (p[1] & 0x3f));
		if (c && c != '*' && c != '/') {
			buf_addc(out, c);
			p += 2;
		} else {
			buf_addc(out, (char)*p++);
		}
	}
}

size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len;

	if (n <= max)
		return n;
	/* Back over the continuation bytes (10xxxxxx) of a character that would be cut. */
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	return n;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One clock per process: the client opens one store, whose correction this is; the server's is 0. */
static long long clock_offset_ms;

void clock_correct(long long offset_ms)
{
	clock_offset_ms = offset_ms;
}

uint64_t clock_ms(void)
{
	long long t = (long long)now_ms() + clock_offset_ms;

	return t > 0 ? (uint64_t)t : 0;
}

void time_fmt(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

void span_fmt(uint64_t ms, char *out, size_t n)
{
	unsigned long long m = ((unsigned long long)ms + 30000) / 60000;

	if (m >= 1440)
		snprintf(out, n, "%llu d %llu h", m / 1440, m % 1440 / 60);
	else if (m >= 60)
		snprintf(out, n, "%llu h %llu min", m / 60, m % 60);
	else
		snprintf(out, n, "%llu min", m);
}

void today_str(uint64_t ms, char *out, size_t n)
{
	const char *o = getenv("SONDEO_TODAY");
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (o && strlen(o) == 10 && o[4] == '-' && o[7] == '-' && strspn(o, "0123456789-") == 10) {
		strlcpy_s(out, o, n);
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

void hex_encode(char *out, const unsigned char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

double strtod_c(const char *s, size_t len)
{
	const char *dp = localeconv()->decimal_point;
	size_t dl = strlen(dp), i, at = 0;
	char small[256], *tmp = small;
	double d;

	/* Numbers as people write them fit on the stack; the server reads answers with this, so a longer one is
	 * allocated with the checked allocator (NaN if that fails). */
	if (len * (dl + 1) + 1 > sizeof(small) && !(tmp = mem_alloc(len * (dl + 1) + 1)))
		return NAN;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			memcpy(tmp + at, dp, dl);
			at += dl;
		} else {
			tmp[at++] = s[i];
		}
	}
	tmp[at] = '\0';
	d = strtod(tmp, NULL);
	if (tmp != small)
		free(tmp);
	return d;
}

uint64_t duration_ms(const char *s, uint64_t max_ms)
{
	uint64_t n = 0, unit;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > max_ms / 60000)
			return 0;
	}
	if (i == 0 || !s[i] || s[i + 1])
		return 0;
	switch (s[i]) {
	case 'm': unit = 60ULL * 1000; break;
	case 'h': unit = 3600ULL * 1000; break;
	case 'd': unit = 24ULL * 3600 * 1000; break;
	default: return 0;
	}
	n *= unit;
	return n > max_ms ? 0 : n;
}
