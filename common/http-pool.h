/* http-pool.h - a few threads of their own for the requests that hash passwords.
 *
 * Argon2id takes a core for a tenth of a second or more by design: on libmicrohttpd's workers, a flood of
 * logins would queue every device's sync behind it. Such a request has its connection suspended once its body
 * is in; a pool thread runs the job and resumes the connection, whose next call then sends the answer. At most
 * a bounded number wait; past that the caller answers 503. Used by http.c only. */
#ifndef SONDEO_HTTP_POOL_H
#define SONDEO_HTTP_POOL_H

#include <microhttpd.h>

#include "buf.h"

struct pool;

/* Starts threads threads (at least 1) with room for queue waiting jobs (at least 1). NULL on failure. */
struct pool *pool_start(unsigned threads, unsigned queue);
/* Suspends c and queues run(arg); a pool thread resumes c once run has returned. 0, or -1 when the queue is
 * full or the pool stopping (c left as it was, the refusal counted). */
int pool_put(struct pool *p, struct MHD_Connection *c, void (*run)(void *arg), void *arg);
/* Runs what is queued (so that no connection stays suspended, which libmicrohttpd cannot stop with), stops
 * the threads and frees the pool (NULL is fine). */
void pool_stop(struct pool *p);
/* Appends the Prometheus counter of the requests refused for a full queue. */
void pool_metrics(struct pool *p, struct buf *b);

#endif
