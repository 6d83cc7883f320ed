/* opjson.h - one op as JSON (proto/PROTOCOL.md, "The op"): the one writer and the one strict reader of an op,
 * for a change set's body (proto/changeset.c) and for the answer of GET /v1/pull (proto/pull.c).
 *
 * The two differ in one thing. An op of a change set names no device (it is the signer's) and its seq is fixed
 * by the set's first..last; an op of a pull answer names its device ("device") and may name its reviewer
 * ("by"). Every other member is written and checked the same way, by this code. */
#ifndef SONDEO_OPJSON_H
#define SONDEO_OPJSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "merge.h"

#define OPJSON_MAX_VALUE 65536       /* canonical text of one value */
#define OPJSON_MAX_BY MERGE_MAX_NAME /* bytes in a reviewer's name ("by") */

enum opjson_status { OPJSON_OK = 0, OPJSON_BAD, OPJSON_TOO_LARGE, OPJSON_NO_MEMORY };

/* Where a list of ops comes from, for the reader and the writer alike. */
struct opjson_from {
	const char *signer;     /* a change set's: the signer's device id, the device of every op, which then names
				 * no device of its own; NULL: a pull answer's, each op naming its device and maybe "by" */
	uint64_t first, last;   /* with signer: op i has seq first + i (last bounds the message only) */
};

/* Decoded ops. The strings they point to (form, form_version, field, value, by[i]) belong to it: owner is one
 * malloc'd block holding them all, NUL-terminated; opjson_ops_release frees it, ops and by. */
struct opjson_ops {
	struct op *ops;
	const char **by;        /* by[i]: the reviewer op i names, or NULL; by itself is NULL for a change set's */
	size_t n;
	void *owner;
};

/* Reads the JSON array list (at most 10,000 ops: the caller checks its size first), checking each op against
 * PROTOCOL.md's table: exactly its members, their types and bounds, values as canonical text. On OPJSON_OK out
 * holds every op; release with opjson_ops_release. On failure (OPJSON_BAD or OPJSON_NO_MEMORY) out is empty and
 * err names the op (counted from 1), the member and the value: "op 3 (seq 12): member 'field': '1abc' is not a
 * question name (it must start with a letter or '_')" for a change set's, "op 3: member ..." for a pull's. */
enum opjson_status opjson_decode(const json_t *list, const struct opjson_from *from, struct opjson_ops *out,
				 char *err, size_t errlen);
void opjson_ops_release(struct opjson_ops *out);

/* The fast way in for a list as opjson_append writes it: the text (len bytes) of a JSON array of exactly count ops,
 * each with its members in the table's order, no spaces, names and ids without escapes, values in the canonical
 * text jsonc_is_canonical knows. Makes every check opjson_decode makes; nothing in out points into text.
 * OPJSON_OK with out as opjson_decode fills it; OPJSON_BAD when the text is not all in that form or breaks a
 * check, and the caller then reads it with jansson and opjson_decode, which finds the same ops or says what is
 * wrong; OPJSON_NO_MEMORY. */
enum opjson_status opjson_decode_plain(const char *text, size_t len, size_t count, const struct opjson_from *from,
				       struct opjson_ops *out);

/* Checks op i (from 0) of a list about to be written as a reader of the same `from` will check it, with by its
 * reviewer (NULL for none; only a pull answer's op may have one). OPJSON_OK, or OPJSON_BAD / OPJSON_NO_MEMORY
 * with err in the reader's words. */
enum opjson_status opjson_check(const struct op *op, const char *by, size_t i, const struct opjson_from *from,
				char *err, size_t errlen);

/* Appends op's JSON object to b, without whitespace, its members in the table's order: with_device, "device"
 * first (a pull answer's op); by (or NULL), a "by" member last. The op must have passed opjson_check: its names
 * need no escapes then, and its value is canonical text already. OPJSON_OK, or OPJSON_TOO_LARGE past b's cap,
 * or OPJSON_NO_MEMORY; b may then hold part of the op (the caller throws b away). */
enum opjson_status opjson_append(struct buf *b, const struct op *op, int with_device, const char *by);

/* 1 if v nests arrays and objects more than depth deep (a scalar is 0 deep, [] is 1 deep), else 0. */
int opjson_too_deep(const json_t *v, int depth);

/* What a JSON value is, for messages: "an object", "a string", "null"... */
const char *opjson_type_name(const json_t *v);

#endif
