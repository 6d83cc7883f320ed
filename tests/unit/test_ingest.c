/* test_ingest.c - the server taking in a verified change set: new, repeated, overlapping, gapped and
 * equivocating uploads, and ops checked against the published forms, with nothing changed on a refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "changeset.h"
#include "sstore.h"
#include "test.h"
#include "teststore.h"
#include "util.h"

static char dir[256];
static struct sstore *s;
static struct keys *ka, *kb;
static struct sstore_device da, db_;
static char rec[UUID_STRLEN + 1];

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

static int enrol(struct keys *k, const char *name, struct sstore_device *d)
{
	char shown[32], code[AUTH_CODE_LEN + 1], id[AUTH_CODE_ID_LEN + 1], err[256];

	if (sstore_code_new(s, "east", 1, 0, shown, sizeof(shown), err, sizeof(err)) < 0 ||
	    auth_code_normalize(shown, code, err, sizeof(err)) < 0 || auth_code_id(code, id) < 0)
		return -1;
	return sstore_enrol(s, id, accept_mac, NULL, keys_public(k), name, d, err, sizeof(err));
}

/* Fills op as device k's op seq setting field to value (canonical JSON text) on the test record. */
static void mkop(struct op *op, const struct keys *k, uint64_t seq, const char *field, const char *value)
{
	memset(op, 0, sizeof(*op));
	keys_id(keys_public(k), op->device);
	op->seq = seq;
	op->hlc = ((uint64_t)1700000000000 << 16) + seq;
	strlcpy_s(op->record, rec, sizeof(op->record));
	op->form = "partnership";
	op->form_version = "2";   /* the built-in form's (forms/partnership.json) */
	op->field = field;
	op->value = value;
}

/* Encodes ops signed by k, decodes them as the server would, and ingests them as device d. */
static enum sstore_ingest_status push(const struct keys *k, const struct op *ops, size_t n,
				      const struct sstore_device *d, struct sstore_ingest *out, char *err, size_t errlen)
{
	struct buf cs = BUF_INIT(1 << 20);
	struct cs_header h;
	struct cs_ops dec = { NULL, 0, NULL };
	enum sstore_ingest_status r = SI_ERROR;

	if (cs_encode(k, ops, n, &cs, err, errlen) != CS_OK ||
	    cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, errlen) != CS_OK ||
	    cs_verify((unsigned char *)cs.data, cs.len, &h) != CS_OK ||
	    cs_decode((unsigned char *)cs.data, cs.len, &h, &dec, err, errlen) != CS_OK)
		goto out;
	r = sstore_ingest(s, d, (unsigned char *)cs.data, cs.len, &h, &dec, out, err, errlen);
out:
	cs_ops_release(&dec);
	buf_release(&cs);
	return r;
}

static long long q(const char *sql)
{
	char data[512];

	snprintf(data, sizeof(data), "%s/data", dir);
	return teststore_int(data, sql, NULL);
}

static struct op first[4];

static void test_new_ops(void)
{
	struct sstore_ingest r;
	struct sstore_device d;
	char err[512] = "";

	mkop(&first[0], ka, 1, "partner_name", "\"Nairobi City County\"");
	mkop(&first[1], ka, 2, "stakeholder_type", "\"local_government\"");
	mkop(&first[2], ka, 3, "level", "[\"local\",\"national\"]");
	mkop(&first[3], ka, 4, "scale_up_potential", "4");
	CHECK_INT(push(ka, first, 4, &da, &r, err, sizeof(err)), SI_OK);
	CHECK_STR(err, "");
	CHECK_INT(r.accepted, 4);
	CHECK_INT(r.duplicates, 0);
	CHECK_INT(r.next_seq, 5);
	CHECK_INT(sstore_device_find(s, da.id, &d, err, sizeof(err)), 1);
	CHECK_INT(d.next_seq, 5);
	CHECK_INT(q("SELECT count(*) FROM ops"), 4);
	CHECK_INT(q("SELECT count(*) FROM changesets"), 1);
	CHECK_INT(q("SELECT count(*) FROM fields WHERE field = 'level' AND value = '[\"local\",\"national\"]'"), 1);
}

static void test_repeat_changes_nothing(void)
{
	struct sstore_ingest r;
	char err[512] = "";

	CHECK_INT(push(ka, first, 4, &da, &r, err, sizeof(err)), SI_OK);
	CHECK_INT(r.accepted, 0);
	CHECK_INT(r.duplicates, 4);
	CHECK_INT(r.next_seq, 5);
	CHECK_INT(q("SELECT count(*) FROM ops"), 4);
	CHECK_INT(q("SELECT count(*) FROM changesets"), 1);
}

static void test_gap_refused(void)
{
	struct op o[1];
	struct sstore_ingest r;
	char err[512] = "";

	mkop(&o[0], ka, 7, "notes", "\"skipped ahead\"");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_GAP);
	CHECK_INT(r.expected_seq, 5);
	CHECK_STR(err, "the change set starts at seq 7; the next expected from this device is 5");
	CHECK_INT(q("SELECT count(*) FROM ops"), 4);
}

static void test_overlap_applies_the_new_part(void)
{
	struct op o[2];
	struct sstore_ingest r;
	char err[512] = "";

	o[0] = first[3];
	mkop(&o[1], ka, 5, "country", "\"KEN\"");
	CHECK_INT(push(ka, o, 2, &da, &r, err, sizeof(err)), SI_OK);
	CHECK_INT(r.accepted, 1);
	CHECK_INT(r.duplicates, 1);
	CHECK_INT(r.next_seq, 6);
	CHECK_INT(q("SELECT count(*) FROM ops"), 5);
}

static void test_equivocation_refused_and_counted(void)
{
	struct op o[1];
	struct sstore_ingest r;
	struct sstore_device d;
	char err[512] = "";

	mkop(&o[0], ka, 1, "partner_name", "\"Another name\"");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_EQUIVOCATION);
	CHECK(strstr(err, "already held with different content") != NULL);
	CHECK_INT(q("SELECT count(*) FROM ops"), 5);
	CHECK_INT(q("SELECT count(*) FROM fields WHERE value = '\"Another name\"'"), 0);
	CHECK_INT(sstore_device_find(s, da.id, &d, err, sizeof(err)), 1);
	CHECK_INT(d.equivocations, 1);
	CHECK_INT(d.next_seq, 6);
}

static void test_ops_checked_against_forms(void)
{
	struct op o[1];
	struct sstore_ingest r;
	char err[512] = "";

	mkop(&o[0], ka, 6, "budget", "5");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_BAD_OP);
	CHECK_STR(err, "op 1 (seq 6): form 'partnership' version '2' has no question 'budget'");
	mkop(&o[0], ka, 6, "scale_up_potential", "\"5\"");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_BAD_OP);
	CHECK_STR(err, "op 1 (seq 6): \"5\" is not a valid value for 'scale_up_potential'");
	mkop(&o[0], ka, 6, "stakeholder_type", "\"ngo\"");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_BAD_OP);
	mkop(&o[0], ka, 6, "_deleted", "\"yes\"");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_BAD_OP);
	mkop(&o[0], ka, 6, "notes", "\"x\"");
	o[0].form_version = "3";
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_BAD_OP);
	CHECK_STR(err, "op 1 (seq 6): form 'partnership' version '3' is not published here");
	CHECK_INT(q("SELECT count(*) FROM ops"), 5);
	/* Clearing an answer and deleting the record are values like any other. */
	mkop(&o[0], ka, 6, "scale_up_potential", "null");
	CHECK_INT(push(ka, o, 1, &da, &r, err, sizeof(err)), SI_OK);
	CHECK_INT(r.accepted, 1);
}

static void test_signer_must_be_the_device(void)
{
	struct op o[1];
	struct sstore_ingest r;
	char err[512] = "";

	mkop(&o[0], kb, 1, "notes", "\"from b\"");
	CHECK_INT(push(kb, o, 1, &da, &r, err, sizeof(err)), SI_BAD_OP);
	CHECK(strstr(err, "is signed by") != NULL);
	CHECK_INT(push(kb, o, 1, &db_, &r, err, sizeof(err)), SI_OK);
	CHECK_INT(r.accepted, 1);
}

int main(void)
{
	char password[64], err[512], data[300];
	int rc;

	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/sondeo-ingest.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/data", dir);
	uuid_new(rec);
	if (teststore_init(data, password, sizeof(password), err, sizeof(err)) < 0 ||
	    !(s = sstore_open(data, err, sizeof(err))) || !(ka = make_keys("a")) || !(kb = make_keys("b")) ||
	    enrol(ka, "tablet a", &da) < 0 || enrol(kb, "tablet b", &db_) < 0) {
		printf("not ok setup: %s\n", err);
		return 1;
	}
	RUN(test_new_ops);
	RUN(test_repeat_changes_nothing);
	RUN(test_gap_refused);
	RUN(test_overlap_applies_the_new_part);
	RUN(test_equivocation_refused_and_counted);
	RUN(test_ops_checked_against_forms);
	RUN(test_signer_must_be_the_device);
	sstore_close(s);
	keys_free(ka);
	keys_free(kb);
	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	rc = system(err);
	(void)rc;
	return test_done();
}
