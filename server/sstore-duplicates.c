/* sstore-duplicates.c - possible duplicates (sstore-review.h; docs/review-api.md): live records of a form
 * whose partner name and country match once normalised (the key sstore-summary.c keeps), in groups, leaving
 * out the groups a reviewer dismissed. */
#include "sstore.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <string.h>

#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

enum { D_FIELDS, D_DISMISS, D_DUPS, D_DISMISSED, D_COUNT };

const char *const sstore_dups_sql[SSTORE_DUPS_STMTS] = {
	[D_FIELDS] = "SELECT field, value, conflict FROM fields WHERE rid = ?1",
	[D_DISMISS] = "INSERT INTO dup_dismissed(a, b) VALUES(?1, ?2) ON CONFLICT DO NOTHING",
	/* Groups of live records of a form sharing a duplicate key. */
	[D_DUPS] = "SELECT rr.dupkey, r.id, r.rid, rr.region, r.created, rr.review FROM record_regions rr"
		   " JOIN records r ON r.rid = rr.rid WHERE rr.dupkey != '' AND r.form = ?1 AND r.deleted = 0"
		   " AND r.draft = 0 AND rr.dupkey IN (SELECT x.dupkey FROM record_regions x JOIN records y"
		   "  ON y.rid = x.rid WHERE x.dupkey != '' AND y.form = ?1 AND y.deleted = 0 AND y.draft = 0"
		   "  GROUP BY x.dupkey HAVING count(*) > 1)"
		   " ORDER BY rr.dupkey, r.created, r.id",
	[D_DISMISSED] = "SELECT 1 FROM dup_dismissed WHERE a = ?1 AND b = ?2",
};

_Static_assert(D_COUNT <= SSTORE_DUPS_STMTS, "raise SSTORE_DUPS_STMTS in sstore-int.h");

/* 1 if every pair of the group's records was dismissed. */
static int group_dismissed(struct sstore *s, json_t *records)
{
	struct db_stmt *st = s->dups_st[D_DISMISSED];
	size_t i, k;

	for (i = 0; i < json_array_size(records); i++)
		for (k = i + 1; k < json_array_size(records); k++) {
			const char *a = json_string_value(json_object_get(json_array_get(records, i), "id"));
			const char *b = json_string_value(json_object_get(json_array_get(records, k), "id"));
			int found;

			db_bind_text(st, 1, strcmp(a, b) < 0 ? a : b);
			db_bind_text(st, 2, strcmp(a, b) < 0 ? b : a);
			found = db_step(st) == DB_ROW;
			db_reset(st);
			if (!found)
				return 0;
		}
	return 1;
}

/* Closes the group being built into groups, unless a reviewer dismissed it already. */
static void close_group(struct sstore *s, json_t *groups, json_t **group)
{
	if (*group && !group_dismissed(s, json_object_get(*group, "records")))
		json_array_append(groups, *group);
	json_decref(*group);
	*group = NULL;
}

json_t *sstore_duplicates(struct sstore *s, const char *form, char *err, size_t errlen)
{
	struct db_stmt *st = s->dups_st[D_DUPS], *fst = s->dups_st[D_FIELDS];
	json_t *groups = json_array(), *group = NULL;
	char key[8192] = "";
	int rc;

	db_bind_text(st, 1, form);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *k = db_text(st, 0);
		const struct form *kind;
		const char *namef;
		json_t *name = NULL;
		struct buf details = BUF_INIT(4096);
		int frc;

		if (!group || strcmp(k, key)) {
			close_group(s, groups, &group);
			strlcpy_s(key, k, sizeof(key));
			group = json_pack("{s:s, s:s, s:s, s:[]}", "key", k, "name", "", "details", "", "records");
		}
		/* The names as typed, from the record's answers. */
		kind = sstore_record_kind(s, db_int(st, 2));
		namef = kind ? sstore_name_field(kind) : NULL;
		db_bind_int(fst, 1, db_int(st, 2));
		while ((frc = db_step(fst)) == DB_ROW) {
			const struct form_question *q = kind ? form_find(kind, db_text(fst, 0)) : NULL;
			json_t *v;

			if (namef && !strcmp(db_text(fst, 0), namef)) {
				name = json_loads(db_text(fst, 1), JSON_DECODE_ANY, NULL);
			} else if (q && sstore_title_detail(kind, q)) {
				/* The other answers the group matched on (a country), as typed or as its choice's
				 * label reads in the form's language. */
				v = json_loads(db_text(fst, 1), JSON_DECODE_ANY, NULL);
				if (json_is_string(v)) {
					const char *l = form_choice_label(kind, q, json_string_value(v), NULL);

					buf_printf(&details, "%s%s", details.len ? " · " : "",
						   q->type == FT_SELECT_ONE && l ? l : json_string_value(v));
				}
				json_decref(v);
			}
		}
		db_reset(fst);
		if (json_array_size(json_object_get(group, "records")) == 0) {
			json_object_set_new(group, "name", json_is_string(name) ? json_incref(name) : json_string(""));
			json_object_set_new(group, "details", json_string(details.len ? details.data : ""));
		}
		buf_release(&details);
		json_array_append_new(json_object_get(group, "records"),
				      json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", db_text(st, 1), "name",
						json_is_string(name) ? json_string_value(name) : "", "region",
						db_text(st, 3), "created",
						(json_int_t)HLC_MS((uint64_t)db_int(st, 4)), "review",
						db_text(st, 5)));
		json_decref(name);
	}
	db_reset(st);
	close_group(s, groups, &group);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(groups);
		return NULL;
	}
	return json_pack("{s:o}", "groups", groups);
}

int sstore_duplicates_dismiss(struct sstore *s, const char *const *records, size_t n, char *err, size_t errlen)
{
	struct db_stmt *st = s->dups_st[D_DISMISS];
	size_t i, k;

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++) {
			if (strcmp(records[i], records[k]) >= 0)
				continue;
			db_bind_text(st, 1, records[i]);
			db_bind_text(st, 2, records[k]);
			if (db_step_done(st, err, errlen) < 0) {
				db_rollback(s->db);
				return -1;
			}
		}
	return db_commit(s->db, err, errlen);
}
