/* web-home.c - GET /api/home: what the page's home shows, and the session's CSRF token the page sends back with
 * every change (web.h).
 *
 *   {"role": "lead", "share": phones may join, "device", "name", "csrf", "forms": [{"id", "version", "title", "records",
 *    "questions": [{"name", "label", "choices": [{"name", "label"}]}] (its select_one and select_multiple ones, for
 *    the filters)}], "counts": {"records", "drafts", "deleted", "conflicts"}, "sync": {"server": URL or null,
 *    "waiting": changes not yet sent, "last": when it last synced, ms, 0 for never}}
 *
 * A phone that joined the field hub gets {"role": "phone", "name": its own, "csrf", "forms"} only. */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

struct forms {
	struct store *s;
	const char *lang;
	json_t *list;
};

static json_t *select_questions(const struct form *f, const char *lang)
{
	json_t *qs = json_array();
	size_t i, k;

	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		json_t *choices;

		if ((q->type != FT_SELECT_ONE && q->type != FT_SELECT_MULTIPLE) || form_repeat_of(q))
			continue;
		choices = json_array();
		for (k = 0; k < q->nchoices; k++)
			json_array_append_new(choices, json_pack("{s:s, s:s}", "name", q->choices[k].name, "label",
								 form_text(f, q->choices[k].label, lang) ?
								 form_text(f, q->choices[k].label, lang) : q->choices[k].name));
		json_array_append_new(qs, json_pack("{s:s, s:s, s:o}", "name", q->name, "label",
						    q->label && form_text(f, q->label, lang) ? form_text(f, q->label, lang) :
						    q->name, "choices", choices));
	}
	return qs;
}

static void add_form(void *ctx, const char *id, const char *version, const char *json, uint64_t records)
{
	struct forms *fs = ctx;
	struct form *f = form_load(json, strlen(json), NULL, 0);

	if (!f)
		return;
	json_array_append_new(fs->list, json_pack("{s:s, s:s, s:s, s:I, s:o}", "id", id, "version", version, "title",
						  form_title(f, fs->lang), "records", (json_int_t)records, "questions",
						  select_questions(f, fs->lang)));
	form_free(f);
}

void web_home(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	struct web_session *ss = web_session(rq);
	struct forms fs = { w->s, web_lang(rq), json_array() };
	struct store_counts n;
	char err[512], server[512], synced[32];
	uint64_t waiting;

	if (ss->role == WEB_PHONE) {
		/* A phone fills forms: it is told nothing of the laptop's records or its server. */
		if (store_form_list(w->s, add_form, &fs, err, sizeof(err)) < 0) {
			json_decref(fs.list);
			web_fail(rs, err);
			return;
		}
		web_reply(rs, 200, json_pack("{s:s, s:s, s:s, s:o}", "role", "phone", "name", ss->name, "csrf", ss->csrf,
					     "forms", fs.list));
		return;
	}
	if (store_form_list(w->s, add_form, &fs, err, sizeof(err)) < 0 || store_counts(w->s, &n, err, sizeof(err)) < 0 ||
	    store_ops_unsent(w->s, &waiting, err, sizeof(err)) < 0) {
		json_decref(fs.list);
		web_fail(rs, err);
		return;
	}
	web_reply(rs, 200, json_pack("{s:s, s:b, s:s, s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:s?, s:I, s:I}}",
				     "role", "lead", "share", w->share, "device",
				     store_device(w->s), "name", store_name(w->s), "csrf", ss->csrf, "forms",
				     fs.list, "counts", "records", (json_int_t)n.records, "drafts", (json_int_t)n.drafts,
				     "deleted", (json_int_t)n.deleted, "conflicts", (json_int_t)n.conflicts, "sync",
				     "server", store_meta_get(w->s, "server_url", server, sizeof(server)) == 0 ? server : NULL,
				     "waiting", (json_int_t)waiting, "last",
				     store_meta_get(w->s, "synced_at", synced, sizeof(synced)) == 0 ?
				     (json_int_t)strtoull(synced, NULL, 10) : (json_int_t)0));
}
