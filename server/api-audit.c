/* api-audit.c - GET /v1/audit?page=N&per_page=N: the audit log, newest first, for admins (docs/review-api.md). */
#include <stdio.h>
#include <string.h>

#include "srv.h"
#include "banned.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX 200
#define PAGE_MAX 100000000ULL

static void add_entry(void *ctx, const struct sstore_audit_entry *e)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "at", (json_int_t)e->at_ms, "user",
					     e->user, "ip", e->ip, "action", e->action, "target", e->target, "detail",
					     e->detail));
}

/* A query parameter that is a whole number from 1 to max, or def when absent; 0 when malformed. */
static unsigned long long number(const struct http_request *rq, const char *key, unsigned long long def,
				 unsigned long long max)
{
	const char *v = http_query(rq, key);
	unsigned long long n = 0;
	size_t i;

	if (!v)
		return def;
	for (i = 0; v[i]; i++) {
		if (v[i] < '0' || v[i] > '9' || i >= 12)
			return 0;
		n = n * 10 + (unsigned long long)(v[i] - '0');
	}
	return i && n >= 1 && n <= max ? n : 0;
}

void api_audit(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	unsigned long long page, per_page;
	uint64_t total = 0;
	char err[512];
	json_t *entries;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0)
		return;
	page = number(rq, "page", 1, PAGE_MAX);
	per_page = number(rq, "per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX);
	if (!page || !per_page) {
		http_reply_error(rs, 400, "bad_request", "page is a whole number from 1, per_page from 1 to %d",
				 PER_PAGE_MAX);
		return;
	}
	entries = json_array();
	if (sstore_audit_list(s, (page - 1) * per_page, (unsigned)per_page, add_entry, entries, &total, err,
			      sizeof(err)) < 0) {
		json_decref(entries);
		fprintf(stderr, "sondeod: audit: %s\n", err);
		http_reply_error(rs, 503, "unavailable", "the audit log cannot be read now");
		return;
	}
	http_reply_json(rs, 200, json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "page",
					   (json_int_t)page, "per_page", (json_int_t)per_page, "entries", entries));
}
