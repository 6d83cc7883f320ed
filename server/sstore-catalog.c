/* sstore-catalog.c - what the review page offers to choose from (sstore-review.h): the published forms and
 * their versions, and the regions that hold records or devices. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-review.h"
#include "sstore-int.h"

#include <string.h>

#include "db.h"
#include "form.h"
#include "util.h"
#include "banned.h"

enum { C_FORM_NEWEST, C_FORM_GET, C_FORM_VERSIONS, C_REGIONS, C_COUNT };

const char *const sstore_catalog_sql[SSTORE_CATALOG_STMTS] = {
	[C_FORM_NEWEST] = "SELECT json FROM forms WHERE id = ?1 ORDER BY rowid DESC LIMIT 1",
	[C_FORM_GET] = "SELECT json FROM forms WHERE id = ?1 AND version = ?2",
	[C_FORM_VERSIONS] = "SELECT id, version, json FROM forms ORDER BY rowid",
	[C_REGIONS] = "SELECT region FROM record_regions UNION SELECT region FROM enrolled_devices ORDER BY 1",
};

_Static_assert(C_COUNT <= SSTORE_CATALOG_STMTS, "raise SSTORE_CATALOG_STMTS in sstore-int.h");

/* The form id at version (NULL: its newest), loaded; NULL with err. Caller frees with form_free. */
struct form *sstore_form_get(struct sstore *s, const char *id, const char *version, char *err, size_t errlen)
{
	struct db_stmt *st = s->catalog_st[version ? C_FORM_GET : C_FORM_NEWEST];
	struct form *f = NULL;

	db_bind_text(st, 1, id);
	if (version)
		db_bind_text(st, 2, version);
	if (db_step(st) == DB_ROW)
		f = form_load(db_text(st, 0), strlen(db_text(st, 0)), err, errlen);
	else if (version)
		errf(err, errlen, _("no published form '%s' version '%s'"), id, version);
	else
		errf(err, errlen, _("no published form '%s'"), id);
	db_reset(st);
	return f;
}

json_t *sstore_regions(struct sstore *s, char *err, size_t errlen)
{
	struct db_stmt *st = s->catalog_st[C_REGIONS];
	json_t *list = json_array();
	int rc;

	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(list, json_string(db_text(st, 0)));
	db_reset(st);
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(list);
		return NULL;
	}
	return list;
}

int sstore_form_versions(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						      const char *json), void *ctx, char *err, size_t errlen)
{
	struct db_stmt *st = s->catalog_st[C_FORM_VERSIONS];
	int rc;

	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_text(st, 0), db_text(st, 1), db_text(st, 2));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}
