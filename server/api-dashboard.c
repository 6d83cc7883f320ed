/* api-dashboard.c - GET /v1/dashboard?FILTERS: totals and charts of a selection (docs/review-api.md). */
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "banned.h"

void api_dashboard(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	struct sstore_filter f;
	char err[512];
	json_t *out;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 0, &sess, NULL) < 0 || srv_filter(rq, rs, s, &f) < 0)
		return;
	if (!(out = sstore_dashboard(s, &f, err, sizeof(err)))) {
		srv_store_error(rs, err);
		return;
	}
	http_reply_json(rs, 200, out);
}
