/* jsonc.c - canonical JSON text for answer values. */
#include "jsonc.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* The characters a JSON string must escape: the quote, the backslash and C0 controls. */
static const char must_escape[] = "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
				  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";

/* Every append's result is or-ed into *bad, so one check at the end catches a full buffer. */
static void string_lit(struct buf *b, const char *s, int *bad)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };

	*bad |= buf_addc(b, '"');
	while (*s) {
		size_t run = strcspn(s, must_escape);
		unsigned char c;

		/* Most text needs no escape: copy it in runs. */
		*bad |= buf_add(b, s, run);
		s += run;
		if (!*s)
			break;
		c = (unsigned char)*s++;
		switch (c) {
		case '"': *bad |= buf_adds(b, "\\\""); break;
		case '\\': *bad |= buf_adds(b, "\\\\"); break;
		case '\n': *bad |= buf_adds(b, "\\n"); break;
		case '\t': *bad |= buf_adds(b, "\\t"); break;
		case '\r': *bad |= buf_adds(b, "\\r"); break;
		case '\b': *bad |= buf_adds(b, "\\b"); break;
		case '\f': *bad |= buf_adds(b, "\\f"); break;
		default:
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			*bad |= buf_add(b, u, sizeof(u));
		}
	}
	*bad |= buf_addc(b, '"');
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int append(struct buf *b, const json_t *v, int depth)
{
	size_t i, n;
	int bad = 0;
	char *t;

	/* Values come from parsers with their own depth limits; this one only guards the recursion. */
	if (depth > 64)
		return -1;
	switch (json_typeof(v)) {
	case JSON_STRING:
		string_lit(b, json_string_value(v), &bad);
		break;
	case JSON_ARRAY:
		bad |= buf_addc(b, '[');
		for (i = 0; i < json_array_size(v) && !bad; i++) {
			if (i)
				bad |= buf_addc(b, ',');
			bad |= append(b, json_array_get(v, i), depth + 1);
		}
		bad |= buf_addc(b, ']');
		break;
	case JSON_OBJECT: {
		const char **keys;
		const char *key;
		json_t *val;

		n = json_object_size(v);
		keys = malloc((n ? n : 1) * sizeof(*keys));
		if (!keys)
			return -1;
		i = 0;
		json_object_foreach((json_t *)v, key, val)
			keys[i++] = key;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		bad |= buf_addc(b, '{');
		for (i = 0; i < n && !bad; i++) {
			if (i)
				bad |= buf_addc(b, ',');
			string_lit(b, keys[i], &bad);
			bad |= buf_addc(b, ':');
			bad |= append(b, json_object_get(v, keys[i]), depth + 1);
		}
		bad |= buf_addc(b, '}');
		free(keys);
		break;
	}
	default:
		/* Numbers, true, false and null: jansson's own compact text. */
		t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		if (!t)
			return -1;
		bad |= buf_adds(b, t);
		free(t);
	}
	return bad ? -1 : 0;
}

int jsonc_append(struct buf *b, const json_t *v)
{
	return append(b, v, 0);
}

char *jsonc_dumps(const json_t *v)
{
	struct buf b = BUF_INIT((size_t)64 << 20);

	if (jsonc_append(&b, v) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* ---- recognising canonical text without parsing it ---- */

/* The length of the UTF-8 sequence at s (at most n bytes), as jansson accepts it (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/* The length of the canonical string literal at s, or 0. */
static size_t canonical_string(const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	const char *d;
	size_t i = 1, k;

	if (n < 2 || s[0] != '"')
		return 0;
	while (i < n && s[i] != '"') {
		if (u[i] < 0x20)
			return 0;
		if (s[i] != '\\') {
			if (!(k = utf8_len(u + i, n - i)))
				return 0;
			i += k;
			continue;
		}
		if (i + 1 >= n)
			return 0;
		switch (s[i + 1]) {
		case '"': case '\\': case 'n': case 't': case 'r': case 'b': case 'f':
			i += 2;
			continue;
		case 'u':
			/* Only the controls without a short escape, written as string_lit writes them; \u0000 is
			 * not text jansson takes. */
			if (i + 5 >= n || s[i + 2] != '0' || s[i + 3] != '0' || (s[i + 4] != '0' && s[i + 4] != '1') ||
			    !s[i + 5] || !(d = strchr(hex, s[i + 5])))
				return 0;
			k = (size_t)(s[i + 4] - '0') * 16 + (size_t)(d - hex);
			if (k == 0 || k == '\b' || k == '\t' || k == '\n' || k == '\f' || k == '\r')
				return 0;
			i += 6;
			continue;
		default:
			return 0;
		}
	}
	return i < n ? i + 1 : 0;
}

/* The length of the canonical scalar at s (a string, an integer of up to 18 digits, true, false or null), or 0. */
static size_t canonical_scalar(const char *s, size_t n)
{
	size_t i = 0, digits;

	if (s[0] == '"')
		return canonical_string(s, n);
	if (n >= 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4)))
		return 4;
	if (n >= 5 && !memcmp(s, "false", 5))
		return 5;
	if (s[0] == '-')
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return 0;
	if (s[i] == '0')
		/* 0 alone; -0 is read as 0, which is not the same text. */
		return i ? 0 : 1;
	for (digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	/* Fewer than 19 digits are always in range; a fraction or an exponent makes a real. */
	if (digits > 18 || (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')))
		return 0;
	return i;
}

size_t jsonc_canonical_span(const char *s, size_t n)
{
	size_t i, k;

	if (!n)
		return 0;
	if (s[0] != '[')
		return canonical_scalar(s, n);
	if (n >= 2 && s[1] == ']')
		return 2;
	for (i = 1; i < n;) {
		if (!(k = canonical_scalar(s + i, n - i)))
			return 0;
		i += k;
		if (i < n && s[i] == ']')
			return i + 1;
		if (i >= n || s[i] != ',')
			return 0;
		i++;
	}
	return 0;
}

int jsonc_is_canonical(const char *s, size_t n)
{
	return n && jsonc_canonical_span(s, n) == n;
}
