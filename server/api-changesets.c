/* api-changesets.c - POST /v1/changesets[?pull=CURSOR]: a device uploads one change set (PROTOCOL.md, "Reading a
 * change set"). The request is signed by the device; the change set is checked in the spec's order (header,
 * signer, signature, bounded inflate, strict parse) and taken in by sstore_ingest in one transaction. With pull,
 * the answer also carries the version 2 pull page after CURSOR, signed: a sync that sends changes is one
 * exchange, not two. Each change set is counted for /metrics, taken in or refused with its code, whether the
 * check of its headers (api_changesets_check) or the handler refused it. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "pull.h"
#include "srv.h"
#include "sstore-relay.h"
#include "sstore-users.h"
#include "banned.h"

static unsigned status_of(enum cs_status st)
{
	return st == CS_TOO_LARGE ? 413 : st == CS_NO_MEMORY ? 503 : 400;
}

/* The answer to an upload taken in: its counts, and with a cursor (pull >= 0) the pull page after it, signed. */
static void reply_taken(struct http_request *rq, struct http_response *rs, struct sstore *s,
			const struct sstore_device *d, const struct sstore_ingest *in, long long pull, long long limit)
{
	struct pull_writer w;
	struct buf b = BUF_INIT(PULL_MAX_BYTES + 128);

	if (pull < 0) {
		http_reply_json(rs, 200, json_pack("{s:I, s:I, s:I}", "accepted", (json_int_t)in->accepted,
						   "duplicates", (json_int_t)in->duplicates, "next_seq",
						   (json_int_t)in->next_seq));
		return;
	}
	/* The change set is in whatever happens to the page: a failed page is the answer, the upload is not lost
	 * (sent again, it is answered as held). */
	if (srv_pull_page(s, d, (uint64_t)pull, (unsigned)limit, 2, &w, rs) == 0) {
		if (pull_upload_write(&b, in->accepted, in->duplicates, in->next_seq, &w.body) < 0) {
			http_reply_error(rs, 503, "unavailable", _("out of memory for the answer"));
		} else {
			srv_reply_signed_text(rq, rs, s, b.data);
			rs->compress = 1;
		}
	}
	pull_writer_release(&w);
	buf_release(&b);
}

int api_changesets_check(struct http_request *rq, struct http_response *rs)
{
	if (srv_check_signed(rq, rs) == 0)
		return 0;
	srv_count_changeset(rq, rs);
	return -1;
}

/* Takes in the change set of the request: 1 when it was (the answer may still be an error, if its pull page
 * failed), 0 when it was refused, with the answer set in rs. */
static int take(struct http_request *rq, struct http_response *rs)
{
	const unsigned char *data = (const unsigned char *)rq->body.data;
	struct sstore *s = srv_store(rq, rs);
	struct cs_ops ops = { NULL, 0, NULL };
	struct sstore_device d, relay;
	struct sstore_ingest in;
	struct sstore_origin from = { "", "", 0 };
	const char *by = http_query(rq, "by");
	long long pull, limit;
	int relayed = 0, taken = 0;
	struct cs_header h;
	enum cs_status st;
	char err[512];

	if (!s || srv_authenticate(rq, rs, s, &d) < 0)
		return 0;
	/* A device's own upload may ask for its pull page too; a regional server pulls by its own route. */
	pull = http_query_number(rq, "pull", -1, 0, LLONG_MAX);
	limit = http_query_number(rq, "limit", PULL_V2_MAX_OPS, 1, PULL_V2_MAX_OPS);
	if ((http_query(rq, "pull") && (pull < 0 || d.relay)) || limit < 0) {
		http_reply_error(rs, 400, "bad_request", _("pull is a cursor (a whole number), for a device's own upload, "
				 "and limit is 1 to %d"), PULL_V2_MAX_OPS);
		return 0;
	}
	if ((st = cs_parse_header(data, rq->body.len, &h, err, sizeof(err))) != CS_OK) {
		http_reply_error(rs, status_of(st), cs_code(st), "%s", err);
		return 0;
	}
	/* A device sends only its own ops: the change set's signer is the key that signed the request. A regional
	 * server also forwards, byte for byte, the change sets of the devices it vouched for: they are taken in as
	 * that device's, checked against that device's own key. */
	if (sodium_memcmp(h.signer, d.pk, KEYS_PK_BYTES) != 0) {
		struct sstore_device signer;
		int found = d.relay ? sstore_device_find(s, h.device, &signer, err, sizeof(err)) : 0;

		if (found < 0) {
			http_reply_error(rs, 503, "unavailable", "%s", err);
			return 0;
		}
		if (!found || strcmp(signer.via, d.id) || sodium_memcmp(h.signer, signer.pk, KEYS_PK_BYTES) != 0) {
			if (d.relay)
				http_reply_error(rs, 403, "signer_mismatch", _("the change set is signed by device %s, not by %s"
									       " or a device it vouched for"), h.device, d.id);
			else
				http_reply_error(rs, 403, "signer_mismatch", _("the change set is signed by device %s, not by"
									       " %s"), h.device, d.id);
			return 0;
		}
		if (signer.revoked_ms) {
			http_reply_error(rs, 403, "revoked", _("device %s has been revoked"), signer.id);
			return 0;
		}
		relay = d;
		d = signer;
		relayed = 1;
	}
	if (cs_verify(data, rq->body.len, &h) != CS_OK) {
		/* A relay that altered what it forwards is named, with whose data it altered. */
		if (relayed) {
			const char *lang = http_lang_server();

			if (sstore_relay_altered(s, relay.id, d.id, h.first, h.last, err, sizeof(err)) < 0)
				http_log("%s", err);
			i18n_set(lang);
			http_log(N_("regional server %s (%s) forwarded a change set of device %s (seqs %llu..%llu) whose"
				    " signature does not verify: altered on the way"), relay.id, relay.name, d.id,
				 (unsigned long long)h.first, (unsigned long long)h.last);
			http_reply_error(rs, 400, cs_code(CS_BAD_SIGNATURE), _("the change set's signature does not verify:"
									      " altered by regional server %s"), relay.id);
		} else {
			http_reply_error(rs, 400, cs_code(CS_BAD_SIGNATURE), _("the change set's signature does not verify"));
		}
		return 0;
	}
	/* A regional server's own change set (its reviewers' work) names the reviewer, as this server's do: what a
	 * record says is traced to the person allowed to say it. */
	if (by && (!d.relay || !sstore_user_name_valid(by))) {
		http_reply_error(rs, 400, "bad_request", _("by names the reviewer of a regional server's own change set"));
		return 0;
	}
	if (!by && d.relay) {
		http_reply_error(rs, 400, "bad_request", _("a regional server's own change set names its reviewer: ?by=NAME"));
		return 0;
	}
	from.via = relayed ? relay.id : "";
	from.author = by ? by : "";
	if ((st = cs_decode(data, rq->body.len, &h, &ops, err, sizeof(err))) != CS_OK) {
		http_reply_error(rs, status_of(st), cs_code(st), "%s", err);
		return 0;
	}
	switch (sstore_ingest_from(s, &d, data, rq->body.len, &h, &ops, &from, &in, err, sizeof(err))) {
	case SI_OK:
		reply_taken(rq, rs, s, &d, &in, pull, limit);
		taken = 1;
		break;
	case SI_GAP:
		http_reply_json(rs, 409, json_pack("{s:s, s:s, s:I}", "error", "gap", "message", err, "expected_seq",
						   (json_int_t)in.expected_seq));
		break;
	case SI_EQUIVOCATION:
		/* err is in the request's language, as the device is answered; the line around it in the log's. */
		http_log(N_("equivocation by device %s: %s"), d.id, err);
		http_reply_error(rs, 409, "equivocation", "%s", err);
		break;
	case SI_BAD_OP:
		http_reply_error(rs, 400, "bad_op", "%s", err);
		break;
	case SI_FORBIDDEN:
		if (d.relay)
			http_log(N_("refused a change set of regional server %s (%s): %s"), d.id, d.name, err);
		else
			http_log(N_("refused a change set of device %s (%s): %s"), d.id, d.name, err);
		http_reply_error(rs, 403, in.code, "%s", err);
		break;
	default:
		http_reply_error(rs, 503, "unavailable", "%s", err);
	}
	cs_ops_release(&ops);
	return taken;
}

void api_changesets(struct http_request *rq, struct http_response *rs)
{
	srv_count_changeset(rq, take(rq, rs) ? NULL : rs);
}
