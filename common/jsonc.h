/* jsonc.h - canonical JSON text for answer values, the same bytes on every device and server.
 *
 * Compact, no spaces; strings with only '"', '\\' and control characters escaped (\n \t \r \b \f, others
 * \u00XX), UTF-8 kept as it is; integers in decimal; reals as jansson writes them with 17 significant digits;
 * objects with their keys sorted. Two replicas holding the same value hold the same text, so an op can be
 * compared byte for byte. */
#ifndef SONDEO_JSONC_H
#define SONDEO_JSONC_H

#include <jansson.h>

#include "buf.h"

/* Appends the canonical text of v to b. 0, or -1 if it does not fit b's cap or v cannot be encoded. */
int jsonc_append(struct buf *b, const json_t *v);
/* The canonical text of v, a new string the caller frees; NULL on failure. */
char *jsonc_dumps(const json_t *v);

/* 1 if s (n bytes, no NUL needed) is the canonical text of a string, an integer of at most 18 digits, true,
 * false, null or an array of those: what nearly every answer is. Checked in one pass, without parsing: a
 * reader of stored or signed values takes this fast way and parses the rest (0: not known to be canonical,
 * which the full check then decides). Never 1 for a text jansson would not read back as these bytes. */
int jsonc_is_canonical(const char *s, size_t n);
/* The length of the value of that kind that s (n bytes) starts with, or 0 if it starts with none: for readers
 * that meet a value inside a longer text. jsonc_is_canonical(s, n) is jsonc_canonical_span(s, n) == n. */
size_t jsonc_canonical_span(const char *s, size_t n);

#endif
