/* auth.h - the authentication pieces of the sync protocol, as pure functions over bytes (no HTTP, no database):
 * signed requests, signed responses, and enrolment codes with the MACs they key.
 *
 * The exact texts, encodings and limits are specified in proto/PROTOCOL.md ("Signed requests", "Signed
 * responses", "Enrolment codes and MACs"); the texts are built here and only here, so that a device and a
 * server cannot disagree on them. Every input that comes from outside is checked: a malformed one is an error
 * (-1, with words in err where the signature has err), never a crash. */
#ifndef SONDEO_AUTH_H
#define SONDEO_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"

/* Enrolment codes use Crockford's base32 alphabet: the digits 0-9 and the capitals A-Z without I, L, O and U;
 * a symbol's value is its index here. When a typed code is read, lower case reads as upper case, O reads as
 * 0, I and L read as 1, and spaces and dashes are ignored (see auth_code_normalize). */
#define AUTH_CODE_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define AUTH_CODE_LEN 20        /* symbols in a code: 100 random bits */
#define AUTH_CODE_SHOWN_LEN 24  /* as shown to people: four dashes, "K7QF-2MZX-9RTA-HB4E-WCJ8" */
#define AUTH_CODE_ID_LEN 5      /* the first symbols of a code, by which a server finds it */
#define AUTH_KEY_BYTES 32       /* a code's MAC key */
#define AUTH_MAC_BYTES 32       /* an enrolment MAC */

#define AUTH_NONCE_HEXLEN 32    /* a nonce: 16 random bytes as lowercase hex */
#define AUTH_SIG_HEXLEN 128     /* an Ed25519 signature as lowercase hex */
#define AUTH_HASH_HEXLEN 64     /* a BODY-HASH: BLAKE2b-256 as lowercase hex */
#define AUTH_METHOD_MAX 16      /* bytes in a method: 1..16 of A-Z */
#define AUTH_PATH_MAX 4096      /* bytes in a path and query: 1..4096, '/' then 0x21..0x7e */
#define AUTH_TIME_MAX INT64_MAX /* the largest time (ms) in a signed request */
#define AUTH_NAME_MAX 64        /* bytes in a device name or region in an enrolment text */

/* --- Shared pieces ------------------------------------------------------------------------------------- */

/* A new random nonce: 16 bytes from randombytes_buf as 32 lowercase hex characters. */
void auth_new_nonce(char out[AUTH_NONCE_HEXLEN + 1]);
/* 1 if s is exactly 32 lowercase hex characters, else 0 (NULL included). */
int auth_nonce_valid(const char *s);
/* Reads a time header: 1..19 decimal digits, no sign, no spaces, no leading zero (except "0" itself), at most
 * AUTH_TIME_MAX. 0 with *ms set, or -1 leaving *ms alone. */
int auth_time_parse(const char *s, uint64_t *ms);
/* Decodes exactly 2*n lowercase hex characters (then the end of the string) into out[0..n). 0, or -1 on
 * anything else (upper case, odd or wrong length, other characters, NULL), with out unspecified. */
int auth_hex_decode(const char *hex, unsigned char *out, size_t n);

/* --- Signed requests ----------------------------------------------------------------------------------- */

/* BODY-HASH: hex(BLAKE2b-256(body)), as signed and as sent in the Sondeo-Body-Hash header. body may be NULL
 * only when len is 0. */
void auth_body_hash(const void *body, size_t len, char out[AUTH_HASH_HEXLEN + 1]);

/* Replaces the contents of out with the text a device signs for a request:
 *   "sondeo-request-v1\n" METHOD "\n" PATH-AND-QUERY "\n" hex(BLAKE2b-256(body)) "\n" TIME "\n" NONCE
 * with TIME in decimal. method: 1..16 of A-Z; path_and_query: 1..4096 bytes, starting with '/', each byte
 * 0x21..0x7e; body: body_len bytes (NULL only when body_len is 0); time_ms: at most AUTH_TIME_MAX; nonce_hex:
 * auth_nonce_valid. Returns 0, or -1 with err and out empty (a bad field, or out's cap too small: it needs
 * at most 4,249 bytes). */
int auth_request_text(struct buf *out, const char *method, const char *path_and_query, const void *body,
		      size_t body_len, uint64_t time_ms, const char *nonce_hex, char *err, size_t errlen);
/* Signs that text with k: the Ed25519 signature as 128 lowercase hex characters in sig_hex. 0, or -1 with
 * err (and sig_hex an empty string) if a field is malformed. */
int auth_sign_request(const struct keys *k, const char *method, const char *path_and_query, const void *body,
		      size_t body_len, uint64_t time_ms, const char *nonce_hex,
		      char sig_hex[AUTH_SIG_HEXLEN + 1], char *err, size_t errlen);
/* The same with the body's hash given (auth_body_hash; 64 lowercase hex) instead of the body. */
int auth_sign_request_hash(const struct keys *k, const char *method, const char *path_and_query,
			   const char *body_hash_hex, uint64_t time_ms, const char *nonce_hex,
			   char sig_hex[AUTH_SIG_HEXLEN + 1], char *err, size_t errlen);
/* 0 if sig_hex (exactly 128 lowercase hex characters) is pk's signature over that text, else -1: a wrong
 * signature and a malformed field or signature are the same answer. Checks nothing about time or nonce reuse:
 * that is the server's. */
int auth_verify_request(const unsigned char pk[KEYS_PK_BYTES], const char *method, const char *path_and_query,
			const void *body, size_t body_len, uint64_t time_ms, const char *nonce_hex,
			const char *sig_hex);
/* The same over a claimed body hash (the Sondeo-Body-Hash header), so that a server can verify a request from
 * its headers alone, before it reads the body; a hash that is not 64 lowercase hex fails. The body, once read,
 * must then have that hash. */
int auth_verify_request_hash(const unsigned char pk[KEYS_PK_BYTES], const char *method,
			     const char *path_and_query, const char *body_hash_hex, uint64_t time_ms,
			     const char *nonce_hex, const char *sig_hex);

/* --- Signed responses ---------------------------------------------------------------------------------- */

/* Replaces the contents of out with the text a server signs for a response to a request that carried
 * nonce_hex:  "sondeo-response-v1\n" NONCE "\n" hex(BLAKE2b-256(body)).  0, or -1 with err and out empty. */
int auth_response_text(struct buf *out, const char *nonce_hex, const void *body, size_t body_len, char *err,
		       size_t errlen);
int auth_sign_response(const struct keys *k, const char *nonce_hex, const void *body, size_t body_len,
		       char sig_hex[AUTH_SIG_HEXLEN + 1], char *err, size_t errlen);
/* 0 if sig_hex is pk's (the pinned server key's) signature over that text for the nonce the device sent. */
int auth_verify_response(const unsigned char pk[KEYS_PK_BYTES], const char *nonce_hex, const void *body,
			 size_t body_len, const char *sig_hex);

/* --- Enrolment codes and MACs -------------------------------------------------------------------------- */

/* A new code: 20 symbols drawn uniformly from AUTH_CODE_ALPHABET with randombytes_uniform, normalized. */
void auth_code_new(char out[AUTH_CODE_LEN + 1]);
/* Reads a code as typed: lower case is upper case, O is 0, I and L are 1, spaces and dashes anywhere are
 * skipped; every other character (U included), and anything but 20 symbols, is refused. 0 with the 20
 * normalized symbols in out, or -1 with err naming the problem (out is then an empty string). */
int auth_code_normalize(const char *typed, char out[AUTH_CODE_LEN + 1], char *err, size_t errlen);
/* A normalized code as shown to people, in groups of four: "K7QF-2MZX-9RTA-HB4E-WCJ8". 0, or -1 if code is
 * not normalized (out is then an empty string). */
int auth_code_format(const char *code, char out[AUTH_CODE_SHOWN_LEN + 1]);
/* The code's id: its first 5 symbols. 0, or -1 if code is not normalized (out is then an empty string). */
int auth_code_id(const char *code, char out[AUTH_CODE_ID_LEN + 1]);
/* The code's MAC key: BLAKE2b-256 of the 20 normalized symbols keyed with the 15 bytes "sondeo enrol v1".
 * 0, or -1 if code is not normalized (key is then zeroed). Wipe the key with sodium_memzero when done. */
int auth_code_key(const char *code, unsigned char key[AUTH_KEY_BYTES]);
/* Keyed BLAKE2b-256 of msg with a code's key. */
void auth_enrol_mac(const unsigned char key[AUTH_KEY_BYTES], const void *msg, size_t len,
		    unsigned char mac[AUTH_MAC_BYTES]);
/* 0 if mac is the MAC of msg under key (compared in constant time with sodium_memcmp), else -1. */
int auth_enrol_mac_verify(const unsigned char key[AUTH_KEY_BYTES], const void *msg, size_t len,
			  const unsigned char mac[AUTH_MAC_BYTES]);

/* Replaces the contents of out with the text the device's enrolment MAC covers:
 *   "sondeo-enrol-request-v1\n" hex(device_pk) "\n" NAME "\n" NONCE
 * name: 1..64 bytes of UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F); nonce_hex:
 * auth_nonce_valid. 0, or -1 with err and out empty. */
int auth_enrol_request_text(struct buf *out, const unsigned char device_pk[KEYS_PK_BYTES], const char *name,
			    const char *nonce_hex, char *err, size_t errlen);
/* Replaces the contents of out with the text the server's enrolment answer MAC covers:
 *   "sondeo-enrol-answer-v1\n" REQUEST-NONCE "\n" hex(server_pk) "\n" DEVICE-ID "\n" REGION
 * request_nonce_hex: the nonce of the request answered; device_id: 32 lowercase hex (keys_id); region: as a
 * name above. 0, or -1 with err and out empty. A device also checks that device_id is keys_id of its own
 * key before it pins server_pk. */
int auth_enrol_answer_text(struct buf *out, const char *request_nonce_hex,
			   const unsigned char server_pk[KEYS_PK_BYTES], const char *device_id, const char *region,
			   char *err, size_t errlen);

/* --- Vouching (a regional server speaking for the devices it enrols; docs/relay-design.md) ---------------- */

enum auth_vouch { AUTH_VOUCH_ENROL, AUTH_VOUCH_REVOKE };

/* Replaces the contents of out with the text a regional server signs to vouch for one of its devices:
 *   "sondeo-vouch-v1\n" ACTION "\n" hex(device_pk) "\n" NAME "\n" REGION "\n" TIME
 * ACTION is "enrol" or "revoke"; name (may be empty) and region as in the enrolment texts; TIME in decimal
 * milliseconds. 0, or -1 with err and out empty. */
int auth_vouch_text(struct buf *out, enum auth_vouch action, const unsigned char device_pk[KEYS_PK_BYTES],
		    const char *name, const char *region, uint64_t time_ms, char *err, size_t errlen);

#endif
