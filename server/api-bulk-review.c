/* api-bulk-review.c - POST /v1/bulk-review {filter, status, comment}: one review for every record a selection
 * holds, thousands at once, in one transaction (docs/review-api.md). */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

#define BULK_MAX 100000
#define AUDIT_COMMENT_MAX 900   /* bytes of the comment the audit log keeps */

struct ids {
	char (*id)[UUID_STRLEN + 1];
	size_t n;
	int over;
};

static int take_id(void *ctx, const struct sstore_record *r)
{
	struct ids *c = ctx;

	if (c->n == BULK_MAX) {
		c->over = 1;
		return 1;
	}
	memcpy(c->id[c->n++], r->id, sizeof(c->id[0]));
	return 0;
}

int srv_bulk_review_read(json_t *body, struct sstore_filter *f, char **value, const char **code, char *err,
			 size_t errlen)
{
	json_t *filter = json_object_get(body, "filter"), *v;
	const char *status = json_string_value(json_object_get(body, "status"));
	const char *comment = json_object_get(body, "comment") ? json_string_value(json_object_get(body, "comment")) : "";
	const char *key;
	int r;

	*value = NULL;
	*code = "bad_request";
	memset(f, 0, sizeof(*f));
	if (!json_is_object(filter) || !status || !comment)
		return errf(err, errlen, _("give filter as an object, status as a string, comment as a string"));
	if (srv_review_value(status, comment, value, err, errlen) < 0)
		return -1;
	*code = "bad_filter";
	json_object_foreach(filter, key, v) {
		if (!json_is_string(v))
			r = errf(err, errlen, _("filter '%.64s': the value must be a string"), key);
		else if ((r = sstore_filter_set(f, key, json_string_value(v), err, errlen)) > 0)
			r = errf(err, errlen, _("filter '%.64s' is not a filter"), key);
		if (r != 0) {
			free(*value);
			*value = NULL;
			return -1;
		}
	}
	return 0;
}

void api_bulk_review(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_page p = { .sort = SORT_CREATED };
	struct ids ids = { NULL, 0, 0 };
	struct sstore_change *changes = NULL;
	struct sstore_session sess;
	struct sstore_filter f;
	const char *code, *status, *comment;
	char err[512], *value = NULL;
	json_t *body, *audit;
	size_t i, cut;

	if (!s || srv_session(rq, rs, s, ROLE_REVIEWER, 0, &sess, NULL) < 0 || !(body = http_json_body(rq, rs)))
		return;
	if (srv_bulk_review_read(body, &f, &value, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	if (sstore_filter_resolve(s, &f, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, "bad_filter", "%s", err);
		goto out;
	}
	if (!(ids.id = malloc(BULK_MAX * sizeof(ids.id[0])))) {
		http_reply_error(rs, 503, "unavailable", _("out of memory"));
		goto out;
	}
	if (sstore_select(s, &f, &p, take_id, &ids, NULL, err, sizeof(err)) < 0) {
		srv_store_error(rs, err);
		goto out;
	}
	if (ids.over) {
		http_reply_error(rs, 400, "too_many", _("the selection holds more than %d records: narrow it"), BULK_MAX);
		goto out;
	}
	if (ids.n && !(changes = calloc(ids.n, sizeof(*changes)))) {
		http_reply_error(rs, 503, "unavailable", _("out of memory"));
		goto out;
	}
	for (i = 0; i < ids.n; i++) {
		changes[i].record = ids.id[i];
		changes[i].field = "_review";
		changes[i].value = value;
	}
	if (sstore_change(s, sess.user, changes, ids.n, err, sizeof(err)) < 0) {
		srv_store_error(rs, err);
		goto out;
	}
	/* Read by srv_bulk_review_read above, which checked them. */
	status = json_string_value(json_object_get(body, "status"));
	comment = json_object_get(body, "comment") ? json_string_value(json_object_get(body, "comment")) : "";
	cut = utf8_cut(comment, strlen(comment), AUDIT_COMMENT_MAX);
	audit = json_pack("{s:I, s:s, s:s, s:s#}", "records", (json_int_t)ids.n, "form", f.form, "status", status,
			  "comment", comment, (int)cut);
	if (comment[cut])
		json_object_set_new(audit, "cut", json_true());
	sstore_audit_json(s, sess.user, rq->ip, "bulk_review", f.form, audit, NULL, 0);
	http_reply_json(rs, 200, json_pack("{s:I}", "count", (json_int_t)ids.n));
out:
	free(changes);
	free(ids.id);
	free(value);
	json_decref(body);
}
