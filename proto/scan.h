/* scan.h - reading JSON text as this code writes it, without a parser: the fast readers of the op codec
 * (opjson.c) and of pull answers (pull.c). Each function takes what it names at the reading point and moves past
 * it, or returns 0 and leaves the point where it was; the reader then leaves the whole text to jansson and the
 * full checks. So these accept only the writer's own forms (no spaces, no escapes in names, canonical values),
 * never more than the full reader would. */
#ifndef SONDEO_SCAN_H
#define SONDEO_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jsonc.h"

/* Text being read: s[i..n) is what is left. */
struct scan {
	const char *s;
	size_t n, i;
};

/* The literal t (k bytes). */
static inline int scan_lit(struct scan *c, const char *t, size_t k)
{
	if (c->n - c->i < k || memcmp(c->s + c->i, t, k))
		return 0;
	c->i += k;
	return 1;
}
#define SCAN_LIT(c, t) scan_lit((c), (t), sizeof(t) - 1)

/* A whole number: no sign, no leading zero, at most 2^63 - 1, as jansson reads an integer (19 digits cannot
 * overflow the sum; a 20th leaves the number to the full reader). */
static inline int scan_u64(struct scan *c, uint64_t *v)
{
	size_t k = 0;
	uint64_t x = 0;

	while (c->i + k < c->n && c->s[c->i + k] >= '0' && c->s[c->i + k] <= '9' && k < 20) {
		x = x * 10 + (uint64_t)(c->s[c->i + k] - '0');
		k++;
	}
	if (k == 0 || k > 19 || (k > 1 && c->s[c->i] == '0') || x > (uint64_t)INT64_MAX)
		return 0;
	*v = x;
	c->i += k;
	return 1;
}

/* An integer with an optional '-', from -(2^63 - 1) to 2^63 - 1; not "-0". */
static inline int scan_i64(struct scan *c, int64_t *v)
{
	int neg = c->i < c->n && c->s[c->i] == '-';
	uint64_t x;

	c->i += (size_t)neg;
	if (!scan_u64(c, &x) || (neg && x == 0)) {
		c->i -= (size_t)neg;
		return 0;
	}
	*v = neg ? -(int64_t)x : (int64_t)x;
	return 1;
}

/* A string that needs no escapes and holds no control character, with its quotes: *p and *len get its text.
 * Names, ids and tags; their own checks then decide what they may hold. */
static inline int scan_str(struct scan *c, const char **p, size_t *len)
{
	size_t k = c->i + 1;

	if (c->i >= c->n || c->s[c->i] != '"')
		return 0;
	while (k < c->n && c->s[k] != '"' && c->s[k] != '\\' && (unsigned char)c->s[k] >= 0x20)
		k++;
	if (k >= c->n || c->s[k] != '"')
		return 0;
	*p = c->s + c->i + 1;
	*len = k - c->i - 1;
	c->i = k + 1;
	return 1;
}

/* A value in the canonical text jsonc_is_canonical knows: *p and *len get that text. */
static inline int scan_value(struct scan *c, const char **p, size_t *len)
{
	size_t k = jsonc_canonical_span(c->s + c->i, c->n - c->i);

	if (!k)
		return 0;
	*p = c->s + c->i;
	*len = k;
	c->i += k;
	return 1;
}

#endif
