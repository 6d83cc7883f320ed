/* op.h - the op, the unit of change every replica makes, exchanges and merges (merge.h says the rule), as plain
 * types: what a caller needs to hold ops without knowing where they are stored. */
#ifndef SONDEO_OP_H
#define SONDEO_OP_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "uuid.h"

#define MERGE_MAX_BASE 64      /* heads one op may name */
#define MERGE_MAX_NAME 64      /* bytes in a form id, version or field name */

struct op_ref {
	char device[KEYS_ID_STRLEN + 1];
	uint64_t seq;
};

/* One op. Its strings and its base are borrowed from whoever made it (a decoder keeps them in the block that
 * holds its strings) for the duration of a call: an op is small to copy, and thousands of them cost what they
 * hold, not room for MERGE_MAX_BASE refs each. */
struct op {
	char device[KEYS_ID_STRLEN + 1];
	uint64_t seq;
	uint64_t hlc;
	char record[UUID_STRLEN + 1];
	const char *form;
	const char *form_version;
	const char *field;
	const char *value;             /* canonical JSON text; "null" clears the field */
	size_t nbase;
	const struct op_ref *base;     /* the nbase ops whose values this one replaces; NULL when none */
};

/* Called for each head of a field: its op's id and stamp, and its value (JSON text, borrowed for the call). */
typedef void (*merge_head_fn)(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value);

#endif
