/* web.c - what sondeo web's endpoints share: the guard of every request, the sessions, bodies and failures. */
#include "web.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

int web_host_ok(struct web *w, struct http_request *rq)
{
	const char *host = http_header(rq, "Host");
	size_t i;

	/* A page of another site that had its name point at 127.0.0.1 (DNS rebinding) sends its own name here. */
	for (i = 0; host && i < sizeof(w->hosts) / sizeof(w->hosts[0]); i++)
		if (w->hosts[i][0] && !strcmp(host, w->hosts[i]))
			return 1;
	return 0;
}

/* The session the request's cookie names, or NULL. */
static struct web_session *session_of(struct web *w, struct http_request *rq)
{
	const char *h = http_header(rq, "Cookie");
	char v[HTTP_TOKEN_HEXLEN + 1];
	size_t i;

	if (!h || !http_cookie_token(h, w->cookie, v))
		return NULL;
	for (i = 0; i < WEB_MAX_SESSIONS; i++)
		if (w->sessions[i].id[0] && sodium_memcmp(w->sessions[i].id, v, WEB_SECRET_HEX - 1) == 0)
			return &w->sessions[i];
	return NULL;
}

struct web_session *web_session(struct http_request *rq)
{
	return session_of(rq->app, rq);
}

/* The origin this server is, as a browser names it in Origin: "http://" and one of its hosts. */
static int origin_ok(struct web *w, const char *origin)
{
	size_t i;

	if (strncmp(origin, "http://", 7))
		return 0;
	for (i = 0; i < sizeof(w->hosts) / sizeof(w->hosts[0]); i++)
		if (w->hosts[i][0] && !strcmp(origin + 7, w->hosts[i]))
			return 1;
	return 0;
}

int web_guard(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	struct web_session *ss;
	const char *v;

	if (!web_host_ok(w, rq)) {
		http_reply_error(rs, 421, "wrong_host", _("this server answers only to the address sondeo web printed"));
		return -1;
	}
	if (!(ss = session_of(w, rq))) {
		http_reply_error(rs, 401, "no_session", _("open the address sondeo web printed in the terminal"));
		return -1;
	}
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		/* A change comes from the page: no other origin (browsers say theirs on every POST), and the token only
		 * the page could read. */
		if (((v = http_header(rq, "Origin")) && !origin_ok(w, v)) ||
		    ((v = http_header(rq, "Sec-Fetch-Site")) && strcmp(v, "same-origin"))) {
			http_reply_error(rs, 403, "cross_origin", _("a change must come from sondeo's own page"));
			return -1;
		}
		v = http_header(rq, "X-CSRF-Token");
		if (!v || strlen(v) != WEB_SECRET_HEX - 1 || sodium_memcmp(v, ss->csrf, WEB_SECRET_HEX - 1) != 0) {
			http_reply_error(rs, 403, "csrf", _("the X-CSRF-Token header is missing or wrong"));
			return -1;
		}
	}
	ss->last_ms = now_ms();
	return 0;
}

json_t *web_body(struct http_request *rq, struct http_response *rs)
{
	return http_json_body(rq, rs);
}

void web_fail(struct http_response *rs, const char *err)
{
	if (strstr(err, _("the store is busy")))
		http_reply_error(rs, 503, "busy", "%s", err);
	else
		http_reply_error(rs, 500, "store", "%s", err);
}

const char *web_lang(struct http_request *rq)
{
	const char *l = http_query(rq, "lang");

	/* The page's choice, which may be a language only a form speaks ("sw"); else the one its messages are in. */
	if (l && strlen(l) >= 2 && strlen(l) <= 8 && strspn(l, "abcdefghijklmnopqrstuvwxyz") == strlen(l))
		return l;
	return i18n_lang();
}

void web_reply(struct http_response *rs, unsigned status, json_t *body)
{
	http_reply_json(rs, status, body);
	/* Answers hold the survey's data: never kept by the browser's cache. */
	http_add_header(rs, "Cache-Control", "no-store");
}

/* The record whose id is id (or an unambiguous prefix of it) and its form: 0, or -1 with the refusal set. */
static int find(struct http_request *rq, struct http_response *rs, const char *id, struct store_record *rec,
		struct form **f)
{
	struct web *w = rq->app;
	char err[512];

	*f = NULL;
	if (store_find(w->s, id, rec, err, sizeof(err)) < 0 || rec->deleted) {
		http_reply_error(rs, 404, "no_record", _("no record '%.40s' on this device"), id);
		return -1;
	}
	if (!(*f = store_form_get(w->s, rec->form, rec->form_version, err, sizeof(err)))) {
		web_fail(rs, err);
		return -1;
	}
	return 0;
}

int web_target(struct http_request *rq, struct http_response *rs, const char *id, const char *form,
	       const char *parent, const char *repeat, struct web_target *t)
{
	struct web *w = rq->app;
	const struct form_group *g;
	struct store_record prec;
	char err[512];

	memset(t, 0, sizeof(*t));
	if (id) {
		if (find(rq, rs, id, &t->rec, &t->f) < 0)
			return -1;
		t->exists = 1;
		return 0;
	}
	if (parent || repeat) {
		/* A new instance takes its record's form version: the two are answered as one form. */
		if (!parent || !repeat) {
			http_reply_error(rs, 400, "bad_request", _("a new instance needs its record (parent) and its repeat"));
			return -1;
		}
		if (find(rq, rs, parent, &prec, &t->f) < 0)
			return -1;
		if (!(g = form_repeat_find(t->f, repeat))) {
			http_reply_error(rs, 404, "no_repeat", _("the form has no repeat '%.40s'"), repeat);
			web_target_free(t);
			return -1;
		}
		memcpy(t->parent, prec.id, sizeof(t->parent));
		t->repeat = g->name;
		return 0;
	}
	if (!form) {
		http_reply_error(rs, 400, "bad_request", _("say which record (id) or which form (form)"));
		return -1;
	}
	if (!(t->f = store_form_get(w->s, form, NULL, err, sizeof(err)))) {
		http_reply_error(rs, 404, "no_form", _("no form '%.40s' on this device"), form);
		return -1;
	}
	return 0;
}

void web_target_free(struct web_target *t)
{
	form_free(t->f);
	t->f = NULL;
}
