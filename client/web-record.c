/* web-record.c - GET /api/record: a record as the page fills it (web_view).
 *
 *   GET /api/record?id=ID                          a record or instance saved already
 *   GET /api/record?form=FORM                      a new record, not made until its first answer
 *   GET /api/record?parent=ID&repeat=R             a new instance of repeat R of the record ID
 * each with &lang=CODE for the form's texts in that language. */
#include "web.h"
#include "banned.h"

void web_record(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	struct web_target t;
	char err[512];
	json_t *v;

	if (web_target(rq, rs, http_query(rq, "id"), http_query(rq, "form"), http_query(rq, "parent"),
		       http_query(rq, "repeat"), &t) < 0)
		return;
	v = web_view(w->s, t.f, t.exists ? &t.rec : NULL, t.parent, t.repeat, web_lang(rq), err, sizeof(err));
	if (v)
		web_reply(rs, 200, v);
	else
		web_fail(rs, err);
	web_target_free(&t);
}
