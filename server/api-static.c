/* api-static.c - GET / and the review page's files (web/), embedded at build time ($(B)/gen/web_assets.c).
 *
 * Every file goes out with a strict Content-Security-Policy (no inline script or style, nothing from another
 * origin, no framing), so the page must build its DOM from script files and classes only. Cache-Control:
 * no-cache makes a browser check again after an upgrade of sondeod, while keeping its copy otherwise. The files
 * are web/index.html and those it names (the Makefile reads them from it); cmd-serve.c routes "GET /NAME" here
 * for each. */
#include "i18n.h"
#include "srv.h"
#include "banned.h"

void api_static(struct http_request *rq, struct http_response *rs)
{
	http_reply_embedded(rs, web_files, rq->path);
}
