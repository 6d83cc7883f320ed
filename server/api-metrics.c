/* api-metrics.c - GET /metrics: what an operator watches and alerts on, in the Prometheus text format (README,
 * "Monitoring"; docs/prometheus-alerts.yml): the HTTP layer's figures (http_metrics), what the endpoints count
 * (srv_count_changeset, srv_count_login), and what the store holds. Every name begins with sondeod_ and ends with
 * its unit (_seconds, _bytes; _total for counters). A label's values come from a fixed list or from what the
 * operator made (the route table, the published forms, capped), never from a request, so that no client can
 * make new series. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "srv.h"
#include "sstore-relay.h"
#include "util.h"
#include "banned.h"

/* The codes a change set is refused with: srv_check_signed's and srv_authenticate's, the change set reader's
 * (cs_code), and api-changesets.c's own. A code not in the list (one added later) counts as "other", the
 * last. */
static const char *const refusals[SRV_REFUSALS] = {
	"unsigned", "unknown_device", "revoked", "clock_skew", "bad_request_signature", "replay", "bad_body_hash",
	"bad_request", "truncated", "bad_magic", "unsupported_version", "bad_header", "too_large", "unknown_signer",
	"bad_signature", "bad_body", "bad_json", "bad_op", "no_memory", "signer_mismatch", "gap", "equivocation",
	"not_allowed", "wrong_region", "unavailable", "other",
};

static const char *const login_results[SRV_LOGINS] = { "ok", "failed", "throttled" };

/* The published forms that have series of their own, in order of id; the records of the others are summed
 * under form="(other)", which no form id can be: a server may hold hundreds of forms, and each costs two
 * series. */
#define FORMS_MAX 100
#define FORM_OTHER "(other)"

/* Devices by how long since they last synced: the label, and the time in ms. */
static const char *const silent_label[SSTORE_SILENT_STEPS] = { "1h", "1d", "7d", "30d" };
static const uint64_t silent_ms[SSTORE_SILENT_STEPS] = {
	3600000ULL, 86400000ULL, 7 * 86400000ULL, 30 * 86400000ULL
};

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void srv_count_changeset(struct http_request *rq, const struct http_response *refused)
{
	struct srv *srv = rq->app;
	json_t *body;
	const char *code;
	size_t i;

	if (!refused) {
		count(&srv->counters.changesets_accepted);
		return;
	}
	/* Every refusal is an error body {"error": CODE, ...}, a few hundred bytes. */
	body = json_loadb(refused->body.data, refused->body.len, 0, NULL);
	code = json_string_value(json_object_get(body, "error"));
	for (i = 0; code && i < SRV_REFUSALS - 1 && strcmp(refusals[i], code); i++)
		;
	count(&srv->counters.changesets_refused[code ? i : SRV_REFUSALS - 1]);
	json_decref(body);
}

void srv_count_login(struct http_request *rq, enum srv_login result)
{
	struct srv *srv = rq->app;

	count(&srv->counters.logins[result]);
}

/* A label's value as the text format writes it: backslash, double quote and newline escaped. */
static void label_value(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addc(b, '\\');
		if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *v);
	}
}

/* ms as seconds, to the millisecond. */
static void seconds(struct buf *b, uint64_t ms)
{
	buf_printf(b, "%llu.%03llu", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
}

static void counters_metrics(const struct srv *srv, struct buf *b)
{
	size_t i;

	buf_printf(b, "# HELP sondeod_changesets_accepted_total Change sets taken in (some or all of their ops may have"
		   " been held already).\n# TYPE sondeod_changesets_accepted_total counter\n"
		   "sondeod_changesets_accepted_total %llu\n",
		   (unsigned long long)load(&srv->counters.changesets_accepted));
	buf_adds(b, "# HELP sondeod_changesets_refused_total Change sets refused, by the error code of the answer"
		    " (PROTOCOL.md); those the HTTP layer refused before reading them (413, 503 busy) are only in"
		    " sondeod_http_requests_total.\n# TYPE sondeod_changesets_refused_total counter\n");
	for (i = 0; i < SRV_REFUSALS; i++)
		buf_printf(b, "sondeod_changesets_refused_total{reason=\"%s\"} %llu\n", refusals[i],
			   (unsigned long long)load(&srv->counters.changesets_refused[i]));
	buf_adds(b, "# HELP sondeod_logins_total Logins to the review page: ok, failed (unknown user, wrong password or"
		    " disabled account), or throttled (refused unchecked after too many failures).\n"
		    "# TYPE sondeod_logins_total counter\n");
	for (i = 0; i < SRV_LOGINS; i++)
		buf_printf(b, "sondeod_logins_total{result=\"%s\"} %llu\n", login_results[i],
			   (unsigned long long)load(&srv->counters.logins[i]));
}

/* The two series of each form, gathered as sstore_form_counts gives them. */
struct forms {
	struct buf records, pending;
	size_t n;
	uint64_t other_records, other_pending;
};

static void add_form(struct forms *f, const char *form, uint64_t records, uint64_t pending)
{
	buf_adds(&f->records, "sondeod_form_records{form=\"");
	label_value(&f->records, form);
	buf_printf(&f->records, "\"} %llu\n", (unsigned long long)records);
	buf_adds(&f->pending, "sondeod_form_records_pending{form=\"");
	label_value(&f->pending, form);
	buf_printf(&f->pending, "\"} %llu\n", (unsigned long long)pending);
}

static void on_form(void *ctx, const char *form, uint64_t records, uint64_t pending)
{
	struct forms *f = ctx;

	if (f->n++ < FORMS_MAX) {
		add_form(f, form, records, pending);
	} else {
		f->other_records += records;
		f->other_pending += pending;
	}
}

static int forms_metrics(struct sstore *s, struct buf *b, char *err, size_t errlen)
{
	/* A form's two lines are under 300 bytes: its id is a name of at most MERGE_MAX_NAME bytes. */
	struct forms f = { BUF_INIT((FORMS_MAX + 1) * 1024), BUF_INIT((FORMS_MAX + 1) * 1024), 0, 0, 0 };
	int r = sstore_form_counts(s, on_form, &f, err, errlen);

	if (r == 0) {
		if (f.n > FORMS_MAX)
			add_form(&f, FORM_OTHER, f.other_records, f.other_pending);
		buf_printf(b, "# HELP sondeod_form_records Records of each published form, not deleted (the forms after"
			   " the first %d by id summed as form=\"" FORM_OTHER "\").\n"
			   "# TYPE sondeod_form_records gauge\n", FORMS_MAX);
		buf_add(b, f.records.data, f.records.len);
		buf_adds(b, "# HELP sondeod_form_records_pending Of those records, the ones awaiting review.\n"
			    "# TYPE sondeod_form_records_pending gauge\n");
		buf_add(b, f.pending.data, f.pending.len);
	}
	buf_release(&f.records);
	buf_release(&f.pending);
	return r;
}

static int devices_metrics(struct sstore *s, struct buf *b, uint64_t now, char *err, size_t errlen)
{
	uint64_t n[SSTORE_SILENT_STEPS];
	size_t i;

	if (sstore_devices_silent(s, now, silent_ms, n, err, errlen) < 0)
		return -1;
	buf_adds(b, "# HELP sondeod_devices_silent Devices that sync with this server (not revoked) and have not for"
		    " longer than the label says (one that never synced, since its enrolment); a regional office's"
		    " devices are counted at the office.\n# TYPE sondeod_devices_silent gauge\n");
	for (i = 0; i < SSTORE_SILENT_STEPS; i++)
		buf_printf(b, "sondeod_devices_silent{longer_than=\"%s\"} %llu\n", silent_label[i],
			   (unsigned long long)n[i]);
	return 0;
}

/* A regional office's link to headquarters. At headquarters only sondeod_relay_enrolled 0: the other series are
 * absent, not 0, since a queue headquarters does not have is not an empty one. */
static int relay_metrics(struct sstore *s, struct buf *b, uint64_t now, char *err, size_t errlen)
{
	struct sstore_upstream up;
	struct sstore_relay_status st;
	int enrolled = sstore_upstream_get(s, &up) == 1;

	buf_printf(b, "# HELP sondeod_relay_enrolled 1 at a regional office, which relays to headquarters; 0 at"
		   " headquarters.\n# TYPE sondeod_relay_enrolled gauge\nsondeod_relay_enrolled %d\n", enrolled);
	if (!enrolled)
		return 0;
	if (sstore_relay_status(s, &st, err, errlen) < 0)
		return -1;
	buf_printf(b, "# HELP sondeod_relay_queue_entries What waits to go up to headquarters, by kind: change sets,"
		   " vouches for devices, attachments.\n# TYPE sondeod_relay_queue_entries gauge\n"
		   "sondeod_relay_queue_entries{kind=\"changeset\"} %llu\n"
		   "sondeod_relay_queue_entries{kind=\"vouch\"} %llu\n"
		   "sondeod_relay_queue_entries{kind=\"attachment\"} %llu\n", (unsigned long long)st.changesets,
		   (unsigned long long)(st.vouches - st.media), (unsigned long long)st.media);
	buf_printf(b, "# HELP sondeod_relay_queue_refused_entries Of those, the ones headquarters refused, tried again"
		   " from time to time (sondeod status says why).\n# TYPE sondeod_relay_queue_refused_entries gauge\n"
		   "sondeod_relay_queue_refused_entries %llu\n", (unsigned long long)st.refused);
	buf_adds(b, "# HELP sondeod_relay_queue_oldest_age_seconds How long the oldest entry has waited; 0 when the"
		    " queue is empty.\n# TYPE sondeod_relay_queue_oldest_age_seconds gauge\n"
		    "sondeod_relay_queue_oldest_age_seconds ");
	seconds(b, st.oldest_ms && now > st.oldest_ms ? now - st.oldest_ms : 0);
	/* Noted in the store by the relay at most every 5 s while the link is up, and at once when it goes down. */
	buf_adds(b, "\n# HELP sondeod_relay_upstream_answer_age_seconds Seconds since headquarters last answered"
		    " successfully (+Inf if it never has since this server was enrolled); it is asked at least every"
		    " --pull-every seconds.\n# TYPE sondeod_relay_upstream_answer_age_seconds gauge\n"
		    "sondeod_relay_upstream_answer_age_seconds ");
	if (st.ok_ms)
		seconds(b, now > st.ok_ms ? now - st.ok_ms : 0);
	else
		buf_adds(b, "+Inf");
	buf_addc(b, '\n');
	return 0;
}

static int disk_metrics(struct sstore *s, struct buf *b, char *err, size_t errlen)
{
	struct sstore_disk d;

	if (sstore_disk(s, &d, err, errlen) < 0)
		return -1;
	buf_printf(b, "# HELP sondeod_database_size_bytes Bytes of the database: its file and its write-ahead log.\n"
		   "# TYPE sondeod_database_size_bytes gauge\nsondeod_database_size_bytes %llu\n"
		   "# HELP sondeod_database_wal_bytes Of those, the write-ahead log's, folded back into the file at"
		   " each checkpoint.\n# TYPE sondeod_database_wal_bytes gauge\nsondeod_database_wal_bytes %llu\n"
		   "# HELP sondeod_disk_free_bytes Bytes free for the server on the file system of its data"
		   " directory.\n"
		   "# TYPE sondeod_disk_free_bytes gauge\nsondeod_disk_free_bytes %llu\n"
		   "# HELP sondeod_disk_size_bytes Size of the file system of the data directory.\n"
		   "# TYPE sondeod_disk_size_bytes gauge\nsondeod_disk_size_bytes %llu\n",
		   (unsigned long long)(d.db_bytes + d.wal_bytes), (unsigned long long)d.wal_bytes,
		   (unsigned long long)d.free_bytes, (unsigned long long)d.size_bytes);
	return 0;
}

void api_metrics(struct http_request *rq, struct http_response *rs)
{
	struct srv *srv = rq->app;
	struct sstore *s = srv_store(rq, rs);
	struct sstore_stats st;
	uint64_t now = now_ms();
	char err[256];

	if (!s)
		return;
	if (sstore_stats(s, &st, err, sizeof(err)) < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	rs->status = 200;
	rs->type = "text/plain; version=0.0.4";
	http_metrics(srv->http, &rs->body);
	buf_printf(&rs->body,
		   "# HELP sondeod_ops_merged_total Ops held, from every device.\n"
		   "# TYPE sondeod_ops_merged_total counter\nsondeod_ops_merged_total %llu\n"
		   "# HELP sondeod_conflicts_open Records with a field in conflict.\n"
		   "# TYPE sondeod_conflicts_open gauge\nsondeod_conflicts_open %llu\n"
		   "# HELP sondeod_devices Enrolled devices, and those revoked.\n"
		   "# TYPE sondeod_devices gauge\nsondeod_devices{state=\"active\"} %llu\n"
		   "sondeod_devices{state=\"revoked\"} %llu\n"
		   "# HELP sondeod_store_writable 0 since a write failed (a full disk), until a write succeeds again.\n"
		   "# TYPE sondeod_store_writable gauge\nsondeod_store_writable %d\n"
		   "# HELP sondeod_attachments Attachments held whole, and those whose bytes are still coming.\n"
		   "# TYPE sondeod_attachments gauge\nsondeod_attachments{state=\"whole\"} %llu\n"
		   "sondeod_attachments{state=\"partial\"} %llu\n"
		   "# HELP sondeod_attachment_bytes Bytes of the attachments held whole.\n"
		   "# TYPE sondeod_attachment_bytes gauge\nsondeod_attachment_bytes %llu\n",
		   (unsigned long long)st.ops, (unsigned long long)st.conflicts,
		   (unsigned long long)st.devices_active, (unsigned long long)st.devices_revoked, db_writable(NULL, 0),
		   (unsigned long long)st.media_whole, (unsigned long long)st.media_partial,
		   (unsigned long long)st.media_bytes);
	counters_metrics(srv, &rs->body);
	if (forms_metrics(s, &rs->body, err, sizeof(err)) < 0 ||
	    devices_metrics(s, &rs->body, now, err, sizeof(err)) < 0 ||
	    relay_metrics(s, &rs->body, now, err, sizeof(err)) < 0 ||
	    disk_metrics(s, &rs->body, err, sizeof(err)) < 0) {
		http_reply_error(rs, 503, "unavailable", "%s", err);
		return;
	}
	buf_adds(&rs->body, "# HELP sondeod_build_info The release of this sondeod, in its label; always 1.\n"
		 "# TYPE sondeod_build_info gauge\nsondeod_build_info{version=\"" SONDEO_VERSION "\"} 1\n");
}
