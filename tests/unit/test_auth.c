/* test_auth.c - signed requests and responses, enrolment codes and MACs: exact texts, known answers computed
 * outside this code (Python's hashlib BLAKE2b and the cryptography package's Ed25519, with the RFC 8032 test
 * keys), round trips, every field change breaking a signature, and malformed inputs refused. */
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "keys.h"
#include "util.h"
#include "test.h"

/* RFC 8032 section 7.1, tests 1 and 2: the device's and the server's keys. */
#define DEV_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define DEV_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define DEV_ID "d7108b422f25cc5edb865cc4ae184f55"
#define SRV_SEED "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
#define SRV_PK "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"

#define NONCE "000102030405060708090a0b0c0d0e0f"
#define HASH_ABC "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
#define HASH_EMPTY "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
#define TIME 1700000000000ULL

#define REQ_TEXT "sondeo-request-v1\nPOST\n/v1/changesets\n" HASH_ABC "\n1700000000000\n" NONCE
#define REQ_SIG "6d2c666e9394ef4d0039b66d755fd9a0d18de7746322644c179eee6958801a42" \
		"c95bc090375e098a814170f02558776790ea99628b328c8a8a42ea679f600d02"
#define REQ2_TEXT "sondeo-request-v1\nGET\n/v1/pull?after=42&limit=500\n" HASH_EMPTY "\n0\n" NONCE
#define REQ2_SIG "48c430265468a1f9b811d71ce7798e4dd533c01940e5277d20c7df217b7c2f8e" \
		 "b2c79277c2e5847ed6d9600a7b1da08ab016abae640d739620844ddb71c8e000"
#define RESP_TEXT "sondeo-response-v1\n" NONCE "\n" HASH_ABC
#define RESP_SIG "034279e72567a3620ef3cd5ef82639a6cf138b84e4826fa5bca9e8fbbd4857c6" \
		 "1b31258d635310223520d7f8583cf3a43eacb5aff6440a1ce330cc8d3aaccb0a"

#define CODE "K7QF2MZX9RTAHB4EWCJ8"
#define CODE_KEY "1cf5dba010ec1d58a39cd13b007125cb35e5e6227285ff2c60a58c6980f34ef8"
#define ENONCE "ffeeddccbbaa99887766554433221100"
#define EREQ_TEXT "sondeo-enrol-request-v1\n" DEV_PK "\nTablet Nord 3\n" ENONCE
#define EREQ_MAC "045ce43ca0c73f7efe91fd097c2d056abf2615d2ed7b4bfee7a5b6fa0cf7b922"
#define EANS_TEXT "sondeo-enrol-answer-v1\n" ENONCE "\n" SRV_PK "\n" DEV_ID "\nSahel"
#define EANS_MAC "17bec8568996ea56acf510c08e3ac14e11120c1c9cad3c45e33510e95e53a528"
#define EMPTY_MAC "4b5d07822463351ca9a07a1a2427ec62104aca1630a1109eefb111e6a8213178"

static char dir[256];
static struct keys *dev, *srv;
static unsigned char dev_pk[KEYS_PK_BYTES], srv_pk[KEYS_PK_BYTES];

/* Writes a secret key file for the seed (as keys_generate would) and loads it. */
static struct keys *key_from_seed(const char *name, const char *seed_hex, unsigned char pk[KEYS_PK_BYTES])
{
	unsigned char seed[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char hex[2 * sizeof(sk) + 1], path[512], err[256] = "";
	struct keys *k;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (auth_hex_decode(seed_hex, seed, sizeof(seed)) < 0)
		return NULL;
	crypto_sign_seed_keypair(pk, sk, seed);
	hex_encode(hex, sk, sizeof(sk));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	fprintf(f, "sondeo ed25519 secret key v1\n%s\n", hex);
	fclose(f);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	k = keys_load(path, err, sizeof(err));
	if (!k)
		fprintf(stdout, "# %s\n", err);
	unlink(path);
	return k;
}

static int same_hex(const unsigned char *bytes, size_t n, const char *hex)
{
	char h[2 * 64 + 1];

	if (n > 64)
		return 0;
	hex_encode(h, bytes, n);
	return !strcmp(h, hex);
}

/* --- Shared pieces ------------------------------------------------------------------------------------- */

static void test_nonce(void)
{
	char a[AUTH_NONCE_HEXLEN + 1], b[AUTH_NONCE_HEXLEN + 1];

	auth_new_nonce(a);
	auth_new_nonce(b);
	CHECK_INT(strlen(a), 32);
	CHECK_INT(auth_nonce_valid(a), 1);
	CHECK_INT(auth_nonce_valid(b), 1);
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(auth_nonce_valid(NONCE), 1);
	CHECK_INT(auth_nonce_valid("000102030405060708090A0B0C0D0E0F"), 0);   /* upper case */
	CHECK_INT(auth_nonce_valid("000102030405060708090a0b0c0d0e0"), 0);    /* 31 */
	CHECK_INT(auth_nonce_valid("000102030405060708090a0b0c0d0e0f0"), 0);  /* 33 */
	CHECK_INT(auth_nonce_valid("000102030405060708090a0b0c0d0e0g"), 0);
	CHECK_INT(auth_nonce_valid("000102030405060708090a0b0c0d0e0\n"), 0);
	CHECK_INT(auth_nonce_valid(""), 0);
	CHECK_INT(auth_nonce_valid(NULL), 0);
}

static void test_time_parse(void)
{
	uint64_t t = 7;

	CHECK_INT(auth_time_parse("0", &t), 0);
	CHECK(t == 0);
	CHECK_INT(auth_time_parse("1700000000000", &t), 0);
	CHECK(t == TIME);
	CHECK_INT(auth_time_parse("9223372036854775807", &t), 0);
	CHECK(t == (uint64_t)INT64_MAX);
	t = 7;
	CHECK_INT(auth_time_parse("9223372036854775808", &t), -1);   /* INT64_MAX + 1 */
	CHECK_INT(auth_time_parse("18446744073709551616", &t), -1);  /* 2^64 */
	CHECK_INT(auth_time_parse("99999999999999999999999", &t), -1);
	CHECK_INT(auth_time_parse("01", &t), -1);
	CHECK_INT(auth_time_parse("00", &t), -1);
	CHECK_INT(auth_time_parse("", &t), -1);
	CHECK_INT(auth_time_parse("+1", &t), -1);
	CHECK_INT(auth_time_parse("-1", &t), -1);
	CHECK_INT(auth_time_parse(" 1", &t), -1);
	CHECK_INT(auth_time_parse("1 ", &t), -1);
	CHECK_INT(auth_time_parse("1e3", &t), -1);
	CHECK_INT(auth_time_parse("0x10", &t), -1);
	CHECK_INT(auth_time_parse(NULL, &t), -1);
	CHECK(t == 7);   /* failures leave it alone */
}

static void test_hex_decode(void)
{
	unsigned char b[4];

	CHECK_INT(auth_hex_decode("00ff10ab", b, 4), 0);
	CHECK(b[0] == 0x00 && b[1] == 0xff && b[2] == 0x10 && b[3] == 0xab);
	CHECK_INT(auth_hex_decode("00FF10AB", b, 4), -1);
	CHECK_INT(auth_hex_decode("00ff10a", b, 4), -1);
	CHECK_INT(auth_hex_decode("00ff10abc", b, 4), -1);
	CHECK_INT(auth_hex_decode("00ff10ab\n", b, 4), -1);
	CHECK_INT(auth_hex_decode("00ff10ag", b, 4), -1);
	CHECK_INT(auth_hex_decode(" 0ff10ab", b, 4), -1);
	CHECK_INT(auth_hex_decode(NULL, b, 4), -1);
	CHECK_INT(auth_hex_decode("", b, 0), 0);
}

/* --- Signed requests ----------------------------------------------------------------------------------- */

static void test_request_text_exact(void)
{
	struct buf t = BUF_INIT(8192);
	char err[256] = "";

	CHECK_INT(auth_request_text(&t, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(t.data, REQ_TEXT);
	CHECK_INT(t.len, strlen(REQ_TEXT));
	/* An empty body, given as NULL or not, hashes as the empty string; time 0 is "0". */
	CHECK_INT(auth_request_text(&t, "GET", "/v1/pull?after=42&limit=500", NULL, 0, 0, NONCE, err,
				    sizeof(err)), 0);
	CHECK_STR(t.data, REQ2_TEXT);
	CHECK_INT(auth_request_text(&t, "GET", "/v1/pull?after=42&limit=500", "", 0, 0, NONCE, err,
				    sizeof(err)), 0);
	CHECK_STR(t.data, REQ2_TEXT);
	/* A body with NUL bytes is hashed whole, not as a string. */
	CHECK_INT(auth_request_text(&t, "POST", "/", "a\0b", 3, 1, NONCE, err, sizeof(err)), 0);
	CHECK(strstr(t.data, HASH_ABC) == NULL);
	CHECK(strstr(t.data, "\n1\n" NONCE) != NULL);
	buf_release(&t);
}

static void test_request_text_longest(void)
{
	char path[AUTH_PATH_MAX + 2], err[256] = "";
	struct buf big = BUF_INIT(4249), small = BUF_INIT(4248);

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[AUTH_PATH_MAX] = '\0';
	CHECK_INT(auth_request_text(&big, "ABCDEFGHIJKLMNOP", path, "abc", 3, (uint64_t)INT64_MAX, NONCE, err,
				    sizeof(err)), 0);
	CHECK_INT(big.len, 4249);
	CHECK(strstr(big.data, "\n9223372036854775807\n") != NULL);
	/* Too small a buffer: refused, and left empty. */
	CHECK_INT(buf_adds(&small, "old"), 0);
	CHECK_INT(auth_request_text(&small, "ABCDEFGHIJKLMNOP", path, "abc", 3, (uint64_t)INT64_MAX, NONCE, err,
				    sizeof(err)), -1);
	CHECK_INT(small.len, 0);
	CHECK(strstr(err, "memory") != NULL);
	/* One byte more of path: refused by the limit, whatever the buffer. */
	path[AUTH_PATH_MAX] = 'p';
	path[AUTH_PATH_MAX + 1] = '\0';
	CHECK_INT(auth_request_text(&big, "GET", path, NULL, 0, 0, NONCE, err, sizeof(err)), -1);
	CHECK(strstr(err, "4096") != NULL);
	CHECK_INT(big.len, 0);
	buf_release(&big);
	buf_release(&small);
}

static void test_request_sign_known_answer(void)
{
	char sig[AUTH_SIG_HEXLEN + 1], err[256] = "";

	CHECK(same_hex(dev_pk, sizeof(dev_pk), DEV_PK));
	CHECK_INT(auth_sign_request(dev, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, sig, err, sizeof(err)),
		  0);
	CHECK_STR(sig, REQ_SIG);
	CHECK_INT(auth_sign_request(dev, "GET", "/v1/pull?after=42&limit=500", NULL, 0, 0, NONCE, sig, err,
				    sizeof(err)), 0);
	CHECK_STR(sig, REQ2_SIG);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, REQ_SIG), 0);
	CHECK_INT(auth_verify_request(dev_pk, "GET", "/v1/pull?after=42&limit=500", NULL, 0, 0, NONCE, REQ2_SIG),
		  0);
}

/* Sondeo-Body-Hash: a request signed over a claimed hash is the same signature as over the body, and it verifies
 * from the hash alone; a hash that is not 64 lowercase hex never verifies. */
static void test_request_body_hash(void)
{
	char h[AUTH_HASH_HEXLEN + 1], sig[AUTH_SIG_HEXLEN + 1], err[256] = "", upper[] = HASH_ABC;

	auth_body_hash("abc", 3, h);
	CHECK_STR(h, HASH_ABC);
	auth_body_hash(NULL, 0, h);
	CHECK_STR(h, HASH_EMPTY);
	CHECK_INT(auth_sign_request_hash(dev, "POST", "/v1/changesets", HASH_ABC, TIME, NONCE, sig, err, sizeof(err)),
		  0);
	CHECK_STR(sig, REQ_SIG);
	CHECK_INT(auth_verify_request_hash(dev_pk, "POST", "/v1/changesets", HASH_ABC, TIME, NONCE, REQ_SIG), 0);
	CHECK_INT(auth_verify_request_hash(dev_pk, "GET", "/v1/pull?after=42&limit=500", HASH_EMPTY, 0, NONCE,
					   REQ2_SIG), 0);
	/* Another body's hash, or the right one written otherwise, does not verify. */
	CHECK_INT(auth_verify_request_hash(dev_pk, "POST", "/v1/changesets", HASH_EMPTY, TIME, NONCE, REQ_SIG), -1);
	upper[0] = 'B';
	CHECK_INT(auth_verify_request_hash(dev_pk, "POST", "/v1/changesets", upper, TIME, NONCE, REQ_SIG), -1);
	CHECK_INT(auth_verify_request_hash(dev_pk, "POST", "/v1/changesets", HASH_ABC "00", TIME, NONCE, REQ_SIG),
		  -1);
	CHECK_INT(auth_verify_request_hash(dev_pk, "POST", "/v1/changesets", "", TIME, NONCE, REQ_SIG), -1);
	CHECK_INT(auth_verify_request_hash(dev_pk, "POST", "/v1/changesets", NULL, TIME, NONCE, REQ_SIG), -1);
	CHECK_INT(auth_sign_request_hash(dev, "POST", "/v1/changesets", "abc", TIME, NONCE, sig, err, sizeof(err)), -1);
	CHECK(strstr(err, "body hash") != NULL);
	CHECK_STR(sig, "");
}

static void test_request_round_trip(void)
{
	unsigned char body[1000];
	char nonce[AUTH_NONCE_HEXLEN + 1], sig[AUTH_SIG_HEXLEN + 1], err[256] = "";
	uint64_t now = now_ms();
	int i;

	for (i = 0; i < 20; i++) {
		size_t len = (size_t)randombytes_uniform(sizeof(body) + 1);

		randombytes_buf(body, len);
		auth_new_nonce(nonce);
		CHECK_INT(auth_sign_request(dev, "POST", "/v1/changesets", body, len, now + (uint64_t)i, nonce, sig,
					    err, sizeof(err)), 0);
		CHECK_INT(strlen(sig), AUTH_SIG_HEXLEN);
		CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", body, len, now + (uint64_t)i, nonce,
					      sig), 0);
		/* Another key's signature does not pass for this one. */
		CHECK_INT(auth_verify_request(srv_pk, "POST", "/v1/changesets", body, len, now + (uint64_t)i, nonce,
					      sig), -1);
	}
}

/* Verifies REQ_SIG against REQ_TEXT's fields with one of them changed. */
static int verify_post(const char *method, const char *path, const void *body, size_t len, uint64_t t,
		       const char *nonce, const char *sig)
{
	return auth_verify_request(dev_pk, method, path, body, len, t, nonce, sig);
}

static void test_request_every_field_counts(void)
{
	char body[] = "abc", nonce[] = NONCE, sig[] = REQ_SIG;
	size_t i;
	int bit, broken;

	CHECK_INT(verify_post("POST", "/v1/changesets", body, 3, TIME, nonce, sig), 0);
	/* method */
	CHECK_INT(verify_post("PUT", "/v1/changesets", body, 3, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("POSTX", "/v1/changesets", body, 3, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("post", "/v1/changesets", body, 3, TIME, nonce, sig), -1);
	/* path and query */
	CHECK_INT(verify_post("POST", "/v1/changesets/", body, 3, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/v1/changesets?x=1", body, 3, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/v1/changeset", body, 3, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/V1/changesets", body, 3, TIME, nonce, sig), -1);
	/* every bit of every body byte, and the body's length */
	broken = 0;
	for (i = 0; i < 3; i++)
		for (bit = 0; bit < 8; bit++) {
			body[i] ^= (char)(1 << bit);
			broken += verify_post("POST", "/v1/changesets", body, 3, TIME, nonce, sig) == -1;
			body[i] ^= (char)(1 << bit);
		}
	CHECK_INT(broken, 24);
	CHECK_INT(verify_post("POST", "/v1/changesets", body, 2, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/v1/changesets", "abc\0", 4, TIME, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/v1/changesets", NULL, 0, TIME, nonce, sig), -1);
	/* time */
	CHECK_INT(verify_post("POST", "/v1/changesets", body, 3, TIME + 1, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/v1/changesets", body, 3, TIME - 1, nonce, sig), -1);
	CHECK_INT(verify_post("POST", "/v1/changesets", body, 3, TIME * 10, nonce, sig), -1);
	/* every character of the nonce, changed to another hex digit */
	broken = 0;
	for (i = 0; i < AUTH_NONCE_HEXLEN; i++) {
		char was = nonce[i];

		nonce[i] = was == 'f' ? 'e' : 'f';
		broken += verify_post("POST", "/v1/changesets", body, 3, TIME, nonce, sig) == -1;
		nonce[i] = was;
	}
	CHECK_INT(broken, AUTH_NONCE_HEXLEN);
	/* every character of the signature, changed to another hex digit */
	broken = 0;
	for (i = 0; i < AUTH_SIG_HEXLEN; i++) {
		char was = sig[i];

		sig[i] = was == '0' ? '1' : '0';
		broken += verify_post("POST", "/v1/changesets", body, 3, TIME, nonce, sig) == -1;
		sig[i] = was;
	}
	CHECK_INT(broken, AUTH_SIG_HEXLEN);
	/* the key */
	CHECK_INT(auth_verify_request(srv_pk, "POST", "/v1/changesets", body, 3, TIME, nonce, sig), -1);
	/* and, after all that, the original still verifies */
	CHECK_INT(verify_post("POST", "/v1/changesets", body, 3, TIME, nonce, sig), 0);
}

static void test_request_malformed(void)
{
	struct buf t = BUF_INIT(8192);
	char sig[AUTH_SIG_HEXLEN + 1], err[256], upper[AUTH_SIG_HEXLEN + 1];
	static const char *bad_methods[] = { "", "get", "GeT", "G T", "GET\n", "ABCDEFGHIJKLMNOPQ", "GET1", "G-T" };
	static const char *bad_paths[] = { "", "v1/changesets", " /v1", "/v1 x", "/v1\nx", "/v1\tx", "/v1\x7f",
					   "/v1\xc3\xa9", "/v1\r" };
	static const char *bad_nonces[] = { "", "000102030405060708090A0B0C0D0E0F", "000102030405060708090a0b0c0d0e0",
					    "000102030405060708090a0b0c0d0e0f00", "zz0102030405060708090a0b0c0d0e0f" };
	size_t i;

	for (i = 0; i < sizeof(bad_methods) / sizeof(bad_methods[0]); i++) {
		err[0] = '\0';
		CHECK_INT(buf_adds(&t, "old"), 0);
		CHECK_INT(auth_request_text(&t, bad_methods[i], "/v1", NULL, 0, 0, NONCE, err, sizeof(err)), -1);
		CHECK(strstr(err, "method") != NULL);
		CHECK_INT(t.len, 0);
		strlcpy_s(sig, "x", sizeof(sig));
		CHECK_INT(auth_sign_request(dev, bad_methods[i], "/v1", NULL, 0, 0, NONCE, sig, err, sizeof(err)), -1);
		CHECK_STR(sig, "");
	}
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		err[0] = '\0';
		CHECK_INT(auth_request_text(&t, "GET", bad_paths[i], NULL, 0, 0, NONCE, err, sizeof(err)), -1);
		CHECK(strstr(err, "path") != NULL);
	}
	for (i = 0; i < sizeof(bad_nonces) / sizeof(bad_nonces[0]); i++) {
		err[0] = '\0';
		CHECK_INT(auth_request_text(&t, "GET", "/v1", NULL, 0, 0, bad_nonces[i], err, sizeof(err)), -1);
		CHECK(strstr(err, "nonce") != NULL);
	}
	CHECK_INT(auth_request_text(&t, NULL, "/v1", NULL, 0, 0, NONCE, err, sizeof(err)), -1);
	CHECK_INT(auth_request_text(&t, "GET", NULL, NULL, 0, 0, NONCE, err, sizeof(err)), -1);
	CHECK_INT(auth_request_text(&t, "GET", "/v1", NULL, 0, 0, NULL, err, sizeof(err)), -1);
	err[0] = '\0';
	CHECK_INT(auth_request_text(&t, "GET", "/v1", NULL, 5, 0, NONCE, err, sizeof(err)), -1);
	CHECK(strstr(err, "body") != NULL);
	err[0] = '\0';
	CHECK_INT(auth_request_text(&t, "GET", "/v1", NULL, 0, (uint64_t)INT64_MAX + 1, NONCE, err, sizeof(err)),
		  -1);
	CHECK(strstr(err, "time") != NULL);
	CHECK_INT(auth_request_text(&t, "GET", "/v1", NULL, 0, UINT64_MAX, NONCE, NULL, 0), -1);
	CHECK_INT(auth_sign_request(NULL, "GET", "/v1", NULL, 0, 0, NONCE, sig, err, sizeof(err)), -1);
	CHECK_STR(sig, "");
	buf_release(&t);

	/* Verification refuses malformed fields and signatures, and does not crash on NULLs. */
	CHECK_INT(auth_verify_request(dev_pk, "post", "/v1/changesets", "abc", 3, TIME, NONCE, REQ_SIG), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME,
				      "000102030405060708090A0B0C0D0E0F", REQ_SIG), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", NULL, 3, TIME, NONCE, REQ_SIG), -1);
	CHECK_INT(auth_verify_request(NULL, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, REQ_SIG), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, NULL), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, ""), -1);
	/* The right signature in upper case, cut short, or with a byte more: refused. */
	for (i = 0; i <= AUTH_SIG_HEXLEN; i++)
		upper[i] = (char)(REQ_SIG[i] >= 'a' && REQ_SIG[i] <= 'f' ? REQ_SIG[i] - 'a' + 'A' : REQ_SIG[i]);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, upper), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE,
				      REQ_SIG + 2), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, REQ_SIG "00"), -1);
	CHECK_INT(auth_verify_request(dev_pk, "POST", "/v1/changesets", "abc", 3, TIME, NONCE, REQ_SIG "\n"), -1);
}

/* --- Signed responses ---------------------------------------------------------------------------------- */

static void test_response_known_answer(void)
{
	struct buf t = BUF_INIT(8192);
	char sig[AUTH_SIG_HEXLEN + 1], err[256] = "";

	CHECK(same_hex(srv_pk, sizeof(srv_pk), SRV_PK));
	CHECK_INT(auth_response_text(&t, NONCE, "abc", 3, err, sizeof(err)), 0);
	CHECK_STR(t.data, RESP_TEXT);
	CHECK_INT(auth_response_text(&t, NONCE, NULL, 0, err, sizeof(err)), 0);
	CHECK_STR(t.data, "sondeo-response-v1\n" NONCE "\n" HASH_EMPTY);
	CHECK_INT(auth_sign_response(srv, NONCE, "abc", 3, sig, err, sizeof(err)), 0);
	CHECK_STR(sig, RESP_SIG);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 3, RESP_SIG), 0);
	buf_release(&t);
}

static void test_response_binding(void)
{
	char sig[AUTH_SIG_HEXLEN + 1], other[AUTH_NONCE_HEXLEN + 1], err[256] = "", body[] = "abc";
	struct buf t = BUF_INIT(8192);
	int i, broken = 0;

	/* A signature made for another request's nonce (a replayed answer) does not verify. */
	auth_new_nonce(other);
	CHECK_INT(auth_sign_response(srv, other, "abc", 3, sig, err, sizeof(err)), 0);
	CHECK_INT(auth_verify_response(srv_pk, other, "abc", 3, sig), 0);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 3, sig), -1);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 3, RESP_SIG), 0);
	/* Nor a changed body, a device's key, or a request signature over the same bytes. */
	for (i = 0; i < 24; i++) {
		body[i / 8] ^= (char)(1 << (i % 8));
		broken += auth_verify_response(srv_pk, NONCE, body, 3, RESP_SIG) == -1;
		body[i / 8] ^= (char)(1 << (i % 8));
	}
	CHECK_INT(broken, 24);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 2, RESP_SIG), -1);
	CHECK_INT(auth_verify_response(dev_pk, NONCE, "abc", 3, RESP_SIG), -1);
	CHECK_INT(auth_sign_request(srv, "GET", "/", "abc", 3, 0, NONCE, sig, err, sizeof(err)), 0);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 3, sig), -1);
	/* Malformed nonces and signatures. */
	err[0] = '\0';
	CHECK_INT(auth_response_text(&t, "0001", "abc", 3, err, sizeof(err)), -1);
	CHECK(strstr(err, "nonce") != NULL);
	CHECK_INT(auth_response_text(&t, NONCE, NULL, 1, err, sizeof(err)), -1);
	CHECK_INT(auth_sign_response(srv, NULL, "abc", 3, sig, err, sizeof(err)), -1);
	CHECK_STR(sig, "");
	CHECK_INT(auth_verify_response(srv_pk, NULL, "abc", 3, RESP_SIG), -1);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 3, NULL), -1);
	CHECK_INT(auth_verify_response(srv_pk, NONCE, "abc", 3, RESP_SIG "0"), -1);
	CHECK_INT(auth_verify_response(NULL, NONCE, "abc", 3, RESP_SIG), -1);
	buf_release(&t);
}

/* --- Enrolment codes ----------------------------------------------------------------------------------- */

static void test_code_normalize_accepts(void)
{
	static const char *typed[] = {
		CODE, "k7qf2mzx9rtahb4ewcj8", "K7QF-2MZX-9RTA-HB4E-WCJ8", "k7qf-2mzx-9rta-hb4e-wcj8",
		"  K7QF 2MZX 9RTA HB4E WCJ8  ", "-K-7QF--2MZX9rtaHB4E WCJ8-", "K 7 Q F 2 M Z X 9 R T A H B 4 E W C J 8",
	};
	char out[AUTH_CODE_LEN + 1], err[256];
	size_t i;

	for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		err[0] = '\0';
		CHECK_INT(auth_code_normalize(typed[i], out, err, sizeof(err)), 0);
		CHECK_STR(out, CODE);
		CHECK_STR(err, "");
	}
	/* Crockford's look-alikes: O reads as 0, I and L as 1, in either case. */
	CHECK_INT(auth_code_normalize("OoIiLl01-ABCD-EFGH-JKMN", out, err, sizeof(err)), 0);
	CHECK_STR(out, "00111101ABCDEFGHJKMN");
	CHECK_INT(auth_code_normalize("TVWXYZ23456789TVWXYZ", out, err, sizeof(err)), 0);
	CHECK_STR(out, "TVWXYZ23456789TVWXYZ");
}

static void test_code_normalize_refuses(void)
{
	static const struct { const char *typed, *words; } bad[] = {
		{ "K7QF-2MZX-9RTA-HB4E-WCJ", "this one 19" },           /* one short */
		{ "K7QF-2MZX-9RTA-HB4E-WCJ88", "this one 21" },         /* one more */
		{ "", "this one 0" },
		{ " - -- ", "this one 0" },
		{ "K7QF-2MZX-9RTA-HB4E-WCJ8-K7QF-2MZX-9RTA-HB4E-WCJ8", "this one 40" },
		{ "U7QF-2MZX-9RTA-HB4E-WCJ8", "'U' cannot" },            /* not in Crockford's alphabet */
		{ "u7QF-2MZX-9RTA-HB4E-WCJ8", "'u' cannot" },
		{ "K7QF_2MZX-9RTA-HB4E-WCJ8", "'_' cannot" },
		{ "K7QF.2MZX.9RTA.HB4E.WCJ8", "'.' cannot" },
		{ "K7QF#2MZX-9RTA-HB4E-WCJ", "'#' cannot" },
		{ "K7QF\t2MZX-9RTA-HB4E-WCJ8", "byte 0x09 at offset 4" },
		{ "K7QF2MZX9RTAHB4EWCJ8\n", "byte 0x0a at offset 20" },
		{ "K7QF\xc3\xa9MZX9RTAHB4EWCJ8", "byte 0xc3 at offset 4" },
	};
	char out[AUTH_CODE_LEN + 1], err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		memset(out, 'Z', sizeof(out));
		CHECK_INT(auth_code_normalize(bad[i].typed, out, err, sizeof(err)), -1);
		CHECK_STR(out, "");
		if (!strstr(err, bad[i].words))
			fprintf(stdout, "# case %zu: '%s' lacks '%s'\n", i, err, bad[i].words);
		CHECK(strstr(err, bad[i].words) != NULL);
	}
	CHECK_INT(auth_code_normalize(NULL, out, err, sizeof(err)), -1);
	CHECK_STR(out, "");
}

static void test_code_id_and_format(void)
{
	static const char *not_normalized[] = { "k7qf2mzx9rtahb4ewcj8", "K7QF-2MZX-9RTA-HB4E-WCJ8", "K7QF2MZX9RTAHB4EWCJ",
						"K7QF2MZX9RTAHB4EWCJ88", "O7QF2MZX9RTAHB4EWCJ8", "U7QF2MZX9RTAHB4EWCJ8",
						"L7QF2MZX9RTAHB4EWCJ8", "", NULL };
	char id[AUTH_CODE_ID_LEN + 1], shown[AUTH_CODE_SHOWN_LEN + 1], back[AUTH_CODE_LEN + 1], err[256] = "";
	unsigned char key[AUTH_KEY_BYTES];
	size_t i;

	CHECK_INT(auth_code_id(CODE, id), 0);
	CHECK_STR(id, "K7QF2");
	CHECK_INT(auth_code_format(CODE, shown), 0);
	CHECK_STR(shown, "K7QF-2MZX-9RTA-HB4E-WCJ8");
	CHECK_INT(strlen(shown), AUTH_CODE_SHOWN_LEN);
	CHECK_INT(auth_code_normalize(shown, back, err, sizeof(err)), 0);
	CHECK_STR(back, CODE);
	for (i = 0; i < sizeof(not_normalized) / sizeof(not_normalized[0]); i++) {
		memset(id, 'x', sizeof(id));
		memset(shown, 'x', sizeof(shown));
		memset(key, 0xaa, sizeof(key));
		CHECK_INT(auth_code_id(not_normalized[i], id), -1);
		CHECK_STR(id, "");
		CHECK_INT(auth_code_format(not_normalized[i], shown), -1);
		CHECK_STR(shown, "");
		CHECK_INT(auth_code_key(not_normalized[i], key), -1);
		CHECK(sodium_is_zero(key, sizeof(key)));
	}
}

static void test_code_new(void)
{
	char code[AUTH_CODE_LEN + 1], again[AUTH_CODE_LEN + 1], first[AUTH_CODE_LEN + 1], err[256] = "";
	int seen[256] = { 0 }, i, j, missing = 0, same = 0;

	auth_code_new(first);
	for (i = 0; i < 400; i++) {
		auth_code_new(code);
		CHECK_INT(strlen(code), AUTH_CODE_LEN);
		CHECK_INT(auth_code_normalize(code, again, err, sizeof(err)), 0);
		CHECK_STR(again, code);
		same += !strcmp(code, first);
		for (j = 0; j < AUTH_CODE_LEN; j++)
			seen[(unsigned char)code[j]]++;
	}
	CHECK_INT(same, 0);
	/* 8,000 symbols: every one of the 32 shows up (about 250 times each), and nothing else. */
	for (i = 0; i < 32; i++)
		missing += seen[(unsigned char)AUTH_CODE_ALPHABET[i]] < 150;
	CHECK_INT(missing, 0);
	CHECK_INT(seen['I'] + seen['L'] + seen['O'] + seen['U'], 0);
}

static void test_code_alphabet(void)
{
	const char *a = AUTH_CODE_ALPHABET;
	int i, j, dup = 0;

	CHECK_INT(strlen(a), 32);
	for (i = 0; i < 32; i++)
		for (j = i + 1; j < 32; j++)
			dup += a[i] == a[j];
	CHECK_INT(dup, 0);
	CHECK(strpbrk(a, "ILOU") == NULL);
	CHECK_STR(a, "0123456789ABCDEFGHJKMNPQRSTVWXYZ");
}

/* --- Enrolment MACs ------------------------------------------------------------------------------------ */

static void test_code_key_known_answer(void)
{
	unsigned char key[AUTH_KEY_BYTES], key2[AUTH_KEY_BYTES], mac[AUTH_MAC_BYTES];
	char code[AUTH_CODE_LEN + 1] = CODE;

	CHECK_INT(auth_code_key(CODE, key), 0);
	CHECK(same_hex(key, sizeof(key), CODE_KEY));
	/* Any one symbol changed gives another key. */
	code[19] = '9';
	CHECK_INT(auth_code_key(code, key2), 0);
	CHECK(memcmp(key, key2, sizeof(key)) != 0);
	auth_enrol_mac(key, "", 0, mac);
	CHECK(same_hex(mac, sizeof(mac), EMPTY_MAC));
	auth_enrol_mac(key, NULL, 0, mac);
	CHECK(same_hex(mac, sizeof(mac), EMPTY_MAC));
	sodium_memzero(key, sizeof(key));
}

/* The text a regional server signs for a device, exactly, and its refusals. */
static void test_vouch_text(void)
{
	struct buf t = BUF_INIT(8192);
	char err[256] = "", expect[512], pk[2 * KEYS_PK_BYTES + 1];

	hex_encode(pk, dev_pk, KEYS_PK_BYTES);
	snprintf(expect, sizeof(expect), "sondeo-vouch-v1\nenrol\n%s\nTablet Nord 3\ngulu\n1796150000000", pk);
	CHECK_INT(auth_vouch_text(&t, AUTH_VOUCH_ENROL, dev_pk, "Tablet Nord 3", "gulu", 1796150000000ULL, err,
				  sizeof(err)), 0);
	CHECK_STR(t.data, expect);
	snprintf(expect, sizeof(expect), "sondeo-vouch-v1\nrevoke\n%s\n\ngulu\n0", pk);
	CHECK_INT(auth_vouch_text(&t, AUTH_VOUCH_REVOKE, dev_pk, "", "gulu", 0, err, sizeof(err)), 0);
	CHECK_STR(t.data, expect);
	CHECK_INT(auth_vouch_text(&t, AUTH_VOUCH_ENROL, dev_pk, "two\nlines", "gulu", 0, err, sizeof(err)), -1);
	CHECK_INT(t.len, 0);
	CHECK_INT(auth_vouch_text(&t, AUTH_VOUCH_ENROL, dev_pk, "x", "", 0, err, sizeof(err)), -1);
	CHECK_INT(auth_vouch_text(&t, AUTH_VOUCH_ENROL, NULL, "x", "gulu", 0, err, sizeof(err)), -1);
	buf_release(&t);
}

static void test_enrol_texts_and_macs(void)
{
	struct buf t = BUF_INIT(8192);
	unsigned char key[AUTH_KEY_BYTES], other[AUTH_KEY_BYTES], mac[AUTH_MAC_BYTES];
	char err[256] = "";
	size_t i;
	int bit, broken = 0;

	CHECK_INT(auth_code_key(CODE, key), 0);
	CHECK_INT(auth_code_key("K7QF2MZX9RTAHB4EWCJ9", other), 0);

	CHECK_INT(auth_enrol_request_text(&t, dev_pk, "Tablet Nord 3", ENONCE, err, sizeof(err)), 0);
	CHECK_STR(t.data, EREQ_TEXT);
	auth_enrol_mac(key, t.data, t.len, mac);
	CHECK(same_hex(mac, sizeof(mac), EREQ_MAC));
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), 0);
	CHECK_INT(auth_enrol_mac_verify(other, t.data, t.len, mac), -1);
	/* every bit of the MAC */
	for (i = 0; i < sizeof(mac); i++)
		for (bit = 0; bit < 8; bit++) {
			mac[i] ^= (unsigned char)(1 << bit);
			broken += auth_enrol_mac_verify(key, t.data, t.len, mac) == -1;
			mac[i] ^= (unsigned char)(1 << bit);
		}
	CHECK_INT(broken, 8 * AUTH_MAC_BYTES);
	/* every byte of the text */
	broken = 0;
	for (i = 0; i < t.len; i++) {
		t.data[i] ^= 1;
		broken += auth_enrol_mac_verify(key, t.data, t.len, mac) == -1;
		t.data[i] ^= 1;
	}
	CHECK_INT(broken, (long long)t.len);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len - 1, mac), -1);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), 0);

	CHECK(same_hex(srv_pk, sizeof(srv_pk), SRV_PK));
	{
		char id[KEYS_ID_STRLEN + 1];

		keys_id(dev_pk, id);
		CHECK_STR(id, DEV_ID);
	}
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, DEV_ID, "Sahel", err, sizeof(err)), 0);
	CHECK_STR(t.data, EANS_TEXT);
	auth_enrol_mac(key, t.data, t.len, mac);
	CHECK(same_hex(mac, sizeof(mac), EANS_MAC));
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), 0);
	CHECK_INT(auth_enrol_mac_verify(other, t.data, t.len, mac), -1);
	/* The answer is bound to the request's nonce: an answer to another request does not verify. */
	CHECK_INT(auth_enrol_answer_text(&t, NONCE, srv_pk, DEV_ID, "Sahel", err, sizeof(err)), 0);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), -1);
	/* Nor with another server key, device id or region. */
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, dev_pk, DEV_ID, "Sahel", err, sizeof(err)), 0);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), -1);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, "d7108b422f25cc5edb865cc4ae184f56", "Sahel", err,
					 sizeof(err)), 0);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), -1);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, DEV_ID, "Sahe1", err, sizeof(err)), 0);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), -1);
	/* The request's MAC does not pass as an answer's: the texts have different first lines. */
	CHECK_INT(auth_enrol_request_text(&t, dev_pk, "Tablet Nord 3", ENONCE, err, sizeof(err)), 0);
	auth_enrol_mac(key, t.data, t.len, mac);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, DEV_ID, "Sahel", err, sizeof(err)), 0);
	CHECK_INT(auth_enrol_mac_verify(key, t.data, t.len, mac), -1);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(other, sizeof(other));
	buf_release(&t);
}

static void test_enrol_texts_malformed(void)
{
	static const char *bad_names[] = {
		"", "Tablet\nNord", "Tablet\tNord", "Tablet\x7f", "Tablet\xc2\x85", "Tablet\xc2\x9f", "Tablet\xff",
		"Tablet\xc0\xa0", "Tablet\xed\xa0\x80", "Tablet\xc3",
		"12345678901234567890123456789012345678901234567890123456789012345",   /* 65 bytes */
	};
	struct buf t = BUF_INIT(8192);
	char err[256];
	size_t i;

	/* Names and regions at the limits, and non-ASCII ones, are fine. */
	CHECK_INT(auth_enrol_request_text(&t, dev_pk, "1234567890123456789012345678901234567890123456789012345678901234",
					  ENONCE, err, sizeof(err)), 0);
	CHECK_INT(auth_enrol_request_text(&t, dev_pk, "\xc3\x89quipe S\xc3\xa9gou \xc2\xa0 2", ENONCE, err,
					  sizeof(err)), 0);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, DEV_ID, "R", err, sizeof(err)), 0);
	CHECK_STR(t.data, "sondeo-enrol-answer-v1\n" ENONCE "\n" SRV_PK "\n" DEV_ID "\nR");

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		err[0] = '\0';
		CHECK_INT(buf_adds(&t, "old"), 0);
		CHECK_INT(auth_enrol_request_text(&t, dev_pk, bad_names[i], ENONCE, err, sizeof(err)), -1);
		CHECK(strstr(err, "device name") != NULL);
		CHECK_INT(t.len, 0);
		err[0] = '\0';
		CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, DEV_ID, bad_names[i], err, sizeof(err)), -1);
		CHECK(strstr(err, "region") != NULL);
	}
	CHECK_INT(auth_enrol_request_text(&t, dev_pk, NULL, ENONCE, err, sizeof(err)), -1);
	CHECK_INT(auth_enrol_request_text(&t, NULL, "Tablet", ENONCE, err, sizeof(err)), -1);
	err[0] = '\0';
	CHECK_INT(auth_enrol_request_text(&t, dev_pk, "Tablet", "FFEEDDCCBBAA99887766554433221100", err,
					  sizeof(err)), -1);
	CHECK(strstr(err, "nonce") != NULL);
	CHECK_INT(auth_enrol_request_text(&t, dev_pk, "Tablet", NULL, err, sizeof(err)), -1);
	err[0] = '\0';
	CHECK_INT(auth_enrol_answer_text(&t, "ffee", srv_pk, DEV_ID, "Sahel", err, sizeof(err)), -1);
	CHECK(strstr(err, "request nonce") != NULL);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, NULL, DEV_ID, "Sahel", err, sizeof(err)), -1);
	err[0] = '\0';
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, "D7108B422F25CC5EDB865CC4AE184F55", "Sahel", err,
					 sizeof(err)), -1);
	CHECK(strstr(err, "device id") != NULL);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, "d7108b422f25cc5edb865cc4ae184f5", "Sahel", err,
					  sizeof(err)), -1);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, NULL, "Sahel", err, sizeof(err)), -1);
	CHECK_INT(auth_enrol_answer_text(&t, ENONCE, srv_pk, DEV_ID, NULL, err, sizeof(err)), -1);
	CHECK_INT(t.len, 0);
	buf_release(&t);
}

int main(void)
{
	int setup;

	snprintf(dir, sizeof(dir), "%s/test_auth.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (sodium_init() < 0 || !mkdtemp(dir)) {
		perror("test_auth setup");
		return 1;
	}
	dev = key_from_seed("dev.key", DEV_SEED, dev_pk);
	srv = key_from_seed("srv.key", SRV_SEED, srv_pk);
	setup = dev && srv;
	if (rmdir(dir) < 0)
		fprintf(stdout, "# could not remove %s\n", dir);
	if (!setup) {
		fprintf(stdout, "not ok setup (test keys)\n");
		keys_free(dev);
		keys_free(srv);
		return 1;
	}
	RUN(test_nonce);
	RUN(test_time_parse);
	RUN(test_hex_decode);
	RUN(test_request_text_exact);
	RUN(test_request_text_longest);
	RUN(test_request_sign_known_answer);
	RUN(test_request_body_hash);
	RUN(test_request_round_trip);
	RUN(test_request_every_field_counts);
	RUN(test_request_malformed);
	RUN(test_response_known_answer);
	RUN(test_response_binding);
	RUN(test_code_alphabet);
	RUN(test_code_normalize_accepts);
	RUN(test_code_normalize_refuses);
	RUN(test_code_id_and_format);
	RUN(test_code_new);
	RUN(test_code_key_known_answer);
	RUN(test_enrol_texts_and_macs);
	RUN(test_enrol_texts_malformed);
	RUN(test_vouch_text);
	keys_free(dev);
	keys_free(srv);
	return test_done();
}
