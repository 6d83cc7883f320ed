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
