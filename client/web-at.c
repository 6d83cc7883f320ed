/* web-at.c - POST /api/at {"id": ID, "at": QUESTION or "repeat:" REPEAT}: where the person is in a record, kept so that a draft
 * reopens there (web_view's "at"), after the tab was closed or the laptop restarted. */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "web.h"
#include "banned.h"

void web_at(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *body = web_body(rq, rs);
	const char *at;
	struct web_target t;
	char key[UUID_STRLEN + 16], err[512];

	if (!body)
		return;
	if (web_target(rq, rs, json_string_value(json_object_get(body, "id")), NULL, NULL, NULL, &t) < 0) {
		json_decref(body);
		return;
	}
	at = json_string_value(json_object_get(body, "at"));
	if (!at || !(form_find(t.f, at) || (!strncmp(at, "repeat:", 7) && form_repeat_find(t.f, at + 7)))) {
		http_reply_error(rs, 400, "bad_question", _("'%.60s' is not a question of this form"), at ? at : "");
	} else {
		snprintf(key, sizeof(key), "web_at:%s", t.rec.id);
		if (store_begin(w->s, err, sizeof(err)) < 0 || store_meta_set(w->s, key, at, err, sizeof(err)) < 0 ||
		    store_commit(w->s, err, sizeof(err)) < 0) {
			store_rollback(w->s);
			web_fail(rs, err);
		} else {
			web_reply(rs, 200, json_pack("{s:b}", "ok", 1));
		}
	}
	json_decref(body);
	web_target_free(&t);
}
