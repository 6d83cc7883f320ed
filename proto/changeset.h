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
#include "opjson.h"

#define CS_VERSION 1
#define CS_HEADER_BYTES 72
#define CS_SIG_BYTES 64
#define CS_MAX_BODY ((uint32_t)4 << 20)    /* compressed body bytes */
/* Inflated body bytes. Parsed JSON takes about 20 times its size in memory, so this bounds what one signed
 * change set can make a server hold (about 160 MB); clients send at most 5,000 ops, about 1 MiB. */
#define CS_MAX_RAW ((uint32_t)8 << 20)
#define CS_MAX_RATIO 200                   /* raw <= ratio * body + 1024 */
#define CS_MAX_OPS 10000
#define CS_MAX_VALUE OPJSON_MAX_VALUE       /* canonical text of one value */

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
 * the length fields; verifies nothing. CS_OK or the failing status, with a message in err. The limits on B and
 * R are checked before the exact total length, so an oversized change set is too_large (not truncated) from
 * its first 136 bytes on. On failure h is zeroed. */
enum cs_status cs_parse_header(const unsigned char *data, size_t len, struct cs_header *h, char *err,
			       size_t errlen);
/* CS_OK if the signature verifies against h->signer, else CS_BAD_SIGNATURE. h must be what cs_parse_header
 * made of these very bytes; any other header also gives CS_BAD_SIGNATURE. */
enum cs_status cs_verify(const unsigned char *data, size_t len, const struct cs_header *h);

/* The ops of a decoded change set. The strings the ops point to (form, form_version, field, value) belong to
 * it: owner is one malloc'd block holding them all, NUL-terminated; cs_ops_release frees it and ops. */
struct cs_ops {
	struct op *ops;
	size_t n;
	void *owner;      /* what the strings live in */
};

/* Inflates (capped at h->raw_len) and parses the body, checking every op; call only after cs_verify. On
 * CS_OK, out holds last - first + 1 ops, each with device set to h->device and value in canonical text;
 * release with cs_ops_release. On failure out is empty and err names the op and member at fault, as in
 * "op 3 (seq 12): member 'field': '1abc' is not a question name (...)" (ops counted from 1). The output buffer
 * of the inflate is raw_len + 1 bytes, allocated only here; does not verify the signature again. */
enum cs_status cs_decode(const unsigned char *data, size_t len, const struct cs_header *h, struct cs_ops *out,
			 char *err, size_t errlen);
void cs_ops_release(struct cs_ops *out);

/* Encodes and signs ops[0..n) (all by k's device, seqs consecutive from ops[0].seq, values in canonical
 * text) into out. CS_OK, or CS_TOO_LARGE / CS_BAD_OP / CS_NO_MEMORY with err. The change set is appended to
 * out; on failure out is unchanged. Every op is checked as a reader would check it, so what this makes
 * decodes; text that deflates past the ratio cap is stored (deflate level 0) rather than refused. */
enum cs_status cs_encode(const struct keys *k, const struct op *ops, size_t n, struct buf *out, char *err,
			 size_t errlen);

#endif
