/* xlsxdump.c - a test tool: prints what common/xlsx.c reads of a workbook, one line per non-empty cell
 * ("SHEET!B12\ttext"), so that tests can check the reader against workbooks made by Excel, LibreOffice and
 * libxlsxwriter.
 *
 *   xlsxdump FILE.xlsx      (exit 1 with the reader's message when it refuses the file) */
#include <stdio.h>
#include <string.h>

#include "xlsx.h"

static const char *sheet;

static int print_cell(void *ctx, unsigned row, unsigned col, const char *text)
{
	char name[8];
	const char *p;

	(void)ctx;
	printf("%s!%s%u\t", sheet, xlsx_column_name(col, name), row);
	/* One line per cell: line breaks inside a cell are shown as \n. */
	for (p = text; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	struct xlsx *x;
	size_t i;

	if (argc != 2) {
		fputs("usage: xlsxdump FILE.xlsx\n", stderr);
		return 2;
	}
	if (!(x = xlsx_open(argv[1], err, sizeof(err)))) {
		fprintf(stderr, "xlsxdump: %s\n", err);
		return 1;
	}
	for (i = 0; i < xlsx_sheet_count(x); i++) {
		sheet = xlsx_sheet_name(x, i);
		if (xlsx_cells(x, i, print_cell, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "xlsxdump: sheet '%s': %s\n", sheet, err);
			xlsx_close(x);
			return 1;
		}
	}
	xlsx_close(x);
	return 0;
}
