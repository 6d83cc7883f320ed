/* net.h - HTTP exchanges with a server through libcurl: a device's with its server, a regional server's with
 * headquarters.
 *
 * One request at a time, with a connect timeout and a low-speed timeout (so a dead link fails in seconds,
 * not minutes), the proxy settings of the environment (libcurl's own http_proxy/https_proxy handling), an
 * optional CA file for servers with their own certificate, and a response body capped in a buf. Requests sent
 * through one net_conn reuse its connection (and TLS session) while the server keeps it open: a sync is one
 * connection, not one per request. Answers may come gzip-compressed; the body is always the decoded bytes,
 * and the cap counts those, so a small compressed answer cannot fill memory. */
#ifndef SONDEO_NET_H
#define SONDEO_NET_H

#include <stddef.h>

#include "buf.h"

#define NET_MAX_RESPONSE ((size_t)64 << 20)
#define NET_MAX_HEADERS 8
#define NET_EXPECT_BYTES ((size_t)256 << 10)   /* bodies from this size wait for the server's 100 Continue */

enum net_status {
	NET_OK = 0,          /* an HTTP answer arrived (any status) */
	NET_UNREACHABLE,     /* no connection: no network, DNS failure, refused, timed out */
	NET_CUT,             /* connected, then cut before the answer was complete */
	NET_TLS,             /* the server's certificate could not be verified */
	NET_TOO_LARGE,       /* the answer was larger than the cap */
	NET_FAILED           /* anything else; err says what */
};

/* A connection kept open between requests (opaque). */
struct net_conn;

struct net_request {
	const char *method;                /* "GET", "POST" */
	const char *url;
	const void *body;                  /* NULL for none */
	size_t body_len;
	const char *content_type;
	const char *headers[NET_MAX_HEADERS];   /* "Name: value", NULL-terminated */
	const char *cacert;                /* PEM file, or NULL for the system's */
	long timeout_s;                    /* whole request; 0: 60 s */
	int verbose;                       /* print the request and status on stderr */
	struct net_conn *conn;             /* reuse this connection; NULL: one of its own, closed after */
};

struct net_response {
	long status;
	struct buf body;                   /* capped at NET_MAX_RESPONSE */
	char time[32];                     /* the Sondeo-Time header, "" if none */
	char signature[160];               /* the Sondeo-Signature header, "" if none */
	long retry_after_s;                /* the Retry-After header in seconds (at most a day), 0 if none */
};

/* Loads and initialises libcurl once per process (later calls do nothing); -1 with a message in err when it
 * cannot. Each program calls it where it first needs the network, before starting any thread that uses libcurl
 * (its set-up is not thread-safe), not at start-up: the commands that stay offline load none of it. */
int net_init(char *err, size_t errlen);
/* A connection for requests to come, opened by the first. NULL when out of memory. Free with net_conn_free. */
struct net_conn *net_conn_new(void);
void net_conn_free(struct net_conn *conn);
/* Sends rq and fills rs (whose body the caller releases with buf_release). */
enum net_status net_send(const struct net_request *rq, struct net_response *rs, char *err, size_t errlen);

/* The message of an error answer ({"error", "message"}) into out, or "the server answered HTTP N". */
void net_error_text(const struct net_response *rs, char *out, size_t n);

#endif
