/* xlsx.h - the cells of an .xlsx workbook (Office Open XML), as XLSForm import needs them: sheet names, and
 * each sheet's non-empty cells as text.
 *
 * The workbook is a zip of XML parts, read with libzip and expat. Everything is bounded before it is trusted:
 * the file's size, each part's inflated size (read with a cap, whatever the zip's directory claims), the
 * number of sheets, strings and cells; XML with a document type declaration (where entities would be declared)
 * is refused. Cell text is what a person sees: shared and inline strings as written, booleans TRUE/FALSE,
 * numbers without a useless ".0", and numbers in a date or time format (Excel serials, 1900 or 1904 based) as
 * YYYY-MM-DD, HH:MM:SS or YYYY-MM-DDTHH:MM:SS. Errors name the part and what is wrong. */
#ifndef SONDEO_XLSX_H
#define SONDEO_XLSX_H

#include <stddef.h>

#define XLSX_MAX_FILE ((size_t)32 << 20)    /* bytes of the .xlsx */
#define XLSX_MAX_PART ((size_t)32 << 20)    /* bytes of one part once inflated */
#define XLSX_MAX_TOTAL ((size_t)96 << 20)   /* bytes inflated in all, over every part read */
#define XLSX_MAX_SHEETS 64
#define XLSX_MAX_STRINGS 1000000            /* shared strings */
#define XLSX_MAX_CELL 65536                 /* bytes of one cell's text */
#define XLSX_MAX_ROW 1048576                /* rows and columns a cell may be in: Excel's own limits */
#define XLSX_MAX_COL 16384

struct xlsx;

/* Reads the workbook in data[0..len) (copied): its sheets, shared strings and date formats. NULL with err. */
struct xlsx *xlsx_open_mem(const void *data, size_t len, char *err, size_t errlen);
/* The same from a file (at most XLSX_MAX_FILE bytes). */
struct xlsx *xlsx_open(const char *path, char *err, size_t errlen);
void xlsx_close(struct xlsx *x);

size_t xlsx_sheet_count(const struct xlsx *x);
/* The name of sheet i, as shown on its tab (borrowed). */
const char *xlsx_sheet_name(const struct xlsx *x, size_t i);

/* Calls fn for each non-empty cell of sheet i in the order of the sheet (row by row, left to right), with its
 * row and column counted from 1 and its text (valid during the call). A non-zero return from fn stops, and is
 * returned. -1 with err when the sheet cannot be read. */
typedef int (*xlsx_cell_fn)(void *ctx, unsigned row, unsigned col, const char *text);
int xlsx_cells(struct xlsx *x, size_t i, xlsx_cell_fn fn, void *ctx, char *err, size_t errlen);

/* "A", "B", ... "AA" for column col (from 1), into out (at least 8 bytes). */
const char *xlsx_column_name(unsigned col, char *out);

#endif
