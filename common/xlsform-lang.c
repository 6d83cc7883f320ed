/* xlsform-lang.c - the languages of XLSForm column headers ("label::French (fr)"), both ways: the reader turns a
 * header's language into its code, the writer a code into the header a person reads. One table for both, so a
 * workbook Sondeo writes reads back with the same codes. */
#include "xlsform-priv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "banned.h"

static const struct {
	const char *name, *code;
} languages[] = {
	{ "english", "en" }, { "french", "fr" }, { "spanish", "es" }, { "portuguese", "pt" }, { "arabic", "ar" },
	{ "chinese", "zh" }, { "swahili", "sw" }, { "russian", "ru" }, { "german", "de" }, { "italian", "it" },
	{ "amharic", "am" }, { "hindi", "hi" }, { "somali", "so" }, { "tigrinya", "ti" }, { "dutch", "nl" },
};

/* A language as XLSForm writes it ("French (fr)", "English", "fr") into its code: the code in parentheses, a
 * known name's code, or the text in lower case. */
void xlsform_lang_code(const char *in, char *out, size_t n)
{
	const char *open = strrchr(in, '('), *close = open ? strchr(open, ')') : NULL;
	char low[48];
	size_t i, k = 0;

	if (open && close && close > open + 1) {
		for (i = 1; open + i < close && k + 1 < n; i++)
			if (!isspace((unsigned char)open[i]))
				out[k++] = (char)tolower((unsigned char)open[i]);
		out[k] = '\0';
		return;
	}
	for (i = 0; in[i] && k + 1 < sizeof(low); i++)
		if (!isspace((unsigned char)in[i]) || (k && in[i + 1] && !isspace((unsigned char)in[i + 1])))
			low[k++] = (char)tolower((unsigned char)in[i]);
	low[k] = '\0';
	for (i = 0; i < sizeof(languages) / sizeof(languages[0]); i++) {
		if (!strcmp(low, languages[i].name)) {
			strlcpy_s(out, languages[i].code, n);
			return;
		}
	}
	strlcpy_s(out, low, n);
}

/* "French (fr)" for a known language, the code otherwise. */
void xlsform_lang_name(const char *code, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(languages) / sizeof(languages[0]); i++) {
		if (!strcmp(languages[i].code, code)) {
			snprintf(out, n, "%c%s (%s)", toupper((unsigned char)languages[i].name[0]), languages[i].name + 1,
				 code);
			return;
		}
	}
	snprintf(out, n, "%s", code);
}

/* "label::French (fr)" for a known language, "label::xx" otherwise. */
void xlsform_lang_header(const char *key, const char *code, char *out, size_t n)
{
	char name[64];

	xlsform_lang_name(code, name, sizeof(name));
	snprintf(out, n, "%s::%s", key, name);
}

void xlsform_range_constraint(const double v[3], int decimal, const char *own, char *out, size_t n)
{
	size_t len;

	snprintf(out, n, "%s. >= %.15g and . <= %.15g", own ? "(" : "", v[0] < v[1] ? v[0] : v[1], v[0] < v[1] ? v[1] : v[0]);
	/* whole steps only: a fraction's remainder is not exact in binary */
	len = strlen(out);
	if (!decimal && v[2] != 1 && len < n)
		snprintf(out + len, n - len, " and (. - %.15g) mod %.15g = 0", v[0], v[2]);
	len = strlen(out);
	if (own && len < n)
		snprintf(out + len, n - len, ") and (%s)", own);
}
