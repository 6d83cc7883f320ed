/* web-media.c - attachments in sondeo web's page (docs/attachments-design.md):
 *   POST /api/media?question=Q&(id=RID|form=F|parent=RID&repeat=R)&name=NAME   the file's bytes as the body: kept
 *        in the store (checked as at the terminal: its kind, its size, an image scaled to max-pixels) and saved as
 *        Q's answer; answered with the record's view, as POST /api/answer is
 *   GET /api/media?blake2b=HEX   a file of this laptop's, to show in the page: images, recordings and videos with
 *        their type, anything else as a download, sandboxed, never run in the page's origin. A file the region's
 *        records name and the laptop lacks comes down from the server when it is opened, kept only if of its hash. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "media.h"
#include "net.h"
#include "remote.h"
#include "store.h"
#include "util.h"
#include "web.h"
#include "banned.h"

struct upload {
	struct http_request *rq;
	const char *name;
};

/* The body, as a file store_media_add reads (in memory: it is bounded by the route), kept for q. */
static int keep(void *ctx, const struct form_question *q, struct fill *fl, json_t **v, char *err, size_t errlen)
{
	struct upload *u = ctx;
	struct web *w = u->rq->app;
	int fd, r;

	(void)fl;
	if (!form_is_media(q->type))
		return errf(err, errlen, "%s", _("this question takes no file"));
	if (!u->rq->body.len)
		return errf(err, errlen, "%s", _("the file is empty"));
	if ((fd = memfd_create("sondeo-upload", MFD_CLOEXEC)) < 0 ||
	    fd_write_all(fd, u->rq->body.data, u->rq->body.len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		r = errf(err, errlen, _("cannot keep the file: %s"), strerror(errno));
	} else {
		r = store_media_add(w->s, fd, u->name, q, STORE_MEDIA_MAX, v, err, errlen);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

void web_media_put(struct http_request *rq, struct http_response *rs)
{
	static const char *const keys[] = { "id", "form", "parent", "repeat", "question" };
	struct upload u = { rq, http_query(rq, "name") };
	json_t *body = json_object();
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (http_query(rq, keys[i]))
			json_object_set_new(body, keys[i], json_string(http_query(rq, keys[i])));
	if (!u.name || !*u.name)
		u.name = "file";
	web_answer_save(rq, rs, body, keep, &u);
	json_decref(body);
}

/* Brings attachment hex from the server this laptop syncs with (GET /v1/media): 1 when it is now here, 0 when
 * the server has not got it (or the laptop is not enrolled), with why in msg. */
static int bring(struct store *s, const char *hex, char *msg, size_t n)
{
	struct net_response rs;
	struct remote r;
	char url[256];
	int here = 0;

	if (remote_open(&r, s, 0, msg, n) < 0)
		return 0;
	snprintf(url, sizeof url, "/v1/media?blake2b=%s", hex);
	memset(&rs, 0, sizeof rs);
	if (remote_call(&r, "GET", url, NULL, 0, NULL, REMOTE_UNSIGNED, &rs, msg, n) == NET_OK) {
		if (rs.status == 200)
			here = store_media_keep(s, hex, rs.body.data, rs.body.len, msg, n) == 0;
		else
			net_error_text(&rs, msg, n);
	}
	buf_release(&rs.body);
	remote_close(&r);
	return here;
}

void web_media_get(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	const char *hex = http_query(rq, "blake2b");
	unsigned char head[4096];
	char path[4096], msg[512];
	struct stat st;
	const char *type;
	ssize_t n;
	int fd;

	if (!hex || !media_hex_valid(hex)) {
		http_reply_error(rs, 400, "bad_request", "%s", _("give the file as ?blake2b=HEX"));
		return;
	}
	if (store_media_path(w->s, hex, path, sizeof path) != 1 && (net_init(msg, sizeof msg) < 0 ||
								    !bring(w->s, hex, msg, sizeof msg))) {
		http_reply_error(rs, 404, "not_here", _("this file is not on this laptop, and the server did not give it: %s"),
				 msg);
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    (n = pread(fd, head, sizeof head, 0)) < 0) {
		if (fd >= 0)
			close(fd);
		http_reply_error(rs, 500, "store", _("cannot read '%s': %s"), path, strerror(errno));
		return;
	}
	/* The kind from the bytes, as when it was kept: the store holds no other word for it. */
	type = media_shown_type(media_sniff(head, (size_t)n));
	http_add_header(rs, "Content-Security-Policy", "sandbox; default-src 'none'");
	http_add_header(rs, "Content-Disposition", type && !http_query(rq, "download") ? "inline" : "attachment");
	http_reply_file(rs, 200, type && !http_query(rq, "download") ? type : "application/octet-stream", fd,
			(uint64_t)st.st_size);
}
