/* api-metrics.c - GET /metrics: counters in the Prometheus text format. */
#include <stdio.h>

#include "db.h"
#include "srv.h"
#include "banned.h"

void api_metrics(struct http_request *rq, struct http_response *rs)
{
	struct srv *srv = rq->app;
	struct sstore *s = srv_store(rq, rs);
	struct sstore_stats st;
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
}
