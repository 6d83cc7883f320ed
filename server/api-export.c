/* api-export.c - GET /v1/export?format=csv|xlsx|json|geojson&FILTERS[&choice_columns=1][&labels=1][&lang=L]
 * [&media=1]: the selected records as a file (reviewer; docs/review-api.md). The export is written to a private
 * temporary file in the data directory, which is unlinked at once and streamed from its descriptor: memory stays
 * flat whatever the size, and nothing is left behind if the client goes away. Attachments are linked to this
 * server, at the address the reviewer reached it by.
 *
 * media=1: a ZIP of the export (and of each repeat's), and of the files it names (export_zip), streamed: the tables
 * are written first, the files read as the answer goes out, so that a download of gigabytes of photos starts at
 * once. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "export-store.h"
#include "zipstream.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

/* The address the reviewer reached this server by, for links in the export: the scheme it serves and the Host
 * header, when that is a host name or address (and a port) and nothing else; else "" (links from the root). A
 * browser sends the Host of the page's own address, so nothing a page can choose goes into the links. */
static void origin(struct http_request *rq, const struct srv *srv, char *out, size_t n)
{
	const char *host = http_header(rq, "Host");
	size_t len = host ? strlen(host) : 0;

	out[0] = '\0';
	if (!len || len > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != len)
		return;
	snprintf(out, n, "%s://%s", srv->tls ? "https" : "http", host);
}

static ssize_t zip_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
	struct zipstream *z = ctx;
	ssize_t got = zipstream_read(z, pos, buf, max);

	if (got < 0)
		http_log("export with attachments: %s", zipstream_error(z));
	return got;
}

static void zip_done(void *ctx)
{
	zipstream_free(ctx);
}

/* The ZIP of the export and its attachments, streamed. */
static void export_media(struct http_request *rq, struct http_response *rs, struct sstore *s,
			 const struct sstore_filter *f, int fmt, const struct export_opts *o, const char *user,
			 const char *format)
{
	const struct srv *srv = rq->app;
	uint64_t records = 0, files = 0;
	char err[512], disp[160], day[16];
	struct zipstream *z;
	struct tm tm;
	time_t now;

	if (!(z = export_zip(s, f, (enum export_format)fmt, o, srv->data_dir, &records, &files, err, sizeof(err)))) {
		srv_store_error(rs, err);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s-%s.zip\"", f->form, day);
	http_reply_stream(rs, 200, "application/zip", zipstream_size(z), zip_read, zip_done, z);
	http_add_header(rs, "Content-Disposition", disp);
	sstore_audit_json(s, user, rq->ip, "export", f->form,
			  json_pack("{s:s, s:I, s:I}", "format", format, "records", (json_int_t)records, "attachments",
				    (json_int_t)files), NULL, 0);
}

void api_export(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	const struct srv *srv = rq->app;
	const char *format = http_query(rq, "format"), *cc = http_query(rq, "choice_columns");
	const char *lang = http_query(rq, "lang"), *media = http_query(rq, "media"), *labels = http_query(rq, "labels");
	struct export_opts o = { .lang = "en" };
	struct export_server_links links;
	char base[300];
	struct sstore_session sess;
	struct sstore_filter f;
	char err[512], path[4096], rnd[17], disp[160], day[16];
	unsigned char raw[8];
	uint64_t count = 0;
	struct stat st;
	struct tm tm;
	time_t now;
	int fmt, fd;

	if (!s || srv_session(rq, rs, s, ROLE_REVIEWER, 0, &sess, NULL) < 0 || srv_filter(rq, rs, s, &f) < 0)
		return;
	if (!format || (fmt = export_format_parse(format)) < 0) {
		http_reply_error(rs, 400, "bad_request", _("format is csv, xlsx, json or geojson"));
		return;
	}
	if (cc && strcmp(cc, "0") && strcmp(cc, "1")) {
		http_reply_error(rs, 400, "bad_request", _("choice_columns is 0 or 1"));
		return;
	}
	if (labels && strcmp(labels, "0") && strcmp(labels, "1")) {
		http_reply_error(rs, 400, "bad_request", _("labels is 0 or 1"));
		return;
	}
	if (labels && labels[0] == '1' && fmt != EXPORT_XLSX) {
		http_reply_error(rs, 400, "bad_request",
				 _("labels=1 is for format=xlsx: CSV, JSON and GeoJSON keep the choices' names"));
		return;
	}
	if (media && strcmp(media, "0") && strcmp(media, "1")) {
		http_reply_error(rs, 400, "bad_request", _("media is 0 or 1"));
		return;
	}
	/* The labels and the XLSX headings in the language asked for, else the request's (Accept-Language). */
	if (lang && (!i18n_has(lang) || i18n_set(lang) < 0)) {
		http_reply_error(rs, 400, "bad_request", _("lang is one of %s"), i18n_list());
		return;
	}
	o.choice_columns = cc && cc[0] == '1';
	o.labels = labels && labels[0] == '1';
	o.lang = i18n_lang();
	o.repeat = f.repeat;   /* repeat=NAME: the instances of that repeat */
	if (media && media[0] == '1') {
		export_media(rq, rs, s, &f, fmt, &o, sess.user, format);
		return;
	}
	origin(rq, srv, base, sizeof(base));
	links.s = s;
	links.base = base;
	o.link = export_link_server;
	o.link_ctx = &links;
	randombytes_buf(raw, sizeof(raw));
	hex_encode(rnd, raw, sizeof(raw));
	if ((size_t)snprintf(path, sizeof(path), "%s/export-%s.%s", srv->data_dir, rnd,
			     export_extension((enum export_format)fmt)) >= sizeof(path)) {
		http_reply_error(rs, 503, "unavailable", _("the data directory's path is too long"));
		return;
	}
	if (export_selection(s, &f, path, (enum export_format)fmt, &o, &count, err, sizeof(err)) < 0) {
		srv_store_error(rs, err);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		http_reply_error(rs, 503, "unavailable", _("cannot read the export back"));
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s-%s.%s\"", f.form, day,
		 export_extension((enum export_format)fmt));
	http_reply_file(rs, 200, export_content_type((enum export_format)fmt), fd, (uint64_t)st.st_size);
	http_add_header(rs, "Content-Disposition", disp);
	sstore_audit_json(s, sess.user, rq->ip, "export", f.form,
			  json_pack("{s:s, s:I}", "format", format, "records", (json_int_t)count), NULL, 0);
}
