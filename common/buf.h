/* buf.h - a growable byte buffer with a hard size cap.
 *
 * Invariants: data is never NULL once initialised (it points at a shared empty string until the first append),
 * data[len] is always '\0', and len never exceeds max. Anything read from a file or the network goes through a
 * buf so that its size is bounded in one place. Appends past the cap or out of memory fail with -1 and leave
 * the buffer as it was; nothing aborts, so servers can refuse one request and go on. */
#ifndef SONDEO_BUF_H
#define SONDEO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t max;   /* hard cap on len */
};

extern char buf_empty[];
#define BUF_INIT(cap) { buf_empty, 0, 0, (cap) }

/* Sets up an empty buffer that may hold at most max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Frees the contents; the buffer is empty and usable again. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Makes room for extra more bytes. 0, or -1 past the cap or on out of memory. */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the contents to the caller, who now owns them (free with free()); the buffer is empty again.
 * Returns a fresh empty string if nothing was added, never NULL unless out of memory. */
char *buf_detach(struct buf *b, size_t *len);
/* Reads a whole file (or stdin for "-") into b, failing with -1 and errno = EFBIG past the cap. */
int buf_read_file(struct buf *b, const char *path);

#endif
