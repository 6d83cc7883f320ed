/* api-pull.c - GET /v1/pull?after=CURSOR&limit=N[&v=2]: the ops of the device's region that reached the server
 * after the cursor, oldest first, signed with the server's key and bound to the request's nonce. The answer is
 * written by proto/pull.c, which a device reads it with. Version 2 (v=2) answers hold up to PULL_V2_MAX_OPS ops
 * as compact rows, and the forms tag (srv_forms_tag); a request without v gets version 1 as before, so older
 * devices are served as they were. Either may go gzip-compressed to a device that accepts it: the signature is over the JSON. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "pull.h"
#include "srv.h"
#include "banned.h"

/* Who at this server made it: the server's own ops name their reviewer (by). 1 when the page is full. */
static int add_op(void *ctx, const struct op *op, const char *by)
{
	return pull_writer_add(ctx, op, by);
}

void api_pull(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct pull_writer w;
	long long after, limit, version;
	struct sstore_device d;
	enum opjson_status st;
	char err[512], forms[PULL_FORMS_TAG_LEN + 1];
	uint64_t next;
	int more, max;

	if (!s || srv_authenticate(rq, rs, s, &d) < 0)
		return;
	version = http_query_number(rq, "v", 1, 1, 2);
	max = version == 2 ? PULL_V2_MAX_OPS : PULL_MAX_OPS;
	after = http_query_number(rq, "after", 0, 0, LLONG_MAX);
	limit = http_query_number(rq, "limit", PULL_DEFAULT_OPS, 1, max);
	if (version < 0 || after < 0 || limit < 0) {
		http_reply_error(rs, 400, "bad_request", "after is a cursor (a whole number), limit is 1 to %d and v is 1 "
				 "or 2", max);
		return;
	}
	/* The tag of the forms as they are now: a device fetches them once it sees a tag it does not hold. */
	if (version == 2 && srv_forms_tag(s, forms, err, sizeof(err)) < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	pull_writer_init(&w, (int)version, (size_t)limit);
	if (sstore_pull(s, d.region, d.id, (uint64_t)after, (unsigned)limit, add_op, &w, &next, &more, err,
			sizeof(err)) < 0) {
		pull_writer_release(&w);
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	st = pull_writer_end(&w, next, more, version == 2 ? forms : NULL);
	if (st == OPJSON_BAD)
		/* An op this server holds that a device would refuse: sending it would stop every device of the
		 * region at it, so the pull fails here, where the log shows which op. */
		http_reply_error(rs, 500, "internal", "an op held here breaks the protocol: %s", w.err);
	else if (st != OPJSON_OK)
		http_reply_error(rs, 503, "unavailable", "%s", w.err);
	else {
		srv_reply_signed_text(rq, rs, s, w.body.data);
		rs->compress = 1;
	}
	pull_writer_release(&w);
}
