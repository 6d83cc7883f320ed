/* store-media.c - attachments on the laptop (docs/attachments-design.md): each file kept once, by its BLAKE2b hash,
 * as DIR/media/XX/HASH (XX its first two hex digits).
 *
 * A file is written to DIR/media/tmp, synced, renamed into place and its folder synced before the op that names it
 * is committed: after a crash either nothing names the file, or the op names a file that is whole. What nothing
 * names is swept when the store opens: files left in media/tmp, and files no op and no draft's answer names. A
 * sweep runs only when this process is alone with the store (an exclusive lock on DIR/media/.lock, which every
 * open store holds shared): another process may have written a file whose op it has not committed yet, or keep a
 * deleted draft's answers for an undo. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "db.h"
#include "dbstore.h"
#include "i18n.h"
#include "image.h"
#include "media.h"
#include "store-int.h"
#include "util.h"

#include "banned.h"

#define MEDIA_DIR "media"
#define SNIFF_BYTES 4096
#define COPY_BYTES 65536

/* DIR/media/REST into out; -1 with err when the path does not fit. */
static int media_path(const struct store *s, const char *rest, char *out, size_t n, char *err, size_t errlen)
{
	int w = snprintf(out, n, "%s/" MEDIA_DIR "%s%s", s->dir, rest[0] ? "/" : "", rest);

	if (w < 0 || (size_t)w >= n)
		return errf(err, errlen, _("the store's path '%s' is too long"), s->dir);
	return 0;
}

/* Makes DIR/media/sub (and DIR/media) if missing, 0700. */
static int make_dir(const struct store *s, const char *sub, char *err, size_t errlen)
{
	char p[4096];

	if (media_path(s, "", p, sizeof p, err, errlen) < 0)
		return -1;
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return errf(err, errlen, _("cannot make '%s': %s"), p, strerror(errno));
	if (!*sub)
		return 0;
	if (media_path(s, sub, p, sizeof p, err, errlen) < 0)
		return -1;
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return errf(err, errlen, _("cannot make '%s': %s"), p, strerror(errno));
	return 0;
}

/* fsync of the folder path names, so that a rename or an unlink in it lasts. */
static int sync_dir(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return errf(err, errlen, _("cannot sync '%s': %s"), path, strerror(e));
	}
	close(fd);
	return 0;
}

int store_media_path(const struct store *s, const char *hex, char *out, size_t n)
{
	char rest[8 + MEDIA_HEX];
	struct stat st;

	if (!media_hex_valid(hex))
		return -1;
	snprintf(rest, sizeof rest, "%.2s/%s", hex, hex);
	if (media_path(s, rest, out, n, NULL, 0) < 0)
		return -1;
	return stat(out, &st) == 0 && S_ISREG(st.st_mode) ? 1 : 0;
}

/* Keeps data[0..len) by its hash (into hex): written to media/tmp, synced, renamed into place, its folder synced;
 * with want, only if that is its hash. 0, or -1 with err. */
static int keep_bytes(struct store *s, const void *data, size_t len, const char *want, char hex[MEDIA_HEX + 1],
		      char *err, size_t errlen)
{
	unsigned char h[crypto_generichash_BYTES];
	char tmp[4096], final[4096], dir[4096];
	int fd, r = -1;

	crypto_generichash(h, sizeof h, data, len, NULL, 0);
	sodium_bin2hex(hex, MEDIA_HEX + 1, h, sizeof h);
	if (want && strcmp(want, hex))
		return errf(err, errlen, _("the bytes received for attachment %.8s are not of its hash"), want);
	snprintf(final, sizeof final, "%.2s", hex);
	if (make_dir(s, "tmp", err, errlen) < 0 || make_dir(s, final, err, errlen) < 0 ||
	    media_path(s, final, dir, sizeof dir, err, errlen) < 0 ||
	    media_path(s, "tmp/keepXXXXXX", tmp, sizeof tmp, err, errlen) < 0 ||
	    store_media_path(s, hex, final, sizeof final) < 0)
		return -1;
	if ((fd = mkstemp(tmp)) < 0)
		return errf(err, errlen, _("cannot write in '%s': %s"), tmp, strerror(errno));
	if (fd_write_all(fd, data, len) < 0 || fsync(fd) < 0 || rename(tmp, final) < 0) {
		errf(err, errlen, _("cannot write '%s': %s"), final, strerror(errno));
		unlink(tmp);
	} else {
		r = sync_dir(dir, err, errlen);
	}
	close(fd);
	return r;
}

/* An image for a question with max_pixels (fd read up to head[0..nhead) already): kept as it is when its longer
 * side is within it, else scaled down to it (image.h); a GIF or WebP over it is refused, Sondeo not scaling those.
 * 0 with *answer, or -1 with err. */
static int add_image(struct store *s, int fd, const unsigned char *head, size_t nhead, const char *name,
		     const struct form_question *q, uint64_t max, const char *type, json_t **answer, char *err,
		     size_t errlen)
{
	struct buf in = BUF_INIT((size_t)max), out = BUF_INIT((size_t)max);
	char hex[MEDIA_HEX + 1], chunk[COPY_BYTES];
	const struct buf *kept = &in;
	unsigned w, h;
	ssize_t got;
	int r = -1, fit;

	buf_add(&in, head, nhead);
	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || buf_add(&in, chunk, (size_t)got) < 0) {
			errf(err, errlen, got < 0 ? _("cannot read '%s': %s") : _("'%s' is larger than the %s MB a file may "
										 "be"), name,
			     got < 0 ? strerror(errno) : i18n_count((unsigned long long)max / 1000000));
			goto out;
		}
	}
	if (image_size((const unsigned char *)in.data, in.len, &w, &h, err, errlen) < 0)
		goto out;
	if ((w > h ? w : h) > q->max_pixels) {
		if (strcmp(type, "image/jpeg") && strcmp(type, "image/png")) {
			errf(err, errlen, _("'%s' is %ux%u pixels, more than the %u this question takes, and Sondeo scales "
					    "only JPEG and PNG images: give one of those"), name, w, h, q->max_pixels);
			goto out;
		}
		if ((fit = image_fit((const unsigned char *)in.data, in.len, q->max_pixels, &out, err, errlen)) < 0)
			goto out;
		if (fit == 0)
			kept = &out;
	}
	if (keep_bytes(s, kept->data, kept->len, NULL, hex, err, errlen) < 0)
		goto out;
	if (!(*answer = media_ref_new(hex, kept->len, type, name))) {
		errf(err, errlen, _("out of memory"));
		goto out;
	}
	r = 0;
out:
	buf_release(&in);
	buf_release(&out);
	return r;
}

int store_media_add(struct store *s, int fd, const char *name, const struct form_question *q, uint64_t max,
		    json_t **answer, char *err, size_t errlen)
{
	unsigned char head[SNIFF_BYTES], h[crypto_generichash_BYTES];
	char tmp[4096], dir[4096], final[4096], hex[MEDIA_HEX + 1];
	crypto_generichash_state hs;
	const char *type;
	uint64_t size = 0;
	struct stat st;
	ssize_t got;
	size_t nhead = 0;
	unsigned char *chunk = NULL;
	int out = -1, r = -1;

	*answer = NULL;
	/* The size is known, and refused, before a byte is read. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return errf(err, errlen, _("'%s' is not a file"), name);
	if (st.st_size == 0)
		return errf(err, errlen, _("'%s' is empty"), name);
	if ((uint64_t)st.st_size > max)
		return errf(err, errlen, _("'%s' is %s MB: larger than the %s MB a file may be"), name,
			    i18n_count(((unsigned long long)st.st_size + 500000) / 1000000),
			    i18n_count((unsigned long long)max / 1000000));
	while (nhead < sizeof head && (got = read(fd, head + nhead, sizeof head - nhead)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errf(err, errlen, _("cannot read '%s': %s"), name, strerror(errno));
		nhead += (size_t)got;
	}
	type = media_sniff(head, nhead);
	if (!media_accepts(q->accept, form_type_name(q->type), type, name))
		return errf(err, errlen, _("'%s' (%s) is not a file this question takes"), name, type);
	/* Swept at the next open if the op that names the file is never committed. */
	if (dbstore_meta_set(s->base, "media_sweep", "1", err, errlen) < 0)
		return -1;
	if (q->type == FT_IMAGE && q->max_pixels)
		return add_image(s, fd, head, nhead, name, q, max, type, answer, err, errlen);
	if (make_dir(s, "tmp", err, errlen) < 0 || media_path(s, "tmp/addXXXXXX", tmp, sizeof tmp, err, errlen) < 0)
		return -1;
	if ((out = mkstemp(tmp)) < 0)
		return errf(err, errlen, _("cannot write in '%s': %s"), tmp, strerror(errno));
	chunk = xmalloc(COPY_BYTES);
	crypto_generichash_init(&hs, NULL, 0, sizeof h);
	memcpy(chunk, head, nhead);
	got = (ssize_t)nhead;
	do {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			errf(err, errlen, _("cannot read '%s': %s"), name, strerror(errno));
			goto out;
		}
		size += (uint64_t)got;
		if (size > max) {   /* grown since it was measured */
			errf(err, errlen, _("'%s' is larger than the %s MB a file may be"), name,
			     i18n_count((unsigned long long)max / 1000000));
			goto out;
		}
		crypto_generichash_update(&hs, chunk, (unsigned long long)got);
		if (fd_write_all(out, chunk, (size_t)got) < 0) {
			errf(err, errlen, _("cannot write '%s': %s"), tmp, strerror(errno));
			goto out;
		}
	} while ((got = read(fd, chunk, COPY_BYTES)) != 0);
	crypto_generichash_final(&hs, h, sizeof h);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(final, sizeof final, "%.2s", hex);
	if (fsync(out) < 0) {
		errf(err, errlen, _("cannot write '%s': %s"), tmp, strerror(errno));
		goto out;
	}
	if (make_dir(s, final, err, errlen) < 0 || media_path(s, final, dir, sizeof dir, err, errlen) < 0 ||
	    store_media_path(s, hex, final, sizeof final) < 0)
		goto out;
	/* The same bytes twice are one file: the second is dropped. */
	if (rename(tmp, final) < 0) {
		errf(err, errlen, _("cannot write '%s': %s"), final, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (sync_dir(dir, err, errlen) < 0)
		goto out;
	if (!(*answer = media_ref_new(hex, size, type, name))) {
		errf(err, errlen, _("out of memory"));
		goto out;
	}
	r = 0;
out:
	if (out >= 0)
		close(out);
	if (tmp[0])
		unlink(tmp);
	free(chunk);
	return r;
}

/* Adds to named the hash of each attachment an op or a draft's answer names. */
static int named_hashes(struct store *s, json_t *named, char *err, size_t errlen)
{
	/* Values are canonical JSON (jsonc): an attachment's is {"blake2b":"HEX",...}, its hash at byte 13. */
	static const char q[] =
		"SELECT substr(value, 13, 64) FROM ops WHERE substr(value, 1, 12) = '{\"blake2b\":\"'"
		" UNION SELECT substr(value, 13, 64) FROM fields WHERE substr(value, 1, 12) = '{\"blake2b\":\"'";
	struct db_stmt *st = db_prepare(s->db, q, err, errlen);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW)
		json_object_set_new(named, db_text(st, 0), json_true());
	db_finalize(st);
	if (rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	return 0;
}

/* Removes every file of folder path whose name is not a key of keep (NULL: every file). The number removed. */
static size_t sweep_dir(const char *path, const json_t *keep)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;
	char p[4096];

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (keep && json_object_get(keep, e->d_name)))
			continue;
		if ((size_t)snprintf(p, sizeof p, "%s/%s", path, e->d_name) < sizeof p && unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Removes what nothing names, when a file may have been left so (media_sweep set): media/tmp, and the files no
 * op and no draft's answer names. -1 with err. */
static int sweep(struct store *s, char *err, size_t errlen)
{
	char flag[4], p[4096], sub[4];
	json_t *named;
	unsigned i;
	int r;

	if (dbstore_meta_get(s->base, "media_sweep", flag, sizeof flag) < 0 || strcmp(flag, "1"))
		return 0;
	named = json_object();
	if ((r = named_hashes(s, named, err, errlen)) == 0) {
		if (media_path(s, "tmp", p, sizeof p, err, errlen) == 0)
			sweep_dir(p, NULL);
		for (i = 0; i < 256; i++) {
			snprintf(sub, sizeof sub, "%02x", i);
			if (media_path(s, sub, p, sizeof p, err, errlen) == 0)
				sweep_dir(p, named);
		}
		r = dbstore_meta_set(s->base, "media_sweep", "0", err, errlen);
	}
	json_decref(named);
	return r;
}

void store_media_close(struct store *s)
{
	/* Alone now, what this process left unnamed (a draft deleted) goes at once rather than at the next open. */
	if (s->media_lock >= 0 && flock(s->media_lock, LOCK_EX | LOCK_NB) == 0)
		sweep(s, NULL, 0);
	if (s->media_lock >= 0)
		close(s->media_lock);
	s->media_lock = -1;
}

int store_media_open(struct store *s, char *err, size_t errlen)
{
	char dir[4096], lock[4096];

	if (media_path(s, "", dir, sizeof dir, err, errlen) < 0 || media_path(s, ".lock", lock, sizeof lock, err, errlen) < 0)
		return -1;
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (s->media_lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		/* A store on a read-only disk is still read (list, show, export): nothing can be left unnamed there. */
		if (errno == EROFS || errno == EACCES)
			return 0;
		return errf(err, errlen, _("cannot open '%s': %s"), lock, strerror(errno));
	}
	/* Alone with the store (the lock exclusive at once), sweep; then hold it shared like every open store. */
	if (flock(s->media_lock, LOCK_EX | LOCK_NB) == 0 && sweep(s, err, errlen) < 0)
		return -1;
	if (flock(s->media_lock, LOCK_SH) < 0)
		return errf(err, errlen, _("cannot lock '%s': %s"), lock, strerror(errno));
	return 0;
}

/* Calls fn with each attachment named by the values statement st (prepared and bound) gives, then finalizes it.
 * 0, or -1 with err. */
static int each_ref(struct store *s, struct db_stmt *st, store_media_fn fn, void *ctx, char *err, size_t errlen)
{
	int rc, stop = 0;

	while (!stop && (rc = db_step(st)) == DB_ROW) {
		json_t *v = json_loads(db_text(st, 0), 0, NULL);
		struct media_ref r;

		if (v && media_ref_read(v, &r, NULL, 0) == 0)
			stop = fn(ctx, r.blake2b, r.size);
		json_decref(v);
	}
	db_finalize(st);
	if (!stop && rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	return 0;
}

int store_media_unsent(struct store *s, const char *server, store_media_fn fn, void *ctx, char *err, size_t errlen)
{
	/* This device's own final answers: values are canonical JSON, the hash at byte 13 and the size after it. */
	/* An op's value is '' when it is the field's value now (merge.c keeps it once). */
	static const char q[] =
		"SELECT DISTINCT v FROM (SELECT coalesce(nullif(o.value, ''), f.value) AS v FROM ops o"
		" LEFT JOIN fields f ON f.rid = o.rid AND f.field = o.field"
		" WHERE o.did = (SELECT did FROM devices WHERE id = ?1))"
		" WHERE substr(v, 1, 12) = '{\"blake2b\":\"' AND NOT EXISTS (SELECT 1 FROM media_sent m"
		" WHERE m.server = ?2 AND m.blake2b = substr(v, 13, 64))";
	struct db_stmt *st = db_prepare(s->db, q, err, errlen);

	if (!st)
		return -1;
	db_bind_text(st, 1, s->device);
	db_bind_text(st, 2, server);
	return each_ref(s, st, fn, ctx, err, errlen);
}

int store_media_sent(struct store *s, const char *server, const char *hex, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare(s->db, "INSERT OR IGNORE INTO media_sent(server, blake2b) VALUES(?1, ?2)", err,
				      errlen);
	int r;

	if (!st)
		return -1;
	db_bind_text(st, 1, server);
	db_bind_text(st, 2, hex);
	r = db_step_done(st, err, errlen);
	db_finalize(st);
	return r;
}

int store_media_named(struct store *s, store_media_fn fn, void *ctx, char *err, size_t errlen)
{
	/* Every attachment an op or an answer names, this laptop's and the region's. */
	static const char q[] =
		"SELECT DISTINCT v FROM (SELECT coalesce(nullif(o.value, ''), f.value) AS v FROM ops o"
		" LEFT JOIN fields f ON f.rid = o.rid AND f.field = o.field UNION ALL SELECT value FROM fields)"
		" WHERE substr(v, 1, 12) = '{\"blake2b\":\"'";
	struct db_stmt *st = db_prepare(s->db, q, err, errlen);

	return st ? each_ref(s, st, fn, ctx, err, errlen) : -1;
}

int store_media_keep(struct store *s, const char *hex, const void *data, size_t len, char *err, size_t errlen)
{
	char got[MEDIA_HEX + 1];

	/* The bytes are the ones the op named, or nothing is kept. */
	return keep_bytes(s, data, len, hex, got, err, errlen);
}
