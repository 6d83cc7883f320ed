/* api-health.c - GET /healthz: the server is up and its store opens. */
#include "srv.h"
#include "banned.h"

void api_health(struct http_request *rq, struct http_response *rs)
{
	if (srv_store(rq, rs))
		http_reply_text(rs, 200, "text/plain", "ok\n");
}
