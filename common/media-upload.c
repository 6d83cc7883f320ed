/* media-upload.c - sending an attachment's bytes to a server (PROTOCOL.md, "Attachments"): the one loop a laptop's
 * sync and a regional server's relay both run, each through its own signed requests. */
#include "media.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"

#include "banned.h"

/* The offset of a media answer ({"offset", "size"}), or -1. */
static long long offset_of(const struct buf *answer)
{
	json_t *v = json_loadb(answer->data, answer->len, 0, NULL);
	long long o = json_is_integer(json_object_get(v, "offset")) ? json_integer_value(json_object_get(v, "offset")) : -1;

	json_decref(v);
	return o;
}

/* "attachment 0123abcd: " and the server's message ({"message"}) or its status, into err. */
static int refused(const char *hex, long status, const struct buf *answer, char *err, size_t errlen)
{
	json_t *v = json_loadb(answer->data, answer->len, 0, NULL);
	const char *m = json_string_value(json_object_get(v, "message"));

	if (m)
		errf(err, errlen, _("attachment %.8s: %s"), hex, m);
	else
		errf(err, errlen, _("attachment %.8s: the server answered HTTP %ld"), hex, status);
	json_decref(v);
	return MEDIA_REFUSED;
}

int media_upload(const char *path, const char *hex, uint64_t size, media_call_fn call, void *ctx, uint64_t *sent,
		 char *err, size_t errlen)
{
	struct buf answer = BUF_INIT(1 << 16);
	unsigned char *chunk = NULL;
	char url[256];
	long long offset;
	long status;
	int fd = -1, moved = 0, again = 0, r = MEDIA_DOWN;

	*sent = 0;
	snprintf(url, sizeof url, "/v1/media/offset?blake2b=%s", hex);
	if (call(ctx, "GET", url, NULL, 0, &status, &answer, err, errlen) < 0)
		goto out;
	if (status != 200 || (offset = offset_of(&answer)) < 0) {
		r = refused(hex, status, &answer, err, errlen);
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = (errf(err, errlen, _("cannot read '%s': %s"), path, strerror(errno)), MEDIA_REFUSED);
		goto out;
	}
	chunk = xmalloc(MEDIA_CHUNK);
	while ((uint64_t)offset < size) {
		size_t want = size - (uint64_t)offset < MEDIA_CHUNK ? (size_t)(size - (uint64_t)offset) : MEDIA_CHUNK;
		ssize_t got = pread(fd, chunk, want, (off_t)offset);

		if (got != (ssize_t)want) {
			r = (errf(err, errlen, _("cannot read '%s': %s"), path, got < 0 ? strerror(errno) :
				  _("it is shorter than when it was given")), MEDIA_REFUSED);
			goto out;
		}
		snprintf(url, sizeof url, "/v1/media?blake2b=%s&offset=%lld", hex, offset);
		if (call(ctx, "PUT", url, chunk, want, &status, &answer, err, errlen) < 0)
			goto out;
		if (status == 409 && ++moved > 3) {
			/* The server keeps naming another offset: something else writes there; stop rather than loop. */
			r = (errf(err, errlen, _("attachment %.8s: the server's bytes keep moving"), hex), MEDIA_REFUSED);
			goto out;
		}
		if (status == 200 || status == 201 || status == 409) {
			/* Kept (or already further: a race with another sender): go on from where the server is. */
			if (status != 409)
				*sent += want;
			if ((offset = status == 201 ? (long long)size : offset_of(&answer)) < 0)
				break;
		} else if (status == 422 && !again++) {
			offset = 0;   /* not of its hash at the end (altered on the disk?): once more from the start */
		} else if (status == 507) {
			/* Nothing of the chunk was kept there (PROTOCOL.md): the next sync goes on from its bytes. */
			errf(err, errlen,
			     _("attachment %.8s: the server's disk is full; the file is kept for the next sync"), hex);
			r = MEDIA_FULL;
			goto out;
		} else {
			r = refused(hex, status, &answer, err, errlen);
			goto out;
		}
	}
	r = (uint64_t)offset == size ? 0 :
	    (errf(err, errlen, _("attachment %.8s: the server's answer is not understood"), hex), MEDIA_REFUSED);
out:
	buf_release(&answer);
	free(chunk);
	if (fd >= 0)
		close(fd);
	return r;
}
