/* api-forms.c - GET /v1/forms: the published forms, each at its newest version, and their tag (the one pulls bring),
 * signed for the device; at a regional server, also headquarters' address and key (docs/relay-design.md). */
#include <sodium.h>
#include <string.h>

#include "auth.h"
#include "srv.h"
#include "sstore-relay.h"
#include "banned.h"

static void add_form(void *ctx, const char *id, const char *version, const char *json)
{
	json_t *forms = ctx, *def = json_loads(json, 0, NULL);

	(void)id;
	(void)version;
	if (def)
		json_array_append_new(forms, def);
}

void api_forms(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_device d;
	char err[512];
	struct sstore_upstream up;
	char tag[33];
	json_t *forms, *answer;

	if (!s || srv_authenticate(rq, rs, s, &d) < 0)
		return;
	/* The tag of the forms as they are before the list is read: a form published in between changes the tag the
	 * device's next pull brings, and is fetched then, never missed. */
	if (srv_forms_tag(s, tag, err, sizeof(err)) < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	forms = json_array();
	if (sstore_form_list(s, add_form, forms, err, sizeof(err)) < 0) {
		json_decref(forms);
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	/* The tag, signed with the forms: a device that has them (at enrolment) need not fetch them at its first sync. */
	answer = json_pack("{s:o, s:s}", "forms", forms, "tag", tag);
	/* A regional server names headquarters, under its own signature: its devices turn there when it is down. */
	if (sstore_upstream_get(s, &up))
		json_object_set_new(answer, "upstream", json_pack("{s:s, s:s}", "url", up.url, "key", up.key));
	srv_reply_signed(rq, rs, s, answer);
	rs->compress = 1;
}
