/* xlsform.h - forms from XLSForm workbooks (.xlsx), as ODK and KoboToolbox users write them, turned into
 * Sondeo's form definition (docs/forms.md) so that everything after the import is the same as for a JSON form.
 *
 * Read: the survey, choices and settings sheets (any case; a workbook with one sheet of another name is the
 * survey), column headers in any case with a language after "::" or ":" (`label::French (fr)` is French,
 * code fr), the columns Sondeo knows (others are ignored, as XLSForm tools do), begin/end group (a relevant on
 * a group applies to every question in it). What Sondeo cannot take is refused with a message naming the sheet,
 * row and column; nothing is half-imported, since the caller installs the definition only once it is whole. */
#ifndef SONDEO_XLSFORM_H
#define SONDEO_XLSFORM_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* The size of an error buffer that holds a refused workbook's problems (the first ones, and how many more). */
#define XLSFORM_ERR_MAX 8192

/* Converts the workbook in data[0..len) into a form definition (JSON text, appended to out). fallback_id names
 * the form when the settings sheet does not (the file's name, as XLSForm tools do). 0, or -1 with err: every
 * problem of the rows, a line each with its sheet, row and column ("3 problems:\n  sheet 'survey', row 4..."), or
 * the one problem. The definition is then checked by form_load, whose error comes back with the row it is
 * about. */
int xlsform_convert(const void *data, size_t len, const char *fallback_id, struct buf *out, char *err,
		    size_t errlen);

/* Reads a form file: a JSON definition as it is, or an .xlsx workbook (known by its zip signature) converted,
 * into out. Messages name the file. 0, or -1 with err. */
int xlsform_read_file(const char *path, struct buf *out, char *err, size_t errlen);

/* Writes the form definition def (as form_load accepts it) as an XLSForm workbook at path: survey, choices
 * (one list per select question, named after it) and settings sheets, a column per language of each text
 * ("label::French (fr)"). The file is complete or not there: written beside it and renamed. Importing it gives
 * the same definition back. 0, or -1 with err. */
int xlsform_write(const json_t *def, const char *path, char *err, size_t errlen);

#endif
