/* http.c - the programs' HTTP layer over libmicrohttpd: responses and queries, the body budget, requests
 * (on_request) and their log, starting and stopping. The deadlines and room for connections are
 * http-guard.c's, the password-hashing pool http-pool.c's; libmicrohttpd itself is loaded by http_start
 * (mhdlib.h says why), and every call of it goes through mhdlib's table. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <strings.h>
#include <zlib.h>

#include "http-guard.h"
#include "http-pool.h"
#include "i18n.h"
#include "mhdlib.h"
#include "util.h"
#include "banned.h"

#define RESPONSE_MAX ((size_t)64 << 20)
/* GnuTLS priorities: TLS 1.2 and 1.3 only, forward-secret key exchange, AEAD ciphers only (no CBC, no SHA-1
 * MACs, no RC4 or 3DES), the server's order first. */
#define TLS_PRIORITIES "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"
#define STATUS_SLOTS 600
#define BUSY_RETRY_S "5"     /* Retry-After when the body budget is spent: bodies in flight end within seconds */
#define TARGET_MAX 65536             /* a request target kept for the log; libmicrohttpd's memory bounds it first */
/* Of an Accept-Language header, which is the client's to make as long as it likes, the bytes and the languages
 * looked at: a browser sends a few of each. */
#define LANG_HEADER_MAX 512
#define LANG_ENTRIES_MAX 16
/* The request duration histogram's upper bounds, in microseconds and as /metrics writes them: from a cached page
 * (milliseconds) to a large export or a change set of 300 records on a slow disk (seconds). */
#define DURATION_BUCKETS 11
static const uint64_t duration_us[DURATION_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
static const char *const duration_le[DURATION_BUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"
};

/* The requests of one route that have ended, by duration: in[i] those within duration_us[i] and over the bound
 * before it, in[DURATION_BUCKETS] those over the last; and their durations summed. Updated atomically. */
struct route_times {
	uint64_t in[DURATION_BUCKETS + 1];
	uint64_t sum_us;
};

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes;
	size_t nroutes;
	void *app;
	struct guard *guard;
	struct pool *pool;
	/* Counters shared by the worker threads, updated atomically. */
	uint64_t by_status[STATUS_SLOTS];
	uint64_t bytes_in, bytes_out;
	size_t body_budget;
	size_t body_held;            /* of the budget, taken by requests in flight; updated atomically */
	struct route_times *times;   /* one per route, and last the requests that match none: nroutes + 1 */
	char address[160];           /* "HOST:PORT" as listened on, with the port the system chose for port 0 */
	int quiet;                   /* no log line per request */
};

/* What libmicrohttpd keeps for us between the calls that make up one request. */
struct exchange {
	struct http_server *h;
	const struct http_route *route;
	struct http_request rq;
	struct buf pq;               /* path and query */
	char *target;                /* the request target as the client sent it, before unescaping */
	unsigned refused;            /* a status decided before the body was read, or 0 */
	char refused_code[32];
	uint64_t start_ms;
	uint64_t start_us;           /* on the monotonic clock, for its duration: the wall clock may step */
	unsigned status;
	size_t bytes_in, bytes_out;
	size_t held;                 /* of the body budget */
	int has_length;              /* the body's length was declared, and its share taken before it came */
	int began;                   /* on_request has seen the headers */
	int pooled;                  /* 1: waiting for the hashing pool, 2: its answer is in rs */
	struct http_response rs;     /* the pool's answer */
	char lang[16];               /* the language its messages are in (Accept-Language); "": the server's */
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Adds a request that took us to its route's histogram (route NULL: it matched none). */
static void time_request(struct http_server *h, const struct http_route *route, uint64_t us)
{
	struct route_times *rt = &h->times[route ? (size_t)(route - h->routes) : h->nroutes];
	size_t i;

	for (i = 0; i < DURATION_BUCKETS && us > duration_us[i]; i++)
		;
	count(&rt->in[i], 1);
	count(&rt->sum_us, us);
}

void http_add_header(struct http_response *rs, const char *name, const char *value)
{
	if (rs->nheaders == HTTP_MAX_HEADERS)
		return;
	rs->hname[rs->nheaders] = name;
	strlcpy_s(rs->hvalue[rs->nheaders], value, sizeof(rs->hvalue[0]));
	rs->nheaders++;
}

void http_add_page_headers(struct http_response *rs)
{
	http_add_header(rs, "Cache-Control", "no-cache");
	http_add_header(rs, "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
			"frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	http_add_header(rs, "X-Frame-Options", "DENY");
	http_add_header(rs, "Referrer-Policy", "no-referrer");
}

static void drop_file(struct http_response *rs);

void http_reply_file(struct http_response *rs, unsigned status, const char *type, int fd, uint64_t size)
{
	drop_file(rs);
	rs->status = status;
	rs->type = type;
	buf_reset(&rs->body);
	rs->file_fd = fd;
	rs->file_size = size;
}

void http_reply_stream(struct http_response *rs, unsigned status, const char *type, uint64_t size,
		       http_read_fn read, void (*done)(void *ctx), void *ctx)
{
	drop_file(rs);
	rs->status = status;
	rs->type = type;
	buf_reset(&rs->body);
	rs->stream = read;
	rs->stream_done = done;
	rs->stream_ctx = ctx;
	rs->file_size = size;
}

struct query_each {
	int (*fn)(void *ctx, const char *key, const char *value);
	void *ctx;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_each *q = cls;

	(void)kind;
	return q->fn(q->ctx, key, value ? value : "") ? MHD_NO : MHD_YES;
}

void http_query_each(const struct http_request *rq, int (*fn)(void *ctx, const char *key, const char *value),
		     void *ctx)
{
	struct query_each q = { fn, ctx };

	mhd.get_connection_values(rq->mhd, MHD_GET_ARGUMENT_KIND, each_arg, &q);
}

/* A body set after a file, or a stream, replaces it. */
static void drop_file(struct http_response *rs)
{
	if (rs->file_fd >= 0)
		close(rs->file_fd);
	rs->file_fd = -1;
	if (rs->stream && rs->stream_done)
		rs->stream_done(rs->stream_ctx);
	rs->stream = NULL;
}

/* A streamed body as libmicrohttpd reads it. */
struct stream {
	http_read_fn read;
	void (*done)(void *ctx);
	void *ctx;
	uint64_t size;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t got;

	if (pos >= st->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	got = st->read(st->ctx, pos, buf, max);
	/* Nothing more before the length promised is an error too: libmicrohttpd would ask again and again. */
	if (got <= 0) {
		http_log("a streamed answer stopped at byte %llu of %llu", (unsigned long long)pos,
			 (unsigned long long)st->size);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return got;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	if (st->done)
		st->done(st->ctx);
	free(st);
}

void http_reply_text(struct http_response *rs, unsigned status, const char *type, const char *text)
{
	drop_file(rs);
	rs->status = status;
	rs->type = type;
	buf_reset(&rs->body);
	buf_adds(&rs->body, text);
}

void http_reply_json(struct http_response *rs, unsigned status, json_t *body)
{
	char *t = json_dumps(body, JSON_COMPACT);

	drop_file(rs);
	rs->status = status;
	rs->type = "application/json";
	buf_reset(&rs->body);
	if (t) {
		buf_adds(&rs->body, t);
		buf_addc(&rs->body, '\n');
	}
	free(t);
	json_decref(body);
}

void http_reply_error(struct http_response *rs, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[512];
	size_t off = 0, bad, len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A message quotes what the client sent, which may not be UTF-8 (or be cut inside a character): JSON cannot
	 * hold it, and the error would go out without a body. Such bytes are shown as '?'. */
	len = strlen(msg);
	while (off < len && !utf8_valid(msg + off, len - off, &bad)) {
		msg[off + bad] = '?';
		off += bad + 1;
	}
	http_reply_json(rs, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

const char *http_lang_server(void)
{
	const char *was = i18n_lang();

	i18n_set(NULL);
	return was;
}

/* The name http_log's lines begin with: the last http_start's. Atomic, since threads started before the server
 * (sondeod's checkpointer) may log while it starts. */
static const char *log_name;

void http_log(const char *fmt, ...)
{
	const char *was = http_lang_server(), *name = __atomic_load_n(&log_name, __ATOMIC_ACQUIRE);
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), _(fmt), ap);
	va_end(ap);
	i18n_set(was);
	/* One write: the workers log at once. */
	fprintf(stderr, "%s%s%s\n", name ? name : "", name ? ": " : "", line);
}

#define COOKIE_SCAN_MAX 8192   /* bytes of a Cookie header looked at: a site's own cookies come well within */

static int is_token(const char *v, size_t n)
{
	size_t i;

	if (n != HTTP_TOKEN_HEXLEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return 0;
	return 1;
}

int http_cookie_token(const char *h, const char *name, char *out)
{
	const char *end = h + strnlen(h, COOKIE_SCAN_MAX), *p = h;
	const size_t nlen = strlen(name);

	while (p < end) {
		const char *start, *eq, *val, *semi;
		size_t n;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		start = p;
		if (!(semi = memchr(p, ';', (size_t)(end - p))))
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		p = semi;
		if (!eq)
			continue;
		n = (size_t)(eq - start);
		while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		if (n != nlen || memcmp(start, name, nlen))
			continue;
		for (val = eq + 1; val < semi && (*val == ' ' || *val == '\t'); val++)
			;
		n = (size_t)(semi - val);
		while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
			n--;
		if (is_token(val, n)) {
			memcpy(out, val, n);
			out[n] = '\0';
			return 1;
		}
	}
	return 0;
}

json_t *http_json_body(struct http_request *rq, struct http_response *rs)
{
	json_error_t je;
	json_t *body = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES, &je);

	if (body && json_is_object(body))
		return body;
	if (body)
		http_reply_error(rs, 400, "bad_json", _("the body is not a JSON object"));
	else
		/* TRANSLATORS: %s is the JSON parser's own words, in English. */
		http_reply_error(rs, 400, "bad_json", _("the body is not a JSON object: %s"), je.text);
	json_decref(body);
	return NULL;
}

const char *http_header(const struct http_request *rq, const char *name)
{
	return mhd.lookup_connection_value(rq->mhd, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *rq, const char *key)
{
	return mhd.lookup_connection_value(rq->mhd, MHD_GET_ARGUMENT_KIND, key);
}

long long http_query_number(const struct http_request *rq, const char *key, long long def, long long min,
			    long long max)
{
	return http_number(http_query(rq, key), def, min, max);
}

long long http_number(const char *v, long long def, long long min, long long max)
{
	long long n = 0;
	size_t i;

	if (!v || !*v)
		return def;
	for (i = 0; v[i]; i++) {
		if (v[i] < '0' || v[i] > '9' || i >= 18)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n >= min && n <= max ? n : -1;
}

/* Rebuilds "path?a=1&b=2" in the order the client sent the parameters, for request signatures. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct buf *b = cls;

	(void)kind;
	buf_addc(b, strchr(b->data, '?') ? '&' : '?');
	buf_adds(b, key);
	if (value) {
		buf_addc(b, '=');
		buf_adds(b, value);
	}
	return MHD_YES;
}

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = mhd.get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (!sa || getnameinfo(sa, len, out, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy_s(out, "-", n);
}

/* 1 if an Accept-Encoding value takes gzip: a coding "gzip" or "x-gzip" whose q, if given, is not 0. */
static int accepts_gzip(const char *v)
{
	while (v && *v) {
		const char *end = strchr(v, ','), *semi;
		size_t n, name;

		while (*v == ' ' || *v == '\t')
			v++;
		n = end ? (size_t)(end - v) : strlen(v);
		semi = memchr(v, ';', n);
		name = semi ? (size_t)(semi - v) : n;
		while (name && (v[name - 1] == ' ' || v[name - 1] == '\t'))
			name--;
		if ((name == 4 && !strncasecmp(v, "gzip", 4)) || (name == 6 && !strncasecmp(v, "x-gzip", 6))) {
			const char *q = semi;

			while (q && q < v + n && (*q == ';' || *q == ' ' || *q == '\t'))
				q++;
			if (!q || q + 2 > v + n || strncasecmp(q, "q=", 2))
				return 1;
			/* q=0, q=0.0, q=0.00...: refused; any other weight takes it. */
			for (q += 2; q < v + n && (*q == '0' || *q == '.'); q++)
				;
			return q < v + n && *q >= '1' && *q <= '9';
		}
		v = end ? end + 1 : NULL;
	}
	return 0;
}

/* Replaces rs's body by its gzip encoding. 0, or -1 (the body is left as it was: sent as it is). */
static int gzip_body(struct http_response *rs)
{
	z_stream z;
	struct buf out;
	uLong room;
	int zr;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	room = deflateBound(&z, (uLong)rs->body.len);
	buf_init(&out, (size_t)room + 1);
	if (buf_grow(&out, (size_t)room) < 0) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (unsigned char *)rs->body.data;
	z.avail_in = (uInt)rs->body.len;
	z.next_out = (unsigned char *)out.data;
	z.avail_out = (uInt)room;
	zr = deflate(&z, Z_FINISH);
	out.len = (size_t)z.total_out;
	out.data[out.len] = '\0';
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		buf_release(&out);
		return -1;
	}
	buf_release(&rs->body);
	rs->body = out;
	return 0;
}

static enum MHD_Result send_response(struct exchange *x, struct MHD_Connection *c, struct http_response *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ok;
	int i, gzipped = 0;

	if (rs->stream) {
		/* libmicrohttpd owns the stream from here, and ends it (stream_free) when the response is done. */
		struct stream *st = malloc(sizeof(*st));

		r = NULL;
		if (st) {
			*st = (struct stream){ rs->stream, rs->stream_done, rs->stream_ctx, rs->file_size };
			r = mhd.create_response_from_callback(rs->file_size, 65536, stream_read, st, stream_free);
			if (!r)
				free(st);
		}
		if (!r && rs->stream_done)
			rs->stream_done(rs->stream_ctx);
		rs->stream = NULL;
		x->bytes_out = rs->file_size;
	} else if (rs->file_fd >= 0) {
		/* libmicrohttpd owns the descriptor from here, and closes it when the response is done. */
		r = mhd.create_response_from_fd64(rs->file_size, rs->file_fd);
		if (!r)
			close(rs->file_fd);
		rs->file_fd = -1;
		x->bytes_out = rs->file_size;
	} else {
		/* Worth it from a few hundred bytes: below, the gzip header and the deflate block eat the gain. */
		if (rs->compress && rs->body.len >= 512 && rs->body.len <= UINT32_MAX &&
		    accepts_gzip(mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING)))
			gzipped = gzip_body(rs) == 0;
		r = mhd.create_response_from_buffer(rs->body.len, rs->body.data, MHD_RESPMEM_MUST_COPY);
		x->bytes_out = rs->body.len;
	}
	if (!r)
		return MHD_NO;
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->type ? rs->type : "text/plain");
	mhd.add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (rs->compress)
		mhd.add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gzipped)
		mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	for (i = 0; i < rs->nheaders; i++)
		mhd.add_response_header(r, rs->hname[i], rs->hvalue[i]);
	ok = mhd.queue_response(c, rs->status, r);
	mhd.destroy_response(r);
	x->status = rs->status;
	return ok;
}

static enum MHD_Result refuse_now(struct exchange *x, struct MHD_Connection *c, unsigned status, const char *code,
				  const char *msg)
{
	struct http_response rs;
	enum MHD_Result ok;

	memset(&rs, 0, sizeof(rs));
	rs.file_fd = -1;
	buf_init(&rs.body, RESPONSE_MAX);
	http_reply_error(&rs, status, code, "%s", msg);
	if (status == 503)
		http_add_header(&rs, "Retry-After", BUSY_RETRY_S);
	ok = send_response(x, c, &rs);
	buf_release(&rs.body);
	x->refused = status;
	return ok;
}

/* ---- The body budget: what the bodies of all requests in flight may hold at once ---- */

/* Takes n bytes of the budget for x; 0, or -1 (nothing taken) when they do not fit. */
static int budget_take(struct exchange *x, size_t n)
{
	struct http_server *h = x->h;
	size_t held = __atomic_load_n(&h->body_held, __ATOMIC_RELAXED);

	do {
		if (n > h->body_budget - held)
			return -1;
	} while (!__atomic_compare_exchange_n(&h->body_held, &held, held + n, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	x->held += n;
	return 0;
}

/* Gives back x's share, whichever way its request ended. */
static void budget_give(struct exchange *x)
{
	__atomic_sub_fetch(&x->h->body_held, x->held, __ATOMIC_RELAXED);
	x->held = 0;
}

/* The answer when the body budget is spent. */
static const char *busy_msg(void)
{
	return _("the server holds as many request bodies as it may: send again later");
}

/* Before a byte of the body is read: the route's check of the headers, then the body's share of the budget,
 * its declared length (a body sent without one takes its share as it comes). MHD_YES and x->refused set when
 * the request is refused. */
static enum MHD_Result before_body(struct exchange *x, struct MHD_Connection *c, const char *cl)
{
	struct http_response rs;
	enum MHD_Result ok = MHD_YES;

	if (x->route->check) {
		memset(&rs, 0, sizeof(rs));
		rs.file_fd = -1;
		buf_init(&rs.body, RESPONSE_MAX);
		rs.status = 500;
		if (x->route->check(&x->rq, &rs) < 0) {
			ok = send_response(x, c, &rs);
			x->refused = rs.status;
		}
		drop_file(&rs);
		buf_release(&rs.body);
		if (x->refused)
			return ok;
	}
	x->has_length = cl != NULL;
	if (cl && budget_take(x, (size_t)strtoull(cl, NULL, 10)) < 0)
		return refuse_now(x, c, 503, "busy", busy_msg());
	return MHD_YES;
}

/* A pool thread's job: the handler of a route with hashes, in the request's language. */
static void pooled_run(void *arg)
{
	struct exchange *x = arg;

	i18n_set(x->lang[0] ? x->lang : NULL);
	x->route->fn(&x->rq, &x->rs);
	i18n_set(NULL);
	__atomic_store_n(&x->pooled, 2, __ATOMIC_RELEASE);
}

/* The last call for a route with hashes: queue it, or send the answer the pool made. */
static enum MHD_Result on_pooled(struct exchange *x, struct MHD_Connection *c)
{
	int pooled = __atomic_load_n(&x->pooled, __ATOMIC_ACQUIRE);

	if (pooled == 2)
		return send_response(x, c, &x->rs);
	if (pooled == 1)
		return MHD_YES;
	x->pooled = 1;
	if (pool_put(x->h->pool, c, pooled_run, x) == 0)
		return MHD_YES;
	x->pooled = 0;
	http_add_header(&x->rs, "Retry-After", "1");
	http_reply_error(&x->rs, 503, "busy", _("too many password checks at once: try again in a second"));
	return send_response(x, c, &x->rs);
}

/* ---- Requests ---- */

/* libmicrohttpd unescapes the target before on_request sees it (a %00 ends the path there, so
 * "/index.html%00.js" would be "/index.html"): the target as sent is checked here. 1 if its path holds a control
 * byte, raw or escaped, or its query a NUL. */
static int target_bad(const char *t)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	int in_path = 1;
	const char *hi, *lo;
	unsigned char b;

	for (; *t; t++) {
		b = (unsigned char)*t;
		if (b == '?')
			in_path = 0;
		if (b == '%' && t[1] && t[2] && (hi = strchr(hex, t[1])) && (lo = strchr(hex, t[2]))) {
			b = (unsigned char)(((hi - hex) % 16) * 16 + (lo - hex) % 16);
			t += 2;
		}
		if (b == 0 || (in_path && (b < 0x20 || b == 0x7f)))
			return 1;
	}
	return 0;
}

/* Keeps the target as the client sent it, for the checks above and the log; the exchange starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct exchange *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->h = cls;
	x->start_ms = now_ms();
	x->start_us = mono_us();
	x->target = strndup(uri, TARGET_MAX);
	client_ip(c, x->rq.ip, sizeof(x->rq.ip));
	buf_init(&x->pq, 8192);
	buf_init(&x->rq.body, 0);
	buf_init(&x->rs.body, RESPONSE_MAX);
	x->rs.file_fd = -1;
	x->rs.status = 500;
	return x;
}

/* The request target for the log: every byte outside 0x21-0x7E, and '%', as %XX, so that no target can end
 * a log line, forge the next one or reach a terminal as an escape sequence. */
static void log_target(struct buf *b, const char *t)
{
	for (; *t; t++) {
		unsigned char ch = (unsigned char)*t;

		if (ch < 0x21 || ch > 0x7e || ch == '%')
			buf_printf(b, "%%%02X", ch);
		else
			buf_addc(b, (char)ch);
	}
}

/* The weight of an Accept-Language entry from its parameters (p to end, after its first ';'), in thousandths:
 * q=0.8 is 800. 1000 without q; 0, which refuses the language, for a weight that is not one. */
static int lang_weight(const char *p, const char *end)
{
	int w = 1000, digits;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			if (p == end || (*p != '0' && *p != '1'))
				return 0;
			w = (*p++ - '0') * 1000;
			if (p < end && *p == '.')
				for (p++, digits = 100; p < end && *p >= '0' && *p <= '9' && digits; p++, digits /= 10)
					w += (*p - '0') * digits;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if ((p < end && *p != ';') || w > 1000)
				return 0;
		}
		while (p < end && *p != ';')
			p++;
	}
	return w;
}

/* The language of a request's messages from its Accept-Language header ("fr-CA, es;q=0.8, *;q=0.1"): of the
 * languages there is a catalog for, by their primary subtag (fr-CA is fr), the one of highest weight, the first
 * of equals. Into out (16 bytes), or "" for none: the server's language then. Only the first LANG_HEADER_MAX
 * bytes and LANG_ENTRIES_MAX entries are read, whatever the header holds. */
static void request_lang(const char *v, char *out, size_t n)
{
	const char *p = v, *end;
	int best = 0, entries;

	out[0] = '\0';
	if (!v)
		return;
	end = v + strnlen(v, LANG_HEADER_MAX);
	for (entries = 0; p < end && entries < LANG_ENTRIES_MAX; entries++) {
		const char *e = memchr(p, ',', (size_t)(end - p)), *semi;
		char tag[16], code[16];
		size_t len;
		int w;

		if (!e)
			e = end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		semi = memchr(p, ';', (size_t)(e - p));
		len = (size_t)((semi ? semi : e) - p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		w = semi ? lang_weight(semi + 1, e) : 1000;
		if (len && len < sizeof(tag) && w > best) {
			memcpy(tag, p, len);
			tag[len] = '\0';
			if (i18n_code(tag, code, sizeof(code)) == 0 && i18n_has(code)) {
				best = w;
				strlcpy_s(out, code, n);
			}
		}
		if (e == end)
			break;
		p = e + 1;
	}
}

/* One call of libmicrohttpd's for a request (on_request): its headers, a piece of its body, or its end. */
static enum MHD_Result request_step(struct http_server *h, struct exchange *x, struct MHD_Connection *c,
				    const char *url, const char *method, const char *upload_data,
				    size_t *upload_data_size)
{
	struct http_response rs;
	enum MHD_Result ok;
	size_t i;

	if (!x->began) {
		const char *cl;
		int path_known = 0;

		x->began = 1;
		x->rq.received_ms = now_ms();
		x->rq.method = method;
		x->rq.mhd = c;
		x->rq.app = h->app;
		buf_adds(&x->pq, url);
		mhd.get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &x->pq);
		x->rq.path = url;
		x->rq.path_and_query = x->pq.data;
		cl = mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		guard_phase(h->guard, c, GUARD_BODY, cl ? strtoull(cl, NULL, 10) : 0);
		if (!x->target || target_bad(x->target))
			return refuse_now(x, c, 400, "bad_path", _("the path holds a control character"));
		for (i = 0; i < h->nroutes && !x->route; i++) {
			if (strcmp(h->routes[i].path, url))
				continue;
			path_known = 1;
			if (!strcmp(h->routes[i].method, method))
				x->route = &h->routes[i];
		}
		if (!x->route)
			return path_known ? refuse_now(x, c, 405, "method_not_allowed", _("this method is not served here"))
					  : refuse_now(x, c, 404, "not_found", _("no such endpoint"));
		/* The body's size is decided from the header, before any of it is read. */
		if (cl && strtoull(cl, NULL, 10) > x->route->max_body) {
			char msg[96];

			snprintf(msg, sizeof(msg), _("the body may be at most %zu bytes"), x->route->max_body);
			return refuse_now(x, c, 413, "too_large", msg);
		}
		ok = before_body(x, c, cl);
		if (x->refused || ok != MHD_YES)
			return ok;
		/* A declared length is all the body may be, and all the budget it took. */
		buf_init(&x->rq.body, cl ? (size_t)strtoull(cl, NULL, 10) : x->route->max_body);
		return MHD_YES;
	}
	if (*upload_data_size) {
		x->bytes_in += *upload_data_size;
		guard_received(h->guard, c, x->bytes_in);
		/* A body sent without a length is cut off as soon as it passes the cap, refused or not, and none of the
		 * rest is read: libmicrohttpd 0.9.75 takes no answer before the whole body is in, so the connection is
		 * closed (logged as 413). */
		if (x->route && x->bytes_in > x->route->max_body) {
			x->refused = x->status = 413;
			return MHD_NO;
		}
		/* A body sent without a length takes its share of the budget as it comes. */
		if (!x->refused && !x->has_length && budget_take(x, *upload_data_size) < 0) {
			x->refused = 503;
			buf_release(&x->rq.body);
			budget_give(x);
		}
		if (!x->refused && buf_add(&x->rq.body, upload_data, *upload_data_size) < 0) {
			x->refused = x->status = 413;
			return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (x->refused == 503 && !x->status)
		return refuse_now(x, c, 503, "busy", busy_msg());
	if (x->refused)
		return MHD_YES;
	guard_phase(h->guard, c, GUARD_ANSWERING, 0);
	if (x->route->hashes)
		return on_pooled(x, c);
	memset(&rs, 0, sizeof(rs));
	rs.file_fd = -1;
	buf_init(&rs.body, RESPONSE_MAX);
	rs.status = 500;
	x->route->fn(&x->rq, &rs);
	ok = send_response(x, c, &rs);
	/* libmicrohttpd has its copy: ours may hold a session cookie, a CSRF token or a new enrolment code. */
	sodium_memzero(rs.hvalue, sizeof(rs.hvalue));
	sodium_memzero(rs.body.data, rs.body.len);
	buf_release(&rs.body);
	return ok;
}

/* Each call of a request runs in the language the request asks for: its answers' messages, and the errors the
 * modules below write into err buffers, are in it. The worker serves other connections between two calls of
 * one request, and goes back to the server's language after each. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct exchange *x = *con_cls;
	enum MHD_Result ok;

	(void)version;
	/* on_uri made the exchange; without memory for it, the connection goes. */
	if (!x)
		return MHD_NO;
	if (!x->began)
		request_lang(mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE), x->lang,
			     sizeof(x->lang));
	i18n_set(x->lang[0] ? x->lang : NULL);
	ok = request_step(cls, x, c, url, method, upload_data, upload_data_size);
	i18n_set(NULL);
	return ok;
}

/* One log line per request, and the counters, when libmicrohttpd is done with it. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	struct exchange *x = *con_cls;
	struct buf target = BUF_INIT(3 * TARGET_MAX + 1);
	char when[32];
	time_t t;
	struct tm tm;

	if (!x)
		return;
	/* A connection kept alive waits for its next request's headers from now. */
	guard_phase(h->guard, c, GUARD_HEADERS, 0);
	if (!h->quiet) {
		log_target(&target, x->target ? x->target : "-");
		t = (time_t)(x->start_ms / 1000);
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s %s %s %s %u in=%zu out=%zu %llums%s\n", when, x->rq.ip,
			x->rq.method ? x->rq.method : "-", target.data, x->status, x->bytes_in, x->bytes_out,
			(unsigned long long)(now_ms() - x->start_ms),
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
			toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)" : " (connection closed)");
		buf_release(&target);
	}
	if (x->status < STATUS_SLOTS)
		count(&h->by_status[x->status], 1);
	/* Every request whose headers came in, answered or cut off: a request line alone is not one yet. */
	if (x->began)
		time_request(h, x->route, mono_us() - x->start_us);
	count(&h->bytes_in, x->bytes_in);
	count(&h->bytes_out, x->bytes_out);
	budget_give(x);
	/* The pool's answer was a login's or a password's: the same wipe as on_request's. */
	sodium_memzero(x->rs.hvalue, sizeof(x->rs.hvalue));
	sodium_memzero(x->rs.body.data, x->rs.body.len);
	drop_file(&x->rs);
	buf_release(&x->rs.body);
	buf_release(&x->rq.body);
	buf_release(&x->pq);
	free(x->target);
	free(x);
	*con_cls = NULL;
}

/* "host:port", "[v6]:port" or ":port"; port 0 asks the system for a free one. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6, char *err, size_t errlen)
{
	const char *colon = strrchr(listen, ':');
	char host[128];
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return errf(err, errlen, _("--listen '%s': expected HOST:PORT"), listen);
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port > 65535)
		return errf(err, errlen, _("--listen '%s': bad port"), listen);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return errf(err, errlen, _("--listen '%s': bad IPv6 address"), listen);
		*v6 = 1;
		return 0;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (!host[0])
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return errf(err, errlen, _("--listen '%s': bad IPv4 address (use [addr] for IPv6)"), listen);
		*v6 = 0;
		return 0;
	}
}

/* h->address: listen's host (as parse_listen took it) with the port bound, which for port 0 is the one the
 * system chose. */
static void name_address(struct http_server *h, const char *listen, const struct sockaddr_storage *ss)
{
	const union MHD_DaemonInfo *di = mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port :
							  ((const struct sockaddr_in *)ss)->sin_port);

	snprintf(h->address, sizeof(h->address), "%.*s:%u", (int)(strrchr(listen, ':') - listen), listen,
		 di && di->port ? di->port : port);
}

struct http_server *http_start(const char *listen, const struct http_route *routes, size_t nroutes,
			       const struct http_limits *lim, void *app, const char *cert_pem, const char *key_pem,
			       char *err, size_t errlen)
{
	struct http_server *h;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	int v6 = 0;
	size_t i;

	if (mhd_load(err, errlen) < 0 || parse_listen(listen, &ss, &v6, err, errlen) < 0)
		return NULL;
	for (i = 0; i < nroutes; i++) {
		if (routes[i].max_body > lim->body_budget) {
			/* TRANSLATORS: %s is an endpoint's path, /v1/changesets. */
			errf(err, errlen, _("the body budget (%zu bytes) is smaller than what %s takes (%zu bytes)"),
			     lim->body_budget, routes[i].path, routes[i].max_body);
			return NULL;
		}
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	__atomic_store_n(&log_name, lim->name, __ATOMIC_RELEASE);
	h->routes = routes;
	h->nroutes = nroutes;
	h->app = app;
	h->quiet = lim->quiet;
	h->body_budget = lim->body_budget;
	h->guard = guard_start(lim);
	h->pool = pool_start(lim->hash_threads, lim->hash_queue);
	h->times = calloc(nroutes + 1, sizeof(*h->times));
	if (!h->times) {
		errf(err, errlen, _("out of memory"));
		goto fail;
	}
	if (!h->guard || !h->pool) {
		errf(err, errlen, _("cannot start the server's threads: %s"), strerror(errno));
		goto fail;
	}
	/* libmicrohttpd's own words on what a client did wrong go to the log, unless the terminal is a person's. */
	if (!lim->quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (cert_pem)
		flags |= MHD_USE_TLS;
	/* The options array ends at the first MHD_OPTION_END: TLS options go last and only with TLS. */
	h->d = mhd.start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_TIMEOUT, lim->timeout_s,
				/* One thread is the daemon's own, with no pool: libmicrohttpd warns of a pool of one or
				 * none, so the option is then the timeout again. */
				lim->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_CONNECTION_TIMEOUT,
				lim->threads > 1 ? lim->threads : lim->timeout_s,
				MHD_OPTION_CONNECTION_LIMIT, lim->connections,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->per_ip,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, lim->conn_memory,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_NOTIFY_CONNECTION, guard_on_connection, h->guard,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
				MHD_OPTION_HTTPS_MEM_KEY, key_pem,
				MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
				MHD_OPTION_END);
	if (!h->d) {
		if (cert_pem)
			errf(err, errlen, _("cannot listen on %s with TLS (address in use, or no permission?)"), listen);
		else
			errf(err, errlen, _("cannot listen on %s (address in use, or no permission?)"), listen);
		goto fail;
	}
	name_address(h, listen, &ss);
	return h;
fail:
	pool_stop(h->pool);
	guard_stop(h->guard);
	free(h->times);
	free(h);
	return NULL;
}

const char *http_address(const struct http_server *h)
{
	return h->address;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	/* Stop taking connections first; the pool answers what it holds (libmicrohttpd cannot stop with a
	 * connection suspended), and MHD_stop_daemon then lets the workers finish what they are doing. */
	mhd.quiesce_daemon(h->d);
	pool_stop(h->pool);
	mhd.stop_daemon(h->d);
	guard_stop(h->guard);
	free(h->times);
	free(h);
}

/* The request duration histogram, a series per route that has had requests. Each bucket is read once and the
 * count is their sum, so that the series agree with each other (+Inf is the count) even while requests end
 * during the read; the sum may be a request ahead. The labels are the route table's method and path, never the
 * request's: a client cannot make new series. */
static void times_metrics(struct http_server *h, struct buf *b)
{
	size_t r, i;

	buf_adds(b, "# HELP sondeod_http_request_duration_seconds Time from a request's arrival to the end of its"
		    " answer, by endpoint: the method and path of its route, or other for requests that match none.\n"
		    "# TYPE sondeod_http_request_duration_seconds histogram\n");
	for (r = 0; r <= h->nroutes; r++) {
		const char *method = r < h->nroutes ? h->routes[r].method : "other";
		const char *path = r < h->nroutes ? h->routes[r].path : "other";
		uint64_t in[DURATION_BUCKETS + 1], total = 0, sum_us;

		for (i = 0; i <= DURATION_BUCKETS; i++)
			total += in[i] = __atomic_load_n(&h->times[r].in[i], __ATOMIC_RELAXED);
		if (!total)
			continue;
		sum_us = __atomic_load_n(&h->times[r].sum_us, __ATOMIC_RELAXED);
		for (i = 0, total = 0; i <= DURATION_BUCKETS; i++) {
			total += in[i];
			buf_printf(b, "sondeod_http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\","
				   "le=\"%s\"} %llu\n", method, path, i < DURATION_BUCKETS ? duration_le[i] : "+Inf",
				   (unsigned long long)total);
		}
		buf_printf(b, "sondeod_http_request_duration_seconds_sum{method=\"%s\",path=\"%s\"} %llu.%06llu\n"
			   "sondeod_http_request_duration_seconds_count{method=\"%s\",path=\"%s\"} %llu\n",
			   method, path, (unsigned long long)(sum_us / 1000000), (unsigned long long)(sum_us % 1000000),
			   method, path, (unsigned long long)total);
	}
}

void http_metrics(struct http_server *h, struct buf *b)
{
	unsigned s;

	buf_adds(b, "# HELP sondeod_http_requests_total Requests answered, by status.\n"
		    "# TYPE sondeod_http_requests_total counter\n");
	for (s = 100; s < STATUS_SLOTS; s++) {
		uint64_t n = __atomic_load_n(&h->by_status[s], __ATOMIC_RELAXED);

		if (n)
			buf_printf(b, "sondeod_http_requests_total{status=\"%u\"} %llu\n", s, (unsigned long long)n);
	}
	buf_printf(b, "# HELP sondeod_http_bytes_in_total Request body bytes received.\n"
		   "# TYPE sondeod_http_bytes_in_total counter\nsondeod_http_bytes_in_total %llu\n"
		   "# HELP sondeod_http_bytes_out_total Response body bytes sent.\n"
		   "# TYPE sondeod_http_bytes_out_total counter\nsondeod_http_bytes_out_total %llu\n",
		   (unsigned long long)__atomic_load_n(&h->bytes_in, __ATOMIC_RELAXED),
		   (unsigned long long)__atomic_load_n(&h->bytes_out, __ATOMIC_RELAXED));
	buf_printf(b, "# HELP sondeod_http_body_budget_bytes Request body bytes that may be held at once.\n"
		   "# TYPE sondeod_http_body_budget_bytes gauge\nsondeod_http_body_budget_bytes %zu\n"
		   "# HELP sondeod_http_body_held_bytes Of that budget, held by requests in flight.\n"
		   "# TYPE sondeod_http_body_held_bytes gauge\nsondeod_http_body_held_bytes %zu\n",
		   h->body_budget, __atomic_load_n(&h->body_held, __ATOMIC_RELAXED));
	guard_metrics(h->guard, b);
	pool_metrics(h->pool, b);
	times_metrics(h, b);
}
