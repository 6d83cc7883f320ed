/* api-record.c - GET /v1/record?id=ID: one record with every answer, the heads of its conflicts and its full
 * history, each op checked against its device's signature (docs/review-api.md). */
#include "srv.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "banned.h"

void api_record(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	const char *id = http_query(rq, "id");
	struct sstore_session sess;
	unsigned status;
	char err[512];
	json_t *out;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 0, &sess, NULL) < 0)
		return;
	if (!id || !*id) {
		http_reply_error(rs, 400, "bad_request", _("give the record as ?id=ID"));
		return;
	}
	if (!(out = sstore_record_json(s, id, &status, err, sizeof(err)))) {
		if (status == 404)
			http_reply_error(rs, 404, "no_record", "%s", err);
		else if (status == 400)
			http_reply_error(rs, 400, "ambiguous", "%s", err);
		else
			srv_store_error(rs, err);
		return;
	}
	http_reply_json(rs, 200, out);
}
