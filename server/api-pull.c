/* api-pull.c - GET /v1/pull?after=CURSOR&limit=N: the ops of the device's region that reached the server
 * after the cursor, oldest first, signed with the server's key and bound to the request's nonce. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "srv.h"
#include "banned.h"

#define PULL_DEFAULT 1000
#define PULL_MAX 2000

static void add_op(void *ctx, const struct op *op, const char *by)
{
	json_t *list = ctx, *base = json_array(), *value = json_loads(op->value, JSON_DECODE_ANY, NULL);
	size_t i;

	for (i = 0; i < op->nbase; i++)
		json_array_append_new(base, json_pack("[s, I]", op->base[i].device, (json_int_t)op->base[i].seq));
	json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "device", op->device,
					      "seq", (json_int_t)op->seq, "hlc", (json_int_t)op->hlc, "record",
					      op->record, "form", op->form, "version", op->form_version, "field",
					      op->field, "value", value ? value : json_null(), "base", base));
	/* Who at this server made it: the server's own ops name their reviewer. */
	if (by)
		json_object_set_new(json_array_get(list, json_array_size(list) - 1), "by", json_string(by));
}

void api_pull(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	long long after, limit;
	struct sstore_device d;
	char err[512];
	uint64_t next;
	json_t *ops;
	int more;

	if (!s || srv_authenticate(rq, rs, s, &d) < 0)
		return;
	after = http_query_number(rq, "after", 0, 0, LLONG_MAX);
	limit = http_query_number(rq, "limit", PULL_DEFAULT, 1, PULL_MAX);
	if (after < 0 || limit < 0) {
		http_reply_error(rs, 400, "bad_request", "after is a cursor (a whole number) and limit is 1 to %d",
				 PULL_MAX);
		return;
	}
	ops = json_array();
	if (sstore_pull(s, d.region, d.id, (uint64_t)after, (unsigned)limit, add_op, ops, &next, &more, err,
			sizeof(err)) < 0) {
		json_decref(ops);
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	srv_reply_signed(rq, rs, s, json_pack("{s:o, s:I, s:b}", "ops", ops, "next", (json_int_t)next, "more", more));
}
