/* expr-fn.c - the functions of the expression language: those of the ODK XForms specification a laptop can work
 * out, in the specification's groups (strings, booleans, numbers, node-sets and repeats, selects, geography), the
 * table that names them with how many arguments each takes, and those Sondeo refuses with why. The dates are in
 * expr-date.c. Where the specification leaves a detail open, ODK Collect (JavaRosa) is followed, and said so. */
#include "expr-priv.h"

#include <math.h>
#include <regex.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"
#include "uuid.h"

#include "banned.h"

#define MAX_UUID_LEN 4096            /* characters uuid(n) makes */
#define MAX_POINTS 100000            /* points area() and distance() take */
#define EARTH_RADIUS 6378100.0       /* metres at the equator, as ODK Collect reckons */

/* A number as a C int, as Java's intValue() makes one (JavaRosa's): the fraction dropped, NaN 0, clamped. */
static long to_int(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 2147483647.0)
		return 2147483647L;
	if (d <= -2147483648.0)
		return -2147483648L;
	return (long)d;
}

/* The byte after the UTF-8 character at s[i]. */
static size_t u8_next(const char *s, size_t i)
{
	if (!s[i])
		return i;
	for (i++; ((unsigned char)s[i] & 0xc0) == 0x80; i++)
		;
	return i;
}

/* The code point at s[i] (valid UTF-8, as every string worked out is), and in *len its bytes. */
static unsigned u8_get(const char *s, size_t i, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s + i;
	size_t n = u8_next(s, i) - i;
	unsigned cp = n == 1 ? p[0] : n == 2 ? p[0] & 0x1f : n == 3 ? p[0] & 0x0f : p[0] & 0x07;
	size_t k;

	for (k = 1; k < n; k++)
		cp = cp << 6 | (p[k] & 0x3f);
	*len = n;
	return cp;
}

/* Both string arguments of a call, which the caller frees. */
static int two_strs(const struct expr_node *call, struct expr_ctx *c, char **a, char **b)
{
	int r;

	if ((r = expr_arg_str(call, 0, c, a)) < 0)
		return r;
	if ((r = expr_arg_str(call, 1, c, b)) < 0)
		free(*a);
	return r;
}

/* Appends s[0..n) to b: 0, 2 when the result would be longer than EXPR_MAX_STR (b's cap), or ERR_OOM. */
static int buf_put(struct expr_ctx *c, struct buf *b, const char *s, size_t n)
{
	if (n > b->max - b->len)
		return 2;
	return buf_add(b, s, n) < 0 ? expr_oom(c) : 0;
}

/* The string in b as *out when r (what filling it gave: buf_put's) is 0, else the error; b is emptied. */
static int buf_done(struct expr_ctx *c, const struct expr_node *call, struct buf *b, int r, struct expr_val *out)
{
	if (r != 0) {
		buf_release(b);
		return r == 2 ? expr_fail(c, call, _("the result is longer than %d bytes"), EXPR_MAX_STR) : r;
	}
	return expr_vstr(c, buf_detach(b, NULL), out);
}

/* ======================================================================================= strings */

static int fn_string(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	char *s;
	int r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	return expr_vstr(c, s, out);
}

/* Appends v's string to the buf in fctx (buf_put's result). */
static int add_val(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	struct buf *b = fctx;
	char *s = v->t == V_STR ? NULL : expr_to_str(v);
	int r;

	if (v->t != V_STR && !s)
		return expr_oom(c);
	r = buf_put(c, b, s ? s : v->s, strlen(s ? s : v->s));
	free(s);
	return r;
}

/* concat(a, ...): the strings of its arguments one after the other, every answer of a ${name} standing for
 * several. */
static int fn_concat(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct buf b = BUF_INIT(EXPR_MAX_STR);
	size_t i;
	int r = 0;

	for (i = 0; i < call->nargs && r == 0; i++)
		r = expr_each(call->args[i], c, add_val, &b);
	return buf_done(c, call, &b, r, out);
}

/* join(separator, values...): the values with the separator between them. */
struct joining {
	struct buf b;
	const char *sep;
	int n;
};

static int join_one(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	struct joining *j = fctx;

	int r = j->n++ ? buf_put(c, &j->b, j->sep, strlen(j->sep)) : 0;

	return r ? r : add_val(&j->b, c, v);
}

static int fn_join(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct joining j = { BUF_INIT(EXPR_MAX_STR), NULL, 0 };
	char *sep;
	size_t i;
	int r = 0;

	if ((r = expr_arg_str(call, 0, c, &sep)) < 0)
		return r;
	j.sep = sep;
	for (i = 1; i < call->nargs && r == 0; i++)
		r = expr_each(call->args[i], c, join_one, &j);
	free(sep);
	return buf_done(c, call, &j.b, r, out);
}

/* substr(s, start[, end]): characters start to end - 1, counted from 0 (ODK's, not XPath's substring()); a
 * negative one counts from the end, as ODK Collect does. */
static int fn_substr(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	double ds, de = NAN;
	long start, end, len, k;
	size_t i, from, to;
	char *s;
	int r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	if ((r = expr_arg_num(call, 1, c, &ds)) < 0 || (call->nargs > 2 && (r = expr_arg_num(call, 2, c, &de)) < 0)) {
		free(s);
		return r;
	}
	len = (long)utf8_len(s);
	start = to_int(ds);
	end = call->nargs > 2 ? to_int(de) : len;
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	start = start < 0 ? 0 : start > len ? len : start;
	end = end < 0 ? 0 : end > len ? len : end;
	if (start >= end) {
		free(s);
		return expr_vstr(c, mem_strdup(""), out);
	}
	for (i = 0, k = 0; k < start; k++)
		i = u8_next(s, i);
	from = i;
	for (; k < end; k++)
		i = u8_next(s, i);
	to = i;
	memmove(s, s + from, to - from);
	s[to - from] = '\0';
	return expr_vstr(c, s, out);
}

/* substring-before(s, t) and substring-after(s, t): around the first t in s; "" when there is none. */
static int fn_substring_around(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	int after = !strcmp(call->fn->name, "substring-after");
	char *s, *t, *at;
	int r;

	if ((r = two_strs(call, c, &s, &t)) < 0)
		return r;
	if (!(at = strstr(s, t)))
		s[0] = '\0';
	else if (after)
		memmove(s, at + strlen(t), strlen(at + strlen(t)) + 1);
	else
		*at = '\0';
	free(t);
	return expr_vstr(c, s, out);
}

/* contains(), starts-with() and ends-with(). */
static int fn_contains(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	const char *name = call->fn->name;
	char *s, *t;
	size_t ls, lt;
	int r;

	if ((r = two_strs(call, c, &s, &t)) < 0)
		return r;
	ls = strlen(s);
	lt = strlen(t);
	if (!strcmp(name, "contains"))
		*out = expr_vbool(strstr(s, t) != NULL);
	else if (!strcmp(name, "starts-with"))
		*out = expr_vbool(!strncmp(s, t, lt));
	else
		*out = expr_vbool(lt <= ls && !memcmp(s + ls - lt, t, lt));
	free(s);
	free(t);
	return 0;
}

/* A character of translate()'s second argument, and where it first is. */
struct tr_char {
	unsigned cp;
	size_t index;
};

static int tr_cmp(const void *a, const void *b)
{
	const struct tr_char *x = a, *y = b;

	if (x->cp != y->cp)
		return x->cp < y->cp ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* translate(s, from, to): each character of s found in from replaced by the one at the same place in to, or
 * dropped when to is shorter. The characters of from are sorted once, so that a long s and a long from cost
 * n log m, not n m. */
static int fn_translate(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct buf b = BUF_INIT(EXPR_MAX_STR);
	struct tr_char *map = NULL;
	size_t *to_at = NULL, nfrom = 0, nto = 0, i, k, n;
	char *s, *from, *to;
	int r;

	if ((r = two_strs(call, c, &s, &from)) < 0)
		return r;
	if ((r = expr_arg_str(call, 2, c, &to)) < 0) {
		free(s);
		free(from);
		return r;
	}
	map = mem_calloc(utf8_len(from) + 1, sizeof *map);
	to_at = mem_calloc(utf8_len(to) + 1, sizeof *to_at);
	if (!map || !to_at) {
		r = expr_oom(c);
		goto out;
	}
	for (i = 0; from[i]; i += n, nfrom++) {
		map[nfrom].cp = u8_get(from, i, &n);
		map[nfrom].index = nfrom;
	}
	for (i = 0; to[i]; i += n) {
		to_at[nto++] = i;
		u8_get(to, i, &n);
	}
	qsort(map, nfrom, sizeof *map, tr_cmp);
	for (i = 0; s[i] && r == 0; i += n) {
		struct tr_char key = { u8_get(s, i, &n), 0 };
		size_t lo = 0, hi = nfrom;

		/* the first entry for the character: its first place in from */
		while (lo < hi) {
			k = (lo + hi) / 2;
			if (map[k].cp < key.cp)
				lo = k + 1;
			else
				hi = k;
		}
		if (lo == nfrom || map[lo].cp != key.cp)
			r = buf_put(c, &b, s + i, n);
		else if (map[lo].index < nto)
			r = buf_put(c, &b, to + to_at[map[lo].index],
				    u8_next(to, to_at[map[lo].index]) - to_at[map[lo].index]);
	}
	r = buf_done(c, call, &b, r, out);
out:
	free(map);
	free(to_at);
	free(s);
	free(from);
	free(to);
	return r;
}

/* The string of argument 0, or of `.` without one (string-length(), normalize-space()). */
static int arg_or_self(const struct expr_node *call, struct expr_ctx *c, char **out)
{
	struct expr_val a;
	int r;

	if (call->nargs)
		return expr_arg_str(call, 0, c, out);
	if ((r = expr_from_json(c, c->env->self, &a)) < 0)
		return r;
	*out = expr_to_str(&a);
	expr_val_release(&a);
	return *out ? 0 : expr_oom(c);
}

static int fn_string_length(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	char *s;
	int r;

	if ((r = arg_or_self(call, c, &s)) < 0)
		return r;
	*out = expr_vnum((double)utf8_len(s));
	free(s);
	return 0;
}

/* normalize-space([s]): without blanks at either end, and each run of blanks inside as one space. */
static int fn_normalize_space(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	size_t i, at = 0;
	char *s;
	int r;

	if ((r = arg_or_self(call, c, &s)) < 0)
		return r;
	for (i = 0; s[i]; i++) {
		if (!expr_is_space(s[i]))
			s[at++] = s[i];
		else if (at && s[i + 1] && !expr_is_space(s[i + 1]))
			s[at++] = ' ';
	}
	s[at] = '\0';
	return expr_vstr(c, s, out);
}

/* uuid(): a random RFC 4122 version 4 UUID; uuid(n): n random letters and digits. */
static int fn_uuid(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	double d;
	long n, i;
	char *s;
	int r;

	if (!call->nargs) {
		if (!(s = mem_alloc(UUID_STRLEN + 1)))
			return expr_oom(c);
		uuid_new(s);
		return expr_vstr(c, s, out);
	}
	if ((r = expr_arg_num(call, 0, c, &d)) < 0)
		return r;
	n = to_int(d);
	if (n > MAX_UUID_LEN)
		return expr_fail(c, call, _("%ld characters is more than %d"), n, MAX_UUID_LEN);
	if (n < 0)
		n = 0;
	if (!(s = mem_alloc((size_t)n + 1)))
		return expr_oom(c);
	for (i = 0; i < n; i++)
		s[i] = alnum[randombytes_uniform(sizeof alnum - 1)];
	s[n] = '\0';
	return expr_vstr(c, s, out);
}

/* digest()'s algorithms and encodings: SHA-256 and SHA-512 are libsodium's; MD5, SHA-1 and SHA-384, which the
 * specification also names, are not, and are refused rather than written here. */
enum { DG_SHA256 = 1, DG_SHA512 = 2, DG_HEX = 4 };

/* The algorithm called name as DG_*, 0 if unknown, -1 if Sondeo does not have it. */
static int digest_algorithm(const char *name)
{
	if (!strcasecmp(name, "SHA-256"))
		return DG_SHA256;
	if (!strcasecmp(name, "SHA-512"))
		return DG_SHA512;
	if (!strcasecmp(name, "MD5") || !strcasecmp(name, "SHA-1") || !strcasecmp(name, "SHA-384"))
		return -1;
	return 0;
}

/* Why digest() cannot use algorithm a (digest_algorithm's) called name, into msg. */
static void digest_refusal(int a, const char *name, char *msg, size_t n)
{
	if (a < 0)
		/* TRANSLATORS: %s is a hash algorithm such as MD5. */
		snprintf(msg, n, _("digest(): %s is not available in Sondeo (SHA-256 and SHA-512 are)"), name);
	else
		snprintf(msg, n, _("digest(): unknown algorithm '%.64s' (SHA-256 or SHA-512)"), name);
}

static int digest_encoding(const char *name)
{
	if (!strcasecmp(name, "base64"))
		return 0;
	if (!strcasecmp(name, "hex"))
		return DG_HEX;
	return -1;
}

/* Literal algorithms and encodings are checked when the form is loaded, and kept in call->aux. */
static int check_digest(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	int a, e = 0;

	if (call->args[1]->kind == N_STR) {
		if ((a = digest_algorithm(call->args[1]->str)) <= 0) {
			*at = 1;
			digest_refusal(a, call->args[1]->str, msg, msglen);
			return -1;
		}
		call->aux = a;
	}
	if (call->nargs > 2 && call->args[2]->kind == N_STR) {
		if ((e = digest_encoding(call->args[2]->str)) < 0) {
			*at = 2;
			snprintf(msg, msglen, _("digest(): unknown encoding '%.64s' (base64 or hex)"), call->args[2]->str);
			return -1;
		}
		call->aux |= e;
	}
	return 0;
}

/* digest(text, algorithm[, encoding]): the hash of the text's UTF-8 bytes, in base64 (the default) or hex. */
static int fn_digest(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t hl;
	char *s, *name, msg[256], *enc;
	int a = call->aux & (DG_SHA256 | DG_SHA512), hex = call->aux & DG_HEX, r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	if (!a) {
		if ((r = expr_arg_str(call, 1, c, &name)) < 0) {
			free(s);
			return r;
		}
		if ((a = digest_algorithm(name)) <= 0) {
			digest_refusal(a, name, msg, sizeof msg);
			free(name);
			free(s);
			return errf(c->err, c->errlen, "%s", msg);
		}
		free(name);
	}
	if (call->nargs > 2 && call->args[2]->kind != N_STR) {
		if ((r = expr_arg_str(call, 2, c, &name)) < 0) {
			free(s);
			return r;
		}
		hex = digest_encoding(name);
		if (hex < 0) {
			r = expr_fail(c, call, _("unknown encoding '%.64s' (base64 or hex)"), name);
			free(name);
			free(s);
			return r;
		}
		free(name);
	}
	if (a == DG_SHA256) {
		crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
		hl = crypto_hash_sha256_BYTES;
	} else {
		crypto_hash_sha512(h, (const unsigned char *)s, strlen(s));
		hl = crypto_hash_sha512_BYTES;
	}
	free(s);
	if (!(enc = mem_alloc(hex ? 2 * hl + 1 : sodium_base64_ENCODED_LEN(hl, sodium_base64_VARIANT_ORIGINAL))))
		return expr_oom(c);
	if (hex)
		hex_encode(enc, h, hl);
	else
		sodium_bin2base64(enc, sodium_base64_ENCODED_LEN(hl, sodium_base64_VARIANT_ORIGINAL), h, hl,
				  sodium_base64_VARIANT_ORIGINAL);
	return expr_vstr(c, enc, out);
}

/* base64 text s decoded into a new buffer of *len bytes (NUL-terminated); NULL if it is not base64 (padded or
 * not, blanks ignored), or out of memory (*oom set). */
static unsigned char *base64_decode(const char *s, size_t *len, int *oom)
{
	size_t n = strlen(s);
	unsigned char *bin = mem_alloc(n / 4 * 3 + 4);

	*oom = !bin;
	if (bin && (sodium_base642bin(bin, n / 4 * 3 + 3, s, n, " \t\r\n", len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) == 0 ||
		    sodium_base642bin(bin, n / 4 * 3 + 3, s, n, " \t\r\n", len, NULL,
				      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0)) {
		bin[*len] = '\0';
		return bin;
	}
	free(bin);
	return NULL;
}

/* bin (len bytes, NUL-terminated, owned) as a string value: "" unless it is UTF-8 text without NUL bytes, which
 * is what answers can hold. */
static int text_val(struct expr_ctx *c, unsigned char *bin, size_t len, struct expr_val *out)
{
	if (!bin || memchr(bin, '\0', len) || !utf8_valid((const char *)bin, len, NULL)) {
		free(bin);
		return expr_vstr(c, mem_strdup(""), out);
	}
	return expr_vstr(c, (char *)bin, out);
}

/* base64-decode(s): the text s encodes in base64; "" when it is not base64 of UTF-8 text. */
static int fn_base64_decode(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	unsigned char *bin;
	size_t len = 0;
	char *s;
	int r, oom;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	bin = base64_decode(s, &len, &oom);
	free(s);
	if (oom)
		return expr_oom(c);
	return text_val(c, bin, len, out);
}

/* extract-signed(signed, key): the message of a base64 Ed25519 signed message (the signature, then the message),
 * when key (base64, 32 bytes) signed it; else "". */
static int fn_extract_signed(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	unsigned char *sm = NULL, *pk = NULL, *m = NULL;
	size_t smlen = 0, pklen = 0;
	unsigned long long mlen = 0;
	char *s, *k;
	int r, oom = 0, oom2 = 0;

	if ((r = two_strs(call, c, &s, &k)) < 0)
		return r;
	sm = base64_decode(s, &smlen, &oom);
	pk = base64_decode(k, &pklen, &oom2);
	free(s);
	free(k);
	if (oom || oom2) {
		r = expr_oom(c);
	} else if (!sm || !pk || pklen != crypto_sign_PUBLICKEYBYTES || smlen < crypto_sign_BYTES) {
		r = expr_vstr(c, mem_strdup(""), out);
	} else if (!(m = mem_alloc(smlen + 1))) {
		r = expr_oom(c);
	} else if (crypto_sign_open(m, &mlen, sm, smlen, pk) != 0) {
		free(m);
		r = expr_vstr(c, mem_strdup(""), out);
	} else {
		m[mlen] = '\0';
		r = text_val(c, m, (size_t)mlen, out);
	}
	free(sm);
	free(pk);
	return r;
}

/* ======================================================================================= booleans */

static int fn_if(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_val a;
	int r;

	if ((r = expr_node_eval(call->args[0], c, &a)) < 0)
		return r;
	r = expr_to_bool(&a);
	expr_val_release(&a);
	return expr_node_eval(call->args[r ? 1 : 2], c, out);
}

/* Empty as coalesce() and once() mean it: the empty string, and NaN (ODK Collect's). */
static int is_empty(const struct expr_val *v)
{
	return (v->t == V_STR && !v->s[0]) || (v->t == V_NUM && isnan(v->n));
}

static int fn_coalesce(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_val a;
	int r;

	if ((r = expr_node_eval(call->args[0], c, &a)) < 0)
		return r;
	if (!is_empty(&a)) {
		*out = a;
		return 0;
	}
	expr_val_release(&a);
	return expr_node_eval(call->args[1], c, out);
}

/* once(x): the question's own answer once it has one, else x (worked out only then). */
static int fn_once(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_val self;
	int r;

	if ((r = expr_from_json(c, c->env->self, &self)) < 0)
		return r;
	if (!is_empty(&self)) {
		*out = self;
		return 0;
	}
	expr_val_release(&self);
	return expr_node_eval(call->args[0], c, out);
}

static int fn_true(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	(void)c;
	*out = expr_vbool(!strcmp(call->fn->name, "true"));
	return 0;
}

/* boolean(x) and not(x). */
static int fn_boolean(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_val a;
	int r;

	if ((r = expr_node_eval(call->args[0], c, &a)) < 0)
		return r;
	*out = expr_vbool(expr_to_bool(&a) == !strcmp(call->fn->name, "boolean"));
	expr_val_release(&a);
	return 0;
}

/* boolean-from-string(s): true for "true" (in any case, as ODK Collect reads it) and "1", else false. */
static int fn_boolean_from_string(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	char *s;
	int r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	*out = expr_vbool(!strcasecmp(s, "true") || !strcmp(s, "1"));
	free(s);
	return 0;
}

/* A pattern written as a literal is compiled now: a form with a bad regex() is refused when loaded, and a
 * constraint checked on every record does not compile its pattern each time. */
static int check_regex(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	const struct expr_node *pattern = call->args[1];
	char why[128];
	regex_t *re;
	int rc;

	if (pattern->kind != N_STR)
		return 0;
	if (!(re = mem_alloc(sizeof(*re))))
		return ERR_OOM;
	rc = regcomp(re, pattern->str, REG_EXTENDED | REG_NOSUB);
	if (rc == REG_ESPACE) {
		free(re);
		return ERR_OOM;
	}
	if (rc) {
		regerror(rc, re, why, sizeof why);
		*at = 1;
		snprintf(msg, msglen, _("bad regular expression '%s': %s"), pattern->str, why);
		free(re);
		return -1;
	}
	call->re = re;
	return 0;
}

/* regex(s, pattern), its pattern compiled at parse time when it is a literal. */
static int fn_regex(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	regex_t re;
	char msg[128], *s, *t;
	int rc, r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	if (call->re) {
		*out = expr_vbool(regexec(call->re, s, 0, NULL, 0) == 0);
		free(s);
		return 0;
	}
	if ((r = expr_arg_str(call, 1, c, &t)) < 0) {
		free(s);
		return r;
	}
	rc = regcomp(&re, t, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &re, msg, sizeof msg);
		r = rc == REG_ESPACE ? expr_oom(c) :
				       errf(c->err, c->errlen, _("regex(): bad regular expression '%s': %s"), t, msg);
		free(s);
		free(t);
		return r;
	}
	*out = expr_vbool(regexec(&re, s, 0, NULL, 0) == 0);
	regfree(&re);
	free(s);
	free(t);
	return 0;
}

/* checklist(min, max, v...): whether the number of values that are true (boolean(), as ODK Collect counts them)
 * is from min to max; -1 (any negative) for either leaves that side open. */
static int count_true(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	(void)c;
	*(long *)fctx += expr_to_bool(v);
	return 0;
}

static int fn_checklist(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	double dmin, dmax;
	long n = 0, min, max;
	size_t i;
	int r;

	if ((r = expr_arg_num(call, 0, c, &dmin)) < 0 || (r = expr_arg_num(call, 1, c, &dmax)) < 0)
		return r;
	for (i = 2; i < call->nargs; i++)
		if ((r = expr_each(call->args[i], c, count_true, &n)) < 0)
			return r;
	min = to_int(dmin);
	max = to_int(dmax);
	*out = expr_vbool((min < 0 || n >= min) && (max < 0 || n <= max));
	return 0;
}

static int check_weighted(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	if (call->nargs % 2 == 0)
		return 0;
	*at = (size_t)-1;
	snprintf(msg, msglen, _("weighted-checklist() takes a weight after each value"));
	return -1;
}

/* weighted-checklist(min, max, v, w, ...): whether the weights of the values that are true add up to from min to
 * max. */
static int fn_weighted_checklist(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	double min, max, w, sum = 0;
	struct expr_val v;
	size_t i;
	int r;

	if ((r = expr_arg_num(call, 0, c, &min)) < 0 || (r = expr_arg_num(call, 1, c, &max)) < 0)
		return r;
	for (i = 2; i + 1 < call->nargs; i += 2) {
		if ((r = expr_node_eval(call->args[i], c, &v)) < 0)
			return r;
		r = expr_to_bool(&v);
		expr_val_release(&v);
		if (!r)
			continue;
		if ((r = expr_arg_num(call, i + 1, c, &w)) < 0)
			return r;
		sum += w;
	}
	*out = expr_vbool(sum >= min && sum <= max);
	return 0;
}

/* ======================================================================================= numbers */

static int fn_number(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	double d;
	int r;

	if ((r = expr_arg_num(call, 0, c, &d)) < 0)
		return r;
	*out = expr_vnum(!strcmp(call->fn->name, "int") && isfinite(d) ? trunc(d) : d);
	return 0;
}

/* random(): from 0 (included) to 1 (excluded), from libsodium's random source, 53 bits of it. */
static int fn_random(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	uint64_t x;

	(void)call;
	(void)c;
	randombytes_buf(&x, sizeof x);
	*out = expr_vnum((double)(x >> 11) / 9007199254740992.0);
	return 0;
}

/* d rounded to places decimals (negative: tens, hundreds...), half away from zero, on its decimal digits as it is
 * written rather than its binary value (round(2.675, 2) is 2.68, as ODK Collect's BigDecimal makes it). */
static double round_places(double d, long places)
{
	char digits[64], out[96];
	int exp10, n, keep, i, carry;
	char *e;

	if (!isfinite(d) || d == 0)
		return d;
	if (places > 30 || places < -30)
		return NAN;
	/* the shortest digits that read back as d */
	for (n = 15; n <= 17; n++) {
		snprintf(digits, sizeof digits, "%.*e", n - 1, fabs(d));
		if (strtod(digits, NULL) == fabs(d))
			break;
	}
	/* d.ddddde±x: the digits without the point (whatever the locale writes for it), and the exponent */
	e = strchr(digits, 'e');
	exp10 = atoi(e + 1);
	for (i = 0, n = 0; digits + i < e; i++)
		if (digits[i] >= '0' && digits[i] <= '9')
			digits[n++] = digits[i];
	digits[n] = '\0';
	/* keep the digits down to 10^-places; the first dropped decides */
	keep = exp10 + 1 + (int)places;
	if (keep >= n)
		return d;
	if (keep < 0)
		return copysign(0.0, d);
	carry = digits[keep] >= '5';
	for (i = keep - 1; i >= 0 && carry; i--) {
		if (digits[i] == '9') {
			digits[i] = '0';
		} else {
			digits[i]++;
			carry = 0;
		}
	}
	digits[keep] = '\0';
	if (keep == 0 && !carry)
		return copysign(0.0, d);
	/* the number is 0.digits x 10^(exp10 + 1): as an integer of keep digits (and the carry's), x 10^(exp10 + 1 -
	 * keep) */
	snprintf(out, sizeof out, "%s%s%se%d", d < 0 ? "-" : "", carry ? "1" : "", digits, exp10 + 1 - keep);
	return strtod_c(out, strlen(out));
}

/* round(x[, places]): to a whole number, or to places decimals; half away from zero. */
static int fn_round(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	double d, p = 0;
	int r;

	if ((r = expr_arg_num(call, 0, c, &d)) < 0 || (call->nargs > 1 && (r = expr_arg_num(call, 1, c, &p)) < 0))
		return r;
	*out = expr_vnum(round_places(d, to_int(p)));
	return 0;
}

/* The functions of one number (and pow(), atan2() of two), by name: the C library's. */
static int fn_math(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	static const struct {
		const char *name;
		double (*f)(double);
	} one[] = {
		{ "abs", fabs }, { "log", log }, { "log10", log10 }, { "sqrt", sqrt }, { "exp", exp },
		{ "sin", sin }, { "cos", cos }, { "tan", tan }, { "asin", asin }, { "acos", acos }, { "atan", atan },
	};
	const char *name = call->fn->name;
	double x = 0, y = 0;
	size_t i;
	int r;

	*out = expr_vnum(NAN);
	if (call->nargs && (r = expr_arg_num(call, 0, c, &x)) < 0)
		return r;
	if (call->nargs > 1 && (r = expr_arg_num(call, 1, c, &y)) < 0)
		return r;
	if (!strcmp(name, "pi"))
		*out = expr_vnum(M_PI);
	else if (!strcmp(name, "pow"))
		*out = expr_vnum(pow(x, y));
	else if (!strcmp(name, "atan2"))
		*out = expr_vnum(atan2(x, y));
	else if (!strcmp(name, "exp10"))
		*out = expr_vnum(pow(10, x));
	else
		for (i = 0; i < sizeof one / sizeof one[0]; i++)
			if (!strcmp(name, one[i].name))
				*out = expr_vnum(one[i].f(x));
	return 0;
}

/* sum(), min() and max() over every value their arguments stand for; values that are not numbers (unanswered
 * ones) are left out, as ODK Collect does, and min() and max() of none are NaN. */
struct tally {
	double sum, min, max;
	long n;
};

static int tally_one(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	struct tally *t = fctx;
	double d = expr_to_num(v);

	(void)c;
	if (isnan(d))
		return 0;
	t->sum += d;
	if (!t->n || d < t->min)
		t->min = d;
	if (!t->n || d > t->max)
		t->max = d;
	t->n++;
	return 0;
}

static int fn_tally(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct tally t = { 0, 0, 0, 0 };
	const char *name = call->fn->name;
	size_t i;
	int r;

	for (i = 0; i < call->nargs; i++)
		if ((r = expr_each(call->args[i], c, tally_one, &t)) < 0)
			return r;
	if (!strcmp(name, "sum"))
		*out = expr_vnum(t.sum);
	else
		*out = expr_vnum(!t.n ? NAN : !strcmp(name, "min") ? t.min : t.max);
	return 0;
}

/* ======================================================================================= node-sets and repeats */

/* count() and count-non-empty() take a question or a repeat, not any value. */
static int check_counted(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	if (call->args[0]->kind == N_REF)
		return 0;
	*at = 0;
	/* TRANSLATORS: %s is count() or count-non-empty(); keep ${name} as it is. */
	snprintf(msg, msglen, _("%s() counts the answers to a question or the instances of a repeat: write "
				"%s(${name})"), call->fn->name, call->fn->name);
	return -1;
}

static int count_one(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	(void)c;
	(void)v;
	(*(long *)fctx)++;
	return 0;
}

static int count_non_empty(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	(void)c;
	*(long *)fctx += !(v->t == V_STR && !v->s[0]);
	return 0;
}

/* count(${name}): how many answers name stands for (1 for a question of the record, the instances of a repeat);
 * count-non-empty(${name}): how many of them are not empty. */
static int fn_count(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	long n = 0;
	int r = expr_each(call->args[0], c, !strcmp(call->fn->name, "count") ? count_one : count_non_empty, &n);

	if (r < 0)
		return r;
	*out = expr_vnum((double)n);
	return 0;
}

static int check_position(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	if (call->args[0]->kind == N_PARENT)
		return 0;
	*at = 0;
	snprintf(msg, msglen, _("position() takes .. (the repeat instance the question is in): position(..)"));
	return -1;
}

/* position(..): the place of the repeat instance among its repeat's, from 1. */
static int fn_position(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	return expr_node_eval(call->args[0], c, out);
}

/* indexed-repeat(${question}, ${repeat}, n[, ${repeat}, n[, ${repeat}, n]]): the question and the repeats it is
 * in are named, not read. */
static int check_indexed(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	size_t i;

	if (call->nargs % 2 == 0) {
		*at = (size_t)-1;
		snprintf(msg, msglen, _("indexed-repeat() takes a number after each repeat"));
		return -1;
	}
	for (i = 0; i < call->nargs; i += i ? 2 : 1) {
		if (call->args[i]->kind != N_REF) {
			*at = i;
			/* TRANSLATORS: keep ${...} as it is. */
			snprintf(msg, msglen, i ? _("indexed-repeat() takes a repeat as ${name} here") :
					      _("indexed-repeat() takes the question as ${name}"));
			return -1;
		}
	}
	return 0;
}

static int fn_indexed_repeat(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	const char *repeat[EXPR_MAX_INDEXED];
	long index[EXPR_MAX_INDEXED];
	size_t depth = 0, i;
	double d;
	int r;

	for (i = 1; i + 1 < call->nargs; i += 2) {
		if ((r = expr_arg_num(call, i + 1, c, &d)) < 0)
			return r;
		repeat[depth] = call->args[i]->str;
		/* none or less than 1 is the first instance, as ODK Collect takes it (a count not worked out yet) */
		index[depth] = to_int(d) < 1 ? 1 : to_int(d);
		depth++;
	}
	if (!c->env->indexed)
		return expr_from_json(c, NULL, out);
	return expr_from_json(c, c->env->indexed(c->env->ctx, call->args[0]->str, repeat, index, depth), out);
}

/* ======================================================================================= selects */

/* Whether name is one of the space-separated words of list. */
static int has_word(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	for (;;) {
		size_t w;

		while (expr_is_space(*p))
			p++;
		if (!*p)
			return 0;
		for (w = 0; p[w] && !expr_is_space(p[w]); w++)
			;
		if (w == n && !memcmp(p, name, n))
			return 1;
		p += w;
	}
}

/* The word at 0-based place k of a space-separated list, into a new string ("" past its end). */
static char *word_at(const char *list, long k)
{
	const char *p = list;

	for (;;) {
		size_t w;

		while (expr_is_space(*p))
			p++;
		if (!*p || k < 0)
			return mem_strdup("");
		for (w = 0; p[w] && !expr_is_space(p[w]); w++)
			;
		if (k-- == 0)
			return mem_strndup(p, w);
		p += w;
	}
}

static char *trimmed(const char *s)
{
	size_t len;

	while (expr_is_space(*s))
		s++;
	len = strlen(s);
	while (len && expr_is_space(s[len - 1]))
		len--;
	return mem_strndup(s, len);
}

/* selected(list, name): whether name, trimmed, is one of list's words. */
static int fn_selected(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	char *s, *t, *name;
	int r;

	if ((r = two_strs(call, c, &s, &t)) < 0)
		return r;
	if ((name = trimmed(t)))
		*out = expr_vbool(name[0] && has_word(s, name));
	else
		r = expr_oom(c);
	free(name);
	free(s);
	free(t);
	return r;
}

static int fn_count_selected(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	size_t n = 0;
	char *s, *p;
	int r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	for (p = s; *p;) {
		while (expr_is_space(*p))
			p++;
		if (!*p)
			break;
		n++;
		while (*p && !expr_is_space(*p))
			p++;
	}
	free(s);
	*out = expr_vnum((double)n);
	return 0;
}

/* selected-at(list, n): the word at 0-based place n, "" when there is none. */
static int fn_selected_at(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	double d;
	char *s;
	int r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	if ((r = expr_arg_num(call, 1, c, &d)) < 0) {
		free(s);
		return r;
	}
	r = expr_vstr(c, word_at(s, to_int(d)), out);
	free(s);
	return r;
}

/* jr:choice-name(value, '${question}'): the question is named in quotes, as XLSForm writes it; it is kept as the
 * question itself (N_QNAME), which the form checks is a select question. */
static int check_choice_name(struct expr_node *call, size_t *at, char *msg, size_t msglen)
{
	struct expr_node *q = call->args[1];
	const char *s = q->kind == N_STR ? q->str : "";
	size_t n, i;
	char *name;

	while (expr_is_space(*s))
		s++;
	n = strlen(s);
	while (n && expr_is_space(s[n - 1]))
		n--;
	for (i = 2; i + 1 < n && s[0] == '$' && s[1] == '{'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '.' || s[i] == '-'))
			break;
	if (n < 4 || s[0] != '$' || s[1] != '{' || i != n - 1 || s[n - 1] != '}') {
		*at = 1;
		/* TRANSLATORS: %s is jr:choice-name(); keep '${question}' as it is. */
		snprintf(msg, msglen, _("%s() takes the question in quotes, as '${question}'"), call->fn->name);
		return -1;
	}
	if (!(name = mem_strndup(s + 2, n - 3)))
		return ERR_OOM;
	free(q->str);
	q->str = name;
	q->kind = N_QNAME;
	return 0;
}

/* jr:choice-name(value, '${question}'): the label of the question's choice called value, in the language being
 * used; "" when it has none. */
static int fn_choice_name(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	const char *label = NULL;
	char *s, *name;
	int r;

	if ((r = expr_arg_str(call, 0, c, &s)) < 0)
		return r;
	name = trimmed(s);
	free(s);
	if (!name)
		return expr_oom(c);
	if (c->env->choice_label)
		label = c->env->choice_label(c->env->ctx, call->args[1]->str, name);
	free(name);
	return expr_vstr(c, mem_strdup(label ? label : ""), out);
}

/* ======================================================================================= geography */

/* Points: latitude and longitude, in degrees. */
struct points {
	double *lat, *lon;
	size_t n, alloc;
	const struct expr_node *call;
};

static int points_add(struct points *pt, double lat, double lon)
{
	if (pt->n == pt->alloc) {
		size_t alloc = pt->alloc ? 2 * pt->alloc : 16;
		double *a, *b;

		if (alloc > MAX_POINTS)
			alloc = MAX_POINTS;
		if (pt->n == alloc)
			return 1;
		if (!(a = mem_realloc(pt->lat, alloc * sizeof *a)))
			return ERR_OOM;
		pt->lat = a;
		if (!(b = mem_realloc(pt->lon, alloc * sizeof *b)))
			return ERR_OOM;
		pt->lon = b;
		pt->alloc = alloc;
	}
	pt->lat[pt->n] = lat;
	pt->lon[pt->n] = lon;
	pt->n++;
	return 0;
}

/* Reads the points of s ("lat lon [alt [acc]]", several separated by ';'; at most one when one is set) into pt.
 * 0, 1 if s is no such text, ERR_OOM. */
static int points_read(struct points *pt, const char *s, int one)
{
	const char *p = s;
	int r, count = 0;

	for (;;) {
		double v[4];
		int k;

		for (k = 0; k < 4; k++) {
			const char *start;

			while (*p == ' ' || *p == '\t')
				p++;
			start = p;
			if (*p == '-' || *p == '+')
				p++;
			while ((*p >= '0' && *p <= '9') || *p == '.')
				p++;
			if (p == start)
				break;
			v[k] = strtod_c(start, (size_t)(p - start));
			if (isnan(v[k]))
				return 1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (k < 2 || fabs(v[0]) > 90 || fabs(v[1]) > 180 || (*p && *p != ';') || (one && count))
			return 1;
		if ((r = points_add(pt, v[0], v[1])) != 0)
			return r;
		count++;
		if (!*p)
			return 0;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
	}
}

/* The points an argument stands for: one answer is a geopoint, geotrace or geoshape (its points); several are
 * geopoints (one each, the unanswered ones left out), as ODK Collect reads them. */
struct gather {
	struct points *pt;
	char **texts;
	size_t n, alloc;
};

static int gather_one(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	struct gather *g = fctx;
	char *s = expr_to_str(v), **t;

	if (!s)
		return expr_oom(c);
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 8;
		if (!(t = mem_realloc(g->texts, g->alloc * sizeof *t))) {
			free(s);
			return expr_oom(c);
		}
		g->texts = t;
	}
	g->texts[g->n++] = s;
	return 0;
}

static int arg_points(const struct expr_node *call, size_t i, struct expr_ctx *c, struct points *pt)
{
	struct gather g = { pt, NULL, 0, 0 };
	size_t k;
	int r;

	if ((r = expr_each(call->args[i], c, gather_one, &g)) == 0) {
		for (k = 0; k < g.n && r == 0; k++) {
			if (!g.texts[k][0])
				continue;
			if ((r = points_read(pt, g.texts[k], g.n > 1)) == 1)
				r = pt->n >= MAX_POINTS ?
					    expr_fail(c, call, _("more than %d points"), MAX_POINTS) :
					    expr_fail(c, call, g.n > 1 ? _("'%.64s' is not a geopoint") :
								 _("'%.64s' is not a geopoint, geotrace or geoshape"),
						      g.texts[k]);
			else if (r == ERR_OOM)
				r = expr_oom(c);
		}
	}
	for (k = 0; k < g.n; k++)
		free(g.texts[k]);
	free(g.texts);
	return r;
}

static double radians(double deg)
{
	return deg * M_PI / 180;
}

/* area(shape) and distance(trace): ODK Collect's formulas (javarosa's GeoUtils), so that both give the same
 * numbers: the area of the polygon on a plane through its first point, scaled by the equator's circumference;
 * the distance along the points by the spherical law of cosines. */
static int fn_geo(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct points pt = { NULL, NULL, 0, 0, call };
	double total = 0, circ = 2 * EARTH_RADIUS * M_PI;
	size_t i;
	int r;

	if ((r = arg_points(call, 0, c, &pt)) < 0)
		goto out;
	if (!strcmp(call->fn->name, "distance")) {
		for (i = 1; i < pt.n; i++) {
			double cosang = sin(radians(pt.lat[i - 1])) * sin(radians(pt.lat[i])) +
					cos(radians(pt.lat[i - 1])) * cos(radians(pt.lat[i])) *
						cos(radians(pt.lon[i - 1] - pt.lon[i]));

			/* rounding may take two equal points a hair past 1 */
			total += acos(cosang > 1 ? 1 : cosang < -1 ? -1 : cosang) * EARTH_RADIUS;
		}
	} else if (pt.n >= 3) {
		double px = 0, py = 0;

		for (i = 1; i < pt.n; i++) {
			double y = (pt.lat[i] - pt.lat[0]) * circ / 360.0;
			double x = (pt.lon[i] - pt.lon[0]) * circ * cos(radians(pt.lat[i])) / 360.0;

			if (i > 1)
				total += (py * x - px * y) / 2;
			px = x;
			py = y;
		}
		total = fabs(total);
	}
	*out = expr_vnum(total);
out:
	free(pt.lat);
	free(pt.lon);
	return r;
}

/* geofence(point, shape): whether the point is inside the shape (crossings counted as ODK Collect does). */
static int fn_geofence(const struct expr_node *call, struct expr_ctx *c, struct expr_val *out)
{
	struct points p = { NULL, NULL, 0, 0, call }, s = { NULL, NULL, 0, 0, call };
	size_t i;
	int r, in = 0;

	if ((r = arg_points(call, 0, c, &p)) < 0 || (r = arg_points(call, 1, c, &s)) < 0)
		goto out;
	if (p.n == 1)
		for (i = 1; i < s.n; i++)
			if ((s.lat[i] > p.lat[0]) != (s.lat[i - 1] > p.lat[0]) &&
			    p.lon[0] < (s.lon[i - 1] - s.lon[i]) * (p.lat[0] - s.lat[i]) / (s.lat[i - 1] - s.lat[i]) +
					       s.lon[i])
				in = !in;
	*out = expr_vbool(in);
out:
	free(p.lat);
	free(p.lon);
	free(s.lat);
	free(s.lon);
	return r;
}

/* ======================================================================================= the table */

#define ANY (-1)

static const struct expr_fn fns[] = {
	/* strings */
	{ "string", 1, 1, fn_string, NULL, 0, NULL },
	{ "concat", 0, ANY, fn_concat, NULL, 0, NULL },
	{ "join", 1, ANY, fn_join, NULL, 0, NULL },
	{ "substr", 2, 3, fn_substr, NULL, 0, NULL },
	{ "substring-before", 2, 2, fn_substring_around, NULL, 0, NULL },
	{ "substring-after", 2, 2, fn_substring_around, NULL, 0, NULL },
	{ "translate", 3, 3, fn_translate, NULL, 0, NULL },
	{ "string-length", 0, 1, fn_string_length, NULL, 0, NULL },
	{ "normalize-space", 0, 1, fn_normalize_space, NULL, 0, NULL },
	{ "contains", 2, 2, fn_contains, NULL, 0, NULL },
	{ "starts-with", 2, 2, fn_contains, NULL, 0, NULL },
	{ "ends-with", 2, 2, fn_contains, NULL, 0, NULL },
	{ "uuid", 0, 1, fn_uuid, NULL, 1, NULL },
	{ "digest", 2, 3, fn_digest, check_digest, 0, NULL },
	{ "base64-decode", 1, 1, fn_base64_decode, NULL, 0, NULL },
	{ "extract-signed", 2, 2, fn_extract_signed, NULL, 0, NULL },
	{ "pulldata", 4, 4, NULL, NULL, 0,
	  N_("it reads a CSV file attached to the form, and Sondeo forms have no attached files") },
	/* booleans */
	{ "if", 3, 3, fn_if, NULL, 0, NULL },
	{ "coalesce", 2, 2, fn_coalesce, NULL, 0, NULL },
	{ "once", 1, 1, fn_once, NULL, 0, NULL },
	{ "true", 0, 0, fn_true, NULL, 0, NULL },
	{ "false", 0, 0, fn_true, NULL, 0, NULL },
	{ "boolean", 1, 1, fn_boolean, NULL, 0, NULL },
	{ "boolean-from-string", 1, 1, fn_boolean_from_string, NULL, 0, NULL },
	{ "not", 1, 1, fn_boolean, NULL, 0, NULL },
	{ "regex", 2, 2, fn_regex, check_regex, 0, NULL },
	{ "checklist", 2, ANY, fn_checklist, NULL, 0, NULL },
	{ "weighted-checklist", 2, ANY, fn_weighted_checklist, check_weighted, 0, NULL },
	/* numbers */
	{ "number", 1, 1, fn_number, NULL, 0, NULL },
	{ "random", 0, 0, fn_random, NULL, 1, NULL },
	{ "int", 1, 1, fn_number, NULL, 0, NULL },
	{ "sum", 1, 1, fn_tally, NULL, 0, NULL },
	{ "max", 1, ANY, fn_tally, NULL, 0, NULL },
	{ "min", 1, ANY, fn_tally, NULL, 0, NULL },
	{ "round", 1, 2, fn_round, NULL, 0, NULL },
	{ "pow", 2, 2, fn_math, NULL, 0, NULL },
	{ "log", 1, 1, fn_math, NULL, 0, NULL },
	{ "log10", 1, 1, fn_math, NULL, 0, NULL },
	{ "abs", 1, 1, fn_math, NULL, 0, NULL },
	{ "sin", 1, 1, fn_math, NULL, 0, NULL },
	{ "cos", 1, 1, fn_math, NULL, 0, NULL },
	{ "tan", 1, 1, fn_math, NULL, 0, NULL },
	{ "asin", 1, 1, fn_math, NULL, 0, NULL },
	{ "acos", 1, 1, fn_math, NULL, 0, NULL },
	{ "atan", 1, 1, fn_math, NULL, 0, NULL },
	{ "atan2", 2, 2, fn_math, NULL, 0, NULL },
	{ "sqrt", 1, 1, fn_math, NULL, 0, NULL },
	{ "exp", 1, 1, fn_math, NULL, 0, NULL },
	{ "exp10", 1, 1, fn_math, NULL, 0, NULL },
	{ "pi", 0, 0, fn_math, NULL, 0, NULL },
	/* node-sets and repeats */
	{ "count", 1, 1, fn_count, check_counted, 0, NULL },
	{ "count-non-empty", 1, 1, fn_count, check_counted, 0, NULL },
	{ "position", 1, 1, fn_position, check_position, 0, NULL },
	{ "indexed-repeat", 3, 1 + 2 * EXPR_MAX_INDEXED, fn_indexed_repeat, check_indexed, 0, NULL },
	{ "instance", 1, 1, NULL, NULL, 0,
	  N_("it reads a secondary instance (choices or a file attached to the form), which Sondeo forms do not "
	     "have") },
	{ "current", 0, 0, NULL, NULL, 0, N_("it is used inside instance() paths, which Sondeo does not read") },
	{ "randomize", 1, 2, NULL, NULL, 0,
	  N_("it shuffles a question's choices, which Sondeo offers in the form's order") },
	/* dates and times (expr-date.c) */
	{ "today", 0, 0, expr_date_today, NULL, 0, NULL },
	{ "now", 0, 0, expr_date_now, NULL, 0, NULL },
	{ "format-date", 2, 2, expr_date_format, expr_date_check_format, 0, NULL },
	{ "format-date-time", 2, 2, expr_date_format, expr_date_check_format, 0, NULL },
	{ "date", 1, 1, expr_date_date, NULL, 0, NULL },
	{ "decimal-date-time", 1, 1, expr_date_decimal_date_time, NULL, 0, NULL },
	{ "decimal-time", 1, 1, expr_date_decimal_time, NULL, 0, NULL },
	/* selects */
	{ "selected", 2, 2, fn_selected, NULL, 0, NULL },
	{ "selected-at", 2, 2, fn_selected_at, NULL, 0, NULL },
	{ "count-selected", 1, 1, fn_count_selected, NULL, 0, NULL },
	{ "jr:choice-name", 2, 2, fn_choice_name, check_choice_name, 0, NULL },
	{ "choice-name", 2, 2, fn_choice_name, check_choice_name, 0, NULL },
	{ "jr:itext", 1, 1, NULL, NULL, 0,
	  N_("it looks up an XForm's translated texts; XLSForm's label::LANGUAGE columns are how Sondeo reads them") },
	/* geography */
	{ "area", 1, 1, fn_geo, NULL, 0, NULL },
	{ "distance", 1, 1, fn_geo, NULL, 0, NULL },
	{ "geofence", 2, 2, fn_geofence, NULL, 0, NULL },
	/* ODK Collect's own, outside the specification */
	{ "version", 0, 0, NULL, NULL, 0,
	  N_("it is ODK Collect's, outside the ODK XForms specification; a record's form version is its "
	     "_form_version") },
	{ "property", 1, 1, NULL, NULL, 0,
	  N_("it reads ODK Collect's device properties; the question types deviceid and username give them") },
};

const struct expr_fn *expr_fn_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (strlen(fns[i].name) == len && !memcmp(fns[i].name, name, len))
			return &fns[i];
	return NULL;
}
