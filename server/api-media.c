/* api-media.c - a device's attachments (docs/attachments-design.md, PROTOCOL.md "Attachments"), both signed:
 *   GET /v1/media/offset?blake2b=HEX      {"offset", "size"}: where the bytes held end (size when whole)
 *   PUT /v1/media?blake2b=HEX&offset=N    a chunk of at most 1 MiB from that offset; 200 {"offset", "size"}, or
 *                                         201 with "whole": true when it completes a file of its hash
 *   GET /v1/media?blake2b=HEX             the file, whole, to a device of a region whose records name it (the
 *                                         device checks its hash: the bytes are what the op signed)
 * A chunk is refused from its headers alone, before its body is read, when no op held here names the file, when
 * it does not start where the bytes held end (409, with the offset), or past the limits (413). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "media.h"
#include "srv.h"
#include "sstore-media.h"
#include "banned.h"

static unsigned status_of(enum sstore_media_status st)
{
	switch (st) {
	case SM_UNKNOWN: return 404;
	case SM_OFFSET: return 409;
	case SM_TOO_LARGE: case SM_QUOTA: return 413;
	case SM_MISMATCH: return 422;
	case SM_FULL: return 507;
	default: return 503;
	}
}

static const char *code_of(enum sstore_media_status st)
{
	switch (st) {
	case SM_UNKNOWN: return "unknown_media";
	case SM_OFFSET: return "offset";
	case SM_TOO_LARGE: return "too_large";
	case SM_QUOTA: return "media_quota";
	case SM_MISMATCH: return "hash_mismatch";
	case SM_FULL: return "disk_full";
	default: return "unavailable";
	}
}

static void refuse(struct http_response *rs, enum sstore_media_status st, const struct sstore_media *m,
		   const char *err)
{
	if (st == SM_OFFSET) {
		/* The device resumes from there. */
		http_reply_json(rs, 409, json_pack("{s:s, s:s, s:I, s:I}", "error", "offset", "message", err, "offset",
						   (json_int_t)m->held, "size", (json_int_t)m->size));
		return;
	}
	http_reply_error(rs, status_of(st), code_of(st), "%s", err);
}

/* The attachment a request names, and the chunk's offset when it has one: 0, or -1 with 400 set in rs. */
static int named(struct http_request *rq, struct http_response *rs, const char **hex, long long *offset)
{
	*hex = http_query(rq, "blake2b");
	if (offset)
		*offset = http_query_number(rq, "offset", -1, 0, LLONG_MAX);
	if (!*hex || !media_hex_valid(*hex) || (offset && *offset < 0)) {
		http_reply_error(rs, 400, "bad_request", "%s", _("blake2b is 64 lowercase hex characters, and a chunk's "
								 "offset a whole number"));
		return -1;
	}
	return 0;
}

void api_media_offset(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_device d;
	struct sstore_media m;
	const char *hex;
	char err[512];
	int rc;

	if (!s || srv_authenticate(rq, rs, s, &d) < 0 || named(rq, rs, &hex, NULL) < 0)
		return;
	if ((rc = sstore_media_get(s, hex, &m, err, sizeof err)) < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	if (rc == 0) {
		http_reply_error(rs, 404, "unknown_media", _("no change set held here names attachment %.16s..."), hex);
		return;
	}
	http_reply_json(rs, 200, json_pack("{s:I, s:I}", "offset", (json_int_t)m.held, "size", (json_int_t)m.size));
}

int api_media_check(struct http_request *rq, struct http_response *rs)
{
	const struct srv *srv = rq->app;
	struct sstore_media_limits lim = { srv->media_file_max, srv->media_day_max };
	const char *hex, *cl = http_header(rq, "Content-Length"), *device = http_header(rq, "Sondeo-Device");
	enum sstore_media_status st;
	struct sstore_device d;
	struct sstore_media m;
	struct sstore *s;
	long long offset;
	char err[512], *end;
	unsigned long long len;

	if (srv_check_signed(rq, rs) < 0 || !(s = srv_store(rq, rs)) || named(rq, rs, &hex, &offset) < 0)
		return -1;
	/* A regional server forwards its region's files: the day's quota is each device's, counted where it sent. */
	if (sstore_device_find(s, device, &d, err, sizeof err) == 1 && d.relay)
		lim.day_max = UINT64_MAX;
	len = cl ? strtoull(cl, &end, 10) : 0;
	if (!cl || *end || !*cl) {
		http_reply_error(rs, 411, "length_required", "%s", _("a chunk says its length (Content-Length)"));
		return -1;
	}
	if ((st = sstore_media_admit(s, device, hex, (uint64_t)offset, len, &lim, &m, err, sizeof err)) != SM_MORE) {
		refuse(rs, st, &m, err);
		return -1;
	}
	return 0;
}

void api_media_put(struct http_request *rq, struct http_response *rs)
{
	const struct srv *srv = rq->app;
	struct sstore_media_limits lim = { srv->media_file_max, srv->media_day_max };
	struct sstore *s = srv_store(rq, rs);
	enum sstore_media_status st;
	struct sstore_device d;
	struct sstore_media m;
	const char *hex;
	long long offset;
	char err[512];

	if (!s || srv_authenticate(rq, rs, s, &d) < 0 || named(rq, rs, &hex, &offset) < 0)
		return;
	if (d.relay)
		lim.day_max = UINT64_MAX;
	st = sstore_media_put(s, d.id, hex, (uint64_t)offset, rq->body.data, rq->body.len, &lim, &m, err, sizeof err);
	if (st == SM_MORE)
		http_reply_json(rs, 200, json_pack("{s:I, s:I}", "offset", (json_int_t)m.held, "size", (json_int_t)m.size));
	else if (st == SM_WHOLE)
		http_reply_json(rs, 201, json_pack("{s:I, s:I, s:b}", "offset", (json_int_t)m.held, "size",
						   (json_int_t)m.size, "whole", 1));
	else {
		if (st == SM_FULL)
			/* The operator's side of a 507: the device was told, and keeps its bytes for its next sync. */
			http_log(N_("the disk is full: attachment %.16s... stays at %llu of its %llu bytes until "
				    "there is room"), hex, (unsigned long long)m.held, (unsigned long long)m.size);
		refuse(rs, st, &m, err);
	}
}

void api_media_get(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_device d;
	struct sstore_media m;
	const char *hex;
	char err[512], path[4096];
	int rc, fd;

	if (!s || srv_authenticate(rq, rs, s, &d) < 0 || named(rq, rs, &hex, NULL) < 0)
		return;
	/* Only to the region whose records name it, as the pull gives those records only: the same answer whether
	 * the file is unknown or another region's, so that a hash says nothing of what is held here. */
	if ((rc = sstore_media_in_region(s, hex, d.region, err, sizeof err)) == 1)
		rc = sstore_media_get(s, hex, &m, err, sizeof err);
	if (rc < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	if (rc == 0) {
		http_reply_error(rs, 404, "unknown_media", _("no record of region %s names attachment %.16s..."),
				 d.region, hex);
		return;
	}
	if (m.held != m.size || sstore_media_path(s, hex, path, sizeof path, err, sizeof err) != 1) {
		http_reply_error(rs, 404, "not_here_yet", _("attachment %.16s... has not reached this server whole yet"),
				 hex);
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		http_reply_error(rs, 503, "unavailable", _("cannot read '%s': %s"), path, strerror(errno));
		return;
	}
	http_reply_file(rs, 200, "application/octet-stream", fd, m.size);
}
