/* web.h - sondeo web: the field page served by sondeo itself on 127.0.0.1, and what its endpoints share.
 *
 * The page (web/field/) is built into the binary and talks to sondeo through a small JSON API; the form's rules
 * are worked out here by the same code as at the terminal (form.h, fill.h), never in the page. Localhost is no
 * trust boundary (any site the person visits can send requests to 127.0.0.1), so every request but the page's own
 * files passes web_guard: the Host header names this server (no DNS rebinding), and the request carries a session
 * cookie, given only in exchange for the secret key in the address sondeo printed; a change also carries the
 * session's CSRF token in a header, which another origin can neither read nor send, and comes from no other origin.
 *
 * With --share (the field hub) it listens on the local network too: phones join with the code sondeo printed and
 * get sessions of their own (WEB_PHONE), which fill forms and open only their own records; the key, and with it the
 * team lead's session, is taken from this computer only.
 *
 * The HTTP layer runs every handler on one thread (web_limits): the store is used by one thread at a time, as
 * store.h asks, and the sessions need no lock. */
#ifndef SONDEO_WEB_H
#define SONDEO_WEB_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"
#include "http.h"
#include "store.h"

#define WEB_SECRET_LEN 32            /* random bytes of the key, of a session id and of a CSRF token */
#define WEB_SECRET_HEX (HTTP_TOKEN_HEXLEN + 1)   /* as hex (http.h's token) */
#define WEB_MAX_SESSIONS 32          /* browsers at once; past that the oldest session ends */
#define WEB_MAX_BODY 262144          /* bytes in one request of the page (an answer is at most 64 KiB of text) */

enum web_role { WEB_LEAD = 1, WEB_PHONE };

struct web_session {
	char id[WEB_SECRET_HEX];         /* the cookie's value; "" for a free slot */
	char csrf[WEB_SECRET_HEX];
	char sid[17];                    /* how the page names it to the team lead (not a secret) */
	enum web_role role;              /* the laptop's person (the key) or a phone that joined (--share) */
	char name[64];                   /* a phone's, as it joined: its records' username */
	uint64_t joined_ms, last_ms;     /* its start and its last request */
	json_t *records;                 /* a phone's records, the only ones it may open (ids); owned */
};

#define WEB_MAX_TRASH 16             /* deletions the page may undo */

/* A deletion the page may undo (web-delete.c). */
struct web_trash {
	char id[UUID_STRLEN + 1];        /* the record deleted, as the page named it */
	uint64_t when;
	json_t *tree;                    /* what was deleted, as web-delete.c restores it; NULL: a free slot */
};

/* The sync the page started (web-sync.c): a `sondeo sync` child. */
struct web_sync {
	pid_t pid;                       /* running; 0 otherwise */
	int fd;                          /* the read end of its output, -1 when none */
	struct buf out;                  /* its last words */
	int status;                      /* its exit status; -1 while running or before any */
	uint64_t to_send;                /* changes waiting when it started */
	uint64_t started, ended;         /* ms */
};

struct web {
	struct cli *cli;
	struct store *s;
	char key[WEB_SECRET_HEX];        /* the secret in the address printed at start */
	char cookie[32];                 /* the session cookie's name: "sondeo-PORT" (cookies ignore ports) */
	char port[8];                    /* the port listened on, as text */
	int share;                       /* --share: phones on the local network may join */
	char code[16];                   /* their join code, "1234-5678"; "" once too many wrong ones were tried */
	unsigned wrong_codes;            /* wrong join codes, all addresses */
	struct { char ip[64]; uint64_t since; unsigned n; } tries[16];   /* recent wrong codes by address */
	struct web_session sessions[WEB_MAX_SESSIONS];
	struct web_trash trash[WEB_MAX_TRASH];
	struct web_sync sync;
	char exe[4096];                  /* this program, for the sync it runs */
};

/* Lets a sync in progress finish on its own and releases what follows it. */
void web_sync_stop(struct web *w);

/* Forgets the deletions that could be undone: a sync sends them, and sondeo web's end loses them. */
void web_trash_clear(struct web *w);

/* What every route but the page's files checks before a body is read (http_check_fn): Host, session, and for a
 * POST the CSRF token and the origin. 0, or -1 with the refusal set in rs. web_guard_lead lets only the team lead's
 * session through (the laptop's person: syncing, deleting, the phones). */
int web_guard(struct http_request *rq, struct http_response *rs);
int web_guard_lead(struct http_request *rq, struct http_response *rs);
/* 1 if origin (an Origin header) is the request's own: http:// and its Host. */
int web_origin_ok(struct http_request *rq, const char *origin);
/* 1 if the request comes from this computer (a loopback address). */
int web_local(const struct http_request *rq);
/* The session of a request web_guard let through. */
struct web_session *web_session(struct http_request *rq);
/* 1 if the request's Host header names this server: its port, and an address written as one (127.0.0.1, a local
 * network address, [::1]) or localhost. A page that had its own name point at this computer (DNS rebinding) sends
 * that name, and is refused. */
int web_host_ok(struct web *w, struct http_request *rq);
/* The same for a Host header's value (NULL: none) and this server's port, as text. */
int web_host_valid(const char *host, const char *port);
/* A phone's name as it joins (web-join.c): trimmed of spaces, 1 to WEB_NAME_MAX characters of UTF-8 with no control
 * character, into out (n bytes): 1, or 0 when it is not one. */
#define WEB_NAME_MAX 40
int web_join_name(const char *in, char *out, size_t n);
/* A join code as typed, its digits only ("1234 5678", "1234-5678" and "12345678" are one code), into out (n
 * bytes, at least 1). */
void web_join_digits(const char *in, char *out, size_t n);

/* The request's body as a JSON object, or NULL after setting a 400 naming what was wrong. New reference. */
json_t *web_body(struct http_request *rq, struct http_response *rs);
/* Answers a store's or a form's failure (err): 503, with its words. */
void web_fail(struct http_response *rs, const char *err);
/* The language of the form's texts: the page's lang parameter (a language only a form may speak), else the one
 * its messages are in (its Accept-Language, which http.c made this thread's). A code. */
const char *web_lang(struct http_request *rq);
/* Answers JSON (takes the reference), never kept by the browser's cache. */
void web_reply(struct http_response *rs, unsigned status, json_t *body);


/* What a request of the page is about: a record saved already, or one to be made by its first answer (an
 * instance of a repeat of a record saved already, or a record of a form). */
struct web_target {
	struct store_record rec;         /* with exists */
	int exists;
	struct form *f;                  /* the record's form at its version (an instance: its record's); owned */
	char parent[UUID_STRLEN + 1];    /* an instance's record, "" for a record */
	const char *repeat;              /* an instance's repeat (borrowed from f), NULL for a record */
};
/* Finds the target from id, or else from form, or else from parent and repeat: 0, or -1 with 400 or 404 set in rs.
 * A phone's session finds only its own records (and their instances). web_target_free releases it. */
int web_target(struct http_request *rq, struct http_response *rs, const char *id, const char *form,
	       const char *parent, const char *repeat, struct web_target *t);
void web_target_free(struct web_target *t);
struct fill;
/* The fill (fill.h) of target t, to save its answers: its answers as its rules see them (its own, with its record's
 * under them for an instance; a new instance's record's), its scope, and the name of a phone's session as the
 * username. Sets t->repeat for an instance saved already. 0, or -1 with err; the caller releases fl->answers. */
int web_fill(struct http_request *rq, struct web_target *t, struct fill *fl, char *err, size_t errlen);

/* The page's view of a record being filled (web-view.c): for each question of its scope, in form order, what it now
 * is (relevant, required, its answer, its default, its choices offered, its message), its groups, and its repeats'
 * instances. rec is NULL for a record not yet made (of form f; an instance of repeat with parent when repeat is not
 * NULL). New reference, or NULL with err. */
json_t *web_view(struct store *s, const struct form *f, const struct store_record *rec, const char *parent,
		 const char *repeat, const char *lang, char *err, size_t errlen);

/* An answer (JSON text) as people read it: choices by their labels in lang joined by ", ", a decimal as the language
 * writes it, anything else as it is. Caller frees. */
char *web_answer_text(const struct form *f, const struct form_question *q, const char *json, const char *lang);

/* The routes, one per file. */
void web_page(struct http_request *rq, struct http_response *rs);       /* GET / and the page's files */
void web_i18n(struct http_request *rq, struct http_response *rs);       /* GET /i18n */
void web_home(struct http_request *rq, struct http_response *rs);       /* GET /api/home */
void web_records(struct http_request *rq, struct http_response *rs);    /* GET /api/records */
void web_record(struct http_request *rq, struct http_response *rs);     /* GET /api/record */
void web_answer(struct http_request *rq, struct http_response *rs);     /* POST /api/answer */
void web_media_put(struct http_request *rq, struct http_response *rs);  /* POST /api/media */
void web_media_get(struct http_request *rq, struct http_response *rs);  /* GET /api/media */
/* What POST /api/answer does (web-answer.c), for the target and question body names ({"id"|"form"|"parent" and
 * "repeat", "question"}): the answer from given (a file kept, for POST /api/media) when it is not NULL, else from
 * the body's "text" or "value"; checked, saved, and answered with the record's view. */
struct fill;
void web_answer_save(struct http_request *rq, struct http_response *rs, const json_t *body,
		     int (*given)(void *ctx, const struct form_question *q, struct fill *fl, json_t **v, char *err,
				  size_t errlen), void *ctx);
void web_finalize(struct http_request *rq, struct http_response *rs);   /* POST /api/finalize */
void web_at(struct http_request *rq, struct http_response *rs);         /* POST /api/at */
void web_delete(struct http_request *rq, struct http_response *rs);     /* POST /api/delete */
void web_undelete(struct http_request *rq, struct http_response *rs);   /* POST /api/undelete */
void web_history(struct http_request *rq, struct http_response *rs);    /* GET /api/history */
void web_sync(struct http_request *rq, struct http_response *rs);       /* POST /api/sync */
void web_sync_state(struct http_request *rq, struct http_response *rs); /* GET /api/sync */
void web_join(struct http_request *rq, struct http_response *rs);       /* POST /api/join */
void web_phones(struct http_request *rq, struct http_response *rs);     /* GET /api/phones */
void web_phone_end(struct http_request *rq, struct http_response *rs);  /* POST /api/phones/end */

/* The addresses phones open on the local network, "http://192.168.1.23:PORT/", one per IPv4 address of this computer
 * that is up and not loopback. New reference. */
json_t *web_lan_urls(struct web *w);

/* A new session of role in a free slot, or in the one used longest ago; name is a phone's. */
struct web_session *web_session_new(struct web *w, enum web_role role, const char *name);
/* Ends a session: its slot is free again. */
void web_session_end(struct web_session *ss);
/* Notes that a phone's session made record id, which it may then open. */
void web_session_owns(struct web_session *ss, const char *id);

#endif
