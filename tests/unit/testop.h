/* testop.h - ops in the unit tests: room for their bases.
 *
 * An op borrows its base (op.h). The tests build ops by value, copy them and change their bases afterwards, so
 * every change to a base goes to a fresh copy of it (testop_base), and an op copied before keeps what it had.
 * The copies are kept, reachable, until the program ends. */
#ifndef SONDEO_TESTOP_H
#define SONDEO_TESTOP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

static struct op_ref **testop_blocks;
static size_t testop_nblocks, testop_cap;

/* Points op's base at a copy of it with room for at least room refs (at most MERGE_MAX_BASE + 1), and returns
 * that copy to be written. */
static inline struct op_ref *testop_base(struct op *op, size_t room)
{
	size_t keep = op->base ? (op->nbase < room ? op->nbase : room) : 0;
	struct op_ref *b;

	if (room > MERGE_MAX_BASE + 1)
		room = MERGE_MAX_BASE + 1;
	if (testop_nblocks == testop_cap) {
		testop_cap = testop_cap ? 2 * testop_cap : 1024;
		if (!(testop_blocks = realloc(testop_blocks, testop_cap * sizeof(*testop_blocks)))) {
			fprintf(stderr, "testop_base: out of memory\n");
			abort();
		}
	}
	if (!(b = calloc(room ? room : 1, sizeof(*b)))) {
		fprintf(stderr, "testop_base: out of memory\n");
		abort();
	}
	if (keep)
		memcpy(b, op->base, keep * sizeof(*b));
	testop_blocks[testop_nblocks++] = b;
	op->base = b;
	return b;
}

#endif
