/* http-guard.h - deadlines for a request's headers and body, and room for new connections, over libmicrohttpd.
 *
 * libmicrohttpd 0.9.75 drops a connection only after an idle timeout, so a client sending a byte now and then
 * holds it for ever, and enough of them, from enough addresses, fill the connection limit. The guard keeps a
 * list of the open connections with the phase of each one's request, shuts down those past their deadline
 * twice a second, and, near the limit, makes room for each new connection by shutting down the oldest one still
 * sending its headers. A connection whose headers are complete is never dropped for room. Used by http.c only. */
#ifndef SONDEO_HTTP_GUARD_H
#define SONDEO_HTTP_GUARD_H

#include <stdint.h>

#include <microhttpd.h>

#include "buf.h"
#include "http.h"

/* Where a connection is in its current request: what the guard may do to it. */
enum guard_phase { GUARD_HEADERS, GUARD_BODY, GUARD_ANSWERING };

struct guard;

/* Starts the guard's thread with lim's deadlines and connection limit. NULL (errno set) on failure. */
struct guard *guard_start(const struct http_limits *lim);
/* Stops the thread and frees the guard (NULL is fine): after libmicrohttpd has stopped. */
void guard_stop(struct guard *g);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback, with the guard as cls. */
void guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			 enum MHD_ConnectionNotificationCode code);
/* The connection's request enters phase p (body: its body's declared length). */
void guard_phase(struct guard *g, struct MHD_Connection *c, enum guard_phase p, uint64_t body);
/* A body sent without a length earns its time as it arrives: the bytes received so far. */
void guard_received(struct guard *g, struct MHD_Connection *c, uint64_t received);
/* Appends the Prometheus counters of the connections dropped, by reason. */
void guard_metrics(struct guard *g, struct buf *b);

#endif
