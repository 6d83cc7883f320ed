/* bodyhold.c - a test tool: many connections, each sending the headers of POST /v1/changesets with the
 * largest Content-Length the endpoint takes, then its body: BYTES of it as fast as the server reads them, then
 * one byte a second, never the whole. A server that buffers bodies before it knows who sends them holds
 * CONNS x BYTES of memory for nobody.
 *
 *   bodyhold PORT ADDRS CONNS BYTES SECONDS KIND[,KIND...] [KEYFILE [ANSWERS]]
 *
 * Connection i comes from 127.0.0.(2 + i % ADDRS) and is of the i-th KIND, in turn:
 *   unsigned   no Sondeo-* headers at all
 *   stranger   signed headers naming a device nobody enrolled, with a signature that means nothing
 *   badsig     KEYFILE's device, with a signature over another body than the one Sondeo-Body-Hash names
 *   signed     KEYFILE's device, signed exactly over the declared body: a real upload that never ends
 * Prints "burst done" once every connection has sent its BYTES or been closed; stops when every connection is
 * closed, when ANSWERS connections have been answered (if given), or after SECONDS in all. Then prints "answered STATUS N" for each status the server answered,
 * "retry-after N" (answers with that header), "closed unanswered N" and "open N" (still waiting). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "changeset.h"
#include "util.h"

#define MAX_CONNS 1024
#define DECLARED ((size_t)CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES)

enum kind { UNSIGNED, STRANGER, BADSIG, SIGNED };

struct conn {
	int fd;
	char head[1024];
	size_t hlen, sent;          /* sent counts the head's bytes, then the body's */
	char answer[1024];
	size_t alen;
	int closed;
};

static char body[65536];

static int kind_of(const char *s, size_t n)
{
	static const char *names[] = { "unsigned", "stranger", "badsig", "signed" };
	int i;

	for (i = 0; i < 4; i++)
		if (strlen(names[i]) == n && !strncmp(s, names[i], n))
			return i;
	return -1;
}

/* The request's head: the Sondeo-* headers of its kind. The declared body is DECLARED bytes of 'x'. */
static int make_head(struct conn *c, int kind, const struct keys *k, const char *body_hash)
{
	char dev[KEYS_ID_STRLEN + 1], nonce[AUTH_NONCE_HEXLEN + 1], sig[AUTH_SIG_HEXLEN + 1], err[256];
	unsigned char r[16];
	uint64_t t = now_ms();
	static const char x = 'x';
	int w;

	auth_new_nonce(nonce);
	sig[0] = '\0';
	if (kind == STRANGER) {
		randombytes_buf(r, sizeof(r));
		hex_encode(dev, r, sizeof(r));
		memset(sig, 'a', AUTH_SIG_HEXLEN);
		sig[AUTH_SIG_HEXLEN] = '\0';
	} else if (kind == BADSIG) {
		/* The device's own signature, but over a one-byte body: not over this request. */
		keys_id(keys_public(k), dev);
		if (auth_sign_request(k, "POST", "/v1/changesets", &x, 1, t, nonce, sig, err, sizeof(err)) < 0)
			return -1;
	} else if (kind == SIGNED) {
		keys_id(keys_public(k), dev);
		if (auth_sign_request_hash(k, "POST", "/v1/changesets", body_hash, t, nonce, sig, err, sizeof(err)) < 0)
			return -1;
	}
	if (kind == UNSIGNED)
		w = snprintf(c->head, sizeof(c->head), "POST /v1/changesets HTTP/1.1\r\nHost: x\r\n"
			     "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n", DECLARED);
	else
		w = snprintf(c->head, sizeof(c->head), "POST /v1/changesets HTTP/1.1\r\nHost: x\r\n"
			     "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\nSondeo-Device: %s\r\n"
			     "Sondeo-Time: %llu\r\nSondeo-Nonce: %s\r\nSondeo-Body-Hash: %s\r\nSondeo-Signature: %s\r\n\r\n",
			     DECLARED, dev, (unsigned long long)t, nonce, body_hash, sig);
	c->hlen = (size_t)w;
	return w > 0 && (size_t)w < sizeof(c->head) ? 0 : -1;
}

static int open_conn(struct conn *c, int port, int addr)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS ? -1 : 0;
}

static void conn_close(struct conn *c)
{
	if (!c->closed)
		close(c->fd);
	c->closed = 1;
}

static void conn_read(struct conn *c)
{
	char junk[4096];
	ssize_t r;

	for (;;) {
		if (c->alen < sizeof(c->answer) - 1)
			r = recv(c->fd, c->answer + c->alen, sizeof(c->answer) - 1 - c->alen, 0);
		else
			r = recv(c->fd, junk, sizeof(junk), 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (r <= 0) {
			conn_close(c);
			return;
		}
		if (c->alen < sizeof(c->answer) - 1) {
			c->alen += (size_t)r;
			c->answer[c->alen] = '\0';
		}
	}
}

/* Sends what is due: the head, then the body up to target bytes in all. */
static void conn_send(struct conn *c, size_t target)
{
	while (!c->closed && c->sent < target) {
		const char *p = c->sent < c->hlen ? c->head + c->sent : body;
		size_t n = c->sent < c->hlen ? c->hlen - c->sent : target - c->sent;
		ssize_t w;

		if (n > sizeof(body))
			n = sizeof(body);
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (w <= 0) {
			/* Refused: the answer may be waiting, ahead of the reset. */
			conn_read(c);
			conn_close(c);
			return;
		}
		c->sent += (size_t)w;
	}
}

static int answer_status(const struct conn *c)
{
	return c->alen > 12 && !strncmp(c->answer, "HTTP/1.", 7) ? atoi(c->answer + 9) : 0;
}

static int has_retry_after(const struct conn *c)
{
	const char *p;

	for (p = c->answer; (p = strstr(p, "\r\n")); p += 2)
		if (!strncasecmp(p + 2, "Retry-After:", 12))
			return 1;
	return 0;
}

static void report(struct conn *cs, int n)
{
	int counts[600] = { 0 }, retry = 0, unanswered = 0, open = 0, i, s;

	for (i = 0; i < n; i++) {
		s = answer_status(&cs[i]);
		if (s > 0 && s < 600)
			counts[s]++;
		else if (cs[i].closed)
			unanswered++;
		else
			open++;
		retry += has_retry_after(&cs[i]);
	}
	for (s = 100; s < 600; s++)
		if (counts[s])
			printf("answered %d %d\n", s, counts[s]);
	printf("retry-after %d\nclosed unanswered %d\nopen %d\n", retry, unanswered, open);
}

/* Sends the burst, then the trickle, reading answers, until every connection is closed, answers have come, or
 * seconds have passed. */
static void drive(struct conn *cs, int n, size_t bytes, long seconds, int answers)
{
	static struct pollfd pf[MAX_CONNS];
	uint64_t start, last_trickle = 0;
	int i, burst_said = 0;

	start = now_ms();
	while (now_ms() - start < (uint64_t)seconds * 1000) {
		int live = 0, busy = 0, answered = 0;

		for (i = 0; i < n; i++) {
			answered += answer_status(&cs[i]) > 0;
			pf[i].fd = cs[i].closed ? -1 : cs[i].fd;
			pf[i].events = POLLIN | (cs[i].sent < cs[i].hlen + bytes ? POLLOUT : 0);
			live += !cs[i].closed;
			busy += !cs[i].closed && cs[i].sent < cs[i].hlen + bytes;
		}
		if (!busy && !burst_said) {
			printf("burst done\n");
			fflush(stdout);
			burst_said = 1;
		}
		if (!live || answered >= answers)
			break;
		/* After the burst, one more byte a second on every connection. */
		if (!busy && now_ms() - last_trickle >= 1000) {
			last_trickle = now_ms();
			for (i = 0; i < n; i++)
				if (!cs[i].closed && cs[i].sent < cs[i].hlen + DECLARED - 1)
					conn_send(&cs[i], cs[i].sent + 1);
		}
		if (poll(pf, (nfds_t)n, 100) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (cs[i].closed || !pf[i].revents)
				continue;
			/* Read first: an answer that came before the connection was reset still counts. */
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(&cs[i]);
			if (pf[i].revents & POLLOUT)
				conn_send(&cs[i], cs[i].hlen + bytes);
		}
	}
	if (!burst_said)
		printf("burst not done after %ld s\n", seconds);
}

int main(int argc, char **argv)
{
	static struct conn cs[MAX_CONNS];
	int port, addrs, n, kinds[8], nkinds = 0, i, answers;
	size_t bytes;
	long seconds;
	struct keys *k = NULL;
	char err[512], hash[AUTH_HASH_HEXLEN + 1];
	const char *p;
	struct buf full = BUF_INIT(DECLARED);

	if (argc < 7 || argc > 9) {
		fputs("usage: bodyhold PORT ADDRS CONNS BYTES SECONDS KIND[,KIND...] [KEYFILE [ANSWERS]]\n", stderr);
		return 2;
	}
	port = atoi(argv[1]);
	addrs = atoi(argv[2]);
	n = atoi(argv[3]);
	bytes = (size_t)strtoull(argv[4], NULL, 10);
	seconds = atol(argv[5]);
	if (sodium_init() < 0 || addrs < 1 || addrs > 250 || n < 1 || n > MAX_CONNS || bytes >= DECLARED) {
		fputs("bodyhold: bad arguments\n", stderr);
		return 2;
	}
	for (p = argv[6]; *p && nkinds < 8; p += *p == ',') {
		size_t len = strcspn(p, ",");

		if ((kinds[nkinds++] = kind_of(p, len)) < 0) {
			fprintf(stderr, "bodyhold: unknown kind '%.*s'\n", (int)len, p);
			return 2;
		}
		p += len;
	}
	answers = argc == 9 ? atoi(argv[8]) : n + 1;
	if (argc >= 8 && !(k = keys_load(argv[7], err, sizeof(err)))) {
		fprintf(stderr, "bodyhold: %s\n", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(body, 'x', sizeof(body));
	/* The hash of the whole declared body, which every signed kind names. */
	if (buf_grow(&full, DECLARED) < 0) {
		fputs("bodyhold: out of memory\n", stderr);
		return 1;
	}
	memset(full.data, 'x', DECLARED);
	auth_body_hash(full.data, DECLARED, hash);
	buf_release(&full);
	for (i = 0; i < n; i++) {
		int kind = kinds[i % nkinds];

		if ((kind == BADSIG || kind == SIGNED) && !k) {
			fputs("bodyhold: badsig and signed need KEYFILE\n", stderr);
			return 2;
		}
		if (make_head(&cs[i], kind, k, hash) < 0 || open_conn(&cs[i], port, 2 + i % addrs) < 0) {
			perror("bodyhold");
			return 1;
		}
	}
	drive(cs, n, bytes, seconds, answers);
	report(cs, n);
	for (i = 0; i < n; i++)
		conn_close(&cs[i]);
	keys_free(k);
	return 0;
}
