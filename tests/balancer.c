/* balancer.c - a test tool: a TCP load balancer on loopback, in front of several sondeod serving one database.
 * Each connection goes to a backend picked at random among the ports in PORTS_FILE, read again for each
 * connection (the test rewrites it when it restarts a backend on a new port); a backend that refuses the
 * connection is skipped for the next, as a balancer's health check would. What a connection carries is passed
 * through untouched, both ways, until either side closes: a backend killed mid-request cuts its connections.
 *
 *   balancer PORTS_FILE   (prints "ready PORT", the port the kernel chose; runs until killed) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BACKENDS 16

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

/* The ports listed in path (at most MAX_BACKENDS), into ports: how many. */
static int backends(const char *path, int ports[MAX_BACKENDS])
{
	FILE *f = fopen(path, "r");
	int n = 0, p;

	if (!f)
		return 0;
	while (n < MAX_BACKENDS && fscanf(f, "%d", &p) == 1)
		if (p > 0 && p < 65536)
			ports[n++] = p;
	fclose(f);
	return n;
}

/* A connection to one of the backends, starting at a random one; -1 if none answers. */
static int pick(const char *path)
{
	int ports[MAX_BACKENDS], n = backends(path, ports), i, fd;
	int start = n ? rand() % n : 0;

	for (i = 0; i < n; i++)
		if ((fd = connect_to(ports[(start + i) % n])) >= 0)
			return fd;
	return -1;
}

/* Copies between a and b until either closes or both are silent for a minute. */
static void pass(int a, int b)
{
	struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	char buf[16384];

	for (;;) {
		int i;

		if (poll(p, 2, 60000) <= 0)
			return;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int ls, one = 1;

	if (argc != 2) {
		fputs("usage: balancer PORTS_FILE\n", stderr);
		return 2;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	signal(SIGCHLD, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 128) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
		perror("balancer");
		return 1;
	}
	printf("ready %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		int pid;

		if (c < 0)
			continue;
		/* A new draw per connection: the parent's generator moves on, each child takes the next number. */
		rand();
		if ((pid = fork()) == 0) {
			int t = pick(argv[1]);

			close(ls);
			if (t >= 0) {
				pass(c, t);
				close(t);
			}
			close(c);
			_exit(0);
		}
		close(c);
	}
}
