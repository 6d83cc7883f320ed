/* zipstream.h - a ZIP archive (PKWARE's APPNOTE 6.3) of files already on disk, laid out in advance and read
 * out in order: the "with attachments" exports, whose HTTP answer starts at once, with its length, while the
 * files are still to be read, and whose memory does not grow with their bytes.
 *
 * libzip, which reads workbooks (xlsx.h), writes only to a file it can seek back into; an answer on a socket
 * cannot be. Here every entry's size is known before the first byte goes: an entry whose CRC-32 is known too
 * (the export's data, deflated beforehand) carries it in its header; a file's CRC-32 is worked out while it is
 * read out and written after its bytes (a data descriptor), so each file is read once. ZIP64 records are
 * written where a size, an offset or the number of entries needs them, and only there. Names are UTF-8 (flag
 * 11).
 *
 * The archive is read with zipstream_read from 0 to zipstream_size in order (as an HTTP answer or a file is
 * written): a file's descriptor and the central directory need the CRC-32s of the bytes read before them. */
#ifndef SONDEO_ZIPSTREAM_H
#define SONDEO_ZIPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define ZIPSTREAM_NAME_MAX 1024   /* bytes of an entry's name */

struct zipstream;

/* An empty archive whose entries are dated when (local time, as ZIP's dates are). NULL when out of memory. */
struct zipstream *zipstream_new(time_t when);
/* Adds path's size bytes, stored as they are (photos, recordings and most office files gain nothing from
 * deflate), to be read when the archive reaches them. The file must still hold size bytes then, else the read
 * fails. Names must differ: the caller sees to it. 0, or -1 with err (a name empty or too long). */
int zipstream_add_file(struct zipstream *z, const char *name, const char *path, uint64_t size, char *err,
		       size_t errlen);
/* Adds the whole of the file open at fd (positioned anywhere; read with pread), deflated now into a private
 * temporary file in dir, which is unlinked at once. fd stays the caller's. 0, or -1 with err. */
int zipstream_add_deflated(struct zipstream *z, const char *name, int fd, const char *dir, char *err,
			   size_t errlen);
/* The archive's length in bytes, and its entries. */
uint64_t zipstream_size(const struct zipstream *z);
size_t zipstream_count(const struct zipstream *z);
/* Up to max bytes of the archive from pos into buf: how many (0 at the end), or -1 with zipstream_error() set
 * (a file gone or shorter than it was, a read error, pos not where the last read ended). */
ssize_t zipstream_read(struct zipstream *z, uint64_t pos, void *buf, size_t max);
/* What the last failed read met (static to z). */
const char *zipstream_error(const struct zipstream *z);
/* Writes the whole archive to fd: 0, or -1 with err. */
int zipstream_write(struct zipstream *z, int fd, char *err, size_t errlen);
/* Closes what z holds open and frees it. NULL is fine. */
void zipstream_free(struct zipstream *z);

#endif
