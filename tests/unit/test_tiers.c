/* test_tiers.c - the convergence property over the three tiers: headquarters, two regional offices (north and
 * south, relays) and a direct region (east), with laptops in each, all making changes in random interleavings,
 * links cut and restored, duplicates and random delivery orders. After everything is healed, every replica of
 * a region (its laptops, its office, headquarters restricted to its records) holds the same values, the same
 * conflicts (head sets per field) and the same history (ops per record); headquarters holds the union, and no op
 * any replica made is missing there.
 *
 * The servers are the real server store (sstore.h). What travels over HTTP in sondeod is replaced by direct
 * calls that do what the handlers and the forwarder do, in the same order, with the same handling of each
 * answer: server_post is POST /v1/changesets (api-changesets.c), office_forward and office_pull are the
 * regional server's forwarder and puller (relay.c), laptop_sync is sondeo sync (client/cmd-sync.c).
 *
 * SONDEO_SOAK_SEEDS=N runs N seeds instead of the default (make soak); SONDEO_SEED=S runs seed S alone and
 * prints its steps, to replay a failure. With SONDEO_TEST_PG (a libpq connection string; tests/cli/pg-engine.sh),
 * headquarters' store is in PostgreSQL: a template database made once, copied for each seed (CREATE DATABASE ...
 * TEMPLATE), the offices and laptops staying on SQLite. */
#include <sqlite3.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "buf.h"
#include "changeset.h"
#include "db.h"
#include "dbstore.h"
#include "hlc.h"
#include "merge.h"
#include "sstore.h"
#include "sstore-relay.h"
#include "sstore-review.h"
#include "sstore-users.h"
#include "test.h"
#include "testop.h"
#include "util.h"

/* Enough for make test to catch a broken rule, which fails most seeds; make soak runs 5,000. */
#define DEFAULT_SEEDS 40
#define STEPS 60                  /* random steps per seed, before healing */
#define MAX_RECORDS 12
#define MAX_OWN 256               /* ops one laptop makes in a seed */
#define NREGIONS 3
#define PER_REGION 3              /* laptops per region, at most */
#define NLAPTOPS (NREGIONS * PER_REGION)
#define HEAL_ROUNDS 12            /* rounds of sync, forward and pull that must reach quiet */
#define PULL_BATCH 16             /* change sets or ops in one pull answer, at most */
#define RELAY_PULL_BYTES ((size_t)8 << 20)
#define RESEND_MAX 4096
#define CS_MAX_BYTES ((size_t)CS_HEADER_BYTES + CS_MAX_BODY + CS_SIG_BYTES)
#define LOG_MAX ((size_t)1 << 20)
#define FORM "partnership"
#define HOUR_MS 3600000LL

static const char *const region_names[NREGIONS] = { "north", "south", "east" };
/* The questions laptops and reviewers edit; level is a select_multiple, the others are text. */
static const char *const fields[] = { "partner_name", "country", "level" };
static const char *const levels[] = { "[\"local\"]", "[\"national\"]", "[\"local\",\"national\"]", "[\"global\"]" };
static const char *const reviews[] = {
	"{\"comment\":\"\",\"status\":\"approved\"}", "{\"comment\":\"check\",\"status\":\"has_issues\"}",
	"{\"comment\":\"duplicate\",\"status\":\"rejected\"}", "{\"comment\":\"\",\"status\":\"pending\"}"
};

static char top[256];                     /* the test's directory in TMPDIR */
static const char *pg;                    /* SONDEO_TEST_PG: headquarters in PostgreSQL */
/* Headquarters' template database, and its copy for the seed being run: named with the process id, as other
 * programs of the run may share the cluster (tests/run.sh). */
static char pg_template[64], pg_seed[64];

/* ---- a VFS without fsync ------------------------------------------------------------------------------------
 * The stores run with synchronous=FULL, which costs a millisecond or more per commit on a disk: most of this
 * test's time. Durability is what other tests prove (kill -9 in the end-to-end scripts); here the default VFS
 * is replaced by the same one whose files skip their syncs. */

static sqlite3_vfs nosync_vfs, *real_vfs;
static struct {
	const sqlite3_io_methods *real;
	sqlite3_io_methods copy;
} nosync_methods[8];

static int nosync_sync(sqlite3_file *f, int flags)
{
	(void)f;
	(void)flags;
	return DB_OK;
}

static int nosync_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out);
	size_t i;

	(void)vfs;
	if (rc != DB_OK || !f->pMethods)
		return rc;
	for (i = 0; i < sizeof(nosync_methods) / sizeof(nosync_methods[0]); i++) {
		if (!nosync_methods[i].real) {
			nosync_methods[i].real = f->pMethods;
			nosync_methods[i].copy = *f->pMethods;
			nosync_methods[i].copy.xSync = nosync_sync;
		}
		if (nosync_methods[i].real == f->pMethods) {
			f->pMethods = &nosync_methods[i].copy;
			break;
		}
	}
	return rc;
}

static int nosync_install(void)
{
	if (!(real_vfs = sqlite3_vfs_find(NULL)))
		return -1;
	nosync_vfs = *real_vfs;
	nosync_vfs.zName = "sondeo-test-nosync";
	nosync_vfs.xOpen = nosync_open;
	return sqlite3_vfs_register(&nosync_vfs, 1) == DB_OK ? 0 : -1;
}

/* ---- the simulation's state ---------------------------------------------------------------------------- */

/* One of this laptop's own ops, with its strings. */
struct own_op {
	struct op op;
	char field[MERGE_MAX_NAME + 1], value[64];
};

struct laptop {
	struct keys *k;                   /* made once for all seeds */
	char id[KEYS_ID_STRLEN + 1], name[16];
	int region;                       /* index in region_names */
	struct db *db;                      /* its replica: the merge tables, in memory */
	struct merge *m;
	struct own_op own[MAX_OWN];       /* own[i] has seq i + 1 */
	uint64_t seq, hlc;
	int64_t skew;                     /* its clock's error */
	uint64_t acked[2], cursor[2];     /* per server: [0] its own (office, or headquarters for east), [1] hq */
};

struct server {
	const char *name;                 /* "hq", "north", "south" */
	char dir[300];
	struct sstore *s;
	struct db *ro;                      /* a read-only connection, for the checks */
	char id[KEYS_ID_STRLEN + 1];
};

struct sim {
	uint64_t seed, rng;
	int verbose, failed;
	struct server hq, office[2];      /* offices of regions 0 and 1 */
	struct laptop *lap[NLAPTOPS];
	size_t nlap;
	char records[MAX_RECORDS][UUID_STRLEN + 1];
	int record_region[MAX_RECORDS];
	size_t nrecords;
	uint64_t moved;                   /* ops new to some replica: healing goes on while this grows */
	uint64_t relay_now;               /* the offices' queue clock */
	struct buf log;                   /* the steps, printed for a replayed seed */
	struct buf notes;                 /* what servers refused and logged, printed with a failure */
	char first[300];                  /* the first failure, for the one-line summary */
};

static struct laptop laptops[NLAPTOPS];
static size_t laptops_per_region[NREGIONS];
static int sim_printed;               /* failing seeds printed in full so far */

static void die(const char *what, const char *err)
{
	printf("not ok setup: %s: %s\n", what, err);
	exit(1);
}

static uint64_t rnd(struct sim *s)
{
	/* splitmix64: the whole seed from the seed number, so that a failure replays. */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rndn(struct sim *s, size_t n)
{
	return n ? (size_t)(rnd(s) % n) : 0;
}

static void step_log(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step_log(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->log, fmt, ap);
	va_end(ap);
	buf_addc(&s->log, '\n');
}

/* A refusal a server logs and goes on from: kept to be printed if the seed fails. */
static void note(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct sim *s, const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Each once: a refusal comes again at every try. */
	if (s->notes.len > 16384 || (s->notes.len && strstr(s->notes.data, line)))
		return;
	buf_printf(&s->notes, "#     %s\n", line);
}

static void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->failed) {
		va_start(ap, fmt);
		vsnprintf(s->first, sizeof(s->first), fmt, ap);
		va_end(ap);
	}
	if (!s->failed++ && sim_printed < 3)
		printf("#   tiers seed %" PRIu64 " failed (SONDEO_SEED=%" PRIu64 " to replay):\n", s->seed, s->seed);
	if (sim_printed < 3 && s->failed <= 12) {
		printf("#     ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

static struct server *office_of(struct sim *s, int region)
{
	return region < 2 ? &s->office[region] : NULL;
}

/* The server a laptop syncs with: its office, or headquarters (tier 1, or a laptop of the direct region). */
static struct server *server_of(struct sim *s, const struct laptop *l, int tier)
{
	return tier || l->region == 2 ? &s->hq : office_of(s, l->region);
}

/* ---- a server's side of an upload: POST /v1/changesets ----------------------------------------------------- */

enum answer { A_OK, A_GAP, A_REFUSED, A_DOWN };

/* Takes change set bytes[0..len) from requester (a device or regional server enrolled at sv) as
 * api_changesets does: who signed the request, the signer (a relay forwards only for devices it vouched for),
 * the signature, by, the body, then the ingest. *expected gets the seq a gap answer names, *next_seq the seq
 * an accepted one's device must send next. */
static enum answer server_post(struct sim *s, struct server *sv, const char *requester, const unsigned char *bytes,
			       size_t len, const char *by, uint64_t *expected, uint64_t *next_seq, char *err,
			       size_t errlen)
{
	struct sstore_device d, relay, signer;
	struct sstore_origin from = { "", "", 0 };
	struct cs_ops ops = { NULL, 0, NULL };
	struct sstore_ingest in;
	struct cs_header h;
	enum answer a = A_REFUSED;
	int relayed = 0, found;

	found = sstore_device_find(sv->s, requester, &d, err, errlen);
	if (found < 0)
		return A_DOWN;
	if (!found || d.upstream)
		return errf(err, errlen, "401 unknown_device: %s is not enrolled at %s", requester, sv->name), A_REFUSED;
	if (d.revoked_ms)
		return errf(err, errlen, "403 revoked"), A_REFUSED;
	if (cs_parse_header(bytes, len, &h, err, errlen) != CS_OK)
		return A_REFUSED;
	if (sodium_memcmp(h.signer, d.pk, KEYS_PK_BYTES) != 0) {
		found = d.relay ? sstore_device_find(sv->s, h.device, &signer, err, errlen) : 0;
		if (found < 0)
			return A_DOWN;
		if (!found || strcmp(signer.via, d.id) || sodium_memcmp(h.signer, signer.pk, KEYS_PK_BYTES) != 0)
			return errf(err, errlen, "403 signer_mismatch: signed by %s, not by %s", h.device, d.id), A_REFUSED;
		if (signer.revoked_ms)
			return errf(err, errlen, "403 revoked: %s", signer.id), A_REFUSED;
		relay = d;
		d = signer;
		relayed = 1;
	}
	if (cs_verify(bytes, len, &h) != CS_OK)
		return errf(err, errlen, "400 bad_signature"), A_REFUSED;
	if (by && (!d.relay || !sstore_user_name_valid(by)))
		return errf(err, errlen, "400 bad_request: by"), A_REFUSED;
	from.via = relayed ? relay.id : "";
	from.author = by ? by : "";
	if (cs_decode(bytes, len, &h, &ops, err, errlen) != CS_OK)
		return A_REFUSED;
	switch (sstore_ingest_from(sv->s, &d, bytes, len, &h, &ops, &from, &in, err, errlen)) {
	case SI_OK:
		s->moved += in.accepted;
		*next_seq = in.next_seq;
		a = A_OK;
		break;
	case SI_GAP:
		*expected = in.expected_seq;
		a = A_GAP;
		break;
	case SI_ERROR:
		a = A_DOWN;
		break;
	case SI_FORBIDDEN: {
		char e2[512];

		snprintf(e2, sizeof(e2), "403 %s: %s", in.code, err);
		strlcpy_s(err, e2, errlen);
		a = A_REFUSED;
		break;
	}
	default:
		a = A_REFUSED;
	}
	cs_ops_release(&ops);
	return a;
}

/* ---- laptops: what sondeo does --------------------------------------------------------------------------- */

/* Empties l's replica (made at its first seed), as a laptop with a new store. */
static void laptop_reset(struct laptop *l)
{
	char err[256];

	merge_free(l->m);
	if (!l->db && (!(l->db = db_open(":memory:", DB_CREATE, err, sizeof(err))) ||
		       merge_schema(l->db, err, sizeof(err)) < 0))
		die("laptop replica", err);
	if (db_exec(l->db, "DELETE FROM op_base; DELETE FROM multi_heads; DELETE FROM fields; DELETE FROM ops;"
		    " DELETE FROM records; DELETE FROM devices;", err, sizeof(err)) < 0 ||
	    !(l->m = merge_open(l->db, err, sizeof(err))))
		die("laptop replica", err);
	l->seq = l->hlc = 0;
	memset(l->acked, 0, sizeof(l->acked));
	memset(l->cursor, 0, sizeof(l->cursor));
}

static void collect_base(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct op *op = ctx;

	(void)hlc;
	(void)value;
	if (op->nbase < MERGE_MAX_BASE) {
		struct op_ref *b = testop_base(op, op->nbase + 1);

		b[op->nbase++] = *id;
	}
}

/* Makes l's ops setting field[i] of rec to value[i], in one transaction as the laptop's store does: each op's
 * base is its field's current heads, so an op on a field in conflict resolves it. */
static void laptop_write(struct sim *s, struct laptop *l, const char *rec, const char *const *field,
			 const char *const *value, size_t n)
{
	struct op ops[4];
	char err[256];
	size_t i;

	if (l->seq + n > MAX_OWN)
		return;
	for (i = 0; i < n; i++) {
		struct own_op *o = &l->own[l->seq];

		memset(o, 0, sizeof(*o));
		strlcpy_s(o->field, field[i], sizeof(o->field));
		strlcpy_s(o->value, value[i], sizeof(o->value));
		strlcpy_s(o->op.device, l->id, sizeof(o->op.device));
		strlcpy_s(o->op.record, rec, sizeof(o->op.record));
		o->op.seq = ++l->seq;
		o->op.hlc = l->hlc = hlc_next(l->hlc, (uint64_t)((int64_t)now_ms() + l->skew));
		o->op.form = FORM;
		o->op.form_version = "2";
		o->op.field = o->field;
		o->op.value = o->value;
		if (merge_heads(l->m, rec, o->field, collect_base, &o->op, err, sizeof(err)) < 0)
			die("merge_heads", err);
		ops[i] = o->op;
		step_log(s, "  %s op %" PRIu64 ": %.8s %s = %s (%zu heads replaced)", l->name, o->op.seq, rec, o->field,
			 o->value, o->op.nbase);
	}
	if (db_begin(l->db, err, sizeof(err)) < 0 || merge_apply_local(l->m, ops, n, err, sizeof(err)) != MERGE_NEW ||
	    db_commit(l->db, err, sizeof(err)) < 0)
		die("laptop write", err);
}

static const char *random_value(struct sim *s, const char *field)
{
	static char ring[8][32];
	static int next;
	char *v = ring[next++ % 8];

	if (!strcmp(field, "level"))
		return levels[rndn(s, 4)];
	/* Few values, so that concurrent edits sometimes agree; a country is one of the form's. */
	if (field[0] == 'c') {
		static const char *const countries[] = { "\"KEN\"", "\"UGA\"", "\"TZA\"", "\"RWA\"", "\"ETH\"" };

		return countries[rndn(s, 5)];
	}
	snprintf(v, sizeof(ring[0]), "\"partner %zu\"", rndn(s, 5));
	return v;
}

/* A new record of l's region, with two first answers. */
static void laptop_create(struct sim *s, struct laptop *l)
{
	const char *f[2] = { "partner_name", "level" }, *v[2];
	char *rec = s->records[s->nrecords];
	uint64_t a = rnd(s), b = rnd(s);

	snprintf(rec, UUID_STRLEN + 1, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-8%03" PRIx64 "-%012" PRIx64,
		 a >> 32, a & 0xffff, (a >> 16) & 0xfff, b >> 52, b & (uint64_t)0xffffffffffff);
	s->record_region[s->nrecords++] = l->region;
	step_log(s, "%s creates %.8s", l->name, rec);
	v[0] = random_value(s, f[0]);
	v[1] = random_value(s, f[1]);
	laptop_write(s, l, rec, f, v, 2);
}

/* A record l holds, or NULL. */
static const char *laptop_known(struct sim *s, struct laptop *l)
{
	struct db_stmt *st = db_prepare(l->db, "SELECT id FROM records WHERE id = ?1", NULL, 0);
	size_t start = rndn(s, s->nrecords + 1), i;
	const char *found = NULL;

	for (i = 0; i < s->nrecords && !found; i++) {
		const char *rec = s->records[(start + i) % s->nrecords];

		db_bind_text(st, 1, rec);
		if (db_step(st) == DB_ROW)
			found = rec;
		db_reset(st);
	}
	db_finalize(st);
	return found;
}

static void laptop_edit(struct sim *s, struct laptop *l, const char *rec, const char *field)
{
	const char *v = random_value(s, field);

	step_log(s, "%s edits %.8s %s", l->name, rec, field);
	laptop_write(s, l, rec, &field, &v, 1);
}

static void laptop_delete(struct sim *s, struct laptop *l, const char *rec)
{
	const char *f = "_deleted", *v = rndn(s, 4) ? "true" : "false";

	step_log(s, "%s %s %.8s", l->name, v[0] == 't' ? "deletes" : "restores", rec);
	laptop_write(s, l, rec, &f, &v, 1);
}

/* Resolves a conflict l sees: a new value whose base names every head. 0 when l sees none. */
static int laptop_resolve(struct sim *s, struct laptop *l)
{
	struct db_stmt *st = db_prepare(l->db, "SELECT r.id, f.field FROM fields f JOIN records r ON r.rid = f.rid"
				      " WHERE f.conflict AND f.field NOT LIKE '\\_%' ESCAPE '\\' ORDER BY 1, 2", NULL, 0);
	char rec[UUID_STRLEN + 1] = "", field[MERGE_MAX_NAME + 1] = "";
	size_t n = 0;

	while (db_step(st) == DB_ROW)
		if (!rndn(s, ++n)) {
			strlcpy_s(rec, db_text(st, 0), sizeof(rec));
			strlcpy_s(field, db_text(st, 1), sizeof(field));
		}
	db_finalize(st);
	if (!n)
		return 0;
	step_log(s, "%s resolves %.8s %s", l->name, rec, field);
	laptop_edit(s, l, rec, field);
	return 1;
}

/* Uploads l's ops that server tier lacks, as sondeo sync does: from the acked seq, a gap answer's seq being
 * what the server needs. cut: the answer to the first upload is lost (the server took it). 0, or -1 when the
 * exchange stops. */
static int laptop_push(struct sim *s, struct laptop *l, int tier, int cut)
{
	struct server *sv = server_of(s, l, tier);
	struct buf cs = BUF_INIT(CS_MAX_BYTES);
	struct op ops[12];
	char err[512];
	int gaps = 0, r = -1;

	for (;;) {
		uint64_t from = l->acked[tier], expected = 0, next = 0;
		size_t n = 0, batch = 1 + rndn(s, sizeof(ops) / sizeof(ops[0]));
		enum answer a;

		while (n < batch && from + n < l->seq) {
			ops[n] = l->own[from + n].op;
			n++;
		}
		if (!n) {
			r = 0;
			break;
		}
		buf_reset(&cs);
		if (cs_encode(l->k, ops, n, &cs, err, sizeof(err)) != CS_OK)
			die("cs_encode", err);
		a = server_post(s, sv, l->id, (unsigned char *)cs.data, cs.len, NULL, &expected, &next, err, sizeof(err));
		step_log(s, "  %s -> %s: seqs %" PRIu64 "..%" PRIu64 ": %s%s", l->name, sv->name, from + 1, from + n,
			 a == A_OK ? "ok" : a == A_GAP ? "gap" : a == A_DOWN ? "down" : "refused",
			 cut ? " (answer lost)" : "");
		if (cut)
			break;
		if (a == A_OK || (a == A_GAP && expected > 0)) {
			if (a == A_GAP && ++gaps > 3)
				break;
			l->acked[tier] = (a == A_OK ? next : expected) - 1;
			continue;
		}
		if (a == A_REFUSED && strncmp(err, "401", 3))
			sim_fail(s, "%s's upload to %s refused: %s", l->name, sv->name, err);
		break;
	}
	buf_release(&cs);
	return r;
}

/* One op of a pull answer, with its strings. */
struct pulled_op {
	struct op op;
	struct op_ref base[MERGE_MAX_BASE];
	char form[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1], field[MERGE_MAX_NAME + 1], value[256];
};

struct op_batch {
	struct pulled_op o[PULL_BATCH];
	size_t n;
};

static int collect_op(void *ctx, const struct op *op, const char *by)
{
	struct op_batch *b = ctx;
	struct pulled_op *p = &b->o[b->n++];

	(void)by;
	p->op = *op;
	if (op->nbase)
		memcpy(p->base, op->base, op->nbase * sizeof(p->base[0]));
	p->op.base = p->base;
	strlcpy_s(p->form, op->form, sizeof(p->form));
	strlcpy_s(p->version, op->form_version, sizeof(p->version));
	strlcpy_s(p->field, op->field, sizeof(p->field));
	strlcpy_s(p->value, op->value, sizeof(p->value));
	p->op.form = p->form;
	p->op.form_version = p->version;
	p->op.field = p->field;
	p->op.value = p->value;
	return 0;
}

/* Receives the region's ops from server tier after l's cursor there, each answer merged in one transaction
 * with its cursor. cut: the first answer is merged but its cursor is not kept (it comes again). */
static int laptop_pull(struct sim *s, struct laptop *l, int tier, int cut)
{
	struct server *sv = server_of(s, l, tier);
	struct op_batch *b = xcalloc(1, sizeof(*b));
	char err[512];
	int more = 1, r = 0;

	while (more) {
		uint64_t next;
		size_t i, fresh = 0;

		b->n = 0;
		if (sstore_pull(sv->s, region_names[l->region], l->id, l->cursor[tier], 1 + (unsigned)rndn(s, PULL_BATCH),
				collect_op, b, &next, &more, err, sizeof(err)) < 0)
			die("sstore_pull", err);
		if (db_begin(l->db, err, sizeof(err)) < 0)
			die("db_begin", err);
		for (i = 0; i < b->n; i++) {
			enum merge_result m = merge_apply(l->m, &b->o[i].op, err, sizeof(err));

			if (m == MERGE_ERROR || m == MERGE_EQUIVOCATION)
				sim_fail(s, "%s: merging op %s:%" PRIu64 " from %s: %s", l->name, b->o[i].op.device,
					 b->o[i].op.seq, sv->name, err);
			fresh += m == MERGE_NEW;
			l->hlc = hlc_observe(l->hlc, b->o[i].op.hlc, (uint64_t)((int64_t)now_ms() + l->skew));
		}
		if (db_commit(l->db, err, sizeof(err)) < 0)
			die("db_commit", err);
		s->moved += fresh;
		step_log(s, "  %s <- %s: %zu ops (%zu new)%s", l->name, sv->name, b->n, fresh,
			 cut ? ", cursor not kept" : "");
		if (cut) {
			r = -1;
			break;
		}
		l->cursor[tier] = next;
	}
	free(b);
	return r;
}

/* sondeo sync with server tier: send, then receive. cut: 1 the upload's answer is lost, 2 the pull's cursor
 * is not kept; either stops the exchange there, as a dropped connection does. */
static void laptop_sync(struct sim *s, struct laptop *l, int tier, int cut)
{
	step_log(s, "%s syncs with %s%s", l->name, server_of(s, l, tier)->name,
		 cut == 1 ? ", upload answer lost" : cut == 2 ? ", pull cut" : "");
	if (laptop_push(s, l, tier, cut == 1) == 0)
		laptop_pull(s, l, tier, cut == 2);
}

/* ---- servers' own changes: reviews, resolutions, corrections ------------------------------------------------ */

/* A record of region (-1: any) that sv holds, or NULL. */
static const char *server_known(struct sim *s, struct server *sv, int region)
{
	char full[UUID_STRLEN + 1], form[MERGE_MAX_NAME + 1], err[256];
	size_t start = rndn(s, s->nrecords + 1), i;

	for (i = 0; i < s->nrecords; i++) {
		size_t k = (start + i) % s->nrecords;

		if ((region < 0 || s->record_region[k] == region) &&
		    sstore_record_find(sv->s, s->records[k], full, form, form, sizeof(form), err, sizeof(err)) == 1)
			return s->records[k];
	}
	return NULL;
}

/* A field in conflict at sv on a record of region (-1: any), into rec and field; 0 if none. */
static int server_conflict(struct sim *s, struct server *sv, int region, char *rec, char *field)
{
	struct db_stmt *st = db_prepare(sv->ro, "SELECT r.id, f.field FROM fields f JOIN records r ON r.rid = f.rid"
				      " WHERE f.conflict ORDER BY 1, 2", NULL, 0);
	size_t n = 0, k;

	while (st && db_step(st) == DB_ROW) {
		for (k = 0; k < s->nrecords; k++)
			if (!strcmp(s->records[k], db_text(st, 0)))
				break;
		if (k == s->nrecords || (region >= 0 && s->record_region[k] != region))
			continue;
		if (!rndn(s, ++n)) {
			strlcpy_s(rec, db_text(st, 0), UUID_STRLEN + 1);
			strlcpy_s(field, db_text(st, 1), MERGE_MAX_NAME + 1);
		}
	}
	db_finalize(st);
	return n > 0;
}

/* A reviewer at sv reviews, resolves or corrects one to three records of region (-1: any), in one call. */
static void server_change(struct sim *s, struct server *sv, int region)
{
	static const char *const users[] = { "rita", "omar" };
	struct sstore_change ch[3];
	char recs[3][UUID_STRLEN + 1], flds[3][MERGE_MAX_NAME + 1], err[512];
	const char *user = users[rndn(s, 2)];
	size_t n = 1 + rndn(s, 3), k = 0, i;

	for (i = 0; i < n; i++) {
		const char *rec;
		size_t what = rndn(s, 3);

		if (what == 0 && server_conflict(s, sv, region, recs[k], flds[k])) {
			ch[k].value = !strcmp(flds[k], "_review") ? reviews[rndn(s, 4)] :
				      !strcmp(flds[k], "_deleted") ? (rndn(s, 2) ? "true" : "false") :
				      random_value(s, flds[k]);
		} else if (!(rec = server_known(s, sv, region))) {
			continue;
		} else {
			strlcpy_s(recs[k], rec, sizeof(recs[k]));
			if (what == 1) {
				strlcpy_s(flds[k], "_review", sizeof(flds[k]));
				ch[k].value = reviews[rndn(s, 4)];
			} else {
				strlcpy_s(flds[k], fields[rndn(s, 3)], sizeof(flds[k]));
				ch[k].value = random_value(s, flds[k]);
			}
		}
		ch[k].record = recs[k];
		ch[k].field = flds[k];
		step_log(s, "%s (%s) sets %.8s %s = %s", sv->name, user, recs[k], flds[k], ch[k].value);
		k++;
	}
	if (k && sstore_change(sv->s, user, ch, k, err, sizeof(err)) < 0)
		sim_fail(s, "%s: sstore_change: %s", sv->name, err);
}

/* ---- the link between an office and headquarters: relay.c without HTTP ------------------------------------ */

/* push_changeset of relay.c: forwards change set id byte for byte; a gap answer resends the device's change
 * sets from the seq headquarters expects, then this one again. lost: the answer is lost after headquarters took
 * it. */
static enum answer forward_changeset(struct sim *s, struct server *off, int64_t id, int depth, int lost, char *err,
				     size_t errlen)
{
	struct buf bytes = BUF_INIT(CS_MAX_BYTES);
	struct sstore_relay_cs c;
	uint64_t expected = 0, next = 0;
	enum answer a;
	int found = sstore_relay_changeset(off->s, id, &bytes, &c, err, errlen);

	if (found <= 0) {
		buf_release(&bytes);
		return found < 0 ? A_DOWN : A_OK;
	}
	/* This server's own change set (its reviewers' work) names its reviewer. */
	a = server_post(s, &s->hq, off->id, (unsigned char *)bytes.data, bytes.len,
			c.author[0] && !strcmp(c.device, off->id) ? c.author : NULL, &expected, &next, err, errlen);
	buf_release(&bytes);
	step_log(s, "  %s => hq: change set %" PRId64 " (%.8s seqs %" PRIu64 "..%" PRIu64 "): %s%s", off->name, id,
		 c.device, c.first, c.last, a == A_OK ? "ok" : a == A_GAP ? "gap" : a == A_DOWN ? "down" : "refused",
		 lost ? " (answer lost)" : "");
	if (lost)
		return A_DOWN;
	if (a != A_GAP || depth > 0)
		return a == A_GAP ? A_REFUSED : a;
	{
		int64_t *ids = xcalloc(RESEND_MAX, sizeof(*ids));
		size_t n = 0, i;

		if (sstore_relay_resend(off->s, c.device, expected, ids, RESEND_MAX, &n, err, errlen) < 0) {
			free(ids);
			return A_DOWN;
		}
		for (i = 0, a = A_OK; i < n && a == A_OK && ids[i] != id; i++)
			a = forward_changeset(s, off, ids[i], depth + 1, 0, err, errlen);
		free(ids);
		if (a != A_OK)
			return a;
	}
	return forward_changeset(s, off, id, depth + 1, 0, err, errlen);
}

/* push_vouch of relay.c: the office's word for one of its devices, taken at headquarters as POST /v1/vouch
 * takes it (the statement's signature is api-vouch.c's business and not at stake here). */
static enum answer forward_vouch(struct sim *s, struct server *off, const char *kind, const char *id, char *err,
				 size_t errlen)
{
	struct sstore_device d, relay, out;
	int r, found = sstore_device_find(off->s, id, &d, err, errlen);

	if (found <= 0)
		return found < 0 ? A_DOWN : A_OK;
	if (sstore_device_find(s->hq.s, off->id, &relay, err, errlen) != 1)
		return A_DOWN;
	r = sstore_vouch(s->hq.s, &relay, strcmp(kind, "revoke") ? AUTH_VOUCH_ENROL : AUTH_VOUCH_REVOKE, d.pk, d.name,
			 d.region, &out, err, errlen);
	step_log(s, "  %s => hq: %s %s: %s", off->name, kind, d.name, r == 0 ? "ok" : r > 0 ? "refused" : "down");
	return r == 0 ? A_OK : r > 0 ? A_REFUSED : A_DOWN;
}

/* push of relay.c: sends what is due in the queue, oldest first, stopping at the first the link fails on. The
 * link is cut after max entries (or, with lost, on the answer to the last of them). */
static void office_forward(struct sim *s, struct server *off, size_t max, int lost)
{
	struct sstore_relay_item it;
	char err[1024], e2[256];
	size_t sent = 0;
	int got;

	step_log(s, "%s forwards (at most %zu%s)", off->name, max, lost ? ", last answer lost" : "");
	while (sent < max && (got = sstore_relay_next(off->s, s->relay_now, &it, err, sizeof(err))) > 0) {
		enum answer a;

		sent++;
		a = !strcmp(it.kind, "changeset") ?
			forward_changeset(s, off, strtoll(it.ref, NULL, 10), 0, lost && sent == max, err, sizeof(err)) :
			forward_vouch(s, off, it.kind, it.ref, err, sizeof(err));
		if (a == A_DOWN)
			return;
		if (a == A_REFUSED) {
			/* Kept, with its error, and tried again later on the backoff schedule. */
			note(s, "headquarters refused %s's %s %s: %s", off->name, it.kind, it.ref, err);
			if (sstore_relay_failed(off->s, it.id, s->relay_now + ((uint64_t)1000 << (it.tries < 8 ? it.tries : 8)),
						err, e2, sizeof(e2)) < 0)
				die("sstore_relay_failed", e2);
			continue;
		}
		if (sstore_relay_done(off->s, it.id, err, sizeof(err)) < 0)
			die("sstore_relay_done", err);
	}
}

struct cs_batch {
	struct buf bytes[PULL_BATCH];
	char by[PULL_BATCH][SSTORE_MAX_NAME + 1], name[PULL_BATCH][SSTORE_MAX_NAME + 1];
	uint64_t at[PULL_BATCH];
	size_t n;
};

static int collect_cs(void *ctx, const unsigned char *bytes, size_t len, const char *author, const char *name,
		      uint64_t at)
{
	struct cs_batch *b = ctx;

	if (b->n == PULL_BATCH)
		return -1;
	buf_init(&b->bytes[b->n], CS_MAX_BYTES);
	buf_add(&b->bytes[b->n], bytes, len);
	strlcpy_s(b->by[b->n], author, sizeof(b->by[0]));
	strlcpy_s(b->name[b->n], name, sizeof(b->name[0]));
	b->at[b->n] = at;
	b->n++;
	return 0;
}

/* pull of relay.c: takes the region's change sets from headquarters, in order, until there are no more. The
 * cursor moves only past what was taken: a change set refused here holds the pull before it (tried again at
 * the next pull); an equivocation is counted on its device and passed. answers: the link is cut after that many
 * answers; cut: the last answer is taken but its cursor not kept. */
static void office_pull(struct sim *s, struct server *off, int region, size_t answers, int cut)
{
	struct cs_batch *b = xcalloc(1, sizeof(*b));
	char err[1024], e2[1024];
	int more = 1, held = 0;

	step_log(s, "%s pulls (%s%s)", off->name, answers == SIZE_MAX ? "everything" : "one answer",
		 cut ? ", last cursor lost" : "");
	while (more && !held && answers--) {
		struct sstore_device relay;
		uint64_t next, taken = sstore_relay_cursor(off->s);
		size_t i;

		if (sstore_device_find(s->hq.s, off->id, &relay, err, sizeof(err)) != 1)
			die("relay at hq", err);
		b->n = 0;
		if (sstore_relay_pull(s->hq.s, &relay, taken, 1 + (unsigned)rndn(s, PULL_BATCH), RELAY_PULL_BYTES,
				      collect_cs, b, &next, &more, err, sizeof(err)) < 0)
			die("sstore_relay_pull", err);
		for (i = 0; i < b->n; i++) {
			struct sstore_ingest in;
			enum sstore_ingest_status st = SI_OK;

			if (!held)
				st = sstore_relay_take(off->s, (unsigned char *)b->bytes[i].data, b->bytes[i].len, b->by[i],
						       b->name[i], region_names[region], &in, err, sizeof(err));
			buf_release(&b->bytes[i]);
			if (held)
				continue;
			step_log(s, "  %s <= hq: change set of %s%s%s: %s", off->name,
				 b->name[i][0] ? b->name[i] : "headquarters", b->by[i][0] ? " by " : "", b->by[i],
				 st == SI_OK ? "ok" : err);
			if (st == SI_ERROR)
				die("sstore_relay_take", err);
			if (st == SI_OK)
				s->moved += in.accepted;
			if (st == SI_EQUIVOCATION)
				note(s, "%s passed an equivocating change set from headquarters: %s", off->name, err);
			if (st != SI_OK && st != SI_EQUIVOCATION) {
				snprintf(e2, sizeof(e2), "a change set from headquarters was refused here: %.900s", err);
				note(s, "%s: %s", off->name, e2);
				held = 1;
			} else if (b->at[i] > 0) {
				taken = b->at[i];
			}
		}
		if (cut && (!answers || !more || held))
			break;
		if (sstore_relay_cursor_set(off->s, held ? taken : next, held ? e2 : NULL, err, sizeof(err)) < 0)
			die("sstore_relay_cursor_set", err);
	}
	free(b);
}

/* ---- setup: the stores made once, copied for each seed ---------------------------------------------------- */

static int accept_mac(void *ctx, const unsigned char key[32])
{
	(void)ctx;
	(void)key;
	return 0;
}

/* Enrols key pk at store s in region (as a relay with relay). */
static void enrol(struct sstore *s, const unsigned char *pk, const char *name, const char *region, int relay)
{
	char shown[32], code[AUTH_CODE_LEN + 1], id[AUTH_CODE_ID_LEN + 1], err[256];
	struct sstore_device d;

	if ((relay ? sstore_relay_code_new(s, region, 0, shown, sizeof(shown), err, sizeof(err)) :
		     sstore_code_new(s, region, 1, 0, shown, sizeof(shown), err, sizeof(err))) < 0 ||
	    auth_code_normalize(shown, code, err, sizeof(err)) < 0 || auth_code_id(code, id) < 0 ||
	    (relay ? sstore_relay_enrol : sstore_enrol)(s, id, accept_mac, NULL, pk, name, &d, err, sizeof(err)) < 0)
		die("enrol", err);
}

/* pg's connection string naming database name instead, into out. */
static void pg_named(char *out, size_t n, const char *name)
{
	/* libpq takes the last of a keyword given twice. */
	snprintf(out, n, "%s dbname=%s", pg, name);
}

/* Runs the statement fmt makes outside any transaction in pg's own database (CREATE DATABASE cannot run inside
 * one). */
static void pg_admin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pg_admin(const char *fmt, ...)
{
	char err[512], sql[256];
	struct db *db = db_open_pg(pg, err, sizeof(err));
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);

	if (!db || db_exec(db, sql, err, sizeof(err)) < 0)
		die(sql, err);
	db_close(db);
}

static const char *const server_names[3] = { "hq", "north", "south" };
static const char *const store_files[] = { "server.db", "server.key", "server.pub" };

/* The template stores: headquarters; the two offices enrolled at it as relays, their laptops enrolled at them
 * (headquarters learns of those when the office forwards its queue: that is left to each seed); the direct
 * region's laptops enrolled at headquarters. */
static void make_templates(void)
{
	struct sstore *st[3];
	char path[400], password[64], err[512], hexkey[2 * KEYS_PK_BYTES + 1], conninfo[1024];
	size_t i, r;

	if (pg) {
		snprintf(pg_template, sizeof(pg_template), "sondeo_tiers_template_%ld", (long)getpid());
		snprintf(pg_seed, sizeof(pg_seed), "sondeo_tiers_seed_%ld", (long)getpid());
		pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_seed);
		pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_template);
		pg_admin("CREATE DATABASE %s", pg_template);
		pg_named(conninfo, sizeof(conninfo), pg_template);
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/template/%s", top, server_names[i]);
		if (sstore_init(path, pg && i == 0 ? conninfo : NULL, password, sizeof(password), err, sizeof(err)) < 0 ||
		    !(st[i] = sstore_open(path, err, sizeof(err))))
			die("sstore_init", err);
	}
	sodium_bin2hex(hexkey, sizeof(hexkey), keys_public(sstore_keys(st[0])), KEYS_PK_BYTES);
	for (i = 1; i < 3; i++) {
		struct sstore_upstream up;

		enrol(st[0], keys_public(sstore_keys(st[i])), server_names[i], region_names[i - 1], 1);
		memset(&up, 0, sizeof(up));
		strlcpy_s(up.url, "http://127.0.0.1:1", sizeof(up.url));
		strlcpy_s(up.key, hexkey, sizeof(up.key));
		strlcpy_s(up.region, region_names[i - 1], sizeof(up.region));
		if (sstore_upstream_set(st[i], &up, err, sizeof(err)) < 0)
			die("sstore_upstream_set", err);
	}
	/* Two or three laptops per region. */
	laptops_per_region[0] = 3;
	laptops_per_region[1] = 2;
	laptops_per_region[2] = 3;
	for (r = 0, i = 0; r < NREGIONS; r++) {
		size_t j;

		for (j = 0; j < laptops_per_region[r]; j++, i++) {
			struct laptop *l = &laptops[i];
			char sk[400], pk[400];

			snprintf(l->name, sizeof(l->name), "%c%u", region_names[r][0], (unsigned)(j + 1) % 10);
			snprintf(sk, sizeof(sk), "%s/template/%s.key", top, l->name);
			snprintf(pk, sizeof(pk), "%s/template/%s.pub", top, l->name);
			if (keys_generate(sk, pk, err, sizeof(err)) < 0 || !(l->k = keys_load(sk, err, sizeof(err))))
				die("laptop keys", err);
			keys_id(keys_public(l->k), l->id);
			l->region = (int)r;
			enrol(r < 2 ? st[r + 1] : st[0], keys_public(l->k), l->name, region_names[r], 0);
		}
	}
	for (i = 0; i < 3; i++)
		sstore_close(st[i]);
}

static void copy_file(const char *from, const char *to)
{
	static char chunk[1 << 16];
	int in = open(from, O_RDONLY), out;
	ssize_t n = 0;

	unlink(to);
	if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		die("copy", from);
	while ((n = read(in, chunk, sizeof(chunk))) > 0)
		if (write(out, chunk, (size_t)n) != n)
			die("write", to);
	if (n < 0 || close(out) < 0)
		die("copy", to);
	close(in);
}

/* Opens a fresh copy of template store i as sv. */
static void server_open(struct server *sv, size_t i)
{
	char from[400], to[400], err[512], conninfo[1024];
	size_t f;

	sv->name = server_names[i];
	snprintf(sv->dir, sizeof(sv->dir), "%s/seed/%s", top, server_names[i]);
	if (mkdir(sv->dir, 0700) < 0 && errno != EEXIST)
		die("mkdir", sv->dir);
	/* store_files[0], the database file, is not there when headquarters is in PostgreSQL. */
	for (f = pg && i == 0; f < sizeof(store_files) / sizeof(store_files[0]); f++) {
		snprintf(from, sizeof(from), "%s/template/%s/%s", top, server_names[i], store_files[f]);
		snprintf(to, sizeof(to), "%s/%s", sv->dir, store_files[f]);
		copy_file(from, to);
	}
	if (pg && i == 0) {
		/* A fresh copy of the template database, named in the seed's store.conf. */
		pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_seed);
		pg_admin("CREATE DATABASE %s TEMPLATE %s", pg_seed, pg_template);
		pg_named(conninfo, sizeof(conninfo), pg_seed);
		snprintf(to, sizeof(to), "%s/store.conf", sv->dir);
		unlink(to);
		if (dbstore_conf_write(sv->dir, conninfo, err, sizeof(err)) < 0)
			die("store.conf", err);
	}
	if (!(sv->s = sstore_open(sv->dir, err, sizeof(err))))
		die("sstore_open", err);
	snprintf(to, sizeof(to), "%s/server.db", sv->dir);
	if (!(sv->ro = pg && i == 0 ? db_open_pg(conninfo, err, sizeof(err)) : db_open(to, DB_READONLY, err, sizeof(err))))
		die("open read-only", err);
	keys_id(keys_public(sstore_keys(sv->s)), sv->id);
}

static void server_close(struct server *sv)
{
	db_close(sv->ro);
	sstore_close(sv->s);
	sv->ro = NULL;
	sv->s = NULL;
}

/* ---- the checks ------------------------------------------------------------------------------------------ */

/* What a replica holds of the records of region (-1: every record of the seed), one line each, sorted:
 *   R|record|form version|deleted|conflicts
 *   F|record|field|value|hlc|device|conflict       the value shown
 *   H|record|field|device:seq                      the heads
 *   O|record|device:seq|hlc|field|value|base       the history
 * A record's dates are not among them: a server dates a record no later than it received its ops (a device's
 * clock is a hint), so each server's depend on when things reached it; laptops' are compared with dates().
 * Caller frees. */
static char *dump(struct sim *s, struct db *db, int region)
{
	static const char *const sql[] = {
		"SELECT 'R|' || r.id || '|' || r.form_version || '|' || r.deleted || '|' || r.conflicts FROM records r"
		" WHERE r.id = ?1",
		"SELECT 'F|' || r.id || '|' || f.field || '|' || f.value || '|' || f.hlc || '|' || d.id || '|' || f.conflict"
		" FROM fields f JOIN records r ON r.rid = f.rid JOIN devices d ON d.did = f.did WHERE r.id = ?1"
		" ORDER BY 1",
		"SELECT 'H|' || r.id || '|' || h.field || '|' || d.id || ':' || o.seq FROM heads h"
		" JOIN records r ON r.rid = h.rid JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did"
		" WHERE r.id = ?1 ORDER BY 1",
		"SELECT 'O|' || r.id || '|' || d.id || ':' || o.seq || '|' || o.hlc || '|' || o.field || '|' || "
		MERGE_OP_VALUE("o")
		" || '|' || coalesce((SELECT group_concat(x, ',') FROM (SELECT bd.id || ':' || b.seq AS x FROM op_base b"
		" JOIN devices bd ON bd.did = b.did WHERE b.op = o.id ORDER BY 1) AS bx), '')"
		" FROM ops o JOIN records r ON r.rid = o.rid JOIN devices d ON d.did = o.did WHERE r.id = ?1 ORDER BY 1",
	};
	struct buf b = BUF_INIT((size_t)16 << 20);
	struct db_stmt *st[4];
	char err[256];
	size_t i, q;

	for (q = 0; q < 4; q++)
		if (!(st[q] = db_prepare(db, sql[q], err, sizeof(err))))
			die("dump", err);
	for (q = 0; q < 4; q++)
		for (i = 0; i < s->nrecords; i++) {
			if (region >= 0 && s->record_region[i] != region)
				continue;
			db_bind_text(st[q], 1, s->records[i]);
			while (db_step(st[q]) == DB_ROW)
				buf_printf(&b, "%s\n", db_text(st[q], 0));
			db_reset(st[q]);
		}
	for (q = 0; q < 4; q++)
		db_finalize(st[q]);
	return buf_detach(&b, NULL);
}

/* A laptop's dates of the records of region, which come from the ops' stamps alone and so are the same on every
 * laptop of the region. Caller frees. */
static char *dates(struct sim *s, struct db *db, int region)
{
	struct db_stmt *st = db_prepare(db, "SELECT 'D|' || id || '|' || created || '|' || updated FROM records"
				      " WHERE id = ?1", NULL, 0);
	struct buf b = BUF_INIT((size_t)1 << 20);
	size_t i;

	if (!st)
		die("dates", db_errmsg(db));
	for (i = 0; i < s->nrecords; i++) {
		if (s->record_region[i] != region)
			continue;
		db_bind_text(st, 1, s->records[i]);
		while (db_step(st) == DB_ROW)
			buf_printf(&b, "%s\n", db_text(st, 0));
		db_reset(st);
	}
	db_finalize(st);
	return buf_detach(&b, NULL);
}

/* 1 if the text lines holds the line p[0..n). */
static int has_line(const char *lines, const char *p, size_t n)
{
	const char *q, *e;

	for (q = lines; *q; q = e + 1) {
		e = strchr(q, '\n');
		if ((size_t)(e - q) == n && !memcmp(q, p, n))
			return 1;
	}
	return 0;
}

/* Prints the lines of a that b lacks (-) and those of b that a lacks (+), at most 12 of each. */
static void print_diff(const char *a, const char *b)
{
	const char *p, *e;
	int side, shown;

	for (side = 0; side < 2; side++)
		for (p = side ? b : a, shown = 0; *p && shown < 12; p = e + 1) {
			e = strchr(p, '\n');
			if (!has_line(side ? a : b, p, (size_t)(e - p))) {
				printf("#       %c %.*s\n", side ? '+' : '-', (int)(e - p), p);
				shown++;
			}
		}
}

static long long count_of(struct db *db, const char *sql, const char *arg)
{
	struct db_stmt *st = db_prepare(db, sql, NULL, 0);
	long long v = -1;

	if (st && arg)
		db_bind_text(st, 1, arg);
	if (st && db_step(st) == DB_ROW)
		v = db_int(st, 0);
	db_finalize(st);
	return v;
}

static void compare(struct sim *s, const char *what, const char *ref, const char *got)
{
	if (!strcmp(ref, got))
		return;
	sim_fail(s, "%s differs from headquarters (- only at headquarters, + only at %s):", what, what);
	if (sim_printed < 3 && s->failed <= 12)
		print_diff(ref, got);
}

static void check(struct sim *s)
{
	static const char ops_of[] = "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = ?1";
	size_t i;
	int r, o;

	for (r = 0; r < NREGIONS; r++) {
		char *ref = dump(s, s->hq.ro, r), *got, *first_dates = NULL;

		for (i = 0; i < s->nlap; i++) {
			char what[64];

			if (s->lap[i]->region != r)
				continue;
			snprintf(what, sizeof(what), "laptop %s", s->lap[i]->name);
			got = dump(s, s->lap[i]->db, r);
			compare(s, what, ref, got);
			free(got);
			got = dates(s, s->lap[i]->db, r);
			if (!first_dates)
				first_dates = got;
			else {
				if (strcmp(first_dates, got)) {
					sim_fail(s, "laptop %s's dates differ from its region's first laptop's:", s->lap[i]->name);
					if (sim_printed < 3 && s->failed <= 12)
						print_diff(first_dates, got);
				}
				free(got);
			}
			if (count_of(s->lap[i]->db, "SELECT count(*) FROM records", NULL) !=
			    count_of(s->hq.ro, "SELECT count(*) FROM records r JOIN record_regions g ON g.rid = r.rid"
				     " WHERE g.region = ?1", region_names[r]))
				sim_fail(s, "laptop %s holds records of another region", s->lap[i]->name);
		}
		if (office_of(s, r)) {
			struct server *off = office_of(s, r);

			got = dump(s, off->ro, r);
			compare(s, off->name, ref, got);
			free(got);
			if (count_of(off->ro, "SELECT count(*) FROM records", NULL) !=
			    count_of(s->hq.ro, "SELECT count(*) FROM records r JOIN record_regions g ON g.rid = r.rid"
				     " WHERE g.region = ?1", region_names[r]))
				sim_fail(s, "office %s holds records of another region", off->name);
		}
		free(ref);
		free(first_dates);
	}
	/* Headquarters holds the union: every record, of the region it was made in, and nothing else. */
	if (count_of(s->hq.ro, "SELECT count(*) FROM records", NULL) != (long long)s->nrecords)
		sim_fail(s, "headquarters holds %lld records, %zu were made",
			 count_of(s->hq.ro, "SELECT count(*) FROM records", NULL), s->nrecords);
	for (i = 0; i < s->nrecords; i++) {
		char *st = NULL;
		struct db_stmt *q = db_prepare(s->hq.ro, "SELECT g.region FROM records r JOIN record_regions g"
					     " ON g.rid = r.rid WHERE r.id = ?1", NULL, 0);

		db_bind_text(q, 1, s->records[i]);
		if (db_step(q) == DB_ROW)
			st = xstrdup(db_text(q, 0));
		db_finalize(q);
		if (!st || strcmp(st, region_names[s->record_region[i]]))
			sim_fail(s, "record %.8s is of region %s at headquarters, made in %s", s->records[i],
				 st ? st : "(none)", region_names[s->record_region[i]]);
		free(st);
	}
	/* No op lost: every op a laptop or an office made is at headquarters. */
	for (i = 0; i < s->nlap; i++)
		if (count_of(s->hq.ro, ops_of, s->lap[i]->id) != (long long)s->lap[i]->seq)
			sim_fail(s, "headquarters holds %lld ops of laptop %s, which made %" PRIu64,
				 count_of(s->hq.ro, ops_of, s->lap[i]->id), s->lap[i]->name, s->lap[i]->seq);
	for (o = 0; o < 2; o++)
		if (count_of(s->hq.ro, ops_of, s->office[o].id) != count_of(s->office[o].ro, ops_of, s->office[o].id))
			sim_fail(s, "headquarters holds %lld ops of office %s, which made %lld",
				 count_of(s->hq.ro, ops_of, s->office[o].id), s->office[o].name,
				 count_of(s->office[o].ro, ops_of, s->office[o].id));
}

/* ---- one seed ---------------------------------------------------------------------------------------------- */

/* A laptop tries what only others may do: a review (only servers review), or an op on a record of another region
 * (sent to headquarters, which holds it). Either is refused with 403 and changes nothing at the server, and the
 * laptop keeps no such op: its next op takes the same seq with other content, which the server must take. Tried
 * only when the server holds every op of the laptop, so that the attempt's seq is the one it expects. */
static void laptop_forbidden(struct sim *s, struct laptop *l)
{
	int review = (int)rndn(s, 2), tier = review || l->region == 2 ? 0 : 1, region;
	struct server *sv = server_of(s, l, tier);
	struct sstore_device before, after;
	struct buf cs = BUF_INIT(CS_MAX_BYTES);
	const char *rec, *want = review ? "403 not_allowed" : "403 wrong_region";
	uint64_t expected = 0, next = 0;
	char *was, *now, err[1024];
	struct op op;
	enum answer a;
	size_t k;

	if (l->acked[tier] != l->seq)
		laptop_sync(s, l, tier, 0);
	if (l->acked[tier] != l->seq || sstore_device_find(sv->s, l->id, &before, err, sizeof(err)) != 1)
		return;
	rec = review ? laptop_known(s, l) : server_known(s, &s->hq, (l->region + 1 + (int)rndn(s, 2)) % NREGIONS);
	if (!rec)
		return;
	for (k = 0; strcmp(s->records[k], rec); k++)
		;
	region = s->record_region[k];
	memset(&op, 0, sizeof(op));
	strlcpy_s(op.device, l->id, sizeof(op.device));
	strlcpy_s(op.record, rec, sizeof(op.record));
	op.seq = l->seq + 1;
	op.hlc = l->hlc = hlc_next(l->hlc, (uint64_t)((int64_t)now_ms() + l->skew));
	op.form = FORM;
	op.form_version = "2";
	op.field = review ? "_review" : fields[rndn(s, 3)];
	op.value = review ? reviews[0] : random_value(s, op.field);
	if (review && merge_heads(l->m, rec, op.field, collect_base, &op, err, sizeof(err)) < 0)
		die("merge_heads", err);
	if (cs_encode(l->k, &op, 1, &cs, err, sizeof(err)) != CS_OK)
		die("cs_encode", err);
	was = dump(s, sv->ro, region);
	a = server_post(s, sv, l->id, (unsigned char *)cs.data, cs.len, NULL, &expected, &next, err, sizeof(err));
	now = dump(s, sv->ro, region);
	step_log(s, "%s tries %s %.8s (%s) at %s: %s", l->name, review ? "to review" : "to write", rec,
		 region_names[region], sv->name, err);
	if (!(a == A_REFUSED && !strncmp(err, want, strlen(want))))
		sim_fail(s, "%s's %s of %.8s (%s) at %s: answered %d (%s), expected %s", l->name,
			 review ? "review" : "op", rec, region_names[region], sv->name, (int)a, a == A_OK ? "taken" : err,
			 want);
	if (strcmp(was, now))
		sim_fail(s, "%s's refused %s changed %s's records", l->name, review ? "review" : "op", sv->name);
	if (sstore_device_find(sv->s, l->id, &after, err, sizeof(err)) != 1 || after.next_seq != before.next_seq)
		sim_fail(s, "%s's refused %s moved its next seq at %s", l->name, review ? "review" : "op", sv->name);
	free(was);
	free(now);
	buf_release(&cs);
}

/* Two laptops of one region change the same field of a record both hold, without seeing each other. */
static int concurrent_edit(struct sim *s, struct laptop *a)
{
	const char *rec = laptop_known(s, a), *field = fields[rndn(s, 3)];
	size_t i, start = rndn(s, s->nlap);

	if (!rec)
		return 0;
	for (i = 0; i < s->nlap; i++) {
		struct laptop *b = s->lap[(start + i) % s->nlap];
		struct db_stmt *st;
		int holds;

		if (b == a || b->region != a->region)
			continue;
		st = db_prepare(b->db, "SELECT 1 FROM records WHERE id = ?1", NULL, 0);
		db_bind_text(st, 1, rec);
		holds = db_step(st) == DB_ROW;
		db_finalize(st);
		if (!holds)
			continue;
		step_log(s, "%s and %s edit %.8s %s concurrently", a->name, b->name, rec, field);
		laptop_edit(s, a, rec, field);
		laptop_edit(s, b, rec, field);
		return 1;
	}
	return 0;
}

static void sim_step(struct sim *s)
{
	struct laptop *l = s->lap[rndn(s, s->nlap)];
	size_t what = rndn(s, 100);
	const char *rec;

	s->relay_now += 1 + rndn(s, 3000);
	if (what < 12) {
		if (s->nrecords < MAX_RECORDS)
			laptop_create(s, l);
	} else if (what < 24) {
		if ((rec = laptop_known(s, l)))
			laptop_edit(s, l, rec, fields[rndn(s, 3)]);
	} else if (what < 32) {
		concurrent_edit(s, l);
	} else if (what < 37) {
		laptop_resolve(s, l);
	} else if (what < 40) {
		if ((rec = laptop_known(s, l)))
			laptop_delete(s, l, rec);
	} else if (what < 43) {
		laptop_forbidden(s, l);
	} else if (what < 60) {
		/* A relayed region's laptop sometimes reaches headquarters instead, its office being down. */
		int tier = l->region < 2 && !rndn(s, 4);
		size_t cut = rndn(s, 6);

		laptop_sync(s, l, tier, cut < 2 ? (int)cut + 1 : 0);
	} else if (what < 66) {
		server_change(s, &s->hq, -1);
	} else if (what < 72) {
		int r = (int)rndn(s, 2);

		server_change(s, &s->office[r], r);
	} else if (what < 86) {
		int r = (int)rndn(s, 2), again = !rndn(s, 5);

		/* Everything, or part of the queue (the link cut), the last answer sometimes lost; now and then twice
		 * in a row. */
		do
			office_forward(s, &s->office[r], rndn(s, 2) ? SIZE_MAX : 1 + rndn(s, 3), !rndn(s, 4));
		while (again--);
	} else {
		int r = (int)rndn(s, 2), again = !rndn(s, 5);

		do
			office_pull(s, &s->office[r], r, rndn(s, 2) ? SIZE_MAX : 1, !rndn(s, 4));
		while (again--);
	}
}

/* Syncs, forwards and pulls everywhere until a round moves nothing; 0 when quiet. */
static int heal(struct sim *s)
{
	int round, o;
	size_t i;

	step_log(s, "-- healing");
	for (round = 0; round < HEAL_ROUNDS; round++) {
		uint64_t before = s->moved;
		int queued = 0;

		/* Refused entries wait on their backoff: let it pass. */
		s->relay_now += (uint64_t)24 * HOUR_MS;
		for (i = 0; i < s->nlap; i++)
			laptop_sync(s, s->lap[i], 0, 0);
		for (o = 0; o < 2; o++) {
			struct sstore_relay_status st;
			char err[256];

			office_forward(s, &s->office[o], SIZE_MAX, 0);
			office_pull(s, &s->office[o], o, SIZE_MAX, 0);
			if (sstore_relay_status(s->office[o].s, &st, err, sizeof(err)) < 0)
				die("sstore_relay_status", err);
			queued += st.changesets + st.vouches > 0;
		}
		if (s->moved == before && !queued && round > 0)
			break;
	}
	for (o = 0; o < 2; o++) {
		struct sstore_relay_status st;
		char err[256];

		if (sstore_relay_status(s->office[o].s, &st, err, sizeof(err)) < 0)
			die("sstore_relay_status", err);
		if (st.held[0])
			sim_fail(s, "%s's pull from headquarters is held: %s", s->office[o].name, st.held);
		if (st.changesets + st.vouches)
			sim_fail(s, "%s's queue still holds %" PRIu64 " entries: %s", s->office[o].name,
				 st.changesets + st.vouches, st.refusal);
	}
	return round < HEAL_ROUNDS ? 0 : -1;
}

static int sim_run(uint64_t seed, int verbose)
{
	struct sim *s = xcalloc(1, sizeof(*s));
	size_t i, step, off_clock;
	int failed;

	s->seed = seed;
	s->rng = seed;
	s->verbose = verbose;
	buf_init(&s->log, LOG_MAX);
	buf_init(&s->notes, LOG_MAX);
	s->relay_now = now_ms();
	server_open(&s->hq, 0);
	server_open(&s->office[0], 1);
	server_open(&s->office[1], 2);
	off_clock = rndn(s, NLAPTOPS);
	for (i = 0; i < NLAPTOPS && laptops[i].k; i++) {
		struct laptop *l = &laptops[i];

		laptop_reset(l);
		/* One clock an hour off, either way; the others within a few ms. */
		l->skew = i == off_clock ? (rndn(s, 2) ? 1 : -1) * HOUR_MS : (int64_t)rndn(s, 4);
		s->lap[s->nlap++] = l;
	}
	for (step = 0; step < STEPS; step++)
		sim_step(s);
	if (heal(s) < 0)
		sim_fail(s, "still moving after %d rounds of healing", HEAL_ROUNDS);
	check(s);
	failed = s->failed;
	/* The first failing seeds in full, the next ones a line each. */
	if (failed && sim_printed < 3) {
		if (s->notes.len)
			printf("#     what the servers refused on the way:\n%s", s->notes.data);
	} else if (failed && sim_printed < 40) {
		char *nl = s->notes.len ? strchr(s->notes.data + 6, '\n') : NULL;

		printf("#   tiers seed %" PRIu64 " failed: %s%s%.*s\n", seed, s->first, nl ? "; refused on the way: " : "",
		       nl ? (int)(nl - s->notes.data - 6) : 0, nl ? s->notes.data + 6 : "");
	}
	sim_printed += failed != 0;
	if (verbose)
		printf("%s", s->log.data);
	server_close(&s->hq);
	server_close(&s->office[0]);
	server_close(&s->office[1]);
	buf_release(&s->log);
	buf_release(&s->notes);
	free(s);
	return failed;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return dflt;
	n = strtoull(v, &end, 10);
	if (*end)
		die(name, "not a number");
	return n;
}

static void test_three_tiers_converge(void)
{
	uint64_t seeds = env_u64("SONDEO_SOAK_SEEDS", DEFAULT_SEEDS), only = env_u64("SONDEO_SEED", 0);
	uint64_t seed, first = only ? only : 1, last = only ? only : seeds, bad = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (seed = first; seed <= last; seed++)
		if (sim_run(seed, only != 0))
			bad++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# tiers: seeds %" PRIu64 "..%" PRIu64 ": %" PRIu64 " failed, %.1f s\n", first, last, bad,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK_INT(bad, 0);
}

int main(void)
{
	char path[400];
	size_t i;
	int rc;

	if (sodium_init() < 0 || nosync_install() < 0)
		return 1;
	snprintf(top, sizeof(top), "%s/sondeo-tiers.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		die("mkdtemp", strerror(errno));
	snprintf(path, sizeof(path), "%s/template", top);
	if (mkdir(path, 0700) < 0)
		die("mkdir", path);
	snprintf(path, sizeof(path), "%s/seed", top);
	if (mkdir(path, 0700) < 0)
		die("mkdir", path);
	pg = getenv("SONDEO_TEST_PG");
	printf("# headquarters' engine: %s\n", pg ? "postgresql" : "sqlite");
	make_templates();
	RUN(test_three_tiers_converge);
	if (pg) {
		pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_seed);
		pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_template);
	}
	for (i = 0; i < NLAPTOPS && laptops[i].k; i++) {
		merge_free(laptops[i].m);
		db_close(laptops[i].db);
		keys_free(laptops[i].k);
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	rc = system(path);
	(void)rc;
	return test_done();
}
