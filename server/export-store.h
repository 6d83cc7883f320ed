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

/* The links of an export's attachments to this server (export_opts.link, with a struct export_server_links as its
 * context): base then /v1/attachment?blake2b=HEX&name=NAME, for the files held whole; the others have none. */
struct export_server_links {
	struct sstore *s;
	const char *base;   /* "https://hq.example.org", or "" for links from the server's root */
};
int export_link_server(void *ctx, const struct export_record *r, const json_t *a, struct buf *out);

struct zipstream;
/* An export "with attachments", as ODK Central's: a ZIP of the selection f (resolved) in format fmt as FORM.EXT,
 * then, unless o->repeat names one repeat or fmt is GeoJSON, each repeat's instances as FORM-REPEAT.EXT; then the
 * files their answers name that this server holds whole, as media/RECORD/NAME, NAME the file's own (two files of
 * a record under one name become "NAME (2).EXT"). Each attachment question is followed by its column of links,
 * which here are those paths. The tables are written now, deflated into private files in dir (unlinked at
 * once); the attachments are read when the archive is (zipstream_read). *records gets the records of the main
 * table, *files the attachments. NULL with err. */
struct zipstream *export_zip(struct sstore *s, const struct sstore_filter *f, enum export_format fmt,
			     const struct export_opts *o, const char *dir, uint64_t *records, uint64_t *files, char *err,
			     size_t errlen);

#endif
