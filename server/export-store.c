/* export-store.c - writes a selection of the server's records through the exporter (common/export.h): the one
 * loop that both `sondeod export` and GET /v1/export run (export-store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "export-store.h"
#include "i18n.h"
#include "media.h"
#include "sstore.h"
#include "sstore-media.h"
#include "sstore-review.h"
#include "util.h"
#include "zipstream.h"
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

/* --- links to attachments --- */

/* s percent-encoded as a URL's query value: RFC 3986's unreserved characters kept, every other byte %XX. */
static int query_value(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int bad = 0;

	for (; *s && !bad; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			bad |= buf_addc(out, (char)c);
		else
			bad |= buf_addc(out, '%') | buf_addc(out, hex[c >> 4]) | buf_addc(out, hex[c & 15]);
	}
	return bad ? -1 : 0;
}

int export_link_server(void *ctx, const struct export_record *r, const json_t *a, struct buf *out)
{
	const struct export_server_links *l = ctx;
	struct media_ref ref;
	char err[256], path[4096];
	int held;

	(void)r;
	if (media_ref_read(a, &ref, err, sizeof(err)) < 0)
		return 1;
	if ((held = sstore_media_path(l->s, ref.blake2b, path, sizeof(path), err, sizeof(err))) <= 0)
		return held < 0 ? -1 : 1;
	if (buf_printf(out, "%s/v1/attachment?blake2b=%s&name=", l->base, ref.blake2b) < 0 ||
	    query_value(out, ref.name) < 0)
		return -1;
	return 0;
}

/* --- exports with attachments --- */

/* A file of a record, for the archive: where it is and what it is called there. */
struct zip_file {
	char *name, *path;
	char hex[MEDIA_HEX + 1];
	uint64_t size;
};

/* The link callback's context while the tables are written: the files the records name, in order. */
struct zip_links {
	struct sstore *s;
	struct zip_file *files;
	size_t n, cap;
	size_t first;        /* the first file of the record being written */
	char record[64];     /* its id */
	int failed;          /* out of memory, or the store failed: the export fails */
};

/* 1 if some file of the current record has that name in the archive. */
static int zip_name_taken(const struct zip_links *l, const char *name)
{
	size_t i;

	for (i = l->first; i < l->n; i++)
		if (!strcmp(l->files[i].name, name))
			return 1;
	return 0;
}

/* Each record's files are in media/RECORD/ under the names people gave them; two different files of a record
 * under one name become "name (2).ext", "name (3).ext"..., and one file named twice is there once. */
static int zip_link(void *ctx, const struct export_record *r, const json_t *a, struct buf *out)
{
	struct zip_links *l = ctx;
	struct media_ref ref;
	struct zip_file *zf;
	char err[256], path[4096], base[MEDIA_NAME_MAX + 1], name[MEDIA_NAME_MAX + 128];
	const char *dot;
	size_t i, k;
	int held;

	if (media_ref_read(a, &ref, err, sizeof(err)) < 0)
		return 1;
	if ((held = sstore_media_path(l->s, ref.blake2b, path, sizeof(path), err, sizeof(err))) <= 0) {
		l->failed |= held < 0;
		return held < 0 ? -1 : 1;
	}
	if (strcmp(l->record, r->id ? r->id : "")) {
		strlcpy_s(l->record, r->id ? r->id : "", sizeof(l->record));
		l->first = l->n;
	}
	for (i = l->first; i < l->n; i++)
		if (!strcmp(l->files[i].hex, ref.blake2b))
			return buf_adds(out, l->files[i].name);
	media_name_clean(ref.name, base, sizeof(base));
	if (!strcmp(base, ".") || !strcmp(base, ".."))
		strlcpy_s(base, "file", sizeof(base));
	snprintf(name, sizeof(name), "media/%s/%s", l->record, base);
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	for (k = 2; zip_name_taken(l, name); k++)
		snprintf(name, sizeof(name), "media/%s/%.*s (%zu)%s", l->record, (int)(dot - base), base, k, dot);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct zip_file *nf = realloc(l->files, cap * sizeof(*nf));

		if (!nf)
			return l->failed = 1, -1;
		l->files = nf;
		l->cap = cap;
	}
	zf = &l->files[l->n];
	zf->name = strdup(name);
	zf->path = strdup(path);
	strlcpy_s(zf->hex, ref.blake2b, sizeof(zf->hex));
	zf->size = ref.size;
	if (!zf->name || !zf->path) {
		free(zf->name);
		free(zf->path);
		return l->failed = 1, -1;
	}
	l->n++;
	return buf_adds(out, name);
}

/* Writes one table (the records, or one repeat's instances) to a private temporary file in dir and deflates it
 * into the archive as NAME.EXT. */
static int zip_table(struct zipstream *z, struct sstore *s, const struct sstore_filter *f, enum export_format fmt,
		     const struct export_opts *o, const char *dir, uint64_t *count, char *err, size_t errlen)
{
	char path[4096], rnd[17], name[2 * MERGE_MAX_NAME + 16];
	unsigned char raw[8];
	int fd, r;

	randombytes_buf(raw, sizeof(raw));
	hex_encode(rnd, raw, sizeof(raw));
	if ((size_t)snprintf(path, sizeof(path), "%s/export-%s.%s", dir, rnd, export_extension(fmt)) >= sizeof(path))
		return errf(err, errlen, _("the folder '%s' has too long a path"), dir);
	if (export_selection(s, f, path, fmt, o, count, err, errlen) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	if (fd < 0)
		return errf(err, errlen, _("cannot read the export back: %s"), strerror(errno));
	if (f->repeat[0])
		snprintf(name, sizeof(name), "%s-%s.%s", f->form, f->repeat, export_extension(fmt));
	else
		snprintf(name, sizeof(name), "%s.%s", f->form, export_extension(fmt));
	r = zipstream_add_deflated(z, name, fd, dir, err, errlen);
	close(fd);
	return r;
}

struct zipstream *export_zip(struct sstore *s, const struct sstore_filter *f, enum export_format fmt,
			     const struct export_opts *o, const char *dir, uint64_t *records, uint64_t *files, char *err,
			     size_t errlen)
{
	struct zip_links l = { .s = s };
	struct export_opts zo = *o;
	struct sstore_filter rf = *f;
	struct zipstream *z = zipstream_new(time(NULL));
	struct form *form = NULL;
	uint64_t count = 0;
	size_t i, j;

	zo.link = zip_link;
	zo.link_ctx = &l;
	*records = *files = 0;
	if (!z) {
		err_oom(err, errlen);
		goto fail;
	}
	if (zip_table(z, s, f, fmt, &zo, dir, records, err, errlen) < 0)
		goto fail;
	/* Without a repeat asked for, every repeat's instances too, each in a table of its own, as ODK Central's
	 * archive has them (GeoJSON is one layer of places: the records only). */
	if (!f->repeat[0] && fmt != EXPORT_GEOJSON) {
		if (!(form = sstore_form_get(s, f->form, NULL, err, errlen)))
			goto fail;
		for (i = 0; i < form_count(form); i++) {
			const struct form_group *g = form_repeat_of(form_question(form, i));

			for (j = 0; g && j < i && form_repeat_of(form_question(form, j)) != g; j++)
				;
			if (!g || j < i)
				continue;
			strlcpy_s(rf.repeat, g->name, sizeof(rf.repeat));
			zo.repeat = g->name;
			if (zip_table(z, s, &rf, fmt, &zo, dir, &count, err, errlen) < 0)
				goto fail;
		}
	}
	if (l.failed) {
		errf(err, errlen, "%s", _("out of memory"));
		goto fail;
	}
	for (i = 0; i < l.n; i++)
		if (zipstream_add_file(z, l.files[i].name, l.files[i].path, l.files[i].size, err, errlen) < 0)
			goto fail;
	*files = l.n;
	goto done;
fail:
	zipstream_free(z);
	z = NULL;
done:
	for (i = 0; i < l.n; i++) {
		free(l.files[i].name);
		free(l.files[i].path);
	}
	free(l.files);
	form_free(form);
	return z;
}
