/* web.c - what sondeo web's endpoints share: the guard of every request, the sessions, bodies and failures. */
#include "web.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fill.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

int web_host_valid(const char *host, const char *port)
{
	const char *colon;
	char name[64];
	unsigned char addr[16];
	size_t n;

	if (!host || !(colon = strrchr(host, ':')) || strcmp(colon + 1, port) || (n = (size_t)(colon - host)) == 0 ||
	    n >= sizeof(name))
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	if (!strcmp(name, "localhost"))
		return 1;
	if (name[0] == '[' && name[n - 1] == ']') {
		name[n - 1] = '\0';
		return inet_pton(AF_INET6, name + 1, addr) == 1;
	}
	return inet_pton(AF_INET, name, addr) == 1;
}

int web_host_ok(struct web *w, struct http_request *rq)
{
	return web_host_valid(http_header(rq, "Host"), w->port);
}

int web_origin_ok(struct http_request *rq, const char *origin)
{
	const char *host = http_header(rq, "Host");

	/* Same origin: the page that sends this was served by this server under the very name the request uses. */
	return host && !strncmp(origin, "http://", 7) && !strcmp(origin + 7, host);
}

int web_local(const struct http_request *rq)
{
	return !strncmp(rq->ip, "127.", 4) || !strcmp(rq->ip, "::1");
}

struct web_session *web_session_new(struct web *w, enum web_role role, const char *name)
{
	struct web_session *ss = &w->sessions[0];
	unsigned char r[WEB_SECRET_LEN];
	size_t i;

	for (i = 0; i < WEB_MAX_SESSIONS; i++) {
		if (!w->sessions[i].id[0]) {
			ss = &w->sessions[i];
			break;
		}
		if (w->sessions[i].last_ms < ss->last_ms)
			ss = &w->sessions[i];
	}
	web_session_end(ss);
	randombytes_buf(r, sizeof(r));
	hex_encode(ss->id, r, sizeof(r));
	randombytes_buf(r, sizeof(r));
	hex_encode(ss->csrf, r, sizeof(r));
	randombytes_buf(r, 8);
	hex_encode(ss->sid, r, 8);
	sodium_memzero(r, sizeof(r));
	ss->role = role;
	strlcpy_s(ss->name, name ? name : "", sizeof(ss->name));
	ss->joined_ms = ss->last_ms = now_ms();
	ss->records = json_array();
	return ss;
}

void web_session_end(struct web_session *ss)
{
	json_decref(ss->records);
	sodium_memzero(ss, sizeof(*ss));
}

void web_session_owns(struct web_session *ss, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(ss->records, i, v)
		if (!strcmp(json_string_value(v), id))
			return;
	json_array_append_new(ss->records, json_string(id));
}

/* 1 if the session may open record rec: the team lead any, a phone those it made and their instances. */
static int session_may(struct web *w, const struct web_session *ss, const struct store_record *rec)
{
	char *parent = NULL, err[128];
	size_t i;
	json_t *v, *p;
	int ok = 0;

	if (!ss || ss->role == WEB_LEAD)
		return 1;
	json_array_foreach(ss->records, i, v)
		if (!strcmp(json_string_value(v), rec->id))
			return 1;
	/* An instance belongs to whoever may open its record. */
	if (store_field_get(w->s, rec, "_parent", &parent, err, sizeof(err)) == 1 && (p = json_loads(parent, JSON_DECODE_ANY, NULL))) {
		struct store_record pr;

		if (json_is_string(p) && store_find(w->s, json_string_value(p), &pr, err, sizeof(err)) == 0)
			ok = session_may(w, ss, &pr);
		json_decref(p);
	}
	free(parent);
	return ok;
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
		/* "join": the page may offer a phone to join the field hub with its code instead. */
		web_reply(rs, 401, json_pack("{s:s, s:s, s:b}", "error", "no_session", "message",
					     _("open the address sondeo web printed in the terminal"), "join", w->share));
		return -1;
	}
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		/* A change comes from the page: no other origin (browsers say theirs on every POST), and the token only
		 * the page could read. */
		if (((v = http_header(rq, "Origin")) && !web_origin_ok(rq, v)) ||
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

int web_guard_lead(struct http_request *rq, struct http_response *rs)
{
	struct web_session *ss;

	if (web_guard(rq, rs) < 0)
		return -1;
	ss = web_session(rq);
	if (ss->role != WEB_LEAD) {
		http_reply_error(rs, 403, "lead_only", _("only the team lead, on the laptop itself, can do this"));
		return -1;
	}
	return 0;
}

json_t *web_body(struct http_request *rq, struct http_response *rs)
{
	return http_json_body(rq, rs);
}

void web_fail(struct http_response *rs, const char *err)
{
	/* The store's words say what went wrong (busy, a full disk...): the page shows them, and may try again. */
	http_reply_error(rs, 503, "store", "%s", err);
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
	if (store_find(w->s, id, rec, err, sizeof(err)) < 0 || rec->deleted || !session_may(w, web_session(rq), rec)) {
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

int web_fill(struct http_request *rq, struct web_target *t, struct fill *fl, char *err, size_t errlen)
{
	struct web *w = rq->app;
	struct web_session *ss = web_session(rq);
	const struct form_group *g;
	json_t *own;

	memset(fl, 0, sizeof(*fl));
	if (t->exists) {
		if (!(own = store_answers(w->s, t->rec.id, err, errlen)))
			return -1;
		g = json_string_value(json_object_get(own, "_repeat")) ?
			    form_repeat_find(t->f, json_string_value(json_object_get(own, "_repeat"))) : NULL;
		t->repeat = g ? g->name : NULL;
	} else {
		own = json_object();
		if (t->repeat) {
			json_object_set_new(own, "_parent", json_string(t->parent));
			json_object_set_new(own, "_repeat", json_string(t->repeat));
		}
	}
	fl->answers = store_answers_in_view(w->s, t->exists ? t->rec.id : NULL, own, err, errlen);
	json_decref(own);
	if (!fl->answers)
		return -1;
	fl->s = w->s;
	fl->f = t->f;
	fl->rec = &t->rec;
	fl->created = t->exists;
	fl->scope = t->repeat ? form_repeat_find(t->f, t->repeat) : NULL;
	fl->parent = t->parent;
	fl->username = ss && ss->role == WEB_PHONE ? ss->name : NULL;
	fl->lang = web_lang(rq);
	return 0;
}
