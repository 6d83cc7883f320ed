/* relay.h - a regional server's link to headquarters while it serves (docs/relay-design.md): a thread that
 * forwards the store and forward queue (change sets byte for byte, and the vouches for the region's devices),
 * oldest first, and pulls down what headquarters holds of the region. It has its own store handle; all it
 * keeps lives in the database, so stopping it, or killing the process, loses nothing.
 *
 * When headquarters cannot be reached (or answers 5xx) it waits 1 s, 2 s, 4 s ... up to 5 minutes (or the
 * options' retry_max_s) before trying again, and starts over at 1 s after a success. Refusals (4xx) stay in the queue with their error for
 * `sondeod status`, and are tried again on the same schedule without holding up what follows them. */
#ifndef SONDEO_RELAY_H
#define SONDEO_RELAY_H

#include <stddef.h>

#define RELAY_BACKOFF_MAX_MS (5 * 60 * 1000)

struct relay;

struct relay_options {
	const char *data_dir;
	const char *url;        /* headquarters' address for this run, or NULL for the one enrolled with */
	unsigned pull_s;        /* seconds between pulls while the link is up */
	unsigned retry_max_s;   /* the longest wait between tries; 0: RELAY_BACKOFF_MAX_MS */
	int verbose;            /* every request on stderr */
};

/* Starts the thread; NULL with err when this server is not enrolled at headquarters or the store cannot be
 * opened. */
struct relay *relay_start(const struct relay_options *o, char *err, size_t errlen);
/* Stops the thread after the exchange in progress and frees r. */
void relay_stop(struct relay *r);

#endif
