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

/* A language's name as XLSForm writes it in headers and default_language: "French (fr)" for a known language, the
 * code otherwise; into out[0..n). */
void xlsform_lang_name(const char *code, char *out, size_t n);

/* The header of TEXT column key in language code: "label::French (fr)" for a known language, "label::xx"
 * otherwise; into out[0..n). */
void xlsform_lang_header(const char *key, const char *code, char *out, size_t n);

/* The constraint a range question (from start v[0] to end v[1] by step v[2]) is read with, ANDed with the row's own
 * constraint own (NULL: none): "(. >= 1 and . <= 5) and (own)". The reader writes it, and the writer, which must
 * give back the row's own constraint alone, recognises it (xlsform-lang.c). Into out[0..n). */
void xlsform_range_constraint(const double v[3], int decimal, const char *own, char *out, size_t n);

#endif
