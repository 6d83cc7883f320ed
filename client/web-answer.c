/* web-answer.c - POST /api/answer: one answer, checked and saved at once with everything it implies (fill.h), as
 * at the terminal; the answer is the record's view as it now is (web_view).
 *
 *   {"id": ID | "form": FORM | "parent": ID, "repeat": R,      the record, as GET /api/record names it
 *    "question": NAME, "text": "as typed" | "value": JSON,     the answer (neither, or null: clear it)
 *    "check": true}                                            only say whether it would be taken
 *
 * A new record is made by its first answer, in the same transaction. On a final record each answer is a change (an
 * op) at once, as at the terminal's prompt: an answer that makes a required question relevant leaves the record
 * missing it, which the view says (and the page's summary lists), until it is answered. An answer that cannot be taken (not of the
 * question's type, a constraint broken, a required answer cleared, a question not asked now) is refused with 422
 * {"error": "invalid", "question": NAME, "message": the form's own words}, and nothing is saved. */
#include <string.h>

#include "fill.h"
#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

/* The answer the request gives for q into *v (NULL: none), or -1 with why not in msg. */
static int read_answer(const struct form *f, const struct form_question *q, const json_t *body, json_t **v,
		       char *msg, size_t n)
{
	const json_t *text = json_object_get(body, "text"), *value = json_object_get(body, "value");

	*v = NULL;
	if (text && !json_is_null(text)) {
		if (!json_is_string(text))
			return errf(msg, n, "%s", _("text must be a string"));
		/* As typed by a person: a choice may be named by its label, as at the terminal. */
		return form_parse_answer(f, q, json_string_value(text), FORM_PARSE_LABELS, v, msg, n);
	}
	if (value && !json_is_null(value))
		return form_coerce_answer(f, q, value, v, msg, n);
	return 0;
}

/* An attachment's answer names a file this laptop has (POST /api/media keeps it): the page cannot name another. */
static int media_here(struct store *s, const struct form_question *q, const json_t *v, char *msg, size_t n)
{
	char path[4096];

	if (!form_is_media(q->type) || !v ||
	    store_media_path(s, json_string_value(json_object_get(v, "blake2b")), path, sizeof path) == 1)
		return 0;
	return errf(msg, n, "%s", _("the file it names is not on this laptop"));
}

static void refuse(struct http_response *rs, const struct form_question *q, const char *msg)
{
	web_reply(rs, 422, json_pack("{s:s, s:s, s:s}", "error", "invalid", "question", q->name, "message", msg));
}

void web_answer(struct http_request *rq, struct http_response *rs)
{
	json_t *body = web_body(rq, rs);

	if (body)
		web_answer_save(rq, rs, body, NULL, NULL);
	json_decref(body);
}

void web_answer_save(struct http_request *rq, struct http_response *rs, const json_t *body,
		     int (*given)(void *ctx, const struct form_question *q, struct fill *fl, json_t **v, char *err,
				  size_t errlen), void *ctx)
{
	struct web *w = rq->app;
	struct web_session *ss = web_session(rq);
	json_t *v = NULL, *view;
	const char *qname, *lang = web_lang(rq);
	const struct form_question *q;
	struct web_target t;
	struct fill fl = { 0 };
	char err[512];
	int rel;

	if (web_target(rq, rs, json_string_value(json_object_get(body, "id")),
		       json_string_value(json_object_get(body, "form")), json_string_value(json_object_get(body, "parent")),
		       json_string_value(json_object_get(body, "repeat")), &t) < 0)
		return;
	if (web_fill(rq, &t, &fl, err, sizeof(err)) < 0) {
		web_fail(rs, err);
		goto out;
	}
	qname = json_string_value(json_object_get(body, "question"));
	q = qname ? form_find(t.f, qname) : NULL;
	if (!q || form_repeat_of(q) != fl.scope || q->type == FT_NOTE || q->automatic || q->readonly) {
		http_reply_error(rs, 400, "bad_question", _("'%.60s' is not a question to answer here"), qname ? qname : "");
		goto out;
	}
	if ((rel = form_relevant(t.f, q, fl.answers, err, sizeof(err))) != 1) {
		refuse(rs, q, rel < 0 ? err : _("this question is not asked, given the answers before it"));
		goto out;
	}
	if ((given ? given(ctx, q, &fl, &v, err, sizeof(err)) : read_answer(t.f, q, body, &v, err, sizeof(err))) < 0 ||
	    media_here(w->s, q, v, err, sizeof(err)) < 0 ||
	    form_check_answer(t.f, q, v, fl.answers, lang, err, sizeof(err)) < 0) {
		refuse(rs, q, err);
		goto out;
	}
	if (json_is_true(json_object_get(body, "check"))) {
		web_reply(rs, 200, json_pack("{s:b}", "ok", 1));
		goto out;
	}
	if (fill_save(&fl, q, v, 0, err, sizeof(err)) < 0) {
		web_fail(rs, err);
		goto out;
	}
	/* A phone may open what it made, and only that. */
	if (!t.exists && ss->role == WEB_PHONE)
		web_session_owns(ss, t.rec.id);
	/* The record as it now is: its conflicts settled by this answer, or its id when it was just made. */
	if (store_find(w->s, t.rec.id, &t.rec, err, sizeof(err)) < 0 ||
	    !(view = web_view(w->s, t.f, &t.rec, NULL, NULL, lang, err, sizeof(err)))) {
		web_fail(rs, err);
		goto out;
	}
	web_reply(rs, 200, view);
out:
	json_decref(v);
	json_decref(fl.answers);
	web_target_free(&t);
}
