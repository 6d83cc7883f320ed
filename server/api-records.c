/* api-records.c - GET /v1/records?FILTERS&sort&dir&page&per_page&columns: one page of the records table
 * (docs/review-api.md). */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

struct page_ctx {
	json_t *list;
	const char *const *columns;
	size_t ncolumns;
};

static int add_record(void *ctx, const struct sstore_record *r)
{
	struct page_ctx *c = ctx;
	json_t *answers = json_object();
	size_t i;

	for (i = 0; i < c->ncolumns; i++) {
		json_t *v = json_object_get(r->answers, c->columns[i]);

		if (v)
			json_object_set(answers, c->columns[i], v);
	}
	json_array_append_new(c->list, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:i, s:b, s:o}", "id",
						 r->id, "region", r->region, "version", r->version, "created",
						 (json_int_t)r->created_ms, "updated", (json_int_t)r->updated_ms, "review",
						 r->review, "review_conflict", r->review_conflict, "conflicts",
						 r->conflicts, "deleted", r->deleted, "answers", answers));
	return 0;
}

int srv_page_read(const struct form *form, const char *sort, const char *dir, const char *page, const char *per_page,
		  struct sstore_page *p, char *err, size_t errlen)
{
	long long pg = http_number(page, 1, 1, 1000000000L), per = http_number(per_page, SRV_PER_PAGE, 1,
									     SRV_PER_PAGE_MAX);

	memset(p, 0, sizeof(*p));
	if (pg < 0 || per < 0)
		return errf(err, errlen, _("page is a whole number from 1, per_page from 1 to %d"), SRV_PER_PAGE_MAX);
	if (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
		return errf(err, errlen, _("dir is asc or desc"));
	if (!sort || !*sort || !strcmp(sort, "updated")) {
		p->sort = SORT_UPDATED;
	} else if (!strcmp(sort, "created")) {
		p->sort = SORT_CREATED;
	} else if (!strcmp(sort, "region")) {
		p->sort = SORT_REGION;
	} else if (!strcmp(sort, "review")) {
		p->sort = SORT_REVIEW;
	} else if (form_find(form, sort) && strlen(sort) < sizeof(p->question)) {
		p->sort = SORT_QUESTION;
		strlcpy_s(p->question, sort, sizeof(p->question));
		p->numeric = form_find(form, sort)->type == FT_INTEGER || form_find(form, sort)->type == FT_DECIMAL;
	} else {
		return errf(err, errlen, _("sort '%.64s' is not updated, created, region, review or a question of form"
			    " '%s'"), sort, form_id(form));
	}
	/* Newest first unless asked otherwise, for dates; A to Z for the rest. */
	p->desc = dir ? !strcmp(dir, "desc") : p->sort == SORT_UPDATED || p->sort == SORT_CREATED;
	p->offset = (uint64_t)(pg - 1) * (uint64_t)per;
	p->limit = (unsigned)per;
	return 0;
}

int srv_columns_read(const struct form *form, char *cols, const char **columns, size_t *n, char *err, size_t errlen)
{
	char *tok, *save = NULL;
	size_t i;

	*n = 0;
	if (!cols || !*cols) {
		for (i = 0; i < form_count(form) && *n < 4; i++)
			if (form_question(form, i)->type != FT_NOTE)
				columns[(*n)++] = form_question(form, i)->name;
		return 0;
	}
	for (tok = strtok_r(cols, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!form_find(form, tok) || *n == SRV_MAX_COLUMNS)
			return errf(err, errlen, _("columns: '%.64s' is not a question of form '%s'"), tok, form_id(form));
		columns[(*n)++] = tok;
	}
	return 0;
}

void api_records(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	const char *cols = http_query(rq, "columns");
	const char *columns[SRV_MAX_COLUMNS];
	struct sstore_page p;
	struct page_ctx c = { NULL, columns, 0 };
	struct sstore_session sess;
	struct sstore_filter f;
	struct form *form = NULL;
	char err[512], *colbuf = NULL;
	uint64_t total = 0;
	json_t *names;
	size_t i;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 0, &sess, NULL) < 0 || srv_filter(rq, rs, s, &f) < 0)
		return;
	/* The page's numbers and direction are refused before the store is asked for the form. */
	if (srv_page_read(NULL, NULL, http_query(rq, "dir"), http_query(rq, "page"), http_query(rq, "per_page"), &p,
			  err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, "bad_request", "%s", err);
		return;
	}
	if (!(form = sstore_form_get(s, f.form, NULL, err, sizeof(err)))) {
		srv_store_error(rs, err);
		return;
	}
	if (srv_page_read(form, http_query(rq, "sort"), http_query(rq, "dir"), http_query(rq, "page"),
			  http_query(rq, "per_page"), &p, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	if (cols && *cols && !(colbuf = strdup(cols))) {
		http_reply_error(rs, 503, "unavailable", _("out of memory"));
		goto out;
	}
	if (srv_columns_read(form, colbuf, columns, &c.ncolumns, err, sizeof(err)) < 0) {
		http_reply_error(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	c.list = json_array();
	if (sstore_select(s, &f, &p, add_record, &c, &total, err, sizeof(err)) < 0) {
		json_decref(c.list);
		srv_store_error(rs, err);
		goto out;
	}
	names = json_array();
	for (i = 0; i < c.ncolumns; i++)
		json_array_append_new(names, json_string(columns[i]));
	http_reply_json(rs, 200, json_pack("{s:s, s:s, s:I, s:i, s:i, s:o, s:o}", "form", f.form, "date", f.date,
					   "total", (json_int_t)total, "page", (int)(p.offset / p.limit + 1), "per_page",
					   (int)p.limit, "columns", names, "records", c.list));
out:
	free(colbuf);
	form_free(form);
}
