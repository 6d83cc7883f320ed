/* cmd-serve.c - sondeod serve: answer devices over HTTP (or HTTPS) until SIGINT or SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "checkpointer.h"
#include "cli.h"
#include "db.h"
#include "i18n.h"
#include "sstore-media.h"
#include "sstore-relay.h"
#include "relay.h"
#include "srv.h"
#include "util.h"
#include "banned.h"

/* The endpoints; each lives in its own api-*.c. Bodies are capped per endpoint; a signed endpoint's headers are
 * checked before its body is read (srv_check_signed); a 1 at the end marks the endpoints that hash a password
 * (Argon2id), which run on a pool of their own. */
static const struct http_route routes[] = {
	{ "GET", "/healthz", api_health, 0, NULL, 0 },
	{ "GET", "/metrics", api_metrics, 0, NULL, 0 },
	{ "GET", "/i18n", api_i18n, 0, NULL, 0 },
	{ "POST", "/v1/enrol", api_enrol, 4096, NULL, 0 },
	{ "GET", "/v1/forms", api_forms, 0, srv_check_signed, 0 },
	{ "POST", "/v1/changesets", api_changesets, CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES, api_changesets_check,
	  0 },
	{ "GET", "/v1/pull", api_pull, 0, srv_check_signed, 0 },
	{ "POST", "/v1/vouch", api_vouch, 4096, srv_check_signed, 0 },
	{ "GET", "/v1/relay/pull", api_relay_pull, 0, srv_check_signed, 0 },
	/* Attachments' bytes, in chunks, after the change sets that name them (api-media.c). */
	{ "GET", "/v1/media/offset", api_media_offset, 0, srv_check_signed, 0 },
	{ "PUT", "/v1/media", api_media_put, SSTORE_MEDIA_CHUNK, api_media_check, 0 },
	{ "GET", "/v1/media", api_media_get, 0, srv_check_signed, 0 },
	/* Accounts and sessions of the review page (docs/review-api.md). */
	{ "POST", "/v1/login", api_login, 4096, NULL, 1 },
	{ "GET", "/v1/session", api_session, 0, NULL, 0 },
	{ "POST", "/v1/logout", api_logout, 4096, NULL, 0 },
	{ "POST", "/v1/password", api_password, 4096, NULL, 1 },
	{ "GET", "/v1/users", api_users, 0, NULL, 0 },
	{ "POST", "/v1/users", api_users_add, 4096, NULL, 1 },
	{ "POST", "/v1/users/disable", api_users_disable, 4096, NULL, 0 },
	{ "POST", "/v1/users/enable", api_users_enable, 4096, NULL, 0 },
	{ "GET", "/v1/audit", api_audit, 0, NULL, 0 },
	/* Reviewing the merged data (docs/review-api.md). */
	{ "GET", "/v1/catalog", api_catalog, 0, NULL, 0 },
	{ "GET", "/v1/dashboard", api_dashboard, 0, NULL, 0 },
	{ "GET", "/v1/records", api_records, 0, NULL, 0 },
	{ "GET", "/v1/record", api_record, 0, NULL, 0 },
	{ "GET", "/v1/attachment", api_attachment, 0, NULL, 0 },
	{ "POST", "/v1/review", api_review, 16384, NULL, 0 },
	{ "POST", "/v1/resolve", api_resolve, 131072, NULL, 0 },
	{ "POST", "/v1/bulk-review", api_bulk_review, 16384, NULL, 0 },
	{ "GET", "/v1/duplicates", api_duplicates, 0, NULL, 0 },
	{ "POST", "/v1/duplicates", api_duplicates_decide, 65536, NULL, 0 },
	{ "GET", "/v1/devices", api_devices, 0, NULL, 0 },
	{ "POST", "/v1/devices/revoke", api_devices_revoke, 4096, NULL, 0 },
	{ "POST", "/v1/codes", api_codes, 4096, NULL, 0 },
	{ "GET", "/v1/export", api_export, 0, NULL, 0 },
	{ "GET", "/", api_static, 0, NULL, 0 },          /* the review page's index.html; its files follow (serve) */
};


/* The log says when the store stops being able to write (a full disk) and when it can again: the devices are
 * told 503 "the disk is full", and the operator reads why here, and on /healthz and /metrics. Called from the
 * thread that wrote, a request's among them: http_log speaks the server's language. */
static void log_writable(int writable, const char *path, const char *why)
{
	if (writable)
		http_log(N_("the store %s can write again"), path);
	else
		http_log(N_("the store %s cannot write: %s"), path, why);
}

/* The certificate (key 0) or its key (1) from path into b. 0, or -1 after saying why not. */
static int read_pem(const char *path, struct buf *b, int key)
{
	if (buf_read_file(b, path) == 0)
		return 0;
	if (key)
		cli_error(_("cannot read the TLS key '%s': %s"), path, strerror(errno));
	else
		cli_error(_("cannot read the TLS certificate '%s': %s"), path, strerror(errno));
	return -1;
}

/* --body-budget, in MiB: every endpoint's largest body must fit in it alone. */
#define BODY_BUDGET_MIN 5
#define BODY_BUDGET_MAX 65536

/* What the command line asks of this run. */
struct serve_args {
	struct http_limits lim;
	const char *listen, *cert, *key, *upstream;
	struct relay_options ro;
	uint64_t media_file_max, media_day_max;   /* bytes */
};

/* The limits at the HTTP edge (http.h): 0, or -1 after saying which option wants what. */
static int edge_arg(struct cli *cli, int c, const char *v, struct http_limits *lim)
{
	static const struct {
		int c;
		long min, max;
	} range[] = {
		{ 'H', 1, 3600 }, { 'B', 1, 1 << 30 }, { 'C', 8, 100000 }, { 'I', 1, 100000 }, { 'h', 1, 64 },
		{ 'q', 1, 100000 },
	};
	char *end;
	long n = strtol(v, &end, 10), lo, hi;
	size_t i;

	for (i = 0; range[i].c != c; i++)
		;
	lo = range[i].min;
	hi = range[i].max;
	if (!*v || *end || n < lo || n > hi) {
		if (c == 'H')
			cli_usage_error(cli, _("--header-timeout takes a number of seconds from %ld to %ld"), lo, hi);
		else if (c == 'B')
			cli_usage_error(cli, _("--body-rate takes a number of bytes per second from %ld to %ld"), lo, hi);
		else if (c == 'C')
			cli_usage_error(cli, _("--connections takes a number of connections from %ld to %ld"), lo, hi);
		else if (c == 'I')
			cli_usage_error(cli, _("--per-ip takes a number of connections from %ld to %ld"), lo, hi);
		else if (c == 'h')
			cli_usage_error(cli, _("--hash-threads takes a number of threads from %ld to %ld"), lo, hi);
		else
			cli_usage_error(cli, _("--hash-queue takes a number of requests from %ld to %ld"), lo, hi);
		return -1;
	}
	*(c == 'H' ? &lim->header_s : c == 'B' ? &lim->body_rate : c == 'C' ? &lim->connections :
	  c == 'I' ? &lim->per_ip : c == 'h' ? &lim->hash_threads : &lim->hash_queue) = (unsigned)n;
	return 0;
}

/* Reads the options into a; 0, or an exit status after a usage error or --help. */
static int serve_args(struct cli *cli, int argc, char **argv, struct serve_args *a)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' }, { "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' }, { "upstream", required_argument, NULL, 'u' },
		{ "pull-every", required_argument, NULL, 'p' }, { "retry-max", required_argument, NULL, 'r' },
		{ "body-budget", required_argument, NULL, 'b' }, { "verbose", no_argument, NULL, 'v' },
		{ "header-timeout", required_argument, NULL, 'H' }, { "body-rate", required_argument, NULL, 'B' },
		{ "connections", required_argument, NULL, 'C' }, { "per-ip", required_argument, NULL, 'I' },
		{ "hash-threads", required_argument, NULL, 'h' }, { "hash-queue", required_argument, NULL, 'q' },
		{ "max-media-file", required_argument, NULL, 'M' }, { "max-media-day", required_argument, NULL, 'Y' },
		{ 0, 0, 0, 0 }
	};
	int c;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'l')
			a->listen = optarg;
		else if (c == 'c')
			a->cert = optarg;
		else if (c == 'k')
			a->key = optarg;
		else if (c == 't' && atoi(optarg) >= 1 && atoi(optarg) <= 64)
			a->lim.threads = (unsigned)atoi(optarg);
		else if (c == 't')
			return cli_usage_error(cli, _("--threads takes a number from 1 to 64"));
		else if (c == 'T' && atoi(optarg) >= 1 && atoi(optarg) <= 3600)
			a->lim.timeout_s = (unsigned)atoi(optarg);
		else if (c == 'T')
			return cli_usage_error(cli, _("--timeout takes a number of seconds from 1 to 3600"));
		else if (c == 'u' && (!strncmp(optarg, "http://", 7) || !strncmp(optarg, "https://", 8)) &&
			 strlen(optarg) < sizeof(((struct sstore_upstream *)0)->url))
			a->upstream = optarg;
		else if (c == 'u')
			return cli_usage_error(cli, _("--upstream takes headquarters' http:// or https:// URL"));
		else if (c == 'p' && atoi(optarg) >= 1 && atoi(optarg) <= 86400)
			a->ro.pull_s = (unsigned)atoi(optarg);
		else if (c == 'p')
			return cli_usage_error(cli, _("--pull-every takes a number of seconds from 1 to 86400"));
		else if (c == 'r' && atoi(optarg) >= 1 && atoi(optarg) <= 86400)
			a->ro.retry_max_s = (unsigned)atoi(optarg);
		else if (c == 'r')
			return cli_usage_error(cli, _("--retry-max takes a number of seconds from 1 to 86400"));
		else if (c == 'b' && atoi(optarg) >= BODY_BUDGET_MIN && atoi(optarg) <= BODY_BUDGET_MAX)
			a->lim.body_budget = (size_t)atoi(optarg) << 20;
		else if (c == 'b')
			return cli_usage_error(cli, _("--body-budget takes a number of MiB from %d (the largest change set "
						 "fits) to %d"), BODY_BUDGET_MIN, BODY_BUDGET_MAX);
		else if (c == 'v')
			a->ro.verbose = 1;
		else if ((c == 'M' || c == 'Y') && atoi(optarg) >= 1 && atoi(optarg) <= 1000000)
			*(c == 'M' ? &a->media_file_max : &a->media_day_max) = (uint64_t)atoi(optarg) * 1000000;
		else if (c == 'M')
			return cli_usage_error(cli, _("--max-media-file takes a number of MB from 1 to 1000000"));
		else if (c == 'Y')
			return cli_usage_error(cli, _("--max-media-day takes a number of MB from 1 to 1000000"));
		else if (c == 'H' || c == 'B' || c == 'C' || c == 'I' || c == 'h' || c == 'q') {
			if (edge_arg(cli, c, optarg, &a->lim) != 0)
				return EXIT_USAGE;
		} else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!a->cert != !a->key)
		return cli_usage_error(cli, _("--tls-cert and --tls-key go together"));
	return 0;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	struct serve_args a = { { .name = "sondeod", .threads = 4, .timeout_s = 30, .connections = 1000,
				  .per_ip = 256, .conn_memory = 128 * 1024, .body_budget = (size_t)64 << 20,
				  .header_s = 20, .body_rate = 1024, .hash_threads = 1, .hash_queue = 32 },
				"127.0.0.1:8420", NULL, NULL, NULL, { NULL, NULL, 10, 0, 0 }, SSTORE_MEDIA_FILE_MAX,
				SSTORE_MEDIA_DAY_MAX };
	struct sstore_upstream up;
	struct relay *relay = NULL;
	struct checkpointer *ckpt = NULL;
	int enrolled;
	struct buf certb = BUF_INIT(1 << 20), keyb = BUF_INIT(1 << 20);
	struct http_route *table = NULL;
	char *paths = NULL;
	size_t nroutes = 0;
	struct srv srv = { NULL, NULL, 0, 0, 0, { 0, { 0 }, { 0 } } };
	struct sstore *probe;
	char err[512], fp[KEYS_ID_STRLEN + 1];
	sigset_t stop;
	int sig, r = EXIT_FAIL;

	if ((r = serve_args(cli, argc, argv, &a)) != 0)
		return r;
	r = EXIT_FAIL;
	/* Open the store once before listening, so a wrong --data, or a statement its engine refuses, is said now and
	 * not on the first request. */
	if (!(probe = cli_open(cli)))
		return EXIT_FAIL;
	if (sstore_check(probe, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		sstore_close(probe);
		return EXIT_FAIL;
	}
	keys_id(keys_public(sstore_keys(probe)), fp);
	enrolled = sstore_upstream_get(probe, &up);
	sstore_close(probe);
	/* A regional server relays whenever it is enrolled at headquarters; --upstream gives headquarters'
	 * address for this run (it may have changed since enrolment; the key pinned then still decides). */
	if (a.upstream && !enrolled) {
		cli_error(_("--upstream: this server is not enrolled at headquarters; run sondeod enrol --data %s URL CODE"
			    " first"), cli->data_dir);
		return EXIT_FAIL;
	}
	if (a.cert && (read_pem(a.cert, &certb, 0) < 0 || read_pem(a.key, &keyb, 1) < 0))
		goto out;

	/* The workers must not take the stop signals: the main thread waits for them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	srv.data_dir = cli->data_dir;
	srv.tls = a.cert != NULL;
	srv.media_file_max = a.media_file_max;
	srv.media_day_max = a.media_day_max;
	db_on_writable(log_writable);
	/* The endpoints, "/" (the page's index.html) and then each of its files under its own path. */
	if (!(table = http_routes_files(routes, sizeof(routes) / sizeof(routes[0]), web_files, api_static, &nroutes,
					&paths))) {
		cli_error(_("out of memory"));
		goto out;
	}
	/* Before the first request: from now on no request checkpoints. */
	if (!(ckpt = checkpointer_start(err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	srv.http = http_start(a.listen, table, nroutes, &a.lim, &srv,
			      a.cert ? certb.data : NULL, a.key ? keyb.data : NULL, err, sizeof(err));
	/* The TLS key is in libmicrohttpd's hands now: no copy of it stays here. */
	sodium_memzero(keyb.data, keyb.len);
	if (!srv.http) {
		cli_error("%s", err);
		goto out;
	}
	if (enrolled) {
		a.ro.data_dir = cli->data_dir;
		a.ro.url = a.upstream;
		if (!(relay = relay_start(&a.ro, err, sizeof(err)))) {
			http_stop(srv.http);
			cli_error("%s", err);
			goto out;
		}
		/* TRANSLATORS: relaying region NAME to URL (headquarters' address). */
		fprintf(stderr, _("sondeod: relaying region %s to %s\n"), up.region, a.upstream ? a.upstream : up.url);
	}
	/* TRANSLATORS: serving URL for DIRECTORY (server key FINGERPRINT). Scripts read the URL after "serving":
	 * keep "sondeod: " and the URL with a space on each side. */
	fprintf(stderr, _("sondeod: serving %s://%s for %s (server key %s); Ctrl-C stops\n"), a.cert ? "https" : "http",
		http_address(srv.http), cli->data_dir, fp);
	sigwait(&stop, &sig);
	if (sig == SIGINT)
		fputs(_("sondeod: interrupted: finishing the requests in progress\n"), stderr);
	else
		fputs(_("sondeod: stopping: finishing the requests in progress\n"), stderr);
	relay_stop(relay);
	http_stop(srv.http);
	checkpointer_stop(ckpt);
	ckpt = NULL;
	/* SQLite folds the WAL back into the database and removes it when the last connection closes; but the
	 * workers close theirs at once, as their threads end, and each may see another still open. One more open
	 * and close, alone now, leaves the data directory as a single file. */
	if ((probe = sstore_open(cli->data_dir, err, sizeof(err))))
		sstore_close(probe);
	fputs(_("sondeod: stopped\n"), stderr);
	r = EXIT_OK;
out:
	checkpointer_stop(ckpt);
	free(table);
	free(paths);
	buf_release(&certb);
	buf_release(&keyb);
	return r;
}
