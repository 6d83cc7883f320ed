/* export-store.c - writes a selection of the server's records through the export writer: the one loop that
 * both `sondeod export` and GET /v1/export run (export.h). */
#include <string.h>

#include "export.h"
#include "sstore.h"
#include "sstore-review.h"
#include "banned.h"

struct feed {
	struct export *x;
	char *err;
	size_t errlen;
	int failed;
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
	if (export_add(c->x, &e, c->err, c->errlen) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

int export_selection(struct sstore *s, const struct sstore_filter *f, const char *path, enum export_format fmt,
		     const struct export_opts *o, uint64_t *count, char *err, size_t errlen)
{
	struct sstore_page p = { .sort = SORT_CREATED };
	struct feed c = { NULL, err, errlen, 0 };
	struct form *form = sstore_form_get(s, f->form, NULL, err, errlen);
	int r;

	if (!form)
		return -1;
	if (!(c.x = export_open(path, fmt, form, o, err, errlen))) {
		form_free(form);
		return -1;
	}
	r = sstore_select(s, f, &p, feed_one, &c, NULL, err, errlen);
	if (r < 0 || c.failed) {
		export_close(c.x, 0, NULL, 0);
		form_free(form);
		return -1;
	}
	/* What was written: a GeoJSON export leaves out the records without a place. */
	*count = export_count(c.x);
	r = export_close(c.x, 1, err, errlen);
	form_free(form);
	return r;
}
