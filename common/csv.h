/* csv.h - CSV as RFC 4180 says: reading rows from a buffer with their line numbers, and writing fields.
 *
 * Reading accepts CRLF or LF line ends, quoted fields with "" escapes and embedded line breaks, and a leading
 * UTF-8 byte order mark (as spreadsheets write). It refuses a quote inside an unquoted field, text after a
 * closing quote, an unterminated quote, and (through the caller's max) rows with too many fields. */
#ifndef SONDEO_CSV_H
#define SONDEO_CSV_H

#include <stddef.h>

#include "buf.h"

struct csv_reader;

/* Reads from data[0..len), which must outlive the reader. Caller frees with csv_free(). */
struct csv_reader *csv_open(const char *data, size_t len);
void csv_free(struct csv_reader *r);
/* Reads the next row. Returns 1 with *fields (n strings, NUL-terminated, owned by the reader and valid until
 * the next call) and *n set; 0 at the end; -1 on malformed input with a message naming the line in err.
 * A completely empty line is skipped. */
int csv_next(struct csv_reader *r, char ***fields, size_t *n, char *err, size_t errlen);
/* The line number (from 1) on which the row last returned by csv_next started. */
size_t csv_line(const struct csv_reader *r);

/* Appends s as one field, quoted when it holds a comma, quote, CR or LF (or starts/ends with a space, or starts
 * with a byte order mark). */
int csv_write_field(struct buf *b, const char *s);
/* The same for text people typed, which a spreadsheet must show rather than run: a text it could take for a
 * formula (starting with = + - @, a tab or a CR) is written after an apostrophe, as is one that starts with an
 * apostrophe before such a character or another apostrophe, so that csv_unguard gives every text back. */
int csv_write_text(struct buf *b, const char *s);
/* A field as csv_write_text wrote it, without the apostrophe it added (a pointer into s). */
const char *csv_unguard(const char *s);

#endif
