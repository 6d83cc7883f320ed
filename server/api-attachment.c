/* api-attachment.c - GET /v1/attachment?blake2b=HEX[&thumb=1][&download=1][&name=NAME]: an attachment held whole, to
 * a signed-in user of the review page (docs/review-api.md).
 *
 * Nothing uploaded ever runs in the page's origin: images, audio and video of the kinds Sondeo tells from their
 * bytes go out with their type and shown in place; anything else is application/octet-stream for download; every
 * answer carries nosniff and a sandboxing Content-Security-Policy. thumb=1 gives an image's 320-pixel version,
 * made once (image.h) and kept beside the files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"
#include "image.h"
#include "media.h"
#include "srv.h"
#include "sstore-media.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

#define THUMB_PIXELS 320

/* Content-Disposition for name (cleaned as a file's name; RFC 6266's filename* in UTF-8, and an ASCII fallback). */
static void disposition(struct http_response *rs, const char *how, const char *name)
{
	char clean[MEDIA_NAME_MAX + 1], v[160], ascii[48];
	size_t i, n = 0, k = 0;
	int w = snprintf(v, sizeof v, "%s; filename=\"", how);

	media_name_clean(name && *name ? name : "attachment", clean, sizeof clean);
	/* One '_' for each character the ASCII name cannot hold. */
	for (i = 0; clean[i] && k + 1 < sizeof ascii; i++)
		if (((unsigned char)clean[i] & 0xc0) != 0x80)
			ascii[k++] = (unsigned char)clean[i] < 0x80 && clean[i] != '"' && clean[i] != '\\' ? clean[i] : '_';
	ascii[k] = '\0';
	w += snprintf(v + w, sizeof v - (size_t)w, "%s\"; filename*=UTF-8''", ascii);
	/* As much of the name as the header holds, never a character cut in two. */
	for (i = 0; clean[i] && (size_t)w + 4 < sizeof v; i++) {
		unsigned char c = (unsigned char)clean[i];

		if (c >= 0x80 && (c & 0xc0) == 0xc0) {
			for (n = 1; (clean[i + n] & 0xc0) == 0x80; n++)
				;
			if ((size_t)w + 3 * n + 1 >= sizeof v)
				break;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(".-_~", c))
			v[w++] = (char)c;
		else
			w += snprintf(v + w, sizeof v - (size_t)w, "%%%02X", c);
	}
	v[w] = '\0';
	http_add_header(rs, "Content-Disposition", v);
}

/* The path of hex's thumbnail, made now if it is not yet: 1 with path set, 0 when the image is small enough to be
 * its own, -1 with err. */
static int thumbnail(struct sstore *s, const char *hex, const char *file, char *path, size_t n, char *err,
		     size_t errlen)
{
	struct buf in = BUF_INIT(IMAGE_MAX_INPUT), out = BUF_INIT((size_t)16 << 20);
	char tmp[4096 + 8];
	struct stat st;
	int fd, r = -1, fit;

	if (sstore_media_thumb_path(s, hex, path, n, err, errlen) < 0)
		return -1;
	if (stat(path, &st) == 0)
		return 1;
	if (buf_read_file(&in, file) < 0) {
		errf(err, errlen, _("cannot read '%s': %s"), file, strerror(errno));
		goto out;
	}
	if ((fit = image_fit((const unsigned char *)in.data, in.len, THUMB_PIXELS, &out, err, errlen)) != 0) {
		r = fit == 1 ? 0 : -1;
		goto out;
	}
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || fd_write_all(fd, out.data, out.len) < 0 || rename(tmp, path) < 0) {
		errf(err, errlen, _("cannot write '%s': %s"), path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	} else {
		r = 1;
	}
	if (fd >= 0)
		close(fd);
out:
	buf_release(&in);
	buf_release(&out);
	return r;
}

void api_attachment(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	const char *hex = http_query(rq, "blake2b"), *type;
	struct sstore_session sess;
	struct sstore_media m;
	char err[512], path[4096], thumb[4096];
	struct stat st;
	int rc, fd, download = http_query(rq, "download") != NULL, small = http_query(rq, "thumb") != NULL;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 0, &sess, NULL) < 0)
		return;
	if (!hex || !media_hex_valid(hex)) {
		http_reply_error(rs, 400, "bad_request", "%s", _("give the attachment as ?blake2b=HEX"));
		return;
	}
	if ((rc = sstore_media_get(s, hex, &m, err, sizeof err)) > 0 && m.held == m.size)
		rc = sstore_media_path(s, hex, path, sizeof path, err, sizeof err);
	else if (rc > 0)
		rc = 0;
	if (rc < 0) {
		srv_store_error(rs, err);
		return;
	}
	if (rc == 0) {
		http_reply_error(rs, 404, "not_here_yet", "%s", _("this attachment has not reached the server whole yet: the "
								  "laptop that made it sends it at its next sync"));
		return;
	}
	type = media_shown_type(m.type);
	if (small && type && (!strcmp(type, "image/jpeg") || !strcmp(type, "image/png"))) {
		if ((rc = thumbnail(s, hex, path, thumb, sizeof thumb, err, sizeof err)) < 0) {
			srv_store_error(rs, err);
			return;
		}
		if (rc == 1)
			strlcpy_s(path, thumb, sizeof path);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		srv_store_error(rs, strerror(errno));
		return;
	}
	/* nosniff goes with every answer (http.c); the file may not even run a script in a frame of its own. */
	http_add_header(rs, "Content-Security-Policy", "sandbox; default-src 'none'");
	http_add_header(rs, "Cache-Control", "private, max-age=86400, immutable");   /* a hash never changes */
	disposition(rs, download || !type ? "attachment" : "inline", http_query(rq, "name"));
	http_reply_file(rs, 200, download || !type ? "application/octet-stream" : type, fd, (uint64_t)st.st_size);
}
