/* signedget.c - a test tool: sends a signed GET (or PUT) to sondeod as a device would, with the headers a test
 * chooses, and shows the answer as it came on the wire, so that the end-to-end tests can check what an older
 * device is sent, what is compressed, and what becomes of attachment chunks a device would never send.
 *
 *   signedget URL KEYFILE PATH [--gzip] [--put FILE [--altered]]
 *     --gzip     send "Accept-Encoding: gzip" (the answer is shown as sent: not decoded)
 *     --put      a PUT whose body is FILE's bytes, signed with their hash
 *     --altered  with --put: the last byte of the body is changed after signing, as on a path that alters it
 *
 * Prints "status N", "encoding E" ("identity" when the answer names none) and "bytes N" (the body's bytes as
 * sent) on three lines, then the body when it was not encoded; exits 0 if an answer came, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "auth.h"
#include "buf.h"
#include "keys.h"
#include "signed.h"
#include "util.h"

static size_t keep(char *d, size_t size, size_t n, void *ctx)
{
	return buf_add(ctx, d, size * n) < 0 ? 0 : size * n;
}

static size_t header(char *line, size_t size, size_t n, void *ctx)
{
	char *enc = ctx;
	size_t len = size * n, k = 0, i = 17;

	if (len > 17 && !strncasecmp(line, "Content-Encoding:", 17)) {
		while (i < len && line[i] == ' ')
			i++;
		while (i < len && line[i] != '\r' && line[i] != '\n' && k + 1 < 32)
			enc[k++] = line[i++];
		enc[k] = '\0';
	}
	return len;
}

int main(int argc, char **argv)
{
	struct buf answer = BUF_INIT((size_t)64 << 20), body = BUF_INIT((size_t)64 << 20);
	char err[512], nonce[AUTH_NONCE_HEXLEN + 1], url[2048], h[SIGNED_HEADERS][SIGNED_HEADER_MAX];
	char hash[AUTH_HASH_HEXLEN + 1], enc[32] = "identity";
	struct curl_slist *hdrs = NULL;
	struct keys *k;
	uint64_t t = now_ms();
	long status = 0;
	int i, gzip = 0, put = 0, altered = 0, bad = argc < 4;
	CURL *c;

	for (i = 4; i < argc && !bad; i++) {
		if (!strcmp(argv[i], "--gzip"))
			gzip = 1;
		else if (!strcmp(argv[i], "--altered"))
			altered = 1;
		else if (!strcmp(argv[i], "--put") && i + 1 < argc && buf_read_file(&body, argv[i + 1]) == 0 && body.len)
			put = ++i;
		else
			bad = 1;
	}
	if (bad || (altered && !put) || sodium_init() < 0) {
		fprintf(stderr, "usage: signedget URL KEYFILE PATH [--gzip] [--put FILE [--altered]]\n");
		return 2;
	}
	if (!(k = keys_load(argv[2], err, sizeof(err)))) {
		fprintf(stderr, "signedget: %s\n", err);
		return 2;
	}
	auth_new_nonce(nonce);
	auth_body_hash(put ? (const unsigned char *)body.data : NULL, put ? body.len : 0, hash);
	if (altered)
		body.data[body.len - 1] ^= 1;
	if (signed_headers(k, put ? "PUT" : "GET", argv[3], hash, t, nonce, h, err, sizeof(err)) < 0) {
		fprintf(stderr, "signedget: %s\n", err);
		return 2;
	}
	for (i = 0; i < SIGNED_HEADERS; i++)
		hdrs = curl_slist_append(hdrs, h[i]);
	/* Without --gzip no Accept-Encoding at all, as an older device sends (libcurl adds none unless asked). */
	if (gzip)
		hdrs = curl_slist_append(hdrs, "Accept-Encoding: gzip");
	snprintf(url, sizeof(url), "%s%s", argv[1], argv[3]);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, enc);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (put) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
	}
	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "signedget: no answer from %s\n", url);
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	printf("status %ld\nencoding %s\nbytes %zu\n", status, enc, answer.len);
	if (!strcmp(enc, "identity"))
		fwrite(answer.data, 1, answer.len, stdout);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	keys_free(k);
	buf_release(&answer);
	buf_release(&body);
	return 0;
}
