/* web-join.c - POST /api/join {"code", "name"}: a phone on the local network joins the field hub (sondeo web
 * --share) with the code the team lead reads out, and gets a session of its own under the name it gives, which the
 * team lead sees and which its records carry as their username.
 *
 * The only change taken without a session, so it guards itself: this server's name in Host, no other origin, and few
 * wrong codes: JOIN_TRIES a minute from one address, and JOIN_WRONG_MAX in all, after which the code no longer works
 * (the team lead's page says so; a restart makes a new one). The answer sets the session's cookie and gives
 * {"csrf", "name"}. */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

#define JOIN_TRIES 5              /* wrong codes a minute from one address */
#define JOIN_WRONG_MAX 100        /* wrong codes in all before the code stops working */

/* The slot counting wrong codes from ip in the last minute (the oldest slot is taken for a new address). */
static unsigned *tries_of(struct web *w, const char *ip, uint64_t now)
{
	size_t i, old = 0, n = sizeof(w->tries) / sizeof(w->tries[0]);

	for (i = 0; i < n; i++) {
		if (!strcmp(w->tries[i].ip, ip)) {
			if (now - w->tries[i].since > 60000) {
				w->tries[i].since = now;
				w->tries[i].n = 0;
			}
			return &w->tries[i].n;
		}
		if (w->tries[i].since < w->tries[old].since)
			old = i;
	}
	strlcpy_s(w->tries[old].ip, ip, sizeof(w->tries[old].ip));
	w->tries[old].since = now;
	w->tries[old].n = 0;
	return &w->tries[old].n;
}

void web_join_digits(const char *in, char *out, size_t n)
{
	size_t k = 0;

	for (; *in && k + 1 < n; in++)
		if (*in >= '0' && *in <= '9')
			out[k++] = *in;
	out[k] = '\0';
}

int web_join_name(const char *in, char *out, size_t n)
{
	size_t len;

	while (*in == ' ')
		in++;
	len = strlen(in);
	while (len && in[len - 1] == ' ')
		len--;
	if (!len || len >= n || !utf8_valid(in, len, NULL))
		return 0;
	memcpy(out, in, len);
	out[len] = '\0';
	if (utf8_len(out) > WEB_NAME_MAX)
		return 0;
	for (len = 0; out[len]; len++)
		if ((unsigned char)out[len] < 0x20 || out[len] == 0x7f)
			return 0;
	return 1;
}

void web_join(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *body;
	const char *v, *code, *name;
	struct web_session *ss;
	char want[16], got[16], clean[64 + 8], cookie[160];
	unsigned *tries;
	uint64_t now = now_ms();

	if (!web_host_ok(w, rq)) {
		http_reply_error(rs, 421, "wrong_host", _("this server answers only to the address sondeo web printed"));
		return;
	}
	if (((v = http_header(rq, "Origin")) && !web_origin_ok(rq, v)) ||
	    ((v = http_header(rq, "Sec-Fetch-Site")) && strcmp(v, "same-origin"))) {
		http_reply_error(rs, 403, "cross_origin", _("a change must come from sondeo's own page"));
		return;
	}
	if (!w->share) {
		http_reply_error(rs, 403, "not_shared", _("this laptop does not share its forms: the team lead starts "
							  "sondeo web --share"));
		return;
	}
	if (!w->code[0]) {
		http_reply_error(rs, 403, "code_spent", _("too many wrong codes were tried: ask the team lead to start "
							  "sondeo web --share again, for a new code"));
		return;
	}
	tries = tries_of(w, rq->ip, now);
	if (*tries >= JOIN_TRIES) {
		http_reply_error(rs, 429, "too_many", _("too many wrong codes from this device: wait a minute"));
		http_add_header(rs, "Retry-After", "60");
		return;
	}
	if (!(body = web_body(rq, rs)))
		return;
	code = json_string_value(json_object_get(body, "code"));
	name = json_string_value(json_object_get(body, "name"));
	web_join_digits(code ? code : "", got, sizeof(got));
	web_join_digits(w->code, want, sizeof(want));
	if (strcmp(got, want)) {
		++*tries;
		if (++w->wrong_codes >= JOIN_WRONG_MAX)
			w->code[0] = '\0';
		http_reply_error(rs, 403, "wrong_code", _("this is not the code: ask the team lead for it"));
		goto out;
	}
	if (!name || !web_join_name(name, clean, sizeof(clean))) {
		http_reply_error(rs, 400, "bad_name", _("give your name (at most %d characters): the team lead sees it, and "
							"your records carry it"), WEB_NAME_MAX);
		goto out;
	}
	ss = web_session_new(w, WEB_PHONE, clean);
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict", w->cookie, ss->id);
	web_reply(rs, 200, json_pack("{s:s, s:s}", "csrf", ss->csrf, "name", ss->name));
	http_add_header(rs, "Set-Cookie", cookie);
out:
	json_decref(body);
}
