/* keys.c - Ed25519 key pairs, their files, signatures and ids. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

#define SECRET_HEADER "sondeo ed25519 secret key v1\n"
#define PUBLIC_HEADER "sondeo ed25519 public key v1\n"

struct keys {
	unsigned char pk[KEYS_PK_BYTES];
	unsigned char *sk;   /* crypto_sign_SECRETKEYBYTES, sodium_malloc'd */
};

/* Writes header + hex(bytes) + "\n" to a new file of the given mode, synced. */
static int write_key_file(const char *path, mode_t mode, const char *header, const unsigned char *bytes,
			  size_t len, char *err, size_t errlen)
{
	char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return errf(err, errlen, _("cannot create '%s': %s"), path, strerror(errno));
	sodium_bin2hex(hex, sizeof(hex) - 1, bytes, len);
	hex[2 * len] = '\n';
	hex[2 * len + 1] = '\0';
	if (fchmod(fd, mode) < 0 || fd_write_all(fd, header, strlen(header)) < 0 ||
	    fd_write_all(fd, hex, strlen(hex)) < 0 || fsync(fd) < 0) {
		saved = errno;
		sodium_memzero(hex, sizeof(hex));
		close(fd);
		unlink(path);
		return errf(err, errlen, _("cannot write '%s': %s"), path, strerror(saved));
	}
	sodium_memzero(hex, sizeof(hex));
	if (close(fd) < 0) {
		saved = errno;
		unlink(path);
		return errf(err, errlen, _("cannot write '%s': %s"), path, strerror(saved));
	}
	return 0;
}

int keys_generate(const char *secret_path, const char *public_path, char *err, size_t errlen)
{
	unsigned char pk[KEYS_PK_BYTES];
	unsigned char *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	int r;

	if (!sk)
		return errf(err, errlen, _("out of memory for a secret key"));
	crypto_sign_keypair(pk, sk);
	r = write_key_file(secret_path, 0600, SECRET_HEADER, sk, crypto_sign_SECRETKEYBYTES, err, errlen);
	sodium_free(sk);
	if (r < 0)
		return -1;
	if (write_key_file(public_path, 0644, PUBLIC_HEADER, pk, sizeof(pk), err, errlen) < 0) {
		unlink(secret_path);
		return -1;
	}
	return 0;
}

/* Reads a key file with the given header into out (len bytes). */
static int read_key_file(const char *path, const char *header, unsigned char *out, size_t len, int secret,
			 char *err, size_t errlen)
{
	struct buf b = BUF_INIT(4096);
	size_t hl = strlen(header), got = 0;
	const char *end;
	struct stat st;
	int r = -1;

	if (secret) {
		if (stat(path, &st) < 0)
			return errf(err, errlen, _("cannot open '%s': %s"), path, strerror(errno));
		if (st.st_mode & 077)
			return errf(err, errlen, _("'%s' is readable by others (mode %03o); run: chmod 600 '%s'"),
				    path, (unsigned)(st.st_mode & 0777), path);
	}
	if (buf_read_file(&b, path) < 0) {
		errf(err, errlen, _("cannot read '%s': %s"), path, strerror(errno));
		goto out;
	}
	/* The key and one final newline, nothing else. */
	if (b.len < hl || memcmp(b.data, header, hl) ||
	    sodium_hex2bin(out, len, b.data + hl, b.len - hl, NULL, &got, &end) < 0 || got != len ||
	    strcmp(end, "\n")) {
		errf(err, errlen, _("'%s' is not a Sondeo key file"), path);
		goto out;
	}
	r = 0;
out:
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return r;
}

struct keys *keys_load(const char *secret_path, char *err, size_t errlen)
{
	struct keys *k = sodium_malloc(sizeof(*k));

	if (!k) {
		errf(err, errlen, _("out of memory for a secret key"));
		return NULL;
	}
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!k->sk) {
		sodium_free(k);
		errf(err, errlen, _("out of memory for a secret key"));
		return NULL;
	}
	if (read_key_file(secret_path, SECRET_HEADER, k->sk, crypto_sign_SECRETKEYBYTES, 1, err, errlen) < 0) {
		keys_free(k);
		return NULL;
	}
	/* The secret key file holds the seed and the public key: a damaged file would sign with a key that no
	 * longer matches its own public key. Rebuild the pair from the seed and compare. */
	{
		unsigned char seed[crypto_sign_SEEDBYTES], pk[KEYS_PK_BYTES];
		unsigned char *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
		int same;

		crypto_sign_ed25519_sk_to_seed(seed, k->sk);
		if (!sk) {
			sodium_memzero(seed, sizeof(seed));
			keys_free(k);
			errf(err, errlen, _("out of memory for a secret key"));
			return NULL;
		}
		crypto_sign_seed_keypair(pk, sk, seed);
		same = sodium_memcmp(sk, k->sk, crypto_sign_SECRETKEYBYTES) == 0;
		sodium_memzero(seed, sizeof(seed));
		sodium_free(sk);
		if (!same) {
			keys_free(k);
			errf(err, errlen, _("'%s' is damaged: its secret and public halves do not match"), secret_path);
			return NULL;
		}
		memcpy(k->pk, pk, sizeof(pk));
	}
	return k;
}

void keys_free(struct keys *k)
{
	if (!k)
		return;
	sodium_free(k->sk);
	sodium_free(k);
}

const unsigned char *keys_public(const struct keys *k)
{
	return k->pk;
}

void keys_sign(const struct keys *k, const void *msg, size_t len, unsigned char sig[KEYS_SIG_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int keys_verify(const unsigned char pk[KEYS_PK_BYTES], const void *msg, size_t len,
		const unsigned char sig[KEYS_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

void keys_id(const unsigned char pk[KEYS_PK_BYTES], char out[KEYS_ID_STRLEN + 1])
{
	unsigned char h[KEYS_ID_STRLEN / 2];

	crypto_generichash(h, sizeof(h), pk, KEYS_PK_BYTES, NULL, 0);
	hex_encode(out, h, sizeof(h));
}

int keys_load_public(const char *path, unsigned char pk[KEYS_PK_BYTES], char *err, size_t errlen)
{
	return read_key_file(path, PUBLIC_HEADER, pk, KEYS_PK_BYTES, 0, err, errlen);
}
