/* net.c - the client's HTTP exchanges, through libcurl. */
#include "net.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <stdlib.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util.h"
#include "banned.h"

struct net_conn {
	CURL *c;         /* libcurl keeps the connection in the handle's cache between requests */
};

struct net_conn *net_conn_new(void)
{
	struct net_conn *n = calloc(1, sizeof(*n));

	if (n && !(n->c = curl_easy_init())) {
		free(n);
		n = NULL;
	}
	return n;
}

void net_conn_free(struct net_conn *conn)
{
	if (!conn)
		return;
	curl_easy_cleanup(conn->c);
	free(conn);
}

int net_init(void)
{
	static int done;

	if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	done = 1;
	return 0;
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

enum net_status net_send(const struct net_request *rq, struct net_response *rs, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char ctype[128], errbuf[CURL_ERROR_SIZE] = "";
	enum net_status st = NET_OK;
	CURLcode rc;
	CURL *c;
	int i;

	rs->status = 0;
	rs->time[0] = rs->signature[0] = '\0';
	rs->retry_after_s = 0;
	buf_init(&rs->body, NET_MAX_RESPONSE);
	if (rq->conn) {
		/* Back to the defaults, keeping the open connection. */
		c = rq->conn->c;
		curl_easy_reset(c);
	} else if (!(c = curl_easy_init()))
		return errf(err, errlen, "cannot start libcurl"), NET_FAILED;
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout_s ? rq->timeout_s : 60L);
	/* A link that stalls below 100 bytes a second for 30 seconds is a dead link. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sondeo/0.1");
	/* Asks for gzip and decodes it; what on_body receives, and the cap counts, is the decoded body. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (rq->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, rq->cacert);
	if (rq->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	}
	if (rq->content_type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", rq->content_type);
		hdrs = curl_slist_append(hdrs, ctype);
	}
	/* No "Expect: 100-continue" round trip: change sets are small and links are slow. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (i = 0; i < NET_MAX_HEADERS && rq->headers[i]; i++)
		hdrs = curl_slist_append(hdrs, rq->headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
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
		errf(err, errlen, "%s: %s", rq->url, *errbuf ? errbuf : curl_easy_strerror(rc));
	if (rq->verbose)
		fprintf(stderr, "> %s %s (%zu bytes) -> %ld (%zu bytes)%s%s\n", rq->method, rq->url, rq->body_len,
			rs->status, rs->body.len, st == NET_OK ? "" : ": ", st == NET_OK ? "" : err);
	curl_slist_free_all(hdrs);
	if (!rq->conn)
		curl_easy_cleanup(c);
	return st;
}

void net_error_text(const struct net_response *rs, char *out, size_t n)
{
	json_t *j = json_loadb(rs->body.data, rs->body.len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	if (m)
		snprintf(out, n, "%s", m);
	else
		snprintf(out, n, "the server answered HTTP %ld", rs->status);
	json_decref(j);
}
