/* fuzz_xlsform.c - libFuzzer target for the workbook reader and the XLSForm conversion (common/xlsx.c,
 * common/xlsform-read.c): each input is taken as an .xlsx file, as `sondeo form import` takes one. Whatever the bytes,
 * the conversion must end with a form that form_load accepts, or an error message, within the reader's bounds;
 * anything else (a crash, a sanitizer report, an accepted form that does not load, an empty message) aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "xlsform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT((size_t)16 << 20);
	char err[600] = "";

	if (xlsform_convert(data, size, "fuzz", &out, err, sizeof(err)) == 0) {
		struct form *f = form_load(out.data, out.len, err, sizeof(err));

		if (!f) {
			fprintf(stderr, "converted, but the form does not load: %s\n", err);
			abort();
		}
		form_free(f);
	} else if (!err[0]) {
		fprintf(stderr, "refused without a message\n");
		abort();
	}
	buf_release(&out);
	return 0;
}
