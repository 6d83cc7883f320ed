/* cutproxy.c - a test tool: a TCP proxy on loopback that cuts each of its first K connections after N bytes
 * have passed (in either direction), and then forwards faithfully, so that tests can cut uploads and
 * downloads mid-way.
 *
 *   cutproxy LISTEN_PORT TARGET_PORT N K [RATE]   (prints "ready PORT" once listening; runs until killed)
 *
 * With RATE, each connection passes at most RATE bytes a second, so that a test can stop something in the middle
 * of a transfer that loopback would otherwise finish at once (N 0 K 0: never cut, only slow).
 *
 * LISTEN_PORT 0 lets the kernel choose a free port, which is the one printed: a port picked at random by
 * the test could be in use by another connection on a busy machine. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int connect_to(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Copies between a and b until either closes, or until limit bytes have passed when limit > 0; at most rate bytes a
 * second when rate > 0. */
static void relay(int a, int b, long limit, long rate)
{
	struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	char buf[4096];
	long passed = 0;

	for (;;) {
		int i;

		if (poll(p, 2, 30000) <= 0)
			return;
		for (i = 0; i < 2; i++) {
			ssize_t n;
			size_t want;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			want = sizeof(buf);
			if (limit > 0 && (long)want > limit - passed)
				want = (size_t)(limit - passed);
			n = read(p[i].fd, buf, want);
			if (n <= 0)
				return;
			if (write(p[1 - i].fd, buf, (size_t)n) != n)
				return;
			passed += n;
			if (limit > 0 && passed >= limit)
				return;   /* the cut: both sides see the connection end here */
			if (rate > 0)
				usleep((useconds_t)(n * 1000000L / rate));
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int ls, one = 1, target;
	long cut, k, rate, served = 0;

	if (argc != 5 && argc != 6)
		return 2;
	rate = argc == 6 ? atol(argv[5]) : 0;
	target = atoi(argv[2]);
	cut = atol(argv[3]);
	k = atol(argv[4]);
	signal(SIGCHLD, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 64) < 0) {
		perror("cutproxy");
		return 1;
	}
	if (getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
		perror("cutproxy");
		return 1;
	}
	printf("ready %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		long limit = served++ < k ? cut : 0;

		if (c < 0)
			continue;
		if (fork() == 0) {
			int t = connect_to(target);

			close(ls);
			if (t >= 0) {
				relay(c, t, limit, rate);
				close(t);
			}
			close(c);
			_exit(0);
		}
		close(c);
	}
}
