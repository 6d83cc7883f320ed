/* cmd-web.c - sondeo web: the field page, served by sondeo itself on this computer and opened in its browser.
 *
 * The server listens on 127.0.0.1 only and answers only to the address it printed: its key is exchanged once for a
 * session cookie (web-page.c), and every request but the page's files passes web_guard (web.h says why). It runs
 * until Ctrl-C (or SIGTERM), then finishes the requests in hand and closes the store: every answer was committed
 * when it was given. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "embed.h"
#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

extern char **environ;
/* gen/field_assets.c: web/field/index.html and the files it names. */
extern const struct embedded_file field_files[];

static const struct http_route api[] = {
	{ "GET", "/", web_page, 0, NULL, 0 },
	{ "GET", "/i18n", web_i18n, 0, NULL, 0 },
	{ "GET", "/api/home", web_home, 0, web_guard, 0 },
	{ "GET", "/api/records", web_records, 0, web_guard, 0 },
	{ "GET", "/api/record", web_record, 0, web_guard, 0 },
	{ "POST", "/api/answer", web_answer, WEB_MAX_BODY, web_guard, 0 },
	{ "POST", "/api/media", web_media_put, STORE_MEDIA_MAX, web_guard, 0 },
	{ "GET", "/api/media", web_media_get, 0, web_guard, 0 },
	{ "POST", "/api/at", web_at, 4096, web_guard, 0 },
	{ "POST", "/api/finalize", web_finalize, 4096, web_guard, 0 },
	{ "POST", "/api/delete", web_delete, 4096, web_guard_lead, 0 },
	{ "POST", "/api/undelete", web_undelete, 4096, web_guard_lead, 0 },
	{ "GET", "/api/history", web_history, 0, web_guard_lead, 0 },
	{ "POST", "/api/sync", web_sync, 4096, web_guard_lead, 0 },
	{ "GET", "/api/sync", web_sync_state, 0, web_guard_lead, 0 },
	{ "POST", "/api/join", web_join, 4096, NULL, 0 },
	{ "GET", "/api/phones", web_phones, 0, web_guard_lead, 0 },
	{ "POST", "/api/phones/end", web_phone_end, 4096, web_guard_lead, 0 },
};


/* 1 if listen names a loopback address: nothing else is served. */
static int loopback(const char *listen)
{
	return !strncmp(listen, "127.", 4) || !strncmp(listen, "[::1]:", 6);
}

/* Opens url in the desktop's browser (xdg-open), without waiting for it. 0, or -1 when there is none. */
static int open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "xdg-open", (char *)url, NULL };
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	/* Its words (and a browser's) would mix with ours on the terminal. */
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return r == 0 ? 0 : -1;
}

int cmd_web(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "no-open", no_argument, NULL, 'n' },
		{ "share", no_argument, NULL, 's' }, { 0, 0, 0, 0 }
	};
	struct http_limits lim = {
		.threads = 1,                /* one thread: the store is used by one thread at a time (web.h) */
		.timeout_s = 60, .connections = 64, .per_ip = 64, .conn_memory = 256 * 1024,
		.body_budget = (size_t)STORE_MEDIA_MAX + 4 * WEB_MAX_BODY,   /* one file and some answers at once */
		.header_s = 10, .body_rate = 16384,
		.hash_threads = 1, .hash_queue = 1, .name = "sondeo", .quiet = 1,
	};
	const char *listen = NULL;
	unsigned char secret[WEB_SECRET_LEN];
	struct http_route *routes;
	struct http_server *h;
	struct web *w;
	sigset_t stop;
	char err[512], url[256], *paths;
	const char *addr;
	json_t *lan;
	size_t nroutes, i;
	int c, no_open = 0, share = 0, sig;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (c == 'l')
			listen = optarg;
		else if (c == 'n')
			no_open = 1;
		else if (c == 's')
			share = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	/* Without --share, nothing but this computer is served. */
	if (!listen)
		listen = share ? ":0" : "127.0.0.1:0";
	if ((!share && !loopback(listen)) || strlen(listen) > 64)
		return cli_usage_error(cli, _("--listen takes an address of this computer only (127.0.0.1:PORT or "
					      "[::1]:PORT), not '%.64s'; --share serves the local network"), listen);
	w = xcalloc(1, sizeof(*w));
	w->cli = cli;
	w->sync.fd = -1;
	w->sync.status = -1;
	buf_init(&w->sync.out, 16384);
	/* The sync the page asks for is this program's own `sync` (web-sync.c). */
	if (readlink("/proc/self/exe", w->exe, sizeof(w->exe) - 1) < 0)
		strlcpy_s(w->exe, "sondeo", sizeof(w->exe));   /* then found on the PATH */
	if (!(w->s = cli_open_store(cli))) {
		free(w);
		return EXIT_FAIL;
	}
	randombytes_buf(secret, sizeof(secret));
	hex_encode(w->key, secret, sizeof(secret));
	if ((w->share = share)) {
		/* Eight digits, read out across a room: a wrong guess is one in a hundred million, and web-join.c allows
		 * few. */
		uint32_t n = randombytes_uniform(100000000);

		snprintf(w->code, sizeof(w->code), "%04u-%04u", (unsigned)(n / 10000), (unsigned)(n % 10000));
	}
	sodium_memzero(secret, sizeof(secret));
	/* The endpoints, then each of the page's files under its own path. */
	if (!(routes = http_routes_files(api, sizeof(api) / sizeof(api[0]), field_files, web_page, &nroutes, &paths))) {
		store_close(w->s);
		free(w);
		return cli_error(_("out of memory"));
	}

	/* Ctrl-C and SIGTERM are waited for here; the server's threads, made now, inherit the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	/* A browser that goes away mid-answer is no reason to stop. */
	signal(SIGPIPE, SIG_IGN);
	if (!(h = http_start(listen, routes, nroutes, &lim, w, NULL, NULL, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	addr = http_address(h);
	strlcpy_s(w->port, strrchr(addr, ':') + 1, sizeof(w->port));
	snprintf(w->cookie, sizeof(w->cookie), "sondeo-%s", w->port);
	/* Listening on every address, the laptop's own page is still at 127.0.0.1. */
	if (share && !loopback(addr))
		snprintf(url, sizeof(url), "http://127.0.0.1:%s/?key=%s", w->port, w->key);
	else
		snprintf(url, sizeof(url), "http://%s/?key=%s", addr, w->key);

	printf(_("Sondeo is open at %s\n"), url);
	/* TRANSLATORS: under the address of sondeo web's page. */
	puts(_("Open it in a browser on this computer. Each answer is saved as it is given. Ctrl-C stops."));
	if (share) {
		lan = web_lan_urls(w);
		for (i = 0; i < json_array_size(lan); i++)
			/* TRANSLATORS: the address phones open on the local network, and the code they type to join. */
			printf(_("Phones on this network join at %s with the code %s\n"),
			       json_string_value(json_array_get(lan, i)), w->code);
		if (!json_array_size(lan))
			printf(_("This computer is on no local network yet: once it is, phones join at its address, port %s, "
				 "with the code %s\n"), w->port, w->code);
		json_decref(lan);
	}
	fflush(stdout);
	if (!no_open && open_browser(url) < 0)
		fprintf(stderr, "%s\n", _("sondeo: no browser could be opened here (xdg-open): open the address above"));
	while (sigwait(&stop, &sig) != 0)
		;
	http_stop(h);
	puts(_("Stopped. Every answer given was saved."));
out:
	web_trash_clear(w);
	web_sync_stop(w);
	sodium_memzero(w->key, sizeof(w->key));
	sodium_memzero(w->code, sizeof(w->code));
	for (i = 0; i < WEB_MAX_SESSIONS; i++)
		web_session_end(&w->sessions[i]);
	store_close(w->s);
	free(w);
	free(routes);
	free(paths);
	return h ? EXIT_OK : EXIT_FAIL;
}
