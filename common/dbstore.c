/* dbstore.c - the skeleton of a Sondeo store: directory, file, meta, kind, layout and upgrades, forms. */
#include "dbstore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "db.h"
#include "i18n.h"
#include "merge.h"
#include "util.h"
#include "banned.h"

#define META_SQL "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"

/* The two kinds of store (their refusals, whole sentences for translators, are chosen by kind where they are
 * made). Their forms tables differ only in the name of the column that says when a form arrived (a device
 * installs forms, a server publishes them), kept as each has always been so that existing stores need no new
 * layout. The newest form of an id is the one installed last on a device, the one published last (rowid, never
 * the clock) on a server. */
static const struct kind {
	const char *name;        /* meta 'kind' */
	const char *file;        /* the database file in the store's directory */
	int kindless;            /* 1: a store without a kind is of this kind (made before the kind was kept) */
	const char *forms_sql;
	const char *form_put;
	const char *form_newest;
} kinds[] = {
	[DBSTORE_DEVICE] = {
		"sondeo", "store.db", 1,
		"CREATE TABLE forms(id TEXT NOT NULL, version TEXT NOT NULL, json TEXT NOT NULL,"
		" installed INTEGER NOT NULL, PRIMARY KEY(id, version));",
		"INSERT INTO forms(id, version, json, installed) VALUES(?1, ?2, ?3, ?4)",
		"SELECT json FROM forms WHERE id = ?1 ORDER BY installed DESC, rowid DESC LIMIT 1",
	},
	[DBSTORE_SERVER] = {
		"sondeod", "server.db", 0,
		"CREATE TABLE forms(id TEXT NOT NULL, version TEXT NOT NULL, json TEXT NOT NULL,"
		" published INTEGER NOT NULL, PRIMARY KEY(id, version));",
		"INSERT INTO forms(id, version, json, published) VALUES(?1, ?2, ?3, ?4)",
		"SELECT json FROM forms WHERE id = ?1 ORDER BY rowid DESC LIMIT 1",
	},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

enum { D_META_GET, D_META_SET, D_FORM_GET, D_FORM_NEWEST, D_FORM_PUT, D_COUNT };

struct dbstore {
	const struct kind *k;
	struct db *db;
	struct db_stmt *st[D_COUNT];
};

const char *dbstore_file(enum dbstore_kind kind)
{
	return kinds[kind].file;
}

/* dir/file into out (PATH_MAX bytes); -1 with err if it does not fit. */
static int path_in(char *out, const char *dir, const char *file, char *err, size_t errlen)
{
	int w = snprintf(out, PATH_MAX, "%s/%s", dir, file);

	if (w < 0 || w >= PATH_MAX)
		return errf(err, errlen, _("the directory path '%s' is too long"), dir);
	return 0;
}

int dbstore_make_dir(const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX];
	size_t i;

	if (strlcpy_s(p, dir, sizeof(p)) >= sizeof(p))
		return errf(err, errlen, _("the directory path '%s' is too long"), dir);
	for (i = 1;; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];

			p[i] = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				return errf(err, errlen, _("cannot create directory '%s': %s"), p, strerror(errno));
			p[i] = c;
			if (!c)
				break;
		}
	}
	return 0;
}

#define STORE_CONF "store.conf"
#define STORE_CONF_MAX 4096

int dbstore_conf_read(const char *dir, char *conninfo, size_t n, char *err, size_t errlen)
{
	char path[PATH_MAX], text[STORE_CONF_MAX + 1], *line, *save = NULL;
	struct stat st;
	ssize_t got;
	int fd;

	conninfo[0] = '\0';
	if (path_in(path, dir, STORE_CONF, err, errlen) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		return errf(err, errlen, _("cannot read '%s': %s"), path, strerror(errno));
	}
	/* It names where every answer is kept: its owner's alone, as the server's key is. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, _("cannot read '%s': %s"), path, strerror(EISDIR));
	}
	if (st.st_mode & 077) {
		close(fd);
		return errf(err, errlen, _("'%s' is readable by others (mode %03o); run: chmod 600 '%s'"), path,
			    (unsigned)(st.st_mode & 0777), path);
	}
	got = read(fd, text, sizeof(text));
	close(fd);
	if (got < 0 || got > STORE_CONF_MAX)
		return errf(err, errlen, _("'%s': %s"), path, got < 0 ? strerror(errno) : _("longer than 4 KiB"));
	text[got] = '\0';
	/* One connection string (libpq's key=value or a postgres:// URI); lines starting with # are comments. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (conninfo[0])
			return errf(err, errlen, _("'%s': more than one connection string"), path);
		if (strlcpy_s(conninfo, line, n) >= n)
			return errf(err, errlen, _("'%s': the connection string is too long"), path);
	}
	if (!conninfo[0])
		return errf(err, errlen, _("'%s' names no database"), path);
	return 1;
}

int dbstore_conf_write(const char *dir, const char *conninfo, char *err, size_t errlen)
{
	static const char conf_head[] = "# The PostgreSQL database of this sondeod's data: a libpq connection string\n"
					"# (its password, if any, in ~/.pgpass or the service file, never here).\n";
	char path[PATH_MAX];
	size_t len = strlen(conninfo);
	int fd;

	if (path_in(path, dir, STORE_CONF, err, errlen) < 0)
		return -1;
	if (!len || strchr(conninfo, '\n') || len > STORE_CONF_MAX / 2)
		return errf(err, errlen, _("'%s' is not a connection string"), conninfo);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return errf(err, errlen, _("cannot create '%s': %s"), path, strerror(errno));
	if (write(fd, conf_head, sizeof(conf_head) - 1) != (ssize_t)sizeof(conf_head) - 1 ||
	    write(fd, conninfo, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		errf(err, errlen, _("cannot write '%s': %s"), path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* Refuses path, a store of the kind found where the other kind was wanted (there are two kinds). */
static int refuse_kind(const struct kind *found, const char *path, char *err, size_t errlen)
{
	if (found == &kinds[DBSTORE_DEVICE])
		return errf(err, errlen, _("'%s' is a device's store (sondeo), not a server's data (sondeod); "
					   "nothing was changed"), path);
	return errf(err, errlen, _("'%s' is a server's data (sondeod), not a device's store (sondeo); "
				   "nothing was changed"), path);
}

/* Refuses, naming the file, a directory that holds a store of another kind than k. */
static int refuse_other(const struct kind *k, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		if (&kinds[i] == k)
			continue;
		if (path_in(path, dir, kinds[i].file, err, errlen) < 0)
			return -1;
		if (access(path, F_OK) == 0)
			return refuse_kind(&kinds[i], path, err, errlen);
	}
	return 0;
}

/* Reads meta kind (into kind; *has_kind 0 if there is none) and schema (-1 if none, or no meta table). */
static int read_head(struct db *db, char *kind, size_t n, int *has_kind, long long *layout, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare(db, "SELECT (SELECT value FROM meta WHERE key = 'kind'),"
				      " (SELECT value FROM meta WHERE key = 'schema')", NULL, 0);
	int rc;

	kind[0] = '\0';
	*has_kind = 0;
	*layout = -1;
	/* No meta table: not a store at all, which the caller says. */
	if (!st)
		return 0;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*has_kind = !db_is_null(st, 0);
		strlcpy_s(kind, db_text(st, 0), n);
		if (!db_is_null(st, 1))
			*layout = db_int(st, 1);
	}
	db_finalize(st);
	return rc == DB_ROW ? 0 : db_error(db, rc, err, errlen);
}

/* Refuses a database (at path; pg: a PostgreSQL one) that is not a store of this kind, or of a layout this
 * program cannot read, before anything is prepared against its tables or written to it. */
static int check_head(const struct dbstore_spec *spec, const char *dir, const char *path, int pg, const char *kind,
		      int has_kind, long long v, char *err, size_t errlen)
{
	const struct kind *k = &kinds[spec->kind];
	size_t i;

	if (has_kind && strcmp(kind, k->name)) {
		for (i = 0; i < NKINDS; i++)
			if (!strcmp(kind, kinds[i].name))
				return refuse_kind(&kinds[i], path, err, errlen);
	}
	if ((has_kind && strcmp(kind, k->name)) || (!has_kind && !k->kindless) || v < 0)
		return spec->kind == DBSTORE_DEVICE ? errf(err, errlen, _("'%s' is not a Sondeo store"), dir)
						     : errf(err, errlen, _("'%s' does not hold sondeod data"), dir);
	if (v > spec->layout || v < (pg ? spec->oldest_pg : spec->oldest))
		return spec->kind == DBSTORE_DEVICE
			       ? errf(err, errlen, _("the store in '%s' has layout %lld; this sondeo reads layout %d"),
				      dir, v, spec->layout)
			       : errf(err, errlen, _("the data in '%s' has layout %lld; this sondeod reads layout %d"),
				      dir, v, spec->layout);
	return 0;
}

static int prepare(struct dbstore *d, char *err, size_t errlen)
{
	const char *const sql[D_COUNT] = {
		[D_META_GET] = "SELECT value FROM meta WHERE key = ?1",
		[D_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
			       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		[D_FORM_GET] = "SELECT json FROM forms WHERE id = ?1 AND version = ?2",
		[D_FORM_NEWEST] = d->k->form_newest,
		[D_FORM_PUT] = d->k->form_put,
	};

	return db_prepare_all(d->db, sql, NULL, d->st, D_COUNT, err, errlen);
}

static int set_layout(struct dbstore *d, int layout, char *err, size_t errlen)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", layout);
	return dbstore_meta_set(d, "schema", num, err, errlen);
}

/* Brings the store from its layout up to the spec's in one transaction. The layout is read again under the
 * write lock: another program may have upgraded it while this one waited, and a step run twice (ALTER TABLE ...
 * ADD COLUMN) would fail or do its work twice. */
static int upgrade(struct dbstore *d, const struct dbstore_spec *spec, const char *dir, const char *path, char *err,
		   size_t errlen)
{
	static const char *const upgrading[] = { "sondeo: layout upgrade" };
	char kind[32];
	const char *sql;
	int has_kind, l;
	long long v;
	size_t i;

	/* On PostgreSQL, processes started together take turns here (SQLite's BEGIN IMMEDIATE does it there). */
	if (db_begin(d->db, err, errlen) < 0 || db_lock(d->db, upgrading, 1, err, errlen) < 0)
		goto fail;
	if (read_head(d->db, kind, sizeof(kind), &has_kind, &v, err, errlen) < 0 ||
	    check_head(spec, dir, path, db_is_pg(d->db), kind, has_kind, v, err, errlen) < 0)
		goto fail;
	if (v == spec->layout) {
		db_rollback(d->db);
		return 0;
	}
	for (l = (int)v; l < spec->layout; l++) {
		for (i = 0; i < spec->nsteps && spec->steps[i].from != l; i++)
			;
		if (i == spec->nsteps) {
			errf(err, errlen, _("internal error: no step from layout %d to %d"), l, l + 1);
			goto fail;
		}
		sql = db_is_pg(d->db) ? spec->steps[i].sql_pg : spec->steps[i].sql;
		if ((sql && db_exec(d->db, sql, err, errlen) < 0) ||
		    (spec->steps[i].fn && spec->steps[i].fn(d->db, err, errlen) < 0))
			goto fail;
	}
	if (set_layout(d, spec->layout, err, errlen) < 0 ||
	    (!has_kind && dbstore_meta_set(d, "kind", d->k->name, err, errlen) < 0) ||
	    db_commit(d->db, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(d->db);
	return -1;
}

static struct dbstore *alloc(const struct dbstore_spec *spec, char *err, size_t errlen)
{
	struct dbstore *d = calloc(1, sizeof(*d));

	if (!d) {
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	d->k = &kinds[spec->kind];
	return d;
}

/* Makes the skeleton's tables and the spec's (schema: SQLite's or PostgreSQL's texts) in d's database, in the
 * transaction the caller opened, with meta kind, schema and created. 0, or -1 with err. */
static int make_tables(struct dbstore *d, const struct dbstore_spec *spec, const char *const *schema, char *err,
		       size_t errlen)
{
	char num[24];
	size_t i;

	if (db_exec(d->db, META_SQL, err, errlen) < 0 || db_exec(d->db, d->k->forms_sql, err, errlen) < 0 ||
	    (spec->tables && spec->tables(d->db, err, errlen) < 0))
		return -1;
	for (i = 0; schema && schema[i]; i++)
		if (db_exec(d->db, schema[i], err, errlen) < 0)
			return -1;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)now_ms());
	return prepare(d, err, errlen) < 0 || dbstore_meta_set(d, "kind", d->k->name, err, errlen) < 0 ||
	       set_layout(d, spec->layout, err, errlen) < 0 || dbstore_meta_set(d, "created", num, err, errlen) < 0 ?
		       -1 : 0;
}

/* The first table (by name) in the schema a PostgreSQL store would be made in (the first of its search path), into
 * name ("" for none): 0, or -1 with err. */
static int pg_first_table(struct db *db, char *name, size_t n, char *err, size_t errlen)
{
	static const char sql[] = "SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
				  " WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
				  " ORDER BY c.relname LIMIT 1";
	struct db_stmt *st = db_prepare_once(db, sql, sizeof(sql) - 1, err, errlen);
	int rc;

	name[0] = '\0';
	if (!st)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW)
		strlcpy_s(name, db_text(st, 0), n);
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : db_error(db, rc, err, errlen);
}

struct dbstore *dbstore_create_pg(const struct dbstore_spec *spec, const char *conninfo, const char *named_in,
				  char *err, size_t errlen)
{
	char table[128];
	struct dbstore *d;
	int has;

	if (!(d = alloc(spec, err, errlen)))
		return NULL;
	/* A database of its own, empty: two servers' data in one would be neither's, and another application's
	 * tables would be taken for the store's (or fail its making half-way, in words about columns). */
	if (!(d->db = db_open_pg(conninfo, err, errlen)) || db_begin(d->db, err, errlen) < 0)
		goto fail;
	if ((has = db_has_table(d->db, "meta", err, errlen)) != 0) {
		if (has > 0)
			errf(err, errlen, _("the PostgreSQL database named in '%s' holds a store already; nothing was"
					    " changed"), named_in);
		goto fail;
	}
	if (pg_first_table(d->db, table, sizeof(table), err, errlen) < 0)
		goto fail;
	if (table[0]) {
		/* TRANSLATORS: the file naming the database (store.conf), then a table found in it. */
		errf(err, errlen, _("the PostgreSQL database named in '%s' is not empty (it holds the table '%s'): sondeod"
				    " keeps its store in a database of its own; nothing was changed"), named_in, table);
		goto fail;
	}
	if (make_tables(d, spec, spec->schema_pg ? spec->schema_pg : spec->schema, err, errlen) < 0)
		goto fail;
	return d;
fail:
	if (d->db)
		db_rollback(d->db);
	dbstore_close(d);
	return NULL;
}

struct dbstore *dbstore_create(const struct dbstore_spec *spec, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], conninfo[STORE_CONF_MAX], named_in[PATH_MAX + 16];
	struct dbstore *d;
	mode_t old_mask;
	int pg = 0;

	if (!(d = alloc(spec, err, errlen)))
		return NULL;
	if (path_in(path, dir, d->k->file, err, errlen) < 0 || refuse_other(d->k, dir, err, errlen) < 0 ||
	    (spec->kind == DBSTORE_SERVER && (pg = dbstore_conf_read(dir, conninfo, sizeof(conninfo), err, errlen)) < 0))
		goto fail;
	if (access(path, F_OK) == 0) {
		errf(err, errlen, _("'%s' exists already; nothing was changed"), path);
		goto fail;
	}
	if (pg) {
		dbstore_close(d);
		snprintf(named_in, sizeof(named_in), "%s/%s", dir, STORE_CONF);
		if (!(d = dbstore_create_pg(spec, conninfo, named_in, err, errlen)))
			return NULL;
		if (db_commit(d->db, err, errlen) < 0)
			goto fail;
		return d;
	}
	/* umask is the process's: stores are created from the command line, before any thread exists. */
	old_mask = umask(077);
	d->db = db_open(path, DB_CREATE, err, errlen);
	umask(old_mask);
	if (!d->db || db_begin(d->db, err, errlen) < 0)
		goto fail;
	if (make_tables(d, spec, spec->schema, err, errlen) < 0 || db_commit(d->db, err, errlen) < 0)
		goto rollback;
	return d;
rollback:
	db_rollback(d->db);
fail:
	dbstore_close(d);
	return NULL;
}

struct dbstore *dbstore_open(const struct dbstore_spec *spec, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], kind[32], conninfo[STORE_CONF_MAX];
	struct dbstore *d;
	int has_kind, pg = 0;
	long long v;

	if (!(d = alloc(spec, err, errlen)))
		return NULL;
	if (path_in(path, dir, d->k->file, err, errlen) < 0 ||
	    (spec->kind == DBSTORE_SERVER && (pg = dbstore_conf_read(dir, conninfo, sizeof(conninfo), err, errlen)) < 0))
		goto fail;
	if (pg) {
		/* The database store.conf names: what this directory holds is said as store.conf. */
		snprintf(path, sizeof(path), "%s/%s", dir, STORE_CONF);
		d->db = db_open_pg(conninfo, err, errlen);
	} else if (access(path, F_OK) < 0) {
		/* The other program's directory: say so, rather than ask for an init that would mix the two. */
		if (refuse_other(d->k, dir, err, errlen) < 0)
			goto fail;
		if (spec->kind == DBSTORE_DEVICE)
			errf(err, errlen, _("no Sondeo store in '%s' (run 'sondeo init' first)"), dir);
		else
			errf(err, errlen, _("no sondeod data in '%s' (run 'sondeod init --data %s' first)"), dir, dir);
		goto fail;
	} else {
		d->db = db_open(path, 0, err, errlen);
	}
	if (!d->db || read_head(d->db, kind, sizeof(kind), &has_kind, &v, err, errlen) < 0 ||
	    check_head(spec, dir, path, db_is_pg(d->db), kind, has_kind, v, err, errlen) < 0)
		goto fail;
	/* The skeleton's own tables are the same in every layout: its statements can be prepared before. */
	if (prepare(d, err, errlen) < 0 || (v != spec->layout && upgrade(d, spec, dir, path, err, errlen) < 0))
		goto fail;
	return d;
fail:
	dbstore_close(d);
	return NULL;
}

void dbstore_close(struct dbstore *d)
{
	if (!d)
		return;
	db_finalize_all(d->st, D_COUNT);
	if (d->db)
		db_close(d->db);
	free(d);
}

struct db *dbstore_db(struct dbstore *d)
{
	return d->db;
}

int dbstore_meta_get(struct dbstore *d, const char *key, char *out, size_t n)
{
	struct db_stmt *st = d->st[D_META_GET];
	int found;

	db_bind_text(st, 1, key);
	found = db_step(st) == DB_ROW;
	if (found)
		strlcpy_s(out, db_text(st, 0), n);
	db_reset(st);
	return found ? 0 : -1;
}

int dbstore_meta_set(struct dbstore *d, const char *key, const char *value, char *err, size_t errlen)
{
	struct db_stmt *st = d->st[D_META_SET];

	db_bind_text(st, 1, key);
	db_bind_text(st, 2, value);
	return db_step_done(st, err, errlen);
}

/* Form ids and versions travel in URLs and name views on devices: plain names only. An id starts with a
 * letter or '_'; a version may start with a digit ("1", "2026.1"). */
static int plain_name(const char *s, int is_id)
{
	size_t i;

	if (!*s || strlen(s) > MERGE_MAX_NAME)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      ((i || !is_id) && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))))
			return 0;
	return 1;
}

int dbstore_form_put(struct dbstore *d, const char *json, size_t len, struct form **out, char *err, size_t errlen)
{
	char msg[512];
	struct form *f = form_load(json, len, msg, sizeof(msg));
	struct db_stmt *st;
	char *canon = NULL;
	int r = -1, rc;

	if (out)
		*out = NULL;
	if (!f)
		return errf(err, errlen, "%s", msg);
	if (!plain_name(form_id(f), 1)) {
		errf(err, errlen, _("form id '%s' is not valid: a letter or _, then letters, digits, _ . - "
				    "(at most %d)"), form_id(f), MERGE_MAX_NAME);
		goto out;
	}
	if (!plain_name(form_version(f), 0)) {
		errf(err, errlen, _("form '%s': version '%s' is not valid: letters, digits, _ . - (at most %d)"),
		     form_id(f), form_version(f), MERGE_MAX_NAME);
		goto out;
	}
	if (!(canon = json_dumps(form_json(f), JSON_COMPACT | JSON_SORT_KEYS))) {
		errf(err, errlen, _("out of memory for form '%s'"), form_id(f));
		goto out;
	}
	st = d->st[D_FORM_GET];
	db_bind_text(st, 1, form_id(f));
	db_bind_text(st, 2, form_version(f));
	rc = db_step(st);
	if (rc == DB_ROW) {
		int same = strcmp(db_text(st, 0), canon) == 0;

		db_reset(st);
		if (same)
			r = 0;
		else if (d->k == &kinds[DBSTORE_DEVICE])
			errf(err, errlen, _("form '%s' version '%s' is already installed with a different definition;"
					    " give the new definition a new version"), form_id(f), form_version(f));
		else
			errf(err, errlen, _("form '%s' version '%s' is already published with a different definition;"
					    " give the new definition a new version"), form_id(f), form_version(f));
		goto out;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		db_error(d->db, rc, err, errlen);
		goto out;
	}
	st = d->st[D_FORM_PUT];
	db_bind_text(st, 1, form_id(f));
	db_bind_text(st, 2, form_version(f));
	db_bind_text(st, 3, canon);
	db_bind_int(st, 4, (int64_t)now_ms());
	if (db_step_done(st, err, errlen) == 0)
		r = 1;
out:
	free(canon);
	if (r >= 0 && out)
		*out = f;
	else
		form_free(f);
	return r;
}

int dbstore_form_get(struct dbstore *d, const char *id, const char *version, struct form **out, char *err,
		     size_t errlen)
{
	struct db_stmt *st = d->st[version ? D_FORM_GET : D_FORM_NEWEST];
	int rc, r;

	*out = NULL;
	db_bind_text(st, 1, id);
	if (version)
		db_bind_text(st, 2, version);
	rc = db_step(st);
	if (rc == DB_ROW) {
		const char *json = db_text(st, 0);

		*out = form_load(json, strlen(json), err, errlen);
		r = *out ? 1 : -1;
	} else if (rc == DB_DONE) {
		r = 0;
	} else {
		r = db_error(d->db, rc, err, errlen);
	}
	db_reset(st);
	return r;
}
