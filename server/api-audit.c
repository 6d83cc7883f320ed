/* api-audit.c - GET /v1/audit?page=N&per_page=N: the audit log, newest first, for admins (docs/review-api.md). */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "srv.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX 200
#define PAGE_MAX 100000000ULL

/* An entry's detail is an object of machine fields, which the page words in its reader's language; an entry
 * written before the details were objects keeps its English text, a string. */
static void add_entry(void *ctx, const struct sstore_audit_entry *e)
{
	json_t *detail = json_loads(e->detail, 0, NULL);
	size_t n = strlen(e->detail);

	if (!json_is_object(detail)) {
		json_decref(detail);
		/* Some were cut inside a character: the text before it. */
		utf8_valid(e->detail, n, &n);
		detail = json_stringn(e->detail, n);
	}
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "at", (json_int_t)e->at_ms, "user",
					     e->user, "ip", e->ip, "action", e->action, "target", e->target, "detail",
					     detail));
}

void api_audit(struct http_request *rq, struct http_response *rs)
{
	struct sstore *s = srv_store(rq, rs);
	struct sstore_session sess;
	long long page, per_page;
	uint64_t total = 0;
	char err[512];
	const char *lang;
	json_t *entries;
	int r;

	if (!s || srv_session(rq, rs, s, ROLE_ADMIN, 0, &sess, NULL) < 0)
		return;
	page = http_query_number(rq, "page", 1, 1, PAGE_MAX);
	per_page = http_query_number(rq, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX);
	if (page < 0 || per_page < 0) {
		http_reply_error(rs, 400, "bad_request", _("page is a whole number from 1, per_page from 1 to %d"),
				 PER_PAGE_MAX);
		return;
	}
	entries = json_array();
	/* Its errors are the log's alone: in the server's language. */
	lang = http_lang_server();
	r = sstore_audit_list(s, (uint64_t)((page - 1) * per_page), (unsigned)per_page, add_entry, entries, &total, err,
			      sizeof(err));
	i18n_set(lang);
	if (r < 0) {
		json_decref(entries);
		/* TRANSLATORS: a line of the server's log: reading the audit log failed, and why. */
		http_log(N_("audit: %s"), err);
		http_reply_error(rs, 503, "unavailable", _("the audit log cannot be read now"));
		return;
	}
	http_reply_json(rs, 200, json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "page",
					   (json_int_t)page, "per_page", (json_int_t)per_page, "entries", entries));
}
