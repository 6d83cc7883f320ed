/* db-pg.c - db.h's engine for PostgreSQL, over libpq (loaded on first use: pqlib.h).
 *
 * Statements are written as for SQLite (?N and :name parameters), rewritten once when prepared into PostgreSQL's $N,
 * and prepared on the server under a name of their own when first run: a store prepares some 150 statements and a
 * command runs a few, and each prepared on the server costs a round trip and its parse (db_check prepares the rest at
 * once, so that a statement PostgreSQL refuses is said when a server starts, not on first use); one built for one use
 * (db_prepare_once: a selection's filters) runs unnamed, in one round trip. Values go as text, blobs as binary; results
 * come as text and are read back by type (a boolean's t/f as 1/0, a bytea's hex as bytes). A statement's result is
 * taken whole on its first step, so that another statement may run while its rows are read, as SQLite allows; one
 * marked with db_stream (an export of every record) is read through a cursor, PG_PAGE_ROWS rows at a time, so that its
 * rows never sit in memory together.
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
#define PG_PIPELINE_MAX 256      /* statements sent before their answers are read (db_step_done) */

struct pg_conn {
	PGconn *c;
	char errmsg[512];
	int64_t changes;
	unsigned next_name;          /* statements prepared so far: each is "sN" */
	unsigned gen;                /* sessions so far, from 1: 1 more at each opening again (revive) */
	struct pg_stmt *stmts;       /* every statement of the connection, not yet finalized (db_check) */
	int busy_ms;                 /* lock_timeout, set again in a new session */
	int in_tx;                   /* a transaction of the caller's is open (db_begin, not yet ended) */
	int queued;                  /* statements sent in the pipeline, their answers not yet read (db_step_done) */
	int gathering;               /* db_gather is on */
	int gather_rc;               /* rows gathered were lost (out of memory): the transaction must fail */
	struct pg_stmt *gathered;    /* statements with rows gathered, in the order of their first (gnext) */
	struct pg_stmt **gtail;
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
	int ncols;                   /* the columns of its rows (-1: not asked yet) */
	char *text;                  /* the statement as PostgreSQL reads it, for a cursor over it */
	int stream;                  /* its rows are fetched a page at a time through a cursor (db_stream) */
	int cursor;                  /* that cursor is open */
	int own_tx;                  /* in a transaction the engine opened for it */
	int last_page;               /* the page in hand is the cursor's last */
	unsigned char *blob;         /* the last bytea column read, unescaped (until the next step or reset) */
	size_t blob_len;
	int blob_row, blob_col;
	unsigned gen;                /* the session it was prepared in on the server (0: none yet) */
	int once;                    /* built for one use (db_prepare_once): run unnamed, never prepared by name */
	struct pg_stmt *next, **prevp;   /* in the connection's list (stmts) */
	int defer;                   /* being stepped by db_step_done: sent without waiting, in a transaction */
	int set;                     /* its rows can be gathered (set_text): 1, not: -1, not known yet: 0 */
	char *set_text;              /* its rows as one statement over arrays (set_form) */
	struct buf *cols;            /* rows gathered: parameter i's values, an array's elements (nparams bufs) */
	size_t ngathered, gbytes;    /* rows gathered, and the bytes of their values */
	struct pg_stmt *gnext;       /* in the connection's list of statements with rows gathered */
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

static int gather_flush(struct pg_conn *pc);

/* Reads the answers of the statements in the pipeline (db_step_done) and leaves pipeline mode, before anything else
 * is asked of the server, having sent the rows gathered (db_gather) first: DB_OK, or the code of the first that
 * failed (its words in errmsg; the transaction is then aborted, and the caller rolls it back). */
static int drain(struct pg_conn *pc)
{
	int rc = gather_flush(pc), ends = 0;
	PGresult *res;

	if (!pc->queued)
		return rc;
	if (!pq.pipelineSync(pc->c))
		rc = result_code(pc, NULL);
	/* Each statement's answer ends with a NULL; the sync's is the last. A lost connection answers NULL for ever. */
	while (rc == DB_OK || pq.status(pc->c) == CONNECTION_OK) {
		ExecStatusType s;

		if (!(res = pq.getResult(pc->c))) {
			if (++ends > pc->queued + 1)
				break;
			continue;
		}
		s = pq.resultStatus(res);
		if (s == PGRES_PIPELINE_SYNC) {
			pq.clear(res);
			break;
		}
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			if (rc == DB_OK)
				rc = result_code(pc, res);
		} else {
			pc->changes = strtoll(pq.cmdTuples(res), NULL, 10);   /* db_changes: the last one's */
		}
		pq.clear(res);
	}
	pq.exitPipelineMode(pc->c);
	pc->queued = 0;
	return rc;
}

/* Runs sql (one statement or several) and clears its result: DB_OK or a code. */
static int run(struct pg_conn *pc, const char *sql)
{
	PGresult *res;
	ExecStatusType s;
	int rc = drain(pc);

	if (rc != DB_OK)
		return rc;
	res = pq.exec(pc->c, sql);
	s = pq.resultStatus(res);
	rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? DB_OK : result_code(pc, res);
	pq.clear(res);
	return rc;
}

static void pg_set_busy_ms(struct db *db, int ms)
{
	struct pg_conn *pc = db->x;
	char sql[64];

	pc->busy_ms = ms;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms);
	run(pc, sql);
}

static int session_set(struct db *db, char *err, size_t errlen);

/* A connection PostgreSQL dropped (a restart, a failover, a cut) is opened again before the caller's next
 * transaction or statement outside one; never in the middle of a transaction, whose work is lost with the old
 * session and whose next statements must fail rather than run on their own. The new session is set up as the
 * first was, and each statement is prepared again when next run (gen). DB_OK, or a code with errmsg. */
static int revive(struct db *db)
{
	struct pg_conn *pc = db->x;
	char err[256];

	/* Outside a transaction, what the server sent an idle session is read first (one non-blocking read): a
	 * server that closed it (a restart) is then known before the statement is sent, not by its failure. */
	if (!pc->in_tx)
		pq.consumeInput(pc->c);
	if (pq.status(pc->c) == CONNECTION_OK)
		return DB_OK;
	if (pc->in_tx) {
		strlcpy_s(pc->errmsg, "the connection to PostgreSQL was lost in the transaction", sizeof(pc->errmsg));
		return DB_ERROR;
	}
	pq.reset(pc->c);
	if (pq.status(pc->c) != CONNECTION_OK) {
		strlcpy_s(pc->errmsg, pq.errorMessage(pc->c), sizeof(pc->errmsg));
		pc->errmsg[strcspn(pc->errmsg, "\n")] = '\0';
		return DB_ERROR;
	}
	pc->gen++;
	if (session_set(db, err, sizeof(err)) < 0) {
		strlcpy_s(pc->errmsg, err, sizeof(pc->errmsg));
		return DB_ERROR;
	}
	return DB_OK;
}

/* Whether a statement that failed (text, as PostgreSQL reads it) may run again in a new session: the connection
 * was found lost by it (PostgreSQL restarted while the connection sat idle, which libpq learns only at its next
 * use), outside a transaction, and the statement only reads or starts a transaction, so that running it twice
 * changes nothing. The connection is then opened again (revive). */
static int again(struct db *db, const char *text)
{
	struct pg_conn *pc = db->x;

	if (pc->in_tx || pq.status(pc->c) != CONNECTION_BAD)
		return 0;
	if (strncmp(text, "SELECT ", 7) && strncmp(text, "BEGIN", 5) && strncmp(text, "SET ", 4))
		return 0;
	return revive(db) == DB_OK;
}

/* ps prepared in the connection's current session: DB_OK, or a code. */
static int prepared(struct pg_conn *pc, struct pg_stmt *ps)
{
	PGresult *res;
	int rc = DB_OK;

	if (ps->gen == pc->gen)
		return DB_OK;
	if ((rc = drain(pc)) != DB_OK)
		return rc;
	res = pq.prepare(pc->c, ps->name, ps->text, 0, NULL);
	if (pq.resultStatus(res) != PGRES_COMMAND_OK)
		rc = result_code(pc, res);
	else
		ps->gen = pc->gen;
	pq.clear(res);
	return rc;
}

/* ---- rows gathered (db_gather) ----
 *
 * Inside db_gather, a statement INSERT INTO t(...) VALUES(...) ... whose parameters appear in its VALUES alone is
 * not sent for each row stepped with db_step_done: its rows' values are gathered, parameter by parameter, into the
 * text of arrays, and sent as one statement, INSERT INTO t(...) SELECT ... FROM unnest($1::T1[], ...) AS u(c1,
 * ...) ..., in the pipeline like any deferred statement, before anything else is sent (so that what runs next sees
 * them) or when PG_GATHER_ROWS rows or PG_GATHER_BYTES bytes are gathered. PostgreSQL then runs one statement for
 * thousands of rows instead of thousands: a merge writes tens of thousands of rows a change set. */
#define PG_GATHER_ROWS 4096
#define PG_GATHER_BYTES (4u << 20)

static void gather_discard(struct pg_stmt *ps)
{
	int i;

	for (i = 0; ps->cols && i < ps->nparams; i++)
		buf_reset(&ps->cols[i]);
	ps->ngathered = ps->gbytes = 0;
}

/* Forgets every row gathered (a rollback), or, with rc a failure's code, makes the transaction fail with it. */
static void gather_drop(struct pg_conn *pc, int rc)
{
	struct pg_stmt *ps;

	while ((ps = pc->gathered)) {
		pc->gathered = ps->gnext;
		ps->gnext = NULL;
		gather_discard(ps);
	}
	pc->gtail = &pc->gathered;
	pc->gather_rc = rc;
}

/* Sends the rows gathered for ps as its set statement, in the pipeline: DB_OK, or a code. ps is out of the list. */
static int gather_send(struct pg_conn *pc, struct pg_stmt *ps)
{
	const char *vals[PG_MAX_PARAMS];
	int i, rc = DB_OK;

	for (i = 0; i < ps->nparams; i++) {
		/* Its elements between braces: the array's text. The buffer holds them from offset 1 (gather_row). */
		ps->cols[i].data[0] = '{';
		if (buf_addc(&ps->cols[i], '}') < 0) {
			strlcpy_s(pc->errmsg, "out of memory", sizeof(pc->errmsg));
			gather_discard(ps);
			return DB_NOMEM;
		}
		vals[i] = ps->cols[i].data;
	}
	if ((!pc->queued && !pq.enterPipelineMode(pc->c)) ||
	    !pq.sendQueryParams(pc->c, ps->set_text, ps->nparams, NULL, vals, NULL, NULL, 0))
		rc = result_code(pc, NULL);
	else
		pc->queued++;
	gather_discard(ps);
	return rc;
}

/* Sends every statement's gathered rows, in the order of their first row: DB_OK, or the code of the first failure
 * (the transaction is then lost: the rest are discarded). */
static int gather_flush(struct pg_conn *pc)
{
	struct pg_stmt *ps;
	int rc = pc->gather_rc;

	while (rc == DB_OK && (ps = pc->gathered)) {
		pc->gathered = ps->gnext;
		ps->gnext = NULL;
		rc = gather_send(pc, ps);
	}
	if (rc != DB_OK)
		gather_drop(pc, rc);
	else
		pc->gtail = &pc->gathered;
	return rc;
}

/* The name of an array's element type for parameter type oid, NULL for one not gathered (bytea goes as binary). */
static const char *set_type(Oid oid)
{
	static const struct {
		Oid oid;
		const char *name;
	} types[] = {
		{ 16, "boolean" }, { 20, "bigint" }, { 21, "smallint" }, { 23, "integer" }, { 25, "text" },
		{ 700, "real" }, { 701, "double precision" }, { 1043, "varchar" }, { 1700, "numeric" },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].oid == oid)
			return types[i].name;
	return NULL;
}

/* The end of the quoted text or the parenthesised list that starts at t[i] (after its closing character), or 0
 * when it does not end. */
static size_t skip_group(const char *t, size_t i)
{
	int depth = 0;

	for (; t[i]; i++) {
		if (t[i] == '\'' || t[i] == '"') {
			char q = t[i];

			while (t[++i] && t[i] != q)
				;
			if (!t[i])
				return 0;
			if (depth == 0)
				return i + 1;
		} else if (t[i] == '(') {
			depth++;
		} else if (t[i] == ')' && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

/* Appends t[i..end) to out, each parameter $N in it written u.cN (quoted text as it is). */
static int set_values(struct buf *out, const char *t, size_t i, size_t end)
{
	int r = 0;

	while (i < end) {
		if (t[i] == '\'' || t[i] == '"') {
			size_t q = skip_group(t, i);

			r |= buf_add(out, t + i, q - i);
			i = q;
		} else if (t[i] == '$') {
			r |= buf_printf(out, "u.c%d", atoi(t + i + 1));
			for (i++; t[i] >= '0' && t[i] <= '9'; i++)
				;
		} else {
			r |= buf_addc(out, t[i++]);
		}
	}
	return r;
}

/* ps's set statement (set_text), from its text and its parameters' types (res, a description of it): 0, or -1 when
 * its rows cannot be gathered (not an INSERT ... VALUES(...), a parameter outside that list, a type not gathered). */
static int set_form(struct pg_stmt *ps, const PGresult *res)
{
	const char *t = ps->text;
	struct buf out = BUF_INIT(SIZE_MAX / 2);
	size_t i, j, values = 0, open = 0, close = 0;
	int k, r;

	if (strncmp(t, "INSERT INTO ", 12) || !ps->nparams || pq.nparams(res) != ps->nparams)
		return -1;
	for (i = 0; t[i]; i++) {
		if (t[i] == '\'' || t[i] == '"') {
			if (!(j = skip_group(t, i)))
				return -1;
			i = j - 1;
		} else if (t[i] == '$') {
			return -1;      /* a parameter outside the VALUES list */
		} else if (!open && !strncmp(t + i, " VALUES", 7)) {
			for (j = i + 7; t[j] == ' '; j++)
				;
			if (t[j] != '(' || !(close = skip_group(t, j)))
				return -1;
			values = i;
			open = j;
			i = close - 1;
		}
	}
	if (!open)
		return -1;
	r = buf_add(&out, t, values);
	r |= buf_adds(&out, " SELECT ");
	r |= set_values(&out, t, open + 1, close - 1);
	r |= buf_adds(&out, " FROM unnest(");
	for (k = 0; k < ps->nparams; k++) {
		const char *type = set_type(pq.paramtype(res, k));

		if (!type) {
			buf_release(&out);
			return -1;
		}
		r |= buf_printf(&out, "%s$%d::%s[]", k ? ", " : "", k + 1, type);
	}
	r |= buf_adds(&out, ") AS u(");
	for (k = 0; k < ps->nparams; k++)
		r |= buf_printf(&out, "%sc%d", k ? ", " : "", k + 1);
	r |= buf_addc(&out, ')');
	r |= buf_adds(&out, t + close);
	if (r < 0 || !(ps->set_text = buf_detach(&out, NULL))) {
		buf_release(&out);
		return -1;
	}
	return 0;
}

/* Whether ps's rows can be gathered, found out at its first row on the connection (its parameters' types, from
 * PostgreSQL's description of it): DB_OK with ps->set said, or a code. */
static int set_known(struct pg_conn *pc, struct pg_stmt *ps)
{
	PGresult *res;
	int i, rc;

	if (ps->set)
		return DB_OK;
	if ((rc = prepared(pc, ps)) != DB_OK || (rc = drain(pc)) != DB_OK)
		return rc;
	res = pq.describePrepared(pc->c, ps->name);
	if (pq.resultStatus(res) != PGRES_COMMAND_OK) {
		rc = result_code(pc, res);
		pq.clear(res);
		return rc;
	}
	ps->set = set_form(ps, res) == 0 ? 1 : -1;
	pq.clear(res);
	if (ps->set > 0 && !(ps->cols = calloc((size_t)ps->nparams, sizeof(*ps->cols))))
		ps->set = -1;
	for (i = 0; ps->set > 0 && i < ps->nparams; i++)
		buf_init(&ps->cols[i], SIZE_MAX / 2);
	return DB_OK;
}

/* Appends value p (NULL: SQL NULL) to b as an array's element, after a comma unless first. */
static int gather_value(struct buf *b, const char *p, int first)
{
	/* Offset 0 is kept for the opening brace (gather_send). */
	int r = buf_addc(b, first ? ' ' : ',');

	if (!p)
		return r | buf_adds(b, "NULL");
	r |= buf_addc(b, '"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			r |= buf_addc(b, '\\');
		r |= buf_addc(b, *p);
	}
	return r | buf_addc(b, '"');
}

/* Gathers the row bound to ps (stepped with db_step_done inside db_gather) if its statement allows: *done set to 1
 * if it did (the row is sent later), 0 if the row is to be sent as usual (every row gathered before it is sent
 * first, so that the order stays). DB_OK, or a code. */
static int gather_row(struct pg_conn *pc, struct pg_stmt *ps, int *done)
{
	size_t before = 0, after = 0;
	int i, r = 0, rc;

	*done = 0;
	if ((rc = set_known(pc, ps)) != DB_OK)
		return rc;
	for (i = 0; ps->set > 0 && i < ps->nparams; i++)
		if (ps->par[i].fmt)
			break;
	if (ps->set < 0 || i < ps->nparams)
		return gather_flush(pc);
	for (i = 0; i < ps->nparams; i++) {
		before += ps->cols[i].len;
		r |= gather_value(&ps->cols[i], ps->par[i].p, !ps->ngathered);
		after += ps->cols[i].len;
	}
	if (r < 0) {
		/* Its arrays no longer line up: nothing gathered may be sent. */
		strlcpy_s(pc->errmsg, "out of memory", sizeof(pc->errmsg));
		gather_drop(pc, DB_NOMEM);
		return DB_NOMEM;
	}
	ps->gbytes += after - before;
	if (!ps->ngathered++) {
		ps->gnext = NULL;
		*pc->gtail = ps;
		pc->gtail = &ps->gnext;
	}
	*done = 1;
	if (ps->ngathered >= PG_GATHER_ROWS || ps->gbytes >= PG_GATHER_BYTES)
		return gather_flush(pc);
	return DB_OK;
}

static int pg_error(struct db *db, int rc, char *err, size_t errlen)
{
	return db_engine_error(rc, ((struct pg_conn *)db->x)->errmsg, err, errlen);
}

static const char *pg_errmsg(struct db *db)
{
	return ((struct pg_conn *)db->x)->errmsg;
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

/* The words SQL written for both engines (db.h) says differently to PostgreSQL, each with what follows it
 * (spaces between words as one), and what PostgreSQL reads. */
static const struct {
	const char *sqlite, *pg;
} words[] = {
	{ "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
	{ "INTEGER", "BIGINT" },
	{ "REAL", "DOUBLE PRECISION" },
	{ "BLOB", "BYTEA" },
	{ "WITHOUT ROWID", "" },
	{ "CREATE VIEW IF NOT EXISTS", "CREATE OR REPLACE VIEW" },
	/* SQLite's way to fix the order of a join (always written with its ON). */
	{ "CROSS JOIN", "JOIN" },
};

/* Whether sql[i..len) starts with the words w (case aside, runs of spaces as one, ending at a word's end); the
 * length matched in *n. */
static int words_at(const char *sql, size_t i, size_t len, const char *w, size_t *n)
{
	size_t j = i;

	while (*w) {
		if (*w == ' ') {
			if (j >= len || (sql[j] != ' ' && sql[j] != '\n' && sql[j] != '\t'))
				return 0;
			while (j < len && (sql[j] == ' ' || sql[j] == '\n' || sql[j] == '\t'))
				j++;
			w++;
			continue;
		}
		if (j >= len || (sql[j] | 32) != (*w | 32))
			return 0;
		j++;
		w++;
	}
	if (j < len && (sql[j] == '_' || ((sql[j] | 32) >= 'a' && (sql[j] | 32) <= 'z') || (sql[j] >= '0' && sql[j] <= '9')))
		return 0;
	*n = j - i;
	return 1;
}

/* Whether the CREATE TABLE statement at sql[i..len) (to its ';' or the end) makes a table SQLite would give a
 * rowid of its own: its columns in parentheses, not WITHOUT ROWID, and no INTEGER PRIMARY KEY column. */
static int rowid_wanted(const char *sql, size_t i, size_t len)
{
	size_t j, end = i, n;
	int paren = 0;

	for (end = i; end < len && sql[end] != ';'; end++)
		;
	for (j = i; j < end && sql[j] != '('; j++)
		if (words_at(sql, j, end, "AS", &n) && (j == i || sql[j - 1] == ' '))
			return 0;   /* CREATE TABLE t AS SELECT: its columns are the query's */
	if (j == end)
		return 0;
	for (; j < end; j++) {
		paren += sql[j] == '(';
		if ((words_at(sql, j, end, "INTEGER PRIMARY KEY", &n) || words_at(sql, j, end, "WITHOUT ROWID", &n)) &&
		    (sql[j - 1] == ' ' || sql[j - 1] == '(' || sql[j - 1] == ','))
			return 0;
	}
	return paren > 0;
}

/* Rewrites sql[0..len) into out: ?N as $N, ? as the next, :name (and @name, $name) as the index it was given,
 * the words of the table above, and a rowid column for a table SQLite would give one; what is quoted ('text',
 * "name"), commented, or a cast (::type) is left as it is.
 * Sets ps's nparams; without ps (db_exec), parameters are PostgreSQL's to refuse. -1 with err. */
static int translate(struct pg_stmt *ps, const char *sql, size_t len, struct buf *out, char *err, size_t errlen)
{
	size_t i = 0, n0;
	int top = 0;

	while (i < len) {
		char c = sql[i];

		if (!ps && (c | 32) == 'c' && words_at(sql, i, len, "CREATE TABLE", &n0) && rowid_wanted(sql, i, len)) {
			/* A table SQLite gives a rowid (neither WITHOUT ROWID nor with an INTEGER PRIMARY KEY, which
			 * is its rowid under another name) gets one here: statements order by it (insertion order). */
			const char *open = memchr(sql + i, '(', len - i);

			buf_add(out, sql + i, (size_t)(open - sql) + 1 - i);
			buf_adds(out, "rowid BIGINT GENERATED ALWAYS AS IDENTITY, ");
			i = (size_t)(open - sql) + 1;
		} else if (c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z')) {
			size_t j = i, n = 0, k;

			/* SQLite's choice of an index (INDEXED BY name) is the planner's on PostgreSQL. */
			if (words_at(sql, i, len, "INDEXED BY", &n)) {
				for (i += n; i < len && sql[i] == ' '; i++)
					;
				while (i < len && (sql[i] == '_' || ((sql[i] | 32) >= 'a' && (sql[i] | 32) <= 'z') ||
						   (sql[i] >= '0' && sql[i] <= '9')))
					i++;
				continue;
			}
			for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
				if (words_at(sql, i, len, words[k].sqlite, &n))
					break;
			if (k < sizeof(words) / sizeof(words[0])) {
				buf_adds(out, words[k].pg);
				i += n;
				continue;
			}
			while (j < len && (sql[j] == '_' || ((sql[j] | 32) >= 'a' && (sql[j] | 32) <= 'z') ||
					   (sql[j] >= '0' && sql[j] <= '9')))
				j++;
			buf_add(out, sql + i, j - i);
			i = j;
		} else if (!ps && (c == '?' || c == ':' || c == '@' || c == '$')) {
			buf_add(out, &c, 1);
			i++;
		} else if (c == '\'' || c == '"') {
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
	if (ps)
		ps->nparams = top;
	return out->len + 1 < out->max ? 0 : err_oom(err, errlen);
}

static int pg_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	struct buf text = BUF_INIT(strlen(sql) * 2 + 64);
	int rc;

	if (translate(NULL, sql, strlen(sql), &text, err, errlen) < 0) {
		buf_release(&text);
		return -1;
	}
	if ((rc = revive(db)) == DB_OK && (rc = run(db->x, text.data)) != DB_OK && again(db, text.data))
		rc = run(db->x, text.data);
	buf_release(&text);
	return rc == DB_OK ? 0 : pg_error(db, rc, err, errlen);
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
	for (i = 0; ps->cols && i < ps->nparams; i++)
		buf_release(&ps->cols[i]);
	free(ps->cols);
	free(ps->set_text);
	free(ps->par);
	free(ps->text);
	free(ps);
}

static int pg_prepare(struct db *db, struct db_stmt *st, const char *sql, size_t len, int once, char *err,
		      size_t errlen)
{
	struct pg_conn *pc = db->x;
	struct pg_stmt *ps = calloc(1, sizeof(*ps));
	struct buf text = BUF_INIT(len * 2 + 64);

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
	ps->text = buf_detach(&text, NULL);
	if (!ps->text) {
		stmt_free(ps);
		return err_oom(err, errlen);
	}
	ps->ncols = -1;
	ps->once = once;
	/* Prepared on the server when first run (prepared), or by db_check; one built for one use runs unnamed. */
	if ((ps->next = pc->stmts))
		ps->next->prevp = &ps->next;
	ps->prevp = &pc->stmts;
	pc->stmts = ps;
	st->x = ps;
	return 0;
}

/* Every statement of db not yet prepared on the server is prepared now: 0, or -1 with err naming the first that
 * PostgreSQL refused. */
static int pg_check(struct db *db, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;
	struct pg_stmt *ps;
	int rc;

	if ((rc = revive(db)) != DB_OK)
		return pg_error(db, rc, err, errlen);
	for (ps = pc->stmts; ps; ps = ps->next)
		if (!ps->once && (rc = prepared(pc, ps)) != DB_OK) {
			/* TRANSLATORS: the first %s is the start of an SQL statement; the second the database
			 * engine's own words, in English. */
			return rc == DB_ERROR ? errf(err, errlen, _("cannot prepare a statement (%.60s): %s"), ps->text,
						     pc->errmsg) : pg_error(db, rc, err, errlen);
		}
	return 0;
}

static void cursor_end(struct pg_conn *pc, struct pg_stmt *ps);

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	struct pg_conn *pc = st->db->x;
	char sql[48];

	if (!ps)
		return;
	if (ps->cursor)
		cursor_end(pc, ps);
	/* Rows it gathered go first (into the pipeline): it is about to be freed. */
	if (ps->ngathered)
		gather_flush(pc);
	/* One the server holds is forgotten there too, outside an aborted transaction (which refuses it). */
	if (ps->gen == pc->gen && pq.transactionStatus(pc->c) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", ps->name);
		run(pc, sql);
	}
	if ((*ps->prevp = ps->next))
		ps->next->prevp = ps->prevp;
	stmt_free(ps);
	st->x = NULL;
}

static int pg_begin(struct db *db, int read_only, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;

	if (pg_exec(db, read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", err, errlen) < 0)
		return -1;
	pc->in_tx = 1;
	return 0;
}

static void pg_rollback(struct db *db)
{
	struct pg_conn *pc = db->x;

	pc->in_tx = 0;
	pc->gathering = 0;
	gather_drop(pc, DB_OK);
	drain(pc);     /* whatever the deferred statements met, the transaction goes */
	if (pq.transactionStatus(pc->c) == PQTRANS_IDLE)
		return;
	run(pc, "ROLLBACK");
	if (db->on_rollback)
		db->on_rollback(db->on_rollback_ctx);
}

static int pg_commit(struct db *db, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;
	int rc = drain(pc);
	PGresult *res = rc == DB_OK ? pq.exec(pc->c, "COMMIT") : NULL;

	pc->in_tx = 0;
	pc->gathering = 0;
	if (rc != DB_OK) {
		pg_error(db, rc, err, errlen);
		pg_rollback(db);
		return -1;
	}

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
	struct pg_conn *pc = db->x;
	PGTransactionStatusType t = pq.transactionStatus(pc->c);

	/* A lost connection's status is unknown: in a transaction only if the caller had opened one. */
	return pc->in_tx || t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Advisory locks held until the transaction ends, taken in the order given (a function scan walks the array in
 * order). The keys are numbers made here, not text from outside. */
static int pg_lock(struct db *db, const int64_t *keys, size_t n, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT((size_t)64 + n * 21);
	size_t i;
	int r = buf_adds(&sql, "SELECT pg_advisory_xact_lock(k) FROM unnest('{");

	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(&sql, "%s%lld", i ? "," : "", (long long)keys[i]);
	if (r < 0 || buf_adds(&sql, "}'::bigint[]) AS k") < 0) {
		buf_release(&sql);
		return db_engine_error(DB_NOMEM, "out of memory", err, errlen);
	}
	r = pg_exec(db, sql.data, err, errlen);
	buf_release(&sql);
	return r;
}

#define PG_PAGE_ROWS 500   /* rows a cursor fetches at a time */

/* Closes a streaming statement's cursor, and the transaction the engine opened for it. */
static void cursor_end(struct pg_conn *pc, struct pg_stmt *ps)
{
	char sql[48];

	if (ps->cursor && pq.transactionStatus(pc->c) == PQTRANS_INTRANS) {
		snprintf(sql, sizeof(sql), "CLOSE c%s", ps->name);
		run(pc, sql);
	}
	if (ps->own_tx)
		run(pc, pq.transactionStatus(pc->c) == PQTRANS_INTRANS ? "COMMIT" : "ROLLBACK");
	ps->cursor = ps->own_tx = ps->last_page = 0;
}

/* The next page of a streaming statement's rows into ps->res, opening its cursor first (in a read-only
 * transaction of the engine's own if the caller has none): DB_OK, or a code. */
static int cursor_page(struct pg_conn *pc, struct pg_stmt *ps, const char *const *vals, const int *lens,
		       const int *fmts)
{
	struct buf sql = BUF_INIT(strlen(ps->text) + 64);
	ExecStatusType s;
	int rc = drain(pc);

	if (rc != DB_OK)
		goto out;
	if (!ps->cursor) {
		if (pq.transactionStatus(pc->c) == PQTRANS_IDLE) {
			if ((rc = run(pc, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != DB_OK)
				goto out;
			ps->own_tx = 1;
		}
		buf_printf(&sql, "DECLARE c%s NO SCROLL CURSOR FOR %s", ps->name, ps->text);
		ps->res = pq.execParams(pc->c, sql.data, ps->nparams, NULL, vals, lens, fmts, 0);
		if (pq.resultStatus(ps->res) != PGRES_COMMAND_OK) {
			rc = result_code(pc, ps->res);
			goto out;
		}
		pq.clear(ps->res);
		ps->cursor = 1;
		buf_reset(&sql);
	}
	buf_printf(&sql, "FETCH %d FROM c%s", PG_PAGE_ROWS, ps->name);
	ps->res = pq.exec(pc->c, sql.data);
	s = pq.resultStatus(ps->res);
	if (s != PGRES_TUPLES_OK) {
		rc = result_code(pc, ps->res);
		goto out;
	}
	ps->nrows = pq.ntuples(ps->res);
	ps->last_page = ps->nrows < PG_PAGE_ROWS;
	ps->row = -1;
out:
	if (rc != DB_OK) {
		pq.clear(ps->res);
		ps->res = NULL;
		cursor_end(pc, ps);
	}
	buf_release(&sql);
	return rc;
}

/* Runs ps with the values given and waits for its result: prepared under its name, or, built for one use and not
 * prepared in this session, unnamed, parsed and run in one round trip rather than three (prepare, run, deallocate). */
static PGresult *run_now(struct pg_conn *pc, struct pg_stmt *ps, const char *const *vals, const int *lens,
			 const int *fmts)
{
	if (ps->once && ps->gen != pc->gen)
		return pq.execParams(pc->c, ps->text, ps->nparams, NULL, vals, lens, fmts, 0);
	return pq.execPrepared(pc->c, ps->name, ps->nparams, vals, lens, fmts, 0);
}

static int pg_step(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	struct pg_conn *pc = st->db->x;

	if (ps->stream) {
		const char *vals[PG_MAX_PARAMS];
		int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS], i, rc;

		if (ps->res && ps->row + 1 < ps->nrows) {
			ps->row++;
			return DB_ROW;
		}
		/* The page is read: the next one, unless it was the last (or the rows are all read). */
		if (ps->res && (ps->last_page || !ps->cursor)) {
			ps->row = ps->nrows;
			cursor_end(pc, ps);
			return DB_DONE;
		}
		for (i = 0; i < ps->nparams; i++) {
			vals[i] = ps->par[i].p;
			lens[i] = ps->par[i].len;
			fmts[i] = ps->par[i].fmt;
		}
		pq.clear(ps->res);
		ps->res = NULL;
		if ((!ps->cursor && (rc = revive(st->db)) != DB_OK) || (rc = cursor_page(pc, ps, vals, lens, fmts)) != DB_OK)
			return rc;
		return pg_step(st);
	}
	if (!ps->res) {
		const char *vals[PG_MAX_PARAMS];
		int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS], i, rc;
		ExecStatusType s;

		for (i = 0; i < ps->nparams; i++) {
			vals[i] = ps->par[i].p;
			lens[i] = ps->par[i].len;
			fmts[i] = ps->par[i].fmt;
		}
		if ((rc = revive(st->db)) != DB_OK)
			return rc;
		/* Its first run prepares it, but one built for one use, run unnamed (run_now); a session found lost is
		 * opened again, as for a run (again). */
		if ((!ps->once || ps->defer) && (rc = prepared(pc, ps)) != DB_OK &&
		    (!again(st->db, ps->text) || (rc = prepared(pc, ps)) != DB_OK))
			return rc;
		if (ps->defer && pc->in_tx) {
			int done = 0;

			/* Gathered (db_gather), or sent after the rows gathered before it, so that the order stays. */
			if ((rc = pc->gathering && !ps->once ? gather_row(pc, ps, &done) : gather_flush(pc)) != DB_OK)
				return rc;
			if (done) {
				ps->nrows = ps->row = 0;
				return DB_DONE;
			}
			/* Sent now, its answer read with the pipeline's (drain): nothing of it is read back. */
			if (pc->queued || pq.enterPipelineMode(pc->c)) {
				if (!pq.sendQueryPrepared(pc->c, ps->name, ps->nparams, vals, lens, fmts, 0)) {
					rc = result_code(pc, NULL);
					drain(pc);
					return rc;
				}
				pc->changes = 0;
				ps->nrows = ps->row = 0;
				if (++pc->queued >= PG_PIPELINE_MAX && (rc = drain(pc)) != DB_OK)
					return rc;
				return DB_DONE;
			}
		}
		if ((rc = drain(pc)) != DB_OK)
			return rc;
		ps->res = run_now(pc, ps, vals, lens, fmts);
		s = pq.resultStatus(ps->res);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && again(st->db, ps->text) &&
		    (ps->once || prepared(pc, ps) == DB_OK)) {
			pq.clear(ps->res);
			ps->res = run_now(pc, ps, vals, lens, fmts);
			s = pq.resultStatus(ps->res);
		}
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

	if (ps->cursor)
		cursor_end(st->db->x, ps);
	pq.clear(ps->res);
	ps->res = NULL;
	ps->row = ps->nrows = 0;
	pq.freemem(ps->blob);
	ps->blob = NULL;
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
	drain(db->x);
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

/* Column i as bytes: a bytea unescaped (kept until the next step or reset, as SQLite keeps a blob: its bytes
 * and its length read in either order), any other value's text. */
static const void *col_bytes_of(struct pg_stmt *ps, int i, size_t *n)
{
	*n = 0;
	if (!has_value(ps, i))
		return NULL;
	if (pq.ftype(ps->res, i) != BYTEAOID) {
		*n = (size_t)pq.getlength(ps->res, ps->row, i);
		return pq.getvalue(ps->res, ps->row, i);
	}
	if (!ps->blob || ps->blob_row != ps->row || ps->blob_col != i) {
		pq.freemem(ps->blob);
		ps->blob = pq.unescapeBytea((const unsigned char *)pq.getvalue(ps->res, ps->row, i), &ps->blob_len);
		ps->blob_row = ps->row;
		ps->blob_col = i;
	}
	*n = ps->blob ? ps->blob_len : 0;
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

static void pg_stream(struct db_stmt *st)
{
	((struct pg_stmt *)st->x)->stream = 1;
}

static int pg_gather(struct db *db, int on, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;
	int rc;

	pc->gathering = on && pc->in_tx;
	if (!on && (rc = gather_flush(pc)) != DB_OK)
		return pg_error(db, rc, err, errlen);
	return 0;
}

static int pg_step_done(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	int rc;

	ps->defer = 1;
	rc = pg_step(st);
	ps->defer = 0;
	return rc;
}

static int pg_columns(struct db_stmt *st)
{
	struct pg_stmt *ps = st->x;
	PGresult *res;

	/* Asked of few statements (a copy of every table): the server describes them then, not at every prepare. */
	if (ps->ncols < 0) {
		if (prepared(st->db->x, ps) != DB_OK || drain(st->db->x) != DB_OK)
			return 0;
		res = pq.describePrepared(((struct pg_conn *)st->db->x)->c, ps->name);
		ps->ncols = pq.resultStatus(res) == PGRES_COMMAND_OK ? pq.nfields(res) : 0;
		pq.clear(res);
	}
	return ps->ncols;
}

static const struct db_engine pg_engine = {
	.close = pg_close, .set_busy_ms = pg_set_busy_ms, .exec = pg_exec, .prepare = pg_prepare, .check = pg_check,
	.finalize = pg_finalize, .begin = pg_begin, .commit = pg_commit, .rollback = pg_rollback,
	.in_transaction = pg_in_transaction, .lock = pg_lock, .error = pg_error, .errmsg = pg_errmsg, .step = pg_step,
	.reset = pg_reset, .clear = pg_clear, .changes = pg_changes, .bind = pg_bind, .named = pg_named,
	.col_int = pg_col_int, .col_float = pg_col_float, .col_text = pg_col_text, .col_blob = pg_col_blob,
	.col_bytes = pg_col_bytes, .col_type = pg_col_type, .columns = pg_columns, .stream = pg_stream, .gather = pg_gather,
	.step_done = pg_step_done,
};

/* What SQL written for both engines calls that PostgreSQL lacks, in a schema of its own put at the end of every
 * connection's search path. Made once per database (under an advisory lock, so that servers starting together do
 * not make it twice), and again when COMPAT_VERSION changes. */
#define COMPAT_VERSION "7"
static const char compat_sql[] =
	"CREATE SCHEMA IF NOT EXISTS sondeo_compat;"
	/* SQLite's two-argument min and max (PostgreSQL's are aggregates of one argument, which stay theirs). */
	"CREATE OR REPLACE FUNCTION sondeo_compat.max(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS 'SELECT GREATEST(a, b)';"
	"CREATE OR REPLACE FUNCTION sondeo_compat.min(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS 'SELECT LEAST(a, b)';"
	/* SQLite's group_concat(X, SEPARATOR), in the order its rows come. */
	"CREATE OR REPLACE FUNCTION sondeo_compat.group_concat_step(acc text, v text, sep text) RETURNS text"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
	" 'SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END';"
	"CREATE OR REPLACE AGGREGATE sondeo_compat.group_concat(text, text)"
	" (SFUNC = sondeo_compat.group_concat_step, STYPE = text);"
	/* A comparison counted with sum, as SQLite counts its 1s. */
	"CREATE OR REPLACE FUNCTION sondeo_compat.sum_bool_step(acc bigint, v boolean) RETURNS bigint"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT CASE WHEN v THEN acc + 1 ELSE acc END';"
	"CREATE OR REPLACE AGGREGATE sondeo_compat.sum(boolean)"
	" (SFUNC = sondeo_compat.sum_bool_step, STYPE = bigint, INITCOND = '0');"
	/* SQLite's json_quote of a text: the JSON string that holds it. */
	"CREATE OR REPLACE FUNCTION sondeo_compat.json_quote(v text) RETURNS text LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS 'SELECT to_json(v)::text';"
	/* SQLite's JSON functions over the JSON text the stores keep, as far as they use them: a value at '$' or at
	 * '$.key', as text (a string without its quotes); a value's type; the elements of an array; an array of
	 * values; a text read as JSON. */
	"CREATE OR REPLACE FUNCTION sondeo_compat.json_extract(v text, path text) RETURNS text LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS 'SELECT CASE WHEN path = ''$'' THEN v::jsonb #>> ''{}''"
	" ELSE v::jsonb #>> string_to_array(substr(path, 3), ''.'') END';"
	"CREATE OR REPLACE FUNCTION sondeo_compat.json_type(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
	" AS 'SELECT CASE jsonb_typeof(v::jsonb) WHEN ''number'' THEN CASE WHEN v ~ ''^-?[0-9]+$'' THEN ''integer''"
	" ELSE ''real'' END WHEN ''boolean'' THEN v ELSE jsonb_typeof(v::jsonb) END';"
	"CREATE OR REPLACE FUNCTION sondeo_compat.json_each(v text) RETURNS TABLE(value text) LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS 'SELECT jsonb_array_elements_text(v::jsonb)';"
	"CREATE OR REPLACE FUNCTION sondeo_compat.json(v text) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE"
	" AS 'SELECT v::jsonb';"
	"CREATE OR REPLACE FUNCTION sondeo_compat.json_group_array_step(acc jsonb, v jsonb) RETURNS jsonb"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT acc || jsonb_build_array(v)';"
	"CREATE OR REPLACE AGGREGATE sondeo_compat.json_group_array(jsonb)"
	" (SFUNC = sondeo_compat.json_group_array_step, STYPE = jsonb, INITCOND = '[]');"
	/* The search's folding, as FTS5's unicode61 tokenizer with remove_diacritics folds: case and accents
	 * (PostgreSQL's unaccent, a trusted extension); and a text's words, folded, with what separates them (all but
	 * letters, digits, _ and other characters than ASCII's, as that tokenizer splits them) as one space. */
	"CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA sondeo_compat;"
	"CREATE OR REPLACE FUNCTION sondeo_compat.fold(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
	" AS 'SELECT lower(sondeo_compat.unaccent(''sondeo_compat.unaccent''::regdictionary, v))';"
	"CREATE OR REPLACE FUNCTION sondeo_compat.search_words(v text) RETURNS text LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS 'SELECT regexp_replace(sondeo_compat.fold(v), ''[^[:alnum:]_\\x80-\\U0010FFFF]+'', '' '',"
	" ''g'')';"
	/* SQLite's date and time functions as the stores call them: a time of epoch seconds ('unixepoch') as ISO
	 * 8601 UTC text, and the Monday of a day's week ('-6 days', 'weekday 1'); a day that is none gives NULL, as
	 * in SQLite; any other modifier is refused. */
	"CREATE OR REPLACE FUNCTION sondeo_compat.strftime(fmt text, v bigint, m text) RETURNS text LANGUAGE plpgsql"
	" IMMUTABLE PARALLEL SAFE AS $f$ BEGIN"
	" IF fmt <> '%Y-%m-%dT%H:%M:%SZ' OR m <> 'unixepoch' THEN"
	"  RAISE EXCEPTION 'strftime(%, %) is not one the stores use', fmt, m; END IF;"
	" RETURN to_char(to_timestamp(v) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'); END $f$;"
	"CREATE OR REPLACE FUNCTION sondeo_compat.date(v text, m1 text, m2 text) RETURNS text LANGUAGE plpgsql"
	" IMMUTABLE PARALLEL SAFE AS $f$ BEGIN"
	" IF m1 <> '-6 days' OR m2 <> 'weekday 1' THEN"
	"  RAISE EXCEPTION 'date(%, %) is not one the stores use', m1, m2; END IF;"
	" IF v IS NULL OR v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN RETURN NULL; END IF;"
	" RETURN to_char(date_trunc('week', to_date(v, 'YYYY-MM-DD')), 'YYYY-MM-DD');"
	" EXCEPTION WHEN others THEN RETURN NULL; END $f$;"
	"CREATE OR REPLACE FUNCTION sondeo_compat.date(v bigint, m0 text, m1 text, m2 text) RETURNS text"
	" LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$ BEGIN"
	" IF m0 <> 'unixepoch' THEN RAISE EXCEPTION 'date(%) is not one the stores use', m0; END IF;"
	" RETURN sondeo_compat.date(to_char(to_timestamp(v) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), m1, m2); END $f$;"
	"CREATE OR REPLACE FUNCTION sondeo_compat.compat_v" COMPAT_VERSION "() RETURNS int LANGUAGE sql IMMUTABLE"
	" AS 'SELECT 1';";

struct db *db_open_pg(const char *conninfo, char *err, size_t errlen)
{
	struct db *db;
	struct pg_conn *pc;

	if (pq_load(err, errlen) < 0)
		return NULL;
	if (!(db = calloc(1, sizeof(*db))) || !(pc = calloc(1, sizeof(*pc)))) {
		free(db);
		err_oom(err, errlen);
		return NULL;
	}
	db->e = &pg_engine;
	db->x = pc;
	pc->gen = 1;
	pc->gtail = &pc->gathered;
	pc->c = pq.connectdb(conninfo);
	if (!pc->c || pq.status(pc->c) != CONNECTION_OK) {
		/* TRANSLATORS: %s is libpq's own words, in English. */
		errf(err, errlen, _("cannot connect to PostgreSQL: %s"), pc->c ? pq.errorMessage(pc->c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		db_close(db);
		return NULL;
	}
	pq.setNoticeProcessor(pc->c, quiet, NULL);
	pc->busy_ms = DB_BUSY_MS;
	if (session_set(db, err, errlen) < 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* Sets up a new session of db in one round trip: text in UTF-8 whatever the server's default, a lock waited for as
 * long as SQLite waits (or as set), and compat_sql's functions on the search path (a schema not yet made there is
 * passed over until it is). 0, or -1 with err. */
static int session_set(struct db *db, char *err, size_t errlen)
{
	struct pg_conn *pc = db->x;
	char sql[512];
	PGresult *res;
	int have, rc;

	snprintf(sql, sizeof(sql), "SET client_encoding = 'UTF8'; SET lock_timeout = %d;"
		 " SELECT set_config('search_path', current_setting('search_path') || ', sondeo_compat', false);"
		 " SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
		 " WHERE n.nspname = 'sondeo_compat' AND p.proname = 'compat_v" COMPAT_VERSION "'", pc->busy_ms);
	if ((rc = drain(pc)) != DB_OK)
		return pg_error(db, rc, err, errlen);
	/* Several statements in one query: the result is the last one's, or the first that failed. */
	res = pq.exec(pc->c, sql);
	if (pq.resultStatus(res) != PGRES_TUPLES_OK) {
		rc = result_code(pc, res);
		pq.clear(res);
		return pg_error(db, rc, err, errlen);
	}
	have = strcmp(pq.getvalue(res, 0, 0), "0") != 0;
	pq.clear(res);
	/* Made by the first connection to a database that lacks them (or this version of them), one at a time. */
	if (!have && (pg_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(7363746564);", err, errlen) < 0 ||
		      pg_exec(db, compat_sql, err, errlen) < 0 || pg_commit(db, err, errlen) < 0)) {
		pg_rollback(db);
		return -1;
	}
	return 0;
}
