/* api-static.c - GET / and the review page's files (web/), embedded at build time ($(B)/gen/web_assets.c).
 *
 * Every file goes out with a strict Content-Security-Policy (no inline script or style, nothing from another
 * origin, no framing), so the page must build its DOM from script files and classes only. Cache-Control:
 * no-cache makes a browser check again after an upgrade of sondeod, while keeping its copy otherwise. */
#include <string.h>

#include "srv.h"
#include "banned.h"

extern const unsigned char web_index_html[], web_app_css[], web_app_js[], web_pages_js[], web_charts_js[],
	web_qr_js[], web_favicon_svg[];
extern const size_t web_index_html_len, web_app_css_len, web_app_js_len, web_pages_js_len, web_charts_js_len,
	web_qr_js_len, web_favicon_svg_len;

static const struct asset {
	const char *path;
	const char *type;
	const unsigned char *data;
	const size_t *len;
} assets[] = {
	{ "/", "text/html; charset=utf-8", web_index_html, &web_index_html_len },
	{ "/index.html", "text/html; charset=utf-8", web_index_html, &web_index_html_len },
	{ "/app.css", "text/css; charset=utf-8", web_app_css, &web_app_css_len },
	{ "/app.js", "text/javascript; charset=utf-8", web_app_js, &web_app_js_len },
	{ "/pages.js", "text/javascript; charset=utf-8", web_pages_js, &web_pages_js_len },
	{ "/charts.js", "text/javascript; charset=utf-8", web_charts_js, &web_charts_js_len },
	{ "/qr.js", "text/javascript; charset=utf-8", web_qr_js, &web_qr_js_len },
	{ "/favicon.svg", "image/svg+xml", web_favicon_svg, &web_favicon_svg_len },
};

void api_static(struct http_request *rq, struct http_response *rs)
{
	size_t i;

	for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		if (strcmp(rq->path, assets[i].path))
			continue;
		rs->status = 200;
		rs->type = assets[i].type;
		buf_reset(&rs->body);
		if (buf_add(&rs->body, assets[i].data, *assets[i].len) < 0) {
			http_reply_error(rs, 500, "internal", "out of memory");
			return;
		}
		http_add_header(rs, "Cache-Control", "no-cache");
		http_add_header(rs, "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
				"frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
		http_add_header(rs, "X-Frame-Options", "DENY");
		http_add_header(rs, "Referrer-Policy", "no-referrer");
		return;
	}
	http_reply_error(rs, 404, "not_found", "no such file");
}
