/* api-duplicates.c - GET /v1/duplicates?form=F lists possible duplicates; POST /v1/duplicates settles a group:
 * dismiss (the records are distinct) or confirm (every record but the one kept is rejected as its duplicate)
 * (docs/review-api.md). */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

int srv_duplicates_read(json_t *body, struct srv_duplicates_req *r, const char **code, char *err, size_t errlen)
{
	size_t n;

	r->records = json_object_get(body, "records");
	r->decision = json_string_value(json_object_get(body, "decision"));
	r->keep = json_string_value(json_object_get(body, "keep"));
	n = json_array_size(r->records);
	*code = "bad_request";
	if (n < 2 || n > SRV_GROUP_MAX || !r->decision || (strcmp(r->decision, "dismiss") && strcmp(r->decision, "confirm")) ||
	    (!strcmp(r->decision, "confirm") && !r->keep))
		return errf(err, errlen, _("give records (2 to %d ids), decision dismiss or confirm, and keep (an id) with"
			    " confirm"), SRV_GROUP_MAX);
	return 0;
}

void api_duplicates(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	struct sstore_filter f;
	char err[512];
	json_t *out;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 0, &sess, NULL) < 0 || srv_filter(rq, rs, s, &f) < 0)
		return;
	if (!(out = sstore_duplicates(s, f.form, err, sizeof(err)))) {
		srv_store_error(rs, err);
		return;
	}
	json_object_set_new(out, "form", json_string(f.form));
	http_reply_json(rs, 200, out);
}

void api_duplicates_decide(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	char err[512], keep_full[UUID_STRLEN + 1], comment[64], *value = NULL;
	char (*full)[UUID_STRLEN + 1] = NULL;
	const char **ids = NULL, *decision, *keep, *code;
	struct sstore_change *changes = NULL;
	struct srv_duplicates_req r;
	struct sstore_session sess;
	json_t *body, *records;
	size_t i, n, nchanges = 0;
	int found, kept = 0;

	if (!s || srv_session(rq, rs, s, ROLE_REVIEWER, 0, &sess, NULL) < 0 || !(body = http_json_body(rq, rs)))
		return;
	if (srv_duplicates_read(body, &r, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	records = r.records;
	decision = r.decision;
	keep = r.keep;
	n = json_array_size(records);
	full = calloc(n, sizeof(*full));
	ids = calloc(n, sizeof(*ids));
	changes = calloc(n, sizeof(*changes));
	if (!full || !ids || !changes) {
		http_reply_error(rs, 503, "unavailable", _("out of memory"));
		goto out;
	}
	keep_full[0] = '\0';
	if (keep && (found = sstore_record_find(s, keep, keep_full, NULL, NULL, 0, err, sizeof(err))) <= 0) {
		http_reply_error(rs, found < 0 ? 503 : 404, found < 0 ? "unavailable" : "no_record", "keep: %s", err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(records, i));

		if (!id || (found = sstore_record_find(s, id, full[i], NULL, NULL, 0, err, sizeof(err))) <= 0) {
			http_reply_error(rs, id && found < 0 ? 503 : 404, id && found < 0 ? "unavailable" : "no_record",
					 "records[%zu]: %s", i, id ? err : _("not a string"));
			goto out;
		}
		ids[i] = full[i];
		kept |= !strcmp(full[i], keep_full);
	}
	if (keep && !kept) {
		http_reply_error(rs, 400, "bad_request", _("keep must be one of the records"));
		goto out;
	}
	if (keep) {
		/* TRANSLATORS: the comment of the reviews that reject duplicates, as the reviewer would have typed it
		 * (in the reviewer's language): %s is the id of the record kept. The field worker reads it. */
		snprintf(comment, sizeof(comment), _("duplicate of %s"), keep_full);
		if (srv_review_value("rejected", comment, &value, err, sizeof(err)) < 0) {
			http_reply_error(rs, 503, "unavailable", "%s", err);
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (!strcmp(full[i], keep_full))
				continue;
			changes[nchanges].record = full[i];
			changes[nchanges].field = "_review";
			changes[nchanges++].value = value;
		}
	}
	/* The group is settled either way: it is not listed again unless a new record joins it. */
	if (sstore_change(s, sess.user, changes, nchanges, err, sizeof(err)) < 0 ||
	    sstore_duplicates_dismiss(s, ids, n, err, sizeof(err)) < 0) {
		srv_store_error(rs, err);
		goto out;
	}
	/* kept: the record kept, with confirm. */
	sstore_audit_json(s, sess.user, rq->ip, "duplicates", full[0],
			  json_pack("{s:s, s:I, s:s*}", "decision", decision, "records", (json_int_t)n, "kept",
				    keep ? keep_full : NULL), NULL, 0);
	http_reply_json(rs, 200, json_pack("{s:I}", "count", (json_int_t)(keep ? nchanges : n)));
out:
	free(value);
	free(full);
	free(ids);
	free(changes);
	json_decref(body);
}
