/* http-pool.c - the password-hashing pool (http-pool.h). */
#include "http-pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "mhdlib.h"
#include "banned.h"

struct job {
	struct MHD_Connection *c;
	void (*run)(void *arg);
	void *arg;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t more;
	pthread_t *threads;
	unsigned nthreads, started;
	struct job *queue;           /* a ring of cap entries */
	unsigned cap, first, len;
	int stopping;
	uint64_t refused;
};

static void *pool_run(void *arg)
{
	struct pool *p = arg;
	struct job j;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->len && !p->stopping)
			pthread_cond_wait(&p->more, &p->lock);
		if (!p->len) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		j = p->queue[p->first];
		p->first = (p->first + 1) % p->cap;
		p->len--;
		pthread_mutex_unlock(&p->lock);
		j.run(j.arg);
		mhd.resume_connection(j.c);
	}
}

/* Suspending under the lock means no pool thread can resume c before it is suspended. */
int pool_put(struct pool *p, struct MHD_Connection *c, void (*run)(void *arg), void *arg)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping || p->len == p->cap) {
		p->refused++;
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	mhd.suspend_connection(c);
	p->queue[(p->first + p->len) % p->cap] = (struct job){ c, run, arg };
	p->len++;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct pool *pool_start(unsigned threads, unsigned queue)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	p->nthreads = threads ? threads : 1;
	p->cap = queue ? queue : 1;
	p->threads = calloc(p->nthreads, sizeof(*p->threads));
	p->queue = calloc(p->cap, sizeof(*p->queue));
	if (!p->threads || !p->queue) {
		pool_stop(p);
		return NULL;
	}
	for (p->started = 0; p->started < p->nthreads; p->started++) {
		if (pthread_create(&p->threads[p->started], NULL, pool_run, p) != 0) {
			pool_stop(p);
			return NULL;
		}
	}
	return p;
}

void pool_stop(struct pool *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	free(p->queue);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pool_metrics(struct pool *p, struct buf *b)
{
	pthread_mutex_lock(&p->lock);
	buf_printf(b, "# HELP sondeod_http_hash_busy_total Requests answered 503 because the password-hashing queue"
		   " was full.\n# TYPE sondeod_http_hash_busy_total counter\nsondeod_http_hash_busy_total %llu\n",
		   (unsigned long long)p->refused);
	pthread_mutex_unlock(&p->lock);
}
