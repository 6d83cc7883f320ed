/* linkproxy.c - a TCP proxy on loopback for the benches (bench/peers.sh, bench/media.sh): forwards every connection
 * to a target port, counts the bytes each way, and can shape the link like a field office's (a slow line with long
 * round trips).
 *
 *   linkproxy LISTEN_PORT TARGET_PORT [--rate BITS_PER_S] [--delay MS] [--count FILE]
 *
 * Prints "ready PORT" on standard output once listening (LISTEN_PORT 0: a free port, the one printed), then
 * forwards each connection it accepts to 127.0.0.1:TARGET_PORT, any number at once (one poll loop), until
 * SIGTERM or SIGINT.
 *
 * Counting: UP is the bytes read from the clients, DOWN the bytes read from the target: application bytes (TCP
 * payload), whatever the protocol above, so the same measure for every system behind it. CONNECTIONS is the
 * connections accepted. On SIGUSR1, and at exit, "UP DOWN CONNECTIONS\n" (totals since the start) is written to
 * FILE through FILE.tmp renamed into place, so that a reader never sees half a line: remove FILE, send SIGUSR1,
 * wait for FILE to appear.
 *
 * Shaping, each direction on its own (both are off by default: then bytes pass as soon as they are read):
 *   --rate   each direction is one link shared by all connections, carrying at most BITS_PER_S: a chunk read
 *            at time t leaves at the later of t and the moment the link is free, and takes len * 8 / RATE s.
 *   --delay  each byte is delivered MS / 2 after it left, in each direction, so a round trip costs MS. A new
 *            connection's first bytes up also wait one round trip after it was accepted: the TCP handshake that
 *            a real link charges and loopback does not. The proxy buffers what it has read (at most QUEUE_MAX a
 *            direction of a connection) and delivers it on time, so the bytes in flight on the line are held
 *            here, as a real line holds them.
 * Exit status: 0 after SIGTERM or SIGINT, 2 on a usage or system error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* What one direction of one connection may hold before the proxy stops reading from its sender. */
#define QUEUE_MAX (1024 * 1024)
#define CONNS_MAX 4096

struct chunk {
	struct chunk *next;
	int64_t due_us; /* when it may be written to the receiver */
	size_t len, off;
	char data[];
};

/* One direction of a connection: read from `from`, written to `to`. */
struct half {
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	int eof;        /* the sender closed its side */
	int64_t eof_us; /* when that close reaches the receiver */
	int shut;       /* the close was passed on (shutdown of `to`) */
};

/* half[0] is up (client to target), half[1] down. */
struct conn {
	int fd[2];
	struct half half[2];
	int64_t open_us;
};

static struct conn *conns[CONNS_MAX];
static int nconns;
static int64_t rate;     /* bits a second; 0: not limited */
static int64_t delay_us; /* a round trip; 0: none */
static int64_t link_free_us[2];
static unsigned long long bytes[2], accepted;
static const char *count_path;
static volatile sig_atomic_t want_count, want_exit;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_count = 1;
	else
		want_exit = 1;
}

static void count_write(void)
{
	char tmp[4096];
	FILE *f;

	if (!count_path)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", count_path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "linkproxy: cannot write '%s': %s\n", tmp, strerror(errno));
		return;
	}
	fprintf(f, "%llu %llu %llu\n", bytes[0], bytes[1], accepted);
	if (fclose(f) != 0 || rename(tmp, count_path) != 0)
		fprintf(stderr, "linkproxy: cannot write '%s': %s\n", count_path, strerror(errno));
}

static int nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* 127.0.0.1:port. */
static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A socket connected to 127.0.0.1:port, non-blocking; -1 when it cannot be had. Connecting on loopback does not
 * block for long, so it is done before the fd is made non-blocking. */
static int connect_to(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || nonblocking(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void conn_free(int i)
{
	struct conn *c = conns[i];
	int d;

	for (d = 0; d < 2; d++) {
		struct chunk *k = c->half[d].head;

		while (k) {
			struct chunk *next = k->next;

			free(k);
			k = next;
		}
		close(c->fd[d]);
	}
	free(c);
	conns[i] = conns[--nconns];
}

static void conn_accept(int lfd, int target)
{
	for (;;) {
		struct conn *c;
		int one = 1;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			return;
		accepted++;
		if (nconns == CONNS_MAX || nonblocking(fd) < 0 || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd[0] = fd;
		c->fd[1] = connect_to(target);
		if (c->fd[1] < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->half[0].from = c->half[1].to = c->fd[0];
		c->half[0].to = c->half[1].from = c->fd[1];
		c->open_us = now_us();
		conns[nconns++] = c;
	}
}

/* When a chunk of len bytes read now in direction d of c reaches its receiver (the link model above). */
static int64_t due(const struct conn *c, int d, size_t len, int64_t now)
{
	int64_t t = now;

	if (d == 0 && t < c->open_us + delay_us)
		t = c->open_us + delay_us;
	if (rate > 0) {
		if (t < link_free_us[d])
			t = link_free_us[d];
		t += (int64_t)len * 8 * 1000000 / rate;
		link_free_us[d] = t;
	}
	return t + delay_us / 2;
}

/* Reads what the sender of h has, as chunks of at most a hundredth of a second of the link (so the rate is
 * smooth), until its queue is full or nothing is left. -1 when the connection is broken. */
static int half_read(struct conn *c, int d, int64_t now)
{
	struct half *h = &c->half[d];
	size_t most = rate > 0 ? (size_t)(rate / 800) : 65536;

	if (most < 512)
		most = 512;
	if (most > 65536)
		most = 65536;
	while (!h->eof && h->queued < QUEUE_MAX) {
		size_t want = QUEUE_MAX - h->queued < most ? QUEUE_MAX - h->queued : most;
		struct chunk *k = malloc(sizeof(*k) + want);
		ssize_t n;

		if (!k)
			return -1;
		n = read(h->from, k->data, want);
		if (n <= 0) {
			free(k);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			h->eof = 1;
			h->eof_us = h->tail ? h->tail->due_us : now + delay_us / 2;
			return 0;
		}
		bytes[d] += (unsigned long long)n;
		k->next = NULL;
		k->len = (size_t)n;
		k->off = 0;
		k->due_us = due(c, d, k->len, now);
		if (h->tail)
			h->tail->next = k;
		else
			h->head = k;
		h->tail = k;
		h->queued += k->len;
	}
	return 0;
}

/* Writes what is due; passes the sender's close on once everything before it is delivered. -1 when the
 * connection is broken. */
static int half_write(struct half *h, int64_t now)
{
	while (h->head && h->head->due_us <= now) {
		struct chunk *k = h->head;
		ssize_t n = write(h->to, k->data + k->off, k->len - k->off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		k->off += (size_t)n;
		h->queued -= (size_t)n;
		if (k->off == k->len) {
			h->head = k->next;
			if (!h->head)
				h->tail = NULL;
			free(k);
		}
	}
	if (h->eof && !h->head && !h->shut && h->eof_us <= now) {
		shutdown(h->to, SHUT_WR);
		h->shut = 1;
	}
	return 0;
}

static int listen_on(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 512) < 0 || nonblocking(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: linkproxy LISTEN_PORT TARGET_PORT [--rate BITS_PER_S] [--delay MS] [--count FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct pollfd p[1 + 2 * CONNS_MAX];
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct sigaction sa;
	sigset_t block, orig;
	long port, target;
	int lfd, i;

	if (argc < 3 || (port = number(argv[1], 0, 65535)) < 0 || (target = number(argv[2], 1, 65535)) < 0)
		return usage();
	for (i = 3; i < argc; i++) {
		long v;

		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--rate") && (v = number(argv[i + 1], 1000, 100000000000L)) > 0)
			rate = v;
		else if (!strcmp(argv[i], "--delay") && (v = number(argv[i + 1], 0, 60000)) >= 0)
			delay_us = (int64_t)v * 1000;
		else if (!strcmp(argv[i], "--count"))
			count_path = argv[i + 1];
		else
			return usage();
		i++;
	}

	/* The signals are taken only inside ppoll, so none is lost between a check of the flags and the wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);

	lfd = listen_on((int)port);
	if (lfd < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		fprintf(stderr, "linkproxy: cannot listen on 127.0.0.1:%ld: %s\n", port, strerror(errno));
		return 2;
	}
	printf("ready %d\n", ntohs(a.sin_port));
	fflush(stdout);

	while (!want_exit) {
		int64_t now = now_us(), next = -1;
		struct timespec ts;
		int n = 1;

		p[0].fd = lfd;
		p[0].events = POLLIN;
		for (i = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			int d;

			p[1 + 2 * i].fd = c->fd[0];
			p[2 + 2 * i].fd = c->fd[1];
			p[1 + 2 * i].events = p[2 + 2 * i].events = 0;
			for (d = 0; d < 2; d++) {
				struct half *h = &c->half[d];
				int64_t when = h->head ? h->head->due_us : (h->eof && !h->shut ? h->eof_us : -1);

				if (!h->eof && h->queued < QUEUE_MAX)
					p[1 + 2 * i + d].events |= POLLIN;
				if (when >= 0 && when <= now && h->head)
					p[2 + 2 * i - d].events |= POLLOUT;
				else if (when >= 0 && (next < 0 || when < next))
					next = when;
			}
			/* Nothing to wait for on an fd (its reading done, nothing due): out of the set, or a hung-up
			 * socket would wake the loop until its last bytes are due. */
			if (!p[1 + 2 * i].events)
				p[1 + 2 * i].fd = -1;
			if (!p[2 + 2 * i].events)
				p[2 + 2 * i].fd = -1;
			n += 2;
		}
		if (next >= 0) {
			int64_t wait = next > now ? next - now : 0;

			ts.tv_sec = wait / 1000000;
			ts.tv_nsec = (wait % 1000000) * 1000;
		}
		if (ppoll(p, (nfds_t)n, next >= 0 ? &ts : NULL, &orig) < 0 && errno != EINTR) {
			fprintf(stderr, "linkproxy: poll: %s\n", strerror(errno));
			return 2;
		}
		if (want_count) {
			want_count = 0;
			count_write();
		}
		if (p[0].revents & POLLIN)
			conn_accept(lfd, (int)target);
		now = now_us();
		/* Backwards, so that conn_free's moving the last connection into a freed slot skips nothing. The
		 * connections just accepted (beyond the poll set) are read at the next turn. */
		for (i = nconns - 1; i >= 0; i--) {
			struct conn *c = conns[i];
			int d, broken = 0;

			if (1 + 2 * i + 1 < n) {
				for (d = 0; d < 2 && !broken; d++)
					if (p[1 + 2 * i + d].revents & (POLLIN | POLLHUP | POLLERR))
						broken = half_read(c, d, now) < 0;
			}
			for (d = 0; d < 2 && !broken; d++)
				broken = half_write(&c->half[d], now) < 0;
			if (broken || (c->half[0].shut && c->half[1].shut))
				conn_free(i);
		}
	}
	count_write();
	return 0;
}
