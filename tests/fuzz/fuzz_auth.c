/* fuzz_auth.c - libFuzzer target for what sondeod reads before it knows who is asking, and the statements it
 * checks signatures over. The first byte of an input picks the reader (its value mod 4), the rest is the text:
 *   0: a Cookie header (common/http.c, http_cookie_token, as the review page reads it). A token found is 64 lowercase hex that the
 *      header holds as sondeo_session=TOKEN; written alone as a header it reads back; after another cookie,
 *      the same.
 *   1: a signed request's fields (PROTOCOL.md, "Signed requests"), one per line: method, path and query, the
 *      Sondeo-Time, Sondeo-Nonce and Sondeo-Signature headers, then the body (proto/auth.c, as
 *      srv_authenticate calls it). An accepted time prints back as it was sent; a nonce is valid exactly when
 *      it is 32 lowercase hex; the text signed is the spec's, byte for byte; what the test key signs verifies,
 *      and nothing else does (the fuzzer's signature, another body, another nonce); a signed response the
 *      same.
 *   2: a vouch statement's body (server/api-vouch.c, srv_vouch_read): accepted, it has exactly the six
 *      members, a name and region the spec allows (UTF-8 without control characters, NUL included), and its
 *      text is the spec's; signed with the test key, it verifies as api_vouch checks it, and no other
 *      signature does.
 *   3: an enrolment code as typed (auth_code_normalize): 20 symbols of the alphabet, the same once shown in
 *      groups and read again, and the same read twice.
 * Anything else aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "fuzzkey.h"
#include "srv.h"
#include "sstore-users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keys *key;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_auth: %s%s%.300s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void cookie_run(const char *h)
{
	char tok[SSTORE_TOKEN_HEXLEN + 1], again[SSTORE_TOKEN_HEXLEN + 1], pair[SSTORE_TOKEN_HEXLEN + 32];
	struct buf b = BUF_INIT((size_t)1 << 20);

	if (!http_cookie_token(h, "sondeo_session", tok))
		return;
	if (!fuzz_lower_hex(tok, SSTORE_TOKEN_HEXLEN))
		die("a session token that is not 64 lowercase hex", tok);
	if (!strstr(h, tok))
		die("a session token the header does not hold", tok);
	snprintf(pair, sizeof(pair), "sondeo_session=%s", tok);
	if (!http_cookie_token(pair, "sondeo_session", again) || strcmp(tok, again))
		die("a session cookie written alone does not read back", tok);
	if (strlen(h) < 8000) {
		buf_adds(&b, "theme=dark; ");
		buf_adds(&b, h);
		if (!http_cookie_token(b.data, "sondeo_session", again) || strcmp(tok, again))
			die("another cookie before the header changed its session", tok);
	}
	buf_release(&b);
}

/* The next line of *p (its end written over), or "" past the end. */
static char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return "";
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static int method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i]; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return 0;
	return i >= 1 && i <= AUTH_METHOD_MAX;
}

static int path_ok(const char *p)
{
	size_t i;

	if (p[0] != '/')
		return 0;
	for (i = 0; p[i]; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return 0;
	return i <= AUTH_PATH_MAX;
}

static void request_run(char *text, size_t len)
{
	char *p = text, *method = next_line(&p), *path = next_line(&p), *ts = next_line(&p), *nonce = next_line(&p);
	char *sig = next_line(&p), printed[32], mine[AUTH_SIG_HEXLEN + 1], other[AUTH_NONCE_HEXLEN + 1], err[512];
	const char *body = p ? p : "";
	size_t blen = p ? len - (size_t)(p - text) : 0;
	unsigned char h[32];
	char hh[65];
	struct buf t = BUF_INIT(8192), want = BUF_INIT(16384);
	uint64_t ms = 0;
	int tok;

	if (auth_time_parse(ts, &ms) == 0) {
		snprintf(printed, sizeof(printed), "%llu", (unsigned long long)ms);
		if (strcmp(printed, ts) || ms > (uint64_t)INT64_MAX)
			die("an accepted time does not print back as it was sent", ts);
	} else {
		ms = 1767225600000ULL;
	}
	if (auth_nonce_valid(nonce) != (strlen(nonce) == AUTH_NONCE_HEXLEN && fuzz_lower_hex(nonce, AUTH_NONCE_HEXLEN)))
		die("a nonce judged against the spec", nonce);
	tok = auth_request_text(&t, method, path, body, blen, ms, nonce, err, sizeof(err));
	if (tok == 0) {
		if (!method_ok(method) || !path_ok(path) || !auth_nonce_valid(nonce))
			die("a request text made of fields the spec refuses", method);
		crypto_generichash(h, sizeof(h), (const unsigned char *)body, blen, NULL, 0);
		sodium_bin2hex(hh, sizeof(hh), h, sizeof(h));
		buf_printf(&want, "sondeo-request-v1\n%s\n%s\n%s\n%llu\n%s", method, path, hh, (unsigned long long)ms, nonce);
		if (t.len != want.len || memcmp(t.data, want.data, t.len))
			die("the request text is not the spec's", t.data);
		if (auth_sign_request(key, method, path, body, blen, ms, nonce, mine, err, sizeof(err)) < 0)
			die("the test key cannot sign a request whose text was made", err);
		if (auth_verify_request(keys_public(key), method, path, body, blen, ms, nonce, mine) < 0)
			die("a signed request does not verify", NULL);
		if (strcmp(sig, mine) && auth_verify_request(keys_public(key), method, path, body, blen, ms, nonce, sig) == 0)
			die("a signature the key did not make verifies", sig);
		if (auth_verify_request(keys_public(key), method, path, body, blen, ms + 1, nonce, mine) == 0)
			die("a signature verifies for another time", NULL);
		memcpy(other, nonce, sizeof(other));
		other[0] = other[0] == '0' ? '1' : '0';
		if (auth_verify_request(keys_public(key), method, path, body, blen, ms, other, mine) == 0)
			die("a signature verifies for another nonce", NULL);
		if (blen && auth_verify_request(keys_public(key), method, path, body, blen - 1, ms, nonce, mine) == 0)
			die("a signature verifies for another body", NULL);
		/* The answer to it, bound to its nonce. */
		if (auth_sign_response(key, nonce, body, blen, mine, err, sizeof(err)) < 0 ||
		    auth_verify_response(keys_public(key), nonce, body, blen, mine) < 0)
			die("a signed response does not verify", err);
		if (auth_verify_response(keys_public(key), other, body, blen, mine) == 0)
			die("a response verifies for another request's nonce", NULL);
	} else {
		if (t.len || !err[0])
			die("a request text refused without a message, or left behind", NULL);
		if (method_ok(method) && path_ok(path) && auth_nonce_valid(nonce))
			die("a request text refused with every field as the spec says", err);
		if (auth_verify_request(keys_public(key), method, path, body, blen, ms, nonce, sig) == 0)
			die("a request whose text cannot be made verifies", sig);
	}
	buf_release(&t);
	buf_release(&want);
}

/* 1 if s (len bytes) is a name the spec allows: UTF-8 without U+0000..U+001F or U+007F..U+009F. */
static int spec_name(const char *s, size_t len, size_t min)
{
	size_t i;

	if (len < min || len > AUTH_NAME_MAX || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
					      (unsigned char)s[i + 1] <= 0x9f))
			return 0;
	}
	return 1;
}

static void vouch_run(const char *text, size_t len)
{
	json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	struct buf t = BUF_INIT(4096), want = BUF_INIT(8192);
	struct srv_vouch_req v;
	unsigned char sig[KEYS_SIG_BYTES];
	char err[512] = "", pkh[2 * KEYS_PK_BYTES + 1];
	json_t *name, *region;

	if (!json_is_object(body)) {
		json_decref(body);
		return;
	}
	if (srv_vouch_read(body, &v, &t, err, sizeof(err)) < 0) {
		if (!err[0])
			die("a vouch refused without a message", NULL);
		goto out;
	}
	name = json_object_get(body, "name");
	region = json_object_get(body, "region");
	if (json_object_size(body) != 6 || !spec_name(json_string_value(name), json_string_length(name), 0) ||
	    !spec_name(json_string_value(region), json_string_length(region), 1))
		die("a vouch the spec refuses was accepted", text);
	sodium_bin2hex(pkh, sizeof(pkh), v.pk, sizeof(v.pk));
	buf_printf(&want, "sondeo-vouch-v1\n%s\n%s\n%s\n%s\n%llu", v.action == AUTH_VOUCH_REVOKE ? "revoke" : "enrol",
		   pkh, v.name, v.region, (unsigned long long)v.time_ms);
	if (t.len != want.len || memcmp(t.data, want.data, t.len))
		die("the vouch statement is not the spec's", t.data);
	/* As api_vouch checks it, with the regional server's key: Ed25519 signs one way only. */
	keys_sign(key, t.data, t.len, sig);
	if (keys_verify(keys_public(key), t.data, t.len, sig) < 0)
		die("a signed vouch does not verify", NULL);
	if (memcmp(sig, v.sig, sizeof(sig)) && keys_verify(keys_public(key), t.data, t.len, v.sig) == 0)
		die("a vouch signature the key did not make verifies", NULL);
out:
	buf_release(&t);
	buf_release(&want);
	json_decref(body);
}

static void code_run(const char *typed)
{
	char code[AUTH_CODE_LEN + 1], again[AUTH_CODE_LEN + 1], shown[AUTH_CODE_SHOWN_LEN + 1], err[256] = "";
	size_t i;

	if (auth_code_normalize(typed, code, err, sizeof(err)) < 0) {
		if (!err[0] || code[0])
			die("a code refused without a message, or with a code", typed);
		return;
	}
	if (strlen(code) != AUTH_CODE_LEN)
		die("a code of the wrong length", code);
	for (i = 0; i < AUTH_CODE_LEN; i++)
		if (!strchr(AUTH_CODE_ALPHABET, code[i]))
			die("a code outside the alphabet", code);
	if (auth_code_normalize(code, again, err, sizeof(err)) < 0 || strcmp(code, again))
		die("a code read twice changed", code);
	if (auth_code_format(code, shown) < 0 || auth_code_normalize(shown, again, err, sizeof(err)) < 0 ||
	    strcmp(code, again))
		die("a code shown in groups reads back otherwise", shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!key)
		key = fuzz_key(0x7a);
	if (size == 0)
		return 0;
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	switch (data[0] % 4) {
	case 0: cookie_run(text); break;
	case 1: request_run(text, size - 1); break;
	case 2: vouch_run(text, size - 1); break;
	default: code_run(text); break;
	}
	free(text);
	return 0;
}
