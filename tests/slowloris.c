/* slowloris.c - a test tool: opens a connection to 127.0.0.1:PORT and trickles a request's header bytes, one
 * every INTERVAL_MS, for at most SECONDS; prints "dropped after N s" when the server closes the connection, or
 * "still open after N s".
 *
 *   slowloris PORT INTERVAL_MS SECONDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct sockaddr_in a;
	struct timespec start, now, pause;
	long interval, seconds;
	size_t i;
	int fd;

	if (argc != 4)
		return 2;
	interval = atol(argv[2]);
	seconds = atol(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("slowloris");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	pause.tv_sec = interval / 1000;
	pause.tv_nsec = (interval % 1000) * 1000000;
	for (i = 0;; i = (i + 1) % (sizeof(req) - 1)) {
		char c;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= seconds) {
			printf("still open after %ld s\n", (long)(now.tv_sec - start.tv_sec));
			return 0;
		}
		/* A closed connection shows as a failed send, or as end of file on a read that does not block. */
		if (send(fd, &req[i], 1, MSG_NOSIGNAL) != 1 || recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
			printf("dropped after %ld s\n", (long)(now.tv_sec - start.tv_sec));
			return 0;
		}
		nanosleep(&pause, NULL);
	}
}
