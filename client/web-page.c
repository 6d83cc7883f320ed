/* web-page.c - GET / and the page's files (web/field/, built in as gen/field_assets.c), and the exchange of the key
 * in the printed address for a session.
 *
 * GET /?key=KEY with the key sondeo printed, from this computer, starts the team lead's session: a cookie (HttpOnly, SameSite=Strict, this server's
 * port in its name, since cookies ignore ports), and a redirect to / that takes the key out of the address bar and
 * the browser's history. The files themselves hold no data and are served to any request that names this server
 * (Host): without a session, the page says to open the printed address. They carry the strict
 * Content-Security-Policy of http_add_page_headers. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "embed.h"
#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

extern const struct embedded_file field_files[];


void web_page(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	const char *key = http_query(rq, "key");
	char cookie[160];

	if (!web_host_ok(w, rq)) {
		http_reply_error(rs, 421, "wrong_host", _("this server answers only to the address sondeo web printed"));
		return;
	}
	if (key && !strcmp(rq->path, "/")) {
		struct web_session *ss;

		/* The key makes the team lead: it is taken from this computer only, whatever else --share serves. */
		if (!web_local(rq) || strlen(key) != WEB_SECRET_HEX - 1 ||
		    sodium_memcmp(key, w->key, WEB_SECRET_HEX - 1) != 0) {
			http_reply_error(rs, 403, "wrong_key", _("this is not the address sondeo web printed: open that one"));
			return;
		}
		ss = web_session_new(w, WEB_LEAD, NULL);
		snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict", w->cookie, ss->id);
		http_reply_text(rs, 303, "text/plain; charset=utf-8", "");
		http_add_header(rs, "Set-Cookie", cookie);
		http_add_header(rs, "Location", "/");
		http_add_header(rs, "Cache-Control", "no-store");
		http_add_header(rs, "Referrer-Policy", "no-referrer");
		return;
	}
	http_reply_embedded(rs, field_files, rq->path);
}
