/* checkpointer.c - sondeod's checkpoints on a thread of their own (checkpointer.h). */
#include "checkpointer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int due;                /* a WAL has filled since the last checkpoint began */
	int stop;
	char path[4096];        /* the database whose WAL filled */
	struct db *db;            /* this thread's own connection, to the database at open_path */
	char open_path[4096];
};

/* db_on_checkpoint's fn, on the thread of the commit that filled the WAL: only says there is work. */
static void nudge(void *ctx, const char *path)
{
	struct checkpointer *c = ctx;

	pthread_mutex_lock(&c->lock);
	if (!c->due && path && strlen(path) < sizeof(c->path)) {
		strlcpy_s(c->path, path, sizeof(c->path));
		c->due = 1;
		pthread_cond_signal(&c->wake);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Checkpoints the database at path on the thread's connection, opened the first time it is needed: a
 * connection held from the start would keep another program from locking the store before sondeod's first
 * request, as the workers' do not. */
static void checkpoint(struct checkpointer *c, const char *path)
{
	char err[256];

	if (!c->db || strcmp(c->open_path, path)) {
		db_close(c->db);
		c->open_path[0] = '\0';
		/* A store that cannot be opened now is tried again when its WAL next fills. */
		if (!(c->db = db_open(path, 0, err, sizeof(err))))
			return;
		strlcpy_s(c->open_path, path, sizeof(c->open_path));
	}
	/* What a reader still needs stays in the WAL for the next one; a failure (a full disk) leaves the WAL as it
	 * was, and the next commit that fills it asks again. */
	db_checkpoint(c->db);
}

static void *run(void *arg)
{
	struct checkpointer *c = arg;
	char path[sizeof(c->path)];

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->due && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stop)
			break;
		c->due = 0;
		strlcpy_s(path, c->path, sizeof(path));
		pthread_mutex_unlock(&c->lock);
		checkpoint(c, path);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct checkpointer *checkpointer_start(char *err, size_t errlen)
{
	struct checkpointer *c = calloc(1, sizeof(*c));

	if (!c) {
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		errf(err, errlen, _("cannot start the checkpointer thread"));
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	db_on_checkpoint(nudge, c);
	return c;
}

void checkpointer_stop(struct checkpointer *c)
{
	if (!c)
		return;
	db_on_checkpoint(NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	db_close(c->db);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
