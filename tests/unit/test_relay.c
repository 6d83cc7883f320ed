/* test_relay.c - what the two tiers keep of their link (sstore-relay.c): a regional server queues, in the
 * transaction that accepts it, every change set and every enrolment or revocation to vouch for, and nothing
 * before it is a relay, nothing that came down from headquarters; headquarters' pull for a relay leaves out
 * what the relay forwarded or made, and its own change sets hold one region each; a change set that comes down
 * is verified, makes its unknown signer a device known only through headquarters, and is not queued back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "changeset.h"
#include "sstore.h"
#include "sstore-relay.h"
#include "sstore-review.h"
#include "test.h"
#include "teststore.h"
#include "util.h"

static char dir[256];
static struct sstore *hq, *reg;
static struct keys *kn, *kh;              /* a laptop of the regional server; one enrolled at headquarters */
static struct sstore_device relay_at_hq, dn, dn_at_hq, dh;
static char rec[UUID_STRLEN + 1], rec_south[UUID_STRLEN + 1];

static int accept_mac(void *ctx, const unsigned char key[32])
{
	(void)ctx;
	(void)key;
	return 0;
}

static struct keys *make_keys(const char *name)
{
	char sk[512], pk[512], err[256];

	snprintf(sk, sizeof(sk), "%s/%s.key", dir, name);
	snprintf(pk, sizeof(pk), "%s/%s.pub", dir, name);
	if (keys_generate(sk, pk, err, sizeof(err)) < 0)
		return NULL;
	return keys_load(sk, err, sizeof(err));
}

/* Enrols key pk at store s in region (a relay with relay). */
static int enrol(struct sstore *s, const unsigned char *pk, const char *name, const char *region, int relay,
		 struct sstore_device *d)
{
	char shown[32], code[AUTH_CODE_LEN + 1], id[AUTH_CODE_ID_LEN + 1], err[256];

	if ((relay ? sstore_relay_code_new(s, region, 0, shown, sizeof(shown), err, sizeof(err)) :
		     sstore_code_new(s, region, 1, 0, shown, sizeof(shown), err, sizeof(err))) < 0 ||
	    auth_code_normalize(shown, code, err, sizeof(err)) < 0 || auth_code_id(code, id) < 0)
		return -1;
	return (relay ? sstore_relay_enrol : sstore_enrol)(s, id, accept_mac, NULL, pk, name, d, err, sizeof(err));
}

/* Device k's op seq setting field of record r to value. */
static void mkop(struct op *op, const struct keys *k, const char *r, uint64_t seq, const char *field,
		 const char *value)
{
	memset(op, 0, sizeof(*op));
	keys_id(keys_public(k), op->device);
	op->seq = seq;
	op->hlc = ((uint64_t)1700000000000 << 16) + seq;
	strlcpy_s(op->record, r, sizeof(op->record));
	op->form = "partnership";
	op->form_version = "2";   /* the built-in form's (forms/partnership.json) */
	op->field = field;
	op->value = value;
}

/* Encodes ops signed by k and ingests them at s as device d (from origin o); the bytes stay in cs. */
static enum sstore_ingest_status push(struct sstore *s, const struct keys *k, const struct op *ops, size_t n,
				      const struct sstore_device *d, const struct sstore_origin *o, struct buf *cs)
{
	struct sstore_ingest out;
	struct cs_header h;
	struct cs_ops dec = { NULL, 0, NULL };
	enum sstore_ingest_status r = SI_ERROR;
	char err[512];

	buf_reset(cs);
	if (cs_encode(k, ops, n, cs, err, sizeof(err)) != CS_OK ||
	    cs_parse_header((unsigned char *)cs->data, cs->len, &h, err, sizeof(err)) != CS_OK ||
	    cs_verify((unsigned char *)cs->data, cs->len, &h) != CS_OK ||
	    cs_decode((unsigned char *)cs->data, cs->len, &h, &dec, err, sizeof(err)) != CS_OK)
		goto out;
	r = sstore_ingest_from(s, d, (unsigned char *)cs->data, cs->len, &h, &dec, o, &out, err, sizeof(err));
	if (r != SI_OK)
		printf("# ingest: %s\n", err);
out:
	cs_ops_release(&dec);
	return r;
}

static long long q(const char *which, const char *sql)
{
	char data[512];

	snprintf(data, sizeof(data), "%s/%s", dir, which);
	return teststore_int(data, sql, NULL);
}

static void test_nothing_queued_before_enrolment_then_the_backlog(void)
{
	struct sstore_upstream up;
	struct buf cs = BUF_INIT(1 << 20);
	struct op ops[2];
	char err[512], hexkey[2 * KEYS_PK_BYTES + 1];

	/* Before it is a relay, a server queues nothing. */
	CHECK_INT(enrol(reg, keys_public(kn), "n1", "north", 0, &dn), 0);
	mkop(&ops[0], kn, rec, 1, "partner_name", "\"Gulu District\"");
	mkop(&ops[1], kn, rec, 2, "stakeholder_type", "\"local_government\"");
	CHECK_INT(push(reg, kn, ops, 2, &dn, NULL, &cs), SI_OK);
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 0);
	/* Becoming one queues what it held: its devices first, then their change sets. */
	memset(&up, 0, sizeof(up));
	strlcpy_s(up.url, "http://127.0.0.1:1", sizeof(up.url));
	sodium_bin2hex(hexkey, sizeof(hexkey), keys_public(sstore_keys(hq)), KEYS_PK_BYTES);
	strlcpy_s(up.key, hexkey, sizeof(up.key));
	strlcpy_s(up.region, "north", sizeof(up.region));
	CHECK_INT(sstore_upstream_set(reg, &up, err, sizeof(err)), 0);
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 2);
	CHECK_INT(q("reg", "SELECT kind = 'enrol' FROM relay_queue ORDER BY id LIMIT 1"), 1);
	CHECK_INT(q("reg", "SELECT kind = 'changeset' FROM relay_queue ORDER BY id DESC LIMIT 1"), 1);
	/* Setting it again (another address) queues nothing more. */
	CHECK_INT(sstore_upstream_set(reg, &up, err, sizeof(err)), 0);
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 2);
	buf_release(&cs);
}

static void test_queue_filled_with_what_is_accepted(void)
{
	struct buf cs = BUF_INIT(1 << 20), bytes = BUF_INIT(1 << 20);
	struct sstore_relay_item it;
	struct sstore_relay_cs c;
	struct op op;
	char err[512];
	int64_t cs_id;

	mkop(&op, kn, rec, 3, "country", "\"UGA\"");
	CHECK_INT(push(reg, kn, &op, 1, &dn, NULL, &cs), SI_OK);
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 3);
	/* The same change set again adds nothing, and nothing to forward. */
	CHECK_INT(push(reg, kn, &op, 1, &dn, NULL, &cs), SI_OK);
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 3);
	/* The queue gives its entries oldest first; the change set's bytes are those received. */
	CHECK_INT(sstore_relay_next(reg, now_ms(), &it, err, sizeof(err)), 1);
	CHECK_STR(it.kind, "enrol");
	CHECK_STR(it.ref, dn.id);
	CHECK_INT(sstore_relay_done(reg, it.id, err, sizeof(err)), 0);
	CHECK_INT(sstore_relay_next(reg, now_ms(), &it, err, sizeof(err)), 1);
	CHECK_STR(it.kind, "changeset");
	CHECK_INT(sstore_relay_done(reg, it.id, err, sizeof(err)), 0);
	CHECK_INT(sstore_relay_next(reg, now_ms(), &it, err, sizeof(err)), 1);
	cs_id = strtoll(it.ref, NULL, 10);
	CHECK_INT(sstore_relay_changeset(reg, cs_id, &bytes, &c, err, sizeof(err)), 1);
	CHECK_INT(bytes.len == cs.len && memcmp(bytes.data, cs.data, cs.len) == 0, 1);
	CHECK_STR(c.device, dn.id);
	CHECK_INT(c.first, 3);
	/* A refused entry waits for its next try without holding up the others, and keeps its error. */
	CHECK_INT(sstore_relay_failed(reg, it.id, now_ms() + 60000, "refused: bad_op", err, sizeof(err)), 0);
	CHECK_INT(sstore_relay_next(reg, now_ms(), &it, err, sizeof(err)), 0);
	CHECK_INT(sstore_relay_next(reg, now_ms() + 61000, &it, err, sizeof(err)), 1);
	CHECK_INT(it.tries, 1);
	{
		struct sstore_relay_status st;

		CHECK_INT(sstore_relay_status(reg, &st, err, sizeof(err)), 0);
		CHECK_INT(st.changesets, 1);
		CHECK_INT(st.vouches, 0);
		CHECK_INT(st.refused, 1);
		CHECK_INT(strstr(st.refusal, "refused: bad_op") != NULL, 1);
	}
	CHECK_INT(sstore_relay_done(reg, it.id, err, sizeof(err)), 0);
	/* A revocation is queued to be vouched. */
	CHECK_INT(sstore_device_revoke(reg, dn.id, err, sizeof(err)), 1);
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue WHERE kind = 'revoke'"), 1);
	buf_release(&cs);
	buf_release(&bytes);
}

static void test_gap_resend_lists_the_device_change_sets(void)
{
	int64_t ids[8];
	size_t n = 0;
	char err[512];

	CHECK_INT(sstore_relay_resend(reg, dn.id, 1, ids, 8, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 2);
	CHECK_INT(sstore_relay_resend(reg, dn.id, 3, ids, 8, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 1);
	CHECK_INT(sstore_relay_resend(reg, dn.id, 3, ids, 0, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 0);
}

struct pulled {
	struct buf all[8];
	char by[8][SSTORE_MAX_NAME + 1];
	uint64_t at[8];
	size_t n;
};

static int collect(void *ctx, const unsigned char *bytes, size_t len, const char *author, const char *name,
		   uint64_t at)
{
	struct pulled *p = ctx;

	(void)name;
	if (p->n == 8)
		return -1;
	buf_init(&p->all[p->n], 1 << 20);
	buf_add(&p->all[p->n], bytes, len);
	strlcpy_s(p->by[p->n], author, sizeof(p->by[0]));
	p->at[p->n] = at;
	p->n++;
	return 0;
}

static void test_hq_pull_for_a_relay(void)
{
	struct sstore_origin relayed = { relay_at_hq.id, "", 0 };
	struct buf cs = BUF_INIT(1 << 20);
	struct sstore_change ch[2];
	struct pulled p;
	struct op ops[3];
	char err[512];
	uint64_t next;
	int more;
	size_t i;

	memset(&p, 0, sizeof(p));
	/* At headquarters: n1's change set forwarded by the relay, h1's sent directly, a record of the south. */
	mkop(&ops[0], kn, rec, 1, "partner_name", "\"Gulu District\"");
	mkop(&ops[1], kn, rec, 2, "stakeholder_type", "\"local_government\"");
	CHECK_INT(push(hq, kn, ops, 2, &dn_at_hq, &relayed, &cs), SI_OK);
	mkop(&ops[0], kh, rec, 1, "country", "\"KEN\"");
	CHECK_INT(push(hq, kh, ops, 1, &dh, NULL, &cs), SI_OK);
	{
		struct keys *ks = make_keys("s1");
		struct sstore_device ds;

		CHECK_INT(enrol(hq, keys_public(ks), "s1", "south", 0, &ds), 0);
		mkop(&ops[0], ks, rec_south, 1, "partner_name", "\"Mbarara\"");
		CHECK_INT(push(hq, ks, ops, 1, &ds, NULL, &cs), SI_OK);
		keys_free(ks);
	}
	/* A reviewer's decision over records of both regions makes one change set per region. The south's comes
	 * first: the north office gets headquarters' seq 2 and no seq 1, which must not look like a gap. */
	ch[1].record = rec;
	ch[1].field = "_review";
	ch[1].value = "{\"comment\":\"\",\"status\":\"approved\"}";
	ch[0].record = rec_south;
	ch[0].field = "_review";
	ch[0].value = "{\"comment\":\"\",\"status\":\"approved\"}";
	CHECK_INT(sstore_change(hq, "rita", ch, 2, err, sizeof(err)), 0);
	CHECK_INT(q("hq", "SELECT count(*) FROM changesets WHERE author = 'rita'"), 2);
	CHECK_INT(q("hq", "SELECT count(DISTINCT region) FROM changesets WHERE author = 'rita'"), 2);
	/* The relay gets h1's change set and the north review, not what it forwarded nor the south's. */
	CHECK_INT(sstore_relay_pull(hq, &relay_at_hq, 0, 100, 1 << 20, collect, &p, &next, &more, err, sizeof(err)), 0);
	CHECK_INT(p.n, 2);
	CHECK_STR(p.by[0], "");
	CHECK_STR(p.by[1], "rita");
	CHECK_INT(more, 0);
	CHECK_INT(next > 0, 1);
	/* Each one's position: the cursor may move there once it is taken, and no further. */
	CHECK_INT(p.at[0] > 0 && p.at[0] < p.at[1] && p.at[1] <= next, 1);
	/* From its cursor on there is nothing more. */
	{
		struct pulled again;
		uint64_t next2;

		memset(&again, 0, sizeof(again));
		CHECK_INT(sstore_relay_pull(hq, &relay_at_hq, next, 100, 1 << 20, collect, &again, &next2, &more, err,
					    sizeof(err)), 0);
		CHECK_INT(again.n, 0);
	}
	/* One at a time, with more said. */
	{
		struct pulled one;
		uint64_t next1;

		memset(&one, 0, sizeof(one));
		CHECK_INT(sstore_relay_pull(hq, &relay_at_hq, 0, 1, 1 << 20, collect, &one, &next1, &more, err,
					    sizeof(err)), 0);
		CHECK_INT(one.n, 1);
		CHECK_INT(more, 1);
		buf_release(&one.all[0]);
	}
	/* The regional server takes them: h1 becomes known through headquarters, the review names rita, and
	 * nothing of it is queued to go back up. */
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 1);
	for (i = 0; i < p.n; i++) {
		struct sstore_ingest in;

		CHECK_INT(sstore_relay_take(reg, (unsigned char *)p.all[i].data, p.all[i].len, p.by[i], "h1", "north", &in,
					    err, sizeof(err)), SI_OK);
		CHECK_INT(in.accepted, 1);
	}
	CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue"), 1);
	CHECK_INT(sstore_device_find(reg, dh.id, &dn_at_hq, err, sizeof(err)), 1);
	CHECK_INT(dn_at_hq.upstream, 1);
	CHECK_INT(q("reg", "SELECT count(*) FROM op_authors WHERE \"user\" = 'rita'"), 1);
	CHECK_INT(q("reg", "SELECT count(*) FROM changesets WHERE via = 'upstream'"), 2);
	/* An altered one is refused before anything is read from it. */
	p.all[0].data[p.all[0].len - 10] ^= 1;
	{
		struct sstore_ingest in;

		CHECK_INT(sstore_relay_take(reg, (unsigned char *)p.all[0].data, p.all[0].len, "", "h1", "north", &in, err,
					    sizeof(err)), SI_BAD_OP);
		CHECK_INT(strstr(err, "does not verify") != NULL, 1);
	}
	/* A device known only through headquarters that enrols here with a code becomes one of ours, and is
	 * vouched for like any other. */
	{
		struct sstore_device adopted;

		CHECK_INT(enrol(reg, keys_public(kh), "h1 again", "north", 0, &adopted), 0);
		CHECK_INT(adopted.upstream, 0);
		CHECK_STR(adopted.id, dh.id);
		CHECK_STR(adopted.name, "h1 again");
		CHECK_INT(q("reg", "SELECT count(*) FROM relay_queue WHERE kind = 'enrol'"), 1);
		CHECK_INT(q("reg", "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id ="
			       " (SELECT id FROM enrolled_devices WHERE name = 'h1 again')"), 1);
	}
	for (i = 0; i < p.n; i++)
		buf_release(&p.all[i]);
	buf_release(&cs);
}

/* At headquarters a relay's figures: the ops of the change sets it forwarded count on it (its laptops' ops,
 * which it sends up), and a change set it altered counts once however often it is refused. */
static void test_hq_counts_on_a_relay(void)
{
	struct sstore_device now;
	uint64_t ops = 99;
	char err[512];

	/* n1's change set of 2 ops came through it (test_hq_pull_for_a_relay); h1's came directly. */
	CHECK_INT(sstore_relay_forwarded(hq, &relay_at_hq, &ops, err, sizeof(err)), 0);
	CHECK_INT(ops, 2);
	CHECK_INT(sstore_relay_forwarded(hq, &dh, &ops, err, sizeof(err)), 0);
	CHECK_INT(ops, 0);
	/* The same altered change set refused three times (the relay tries it again), then another one. */
	CHECK_INT(sstore_relay_altered(hq, relay_at_hq.id, dn_at_hq.id, 3, 5, err, sizeof(err)), 0);
	CHECK_INT(sstore_relay_altered(hq, relay_at_hq.id, dn_at_hq.id, 3, 5, err, sizeof(err)), 0);
	CHECK_INT(sstore_relay_altered(hq, relay_at_hq.id, dn_at_hq.id, 3, 5, err, sizeof(err)), 0);
	CHECK_INT(sstore_device_find(hq, relay_at_hq.id, &now, err, sizeof(err)), 1);
	CHECK_INT(now.altered, 1);
	CHECK_INT(sstore_relay_altered(hq, relay_at_hq.id, dn_at_hq.id, 6, 6, err, sizeof(err)), 0);
	CHECK_INT(sstore_device_find(hq, relay_at_hq.id, &now, err, sizeof(err)), 1);
	CHECK_INT(now.altered, 2);
}

int main(void)
{
	char password[64], err[512], path[300];
	int rc;

	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/sondeo-relay.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	uuid_new(rec);
	uuid_new(rec_south);
	snprintf(path, sizeof(path), "%s/hq", dir);
	if (teststore_init(path, password, sizeof(password), err, sizeof(err)) < 0 ||
	    !(hq = sstore_open(path, err, sizeof(err))))
		goto fail;
	snprintf(path, sizeof(path), "%s/reg", dir);
	if (teststore_init(path, password, sizeof(password), err, sizeof(err)) < 0 ||
	    !(reg = sstore_open(path, err, sizeof(err))) || !(kn = make_keys("n1")) || !(kh = make_keys("h1")) ||
	    enrol(hq, keys_public(sstore_keys(reg)), "office-north", "north", 1, &relay_at_hq) < 0 ||
	    enrol(hq, keys_public(kh), "h1", "north", 0, &dh) < 0 ||
	    sstore_vouch(hq, &relay_at_hq, AUTH_VOUCH_ENROL, keys_public(kn), "n1", "north", &dn_at_hq, err,
			 sizeof(err)) != 0)
		goto fail;
	RUN(test_nothing_queued_before_enrolment_then_the_backlog);
	RUN(test_queue_filled_with_what_is_accepted);
	RUN(test_gap_resend_lists_the_device_change_sets);
	RUN(test_hq_pull_for_a_relay);
	RUN(test_hq_counts_on_a_relay);
	sstore_close(hq);
	sstore_close(reg);
	keys_free(kn);
	keys_free(kh);
	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	rc = system(err);
	(void)rc;
	return test_done();
fail:
	printf("not ok setup: %s\n", err);
	return 1;
}
