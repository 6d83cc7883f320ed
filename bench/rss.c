/* rss.c - runs one command and reports its wall time and peak resident set size, for bench/run.sh.
 *
 *   rss [-i IN] [-o OUT] [-e ERR] CMD [ARG]...
 *
 * The command's standard input, output and error are redirected to IN, OUT and ERR when given (OUT and ERR
 * are created or truncated). When the command has finished, one line goes to rss's standard output:
 *
 *   SECONDS MAXRSS_KB STATUS
 *
 * SECONDS is the wall time from just before fork() to just after wait4() returned (CLOCK_MONOTONIC), MAXRSS_KB
 * is ru_maxrss of the child as wait4() reports it (kilobytes on Linux), STATUS is the exit status, or 128 + the
 * signal number if the command was killed. rss itself exits 0 once it has reported, 2 on a usage or system
 * error; a command that cannot be executed exits 127 in the child, as a shell would. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void redirect(const char *path, int fd, int flags)
{
	int f = open(path, flags, 0644);

	if (f < 0) {
		fprintf(stderr, "rss: cannot open '%s': %s\n", path, strerror(errno));
		_exit(127);
	}
	if (f != fd) {
		if (dup2(f, fd) < 0)
			_exit(127);
		close(f);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *err = NULL;
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int c, status;

	while ((c = getopt(argc, argv, "+i:o:e:")) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		default:
			fputs("usage: rss [-i IN] [-o OUT] [-e ERR] CMD [ARG]...\n", stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs("usage: rss [-i IN] [-o OUT] [-e ERR] CMD [ARG]...\n", stderr);
		return 2;
	}
	fflush(stdout);
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("rss: fork");
		return 2;
	}
	if (pid == 0) {
		if (in)
			redirect(in, STDIN_FILENO, O_RDONLY);
		if (out)
			redirect(out, STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
		if (err)
			redirect(err, STDERR_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "rss: cannot run '%s': %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rss: wait4");
			return 2;
		}
	}
	t1 = now();
	printf("%.6f %ld %d\n", t1 - t0, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255);
	return fflush(stdout) == 0 ? 0 : 2;
}
