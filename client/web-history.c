/* web-history.c - GET /api/history?id=ID: a record's changes, oldest first, as the page lists them: who (this
 * laptop, another device, a reviewer at a server), when, the question, the new value and the values it replaced,
 * all as people read them.
 *
 *   {"history": [{"when" (ms), "device", "mine", "by", "field", "label", "text", "old": [texts]}]}
 *
 * A draft has none: its answers have not become changes yet. */
#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

struct listing {
	struct store *s;
	const struct form *f;
	const char *lang;
	json_t *list;
};

/* A value (JSON text) of field as people read it: a question's answer (its choices by label), a review, a flag. */
static char *value_text(const struct listing *l, const char *field, const char *json)
{
	const struct form_question *q = form_find(l->f, field);

	if (!strcmp(field, "_review"))
		return cli_review_text(json);
	return q ? web_answer_text(l->f, q, json, l->lang) : cli_value_text(json);
}

static int add_op(void *ctx, const struct store_history_op *h)
{
	struct listing *l = ctx;
	const struct form_question *q = form_find(l->f, h->field);
	json_t *olds = json_loads(h->old ? h->old : "[]", 0, NULL), *oldt = json_array(), *v;
	const char *label = q ? form_text(l->f, q->label, l->lang) : NULL;
	char *t = value_text(l, h->field, h->value);
	size_t i;

	json_array_foreach(olds, i, v) {
		char *vt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT), *ot = vt ? value_text(l, h->field, vt) : NULL;

		json_array_append_new(oldt, json_string(ot ? ot : ""));
		free(ot);
		free(vt);
	}
	json_array_append_new(l->list, json_pack("{s:I, s:s, s:b, s:s?, s:s, s:s?, s:s, s:o}", "when",
						 (json_int_t)HLC_MS(h->hlc), "device", h->device, "mine",
						 !strcmp(h->device, store_device(l->s)), "by", h->by, "field", h->field,
						 "label", label, "text", t ? t : "", "old", oldt));
	free(t);
	json_decref(olds);
	return 0;
}

void web_history(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	struct web_target t;
	struct listing l;
	char err[512];

	if (web_target(rq, rs, http_query(rq, "id"), NULL, NULL, NULL, &t) < 0)
		return;
	l = (struct listing){ w->s, t.f, web_lang(rq), json_array() };
	if (store_history(w->s, &t.rec, add_op, &l, err, sizeof(err)) < 0) {
		json_decref(l.list);
		web_fail(rs, err);
	} else {
		web_reply(rs, 200, json_pack("{s:o}", "history", l.list));
	}
	web_target_free(&t);
}
