/* db.c - db.h: SQLite's engine, and the calls of another engine's connections handed to it (db-engine.h). */
#include "db.h"
#include "db-engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

/* Whether this process's stores could write at their last try (db_writable): one state for the process, since
 * a full disk is full for every connection to a store on it. */
static pthread_mutex_t writable_lock = PTHREAD_MUTEX_INITIALIZER;
static int unwritable;
static char unwritable_why[512];
static void (*writable_fn)(int writable, const char *path, const char *why);

/* Who checkpoints (db_on_checkpoint): read on commits that filled the WAL, a few a minute at most. */
static pthread_mutex_t checkpoint_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*checkpoint_fn)(void *ctx, const char *path);
static void *checkpoint_ctx;

static void writable_set(sqlite3 *db, int writable, const char *msg)
{
	const char *path;
	void (*fn)(int, const char *, const char *) = NULL;

	/* Every commit comes here: the usual case, no change, takes no lock. */
	if (__atomic_load_n(&unwritable, __ATOMIC_RELAXED) == !writable)
		return;
	path = db ? sqlite3_db_filename(db, "main") : NULL;
	pthread_mutex_lock(&writable_lock);
	if (unwritable != !writable) {
		__atomic_store_n(&unwritable, !writable, __ATOMIC_RELAXED);
		strlcpy_s(unwritable_why, msg, sizeof(unwritable_why));
		fn = writable_fn;
	}
	pthread_mutex_unlock(&writable_lock);
	if (fn)
		/* TRANSLATORS: stands for the store's file name in an administrator's message when it is not known. */
		fn(writable, path && *path ? path : _("(the store)"), msg);
}

void db_engine_wrote(void)
{
	writable_set(NULL, 1, "");
}

int db_writable(char *why, size_t n)
{
	int r;

	pthread_mutex_lock(&writable_lock);
	r = !__atomic_load_n(&unwritable, __ATOMIC_RELAXED);
	if (why && n)
		strlcpy_s(why, unwritable_why, n);
	pthread_mutex_unlock(&writable_lock);
	return r;
}

void db_on_writable(void (*fn)(int writable, const char *path, const char *why))
{
	pthread_mutex_lock(&writable_lock);
	writable_fn = fn;
	pthread_mutex_unlock(&writable_lock);
}

void db_on_checkpoint(void (*fn)(void *ctx, const char *path), void *ctx)
{
	pthread_mutex_lock(&checkpoint_lock);
	checkpoint_fn = fn;
	checkpoint_ctx = ctx;
	pthread_mutex_unlock(&checkpoint_lock);
}

/* The message for rc (msg: the engine's own words), and whether it means that nothing can be written (a full
 * disk, a failed write). enospc: the engine saw the system say the disk is full. */
static int error_text(int rc, const char *msg, int enospc, char *err, size_t errlen, int *cannot_write)
{
	*cannot_write = 1;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*cannot_write = 0;
		return errf(err, errlen, _("the store is busy: another program is writing to it (try again)"));
	case SQLITE_READONLY:
		return errf(err, errlen, _("the store is read-only"));
	case SQLITE_FULL:
		return errf(err, errlen, _("the disk is full"));
	case SQLITE_IOERR:
		if (enospc)
			return errf(err, errlen, _("the disk is full"));
		if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC || errno == ENOSPC)
			return errf(err, errlen, _("cannot write the store (%s)"), msg);
		*cannot_write = 0;
		return errf(err, errlen, _("input/output error on the store: %s"), msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		*cannot_write = 0;
		return errf(err, errlen, _("the store is damaged or not a Sondeo store: %s"), msg);
	case SQLITE_CANTOPEN:
		*cannot_write = 0;
		return errf(err, errlen, _("cannot open the store: %s"), msg);
	default:
		*cannot_write = 0;
		return errf(err, errlen, _("store error: %s"), msg);
	}
}

int db_engine_error(int rc, const char *msg, char *err, size_t errlen)
{
	char text[512];
	int cannot_write;

	error_text(rc, msg, 0, text, sizeof(text), &cannot_write);
	if (cannot_write)
		writable_set(NULL, 0, text);
	return errf(err, errlen, "%s", text);
}

/* db_error over a bare SQLite connection (NULL: none yet). */
static int lite_error(sqlite3 *db, int rc, char *err, size_t errlen)
{
	char msg[512];
	int cannot_write;

	error_text(rc, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), db && sqlite3_system_errno(db) == ENOSPC, msg,
		   sizeof(msg), &cannot_write);
	if (cannot_write)
		writable_set(db, 0, msg);
	return errf(err, errlen, "%s", msg);
}

int db_error(struct db *db, int rc, char *err, size_t errlen)
{
	if (db && db->e)
		return db->e->error(db, rc, err, errlen);
	return lite_error(db ? db->lite : NULL, rc, err, errlen);
}

const char *db_errmsg(struct db *db)
{
	return db->e ? db->e->errmsg(db) : sqlite3_errmsg(db->lite);
}

/* 1 if the database file or its directory cannot be written at all (a read-only mount or file), as opposed
 * to a full disk or a lock. */
static int read_only_place(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (access(path, W_OK) < 0 && (errno == EROFS || errno == EACCES || errno == EPERM))
		return 1;
	if (!slash)
		return access(".", W_OK) < 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) + (slash == path), path);
	return access(dir, W_OK) < 0 && (errno == EROFS || errno == EACCES || errno == EPERM);
}

/* Opens path read-only as an immutable file: no locks, no WAL files. NULL if even that fails. */
static sqlite3 *open_immutable(const char *path)
{
	static const char keep[] = "-._~/";
	sqlite3 *db = NULL;
	char *uri;
	size_t i, n = 0;

	/* A URI: every byte that is not plainly safe is percent-encoded. */
	uri = sqlite3_malloc64(strlen(path) * 3 + 32);
	if (!uri)
		return NULL;
	n += (size_t)snprintf(uri, 8, "file:");
	for (i = 0; path[i]; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(keep, c))
			uri[n++] = (char)c;
		else
			n += (size_t)snprintf(uri + n, 4, "%%%02X", c);
	}
	snprintf(uri + n, 16, "?immutable=1");
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
			    SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL;
	}
	sqlite3_free(uri);
	return db;
}

/* Called by SQLite after each commit that wrote pages to the WAL: the store can write again. */
static int wal_written(void *ctx, sqlite3 *db, const char *name, int pages)
{
	int handed;

	(void)ctx;
	writable_set(db, 1, "");
	/* A hook of our own replaces SQLite's automatic checkpoint, which this does as SQLite would have, unless
	 * another thread is to do it (db_on_checkpoint). fn runs under the lock, so that once db_on_checkpoint has
	 * taken it away nobody is still calling it. */
	if (pages < DB_CHECKPOINT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&checkpoint_lock);
	if ((handed = checkpoint_fn != NULL))
		checkpoint_fn(checkpoint_ctx, sqlite3_db_filename(db, name));
	pthread_mutex_unlock(&checkpoint_lock);
	if (!handed)
		sqlite3_wal_checkpoint(db, name);
	return SQLITE_OK;
}

struct db *db_open(const char *path, int flags, char *err, size_t errlen)
{
	struct db *h = calloc(1, sizeof(*h));
	sqlite3 *db = NULL;
	int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc;

	if (!h) {
		err_oom(err, errlen);
		return NULL;
	}
	oflags |= (flags & DB_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & DB_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db, oflags, NULL);
	/* Before the first statement: switching to WAL reads the file, and must wait for another program's lock
	 * as every later statement does, not fail at once. */
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(db, DB_BUSY_MS);
	if (rc == SQLITE_OK && !(flags & DB_READONLY)) {
		/* journal_mode answers with a row; it fails where the WAL's files cannot be made. */
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if (rc != SQLITE_OK && read_only_place(path)) {
			/* On read-only media a WAL database cannot make its shared-memory file; nobody can write
			 * there either, so it is opened as immutable and can still be read. Writes then fail as
			 * read-only. */
			sqlite3 *ro = open_immutable(path);

			if (ro) {
				sqlite3_close(db);
				db = ro;
				rc = SQLITE_OK;
			}
		}
		if (rc != SQLITE_OK) {
			lite_error(db, rc, err, errlen);
			sqlite3_close(db);
			free(h);
			return NULL;
		}
	}
	if (rc != SQLITE_OK) {
		errf(err, errlen, _("cannot open '%s': %s"), path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		free(h);
		return NULL;
	}
	h->lite = db;
	/* The immutable fallback is a connection of its own. */
	sqlite3_busy_timeout(db, DB_BUSY_MS);
	sqlite3_wal_hook(db, wal_written, NULL);
	sqlite3_extended_result_codes(db, 1);
	if (db_exec(h, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;"
		    " PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;", err,
		    errlen) < 0) {
		db_close(h);
		return NULL;
	}
	return h;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->e)
		db->e->close(db);
	else
		sqlite3_close_v2(db->lite);
	free(db);
}

void db_set_busy_ms(struct db *db, int ms)
{
	if (db->e) {
		db->e->set_busy_ms(db, ms);
		return;
	}
	sqlite3_busy_timeout(db->lite, ms);
}

void db_single_thread(void)
{
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	if (db->e)
		return db->e->exec(db, sql, err, errlen);
	int rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_error(db, rc, err, errlen);
}

/* A statement of db: prepared by its engine, or a prepared SQLite statement lite wrapped. NULL with err (lite
 * finalized) on failure. */
static struct db_stmt *stmt_new(struct db *db, sqlite3_stmt *lite, const char *sql, size_t len, int once,
				char *err, size_t errlen)
{
	struct db_stmt *st = calloc(1, sizeof(*st));

	if (!st) {
		sqlite3_finalize(lite);
		err_oom(err, errlen);
		return NULL;
	}
	st->lite = lite;
	st->db = db;
	if (db->e && db->e->prepare(db, st, sql, len, once, err, errlen) < 0) {
		free(st);
		return NULL;
	}
	return st;
}

/* Statements are prepared against one snapshot of the schema. Outside a read transaction another program's change
 * of the schema (the server making a form's table while an admin command opens the store) can land between this
 * connection's reading of the schema and a virtual table's reads of its own tables as it connects (FTS5's config):
 * the prepare then fails with "database schema has changed" or "vtable constructor failed". Inside a read
 * transaction every read sees the same schema. snapshot_take opens one when none is: 1 if it began a transaction
 * that snapshot_end must end (the caller's own BEGIN keeps the snapshot to its end), 0 otherwise. Should the
 * snapshot not be had (the store busy recovering), the prepare goes on without it, as before. */
static int snapshot_take(sqlite3 *db)
{
	int began;

	if (sqlite3_txn_state(db, NULL) != SQLITE_TXN_NONE)
		return 0;
	began = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	/* BEGIN alone reads nothing: the snapshot starts with the first read. */
	if (sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK && began) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		began = 0;
	}
	return began;
}

/* Ends the snapshot snapshot_take began (began 1); a read transaction's end changes nothing. */
static void snapshot_end(sqlite3 *db, int began)
{
	if (began && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* The SQLite statement for sql (len bytes, -1 to its NUL), prepared against one snapshot of the schema: for the
 * life of the connection (once 0) or to be run once; NULL with err on failure, worded as db_error words it (once
 * 0) or as a statement that could not be made (once 1). */
static sqlite3_stmt *lite_prepare(struct db *db, const char *sql, int len, int once, char *err, size_t errlen)
{
	int began = snapshot_take(db->lite);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->lite, sql, len, once ? 0 : SQLITE_PREPARE_PERSISTENT, &st, NULL);

	/* The error is worded before the snapshot's end, whose own result replaces the connection's message. */
	if (rc != SQLITE_OK && once)
		/* TRANSLATORS: %s is the database engine's own words, in English. */
		errf(err, errlen, _("cannot prepare a statement: %s"), sqlite3_errmsg(db->lite));
	else if (rc != SQLITE_OK)
		db_error(db, rc, err, errlen);
	snapshot_end(db->lite, began);
	return rc == SQLITE_OK ? st : NULL;
}

struct db_stmt *db_prepare(struct db *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (db->e)
		return stmt_new(db, NULL, sql, strlen(sql), 0, err, errlen);
	if (!(st = lite_prepare(db, sql, -1, 0, err, errlen)))
		return NULL;
	return stmt_new(db, st, sql, 0, 0, err, errlen);
}

struct db_stmt *db_prepare_once(struct db *db, const char *sql, size_t len, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (db->e)
		return stmt_new(db, NULL, sql, len, 1, err, errlen);
	if (len > (size_t)INT32_MAX) {
		errf(err, errlen, _("cannot prepare a statement: %s"), sqlite3_errstr(SQLITE_TOOBIG));
		return NULL;
	}
	if (!(st = lite_prepare(db, sql, (int)len, 1, err, errlen)))
		return NULL;
	return stmt_new(db, st, sql, 0, 1, err, errlen);
}

int db_prepare_all(struct db *db, const char *const *sql, const char *const *pg, struct db_stmt **st, int n,
		   char *err, size_t errlen)
{
	/* One snapshot for them all, rather than one each. */
	int began = db->e ? 0 : snapshot_take(db->lite);
	int i;

	for (i = 0; i < n; i++) {
		const char *text = db->e && pg && pg[i] ? pg[i] : sql[i];

		if (!text) {
			st[i] = NULL;
			continue;
		}
		if (!(st[i] = db_prepare(db, text, err, errlen))) {
			db_finalize_all(st, i);
			break;
		}
	}
	if (!db->e)
		snapshot_end(db->lite, began);
	return i < n ? -1 : 0;
}

int db_check(struct db *db, char *err, size_t errlen)
{
	return db->e ? db->e->check(db, err, errlen) : 0;
}

void db_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	if (st->db->e)
		st->db->e->finalize(st);
	else
		sqlite3_finalize(st->lite);
	free(st);
}

void db_finalize_all(struct db_stmt **st, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		db_finalize(st[i]);
		st[i] = NULL;
	}
}

int db_begin(struct db *db, char *err, size_t errlen)
{
	if (db->e)
		return db->e->begin(db, 0, err, errlen);
	return db_exec(db, "BEGIN IMMEDIATE", err, errlen);
}

int db_begin_read(struct db *db, char *err, size_t errlen)
{
	if (db->e)
		return db->e->begin(db, 1, err, errlen);
	return db_exec(db, "BEGIN", err, errlen);
}

int db_commit(struct db *db, char *err, size_t errlen)
{
	int rc;

	if (db->e)
		return db->e->commit(db, err, errlen);
	rc = sqlite3_exec(db->lite, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	db_error(db, rc, err, errlen);
	db_rollback(db);
	return -1;
}

void db_rollback(struct db *db)
{
	if (db->e) {
		db->e->rollback(db);
		return;
	}
	if (!sqlite3_get_autocommit(db->lite))
		sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs the one-row question sql with a and b (may be NULL) bound: 1 if it has a row, 0 if not, -1 with err. */
static int has_row(struct db *db, const char *sql, const char *a, const char *b, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare_once(db, sql, strlen(sql), err, errlen);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, a);
	if (b)
		db_bind_text(st, 2, b);
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_error(db, rc, err, errlen);
	return rc == DB_ROW;
}

int db_has_table(struct db *db, const char *name, char *err, size_t errlen)
{
	/* The catalog itself, not information_schema, whose views take milliseconds a question on PostgreSQL. */
	return has_row(db, db->e ? "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE"
				   " n.nspname = current_schema() AND c.relname = ?1 AND c.relkind IN ('r', 'p')" :
				   "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
		       name, NULL, err, errlen);
}

int db_has_column(struct db *db, const char *table, const char *column, char *err, size_t errlen)
{
	return has_row(db, db->e ? "SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
				   " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
				   " AND c.relname = ?1 AND a.attname = ?2 AND a.attnum > 0 AND NOT a.attisdropped" :
				   "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
		       table, column, err, errlen);
}

int db_is_pg(struct db *db)
{
	return db->e != NULL;
}

int db_in_transaction(struct db *db)
{
	if (db->e)
		return db->e->in_transaction(db);
	return !sqlite3_get_autocommit(db->lite);
}

static int key_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int db_lock(struct db *db, const char *const *names, size_t n, char *err, size_t errlen)
{
	int64_t *keys;
	size_t i, k = 0;
	int r;

	if (!db->e || !n)
		return 0;
	if (!(keys = malloc(n * sizeof(*keys))))
		return db_engine_error(DB_NOMEM, "out of memory", err, errlen);
	for (i = 0; i < n; i++) {
		/* FNV-1a: names that share a key only wait on each other more often than they need. */
		uint64_t h = 14695981039346656037ULL;
		const unsigned char *p;

		for (p = (const unsigned char *)names[i]; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		keys[i] = (int64_t)h;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		if (!k || keys[k - 1] != keys[i])
			keys[k++] = keys[i];
	r = db->e->lock(db, keys, k, err, errlen);
	free(keys);
	return r;
}

void db_on_rollback(struct db *db, void (*fn)(void *ctx), void *ctx)
{
	db->on_rollback = fn;
	db->on_rollback_ctx = ctx;
	if (!db->e)
		sqlite3_rollback_hook(db->lite, fn, ctx);
}

void db_checkpoint(struct db *db)
{
	if (db->e)
		return;
	sqlite3_wal_checkpoint_v2(db->lite, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

int db_backup(struct db *db, const char *path, const char *then, char *err, size_t errlen)
{
	struct db copy = { NULL };
	sqlite3_backup *b;
	int rc, r = -1;

	if (db->e)
		/* TRANSLATORS: the backup of a store on PostgreSQL is PostgreSQL's own tools' job. */
		return errf(err, errlen, _("a store on PostgreSQL is copied with PostgreSQL's own tools (pg_dump,"
					   " pg_basebackup)"));
	if (sqlite3_open_v2(path, &copy.lite, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		errf(err, errlen, _("cannot open '%s': %s"), path, copy.lite ? sqlite3_errmsg(copy.lite) : "out of memory");
		goto out;
	}
	/* All the pages in one step: one read transaction, so one moment of the store, while others go on writing
	 * (WAL readers do not stop writers, nor a writer them). */
	if (!(b = sqlite3_backup_init(copy.lite, "main", db->lite, "main"))) {
		errf(err, errlen, _("cannot copy the store: %s"), sqlite3_errmsg(copy.lite));
		goto out;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		errf(err, errlen, _("cannot copy the store: %s"), sqlite3_errstr(rc));
		goto out;
	}
	if (db_exec(&copy, "PRAGMA journal_mode=DELETE;", err, errlen) < 0 || (then && db_exec(&copy, then, err, errlen) < 0))
		goto out;
	r = 0;
out:
	if (copy.lite && sqlite3_close(copy.lite) != SQLITE_OK && r == 0)
		r = errf(err, errlen, _("cannot write '%s'"), path);
	return r;
}

int db_step(struct db_stmt *st)
{
	if (st->db->e)
		return st->db->e->step(st);
	return sqlite3_step(st->lite);
}

int db_gather(struct db *db, int on, char *err, size_t errlen)
{
	return db->e ? db->e->gather(db, on, err, errlen) : 0;
}

int db_step_done(struct db_stmt *st, char *err, size_t errlen)
{
	int rc = st->db->e ? st->db->e->step_done(st) : db_step(st);

	if (rc == DB_DONE || rc == DB_ROW) {
		db_reset(st);
		return 0;
	}
	db_error(st->db, rc, err, errlen);
	db_reset(st);
	return -1;
}

void db_reset(struct db_stmt *st)
{
	if (st->db->e) {
		st->db->e->reset(st);
		return;
	}
	sqlite3_reset(st->lite);
}

void db_clear(struct db_stmt *st)
{
	if (st->db->e) {
		st->db->e->clear(st);
		return;
	}
	sqlite3_clear_bindings(st->lite);
}

void db_stream(struct db_stmt *st)
{
	if (st->db->e)
		st->db->e->stream(st);
}

struct db *db_of(struct db_stmt *st)
{
	return st->db;
}

int64_t db_changes(struct db *db)
{
	if (db->e)
		return db->e->changes(db);
	return sqlite3_changes64(db->lite);
}

int64_t db_step_id(struct db_stmt *st, char *err, size_t errlen)
{
	int rc = db_step(st);
	int64_t id = rc == DB_ROW ? db_int(st, 0) : -1;

	if (rc != DB_ROW)
		db_error(st->db, rc == DB_DONE ? DB_ERROR : rc, err, errlen);
	db_reset(st);
	return id;
}

int db_bind_int(struct db_stmt *st, int i, int64_t v)
{
	if (st->db->e)
		return st->db->e->bind(st, i, DB_INTEGER, v, 0, NULL, 0, 0);
	return sqlite3_bind_int64(st->lite, i, v);
}

int db_bind_float(struct db_stmt *st, int i, double v)
{
	if (st->db->e)
		return st->db->e->bind(st, i, DB_FLOAT, 0, v, NULL, 0, 0);
	return sqlite3_bind_double(st->lite, i, v);
}

int db_bind_text(struct db_stmt *st, int i, const char *s)
{
	if (st->db->e)
		return st->db->e->bind(st, i, s ? DB_TEXT : DB_NULL, 0, 0, s, s ? strlen(s) : 0, 0);
	return s ? sqlite3_bind_text(st->lite, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st->lite, i);
}

int db_bind_text_n(struct db_stmt *st, int i, const char *s, size_t n)
{
	if (st->db->e)
		return st->db->e->bind(st, i, DB_TEXT, 0, 0, s, n, 1);
	return sqlite3_bind_text64(st->lite, i, s, n, SQLITE_STATIC, SQLITE_UTF8);
}

int db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	if (st->db->e)
		return st->db->e->bind(st, i, DB_BLOB, 0, 0, p, n, 0);
	return sqlite3_bind_blob64(st->lite, i, p, n, SQLITE_STATIC);
}

int db_bind_null(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->bind(st, i, DB_NULL, 0, 0, NULL, 0, 0);
	return sqlite3_bind_null(st->lite, i);
}

void db_bind_named_text(struct db_stmt *st, const char *name, const char *v)
{
	int i = st->db->e ? st->db->e->named(st, name) : sqlite3_bind_parameter_index(st->lite, name);

	if (i && st->db->e)
		st->db->e->bind(st, i, v ? DB_TEXT : DB_NULL, 0, 0, v, v ? strlen(v) : 0, 1);
	else if (i)
		sqlite3_bind_text(st->lite, i, v, -1, SQLITE_TRANSIENT);
}

void db_bind_named_int(struct db_stmt *st, const char *name, int64_t v)
{
	int i = st->db->e ? st->db->e->named(st, name) : sqlite3_bind_parameter_index(st->lite, name);

	if (i && st->db->e)
		st->db->e->bind(st, i, DB_INTEGER, v, 0, NULL, 0, 0);
	else if (i)
		sqlite3_bind_int64(st->lite, i, v);
}

int64_t db_int(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->col_int(st, i);
	return sqlite3_column_int64(st->lite, i);
}

double db_float(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->col_float(st, i);
	return sqlite3_column_double(st->lite, i);
}

const char *db_text(struct db_stmt *st, int i)
{
	const unsigned char *s;

	if (st->db->e)
		return st->db->e->col_text(st, i);
	s = sqlite3_column_text(st->lite, i);

	return s ? (const char *)s : "";
}

const void *db_blob(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->col_blob(st, i);
	return sqlite3_column_blob(st->lite, i);
}

size_t db_bytes(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->col_bytes(st, i);
	return (size_t)sqlite3_column_bytes(st->lite, i);
}

int db_type(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->col_type(st, i);
	return sqlite3_column_type(st->lite, i);
}

int db_is_null(struct db_stmt *st, int i)
{
	if (st->db->e)
		return st->db->e->col_type(st, i) == DB_NULL;
	return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
}

int db_columns(struct db_stmt *st)
{
	if (st->db->e)
		return st->db->e->columns(st);
	return sqlite3_column_count(st->lite);
}
