/* rawcopy.c - the baseline of bench/media.sh: files copied over TCP to a receiver that keeps them durably, with
 * nothing else around the bytes (no HTTP, no signature, no hash, no chunks).
 *
 *   rawcopy recv DIR             listens on a free loopback port, prints "ready PORT", then takes connections one
 *                                at a time until SIGTERM: each one's bytes, up to its end, go into a new file
 *                                DIR/N (N = 1, 2, ...), which is fsync'ed and closed before one byte ("k") is
 *                                sent back and the connection closed.
 *   rawcopy send PORT FILE...    for each FILE in turn: connects to 127.0.0.1:PORT, sends the file's bytes, ends
 *                                its side (shutdown), and waits for the receiver's byte; so the copy is timed
 *                                until each file is on the receiver's disk, as a server's answer to the last
 *                                chunk of an upload says it is.
 * Exit status: 0; 1 when a file was not acknowledged; 2 on a usage or system error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (1024 * 1024)

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_files(const char *dir)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	char *buf = malloc(BUF), path[4096];
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	unsigned long n = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!buf || ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 16) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
		perror("rawcopy recv");
		return 2;
	}
	printf("ready %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL), f;
		ssize_t r;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("rawcopy recv: accept");
			return 2;
		}
		snprintf(path, sizeof path, "%s/%lu", dir, ++n);
		if ((f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
			perror(path);
			return 2;
		}
		while ((r = read(c, buf, BUF)) > 0 || (r < 0 && errno == EINTR))
			if (r > 0 && write_all(f, buf, (size_t)r) < 0) {
				perror(path);
				return 2;
			}
		if (r < 0 || fsync(f) < 0 || close(f) < 0) {
			perror(path);
			return 2;
		}
		/* Only now is the file kept: the sender's clock stops on this byte. */
		if (write_all(c, "k", 1) < 0)
			perror("rawcopy recv: the acknowledgement");
		close(c);
	}
}

static int send_file(int port, const char *path, char *buf)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM, 0), f = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;
	char ack = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || f < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror(path);
		return 2;
	}
	while ((r = read(f, buf, BUF)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0 && write_all(s, buf, (size_t)r) < 0) {
			perror("rawcopy send");
			return 1;
		}
	if (r < 0) {
		perror(path);
		return 2;
	}
	close(f);
	if (shutdown(s, SHUT_WR) < 0 || read(s, &ack, 1) != 1 || ack != 'k') {
		fprintf(stderr, "rawcopy send: %s was not acknowledged\n", path);
		return 1;
	}
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "recv"))
		return recv_files(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "send")) {
		char *buf = malloc(BUF);
		int port = atoi(argv[2]), i, rc;

		if (!buf || port <= 0) {
			fprintf(stderr, "rawcopy send: a port, then files\n");
			return 2;
		}
		for (i = 3; i < argc; i++)
			if ((rc = send_file(port, argv[i], buf)) != 0)
				return rc;
		return 0;
	}
	fprintf(stderr, "usage: rawcopy recv DIR | rawcopy send PORT FILE...\n");
	return 2;
}
