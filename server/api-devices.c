/* api-devices.c - GET /v1/devices lists the enrolled devices; POST /v1/devices/revoke {id} revokes one from its
 * next request on (admin; docs/review-api.md). */
#include "srv.h"
#include "i18n.h"
#include "sstore-users.h"
#include "banned.h"

static void add_device(void *ctx, const struct sstore_device *d)
{
	/* kind: a laptop, a regional server (relay), or at a regional server a device known only from
	 * headquarters' pull (hq-only); via: the regional server that vouched for it; altered: the change sets a
	 * relay altered on the way; clock_off: its clock minus ours when a request was last refused for its time
	 * (0: never), at clock_off_at. */
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:I}", "id",
					     d->id, "name", d->name, "region", d->region, "enrolled",
					     (json_int_t)d->enrolled_ms, "last_seen", (json_int_t)d->last_seen_ms, "revoked",
					     (json_int_t)d->revoked_ms, "ops", (json_int_t)d->ops, "equivocations",
					     (json_int_t)d->equivocations, "kind",
					     d->relay ? "relay" : d->upstream ? "hq-only" : "device", "via", d->via, "altered",
					     (json_int_t)d->altered, "clock_off", (json_int_t)(d->clock_off_at_ms ?
											d->clock_off_ms : 0),
					     "clock_off_at", (json_int_t)d->clock_off_at_ms));
}

void api_devices(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	char err[512];
	json_t *list;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0)
		return;
	list = json_array();
	if (sstore_device_list(s, add_device, list, err, sizeof(err)) < 0) {
		json_decref(list);
		srv_store_error(rs, err);
		return;
	}
	http_reply_json(rs, 200, json_pack("{s:o}", "devices", list));
}

void api_devices_revoke(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	struct sstore_device d;
	const char *id;
	char err[512];
	json_t *body;
	int r;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0 || !(body = http_json_body(rq, rs)))
		return;
	id = json_string_value(json_object_get(body, "id"));
	if (!id) {
		http_reply_error(rs, 400, "bad_request", _("give the device's id as id"));
	} else if ((r = sstore_device_find(s, id, &d, err, sizeof(err))) <= 0) {
		if (r < 0)
			srv_store_error(rs, err);
		else
			http_reply_error(rs, 404, "no_device", _("no device '%.40s'"), id);
	} else if ((r = sstore_device_revoke(s, d.id, err, sizeof(err))) < 0) {
		srv_store_error(rs, err);
	} else {
		if (r == 1)
			sstore_audit_json(s, sess.user, rq->ip, "revoke", d.id,
					  json_pack("{s:s, s:s}", "device", d.name, "region", d.region), NULL, 0);
		http_reply_json(rs, 200, json_pack("{s:s, s:b}", "id", d.id, "revoked", 1));
	}
	json_decref(body);
}
