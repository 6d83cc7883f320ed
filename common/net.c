/* net.c - the client's HTTP exchanges, through libcurl. */
#include "net.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <stdlib.h>

#include <curl/curl.h>
#include <jansson.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

/* libcurl is loaded by net_init, when a program first needs the network, rather than at every start: it brings
 * some twenty-five libraries (OpenSSL, Kerberos, LDAP, SSH, HTTP/2...) whose loading took about 10 ms of each
 * command, and most commands stay offline. Its soname, libcurl.so.4, has not changed since 2006. These are the
 * functions used, looked up once. */
static struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} curl;

#define CURL_SONAME "libcurl.so.4"

int net_init(char *err, size_t errlen)
{
	static const struct lib_sym syms[] = {
		{ "curl_global_init", offsetof(struct curl_api, global_init) },
		{ "curl_easy_init", offsetof(struct curl_api, easy_init) },
		{ "curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup) },
		{ "curl_easy_reset", offsetof(struct curl_api, easy_reset) },
		{ "curl_easy_setopt", offsetof(struct curl_api, easy_setopt) },
		{ "curl_easy_perform", offsetof(struct curl_api, easy_perform) },
		{ "curl_easy_getinfo", offsetof(struct curl_api, easy_getinfo) },
		{ "curl_easy_strerror", offsetof(struct curl_api, easy_strerror) },
		{ "curl_slist_append", offsetof(struct curl_api, slist_append) },
		{ "curl_slist_free_all", offsetof(struct curl_api, slist_free_all) },
	};
	struct curl_api api;
	void *lib;

	if (curl.easy_init)
		return 0;
	if (!(lib = lib_load(CURL_SONAME, "libcurl4", syms, sizeof(syms) / sizeof(syms[0]), &api, sizeof(api), err,
			     errlen)))
		return -1;
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dlclose(lib);
		return errf(err, errlen, _("cannot initialise libcurl"));
	}
	curl = api;
	return 0;
}

struct net_conn {
	CURL *c;         /* libcurl keeps the connection in the handle's cache between requests */
};

struct net_conn *net_conn_new(void)
{
	struct net_conn *n;

	if (!curl.easy_init || !(n = calloc(1, sizeof(*n))))
		return NULL;
	if (!(n->c = curl.easy_init())) {
		free(n);
		n = NULL;
	}
	return n;
}

void net_conn_free(struct net_conn *conn)
{
	if (!conn)
		return;
	curl.easy_cleanup(conn->c);
	free(conn);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct net_response *rs = ctx;

	/* Returning less than given makes libcurl stop with CURLE_WRITE_ERROR: the cap was reached. */
	return buf_add(&rs->body, data, size * n) < 0 ? 0 : size * n;
}

/* Keeps the two headers the protocol reads. */
static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct net_response *rs = ctx;
	size_t len = size * n;
	char *dst = NULL;
	size_t cap = 0, skip = 0;

	if (len > 15 && !strncasecmp(line, "Sondeo-Time:", 12))
		dst = rs->time, cap = sizeof(rs->time), skip = 12;
	else if (len > 20 && !strncasecmp(line, "Sondeo-Signature:", 17))
		dst = rs->signature, cap = sizeof(rs->signature), skip = 17;
	if (len > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		/* Seconds only (a date is allowed by HTTP; sondeod sends seconds), bounded so a peer cannot park us. */
		size_t i = 12;
		long v = 0;

		while (i < len && line[i] == ' ')
			i++;
		while (i < len && line[i] >= '0' && line[i] <= '9' && v <= 86400)
			v = v * 10 + (line[i++] - '0');
		rs->retry_after_s = v > 86400 ? 86400 : v;
	}
	if (dst) {
		size_t i = skip, k = 0;

		while (i < len && line[i] == ' ')
			i++;
		while (i < len && line[i] != '\r' && line[i] != '\n' && k + 1 < cap)
			dst[k++] = line[i++];
		dst[k] = '\0';
	}
	return len;
}

/* Why a request failed, in the reader's language: libcurl's own words are English (--verbose shows them). */
static const char *net_reason(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return _("the server's name cannot be found (no network, or a wrong address?)");
	case CURLE_COULDNT_RESOLVE_PROXY:
		return _("the proxy's name cannot be found (no network, or a wrong proxy?)");
	case CURLE_COULDNT_CONNECT:
		return _("cannot connect to the server (no network, or the server is not running?)");
	case CURLE_OPERATION_TIMEDOUT:
		return _("the server did not answer in time");
	case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
		return _("the connection was cut before the answer was complete");
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
		return _("the server's certificate cannot be verified (--cacert names the certificate to trust)");
	case CURLE_SSL_CONNECT_ERROR:
		return _("the secure connection (TLS) with the server failed");
	case CURLE_WRITE_ERROR:
		return _("the server's answer is larger than allowed");
	default:
		return _("the request failed");
	}
}

enum net_status net_send(const struct net_request *rq, struct net_response *rs, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char ctype[128], lang[48], errbuf[CURL_ERROR_SIZE] = "";
	enum net_status st = NET_OK;
	CURLcode rc;
	CURL *c;
	int i;

	rs->status = 0;
	rs->time[0] = rs->signature[0] = '\0';
	rs->retry_after_s = 0;
	buf_init(&rs->body, NET_MAX_RESPONSE);
	if (!curl.easy_init)
		return errf(err, errlen, _("libcurl is not loaded: net_init first")), NET_FAILED;
	if (rq->conn) {
		/* Back to the defaults, keeping the open connection. */
		c = rq->conn->c;
		curl.easy_reset(c);
	} else if (!(c = curl.easy_init()))
		return errf(err, errlen, _("cannot start libcurl")), NET_FAILED;
	curl.easy_setopt(c, CURLOPT_URL, rq->url);
	curl.easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	/* Never another scheme, whatever a URL says: a libcurl too old to know the option (before 7.85) is refused
	 * rather than let it pass unset. */
	if (curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
		if (!rq->conn)
			curl.easy_cleanup(c);
		return errf(err, errlen, _("this libcurl is older than 7.85: Sondeo needs 7.85 or newer")), NET_FAILED;
	}
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl.easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout_s ? rq->timeout_s : 60L);
	/* A link that stalls below 100 bytes a second for 30 seconds is a dead link. */
	curl.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(c, CURLOPT_WRITEDATA, rs);
	curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl.easy_setopt(c, CURLOPT_HEADERDATA, rs);
	curl.easy_setopt(c, CURLOPT_USERAGENT, "sondeo/" SONDEO_VERSION);
	/* Asks for gzip and decodes it; what on_body receives, and the cap counts, is the decoded body. */
	curl.easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (rq->cacert)
		curl.easy_setopt(c, CURLOPT_CAINFO, rq->cacert);
	if (rq->body) {
		curl.easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	}
	if (rq->content_type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", rq->content_type);
		hdrs = curl.slist_append(hdrs, ctype);
	}
	/* A small body goes at once, without the "Expect: 100-continue" round trip: links are slow. A large one (an
	 * attachment's chunk, a big change set) waits for the server's go-ahead, so that a refusal from its headers
	 * alone (413 past a limit, 401, 404) comes before the bytes are sent, not as a connection cut mid-body. */
	hdrs = curl.slist_append(hdrs, rq->body && rq->body_len >= NET_EXPECT_BYTES ? "Expect: 100-continue" :
										     "Expect:");
	/* The server's reasons (a change set refused, a form that does not load) in the language of whoever reads
	 * them here. */
	snprintf(lang, sizeof(lang), "Accept-Language: %s", i18n_lang());
	hdrs = curl.slist_append(hdrs, lang);
	for (i = 0; i < NET_MAX_HEADERS && rq->headers[i]; i++)
		hdrs = curl.slist_append(hdrs, rq->headers[i]);
	curl.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl.easy_perform(c);
	curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
		st = NET_UNREACHABLE;
		break;
	case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
		st = NET_CUT;
		break;
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CONNECT_ERROR: case CURLE_SSL_CACERT_BADFILE:
		st = NET_TLS;
		break;
	case CURLE_WRITE_ERROR:
		st = NET_TOO_LARGE;
		break;
	default:
		st = NET_FAILED;
	}
	if (st != NET_OK)
		errf(err, errlen, "%s: %s", rq->url, net_reason(rc));
	if (rq->verbose)
		/* TRANSLATORS: a trace of one request for --verbose: method, address, bytes sent, HTTP status,
		 * bytes received, then ": " and the error if it failed. */
		fprintf(stderr, _("> %s %s (%zu bytes) -> %ld (%zu bytes)%s%s\n"), rq->method, rq->url, rq->body_len,
			rs->status, rs->body.len, st == NET_OK ? "" : ": ", st == NET_OK ? "" : err);
	if (rq->verbose && st != NET_OK)
		/* libcurl's own account, in its words (English), for whoever looks into the link. */
		fprintf(stderr, "> libcurl: %s\n", *errbuf ? errbuf : curl.easy_strerror(rc));
	curl.slist_free_all(hdrs);
	if (!rq->conn)
		curl.easy_cleanup(c);
	return st;
}

void net_error_text(const struct net_response *rs, char *out, size_t n)
{
	json_t *j = json_loadb(rs->body.data, rs->body.len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	if (m)
		snprintf(out, n, "%s", m);
	else
		snprintf(out, n, _("the server answered HTTP %ld"), rs->status);
	json_decref(j);
}
