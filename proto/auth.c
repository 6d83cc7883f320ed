/* auth.c - signed requests and responses, enrolment codes and their MACs (see auth.h and PROTOCOL.md). */
#include "auth.h"

#include <sodium.h>
#include <string.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

#define REQUEST_PREFIX "sondeo-request-v1\n"
#define RESPONSE_PREFIX "sondeo-response-v1\n"
#define ENROL_REQUEST_PREFIX "sondeo-enrol-request-v1\n"
#define ENROL_ANSWER_PREFIX "sondeo-enrol-answer-v1\n"
#define CODE_KEY_KEY "sondeo enrol v1"   /* 15 bytes, without the NUL */

#define HASH_BYTES 32
#define TEXT_CAP 8192   /* every text fits: the longest, a request, is at most 4,249 bytes */

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int hex_value(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

void auth_new_nonce(char out[AUTH_NONCE_HEXLEN + 1])
{
	unsigned char r[AUTH_NONCE_HEXLEN / 2];

	randombytes_buf(r, sizeof(r));
	hex_encode(out, r, sizeof(r));
}

int auth_nonce_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < AUTH_NONCE_HEXLEN; i++)
		if (!is_lower_hex(s[i]))
			return 0;
	return s[i] == '\0';
}

int auth_time_parse(const char *s, uint64_t *ms)
{
	uint64_t v = 0;
	size_t i;

	if (!s || !s[0] || (s[0] == '0' && s[1]))
		return -1;
	for (i = 0; s[i]; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9' || i >= 19)
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > ((uint64_t)AUTH_TIME_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*ms = v;
	return 0;
}

int auth_hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	if (!hex)
		return -1;
	for (i = 0; i < 2 * n; i++)
		if (!is_lower_hex(hex[i]))
			return -1;
	if (hex[2 * n])
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
	return 0;
}

/* hex(BLAKE2b-256(body)) into out (65 bytes). */
static void body_hash_hex(const void *body, size_t len, char out[2 * HASH_BYTES + 1])
{
	unsigned char h[HASH_BYTES];

	crypto_generichash(h, sizeof(h), len ? body : NULL, len, NULL, 0);
	hex_encode(out, h, sizeof(h));
}

/* The nonce of a request or an answer; of the enrolment request it answers when request is 1. */
static int check_nonce(const char *nonce_hex, int request, char *err, size_t errlen)
{
	if (!auth_nonce_valid(nonce_hex))
		return request ? errf(err, errlen, _("the request nonce is not %d lowercase hex characters"),
				      AUTH_NONCE_HEXLEN)
			       : errf(err, errlen, _("the nonce is not %d lowercase hex characters"),
				      AUTH_NONCE_HEXLEN);
	return 0;
}

static int check_body(const void *body, size_t len, char *err, size_t errlen)
{
	if (!body && len)
		return errf(err, errlen, _("no body bytes given for a body of %zu bytes"), len);
	return 0;
}

static int check_method(const char *m, char *err, size_t errlen)
{
	size_t i;

	if (!m || !m[0])
		return errf(err, errlen, _("the method is empty"));
	for (i = 0; m[i]; i++) {
		if (i >= AUTH_METHOD_MAX)
			return errf(err, errlen, _("the method is longer than %d characters"), AUTH_METHOD_MAX);
		if (m[i] < 'A' || m[i] > 'Z')
			return errf(err, errlen, _("the method has a character other than A-Z at offset %zu"), i);
	}
	return 0;
}

static int check_path(const char *p, char *err, size_t errlen)
{
	size_t i;

	if (!p || p[0] != '/')
		return errf(err, errlen, _("the path does not start with '/'"));
	for (i = 0; p[i]; i++) {
		unsigned char c = (unsigned char)p[i];

		if (i >= AUTH_PATH_MAX)
			return errf(err, errlen, _("the path and query are longer than %d bytes"), AUTH_PATH_MAX);
		if (c < 0x21 || c > 0x7e)
			return errf(err, errlen, _("the path has a byte outside 0x21..0x7e at offset %zu"), i);
	}
	return 0;
}

/* A device name or (region 1) a region: 1..AUTH_NAME_MAX bytes of UTF-8 without C0 controls, DEL or C1
 * controls. */
static int check_name(const char *s, int region, char *err, size_t errlen)
{
	size_t i, len;

	if (!s || !s[0])
		return region ? errf(err, errlen, _("the region is empty"))
			      : errf(err, errlen, _("the device name is empty"));
	len = strlen(s);
	if (len > AUTH_NAME_MAX)
		return region ? errf(err, errlen, _("the region is longer than %d bytes"), AUTH_NAME_MAX)
			      : errf(err, errlen, _("the device name is longer than %d bytes"), AUTH_NAME_MAX);
	if (!utf8_valid(s, len, NULL))
		return region ? errf(err, errlen, _("the region is not valid UTF-8"))
			      : errf(err, errlen, _("the device name is not valid UTF-8"));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* In valid UTF-8, U+0080..U+009F are exactly the pairs C2 80 .. C2 9F. */
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && (unsigned char)s[i + 1] <= 0x9f))
			return region ? errf(err, errlen, _("the region has a control character"))
				      : errf(err, errlen, _("the device name has a control character"));
	}
	return 0;
}

/* The end of every text builder: on failure out is left empty. */
static int text_done(struct buf *out, int failed, char *err, size_t errlen)
{
	if (failed) {
		buf_reset(out);
		return errf(err, errlen, _("out of memory for a signed text"));
	}
	return 0;
}

/* The request text over a body hash already made (or claimed by a peer, so checked here). */
static int request_text(struct buf *out, const char *method, const char *path_and_query, const char *hash_hex,
			uint64_t time_ms, const char *nonce_hex, char *err, size_t errlen)
{
	unsigned char h[HASH_BYTES];

	buf_reset(out);
	if (check_method(method, err, errlen) < 0 || check_path(path_and_query, err, errlen) < 0 ||
	    check_nonce(nonce_hex, 0, err, errlen) < 0)
		return -1;
	if (auth_hex_decode(hash_hex, h, sizeof(h)) < 0)
		return errf(err, errlen, _("the body hash is not %d lowercase hex characters"), AUTH_HASH_HEXLEN);
	if (time_ms > (uint64_t)AUTH_TIME_MAX)
		return errf(err, errlen, _("the time is over %lld ms"), (long long)AUTH_TIME_MAX);
	return text_done(out, buf_printf(out, REQUEST_PREFIX "%s\n%s\n%s\n%llu\n%s", method, path_and_query, hash_hex,
					 (unsigned long long)time_ms, nonce_hex) < 0, err, errlen);
}

void auth_body_hash(const void *body, size_t len, char out[AUTH_HASH_HEXLEN + 1])
{
	body_hash_hex(body, len, out);
}

int auth_request_text(struct buf *out, const char *method, const char *path_and_query, const void *body,
		      size_t body_len, uint64_t time_ms, const char *nonce_hex, char *err, size_t errlen)
{
	char h[2 * HASH_BYTES + 1];

	buf_reset(out);
	if (check_body(body, body_len, err, errlen) < 0)
		return -1;
	body_hash_hex(body, body_len, h);
	return request_text(out, method, path_and_query, h, time_ms, nonce_hex, err, errlen);
}

int auth_response_text(struct buf *out, const char *nonce_hex, const void *body, size_t body_len, char *err,
		       size_t errlen)
{
	char h[2 * HASH_BYTES + 1];

	buf_reset(out);
	if (check_nonce(nonce_hex, 0, err, errlen) < 0 || check_body(body, body_len, err, errlen) < 0)
		return -1;
	body_hash_hex(body, body_len, h);
	return text_done(out, buf_printf(out, RESPONSE_PREFIX "%s\n%s", nonce_hex, h) < 0, err, errlen);
}

/* Signs text (already built, or failed: r < 0) into sig_hex and releases it. */
static int sign_text(const struct keys *k, struct buf *text, int r, char sig_hex[AUTH_SIG_HEXLEN + 1],
		     char *err, size_t errlen)
{
	unsigned char sig[KEYS_SIG_BYTES];

	sig_hex[0] = '\0';
	if (r == 0 && !k)
		r = errf(err, errlen, _("no key to sign with"));
	if (r == 0) {
		keys_sign(k, text->data, text->len, sig);
		hex_encode(sig_hex, sig, sizeof(sig));
	}
	buf_release(text);
	return r;
}

/* Verifies sig_hex over text (already built, or failed: r < 0) with pk and releases the text. */
static int verify_text(const unsigned char pk[KEYS_PK_BYTES], struct buf *text, int r, const char *sig_hex)
{
	unsigned char sig[KEYS_SIG_BYTES];

	if (r == 0 && (!pk || auth_hex_decode(sig_hex, sig, sizeof(sig)) < 0 ||
		       keys_verify(pk, text->data, text->len, sig) < 0))
		r = -1;
	buf_release(text);
	return r;
}

int auth_sign_request_hash(const struct keys *k, const char *method, const char *path_and_query,
			   const char *body_hash_hex, uint64_t time_ms, const char *nonce_hex,
			   char sig_hex[AUTH_SIG_HEXLEN + 1], char *err, size_t errlen)
{
	struct buf t = BUF_INIT(TEXT_CAP);

	return sign_text(k, &t, request_text(&t, method, path_and_query, body_hash_hex, time_ms, nonce_hex, err,
					     errlen), sig_hex, err, errlen);
}

int auth_sign_request(const struct keys *k, const char *method, const char *path_and_query, const void *body,
		      size_t body_len, uint64_t time_ms, const char *nonce_hex,
		      char sig_hex[AUTH_SIG_HEXLEN + 1], char *err, size_t errlen)
{
	struct buf t = BUF_INIT(TEXT_CAP);

	return sign_text(k, &t, auth_request_text(&t, method, path_and_query, body, body_len, time_ms, nonce_hex,
						  err, errlen), sig_hex, err, errlen);
}

int auth_verify_request_hash(const unsigned char pk[KEYS_PK_BYTES], const char *method,
			     const char *path_and_query, const char *body_hash_hex, uint64_t time_ms,
			     const char *nonce_hex, const char *sig_hex)
{
	struct buf t = BUF_INIT(TEXT_CAP);

	return verify_text(pk, &t, request_text(&t, method, path_and_query, body_hash_hex, time_ms, nonce_hex, NULL,
						0), sig_hex);
}

int auth_verify_request(const unsigned char pk[KEYS_PK_BYTES], const char *method, const char *path_and_query,
			const void *body, size_t body_len, uint64_t time_ms, const char *nonce_hex,
			const char *sig_hex)
{
	struct buf t = BUF_INIT(TEXT_CAP);

	return verify_text(pk, &t, auth_request_text(&t, method, path_and_query, body, body_len, time_ms,
						     nonce_hex, NULL, 0), sig_hex);
}

int auth_sign_response(const struct keys *k, const char *nonce_hex, const void *body, size_t body_len,
		       char sig_hex[AUTH_SIG_HEXLEN + 1], char *err, size_t errlen)
{
	struct buf t = BUF_INIT(TEXT_CAP);

	return sign_text(k, &t, auth_response_text(&t, nonce_hex, body, body_len, err, errlen), sig_hex,
			 err, errlen);
}

int auth_verify_response(const unsigned char pk[KEYS_PK_BYTES], const char *nonce_hex, const void *body,
			 size_t body_len, const char *sig_hex)
{
	struct buf t = BUF_INIT(TEXT_CAP);

	return verify_text(pk, &t, auth_response_text(&t, nonce_hex, body, body_len, NULL, 0), sig_hex);
}

/* --- Enrolment codes ---------------------------------------------------------------------------------- */

/* The symbol a typed character reads as, '-' for a separator to skip, or 0 if it is not allowed. */
static char code_symbol(char c)
{
	if (c == ' ' || c == '-')
		return '-';
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		return '0';
	if (c == 'I' || c == 'L')
		return '1';
	if (c && strchr(AUTH_CODE_ALPHABET, c))
		return c;
	return 0;
}

/* 1 if code is exactly 20 symbols of the alphabet (upper case, no look-alikes, no separators). */
static int code_normalized(const char *code)
{
	size_t i;

	if (!code)
		return 0;
	for (i = 0; i < AUTH_CODE_LEN; i++)
		if (!code[i] || !strchr(AUTH_CODE_ALPHABET, code[i]))
			return 0;
	return code[i] == '\0';
}

void auth_code_new(char out[AUTH_CODE_LEN + 1])
{
	size_t i;

	for (i = 0; i < AUTH_CODE_LEN; i++)
		out[i] = AUTH_CODE_ALPHABET[randombytes_uniform(32)];
	out[AUTH_CODE_LEN] = '\0';
}

int auth_code_normalize(const char *typed, char out[AUTH_CODE_LEN + 1], char *err, size_t errlen)
{
	size_t i, n = 0;

	out[0] = '\0';
	if (!typed)
		return errf(err, errlen, _("no enrolment code"));
	for (i = 0; typed[i]; i++) {
		char s = code_symbol(typed[i]);
		unsigned char c = (unsigned char)typed[i];

		if (!s) {
			sodium_memzero(out, AUTH_CODE_LEN + 1);
			if (c >= 0x21 && c <= 0x7e)
				return errf(err, errlen, _("'%c' cannot be in an enrolment code"), c);
			return errf(err, errlen, _("an enrolment code has only letters, digits, spaces and dashes "
						   "(byte 0x%02x at offset %zu)"), c, i);
		}
		if (s == '-')
			continue;
		if (n < AUTH_CODE_LEN)
			out[n] = s;
		n++;
	}
	if (n != AUTH_CODE_LEN) {
		sodium_memzero(out, AUTH_CODE_LEN + 1);
		return errf(err, errlen, _("an enrolment code has %d letters and digits, this one %zu"), AUTH_CODE_LEN,
			    n);
	}
	out[AUTH_CODE_LEN] = '\0';
	return 0;
}

int auth_code_format(const char *code, char out[AUTH_CODE_SHOWN_LEN + 1])
{
	size_t i, n = 0;

	out[0] = '\0';
	if (!code_normalized(code))
		return -1;
	for (i = 0; i < AUTH_CODE_LEN; i++) {
		if (i && i % 4 == 0)
			out[n++] = '-';
		out[n++] = code[i];
	}
	out[n] = '\0';
	return 0;
}

int auth_code_id(const char *code, char out[AUTH_CODE_ID_LEN + 1])
{
	out[0] = '\0';
	if (!code_normalized(code))
		return -1;
	memcpy(out, code, AUTH_CODE_ID_LEN);
	out[AUTH_CODE_ID_LEN] = '\0';
	return 0;
}

int auth_code_key(const char *code, unsigned char key[AUTH_KEY_BYTES])
{
	if (!code_normalized(code)) {
		sodium_memzero(key, AUTH_KEY_BYTES);
		return -1;
	}
	crypto_generichash(key, AUTH_KEY_BYTES, (const unsigned char *)code, AUTH_CODE_LEN,
			   (const unsigned char *)CODE_KEY_KEY, sizeof(CODE_KEY_KEY) - 1);
	return 0;
}

void auth_enrol_mac(const unsigned char key[AUTH_KEY_BYTES], const void *msg, size_t len,
		    unsigned char mac[AUTH_MAC_BYTES])
{
	crypto_generichash(mac, AUTH_MAC_BYTES, len ? msg : NULL, len, key, AUTH_KEY_BYTES);
}

int auth_enrol_mac_verify(const unsigned char key[AUTH_KEY_BYTES], const void *msg, size_t len,
			  const unsigned char mac[AUTH_MAC_BYTES])
{
	unsigned char want[AUTH_MAC_BYTES];
	int r;

	auth_enrol_mac(key, msg, len, want);
	r = sodium_memcmp(want, mac, AUTH_MAC_BYTES) == 0 ? 0 : -1;
	sodium_memzero(want, sizeof(want));
	return r;
}

int auth_enrol_request_text(struct buf *out, const unsigned char device_pk[KEYS_PK_BYTES], const char *name,
			    const char *nonce_hex, char *err, size_t errlen)
{
	char pk[2 * KEYS_PK_BYTES + 1];

	buf_reset(out);
	if (!device_pk)
		return errf(err, errlen, _("no device key"));
	if (check_name(name, 0, err, errlen) < 0 || check_nonce(nonce_hex, 0, err, errlen) < 0)
		return -1;
	hex_encode(pk, device_pk, KEYS_PK_BYTES);
	return text_done(out, buf_printf(out, ENROL_REQUEST_PREFIX "%s\n%s\n%s", pk, name, nonce_hex) < 0, err,
			 errlen);
}

int auth_enrol_answer_text(struct buf *out, const char *request_nonce_hex,
			   const unsigned char server_pk[KEYS_PK_BYTES], const char *device_id, const char *region,
			   char *err, size_t errlen)
{
	char pk[2 * KEYS_PK_BYTES + 1];
	unsigned char id[KEYS_ID_STRLEN / 2];

	buf_reset(out);
	if (check_nonce(request_nonce_hex, 1, err, errlen) < 0)
		return -1;
	if (!server_pk)
		return errf(err, errlen, _("no server key"));
	if (auth_hex_decode(device_id, id, sizeof(id)) < 0)
		return errf(err, errlen, _("the device id is not %d lowercase hex characters"), KEYS_ID_STRLEN);
	if (check_name(region, 1, err, errlen) < 0)
		return -1;
	hex_encode(pk, server_pk, KEYS_PK_BYTES);
	return text_done(out, buf_printf(out, ENROL_ANSWER_PREFIX "%s\n%s\n%s\n%s", request_nonce_hex, pk,
					 device_id, region) < 0, err, errlen);
}

int auth_vouch_text(struct buf *out, enum auth_vouch action, const unsigned char device_pk[KEYS_PK_BYTES],
		    const char *name, const char *region, uint64_t time_ms, char *err, size_t errlen)
{
	char pk[2 * KEYS_PK_BYTES + 1];

	buf_reset(out);
	if (!device_pk)
		return errf(err, errlen, _("no device key"));
	if ((*name && check_name(name, 0, err, errlen) < 0) || check_name(region, 1, err, errlen) < 0)
		return -1;
	if (time_ms > AUTH_TIME_MAX)
		return errf(err, errlen, _("the time is out of range"));
	hex_encode(pk, device_pk, KEYS_PK_BYTES);
	return text_done(out, buf_printf(out, "sondeo-vouch-v1\n%s\n%s\n%s\n%s\n%llu",
					 action == AUTH_VOUCH_REVOKE ? "revoke" : "enrol", pk, name, region,
					 (unsigned long long)time_ms) < 0, err, errlen);
}
