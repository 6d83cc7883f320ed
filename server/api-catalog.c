/* api-catalog.c - GET /v1/catalog: what the review page needs to label and filter: every published version of
 * every form, the regions, and this server's identity (docs/review-api.md). */
#include <string.h>

#include "srv.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "form.h"
#include "banned.h"

static void add_version(void *ctx, const char *id, const char *version, const char *json)
{
	json_t *forms = ctx, *def = json_loads(json, 0, NULL);
	struct form *f = form_load(json, strlen(json), NULL, 0);

	if (def && f)
		json_array_append_new(forms, json_pack("{s:s, s:s, s:s, s:O}", "id", id, "version", version, "title",
						       form_title(f, "en"), "definition", def));
	json_decref(def);
	form_free(f);
}

void api_catalog(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char err[512], id[KEYS_ID_STRLEN + 1];
	json_t *forms, *regions;

	if (!s || srv_session(rq, rs, s, ROLE_VIEWER, 0, &sess, NULL) < 0)
		return;
	forms = json_array();
	if (sstore_form_versions(s, add_version, forms, err, sizeof(err)) < 0 ||
	    !(regions = sstore_regions(s, err, sizeof(err)))) {
		json_decref(forms);
		srv_store_error(rs, err);
		return;
	}
	keys_id(keys_public(sstore_keys(s)), id);
	http_reply_json(rs, 200, json_pack("{s:o, s:o, s:{s:s, s:s}}", "forms", forms, "regions", regions, "server",
					   "id", id, "name", "server"));
}
