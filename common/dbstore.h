/* dbstore.h - the skeleton of a Sondeo store, shared by the device's store (client/store.c) and the server's
 * (server/sstore.c): one SQLite file in a private directory, its meta table, its kind, its layout and the steps
 * that bring an older layout up, and the forms table.
 *
 * Apart from db.h on purpose: db.h is plain SQLite (opening any database durably, statements, errors) and is used
 * on databases that are not stores (merge tests, benchmarks); this file is what makes a database a Sondeo store,
 * and knows both kinds so that each can refuse the other by name. A tier passes a dbstore_spec (its kind, its
 * layout, its own tables, its upgrade steps) and keeps only its own tables and statements.
 *
 * Errors are 0 / -1 (or NULL) with a message in err, as in db.h. */
#ifndef SONDEO_DBSTORE_H
#define SONDEO_DBSTORE_H

#include <stddef.h>

#include "db.h"
#include "form.h"

/* What a store holds: a device's data (sondeo) or a server's (sondeod). Each has its own file name in its
 * directory and its own 'kind' in meta, so that neither program opens, upgrades or writes the other's. */
enum dbstore_kind { DBSTORE_DEVICE, DBSTORE_SERVER };

/* One upgrade step: brings layout `from` to from + 1 by running sql (may be NULL), then fn (may be NULL), inside
 * the upgrade's transaction. On PostgreSQL, sql_pg instead of sql, and fn as well. */
struct dbstore_step {
	int from;
	const char *sql;
	int (*fn)(struct db *db, char *err, size_t errlen);
	const char *sql_pg;
};

struct dbstore_spec {
	enum dbstore_kind kind;
	int layout;       /* the layout this program reads and writes (meta 'schema') */
	int oldest;       /* the oldest layout it can bring up to layout */
	int oldest_pg;    /* the same on PostgreSQL: the first layout made there */
	int (*tables)(struct db *db, char *err, size_t errlen);   /* tables made by code (merge_schema), or NULL */
	const char *const *schema; /* then the tier's own tables at layout: SQL texts run in order, NULL last */
	const char *const *schema_pg; /* the same on PostgreSQL, where the engines differ (NULL: the same texts) */
	const struct dbstore_step *steps;  /* one step from each layout in [oldest, layout) */
	size_t nsteps;
};

struct dbstore;

/* A server's data directory may hold, instead of its database file, store.conf: the libpq connection string of the
 * PostgreSQL database its store lives in (private to its owner, mode 0600; a password goes in ~/.pgpass or the
 * service file, never there). dbstore_create and dbstore_open use that database then. dbstore_conf_read puts the
 * connection string in conninfo (n bytes): 1, 0 when there is no store.conf, -1 with err (a file others can read,
 * none or several strings). dbstore_conf_write creates it (never over another): 0, or -1 with err. */
int dbstore_conf_read(const char *dir, char *conninfo, size_t n, char *err, size_t errlen);
int dbstore_conf_write(const char *dir, const char *conninfo, char *err, size_t errlen);
/* The database file's name in a store directory of kind ("store.db", "server.db"). */
const char *dbstore_file(enum dbstore_kind kind);
/* mkdir -p dir, mode 0700 for the parts it creates: a store holds survey answers and a secret key. */
int dbstore_make_dir(const char *dir, char *err, size_t errlen);

/* Creates the store file in dir (which must exist) as a new file of mode 0600 with, in one transaction, the meta
 * and forms tables, the spec's tables (tables, then schema) and meta kind, schema (= layout) and created. Refuses if dir already
 * holds a store of either kind. Caller closes with dbstore_close(); on failure the caller removes the file. */
struct dbstore *dbstore_create(const struct dbstore_spec *spec, const char *dir, char *err, size_t errlen);
/* Makes a store of spec in the empty PostgreSQL database conninfo names (named_in: where that string came from,
 * for the refusal of a database that holds a store already), and leaves its transaction open: the caller commits
 * it (db_commit on dbstore_db), after filling it (sondeod migrate), or closes the store to leave the database as
 * it was. NULL with err. */
struct dbstore *dbstore_create_pg(const struct dbstore_spec *spec, const char *conninfo, const char *named_in,
				  char *err, size_t errlen);
/* Opens the store in dir. Refuses, naming the file and changing nothing, a store of the other kind, a database
 * that is no store, and a layout outside [oldest, layout]; brings an older layout up in one transaction, in
 * which the layout is read again, so that two programs opening it at once upgrade it once. */
struct dbstore *dbstore_open(const struct dbstore_spec *spec, const char *dir, char *err, size_t errlen);
/* Finalizes the skeleton's statements and closes the database: the tier finalizes its own first. NULL is fine. */
void dbstore_close(struct dbstore *d);
/* The connection, owned by d. */
struct db *dbstore_db(struct dbstore *d);

/* The meta table (key -> value). dbstore_meta_get copies the value into out (n bytes) and returns 0, or -1 if
 * there is none; dbstore_meta_set belongs in the caller's transaction. */
int dbstore_meta_get(struct dbstore *d, const char *key, char *out, size_t n);
int dbstore_meta_set(struct dbstore *d, const char *key, const char *value, char *err, size_t errlen);

/* Stores a form definition inside the caller's transaction: validated by form_load, its id and version plain
 * names, compared in canonical form (keys sorted, compact) so that the same definition written differently is
 * the same form. Returns 1 if stored, 0 if this id and version already held the same definition, -1 with err
 * if they hold another (refused: a new definition needs a new version) or on error. With out, *out is the
 * loaded form on 0 and 1 (caller frees with form_free), NULL on -1. */
int dbstore_form_put(struct dbstore *d, const char *json, size_t len, struct form **out, char *err, size_t errlen);
/* Loads form id at version (NULL: the newest stored) into *out (caller frees with form_free). Returns 1, or 0
 * if there is no such form (err untouched: the tier says it in its words), or -1 with err. */
int dbstore_form_get(struct dbstore *d, const char *id, const char *version, struct form **out, char *err,
		     size_t errlen);

#endif
