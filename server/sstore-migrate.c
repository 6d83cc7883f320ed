/* sstore-migrate.c - sondeod migrate (sstore.h): a server's store moved from its SQLite file into an empty
 * PostgreSQL database, whole and at once, and checked. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db.h"
#include "dbstore.h"
#include "merge.h"
#include "util.h"
#include "banned.h"

/* Every op, as every replica must hold it: its device, seq, stamp, field and value. */
#define OPS_SQL \
	"SELECT d.id, o.seq, o.hlc, o.field, " MERGE_OP_VALUE("o") " FROM ops o JOIN devices d ON d.did = o.did"

/* The ops of db: how many, and a digest of them that does not depend on their order (each op's hash, summed
 * byte by byte). 0, or -1 with err. */
static int ops_digest(struct db *db, uint64_t *n, unsigned char sum[32], char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare_once(db, OPS_SQL, strlen(OPS_SQL), err, errlen);
	unsigned char h[32];
	int rc, i;

	*n = 0;
	memset(sum, 0, 32);
	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		crypto_generichash_state g;
		char num[48];

		crypto_generichash_init(&g, NULL, 0, sizeof(h));
		snprintf(num, sizeof(num), "|%lld|%lld|", (long long)db_int(st, 1), (long long)db_int(st, 2));
		crypto_generichash_update(&g, (const unsigned char *)db_text(st, 0), strlen(db_text(st, 0)));
		crypto_generichash_update(&g, (const unsigned char *)num, strlen(num));
		crypto_generichash_update(&g, (const unsigned char *)db_text(st, 3), strlen(db_text(st, 3)) + 1);
		crypto_generichash_update(&g, (const unsigned char *)db_text(st, 4), strlen(db_text(st, 4)));
		crypto_generichash_final(&g, h, sizeof(h));
		for (i = 0; i < 32; i++)
			sum[i] = (unsigned char)(sum[i] + h[i]);
		(*n)++;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : db_error(db, rc, err, errlen);
}

/* Copies every row of table (columns cols, a list of quoted names) from the SQLite store to the PostgreSQL one,
 * with its rowid where PostgreSQL's table keeps one (db-pg.c). Adds to *rows. 0, or -1 with err. */
static int copy_table(struct db *from, struct db *to, const char *table, const char *cols, uint64_t *rows,
		      char *err, size_t errlen)
{
	struct buf sel = BUF_INIT(16384), ins = BUF_INIT(32768);
	struct db_stmt *r = NULL, *w = NULL;
	int rowid, n, i, rc, ret = -1;

	if ((rowid = db_has_column(to, table, "rowid", err, errlen)) < 0)
		goto out;
	buf_printf(&sel, "SELECT %s%s FROM \"%s\"", rowid ? "rowid, " : "", cols, table);
	buf_printf(&ins, "DELETE FROM \"%s\"", table);
	if (db_exec(to, ins.data, err, errlen) < 0)
		goto out;
	buf_reset(&ins);
	buf_printf(&ins, "INSERT INTO \"%s\"(%s%s)%s VALUES(", table, rowid ? "rowid, " : "", cols,
		   rowid ? " OVERRIDING SYSTEM VALUE" : "");
	if (!(r = db_prepare_once(from, sel.data, sel.len, err, errlen)))
		goto out;
	n = db_columns(r);
	for (i = 1; i <= n; i++)
		buf_printf(&ins, "%s?%d", i > 1 ? ", " : "", i);
	buf_adds(&ins, ")");
	if (!(w = db_prepare_once(to, ins.data, ins.len, err, errlen)))
		goto out;
	while ((rc = db_step(r)) == DB_ROW) {
		for (i = 0; i < n; i++) {
			switch (db_type(r, i)) {
			case DB_INTEGER: db_bind_int(w, i + 1, db_int(r, i)); break;
			case DB_FLOAT: db_bind_float(w, i + 1, db_float(r, i)); break;
			case DB_BLOB: db_bind_blob(w, i + 1, db_blob(r, i), db_bytes(r, i)); break;
			case DB_NULL: db_bind_null(w, i + 1); break;
			default: db_bind_text_n(w, i + 1, db_text(r, i), db_bytes(r, i)); break;
			}
		}
		if (db_step_done(w, err, errlen) < 0) {
			/* TRANSLATORS: %s is a table of the server's store, then what went wrong. */
			char why[512];

			strlcpy_s(why, err, sizeof(why));
			errf(err, errlen, _("table %s: %s"), table, why);
			goto out;
		}
		(*rows)++;
	}
	if (rc != DB_DONE) {
		db_error(from, rc, err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_finalize(r);
	db_finalize(w);
	buf_release(&sel);
	buf_release(&ins);
	return ret;
}

/* Makes each id PostgreSQL gives in table go on after the ones copied. 0, or -1 with err. */
static int ids_after(struct db *to, const char *table, char *err, size_t errlen)
{
	static const char cols[] = "SELECT column_name FROM information_schema.columns WHERE table_schema ="
				   " current_schema() AND table_name = ?1 AND is_identity = 'YES'";
	struct db_stmt *c = db_prepare_once(to, cols, strlen(cols), err, errlen), *st;
	char sql[512];
	int rc, r = 0;

	if (!c)
		return -1;
	db_bind_text(c, 1, table);
	while (r == 0 && (rc = db_step(c)) == DB_ROW) {
		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('\"%s\"', ?1), coalesce(max(\"%s\"), 0) + 1,"
			 " false) FROM \"%s\"", table, db_text(c, 0), table);
		if (!(st = db_prepare_once(to, sql, strlen(sql), err, errlen))) {
			r = -1;
			break;
		}
		db_bind_text(st, 1, db_text(c, 0));
		r = db_step_done(st, err, errlen);
		db_finalize(st);
	}
	if (r == 0 && rc != DB_DONE)
		r = db_error(to, rc, err, errlen);
	db_finalize(c);
	return r;
}

int sstore_migrate(struct sstore *s, const char *conninfo, struct sstore_migrated *out, char *err, size_t errlen)
{
	static const char tables[] = "SELECT name, (SELECT group_concat('\"' || p.name || '\"', ', ')"
				     " FROM pragma_table_info(t.name) p) FROM sqlite_schema t WHERE type = 'table'"
				     " AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'records_fts%' ORDER BY name";
	struct dbstore *pgbase = NULL;
	struct db_stmt *st = NULL;
	struct db *to;
	unsigned char a[32], b[32];
	uint64_t na, nb;
	int rc, r = -1;

	memset(out, 0, sizeof(*out));
	if (db_is_pg(s->db))
		return errf(err, errlen, _("the data in '%s' is in PostgreSQL already"), s->dir);
	/* The whole file at one moment, no other program writing meanwhile. */
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	if (!(pgbase = dbstore_create_pg(&sstore_spec, conninfo, "--store", err, errlen)))
		goto out;
	to = dbstore_db(pgbase);
	/* The rows come with their ids, which devices' and relays' cursors name: each id is its row's place in the
	 * feed, set once all are in, rather than a new place given by the feed's triggers at the commit. */
	if (db_exec(to, "ALTER TABLE ops DISABLE TRIGGER ops_feed;"
		    "ALTER TABLE changesets DISABLE TRIGGER changesets_feed;", err, errlen) < 0 ||
	    !(st = db_prepare_once(s->db, tables, strlen(tables), err, errlen)))
		goto out;
	while ((rc = db_step(st)) == DB_ROW) {
		if (copy_table(s->db, to, db_text(st, 0), db_text(st, 1), &out->rows, err, errlen) < 0 ||
		    ids_after(to, db_text(st, 0), err, errlen) < 0)
			goto out;
		out->tables++;
	}
	if (rc != DB_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	/* The search index is each engine's own: made from the records at the first open (sondeod migrate opens the
	 * store once, to do it then), the summaries and counts, copied, staying as they are. */
	if (db_exec(to, FEED_FROM_IDS "ALTER TABLE ops ENABLE TRIGGER ops_feed;"
		    "ALTER TABLE changesets ENABLE TRIGGER changesets_feed;", err, errlen) < 0 ||
	    db_exec(to, "INSERT INTO meta(key, value) VALUES('reindex', 'search') ON CONFLICT(key) DO UPDATE SET"
		    " value = excluded.value", err, errlen) < 0 ||
	    ops_digest(s->db, &na, a, err, errlen) < 0 || ops_digest(to, &nb, b, err, errlen) < 0)
		goto out;
	if (na != nb || memcmp(a, b, sizeof(a))) {
		errf(err, errlen, _("the ops copied to PostgreSQL (%llu) are not the %llu of '%s'; nothing was changed"),
		     (unsigned long long)nb, (unsigned long long)na, s->dir);
		goto out;
	}
	out->ops = na;
	if (db_commit(to, err, errlen) < 0)
		goto out;
	r = 0;
out:
	db_finalize(st);
	dbstore_close(pgbase);   /* rolled back unless committed */
	db_rollback(s->db);
	return r;
}
