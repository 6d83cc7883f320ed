/* secret.c - non-dumpable processes and secrets read without echo (secret.h). */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "banned.h"

int secret_no_dumps(void)
{
	const char *keep = getenv(SECRET_DUMPS_ENV);

	if (keep && !strcmp(keep, "1"))
		return 0;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

int secret_read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	ssize_t got;
	char c;
	int any = 0;

	for (;;) {
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0 || c == '\n')
			break;
		any = 1;
		if (c == '\0' || n + 1 >= cap) {
			c = 0;
			errno = n + 1 >= cap ? EFBIG : EINVAL;
			return -1;
		}
		buf[n++] = c;
	}
	c = 0;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return any || got == 1 ? 1 : 0;
}

/* The terminal while its echo is off, to be put back however the program ends. */
static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_quiet;

static void tty_restore(void)
{
	if (tty_quiet) {
		tcsetattr(tty_fd, TCSADRAIN, &tty_saved);
		tty_quiet = 0;
	}
}

static void on_signal(int sig)
{
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int secret_ask(const char *prompt, char *buf, size_t cap, size_t *len)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old[4];
	struct termios quiet;
	int r = -1, e, i;

	if ((tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if (tcgetattr(tty_fd, &tty_saved) < 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	/* Echo goes off before the prompt shows, so that nothing typed after seeing it is echoed or lost. */
	tty_quiet = 1;
	if (tcsetattr(tty_fd, TCSADRAIN, &quiet) < 0)
		tty_quiet = 0;
	else if (write(tty_fd, prompt, strlen(prompt)) >= 0)
		r = secret_read_line(tty_fd, buf, cap, len);
	e = errno;
	tty_restore();
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	/* Ctrl-D left the cursor after the prompt. */
	if (r == 0 && write(tty_fd, "\n", 1) < 0)
		r = -1;
	errno = e;
out:
	e = errno;
	close(tty_fd);
	tty_fd = -1;
	errno = e;
	return r;
}
