/* fuzzkey.c - what the fuzz targets share (fuzzkey.h). */
#include "fuzzkey.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

struct keys *fuzz_key(unsigned char seed_byte)
{
	static const char header[] = "sondeo ed25519 secret key v1\n";
	unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char hex[2 * sizeof(sk) + 2], err[256], dir[256], path[300];
	struct keys *k;
	int fd;

	if (sodium_init() < 0)
		abort();
	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2hex(hex, sizeof(hex), sk, sizeof(sk));
	hex[2 * sizeof(sk)] = '\n';
	hex[2 * sizeof(sk) + 1] = '\0';
	sodium_memzero(sk, sizeof(sk));
	snprintf(dir, sizeof(dir), "%s/fuzzkey.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/test.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, header, strlen(header)) != (ssize_t)strlen(header) ||
	    write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || close(fd) < 0)
		abort();
	k = keys_load(path, err, sizeof(err));
	unlink(path);
	rmdir(dir);
	if (!k) {
		fprintf(stderr, "fuzzkey: %s\n", err);
		abort();
	}
	return k;
}

char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0 || !(text = malloc(size)))
		return NULL;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	return text;
}

int fuzz_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}
