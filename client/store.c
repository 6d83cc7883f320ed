/* store.c - the device's local store: its set-up (directory, keys, database, layout, through the skeleton
 * dbstore.h), meta, transactions, clock and forms. */
#include "store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "dbstore.h"
#include "hlc.h"
#include "i18n.h"
#include "jsonc.h"
#include "keys.h"
#include "util.h"
#include "banned.h"

#define STORE_SCHEMA 5

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

/* Layout 2: the reviewer a server's op names (the pull's "by"), for the history. */
#define OP_AUTHORS_SQL \
	"CREATE TABLE IF NOT EXISTS op_authors(did INTEGER NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL," \
	" PRIMARY KEY(did, seq)) WITHOUT ROWID;"

/* Layout 5: the attachments each server (by the prefix of its meta keys: "" or "hq_") holds whole, so that a
 * sync sends only the others (store-media.c). */
#define MEDIA_SENT_SQL \
	"CREATE TABLE IF NOT EXISTS media_sent(server TEXT NOT NULL, blake2b TEXT NOT NULL," \
	" PRIMARY KEY(server, blake2b)) WITHOUT ROWID;"

/* The device's own tables beside the skeleton's meta and forms (dbstore.h) and the merge tables. */
static const char *const schema[] = { OP_AUTHORS_SQL, MEDIA_SENT_SQL, NULL };

static int remake_views(struct db *db, char *err, size_t errlen);

/* Layout 2 added a table; layout 3 remakes the forms' views, whose dates layout 2 read wrongly (NULL in every
 * row); layout 4 keeps a field's single head as fields.op alone (merge.h); layout 5 adds media_sent. */
static const struct dbstore_step steps[] = {
	{ 1, OP_AUTHORS_SQL, NULL, NULL },
	{ 2, NULL, remake_views, NULL },
	{ 3, NULL, merge_upgrade_heads, NULL },
	{ 4, MEDIA_SENT_SQL, NULL, NULL },
};

static const struct dbstore_spec spec = {
	.kind = DBSTORE_DEVICE, .layout = STORE_SCHEMA, .oldest = 1, .tables = merge_schema, .schema = schema,
	.steps = steps, .nsteps = sizeof(steps) / sizeof(steps[0]),
};

enum { S_DEVICE_NEW, S_COUNT };
_Static_assert(S_COUNT == STORE_CORE_STMTS, "store.c's statements");

static const char *const sql[STORE_CORE_STMTS] = {
	[S_DEVICE_NEW] = "INSERT OR IGNORE INTO devices(id) VALUES(?1)",
};

void store_global_init(void)
{
	/* One thread, one connection: SQLite's allocation statistics and mutexes are pure cost here. */
	db_single_thread();
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

/* dir/file; with file "-wal", the path dir with that suffix. Caller frees. */
static char *path_in(const char *dir, const char *file)
{
	struct buf b = BUF_INIT(8192);

	if (buf_printf(&b, file[0] == '-' ? "%s%s" : "%s/%s", dir, file) < 0)
		return xstrdup(file);
	return buf_detach(&b, NULL);
}

static int meta_get(struct store *s, const char *key, char *out, size_t n)
{
	return dbstore_meta_get(s->base, key, out, n);
}

static int meta_set(struct store *s, const char *key, const char *value, char *err, size_t errlen)
{
	return dbstore_meta_set(s->base, key, value, err, errlen);
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

static int make_view(struct db *db, const struct form *f, char *err, size_t errlen);

/* Makes every form's view again, from the version installed last (as store_form_put leaves it). */
static int remake_views(struct db *db, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare(db, "SELECT json FROM forms f WHERE rowid = (SELECT g.rowid FROM forms g"
				      " WHERE g.id = f.id ORDER BY g.installed DESC, g.rowid DESC LIMIT 1)", err, errlen);
	int rc, r = 0;

	if (!st)
		return -1;
	while (r == 0 && (rc = db_step(st)) == DB_ROW) {
		const char *json = db_text(st, 0);
		struct form *f = form_load(json, strlen(json), err, errlen);

		r = f ? make_view(db, f, err, errlen) : -1;
		form_free(f);
	}
	if (r == 0 && rc != DB_DONE)
		r = db_error(db, rc, err, errlen);
	db_finalize(st);
	return r;
}

/* Creates or opens the store file (dbstore.h: kind, layout, upgrades) and prepares everything. */
static struct store *open_db(const char *dir, int create, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->dir = xstrdup(dir);
	s->media_lock = -1;
	s->base = create ? dbstore_create(&spec, dir, err, errlen) : dbstore_open(&spec, dir, err, errlen);
	if (!s->base)
		goto fail;
	s->db = dbstore_db(s->base);
	if (db_prepare_all(s->db, sql, NULL, s->st, S_COUNT, err, errlen) < 0 ||
	    db_prepare_all(s->db, store_records_sql, NULL, s->rst, STORE_RECORDS_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, store_sync_sql, NULL, s->yst, STORE_SYNC_STMTS, err, errlen) < 0)
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
	char *db_path = path_in(dir, dbstore_file(DBSTORE_DEVICE)), *sk = path_in(dir, "device.key");
	char *pk = path_in(dir, "device.pub");
	unsigned char pub[KEYS_PK_BYTES];
	struct store *s = NULL;
	struct stat st;
	mode_t old_mask;
	int r = -1;

	if (stat(db_path, &st) == 0 || stat(sk, &st) == 0) {
		errf(err, errlen, _("a store already exists in '%s'; nothing was changed"), dir);
		goto out;
	}
	if (dbstore_make_dir(dir, err, errlen) < 0)
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
	    meta_set(s, "device", device_id, err, errlen) < 0 || meta_set(s, "name", name ? name : "", err, errlen) < 0 ||
	    meta_set_u64(s, "next_seq", 1, err, errlen) < 0 || meta_set_u64(s, "hlc", 0, err, errlen) < 0 ||
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
		char *w = path_in(db_path, "-wal"), *m = path_in(db_path, "-shm");
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
	struct store *s;
	char buf[256];

	s = open_db(dir, 0, err, errlen);
	if (!s)
		return NULL;
	if (meta_get(s, "device", s->device, sizeof(s->device)) < 0) {
		errf(err, errlen, _("'%s' is not a Sondeo store"), dir);
		store_close(s);
		return NULL;
	}
	s->name = xstrdup(meta_get(s, "name", buf, sizeof(buf)) == 0 ? buf : "");
	if (store_media_open(s, err, errlen) < 0) {
		store_close(s);
		return NULL;
	}
	clock_correct(store_clock_offset(s));
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
	store_media_close(s);
	dbstore_close(s->base);
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
	(void)s;
	return clock_ms();
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
	clock_correct(offset_ms);
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
	clock_correct(store_clock_offset(s));
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

/* A record's stamp as the view shows it: its milliseconds in local time, as show and list print it, to the
 * millisecond (%f; SQLite 3.40 has no 'subsec'). */
#define VIEW_TIME(col) "strftime('%%Y-%%m-%%d %%H:%%M:%%f', (r." col " >> 16) / 1000.0, 'unixepoch', 'localtime')"

/* (Re)creates the view form_<id>: one row per record, one column per question, readable in the sqlite3 shell.
 * The form's id and question names are plain names (dbstore_form_put and form_load check them), so they can
 * name the view and its columns. */
static int make_view(struct db *db, const struct form *f, char *err, size_t errlen)
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
		r = errf(err, errlen, _("form '%s' is too large for its view"), form_id(f));
	else
		r = db_exec(db, b.data, err, errlen);
	buf_release(&b);
	return r;
}

int store_form_put(struct store *s, const char *json, size_t len, char *err, size_t errlen)
{
	struct form *f;
	int r = dbstore_form_put(s->base, json, len, &f, err, errlen);

	/* A new definition: the form's view shows its questions. */
	if (r == 1)
		r = make_view(s->db, f, err, errlen);
	form_free(f);
	return r < 0 ? -1 : 0;
}

struct form *store_form_get(struct store *s, const char *id, const char *version, char *err, size_t errlen)
{
	struct form *f;

	if (dbstore_form_get(s->base, id, version, &f, err, errlen) == 0) {
		if (version)
			errf(err, errlen, _("form '%s' version '%s' is not installed"), id, version);
		else
			errf(err, errlen, _("unknown form '%s' (see 'sondeo forms')"), id);
	}
	return f;
}
