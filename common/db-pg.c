/* db-pg.c - db.h's engine for PostgreSQL, over libpq (loaded on first use: pqlib.h).
 *
 * Statements are written as for SQLite (?N and :name parameters), rewritten once when prepared into PostgreSQL's
 * $N, and prepared on the server under a name of their own. Values go as text, blobs as binary; results come as
 * text and are read back by type (a boolean's t/f as 1/0, a bytea's hex as bytes). A statement's result is taken
 * whole on its first step, so that another statement may run while its rows are read, as SQLite allows: readers
 * of many rows page with LIMIT or a cursor.
 *
 * PostgreSQL's errors become db.h's codes by their SQLSTATE: a lock waited for too long, a deadlock or a
 * serialisation failure is DB_BUSY (try again), a unique or other constraint DB_CONSTRAINT, a full disk DB_FULL,
 * damaged data DB_CORRUPT. */
#include "db.h"
#include "db-engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "pqlib.h"
#include "util.h"
#include "banned.h"

#define PG_MAX_PARAMS 999        /* as SQLite's default: ?1 to ?999 */
#define PG_MAX_NAMED 64          /* distinct :names in one statement */

struct pg_conn {
	PGconn *c;
	char errmsg[512];
	int64_t changes;
	unsigned next_name;          /* statements prepared so far: each is "sN" */
};

struct pg_param {
	const char *p;               /* the value's bytes (NULL: SQL NULL) */
	int len, fmt;                /* fmt 1: binary (a blob) */
	char num[32];                /* a number's text */
	char *copy;                  /* a copy the statement owns (named text), or NULL */
};

struct pg_stmt {
	char name[16];
	int nparams;
	struct pg_param *par;
	char *named[PG_MAX_NAMED];   /* named[i]: the name of parameter i + 1, or NULL */
	PGresult *res;               /* the result of the current run, or NULL before the first step */
	int row, nrows;
	unsigned char *blob;         /* the last bytea column read, unescaped */
};

/* The code db.h speaks for a failed result (NULL: the connection failed), keeping PostgreSQL's words. */
static int result_code(struct pg_conn *pc, const PGresult *res)
{
	const char *state = res ? pq.resultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? pq.resultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	strlcpy_s(pc->errmsg, msg ? msg : pq.errorMessage(pc->c), sizeof(pc->errmsg));
	pc->errmsg[strcspn(pc->errmsg, "\n")] = '\0';
	if (!state)
		return DB_ERROR;
	if (!strcmp(state, "55P03") || !strcmp(state, "40P01") || !strcmp(state, "40001") || !strcmp(state, "57014"))
		return DB_BUSY;
	if (!strncmp(state, "23", 2))
		return DB_CONSTRAINT;
	if (!strcmp(state, "53100"))
		return DB_FULL;
	if (!strcmp(state, "53200"))
		return DB_NOMEM;
	if (!strncmp(state, "XX", 2))
		return DB_CORRUPT;
	return DB_ERROR;
}

/* libpq prints a server's notices on stderr; the store says what matters through its errors. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_close(struct db *db)
{
	struct pg_conn *pc = db->x;

	if (pc) {
		pq.finish(pc->c);
		free(pc);
	}
}

/* Runs sql (one statement or several) and clears its result: DB_OK or a code. */
static int run(struct pg_conn *pc, const char *sql)
{
	PGresult *res = pq.exec(pc->c, sql);
	ExecStatusType s = pq.resultStatus(res);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? DB_OK : result_code(pc, res);

	pq.clear(res);
	return rc;
}

static void pg_set_busy_ms(struct db *db, int ms)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms);
	run(db->x, sql);
}

static int pg_error(struct db *db, int rc, char *err, size_t errlen)
{
	return db_engine_error(rc, ((struct pg_conn *)db->x)->errmsg, err, errlen);
}

static const char *pg_errmsg(struct db *db)
{
	return ((struct pg_conn *)db->x)->errmsg;
}

static int pg_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	int rc = run(db->x, sql);

	return rc == DB_OK ? 0 : pg_error(db, rc, err, errlen);
}

/* The index of parameter name in ps, adding it after the highest index so far when new (SQLite's rule); 0 when
 * there are too many. */
static int named_index(struct pg_stmt *ps, const char *name, size_t len, int *top)
{
	int i;

	for (i = 0; i < PG_MAX_NAMED; i++)
		if (ps->named[i] && strlen(ps->named[i]) == len && !strncmp(ps->named[i], name, len))
			return i + 1;
	if (*top >= PG_MAX_NAMED)
		return 0;
	ps->named[*top] = xmalloc(len + 1);
	memcpy(ps->named[*top], name, len);
	ps->named[*top][len] = '\0';
	return ++*top;
}

/* Rewrites sql[0..len) into out: ?N as $N, ? as the next, :name (and @name, $name) as the index it was given;
 * what is quoted ('text', "name"), commented, or a cast (::type) is left as it is. Sets ps's nparams. -1 with err. */
static int translate(struct pg_stmt *ps, const char *sql, size_t len, struct buf *out, char *err, size_t errlen)
{
	size_t i = 0;
	int top = 0;

	while (i < len) {
		char c = sql[i];

		if (c == '\'' || c == '"') {
			size_t j = i + 1;

			while (j < len && !(sql[j] == c && !(j + 1 < len && sql[j + 1] == c)))
				j += sql[j] == c ? 2 : 1;
			buf_add(out, sql + i, (j < len ? j + 1 : len) - i);
			i = j + 1;
		} else if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
			size_t j = i;

			while (j < len && sql[j] != '\n')
				j++;
			buf_add(out, sql + i, j - i);
			i = j;
		} else if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
			const char *end = strstr(sql + i + 2, "*/");
			size_t j = end && (size_t)(end - sql) < len ? (size_t)(end - sql) + 2 : len;

			buf_add(out, sql + i, j - i);
			i = j;
		} else if (c == ':' && i + 1 < len && sql[i + 1] == ':') {
			buf_adds(out, "::");
			i += 2;
		} else if (c == '?') {
			size_t j = i + 1;
			int n = 0;

			while (j < len && sql[j] >= '0' && sql[j] <= '9' && n <= PG_MAX_PARAMS)
				n = n * 10 + (sql[j++] - '0');
			if (j == i + 1)
				n = top + 1;
			if (n < 1 || n > PG_MAX_PARAMS)
				return errf(err, errlen, _("cannot prepare a statement: %s"), "?NNN out of range");
			if (n > top)
				top = n;
			buf_printf(out, "$%d", n);
			i = j;
		} else if ((c == ':' || c == '@' || c == '$') && i + 1 < len &&
			   (sql[i + 1] == '_' || ((sql[i + 1] | 32) >= 'a' && (sql[i + 1] | 32) <= 'z'))) {
			size_t j = i + 1;
			int n;

			while (j < len && (sql[j] == '_' || ((sql[j] | 32) >= 'a' && (sql[j] | 32) <= 'z') ||
					   (sql[j] >= '0' && sql[j] <= '9')))
				j++;
			if (!(n = named_index(ps, sql + i, j - i, &top)))
				return errf(err, errlen, _("cannot prepare a statement: %s"), "too many named parameters");
			buf_printf(out, "$%d", n);
			i = j;
		} else {
			buf_add(out, &c, 1);
			i++;
		}
	}
	ps->nparams = top;
	return out->len + 1 < out->max ? 0 : err_oom(err, errlen);
}

static void stmt_free(struct pg_stmt *ps)
{
	int i;

	if (!ps)
		return;
	pq.clear(ps->res);
	pq.freemem(ps->blob);
	for (i = 0; i < ps->nparams && ps->par; i++)
		free(ps->par[i].copy);
	for (i = 0; i < PG_MAX_NAMED; i++)
		free(ps->named[i]);
	free(ps->par);
	free(ps);
}

static int pg_prepare(struct db *db, struct db_stmt *st, const char *sql, size_t len, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;
	struct pg_stmt *ps = calloc(1, sizeof(*ps));
	struct buf text = BUF_INIT(len * 2 + 64);
	PGresult *res;
	int rc;

	if (!ps)
		return err_oom(err, errlen);
	if (translate(ps, sql, len, &text, err, errlen) < 0) {
		buf_release(&text);
		stmt_free(ps);
		return -1;
	}
	if (ps->nparams && !(ps->par = calloc((size_t)ps->nparams, sizeof(*ps->par)))) {
		buf_release(&text);
		stmt_free(ps);
		return err_oom(err, errlen);
	}
	snprintf(ps->name, sizeof(ps->name), "s%u", pc->next_name++);
	res = pq.prepare(pc->c, ps->name, text.data, 0, NULL);
	buf_release(&text);
	if (pq.resultStatus(res) != PGRES_COMMAND_OK) {
		rc = result_code(pc, res);
		pq.clear(res);
		stmt_free(ps);
		/* TRANSLATORS: %s is the database engine's own words, in English. */
		return rc == DB_ERROR ? errf(err, errlen, _("cannot prepare a statement: %s"), pc->errmsg) :
					pg_error(db, rc, err, errlen);
	}
	pq.clear(res);
	st->x = ps;
	return 0;
}

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	char sql[48];

	if (!ps)
		return;
	/* Outside an aborted transaction (which refuses it), the server forgets the statement too. */
	if (pq.transactionStatus(((struct pg_conn *)st->db->x)->c) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", ps->name);
		run(st->db->x, sql);
	}
	stmt_free(ps);
	st->x = NULL;
}

static int pg_begin(struct db *db, int read_only, char *err, size_t errlen)
{
	return pg_exec(db, read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", err, errlen);
}

static void pg_rollback(struct db *db)
{
	struct pg_conn *pc = db->x;

	if (pq.transactionStatus(pc->c) == PQTRANS_IDLE)
		return;
	run(pc, "ROLLBACK");
	if (db->on_rollback)
		db->on_rollback(db->on_rollback_ctx);
}

static int pg_commit(struct db *db, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;
	PGresult *res = pq.exec(pc->c, "COMMIT");
	int rc = DB_OK;

	/* A transaction that failed part-way is rolled back by its COMMIT, which says so only in its tag. */
	if (pq.resultStatus(res) != PGRES_COMMAND_OK)
		rc = result_code(pc, res);
	else if (strcmp(pq.cmdStatus(res), "COMMIT")) {
		strlcpy_s(pc->errmsg, "the transaction failed and was rolled back", sizeof(pc->errmsg));
		rc = DB_ERROR;
	}
	pq.clear(res);
	if (rc == DB_OK) {
		db_engine_wrote();
		return 0;
	}
	pg_error(db, rc, err, errlen);
	pg_rollback(db);
	return -1;
}

static int pg_in_transaction(struct db *db)
{
	return pq.transactionStatus(((struct pg_conn *)db->x)->c) != PQTRANS_IDLE;
}

static int pg_step(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	struct pg_conn *pc = st->db->x;

	if (!ps->res) {
		const char *vals[PG_MAX_PARAMS];
		int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS], i, rc;
		ExecStatusType s;

		for (i = 0; i < ps->nparams; i++) {
			vals[i] = ps->par[i].p;
			lens[i] = ps->par[i].len;
			fmts[i] = ps->par[i].fmt;
		}
		ps->res = pq.execPrepared(pc->c, ps->name, ps->nparams, vals, lens, fmts, 0);
		s = pq.resultStatus(ps->res);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			rc = result_code(pc, ps->res);
			pq.clear(ps->res);
			ps->res = NULL;
			return rc;
		}
		pc->changes = strtoll(pq.cmdTuples(ps->res), NULL, 10);
		ps->nrows = s == PGRES_TUPLES_OK ? pq.ntuples(ps->res) : 0;
		ps->row = -1;
	}
	if (ps->row + 1 < ps->nrows) {
		ps->row++;
		return DB_ROW;
	}
	ps->row = ps->nrows;
	return DB_DONE;
}

static void pg_reset(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;

	pq.clear(ps->res);
	ps->res = NULL;
	ps->row = ps->nrows = 0;
}

static void pg_clear(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	int i;

	for (i = 0; i < ps->nparams; i++) {
		free(ps->par[i].copy);
		memset(&ps->par[i], 0, sizeof(ps->par[i]));
	}
}

static int64_t pg_changes(struct db *db)
{
	return ((struct pg_conn *)db->x)->changes;
}

static int pg_bind(struct db_stmt *st, int i, int type, int64_t iv, double fv, const void *p, size_t n, int copy)
{
	struct pg_stmt *ps = st->x;
	struct pg_param *par;

	if (i < 1 || i > ps->nparams)
		return DB_ERROR;   /* SQLite's SQLITE_RANGE is a misuse as well */
	par = &ps->par[i - 1];
	free(par->copy);
	memset(par, 0, sizeof(*par));
	if (n > INT32_MAX)
		return DB_ERROR;
	switch (type) {
	case DB_INTEGER:
		snprintf(par->num, sizeof(par->num), "%lld", (long long)iv);
		par->p = par->num;
		break;
	case DB_FLOAT:
		snprintf(par->num, sizeof(par->num), "%.17g", fv);
		par->p = par->num;
		break;
	case DB_TEXT:
		/* Text goes NUL-terminated: what the caller does not keep so (copy) is copied. */
		if (copy) {
			if (!(par->copy = malloc(n + 1)))
				return DB_NOMEM;
			memcpy(par->copy, p, n);
			par->copy[n] = '\0';
			par->p = par->copy;
		} else {
			par->p = p;
		}
		break;
	case DB_BLOB:
		par->p = n ? p : "";
		par->len = (int)n;
		par->fmt = 1;
		break;
	default:
		break;
	}
	return DB_OK;
}

static int pg_named(struct db_stmt *st, const char *name)
{
	struct pg_stmt *ps = st->x;
	int i;

	for (i = 0; i < PG_MAX_NAMED; i++)
		if (ps->named[i] && !strcmp(ps->named[i], name))
			return i + 1;
	return 0;
}

/* Whether column i of the current row can be read (a row, a column of it, not NULL). */
static int has_value(struct pg_stmt *ps, int i)
{
	return ps->res && ps->row >= 0 && ps->row < ps->nrows && i >= 0 && i < pq.nfields(ps->res) &&
	       !pq.getisnull(ps->res, ps->row, i);
}

#define BOOLOID 16
#define BYTEAOID 17
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define OIDOID 26
#define FLOAT4OID 700
#define FLOAT8OID 701
#define NUMERICOID 1700

static int64_t pg_col_int(struct db_stmt *st, int i)
{
	struct pg_stmt *ps = st->x;
	const char *v;

	if (!has_value(ps, i))
		return 0;
	v = pq.getvalue(ps->res, ps->row, i);
	if (pq.ftype(ps->res, i) == BOOLOID)
		return v[0] == 't';
	if (pq.ftype(ps->res, i) == FLOAT4OID || pq.ftype(ps->res, i) == FLOAT8OID ||
	    pq.ftype(ps->res, i) == NUMERICOID)
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

static double pg_col_float(struct db_stmt *st, int i)
{
	struct pg_stmt *ps = st->x;

	return has_value(ps, i) ? strtod(pq.getvalue(ps->res, ps->row, i), NULL) : 0;
}

static const char *pg_col_text(struct db_stmt *st, int i)
{
	struct pg_stmt *ps = st->x;

	return has_value(ps, i) ? pq.getvalue(ps->res, ps->row, i) : "";
}

/* Column i as bytes: a bytea unescaped (kept until the next read of a blob), any other value's text. */
static const void *col_bytes_of(struct pg_stmt *ps, int i, size_t *n)
{
	*n = 0;
	if (!has_value(ps, i))
		return NULL;
	if (pq.ftype(ps->res, i) != BYTEAOID) {
		*n = (size_t)pq.getlength(ps->res, ps->row, i);
		return pq.getvalue(ps->res, ps->row, i);
	}
	pq.freemem(ps->blob);
	ps->blob = pq.unescapeBytea((const unsigned char *)pq.getvalue(ps->res, ps->row, i), n);
	return ps->blob;
}

static const void *pg_col_blob(struct db_stmt *st, int i)
{
	size_t n;

	return col_bytes_of(st->x, i, &n);
}

static size_t pg_col_bytes(struct db_stmt *st, int i)
{
	size_t n;

	col_bytes_of(st->x, i, &n);
	return n;
}

static int pg_col_type(struct db_stmt *st, int i)
{
	struct pg_stmt *ps = st->x;

	if (!has_value(ps, i))
		return DB_NULL;
	switch (pq.ftype(ps->res, i)) {
	case BOOLOID:
	case INT2OID:
	case INT4OID:
	case INT8OID:
	case OIDOID:
		return DB_INTEGER;
	case FLOAT4OID:
	case FLOAT8OID:
	case NUMERICOID:
		return DB_FLOAT;
	case BYTEAOID:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static int pg_columns(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;

	return ps->res ? pq.nfields(ps->res) : 0;
}

static const struct db_engine pg_engine = {
	.close = pg_close, .set_busy_ms = pg_set_busy_ms, .exec = pg_exec, .prepare = pg_prepare,
	.finalize = pg_finalize, .begin = pg_begin, .commit = pg_commit, .rollback = pg_rollback,
	.in_transaction = pg_in_transaction, .error = pg_error, .errmsg = pg_errmsg, .step = pg_step,
	.reset = pg_reset, .clear = pg_clear, .changes = pg_changes, .bind = pg_bind, .named = pg_named,
	.col_int = pg_col_int, .col_float = pg_col_float, .col_text = pg_col_text, .col_blob = pg_col_blob,
	.col_bytes = pg_col_bytes, .col_type = pg_col_type, .columns = pg_columns,
};

struct db *db_open_pg(const char *conninfo, char *err, size_t errlen)
{
	struct db *db;
	struct pg_conn *pc;
	char sql[96];

	if (pq_load(err, errlen) < 0)
		return NULL;
	if (!(db = calloc(1, sizeof(*db))) || !(pc = calloc(1, sizeof(*pc)))) {
		free(db);
		err_oom(err, errlen);
		return NULL;
	}
	db->e = &pg_engine;
	db->x = pc;
	pc->c = pq.connectdb(conninfo);
	if (!pc->c || pq.status(pc->c) != CONNECTION_OK) {
		/* TRANSLATORS: %s is libpq's own words, in English. */
		errf(err, errlen, _("cannot connect to PostgreSQL: %s"), pc->c ? pq.errorMessage(pc->c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		db_close(db);
		return NULL;
	}
	pq.setNoticeProcessor(pc->c, quiet, NULL);
	/* Text in UTF-8 whatever the server's default, and a lock waited for as long as SQLite waits. */
	snprintf(sql, sizeof(sql), "SET client_encoding = 'UTF8'; SET lock_timeout = %d", DB_BUSY_MS);
	if (pg_exec(db, sql, err, errlen) < 0) {
		db_close(db);
		return NULL;
	}
	return db;
}
