/* test_dbstore.c - the store skeleton: a private directory and file, meta, the kind that keeps a device's store
 * and a server's apart, layouts and their upgrade steps (run once even when two programs open a store at once),
 * and the forms table. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "db.h"
#include "dbstore.h"
#include "test.h"
#include "util.h"
#include "banned.h"

static char top[256];

static void die(const char *what, const char *err)
{
	printf("not ok setup: %s: %s\n", what, err);
	exit(1);
}

/* top/name, in one of a ring of static buffers. */
static const char *in_top(const char *name)
{
	static char ring[8][512];
	static int next;
	char *p = ring[next++ % 8];

	snprintf(p, sizeof(ring[0]), "%s/%s", top, name);
	return p;
}

/* dir/file, in one of a ring of static buffers. */
static const char *path_of(const char *dir, const char *file)
{
	static char ring[8][640];
	static int next;
	char *p = ring[next++ % 8];

	snprintf(p, sizeof(ring[0]), "%s/%s", dir, file);
	return p;
}

/* Runs sql on the database at path through a connection of its own. */
static void raw(const char *path, const char *sql)
{
	char err[256];
	struct db *db = db_open(path, 0, err, sizeof(err));

	if (!db || db_exec(db, sql, err, sizeof(err)) < 0)
		die(sql, err);
	db_close(db);
}

/* The first column of the first row of sql on the database at path, as text ("" for none). */
static const char *one(const char *path, const char *sql)
{
	static char out[4][256];
	static int next;
	char *o = out[next++ % 4], err[256];
	struct db *db = db_open(path, DB_READONLY, err, sizeof(err));
	struct db_stmt *st = db ? db_prepare(db, sql, err, sizeof(err)) : NULL;

	if (!st)
		die(sql, err);
	o[0] = '\0';
	if (db_step(st) == DB_ROW)
		strlcpy_s(o, db_text(st, 0), 256);
	db_finalize(st);
	db_close(db);
	return o;
}

/* The whole content of a file, for "nothing was changed" (the caller frees; NULL if it cannot be read). */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)len + 1)) && fread(b, 1, (size_t)len, f) == (size_t)len)
		*n = (size_t)len;
	else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int same_file(const char *path, const char *was, size_t was_n)
{
	size_t n = 0;
	char *now = slurp(path, &n);
	int same = now && was && n == was_n && memcmp(now, was, n) == 0;

	free(now);
	return same;
}

/* Layout 1 of a toy tier: one table of its own. */
static const char *const toy_schema_1[] = { "CREATE TABLE t(a INTEGER);", NULL };
static const struct dbstore_spec device_1 = { .kind = DBSTORE_DEVICE, .layout = 1, .oldest = 1,
					       .schema = toy_schema_1 };
static const struct dbstore_spec server_1 = { .kind = DBSTORE_SERVER, .layout = 1, .oldest = 1,
					       .schema = toy_schema_1 };

/* Layout 3: t gained a column (step from 1), then a row made by code (step from 2). */
static int add_row(struct db *db, char *err, size_t errlen)
{
	return db_exec(db, "INSERT INTO t(a, b) VALUES(7, 'seven')", err, errlen);
}

static const struct dbstore_step toy_steps[] = {
	{ 1, "ALTER TABLE t ADD COLUMN b TEXT;", NULL, NULL },
	{ 2, NULL, add_row, NULL },
};
static const struct dbstore_spec device_3 = { .kind = DBSTORE_DEVICE, .layout = 3, .oldest = 1,
					       .schema = toy_schema_1, .steps = toy_steps, .nsteps = 2 };
static const struct dbstore_spec device_3_from_2 = { .kind = DBSTORE_DEVICE, .layout = 3, .oldest = 2,
						      .schema = toy_schema_1, .steps = toy_steps, .nsteps = 2 };
static const struct dbstore_spec server_3 = { .kind = DBSTORE_SERVER, .layout = 3, .oldest = 1,
					       .schema = toy_schema_1, .steps = toy_steps, .nsteps = 2 };

/* Makes dir (and its parents) and a store of spec in it, closed. */
static void make(const struct dbstore_spec *spec, const char *dir)
{
	char err[512];
	struct dbstore *d;

	if (dbstore_make_dir(dir, err, sizeof(err)) < 0 || !(d = dbstore_create(spec, dir, err, sizeof(err))))
		die(dir, err);
	dbstore_close(d);
}

static void test_create(void)
{
	const char *dir = in_top("made/deep/device");
	char err[512] = "", v[64];
	struct dbstore *d;
	struct stat st;

	CHECK_INT(dbstore_make_dir(dir, err, sizeof(err)), 0);
	CHECK_INT(stat(dir, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	CHECK_INT(stat(in_top("made/deep"), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	d = dbstore_create(&device_1, dir, err, sizeof(err));
	CHECK(d != NULL);
	if (!d) {
		printf("#   %s\n", err);
		return;
	}
	CHECK_INT(stat(path_of(dir, "store.db"), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(dbstore_meta_get(d, "kind", v, sizeof(v)), 0);
	CHECK_STR(v, "sondeo");
	CHECK_INT(dbstore_meta_get(d, "schema", v, sizeof(v)), 0);
	CHECK_STR(v, "1");
	CHECK_INT(dbstore_meta_get(d, "created", v, sizeof(v)), 0);
	CHECK(strtoull(v, NULL, 10) > 1700000000000ULL);
	CHECK_INT(dbstore_meta_get(d, "nothing", v, sizeof(v)), -1);
	CHECK_INT(db_begin(dbstore_db(d), err, sizeof(err)), 0);
	CHECK_INT(dbstore_meta_set(d, "name", "first", err, sizeof(err)), 0);
	CHECK_INT(dbstore_meta_set(d, "name", "second", err, sizeof(err)), 0);
	CHECK_INT(db_commit(dbstore_db(d), err, sizeof(err)), 0);
	dbstore_close(d);
	CHECK_STR(one(path_of(dir, "store.db"), "SELECT value FROM meta WHERE key = 'name'"), "second");
	CHECK_STR(one(path_of(dir, "store.db"), "SELECT count(*) FROM t"), "0");
	CHECK_STR(one(path_of(dir, "store.db"), "PRAGMA journal_mode"), "wal");
	/* A second store in the same place is refused. */
	CHECK(dbstore_create(&device_1, dir, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "store.db' exists already; nothing was changed") != NULL);
	/* A server's file has its own name. */
	make(&server_1, in_top("made/server"));
	CHECK_INT(access(path_of(in_top("made/server"), "server.db"), F_OK), 0);
	CHECK_STR(one(path_of(in_top("made/server"), "server.db"), "SELECT value FROM meta WHERE key = 'kind'"),
		  "sondeod");
}

/* Neither program opens, upgrades or writes the other's store: refused naming the file, which is unchanged. */
static void test_kinds(void)
{
	const char *dev = in_top("kinds/device"), *srv = in_top("kinds/server"), *moved = in_top("kinds/moved");
	char err[512] = "", want[1024], *was;
	size_t was_n = 0;

	make(&device_1, dev);
	make(&server_1, srv);
	/* Pointed at the other program's directory. */
	CHECK(dbstore_open(&server_3, dev, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "'%s/store.db' is a device's store (sondeo), not a server's data (sondeod);"
		 " nothing was changed", dev);
	CHECK_STR(err, want);
	CHECK(dbstore_open(&device_3, srv, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "'%s/server.db' is a server's data (sondeod), not a device's store (sondeo);"
		 " nothing was changed", srv);
	CHECK_STR(err, want);
	/* Nor is a store of one kind made beside the other's. */
	CHECK(dbstore_create(&device_1, srv, err, sizeof(err)) == NULL);
	CHECK_STR(err, want);
	CHECK_INT(access(path_of(srv, "store.db"), F_OK), -1);
	/* The file itself says what it is, whatever its name: a server's file where a device's is expected, of an
	 * older layout that a device would otherwise have upgraded. */
	CHECK_INT(dbstore_make_dir(moved, err, sizeof(err)), 0);
	CHECK_INT(rename(path_of(srv, "server.db"), path_of(moved, "store.db")), 0);
	was = slurp(path_of(moved, "store.db"), &was_n);
	CHECK(was != NULL);
	CHECK(dbstore_open(&device_3, moved, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "'%s/store.db' is a server's data (sondeod), not a device's store (sondeo);"
		 " nothing was changed", moved);
	CHECK_STR(err, want);
	CHECK(same_file(path_of(moved, "store.db"), was, was_n));
	CHECK_STR(one(path_of(moved, "store.db"), "SELECT value FROM meta WHERE key = 'schema'"), "1");
	free(was);
	/* A kind neither program knows. */
	raw(path_of(moved, "store.db"), "UPDATE meta SET value = 'other' WHERE key = 'kind'");
	CHECK(dbstore_open(&device_1, moved, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "'%s' is not a Sondeo store", moved);
	CHECK_STR(err, want);
}

/* A device's store made before the kind was kept is still a device's store (and says so once upgraded); a
 * server's data always had its kind. */
static void test_kindless(void)
{
	const char *dev = in_top("kindless/device"), *srv = in_top("kindless/server");
	char err[512] = "", want[600];
	struct dbstore *d;

	make(&device_1, dev);
	raw(path_of(dev, "store.db"), "DELETE FROM meta WHERE key = 'kind'");
	d = dbstore_open(&device_1, dev, err, sizeof(err));
	CHECK(d != NULL);
	dbstore_close(d);
	CHECK_STR(one(path_of(dev, "store.db"), "SELECT count(*) FROM meta WHERE key = 'kind'"), "0");
	d = dbstore_open(&device_3, dev, err, sizeof(err));
	CHECK(d != NULL);
	dbstore_close(d);
	CHECK_STR(one(path_of(dev, "store.db"), "SELECT value FROM meta WHERE key = 'kind'"), "sondeo");
	make(&server_1, srv);
	raw(path_of(srv, "server.db"), "DELETE FROM meta WHERE key = 'kind'");
	CHECK(dbstore_open(&server_1, srv, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "'%s' does not hold sondeod data", srv);
	CHECK_STR(err, want);
	/* No meta table at all. */
	raw(path_of(srv, "server.db"), "DROP TABLE meta");
	CHECK(dbstore_open(&server_1, srv, err, sizeof(err)) == NULL);
	CHECK_STR(err, want);
}

static void test_missing(void)
{
	const char *dir = in_top("missing");
	char err[512] = "", want[600];

	CHECK(dbstore_open(&device_1, dir, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "no Sondeo store in '%s' (run 'sondeo init' first)", dir);
	CHECK_STR(err, want);
	CHECK(dbstore_open(&server_1, dir, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "no sondeod data in '%s' (run 'sondeod init --data %s' first)", dir, dir);
	CHECK_STR(err, want);
	CHECK_INT(access(dir, F_OK), -1);
}

static void test_layouts(void)
{
	const char *dir = in_top("layouts"), *db = in_top("layouts/store.db");
	char err[512] = "", want[600];
	struct dbstore *d;

	make(&device_1, dir);
	raw(db, "INSERT INTO t(a) VALUES(1)");
	/* Up from 1 to 3 through both steps, in one go. */
	d = dbstore_open(&device_3, dir, err, sizeof(err));
	CHECK(d != NULL);
	if (!d)
		printf("#   %s\n", err);
	dbstore_close(d);
	CHECK_STR(one(db, "SELECT value FROM meta WHERE key = 'schema'"), "3");
	CHECK_STR(one(db, "SELECT group_concat(a || ':' || coalesce(b, '-'), ' ') FROM t"), "1:- 7:seven");
	/* Opening again runs no step. */
	d = dbstore_open(&device_3, dir, err, sizeof(err));
	CHECK(d != NULL);
	dbstore_close(d);
	CHECK_STR(one(db, "SELECT count(*) FROM t"), "2");
	/* A newer layout than this program's. */
	CHECK(dbstore_open(&device_1, dir, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "the store in '%s' has layout 3; this sondeo reads layout 1", dir);
	CHECK_STR(err, want);
	/* An older one than it can bring up; and a server's words. */
	raw(db, "UPDATE meta SET value = '1' WHERE key = 'schema'");
	CHECK(dbstore_open(&device_3_from_2, dir, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "the store in '%s' has layout 1; this sondeo reads layout 3", dir);
	CHECK_STR(err, want);
	make(&server_3, in_top("layouts-server"));
	raw(in_top("layouts-server/server.db"), "UPDATE meta SET value = '9' WHERE key = 'schema'");
	CHECK(dbstore_open(&server_3, in_top("layouts-server"), err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "the data in '%s' has layout 9; this sondeod reads layout 3", in_top("layouts-server"));
	CHECK_STR(err, want);
	/* A failed step (t has its column b already) leaves the store as it was. */
	CHECK(dbstore_open(&device_3, dir, err, sizeof(err)) == NULL);
	CHECK_STR(err, "store error: duplicate column name: b");
	CHECK_STR(one(db, "SELECT value FROM meta WHERE key = 'schema'"), "1");
	CHECK_STR(one(db, "SELECT count(*) FROM t"), "2");
}

/* Another program upgrading the store while this one waits for the write lock: the trace callback runs as this
 * connection's BEGIN IMMEDIATE starts, before it has the lock, and upgrades the store through a connection of
 * its own, as another process would. */
static const char *race_path;
static int race_done;

static int on_trace(unsigned type, void *ctx, void *p, void *x)
{
	(void)ctx;
	(void)p;
	if (type == SQLITE_TRACE_STMT && !race_done && race_path && !strcmp((const char *)x, "BEGIN IMMEDIATE")) {
		race_done = 1;
		raw(race_path, "BEGIN IMMEDIATE; ALTER TABLE t ADD COLUMN b TEXT;"
		    " INSERT INTO t(a, b) VALUES(7, 'seven'); UPDATE meta SET value = '3' WHERE key = 'schema'; COMMIT");
	}
	return 0;
}

static int trace_every_connection(sqlite3 *db, char **msg, const void *api)
{
	(void)msg;
	(void)api;
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_trace, NULL);
	return DB_OK;
}

static void test_upgrade_race(void)
{
	const char *dir = in_top("race"), *db = in_top("race/store.db");
	char err[512] = "";
	struct dbstore *d;

	make(&device_1, dir);
	race_path = db;
	race_done = 0;
	sqlite3_auto_extension((void (*)(void))trace_every_connection);
	d = dbstore_open(&device_3, dir, err, sizeof(err));
	sqlite3_reset_auto_extension();
	race_path = NULL;
	CHECK_INT(race_done, 1);
	CHECK(d != NULL);
	if (!d)
		printf("#   %s\n", err);
	dbstore_close(d);
	/* Upgraded once: the other program's step, not this one's again. */
	CHECK_STR(one(db, "SELECT value FROM meta WHERE key = 'schema'"), "3");
	CHECK_STR(one(db, "SELECT count(*) FROM t"), "1");
}

static const char survey_v1[] =
	"{\"id\": \"water\", \"version\": \"1\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site\"}]}";
/* The same definition, written with its keys in another order and other spacing. */
static const char survey_v1_again[] =
	"{\"questions\":[{\"label\":\"Site\",\"type\":\"text\",\"name\":\"site\"}],"
	"\"title\":\"Water points\",\"version\":\"1\",\"id\":\"water\"}";
static const char survey_v1_changed[] =
	"{\"id\": \"water\", \"version\": \"1\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site name\"}]}";
static const char survey_v2[] =
	"{\"id\": \"water\", \"version\": \"2\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site name\"}]}";
static const char survey_bad_version[] =
	"{\"id\": \"water\", \"version\": \"1 beta\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site\"}]}";
static const char survey_bad_id[] =
	"{\"id\": \"9water\", \"version\": \"1\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site\"}]}";

static int put(struct dbstore *d, const char *json, char *err, size_t errlen)
{
	struct form *f = NULL;
	int r;

	if (db_begin(dbstore_db(d), err, errlen) < 0)
		return -2;
	r = dbstore_form_put(d, json, strlen(json), &f, err, errlen);
	if (r >= 0 && !f)
		r = -3;
	form_free(f);
	if (db_commit(dbstore_db(d), err, errlen) < 0)
		return -2;
	return r;
}

static void test_forms(void)
{
	const char *dir = in_top("forms");
	char err[512] = "";
	struct dbstore *d;
	struct form *f = NULL;

	make(&device_1, dir);
	d = dbstore_open(&device_1, dir, err, sizeof(err));
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_INT(put(d, survey_v1, err, sizeof(err)), 1);
	CHECK_INT(put(d, survey_v1_again, err, sizeof(err)), 0);
	CHECK_INT(put(d, survey_v1_changed, err, sizeof(err)), -1);
	CHECK_STR(err, "form 'water' version '1' is already installed with a different definition; give the new"
		  " definition a new version");
	CHECK_INT(put(d, survey_bad_version, err, sizeof(err)), -1);
	CHECK_STR(err, "form 'water': version '1 beta' is not valid: letters, digits, _ . - (at most 64)");
	CHECK_INT(put(d, survey_bad_id, err, sizeof(err)), -1);
	CHECK_STR(err, "form: id '9water' must start with an ASCII letter (a-z, A-Z) or '_'");
	CHECK_INT(put(d, "{\"id\": \"water\"", err, sizeof(err)), -1);
	CHECK_STR(one(path_of(dir, "store.db"), "SELECT count(*) FROM forms"), "1");
	CHECK_INT(dbstore_form_get(d, "water", NULL, &f, err, sizeof(err)), 1);
	CHECK(f && !strcmp(form_version(f), "1") && !strcmp(json_string_value(form_question(f, 0)->label), "Site"));
	form_free(f);
	CHECK_INT(put(d, survey_v2, err, sizeof(err)), 1);
	/* The newest is the one stored last; a version asked for is that version. */
	CHECK_INT(dbstore_form_get(d, "water", NULL, &f, err, sizeof(err)), 1);
	CHECK(f && !strcmp(form_version(f), "2"));
	form_free(f);
	CHECK_INT(dbstore_form_get(d, "water", "1", &f, err, sizeof(err)), 1);
	CHECK(f && !strcmp(form_version(f), "1"));
	form_free(f);
	strlcpy_s(err, "untouched", sizeof(err));
	CHECK_INT(dbstore_form_get(d, "water", "7", &f, err, sizeof(err)), 0);
	CHECK(f == NULL);
	CHECK_INT(dbstore_form_get(d, "fire", NULL, &f, err, sizeof(err)), 0);
	CHECK_STR(err, "untouched");
	dbstore_close(d);
	/* A server publishes its forms. */
	make(&server_1, in_top("forms-server"));
	d = dbstore_open(&server_1, in_top("forms-server"), err, sizeof(err));
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_INT(put(d, survey_v1, err, sizeof(err)), 1);
	CHECK_INT(put(d, survey_v1_changed, err, sizeof(err)), -1);
	CHECK_STR(err, "form 'water' version '1' is already published with a different definition; give the new"
		  " definition a new version");
	dbstore_close(d);
}

int main(void)
{
	snprintf(top, sizeof(top), "%s/test_dbstore.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top)) {
		perror("test_dbstore setup");
		return 1;
	}
	RUN(test_create);
	RUN(test_kinds);
	RUN(test_kindless);
	RUN(test_missing);
	RUN(test_layouts);
	RUN(test_upgrade_race);
	RUN(test_forms);
	return test_done();
}
