/* api-export.c - GET /v1/export?format=csv|xlsx|json|geojson&FILTERS[&choice_columns=1][&lang=L]: the selected
 * records as a file (reviewer; docs/review-api.md). The export is written to a private temporary file in the
 * data directory, which is unlinked at once and streamed from its descriptor: memory stays flat whatever the
 * size, and nothing is left behind if the client goes away. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "export-store.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

void api_export(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	const struct srv *srv = rq->app;
	const char *format = http_query(rq, "format"), *cc = http_query(rq, "choice_columns");
	const char *lang = http_query(rq, "lang");
	struct export_opts o = { 0, "en", NULL };
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
	/* The labels and the XLSX headings in the language asked for, else the request's (Accept-Language). */
	if (lang && (!i18n_has(lang) || i18n_set(lang) < 0)) {
		http_reply_error(rs, 400, "bad_request", _("lang is one of %s"), i18n_list());
		return;
	}
	o.choice_columns = cc && cc[0] == '1';
	o.lang = i18n_lang();
	o.repeat = f.repeat;   /* repeat=NAME: the instances of that repeat */
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
