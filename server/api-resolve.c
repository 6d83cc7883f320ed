/* api-resolve.c - POST /v1/resolve {record, field, value}: headquarters sets an answer, settling a conflict (the
 * op's base is every head of the field) or correcting it; checked against the record's form version like any
 * answer, signed by the server's key, naming the reviewer (docs/review-api.md). A review is POST /v1/review's. */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "i18n.h"
#include "sstore-media.h"
#include "jsonc.h"
#include "srv.h"
#include "util.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "banned.h"

#define AUDIT_VALUE_MAX 400   /* bytes of an answer's JSON the audit log keeps */

/* The field as GET /v1/record shows it, or null. */
static json_t *field_of(struct sstore *s, const char *record, const char *field)
{
	unsigned status;
	char err[512];
	json_t *rec = sstore_record_json(s, record, &status, err, sizeof(err)), *fields, *out = NULL;
	size_t i;

	fields = json_object_get(rec, "fields");
	for (i = 0; i < json_array_size(fields); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(fields, i), "name")), field))
			out = json_incref(json_array_get(fields, i));
	json_decref(rec);
	return out ? out : json_null();
}

int srv_resolve_read(json_t *body, struct srv_resolve_req *r, const char **code, char *err, size_t errlen)
{
	r->record = json_string_value(json_object_get(body, "record"));
	r->field = json_string_value(json_object_get(body, "field"));
	r->value = json_object_get(body, "value");
	*code = "bad_request";
	if (!r->record || !r->field || !r->value)
		return errf(err, errlen, _("give record and field as strings, and value (null clears)"));
	/* A review has one way in, whose checks and audit are a review's; its base is every head too, so it
	 * settles a review in conflict. */
	if (!strcmp(r->field, "_review")) {
		*code = "use_review";
		return errf(err, errlen, _("a review is set with POST /v1/review (status and comment), which also settles a"
			    " review in conflict"));
	}
	return 0;
}

void api_resolve(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	char err[512], msg[512], full[UUID_STRLEN + 1], form_id[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1];
	const struct form_question *q;
	struct sstore_session sess;
	struct sstore_change c;
	struct sstore_media m;
	struct form *form = NULL;
	json_t *body, *value, *coerced = NULL, *answers = NULL, *audit;
	struct srv_resolve_req r;
	const char *id, *field, *code;
	char *canon = NULL;
	int found, rc;

	if (!s || srv_session(rq, rs, s, ROLE_REVIEWER, 0, &sess, NULL) < 0 || !(body = http_json_body(rq, rs)))
		return;
	if (srv_resolve_read(body, &r, &code, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, code, "%s", err);
		goto out;
	}
	id = r.record;
	field = r.field;
	value = r.value;
	if ((found = sstore_record_find(s, id, full, form_id, version, sizeof(form_id), err, sizeof(err))) <= 0) {
		if (found < 0)
			srv_store_error(rs, err);
		else
			http_reply_error(rs, 404, "no_record", "%s", err);
		goto out;
	}
	if (!(form = sstore_form_get(s, form_id, version, err, sizeof(err)))) {
		srv_store_error(rs, err);
		goto out;
	}
	if (!(q = form_find(form, field)) || q->type == FT_NOTE) {
		http_reply_error(rs, 400, "bad_request", _("form '%s' version '%s' has no question '%.64s' to answer"),
				 form_id, version, field);
		goto out;
	}
	if (!json_is_null(value) && (rc = form_coerce_answer(form, q, value, &coerced, msg, sizeof(msg))) < 0) {
		if (rc == ERR_OOM)
			http_reply_error(rs, 503, "unavailable", _("out of memory"));
		else
			http_reply_error(rs, 400, "bad_value", "%s: %s", field, msg);
		goto out;
	}
	/* A file is what some laptop gave: an answer may name only one an op held here names (the values in conflict),
	 * never one nobody has. */
	if (coerced && form_is_media(q->type) &&
	    sstore_media_get(s, json_string_value(json_object_get(coerced, "blake2b")), &m, err, sizeof(err)) != 1) {
		http_reply_error(rs, 400, "bad_value", _("%s: no laptop gave the file this answer names"), field);
		goto out;
	}
	/* The same rules as on a device: required and constraint, given the record's other answers. */
	if (!(answers = sstore_record_answers(s, full, err, sizeof(err)))) {
		srv_store_error(rs, err);
		goto out;
	}
	if (coerced)
		json_object_set(answers, field, coerced);
	else
		json_object_del(answers, field);
	if ((rc = form_check_answer(form, q, coerced, answers, i18n_lang(), msg, sizeof(msg))) < 0) {
		if (rc == ERR_OOM)
			http_reply_error(rs, 503, "unavailable", _("out of memory"));
		else
			http_reply_error(rs, 400, "bad_value", "%s: %s", field, msg);
		goto out;
	}
	if (!(canon = coerced ? jsonc_dumps(coerced) : strdup("null"))) {
		http_reply_error(rs, 503, "unavailable", _("out of memory"));
		goto out;
	}
	c.record = full;
	c.field = field;
	c.value = canon;
	if (sstore_change(s, sess.user, &c, 1, err, sizeof(err)) < 0) {
		srv_store_error(rs, err);
		goto out;
	}
	/* The answer as it is, unless its JSON is longer than the log keeps: then the start of that text, said cut. */
	if (strlen(canon) <= AUDIT_VALUE_MAX)
		audit = json_pack("{s:s, s:O}", "field", field, "value", coerced ? coerced : json_null());
	else
		audit = json_pack("{s:s, s:s#, s:b}", "field", field, "value", canon,
				  (int)utf8_cut(canon, strlen(canon), AUDIT_VALUE_MAX), "cut", 1);
	sstore_audit_json(s, sess.user, rq->ip, "resolve", full, audit, NULL, 0);
	http_reply_json(rs, 200, field_of(s, full, field));
out:
	free(canon);
	json_decref(coerced);
	json_decref(answers);
	json_decref(body);
	form_free(form);
}
