/* api-static.c - GET / and the review page's files (web/), embedded at build time ($(B)/gen/web_assets.c).
 *
 * Every file goes out with a strict Content-Security-Policy (no inline script or style, nothing from another
 * origin, no framing), so the page must build its DOM from script files and classes only. Cache-Control:
 * no-cache makes a browser check again after an upgrade of sondeod, while keeping its copy otherwise. The files
 * are web/index.html and those it names (the Makefile reads them from it); cmd-serve.c routes "GET /NAME" here
 * for each. */
#include <string.h>

#include "i18n.h"
#include "srv.h"
#include "banned.h"

/* The media type of a file, from its extension. */
static const char *asset_type(const char *name)
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

/* The file served at path ("/" is index.html), NULL if none. */
static const struct embedded_file *static_file(const char *path)
{
	const struct embedded_file *f;

	if (path[0] != '/')
		return NULL;
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (f = web_files; f->name; f++)
		if (!strcmp(path + 1, f->name))
			return f;
	return NULL;
}

void api_static(struct http_request *rq, struct http_response *rs)
{
	const struct embedded_file *f = static_file(rq->path);

	if (f) {
		rs->status = 200;
		rs->type = asset_type(f->name);
		buf_reset(&rs->body);
		if (buf_add(&rs->body, f->data, f->len) < 0) {
			http_reply_error(rs, 500, "internal", _("out of memory"));
			return;
		}
		http_add_page_headers(rs);
		return;
	}
	http_reply_error(rs, 404, "not_found", _("no such file"));
}
