/* store.c - the device's local store. */
#include "store.h"

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
#include "jsonc.h"
#include "keys.h"
#include "util.h"
#include "banned.h"

#define STORE_SCHEMA 3

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

/* Layout 2: the reviewer a server's op names (the pull's "by"), for the history. */
#define OP_AUTHORS_SQL \
	"CREATE TABLE IF NOT EXISTS op_authors(did INTEGER NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL," \
	" PRIMARY KEY(did, seq)) WITHOUT ROWID;"

/* The device's own tables beside the skeleton's meta and forms (dbstore.h) and the merge tables. */
static const char *const schema[] = { OP_AUTHORS_SQL, NULL };

static int remake_views(sqlite3 *db, char *err, size_t errlen);

/* Layout 2 added a table; layout 3 remakes the forms' views, whose dates layout 2 read wrongly (NULL in every
 * row). */
static const struct dbstore_step steps[] = {
	{ 1, OP_AUTHORS_SQL, NULL },
	{ 2, NULL, remake_views },
};

static const struct dbstore_spec spec = {
	.kind = DBSTORE_DEVICE, .layout = STORE_SCHEMA, .oldest = 1, .tables = merge_schema, .schema = schema,
	.steps = steps, .nsteps = sizeof(steps) / sizeof(steps[0]),
};

enum {
	S_FIND, S_RECORD_NEW, S_FIELD_GET,
	S_DRAFT_SET, S_DRAFT_CLEAR, S_TOUCH, S_CREATED, S_FINAL, S_DROP_FIELDS, S_DROP_RECORD, S_ANSWERS, S_DEVICE_NEW,
	S_AUTHOR, S_AUTHOR_GET,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_FIND] = "SELECT id, form, form_version, draft, deleted, conflicts, created, updated, rid FROM records"
		   " WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT 2",
	[S_RECORD_NEW] = "INSERT INTO records(id, form, form_version, created, updated, draft, updated_by)"
			 " VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6)",
	[S_DEVICE_NEW] = "INSERT OR IGNORE INTO devices(id) VALUES(?1)",
	[S_FIELD_GET] = "SELECT value, conflict FROM fields WHERE rid = ?1 AND field = ?2",
	/* Draft answers are fields without ops, marked as this device's. */
	[S_DRAFT_SET] = "INSERT INTO fields(rid, field, value, hlc, did)"
			" VALUES(?1, ?2, ?3, ?4, (SELECT did FROM devices WHERE id = ?5))"
			" ON CONFLICT(rid, field) DO UPDATE SET value = excluded.value, hlc = excluded.hlc",
	[S_DRAFT_CLEAR] = "DELETE FROM fields WHERE rid = ?1 AND field = ?2",
	[S_TOUCH] = "UPDATE records SET updated = max(updated, ?2) WHERE rid = ?1",
	/* A record was created when its first op was made, on every replica alike: they know only its ops. */
	[S_CREATED] = "UPDATE records SET created = coalesce((SELECT min(hlc) FROM ops WHERE rid = ?1), created)"
		      " WHERE rid = ?1",
	[S_FINAL] = "UPDATE records SET draft = 0 WHERE rid = ?1",
	[S_DROP_FIELDS] = "DELETE FROM fields WHERE rid = ?1",
	[S_DROP_RECORD] = "DELETE FROM records WHERE rid = ?1 AND draft",
	[S_ANSWERS] = "SELECT f.field, f.value FROM records r JOIN fields f ON f.rid = r.rid WHERE r.id = ?1",
	[S_AUTHOR] = "INSERT OR REPLACE INTO op_authors(did, seq, user) SELECT did, ?2, ?3 FROM devices WHERE id = ?1",
	[S_AUTHOR_GET] = "SELECT a.user FROM op_authors a JOIN devices d ON d.did = a.did WHERE d.id = ?1 AND a.seq = ?2",
};

struct store {
	char *dir;
	struct dbstore *base; /* the file, meta and forms (dbstore.h) */
	sqlite3 *db;          /* base's connection */
	struct merge *merge;
	char device[KEYS_ID_STRLEN + 1];
	char *name;
	uint64_t next_seq;   /* loaded by store_begin, saved by store_commit */
	uint64_t last_hlc;
	long long offset_ms; /* the server's clock minus ours, as learnt at sync: loaded by store_begin */
	struct keys *keys;   /* loaded on first use */
	struct op *ops;      /* room for one record's first ops, reused: an op carries its whole base */
	size_t ops_cap;
	sqlite3_stmt *st[S_COUNT];
};

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

static int make_view(sqlite3 *db, const struct form *f, char *err, size_t errlen);

/* Makes every form's view again, from the version installed last (as store_form_put leaves it). */
static int remake_views(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT json FROM forms f WHERE rowid = (SELECT g.rowid FROM forms g"
				      " WHERE g.id = f.id ORDER BY g.installed DESC, g.rowid DESC LIMIT 1)", err, errlen);
	int rc, r = 0;

	if (!st)
		return -1;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = db_text(st, 0);
		struct form *f = form_load(json, strlen(json), err, errlen);

		r = f ? make_view(db, f, err, errlen) : -1;
		form_free(f);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_error(db, rc, err, errlen);
	sqlite3_finalize(st);
	return r;
}

/* Creates or opens the store file (dbstore.h: kind, layout, upgrades) and prepares everything. */
static struct store *open_db(const char *dir, int create, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->dir = xstrdup(dir);
	s->base = create ? dbstore_create(&spec, dir, err, errlen) : dbstore_open(&spec, dir, err, errlen);
	if (!s->base)
		goto fail;
	s->db = dbstore_db(s->base);
	if (db_prepare_all(s->db, sql, s->st, S_COUNT, err, errlen) < 0)
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
		errf(err, errlen, "a store already exists in '%s'; nothing was changed", dir);
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
	dbstore_close(s->base);
	keys_free(s->keys);
	free(s->ops);
	free(s->dir);
	free(s->name);
	free(s);
}

sqlite3 *store_db(struct store *s) { return s->db; }
const char *store_dir(const struct store *s) { return s->dir; }
const char *store_device(const struct store *s) { return s->device; }
const char *store_name(struct store *s) { return s->name; }
struct merge *store_merge(struct store *s) { return s->merge; }

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

static uint64_t next_hlc(struct store *s)
{
	s->last_hlc = hlc_next(s->last_hlc, store_now(s));
	return s->last_hlc;
}

/* A record's stamp as the view shows it: its milliseconds in local time, as show and list print it, to the
 * millisecond (%f; SQLite 3.40 has no 'subsec'). */
#define VIEW_TIME(col) "strftime('%%Y-%%m-%%d %%H:%%M:%%f', (r." col " >> 16) / 1000.0, 'unixepoch', 'localtime')"

/* (Re)creates the view form_<id>: one row per record, one column per question, readable in the sqlite3 shell.
 * The form's id and question names are plain names (dbstore_form_put and form_load check them), so they can
 * name the view and its columns. */
static int make_view(sqlite3 *db, const struct form *f, char *err, size_t errlen)
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
			errf(err, errlen, "form '%s' version '%s' is not installed", id, version);
		else
			errf(err, errlen, "unknown form '%s' (see 'sondeo forms')", id);
	}
	return f;
}

static void record_from_row(sqlite3_stmt *st, struct store_record *rec)
{
	strlcpy_s(rec->id, db_text(st, 0), sizeof(rec->id));
	strlcpy_s(rec->form, db_text(st, 1), sizeof(rec->form));
	strlcpy_s(rec->form_version, db_text(st, 2), sizeof(rec->form_version));
	rec->draft = sqlite3_column_int(st, 3);
	rec->deleted = sqlite3_column_int(st, 4);
	rec->conflicts = sqlite3_column_int(st, 5);
	rec->created = (uint64_t)sqlite3_column_int64(st, 6);
	rec->updated = (uint64_t)sqlite3_column_int64(st, 7);
	rec->rid = sqlite3_column_int64(st, 8);
}

int store_find(struct store *s, const char *prefix, struct store_record *rec, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_FIND];
	char low[UUID_STRLEN + 1];
	size_t i, n = strlen(prefix);
	int rows = 0, rc;

	if (n == 0 || n > UUID_STRLEN)
		return errf(err, errlen, "'%s' is not a record id", prefix);
	for (i = 0; i <= n; i++) {
		char c = prefix[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (c && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			return errf(err, errlen, "'%s' is not a record id", prefix);
		low[i] = c;
	}
	db_bind_text(st, 1, low);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == 0)
			record_from_row(st, rec);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s->db, rc, err, errlen);
	if (rows == 0)
		return errf(err, errlen, "no record '%s'", prefix);
	if (rows > 1)
		return errf(err, errlen, "'%s' matches several records; give more of the id", prefix);
	return 0;
}

int store_create(struct store *s, const struct form *f, int draft, struct store_record *rec, char *err,
		 size_t errlen)
{
	sqlite3_stmt *st = s->st[S_RECORD_NEW];

	memset(rec, 0, sizeof(*rec));
	uuid_new(rec->id);
	strlcpy_s(rec->form, form_id(f), sizeof(rec->form));
	strlcpy_s(rec->form_version, form_version(f), sizeof(rec->form_version));
	rec->draft = draft;
	rec->created = rec->updated = next_hlc(s);
	db_bind_text(st, 1, rec->id);
	db_bind_text(st, 2, rec->form);
	db_bind_text(st, 3, rec->form_version);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)rec->created);
	sqlite3_bind_int(st, 5, draft);
	db_bind_text(st, 6, s->device);
	if (db_step_done(st, err, errlen) < 0)
		return -1;
	rec->rid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Collects the heads of a field as an op's base. */
static void add_base(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct op *op = ctx;

	(void)hlc;
	(void)value;
	if (op->nbase < MERGE_MAX_BASE)
		op->base[op->nbase++] = *id;
}

/* Makes op this device's next op, setting field of rec to value (canonical JSON text, borrowed). */
static void op_init(struct store *s, struct op *op, const struct store_record *rec, const char *field,
		    const char *value)
{
	op->nbase = 0;
	strlcpy_s(op->device, s->device, sizeof(op->device));
	op->seq = s->next_seq++;
	op->hlc = next_hlc(s);
	strlcpy_s(op->record, rec->id, sizeof(op->record));
	op->form = rec->form;
	op->form_version = rec->form_version;
	op->field = field;
	op->value = value;
}

/* The pseudo-fields a draft carries into its first ops: those of a repeat instance. */
static const char *const carried[] = { "_parent", "_repeat" };
#define NCARRIED (sizeof(carried) / sizeof(carried[0]))

/* Writes the first values of a record that has none yet: one op per answer (and per carried pseudo-field in
 * extra, which may be NULL), nothing before them. The record's creation becomes theirs: the stamp store_create
 * gave it (when a draft was begun, say) is this device's alone, and the other replicas see only the ops. */
static int write_first(struct store *s, const struct store_record *rec, const struct form *f, char **values,
		       char **extra, char *err, size_t errlen)
{
	size_t i, n = 0;

	if (s->ops_cap < form_count(f) + NCARRIED) {
		s->ops_cap = form_count(f) + NCARRIED;
		s->ops = xrealloc(s->ops, s->ops_cap * sizeof(*s->ops));
	}
	for (i = 0; i < form_count(f); i++)
		if (values[i])
			op_init(s, &s->ops[n++], rec, form_question(f, i)->name, values[i]);
	for (i = 0; extra && i < NCARRIED; i++)
		if (extra[i])
			op_init(s, &s->ops[n++], rec, carried[i], extra[i]);
	if (merge_apply_local(s->merge, s->ops, n, err, errlen) != MERGE_NEW)
		return -1;
	sqlite3_bind_int64(s->st[S_CREATED], 1, rec->rid);
	return db_step_done(s->st[S_CREATED], err, errlen);
}

int store_add(struct store *s, const struct form *f, const json_t *answers, int draft, struct store_record *rec,
	      char *err, size_t errlen)
{
	char **values = xcalloc(form_count(f) ? form_count(f) : 1, sizeof(*values));
	size_t i;
	int r = -1;

	if (store_create(s, f, draft, rec, err, errlen) < 0)
		goto out;
	for (i = 0; i < form_count(f); i++) {
		const json_t *v = json_object_get(answers, form_question(f, i)->name);

		if (v && !json_is_null(v) &&
		    !(values[i] = jsonc_dumps(v))) {
			errf(err, errlen, "cannot encode the answer to '%s'", form_question(f, i)->name);
			goto out;
		}
	}
	if (!draft) {
		r = write_first(s, rec, f, values, NULL, err, errlen);
		goto out;
	}
	for (i = 0; i < form_count(f); i++) {
		json_t *v = json_object_get(answers, form_question(f, i)->name);

		if (v && store_set(s, rec, form_question(f, i)->name, v, err, errlen) < 0)
			goto out;
	}
	r = 0;
out:
	for (i = 0; i < form_count(f); i++)
		free(values[i]);
	free(values);
	return r;
}

int store_set(struct store *s, const struct store_record *rec, const char *field, const json_t *value,
	      char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_FIELD_GET];
	char *text = value ? jsonc_dumps(value) : NULL;
	int rc, unchanged, r = -1;

	if (value && !text)
		return errf(err, errlen, "cannot encode the answer to '%s'", field);
	sqlite3_bind_int64(st, 1, rec->rid);
	db_bind_text(st, 2, field);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *cur = db_text(st, 0);

		/* The same value again, or clearing a cleared field, is not a change; unless the field is in
		 * conflict, where writing it is what resolves the conflict. */
		unchanged = !sqlite3_column_int(st, 1) &&
			    (text ? strcmp(cur, text) == 0 : strcmp(cur, "null") == 0);
	} else {
		unchanged = !text;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	if (unchanged) {
		r = 0;
		goto out;
	}
	if (rec->draft) {
		uint64_t h = next_hlc(s);

		st = s->st[text ? S_DRAFT_SET : S_DRAFT_CLEAR];
		sqlite3_bind_int64(st, 1, rec->rid);
		db_bind_text(st, 2, field);
		if (text) {
			db_bind_text(st, 3, text);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)h);
			db_bind_text(st, 5, s->device);
		}
		if (db_step_done(st, err, errlen) < 0)
			goto out;
		st = s->st[S_TOUCH];
		sqlite3_bind_int64(st, 1, rec->rid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)h);
		if (db_step_done(st, err, errlen) < 0)
			goto out;
	} else {
		struct op op;

		/* The base is what the field shows now, every head of it: the edit replaces them all, which is
		 * also how a conflict is resolved. */
		op_init(s, &op, rec, field, text ? text : "null");
		if (merge_heads(s->merge, rec->id, field, add_base, &op, err, errlen) < 0 ||
		    merge_apply_local(s->merge, &op, 1, err, errlen) != MERGE_NEW)
			goto out;
	}
	r = 1;
out:
	free(text);
	return r;
}

int store_finalize(struct store *s, const struct store_record *rec, const struct form *f, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st = s->st[S_FIELD_GET];
	char **values = xcalloc(form_count(f) ? form_count(f) : 1, sizeof(*values)), *extra[NCARRIED] = { NULL };
	size_t i;
	int r = -1, rc;

	if (!rec->draft) {
		free(values);
		return 0;
	}
	for (i = 0; i < form_count(f); i++) {
		sqlite3_bind_int64(st, 1, rec->rid);
		db_bind_text(st, 2, form_question(f, i)->name);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			values[i] = xstrdup(db_text(st, 0));
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			db_error(s->db, rc, err, errlen);
			goto out;
		}
	}
	/* A repeat instance's _parent and _repeat go with them. */
	for (i = 0; i < NCARRIED; i++) {
		sqlite3_bind_int64(st, 1, rec->rid);
		db_bind_text(st, 2, carried[i]);
		if (sqlite3_step(st) == SQLITE_ROW)
			extra[i] = xstrdup(db_text(st, 0));
		sqlite3_reset(st);
	}
	/* The draft's answers are the record's first values: nothing came before them. */
	if (write_first(s, rec, f, values, extra, err, errlen) < 0)
		goto out;
	st = s->st[S_FINAL];
	sqlite3_bind_int64(st, 1, rec->rid);
	r = db_step_done(st, err, errlen);
out:
	for (i = 0; i < form_count(f); i++)
		free(values[i]);
	for (i = 0; i < NCARRIED; i++)
		free(extra[i]);
	free(values);
	return r;
}

int store_instance_count(struct store *s, const char *parent, const char *repeat)
{
	sqlite3_stmt *st = db_prepare(s->db, "SELECT count(*) FROM records r JOIN fields p ON p.rid = r.rid AND"
				      " p.field = '_parent' AND p.value = json_quote(?1) JOIN fields x ON x.rid = r.rid"
				      " AND x.field = '_repeat' AND x.value = json_quote(?2) WHERE NOT r.deleted", NULL, 0);
	int n = -1;

	if (!st)
		return -1;
	db_bind_text(st, 1, parent);
	db_bind_text(st, 2, repeat);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int store_delete_tree(struct store *s, const struct store_record *rec, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char (*ids)[UUID_STRLEN + 1] = NULL;
	size_t k = 0, cap = 0, i;
	int rc, r = -1;

	/* The instances first: once the record is gone, its drafts among them could not be found by it. */
	if (!(st = db_prepare(s->db, "SELECT r.id FROM records r JOIN fields p ON p.rid = r.rid AND p.field = '_parent'"
			      " AND p.value = json_quote(?1) WHERE NOT r.deleted", err, errlen)))
		return -1;
	db_bind_text(st, 1, rec->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap)
			ids = xrealloc(ids, (cap = cap ? cap * 2 : 16) * sizeof(*ids));
		strlcpy_s(ids[k++], db_text(st, 0), sizeof(ids[0]));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	for (i = 0; i < k; i++) {
		struct store_record child;

		if (store_find(s, ids[i], &child, err, errlen) < 0 || store_delete_tree(s, &child, n, err, errlen) < 0)
			goto out;
	}
	if (store_delete(s, rec, err, errlen) < 0)
		goto out;
	(*n)++;
	r = 0;
out:
	free(ids);
	return r;
}

int store_delete(struct store *s, const struct store_record *rec, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (!rec->draft) {
		json_t *t = json_true();
		int r = store_set(s, rec, "_deleted", t, err, errlen);

		json_decref(t);
		return r < 0 ? -1 : 0;
	}
	/* A draft never left this device: removing it leaves nothing behind anywhere. */
	st = s->st[S_DROP_FIELDS];
	sqlite3_bind_int64(st, 1, rec->rid);
	if (db_step_done(st, err, errlen) < 0)
		return -1;
	st = s->st[S_DROP_RECORD];
	sqlite3_bind_int64(st, 1, rec->rid);
	return db_step_done(st, err, errlen);
}

json_t *store_answers(struct store *s, const char *record, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_ANSWERS];
	json_t *obj = json_object();
	int rc;

	db_bind_text(st, 1, record);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *v = json_loads(db_text(st, 1), JSON_DECODE_ANY, NULL);

		if (v && !json_is_null(v))
			json_object_set_new(obj, db_text(st, 0), v);
		else
			json_decref(v);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *store_answers_in_view(struct store *s, const json_t *answers, char *err, size_t errlen)
{
	const char *parent = json_string_value(json_object_get(answers, "_parent"));
	json_t *view = parent ? store_answers(s, parent, err, errlen) : json_object();

	if (view)
		json_object_update(view, (json_t *)answers);
	return view;
}

int store_op_author(struct store *s, const char *device, uint64_t seq, const char *user, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[S_AUTHOR];

	db_bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	db_bind_text(st, 3, user);
	return db_step_done(st, err, errlen);
}

int store_op_author_get(struct store *s, const char *device, uint64_t seq, char *user, size_t n)
{
	sqlite3_stmt *st = s->st[S_AUTHOR_GET];
	int found;

	user[0] = '\0';
	db_bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		strlcpy_s(user, db_text(st, 0), n);
	sqlite3_reset(st);
	return found;
}
