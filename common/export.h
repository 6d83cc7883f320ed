/* export.h - exports of a form's records as CSV, XLSX, JSON or GeoJSON, written record by record: the one
 * exporter of both tiers (`sondeo export` on the laptop, `sondeod export` and GET /v1/export on a server), so
 * that the same records give the same columns and values wherever they are exported.
 *
 * Each tier's store feeds it: the caller pushes records one at a time (export_add), in the order it wants
 * them, and nothing of a record is kept once it is written, so memory stays flat whatever the number of
 * records (XLSX rows go through libxlsxwriter's constant_memory mode, into temporary files beside the export).
 *
 * Columns: `_id` (with a repeat, `_parent` after it), one per question of the form (notes left out) in form
 * order, then `_form_version`, `_status` ("final", or "deleted"), `_created`, `_updated` (ISO 8601 UTC,
 * "2026-10-03T14:20:05Z"), `_conflicts`, `_region`, `_review`, `_review_comment`. Some questions are followed
 * by columns of their own, named QUESTION/PART: with choice_columns, a select_multiple or rank by one per choice
 * (QUESTION/CHOICE: 1 or 0, for a rank the choice's place; empty when the question has no answer); an osm
 * question by QUESTION/feature and QUESTION/TAG for each of its tags; a geopoint by QUESTION/latitude,
 * QUESTION/longitude, QUESTION/altitude and QUESTION/accuracy (each as written in the answer "lat lon [alt [acc]]",
 * empty when the answer lacks it, all four empty when it is no location within range), as ODK Central's and
 * KoboToolbox's exports split it; with export_opts.link, an attachment by QUESTION/url, its link.
 * Answers are written as people and spreadsheets read them: strings bare, numbers as their canonical JSON
 * text (common/jsonc.h), select_multiple and rank as their choice names separated by spaces, an attachment as its
 * file's name.
 *
 * - CSV: RFC 4180, UTF-8 without a byte order mark, CRLF line ends, a header row of the columns' names. A text
 *   cell that starts with = + - @, a tab or a CR gets a leading apostrophe, so that a spreadsheet does not run
 *   it as a formula (numbers, and geopoints made only of numbers, are left as they are).
 * - XLSX: sheet "data" with two header rows, both frozen: in bold, the question labels in opts->lang (a column
 *   of its own "QUESTION LABEL/CHOICE LABEL", ".../TAG LABEL", ".../latitude", ".../link"); under them the
 *   columns' names as in CSV, for scripts (pandas' read_excel(header=1)), with the autofilter. Integer and
 *   decimal answers, a geopoint's parts and the 0/1 choice columns as numbers, date answers as dates
 *   (yyyy-mm-dd), `_created` and `_updated` as date-times (UTC), everything else as string cells (never
 *   formulas; a string over Excel's 32,767 characters is cut there). With labels, select_one, select_multiple and
 *   rank answers (and an osm tag's value from its list) are their choices' labels in opts->lang (several
 *   joined by "; "; a choice without a label, or no longer in the form, by its name). Sheet "choices":
 *   question, choice and its label in every language of the form (label::en, label::fr...). Sheet "questions":
 *   name, type and label in every language. The sheets' names, the underscore columns' headings and the other
 *   headings are for people, in the caller's language (i18n.h; "données", "_id" -> "identifiant"); in English
 *   they are the names above.
 * - JSON: an array of objects, one per record, with the answers as native JSON values (unanswered questions
 *   left out; an attachment's object with a member "url" when it has a link) and the underscore members
 *   (`_conflicts` a number, the others strings).
 * - GeoJSON: a FeatureCollection with one feature per record: a Point at its first answered geopoint within
 *   range, coordinates [lon, lat]; else a LineString or Polygon at its first geotrace or geoshape. Records
 *   without a location are left out. Properties as in JSON, except that each is a string, number or boolean,
 *   which every GIS format holds (GDAL's Shapefile driver refuses a list): select_multiple and rank as in CSV,
 *   an attachment as its file's name, followed by its link as the property QUESTION/url when it has one.
 */
#ifndef SONDEO_EXPORT_H
#define SONDEO_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "form.h"

enum export_format { EXPORT_CSV, EXPORT_XLSX, EXPORT_JSON, EXPORT_GEOJSON };

/* "csv", "xlsx", "json" or "geojson" -> the format; -1 if unknown (or NULL). */
int export_format_parse(const char *name);
/* The HTTP Content-Type of the format ("text/csv; charset=utf-8", ...). A static string. */
const char *export_content_type(enum export_format f);
/* The file name extension, without the dot ("csv", "xlsx", "json", "geojson"). A static string. */
const char *export_extension(enum export_format f);

struct export_record;
/* An attachment's link, for exports that have one (export_opts.link): for answer a (an attachment's object) of
 * record r, appends to out the file's URL on the server, or its path in the ZIP of an export with attachments.
 * 0, 1 when it has none (the file is not there: the cell stays empty), -1 to fail the export. */
typedef int (*export_link_fn)(void *ctx, const struct export_record *r, const json_t *a, struct buf *out);

struct export_opts {
	int choice_columns;   /* 1: one 0/1 column per choice after each select_multiple (for a rank, the choice's
			       * place) (CSV and XLSX) */
	int labels;           /* XLSX: select_one, select_multiple and rank answers (and an osm tag's listed values) as
			       * their choices' labels in lang rather than their names; ignored by the other formats */
	const char *lang;     /* labels in XLSX headers (NULL or "": "en"); see form_text() */
	const char *repeat;   /* NULL or "": the records, with their own questions; a repeat's name: its instances,
			       * with _parent and the repeat's questions */
	export_link_fn link;  /* NULL: none. Else each attachment question is followed by a column QUESTION/url
			       * (CSV; "LABEL/link" in XLSX), in JSON its answer has a member "url", and in GeoJSON
			       * its property is followed by a property QUESTION/url */
	void *link_ctx;
};

/* One record, borrowed for the length of the export_add call. */
struct export_record {
	const char *id, *version, *region, *review, *review_comment;   /* review: pending|approved|has_issues|
									* rejected; region, review and
									* review_comment may be NULL or "" */
	uint64_t created_ms, updated_ms;   /* epoch ms */
	int conflicts, deleted;
	const json_t *answers;             /* object: question name -> JSON value (NULL: no answers); members
					    * that are not questions of the form, notes, and nulls are ignored */
};

struct export;

/* Creates path (O_EXCL, mode 0600: an existing file is refused and left alone) and writes the header for
 * form f, which must outlive the export. o may be NULL (no choice columns, English). Returns the export, to
 * be finished or abandoned with export_close(), or NULL with a message in err (nothing left behind). */
struct export *export_open(const char *path, enum export_format fmt, const struct form *f,
			   const struct export_opts *o, char *err, size_t errlen);
/* Writes one record. Returns 0, or -1 with a message in err (a write error such as a full disk, a record too
 * large, more rows than XLSX holds); after a failure the export can only be closed, and closing it fails. */
int export_add(struct export *x, const struct export_record *r, char *err, size_t errlen);
/* The records written so far: every record added, except in GeoJSON, where only the records with a place
 * become features. */
uint64_t export_count(const struct export *x);
/* Finishes the file (ok) or abandons it (!ok: the file is removed), and frees x in every case. Returns 0, or
 * -1 with a message in err (e.g. disk full, or an earlier export_add failed; the file is then removed). */
int export_close(struct export *x, int ok, char *err, size_t errlen);

/* How a tier's store hands its records to export_write: add(sink, r) for each record, r borrowed for the call;
 * a non-zero return means the export failed, and the source stops. */
typedef int (*export_add_fn)(void *sink, const struct export_record *r);
/* A tier's records (src is the tier's own context): calls add for each, in the order they are to be written.
 * 0 (also when add stopped it), or -1 with err. */
typedef int (*export_source_fn)(void *src, export_add_fn add, void *sink, char *err, size_t errlen);
/* Writes every record source gives to path, as export_open, export_add and export_close do: 0 with *count
 * (export_count), or -1 with err and the file removed. */
int export_write(const char *path, enum export_format fmt, const struct form *f, const struct export_opts *o,
		 export_source_fn source, void *src, uint64_t *count, char *err, size_t errlen);

/* The review columns of a record whose `_review` value is review (NULL: never reviewed): *state its status
 * when it is pending, approved, has_issues or rejected, else "pending"; *comment its comment, else "". Both
 * borrowed from review, or static. */
void export_review(const json_t *review, const char **state, const char **comment);

/* For the export commands, whose file appears only once complete: the path of the private temporary file to
 * export to, beside out ("OUT.tmp-RANDOM"), or in $TMPDIR (else /tmp) when out is NULL or "-" (standard
 * output). 0, or -1 with err if the path does not fit in n bytes. */
int export_tmp_path(const char *out, char *tmp, size_t n, char *err, size_t errlen);
/* Puts the finished export at tmp where it goes: renamed over out, or copied to standard output when out is
 * NULL or "-". tmp is gone afterwards in every case. 0, or -1 with err. */
int export_deliver(const char *tmp, const char *out, char *err, size_t errlen);

#endif
