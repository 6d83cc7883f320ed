/* changeset.h - change sets on the wire: one device's ops with consecutive seqs, deflated and signed.
 *
 * The byte layout, limits and error codes are specified in proto/PROTOCOL.md; bump CS_VERSION if any of them
 * change. Reading follows the order the spec fixes: cs_parse_header looks only at the fixed header, the
 * caller decides whether it accepts the signer, cs_verify checks the signature, and only then does
 * cs_decode inflate (with output caps) and parse. */
#ifndef SONDEO_CHANGESET_H
#define SONDEO_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"
#include "merge.h"

#define CS_VERSION 1
#define CS_HEADER_BYTES 72
#define CS_SIG_BYTES 64
#define CS_MAX_BODY ((uint32_t)16 << 20)   /* compressed body bytes */
#define CS_MAX_RAW ((uint32_t)64 << 20)    /* inflated body bytes */
#define CS_MAX_RATIO 200                   /* raw <= ratio * body + 1024 */
#define CS_MAX_OPS 100000
#define CS_MAX_VALUE 65536                 /* canonical text of one value */

enum cs_status {
	CS_OK = 0, CS_TRUNCATED, CS_BAD_MAGIC, CS_UNSUPPORTED_VERSION, CS_BAD_HEADER, CS_TOO_LARGE,
	CS_UNKNOWN_SIGNER, CS_BAD_SIGNATURE, CS_BAD_BODY, CS_BAD_JSON, CS_BAD_OP, CS_NO_MEMORY
};

/* The stable code of PROTOCOL.md for a status ("bad_signature"), for error bodies and logs. */
const char *cs_code(enum cs_status st);

struct cs_header {
	uint8_t version;
	unsigned char signer[KEYS_PK_BYTES];
	char device[KEYS_ID_STRLEN + 1];    /* keys_id(signer) */
	uint64_t first, last, hlc;
	uint32_t body_len, raw_len;
};

/* Checks the fixed header of the change set in data[0..len) and fills h. Reads nothing past the header and
 * the length fields; verifies nothing. CS_OK or the failing status, with a message in err. */
enum cs_status cs_parse_header(const unsigned char *data, size_t len, struct cs_header *h, char *err,
			       size_t errlen);
/* CS_OK if the signature verifies against h->signer, else CS_BAD_SIGNATURE. */
enum cs_status cs_verify(const unsigned char *data, size_t len, const struct cs_header *h);

/* The ops of a decoded change set. The strings the ops point to belong to it. */
struct cs_ops {
	struct op *ops;
	size_t n;
	void *owner;      /* what the strings live in */
};

/* Inflates (capped at h->raw_len) and parses the body, checking every op; call only after cs_verify. On
 * CS_OK, out holds last - first + 1 ops, each with device set to h->device and value in canonical text;
 * release with cs_ops_release. On failure out is empty and err names the op and member at fault. */
enum cs_status cs_decode(const unsigned char *data, size_t len, const struct cs_header *h, struct cs_ops *out,
			 char *err, size_t errlen);
void cs_ops_release(struct cs_ops *out);

/* Encodes and signs ops[0..n) (all by k's device, seqs consecutive from ops[0].seq, values in canonical
 * text) into out. CS_OK, or CS_TOO_LARGE / CS_BAD_OP / CS_NO_MEMORY with err. */
enum cs_status cs_encode(const struct keys *k, const struct op *ops, size_t n, struct buf *out, char *err,
			 size_t errlen);

#endif
