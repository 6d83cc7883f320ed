/* sstore-review.c - what the review page reads (selections, dashboard, a record with its history, possible
 * duplicates) and the review summary and search index kept beside each record (sstore.h, docs/review-api.md).
 * The dashboard's counts are sstore-counts.c's; the ops the server makes itself, sstore-own.c's. */
#include "sstore.h"
#include "sstore-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db.h"
#include "form.h"
#include "hlc.h"
#include "jsonc.h"
#include "util.h"
#include "banned.h"

#define SQL_MAX 16384              /* a selection's SQL text */
#define COUNTRY_TOP 30             /* answers charted for a country question */
#define NAME_FIELD "partner_name"  /* the answer that names the partner, else the form's first text question */
#define COUNTRY_FIELD "country"    /* with the name, what possible duplicates are matched on */

enum {
	R_FIELDS, R_SUMMARY, R_FTS_DEL, R_FTS_PUT, R_RID, R_ALL_RIDS, R_META_DEL,
	R_FORM_NEWEST, R_FORM_GET, R_FORM_TOP, R_FORM_VERSIONS, R_FIND, R_REGIONS, R_DEVNAMES,
	R_CS_OF, R_HISTORY, R_CREATOR, R_KIND, R_AUTHOR_OF, R_DISMISS, R_DUPS, R_DISMISSED, R_FIELD_ROWS, R_ROW, R_OWN_ID,
	R_INSTANCES, R_COUNT
};

const char *const sstore_review_sql[SSTORE_REVIEW_STMTS] = {
	[R_FIELDS] = "SELECT field, value, conflict FROM fields WHERE rid = ?1",
	/* The instances of a record's repeats, oldest first. */
	[R_INSTANCES] = "SELECT r.id, json_extract(x.value, '$') FROM records r JOIN fields p ON p.rid = r.rid"
			" AND p.field = '_parent' AND p.value = json_quote(?1) JOIN fields x ON x.rid = r.rid"
			" AND x.field = '_repeat' WHERE NOT r.deleted AND r.draft = 0 ORDER BY r.created",
	[R_SUMMARY] = "UPDATE record_regions SET review = ?2, namekey = ?3, dupkey = ?4, rep = ?5 WHERE rid = ?1",
	[R_FTS_DEL] = "DELETE FROM records_fts WHERE rowid = ?1",
	[R_FTS_PUT] = "INSERT INTO records_fts(rowid, body) VALUES(?1, ?2)",
	[R_RID] = "SELECT rid FROM records WHERE id = ?1",
	[R_ALL_RIDS] = "SELECT rid FROM record_regions ORDER BY rid",
	[R_META_DEL] = "DELETE FROM meta WHERE key = ?1",
	[R_FORM_NEWEST] = "SELECT json FROM forms WHERE id = ?1 ORDER BY rowid DESC LIMIT 1",
	[R_FORM_GET] = "SELECT json FROM forms WHERE id = ?1 AND version = ?2",
	/* The form with the most records, else the first published. */
	[R_FORM_TOP] = "SELECT f.id FROM forms f LEFT JOIN (SELECT form, count(*) AS n FROM records WHERE draft = 0"
		       " AND rid NOT IN (SELECT rid FROM record_regions WHERE rep != '')"
		       " GROUP BY form) c ON c.form = f.id GROUP BY f.id ORDER BY max(coalesce(c.n, 0)) DESC,"
		       " min(f.rowid) LIMIT 1",
	[R_FORM_VERSIONS] = "SELECT id, version, json FROM forms ORDER BY rowid",
	/* A record by full id or prefix: '~' sorts after every character of an id. */
	[R_FIND] = "SELECT r.id, r.form, r.form_version, r.rid FROM records r JOIN record_regions rr ON rr.rid = r.rid"
		   " WHERE r.id >= ?1 AND r.id <= ?1 || '~' AND r.draft = 0 ORDER BY r.id LIMIT 2",
	[R_REGIONS] = "SELECT region FROM record_regions UNION SELECT region FROM enrolled_devices ORDER BY 1",
	[R_DEVNAMES] = "SELECT id, name, pk FROM enrolled_devices",
	[R_CS_OF] = "SELECT id, bytes FROM changesets WHERE device = ?1 AND first_seq <= ?2 AND last_seq >= ?2"
		    " ORDER BY id LIMIT 1",
	/* Every op of a record, oldest first, with the values of the ops it replaced, who made it, and when the
	 * change set that brought it here was received (an op is dated no later than that). */
	[R_HISTORY] = "SELECT d.id, o.seq, o.hlc, o.field, o.value, oa.user,"
		      " (SELECT json_group_array(json(bo.value)) FROM op_base b JOIN ops bo ON bo.did = b.did"
		      "  AND bo.seq = b.seq WHERE b.op = o.id),"
		      " (SELECT c.received FROM changesets c WHERE c.device = d.id AND c.first_seq <= o.seq"
		      "  AND c.last_seq >= o.seq ORDER BY c.id LIMIT 1)"
		      " FROM ops o JOIN devices d ON d.did = o.did LEFT JOIN op_authors oa ON oa.op = o.id"
		      " WHERE o.rid = ?1 ORDER BY o.hlc, d.id, o.seq",
	/* After an upgrade from layout 1: the device of a record's first op made it. */
	[R_CREATOR] = "UPDATE record_regions SET device = coalesce((SELECT d.id FROM ops o JOIN devices d"
		      " ON d.did = o.did WHERE o.rid = record_regions.rid ORDER BY o.hlc, o.id LIMIT 1), '')"
		      " WHERE device = ''",
	[R_KIND] = "SELECT form, form_version FROM records WHERE rid = ?1",
	[R_AUTHOR_OF] = "SELECT oa.user FROM op_authors oa JOIN ops o ON o.id = oa.op JOIN devices d ON d.did = o.did"
			" WHERE d.id = ?1 AND o.seq = ?2",
	[R_DISMISS] = "INSERT OR IGNORE INTO dup_dismissed(a, b) VALUES(?1, ?2)",
	/* Groups of live records of a form sharing a duplicate key. */
	[R_DUPS] = "SELECT rr.dupkey, r.id, r.rid, rr.region, r.created, rr.review FROM record_regions rr"
		   " JOIN records r ON r.rid = rr.rid WHERE rr.dupkey != '' AND r.form = ?1 AND NOT r.deleted"
		   " AND r.draft = 0 AND rr.dupkey IN (SELECT x.dupkey FROM record_regions x JOIN records y"
		   "  ON y.rid = x.rid WHERE x.dupkey != '' AND y.form = ?1 AND NOT y.deleted AND y.draft = 0"
		   "  GROUP BY x.dupkey HAVING count(*) > 1)"
		   " ORDER BY rr.dupkey, r.created, r.id",
	[R_DISMISSED] = "SELECT 1 FROM dup_dismissed WHERE a = ?1 AND b = ?2",
	[R_FIELD_ROWS] = "SELECT field, value, conflict FROM fields WHERE rid = ?1 ORDER BY field",
	[R_ROW] = "SELECT r.created, r.updated, r.deleted, r.conflicts, rr.region FROM records r"
		  " JOIN record_regions rr ON rr.rid = r.rid WHERE r.rid = ?1",
	[R_OWN_ID] = "SELECT o.id FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = ?1 AND o.seq = ?2",
};

_Static_assert(R_COUNT <= SSTORE_REVIEW_STMTS, "raise SSTORE_REVIEW_STMTS in sstore-int.h");

static const char *const review_states[] = { "pending", "approved", "has_issues", "rejected" };

/* --- Small helpers --------------------------------------------------------------------------------------- */

/* A stored value (canonical JSON text, checked when its op was taken in) as JSON, without the parser for the
 * common cases: a string with nothing escaped, and a whole number. New reference, NULL if it is not JSON. */
static json_t *value_json(const char *text, size_t len)
{
	size_t i;

	if (len >= 2 && text[0] == '"' && text[len - 1] == '"' && !memchr(text + 1, '\\', len - 2))
		return json_stringn_nocheck(text + 1, len - 2);
	for (i = text[0] == '-'; i < len && text[i] >= '0' && text[i] <= '9'; i++)
		;
	if (len && len < 19 && i == len && i > (size_t)(text[0] == '-'))
		return json_integer(strtoll(text, NULL, 10));
	return json_loadb(text, len, JSON_DECODE_ANY, NULL);
}

int sstore_review_state_valid(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(review_states) / sizeof(review_states[0]); i++)
		if (!strcmp(s, review_states[i]))
			return 1;
	return 0;
}

int sstore_review_check(const char *status, const char *comment, char *err, size_t errlen)
{
	size_t i;

	if (!sstore_review_state_valid(status))
		return errf(err, errlen, "status '%.40s' is not pending, approved, has_issues or rejected", status);
	if (utf8_len(comment) > SSTORE_MAX_COMMENT)
		return errf(err, errlen, "the comment has more than %d characters", SSTORE_MAX_COMMENT);
	for (i = 0; comment[i]; i++)
		if (((unsigned char)comment[i] < 0x20 && comment[i] != '\n' && comment[i] != '\t') || comment[i] == 0x7f)
			return errf(err, errlen, "the comment holds a control character");
	if ((!strcmp(status, "has_issues") || !strcmp(status, "rejected")) && !*comment)
		return errf(err, errlen, "say what is wrong: a comment is needed with %s", status);
	return 0;
}

/* Folds the accented Latin letters of U+00C0..U+017F that names use onto their base letter. */
static char fold_latin(unsigned cp)
{
	static const char latin1[] = "aaaaaaaceeeeiiiidnooooo*ouuuuyts"   /* U+00C0..U+00DF */
				     "aaaaaaaceeeeiiiidnooooo/ouuuuyty";  /* U+00E0..U+00FF */
	static const char ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjjjkkklllllllllln"
				    "nnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";  /* U+0100..U+017F */

	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[cp - 0xc0];
	if (cp >= 0x100 && cp <= 0x17f)
		return ext_a[cp - 0x100];
	return 0;
}

/* A name as duplicates are matched on: lower case, Latin accents removed, anything but letters and digits a
 * single space, trimmed. "  Ministère du  Travail (MoL)" -> "ministere du travail mol". Other scripts are kept
 * as they are. */
static void normalise(const char *in, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	int space = 0;

	buf_reset(out);
	while (*p) {
		char c = 0;
		size_t n = 1;

		if (*p < 0x80) {
			c = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
				c = ' ';
		} else if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			n = 2;
			c = fold_latin(((unsigned)(*p & 0x1f) << 6) | (p[1] & 0x3f));
			if (c == '*' || c == '/')
				c = ' ';
		} else {
			n = (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 1;
		}
		if (c == ' ') {
			space = out->len > 0;
		} else {
			if (space)
				buf_addc(out, ' ');
			space = 0;
			if (c)
				buf_addc(out, c);
			else
				buf_add(out, p, strnlen((const char *)p, n));
		}
		p += strnlen((const char *)p, n);
	}
}

/* The form id at version (NULL: its newest), loaded; NULL with err. Caller frees with form_free. */
static struct form *load_form(struct sstore *s, const char *id, const char *version, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[version ? R_FORM_GET : R_FORM_NEWEST];
	struct form *f = NULL;

	db_bind_text(st, 1, id);
	if (version)
		db_bind_text(st, 2, version);
	if (sqlite3_step(st) == SQLITE_ROW)
		f = form_load(db_text(st, 0), strlen(db_text(st, 0)), err, errlen);
	else
		errf(err, errlen, "no published form '%s'%s%s", id, version ? " version " : "", version ? version : "");
	sqlite3_reset(st);
	return f;
}

struct form *sstore_form_get(struct sstore *s, const char *id, const char *version, char *err, size_t errlen)
{
	return load_form(s, id, version, err, errlen);
}

/* Loads into s->kind the form version of record rid (kept while the next records are of the same version: ops
 * come in runs of one form), and finds its question that names the partner: NAME_FIELD when the form has it,
 * else its first text question, else none (""). NULL if the form cannot be loaded. */
static const struct form *record_kind(struct sstore *s, sqlite3_int64 rid)
{
	sqlite3_stmt *st = s->rst[R_KIND];
	char form[MERGE_MAX_NAME + 1] = "", version[MERGE_MAX_NAME + 1] = "";
	size_t i;

	sqlite3_bind_int64(st, 1, rid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		strlcpy_s(form, db_text(st, 0), sizeof(form));
		strlcpy_s(version, db_text(st, 1), sizeof(version));
	}
	sqlite3_reset(st);
	if (s->kind && !strcmp(form_id(s->kind), form) && !strcmp(form_version(s->kind), version))
		return s->kind;
	form_free(s->kind);
	s->name_field[0] = '\0';
	if (!form[0] || !(s->kind = load_form(s, form, version, NULL, 0)))
		return s->kind = NULL;
	if (form_find(s->kind, NAME_FIELD))
		strlcpy_s(s->name_field, NAME_FIELD, sizeof(s->name_field));
	for (i = 0; i < form_count(s->kind) && !s->name_field[0]; i++)
		if (form_question(s->kind, i)->type == FT_TEXT)
			strlcpy_s(s->name_field, form_question(s->kind, i)->name, sizeof(s->name_field));
	return s->kind;
}

/* --- The review summary and search index of a record ------------------------------------------------- */

/* Recomputes the summary row of record rid from its fields: its review state, its partner-name key and
 * duplicate key, and (with text) its full-text document: every text answer, one after the other. */
static int refresh_rid(struct sstore *s, sqlite3_int64 rid, int text, char *err, size_t errlen)
{
	struct buf body = BUF_INIT(8u << 20), name = BUF_INIT(4096), country = BUF_INIT(256), key = BUF_INIT(8192);
	char review[16] = "pending", rep[MERGE_MAX_NAME + 1] = "";
	const struct form *kind = record_kind(s, rid);
	const struct form_question *q;
	json_t *choices = json_array();
	sqlite3_stmt *st;
	int rc, r = -1;

	st = s->rst[R_FIELDS];
	sqlite3_bind_int64(st, 1, rid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *field = db_text(st, 0), *value = db_text(st, 1);
		json_t *v;

		if (!strcmp(field, "_review")) {
			const char *state;

			v = json_loads(value, JSON_DECODE_ANY, NULL);
			state = json_string_value(json_object_get(v, "status"));
			if (state && sstore_review_state_valid(state))
				strlcpy_s(review, state, sizeof(review));
			json_decref(v);
			continue;
		}
		if (!strcmp(field, "_repeat")) {
			v = json_loads(value, JSON_DECODE_ANY, NULL);
			strlcpy_s(rep, json_string_value(v) ? json_string_value(v) : "", sizeof(rep));
			json_decref(v);
			continue;
		}
		if (field[0] == '_')
			continue;
		v = value_json(value, (size_t)sqlite3_column_bytes(st, 1));
		q = kind ? form_find(kind, field) : NULL;
		/* The options the dashboard counts: select answers, and the country as given. */
		if (q && (q->type == FT_SELECT_ONE || q->type == FT_SELECT_MULTIPLE ||
			  (q->type == FT_TEXT && !strcmp(q->name, COUNTRY_FIELD)))) {
			size_t i;

			if (json_is_string(v))
				json_array_append_new(choices, json_pack("[s, s]", field, json_string_value(v)));
			for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
				if (json_is_string(json_array_get(v, i)))
					json_array_append_new(choices, json_pack("[s, s]", field,
										 json_string_value(json_array_get(v, i))));
		}
		if (json_is_string(v)) {
			if (s->name_field[0] && !strcmp(field, s->name_field))
				normalise(json_string_value(v), &name);
			else if (!strcmp(field, COUNTRY_FIELD))
				normalise(json_string_value(v), &country);
			/* Only what people wrote is searched, not choice names, dates or places. */
			if (text && q && q->type == FT_TEXT) {
				if (body.len)
					buf_addc(&body, '\n');
				buf_add(&body, json_string_value(v), json_string_length(v));
			}
		}
		json_decref(v);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		goto out;
	}
	if (name.len)
		buf_printf(&key, "%s|%s", name.data, country.data);
	/* The counts first: they take back what the record counted for, with its review as it was. */
	if (sstore_counts_refresh(s, rid, choices, review, rep, err, errlen) < 0)
		goto out;
	st = s->rst[R_SUMMARY];
	sqlite3_bind_int64(st, 1, rid);
	db_bind_text(st, 2, review);
	db_bind_text(st, 3, name.data);
	db_bind_text(st, 4, rep[0] ? "" : key.data);   /* an instance is no duplicate of a record */
	db_bind_text(st, 5, rep);
	if (db_step_done(st, err, errlen) < 0)
		goto out;
	if (text) {
		st = s->rst[R_FTS_DEL];
		sqlite3_bind_int64(st, 1, rid);
		if (db_step_done(st, err, errlen) < 0)
			goto out;
		st = s->rst[R_FTS_PUT];
		sqlite3_bind_int64(st, 1, rid);
		db_bind_text(st, 2, body.data);
		if (body.len && db_step_done(st, err, errlen) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(choices);
	buf_release(&body);
	buf_release(&name);
	buf_release(&country);
	buf_release(&key);
	return r;
}

int sstore_review_refresh(struct sstore *s, const char *record, int text, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_RID];
	sqlite3_int64 rid = 0;
	int rc;

	db_bind_text(st, 1, record);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : db_error(s->db, rc, err, errlen);
	return refresh_rid(s, rid, text, err, errlen);
}

int sstore_review_reindex(struct sstore *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_ALL_RIDS];
	sqlite3_int64 *rids = NULL;
	size_t n = 0, cap = 0, i;
	char flag[8];
	int rc;

	if (sstore_meta_get(s, "reindex", flag, sizeof(flag)) < 0)
		return 0;
	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	/* Another worker may have done it while we waited for the lock. */
	if (sstore_meta_get(s, "reindex", flag, sizeof(flag)) < 0) {
		db_rollback(s->db);
		return 0;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			sqlite3_int64 *more = realloc(rids, (cap = cap ? cap * 2 : 1024) * sizeof(*rids));

			if (!more) {
				rc = SQLITE_NOMEM;
				break;
			}
			rids = more;
		}
		rids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (refresh_rid(s, rids[i], 1, err, errlen) < 0)
			goto fail;
	if (db_step_done(s->rst[R_CREATOR], err, errlen) < 0)
		goto fail;
	db_bind_text(s->rst[R_META_DEL], 1, "reindex");
	if (db_step_done(s->rst[R_META_DEL], err, errlen) < 0 || db_commit(s->db, err, errlen) < 0)
		goto fail;
	free(rids);
	return 0;
fail:
	db_rollback(s->db);
	free(rids);
	return -1;
}

/* --- Selections -------------------------------------------------------------------------------------- */

/* "YYYY-MM-DD" as epoch ms at 00:00 UTC; -1 if malformed. */
static int64_t parse_day(const char *v)
{
	int y, m, d, n = 0;
	int64_t days;

	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' || sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 1970 || y > 9999 ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return -1;
	/* Days from the civil date (Howard Hinnant's algorithm), so no time zone enters. */
	y -= m <= 2;
	days = (int64_t)(y / 400) * 146097 + (int64_t)((y % 400) * 365 + (y % 400) / 4 - (y % 400) / 100) +
	       ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1) - 719468;
	return days * 86400000;
}

static int copy_value(char *dst, size_t n, const char *key, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= n)
		return errf(err, errlen, "filter '%s': the value is too long", key);
	strlcpy_s(dst, v, n);
	return 0;
}

int sstore_filter_set(struct sstore_filter *f, const char *key, const char *value, char *err, size_t errlen)
{
	int64_t day;

	if (!strcmp(key, "form"))
		return copy_value(f->form, sizeof(f->form), key, value, err, errlen);
	if (!strcmp(key, "repeat"))
		return copy_value(f->repeat, sizeof(f->repeat), key, value, err, errlen);
	if (!strcmp(key, "region"))
		return copy_value(f->region, sizeof(f->region), key, value, err, errlen);
	if (!strcmp(key, "review")) {
		if (*value && !sstore_review_state_valid(value))
			return errf(err, errlen, "filter 'review': '%.40s' is not pending, approved, has_issues or"
				    " rejected", value);
		return copy_value(f->review, sizeof(f->review), key, value, err, errlen);
	}
	if (!strcmp(key, "from") || !strcmp(key, "to")) {
		if (!*value) {
			*(key[0] == 'f' ? &f->from_ms : &f->to_ms) = 0;
			return 0;
		}
		if ((day = parse_day(value)) < 0)
			return errf(err, errlen, "filter '%s': '%.40s' is not a day as YYYY-MM-DD", key, value);
		/* "to" names the last day included. */
		if (key[0] == 'f')
			f->from_ms = (uint64_t)day;
		else
			f->to_ms = (uint64_t)day + 86400000;
		return 0;
	}
	if (!strcmp(key, "q"))
		return copy_value(f->q, sizeof(f->q), key, value, err, errlen);
	if (!strcmp(key, "conflicts") || !strcmp(key, "deleted")) {
		if (strcmp(value, "0") && strcmp(value, "1") && *value)
			return errf(err, errlen, "filter '%s': '%.40s' is not 0 or 1", key, value);
		*(key[0] == 'c' ? &f->conflicts : &f->deleted) = value[0] == '1';
		return 0;
	}
	if (!strncmp(key, "f.", 2)) {
		size_t i = f->nsel;

		if (!*value)
			return 0;
		if (i == SSTORE_MAX_SELECT)
			return errf(err, errlen, "at most %d question filters", SSTORE_MAX_SELECT);
		if (copy_value(f->sel[i].question, sizeof(f->sel[i].question), key, key + 2, err, errlen) < 0 ||
		    copy_value(f->sel[i].choice, sizeof(f->sel[i].choice), key, value, err, errlen) < 0)
			return -1;
		f->nsel++;
		return 0;
	}
	return 1;
}

int sstore_filter_resolve(struct sstore *s, struct sstore_filter *f, char *err, size_t errlen)
{
	struct form *form;
	sqlite3_stmt *st;
	size_t i, k;
	int r = 0;

	if (!f->form[0]) {
		st = s->rst[R_FORM_TOP];
		if (sqlite3_step(st) == SQLITE_ROW)
			strlcpy_s(f->form, db_text(st, 0), sizeof(f->form));
		sqlite3_reset(st);
		if (!f->form[0])
			return errf(err, errlen, "no form is published");
	}
	if (!(form = load_form(s, f->form, NULL, NULL, 0)))
		return errf(err, errlen, "filter 'form': no published form '%.64s'", f->form);
	for (i = 0; i < f->nsel && r == 0; i++) {
		const struct form_question *q = form_find(form, f->sel[i].question);

		if (!q || (q->type != FT_SELECT_ONE && q->type != FT_SELECT_MULTIPLE)) {
			r = errf(err, errlen, "filter 'f.%s': form '%s' has no select question '%s'", f->sel[i].question,
				 f->form, f->sel[i].question);
			break;
		}
		f->sel[i].multiple = q->type == FT_SELECT_MULTIPLE;
		for (k = 0; k < q->nchoices && strcmp(q->choices[k].name, f->sel[i].choice); k++)
			;
		if (k == q->nchoices)
			r = errf(err, errlen, "filter 'f.%s': '%s' is not one of its choices", f->sel[i].question,
				 f->sel[i].choice);
	}
	form_free(form);
	return r;
}

/* Appends the conditions of a selection to sql, over records r and record_regions rr, with named parameters
 * that bind_filter binds. */
static void cond_sql(struct buf *sql, const struct sstore_filter *f)
{
	size_t i;

	/* A record's own, or the instances of one repeat (repeat=NAME). */
	buf_adds(sql, "r.form = :form AND r.draft = 0 AND rr.rep = :rep");
	if (!f->deleted)
		buf_adds(sql, " AND NOT r.deleted");
	if (f->region[0])
		buf_adds(sql, " AND rr.region = :region");
	if (f->review[0])
		buf_adds(sql, " AND rr.review = :review");
	if (f->from_ms)
		buf_adds(sql, " AND r.created >= :from");
	if (f->to_ms)
		buf_adds(sql, " AND r.created < :to");
	if (f->conflicts)
		buf_adds(sql, " AND r.conflicts > 0");
	if (f->q[0])
		buf_adds(sql, " AND r.rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH :q)");
	/* The options each record chose are kept apart (sstore-counts.c), indexed by question and option. */
	for (i = 0; i < f->nsel; i++)
		buf_printf(sql, " AND r.rid IN (SELECT rid FROM record_choices WHERE field = :sq%zu AND choice = :sv%zu)",
			   i, i);
}

/* Appends the FROM and WHERE of a selection to sql. */
static void where_sql(struct buf *sql, const struct sstore_filter *f)
{
	buf_adds(sql, " FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE ");
	cond_sql(sql, f);
}

static void bind_filter(sqlite3_stmt *st, const struct sstore_filter *f)
{
	char name[32];
	size_t i;

	db_bind_named_text(st, ":form", f->form);
	db_bind_named_text(st, ":rep", f->repeat);
	db_bind_named_text(st, ":region", f->region);
	db_bind_named_text(st, ":review", f->review);
	db_bind_named_int(st, ":from", (int64_t)HLC_MAKE(f->from_ms, 0));
	db_bind_named_int(st, ":to", (int64_t)HLC_MAKE(f->to_ms, 0));
	db_bind_named_text(st, ":q", f->q);
	for (i = 0; i < f->nsel; i++) {
		snprintf(name, sizeof(name), ":sq%zu", i);
		db_bind_named_text(st, name, f->sel[i].question);
		snprintf(name, sizeof(name), ":sv%zu", i);
		db_bind_named_text(st, name, f->sel[i].choice);
	}
}

/* Prepares a statement over a selection; a full-text query SQLite cannot parse is the caller's bad filter. */
static sqlite3_stmt *prepare_sel(struct sstore *s, const struct buf *sql, const struct sstore_filter *f, char *err,
				 size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sql->len >= SQL_MAX - 1) {
		errf(err, errlen, "the selection is too complex");
		return NULL;
	}
	if (sqlite3_prepare_v2(s->db, sql->data, (int)sql->len, &st, NULL) != SQLITE_OK) {
		errf(err, errlen, "cannot select records: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	bind_filter(st, f);
	return st;
}

/* A step error on a selection: a broken full-text query is the request's fault (400), anything else ours. */
static int step_error(struct sstore *s, int rc, const struct sstore_filter *f, char *err, size_t errlen)
{
	if (f->q[0] && (rc == SQLITE_ERROR))
		return errf(err, errlen, "filter 'q': '%.80s' is not a search SQLite understands (%s)", f->q,
			    sqlite3_errmsg(s->db));
	return db_error(s->db, rc, err, errlen);
}

/* Fills the answers and review of r from the record's fields (rid), and *review_conflict with whether its
 * review has several heads (review_conflict may be NULL). */
static int load_answers(struct sstore *s, sqlite3_int64 rid, json_t *answers, json_t **review,
			int *review_conflict, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_FIELDS];
	int rc;

	json_object_clear(answers);
	*review = NULL;
	if (review_conflict)
		*review_conflict = 0;
	sqlite3_bind_int64(st, 1, rid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *field = db_text(st, 0);
		json_t *v;

		/* _parent stays with the answers: it names the record a repeat instance belongs to. */
		if (field[0] == '_' && strcmp(field, "_review") && strcmp(field, "_parent"))
			continue;
		if (review_conflict && !strcmp(field, "_review"))
			*review_conflict = sqlite3_column_int(st, 2) != 0;
		v = value_json(db_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (!v || json_is_null(v)) {
			json_decref(v);
			continue;
		}
		if (!strcmp(field, "_review"))
			*review = v;
		else
			json_object_set_new(answers, field, v);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s->db, rc, err, errlen);
}

#define RECORD_COLUMNS "r.rid, r.id, r.form, r.form_version, rr.region, rr.review, r.created, r.updated," \
	" r.conflicts, r.deleted"

/* Calls fn for each row of st (RECORD_COLUMNS), with its answers; *stop is set when fn asks to stop. Finalizes
 * st. 0, or -1 with err. */
static int emit_rows(struct sstore *s, sqlite3_stmt *st, const struct sstore_filter *f, sstore_record_fn fn,
		     void *ctx, json_t *answers, int *stop, uint64_t *rows, char *err, size_t errlen)
{
	int rc = SQLITE_DONE;

	while (!*stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sstore_record rec;
		json_t *review = NULL;

		memset(&rec, 0, sizeof(rec));
		strlcpy_s(rec.id, db_text(st, 1), sizeof(rec.id));
		rec.form = db_text(st, 2);
		rec.version = db_text(st, 3);
		rec.region = db_text(st, 4);
		rec.review = db_text(st, 5);
		rec.created_ms = HLC_MS((uint64_t)sqlite3_column_int64(st, 6));
		rec.updated_ms = HLC_MS((uint64_t)sqlite3_column_int64(st, 7));
		rec.conflicts = sqlite3_column_int(st, 8);
		rec.deleted = sqlite3_column_int(st, 9);
		if (load_answers(s, sqlite3_column_int64(st, 0), answers, &review, &rec.review_conflict, err,
				 errlen) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		rec.review_comment = json_string_value(json_object_get(review, "comment"));
		if (!rec.review_comment)
			rec.review_comment = "";
		rec.answers = answers;
		*stop = fn(ctx, &rec);
		(*rows)++;
		json_decref(review);
	}
	if (!*stop && rc != SQLITE_DONE) {
		step_error(s, rc, f, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* The number of selected records that sql (a SELECT count(*) over the selection) counts; -1 with err. */
static int64_t count_sel(struct sstore *s, const struct buf *sql, const struct sstore_filter *f,
			 const struct sstore_page *p, char *err, size_t errlen)
{
	sqlite3_stmt *st = prepare_sel(s, sql, f, err, errlen);
	int64_t n = -1;
	int rc;

	if (!st)
		return -1;
	db_bind_named_text(st, ":sortq", p->question);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		step_error(s, rc, f, err, errlen);
	sqlite3_finalize(st);
	return n;
}

/* Pages of a selection sorted by a question's answer. Sorting every selected record on each page is too slow on
 * a large store, so the answers are walked in order in an index of the fields (fields_by_field, or for a
 * number fields_by_number), stopping at the page; the records without an answer come after them, in id
 * order. */
static int select_by_answer(struct sstore *s, const struct sstore_filter *f, const struct sstore_page *p,
			    sstore_record_fn fn, void *ctx, json_t *answers, char *err, size_t errlen)
{
	static const char number_rows[] = "substr(o.value, 1, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8',"
					  " '9')";
	struct buf sql = BUF_INIT(SQL_MAX);
	uint64_t rows = 0, skip = p->offset;
	sqlite3_stmt *st;
	int64_t answered;
	int stop = 0, r = -1;

	buf_printf(&sql, "SELECT " RECORD_COLUMNS " FROM fields o INDEXED BY %s JOIN records r ON r.rid = o.rid"
		   " JOIN record_regions rr ON rr.rid = r.rid WHERE o.field = :sortq AND %s AND ",
		   p->numeric ? "fields_by_number" : "fields_by_field", p->numeric ? number_rows : "o.value != 'null'");
	cond_sql(&sql, f);
	if (p->numeric)
		buf_adds(&sql, p->desc ? " ORDER BY CAST(o.value AS REAL) DESC, r.id DESC" :
					 " ORDER BY CAST(o.value AS REAL), r.id");
	else
		buf_adds(&sql, p->desc ? " ORDER BY o.value DESC, r.id DESC" : " ORDER BY o.value, r.id");
	if (p->limit)
		buf_adds(&sql, " LIMIT :limit OFFSET :offset");
	if (!(st = prepare_sel(s, &sql, f, err, errlen)))
		goto out;
	db_bind_named_text(st, ":sortq", p->question);
	db_bind_named_int(st, ":limit", p->limit);
	db_bind_named_int(st, ":offset", (int64_t)p->offset);
	if (emit_rows(s, st, f, fn, ctx, answers, &stop, &rows, err, errlen) < 0)
		goto out;
	if (stop || (p->limit && rows == p->limit)) {
		r = 0;
		goto out;
	}
	/* The page reaches past the answered records: how many there are says where the others start. */
	if (p->offset) {
		buf_reset(&sql);
		buf_printf(&sql, "SELECT count(*) FROM fields o INDEXED BY %s JOIN records r ON r.rid = o.rid"
			   " JOIN record_regions rr ON rr.rid = r.rid WHERE o.field = :sortq AND %s AND ",
			   p->numeric ? "fields_by_number" : "fields_by_field",
			   p->numeric ? number_rows : "o.value != 'null'");
		cond_sql(&sql, f);
		if ((answered = count_sel(s, &sql, f, p, err, errlen)) < 0)
			goto out;
		skip = p->offset > (uint64_t)answered ? p->offset - (uint64_t)answered : 0;
	}
	buf_reset(&sql);
	buf_adds(&sql, "SELECT " RECORD_COLUMNS);
	where_sql(&sql, f);
	buf_printf(&sql, " AND NOT EXISTS (SELECT 1 FROM fields o WHERE o.rid = r.rid AND o.field = :sortq AND %s)",
		   p->numeric ? number_rows : "o.value != 'null'");
	buf_adds(&sql, p->desc ? " ORDER BY r.id DESC" : " ORDER BY r.id");
	if (p->limit)
		buf_adds(&sql, " LIMIT :limit OFFSET :offset");
	if (!(st = prepare_sel(s, &sql, f, err, errlen)))
		goto out;
	db_bind_named_text(st, ":sortq", p->question);
	db_bind_named_int(st, ":limit", (int64_t)(p->limit - rows));
	db_bind_named_int(st, ":offset", (int64_t)skip);
	if (emit_rows(s, st, f, fn, ctx, answers, &stop, &rows, err, errlen) < 0)
		goto out;
	r = 0;
out:
	buf_release(&sql);
	return r;
}

int sstore_select(struct sstore *s, const struct sstore_filter *f, const struct sstore_page *p,
		  sstore_record_fn fn, void *ctx, uint64_t *total, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(SQL_MAX);
	sqlite3_stmt *st;
	json_t *answers = json_object();
	uint64_t rows = 0;
	int64_t n;
	int r = -1, stop = 0;

	if (total) {
		buf_adds(&sql, "SELECT count(*)");
		where_sql(&sql, f);
		if ((n = count_sel(s, &sql, f, p, err, errlen)) < 0)
			goto out;
		*total = (uint64_t)n;
	}
	if (p->sort == SORT_QUESTION) {
		r = select_by_answer(s, f, p, fn, ctx, answers, err, errlen);
		goto out;
	}
	buf_reset(&sql);
	buf_adds(&sql, "SELECT " RECORD_COLUMNS);
	where_sql(&sql, f);
	switch (p->sort) {
	case SORT_CREATED: buf_adds(&sql, " ORDER BY r.created"); break;
	case SORT_REGION: buf_adds(&sql, " ORDER BY rr.region"); break;
	case SORT_REVIEW: buf_adds(&sql, " ORDER BY rr.review"); break;
	default: buf_adds(&sql, " ORDER BY r.updated");
	}
	buf_adds(&sql, p->desc ? " DESC, r.id DESC" : ", r.id");
	if (p->limit)
		buf_adds(&sql, " LIMIT :limit OFFSET :offset");
	if (!(st = prepare_sel(s, &sql, f, err, errlen)))
		goto out;
	db_bind_named_int(st, ":limit", p->limit);
	db_bind_named_int(st, ":offset", (int64_t)p->offset);
	r = emit_rows(s, st, f, fn, ctx, answers, &stop, &rows, err, errlen);
out:
	json_decref(answers);
	buf_release(&sql);
	return r;
}

/* --- Dashboard ---------------------------------------------------------------------------------------- */

/* Counts the answers of field over the selection, most frequent first (at most top; 0: all): into counts
 * (value -> count) when it is not NULL, else appended to list as {"value", "count"} in that order. */
static int chart_counts(struct sstore *s, const struct sstore_filter *f, const char *field, int multiple,
			unsigned top, json_t *counts, json_t *list, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(SQL_MAX);
	sqlite3_stmt *st;
	int rc;

	buf_adds(&sql, multiple ? "SELECT j.value, count(*) AS n FROM fields c, json_each(c.value) j"
				: "SELECT json_extract(c.value, '$'), count(*) AS n FROM fields c");
	buf_adds(&sql, " WHERE c.field = :chart AND c.rid IN (SELECT r.rid");
	where_sql(&sql, f);
	buf_adds(&sql, ") GROUP BY 1 ORDER BY n DESC, 1");
	if (top)
		buf_printf(&sql, " LIMIT %u", top);
	if (!(st = prepare_sel(s, &sql, f, err, errlen))) {
		buf_release(&sql);
		return -1;
	}
	db_bind_named_text(st, ":chart", field);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_TEXT)
			continue;
		if (counts)
			json_object_set_new(counts, db_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
		else
			json_array_append_new(list, json_pack("{s:s, s:I}", "value", db_text(st, 0), "count",
							      (json_int_t)sqlite3_column_int64(st, 1)));
	}
	sqlite3_finalize(st);
	buf_release(&sql);
	return rc == SQLITE_DONE ? 0 : step_error(s, rc, f, err, errlen);
}

json_t *sstore_dashboard(struct sstore *s, const struct sstore_filter *f, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(SQL_MAX);
	struct form *form = load_form(s, f->form, NULL, err, errlen);
	int counted = sstore_counts_usable(f);
	json_t *out = NULL, *charts, *weeks, *totals;
	sqlite3_stmt *st;
	size_t i, k;
	int rc;

	if (!form)
		return NULL;
	totals = json_object();
	out = json_pack("{s:s, s:o}", "form", f->form, "totals", totals);
	if (counted) {
		/* Filters on dimensions only: the counts kept as records change answer at once. */
		if (sstore_counts_totals(s, f, totals, err, errlen) < 0)
			goto fail;
	} else {
		/* A search or an answer filter: count the selection itself, in one pass. */
		buf_adds(&sql, "SELECT count(*), count(DISTINCT nullif(rr.namekey, '')), count(DISTINCT rr.region),"
			 " coalesce(sum(r.conflicts > 0), 0), coalesce(sum(rr.review = 'pending'), 0),"
			 " count(DISTINCT nullif(rr.device, ''))");
		where_sql(&sql, f);
		if (!(st = prepare_sel(s, &sql, f, err, errlen)))
			goto fail;
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			step_error(s, rc, f, err, errlen);
			sqlite3_finalize(st);
			goto fail;
		}
		json_object_set_new(totals, "records", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(totals, "partners", json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(totals, "devices", json_integer(sqlite3_column_int64(st, 5)));
		json_object_set_new(totals, "regions", json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(totals, "conflicts", json_integer(sqlite3_column_int64(st, 3)));
		json_object_set_new(totals, "pending", json_integer(sqlite3_column_int64(st, 4)));
		sqlite3_finalize(st);
	}
	charts = json_array();
	json_object_set_new(out, "charts", charts);
	for (i = 0; i < form_count(form); i++) {
		const struct form_question *q = form_question(form, i);
		int sel = q->type == FT_SELECT_ONE || q->type == FT_SELECT_MULTIPLE;
		json_t *counts, *list, *n;

		if (!sel && (q->type != FT_TEXT || strcmp(q->name, COUNTRY_FIELD)))
			continue;
		counts = sel ? json_object() : NULL;
		list = json_array();
		if ((counted ? sstore_counts_chart(s, f, q->name, sel ? 0 : COUNTRY_TOP, counts, list, err, errlen) :
			       chart_counts(s, f, q->name, q->type == FT_SELECT_MULTIPLE, sel ? 0 : COUNTRY_TOP, counts,
					    list, err, errlen)) < 0) {
			json_decref(counts);
			json_decref(list);
			goto fail;
		}
		if (sel) {
			/* Every choice in form order, chosen or not. */
			for (k = 0; k < q->nchoices; k++) {
				n = json_object_get(counts, q->choices[k].name);
				json_array_append_new(list, json_pack("{s:s, s:I}", "value", q->choices[k].name, "count",
								      (json_int_t)(n ? json_integer_value(n) : 0)));
			}
		}
		json_array_append_new(charts, json_pack("{s:s, s:s, s:o}", "question", q->name, "type",
							form_type_name(q->type), "counts", list));
		json_decref(counts);
	}
	if (counted) {
		if (!(weeks = sstore_counts_weeks(s, f, err, errlen)))
			goto fail;
		json_object_set_new(out, "weeks", weeks);
	} else {
		/* Records per week of creation, keyed by the week's Monday. */
		buf_reset(&sql);
		buf_adds(&sql, "SELECT date(((r.created >> 16) / 1000), 'unixepoch', '-6 days', 'weekday 1') AS w,"
			 " count(*)");
		where_sql(&sql, f);
		buf_adds(&sql, " GROUP BY w ORDER BY w");
		if (!(st = prepare_sel(s, &sql, f, err, errlen)))
			goto fail;
		weeks = json_array();
		json_object_set_new(out, "weeks", weeks);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(weeks, json_pack("{s:s, s:I}", "week", db_text(st, 0), "count",
							       (json_int_t)sqlite3_column_int64(st, 1)));
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			step_error(s, rc, f, err, errlen);
			goto fail;
		}
	}
	buf_release(&sql);
	form_free(form);
	return out;
fail:
	json_decref(out);
	buf_release(&sql);
	form_free(form);
	return NULL;
}

/* --- One record --------------------------------------------------------------------------------------- */

/* sstore_record_find, with the record's key in the store into *rid. */
static int find_record(struct sstore *s, const char *id, char full[UUID_STRLEN + 1], char *form, char *version,
		       size_t n, sqlite3_int64 *rid, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_FIND];
	int rows = 0, rc;

	if (strlen(id) < 8 || strlen(id) > UUID_STRLEN) {
		errf(err, errlen, "'%.40s' is not a record id (give at least its first 8 characters)", id);
		return 0;
	}
	db_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* The range also takes ids that merely sort between: keep true prefixes only. */
		if (strncmp(db_text(st, 0), id, strlen(id)))
			continue;
		if (rows++ == 0) {
			strlcpy_s(full, db_text(st, 0), UUID_STRLEN + 1);
			if (form)
				strlcpy_s(form, db_text(st, 1), n);
			if (version)
				strlcpy_s(version, db_text(st, 2), n);
			*rid = sqlite3_column_int64(st, 3);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s->db, rc, err, errlen);
	if (rows == 1)
		return 1;
	if (rows == 0)
		errf(err, errlen, "no record '%s'", id);
	else
		errf(err, errlen, "'%s' names more than one record: give more of its id", id);
	return 0;
}

int sstore_record_find(struct sstore *s, const char *id, char full[UUID_STRLEN + 1], char *form, char *version,
		       size_t n, char *err, size_t errlen)
{
	sqlite3_int64 rid;

	return find_record(s, id, full, form, version, n, &rid, err, errlen);
}

json_t *sstore_record_answers(struct sstore *s, const char *id, char *err, size_t errlen)
{
	char full[UUID_STRLEN + 1];
	json_t *answers, *review = NULL;
	sqlite3_int64 rid;

	if (find_record(s, id, full, NULL, NULL, 0, &rid, err, errlen) <= 0)
		return NULL;
	answers = json_object();
	if (load_answers(s, rid, answers, &review, NULL, err, errlen) < 0) {
		json_decref(answers);
		answers = NULL;
	}
	json_decref(review);
	return answers;
}

/* Verifies change sets at most once per request: the id of each one checked, and its verdict. */
struct verdicts {
	sqlite3_int64 id[64];
	int ok[64];
	size_t n;
};

/* 1 if the change set that brought (device, seq) verifies against the device's key (pk), 0 if not or if it is
 * not held. */
static int op_verified(struct sstore *s, struct verdicts *v, const char *device, uint64_t seq,
		       const unsigned char *pk)
{
	sqlite3_stmt *st = s->rst[R_CS_OF];
	struct cs_header h;
	sqlite3_int64 id;
	size_t i;
	int ok = 0;

	if (!pk)
		return 0;
	db_bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	id = sqlite3_column_int64(st, 0);
	for (i = 0; i < v->n; i++)
		if (v->id[i] == id) {
			sqlite3_reset(st);
			return v->ok[i];
		}
	{
		const unsigned char *bytes = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		ok = bytes && cs_parse_header(bytes, len, &h, NULL, 0) == CS_OK &&
		     sodium_memcmp(h.signer, pk, KEYS_PK_BYTES) == 0 && cs_verify(bytes, len, &h) == CS_OK &&
		     h.first <= seq && seq <= h.last;
	}
	sqlite3_reset(st);
	if (v->n < sizeof(v->id) / sizeof(v->id[0])) {
		v->id[v->n] = id;
		v->ok[v->n++] = ok;
	}
	return ok;
}

/* Device id -> {"name", "pk"} for every enrolled device and this server. */
static json_t *device_names(struct sstore *s, char own[KEYS_ID_STRLEN + 1])
{
	sqlite3_stmt *st = s->rst[R_DEVNAMES];
	json_t *names = json_object();
	char hex[2 * KEYS_PK_BYTES + 1];

	keys_id(keys_public(s->keys), own);
	hex_encode(hex, keys_public(s->keys), KEYS_PK_BYTES);
	json_object_set_new(names, own, json_pack("{s:s, s:s}", "name", "server", "pk", hex));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 2) != KEYS_PK_BYTES)
			continue;
		hex_encode(hex, sqlite3_column_blob(st, 2), KEYS_PK_BYTES);
		json_object_set_new(names, db_text(st, 0), json_pack("{s:s, s:s}", "name", db_text(st, 1), "pk", hex));
	}
	sqlite3_reset(st);
	return names;
}

struct heads_ctx {
	struct sstore *s;
	json_t *list, *names;
};

static void add_head_json(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct heads_ctx *c = ctx;
	json_t *dev = json_object_get(c->names, id->device), *v = json_loads(value, JSON_DECODE_ANY, NULL);
	sqlite3_stmt *st = c->s->rst[R_AUTHOR_OF];
	char by[SSTORE_MAX_NAME + 1] = "";

	/* A head made at this server names its reviewer, as its history entry does. */
	db_bind_text(st, 1, id->device);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id->seq);
	if (sqlite3_step(st) == SQLITE_ROW)
		strlcpy_s(by, db_text(st, 0), sizeof(by));
	sqlite3_reset(st);
	json_array_append_new(c->list, json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:o}", "device", id->device,
						 "device_name", json_string_value(json_object_get(dev, "name")), "by",
						 by[0] ? by : NULL, "seq", (json_int_t)id->seq, "at",
						 (json_int_t)HLC_MS(hlc), "value", v ? v : json_null()));
}

json_t *sstore_record_json(struct sstore *s, const char *id, unsigned *status, char *err, size_t errlen)
{
	char full[UUID_STRLEN + 1], form[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1], own[KEYS_ID_STRLEN + 1];
	struct verdicts *verdicts = NULL;
	json_t *out = NULL, *names, *fields, *history, *review = NULL;
	sqlite3_stmt *st;
	sqlite3_int64 rid;
	int found, rc;

	*status = 500;
	found = find_record(s, id, full, form, version, sizeof(form), &rid, err, errlen);
	if (found <= 0) {
		if (found == 0)
			*status = strstr(err, "more than one") ? 400 : 404;
		return NULL;
	}
	if (!(verdicts = calloc(1, sizeof(*verdicts)))) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	names = device_names(s, own);
	out = json_object();
	/* Its fields, with every head of those in conflict. */
	fields = json_array();
	st = s->rst[R_FIELD_ROWS];
	sqlite3_bind_int64(st, 1, rid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *field = db_text(st, 0);
		json_t *v = json_loads(db_text(st, 1), JSON_DECODE_ANY, NULL), *heads = json_array();
		int conflict = sqlite3_column_int(st, 2);

		if (!strcmp(field, "_review")) {
			json_decref(review);
			review = json_incref(v);
		}
		if (conflict) {
			struct heads_ctx hc = { s, heads, names };

			/* merge_heads uses the merge's own statements, not this one: safe while st is stepping. */
			merge_heads(s->merge, full, field, add_head_json, &hc, NULL, 0);
		}
		json_array_append_new(fields, json_pack("{s:s, s:o, s:b, s:o}", "name", field, "value",
							v ? v : json_null(), "conflict", conflict, "heads", heads));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(fields);
		goto fail;
	}
	json_object_set_new(out, "fields", fields);
	/* The instances of its repeats (each a record of its own, whose fields name this one as _parent). */
	{
		json_t *inst = json_array();

		st = s->rst[R_INSTANCES];
		db_bind_text(st, 1, full);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(inst, json_pack("{s:s, s:s}", "id", db_text(st, 0), "repeat", db_text(st, 1)));
		sqlite3_reset(st);
		json_object_set_new(out, "instances", inst);
		if (rc != SQLITE_DONE) {
			db_error(s->db, rc, err, errlen);
			goto fail;
		}
	}
	/* The history, each op checked against the change set it came in. */
	history = json_array();
	json_object_set_new(out, "history", history);
	st = s->rst[R_HISTORY];
	sqlite3_bind_int64(st, 1, rid);
	{
		json_t *last_review_op = NULL;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *dev = db_text(st, 0), *by = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL :
								db_text(st, 5);
			uint64_t seq = (uint64_t)sqlite3_column_int64(st, 1), hlc = (uint64_t)sqlite3_column_int64(st, 2);
			uint64_t at = HLC_MS(hlc), received = (uint64_t)sqlite3_column_int64(st, 7);
			json_t *d = json_object_get(names, dev), *nv = json_loads(db_text(st, 4), JSON_DECODE_ANY, NULL);
			json_t *old = json_loads(db_text(st, 6), 0, NULL), *entry;
			unsigned char pk[KEYS_PK_BYTES];
			const char *pkhex = json_string_value(json_object_get(d, "pk"));
			int have_pk = pkhex && sodium_hex2bin(pk, sizeof(pk), pkhex, strlen(pkhex), NULL, NULL, NULL) == 0;

			entry = json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:s, s:o, s:o, s:b}", "device", dev, "device_name",
					  json_string_value(json_object_get(d, "name")), "by", by, "seq", (json_int_t)seq,
					  "at", (json_int_t)(received && received < at ? received : at), "field",
					  db_text(st, 3), "old",
					  old ? old : json_array(), "new", nv ? nv : json_null(), "verified",
					  op_verified(s, verdicts, dev, seq, have_pk ? pk : NULL));
			if (!strcmp(db_text(st, 3), "_review"))
				last_review_op = entry;
			json_array_append_new(history, entry);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_error(s->db, rc, err, errlen);
			goto fail;
		}
		/* The review shown is the field's value; who made it and when come from the op that set it last. */
		if (json_is_object(review)) {
			json_object_set_new(out, "review", json_pack("{s:O, s:O, s:O, s:O}", "status",
								     json_object_get(review, "status"), "comment",
								     json_object_get(review, "comment") ?
								     json_object_get(review, "comment") : json_string(""),
								     "by", last_review_op ? json_object_get(last_review_op, "by") :
								     json_null(), "at", last_review_op ?
								     json_object_get(last_review_op, "at") : json_null()));
		} else {
			json_object_set_new(out, "review", json_null());
		}
	}
	json_decref(review);
	review = NULL;
	/* The record's own row. */
	{
		sqlite3_stmt *r = s->rst[R_ROW];

		sqlite3_bind_int64(r, 1, rid);
		if (sqlite3_step(r) == SQLITE_ROW) {
			json_object_set_new(out, "id", json_string(full));
			json_object_set_new(out, "form", json_string(form));
			json_object_set_new(out, "version", json_string(version));
			json_object_set_new(out, "region", json_string(db_text(r, 4)));
			json_object_set_new(out, "created", json_integer((json_int_t)HLC_MS((uint64_t)sqlite3_column_int64(r, 0))));
			json_object_set_new(out, "updated", json_integer((json_int_t)HLC_MS((uint64_t)sqlite3_column_int64(r, 1))));
			json_object_set_new(out, "deleted", json_boolean(sqlite3_column_int(r, 2)));
			json_object_set_new(out, "conflicts", json_integer(sqlite3_column_int(r, 3)));
		}
		sqlite3_reset(r);
	}
	json_decref(names);
	free(verdicts);
	*status = 200;
	return out;
fail:
	json_decref(review);
	json_decref(names);
	json_decref(out);
	free(verdicts);
	return NULL;
}

/* --- Possible duplicates ------------------------------------------------------------------------------ */

/* 1 if every pair of the group's records was dismissed. */
static int group_dismissed(struct sstore *s, json_t *records)
{
	sqlite3_stmt *st = s->rst[R_DISMISSED];
	size_t i, k;

	for (i = 0; i < json_array_size(records); i++)
		for (k = i + 1; k < json_array_size(records); k++) {
			const char *a = json_string_value(json_object_get(json_array_get(records, i), "id"));
			const char *b = json_string_value(json_object_get(json_array_get(records, k), "id"));
			int found;

			db_bind_text(st, 1, strcmp(a, b) < 0 ? a : b);
			db_bind_text(st, 2, strcmp(a, b) < 0 ? b : a);
			found = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
			if (!found)
				return 0;
		}
	return 1;
}

/* Closes the group being built into groups, unless a reviewer dismissed it already. */
static void close_group(struct sstore *s, json_t *groups, json_t **group)
{
	if (*group && !group_dismissed(s, json_object_get(*group, "records")))
		json_array_append(groups, *group);
	json_decref(*group);
	*group = NULL;
}

json_t *sstore_duplicates(struct sstore *s, const char *form, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_DUPS], *fst = s->rst[R_FIELDS];
	json_t *groups = json_array(), *group = NULL;
	char key[8192] = "";
	int rc;

	db_bind_text(st, 1, form);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = db_text(st, 0);
		json_t *name = NULL, *country = NULL;
		char namef[MERGE_MAX_NAME + 1];
		int frc;

		if (!group || strcmp(k, key)) {
			close_group(s, groups, &group);
			strlcpy_s(key, k, sizeof(key));
			group = json_pack("{s:s, s:s, s:s, s:[]}", "key", k, "name", "", "country", "", "records");
		}
		/* The names as typed, from the record's answers. */
		record_kind(s, sqlite3_column_int64(st, 2));
		strlcpy_s(namef, s->name_field, sizeof(namef));
		sqlite3_bind_int64(fst, 1, sqlite3_column_int64(st, 2));
		while ((frc = sqlite3_step(fst)) == SQLITE_ROW) {
			if (namef[0] && !strcmp(db_text(fst, 0), namef))
				name = json_loads(db_text(fst, 1), JSON_DECODE_ANY, NULL);
			else if (!strcmp(db_text(fst, 0), COUNTRY_FIELD))
				country = json_loads(db_text(fst, 1), JSON_DECODE_ANY, NULL);
		}
		sqlite3_reset(fst);
		if (json_array_size(json_object_get(group, "records")) == 0) {
			json_object_set_new(group, "name", json_is_string(name) ? json_incref(name) : json_string(""));
			if (json_is_string(country))
				json_object_set(group, "country", country);
		}
		json_array_append_new(json_object_get(group, "records"),
				      json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", db_text(st, 1), "name",
						json_is_string(name) ? json_string_value(name) : "", "region",
						db_text(st, 3), "created",
						(json_int_t)HLC_MS((uint64_t)sqlite3_column_int64(st, 4)), "review",
						db_text(st, 5)));
		json_decref(name);
		json_decref(country);
	}
	sqlite3_reset(st);
	close_group(s, groups, &group);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(groups);
		return NULL;
	}
	return json_pack("{s:o}", "groups", groups);
}

int sstore_duplicates_dismiss(struct sstore *s, const char *const *records, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_DISMISS];
	size_t i, k;

	if (db_begin(s->db, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++) {
			if (strcmp(records[i], records[k]) >= 0)
				continue;
			db_bind_text(st, 1, records[i]);
			db_bind_text(st, 2, records[k]);
			if (db_step_done(st, err, errlen) < 0) {
				db_rollback(s->db);
				return -1;
			}
		}
	return db_commit(s->db, err, errlen);
}

/* --- The catalog -------------------------------------------------------------------------------------- */

json_t *sstore_regions(struct sstore *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_REGIONS];
	json_t *list = json_array();
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_string(db_text(st, 0)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(s->db, rc, err, errlen);
		json_decref(list);
		return NULL;
	}
	return list;
}

int sstore_form_versions(struct sstore *s, void (*fn)(void *ctx, const char *id, const char *version,
						      const char *json), void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->rst[R_FORM_VERSIONS];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, db_text(st, 0), db_text(st, 1), db_text(st, 2));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s->db, rc, err, errlen);
}
