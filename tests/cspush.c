/* cspush.c - a test tool: uploads a change set to sondeod's POST /v1/changesets exactly as a device would,
 * or with one thing wrong, so that the end-to-end tests can check each refusal.
 *
 *   cspush URL KEYFILE FIRST RECORD FIELD=JSON... [options]
 *     --skew-ms N       sign the request with our clock moved by N ms
 *     --nonce HEX       use this nonce (to replay one)
 *     --flip N          flip the bits of byte N of the change set after signing it
 *     --cut N           send the change set without its last N bytes
 *     --tamper N        flip the bits of byte N of the change set after signing the request: the body is no
 *                       longer the one Sondeo-Body-Hash names
 *     --no-body-hash    send the request without its Sondeo-Body-Hash header
 *     --print-nonce     print the nonce used on a line of its own first
 *     --cs-key FILE     sign the change set with this key instead (the request stays signed with KEYFILE)
 *     --form ID:VERSION the form the ops name (default partnership:1)
 *     --by NAME         send it as a regional server's own change set, made by its reviewer NAME (?by=NAME)
 *     --query Q         send it to /v1/changesets?Q (pull=CURSOR, say)
 *     --body FILE       instead of ops, deflate FILE as the body (any bytes) and sign the envelope around it,
 *                       with first = FIRST, last = FIRST + OPS - 1 (--ops, default 1) and raw length --raw
 *                       (default the file's size): for bodies the encoder would never make
 *     --hlc N           stamp every op with N (the header too), instead of the fixed stamps; with --body, the
 *                       header's hlc alone, any value (a stamp the encoder refuses to write, say)
 * The same arguments give the same ops (their stamps are fixed), so a resend is a resend.
 * Prints the HTTP status on the first line and the body after it; exits 0 if an answer came, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>
#include <zlib.h>

#include "auth.h"
#include "changeset.h"
#include "hlc.h"
#include "signed.h"
#include "util.h"

/* The version of the built-in form (forms/partnership.json) that ops name unless --version says another. */
#define BUILTIN_VERSION "2"

static size_t keep(char *d, size_t size, size_t n, void *ctx)
{
	return buf_add(ctx, d, size * n) < 0 ? 0 : size * n;
}

int main(int argc, char **argv)
{
	struct buf cs = BUF_INIT((size_t)160 << 20), answer = BUF_INIT((size_t)1 << 20);
	char err[512], nonce[AUTH_NONCE_HEXLEN + 1], url[2048], h[SIGNED_HEADERS][SIGNED_HEADER_MAX];
	char hash[AUTH_HASH_HEXLEN + 1];
	long long skew = 0, flip = -1, cut = 0, nbody_ops = 1, raw_claim = -1, tamper = -1;
	int no_hash = 0;
	const char *body_file = NULL;
	char form[MERGE_MAX_NAME + 1] = "partnership", *version = NULL, path[160] = "/v1/changesets";
	struct keys *csk = NULL;
	int i, nops = 0, print_nonce = 0;
	struct op ops[64];
	struct curl_slist *hdrs = NULL;
	struct keys *k;
	uint64_t first, t, stamp = 0;
	long status = 0;
	CURL *c;

	if (argc < 6 || sodium_init() < 0) {
		fprintf(stderr, "usage: cspush URL KEYFILE FIRST RECORD FIELD=JSON... [--skew-ms N] [--nonce HEX] "
			"[--flip N] [--print-nonce]\n");
		return 2;
	}
	if (!(k = keys_load(argv[2], err, sizeof(err)))) {
		fprintf(stderr, "cspush: %s\n", err);
		return 2;
	}
	first = strtoull(argv[3], NULL, 10);
	nonce[0] = '\0';
	for (i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--skew-ms") && i + 1 < argc) {
			skew = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--nonce") && i + 1 < argc) {
			strlcpy_s(nonce, argv[++i], sizeof(nonce));
		} else if (!strcmp(argv[i], "--flip") && i + 1 < argc) {
			flip = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--tamper") && i + 1 < argc) {
			tamper = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--no-body-hash")) {
			no_hash = 1;
		} else if (!strcmp(argv[i], "--cut") && i + 1 < argc) {
			cut = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--cs-key") && i + 1 < argc) {
			if (!(csk = keys_load(argv[++i], err, sizeof(err)))) {
				fprintf(stderr, "cspush: %s\n", err);
				return 2;
			}
		} else if (!strcmp(argv[i], "--by") && i + 1 < argc) {
			snprintf(path, sizeof(path), "/v1/changesets?by=%s", argv[++i]);
		} else if (!strcmp(argv[i], "--query") && i + 1 < argc) {
			snprintf(path, sizeof(path), "/v1/changesets?%s", argv[++i]);
		} else if (!strcmp(argv[i], "--form") && i + 1 < argc) {
			strlcpy_s(form, argv[++i], sizeof(form));
			if ((version = strchr(form, ':')))
				*version++ = '\0';
		} else if (!strcmp(argv[i], "--body") && i + 1 < argc) {
			body_file = argv[++i];
		} else if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
			nbody_ops = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--raw") && i + 1 < argc) {
			raw_claim = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--hlc") && i + 1 < argc) {
			stamp = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--print-nonce")) {
			print_nonce = 1;
		} else if (strchr(argv[i], '=') && nops < 64) {
			struct op *o = &ops[nops];
			char *eq = strchr(argv[i], '=');

			memset(o, 0, sizeof(*o));
			*eq = '\0';
			keys_id(keys_public(csk ? csk : k), o->device);
			o->seq = first + (uint64_t)nops;
			/* Fixed stamps, so that sending the same arguments again sends the same ops. */
			o->hlc = stamp ? stamp : HLC_MAKE(1800000000000ULL + o->seq, 0);
			strlcpy_s(o->record, argv[4], sizeof(o->record));
			o->form = form;
			o->form_version = BUILTIN_VERSION;
			o->field = argv[i];
			o->value = eq + 1;
			nops++;
		}
	}
	/* The ops are the change set signer's, and of the form named, whatever the order of the arguments. */
	for (i = 0; i < nops; i++) {
		keys_id(keys_public(csk ? csk : k), ops[i].device);
		ops[i].form_version = version ? version : BUILTIN_VERSION;
	}
	if (body_file) {
		struct buf raw = BUF_INIT((size_t)1 << 31);
		unsigned char sigb[64];
		uLongf zl;
		uint64_t hv[3];
		int j;

		if (buf_read_file(&raw, body_file) < 0) {
			fprintf(stderr, "cspush: cannot read %s\n", body_file);
			return 2;
		}
		zl = compressBound(raw.len);
		buf_grow(&cs, CS_HEADER_BYTES + zl + 64);
		memcpy(cs.data, "SNDC\1\0\0\0", 8);
		memcpy(cs.data + 8, keys_public(k), 32);
		hv[0] = first;
		hv[1] = first + (uint64_t)nbody_ops - 1;
		hv[2] = stamp ? stamp : HLC_MAKE(1800000000000ULL, 0);
		for (j = 0; j < 24; j++)
			cs.data[40 + j] = (char)(hv[j / 8] >> (56 - 8 * (j % 8)));
		compress2((Bytef *)cs.data + CS_HEADER_BYTES, &zl, (const Bytef *)raw.data, raw.len, 9);
		for (j = 0; j < 4; j++) {
			uint32_t rl = raw_claim >= 0 ? (uint32_t)raw_claim : (uint32_t)raw.len;

			cs.data[64 + j] = (char)((uint32_t)zl >> (24 - 8 * j));
			cs.data[68 + j] = (char)(rl >> (24 - 8 * j));
		}
		keys_sign(k, cs.data, CS_HEADER_BYTES + zl, sigb);
		memcpy(cs.data + CS_HEADER_BYTES + zl, sigb, 64);
		cs.len = CS_HEADER_BYTES + zl + 64;
		buf_release(&raw);
	} else if (cs_encode(csk ? csk : k, ops, (size_t)nops, &cs, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "cspush: %s\n", err);
		return 2;
	}
	if (flip >= 0 && (size_t)flip < cs.len)
		cs.data[flip] ^= (char)0xff;
	if (cut > 0 && (size_t)cut <= cs.len)
		cs.len -= (size_t)cut;
	if (!nonce[0])
		auth_new_nonce(nonce);
	if (print_nonce)
		printf("%s\n", nonce);
	t = (uint64_t)((long long)now_ms() + skew);
	auth_body_hash(cs.data, cs.len, hash);
	if (signed_headers(k, "POST", path, hash, t, nonce, h, err, sizeof(err)) < 0) {
		fprintf(stderr, "cspush: %s\n", err);
		return 2;
	}
	if (tamper >= 0 && (size_t)tamper < cs.len)
		cs.data[tamper] ^= (char)0xff;
	snprintf(url, sizeof(url), "%s%s", argv[1], path);
	/* The body's hash is the last header: --no-body-hash leaves it out. */
	for (i = 0; i < SIGNED_HEADERS - no_hash; i++)
		hdrs = curl_slist_append(hdrs, h[i]);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, cs.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)cs.len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "cspush: no answer from %s\n", url);
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	printf("%ld\n%s", status, answer.data);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	keys_free(k);
	buf_release(&cs);
	buf_release(&answer);
	return 0;
}
