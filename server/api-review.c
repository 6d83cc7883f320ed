/* api-review.c - POST /v1/review {record, status, comment}: a reviewer's decision on one record, written as an
 * op on _review signed by the server's key and naming the reviewer (docs/review-api.md). */
#include <string.h>

#include "i18n.h"
#include "jsonc.h"
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

int srv_review_value(const char *status, const char *comment, char **value, char *err, size_t errlen)
{
	json_t *v;

	*value = NULL;
	if (sstore_review_check(status, comment, err, errlen) < 0)
		return -1;
	v = json_pack("{s:s, s:s}", "status", status, "comment", comment);
	*value = v ? jsonc_dumps(v) : NULL;
	json_decref(v);
	return *value ? 0 : errf(err, errlen, _("out of memory"));
}

int srv_review_read(json_t *body, struct srv_review_req *r, const char **code, char *err, size_t errlen)
{
	r->record = json_string_value(json_object_get(body, "record"));
	r->status = json_string_value(json_object_get(body, "status"));
	r->comment = json_object_get(body, "comment") ? json_string_value(json_object_get(body, "comment")) : "";
	r->value = NULL;
	*code = "bad_request";
	if (!r->record || !r->status || !r->comment)
		return errf(err, errlen, _("give record and status as strings, and comment as a string"));
	return srv_review_value(r->status, r->comment, &r->value, err, errlen);
}

void api_review(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct srv_review_req r = { NULL, NULL, NULL, NULL };
	struct sstore_session sess;
	struct sstore_change c;
	char err[512], full[UUID_STRLEN + 1], *value = NULL;
	const char *id, *status, *comment, *code;
	json_t *body;
	int found;

	if (!s || srv_session(rq, rs, s, ROLE_REVIEWER, 0, &sess, NULL) < 0 || !(body = http_json_body(rq, rs)))
		return;
	if (srv_review_read(body, &r, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	id = r.record;
	status = r.status;
	comment = r.comment;
	value = r.value;
	if ((found = sstore_record_find(s, id, full, NULL, NULL, 0, err, sizeof(err))) <= 0) {
		if (found < 0)
			srv_store_error(rs, err);
		else
			http_reply_error(rs, 404, "no_record", "%s", err);
		goto out;
	}
	c.record = full;
	c.field = "_review";
	c.value = value;
	if (sstore_change(s, sess.user, &c, 1, err, sizeof(err)) < 0) {
		srv_store_error(rs, err);
		goto out;
	}
	/* The review's own fields, whole: a comment has at most SSTORE_MAX_COMMENT characters. */
	sstore_audit_json(s, sess.user, rq->ip, "review", full, json_pack("{s:s, s:s}", "status", status, "comment",
									    comment), NULL, 0);
	http_reply_json(rs, 200, json_pack("{s:s, s:s, s:s, s:s, s:I}", "record", full, "status", status, "comment",
					   comment, "by", sess.user, "at", (json_int_t)now_ms()));
out:
	free(value);
	json_decref(body);
}
