/* pull.h - the answer of GET /v1/pull (proto/PROTOCOL.md), in its two versions:
 *   1: {"ops": [OP, ...], "next": CURSOR, "more": BOOL}, each op the object of the op codec (opjson.h);
 *   2: {"ops": [ROW, ...], "devices": [ID, ...], "records": [[UUID, FORM], ...], "next": CURSOR, "more": BOOL,
 *      "forms": TAG}, each op a row that names its device and record by their place in those tables and its
 *      seq and stamp as differences (PROTOCOL.md says exactly), which compresses to half.
 *
 * What a pull carries beside the ops of a change set is here: each op names its device, a server's own op its
 * reviewer ("by"), and the answer its cursor. The ops themselves are checked by the op codec with the same
 * checks as in a change set: a version 2 row is read back into the op's object and checked as one. The server
 * writes answers with pull_writer (server/api-pull.c), the device reads them with pull_answer_decode
 * (client/cmd-sync.c). */
#ifndef SONDEO_PULL_H
#define SONDEO_PULL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "opjson.h"

#define PULL_DEFAULT_OPS 1000      /* ops in one answer when the request does not say */
#define PULL_MAX_OPS 2000          /* ops in one version 1 answer at most: what version 1 readers take */
#define PULL_V2_MAX_OPS 5000       /* ops in one version 2 answer at most */
#define PULL_MAX_BYTES ((size_t)64 << 20)   /* bytes of one answer */
/* A writer ends the page at the op that takes its text past this: a page of large values stays a few MiB,
 * where PULL_V2_MAX_OPS values of 64 KiB each would pass PULL_MAX_BYTES and could never be sent. */
#define PULL_PAGE_BYTES ((size_t)4 << 20)
#define PULL_FORMS_TAG_LEN 32      /* hex characters of a forms tag */

struct pull_tables;

/* An answer being written. pull_writer_init starts it, pull_writer_add adds ops, pull_writer_end closes it. */
struct pull_writer {
	struct buf body;           /* the answer's text so far (at most PULL_MAX_BYTES): in version 2 its ops */
	size_t n;                  /* ops in it */
	size_t max;                /* ops it may hold */
	int version;               /* 1 or 2 */
	struct pull_tables *t;     /* version 2: the devices and records named so far, and the last seq and stamp */
	enum opjson_status st;     /* the first failure, OPJSON_OK while there is none */
	char err[400];             /* why, then */
};

/* Starts an empty answer of the version given (1 or 2) of at most max ops (PULL_MAX_OPS or PULL_V2_MAX_OPS);
 * allocates nothing yet. Release with pull_writer_release. */
void pull_writer_init(struct pull_writer *w, int version, size_t max);
/* Adds op, with by its reviewer (the server's own ops; NULL for a device's), after checking both as a device
 * will read them: an op a device would refuse is never sent. After a failure, does nothing. Returns 1 when the
 * page is full (max ops, or PULL_PAGE_BYTES of text) or has failed: add no more. */
int pull_writer_add(struct pull_writer *w, const struct op *op, const char *by);
/* Closes the answer with its cursor, and in version 2 with forms (PULL_FORMS_TAG_LEN hex), the forms tag.
 * OPJSON_OK with the whole answer in w->body (a JSON object and a line feed), or the first failure's status:
 * OPJSON_BAD (an op that breaks the table), OPJSON_TOO_LARGE (past max ops or PULL_MAX_BYTES) or
 * OPJSON_NO_MEMORY, with w->err naming the op and member at fault. */
enum opjson_status pull_writer_end(struct pull_writer *w, uint64_t next, int more, const char *forms);
void pull_writer_release(struct pull_writer *w);

/* A decoded answer: ops.by[i] is the reviewer op i names, or NULL. */
struct pull_answer {
	struct opjson_ops ops;
	uint64_t next;             /* the cursor to store with these ops */
	int more;                  /* 1: ask again from next */
	char forms[PULL_FORMS_TAG_LEN + 1];   /* the forms tag of a version 2 answer, "" in version 1 */
};

/* Reads an answer of the version asked for (1 or 2) strictly: a JSON object with exactly the members of that
 * version (ops at most PULL_MAX_OPS in version 1 and PULL_V2_MAX_OPS in version 2, each checked by the op codec;
 * next a whole number below 2^63; more true or false; forms PULL_FORMS_TAG_LEN lowercase hex). OPJSON_OK with
 * out filled (release with pull_answer_release), or OPJSON_BAD / OPJSON_NO_MEMORY with out empty and err naming
 * what is wrong ("op 3: member 'hlc': -5 is negative", "member 'next' is a string, not an integer"). */
enum opjson_status pull_answer_decode(const char *text, size_t len, int version, struct pull_answer *out, char *err,
				      size_t errlen);
void pull_answer_release(struct pull_answer *a);

/* The answer to an upload (POST /v1/changesets): {"accepted": N, "duplicates": K, "next_seq": S}, and when the
 * upload asked for it (?pull=CURSOR), "pull": a version 2 answer, read as pull_answer_decode reads one. */
struct pull_upload {
	uint64_t accepted, duplicates, next_seq;
	int has_pull;              /* the answer carries a pull page, in pull */
	struct pull_answer pull;
};
/* Writes into out the answer to an upload that asked for a pull page: the counts, and page (a whole version 2
 * answer, as pull_writer_end leaves it) as its pull member. 0, or -1 past out's cap or out of memory. */
int pull_upload_write(struct buf *out, uint64_t accepted, uint64_t duplicates, uint64_t next_seq,
		      const struct buf *page);
/* OPJSON_OK with out filled (release out->pull with pull_answer_release), or OPJSON_BAD / OPJSON_NO_MEMORY with out
 * empty and err naming what is wrong. */
enum opjson_status pull_upload_decode(const char *text, size_t len, struct pull_upload *out, char *err,
				      size_t errlen);

#endif
