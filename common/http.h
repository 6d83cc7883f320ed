/* http.h - the programs' HTTP layer over libmicrohttpd: limits, request bodies, routing, replies, logging. sondeod
 * serves its API and the review page with it, sondeo its page on loopback; libmicrohttpd is loaded by http_start,
 * not linked (common/mhdlib.h).
 *
 * Handlers see a whole request (its body already read into a capped buffer) and fill in a response; they
 * never touch libmicrohttpd. A body larger than its route allows is refused with 413 from the
 * Content-Length header, before a byte of it is read; one sent without a length is refused as soon as it passes
 * the cap. A route's check may refuse a request from its headers alone, before its body is read, and the bodies
 * of all requests in flight share one budget, past which a request is answered 503 with Retry-After. A
 * request's headers, and then its body, must arrive within deadlines; near the connection limit a new
 * connection takes the place of the oldest one still sending its headers. A path holding a control byte is
 * refused with 400. Each request is logged in one line on stderr when it ends, its target escaped. Handlers run
 * on the server's worker threads, several at once; the routes that hash passwords run on a pool of their own,
 * so that a flood of logins cannot hold up sync. */
#ifndef SONDEO_HTTP_H
#define SONDEO_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct http_limits {
	const char *name;           /* the program's, "sondeod" or "sondeo": it begins each line of http_log */
	unsigned threads;           /* worker threads */
	unsigned timeout_s;         /* idle connection timeout: a client trickling bytes is dropped */
	unsigned connections;       /* connections at once, all clients */
	unsigned per_ip;            /* connections at once from one address */
	size_t conn_memory;         /* libmicrohttpd's memory per connection (headers, buffers) */
	size_t body_budget;         /* bytes of request bodies held at once, all requests: at least any max_body */
	unsigned header_s;          /* a request's headers must all arrive within this, however they trickle */
	unsigned body_rate;         /* a body may take timeout_s plus a second per body_rate bytes (declared or
				     * received so far) */
	unsigned hash_threads;      /* password hashes at once (routes with hashes set) */
	unsigned hash_queue;        /* requests waiting for a hash; past that, 503 with Retry-After */
	int quiet;                  /* no line per request on stderr: sondeo web's terminal is the person's, and the
				     * address it printed holds a secret */
};

struct http_request {
	const char *method;
	const char *path;           /* without the query */
	const char *path_and_query; /* as the client sent it, for request signatures */
	char ip[64];
	uint64_t received_ms;       /* when its headers had arrived */
	struct buf body;
	void *app;                  /* the server's context, given to http_start */
	void *mhd;                  /* the libmicrohttpd connection; for http.c only */
};

#define HTTP_MAX_HEADERS 8

/* A body made as it is sent (http_reply_stream): up to max bytes from pos, which goes from 0 up in order, into
 * buf; how many, or -1 to cut the answer short (the client sees a connection closed before the length it was
 * told). */
typedef ssize_t (*http_read_fn)(void *ctx, uint64_t pos, char *buf, size_t max);

struct http_response {
	unsigned status;
	const char *type;           /* Content-Type; static string */
	struct buf body;            /* capped at 64 MiB */
	int file_fd;                /* with http_reply_file: the body is this file, streamed; -1 otherwise */
	uint64_t file_size;         /* and a streamed body's */
	http_read_fn stream;        /* with http_reply_stream: the body comes from it, as it is sent; NULL otherwise */
	void (*stream_done)(void *ctx);
	void *stream_ctx;
	const char *hname[HTTP_MAX_HEADERS];
	char hvalue[HTTP_MAX_HEADERS][160];
	int nheaders;
	int compress;               /* the body may go gzip-compressed to a client that accepts it. Only for answers
				     * holding no secret: compressed beside text an attacker chooses, a secret leaks
				     * through the answer's length (BREACH) */
};

typedef void (*http_fn)(struct http_request *rq, struct http_response *rs);
/* A route's check of a request's headers, called once before any of its body is read (rq->body is empty):
 * 0 lets the body be read, -1 refuses the request with the answer set in rs. */
typedef int (*http_check_fn)(struct http_request *rq, struct http_response *rs);

struct http_route {
	const char *method;
	const char *path;
	http_fn fn;
	size_t max_body;            /* 0: the request must have no body */
	http_check_fn check;        /* NULL: none */
	int hashes;                 /* hashes a password: runs on the hashing pool, not on a worker */
};

struct http_server;

/* Listens on listen ("127.0.0.1:8420", "[::1]:8420", ":8420" for every address, port 0 for one the system picks)
 * and serves routes until http_stop. With cert and key (PEM text), serves HTTPS only. Loads libmicrohttpd first
 * (common/mhdlib.h), the first time. Returns NULL with err on failure, libmicrohttpd missing among them. */
struct http_server *http_start(const char *listen, const struct http_route *routes, size_t nroutes,
			       const struct http_limits *limits, void *app, const char *cert_pem, const char *key_pem,
			       char *err, size_t errlen);
/* "HOST:PORT" as listened on, with the port actually bound (the chosen one for port 0); owned by h. */
const char *http_address(const struct http_server *h);
/* Stops accepting connections, lets requests being handled finish, and frees everything. */
void http_stop(struct http_server *h);

/* The language of a request's messages is the one its Accept-Language header asks for, when there is a catalog
 * for it (common/i18n.h): the handler's thread speaks it while the handler runs, so that _() and the errors the
 * modules write into err buffers are in it. The server's log speaks the server's language:
 * http_log writes the name given to http_start in limits ("sondeod: "; one name per process, the last started
 * server's; none before the first) and fmt, a message marked N_() and translated here, in the server's language.
 * http_lang_server switches this thread to the server's language for a call whose errors only the log shows,
 * and returns the language to give back with i18n_set. */
void http_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *http_lang_server(void);

/* A session's token, as both programs' pages carry it in a cookie: 64 lowercase hex digits. */
#define HTTP_TOKEN_HEXLEN 64
/* The first cookie called name in a Cookie header (its first 8 KiB) whose value is a token, into out
 * (HTTP_TOKEN_HEXLEN + 1 bytes): 1, or 0 if there is none. */
int http_cookie_token(const char *header, const char *name, char *out);
/* The request's body as a JSON object (duplicate keys refused), or NULL after setting 400 naming what is wrong.
 * New reference. */
json_t *http_json_body(struct http_request *rq, struct http_response *rs);

/* A request header or query parameter, NULL if absent. */
const char *http_header(const struct http_request *rq, const char *name);
const char *http_query(const struct http_request *rq, const char *key);
/* A whole-number query parameter (decimal digits only) from min to max (min >= 0): def when absent or empty,
 * -1 when it is anything else. */
long long http_query_number(const struct http_request *rq, const char *key, long long def, long long min,
			    long long max);

/* The same for a value v (NULL when absent). */
long long http_number(const char *v, long long def, long long min, long long max);

/* Sets a response: JSON (takes the reference), text, or the protocol's error body
 * {"error": code, "message": ...}. */
void http_reply_json(struct http_response *rs, unsigned status, json_t *body);
void http_reply_text(struct http_response *rs, unsigned status, const char *type, const char *text);
void http_reply_error(struct http_response *rs, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sets the body to the whole file open on fd (size bytes), sent in pieces as the client takes them: large
 * answers (exports) never sit in memory. Takes ownership of fd, even on a later error. */
void http_reply_file(struct http_response *rs, unsigned status, const char *type, int fd, uint64_t size);
/* The body is size bytes read from read(ctx, ...) while they are sent, so that an answer can start before all of
 * it is made and memory stays flat; done(ctx) is called once when it is over, sent or not. */
void http_reply_stream(struct http_response *rs, unsigned status, const char *type, uint64_t size,
		       http_read_fn read, void (*done)(void *ctx), void *ctx);
/* Calls fn(ctx, key, value) for each query parameter in the order sent (value "" when absent); a non-zero
 * return stops. */
void http_query_each(const struct http_request *rq, int (*fn)(void *ctx, const char *key, const char *value),
		     void *ctx);
/* Adds a response header (name static; value copied, at most 159 bytes). */
void http_add_header(struct http_response *rs, const char *name, const char *value);
/* The review page's headers, on its files and its catalogs: revalidated at each use (no-cache), and a strict
 * Content-Security-Policy (no inline script or style, nothing from another origin, no framing). */
void http_add_page_headers(struct http_response *rs);

struct embedded_file;
/* The routes api[0..napi) and then, for each of files (embed.h), "GET /NAME" to fn: a page's table, made once at
 * start since its files are the one list of them. Caller frees the table and *paths (the paths it points to); NULL
 * when out of memory. */
struct http_route *http_routes_files(const struct http_route *api, size_t napi, const struct embedded_file *files,
				     http_fn fn, size_t *n, char **paths);
/* Answers with the file of files named path ("/" is index.html), its type from its extension and a page's headers
 * (http_add_page_headers), the body compressible: 0; or 404 and -1 when there is none. */
int http_reply_embedded(struct http_response *rs, const struct embedded_file *files, const char *path);
/* Answers GET /i18n from catalogs, the program's page catalogs (gen/page_catalogs.c, one per language, named
 * "page-LANG.mo"): the languages, or with ?lang=CODE one language's messages as web/i18n.js reads them
 * (http-i18n.c). */
void http_i18n(struct http_request *rq, struct http_response *rs, const struct embedded_file *catalogs);

/* Appends Prometheus-format counters of requests by status and of bytes in and out, the body budget and how
 * much of it is held, and a histogram of the requests' durations by route (method and path as the route table
 * names them; "other" for requests that match no route), to b. Their names begin with sondeod_ whichever program calls it: only sondeod exports
 * metrics (GET /metrics), and the names are what its scrapers know. */
void http_metrics(struct http_server *h, struct buf *b);

#endif
