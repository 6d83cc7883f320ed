/* sstore-relay.c - what the two tiers keep of their link (docs/relay-design.md): at a regional server, the
 * store and forward queue (filled by the triggers of the schema, in the transaction that accepted what it
 * names), the state of the link, and the change sets that come down from headquarters; at headquarters, the
 * change sets a relay pulls for its region. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-relay.h"
#include "sstore-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "util.h"
#include "banned.h"

enum {
	R_NEXT, R_DONE, R_FAILED, R_CS_GET, R_RESEND, R_WAITING, R_HELD, R_PULL, R_REVOKED, R_DEV_UPSTREAM,
	R_BACKLOG_ENROL, R_BACKLOG_CS, R_BACKLOG_REVOKE, R_ALTERED_SEEN, R_ALTERED, R_FORWARDED, R_BACKLOG_MEDIA, R_LEAD,
	R_COUNT
};

#define RELAY_SCAN 20000   /* change sets looked at for one pull answer */

const char *const sstore_relay_sql[SSTORE_RELAY_STMTS] = {
	/* The oldest entry due; entries that failed wait for their next try, and do not hold up the others. */
	[R_NEXT] = "SELECT id, kind, ref, tries, error FROM relay_queue WHERE next_try <= ?1 ORDER BY id LIMIT 1",
	[R_DONE] = "DELETE FROM relay_queue WHERE id = ?1",
	[R_FAILED] = "UPDATE relay_queue SET tries = tries + 1, next_try = ?2, error = ?3 WHERE id = ?1",
	[R_CS_GET] = "SELECT device, first_seq, last_seq, bytes, author FROM changesets WHERE id = ?1",
	/* A gap answer: every change set of the device from the seq headquarters expects, in seq order. */
	[R_RESEND] = "SELECT id FROM changesets WHERE device = ?1 AND last_seq >= ?2 ORDER BY first_seq, id",
	[R_WAITING] = "SELECT coalesce(sum(kind = 'changeset'), 0), coalesce(sum(kind != 'changeset'), 0),"
		      " coalesce(min(queued), 0), coalesce(sum(kind = 'media'), 0) FROM relay_queue",
	/* The newest refusal still waiting: what a person must look at. */
	[R_HELD] = "SELECT count(*), (SELECT kind || ' ' || ref || ': ' || error FROM relay_queue WHERE error != ''"
		   " ORDER BY id DESC LIMIT 1) FROM relay_queue WHERE error != ''",
	/* Headquarters: a relay's region, less what it forwarded or made itself (it holds those already). */
	[R_PULL] = "SELECT c.id, c.device, c.via, c.bytes, c.author, coalesce(e.name, '') FROM changesets c"
		   " LEFT JOIN enrolled_devices e ON e.id = c.device"
		   " WHERE c.region = ?1 AND c.id > ?2 ORDER BY c.id",
	[R_REVOKED] = "SELECT id FROM enrolled_devices WHERE region = ?1 AND revoked != 0 AND relay = 0 ORDER BY rowid",
	[R_DEV_UPSTREAM] = "INSERT INTO enrolled_devices(id, pk, name, region, enrolled, upstream)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, 1)",
	/* What a server held before it became a relay goes up first: its devices, their change sets, its
	 * revocations, the attachments it holds whole, in that order. */
	[R_BACKLOG_ENROL] = "INSERT INTO relay_queue(kind, ref, queued) SELECT 'enrol', id, ?1 FROM enrolled_devices"
			    " WHERE relay = 0 AND upstream = 0 ORDER BY rowid",
	[R_BACKLOG_CS] = "INSERT INTO relay_queue(kind, ref, queued) SELECT 'changeset', id, ?1 FROM changesets"
			 " WHERE via = '' ORDER BY id",
	[R_BACKLOG_REVOKE] = "INSERT INTO relay_queue(kind, ref, queued) SELECT 'revoke', id, ?1 FROM enrolled_devices"
			     " WHERE relay = 0 AND upstream = 0 AND revoked != 0 ORDER BY rowid",
	[R_BACKLOG_MEDIA] = "INSERT INTO relay_queue(kind, ref, queued) SELECT 'media', blake2b, ?1 FROM media"
			    " WHERE whole = 1 ORDER BY received",
	/* Each altered change set is remembered once: the relay tries it again from time to time, and every
	 * refusal of it is the same alteration. */
	[R_ALTERED_SEEN] = "INSERT INTO altered_changesets(relay, device, first_seq, last_seq, seen)"
			   " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
	[R_ALTERED] = "UPDATE enrolled_devices SET altered = altered + 1 WHERE id = ?1",
	/* The ops a relay forwarded: its region's change sets that came through it (the region's index first). */
	[R_FORWARDED] = "SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM changesets WHERE region = ?1 AND via = ?2",
	[R_LEAD] = "SELECT 1",     /* one process serves a SQLite file */
};

/* On PostgreSQL a relay pulls in the feed's order, which is the order of commits (FEED_PG in sstore.c). */
const char *const sstore_relay_sql_pg[SSTORE_RELAY_STMTS] = {
	[R_PULL] = "SELECT c.pos, c.device, c.via, c.bytes, c.author, coalesce(e.name, '') FROM changesets c"
		   " LEFT JOIN enrolled_devices e ON e.id = c.device"
		   " WHERE c.region = ?1 AND c.pos > ?2 ORDER BY c.pos",
	/* The relay's lock (7363746566), held by this session already or taken now if free. */
	[R_LEAD] = "SELECT CASE WHEN EXISTS(SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
		   " AND pid = pg_backend_pid() AND classid = 1 AND objid = 3068779270 AND objsubid = 1) THEN 1"
		   " WHEN pg_try_advisory_lock(7363746566) THEN 1 ELSE 0 END",
};

_Static_assert(R_COUNT <= SSTORE_RELAY_STMTS, "raise SSTORE_RELAY_STMTS in sstore-int.h");

int sstore_relay_backlog(struct sstore *s, char *err, size_t errlen)
{
	static const int backlog[] = { R_BACKLOG_ENROL, R_BACKLOG_CS, R_BACKLOG_REVOKE, R_BACKLOG_MEDIA };
	size_t i;

	for (i = 0; i < sizeof(backlog) / sizeof(backlog[0]); i++) {
		db_bind_int(s->lst[backlog[i]], 1, (int64_t)now_ms());
		if (db_step_done(s->lst[backlog[i]], err, errlen) < 0)
			return -1;
	}
	return 0;
}

int sstore_relay_lead(struct sstore *s, char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_LEAD];
	int rc = db_step(st), r = rc == DB_ROW ? db_int(st, 0) != 0 : db_error(s->db, rc, err, errlen);

	db_reset(st);
	return r;
}

int sstore_relay_next(struct sstore *s, uint64_t now, struct sstore_relay_item *it, char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_NEXT];
	int rc;

	memset(it, 0, sizeof(*it));
	db_bind_int(st, 1, (int64_t)now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		it->id = db_int(st, 0);
		strlcpy_s(it->kind, db_text(st, 1), sizeof(it->kind));
		strlcpy_s(it->ref, db_text(st, 2), sizeof(it->ref));
		it->tries = (unsigned)db_int(st, 3);
	}
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_relay_done(struct sstore *s, int64_t id, char *err, size_t errlen)
{
	db_bind_int(s->lst[R_DONE], 1, id);
	return db_step_done(s->lst[R_DONE], err, errlen);
}

int sstore_relay_failed(struct sstore *s, int64_t id, uint64_t next_try, const char *error, char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_FAILED];

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, (int64_t)next_try);
	db_bind_text(st, 3, error);
	return db_step_done(st, err, errlen);
}

int sstore_relay_changeset(struct sstore *s, int64_t id, struct buf *bytes, struct sstore_relay_cs *c, char *err,
			   size_t errlen)
{
	struct db_stmt *st = s->lst[R_CS_GET];
	int rc, r = 0;

	memset(c, 0, sizeof(*c));
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		strlcpy_s(c->device, db_text(st, 0), sizeof(c->device));
		c->first = (uint64_t)db_int(st, 1);
		c->last = (uint64_t)db_int(st, 2);
		strlcpy_s(c->author, db_text(st, 4), sizeof(c->author));
		buf_reset(bytes);
		if (buf_add(bytes, db_blob(st, 3), (size_t)db_bytes(st, 3)) < 0)
			r = errf(err, errlen, _("change set %lld is larger than a change set may be"), (long long)id);
		else
			r = 1;
	} else if (rc != DB_DONE) {
		r = db_error(s->db, rc, err, errlen);
	}
	db_reset(st);
	return r;
}

int sstore_relay_resend(struct sstore *s, const char *device, uint64_t from_seq, int64_t *ids, size_t max, size_t *n,
			char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_RESEND];
	int rc = DB_DONE;

	*n = 0;
	db_bind_text(st, 1, device);
	db_bind_int(st, 2, (int64_t)from_seq);
	while (*n < max && (rc = db_step(st)) == DB_ROW)
		ids[(*n)++] = db_int(st, 0);
	if (*n == max)
		rc = DB_DONE;
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

/* A meta value as a number (0 when absent). */
static uint64_t meta_u64(struct sstore *s, const char *key)
{
	char v[32];

	return sstore_meta_get(s, key, v, sizeof(v)) == 0 ? strtoull(v, NULL, 10) : 0;
}

static int meta_set_u64(struct sstore *s, const char *key, uint64_t v, char *err, size_t errlen)
{
	char t[32];

	snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	return sstore_meta_set(s, key, t, err, errlen);
}

int sstore_relay_note(struct sstore *s, uint64_t contact_ms, uint64_t ok_ms, const char *error, char *err,
		      size_t errlen)
{
	uint64_t now = now_ms();

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	if ((contact_ms && meta_set_u64(s, "relay_contact", contact_ms, err, errlen) < 0) ||
	    (ok_ms && meta_set_u64(s, "relay_ok", ok_ms, err, errlen) < 0) ||
	    (error && error[0] && (sstore_meta_set(s, "relay_error", error, err, errlen) < 0 ||
				   meta_set_u64(s, "relay_error_at", now, err, errlen) < 0)) ||
	    db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return 0;
}

uint64_t sstore_relay_cursor(struct sstore *s)
{
	return meta_u64(s, "relay_cursor");
}

int sstore_relay_cursor_set(struct sstore *s, uint64_t cursor, const char *held, char *err, size_t errlen)
{
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	if (meta_set_u64(s, "relay_cursor", cursor, err, errlen) < 0 ||
	    sstore_meta_set(s, "relay_held", held ? held : "", err, errlen) < 0 || db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return 0;
}

int sstore_relay_status(struct sstore *s, struct sstore_relay_status *out, char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_WAITING];
	int rc;

	memset(out, 0, sizeof(*out));
	/* One snapshot for every figure. */
	if (db_exec(s->db, "BEGIN", err, errlen) < 0)
		return -1;
	if ((rc = db_step(st)) == DB_ROW) {
		out->changesets = (uint64_t)db_int(st, 0);
		out->vouches = (uint64_t)db_int(st, 1);
		out->oldest_ms = (uint64_t)db_int(st, 2);
		out->media = (uint64_t)db_int(st, 3);
	}
	db_reset(st);
	st = s->lst[R_HELD];
	if (rc == DB_ROW && (rc = db_step(st)) == DB_ROW) {
		out->refused = (uint64_t)db_int(st, 0);
		strlcpy_s(out->refusal, db_text(st, 1), sizeof(out->refusal));
	}
	db_reset(st);
	out->contact_ms = meta_u64(s, "relay_contact");
	out->ok_ms = meta_u64(s, "relay_ok");
	out->error_ms = meta_u64(s, "relay_error_at");
	if (sstore_meta_get(s, "relay_error", out->error, sizeof(out->error)) < 0)
		out->error[0] = '\0';
	out->cursor = meta_u64(s, "relay_cursor");
	if (sstore_meta_get(s, "relay_held", out->held, sizeof(out->held)) < 0)
		out->held[0] = '\0';
	db_rollback(s->db);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_relay_pull(struct sstore *s, const struct sstore_device *relay, uint64_t after, unsigned limit,
		      size_t max_bytes, sstore_pulled_fn fn, void *ctx, uint64_t *next, int *more, char *err,
		      size_t errlen)
{
	struct db_stmt *st = s->lst[R_PULL];
	size_t bytes = 0;
	unsigned rows = 0, scanned = 0;
	int rc;

	*next = after;
	*more = 0;
	db_bind_text(st, 1, relay->region);
	db_bind_int(st, 2, (int64_t)after);
	while ((rc = db_step(st)) == DB_ROW) {
		size_t len;

		/* What the relay forwarded or made is passed over (its bytes are not even read), but the cursor moves
		 * past it, so that the next pull does not look at it again; at most RELAY_SCAN rows per answer. */
		if (rows == limit || scanned == RELAY_SCAN) {
			*more = 1;
			break;
		}
		scanned++;
		if (!strcmp(db_text(st, 1), relay->id) || !strcmp(db_text(st, 2), relay->id)) {
			*next = (uint64_t)db_int(st, 0);
			continue;
		}
		len = (size_t)db_bytes(st, 3);
		/* At least one per answer, then as many as fit. */
		if (rows && bytes + len > max_bytes) {
			*more = 1;
			break;
		}
		if (fn(ctx, db_blob(st, 3), len, db_text(st, 4), db_text(st, 5),
		       (uint64_t)db_int(st, 0)) < 0) {
			db_reset(st);
			return errf(err, errlen, _("out of memory"));
		}
		*next = (uint64_t)db_int(st, 0);
		bytes += len;
		rows++;
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_region_revoked(struct sstore *s, const char *region, void (*fn)(void *ctx, const char *id), void *ctx,
			  char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_REVOKED];
	int rc;

	db_bind_text(st, 1, region);
	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_text(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

int sstore_relay_altered(struct sstore *s, const char *relay, const char *device, uint64_t first, uint64_t last,
			 char *err, size_t errlen)
{
	struct db_stmt *st = s->lst[R_ALTERED_SEEN];

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	db_bind_text(st, 1, relay);
	db_bind_text(st, 2, device);
	db_bind_int(st, 3, (int64_t)first);
	db_bind_int(st, 4, (int64_t)last);
	db_bind_int(st, 5, (int64_t)now_ms());
	if (db_step_done(st, err, errlen) < 0)
		goto fail;
	if (db_changes(s->db) == 1) {
		db_bind_text(s->lst[R_ALTERED], 1, relay);
		if (db_step_done(s->lst[R_ALTERED], err, errlen) < 0)
			goto fail;
	}
	return db_commit(s->db, err, errlen);
fail:
	db_rollback(s->db);
	return -1;
}

int sstore_relay_forwarded(struct sstore *s, const struct sstore_device *relay, uint64_t *ops, char *err,
			   size_t errlen)
{
	struct db_stmt *st = s->lst[R_FORWARDED];
	int rc;

	*ops = 0;
	db_bind_text(st, 1, relay->region);
	db_bind_text(st, 2, relay->id);
	if ((rc = db_step(st)) == DB_ROW)
		*ops = (uint64_t)db_int(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : db_error(s->db, rc, err, errlen);
}

enum sstore_ingest_status sstore_relay_take(struct sstore *s, const unsigned char *bytes, size_t len,
					    const char *author, const char *name, const char *region,
					    struct sstore_ingest *out, char *err, size_t errlen)
{
	struct sstore_origin from = { SSTORE_VIA_UPSTREAM, author, 0 };
	struct cs_ops ops = { NULL, 0, NULL };
	struct sstore_device d;
	enum sstore_ingest_status r = SI_BAD_OP;
	struct cs_header h;
	struct db_stmt *st;
	int found;

	memset(out, 0, sizeof(*out));
	/* The same reading order as an upload: header, signer, signature, then the body. Headquarters' signed
	 * answer says the signer is one of its devices; the change set's own signature says the ops are its. */
	if (cs_parse_header(bytes, len, &h, err, errlen) != CS_OK)
		return SI_BAD_OP;
	if (cs_verify(bytes, len, &h) != CS_OK) {
		errf(err, errlen, _("a change set of device %s (seqs %llu..%llu) does not verify"), h.device,
		     (unsigned long long)h.first, (unsigned long long)h.last);
		return SI_BAD_OP;
	}
	if ((found = sstore_device_find(s, h.device, &d, err, errlen)) < 0)
		return SI_ERROR;
	if (found && sodium_memcmp(d.pk, h.signer, KEYS_PK_BYTES) != 0) {
		errf(err, errlen, _("device id %s is taken here by another key"), h.device);
		return SI_BAD_OP;
	}
	if (!found) {
		/* A device of the region that this server did not enroll: known from now on, but it may not sign
		 * requests here. */
		st = s->lst[R_DEV_UPSTREAM];
		db_bind_text(st, 1, h.device);
		db_bind_blob(st, 2, h.signer, KEYS_PK_BYTES);
		db_bind_text(st, 3, name[0] ? name : "(headquarters)");
		db_bind_text(st, 4, region);
		db_bind_int(st, 5, (int64_t)now_ms());
		found = db_step_done(st, err, errlen);
		db_clear(st);
		if (found < 0 || (found = sstore_device_find(s, h.device, &d, err, errlen)) <= 0)
			return SI_ERROR;
	}
	/* Headquarters' own change sets (its reviewers' work) are signed with the key pinned at enrolment. */
	{
		struct sstore_upstream up;
		char hex[2 * KEYS_PK_BYTES + 1];

		sodium_bin2hex(hex, sizeof(hex), h.signer, KEYS_PK_BYTES);
		from.headquarters = sstore_upstream_get(s, &up) == 1 && !strcmp(hex, up.key);
	}
	if (cs_decode(bytes, len, &h, &ops, err, errlen) != CS_OK)
		return SI_BAD_OP;
	r = sstore_ingest_from(s, &d, bytes, len, &h, &ops, &from, out, err, errlen);
	cs_ops_release(&ops);
	return r;
}
