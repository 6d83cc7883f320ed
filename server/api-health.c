/* api-health.c - GET /healthz: the server is up, its store opens, and its last write did not fail. */
#include "db.h"
#include "i18n.h"
#include "srv.h"
#include "banned.h"

void api_health(struct http_request *rq, struct http_response *rs)
{
	char why[256];

	if (!srv_store(rq, rs))
		return;
	/* A full disk is answered until a write succeeds again: monitoring sees what the devices meet. */
	if (!db_writable(why, sizeof(why)))
		http_reply_error(rs, 503, "store_unwritable", _("the store cannot write: %s"), why);
	else
		http_reply_text(rs, 200, "text/plain", "ok\n");
}
