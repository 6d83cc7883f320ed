/* web-sync.c - POST /api/sync starts a sync and GET /api/sync says how it goes: the page's Sync button.
 *
 * The sync is `sondeo sync` itself, run as a child process on the same store: the same code, exchanges and
 * messages as at the terminal, its own connection to the store and its own thread of control, so that the page
 * keeps answering while it runs and a sync cut off half-way is no different from the terminal's. Its progress is
 * read from the store (the changes still waiting fall as the server takes them), its outcome from its exit status
 * and its words, in the page's language.
 *
 *   POST /api/sync {}   202 {"running": true}; 409 when one is running already; 409 before enrolment
 *   GET /api/sync       {"running", "to_send" (waiting when it started), "waiting" (now), "status" (exit status:
 *                        0 synced, 3 no server reachable, 1 stopped; null while running or before any),
 *                        "output": its last words, "started", "ended" (ms)} */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

extern char **environ;

#define SYNC_OUTPUT_MAX 8192   /* bytes of the child's words kept: a sync says a line or two */

static uint64_t waiting(struct store *s)
{
	uint64_t n = 0;

	return store_ops_unsent(s, &n, NULL, 0) < 0 ? 0 : n;
}

/* Reads what the child said so far, keeping the last SYNC_OUTPUT_MAX bytes, and notes its end. */
static void sync_poll(struct web_sync *y)
{
	char chunk[1024];
	ssize_t r;
	int st;

	while (y->fd >= 0 && (r = read(y->fd, chunk, sizeof(chunk))) > 0) {
		if (y->out.len + (size_t)r > SYNC_OUTPUT_MAX) {
			size_t drop = y->out.len + (size_t)r - SYNC_OUTPUT_MAX;

			drop = drop > y->out.len ? y->out.len : drop;
			memmove(y->out.data, y->out.data + drop, y->out.len - drop);
			y->out.len -= drop;
		}
		buf_add(&y->out, chunk, (size_t)r);
	}
	if (y->pid > 0 && waitpid(y->pid, &st, WNOHANG) == y->pid) {
		y->status = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		y->pid = 0;
		y->ended = now_ms();
	}
	if (!y->pid && y->fd >= 0) {
		/* The child is gone: what is left in the pipe is its last words. */
		while ((r = read(y->fd, chunk, sizeof(chunk))) > 0 && y->out.len + (size_t)r <= SYNC_OUTPUT_MAX)
			buf_add(&y->out, chunk, (size_t)r);
		close(y->fd);
		y->fd = -1;
	}
}

void web_sync_stop(struct web *w)
{
	struct web_sync *y = &w->sync;

	/* A sync in progress finishes on its own: it was asked for, and stopping it half-way gains nothing. */
	if (y->fd >= 0)
		close(y->fd);
	y->fd = -1;
	buf_release(&y->out);
}

static json_t *state(struct web *w)
{
	struct web_sync *y = &w->sync;

	sync_poll(y);
	return json_pack("{s:b, s:I, s:I, s:o, s:s#, s:I, s:I}", "running", y->pid > 0, "to_send", (json_int_t)y->to_send,
			 "waiting", (json_int_t)waiting(w->s), "status", y->status >= 0 ? json_integer(y->status) : json_null(),
			 "output", y->out.len ? y->out.data : "", y->out.len, "started", (json_int_t)y->started, "ended",
			 (json_int_t)y->ended);
}

void web_sync_state(struct http_request *rq, struct http_response *rs)
{
	web_reply(rs, 200, state(rq->app));
}

void web_sync(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	struct web_sync *y = &w->sync;
	const char *lang = i18n_lang();
	char *argv[] = { w->exe, "--store", (char *)store_dir(w->s), "--lang", (char *)lang, "sync", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char url[512];
	int p[2], r;

	sync_poll(y);
	if (y->pid > 0) {
		http_reply_error(rs, 409, "syncing", _("a sync is running already"));
		return;
	}
	if (store_meta_get(w->s, "server_url", url, sizeof(url)) < 0) {
		http_reply_error(rs, 409, "not_enrolled", _("this laptop is not enrolled with a server yet: ask your "
							    "coordinator for an enrolment code, then run sondeo enrol"));
		return;
	}
	if (pipe(p) < 0) {
		http_reply_error(rs, 503, "busy", _("cannot start a sync: %s"), strerror(errno));
		return;
	}
	/* Neither end stays open in a child started later (xdg-open, the next sync). */
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	/* As if typed at the terminal: no signal blocked (this thread blocks Ctrl-C for the main one), default actions. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	y->to_send = waiting(w->s);
	r = posix_spawnp(&y->pid, w->exe, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		y->pid = 0;
		http_reply_error(rs, 503, "busy", _("cannot start a sync: %s"), strerror(r));
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	if (y->fd >= 0)
		close(y->fd);
	y->fd = p[0];
	buf_reset(&y->out);
	y->status = -1;
	y->started = now_ms();
	y->ended = 0;
	/* What is sent can no longer be undone here. */
	web_trash_clear(w);
	web_reply(rs, 202, state(w));
}
