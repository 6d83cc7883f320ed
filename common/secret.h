/* secret.h - keeping secrets out of places others can read: core dumps, ps, echoed terminals.
 *
 * Both programs hold secrets in memory (sondeod its sessions' tokens, passwords being checked, its key; sondeo
 * the device key), so they start non-dumpable. Secrets a person types (passwords, enrolment codes) are read
 * from the terminal without echo, or as one line from a descriptor, never from the command line. */
#ifndef SONDEO_SECRET_H
#define SONDEO_SECRET_H

#include <stddef.h>

/* The environment variable that keeps core dumps (and ptrace by the same user) possible: "1" to debug. */
#define SECRET_DUMPS_ENV "SONDEO_CORE_DUMPS"

/* Makes this process non-dumpable (no core file, /proc/PID/mem and ptrace for root only) unless
 * SONDEO_CORE_DUMPS=1. 0, or -1 with errno when the kernel refuses. */
int secret_no_dumps(void);

/* Reads one line from fd into buf (cap bytes, NUL-terminated) without its end of line ("\n" or "\r\n"), a byte
 * at a time so that nothing after it is taken from a shared input and no stdio buffer keeps a copy. Returns 1
 * with *len set, 0 at the end of input before anything, -1 with errno (EFBIG: longer than cap - 1 bytes, EINVAL:
 * a NUL byte). The caller wipes buf. */
int secret_read_line(int fd, char *buf, size_t cap, size_t *len);

/* Shows prompt on the terminal (/dev/tty) and reads one line there with echo off, as secret_read_line; the
 * terminal is put back however this ends, even on a signal. ENXIO-like errors when there is no terminal. */
int secret_ask(const char *prompt, char *buf, size_t cap, size_t *len);

#endif
