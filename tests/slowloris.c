/* slowloris.c - a test tool: trickles requests' header bytes to a server on 127.0.0.1:PORT.
 *
 *   slowloris PORT INTERVAL_MS SECONDS
 *	one connection, one header byte every INTERVAL_MS, for at most SECONDS; prints "dropped after N s" when
 *	the server closes the connection, or "still open after N s".
 *   slowloris -n CONNS -a ADDRS PORT INTERVAL_MS SECONDS
 *	CONNS connections from the source addresses 127.0.0.2 ... 127.0.0.(ADDRS + 1), each sending one header
 *	line every INTERVAL_MS and never ending its headers; a connection the server drops is opened again, as an
 *	attacker would. Prints "ready" once all were opened, and at the end "opened N dropped D". */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec p = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&p, NULL);
}

/* One byte at a time over one connection from 127.0.0.1. */
static int single(int port, long interval, long seconds)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct sockaddr_in a;
	double start = now_s();
	size_t i;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("slowloris");
		return 1;
	}
	for (i = 0;; i = (i + 1) % (sizeof(req) - 1)) {
		long elapsed = (long)(now_s() - start);
		char c;

		if (elapsed >= seconds) {
			printf("still open after %ld s\n", elapsed);
			return 0;
		}
		/* A closed connection shows as a failed send, or as end of file on a read that does not block. */
		if (send(fd, &req[i], 1, MSG_NOSIGNAL) != 1 || recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
			printf("dropped after %ld s\n", elapsed);
			return 0;
		}
		pause_ms(interval);
	}
}

/* A connection from 127.0.0.(2 + addr) that does not wait for the handshake (with the server's backlog full, a
 * blocking connect would hold up all the others); -1 when no socket can be made. */
static int open_from(int port, int addr)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (unsigned)addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends the request line once connected (*started), then line: 1 if the server closed fd (or it could not
 * connect), 0 while it is open or still connecting. */
static int gone(int fd, int *started, const char *line, size_t len)
{
	static const char start[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	char c;
	ssize_t n;

	if (!*started) {
		n = send(fd, start, sizeof(start) - 1, MSG_NOSIGNAL);
		*started = n > 0;
	} else {
		n = send(fd, line, len, MSG_NOSIGNAL);
	}

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
		return 1;
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
}

static int many(int port, int nconn, int naddr, long interval, long seconds)
{
	struct rlimit rl;
	double start = now_s();
	long opened = 0, dropped = 0, round = 0;
	int *fds = calloc((size_t)nconn, sizeof(*fds)), *started = calloc((size_t)nconn, sizeof(*started));
	int i;

	if (!fds || !started)
		return 1;
	/* Enough descriptors for every connection. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconn + 16) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)nconn + 16 ? rl.rlim_max : (rlim_t)nconn + 16;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < nconn; i++) {
		fds[i] = open_from(port, i % naddr);
		opened += fds[i] >= 0;
	}
	printf("ready\n");
	fflush(stdout);
	while (now_s() - start < (double)seconds) {
		char line[32];
		int len;

		pause_ms(interval);
		len = snprintf(line, sizeof(line), "X-Slow-%ld: a\r\n", round++);
		for (i = 0; i < nconn; i++) {
			if (fds[i] >= 0 && !gone(fds[i], &started[i], line, (size_t)len))
				continue;
			started[i] = 0;
			if (fds[i] >= 0) {
				close(fds[i]);
				dropped++;
			}
			fds[i] = open_from(port, i % naddr);
			opened += fds[i] >= 0;
		}
	}
	printf("opened %ld dropped %ld\n", opened, dropped);
	return 0;
}

int main(int argc, char **argv)
{
	int nconn = 0, naddr = 1, c;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "n:a:")) != -1) {
		if (c == 'n')
			nconn = atoi(optarg);
		else if (c == 'a')
			naddr = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 3 || (nconn && (nconn < 1 || naddr < 1 || naddr > 250)))
		return 2;
	if (!nconn)
		return single(atoi(argv[optind]), atol(argv[optind + 1]), atol(argv[optind + 2]));
	return many(atoi(argv[optind]), nconn, naddr, atol(argv[optind + 1]), atol(argv[optind + 2]));
}
