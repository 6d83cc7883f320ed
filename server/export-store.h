/* export-store.h - the server's records through the exporter (common/export.h): what `sondeod export` and
 * GET /v1/export write. */
#ifndef SONDEO_EXPORT_STORE_H
#define SONDEO_EXPORT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

struct sstore;
struct sstore_filter;

/* Writes the records of the selection f (resolved) of the server's store s to path, as export_open does,
 * oldest first, streaming: *count gets the number of records written (export_count). On failure the file is
 * removed and err says why. */
int export_selection(struct sstore *s, const struct sstore_filter *f, const char *path, enum export_format fmt,
		     const struct export_opts *o, uint64_t *count, char *err, size_t errlen);

#endif
