/* web-i18n.c - GET /i18n: the field page's languages and messages, from the catalogs built into sondeo (the
 * pages' catalogs, which it shares with sondeod's review page). */
#include "embed.h"
#include "i18n.h"
#include "web.h"
#include "banned.h"

/* gen/page_catalogs.c */
extern const struct embedded_file page_catalogs[];

void web_i18n(struct http_request *rq, struct http_response *rs)
{
	/* Public words, but only this server's pages ask for them (no DNS rebinding, as everywhere). */
	if (!web_host_ok(rq->app, rq)) {
		http_reply_error(rs, 421, "wrong_host", _("this server answers only to the address sondeo web printed"));
		return;
	}
	http_i18n(rq, rs, page_catalogs);
}
