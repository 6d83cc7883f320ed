/* cmd-export.c - sondeo export: a form's final records as CSV, JSON or GeoJSON, streamed record by record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "csv.h"
#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

enum format { F_CSV, F_JSON, F_GEOJSON };

/* Where the export goes: standard output, or a temporary file renamed over FILE only once complete, so a
 * failed export never leaves a half-written file behind. */
struct sink {
	FILE *fp;
	char *path, *tmp;
};

static int sink_open(struct sink *k, const char *path)
{
	struct buf b = BUF_INIT(8192);
	int fd;

	k->path = NULL;
	k->tmp = NULL;
	if (!path || !strcmp(path, "-")) {
		k->fp = stdout;
		return 0;
	}
	buf_printf(&b, "%s.tmp-XXXXXX", path);
	k->tmp = buf_detach(&b, NULL);
	/* Exports hold survey answers: private to the user unless they choose otherwise. */
	fd = mkstemp(k->tmp);
	if (fd < 0 || !(k->fp = fdopen(fd, "w"))) {
		cli_error("cannot create '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(k->tmp);
		k->tmp = NULL;
		return -1;
	}
	k->path = xstrdup(path);
	return 0;
}

static int sink_close(struct sink *k, int ok)
{
	int r = 0;

	if (!k->tmp)
		return ok ? 0 : -1;
	if (ok && (fflush(k->fp) != 0 || ferror(k->fp) || fsync(fileno(k->fp)) < 0)) {
		cli_error("cannot write '%s': %s", k->path, strerror(errno));
		ok = 0;
	}
	fclose(k->fp);
	if (ok && rename(k->tmp, k->path) < 0) {
		cli_error("cannot write '%s': %s", k->path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(k->tmp);
		r = -1;
	}
	free(k->tmp);
	free(k->path);
	return r;
}

static const char *const meta_cols[] = { "_form_version", "_status", "_created", "_updated", "_conflicts" };
#define NMETA (sizeof(meta_cols) / sizeof(meta_cols[0]))

/* The questions a row holds: the record's own, or those of the repeat being exported. */
static const struct form_group *scope;

static int in_scope(const struct form_question *q)
{
	return q->type != FT_NOTE && form_repeat_of(q) == scope;
}

static void csv_header(struct buf *b, const struct form *f)
{
	size_t i;

	csv_write_field(b, "_id");
	if (scope)
		buf_adds(b, ",_parent");
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		size_t k;

		if (!in_scope(q))
			continue;
		buf_addc(b, ',');
		csv_write_field(b, q->name);
		/* An osm answer's parts in columns of their own, as headquarters exports them: q/feature, q/TAG. */
		for (k = 0; q->type == FT_OSM && k <= q->ntags; k++)
			buf_printf(b, ",%s/%s", q->name, k ? q->tags[k - 1].name : "feature");
	}
	for (i = 0; i < NMETA; i++) {
		buf_addc(b, ',');
		csv_write_field(b, meta_cols[i]);
	}
	buf_adds(b, "\r\n");
}

/* One record being gathered from its rows: per question, the answer as JSON and as the text a spreadsheet
 * shows (empty: no answer). The buffers are reused from record to record. */
struct row {
	char id[UUID_STRLEN + 1];
	char parent[UUID_STRLEN + 1];   /* of a repeat instance */
	char meta[NMETA][40];
	struct buf *json, *text;   /* one per question */
};

static void row_put(struct row *r, const struct form *f, sqlite3_stmt *st)
{
	const char *field = db_text(st, 6);
	size_t i;

	for (i = 0; i < form_count(f); i++) {
		if (strcmp(form_question(f, i)->name, field))
			continue;
		buf_adds(&r->json[i], db_text(st, 7));
		cli_plain_text(db_text(st, 7), &r->text[i]);
		return;
	}
}

static void row_csv(struct buf *b, const struct row *r, const struct form *f)
{
	size_t i;

	csv_write_field(b, r->id);
	if (scope) {
		buf_addc(b, ',');
		csv_write_field(b, r->parent);
	}
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		size_t k;

		if (!in_scope(q))
			continue;
		buf_addc(b, ',');
		/* What people typed goes out so that a spreadsheet shows it, never runs it ("=cmd|..." from another
		 * laptop of the region); numbers and locations are left as they are, "-5" being a number. */
		if (q->type == FT_INTEGER || q->type == FT_DECIMAL || q->type == FT_GEOPOINT)
			csv_write_field(b, r->text[i].data);
		else
			csv_write_text(b, r->text[i].data);
		for (k = 0; q->type == FT_OSM && k <= q->ntags; k++) {
			char *part = r->text[i].len ? form_osm_part(r->text[i].data, k ? q->tags[k - 1].name : NULL) : NULL;

			buf_addc(b, ',');
			csv_write_text(b, part ? part : "");
			free(part);
		}
	}
	for (i = 0; i < NMETA; i++) {
		buf_addc(b, ',');
		csv_write_field(b, r->meta[i]);
	}
	buf_adds(b, "\r\n");
}

/* The record as one JSON object: the stored JSON values are written as they are, never re-parsed. Ids,
 * question names, versions and dates are plain characters that need no escaping. */
static void row_json(struct buf *b, const struct row *r, const struct form *f)
{
	size_t i;

	buf_printf(b, "{\"_id\":\"%s\"", r->id);
	if (scope)
		buf_printf(b, ",\"_parent\":\"%s\"", r->parent);
	for (i = 0; i < form_count(f); i++)
		if (in_scope(form_question(f, i)) && r->json[i].len && strcmp(r->json[i].data, "null"))
			buf_printf(b, ",\"%s\":%s", form_question(f, i)->name, r->json[i].data);
	for (i = 0; i < NMETA; i++)
		buf_printf(b, i + 1 < NMETA ? ",\"%s\":\"%s\"" : ",\"%s\":%s", meta_cols[i], r->meta[i]);
	buf_addc(b, '}');
}

/* The record as a GeoJSON feature placed at its first geopoint answer, or without one at its first line or
 * shape; 0 (nothing written) if it has none. */
static int row_feature(struct buf *b, const struct row *r, const struct form *f)
{
	size_t i, mark = b->len;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < form_count(f); i++) {
			const struct form_question *q = form_question(f, i);

			if ((q->type == FT_GEOPOINT) != (pass == 0) || !r->text[i].len)
				continue;
			buf_adds(b, "{\"type\":\"Feature\",\"geometry\":");
			if (form_geojson_geometry(q->type, r->text[i].data, b) != 1) {
				b->len = mark;
				b->data[mark] = '\0';
				continue;
			}
			buf_adds(b, ",\"properties\":");
			row_json(b, r, f);
			buf_addc(b, '}');
			return 1;
		}
	}
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' }, { "repeat", required_argument, NULL, 'r' }, { 0, 0, 0, 0 }
	};
	const char *repeat = NULL;
	const char *form_name = "partnership", *fmt = NULL, *path = NULL;
	sqlite3_stmt *st = NULL;
	struct store *s = NULL;
	struct form *f = NULL;
	struct sink sink = { NULL, NULL, NULL };
	enum format format;
	struct buf row = BUF_INIT((size_t)64 << 20);
	struct row rec = { "", "", { "" }, NULL, NULL };
	sqlite3_int64 cur = 0;
	char err[512];
	long n = 0;
	int c, rc, ok = 0, opened = 0, have = 0;
	size_t i;

	while ((c = cli_getopt(cli, argc, argv, "o:", opts)) != -1) {
		if (c == 'f')
			form_name = optarg;
		else if (c == 'F')
			fmt = optarg;
		else if (c == 'o')
			path = optarg;
		else if (c == 'r')
			repeat = optarg;
		else
			return cli_opt_exit(c);
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!fmt)
		return cli_usage_error(cli, "which format? give --format csv, json or geojson");
	if (!strcmp(fmt, "csv"))
		format = F_CSV;
	else if (!strcmp(fmt, "json"))
		format = F_JSON;
	else if (!strcmp(fmt, "geojson"))
		format = F_GEOJSON;
	else
		return cli_usage_error(cli, "unknown format '%s' (csv, json or geojson)", fmt);
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (!(f = store_form_get(s, form_name, NULL, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	/* The record's own answers, or with --repeat the instances of a repeat, one row each with its record. */
	scope = NULL;
	if (repeat && !(scope = form_repeat_find(f, repeat))) {
		cli_error("form '%s' has no repeat '%s'", form_id(f), repeat);
		goto out;
	}
	/* One row per answer, records in the order they reached this device, each record's rows together. The
	 * records are walked by key (+r.form keeps SQLite off the form index, which would need a sort). */
	st = db_prepare(store_db(s),
			"SELECT r.rid, r.id, r.form_version, r.created, r.updated, r.conflicts, f.field, f.value,"
			" (SELECT json_extract(p.value, '$') FROM fields p WHERE p.rid = r.rid AND p.field = '_parent')"
			" FROM records r LEFT JOIN fields f ON f.rid = r.rid AND f.field NOT LIKE '\\_%' ESCAPE '\\'"
			" WHERE +r.form = ?1 AND NOT r.draft AND NOT r.deleted AND coalesce((SELECT json_extract(x.value, '$')"
			" FROM fields x WHERE x.rid = r.rid AND x.field = '_repeat'), '') = ?2 ORDER BY r.rid",
			err, sizeof(err));
	if (!st) {
		cli_error("%s", err);
		goto out;
	}
	db_bind_text(st, 1, form_id(f));
	db_bind_text(st, 2, scope ? scope->name : "");
	if (sink_open(&sink, path) < 0)
		goto out;
	opened = 1;
	rec.json = xcalloc(form_count(f) + 1, sizeof(*rec.json));
	rec.text = xcalloc(form_count(f) + 1, sizeof(*rec.text));
	for (i = 0; i < form_count(f); i++) {
		buf_init(&rec.json[i], (size_t)FORM_MAX_ANSWER * 8);
		buf_init(&rec.text[i], (size_t)FORM_MAX_ANSWER * 8);
	}
	if (format == F_CSV)
		csv_header(&row, f);
	else
		buf_adds(&row, format == F_JSON ? "[" : "{\"type\":\"FeatureCollection\",\"features\":[");

	for (;;) {
		sqlite3_int64 rid;

		rc = sqlite3_step(st);
		rid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		/* A new record begins, or the end: write the one gathered so far. */
		if (have && (rc != SQLITE_ROW || rid != cur)) {
			if (format == F_CSV) {
				row_csv(&row, &rec, f);
				n++;
			} else if (format == F_JSON) {
				buf_adds(&row, n ? ",\n" : "\n");
				row_json(&row, &rec, f);
				n++;
			} else {
				size_t mark = row.len;

				buf_adds(&row, n ? ",\n" : "\n");
				if (row_feature(&row, &rec, f))
					n++;
				else
					row.data[row.len = mark] = '\0';
			}
			have = 0;
		}
		if (row.len > 65536 || rc != SQLITE_ROW) {
			if (fwrite(row.data, 1, row.len, sink.fp) != row.len) {
				cli_error("cannot write the export: %s", strerror(errno));
				goto out;
			}
			buf_reset(&row);
		}
		if (rc != SQLITE_ROW)
			break;
		if (!have) {
			char when[32];

			cur = rid;
			have = 1;
			strlcpy_s(rec.id, db_text(st, 1), sizeof(rec.id));
			strlcpy_s(rec.parent, db_text(st, 8), sizeof(rec.parent));
			strlcpy_s(rec.meta[0], db_text(st, 2), sizeof(rec.meta[0]));
			strlcpy_s(rec.meta[1], "final", sizeof(rec.meta[1]));
			time_fmt(HLC_MS((uint64_t)sqlite3_column_int64(st, 3)), when, sizeof(when));
			strlcpy_s(rec.meta[2], when, sizeof(rec.meta[2]));
			time_fmt(HLC_MS((uint64_t)sqlite3_column_int64(st, 4)), when, sizeof(when));
			strlcpy_s(rec.meta[3], when, sizeof(rec.meta[3]));
			snprintf(rec.meta[4], sizeof(rec.meta[4]), "%d", sqlite3_column_int(st, 5));
			for (i = 0; i < form_count(f); i++) {
				buf_reset(&rec.json[i]);
				buf_reset(&rec.text[i]);
			}
		}
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			row_put(&rec, f, st);
	}
	if (rc != SQLITE_DONE) {
		db_error(store_db(s), rc, err, sizeof(err));
		cli_error("%s", err);
		goto out;
	}
	if (format != F_CSV)
		fputs(format == F_JSON ? "\n]\n" : "\n]}\n", sink.fp);
	ok = 1;
	if (path && strcmp(path, "-"))
		fprintf(stderr, "exported %ld record%s to %s\n", n, n == 1 ? "" : "s", path);
out:
	if (opened && sink_close(&sink, ok) < 0)
		ok = 0;
	for (i = 0; rec.json && i < form_count(f); i++) {
		buf_release(&rec.json[i]);
		buf_release(&rec.text[i]);
	}
	free(rec.json);
	free(rec.text);
	buf_release(&row);
	sqlite3_finalize(st);
	form_free(f);
	store_close(s);
	return ok ? EXIT_OK : EXIT_FAIL;
}
