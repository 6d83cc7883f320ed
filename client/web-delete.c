/* web-delete.c - POST /api/delete {"id"} and POST /api/undelete {"id"}: a record deleted with its repeats' instances,
 * and the undo the page offers until the next sync.
 *
 * A final record is deleted as at the terminal (store_delete_tree: a `_deleted` op on it and on each instance), and
 * undone by `_deleted` ops back to false on exactly those records. A draft never left the laptop and is removed
 * outright, as at the terminal; its answers (and its instances') are kept here, in memory, so that undo makes it
 * again under its own id (store_draft_restore). What can be undone is kept until the next sync or
 * until sondeo web stops (web_trash_clear), the last WEB_MAX_TRASH deletions: the page says so. Both answer
 * {"id", "records": how many were deleted or restored}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill.h"
#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

/* What deleting rec removes, appended to list in the order store_delete_tree deletes it (the instances first): each
 * record as {"id", "draft": false} or, since a draft is removed outright, {"id", "draft": true, "form", "version",
 * "answers"}. 0, or -1 with err. */
static int tree_of(struct store *s, const struct store_record *rec, json_t *list, char *err, size_t errlen);

struct kids {
	struct store *s;
	json_t *list;
	int failed;
	char *err;
	size_t errlen;
};

static int add_kid(void *ctx, const char *id, const char *repeat)
{
	struct kids *k = ctx;
	struct store_record r;

	(void)repeat;
	if (store_find(k->s, id, &r, k->err, k->errlen) < 0 || tree_of(k->s, &r, k->list, k->err, k->errlen) < 0) {
		k->failed = 1;
		return 1;
	}
	return 0;
}

static int tree_of(struct store *s, const struct store_record *rec, json_t *list, char *err, size_t errlen)
{
	struct kids k = { s, list, 0, err, errlen };
	json_t *answers;

	if (store_instances(s, rec->id, add_kid, &k, err, errlen) < 0 || k.failed)
		return -1;
	if (!rec->draft)
		return json_array_append_new(list, json_pack("{s:s, s:b}", "id", rec->id, "draft", 0));
	if (!(answers = store_answers(s, rec->id, err, errlen)))
		return -1;
	return json_array_append_new(list, json_pack("{s:s, s:b, s:s, s:s, s:o}", "id", rec->id, "draft", 1, "form",
						     rec->form, "version", rec->form_version, "answers", answers));
}

/* What record parent works out from its instances (sum(), count()...) follows one deleted or brought back. The
 * deletion stands either way: a record not worked out now is at its next change. */
static void resettle(struct http_request *rq, const char *parent)
{
	struct web *w = rq->app;
	struct web_session *ss = web_session(rq);
	struct form_env env = { store_device(w->s), ss && ss->role == WEB_PHONE ? ss->name : store_name(w->s),
				store_now(w->s), web_lang(rq) };
	char err[512];

	if (parent)
		fill_resettle_id(w->s, parent, &env, err, sizeof(err));
}

void web_trash_clear(struct web *w)
{
	size_t i;

	for (i = 0; i < WEB_MAX_TRASH; i++) {
		json_decref(w->trash[i].tree);
		memset(&w->trash[i], 0, sizeof(w->trash[i]));
	}
}

void web_delete(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *body = web_body(rq, rs), *tree = NULL;
	struct web_target t;
	struct web_trash *slot;
	char err[512], *parent;
	size_t n = 0, i;

	if (!body)
		return;
	if (web_target(rq, rs, json_string_value(json_object_get(body, "id")), NULL, NULL, NULL, &t) < 0) {
		json_decref(body);
		return;
	}
	parent = fill_parent_of(w->s, t.rec.id);
	tree = json_array();
	if (tree_of(w->s, &t.rec, tree, err, sizeof(err)) < 0 || store_begin(w->s, err, sizeof(err)) < 0) {
		web_fail(rs, err);
		goto out;
	}
	if (store_delete_tree(w->s, &t.rec, &n, err, sizeof(err)) < 0 || store_commit(w->s, err, sizeof(err)) < 0) {
		store_rollback(w->s);
		web_fail(rs, err);
		goto out;
	}
	/* The oldest deletion makes room for this one. */
	slot = &w->trash[0];
	for (i = 0; i < WEB_MAX_TRASH; i++) {
		if (!w->trash[i].tree) {
			slot = &w->trash[i];
			break;
		}
		if (w->trash[i].when < slot->when)
			slot = &w->trash[i];
	}
	json_decref(slot->tree);
	memcpy(slot->id, t.rec.id, sizeof(slot->id));
	slot->when = now_ms();
	slot->tree = tree;
	tree = NULL;
	resettle(rq, parent);
	web_reply(rs, 200, json_pack("{s:s, s:I}", "id", t.rec.id, "records", (json_int_t)n));
out:
	free(parent);
	json_decref(tree);
	json_decref(body);
	web_target_free(&t);
}

void web_undelete(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *body = web_body(rq, rs);
	const char *id = body ? json_string_value(json_object_get(body, "id")) : NULL;
	struct web_trash *slot = NULL;
	struct form *f = NULL;
	struct store_record r;
	char err[512];
	size_t n = 0, i;

	if (!body)
		return;
	for (i = 0; id && i < WEB_MAX_TRASH && !slot; i++)
		if (w->trash[i].tree && !strcmp(w->trash[i].id, id))
			slot = &w->trash[i];
	if (!slot) {
		http_reply_error(rs, 404, "no_undo", _("this deletion can no longer be undone (a sync or a restart came "
						       "since)"));
		goto out;
	}
	if (store_begin(w->s, err, sizeof(err)) < 0) {
		web_fail(rs, err);
		goto out;
	}
	/* The records back in the reverse order of their deletion: a record before its instances. */
	for (i = json_array_size(slot->tree); i-- > 0;) {
		const json_t *e = json_array_get(slot->tree, i);
		const char *eid = json_string_value(json_object_get(e, "id"));

		if (json_is_true(json_object_get(e, "draft"))) {
			const char *form = json_string_value(json_object_get(e, "form")),
				   *version = json_string_value(json_object_get(e, "version"));

			if (!f || strcmp(form_id(f), form) || strcmp(form_version(f), version)) {
				form_free(f);
				if (!(f = store_form_get(w->s, form, version, err, sizeof(err))))
					goto fail;
			}
			if (store_draft_restore(w->s, f, eid, json_object_get(e, "answers"), &r, err, sizeof(err)) < 0)
				goto fail;
		} else if (store_find(w->s, eid, &r, err, sizeof(err)) < 0 ||
			   store_set(w->s, &r, "_deleted", json_false(), err, sizeof(err)) < 0) {
			/* false, not null: every replica takes _deleted as true or false (server/sstore.c). */
			goto fail;
		}
		n++;
	}
	if (store_commit(w->s, err, sizeof(err)) < 0)
		goto fail;
	json_decref(slot->tree);
	memset(slot, 0, sizeof(*slot));
	{
		char *parent = fill_parent_of(w->s, id);

		resettle(rq, parent);
		free(parent);
	}
	web_reply(rs, 200, json_pack("{s:s, s:I}", "id", id, "records", (json_int_t)n));
	goto out;
fail:
	store_rollback(w->s);
	web_fail(rs, err);
out:
	form_free(f);
	json_decref(body);
}
