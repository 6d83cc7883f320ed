/* ptyrun.c - drives an interactive program through a real pseudo-terminal, following a small expect script.
 *
 * usage: ptyrun [-v] [-t SECONDS] SCRIPT -- COMMAND [ARGS...]     (SCRIPT "-" reads the script from stdin)
 *   expect TEXT   wait until the output since the last match holds TEXT (ANSI escape sequences are skipped)
 *   send [TEXT]   type TEXT and press Enter          sendraw TEXT   write TEXT with \r \n \t \e \\ \xHH decoded
 *   sleep MS      signal INT|TERM|KILL|HUP           exit N | exit signal   wait for the child and check how it ended
 * Lines starting with # and blank lines are ignored. A script without `exit` ends as if with `exit 0`.
 * Remember that the terminal echoes what is sent: expect text the program prints, not the text just typed. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum op { EXPECT, SEND, SLEEP, SIGNAL, EXIT };

struct step {
	enum op op;
	int lineno;
	char *line;       /* the script line, for messages */
	char *data;       /* EXPECT text or SEND bytes */
	size_t len;
	long num;         /* SLEEP ms, SIGNAL number, EXIT status (-1: by a signal) */
};

static pid_t child;
static int master = -1, verbose, child_done, child_status, pty_eof;
static double timeout_s = 10;
static char tail[2000];             /* the last raw output, for failure reports */
static size_t tail_len;
static char *seen;                  /* output since the last match, escape sequences removed */
static size_t seen_len, seen_cap;
static size_t searched;             /* seen[0..searched) holds no match for the current expect */
static struct step *steps;          /* static, so the leak checker sees it in use until the end */
static int esc_state;               /* 0 text, 1 after ESC, 2 in CSI, 3 in OSC/DCS, 4 ESC inside OSC */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void seen_add(char c)
{
	if (seen_len == seen_cap) {
		if (seen_cap >= (1 << 20)) {
			/* Everything here was already searched; keep a tail so a match across reads still works. */
			memmove(seen, seen + seen_len / 2, seen_len - seen_len / 2);
			searched = searched > seen_len / 2 ? searched - seen_len / 2 : 0;
			seen_len -= seen_len / 2;
		} else {
			seen_cap = seen_cap ? seen_cap * 2 : 4096;
			if (!(seen = realloc(seen, seen_cap))) {
				fputs("ptyrun: out of memory\n", stderr);
				exit(2);
			}
		}
	}
	seen[seen_len++] = c;
}

/* Takes in what the child wrote: keeps the raw tail and the text with escape sequences stripped. */
static void feed(const char *b, size_t n)
{
	size_t i, keep = n < sizeof(tail) ? n : sizeof(tail), drop;

	if (verbose) {
		fwrite(b, 1, n, stdout);
		fflush(stdout);
	}
	if (tail_len + keep > sizeof(tail)) {
		drop = tail_len + keep - sizeof(tail);
		memmove(tail, tail + drop, tail_len - drop);
		tail_len -= drop;
	}
	memcpy(tail + tail_len, b + n - keep, keep);
	tail_len += keep;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		switch (esc_state) {
		case 0: if (c == 0x1b) esc_state = 1; else seen_add((char)c); break;
		case 1: esc_state = c == '[' ? 2 : c == ']' || c == 'P' || c == '_' || c == '^' ? 3 :
				    c >= 0x20 && c <= 0x2f ? 1 : 0; break;
		case 2: if (c >= 0x40 && c <= 0x7e) esc_state = 0; break;
		case 3: esc_state = c == 0x07 ? 0 : c == 0x1b ? 4 : 3; break;
		default: esc_state = c == '\\' ? 0 : 3; break;
		}
	}
}

/* Waits up to ms for output, then reads what there is (a bounded amount, so that a program that never stops
 * writing cannot keep us from checking the time). At EOF (EIO once the child's side is closed) only sleeps. */
static void pump(long ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	char b[4096];
	ssize_t n;
	int reads = 0;

	if (ms < 0)
		ms = 0;
	if (pty_eof) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		return;
	}
	if (poll(&p, 1, (int)ms) <= 0)
		return;
	while (reads++ < 16) {
		n = read(master, b, sizeof(b));
		if (n > 0)
			feed(b, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else {
			pty_eof = 1;
			return;
		}
	}
}

static void reap(void)
{
	int st;

	if (!child_done && waitpid(child, &st, WNOHANG) == child) {
		child_done = 1;
		child_status = st;
	}
}

static int fail(const struct step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct step *s, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (s->lineno)
		fprintf(stderr, "ptyrun: script line %d failed: %s\nptyrun: ", s->lineno, s->line);
	else
		fprintf(stderr, "ptyrun: at the end of the script (an implicit `exit 0`): ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n--- last %zu bytes of output ---\n", tail_len);
	for (i = 0; i < tail_len; i++) {
		unsigned char c = (unsigned char)tail[i];

		if (c == '\n')
			fputs("\\n\n", stderr);
		else if (c == '\r')
			fputs("\\r", stderr);
		else if (c == 0x1b)
			fputs("\\e", stderr);
		else if (c == '\\')
			fputs("\\\\", stderr);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	if (tail_len && tail[tail_len - 1] != '\n')
		fputc('\n', stderr);
	fputs("--- end of output ---\n", stderr);
	return -1;
}

static int find(const char *text, size_t len)
{
	size_t i;

	for (i = searched; i + len <= seen_len; i++) {
		if (!memcmp(seen + i, text, len)) {
			memmove(seen, seen + i + len, seen_len - i - len);
			seen_len -= i + len;
			searched = 0;
			return 1;
		}
	}
	searched = i;
	return 0;
}

static const char *how_ended(void)
{
	static char msg[80];

	if (!child_done)
		return "still running";
	if (WIFEXITED(child_status))
		snprintf(msg, sizeof(msg), "exited with status %d", WEXITSTATUS(child_status));
	else
		snprintf(msg, sizeof(msg), "killed by signal %d (%s)", WTERMSIG(child_status),
			 strsignal(WTERMSIG(child_status)));
	return msg;
}

static int run_step(const struct step *s)
{
	long deadline = now_ms() + (long)(timeout_s * 1000), left;
	size_t off = 0;
	ssize_t n;

	switch (s->op) {
	case EXPECT:
		while (!find(s->data, s->len)) {
			if (pty_eof) {
				while (!child_done && now_ms() < deadline) {
					reap();
					pump(10);
				}
				return fail(s, "output ended without \"%s\" (child %s)", s->data, how_ended());
			}
			if ((left = deadline - now_ms()) <= 0)
				return fail(s, "timed out after %gs waiting for \"%s\"", timeout_s, s->data);
			pump(left);
		}
		return 0;
	case SEND:
		while (off < s->len) {
			n = write(master, s->data + off, s->len - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno == EAGAIN && now_ms() < deadline)
				pump(20);   /* the child is not reading: drain its output meanwhile */
			else if (!(n < 0 && errno == EINTR))
				return fail(s, "cannot write to the terminal: %s", n < 0 ? strerror(errno) : "no progress");
		}
		return 0;
	case SLEEP:
		for (deadline = now_ms() + s->num; (left = deadline - now_ms()) > 0;)
			pump(left);
		return 0;
	case SIGNAL:
		reap();
		if (child_done || kill(child, (int)s->num) < 0)
			return fail(s, "cannot signal the child (%s)", how_ended());
		return 0;
	case EXIT:
		for (reap(); !child_done; reap()) {
			if ((left = deadline - now_ms()) <= 0)
				return fail(s, "timed out after %gs waiting for the child to exit", timeout_s);
			pump(left < 20 ? left : 20);
		}
		pump(0);
		if (s->num < 0 ? WIFSIGNALED(child_status) :
		    WIFEXITED(child_status) && WEXITSTATUS(child_status) == s->num)
			return 0;
		if (s->num < 0)
			return fail(s, "child %s, expected it to die by a signal", how_ended());
		return fail(s, "child %s, expected exit status %ld", how_ended(), s->num);
	}
	return -1;
}

/* Decodes \r \n \t \e \\ \xHH in place; returns the length, or -1 on an unknown escape. */
static long unescape(char *s)
{
	static const char from[] = "rnte\\", to[] = "\r\n\t\033\\";
	char *w = s, *r, *p, hex[3] = { 0 };

	for (r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
		} else if (r[1] == 'x' && isxdigit((unsigned char)r[2]) && isxdigit((unsigned char)r[3])) {
			memcpy(hex, r + 2, 2);
			*w++ = (char)strtol(hex, NULL, 16);
			r += 3;
		} else if (r[1] && (p = strchr(from, r[1]))) {
			*w++ = to[p - from];
			r++;
		} else {
			return -1;
		}
	}
	return w - s;
}

static int parse_line(struct step *s, char *line)
{
	static const char *const names[] = { "INT", "TERM", "KILL", "HUP" };
	static const int sigs[] = { SIGINT, SIGTERM, SIGKILL, SIGHUP };
	char *arg = strchr(line, ' '), *end;
	long v;
	int i;

	if (arg)
		*arg++ = '\0';
	s->data = arg ? arg : line + strlen(line);
	s->len = strlen(s->data);
	v = strtol(s->data, &end, 10);
	if (!strcmp(line, "expect")) {
		s->op = EXPECT;
		return s->len ? 0 : -1;
	} else if (!strcmp(line, "send")) {
		s->op = SEND;
		memcpy(s->data + s->len++, "\r", 2);   /* load() left a spare byte for this */
		return 0;
	} else if (!strcmp(line, "sendraw")) {
		s->op = SEND;
		v = unescape(s->data);
		s->len = v > 0 ? (size_t)v : 0;
		return v > 0 ? 0 : -1;
	} else if (!strcmp(line, "sleep")) {
		s->op = SLEEP;
		s->num = v;
		return *s->data && !*end && v >= 0 ? 0 : -1;
	} else if (!strcmp(line, "signal")) {
		s->op = SIGNAL;
		for (i = 0; i < 4; i++)
			if (!strcmp(s->data + (strncmp(s->data, "SIG", 3) ? 0 : 3), names[i]))
				s->num = sigs[i];
		return s->num ? 0 : -1;
	} else if (!strcmp(line, "exit")) {
		s->op = EXIT;
		s->num = strcmp(s->data, "signal") ? v : -1;
		return !strcmp(s->data, "signal") || (*s->data && !*end && v >= 0 && v <= 255) ? 0 : -1;
	}
	return -1;
}

/* Reads the whole script first, so that a typo fails before anything runs. */
static struct step *load(const char *path, size_t *nsteps)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *p;
	size_t cap = 0, n = 0;
	ssize_t len;
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "ptyrun: cannot open '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p || *p == '#')
			continue;
		if (!(steps = realloc(steps, (n + 1) * sizeof(*steps))) || !(p = malloc((size_t)len + 2))) {
			fputs("ptyrun: out of memory\n", stderr);
			exit(2);
		}
		memset(&steps[n], 0, sizeof(*steps));
		steps[n].lineno = lineno;
		steps[n].line = strdup(line);
		memcpy(p, line, (size_t)len + 1);
		if (!steps[n].line || parse_line(&steps[n], p) < 0) {
			fprintf(stderr, "ptyrun: %s:%d: cannot understand: %s\n", path, lineno, line);
			exit(2);
		}
		n++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	*nsteps = n;
	return steps;
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	struct step end_step = { .op = EXIT, .line = "" };
	size_t nsteps, i;
	int c, exited = 0;

	while ((c = getopt(argc, argv, "+vt:")) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == 't' && (timeout_s = strtod(optarg, NULL)) > 0)
			continue;
		else
			goto usage;
	}
	if (argc - optind < 3 || strcmp(argv[optind + 1], "--"))
		goto usage;
	steps = load(argv[optind], &nsteps);
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL);
	child = forkpty(&master, NULL, NULL, &ws);
	if (child < 0) {
		perror("ptyrun: forkpty");
		return 2;
	}
	if (child == 0) {
		/* Start the program as a terminal would: default signal handling (we may have been started with
		 * SIGINT ignored, as background jobs are) and nothing blocked. */
		static const int sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
		sigset_t none;

		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("TERM", "xterm", 0);
		execvp(argv[optind + 2], argv + optind + 2);
		fprintf(stderr, "ptyrun: cannot run '%s': %s\n", argv[optind + 2], strerror(errno));
		_exit(127);
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	for (i = 0; i <= nsteps; i++) {
		const struct step *s = i < nsteps ? &steps[i] : exited ? NULL : &end_step;

		if (s && run_step(s) < 0) {
			if (!child_done) {
				kill(-child, SIGKILL);   /* the child leads its own session: take its helpers too */
				kill(child, SIGKILL);
				waitpid(child, NULL, 0);
			}
			return 1;
		}
		exited |= s && s->op == EXIT;
	}
	close(master);
	return 0;
usage:
	fputs("usage: ptyrun [-v] [-t SECONDS] SCRIPT -- COMMAND [ARGS...]\n", stderr);
	return 2;
}
