/* web-finalize.c - POST /api/finalize {"id": ID}: a draft becomes a final record, whose answers will sync.
 *
 * Only a draft with nothing missing and nothing invalid is finalized; otherwise 422 {"error": "incomplete",
 * "problems": [{"question", "message"}]} in form order, and it stays a draft. The answer is the record's view. */
#include <string.h>

#include "fill.h"
#include "i18n.h"
#include "web.h"
#include "banned.h"

static void add_problem(void *ctx, const char *question, const char *message)
{
	json_array_append_new(ctx, json_pack("{s:s?, s:s}", "question", question, "message", message));
}

void web_finalize(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *body = web_body(rq, rs), *problems, *view;
	const char *lang = web_lang(rq);
	struct web_target t;
	struct fill fl = { 0 };
	char err[512];

	if (!body)
		return;
	if (web_target(rq, rs, json_string_value(json_object_get(body, "id")), NULL, NULL, NULL, &t) < 0) {
		json_decref(body);
		return;
	}
	if (!(t.exists && t.rec.draft)) {
		http_reply_error(rs, 409, "not_draft", _("this record is final already"));
		goto out;
	}
	if (web_fill(rq, &t, &fl, err, sizeof(err)) < 0) {
		web_fail(rs, err);
		goto out;
	}
	problems = json_array();
	if (form_check(t.f, fl.answers, lang, add_problem, problems) > 0) {
		web_reply(rs, 422, json_pack("{s:s, s:o}", "error", "incomplete", "problems", problems));
		goto out;
	}
	json_decref(problems);
	if (fill_finalize(&fl, err, sizeof(err)) < 0 || store_find(w->s, t.rec.id, &t.rec, err, sizeof(err)) < 0 ||
	    !(view = web_view(w->s, t.f, &t.rec, NULL, NULL, lang, err, sizeof(err)))) {
		web_fail(rs, err);
		goto out;
	}
	web_reply(rs, 200, view);
out:
	json_decref(fl.answers);
	json_decref(body);
	web_target_free(&t);
}
