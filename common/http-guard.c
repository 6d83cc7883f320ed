/* http-guard.c - deadlines for headers and bodies, and room for new connections (http-guard.h). */
#include "http-guard.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "mhdlib.h"
#include "banned.h"

/* One open connection, as the guard sees it: fields under the guard's lock. */
struct conn {
	struct conn *prev, *next;
	int fd;
	enum guard_phase phase;
	uint64_t since;              /* monotonic ms when this phase began */
	uint64_t body;               /* the body's declared length, or the bytes received when larger */
	int dropped;                 /* shut down by the guard; libmicrohttpd has yet to close it */
};

enum drop_reason { DROP_HEADERS, DROP_BODY, DROP_ROOM, DROP_REASONS };

struct guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stopping;
	struct conn *head;           /* every open connection */
	unsigned open;
	unsigned evict_at;           /* from this many connections on, a new one evicts the oldest still in headers */
	uint64_t header_ms, grace_ms;
	unsigned body_rate;
	uint64_t dropped[DROP_REASONS];
	uint64_t accepted;           /* connections accepted, ever */
};

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* With the lock held. shutdown(2), not close: libmicrohttpd still owns the descriptor, sees the connection end
 * and closes it itself, after telling on_connection, which waits for the lock: so fd cannot have been reused. */
static void guard_drop(struct guard *g, struct conn *k, enum drop_reason why)
{
	shutdown(k->fd, SHUT_RDWR);
	k->dropped = 1;
	g->dropped[why]++;
}

static int guard_late(const struct guard *g, const struct conn *k, uint64_t now)
{
	if (k->dropped)
		return 0;
	if (k->phase == GUARD_HEADERS)
		return now - k->since > g->header_ms;
	if (k->phase == GUARD_BODY)
		return now - k->since > g->grace_ms + k->body * 1000 / g->body_rate;
	return 0;
}

static void *guard_run(void *arg)
{
	struct guard *g = arg;
	struct timespec until;
	struct conn *k;
	uint64_t now;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		now = mono_ms();
		for (k = g->head; k; k = k->next)
			if (guard_late(g, k, now))
				guard_drop(g, k, k->phase == GUARD_HEADERS ? DROP_HEADERS : DROP_BODY);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 500 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* With the lock held: drops the connection that has waited longest for its headers, if any. */
static void guard_evict(struct guard *g)
{
	struct conn *k, *oldest = NULL;

	for (k = g->head; k; k = k->next)
		if (k->phase == GUARD_HEADERS && !k->dropped && (!oldest || k->since < oldest->since))
			oldest = k;
	if (oldest)
		guard_drop(g, oldest, DROP_ROOM);
}

void guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			 enum MHD_ConnectionNotificationCode code)
{
	struct guard *g = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!k)
			return;
		pthread_mutex_lock(&g->lock);
		if (k->prev)
			k->prev->next = k->next;
		else
			g->head = k->next;
		if (k->next)
			k->next->prev = k->prev;
		g->open--;
		pthread_mutex_unlock(&g->lock);
		free(k);
		*socket_context = NULL;
		return;
	}
	ci = mhd.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	/* Without memory the connection goes unguarded: the idle timeout still holds it. */
	if (!ci || !(k = calloc(1, sizeof(*k))))
		return;
	k->fd = ci->connect_fd;
	k->phase = GUARD_HEADERS;
	k->since = mono_ms();
	pthread_mutex_lock(&g->lock);
	g->accepted++;
	if (g->open >= g->evict_at)
		guard_evict(g);
	k->next = g->head;
	if (g->head)
		g->head->prev = k;
	g->head = k;
	g->open++;
	pthread_mutex_unlock(&g->lock);
	*socket_context = k;
}

void guard_phase(struct guard *g, struct MHD_Connection *c, enum guard_phase p, uint64_t body)
{
	const union MHD_ConnectionInfo *ci = mhd.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;

	if (!k)
		return;
	pthread_mutex_lock(&g->lock);
	k->phase = p;
	k->since = mono_ms();
	k->body = body;
	pthread_mutex_unlock(&g->lock);
}

void guard_received(struct guard *g, struct MHD_Connection *c, uint64_t received)
{
	const union MHD_ConnectionInfo *ci = mhd.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;

	if (!k)
		return;
	pthread_mutex_lock(&g->lock);
	if (received > k->body)
		k->body = received;
	pthread_mutex_unlock(&g->lock);
}

struct guard *guard_start(const struct http_limits *lim)
{
	pthread_condattr_t ca;
	unsigned room = lim->connections / 8 > 1 ? lim->connections / 8 : 1;
	struct guard *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->header_ms = (uint64_t)lim->header_s * 1000;
	g->grace_ms = (uint64_t)lim->timeout_s * 1000;
	g->body_rate = lim->body_rate ? lim->body_rate : 1;
	/* libmicrohttpd refuses connections past its limit before telling us of them: room is made earlier. */
	g->evict_at = lim->connections > room ? lim->connections - room : 1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&g->lock, NULL);
	if (pthread_create(&g->thread, NULL, guard_run, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void guard_stop(struct guard *g)
{
	struct conn *k, *next;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	/* libmicrohttpd has told of every close by now; anything left was never closed through it. */
	for (k = g->head; k; k = next) {
		next = k->next;
		free(k);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void guard_metrics(struct guard *g, struct buf *b)
{
	pthread_mutex_lock(&g->lock);
	buf_printf(b, "# HELP sondeod_http_dropped_total Connections dropped before their request was in: headers or"
		   " body past its deadline, or the oldest still sending headers when room was needed.\n"
		   "# TYPE sondeod_http_dropped_total counter\n"
		   "sondeod_http_dropped_total{reason=\"headers\"} %llu\nsondeod_http_dropped_total{reason=\"body\"} %llu\n"
		   "sondeod_http_dropped_total{reason=\"room\"} %llu\n",
		   (unsigned long long)g->dropped[DROP_HEADERS], (unsigned long long)g->dropped[DROP_BODY],
		   (unsigned long long)g->dropped[DROP_ROOM]);
	/* Devices keep one connection for a whole sync: requests over connections shows that they do. */
	buf_printf(b, "# HELP sondeod_http_connections_total Connections accepted.\n"
		   "# TYPE sondeod_http_connections_total counter\nsondeod_http_connections_total %llu\n"
		   "# HELP sondeod_http_connections_open Connections open now.\n"
		   "# TYPE sondeod_http_connections_open gauge\nsondeod_http_connections_open %u\n",
		   (unsigned long long)g->accepted, g->open);
	pthread_mutex_unlock(&g->lock);
}
