/* sstore-media.c - attachments at a server (sstore-media.h): the files ops name, and their bytes as they come. */
#include "sstore-media.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "db.h"
#include "i18n.h"
#include "media.h"
#include "sstore-int.h"
#include "util.h"

#include "banned.h"

enum { M_EXPECT, M_GET, M_WHOLE, M_DAY_GET, M_DAY_ADD, M_FORWARD, M_REGION, M_IN_REGION, M_COUNT };
_Static_assert(M_COUNT <= SSTORE_MEDIA_STMTS, "raise SSTORE_MEDIA_STMTS in sstore-int.h");

const char *const sstore_media_sql[SSTORE_MEDIA_STMTS] = {
	/* The first op to name a hash says its size and type; an op that names it again with others is refused by
	 * the upload's hash check, never by overwriting what is known. */
	[M_EXPECT] = "INSERT INTO media(blake2b, size, type) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[M_GET] = "SELECT size, type, whole FROM media WHERE blake2b = ?1",
	[M_WHOLE] = "UPDATE media SET whole = 1, received = ?2 WHERE blake2b = ?1",
	[M_DAY_GET] = "SELECT bytes FROM media_days WHERE device = ?1 AND day = ?2",
	[M_DAY_ADD] = "INSERT INTO media_days(device, day, bytes) VALUES(?1, ?2, ?3)"
		      " ON CONFLICT(device, day) DO UPDATE SET bytes = media_days.bytes + excluded.bytes",
	/* At a regional server, a whole file goes to headquarters after the change sets queued before it. */
	[M_REGION] = "INSERT INTO media_regions(blake2b, region) VALUES(?1, ?2) ON CONFLICT DO NOTHING",
	[M_IN_REGION] = "SELECT 1 FROM media_regions WHERE blake2b = ?1 AND region = ?2",
	[M_FORWARD] = "INSERT INTO relay_queue(kind, ref, queued) SELECT 'media', ?1, ?2"
		      " WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'upstream_url' AND value != '')",
};

int sstore_media_expect(struct sstore *s, const struct cs_ops *ops, const char *region, char *err, size_t errlen)
{
	struct db_stmt *st = s->media_st[M_EXPECT], *rst = s->media_st[M_REGION];
	size_t i;

	for (i = 0; i < ops->n; i++) {
		const char *v = ops->ops[i].value;
		struct media_ref r;
		json_t *j;
		int rc;

		/* Canonical JSON: an attachment's value begins so, and nothing else's does. */
		if (strncmp(v, "{\"blake2b\":\"", 12))
			continue;
		if (!(j = json_loads(v, 0, NULL)))
			continue;
		if (media_ref_read(j, &r, NULL, 0) < 0) {
			json_decref(j);
			continue;
		}
		db_bind_text(st, 1, r.blake2b);
		db_bind_int(st, 2, (int64_t)r.size);
		db_bind_text(st, 3, r.type);
		db_bind_text(rst, 1, r.blake2b);
		db_bind_text(rst, 2, region);
		rc = db_step_done(st, err, errlen) < 0 ? -1 : db_step_done(rst, err, errlen);
		json_decref(j);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* DATA/media/REST into out; -1 with err when it does not fit. */
static int path_of(const struct sstore *s, const char *rest, char *out, size_t n, char *err, size_t errlen)
{
	int w = snprintf(out, n, "%s/media/%s", s->dir, rest);

	if (w < 0 || (size_t)w >= n)
		return errf(err, errlen, _("the data directory's path is too long"));
	return 0;
}

static int make_dirs(const struct sstore *s, const char *sub, char *err, size_t errlen)
{
	char p[4096];

	if (path_of(s, "", p, sizeof p, err, errlen) < 0)
		return -1;
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return errf(err, errlen, _("cannot make '%s': %s"), p, strerror(errno));
	if (path_of(s, sub, p, sizeof p, err, errlen) < 0)
		return -1;
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return errf(err, errlen, _("cannot make '%s': %s"), p, strerror(errno));
	return 0;
}

int sstore_media_path(struct sstore *s, const char *hex, char *out, size_t n, char *err, size_t errlen)
{
	char rest[8 + MEDIA_HEX];
	struct stat st;

	(void)s;
	if (!media_hex_valid(hex))
		return 0;
	snprintf(rest, sizeof rest, "%.2s/%s", hex, hex);
	if (path_of(s, rest, out, n, err, errlen) < 0)
		return -1;
	return stat(out, &st) == 0 && S_ISREG(st.st_mode);
}

int sstore_media_get(struct sstore *s, const char *hex, struct sstore_media *m, char *err, size_t errlen)
{
	struct db_stmt *st = s->media_st[M_GET];
	char p[4096], rest[16 + MEDIA_HEX];
	struct stat fs;
	int rc, whole;

	memset(m, 0, sizeof *m);
	if (!media_hex_valid(hex))
		return 0;
	db_bind_text(st, 1, hex);
	rc = db_step(st);
	if (rc == DB_ROW) {
		m->size = (uint64_t)db_int(st, 0);
		strlcpy_s(m->type, db_text(st, 1), sizeof m->type);
		whole = db_int(st, 2);
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return db_error(s->db, rc, err, errlen);
	if (whole) {
		m->held = m->size;
		return 1;
	}
	snprintf(rest, sizeof rest, "partial/%s", hex);
	if (path_of(s, rest, p, sizeof p, err, errlen) < 0)
		return -1;
	m->held = stat(p, &fs) == 0 ? (uint64_t)fs.st_size : 0;
	return 1;
}

/* The bytes device has sent today (UTC). */
static uint64_t sent_today(struct sstore *s, const char *device)
{
	struct db_stmt *st = s->media_st[M_DAY_GET];
	uint64_t n = 0;

	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)(now_ms() / SSTORE_DAY_MS));
	if (db_step(st) == DB_ROW)
		n = (uint64_t)db_int(st, 0);
	db_reset(st);
	return n;
}

enum sstore_media_status sstore_media_admit(struct sstore *s, const char *device, const char *hex, uint64_t offset,
					    uint64_t len, const struct sstore_media_limits *lim, struct sstore_media *m,
					    char *err, size_t errlen)
{
	int rc = sstore_media_get(s, hex, m, err, errlen);

	if (rc < 0)
		return SM_ERROR;
	if (rc == 0) {
		errf(err, errlen, _("no change set held here names attachment %.16s..."), hex);
		return SM_UNKNOWN;
	}
	if (m->size > lim->file_max) {
		errf(err, errlen, _("the file is %s MB, larger than the %s MB this server takes"),
		     i18n_count((m->size + 500000) / 1000000), i18n_count(lim->file_max / 1000000));
		return SM_TOO_LARGE;
	}
	if (offset != m->held) {
		errf(err, errlen, _("the bytes held end at %llu, not %llu"), (unsigned long long)m->held,
		     (unsigned long long)offset);
		return SM_OFFSET;
	}
	if (len == 0 || len > SSTORE_MEDIA_CHUNK || len > m->size - offset) {
		errf(err, errlen, _("a chunk is 1 byte to 1 MiB, within the file's %llu bytes"),
		     (unsigned long long)m->size);
		return SM_TOO_LARGE;
	}
	if (sent_today(s, device) + len > lim->day_max) {
		errf(err, errlen, _("this device has sent the %s MB of attachments a day this server takes; the rest "
				    "goes tomorrow"), i18n_count(lim->day_max / 1000000));
		return SM_QUOTA;
	}
	return SM_MORE;
}

/* Hashes the file at path whole into hex. 0, or -1 with errno. */
static int hash_file(int fd, char hex[MEDIA_HEX + 1])
{
	unsigned char h[crypto_generichash_BYTES], *buf = malloc(1 << 16);
	crypto_generichash_state hs;
	ssize_t n;

	if (!buf || lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return -1;
	}
	crypto_generichash_init(&hs, NULL, 0, sizeof h);
	while ((n = read(fd, buf, 1 << 16)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		crypto_generichash_update(&hs, buf, (unsigned long long)n);
	}
	free(buf);
	crypto_generichash_final(&hs, h, sizeof h);
	sodium_bin2hex(hex, MEDIA_HEX + 1, h, sizeof h);
	return 0;
}

/* Moves the partial file (fd, at part) to its place once its bytes are of its hash. */
static enum sstore_media_status complete(struct sstore *s, int fd, const char *part, const char *hex,
					 struct sstore_media *m, char *err, size_t errlen)
{
	char got[MEDIA_HEX + 1], dir[4096], final[4096], sub[3];
	struct db_stmt *st = s->media_st[M_WHOLE];
	int dfd;

	if (hash_file(fd, got) < 0)
		return errf(err, errlen, _("cannot read '%s': %s"), part, strerror(errno)), SM_ERROR;
	if (strcmp(got, hex)) {
		/* Whole but not these bytes: dropped, so that the next try starts again from 0. */
		unlink(part);
		m->held = 0;
		errf(err, errlen, _("the bytes received do not have the attachment's hash: dropped, send it again"));
		return SM_MISMATCH;
	}
	snprintf(sub, sizeof sub, "%.2s", hex);
	if (make_dirs(s, sub, err, errlen) < 0 || path_of(s, sub, dir, sizeof dir, err, errlen) < 0 ||
	    sstore_media_path(s, hex, final, sizeof final, err, errlen) < 0)
		return SM_ERROR;
	if (rename(part, final) < 0)
		return errf(err, errlen, _("cannot write '%s': %s"), final, strerror(errno)), SM_ERROR;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (db_begin(s->db, err, errlen) < 0)
		return SM_ERROR;
	db_bind_text(st, 1, hex);
	db_bind_int(st, 2, (int64_t)now_ms());
	db_bind_text(s->media_st[M_FORWARD], 1, hex);
	db_bind_int(s->media_st[M_FORWARD], 2, (int64_t)now_ms());
	if (db_step_done(st, err, errlen) < 0 || db_step_done(s->media_st[M_FORWARD], err, errlen) < 0 ||
	    db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return SM_ERROR;
	}
	m->held = m->size;
	return SM_WHOLE;
}

enum sstore_media_status sstore_media_put(struct sstore *s, const char *device, const char *hex, uint64_t offset,
					  const void *data, size_t len, const struct sstore_media_limits *lim,
					  struct sstore_media *m, char *err, size_t errlen)
{
	enum sstore_media_status r;
	struct db_stmt *st = s->media_st[M_DAY_ADD];
	char part[4096], rest[16 + MEDIA_HEX];
	struct stat fs;
	int fd;

	if ((r = sstore_media_admit(s, device, hex, offset, len, lim, m, err, errlen)) != SM_MORE)
		return r;
	snprintf(rest, sizeof rest, "partial/%s", hex);
	if (make_dirs(s, "partial", err, errlen) < 0 || path_of(s, rest, part, sizeof part, err, errlen) < 0)
		return SM_ERROR;
	if ((fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return errf(err, errlen, _("cannot write '%s': %s"), part, strerror(errno)), SM_ERROR;
	/* One writer at a time for a file: the offset is checked again under the lock, on the bytes really held. */
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &fs) < 0) {
		r = (errf(err, errlen, _("cannot lock '%s': %s"), part, strerror(errno)), SM_ERROR);
		goto out;
	}
	if ((uint64_t)fs.st_size != offset) {
		m->held = (uint64_t)fs.st_size;
		errf(err, errlen, _("the bytes held end at %llu, not %llu"), (unsigned long long)m->held,
		     (unsigned long long)offset);
		r = SM_OFFSET;
		goto out;
	}
	if (lseek(fd, 0, SEEK_END) < 0 || fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;

		/* Nothing of a chunk that failed is kept: the file is cut back to where it was. */
		if (ftruncate(fd, (off_t)offset) == 0)
			fsync(fd);
		r = e == ENOSPC || e == EDQUOT || e == EFBIG ? SM_FULL : SM_ERROR;
		/* The device is told why, not where: the path is the server's own business (its log says the rest). */
		if (r == SM_FULL)
			errf(err, errlen, _("the server's disk is full"));
		else
			errf(err, errlen, _("cannot write '%s': %s"), part, strerror(e));
		goto out;
	}
	m->held = offset + len;
	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)(now_ms() / SSTORE_DAY_MS));
	db_bind_int(st, 3, (int64_t)len);
	if (db_begin(s->db, err, errlen) < 0 || db_step_done(st, err, errlen) < 0 ||
	    db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		r = SM_ERROR;
		goto out;
	}
	r = m->held == m->size ? complete(s, fd, part, hex, m, err, errlen) : SM_MORE;
out:
	close(fd);
	return r;
}

int sstore_media_in_region(struct sstore *s, const char *hex, const char *region, char *err, size_t errlen)
{
	struct db_stmt *st = s->media_st[M_IN_REGION];
	int rc;

	db_bind_text(st, 1, hex);
	db_bind_text(st, 2, region);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_media_thumb_path(struct sstore *s, const char *hex, char *out, size_t n, char *err, size_t errlen)
{
	char rest[16 + MEDIA_HEX];

	if (!media_hex_valid(hex))
		return errf(err, errlen, _("'%.70s' is not an attachment's hash"), hex);
	snprintf(rest, sizeof rest, "thumbs/%s", hex);
	if (make_dirs(s, "thumbs", err, errlen) < 0)
		return -1;
	return path_of(s, rest, out, n, err, errlen);
}
