/* sstore.c - the server's store on SQLite: devices, enrolment codes, forms, users and the merge tables. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-relay.h"
#include "sstore-users.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "db.h"
#include "dbstore.h"
#include "hlc.h"
#include "sstore-int.h"
#include "sstore-media.h"
#include "jsonc.h"
#include "form.h"
#include "util.h"
#include "uuid.h"
#include "banned.h"

#define SSTORE_SCHEMA 10

#define SSTORE_CACHE_KIB "32768"      /* SQLite's page cache per connection, in KiB */
#define SECRET_FILE "server.key"
#define PUBLIC_FILE "server.pub"

/* Generated passwords use the 30 symbols below: upper-case letters and digits without 0 and O, 1, I and L
 * (which people misread and mistype) and U. Enrolment codes are the protocol's (proto/auth.h): Crockford's
 * base32, whose readers take O for 0 and I and L for 1, made and keyed by auth.c so that server and device
 * cannot disagree. */
static const char alphabet[] = "ABCDEFGHJKMNPQRSTVWXYZ23456789";
#define ALPHABET_LEN (sizeof(alphabet) - 1)

#define CODE_LEN AUTH_CODE_LEN
#define CODE_ID_LEN AUTH_CODE_ID_LEN
#define CODE_SHOWN_LEN AUTH_CODE_SHOWN_LEN
#define CODE_DRAWS 1000                              /* redraws on a code id collision before giving up */
#define MAC_KEY_BYTES 32
#define PASSWORD_LEN 20
#define ADMIN_USER "admin"

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

/* The server's own tables at layout 1, beside the skeleton's meta and forms (dbstore.h) and the merge tables. */
static const char schema[] =
	/* merge.c owns a table called devices (did, id) for the ids ops name; these are the enrolled ones. */
	"CREATE TABLE enrolled_devices("
	" id TEXT PRIMARY KEY, pk BLOB NOT NULL UNIQUE, name TEXT NOT NULL, region TEXT NOT NULL,"
	" enrolled INTEGER NOT NULL, last_seen INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0,"
	" next_seq INTEGER NOT NULL DEFAULT 1, equivocations INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE codes("
	" code_id TEXT PRIMARY KEY, mac_key BLOB NOT NULL, region TEXT NOT NULL, uses_left INTEGER NOT NULL,"
	" expires INTEGER NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE nonces(device TEXT NOT NULL, nonce TEXT NOT NULL, seen INTEGER NOT NULL,"
	" PRIMARY KEY(device, nonce)) WITHOUT ROWID;"
	"CREATE INDEX nonces_seen ON nonces(seen);"
	"CREATE TABLE changesets(id INTEGER PRIMARY KEY, device TEXT NOT NULL, first_seq INTEGER NOT NULL,"
	" last_seq INTEGER NOT NULL, received INTEGER NOT NULL, bytes BLOB NOT NULL);"
	"CREATE INDEX changesets_device ON changesets(device, first_seq);"
	/* The region a record belongs to: that of the device that first sent it. Devices pull their region. */
	"CREATE TABLE record_regions(rid INTEGER PRIMARY KEY, region TEXT NOT NULL);"
	"CREATE INDEX record_regions_region ON record_regions(region);"
	"CREATE TABLE users(name TEXT PRIMARY KEY,"
	" role TEXT NOT NULL CHECK(role IN ('viewer', 'reviewer', 'admin')), pwhash TEXT NOT NULL,"
	" must_change INTEGER NOT NULL DEFAULT 1, disabled INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);";

/* Layout 2 adds what the review page needs (docs/review-api.md); a layout 1 directory is brought up to it when
 * opened, in one transaction. */
/* Numbers in numeric order, for sorting the records table by a number question: the answers whose JSON text
 * starts with '-' or a digit (no other JSON text starts in that range), told by comparing bytes, which costs
 * nothing beside the index itself where a function call in the condition cost every write of a field. A query
 * states the same condition to use the index (number_rows in sstore-select.c). */
#define FIELDS_BY_NUMBER_SQL \
	"CREATE INDEX fields_by_number ON fields(field, CAST(value AS REAL)) WHERE value >= '-' AND value < ':';"

/* The time in epoch ms, in SQL: what the triggers stamp. */
#define SQL_NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

/* What each engine writes its own way: the search index (SQLite's FTS5; on PostgreSQL a table of tsvectors with
 * an inverted index, sstore-summary.c and sstore-filter.c), and the triggers that fill a regional server's queue
 * in the transaction that accepts a change set, enrols or revokes a device (so nothing accepted can be missed,
 * whatever is killed when): SQLite's, and on PostgreSQL one function that does the same for each. */
#define SEARCH_SQLITE "CREATE VIRTUAL TABLE records_fts USING fts5(" SSTORE_FTS ");"
#define SEARCH_PG \
	"CREATE TABLE records_fts(rowid INTEGER PRIMARY KEY, body tsvector NOT NULL);" \
	"CREATE INDEX records_fts_body ON records_fts USING gin(body);"
#define RELAY_TRIGGERS_SQLITE \
	"CREATE TRIGGER relay_changeset AFTER INSERT ON changesets" \
	" WHEN NEW.via = '' AND EXISTS(SELECT 1 FROM meta WHERE key = 'upstream_url') BEGIN" \
	" INSERT INTO relay_queue(kind, ref, queued) VALUES('changeset', NEW.id, " SQL_NOW_MS "); END;" \
	"CREATE TRIGGER relay_enrol AFTER INSERT ON enrolled_devices" \
	" WHEN NEW.upstream = 0 AND NEW.relay = 0 AND EXISTS(SELECT 1 FROM meta WHERE key = 'upstream_url') BEGIN" \
	" INSERT INTO relay_queue(kind, ref, queued) VALUES('enrol', NEW.id, " SQL_NOW_MS "); END;" \
	"CREATE TRIGGER relay_adopt AFTER UPDATE OF upstream ON enrolled_devices" \
	" WHEN OLD.upstream != 0 AND NEW.upstream = 0 AND EXISTS(SELECT 1 FROM meta WHERE key = 'upstream_url') BEGIN" \
	" INSERT INTO relay_queue(kind, ref, queued) VALUES('enrol', NEW.id, " SQL_NOW_MS "); END;" \
	"CREATE TRIGGER relay_revoke AFTER UPDATE OF revoked ON enrolled_devices" \
	" WHEN OLD.revoked = 0 AND NEW.revoked != 0 AND NEW.upstream = 0 AND NEW.relay = 0" \
	" AND EXISTS(SELECT 1 FROM meta WHERE key = 'upstream_url') BEGIN" \
	" INSERT INTO relay_queue(kind, ref, queued) VALUES('revoke', NEW.id, " SQL_NOW_MS "); END;"
/* Each trigger's condition is SQLite's WHEN; the function queues its kind (TG_ARGV[0]) at a regional server. */
#define RELAY_TRIGGERS_PG \
	"CREATE FUNCTION relay_queue_put() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN" \
	" IF EXISTS(SELECT 1 FROM meta WHERE key = 'upstream_url') THEN" \
	"  INSERT INTO relay_queue(kind, ref, queued)" \
	"   VALUES(TG_ARGV[0], NEW.id, CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT));" \
	" END IF; RETURN NULL; END $f$;" \
	"CREATE TRIGGER relay_changeset AFTER INSERT ON changesets FOR EACH ROW WHEN (NEW.via = '')" \
	" EXECUTE FUNCTION relay_queue_put('changeset');" \
	"CREATE TRIGGER relay_enrol AFTER INSERT ON enrolled_devices FOR EACH ROW" \
	" WHEN (NEW.upstream = 0 AND NEW.relay = 0) EXECUTE FUNCTION relay_queue_put('enrol');" \
	"CREATE TRIGGER relay_adopt AFTER UPDATE OF upstream ON enrolled_devices FOR EACH ROW" \
	" WHEN (OLD.upstream <> 0 AND NEW.upstream = 0) EXECUTE FUNCTION relay_queue_put('enrol');" \
	"CREATE TRIGGER relay_revoke AFTER UPDATE OF revoked ON enrolled_devices FOR EACH ROW" \
	" WHEN (OLD.revoked = 0 AND NEW.revoked <> 0 AND NEW.upstream = 0 AND NEW.relay = 0)" \
	" EXECUTE FUNCTION relay_queue_put('revoke');"

#define SCHEMA_V2_REVIEW \
	/* The review summary of each record, kept by sstore-summary.c from the record's fields. */ \
	"ALTER TABLE record_regions ADD COLUMN review TEXT NOT NULL DEFAULT 'pending';" \
	"ALTER TABLE record_regions ADD COLUMN namekey TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE record_regions ADD COLUMN dupkey TEXT NOT NULL DEFAULT '';" \
	/* The device that first sent the record: the one that made it. */ \
	"ALTER TABLE record_regions ADD COLUMN device TEXT NOT NULL DEFAULT '';" \
	/* The record's dimensions and chosen options, and the dashboard's counts of them (sstore-counts.c). */ \
	"ALTER TABLE record_regions ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE record_regions ADD COLUMN form TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE record_regions ADD COLUMN day INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE record_regions ADD COLUMN conflict INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE record_regions ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;" \
	"CREATE INDEX record_regions_form ON record_regions(form, deleted, region, review, day, conflict, counted," \
	" namekey, device);" \
	"CREATE TABLE record_choices(rid INTEGER NOT NULL, field TEXT NOT NULL, choice TEXT NOT NULL," \
	" PRIMARY KEY(rid, field, choice)) WITHOUT ROWID;" \
	"CREATE INDEX record_choices_choice ON record_choices(field, choice);" \
	"CREATE TABLE record_counts(form TEXT NOT NULL, region TEXT NOT NULL, review TEXT NOT NULL," \
	" day INTEGER NOT NULL, conflict INTEGER NOT NULL, deleted INTEGER NOT NULL, n INTEGER NOT NULL," \
	" PRIMARY KEY(form, region, review, day, conflict, deleted)) WITHOUT ROWID;" \
	"CREATE TABLE choice_counts(form TEXT NOT NULL, field TEXT NOT NULL, choice TEXT NOT NULL," \
	" region TEXT NOT NULL, review TEXT NOT NULL, day INTEGER NOT NULL, conflict INTEGER NOT NULL," \
	" deleted INTEGER NOT NULL, n INTEGER NOT NULL," \
	" PRIMARY KEY(form, field, choice, region, review, day, conflict, deleted)) WITHOUT ROWID;" \
	"CREATE INDEX record_regions_dupkey ON record_regions(dupkey) WHERE dupkey != '';" \
	/* Answers in order of their first SSTORE_SORT_PREFIX characters, for sorting the records table by a \
	 * question: long texts sort on that prefix, then on the rest for the few that share it (sstore-select.c), \
	 * and the index does not hold every answer a second time. */ \
	"CREATE INDEX fields_by_field ON fields(field, substr(value, 1, " SSTORE_SORT_PREFIX "));" \
	FIELDS_BY_NUMBER_SQL
#define SCHEMA_V2_REST \
	/* Web sessions: only a hash of the token is kept. */ \
	"CREATE TABLE sessions(token BLOB PRIMARY KEY, \"user\" TEXT NOT NULL, csrf TEXT NOT NULL," \
	" created INTEGER NOT NULL, last_used INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE INDEX sessions_user ON sessions(\"user\");" \
	"CREATE TABLE login_failures(key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last INTEGER NOT NULL)" \
	" WITHOUT ROWID;" \
	"CREATE TABLE audit(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, \"user\" TEXT NOT NULL, ip TEXT NOT NULL," \
	" action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);" \
	/* The reviewer behind each op this server made with its own key (ops.id -> user). */ \
	"CREATE TABLE op_authors(op INTEGER PRIMARY KEY, \"user\" TEXT NOT NULL);" \
	/* Pairs of records a reviewer said are not duplicates (a < b). */ \
	"CREATE TABLE dup_dismissed(a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID;" \
	/* Regional servers enrol at headquarters with relay codes, as relays (docs/relay-design.md). */ \
	"ALTER TABLE codes ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE enrolled_devices ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;" \
	/* A device a regional server vouched for: that relay's id. */ \
	"ALTER TABLE enrolled_devices ADD COLUMN via TEXT NOT NULL DEFAULT '';" \
	/* At a regional server, a device it knows only through headquarters (its change sets came down in the \
	 * pull): it may not sign requests here. At headquarters, the change sets a relay altered on the way. */ \
	/* The repeat a record is an instance of ("": a record of its own): instances are listed with their record. */ \
	"ALTER TABLE record_regions ADD COLUMN rep TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE enrolled_devices ADD COLUMN upstream INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE enrolled_devices ADD COLUMN altered INTEGER NOT NULL DEFAULT 0;" \
	/* How far a device's clock was from ours (its minus ours, ms) when a request was last refused for it, and \
	 * when (sstore_device_clock). */ \
	"ALTER TABLE enrolled_devices ADD COLUMN clock_off INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE enrolled_devices ADD COLUMN clock_off_at INTEGER NOT NULL DEFAULT 0;" \
	/* At headquarters, each change set a relay forwarded altered, once however often it is tried again. */ \
	"CREATE TABLE altered_changesets(relay TEXT NOT NULL, device TEXT NOT NULL, first_seq INTEGER NOT NULL," \
	" last_seq INTEGER NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY(relay, device, first_seq, last_seq))" \
	" WITHOUT ROWID;" \
	/* Each change set's region (its device's, or for the server's own, its records'), the relay that \
	 * forwarded it ("" when it came straight from its device; "upstream" at a regional server for what came \
	 * down from headquarters), and the reviewer behind a server's change set. */ \
	"ALTER TABLE changesets ADD COLUMN region TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE changesets ADD COLUMN via TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE changesets ADD COLUMN author TEXT NOT NULL DEFAULT '';" \
	"UPDATE changesets SET region = coalesce((SELECT e.region FROM enrolled_devices e" \
	" WHERE e.id = changesets.device), '');" \
	"CREATE INDEX changesets_region ON changesets(region, id);" \
	/* A regional server's store and forward queue (sstore-relay.c): what must still go up to headquarters, \
	 * in the order it happened. The triggers fill it in the transaction that accepts a change set, enrols or \
	 * revokes a device, so nothing accepted can be missed, whatever is killed when. */ \
	"CREATE TABLE relay_queue(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL," \
	" queued INTEGER NOT NULL, tries INTEGER NOT NULL DEFAULT 0, next_try INTEGER NOT NULL DEFAULT 0," \
	" error TEXT NOT NULL DEFAULT '');"
/* Layout 2 as it was made on SQLite; on PostgreSQL (schema_now_pg) each engine's parts are its own. */
static const char schema_v2[] = SCHEMA_V2_REVIEW SEARCH_SQLITE SCHEMA_V2_REST RELAY_TRIGGERS_SQLITE;

/* Layout 4 keeps each answer fewer times: the sort index holds a prefix of it, and the search index no copy of
 * the text it indexes (a contentless table, kept by sstore-summary.c), only a hash of each record's document
 * as indexed, to check before taking it out. Both indexes are rebuilt by the reindex. */
#define SCHEMA_V4_COLUMNS "ALTER TABLE record_regions ADD COLUMN fts INTEGER NOT NULL DEFAULT 0;"
static const char schema_v4[] =
	"DROP INDEX IF EXISTS fields_by_field;"
	"CREATE INDEX fields_by_field ON fields(field, substr(value, 1, " SSTORE_SORT_PREFIX "));"
	"DROP TABLE IF EXISTS records_fts;"
	"CREATE VIRTUAL TABLE records_fts USING fts5(" SSTORE_FTS ");"
	SCHEMA_V4_COLUMNS;

/* Layout 6: fields_by_number's condition, as FIELDS_BY_NUMBER_SQL says. */
static const char schema_v6[] = "DROP INDEX IF EXISTS fields_by_number;" FIELDS_BY_NUMBER_SQL;

/* Layout 7: attachments (sstore-media.c): the files ops name, whole or not yet, the regions whose records name
 * them (whose devices may download them), and what each device sent each day (its quota). */
#define SCHEMA_V7 \
	"CREATE TABLE IF NOT EXISTS media(blake2b TEXT PRIMARY KEY, size INTEGER NOT NULL, type TEXT NOT NULL," \
	" whole INTEGER NOT NULL DEFAULT 0, received INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS media_days(device TEXT NOT NULL, day INTEGER NOT NULL, bytes INTEGER NOT NULL," \
	" PRIMARY KEY(device, day)) WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS media_regions(blake2b TEXT NOT NULL, region TEXT NOT NULL," \
	" PRIMARY KEY(blake2b, region)) WITHOUT ROWID;"

/* Layout 10, on PostgreSQL alone: the feed, the order in which ops and change sets are pulled (sstore_pull and
 * the relays' pull). Several processes write there side by side, and ids are handed out as rows are inserted,
 * not as their transactions commit: a pull walking ids would step past one that commits late, for ever. So each
 * row gets a position from the one-row feed at the very end of its transaction (a deferred trigger), whose row
 * lock is held until the commit: positions are given in commit order, and a reader that sees position N sees
 * every position below it (docs/sync-design.md). Rows held before get their id. On SQLite one transaction
 * writes at a time and the feed is the ids themselves. */
#define FEED_PG \
	"ALTER TABLE ops ADD COLUMN pos BIGINT;" \
	"ALTER TABLE changesets ADD COLUMN pos BIGINT;" \
	"CREATE TABLE feed(pos BIGINT NOT NULL);" \
	"INSERT INTO feed(pos) VALUES(0);" \
	FEED_FROM_IDS \
	"CREATE UNIQUE INDEX ops_pos ON ops(pos);" \
	"CREATE INDEX ops_unfed ON ops(id) WHERE pos IS NULL;" \
	"CREATE INDEX changesets_region_pos ON changesets(region, pos);" \
	"CREATE INDEX changesets_unfed ON changesets(id) WHERE pos IS NULL;" \
	/* Once per transaction (its first row's trigger places them all): its unplaced rows, in id order. */ \
	"CREATE FUNCTION sondeo_feed() RETURNS trigger LANGUAGE plpgsql AS $f$" \
	" DECLARE n bigint; m bigint; top bigint; BEGIN" \
	" IF current_setting('sondeo.fed', true) = 'yes' THEN RETURN NULL; END IF;" \
	" PERFORM set_config('sondeo.fed', 'yes', true);" \
	" SELECT count(*) INTO n FROM ops WHERE pos IS NULL;" \
	" SELECT count(*) INTO m FROM changesets WHERE pos IS NULL;" \
	" UPDATE feed SET pos = pos + n + m RETURNING pos INTO top;" \
	" UPDATE ops SET pos = u.p FROM (SELECT id, top - n - m + row_number() OVER (ORDER BY id) AS p FROM ops" \
	"  WHERE pos IS NULL) AS u WHERE ops.id = u.id;" \
	" UPDATE changesets SET pos = u.p FROM (SELECT id, top - m + row_number() OVER (ORDER BY id) AS p" \
	"  FROM changesets WHERE pos IS NULL) AS u WHERE changesets.id = u.id;" \
	" RETURN NULL; END $f$;" \
	"CREATE CONSTRAINT TRIGGER ops_feed AFTER INSERT ON ops DEFERRABLE INITIALLY DEFERRED FOR EACH ROW" \
	" EXECUTE FUNCTION sondeo_feed();" \
	"CREATE CONSTRAINT TRIGGER changesets_feed AFTER INSERT ON changesets DEFERRABLE INITIALLY DEFERRED" \
	" FOR EACH ROW EXECUTE FUNCTION sondeo_feed();"

static const char *const schema_now[] = { schema, schema_v2, SCHEMA_V4_COLUMNS, SCHEMA_V7, NULL };
/* The same layout on PostgreSQL, made whole when a store is created there (layout 9 was its first). */
static const char *const schema_now_pg[] = {
	schema, SCHEMA_V2_REVIEW SEARCH_PG SCHEMA_V2_REST RELAY_TRIGGERS_PG, SCHEMA_V4_COLUMNS, SCHEMA_V7, FEED_PG, NULL
};

/* The records already held get their review summary and search index from sstore_review_reindex. */
static int mark_reindex(struct db *db, char *err, size_t errlen)
{
	return db_exec(db, "INSERT INTO meta(key, value) VALUES('reindex', '1')"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value", err, errlen);
}

/* Layout 2 adds the review page's tables; layout 3 rebuilds every summary, whose duplicate keys and charted
 * answers now come from each form's title fields (form_title_fields) instead of question names known here;
 * layout 4 is schema_v4; layout 5 keeps a field's single head as fields.op alone (merge.h); layout 6 is
 * schema_v6; layout 7 is SCHEMA_V7; layout 8 adds the analysts' views of every form (sstore-views.c); layout 9
 * counts the days date questions name (sstore-summary.c), by rebuilding every summary; layout 10 is FEED_PG, on
 * PostgreSQL alone, and the views made again (numbers typed there). */
static const struct dbstore_step steps[] = {
	{ 1, schema_v2, mark_reindex, NULL },
	{ 2, NULL, mark_reindex, NULL },
	{ 3, schema_v4, mark_reindex, NULL },
	{ 4, NULL, merge_upgrade_heads, NULL },
	{ 5, schema_v6, NULL, NULL },
	{ 6, SCHEMA_V7, NULL, NULL },
	{ 7, NULL, sstore_views_make_all, NULL },
	{ 8, NULL, mark_reindex, NULL },
	{ 9, NULL, sstore_views_make_all, FEED_PG },
};

const struct dbstore_spec sstore_spec = {
	.kind = DBSTORE_SERVER, .layout = SSTORE_SCHEMA, .oldest = 1, .oldest_pg = 9, .tables = merge_schema,
	.schema = schema_now, .schema_pg = schema_now_pg,
	.steps = steps, .nsteps = sizeof(steps) / sizeof(steps[0]),
};

#define DEVICE_COLUMNS \
	"id, pk, name, region, enrolled, last_seen, revoked, next_seq, equivocations, relay, via, upstream, altered," \
	" clock_off, clock_off_at"

enum {
	S_CODE_HAS, S_CODE_PUT, S_CODE_GET, S_CODE_USE, S_DEV_GET, S_DEV_PUT, S_DEV_LIST,
	S_DEV_REVOKE, S_FORM_LIST, S_USER_PUT, S_NONCE_PUT, S_NONCE_PURGE, S_NONCE_HAS, S_SEEN, S_CLOCK_OFF, S_STATS,
	S_DEV_VOUCH, S_NEXT_SEQ, S_SET_NEXT, S_CS_PUT, S_EQUIVOCATED, S_REGION_PUT, S_PULL, S_MAX_OP, S_AUTHORS,
	S_DEV_ADOPT, S_RECORD_REGION, S_SILENT, S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_CODE_HAS] = "SELECT 1 FROM codes WHERE code_id = ?1",
	[S_CODE_PUT] = "INSERT INTO codes(code_id, mac_key, region, uses_left, expires, created, relay)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_CODE_GET] = "SELECT mac_key, region, uses_left, expires, relay FROM codes WHERE code_id = ?1",
	[S_CODE_USE] = "UPDATE codes SET uses_left = uses_left - 1 WHERE code_id = ?1 AND uses_left > 0",
	[S_DEV_GET] = "SELECT " DEVICE_COLUMNS " FROM enrolled_devices WHERE id = ?1",
	[S_DEV_PUT] = "INSERT INTO enrolled_devices(id, pk, name, region, enrolled, relay) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_DEV_VOUCH] = "INSERT INTO enrolled_devices(id, pk, name, region, enrolled, via) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	/* rowid is the order of enrolment even when the clock went back between two. */
	[S_DEV_LIST] = "SELECT " DEVICE_COLUMNS " FROM enrolled_devices ORDER BY rowid",
	[S_DEV_REVOKE] = "UPDATE enrolled_devices SET revoked = ?2 WHERE id = ?1 AND revoked = 0",
	/* A form's newest version is the one published last (rowid, not the clock). */
	[S_FORM_LIST] = "SELECT f.id, f.version, f.json FROM forms f WHERE f.rowid ="
			" (SELECT g.rowid FROM forms g WHERE g.id = f.id ORDER BY g.rowid DESC LIMIT 1)"
			" ORDER BY f.id",
	/* A nonce is new if this insert adds a row; old ones are purged well after requests stop being valid. */
	[S_NONCE_PUT] = "INSERT INTO nonces(device, nonce, seen) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING",
	[S_NONCE_PURGE] = "DELETE FROM nonces WHERE seen < ?1",
	[S_NONCE_HAS] = "SELECT 1 FROM nonces WHERE device = ?1 AND nonce = ?2 AND seen >= ?3",
	[S_SEEN] = "UPDATE enrolled_devices SET last_seen = max(last_seen, ?2) WHERE id = ?1",
	[S_CLOCK_OFF] = "UPDATE enrolled_devices SET clock_off = ?2, clock_off_at = ?3 WHERE id = ?1",
	[S_STATS] = "SELECT (SELECT count(*) FROM ops), (SELECT count(*) FROM records WHERE conflicts > 0 AND deleted = 0),"
		    " (SELECT count(*) FROM enrolled_devices WHERE revoked = 0),"
		    " (SELECT count(*) FROM enrolled_devices WHERE revoked != 0),"
		    " (SELECT count(*) FROM media WHERE whole <> 0), (SELECT coalesce(sum(size), 0) FROM media WHERE whole <> 0),"
		    " (SELECT count(*) FROM media WHERE whole = 0)",
	/* The devices that sync here, by when they last did (or enrolled): one pass over the enrolled devices. */
	[S_SILENT] = "SELECT coalesce(sum(seen < ?1), 0), coalesce(sum(seen < ?2), 0), coalesce(sum(seen < ?3), 0),"
		     " coalesce(sum(seen < ?4), 0) FROM (SELECT max(last_seen, enrolled) AS seen FROM enrolled_devices"
		     " WHERE revoked = 0 AND relay = 0 AND upstream = 0 AND via = '') AS d",
	[S_NEXT_SEQ] = "SELECT next_seq FROM enrolled_devices WHERE id = ?1",
	[S_SET_NEXT] = "UPDATE enrolled_devices SET next_seq = max(next_seq, ?2) WHERE id = ?1",
	[S_CS_PUT] = "INSERT INTO changesets(device, first_seq, last_seq, received, bytes, region, via, author)"
		     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_AUTHORS] = "INSERT INTO op_authors(op, \"user\") SELECT o.id, ?4 FROM ops o JOIN devices d"
		      " ON d.did = o.did WHERE d.id = ?1 AND o.seq BETWEEN ?2 AND ?3"
		      " ON CONFLICT(op) DO UPDATE SET \"user\" = excluded.\"user\"",
	/* A device known here only through headquarters enrols here: it becomes this server's own. */
	[S_DEV_ADOPT] = "UPDATE enrolled_devices SET upstream = 0, name = ?2, region = ?3, enrolled = ?4"
			" WHERE id = ?1 AND upstream != 0",
	[S_RECORD_REGION] = "SELECT rr.region FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE r.id = ?1",
	[S_REGION_PUT] = "INSERT INTO record_regions(rid, region, device) SELECT rid, ?2, ?3 FROM records"
			 " WHERE id = ?1 ON CONFLICT DO NOTHING",
	/* The ops after the cursor, walked in id order within a window of ids and filtered by region there: a
	 * page costs the same whatever the cursor, where sorting the region's ops after it cost more the further
	 * back it was (a new device's first sync was quadratic). CROSS JOIN keeps ops the outer loop. The base
	 * comes as "DEVICE SEQ DEVICE SEQ ..." (device ids are hex, seqs digits). */
	[S_PULL] = "SELECT o.id, d.id, o.seq, o.hlc, r.id, r.form, o.form_version, o.field, " MERGE_OP_VALUE("o") ","
		   " (SELECT group_concat(bd.id || ' ' || b.seq, ' ') FROM op_base b JOIN devices bd ON bd.did = b.did"
		   "  WHERE b.op = o.id), oa.\"user\""
		   " FROM ops o CROSS JOIN record_regions rr ON rr.rid = o.rid CROSS JOIN records r ON r.rid = o.rid"
		   " CROSS JOIN devices d ON d.did = o.did LEFT JOIN op_authors oa ON oa.op = o.id"
		   " WHERE o.id > ?1 AND o.id <= ?2 AND rr.region = ?3 AND d.id != ?4 ORDER BY o.id LIMIT ?5",
	[S_MAX_OP] = "SELECT coalesce(max(id), 0) FROM ops",
	[S_EQUIVOCATED] = "UPDATE enrolled_devices SET equivocations = equivocations + 1 WHERE id = ?1",
	[S_USER_PUT] = "INSERT INTO users(name, role, pwhash, must_change, disabled, created)"
		       " VALUES(?1, ?2, ?3, 1, 0, ?4)",
};

/* On PostgreSQL, where several processes write side by side (docs/sync-design.md, "Several writers"): a device's
 * next seq and a code's uses are read under their row's lock, held until the transaction ends, so that two
 * uploads of one device or two enrolments with one code take turns; the pull walks the feed (FEED_PG). */
static const char *const sql_pg[S_COUNT] = {
	[S_NEXT_SEQ] = "SELECT next_seq FROM enrolled_devices WHERE id = ?1 FOR UPDATE",
	[S_CODE_GET] = "SELECT mac_key, region, uses_left, expires, relay FROM codes WHERE code_id = ?1 FOR UPDATE",
	[S_PULL] = "SELECT o.pos, d.id, o.seq, o.hlc, r.id, r.form, o.form_version, o.field, " MERGE_OP_VALUE("o") ","
		   " (SELECT group_concat(bd.id || ' ' || b.seq, ' ') FROM op_base b JOIN devices bd ON bd.did = b.did"
		   "  WHERE b.op = o.id), oa.\"user\""
		   " FROM ops o JOIN record_regions rr ON rr.rid = o.rid JOIN records r ON r.rid = o.rid"
		   " JOIN devices d ON d.did = o.did LEFT JOIN op_authors oa ON oa.op = o.id"
		   " WHERE o.pos > ?1 AND o.pos <= ?2 AND rr.region = ?3 AND d.id != ?4 ORDER BY o.pos LIMIT ?5",
	[S_MAX_OP] = "SELECT pos FROM feed",
};

_Static_assert(S_COUNT <= SSTORE_CORE_STMTS, "raise SSTORE_CORE_STMTS in sstore-int.h");

/* dir/file into out; -1 with err if it does not fit. */
static int path_in(char *out, size_t n, const char *dir, const char *file, char *err, size_t errlen)
{
	int w = snprintf(out, n, "%s/%s", dir, file);

	if (w < 0 || (size_t)w >= n)
		return errf(err, errlen, _("the data directory path '%s' is too long"), dir);
	return 0;
}

/* 1 if dir has no entries, 0 if it has, -1 with errno if it cannot be read. */
static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

int sstore_region_check(const char *r, char *err, size_t errlen)
{
	size_t n = strlen(r);

	if (n == 0 || n > SSTORE_MAX_NAME ||
	    strspn(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		return errf(err, errlen, _("region '%s' is not valid: 1 to %d letters, digits, '_', '.' or '-'"), r,
			    SSTORE_MAX_NAME);
	return 0;
}

/* A device names itself: any UTF-8 up to SSTORE_MAX_NAME bytes, but no control characters, which would reach
 * an admin's terminal through `sondeod devices`. */
static int valid_device_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n > SSTORE_MAX_NAME || !utf8_valid(s, n, NULL))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void draw(char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform((uint32_t)ALPHABET_LEN)];
	out[n] = '\0';
}

int sstore_meta_set(struct sstore *s, const char *key, const char *value, char *err, size_t errlen)
{
	return dbstore_meta_set(s->base, key, value, err, errlen);
}

int sstore_meta_get(struct sstore *s, const char *key, char *out, size_t n)
{
	return dbstore_meta_get(s->base, key, out, n);
}

/* Creates or opens the database (dbstore.h: kind, layout, upgrades) and prepares every statement; no keys. */
static struct sstore *open_db(const char *dir, int create, char *err, size_t errlen)
{
	struct sstore *s = calloc(1, sizeof(*s));

	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		errf(err, errlen, _("out of memory"));
		return NULL;
	}
	s->base = create ? dbstore_create(&sstore_spec, dir, err, errlen) : dbstore_open(&sstore_spec, dir, err, errlen);
	if (!s->base)
		goto fail;
	s->db = dbstore_db(s->base);
	/* The server opens one connection per worker thread: a smaller page cache each than a device's one. */
	if (!db_is_pg(s->db) && db_exec(s->db, "PRAGMA cache_size=-" SSTORE_CACHE_KIB, err, errlen) < 0)
		goto fail;
	if (db_prepare_all(s->db, sql, sql_pg, s->st, S_COUNT, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_users_sql, NULL, s->ust, SSTORE_USERS_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_counts_sql, NULL, s->cst, SSTORE_COUNTS_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_own_sql, NULL, s->ost, SSTORE_OWN_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_relay_sql, sstore_relay_sql_pg, s->lst, SSTORE_RELAY_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_summary_sql, sstore_summary_sql_pg, s->summary_st, SSTORE_SUMMARY_STMTS, err,
			   errlen) < 0 ||
	    db_prepare_all(s->db, sstore_filter_sql, sstore_filter_sql_pg, s->filter_st, SSTORE_FILTER_STMTS, err,
			   errlen) < 0 ||
	    db_prepare_all(s->db, sstore_select_sql, NULL, s->select_st, SSTORE_SELECT_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_record_sql, NULL, s->record_st, SSTORE_RECORD_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_dups_sql, NULL, s->dups_st, SSTORE_DUPS_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_catalog_sql, NULL, s->catalog_st, SSTORE_CATALOG_STMTS, err, errlen) < 0 ||
	    db_prepare_all(s->db, sstore_media_sql, NULL, s->media_st, SSTORE_MEDIA_STMTS, err, errlen) < 0)
		goto fail;
	if (!(s->merge = merge_open(s->db, err, errlen)) || (create && db_check(s->db, err, errlen) < 0))
		goto fail;
	return s;
fail:
	sstore_close(s);
	return NULL;
}

int sstore_check(struct sstore *s, char *err, size_t errlen)
{
	return db_check(s->db, err, errlen);
}

void sstore_close(struct sstore *s)
{

	if (!s)
		return;
	merge_free(s->merge);
	db_finalize_all(s->st, S_COUNT);
	db_finalize_all(s->ust, SSTORE_USERS_STMTS);
	db_finalize_all(s->cst, SSTORE_COUNTS_STMTS);
	db_finalize_all(s->ost, SSTORE_OWN_STMTS);
	db_finalize_all(s->lst, SSTORE_RELAY_STMTS);
	db_finalize_all(s->summary_st, SSTORE_SUMMARY_STMTS);
	db_finalize_all(s->filter_st, SSTORE_FILTER_STMTS);
	db_finalize_all(s->select_st, SSTORE_SELECT_STMTS);
	db_finalize_all(s->record_st, SSTORE_RECORD_STMTS);
	db_finalize_all(s->dups_st, SSTORE_DUPS_STMTS);
	db_finalize_all(s->catalog_st, SSTORE_CATALOG_STMTS);
	db_finalize_all(s->media_st, SSTORE_MEDIA_STMTS);
	form_free(s->kind);
	dbstore_close(s->base);
	keys_free(s->keys);
	free(s->dir);
	free(s);
}

const struct keys *sstore_keys(const struct sstore *s)
{
	return s->keys;
}

/* Stores a form definition inside the caller's transaction (dbstore_form_put), and makes its views again: they
 * follow the newest version of each form. */
static int form_put(struct sstore *s, const char *json, size_t len, char *err, size_t errlen)
{
	if (dbstore_form_put(s->base, json, len, NULL, err, errlen) < 0)
		return -1;
	return sstore_views_make_all(s->db, err, errlen);
}

/* Removes what a failed sstore_init made, and only that. */
static void undo_init(const char *dir, int made_dir, int old_mode)
{
	static const char *const db_files[] = { "", "-wal", "-shm", "-journal" };
	static const char *const files[] = { SECRET_FILE, PUBLIC_FILE, "store.conf" };
	char path[PATH_MAX], file[64];
	size_t i;

	for (i = 0; i < sizeof(db_files) / sizeof(db_files[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", dbstore_file(DBSTORE_SERVER), db_files[i]);
		if (path_in(path, sizeof(path), dir, file, NULL, 0) == 0)
			unlink(path);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (path_in(path, sizeof(path), dir, files[i], NULL, 0) == 0)
			unlink(path);
	if (made_dir)
		rmdir(dir);
	else if (old_mode >= 0)
		chmod(dir, (mode_t)old_mode);
}

int sstore_init(const char *dir, const char *store, char *password, size_t passlen, char *err, size_t errlen)
{
	char db_path[PATH_MAX], sk[PATH_MAX], pk[PATH_MAX];
	char hash[crypto_pwhash_STRBYTES];
	struct sstore *s = NULL;
	struct stat st;
	mode_t old_mask;
	int made_dir = 0, old_mode = -1, keys_made = 0;

	if (passlen < 24)
		return errf(err, errlen, _("internal error: password buffer of %zu bytes (needs 24)"), passlen);
	password[0] = '\0';
	if (!*dir)
		return errf(err, errlen, _("the data directory name is empty"));
	if (path_in(db_path, sizeof(db_path), dir, dbstore_file(DBSTORE_SERVER), err, errlen) < 0 ||
	    path_in(sk, sizeof(sk), dir, SECRET_FILE, err, errlen) < 0 ||
	    path_in(pk, sizeof(pk), dir, PUBLIC_FILE, err, errlen) < 0)
		return -1;
	if (stat(dir, &st) == 0) {
		int e;

		if (!S_ISDIR(st.st_mode))
			return errf(err, errlen, _("'%s' exists and is not a directory; nothing was changed"), dir);
		if (access(db_path, F_OK) == 0 || access(sk, F_OK) == 0)
			return errf(err, errlen, _("sondeod data already exists in '%s'; nothing was changed"), dir);
		if ((e = dir_empty(dir)) < 0)
			return errf(err, errlen, _("cannot read directory '%s': %s"), dir, strerror(errno));
		if (!e)
			return errf(err, errlen, _("'%s' is not empty; give a new or empty directory (nothing was"
				    " changed)"), dir);
		/* The data directory holds the server's secret key and every survey answer: private to its user. */
		old_mode = (int)(st.st_mode & 07777);
		if (chmod(dir, 0700) < 0)
			return errf(err, errlen, _("cannot make '%s' private (mode 0700): %s"), dir, strerror(errno));
	} else if (errno != ENOENT) {
		return errf(err, errlen, _("cannot use '%s': %s"), dir, strerror(errno));
	} else {
		if (dbstore_make_dir(dir, err, errlen) < 0)
			return -1;
		made_dir = 1;
	}

	/* The password is made and hashed before the transaction, which then stays short. */
	draw(password, PASSWORD_LEN);
	if (sstore_password_hash(password, PASSWORD_LEN, hash, err, errlen) < 0)
		goto undo;
	/* umask is the process's: init runs from the command line, before any thread exists. */
	old_mask = umask(077);
	if (keys_generate(sk, pk, err, errlen) == 0) {
		keys_made = 1;
		if (!store || dbstore_conf_write(dir, store, err, errlen) == 0)
			s = open_db(dir, 1, err, errlen);
	}
	umask(old_mask);
	if (!s)
		goto undo;
	if (db_begin(s->db, err, errlen) < 0)
		goto undo;
	db_bind_text(s->st[S_USER_PUT], 1, ADMIN_USER);
	db_bind_text(s->st[S_USER_PUT], 2, "admin");
	db_bind_text(s->st[S_USER_PUT], 3, hash);
	db_bind_int(s->st[S_USER_PUT], 4, (int64_t)now_ms());
	if (db_step_done(s->st[S_USER_PUT], err, errlen) < 0 ||
	    form_put(s, (const char *)form_partnership_json, form_partnership_json_len, err, errlen) < 0 ||
	    db_commit(s->db, err, errlen) < 0)
		goto rollback;
	sstore_close(s);
	return 0;
rollback:
	db_rollback(s->db);
undo:
	sstore_close(s);
	sodium_memzero(password, passlen);
	/* keys_generate refuses existing files: if it failed, whatever is there is someone else's. */
	if (keys_made)
		undo_init(dir, made_dir, old_mode);
	else if (made_dir)
		rmdir(dir);
	else
		chmod(dir, (mode_t)old_mode);
	return -1;
}

struct sstore *sstore_open(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct sstore *s;

	if (!(s = open_db(dir, 0, err, errlen)))
		return NULL;
	if (path_in(path, sizeof(path), dir, SECRET_FILE, err, errlen) < 0 ||
	    !(s->keys = keys_load(path, err, errlen)) || sstore_review_reindex(s, err, errlen) < 0) {
		sstore_close(s);
		return NULL;
	}
	return s;
}

/* A code for devices, or (relay) for a regional server. */
static int code_new(struct sstore *s, const char *region, unsigned uses, uint64_t expires_ms, int relay, char *code,
		    size_t codelen, char *err, size_t errlen)
{
	char raw[CODE_LEN + 1], id[CODE_ID_LEN + 1];
	unsigned char key[MAC_KEY_BYTES];
	struct db_stmt *st;
	int tries, rc, r = -1;

	if (sstore_region_check(region, err, errlen) < 0)
		return -1;
	if (uses == 0)
		return errf(err, errlen, _("an enrolment code needs at least one use"));
	if (expires_ms > INT64_MAX)
		return errf(err, errlen, _("expiry time out of range"));
	if (codelen < CODE_SHOWN_LEN + 1)
		return errf(err, errlen, _("internal error: code buffer of %zu bytes (needs %d)"), codelen,
			    CODE_SHOWN_LEN + 1);
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	/* Under the write lock, so that two admins never make codes with the same id. */
	st = s->st[S_CODE_HAS];
	for (tries = 0;; tries++) {
		if (tries == CODE_DRAWS) {
			errf(err, errlen, _("no free enrolment code id found after %d draws"), CODE_DRAWS);
			goto out;
		}
		auth_code_new(raw);
		auth_code_id(raw, id);
		db_bind_text(st, 1, id);
		rc = db_step(st);
		db_reset(st);
		if (rc == DB_DONE)
			break;
		if (rc != DB_ROW) {
			db_error(s->db, rc, err, errlen);
			goto out;
		}
	}
	auth_code_key(raw, key);
	st = s->st[S_CODE_PUT];
	db_bind_text(st, 1, id);
	db_bind_blob(st, 2, key, sizeof(key));
	db_bind_text(st, 3, region);
	db_bind_int(st, 4, (int64_t)uses);
	db_bind_int(st, 5, (int64_t)expires_ms);
	db_bind_int(st, 6, (int64_t)now_ms());
	db_bind_int(st, 7, relay);
	rc = db_step_done(st, err, errlen);
	/* The statement must not keep a pointer to the key past this call. */
	db_clear(st);
	if (rc < 0 || db_commit(s->db, err, errlen) < 0)
		goto out;
	auth_code_format(raw, code);
	r = 0;
out:
	if (r < 0)
		db_rollback(s->db);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(key, sizeof(key));
	return r;
}

int sstore_code_new(struct sstore *s, const char *region, unsigned uses, uint64_t expires_ms, char *code,
		    size_t codelen, char *err, size_t errlen)
{
	return code_new(s, region, uses, expires_ms, 0, code, codelen, err, errlen);
}

int sstore_relay_code_new(struct sstore *s, const char *region, uint64_t expires_ms, char *code, size_t codelen,
			  char *err, size_t errlen)
{
	return code_new(s, region, 1, expires_ms, 1, code, codelen, err, errlen);
}

static void device_from_row(struct db_stmt *st, struct sstore_device *d)
{
	const void *pk = db_blob(st, 1);
	uint64_t next;

	memset(d, 0, sizeof(*d));
	strlcpy_s(d->id, db_text(st, 0), sizeof(d->id));
	if (pk && db_bytes(st, 1) == KEYS_PK_BYTES)
		memcpy(d->pk, pk, KEYS_PK_BYTES);
	strlcpy_s(d->name, db_text(st, 2), sizeof(d->name));
	strlcpy_s(d->region, db_text(st, 3), sizeof(d->region));
	d->enrolled_ms = (uint64_t)db_int(st, 4);
	d->last_seen_ms = (uint64_t)db_int(st, 5);
	d->revoked_ms = (uint64_t)db_int(st, 6);
	next = (uint64_t)db_int(st, 7);
	d->next_seq = next;
	/* A device's change sets are accepted only without gaps from seq 1, so it has sent exactly next_seq - 1
	 * ops: no count over millions of op rows needed. */
	d->ops = next > 0 ? next - 1 : 0;
	d->equivocations = (uint64_t)db_int(st, 8);
	d->relay = db_int(st, 9);
	strlcpy_s(d->via, db_text(st, 10), sizeof(d->via));
	d->upstream = db_int(st, 11);
	d->altered = (uint64_t)db_int(st, 12);
	d->clock_off_ms = db_int(st, 13);
	d->clock_off_at_ms = (uint64_t)db_int(st, 14);
}

/* 1 and d filled if the device is enrolled, 0 if not, -1 with err. */
static int device_get(struct sstore *s, const char *id, struct sstore_device *d, char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_DEV_GET];
	int rc;

	db_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		device_from_row(st, d);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

/* The id of an enrolment code (its first CODE_ID_LEN characters) normalized as the device normalizes the whole
 * code: upper case, and only the code's symbols. 0, or -1 if code_id is not one. */
static int code_id_normalize(const char *code_id, char id[CODE_ID_LEN + 1])
{
	size_t i;

	for (i = 0; code_id[i] && i < CODE_ID_LEN; i++) {
		char c = code_id[i];

		id[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		if (!strchr(AUTH_CODE_ALPHABET, id[i]))
			break;
	}
	id[i] = '\0';
	return i != CODE_ID_LEN || code_id[i] ? -1 : 0;
}

/* What the store holds of an enrolment code. */
struct code_row {
	unsigned char key[MAC_KEY_BYTES];   /* wiped by the caller */
	char region[SSTORE_MAX_NAME + 1];
	int64_t uses, expires;
	int relay;
};

/* Reads code id into c: 1 found, 0 unknown, -1 with err. */
static int code_get(struct sstore *s, const char *id, struct code_row *c, char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_CODE_GET];
	int rc;

	db_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		if (db_bytes(st, 0) == MAC_KEY_BYTES)
			memcpy(c->key, db_blob(st, 0), MAC_KEY_BYTES);
		else
			rc = DB_CORRUPT;
		strlcpy_s(c->region, db_text(st, 1), sizeof(c->region));
		c->uses = db_int(st, 2);
		c->expires = db_int(st, 3);
		c->relay = db_int(st, 4);
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return db_error(s->db, rc, err, errlen);
	return 1;
}

/* Stores device dev (pk, name) in region, as a relay or not, or with adopt makes the upstream device dev one of
 * ours; then uses code id once. Inside the caller's transaction. */
static int device_put(struct sstore *s, const char *dev, const unsigned char pk[KEYS_PK_BYTES], const char *name,
		      const char *region, int relay, int adopt, const char *id, char *err, size_t errlen)
{
	struct db_stmt *st;
	int r = -1;

	if (adopt) {
		st = s->st[S_DEV_ADOPT];
		db_bind_text(st, 1, dev);
		db_bind_text(st, 2, name);
		db_bind_text(st, 3, region);
		db_bind_int(st, 4, (int64_t)now_ms());
	} else {
		st = s->st[S_DEV_PUT];
		db_bind_text(st, 1, dev);
		db_bind_blob(st, 2, pk, KEYS_PK_BYTES);
		db_bind_text(st, 3, name);
		db_bind_text(st, 4, region);
		db_bind_int(st, 5, (int64_t)now_ms());
		db_bind_int(st, 6, relay);
	}
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	db_bind_text(s->st[S_CODE_USE], 1, id);
	if (db_step_done(s->st[S_CODE_USE], err, errlen) < 0)
		goto out;
	if (db_changes(s->db) != 1) {
		errf(err, errlen, _("unknown or used enrolment code"));
		goto out;
	}
	r = 0;
out:
	db_clear(s->st[S_DEV_PUT]);
	db_clear(s->st[S_DEV_ADOPT]);
	return r;
}

/* Enrols a device, or (relay) a regional server, with a code of the same kind. */
/* What an enrolment with a code unknown here or a MAC that does not match its code is told: the same words. */
/* The refusal that does not tell a wrong code from a wrong MAC. */
static int enrol_refused(char *err, size_t errlen)
{
	return errf(err, errlen, _("unknown or used enrolment code, or a MAC that does not match it"));
}

static int enrol(struct sstore *s, const char *code_id, int (*check)(void *ctx, const unsigned char key[32]),
		 void *ctx, const unsigned char pk[KEYS_PK_BYTES], const char *name, int relay, struct sstore_device *d,
		 char *err, size_t errlen)
{
	char id[CODE_ID_LEN + 1], dev[KEYS_ID_STRLEN + 1];
	const char *names[1];
	struct code_row code;
	int rc, known, adopt = 0, r = -1;

	memset(&code, 0, sizeof(code));
	if (code_id_normalize(code_id, id) < 0)
		return enrol_refused(err, errlen);
	if (!valid_device_name(name))
		return errf(err, errlen, _("the device name is not valid: at most %d bytes of UTF-8 text without"
			    " control characters"), SSTORE_MAX_NAME);
	if (crypto_core_ed25519_is_valid_point(pk) != 1)
		return errf(err, errlen, _("the device's public key is not a valid Ed25519 key"));
	keys_id(pk, dev);
	/* On PostgreSQL a retry through another process waits for this one's answer (db_lock), and the code's row is
	 * read under its lock (sql_pg): two devices cannot take a code's last use. */
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	names[0] = dev;
	if (db_lock(s->db, names, 1, err, errlen) < 0 || (rc = code_get(s, id, &code, err, errlen)) < 0)
		goto out;
	/* The MAC first: without the code nobody learns whether it is used up, expired, or who enrolled. An
	 * unknown code is checked against a random key, so that it takes the same work and gets the same words as
	 * a bad MAC: the answer does not tell which code ids exist. */
	if (rc == 0)
		randombytes_buf(code.key, sizeof(code.key));
	if (check(ctx, code.key) != 0 || rc == 0) {
		enrol_refused(err, errlen);
		goto out;
	}
	/* A code says who it is for: a laptop cannot become a relay, nor a regional server a laptop. */
	if (code.relay != relay) {
		if (code.relay)
			errf(err, errlen, _("this code enrols a regional server (sondeod enrol), not a device"));
		else
			errf(err, errlen, _("this code enrols devices, not a regional server: make one with sondeod"
					    " enrol-code --relay"));
		goto out;
	}
	if ((known = device_get(s, dev, d, err, errlen)) < 0)
		goto out;
	if (known) {
		/* The same key again: a retry after a lost answer (the same device, the code not used again, even if it
		 * has no use left now), or a device known here only from headquarters' pull that enrols here (the
		 * code makes it one of ours). A revoked key stays revoked: a new code must not bring it back. */
		if (sodium_memcmp(d->pk, pk, KEYS_PK_BYTES) != 0) {
			errf(err, errlen, _("device id %s is taken by another key"), dev);
			goto out;
		}
		if (d->revoked_ms) {
			errf(err, errlen, _("device %s has been revoked; it cannot enrol again with the same key"), dev);
			goto out;
		}
		adopt = d->upstream && !relay;
	}
	if (known && !adopt) {
		db_rollback(s->db);
		r = 0;
		goto out;
	}
	if (code.expires && (uint64_t)code.expires <= now_ms()) {
		errf(err, errlen, _("enrolment code expired"));
		goto out;
	}
	if (code.uses <= 0) {
		errf(err, errlen, _("unknown or used enrolment code"));
		goto out;
	}
	if (device_put(s, dev, pk, name, code.region, relay, adopt, id, err, errlen) < 0)
		goto out;
	/* d is read back from the row, so it is what every later call will see. */
	if ((known = device_get(s, dev, d, err, errlen)) <= 0) {
		if (known == 0)
			errf(err, errlen, _("device %s vanished while being enrolled"), dev);
		goto out;
	}
	if (db_commit(s->db, err, errlen) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		db_rollback(s->db);
	sodium_memzero(&code, sizeof(code));
	return r;
}

int sstore_enrol(struct sstore *s, const char *code_id, int (*check)(void *ctx, const unsigned char key[32]),
		 void *ctx, const unsigned char pk[KEYS_PK_BYTES], const char *name, struct sstore_device *d,
		 char *err, size_t errlen)
{
	return enrol(s, code_id, check, ctx, pk, name, 0, d, err, errlen);
}

int sstore_relay_enrol(struct sstore *s, const char *code_id, int (*check)(void *ctx, const unsigned char key[32]),
		       void *ctx, const unsigned char pk[KEYS_PK_BYTES], const char *name, struct sstore_device *d,
		       char *err, size_t errlen)
{
	return enrol(s, code_id, check, ctx, pk, name, 1, d, err, errlen);
}

int sstore_vouch(struct sstore *s, const struct sstore_device *relay, enum auth_vouch action,
		 const unsigned char pk[KEYS_PK_BYTES], const char *name, const char *region, struct sstore_device *d,
		 char *err, size_t errlen)
{
	char dev[KEYS_ID_STRLEN + 1];
	struct db_stmt *st;
	json_t *detail;
	int known, r = -1;

	if (!relay->relay || relay->revoked_ms)
		errf(err, errlen, _("%s is not a regional server enrolled here"), relay->id);
	else if (strcmp(region, relay->region))
		errf(err, errlen, _("regional server %s serves region %s, not %s"), relay->id, relay->region, region);
	else if (!valid_device_name(name))
		errf(err, errlen, _("the device name is not valid"));
	else if (crypto_core_ed25519_is_valid_point(pk) != 1)
		errf(err, errlen, _("the device's public key is not a valid Ed25519 key"));
	else
		r = 0;
	if (r < 0)
		return 1;
	r = -1;
	keys_id(pk, dev);
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	if ((known = device_get(s, dev, d, err, errlen)) < 0)
		goto out;
	if (known && sodium_memcmp(d->pk, pk, KEYS_PK_BYTES) != 0) {
		r = 1;
		errf(err, errlen, _("device id %s is taken by another key"), dev);
		goto out;
	}
	if (action == AUTH_VOUCH_REVOKE) {
		/* A relay speaks only for the devices it vouched for. */
		if (!known || strcmp(d->via, relay->id)) {
			r = 1;
			errf(err, errlen, _("device %s was not vouched for by regional server %s"), dev, relay->id);
			goto out;
		}
		st = s->st[S_DEV_REVOKE];
		db_bind_text(st, 1, dev);
		db_bind_int(st, 2, (int64_t)now_ms());
		if (db_step_done(st, err, errlen) < 0)
			goto out;
	} else if (!known) {
		st = s->st[S_DEV_VOUCH];
		db_bind_text(st, 1, dev);
		db_bind_blob(st, 2, pk, KEYS_PK_BYTES);
		db_bind_text(st, 3, name);
		db_bind_text(st, 4, region);
		db_bind_int(st, 5, (int64_t)now_ms());
		db_bind_text(st, 6, relay->id);
		r = db_step_done(st, err, errlen);
		db_clear(st);
		if (r < 0)
			goto out;
		r = -1;
	}
	/* A device enrolled already (directly, or vouched for before) keeps its row: vouching again changes
	 * nothing, and a revoked key stays revoked. */
	/* by: the regional server (its id and name); again: the key was known here already. */
	detail = action == AUTH_VOUCH_REVOKE ? json_pack("{s:s, s:s}", "by", relay->id, "name", relay->name) :
		 json_pack("{s:s, s:s, s:b}", "by", relay->id, "name", relay->name, "again", known);
	if (sstore_audit_json(s, SSTORE_RELAY_USER, "", action == AUTH_VOUCH_REVOKE ? "revoke" : "vouch", dev, detail,
			      err, errlen) < 0 || (known = device_get(s, dev, d, err, errlen)) <= 0)
		goto out;
	if (db_commit(s->db, err, errlen) < 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		db_rollback(s->db);
	return r;
}

int sstore_upstream_get(struct sstore *s, struct sstore_upstream *u)
{
	memset(u, 0, sizeof(*u));
	if (sstore_meta_get(s, "upstream_url", u->url, sizeof(u->url)) < 0)
		return 0;
	sstore_meta_get(s, "upstream_key", u->key, sizeof(u->key));
	sstore_meta_get(s, "upstream_cacert", u->cacert, sizeof(u->cacert));
	sstore_meta_get(s, "region", u->region, sizeof(u->region));
	return 1;
}

int sstore_upstream_set(struct sstore *s, const struct sstore_upstream *u, char *err, size_t errlen)
{
	char was[8];
	int first;

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	/* Becoming a relay: what this server held before goes up first. */
	first = sstore_meta_get(s, "upstream_url", was, sizeof(was)) < 0;
	if ((first && sstore_relay_backlog(s, err, errlen) < 0) ||
	    sstore_meta_set(s, "upstream_url", u->url, err, errlen) < 0 ||
	    sstore_meta_set(s, "upstream_key", u->key, err, errlen) < 0 ||
	    sstore_meta_set(s, "upstream_cacert", u->cacert, err, errlen) < 0 ||
	    sstore_meta_set(s, "region", u->region, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return 0;
}

int sstore_form_publish(struct sstore *s, const char *json, size_t len, char *err, size_t errlen)
{
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	if (form_put(s, json, len, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return 0;
}

int sstore_form_list(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						  const char *json), void *ctx, char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_FORM_LIST];
	int rc;

	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_text(st, 0), db_text(st, 1), db_text(st, 2));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_device_find(struct sstore *s, const char *id, struct sstore_device *d, char *err, size_t errlen)
{
	return device_get(s, id, d, err, errlen);
}

int sstore_device_list(struct sstore *s, void (*fn)(void *ctx, const struct sstore_device *d), void *ctx,
		       char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_DEV_LIST];
	struct sstore_device d;
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		device_from_row(st, &d);
		fn(ctx, &d);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_device_clock(struct sstore *s, const char *id, long long off_ms, uint64_t at_ms, char *err,
			size_t errlen)
{
	struct db_stmt *st = s->st[S_CLOCK_OFF];

	db_bind_text(st, 1, id);
	db_bind_int(st, 2, off_ms);
	db_bind_int(st, 3, (int64_t)at_ms);
	return db_step_done(st, err, errlen);
}

int sstore_device_revoke(struct sstore *s, const char *id, char *err, size_t errlen)
{
	struct sstore_device d;
	struct db_stmt *st = s->st[S_DEV_REVOKE];
	int known, changed;

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	db_bind_text(st, 1, id);
	db_bind_int(st, 2, (int64_t)now_ms());
	if (db_step_done(st, err, errlen) < 0)
		goto fail;
	changed = db_changes(s->db);
	if (!changed) {
		if ((known = device_get(s, id, &d, err, errlen)) < 0)
			goto fail;
		if (!known) {
			errf(err, errlen, _("no device '%s'"), id);
			goto fail;
		}
	}
	if (db_commit(s->db, err, errlen) < 0)
		return -1;
	return changed ? 1 : 0;
fail:
	db_rollback(s->db);
	return -1;
}

int sstore_nonce_use(struct sstore *s, const char *device, const char *nonce, uint64_t now, char *err, size_t errlen)
{
	struct db_stmt *st;
	int fresh;

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	st = s->st[S_NONCE_PURGE];
	db_bind_int(st, 1, (int64_t)(now - SSTORE_NONCE_KEEP_MS));
	if (db_step_done(st, err, errlen) < 0)
		goto fail;
	st = s->st[S_NONCE_PUT];
	db_bind_text(st, 1, device);
	db_bind_text(st, 2, nonce);
	db_bind_int(st, 3, (int64_t)now);
	if (db_step_done(st, err, errlen) < 0)
		goto fail;
	fresh = db_changes(s->db) == 1;
	/* A verified request is the device's sign of life. */
	st = s->st[S_SEEN];
	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)now);
	if (db_step_done(st, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto fail;
	return fresh;
fail:
	db_rollback(s->db);
	return -1;
}

int sstore_nonce_used(struct sstore *s, const char *device, const char *nonce, uint64_t now, char *err,
		      size_t errlen)
{
	struct db_stmt *st = s->st[S_NONCE_HAS];
	int rc;

	db_bind_text(st, 1, device);
	db_bind_text(st, 2, nonce);
	db_bind_int(st, 3, (int64_t)(now - SSTORE_NONCE_KEEP_MS));
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_stats(struct sstore *s, struct sstore_stats *out, char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_STATS];
	int rc = db_step(st);

	if (rc == DB_ROW) {
		out->ops = (uint64_t)db_int(st, 0);
		out->conflicts = (uint64_t)db_int(st, 1);
		out->devices_active = (uint64_t)db_int(st, 2);
		out->devices_revoked = (uint64_t)db_int(st, 3);
		out->media_whole = (uint64_t)db_int(st, 4);
		out->media_bytes = (uint64_t)db_int(st, 5);
		out->media_partial = (uint64_t)db_int(st, 6);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_devices_silent(struct sstore *s, uint64_t now, const uint64_t ago_ms[SSTORE_SILENT_STEPS],
			  uint64_t out[SSTORE_SILENT_STEPS], char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_SILENT];
	int i, rc;

	for (i = 0; i < SSTORE_SILENT_STEPS; i++)
		db_bind_int(st, i + 1, (int64_t)(now > ago_ms[i] ? now - ago_ms[i] : 0));
	if ((rc = db_step(st)) == DB_ROW)
		for (i = 0; i < SSTORE_SILENT_STEPS; i++)
			out[i] = (uint64_t)db_int(st, i);
	db_reset(st);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

/* The size of dir/file, or of dir/file-wal when wal: 0 when it is not there (no WAL between two writers). */
static int file_bytes(const char *dir, const char *file, int wal, uint64_t *out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s%s", dir, file, wal ? "-wal" : "") >= (int)sizeof(path))
		return errf(err, errlen, _("the data directory path '%s' is too long"), dir);
	*out = 0;
	if (stat(path, &sb) == 0)
		*out = (uint64_t)sb.st_size;
	else if (errno != ENOENT)
		return errf(err, errlen, _("cannot read '%s': %s"), path, strerror(errno));
	return 0;
}

/* One integer PostgreSQL answers query with, into *out. 0, or -1 with err. */
static int pg_number(struct sstore *s, const char *query, int64_t *out, char *err, size_t errlen)
{
	struct db_stmt *st = db_prepare_once(s->db, query, strlen(query), err, errlen);
	int rc;

	if (!st)
		return -1;
	rc = db_step(st);
	*out = rc == DB_ROW ? db_int(st, 0) : 0;
	db_finalize(st);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_disk(struct sstore *s, struct sstore_disk *out, char *err, size_t errlen)
{
	const char *file = dbstore_file(DBSTORE_SERVER);
	struct statvfs fs;
	int64_t n;

	memset(out, 0, sizeof(*out));
	if (db_is_pg(s->db)) {
		/* The database's own size; its write-ahead log is the cluster's, not this store's. */
		if (pg_number(s, "SELECT pg_database_size(current_database())", &n, err, errlen) < 0)
			return -1;
		out->db_bytes = (uint64_t)n;
	} else if (file_bytes(s->dir, file, 0, &out->db_bytes, err, errlen) < 0 ||
		   file_bytes(s->dir, file, 1, &out->wal_bytes, err, errlen) < 0) {
		return -1;
	}
	if (statvfs(s->dir, &fs) < 0)
		return errf(err, errlen, _("cannot read '%s': %s"), s->dir, strerror(errno));
	out->free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
	out->size_bytes = (uint64_t)fs.f_blocks * fs.f_frsize;
	return 0;
}

/* The published forms an ingest has needed so far, loaded once each. */
struct form_cache {
	struct form *f[16];
	size_t n;
};

static const struct form *cached_form(struct sstore *s, struct form_cache *c, const char *id, const char *version)
{
	struct form *f = NULL;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(form_id(c->f[i]), id) && !strcmp(form_version(c->f[i]), version))
			return c->f[i];
	/* errno tells out of memory (form_load's ENOMEM) from a form that is not there. */
	errno = 0;
	dbstore_form_get(s->base, id, version, &f, NULL, 0);
	if (f && c->n < sizeof(c->f) / sizeof(c->f[0]))
		c->f[c->n++] = f;
	else if (f) {
		/* A change set naming more than 16 form versions: check without caching the rest. */
		form_free(c->f[0]);
		c->f[0] = f;
	}
	return f;
}

/* 1 if v is a reviewer's decision a server may write: exactly a status and a comment, as sstore_review_check
 * wants them; 0 with msg if not. */
static int review_valid(json_t *v, char *msg, size_t msglen)
{
	const char *status = json_string_value(json_object_get(v, "status"));
	const char *comment = json_string_value(json_object_get(v, "comment"));

	if (!json_is_object(v) || json_object_size(v) != 2 || !status || !comment) {
		/* TRANSLATORS: the shape of a review's value: keep the JSON as it is; TEXT and STATUS may be translated. */
		snprintf(msg, msglen, "%s", _("a review is {\"comment\": TEXT, \"status\": STATUS}"));
		return 0;
	}
	return sstore_review_check(status, comment, msg, msglen) == 0;
}

/* Whether device d may write ops (PROTOCOL.md, "Authority"): only a server reviews, and only a record's own
 * region writes it. A record not held yet is the signer's region's. 0 allowed, SI_FORBIDDEN with out->code and
 * err, or SI_ERROR. */
static int check_authority(struct sstore *s, const struct sstore_device *d, const struct cs_ops *ops,
			   struct sstore_ingest *out, char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_RECORD_REGION];
	size_t i;
	int rc;

	for (i = 0; i < ops->n; i++) {
		const struct op *op = &ops->ops[i];

		if (!d->relay && !strcmp(op->field, "_review")) {
			out->code = "not_allowed";
			return errf(err, errlen, _("op %zu (seq %llu): device %s (%s) may not review record %s: reviews come"
				    " from a reviewer at a server"), i + 1, (unsigned long long)op->seq, d->id, d->name,
				    op->record), SI_FORBIDDEN;
		}
		if (i && !strcmp(op->record, ops->ops[i - 1].record))
			continue;
		db_bind_text(st, 1, op->record);
		rc = db_step(st);
		if (rc == DB_ROW && strcmp(db_text(st, 0), d->region)) {
			out->code = "wrong_region";
			if (d->relay)
				errf(err, errlen, _("op %zu (seq %llu): record %s belongs to region %s; regional server %s (%s)"
						    " is of region %s"), i + 1, (unsigned long long)op->seq, op->record,
				     db_text(st, 0), d->id, d->name, d->region);
			else
				errf(err, errlen, _("op %zu (seq %llu): record %s belongs to region %s; device %s (%s) is of"
						    " region %s"), i + 1, (unsigned long long)op->seq, op->record,
				     db_text(st, 0), d->id, d->name, d->region);
			db_reset(st);
			return SI_FORBIDDEN;
		}
		db_reset(st);
		if (rc != DB_ROW && rc != DB_DONE)
			return db_error(s->db, rc, err, errlen), SI_ERROR;
	}
	return 0;
}

/* Checks one op against the form version it names: the question exists and the value is exactly of its type
 * (as the device's own checks would have made it), or it is one of the store's pseudo-fields. */
static int check_op_form(struct sstore *s, struct form_cache *c, const struct op *op, size_t i, char *err,
			 size_t errlen)
{
	const struct form *f = cached_form(s, c, op->form, op->form_version);
	const struct form_question *q;
	json_t *v, *coerced = NULL;
	char msg[256], *canon = NULL;
	int ok, rc = 0;

	if (!f && errno == ENOMEM)
		return err_oom(err, errlen);
	if (!f)
		return errf(err, errlen, _("op %zu (seq %llu): form '%s' version '%s' is not published here"), i + 1,
			    (unsigned long long)op->seq, op->form, op->form_version);
	v = sstore_value_json(op->value, strlen(op->value));
	if (!strcmp(op->field, "_deleted")) {
		ok = json_is_boolean(v);
	} else if (!strcmp(op->field, "_review")) {
		/* A reviewer's decision, checked as the review page checks one: {"comment", "status"}, or null. */
		ok = json_is_null(v) || review_valid(v, msg, sizeof(msg));
		if (!ok && json_is_object(v)) {
			json_decref(v);
			return errf(err, errlen, _("op %zu (seq %llu): the review of record %s: %s"), i + 1,
				    (unsigned long long)op->seq, op->record, msg);
		}
	} else if (!strcmp(op->field, "_parent")) {
		/* A repeat instance's record names its parent record, and the repeat of the form it answers. */
		ok = json_is_string(v) && uuid_valid(json_string_value(v));
	} else if (!strcmp(op->field, "_repeat")) {
		ok = json_is_string(v) && form_repeat_find(f, json_string_value(v)) != NULL;
	} else if (!(q = form_find(f, op->field))) {
		json_decref(v);
		return errf(err, errlen, _("op %zu (seq %llu): form '%s' version '%s' has no question '%s'"), i + 1,
			    (unsigned long long)op->seq, op->form, op->form_version, op->field);
	} else if (json_is_null(v)) {
		ok = 1;
	} else {
		rc = form_coerce_answer(f, q, v, &coerced, msg, sizeof(msg));
		ok = rc == 0 && coerced && (canon = jsonc_dumps(coerced)) && !strcmp(canon, op->value);
	}
	json_decref(v);
	json_decref(coerced);
	free(canon);
	if (rc == ERR_OOM)
		return err_oom(err, errlen);
	if (!ok)
		return errf(err, errlen, _("op %zu (seq %llu): %s is not a valid value for '%s'"), i + 1,
			    (unsigned long long)op->seq, op->value, op->field);
	return 0;
}

static void count_equivocation(struct sstore *s, const char *device)
{
	struct db_stmt *st = s->st[S_EQUIVOCATED];

	if (db_begin(s->db, NULL, 0) < 0)
		return;
	db_bind_text(st, 1, device);
	if (db_step_done(st, NULL, 0) < 0 || db_commit(s->db, NULL, 0) < 0)
		db_rollback(s->db);
}

enum sstore_ingest_status sstore_ingest(struct sstore *s, const struct sstore_device *d, const unsigned char *bytes,
					size_t len, const struct cs_header *h, const struct cs_ops *ops,
					struct sstore_ingest *out, char *err, size_t errlen)
{
	return sstore_ingest_from(s, d, bytes, len, h, ops, NULL, out, err, errlen);
}

/* The seq device d must send next, read inside the caller's transaction: 0, or -1 with err. */
static int next_seq_get(struct sstore *s, const struct sstore_device *d, uint64_t *next, char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_NEXT_SEQ];
	int rc;

	db_bind_text(st, 1, d->id);
	rc = db_step(st);
	*next = rc == DB_ROW ? (uint64_t)db_int(st, 0) : 0;
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return errf(err, errlen, _("device %s is not enrolled"), d->id);
	return db_error(s->db, rc, err, errlen);
}

/* Takes the records ops touch for the rest of the caller's transaction (db_lock): on PostgreSQL several processes
 * merge at once, and what the merge reads of a record (its heads, its summary) must stay true until it commits.
 * 0, or -1 with err. */
static int records_lock(struct sstore *s, const struct cs_ops *ops, char *err, size_t errlen)
{
	const char **names;
	size_t i;
	int r;

	if (!db_is_pg(s->db) || !ops->n)
		return 0;
	if (!(names = malloc(ops->n * sizeof(*names))))
		return err_oom(err, errlen);
	for (i = 0; i < ops->n; i++)
		names[i] = ops->ops[i].record;
	r = db_lock(s->db, names, ops->n, err, errlen);
	free(names);
	return r;
}

/* Merges ops inside the caller's transaction, counting them in out: SI_OK, or what stopped it (SI_EQUIVOCATION,
 * SI_BAD_OP, SI_ERROR) with err. */
static enum sstore_ingest_status ops_merge(struct sstore *s, const struct cs_ops *ops, struct sstore_ingest *out,
					   char *err, size_t errlen)
{
	enum merge_result *res, m;
	size_t i;

	if (!ops->n)
		return SI_OK;
	if (!(res = mem_calloc(ops->n, sizeof(*res)))) {
		err_oom(err, errlen);
		return SI_ERROR;
	}
	if (sstore_review_forget(s, ops->ops, ops->n, err, errlen) < 0) {
		free(res);
		return SI_ERROR;
	}
	m = merge_apply_batch(s->merge, ops->ops, ops->n, res, err, errlen);
	for (i = 0; m != MERGE_ERROR && i < ops->n && (res[i] == MERGE_NEW || res[i] == MERGE_DUPLICATE); i++) {
		if (res[i] == MERGE_NEW)
			out->accepted++;
		else
			out->duplicates++;
	}
	free(res);
	if (m == MERGE_NEW)
		return SI_OK;
	return m == MERGE_EQUIVOCATION ? SI_EQUIVOCATION : m == MERGE_INVALID ? SI_BAD_OP : SI_ERROR;
}

/* Gives each record the ops touch its region (that of the device that first sent it, d) and its review summary,
 * inside the caller's transaction. */
static int records_place(struct sstore *s, const struct sstore_device *d, const struct cs_ops *ops, char *err,
			 size_t errlen)
{
	struct db_stmt *st = s->st[S_REGION_PUT];
	size_t i;

	for (i = 0; i < ops->n; i++) {
		if (i && !strcmp(ops->ops[i].record, ops->ops[i - 1].record))
			continue;
		db_bind_text(st, 1, ops->ops[i].record);
		db_bind_text(st, 2, d->region);
		db_bind_text(st, 3, d->id);
		if (db_step_done(st, err, errlen) < 0)
			return -1;
	}
	return sstore_review_refresh(s, ops->ops, ops->n, err, errlen);
}

/* Moves device d's next seq to out->next_seq and keeps the change set bytes[0..len) (header h, from o) as
 * received, inside the caller's transaction. */
static int changeset_keep(struct sstore *s, const struct sstore_device *d, const unsigned char *bytes, size_t len,
			  const struct cs_header *h, const struct sstore_origin *o, const struct sstore_ingest *out,
			  char *err, size_t errlen)
{
	struct db_stmt *st = s->st[S_SET_NEXT];
	int rc;

	db_bind_text(st, 1, d->id);
	db_bind_int(st, 2, (int64_t)out->next_seq);
	if (db_step_done(st, err, errlen) < 0)
		return -1;
	/* Kept as received, to be relayed byte for byte; a change set with nothing new adds nothing. At a
	 * regional server the relay_changeset trigger queues it for headquarters in this transaction. */
	if (out->accepted) {
		st = s->st[S_CS_PUT];
		db_bind_text(st, 1, d->id);
		db_bind_int(st, 2, (int64_t)h->first);
		db_bind_int(st, 3, (int64_t)h->last);
		db_bind_int(st, 4, (int64_t)now_ms());
		db_bind_blob(st, 5, bytes, len);
		db_bind_text(st, 6, d->region);
		db_bind_text(st, 7, o->via);
		db_bind_text(st, 8, o->author);
		rc = db_step_done(st, err, errlen);
		db_clear(st);
		if (rc < 0)
			return -1;
	}
	/* A server's change set names its reviewer: each of its ops does, as the server's own ops do. */
	if (o->author[0]) {
		st = s->st[S_AUTHORS];
		db_bind_text(st, 1, d->id);
		db_bind_int(st, 2, (int64_t)h->first);
		db_bind_int(st, 3, (int64_t)h->last);
		db_bind_text(st, 4, o->author);
		if (db_step_done(st, err, errlen) < 0)
			return -1;
	}
	return 0;
}

enum sstore_ingest_status sstore_ingest_from(struct sstore *s, const struct sstore_device *d,
					     const unsigned char *bytes, size_t len, const struct cs_header *h,
					     const struct cs_ops *ops, const struct sstore_origin *o,
					     struct sstore_ingest *out, char *err, size_t errlen)
{
	static const struct sstore_origin direct = { "", "", 0 };
	struct form_cache cache = { { NULL }, 0 };
	enum sstore_ingest_status r = SI_ERROR;
	uint64_t next;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strcmp(h->device, d->id)) {
		errf(err, errlen, _("the change set is signed by %s, not by %s"), h->device, d->id);
		return SI_BAD_OP;
	}
	if (db_begin(s->db, err, errlen) < 0)
		return SI_ERROR;
	/* Read under the write lock: two uploads of one device cannot both pass the gap check. */
	if (next_seq_get(s, d, &next, err, errlen) < 0)
		goto fail;
	if (!o)
		o = &direct;
	if (h->first > next && !o->headquarters) {
		out->expected_seq = next;
		out->next_seq = next;
		errf(err, errlen, _("the change set starts at seq %llu; the next expected from this device is %llu"),
		     (unsigned long long)h->first, (unsigned long long)next);
		r = SI_GAP;
		goto fail;
	}
	if (records_lock(s, ops, err, errlen) < 0)
		goto fail;
	for (i = 0; i < ops->n; i++) {
		if ((rc = check_op_form(s, &cache, &ops->ops[i], i, err, errlen)) < 0) {
			r = rc == ERR_OOM ? SI_ERROR : SI_BAD_OP;     /* out of memory is the server's trouble: 503 */
			goto fail;
		}
	}
	if (strcmp(o->via, SSTORE_VIA_UPSTREAM) && (rc = check_authority(s, d, ops, out, err, errlen)) != 0) {
		r = (enum sstore_ingest_status)rc;
		goto fail;
	}
	/* A device's clock is a hint: the records it writes are dated no later than they reached us. */
	merge_date_cap(s->merge, HLC_MAKE(now_ms(), 0xffff));
	if ((r = ops_merge(s, ops, out, err, errlen)) == SI_EQUIVOCATION) {
		/* Refused, but counted on the device: in a transaction of its own. */
		db_rollback(s->db);
		count_equivocation(s, d->id);
		goto done;
	}
	if (r != SI_OK)
		goto fail;
	r = SI_ERROR;
	out->next_seq = h->last + 1 > next ? h->last + 1 : next;
	if (records_place(s, d, ops, err, errlen) < 0 || changeset_keep(s, d, bytes, len, h, o, out, err, errlen) < 0 ||
	    sstore_media_expect(s, ops, d->region, err, errlen) < 0)
		goto fail;
	if (db_commit(s->db, err, errlen) < 0)
		goto done;
	r = SI_OK;
	goto done;
fail:
	db_rollback(s->db);
done:
	merge_date_cap(s->merge, UINT64_MAX);
	for (i = 0; i < cache.n; i++)
		form_free(cache.f[i]);
	return r;
}

/* Reads a base written by S_PULL ("DEVICE SEQ DEVICE SEQ ...", or NULL for none) into refs, op's base. */
static void pull_base(const char *t, struct op *op, struct op_ref refs[MERGE_MAX_BASE])
{
	op->base = refs;
	while (t && *t && op->nbase < MERGE_MAX_BASE) {
		struct op_ref *ref = &refs[op->nbase];
		const char *sp = strchr(t, ' ');
		size_t n = sp ? (size_t)(sp - t) : 0;
		char *end;

		if (!sp || n >= sizeof(ref->device))
			return;
		memcpy(ref->device, t, n);
		ref->device[n] = '\0';
		ref->seq = strtoull(sp + 1, &end, 10);
		op->nbase++;
		t = *end == ' ' ? end + 1 : end;
	}
}

int sstore_pull(struct sstore *s, const char *region, const char *skip_device, uint64_t after, unsigned limit,
		int (*fn)(void *ctx, const struct op *op, const char *by), void *ctx, uint64_t *next, int *more, char *err,
		size_t errlen)
{
	struct db_stmt *st = s->st[S_PULL];
	uint64_t last = after, end, top;
	unsigned rows = 0;
	int rc, full = 0;

	/* The highest op id now: the window never reaches past it, and an empty pull moves the cursor to it. */
	st = s->st[S_MAX_OP];
	rc = db_step(st);
	top = rc == DB_ROW ? (uint64_t)db_int(st, 0) : 0;
	db_reset(st);
	if (rc != DB_ROW)
		return db_error(s->db, rc, err, errlen);
	end = top - after > (uint64_t)limit * SSTORE_PULL_WINDOW ? after + (uint64_t)limit * SSTORE_PULL_WINDOW : top;
	if (after >= top)
		end = after;
	st = s->st[S_PULL];
	db_bind_int(st, 1, (int64_t)after);
	db_bind_int(st, 2, (int64_t)end);
	db_bind_text(st, 3, region);
	db_bind_text(st, 4, skip_device);
	db_bind_int(st, 5, limit);
	while (!full && (rc = db_step(st)) == DB_ROW) {
		struct op_ref refs[MERGE_MAX_BASE];
		struct op op;

		memset(&op, 0, sizeof(op));
		last = (uint64_t)db_int(st, 0);
		strlcpy_s(op.device, db_text(st, 1), sizeof(op.device));
		op.seq = (uint64_t)db_int(st, 2);
		op.hlc = (uint64_t)db_int(st, 3);
		strlcpy_s(op.record, db_text(st, 4), sizeof(op.record));
		op.form = db_text(st, 5);
		op.form_version = db_text(st, 6);
		op.field = db_text(st, 7);
		op.value = db_text(st, 8);
		pull_base(db_text(st, 9), &op, refs);
		full = fn(ctx, &op, db_is_null(st, 10) ? NULL : db_text(st, 10));
		rows++;
	}
	db_reset(st);
	if (!full && rc != DB_DONE)
		return db_error(s->db, rc, err, errlen);
	if (full || rows == limit) {
		/* The page is full: the next one starts after its last op. */
		*more = 1;
		*next = last;
	} else {
		/* The whole window was seen: the next page starts past it, and there is more while it ends short
		 * of the newest op. */
		*more = end < top;
		*next = end;
	}
	return 0;
}
