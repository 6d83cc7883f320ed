/* srv.h - what sondeod's endpoints share while serving: the data directory, a store handle per worker
 * thread, and the checks of a signed device request. One endpoint per api-*.c file. */
#ifndef SONDEO_SRV_H
#define SONDEO_SRV_H

#include "http.h"
#include "sstore.h"

#define SRV_MAX_SKEW_MS (5 * 60 * 1000)   /* a request's time may be this far from ours */

struct srv {
	const char *data_dir;
	struct http_server *http;   /* for /metrics */
};

/* This worker thread's store, opened on first use and kept for the thread's life; NULL with a 503 set in
 * rs when it cannot be opened. */
struct sstore *srv_store(struct http_request *rq, struct http_response *rs);

/* Checks the four Sondeo-* headers of a signed device request (PROTOCOL.md, "Signed requests"): the device is
 * enrolled and not revoked, the time is close to ours, the nonce is new, the signature verifies over the
 * method, path and query, and body. Returns 0 and fills d, or -1 with the error response set in rs. */
int srv_authenticate(struct http_request *rq, struct http_response *rs, struct sstore *s, struct sstore_device *d);

void api_health(struct http_request *rq, struct http_response *rs);
void api_metrics(struct http_request *rq, struct http_response *rs);
void api_enrol(struct http_request *rq, struct http_response *rs);
void api_forms(struct http_request *rq, struct http_response *rs);
void api_changesets(struct http_request *rq, struct http_response *rs);
void api_pull(struct http_request *rq, struct http_response *rs);

#endif
