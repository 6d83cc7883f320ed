/* sstore-media.h - attachments at a server (docs/attachments-design.md): which files the ops it holds name, their
 * bytes as devices upload them in chunks, resumably, kept only when whole and of the hash the op gave. The
 * conventions of sstore.h hold.
 *
 * DATA/media/XX/HASH is a file held whole; DATA/media/partial/HASH the bytes received so far, each chunk synced to
 * disk before it is acknowledged, so that a cut or a kill -9 on either side loses at most the chunk in flight. */
#ifndef SONDEO_SSTORE_MEDIA_H
#define SONDEO_SSTORE_MEDIA_H

#include <stdint.h>

#include "changeset.h"
#include "media.h"
#include "sstore.h"

#define SSTORE_MEDIA_CHUNK MEDIA_CHUNK                 /* the largest chunk a request carries (media.h) */
#define SSTORE_MEDIA_FILE_MAX ((uint64_t)64000000)    /* a file, unless sondeod serve says otherwise */
#define SSTORE_MEDIA_DAY_MAX ((uint64_t)1000000000)   /* a device's uploads in a day, likewise */

/* Notes the attachments ops name (their hash, size and type) as expected here, and that records of region name
 * them, inside the ingest's transaction. 0, or -1 with err. */
int sstore_media_expect(struct sstore *s, const struct cs_ops *ops, const char *region, char *err, size_t errlen);
/* 1 if a record of region names the attachment (its devices may download it), 0 if none does, -1 with err. */
int sstore_media_in_region(struct sstore *s, const char *hex, const char *region, char *err, size_t errlen);

/* An attachment as this server knows it. */
struct sstore_media {
	uint64_t size;       /* as the op gave it */
	uint64_t held;       /* bytes held: size when whole */
	char type[128];
};
/* The attachment whose hash is hex: 1 with m filled, 0 when no op held here names it, -1 with err. */
int sstore_media_get(struct sstore *s, const char *hex, struct sstore_media *m, char *err, size_t errlen);

/* What sstore_media_put made of a chunk. */
enum sstore_media_status {
	SM_MORE,          /* kept; held is where the next chunk starts */
	SM_WHOLE,         /* the last chunk: the file is whole, of its hash, and kept */
	SM_UNKNOWN,       /* no op held here names the hash */
	SM_OFFSET,        /* the chunk does not start where the bytes held end (held says where) */
	SM_TOO_LARGE,     /* the file, or the chunk past its size, is larger than allowed */
	SM_QUOTA,         /* the device has sent its day's worth */
	SM_MISMATCH,      /* whole, but not of its hash: the bytes were dropped, to be sent again from 0 */
	SM_FULL,          /* the disk is full: nothing of the chunk was kept */
	SM_ERROR
};
/* Limits of an upload. */
struct sstore_media_limits {
	uint64_t file_max, day_max;
};
/* Takes data[0..len) as the bytes of attachment hex from offset, sent by device: checked against what is held
 * (the offset, the size, the limits) before a byte is written; appended and synced; hashed and moved into place
 * when it completes the file. m receives the attachment as it now stands. */
enum sstore_media_status sstore_media_put(struct sstore *s, const char *device, const char *hex, uint64_t offset,
					  const void *data, size_t len, const struct sstore_media_limits *lim,
					  struct sstore_media *m, char *err, size_t errlen);
/* Checks before a chunk's body is read what sstore_media_put would refuse of it for its size alone: SM_MORE when
 * it may be sent, else the status. */
enum sstore_media_status sstore_media_admit(struct sstore *s, const char *device, const char *hex, uint64_t offset,
					    uint64_t len, const struct sstore_media_limits *lim, struct sstore_media *m,
					    char *err, size_t errlen);

/* The path of an image's thumbnail (made by the review page's endpoint) into out, its folder made. 0, or -1 with
 * err. */
int sstore_media_thumb_path(struct sstore *s, const char *hex, char *out, size_t n, char *err, size_t errlen);
/* The path of a whole attachment's file into out: 1, 0 when not held whole, -1 with err. */
int sstore_media_path(struct sstore *s, const char *hex, char *out, size_t n, char *err, size_t errlen);

#endif
