/* api-pull.c - GET /v1/pull?after=CURSOR&limit=N[&v=2]: the ops of the device's region that reached the server
 * after the cursor, oldest first, signed with the server's key and bound to the request's nonce. The answer is
 * written by proto/pull.c (srv_pull_page), which a device reads it with. Version 2 (v=2) answers hold up to
 * PULL_V2_MAX_OPS ops as compact rows, and the forms tag (srv_forms_tag); a request without v gets version 1 as
 * before, so older devices are served as they were. Either may go gzip-compressed to a device that accepts it:
 * the signature is over the JSON. */
#include <limits.h>

#include "i18n.h"
#include "pull.h"
#include "srv.h"
#include "banned.h"

void api_pull(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct pull_writer w;
	long long after, limit, version;
	struct sstore_device d;
	int max;

	if (!s || srv_authenticate(rq, rs, s, &d) < 0)
		return;
	version = http_query_number(rq, "v", 1, 1, 2);
	max = version == 2 ? PULL_V2_MAX_OPS : PULL_MAX_OPS;
	after = http_query_number(rq, "after", 0, 0, LLONG_MAX);
	limit = http_query_number(rq, "limit", PULL_DEFAULT_OPS, 1, max);
	if (version < 0 || after < 0 || limit < 0) {
		http_reply_error(rs, 400, "bad_request", _("after is a cursor (a whole number), limit is 1 to %d and v is 1 "
				 "or 2"), max);
		return;
	}
	if (srv_pull_page(s, &d, (uint64_t)after, (unsigned)limit, (int)version, &w, rs) == 0) {
		srv_reply_signed_text(rq, rs, s, w.body.data);
		rs->compress = 1;
	}
	pull_writer_release(&w);
}
