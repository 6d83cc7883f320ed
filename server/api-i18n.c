/* api-i18n.c - GET /i18n: the review page's languages and messages, from the catalogs built into sondeod. */
#include "embed.h"
#include "srv.h"
#include "banned.h"

/* gen/page_catalogs.c */
extern const struct embedded_file page_catalogs[];

void api_i18n(struct http_request *rq, struct http_response *rs)
{
	http_i18n(rq, rs, page_catalogs);
}
