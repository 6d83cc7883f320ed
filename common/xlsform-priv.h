/* xlsform-priv.h - what the XLSForm reader (xlsform-read.c) and writer (xlsform-write.c) share: the limits a
 * workbook is held to both ways and the language table (xlsform-lang.c). Not for callers: they use xlsform.h. */
#ifndef SONDEO_XLSFORM_PRIV_H
#define SONDEO_XLSFORM_PRIV_H

#include <stddef.h>

#define MAX_HEADERS 256             /* columns of a sheet */
#define MAX_DEPTH 32                /* groups inside groups */

/* A language as XLSForm writes it ("French (fr)", "English", "fr") into its code: the code in parentheses, a
 * known name's code, or the text in lower case; into out[0..n). */
void xlsform_lang_code(const char *in, char *out, size_t n);

/* The header of TEXT column key in language code: "label::French (fr)" for a known language, "label::xx"
 * otherwise; into out[0..n). */
void xlsform_lang_header(const char *key, const char *code, char *out, size_t n);

#endif
