/* export-store.c - writes a selection of the server's records through the exporter (common/export.h): the one
 * loop that both `sondeod export` and GET /v1/export run (export-store.h). */
#include <string.h>

#include "export-store.h"
#include "sstore.h"
#include "sstore-review.h"
#include "banned.h"

/* What the source needs: the store and the selection. */
struct selection {
	struct sstore *s;
	const struct sstore_filter *f;
};

/* sstore_select's callback context: where each record goes. */
struct feed {
	export_add_fn add;
	void *sink;
};

static int feed_one(void *ctx, const struct sstore_record *r)
{
	struct feed *c = ctx;
	struct export_record e;

	memset(&e, 0, sizeof(e));
	e.id = r->id;
	e.version = r->version;
	e.region = r->region;
	e.review = r->review;
	e.review_comment = r->review_comment;
	e.created_ms = r->created_ms;
	e.updated_ms = r->updated_ms;
	e.conflicts = r->conflicts;
	e.deleted = r->deleted;
	e.answers = r->answers;
	return c->add(c->sink, &e);
}

static int select_source(void *src, export_add_fn add, void *sink, char *err, size_t errlen)
{
	struct selection *sel = src;
	struct sstore_page p = { .sort = SORT_CREATED };
	struct feed c = { add, sink };

	return sstore_select(sel->s, sel->f, &p, feed_one, &c, NULL, err, errlen);
}

int export_selection(struct sstore *s, const struct sstore_filter *f, const char *path, enum export_format fmt,
		     const struct export_opts *o, uint64_t *count, char *err, size_t errlen)
{
	struct selection sel = { s, f };
	struct form *form = sstore_form_get(s, f->form, NULL, err, errlen);
	int r;

	if (!form)
		return -1;
	r = export_write(path, fmt, form, o, select_source, &sel, count, err, errlen);
	form_free(form);
	return r;
}
