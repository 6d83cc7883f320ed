/* cmd-sync.c - sondeo sync: send this device's final changes to its server, receive its region's changes,
 * merge them with the rule every replica uses, and refresh the forms.
 *
 * Uploads go in change sets of consecutive seqs; the store's acked_seq moves only when the server says it
 * holds them, so an interrupted sync resends from there and nothing is lost or sent twice for good. Downloads
 * are signed by the server's pinned key and taken in by the store with their cursor in one transaction (the
 * store merges them, as a server's ingest does; this file keeps the network and the messages). Drafts have no ops,
 * so they never leave the device. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "changeset.h"
#include "cli.h"
#include "hlc.h"
#include "i18n.h"
#include "media.h"
#include "pull.h"
#include "remote.h"
#include "util.h"
#include "banned.h"

/* Ops in one change set: as many as one may hold. The server commits each change set, and each commit writes
 * again every page it changed of the indexes whose keys fall anywhere (a field's answers in order, a record's
 * name): fewer, larger change sets write those pages fewer times (10,000 records: 23% fewer bytes written). */
#define PUSH_OPS CS_MAX_OPS
#define PULL_OPS PULL_V2_MAX_OPS   /* ops asked for at once */
#define PULL_V1_OPS 1000     /* from a server that speaks only version 1 of the pull */

struct sync {
	struct store *s;
	struct remote r;
	char device[KEYS_ID_STRLEN + 1];
	unsigned long long pushed, received;
	unsigned long long media_sent, media_bytes;   /* attachments the server now holds whole; bytes sent */
	unsigned long long media_got, media_got_bytes, media_missing;   /* with --media: received; not at the server */
	unsigned long long media_refused;   /* files the server would not take (said on stderr): the sync exits 1 */
	int media, verbose;      /* --media: bring the region's attachments too; --verbose */
	long long to_push;       /* for the progress line; 0: none shown */
	int tty;                 /* stderr is a terminal: show progress */
	int v1;                  /* the server refused a version 2 pull: it is older, ask in version 1 */
	int pulled;              /* the last pull page said there is no more */
	char forms[PULL_FORMS_TAG_LEN + 1];   /* the forms tag of the last pull answer, "" if it had none */
	enum net_status st;      /* of the last exchange */
	char err[1024];
};

static uint64_t meta_u64(struct store *s, const char *key)
{
	char v[32];

	return store_meta_get(s, key, v, sizeof(v)) == 0 ? strtoull(v, NULL, 10) : 0;
}

static int save_u64(struct store *s, const char *key, uint64_t v, char *err, size_t errlen)
{
	char t[32];

	snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	if (store_begin(s, err, errlen) < 0)
		return -1;
	if (store_meta_set(s, key, t, err, errlen) < 0 || store_commit(s, err, errlen) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/* A progress line on the terminal, written over the last one. */
static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void progress(const char *fmt, ...)
{
	va_list ap;

	fputc('\r', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* How many of this device's ops come after the seq the meta key acked names (0 if the store cannot say: for
 * messages only). */
static long long pending_after(struct store *s, const char *acked)
{
	uint64_t n;

	return store_ops_count(s, meta_u64(s, acked), &n, NULL, 0) == 0 ? (long long)n : 0;
}

/* How many records are in conflict (0 if the store cannot say: for messages only). */
static long long in_conflict(struct store *s)
{
	struct store_counts c;

	return store_counts(s, &c, NULL, 0) == 0 ? (long long)c.conflicts : 0;
}

/* Takes in a pull page with the cursor past it (the store merges them in one transaction, as a server's ingest
 * does), and notes its forms tag and whether the pull is complete. 0, or -1 with y->err. */
static int take(struct sync *y, const struct pull_answer *ans)
{
	char cursor[64];
	uint64_t received = 0;

	remote_key(&y->r, "pull_cursor", cursor, sizeof(cursor));
	if (store_take_pulled(y->s, ans->ops.ops, ans->ops.by, ans->ops.n, cursor, ans->next, &received, y->err,
			      sizeof(y->err)) < 0)
		return -1;
	y->received += received;
	y->pulled = !ans->more;
	memcpy(y->forms, ans->forms, sizeof(y->forms));
	if (y->tty && (ans->more || y->received > PULL_OPS))
		/* TRANSLATORS: progress of a long sync, rewritten in place: how many changes came so far. */
		progress(_("receiving changes: %s"), i18n_count(y->received));
	return 0;
}

/* The path of an upload: in version 2 it asks for the pull page after the cursor too, so that a sync that sends
 * changes is one exchange. */
static const char *upload_path(struct sync *y, char *path, size_t n)
{
	char cursor[64];

	if (y->v1)
		return "/v1/changesets";
	remote_key(&y->r, "pull_cursor", cursor, sizeof(cursor));
	snprintf(path, n, "/v1/changesets?pull=%llu", (unsigned long long)meta_u64(y->s, cursor));
	return path;
}

/* Reads a 200 answer to an upload: counts what the server took, and takes in the pull page it carries (a page
 * whose cursor may move past what this upload brought: the server holds it now). The seq the server needs next
 * goes to *next. 0, or -1 with y->err. */
static int uploaded(struct sync *y, const struct net_response *rs, uint64_t *next)
{
	struct pull_upload up;
	char msg[512];
	int r = -1;

	if (pull_upload_decode(rs->body.data, rs->body.len, &up, msg, sizeof(msg)) != OPJSON_OK) {
		snprintf(y->err, sizeof(y->err), _("the server's answer to an upload is not valid: %s"), msg);
		return -1;
	}
	*next = up.next_seq;
	y->pushed += up.accepted;
	if (up.next_seq == 0)
		snprintf(y->err, sizeof(y->err), "%s", _("the server's answer to an upload names no next seq"));
	else if (up.has_pull && !rs->signature[0])
		/* Checked when it is there (remote_call): a pull page must come signed by the server. */
		snprintf(y->err, sizeof(y->err), _("the pull in the answer from %.900s is not signed"), y->r.url);
	else if (!up.has_pull || take(y, &up.pull) == 0)
		r = 0;
	pull_answer_release(&up.pull);
	return r;
}

/* Makes the change set of this device's next ops after seq after, signed, into cs (emptied first), with the seq
 * of its last op in *last: at most *most ops, fewer (and *most with them) when theirs would not fit in one.
 * 1 made, 0 nothing to send, -1 with y->err. */
static int encode_next(struct sync *y, const struct keys *k, uint64_t after, size_t *most, struct buf *cs,
		       uint64_t *last)
{
	struct store_ops batch = { NULL, 0, NULL, NULL };
	enum cs_status cst;
	int n, i;

	for (;;) {
		if ((n = store_ops_after(y->s, after, *most, &batch, y->err, sizeof(y->err))) <= 0) {
			store_ops_release(&batch);
			return n;
		}
		/* An older version could stamp past what servers now accept (after adopting a stamp near 2^63).
		 * These ops were never accepted anywhere, so nobody holds another copy: sent at the bound, they are
		 * kept. */
		for (i = 0; i < n; i++)
			if (batch.op[i].hlc > HLC_MAX)
				batch.op[i].hlc = HLC_MAX;
		buf_reset(cs);
		cst = cs_encode(k, batch.op, batch.n, cs, y->err, sizeof(y->err));
		/* Long answers: half as many ops, down to one, which always fits (CS_MAX_VALUE). */
		if (cst == CS_TOO_LARGE && batch.n > 1) {
			*most = batch.n / 2;
			continue;
		}
		*last = batch.op[batch.n - 1].seq;
		store_ops_release(&batch);
		return cst == CS_OK ? 1 : -1;
	}
}

/* One upload on its way, sent by a thread of its own while the next change set is made. */
struct upload {
	struct sync *y;
	char path[96];
	const struct buf *cs;
	struct net_response rs;
	enum net_status st;
	char err[1024];
};

static void *upload_run(void *arg)
{
	struct upload *u = arg;

	u->st = remote_call(&u->y->r, "POST", u->path, u->cs->data, u->cs->len, "application/octet-stream",
			    REMOTE_SIGNED_IF_ANY, &u->rs, u->err, sizeof(u->err));
	return NULL;
}

/* Sends every final op the server does not hold yet, taking in the pull pages that come with the answers. While
 * one change set travels and the server takes it in, the next is read and signed; it goes once the first is
 * answered, with the pull cursor that answer moved. 0, or -1 with y->err. */
static int push(struct sync *y)
{
	struct buf cs[2] = { BUF_INIT((size_t)CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES),
			     BUF_INIT((size_t)CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES) };
	const struct keys *k = store_keys(y->s, y->err, sizeof(y->err));
	size_t most = PUSH_OPS;   /* ops in the next change set: fewer when theirs would not fit in one */
	uint64_t last[2] = { 0, 0 };
	char key[64];
	int cur = 0, have, ahead, gaps = 0, r = -1;

	if (!k)
		return -1;
	remote_key(&y->r, "acked_seq", key, sizeof(key));
	have = encode_next(y, k, meta_u64(y->s, key), &most, &cs[cur], &last[cur]);
	while (have == 1) {
		struct upload u = { y, "", &cs[cur], { 0, BUF_INIT(1), "", "", 0 }, NET_OK, "" };
		pthread_t t;
		uint64_t next = 0;
		json_t *j;
		int threaded;

		upload_path(y, u.path, sizeof(u.path));
		/* Detached before the thread starts: from then on only this thread touches the store. */
		y->r.detached = 1;
		threaded = pthread_create(&t, NULL, upload_run, &u) == 0;
		if (!threaded) {
			y->r.detached = 0;
			upload_run(&u);
		}
		ahead = encode_next(y, k, last[cur], &most, &cs[!cur], &last[!cur]);
		if (threaded)
			pthread_join(t, NULL);
		y->r.detached = 0;
		remote_clock_save(&y->r);
		y->st = u.st;
		if (u.st != NET_OK) {
			memcpy(y->err, u.err, sizeof(y->err));
			buf_release(&u.rs.body);
			break;
		}
		if (u.rs.status == 200) {
			/* What is before the seq the server needs next is safe there. */
			int taken = uploaded(y, &u.rs, &next) == 0 && save_u64(y->s, key, next - 1, y->err, sizeof(y->err)) == 0;

			buf_release(&u.rs.body);
			if (!taken)
				break;
			if (y->tty && y->to_push > PUSH_OPS)
				/* TRANSLATORS: progress of a long sync, rewritten in place. */
				progress(_("sending changes: %s of %s"), i18n_count(y->pushed),
					 i18n_count((unsigned long long)y->to_push));
			most = most * 2 < PUSH_OPS ? most * 2 : PUSH_OPS;
			/* The next change set was made from this one's end: it goes if that is where the server is. */
			if (next == last[cur] + 1) {
				if (ahead < 0)
					break;
				cur = !cur;
				have = ahead;
				continue;
			}
			have = encode_next(y, k, next - 1, &most, &cs[cur], &last[cur]);
			continue;
		}
		j = json_loadb(u.rs.body.data, u.rs.body.len, 0, NULL);
		if (u.rs.status == 409 && json_integer_value(json_object_get(j, "expected_seq")) > 0) {
			/* The server says which seq it needs next: what is before it is safe there. */
			next = (uint64_t)json_integer_value(json_object_get(j, "expected_seq"));
			json_decref(j);
			buf_release(&u.rs.body);
			if (++gaps > 3) {
				snprintf(y->err, sizeof(y->err), _("the server keeps asking for seq %llu"),
					 (unsigned long long)next);
				break;
			}
			if (save_u64(y->s, key, next - 1, y->err, sizeof(y->err)) < 0)
				break;
			have = encode_next(y, k, next - 1, &most, &cs[cur], &last[cur]);
			continue;
		}
		net_error_text(&u.rs, y->err, sizeof(y->err));
		json_decref(j);
		buf_release(&u.rs.body);
		break;
	}
	if (have == 0)
		r = 0;
	buf_release(&cs[0]);
	buf_release(&cs[1]);
	return r;
}

/* The pull's pages are fetched and read by a thread of their own, one page ahead of the store taking them in:
 * the server prepares the next page, and this device checks it, while the last one is merged. The fetcher uses
 * the remote alone (detached: it never touches the store) and hands over one page at a time. */
struct fetch {
	struct sync *y;
	uint64_t after;                 /* the cursor the next page is asked from */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pull_answer page;        /* a page read and not yet taken, when full */
	int full;
	int done;                       /* the fetcher has stopped: no page will come after this one */
	int failed;                     /* ... because of an error, in st and err */
	int stop;                       /* the store failed: the fetcher must stop */
	enum net_status st;
	char err[1024];
};

/* Fetches one page after f->after into *ans. 0, or -1 with f->st and f->err. */
static int fetch_page(struct fetch *f, struct pull_answer *ans)
{
	struct sync *y = f->y;

	for (;;) {
		struct net_response rs = { 0, BUF_INIT(1), "", "", 0 };
		char path[96], msg[512];

		/* Version 2: larger pages, and the forms tag, so that unchanged forms are not downloaded again. */
		snprintf(path, sizeof(path), "/v1/pull?after=%llu&limit=%d%s", (unsigned long long)f->after,
			 y->v1 ? PULL_V1_OPS : PULL_OPS, y->v1 ? "" : "&v=2");
		f->st = remote_call(&y->r, "GET", path, NULL, 0, NULL, REMOTE_SIGNED, &rs, f->err, sizeof(f->err));
		if (f->st == NET_OK && rs.status == 400 && !y->v1) {
			/* A server from before version 2 refuses its page size: ask it the old way. */
			y->v1 = 1;
			buf_release(&rs.body);
			continue;
		}
		if (f->st != NET_OK || rs.status != 200) {
			if (f->st == NET_OK)
				net_error_text(&rs, f->err, sizeof(f->err));
			buf_release(&rs.body);
			return -1;
		}
		/* Read strictly by the protocol's own code: one op out of the table refuses the whole answer. */
		if (pull_answer_decode(rs.body.data, rs.body.len, y->v1 ? 1 : 2, ans, msg, sizeof(msg)) != OPJSON_OK) {
			snprintf(f->err, sizeof(f->err), _("the server's answer to a pull is not valid: %s"), msg);
			buf_release(&rs.body);
			return -1;
		}
		buf_release(&rs.body);
		return 0;
	}
}

static void *fetcher(void *arg)
{
	struct fetch *f = arg;
	struct pull_answer ans;
	int more = 1, failed = 0;

	while (more && !failed) {
		failed = fetch_page(f, &ans) < 0;
		pthread_mutex_lock(&f->lock);
		while (!failed && f->full && !f->stop)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->stop) {
			pthread_mutex_unlock(&f->lock);
			if (!failed)
				pull_answer_release(&ans);
			break;
		}
		if (!failed) {
			f->page = ans;
			f->full = 1;
			f->after = ans.next;
			more = ans.more;
		}
		f->failed = failed;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_lock(&f->lock);
	f->done = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Receives and merges everything new for this device's region that the uploads did not bring. 0, or -1 with
 * y->err. */
static int pull(struct sync *y)
{
	struct fetch f;
	char cursor[64];
	pthread_t t;
	int r = 0;

	if (y->pulled)
		return 0;
	memset(&f, 0, sizeof(f));
	f.y = y;
	f.after = meta_u64(y->s, remote_key(&y->r, "pull_cursor", cursor, sizeof(cursor)));
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.cond, NULL);
	y->r.detached = 1;
	if (pthread_create(&t, NULL, fetcher, &f) != 0) {
		y->r.detached = 0;
		snprintf(y->err, sizeof(y->err), "%s", _("cannot start a thread to receive changes"));
		return -1;
	}
	for (;;) {
		struct pull_answer ans;

		pthread_mutex_lock(&f.lock);
		while (!f.full && !f.done && !f.failed)
			pthread_cond_wait(&f.cond, &f.lock);
		if (!f.full) {
			pthread_mutex_unlock(&f.lock);
			break;
		}
		ans = f.page;
		f.full = 0;
		pthread_cond_broadcast(&f.cond);
		pthread_mutex_unlock(&f.lock);
		r = take(y, &ans);
		pull_answer_release(&ans);
		if (r < 0) {
			pthread_mutex_lock(&f.lock);
			f.stop = 1;
			pthread_cond_broadcast(&f.cond);
			pthread_mutex_unlock(&f.lock);
			break;
		}
	}
	pthread_join(t, NULL);
	y->r.detached = 0;
	remote_clock_save(&y->r);
	if (r == 0 && f.failed) {
		y->st = f.st;
		memcpy(y->err, f.err, sizeof(y->err));
		r = -1;
	}
	if (f.full)
		pull_answer_release(&f.page);
	pthread_cond_destroy(&f.cond);
	pthread_mutex_destroy(&f.lock);
	return r;
}

/* Downloads the forms unless the last pull's tag says this device holds them as they are, and keeps the tag
 * once they are in. How many were installed (0 when unchanged), or -1 with y->err and y->st. */
/* --- Attachments: after the change sets that name them, in chunks the server keeps as they come. ------------ */

static int unsent(void *ctx, const char *hex, uint64_t size)
{
	json_array_append_new(ctx, json_pack("[s, I]", hex, (json_int_t)size));
	return 0;
}

/* One request of an upload (media_upload), through this device's signed requests; the net status in y->st. */
static int media_call(void *ctx, const char *method, const char *path, const void *body, size_t len, long *status,
		      struct buf *answer, char *err, size_t errlen)
{
	struct sync *y = ctx;
	struct net_response rs;

	memset(&rs, 0, sizeof rs);
	y->st = remote_call(&y->r, method, path, body, len, body ? "application/octet-stream" : NULL, REMOTE_UNSIGNED,
			    &rs, err, errlen);
	buf_reset(answer);
	if (y->st == NET_OK)
		buf_add(answer, rs.body.data, rs.body.len);
	*status = rs.status;
	buf_release(&rs.body);
	return y->st == NET_OK ? 0 : -1;
}

/* Sends every attachment of this device's own final records that the server does not hold whole. 0, or -1 with
 * y->err. */
static int media_push(struct sync *y)
{
	json_t *list = json_array(), *it;
	char path[4096];
	size_t i;
	int r = 0;

	if (store_media_unsent(y->s, y->r.prefix, unsent, list, y->err, sizeof y->err) < 0) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(list, i, it) {
		const char *hex = json_string_value(json_array_get(it, 0));
		uint64_t size = (uint64_t)json_integer_value(json_array_get(it, 1)), sent;
		int rc;

		/* A file not here was never this laptop's to send (it came from the server). */
		if (store_media_path(y->s, hex, path, sizeof path) != 1)
			continue;
		if ((rc = media_upload(path, hex, size, media_call, y, &sent, y->err, sizeof y->err)) == MEDIA_REFUSED ||
		    rc == MEDIA_FULL) {
			/* Said, and the others go on: one file the server will not take holds up none of the rest. But a
			 * full disk there would refuse them all: they wait, here, for the next sync. */
			cli_error("%s", y->err);
			y->media_refused++;
			if (rc == MEDIA_FULL)
				break;
			continue;
		}
		if (rc < 0 || store_media_sent(y->s, y->r.prefix, hex, y->err, sizeof y->err) < 0) {
			r = -1;
			break;
		}
		y->media_bytes += sent;
		y->media_sent += sent > 0;   /* one the server already held was not sent */
	}
	json_decref(list);
	return r;
}

/* With --media: brings every attachment this laptop's records name that it does not have (the region's,
 * downloaded only when asked). A file not at the server yet is left for a later sync. 0, or -1 with y->err. */
static int media_pull(struct sync *y)
{
	json_t *list = json_array(), *it;
	char path[4096], url[256], msg[512];
	size_t i;
	int r = 0;

	if (store_media_named(y->s, unsent, list, y->err, sizeof y->err) < 0) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(list, i, it) {
		const char *hex = json_string_value(json_array_get(it, 0));
		struct net_response rs;

		if (store_media_path(y->s, hex, path, sizeof path) != 0)
			continue;
		snprintf(url, sizeof url, "/v1/media?blake2b=%s", hex);
		memset(&rs, 0, sizeof rs);
		if ((y->st = remote_call(&y->r, "GET", url, NULL, 0, NULL, REMOTE_UNSIGNED, &rs, y->err,
					 sizeof y->err)) != NET_OK) {
			buf_release(&rs.body);
			r = -1;
			break;
		}
		if (rs.status == 200 && store_media_keep(y->s, hex, rs.body.data, rs.body.len, y->err, sizeof y->err) == 0) {
			y->media_got++;
			y->media_got_bytes += rs.body.len;
		} else if (rs.status == 200) {
			r = -1;
		} else {
			/* Not at the server whole yet (another laptop has still to send it), or not this region's. */
			net_error_text(&rs, msg, sizeof msg);
			y->media_missing++;
			if (y->verbose)
				fprintf(stderr, _("attachment %.8s: %s\n"), hex, msg);
		}
		buf_release(&rs.body);
		if (r < 0)
			break;
	}
	json_decref(list);
	return r;
}

static int forms(struct sync *y)
{
	char key[64], held[PULL_FORMS_TAG_LEN + 1];
	int n;

	remote_key(&y->r, "forms_tag", key, sizeof(key));
	if (y->forms[0] && store_meta_get(y->s, key, held, sizeof(held)) == 0 && !strcmp(held, y->forms))
		return 0;
	if ((n = remote_forms(&y->r, &y->st, y->err, sizeof(y->err))) < 0)
		return -1;
	/* Forms published since the tag was made are fetched again next time, never missed. */
	if (y->forms[0] && (store_begin(y->s, y->err, sizeof(y->err)) < 0 ||
			    store_meta_set(y->s, key, y->forms, y->err, sizeof(y->err)) < 0 ||
			    store_commit(y->s, y->err, sizeof(y->err)) < 0)) {
		store_rollback(y->s);
		return -1;
	}
	return n;
}

/* One whole exchange with y->r: send, receive, refresh the forms. 0, or -1 with y->err and y->st. */
static int exchange(struct sync *y, int *nforms)
{
	y->st = NET_OK;
	y->err[0] = '\0';
	y->forms[0] = '\0';
	y->pulled = 0;
	/* Attachments last: the change sets naming them are held by then, and a file the server refuses keeps no
	 * change from going either way. */
	if (push(y) < 0 || pull(y) < 0 || (*nforms = forms(y)) < 0 || media_push(y) < 0 ||
	    (y->media && media_pull(y) < 0))
		return -1;
	return 0;
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "verbose", no_argument, NULL, 'v' }, { "media", no_argument, NULL, 'm' },
					      { 0, 0, 0, 0 } };
	struct sync y;
	struct remote hq;
	char key[64];
	long long before, after;
	int c, verbose = 0, media = 0, r = EXIT_FAIL, nforms = 0;

	while ((c = cli_getopt(cli, argc, argv, "vm", opts)) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == 'm')
			media = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	memset(&y, 0, sizeof(y));
	y.media = media;
	y.verbose = verbose;
	if (!(y.s = cli_open_store(cli)))
		return EXIT_FAIL;
	strlcpy_s(y.device, store_device(y.s), sizeof(y.device));
	if (remote_open(&y.r, y.s, verbose, y.err, sizeof(y.err)) < 0) {
		cli_error("%s", y.err);
		goto out;
	}
	before = in_conflict(y.s);
	/* A progress line on a terminal, for transfers that take more than one exchange. */
	y.tty = isatty(STDERR_FILENO);
	y.to_push = pending_after(y.s, "acked_seq");
	if (exchange(&y, &nforms) == 0)
		goto done;
	if (y.st == NET_UNREACHABLE && remote_open_hq(&hq, y.s, verbose)) {
		/* The region's server is down: headquarters takes the same change sets and holds the same region. */
		/* TRANSLATORS: the regional server's address, why it cannot be reached, headquarters' address. */
		cli_error(_("%s cannot be reached (%s); syncing with headquarters at %s instead"), y.r.url, y.err, hq.url);
		remote_close(&y.r);
		y.r = hq;
		y.v1 = 0;
		y.to_push = pending_after(y.s, remote_key(&y.r, "acked_seq", key, sizeof(key)));
		if (exchange(&y, &nforms) == 0)
			goto done;
	}
	{
		long long pending = pending_after(y.s, "acked_seq");

		if (y.st == NET_UNREACHABLE) {
			/* TRANSLATORS: how many changes wait, then why the server could not be reached. */
			cli_error(P_("server unreachable; %s change kept for the next sync (%s)",
				     "server unreachable; %s changes kept for the next sync (%s)", (unsigned long long)pending),
				  i18n_count((unsigned long long)pending), y.err);
			r = EXIT_UNREACHABLE;
		} else {
			/* TRANSLATORS: the server's address, why the sync stopped, and how many changes wait. */
			cli_error(P_("sync with %s stopped: %s; %s change kept for the next sync",
				     "sync with %s stopped: %s; %s changes kept for the next sync", (unsigned long long)pending),
				  y.r.url, y.err, i18n_count((unsigned long long)pending));
		}
		goto out;
	}
done:
	if (y.tty && (y.to_push > PUSH_OPS || y.received > PULL_OPS))
		fputc('\n', stderr);
	/* When it last synced, for sondeo web's home (a failure to note it loses nothing that synced). */
	save_u64(y.s, "synced_at", now_ms(), y.err, sizeof(y.err));
	after = in_conflict(y.s);
	/* TRANSLATORS: the server's address, how many changes this device sent, how many it received. */
	printf(P_("synced with %s: %s change sent, %s received", "synced with %s: %s changes sent, %s received",
		  y.pushed), y.r.url, i18n_count(y.pushed), i18n_count(y.received));
	if (y.media_sent)
		/* TRANSLATORS: follows "synced with ...: N changes sent, N received" on the same line; then a size. */
		printf(P_(", %s attachment sent (%s)", ", %s attachments sent (%s)", y.media_sent),
		       i18n_count(y.media_sent), cli_size_text(y.media_bytes));
	if (y.media_got)
		/* TRANSLATORS: follows the line above with --media; then a size. */
		printf(P_(", %s attachment received (%s)", ", %s attachments received (%s)", y.media_got),
		       i18n_count(y.media_got), cli_size_text(y.media_got_bytes));
	if (y.media_missing)
		/* TRANSLATORS: with --media: files another laptop has not sent to the server yet. */
		printf(P_(", %s attachment not at the server yet", ", %s attachments not at the server yet",
			  y.media_missing), i18n_count(y.media_missing));
	if (after > before)
		/* TRANSLATORS: follows "synced with ...: N changes sent, N received" on the same line. */
		printf(P_(", %s new record in conflict (sondeo list --conflicts)",
			  ", %s new records in conflict (sondeo list --conflicts)", (unsigned long long)(after - before)),
		       i18n_count((unsigned long long)(after - before)));
	printf("\n");
	(void)nforms;
	r = y.media_refused ? EXIT_FAIL : EXIT_OK;
out:
	remote_close(&y.r);
	store_close(y.s);
	return r;
}
