/* signed.h - sending a signed request (PROTOCOL.md, "Signed requests"): a device's to its server, a regional
 * server's to headquarters. Each call is signed afresh, with a new nonce; checking the signed answer is the
 * caller's, with the key it pinned. */
#ifndef SONDEO_SIGNED_H
#define SONDEO_SIGNED_H

#include <stddef.h>

#include "auth.h"
#include "keys.h"
#include "net.h"

struct signed_peer {
	const char *url;        /* the server's base URL, no trailing slash */
	const char *cacert;     /* a CA file for its certificate, or "" for the system's */
	long long offset_ms;    /* added to our clock to match the server's */
	long timeout_s;         /* whole request; 0: net.h's default */
	int verbose;            /* print each request on stderr */
	struct net_conn *conn;  /* the connection to send through (kept open between requests), or NULL */
};

#define SIGNED_HEADERS 5         /* the headers of a signed request */
#define SIGNED_HEADER_MAX 200    /* bytes of one, "Name: value" and its NUL */

/* The headers of a request signed with k (PROTOCOL.md, "Headers of a signed request") over method, path with
 * its query, the body's hash (hex) and time t (ms), bound to nonce: h[0..3] are Sondeo-Device, -Time, -Nonce and
 * -Signature, h[4] Sondeo-Body-Hash. 0, or -1 with err. */
int signed_headers(const struct keys *k, const char *method, const char *path, const char *hash, uint64_t t,
		   const char *nonce, char h[SIGNED_HEADERS][SIGNED_HEADER_MAX], char *err, size_t errlen);

/* Signs the request with k (method, path with its query, body) and sends it to p; nonce gets the nonce used,
 * for checking the answer's signature. Returns net_send's status. */
enum net_status signed_send(const struct signed_peer *p, const struct keys *k, const char *method, const char *path,
			    const void *body, size_t body_len, const char *content_type,
			    char nonce[AUTH_NONCE_HEXLEN + 1], struct net_response *rs, char *err, size_t errlen);

#endif
