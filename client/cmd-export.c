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

static void csv_header(FILE *fp, const struct form *f)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	size_t i;

	csv_write_field(&b, "_id");
	for (i = 0; i < form_count(f); i++) {
		if (form_question(f, i)->type == FT_NOTE)
			continue;
		buf_addc(&b, ',');
		csv_write_field(&b, form_question(f, i)->name);
	}
	for (i = 0; i < sizeof(meta_cols) / sizeof(meta_cols[0]); i++) {
		buf_addc(&b, ',');
		csv_write_field(&b, meta_cols[i]);
	}
	buf_adds(&b, "\r\n");
	fwrite(b.data, 1, b.len, fp);
	buf_release(&b);
}

/* "lat lon ..." -> a GeoJSON point [lon, lat]; NULL if it does not parse. */
static json_t *point(const json_t *v)
{
	const char *s = json_string_value(v);
	double lat, lon;

	if (!s || sscanf(s, "%lf %lf", &lat, &lon) != 2)
		return NULL;
	return json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates", lon, lat);
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' }, { 0, 0, 0, 0 }
	};
	const char *form_name = "partnership", *fmt = NULL, *path = NULL;
	sqlite3_stmt *st = NULL;
	struct store *s = NULL;
	struct form *f = NULL;
	struct sink sink = { NULL, NULL, NULL };
	enum format format;
	struct buf row = BUF_INIT((size_t)64 << 20);
	char err[512];
	long n = 0;
	int c, rc, ok = 0, opened = 0;
	size_t i;

	while ((c = cli_getopt(cli, argc, argv, "o:", opts)) != -1) {
		if (c == 'f')
			form_name = optarg;
		else if (c == 'F')
			fmt = optarg;
		else if (c == 'o')
			path = optarg;
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
	/* One row per final record, with its answers gathered by SQLite as one JSON object. */
	st = db_prepare(store_db(s),
			"SELECT r.id, r.form_version, r.created, r.updated, r.conflicts,"
			" (SELECT json_group_object(v.field, json(v.value)) FROM fields v WHERE v.rid = r.rid"
			"  AND v.field NOT LIKE '\\_%' ESCAPE '\\')"
			" FROM records r WHERE r.form = ?1 AND NOT r.draft AND NOT r.deleted ORDER BY r.created, r.id",
			err, sizeof(err));
	if (!st) {
		cli_error("%s", err);
		goto out;
	}
	db_bind_text(st, 1, form_id(f));
	if (sink_open(&sink, path) < 0)
		goto out;
	opened = 1;
	if (format == F_CSV)
		csv_header(sink.fp, f);
	else
		fputs(format == F_JSON ? "[" : "{\"type\":\"FeatureCollection\",\"features\":[", sink.fp);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *answers = json_loads(db_text(st, 5), 0, NULL);
		char created[32], updated[32], conf[16];
		const char *meta_vals[5];

		if (!answers)
			answers = json_object();
		time_fmt(HLC_MS((uint64_t)sqlite3_column_int64(st, 2)), created, sizeof(created));
		time_fmt(HLC_MS((uint64_t)sqlite3_column_int64(st, 3)), updated, sizeof(updated));
		snprintf(conf, sizeof(conf), "%d", sqlite3_column_int(st, 4));
		meta_vals[0] = db_text(st, 1);
		meta_vals[1] = "final";
		meta_vals[2] = created;
		meta_vals[3] = updated;
		meta_vals[4] = conf;
		buf_reset(&row);
		if (format == F_CSV) {
			csv_write_field(&row, db_text(st, 0));
			for (i = 0; i < form_count(f); i++) {
				const struct form_question *q = form_question(f, i);
				json_t *v = json_object_get(answers, q->name);
				char *t = NULL, *text = NULL;

				if (q->type == FT_NOTE)
					continue;
				buf_addc(&row, ',');
				if (v) {
					t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
					text = cli_value_text(t);
					csv_write_field(&row, text);
				}
				free(t);
				free(text);
			}
			for (i = 0; i < 5; i++) {
				buf_addc(&row, ',');
				csv_write_field(&row, meta_vals[i]);
			}
			buf_adds(&row, "\r\n");
		} else {
			json_t *o = json_pack("{s:s}", "_id", db_text(st, 0)), *geo = NULL;
			char *t;

			for (i = 0; i < form_count(f); i++) {
				json_t *v = json_object_get(answers, form_question(f, i)->name);

				if (v)
					json_object_set(o, form_question(f, i)->name, v);
			}
			for (i = 0; i < 5; i++)
				json_object_set_new(o, meta_cols[i], json_string(meta_vals[i]));
			if (format == F_GEOJSON) {
				/* The first geopoint answered is the feature's place. */
				for (i = 0; i < form_count(f) && !geo; i++)
					if (form_question(f, i)->type == FT_GEOPOINT)
						geo = point(json_object_get(answers, form_question(f, i)->name));
				if (!geo) {
					json_decref(o);
					json_decref(answers);
					continue;
				}
				o = json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geo, "properties", o);
			}
			t = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			buf_printf(&row, "%s\n%s", n ? "," : "", t ? t : "null");
			free(t);
			json_decref(o);
		}
		json_decref(answers);
		if (fwrite(row.data, 1, row.len, sink.fp) != row.len) {
			cli_error("cannot write the export: %s", strerror(errno));
			goto out;
		}
		n++;
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
	buf_release(&row);
	sqlite3_finalize(st);
	form_free(f);
	store_close(s);
	return ok ? EXIT_OK : EXIT_FAIL;
}
