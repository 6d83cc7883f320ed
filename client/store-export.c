/* store-export.c - the device's records as the exporter takes them (common/export.h), one at a time. */
#include "store-int.h"

#include <string.h>

#include "db.h"
#include "export.h"
#include "hlc.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* Fills r (answers and review cleared first) from its first row of st. */
static void record_start(struct db_stmt *st, struct export_record *r, char *id, char *version, size_t n)
{
	strlcpy_s(id, db_text(st, 1), n);
	strlcpy_s(version, db_text(st, 2), n);
	r->id = id;
	r->version = version;
	r->created_ms = HLC_MS((uint64_t)db_int(st, 3));
	r->updated_ms = HLC_MS((uint64_t)db_int(st, 4));
	r->conflicts = db_int(st, 5);
	r->deleted = 0;
}

int store_export_records(struct store *s, const struct form *f, const char *repeat, store_export_fn fn, void *ctx,
			 char *err, size_t errlen)
{
	char id[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1], region[256] = "";
	json_t *answers = json_object(), *review = NULL;
	struct export_record r;
	int64_t cur = 0;
	struct db_stmt *st;
	int rc, have = 0, stop = 0, ret = -1;

	memset(&r, 0, sizeof(r));
	if (!answers) {
		errf(err, errlen, "%s", _("out of memory"));
		return -1;
	}
	/* A device holds only its own region's records (it pulls nothing else, and writes only there): they are
	 * the region it was enrolled in, as headquarters files them; none before it is enrolled. */
	store_meta_get(s, "region", region, sizeof(region));
	r.region = region;
	/* One row per answer (and the record's _parent and _review; a question's name may start with '_' too, so
	 * only the store's _repeat is left out), records in the order they reached this device, each record's rows
	 * together. The records are walked by key (+r.form keeps SQLite off the form index, which would need a
	 * sort). */
	st = db_prepare(s->db,
			"SELECT r.rid, r.id, r.form_version, r.created, r.updated, r.conflicts, f.field, f.value"
			" FROM records r LEFT JOIN fields f ON f.rid = r.rid AND f.field <> '_repeat'"
			" WHERE +r.form = ?1 AND NOT r.draft AND NOT r.deleted AND coalesce((SELECT json_extract(x.value, '$')"
			" FROM fields x WHERE x.rid = r.rid AND x.field = '_repeat'), '') = ?2 ORDER BY r.rid",
			err, errlen);
	if (!st) {
		json_decref(answers);
		return -1;
	}
	db_bind_text(st, 1, form_id(f));
	db_bind_text(st, 2, repeat ? repeat : "");
	while (!stop) {
		int64_t rid;

		rc = db_step(st);
		rid = rc == DB_ROW ? db_int(st, 0) : 0;
		/* A new record begins, or the end: hand over the one gathered so far. */
		if (have && (rc != DB_ROW || rid != cur)) {
			export_review(review, &r.review, &r.review_comment);
			r.answers = answers;
			stop = fn(ctx, &r) != 0;
			json_object_clear(answers);
			json_decref(review);
			review = NULL;
			have = 0;
		}
		if (rc != DB_ROW || stop)
			break;
		if (!have) {
			cur = rid;
			have = 1;
			record_start(st, &r, id, version, sizeof(id));
		}
		if (!db_is_null(st, 6)) {
			const char *field = db_text(st, 6);
			json_t *v = json_loadb(db_text(st, 7), (size_t)db_bytes(st, 7), JSON_DECODE_ANY, NULL);

			/* Stored values were checked when their op was made or taken in: one that is not JSON is a
			 * damaged store, said rather than exported as unanswered. */
			if (!v) {
				errf(err, errlen, _("record %s: the answer to '%s' in the store is not JSON"), id, field);
				goto out;
			}
			if (!strcmp(field, "_review")) {
				json_decref(review);
				review = v;
			} else {
				json_object_set_new(answers, field, v);
			}
		}
	}
	if (!stop && rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	ret = 0;
out:
	json_decref(review);
	json_decref(answers);
	db_finalize(st);
	return ret;
}
