/* store.c - the device's local store: its set-up (directory, keys, database, layout), meta, transactions, clock
 * and forms. */
#include "store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "hlc.h"
#include "jsonc.h"
#include "keys.h"
#include "util.h"
#include "banned.h"

#define STORE_SCHEMA 3

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS forms("
	" id TEXT NOT NULL, version TEXT NOT NULL, json TEXT NOT NULL, installed INTEGER NOT NULL,"
	" PRIMARY KEY(id, version));"
	/* Layout 2: the reviewer a server's op names (the pull's "by"), for the history. */
	"CREATE TABLE IF NOT EXISTS op_authors(did INTEGER NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL,"
	" PRIMARY KEY(did, seq)) WITHOUT ROWID;";

enum { S_GET_META, S_SET_META, S_FORM_GET, S_FORM_LATEST, S_FORM_PUT, S_DEVICE_NEW, S_COUNT };

static const char *const sql[STORE_CORE_STMTS] = {
	[S_GET_META] = "SELECT value FROM meta WHERE key = ?1",
	[S_SET_META] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_FORM_GET] = "SELECT json FROM forms WHERE id = ?1 AND version = ?2",
	[S_FORM_LATEST] = "SELECT json FROM forms WHERE id = ?1 ORDER BY installed DESC, rowid DESC LIMIT 1",
	[S_FORM_PUT] = "INSERT INTO forms(id, version, json, installed) VALUES(?1, ?2, ?3, ?4)",
	[S_DEVICE_NEW] = "INSERT OR IGNORE INTO devices(id) VALUES(?1)",
};

void store_global_init(void)
{
	/* One thread, one connection: SQLite's allocation statistics and mutexes are pure cost here. */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

char *store_default_dir(void)
{
	const char *e = getenv("SONDEO_HOME");
	struct buf b = BUF_INIT(4096);

	if (e && *e)
		return xstrdup(e);
	e = getenv("XDG_DATA_HOME");
	if (e && *e)
		buf_printf(&b, "%s/sondeo", e);
	else
		buf_printf(&b, "%s/.local/share/sondeo", getenv("HOME") ? getenv("HOME") : ".");
	return buf_detach(&b, NULL);
}

static char *path_in(const char *dir, const char *file)
{
	struct buf b = BUF_INIT(8192);

	if (buf_printf(&b, "%s/%s", dir, file) < 0)
		return xstrdup(file);
	return buf_detach(&b, NULL);
}

/* mkdir -p with mode 0700 for the parts it creates. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
	char *p = xstrdup(dir), *q;
	int r = 0;

	for (q = p + 1; ; q++) {
		if (*q == '/' || *q == '\0') {
			char c = *q;

			*q = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				r = errf(err, errlen, "cannot create directory '%s': %s", p, strerror(errno));
				break;
			}
			*q = c;
			if (!c)
				break;
		}
	}
	free(p);
	return r;
}

static int meta_get(struct store *s, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = s->st[S_GET_META];
	int found;

	db_bind_text(st, 1, key);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		strlcpy_s(out, db_text(st, 0), n);
	sqlite3_reset(st);
	return found ? 0 : -1;
}

static int meta_set(struct store *s, const char *key, const char *value, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_SET_META];

	db_bind_text(st, 1, key);
	db_bind_text(st, 2, value);
	return db_step_done(st, err, errlen);
}

static int meta_set_u64(struct store *s, const char *key, uint64_t v, char *err, size_t errlen)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	return meta_set(s, key, num, err, errlen);
}

static uint64_t meta_u64(struct store *s, const char *key)
{
	char num[32];

	return meta_get(s, key, num, sizeof(num)) == 0 ? strtoull(num, NULL, 10) : 0;
}

/* Refuses a store made by another version of sondeo, before anything is prepared against its tables. */
static int check_schema(sqlite3 *db, const char *dir, char *err, size_t errlen)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT value FROM meta WHERE key = 'schema'", NULL, 0);
	long long v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (v < 0)
		return errf(err, errlen, "'%s' is not a Sondeo store", dir);
	if (v > STORE_SCHEMA || v < 1)
		return errf(err, errlen, "the store in '%s' has layout %lld; this sondeo reads layout %d", dir, v,
			    STORE_SCHEMA);
	return 0;
}

static int make_view(struct store *s, const struct form *f, char *err, size_t errlen);

/* Makes every form's view again, from the version installed last (as store_form_put leaves it). */
static int remake_views(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = db_prepare(s->db, "SELECT json FROM forms f WHERE rowid = (SELECT g.rowid FROM forms g"
				      " WHERE g.id = f.id ORDER BY g.installed DESC, g.rowid DESC LIMIT 1)", err, errlen);
	int rc, r = 0;

	if (!st)
		return -1;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = db_text(st, 0);
		struct form *f = form_load(json, strlen(json), err, errlen);

		r = f ? make_view(s, f, err, errlen) : -1;
		form_free(f);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_error(s->db, rc, err, errlen);
	sqlite3_finalize(st);
	return r;
}

/* Brings an older store up to this layout in one transaction: layout 2 added a table; layout 3 remakes the
 * forms' views, whose dates layout 2 read wrongly (NULL in every row). */
static int upgrade(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = db_prepare(s->db, "SELECT value FROM meta WHERE key = 'schema'", err, errlen);
	char set[64];
	long long v = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (!st || v == STORE_SCHEMA)
		return st ? 0 : -1;
	/* Before the store's statements are prepared: they name tables an older layout lacks. */
	snprintf(set, sizeof(set), "UPDATE meta SET value = '%d' WHERE key = 'schema'", STORE_SCHEMA);
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	if (db_exec(s->db, schema, err, errlen) < 0 || remake_views(s, err, errlen) < 0 ||
	    db_exec(s->db, set, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return 0;
}

/* Opens the database and prepares everything; the schema must exist unless creating. */
static struct store *open_db(const char *dir, int create, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	char *path = path_in(dir, "store.db");

	s->dir = xstrdup(dir);
	s->db = db_open(path, create ? DB_CREATE : 0, err, errlen);
	free(path);
	if (!s->db)
		goto fail;
	if (create && (merge_schema(s->db, err, errlen) < 0 || db_exec(s->db, schema, err, errlen) < 0))
		goto fail;
	if (!create && (check_schema(s->db, dir, err, errlen) < 0 || upgrade(s, err, errlen) < 0))
		goto fail;
	if (db_prepare_all(s->db, sql, s->st, S_COUNT, err, errlen) < 0 ||
	    db_prepare_all(s->db, store_records_sql, s->rst, STORE_RECORDS_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, store_sync_sql, s->yst, STORE_SYNC_STMTS, err, errlen) < 0)
		goto fail;
	if (!(s->merge = merge_open(s->db, err, errlen)))
		goto fail;
	return s;
fail:
	store_close(s);
	return NULL;
}

int store_init(const char *dir, const char *name, char device_id[KEYS_ID_STRLEN + 1], char *err, size_t errlen)
{
	char *db_path = path_in(dir, "store.db"), *sk = path_in(dir, "device.key"), *pk = path_in(dir, "device.pub");
	unsigned char pub[KEYS_PK_BYTES];
	struct store *s = NULL;
	struct stat st;
	mode_t old_mask;
	int r = -1;

	if (stat(db_path, &st) == 0 || stat(sk, &st) == 0) {
		errf(err, errlen, "a store already exists in '%s'; nothing was changed", dir);
		goto out;
	}
	if (make_dirs(dir, err, errlen) < 0)
		goto out;
	/* The store holds survey answers: keep every file private to the user. */
	old_mask = umask(077);
	if (keys_generate(sk, pk, err, errlen) < 0) {
		umask(old_mask);
		goto out;
	}
	s = open_db(dir, 1, err, errlen);
	umask(old_mask);
	if (!s || keys_load_public(pk, pub, err, errlen) < 0)
		goto undo;
	keys_id(pub, device_id);
	if (db_begin(s->db, err, errlen) < 0)
		goto undo;
	db_bind_text(s->st[S_DEVICE_NEW], 1, device_id);
	if (db_step_done(s->st[S_DEVICE_NEW], err, errlen) < 0 ||
	    meta_set_u64(s, "schema", STORE_SCHEMA, err, errlen) < 0 ||
	    meta_set(s, "device", device_id, err, errlen) < 0 || meta_set(s, "name", name ? name : "", err, errlen) < 0 ||
	    meta_set_u64(s, "next_seq", 1, err, errlen) < 0 || meta_set_u64(s, "hlc", 0, err, errlen) < 0 ||
	    meta_set_u64(s, "created", now_ms(), err, errlen) < 0 ||
	    store_form_put(s, (const char *)form_partnership_json, form_partnership_json_len, err, errlen) < 0 ||
	    db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		goto undo;
	}
	r = 0;
	goto out;
undo:
	/* Remove only what this call created. */
	store_close(s);
	s = NULL;
	unlink(db_path);
	{
		char *w = path_in(dir, "store.db-wal"), *m = path_in(dir, "store.db-shm");
		unlink(w);
		unlink(m);
		free(w);
		free(m);
	}
	unlink(sk);
	unlink(pk);
out:
	store_close(s);
	free(db_path);
	free(sk);
	free(pk);
	return r;
}

struct store *store_open(const char *dir, char *err, size_t errlen)
{
	char *path = path_in(dir, "store.db");
	struct stat st;
	struct store *s;
	char buf[256];

	if (stat(path, &st) < 0) {
		errf(err, errlen, "no Sondeo store in '%s' (run 'sondeo init' first)", dir);
		free(path);
		return NULL;
	}
	free(path);
	s = open_db(dir, 0, err, errlen);
	if (!s)
		return NULL;
	if (meta_get(s, "device", s->device, sizeof(s->device)) < 0) {
		errf(err, errlen, "'%s' is not a Sondeo store", dir);
		store_close(s);
		return NULL;
	}
	s->name = xstrdup(meta_get(s, "name", buf, sizeof(buf)) == 0 ? buf : "");
	s->offset_ms = store_clock_offset(s);
	return s;
}

void store_close(struct store *s)
{

	if (!s)
		return;
	merge_free(s->merge);
	db_finalize_all(s->st, S_COUNT);
	db_finalize_all(s->rst, STORE_RECORDS_STMTS);
	db_finalize_all(s->yst, STORE_SYNC_STMTS);
	if (s->db)
		db_close(s->db);
	keys_free(s->keys);
	free(s->ops);
	free(s->dir);
	free(s->name);
	free(s);
}

const char *store_dir(const struct store *s) { return s->dir; }
const char *store_device(const struct store *s) { return s->device; }
const char *store_name(struct store *s) { return s->name; }

const struct keys *store_keys(struct store *s, char *err, size_t errlen)
{
	char *path;

	if (s->keys)
		return s->keys;
	path = path_in(s->dir, "device.key");
	s->keys = keys_load(path, err, errlen);
	free(path);
	return s->keys;
}

int store_meta_get(struct store *s, const char *key, char *out, size_t n)
{
	return meta_get(s, key, out, n);
}

int store_meta_set(struct store *s, const char *key, const char *value, char *err, size_t errlen)
{
	return meta_set(s, key, value, err, errlen);
}

uint64_t store_now(struct store *s)
{
	long long t = (long long)now_ms() + s->offset_ms;

	return t > 0 ? (uint64_t)t : 0;
}

long long store_clock_offset(struct store *s)
{
	char off[32];

	return meta_get(s, STORE_CLOCK_OFFSET, off, sizeof(off)) == 0 ? strtoll(off, NULL, 10) : 0;
}

int store_clock_correct(struct store *s, long long offset_ms, char *err, size_t errlen)
{
	char off[32];

	snprintf(off, sizeof(off), "%lld", offset_ms);
	if (meta_set(s, STORE_CLOCK_OFFSET, off, err, errlen) < 0)
		return -1;
	s->offset_ms = offset_ms;
	/* Stamps made while the clock ran ahead were wrong: new ones need not stay after them (they order the
	 * heads of a conflict for display only), so the clock comes back to the corrected time, within the window
	 * a remote stamp may lead by. */
	if (s->last_hlc > HLC_MAKE(store_now(s) + HLC_MAX_AHEAD_MS, 0xffff))
		s->last_hlc = HLC_MAKE(store_now(s) + HLC_MAX_AHEAD_MS, 0);
	return 0;
}

void store_observe(struct store *s, uint64_t hlc)
{
	if (hlc > s->last_hlc)
		s->last_hlc = hlc_observe(s->last_hlc, hlc, store_now(s));
}

int store_begin(struct store *s, char *err, size_t errlen)
{
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	/* Read under the write lock, so two processes never hand out the same seq. */
	s->next_seq = meta_u64(s, "next_seq");
	s->last_hlc = meta_u64(s, "hlc");
	s->offset_ms = store_clock_offset(s);
	return 0;
}

int store_commit(struct store *s, char *err, size_t errlen)
{
	if (meta_set_u64(s, "next_seq", s->next_seq, err, errlen) < 0 ||
	    meta_set_u64(s, "hlc", s->last_hlc, err, errlen) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return db_commit(s->db, err, errlen);
}

void store_rollback(struct store *s)
{
	db_rollback(s->db);
}

/* A form id becomes part of a view name, so it must be a plain identifier. */
static int plain_name(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > MERGE_MAX_NAME)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      (i && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))))
			return 0;
	return 1;
}

/* A record's stamp as the view shows it: its milliseconds in local time, as show and list print it, to the
 * millisecond (%f; SQLite 3.40 has no 'subsec'). */
#define VIEW_TIME(col) "strftime('%%Y-%%m-%%d %%H:%%M:%%f', (r." col " >> 16) / 1000.0, 'unixepoch', 'localtime')"

/* (Re)creates the view form_<id>: one row per record, one column per question, readable in the sqlite3 shell. */
static int make_view(struct store *s, const struct form *f, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t i;
	int r;

	buf_printf(&b, "DROP VIEW IF EXISTS \"form_%s\"; CREATE VIEW \"form_%s\" AS SELECT r.id AS id,"
		   " CASE WHEN r.draft THEN 'draft' ELSE 'final' END AS status, r.deleted AS deleted,"
		   " r.conflicts AS conflicts, r.form_version AS form_version,"
		   " " VIEW_TIME("created") " AS created, " VIEW_TIME("updated") " AS updated",
		   form_id(f), form_id(f));
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);

		if (q->type == FT_NOTE)
			continue;
		buf_printf(&b, ", (SELECT CASE json_type(v.value) WHEN 'array' THEN"
			   " (SELECT group_concat(j.value, ' ') FROM json_each(v.value) j)"
			   " ELSE json_extract(v.value, '$') END FROM fields v"
			   " WHERE v.rid = r.rid AND v.field = '%s') AS \"%s\"", q->name, q->name);
	}
	r = buf_printf(&b, " FROM records r WHERE r.form = '%s';", form_id(f));
	if (r < 0)
		r = errf(err, errlen, "form '%s' is too large for its view", form_id(f));
	else
		r = db_exec(s->db, b.data, err, errlen);
	buf_release(&b);
	return r;
}

int store_form_put(struct store *s, const char *json, size_t len, char *err, size_t errlen)
{
	char msg[512];
	struct form *f = form_load(json, len, msg, sizeof(msg));
	sqlite3_stmt *st;
	char *canon = NULL;
	int r = -1, rc;

	if (!f)
		return errf(err, errlen, "%s", msg);
	if (!plain_name(form_id(f)) || !*form_version(f) || strlen(form_version(f)) > MERGE_MAX_NAME) {
		errf(err, errlen, "form id '%s' or version '%s' is not valid (letters, digits, _ . -; at most %d)",
		     form_id(f), form_version(f), MERGE_MAX_NAME);
		goto out;
	}
	canon = json_dumps(form_json(f), JSON_COMPACT | JSON_SORT_KEYS);
	st = s->st[S_FORM_GET];
	db_bind_text(st, 1, form_id(f));
	db_bind_text(st, 2, form_version(f));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int same = strcmp(db_text(st, 0), canon) == 0;

		sqlite3_reset(st);
		if (same)
			r = 0;
		else
			errf(err, errlen, "form '%s' version '%s' is already installed with a different definition;"
			     " give the new definition a new version", form_id(f), form_version(f));
		goto out;
	}
	sqlite3_reset(st);
	st = s->st[S_FORM_PUT];
	db_bind_text(st, 1, form_id(f));
	db_bind_text(st, 2, form_version(f));
	db_bind_text(st, 3, canon);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now_ms());
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	r = make_view(s, f, err, errlen);
out:
	free(canon);
	form_free(f);
	return r;
}

struct form *store_form_get(struct store *s, const char *id, const char *version, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[version ? S_FORM_GET : S_FORM_LATEST];
	struct form *f = NULL;
	const char *json;
	int rc;

	db_bind_text(st, 1, id);
	if (version)
		db_bind_text(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		json = db_text(st, 0);
		f = form_load(json, strlen(json), err, errlen);
	} else if (rc == SQLITE_DONE) {
		if (version)
			errf(err, errlen, "form '%s' version '%s' is not installed", id, version);
		else
			errf(err, errlen, "unknown form '%s' (see 'sondeo forms')", id);
	} else {
		db_error(s->db, rc, err, errlen);
	}
	sqlite3_reset(st);
	return f;
}

