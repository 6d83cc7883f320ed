/* api-relay-pull.c - GET /v1/relay/pull?after=CURSOR&forms=N: what a regional server takes down from
 * headquarters (docs/relay-design.md, "Pull down"): the change sets of its region held after the cursor,
 * byte for byte as their devices (or headquarters itself) signed them, less those the relay forwarded or
 * made; the revoked devices of its region; and every version of every form when the relay has not seen them
 * all (it says how many it has). Signed with the server's key and bound to the request's nonce. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "i18n.h"
#include "srv.h"
#include "sstore-relay.h"
#include "sstore-review.h"
#include "banned.h"

#define RELAY_PULL_MAX 500                  /* change sets in one answer */
#define RELAY_PULL_BYTES ((size_t)8 << 20)  /* and their bytes, past the first */

struct pulled {
	json_t *list;
};

static int add_changeset(void *ctx, const unsigned char *bytes, size_t len, const char *author, const char *name,
			 uint64_t at)
{
	struct pulled *p = ctx;
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(n);
	json_t *o;

	if (!b64)
		return -1;
	sodium_bin2base64(b64, n, bytes, len, sodium_base64_VARIANT_ORIGINAL);
	/* at: where the relay's cursor may move once it has taken this one, and not before. */
	o = json_pack("{s:s, s:s, s:I}", "data", b64, "name", name, "at", (json_int_t)at);
	free(b64);
	if (!o)
		return -1;
	/* The reviewer behind a server's change set: the relay keeps it for its own page and devices. */
	if (author[0])
		json_object_set_new(o, "by", json_string(author));
	return json_array_append_new(p->list, o);
}

static void add_revoked(void *ctx, const char *id)
{
	json_array_append_new(ctx, json_string(id));
}

static void add_version(void *ctx, const char *id, const char *version, const char *json)
{
	json_t *def = json_loads(json, 0, NULL);

	(void)id;
	(void)version;
	if (def)
		json_array_append_new(ctx, def);
}

void api_relay_pull(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct pulled p = { NULL };
	struct sstore_device relay;
	json_t *revoked = NULL, *forms = NULL, *answer;
	char err[512];
	long long after, seen;
	uint64_t next;
	int more;

	if (!s || srv_authenticate(rq, rs, s, &relay) < 0)
		return;
	if (!relay.relay) {
		http_reply_error(rs, 403, "not_a_relay", _("device %s is not a regional server"), relay.id);
		return;
	}
	after = http_query_number(rq, "after", 0, 0, LLONG_MAX);
	seen = http_query_number(rq, "forms", 0, 0, LLONG_MAX);
	if (after < 0 || seen < 0) {
		http_reply_error(rs, 400, "bad_request", _("after is a cursor and forms a count (whole numbers)"));
		return;
	}
	p.list = json_array();
	revoked = json_array();
	forms = json_array();
	if (sstore_relay_pull(s, &relay, (uint64_t)after, RELAY_PULL_MAX, RELAY_PULL_BYTES, add_changeset, &p, &next,
			      &more, err, sizeof(err)) < 0 ||
	    sstore_region_revoked(s, relay.region, add_revoked, revoked, err, sizeof(err)) < 0 ||
	    sstore_form_versions(s, add_version, forms, err, sizeof(err)) < 0) {
		json_decref(p.list);
		json_decref(revoked);
		json_decref(forms);
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	answer = json_pack("{s:o, s:I, s:b, s:o, s:I}", "changesets", p.list, "next", (json_int_t)next, "more", more,
			   "revoked", revoked, "form_versions", (json_int_t)json_array_size(forms));
	/* The forms only when the relay lacks some: they are the bulk of an otherwise empty answer. */
	if ((long long)json_array_size(forms) != seen)
		json_object_set_new(answer, "forms", forms);
	else
		json_decref(forms);
	srv_reply_signed(rq, rs, s, answer);
}
