/* web-records.c - GET /api/records: the records on this laptop, as the page's home lists them.
 *
 *   ?form=ID  &q=TEXT (in any answer)  &state=draft|final|conflicts|deleted  &where=QUESTION=VALUE (repeatable: an
 *   answer, or one of its choices)  &sort=updated|created|title  &limit=N (default 200, at most 2000)
 *
 * answers {"records": [{"id", "form", "title", "draft", "deleted", "conflicts", "created", "updated"}], "more":
 * true when the limit cut the list}, times in ms since the epoch. Repeat instances are shown with their record. A
 * phone that joined the field hub gets the records it made. */
#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

struct listing {
	struct store *s;
	struct form *f;             /* the form of the last record, for titles */
	json_t *list;
	size_t limit;
	int more;
};

static int add_record(void *ctx, const struct store_record *rec)
{
	struct listing *l = ctx;
	const char *const *names;
	json_t *answers;
	char *title = NULL;

	if (json_array_size(l->list) == l->limit) {
		l->more = 1;
		return 1;
	}
	if (!l->f || strcmp(form_id(l->f), rec->form) || strcmp(form_version(l->f), rec->form_version)) {
		form_free(l->f);
		l->f = store_form_get(l->s, rec->form, rec->form_version, NULL, 0);
	}
	if (l->f && json_object_get(form_json(l->f), "instance_name")) {
		/* The form's instance_name may name any answer. */
		if ((answers = store_answers(l->s, rec->id, NULL, 0))) {
			title = form_record_title(l->f, answers);
			json_decref(answers);
		}
	} else if (l->f && form_title_fields(l->f, &names) > 0) {
		/* Else the title is the first title field's answer: that one field is read, not the whole record. */
		char *v = NULL;

		if (store_field_get(l->s, rec, names[0], &v, NULL, 0) == 1 && (answers = json_object())) {
			json_object_set_new(answers, names[0], json_loads(v, JSON_DECODE_ANY, NULL));
			title = form_record_title(l->f, answers);
			json_decref(answers);
		}
		free(v);
	}
	json_array_append_new(l->list, json_pack("{s:s, s:s, s:s?, s:b, s:b, s:i, s:I, s:I}", "id", rec->id, "form",
						 rec->form, "title", title, "draft", rec->draft, "deleted",
						 rec->deleted, "conflicts", rec->conflicts, "created",
						 (json_int_t)HLC_MS(rec->created), "updated",
						 (json_int_t)HLC_MS(rec->updated)));
	free(title);
	return 0;
}

struct wheres {
	struct store_filter *f;
	int bad;
};

static int add_where(void *ctx, const char *key, const char *value)
{
	struct wheres *w = ctx;
	const char *eq = strchr(value, '=');
	size_t n;

	if (strcmp(key, "where"))
		return 0;
	if (!eq || (n = (size_t)(eq - value)) == 0 || n > MERGE_MAX_NAME || w->f->nwhere == STORE_MAX_WHERE) {
		w->bad = 1;
		return 1;
	}
	memcpy(w->f->where[w->f->nwhere].question, value, n);
	w->f->where[w->f->nwhere].question[n] = '\0';
	w->f->where[w->f->nwhere++].value = eq + 1;
	return 0;
}

static int by_title(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "title"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "title"));

	return strcoll(x ? x : "", y ? y : "");
}

static int by_created(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "created"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "created"));

	return x < y ? 1 : x > y ? -1 : 0;
}

void web_records(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	const char *state = http_query(rq, "state"), *sort = http_query(rq, "sort");
	long long limit = http_query_number(rq, "limit", 200, 1, 2000);
	struct listing l = { w->s, NULL, json_array(), 0, 0 };
	struct store_filter f;
	struct wheres wh = { &f, 0 };
	char err[512];

	memset(&f, 0, sizeof(f));
	f.form = http_query(rq, "form");
	f.search = http_query(rq, "q");
	if (f.form && !*f.form)
		f.form = NULL;
	if (f.search && !*f.search)
		f.search = NULL;
	if (state && !strcmp(state, "draft"))
		f.drafts = 1;
	else if (state && !strcmp(state, "conflicts"))
		f.conflicts = 1;
	else if (state && !strcmp(state, "deleted"))
		f.deleted = 2;
	else if (state && !strcmp(state, "final"))
		f.finals = 1;
	else if (state && *state && strcmp(state, "all")) {
		http_reply_error(rs, 400, "bad_state", _("state must be draft, final, conflicts or deleted"));
		goto out;
	}
	http_query_each(rq, add_where, &wh);
	if (wh.bad || limit < 0 ||
	    (sort && *sort && strcmp(sort, "updated") && strcmp(sort, "created") && strcmp(sort, "title"))) {
		http_reply_error(rs, 400, "bad_request", _("where must be QUESTION=VALUE (at most %d), limit 1 to 2000, "
							   "sort updated, created or title"), STORE_MAX_WHERE);
		goto out;
	}
	l.limit = (size_t)limit;
	if (web_session(rq)->role == WEB_PHONE) {
		/* A phone's records are those it made, and no other. */
		const json_t *ids = web_session(rq)->records, *id;
		struct store_record rec;
		size_t i;

		json_array_foreach(ids, i, id)
			if (store_find(w->s, json_string_value(id), &rec, NULL, 0) == 0 && !rec.deleted)
				add_record(&l, &rec);
	} else if (store_select(w->s, &f, add_record, &l, err, sizeof(err)) < 0) {
		web_fail(rs, err);
		goto out;
	}
	if (sort && (!strcmp(sort, "title") || !strcmp(sort, "created"))) {
		size_t n = json_array_size(l.list), i;
		json_t **v = xcalloc(n ? n : 1, sizeof(*v));

		for (i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(l.list, i));
		qsort(v, n, sizeof(*v), !strcmp(sort, "title") ? by_title : by_created);
		json_array_clear(l.list);
		for (i = 0; i < n; i++)
			json_array_append_new(l.list, v[i]);
		free(v);
	}
	web_reply(rs, 200, json_pack("{s:O, s:b}", "records", l.list, "more", l.more));
out:
	json_decref(l.list);
	form_free(l.f);
}
