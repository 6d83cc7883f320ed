/* api-record.c - GET /v1/record?id=ID: one record with every answer, the heads of its conflicts and its full
 * history, each op checked against its device's signature (docs/review-api.md). */
#include "srv.h"
#include "i18n.h"
#include "media.h"
#include "sstore-media.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "banned.h"

/* Every attachment v names (answers, the values in conflict, the history), into found as hex -> false. */
static void collect(const json_t *v, json_t *found)
{
	struct media_ref r;
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v) && media_ref_read(v, &r, NULL, 0) == 0) {
		json_object_set_new(found, r.blake2b, json_false());
		return;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			collect(x, found);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			collect(x, found);
	}
}

/* Adds to out "attachments": hex -> whether the server holds it whole, for each attachment the record names, so
 * that the page shows those it can and says which have yet to come. */
static void attachments(struct sstore *s, json_t *out)
{
	json_t *found = json_object(), *x;
	struct sstore_media m;
	const char *k;

	collect(out, found);
	json_object_foreach(found, k, x)
		if (sstore_media_get(s, k, &m, NULL, 0) == 1 && m.held == m.size)
			json_object_set_new(found, k, json_true());
	json_object_set_new(out, "attachments", found);
}

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
	attachments(s, out);
	http_reply_json(rs, 200, out);
}
