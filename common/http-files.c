/* http-files.c - a page's files, built into a program (embed.h): their routes and their answers, for sondeod's
 * review page and sondeo web's field page alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "http.h"
#include "i18n.h"
#include "banned.h"

struct http_route *http_routes_files(const struct http_route *api, size_t napi, const struct embedded_file *files,
				     http_fn fn, size_t *n, char **paths)
{
	size_t nfiles = 0, bytes = 0, i;
	struct http_route *all;
	char *p;

	for (i = 0; files[i].name; i++, nfiles++)
		bytes += strlen(files[i].name) + 2;
	all = calloc(napi + nfiles, sizeof(*all));
	p = *paths = malloc(bytes ? bytes : 1);
	if (!all || !p) {
		free(all);
		free(p);
		*paths = NULL;
		return NULL;
	}
	memcpy(all, api, napi * sizeof(*api));
	for (i = 0; i < nfiles; i++) {
		size_t len = strlen(files[i].name) + 2;

		snprintf(p, len, "/%s", files[i].name);
		all[napi + i] = (struct http_route){ "GET", p, fn, 0, NULL, 0 };
		p += len;
	}
	*n = napi + nfiles;
	return all;
}

/* The media type of a file, from its extension. */
static const char *file_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" }, { ".svg", "image/svg+xml" }, { ".png", "image/png" },
		{ ".json", "application/json" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

int http_reply_embedded(struct http_response *rs, const struct embedded_file *files, const char *path)
{
	const struct embedded_file *f;

	if (path[0] != '/') {
		http_reply_error(rs, 404, "not_found", _("no such file"));
		return -1;
	}
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (f = files; f->name && strcmp(path + 1, f->name); f++)
		;
	if (!f->name) {
		http_reply_error(rs, 404, "not_found", _("no such file"));
		return -1;
	}
	rs->status = 200;
	rs->type = file_type(f->name);
	buf_reset(&rs->body);
	if (buf_add(&rs->body, f->data, f->len) < 0) {
		http_reply_error(rs, 500, "internal", _("out of memory"));
		return -1;
	}
	rs->compress = 1;
	http_add_page_headers(rs);
	return 0;
}
