/* keys.h - Ed25519 key pairs for devices and servers, their files, signatures and ids.
 *
 * A secret key lives in a file of mode 0600 and, once loaded, in sodium_malloc'd memory that is wiped when
 * freed. A device's id is derived from its public key (BLAKE2b-128, hex), so nobody can claim an id without
 * holding the key. */
#ifndef SONDEO_KEYS_H
#define SONDEO_KEYS_H

#include <sodium.h>
#include <stddef.h>

#define KEYS_PK_BYTES crypto_sign_PUBLICKEYBYTES
#define KEYS_SIG_BYTES crypto_sign_BYTES
#define KEYS_ID_STRLEN 32

struct keys;

/* Makes a new key pair and writes it: the secret to secret_path (created exclusively, mode 0600, synced) and
 * the public key to public_path. Refuses to overwrite either. Returns 0, or -1 with err. */
int keys_generate(const char *secret_path, const char *public_path, char *err, size_t errlen);
/* Loads a secret key file; refuses one readable by group or others. Caller frees with keys_free(). */
struct keys *keys_load(const char *secret_path, char *err, size_t errlen);
/* Wipes and frees. NULL is fine. */
void keys_free(struct keys *k);
const unsigned char *keys_public(const struct keys *k);
/* Detached signature over msg. */
void keys_sign(const struct keys *k, const void *msg, size_t len, unsigned char sig[KEYS_SIG_BYTES]);
/* 0 if sig is pk's signature over msg, else -1. */
int keys_verify(const unsigned char pk[KEYS_PK_BYTES], const void *msg, size_t len,
		const unsigned char sig[KEYS_SIG_BYTES]);
/* The id of public key pk: 32 lowercase hex characters. */
void keys_id(const unsigned char pk[KEYS_PK_BYTES], char out[KEYS_ID_STRLEN + 1]);
/* Reads a public key file written by keys_generate. */
int keys_load_public(const char *path, unsigned char pk[KEYS_PK_BYTES], char *err, size_t errlen);

#endif
