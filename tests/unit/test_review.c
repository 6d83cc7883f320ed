/* test_review.c - what the review page reads from the server's store and the ops the server makes itself:
 * selections and their filters, the dashboard, a record with verified history, possible duplicates, and
 * reviews and resolutions signed by the server's key, naming the reviewer, in change sets of bounded size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "changeset.h"
#include "sstore.h"
#include "sstore-review.h"
#include "test.h"
#include "teststore.h"
#include "util.h"

static char dir[256];
static struct sstore *s;
static struct keys *ka, *kb, *kc;   /* a and c of region east, b of west */
static struct sstore_device da, db_, dc;

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

static int enrol(struct keys *k, const char *name, const char *region, struct sstore_device *d)
{
	char shown[32], code[AUTH_CODE_LEN + 1], id[AUTH_CODE_ID_LEN + 1], err[256];

	if (sstore_code_new(s, region, 1, 0, shown, sizeof(shown), err, sizeof(err)) < 0 ||
	    auth_code_normalize(shown, code, err, sizeof(err)) < 0 || auth_code_id(code, id) < 0)
		return -1;
	return sstore_enrol(s, id, accept_mac, NULL, keys_public(k), name, d, err, sizeof(err));
}

/* Device k's op seq setting field of record to value (canonical JSON), made on day (days after 2026-10-01). */
static void mkop(struct op *op, const struct keys *k, uint64_t seq, const char *record, const char *field,
		 const char *value, unsigned day)
{
	memset(op, 0, sizeof(*op));
	keys_id(keys_public(k), op->device);
	op->seq = seq;
	op->hlc = ((uint64_t)(1790812800000ULL + day * 86400000ULL) << 16) + seq;
	strlcpy_s(op->record, record, sizeof(op->record));
	op->form = "partnership";
	op->form_version = "2";   /* the built-in form's (forms/partnership.json) */
	op->field = field;
	op->value = value;
}

/* Signs ops with k, reads them back as the server does, and takes them in as device d. */
static int push(const struct keys *k, const struct op *ops, size_t n, const struct sstore_device *d)
{
	struct buf cs = BUF_INIT(4 << 20);
	struct cs_header h;
	struct cs_ops dec = { NULL, 0, NULL };
	struct sstore_ingest in;
	char err[512] = "";
	int r = -1;

	if (cs_encode(k, ops, n, &cs, err, sizeof(err)) == CS_OK &&
	    cs_parse_header((unsigned char *)cs.data, cs.len, &h, err, sizeof(err)) == CS_OK &&
	    cs_verify((unsigned char *)cs.data, cs.len, &h) == CS_OK &&
	    cs_decode((unsigned char *)cs.data, cs.len, &h, &dec, err, sizeof(err)) == CS_OK &&
	    sstore_ingest(s, d, (unsigned char *)cs.data, cs.len, &h, &dec, &in, err, sizeof(err)) == SI_OK)
		r = 0;
	if (r < 0)
		printf("#   push: %s\n", err);
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

/* The dashboard's counts agree with the records they count: every (dimensions) and (dimensions, option) group
 * of the records has its count, and no count is left over. */
static void check_counts(void)
{
	CHECK_INT(q("SELECT count(*) FROM (SELECT form, region, review, day, conflict, deleted, count(*)"
		    " FROM record_regions WHERE counted <> 0 GROUP BY 1, 2, 3, 4, 5, 6 EXCEPT"
		    " SELECT form, region, review, day, conflict, deleted, n FROM record_counts WHERE n != 0) AS t"), 0);
	CHECK_INT(q("SELECT count(*) FROM (SELECT form, region, review, day, conflict, deleted, n FROM record_counts"
		    " WHERE n != 0 EXCEPT SELECT form, region, review, day, conflict, deleted, count(*)"
		    " FROM record_regions WHERE counted <> 0 GROUP BY 1, 2, 3, 4, 5, 6) AS t"), 0);
	CHECK_INT(q("SELECT count(*) FROM (SELECT r.form, c.field, c.choice, r.region, r.review, r.day, r.conflict,"
		    " r.deleted, count(*) FROM record_choices c JOIN record_regions r ON r.rid = c.rid"
		    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 EXCEPT SELECT form, field, choice, region, review, day, conflict,"
		    " deleted, n FROM choice_counts WHERE n != 0) AS t"), 0);
	CHECK_INT(q("SELECT count(*) FROM (SELECT form, field, choice, region, review, day, conflict, deleted, n"
		    " FROM choice_counts WHERE n != 0 EXCEPT SELECT r.form, c.field, c.choice, r.region, r.review, r.day,"
		    " r.conflict, r.deleted, count(*) FROM record_choices c JOIN record_regions r ON r.rid = c.rid"
		    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) AS t"), 0);
	CHECK_INT(q("SELECT count(*) FROM record_counts WHERE n < 0") + q("SELECT count(*) FROM choice_counts WHERE n < 0"),
		  0);
}

#define R1 "11111111-1111-4111-8111-111111111111"
#define R2 "22222222-2222-4222-8222-222222222222"
#define R3 "33333333-3333-4333-8333-333333333333"

static uint64_t seq_a = 1, seq_b = 1, seq_c = 1;

/* Three records: R1 and R2 from device a (region east), R3 from device b (region west). R1 and R3 name the
 * same partner, written differently, in the same country. */
static void test_setup_records(void)
{
	struct op ops[12];
	size_t n = 0;

	mkop(&ops[n++], ka, seq_a++, R1, "partner_name", "\"Ministère du Travail\"", 1);
	mkop(&ops[n++], ka, seq_a++, R1, "country", "\"SEN\"", 1);
	mkop(&ops[n++], ka, seq_a++, R1, "level", "[\"national\",\"regional\"]", 1);
	mkop(&ops[n++], ka, seq_a++, R1, "stakeholder_type", "\"ministry\"", 1);
	mkop(&ops[n++], ka, seq_a++, R2, "partner_name", "\"Radio Frontera\"", 9);
	mkop(&ops[n++], ka, seq_a++, R2, "contact_name", "\"Luis Pérez\"", 9);
	mkop(&ops[n++], ka, seq_a++, R2, "level", "[\"local\"]", 9);
	mkop(&ops[n++], ka, seq_a++, R2, "stakeholder_type", "\"media\"", 9);
	CHECK_INT(push(ka, ops, n, &da), 0);
	n = 0;
	mkop(&ops[n++], kb, seq_b++, R3, "partner_name", "\"ministere du  TRAVAIL\"", 20);
	mkop(&ops[n++], kb, seq_b++, R3, "country", "\"SEN\"", 20);
	mkop(&ops[n++], kb, seq_b++, R3, "stakeholder_type", "\"ministry\"", 20);
	CHECK_INT(push(kb, ops, n, &db_), 0);
	CHECK_INT(q("SELECT count(*) FROM record_regions WHERE review = 'pending'"), 3);
	CHECK_INT(q("SELECT count(*) FROM record_regions WHERE namekey = 'ministere du travail' AND dupkey ="
		    " 'ministere du travail|sen'"), 2);
	check_counts();
}

struct collect {
	char ids[8][UUID_STRLEN + 1];
	size_t n;
};

static int collect(void *ctx, const struct sstore_record *r)
{
	struct collect *c = ctx;

	if (c->n < 8)
		strlcpy_s(c->ids[c->n++], r->id, sizeof(c->ids[0]));
	return 0;
}

/* Selects with the given "key=value" filters; the number of records, or -1 with the error in err. */
static long long count_where(const char *const *kv, size_t n, char *err, size_t errlen)
{
	struct sstore_page p = { .sort = SORT_CREATED };
	struct collect c = { { { 0 } }, 0 };
	struct sstore_filter f;
	uint64_t total = 0;
	size_t i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < n; i++) {
		char key[64];
		const char *eq = strchr(kv[i], '=');

		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (sstore_filter_set(&f, key, eq + 1, err, errlen) != 0)
			return -1;
	}
	if (sstore_filter_resolve(s, &f, err, errlen) < 0 || sstore_select(s, &f, &p, collect, &c, &total, err, errlen) < 0)
		return -1;
	if (total != c.n)
		printf("#   total %llu but %zu records given\n", (unsigned long long)total, c.n);
	return (long long)total;
}

static void test_filters(void)
{
	char err[512] = "";
	const char *region[] = { "region=west" }, *text[] = { "q=perez" }, *multi[] = { "f.level=national" };
	const char *choice_name[] = { "q=media" };
	const char *one[] = { "f.stakeholder_type=ministry" }, *days[] = { "date=_created", "from=2026-10-05", "to=2026-10-10" };
	const char *badchoice[] = { "f.level=planetary" }, *notsel[] = { "f.partner_name=x" };
	const char *badday[] = { "from=2026-02-30x" }, *badform[] = { "form=nothing" }, *badq[] = { "q=\"open" };

	CHECK_INT(count_where(NULL, 0, err, sizeof(err)), 3);
	CHECK_INT(count_where(region, 1, err, sizeof(err)), 1);
	/* Accents do not matter to the search. */
	CHECK_INT(count_where(text, 1, err, sizeof(err)), 1);
	/* What people wrote is searched; a choice's name is not text (R2's stakeholder_type is media). */
	CHECK_INT(count_where(choice_name, 1, err, sizeof(err)), 0);
	CHECK_INT(count_where(multi, 1, err, sizeof(err)), 1);
	CHECK_INT(count_where(one, 1, err, sizeof(err)), 2);
	CHECK_INT(count_where(days, 3, err, sizeof(err)), 1);
	/* By default the form's first date question (interview_date), which none of them answered. */
	CHECK_INT(count_where(days + 1, 2, err, sizeof(err)), 0);
	CHECK_INT(count_where(badchoice, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "'planetary' is not one of its choices") != NULL);
	CHECK_INT(count_where(notsel, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "no select question 'partner_name'") != NULL);
	CHECK_INT(count_where(badday, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "filter 'from'") != NULL);
	CHECK_INT(count_where(badform, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "no published form 'nothing'") != NULL);
	CHECK_INT(count_where(badq, 1, err, sizeof(err)), -1);
	CHECK(strncmp(err, "filter 'q'", 10) == 0);
}

/* The ids of a page sorted by a question's answer, joined by spaces. */
static const char *page_ids(const char *question, int desc, uint64_t offset, unsigned limit, char *out, size_t n)
{
	struct sstore_page p = { .sort = SORT_QUESTION, .desc = desc, .offset = offset, .limit = limit };
	struct collect c = { { { 0 } }, 0 };
	struct sstore_filter f;
	char err[512] = "";
	size_t i;

	memset(&f, 0, sizeof(f));
	strlcpy_s(p.question, question, sizeof(p.question));
	out[0] = '\0';
	if (sstore_filter_resolve(s, &f, err, sizeof(err)) < 0 || sstore_select(s, &f, &p, collect, &c, NULL, err,
										sizeof(err)) < 0) {
		snprintf(out, n, "error: %s", err);
		return out;
	}
	for (i = 0; i < c.n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%.2s", i ? " " : "", c.ids[i]);
	return out;
}

/* Pages sorted by an answer: answered records in the answer's order, then the others by id, the page reaching
 * across the two. */
/* A day is YYYY-MM-DD in digits, nothing else: sscanf's %d also takes a sign or a space (found by fuzz_review:
 * "2024- 3-01" read as 2024-03-01). */
static void test_filter_days(void)
{
	static const char *const bad[] = { "2024- 3-01", "2024-+3-01", "2024-03--1", "+024-03-01", " 024-03-01",
					   "2024-03- 1", "2024-3-01", "2024-02-30", "1969-12-31", "2023-02-29" };
	struct sstore_filter f;
	char err[256];
	size_t i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(sstore_filter_set(&f, "from", bad[i], err, sizeof(err)), -1);
		CHECK(strstr(err, "is not a day as YYYY-MM-DD") != NULL);
	}
	CHECK_INT(sstore_filter_set(&f, "from", "2024-02-29", err, sizeof(err)), 0);
	CHECK(f.from_ms == 1709164800000ULL);
	CHECK_INT(sstore_filter_set(&f, "to", "2024-03-01", err, sizeof(err)), 0);
	CHECK(f.to_ms == 1709251200000ULL + 86400000ULL);
}

static void test_sort_by_answer(void)
{
	char ids[128];

	CHECK_STR(page_ids("partner_name", 0, 0, 10, ids, sizeof(ids)), "11 22 33");
	CHECK_STR(page_ids("partner_name", 1, 0, 10, ids, sizeof(ids)), "33 22 11");
	CHECK_STR(page_ids("partner_name", 0, 1, 2, ids, sizeof(ids)), "22 33");
	/* Only R2 has a contact: it comes first, then R1 and R3 by id. */
	CHECK_STR(page_ids("contact_name", 0, 0, 10, ids, sizeof(ids)), "22 11 33");
	CHECK_STR(page_ids("contact_name", 0, 1, 1, ids, sizeof(ids)), "11");
	CHECK_STR(page_ids("contact_name", 0, 2, 5, ids, sizeof(ids)), "33");
	CHECK_STR(page_ids("contact_name", 1, 0, 10, ids, sizeof(ids)), "22 33 11");
	CHECK_STR(page_ids("contact_name", 0, 3, 5, ids, sizeof(ids)), "");
}

static void test_dashboard(void)
{
	struct sstore_filter f;
	char err[512] = "";
	json_t *d, *charts, *level = NULL;
	size_t i;

	memset(&f, 0, sizeof(f));
	CHECK_INT(sstore_filter_set(&f, "date", "_created", err, sizeof(err)), 0);
	CHECK_INT(sstore_filter_resolve(s, &f, err, sizeof(err)), 0);
	CHECK_STR(f.form, "partnership");
	d = sstore_dashboard(s, &f, err, sizeof(err));
	CHECK(d != NULL);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(d, "totals"), "records")), 3);
	/* R1 and R3 are one partner once their names are normalised. */
	CHECK_INT(json_integer_value(json_object_get(json_object_get(d, "totals"), "partners")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(d, "totals"), "regions")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(d, "totals"), "pending")), 3);
	charts = json_object_get(d, "charts");
	for (i = 0; i < json_array_size(charts); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(charts, i), "question")), "level"))
			level = json_object_get(json_array_get(charts, i), "counts");
	/* Every choice in form order, a record counting once per choice it made. */
	CHECK_INT(json_array_size(level), 6);
	CHECK_STR(json_string_value(json_object_get(json_array_get(level, 0), "value")), "local");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(level, 0), "count")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(level, 1), "count")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(level, 3), "count")), 1);
	CHECK_INT(json_array_size(json_object_get(d, "weeks")), 3);
	json_decref(d);
}

/* Two devices of R1's region change its partner name without seeing each other: a conflict, which a reviewer
 * resolves with an op of the server's own, signed by its key, naming the reviewer, replacing both heads. */
static void test_resolve_conflict(void)
{
	struct sstore_change c = { R1, "partner_name", "\"Ministry of Labour\"" };
	struct op ops[1];
	char err[512] = "", server[KEYS_ID_STRLEN + 1], sql[256];
	unsigned status;
	json_t *rec, *hist;
	size_t i;
	int all_verified = 1, by_rita = 0;

	long long before;

	mkop(&ops[0], kc, seq_c++, R1, "partner_name", "\"Ministère du Travail et de l'Emploi\"", 21);
	CHECK_INT(push(kc, ops, 1, &dc), 0);
	CHECK_INT(q("SELECT conflicts FROM records WHERE id = '" R1 "'"), 1);
	keys_id(keys_public(sstore_keys(s)), server);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM changesets WHERE device = '%s'", server);
	before = q(sql);
	CHECK_INT(sstore_change(s, "rita", &c, 1, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(q("SELECT conflicts FROM records WHERE id = '" R1 "'"), 0);
	CHECK_INT(q("SELECT count(*) FROM heads h JOIN records r ON r.rid = h.rid WHERE r.id = '" R1 "'"
		    " AND h.field = 'partner_name'"), 1);
	CHECK_INT(q(sql) - before, 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM op_base b JOIN ops o ON o.id = b.op JOIN devices d"
		 " ON d.did = o.did WHERE d.id = '%s' AND o.field = 'partner_name'", server);
	CHECK_INT(q(sql), 2);
	rec = sstore_record_json(s, R1, &status, err, sizeof(err));
	CHECK(rec != NULL);
	hist = json_object_get(rec, "history");
	for (i = 0; i < json_array_size(hist); i++) {
		json_t *h = json_array_get(hist, i);

		all_verified &= json_is_true(json_object_get(h, "verified"));
		if (json_string_value(json_object_get(h, "by")) && !strcmp(json_string_value(json_object_get(h, "by")), "rita"))
			by_rita++;
	}
	CHECK_INT(json_array_size(hist), 6);
	CHECK(all_verified);
	CHECK_INT(by_rita, 1);
	json_decref(rec);
	/* A second change of the same field in one batch replaces the first, not both heads again. */
	{
		struct sstore_change two[2] = { { R1, "partner_name", "\"A\"" }, { R1, "partner_name", "\"B\"" } };

		CHECK_INT(sstore_change(s, "rita", two, 2, err, sizeof(err)), 0);
		CHECK_INT(q("SELECT count(*) FROM heads h JOIN records r ON r.rid = h.rid WHERE r.id = '" R1 "'"
			    " AND h.field = 'partner_name'"), 1);
		CHECK_INT(q("SELECT conflicts FROM records WHERE id = '" R1 "'"), 0);
	}
	check_counts();
}

/* A change set altered after it was stored is shown as not verified, op by op. */
static void test_tampered_history(void)
{
	unsigned status;
	char err[512] = "";
	json_t *rec, *hist;
	size_t i, bad = 0;

	/* R3's change set came from device b alone: flip a byte of its body. */
	CHECK_INT(q(teststore_pg()
		    ? "UPDATE changesets SET bytes = substring(bytes FROM 1 FOR 80) || '\\x00'::bytea ||"
		      " substring(bytes FROM 82) WHERE id = (SELECT min(id) FROM changesets WHERE first_seq = 1"
		      " AND last_seq = 3) RETURNING 1"
		    : "UPDATE changesets SET bytes = CAST(substr(bytes, 1, 80) AS BLOB) || CAST(X'00' AS BLOB) ||"
		      " substr(bytes, 82) WHERE id = (SELECT min(id) FROM changesets WHERE first_seq = 1 AND last_seq = 3)"
		      " RETURNING 1"), 1);
	rec = sstore_record_json(s, R3, &status, err, sizeof(err));
	CHECK(rec != NULL);
	hist = json_object_get(rec, "history");
	for (i = 0; i < json_array_size(hist); i++)
		bad += json_is_false(json_object_get(json_array_get(hist, i), "verified"));
	CHECK_INT(json_array_size(hist), 3);
	CHECK_INT(bad, 3);
	json_decref(rec);
}

static void test_review_and_duplicates(void)
{
	struct sstore_change c = { R2, "_review", "{\"comment\":\"Check the contact\",\"status\":\"has_issues\"}" };
	const char *has_issues[] = { "review=has_issues" }, *ids[2] = { R1, R3 };
	char err[512] = "";
	json_t *d;

	CHECK_INT(sstore_change(s, "rita", &c, 1, err, sizeof(err)), 0);
	CHECK_INT(count_where(has_issues, 1, err, sizeof(err)), 1);
	CHECK_INT(q("SELECT count(*) FROM record_regions WHERE review = 'pending'"), 2);
	d = sstore_duplicates(s, "partnership", err, sizeof(err));
	CHECK_INT(json_array_size(json_object_get(d, "groups")), 1);
	CHECK_INT(json_array_size(json_object_get(json_array_get(json_object_get(d, "groups"), 0), "records")), 2);
	json_decref(d);
	CHECK_INT(sstore_duplicates_dismiss(s, ids, 2, err, sizeof(err)), 0);
	d = sstore_duplicates(s, "partnership", err, sizeof(err));
	CHECK_INT(json_array_size(json_object_get(d, "groups")), 0);
	json_decref(d);
	/* An unknown record changes nothing. */
	c.record = "44444444-4444-4444-8444-444444444444";
	CHECK_INT(sstore_change(s, "rita", &c, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "no record") != NULL);
}

/* Thousands of reviews at once go out in change sets of at most 2,000 ops, seqs running on. */
static void test_bulk_in_chunks(void)
{
	enum { N = 2100 };
	struct op *ops = calloc(N, sizeof(*ops));
	struct sstore_change *c = calloc(N, sizeof(*c));
	char (*ids)[UUID_STRLEN + 1] = calloc(N, sizeof(*ids));
	char err[512] = "", server[KEYS_ID_STRLEN + 1], sql[256];
	long long before;
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "aaaaaaaa-0000-4000-8000-%012zu", i);
		mkop(&ops[i], ka, seq_a++, ids[i], "partner_name", "\"Cooperative\"", 30);
		c[i].record = ids[i];
		c[i].field = "_review";
		c[i].value = "{\"comment\":\"\",\"status\":\"approved\"}";
	}
	CHECK_INT(push(ka, ops, N, &da), 0);
	keys_id(keys_public(sstore_keys(s)), server);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM changesets WHERE device = '%s'", server);
	before = q(sql);
	CHECK_INT(sstore_change(s, "rita", c, N, err, sizeof(err)), 0);
	CHECK_INT(q(sql) - before, 2);
	CHECK_INT(q("SELECT count(*) FROM record_regions WHERE review = 'approved'"), N);
	snprintf(sql, sizeof(sql), "SELECT max(last_seq) - min(first_seq) + 1 FROM changesets WHERE device = '%s'",
		 server);
	CHECK_INT(q(sql), q("SELECT value FROM meta WHERE key = 'own_seq'"));
	check_counts();
	free(ops);
	free(c);
	free(ids);
}

/* A record named by a prefix: one record found, none (404), or more than one (400), told apart by the store. */
static void test_record_by_prefix(void)
{
	char err[512] = "", full[UUID_STRLEN + 1], form[MERGE_MAX_NAME + 1], version[MERGE_MAX_NAME + 1];
	unsigned status = 0;
	json_t *rec;

	/* test_bulk_in_chunks made aaaaaaaa-0000-4000-8000-000000000000 and on. */
	rec = sstore_record_json(s, "aaaaaaaa-0000-4000-8000-000000000007", &status, err, sizeof(err));
	CHECK(rec != NULL);
	CHECK_INT(status, 200);
	json_decref(rec);
	CHECK(sstore_record_json(s, "aaaaaaaa-0000", &status, err, sizeof(err)) == NULL);
	CHECK_INT(status, 400);
	CHECK(strstr(err, "more than one record") != NULL);
	CHECK_INT(sstore_record_find(s, "aaaaaaaa", full, form, version, sizeof(form), err, sizeof(err)), 0);
	CHECK(sstore_record_json(s, "bbbbbbbb", &status, err, sizeof(err)) == NULL);
	CHECK_INT(status, 404);
	CHECK(strstr(err, "no record 'bbbbbbbb'") != NULL);
	CHECK(sstore_record_json(s, "aaaa", &status, err, sizeof(err)) == NULL);
	CHECK_INT(status, 404);
	CHECK_INT(sstore_record_find(s, R1, full, form, version, sizeof(form), err, sizeof(err)), 1);
	CHECK_STR(full, R1);
	/* A record is named by its form's first title field: the partnership form's partner name. */
	rec = sstore_record_json(s, R2, &status, err, sizeof(err));
	CHECK_STR(json_string_value(json_object_get(rec, "title")), "Radio Frontera");
	json_decref(rec);
}

/* A store of layout 2 holds duplicate keys made from question names the server knew: opening it at layout 3 builds
 * every summary again, from the forms' title fields. */
#define R4 "44444444-4444-4444-8444-444444444444"
#define R5 "55555555-5555-4555-8555-555555555555"

/* The search index holds each record's text as it is now, once: no word it lost, no word twice. The index
 * keeps no copy of the text, so a change that took a document out with other words than it was put in with
 * would leave it found by its old ones. */
static void check_search(const char *word, long long records)
{
	char sql[256], filter[64], err[512] = "";
	const char *kv[] = { filter };

	/* The index itself, as each engine keeps it (FTS5; a tsvector per record on PostgreSQL). */
	snprintf(sql, sizeof(sql), teststore_pg() ? "SELECT count(*) FROM records_fts WHERE body @@ to_tsquery('simple', '%s')"
		 : "SELECT count(*) FROM records_fts WHERE records_fts MATCH '%s'", word);
	snprintf(filter, sizeof(filter), "q=%s", word);
	CHECK_INT(q(sql), records);
	CHECK_INT(count_where(kv, 1, err, sizeof(err)), records);
}

static void test_search_follows_changes(void)
{
	struct sstore_change own = { R4, "notes", "\"charlie\"" };
	struct sstore_change review = { R4, "_review", "{\"comment\":\"\",\"status\":\"approved\"}" };
	struct op ops[6];
	char err[512] = "";
	size_t n = 0;

	/* R4 twice in one change set, with another record between. */
	mkop(&ops[n++], ka, seq_a++, R4, "partner_name", "\"Zanzibar Trust\"", 30);
	mkop(&ops[n++], ka, seq_a++, R5, "partner_name", "\"Zanzibar Fund\"", 30);
	mkop(&ops[n++], ka, seq_a++, R4, "notes", "\"alpha\"", 30);
	CHECK_INT(push(ka, ops, n, &da), 0);
	check_search("zanzibar", 2);
	check_search("alpha", 1);
	/* A device's edit, then again the same record twice in one change set. */
	n = 0;
	mkop(&ops[n++], ka, seq_a++, R4, "notes", "\"bravo\"", 31);
	mkop(&ops[n++], ka, seq_a++, R5, "notes", "\"echo\"", 31);
	mkop(&ops[n++], ka, seq_a++, R4, "contact_name", "\"Asha\"", 31);
	CHECK_INT(push(ka, ops, n, &da), 0);
	check_search("alpha", 0);
	check_search("bravo", 1);
	check_search("asha", 1);
	/* The server's own ops: a correction and a review. */
	CHECK_INT(sstore_change(s, "rita", &own, 1, err, sizeof(err)), 0);
	CHECK_INT(sstore_change(s, "rita", &review, 1, err, sizeof(err)), 0);
	check_search("bravo", 0);
	check_search("charlie", 1);
	/* A concurrent edit from another device: both values are kept, the record shows one of them. */
	n = 0;
	mkop(&ops[n++], kc, seq_c++, R4, "notes", "\"delta\"", 32);
	CHECK_INT(push(kc, ops, n, &dc), 0);
	CHECK_INT(q("SELECT conflicts FROM records WHERE id = '" R4 "'"), 1);
	CHECK_INT(q(teststore_pg() ? "SELECT count(*) FROM records_fts WHERE body @@ to_tsquery('simple', 'charlie | delta')"
		    : "SELECT count(*) FROM records_fts WHERE records_fts MATCH 'charlie OR delta'"), 1);
	check_search("zanzibar", 2);
	check_search("asha", 1);
	check_search("echo", 1);
}

/* Sorting by a long answer: the index holds its first characters, the rest still orders those that share
 * them. */
static void test_sort_long_answers(void)
{
	struct op ops[2];
	char ids[128];
	size_t n = 0;

	mkop(&ops[n++], ka, seq_a++, R4, "good_practices", "\"Joint referral desks in every district, phase B\"", 33);
	mkop(&ops[n++], ka, seq_a++, R5, "good_practices", "\"Joint referral desks in every district, phase A\"", 33);
	CHECK_INT(push(ka, ops, n, &da), 0);
	CHECK_STR(page_ids("good_practices", 0, 0, 2, ids, sizeof(ids)), "55 44");
	CHECK_STR(page_ids("good_practices", 1, 0, 1, ids, sizeof(ids)), "44");
	CHECK_STR(page_ids("good_practices", 1, 1, 1, ids, sizeof(ids)), "55");
}

#define R6 "66666666-6666-4666-8666-666666666666"
#define R7 "77777777-7777-4777-8777-777777777777"

/* The counts of a change set are summed before they are written: two records that swap their countries in one
 * change set move between the counts, which keep their sums. */
static void test_counts_summed(void)
{
	struct op ops[4];
	size_t n = 0;

	mkop(&ops[n++], ka, seq_a++, R6, "partner_name", "\"Caritas\"", 40);
	mkop(&ops[n++], ka, seq_a++, R6, "country", "\"UGA\"", 40);
	mkop(&ops[n++], ka, seq_a++, R7, "partner_name", "\"Caritas\"", 40);
	mkop(&ops[n++], ka, seq_a++, R7, "country", "\"KEN\"", 40);
	CHECK_INT(push(ka, ops, n, &da), 0);
	check_counts();
	CHECK_INT(q("SELECT sum(n) FROM choice_counts WHERE field = 'country' AND choice = 'UGA'"), 1);
	CHECK_INT(q("SELECT sum(n) FROM choice_counts WHERE field = 'country' AND choice = 'KEN'"), 1);
	n = 0;
	mkop(&ops[n++], ka, seq_a++, R6, "country", "\"KEN\"", 41);
	mkop(&ops[n++], ka, seq_a++, R7, "country", "\"UGA\"", 41);
	CHECK_INT(push(ka, ops, n, &da), 0);
	check_counts();
	CHECK_INT(q("SELECT sum(n) FROM choice_counts WHERE field = 'country' AND choice = 'UGA'"), 1);
	CHECK_INT(q("SELECT sum(n) FROM choice_counts WHERE field = 'country' AND choice = 'KEN'"), 1);
}

/* weeks_of FILTER : the dashboard's records per week ("MONDAY:COUNT ...") and undated records under one filter
 * (besides the form), into out; the dashboard's counts when kept, else counted from the selection. */
static const char *weeks_of(const char *key, const char *value, char *out, size_t n)
{
	struct sstore_filter f;
	char err[512] = "";
	json_t *d, *w;
	size_t i, len = 0;

	memset(&f, 0, sizeof(f));
	out[0] = 0;
	if ((key && sstore_filter_set(&f, key, value, err, sizeof(err)) != 0) ||
	    sstore_filter_resolve(s, &f, err, sizeof(err)) < 0 || !(d = sstore_dashboard(s, &f, err, sizeof(err)))) {
		snprintf(out, n, "error: %s", err);
		return out;
	}
	json_array_foreach(json_object_get(d, "weeks"), i, w)
		len += (size_t)snprintf(out + len, n - len, "%s:%lld ", json_string_value(json_object_get(w, "week")),
					(long long)json_integer_value(json_object_get(w, "count")));
	snprintf(out + len, n - len, "undated %lld", (long long)json_integer_value(json_object_get(d, "undated")));
	json_decref(d);
	return out;
}

/* The days date questions name are counted as their options: the records per week of the interview date, kept
 * as they change, the same as counted from the selection. A dateTime's day is the one it names as written. */
static void test_date_weeks(void)
{
	struct op ops[2];
	char out[256], want[256];
	/* Every other record of the form is undated (the bulk test's among them). */
	long long others = q("SELECT count(*) FROM records WHERE form = 'partnership' AND draft = 0 AND deleted = 0") - 2;

	mkop(&ops[0], ka, seq_a++, R6, "interview_date", "\"2026-10-07\"", 42);
	mkop(&ops[1], ka, seq_a++, R7, "interview_date", "\"2026-10-12\"", 42);
	CHECK_INT(push(ka, ops, 2, &da), 0);
	check_counts();
	CHECK_INT(q("SELECT sum(n) FROM choice_counts WHERE field = 'interview_date' AND choice = '2026-10-07'"), 1);
	snprintf(want, sizeof(want), "2026-10-05:1 2026-10-12:1 undated %lld", others);
	CHECK_STR(weeks_of(NULL, NULL, out, sizeof(out)), want);
	/* A search makes the dashboard count the selection itself: the same weeks. */
	CHECK_STR(weeks_of("q", "caritas", out, sizeof(out)), "2026-10-05:1 2026-10-12:1 undated 0");
	CHECK_STR(weeks_of("to", "2026-10-11", out, sizeof(out)), "2026-10-05:1 undated 0");
	mkop(&ops[0], ka, seq_a++, R6, "interview_date", "\"2026-10-12\"", 43);
	CHECK_INT(push(ka, ops, 1, &da), 0);
	check_counts();
	CHECK_INT(q("SELECT count(*) FROM choice_counts WHERE field = 'interview_date' AND choice = '2026-10-07' AND n <> 0"), 0);
	snprintf(want, sizeof(want), "2026-10-12:2 undated %lld", others);
	CHECK_STR(weeks_of(NULL, NULL, out, sizeof(out)), want);
	CHECK_STR(weeks_of("date", "partner_name", out, sizeof(out)),
		  "error: filter 'date': form 'partnership' has no date question 'partner_name' outside its repeats"
		  " (or _created, the day a record was created)");
}

/* A record whose indexed text is not what its fields give now (as when its form could not be read at one of
 * the two times) is not taken out with the wrong words, which would corrupt the index: its old words stay
 * until the index is rebuilt, at the next open. On PostgreSQL an entry goes by its record alone: the old words
 * go at once, and nothing needs rebuilding. */
static void test_search_mismatch_rebuilds(void)
{
	struct op ops[1];
	char err[512] = "", data[300];

	q("UPDATE record_regions SET fts = 12345 WHERE rid = (SELECT rid FROM records WHERE id = '" R5 "')");
	mkop(&ops[0], ka, seq_a++, R5, "notes", "\"foxtrot\"", 34);
	CHECK_INT(push(ka, ops, 1, &da), 0);
	check_search("foxtrot", 1);
	check_search("echo", teststore_pg() ? 0 : 1);
	CHECK_INT(q("SELECT value FROM meta WHERE key = 'reindex'"), teststore_pg() ? -1 : 1);
	sstore_close(s);
	snprintf(data, sizeof(data), "%s/data", dir);
	s = sstore_open(data, err, sizeof(err));
	CHECK(s != NULL);
	check_search("echo", 0);
	check_search("foxtrot", 1);
	CHECK_INT(q("SELECT count(*) FROM meta WHERE key = 'reindex'"), 0);
}

static void test_upgrade_rebuilds_summaries(void)
{
	char err[512] = "", data[300];
	long long keyed = q("SELECT count(*) FROM record_regions WHERE dupkey != ''");

	CHECK(keyed > 0);
	if (teststore_pg()) {
		/* A store in PostgreSQL is made at layout 9 or later: none was ever at layout 2. */
		printf("# skipped on PostgreSQL: an upgrade from layout 2\n");
		return;
	}
	sstore_close(s);
	q("UPDATE record_regions SET dupkey = 'stale|' WHERE dupkey != ''");
	q("UPDATE meta SET value = '2' WHERE key = 'schema'");
	q("ALTER TABLE record_regions DROP COLUMN fts");
	snprintf(data, sizeof(data), "%s/data", dir);
	s = sstore_open(data, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(q("SELECT count(*) FROM record_regions WHERE dupkey = 'stale|'"), 0);
	CHECK_INT(q("SELECT count(*) FROM record_regions WHERE dupkey != ''"), keyed);
	CHECK_INT(q("SELECT value FROM meta WHERE key = 'schema'"), 10);
	check_search("zanzibar", 2);
	check_search("asha", 1);
	/* From layout 3: the search index held its text, the sort index whole answers. */
	sstore_close(s);
	q("DROP TABLE records_fts");
	q("CREATE VIRTUAL TABLE records_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')");
	q("DROP INDEX fields_by_field");
	q("CREATE INDEX fields_by_field ON fields(field, value)");
	q("ALTER TABLE record_regions DROP COLUMN fts");
	q("UPDATE meta SET value = '3' WHERE key = 'schema'");
	s = sstore_open(data, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(q("SELECT value FROM meta WHERE key = 'schema'"), 10);
	CHECK_INT(q("SELECT count(*) FROM sqlite_schema WHERE name = 'records_fts' AND sql LIKE '%content =%'"), 1);
	CHECK_INT(q("SELECT count(*) FROM sqlite_schema WHERE name = 'fields_by_field' AND sql LIKE '%substr(value%'"), 1);
	check_search("zanzibar", 2);
	check_search("asha", 1);
	check_search("alpha", 0);
	/* From layout 5: the index of numbers told them by a call of substr for each field written. */
	sstore_close(s);
	q("DROP INDEX fields_by_number");
	q("CREATE INDEX fields_by_number ON fields(field, CAST(value AS REAL)) WHERE substr(value, 1, 1) IN"
	  " ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')");
	q("UPDATE meta SET value = '5' WHERE key = 'schema'");
	s = sstore_open(data, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(q("SELECT value FROM meta WHERE key = 'schema'"), 10);
	CHECK_INT(q("SELECT count(*) FROM sqlite_schema WHERE name = 'fields_by_number' AND sql LIKE '%substr%'"), 0);
	CHECK_INT(q("SELECT count(*) FROM sqlite_schema WHERE name = 'fields_by_number' AND sql LIKE"
		    " '%WHERE value >= ''-'' AND value < '':''%'"), 1);
	/* From layout 8: the days of date questions were not counted. */
	sstore_close(s);
	q("DELETE FROM choice_counts WHERE field = 'interview_date'");
	q("DELETE FROM record_choices WHERE field = 'interview_date'");
	q("UPDATE meta SET value = '8' WHERE key = 'schema'");
	s = sstore_open(data, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(q("SELECT value FROM meta WHERE key = 'schema'"), 10);
	CHECK_INT(q("SELECT sum(n) FROM choice_counts WHERE field = 'interview_date' AND choice = '2026-10-12'"), 2);
	check_counts();
}

int main(void)
{
	char err[512], pw[32], data[300];

	snprintf(dir, sizeof(dir), "%s/test_review.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (sodium_init() < 0 || !mkdtemp(dir)) {
		perror("test_review setup");
		return 1;
	}
	snprintf(data, sizeof(data), "%s/data", dir);
	if (teststore_init(data, pw, sizeof(pw), err, sizeof(err)) < 0 || !(s = sstore_open(data, err, sizeof(err))) ||
	    !(ka = make_keys("a")) || !(kb = make_keys("b")) || enrol(ka, "a", "east", &da) < 0 ||
	    enrol(kb, "b", "west", &db_) < 0 || !(kc = make_keys("c")) || enrol(kc, "c", "east", &dc) < 0) {
		printf("not ok setup: %s\n", err);
		return 1;
	}
	RUN(test_setup_records);
	RUN(test_filters);
	RUN(test_filter_days);
	RUN(test_sort_by_answer);
	RUN(test_dashboard);
	RUN(test_review_and_duplicates);
	RUN(test_resolve_conflict);
	RUN(test_tampered_history);
	RUN(test_bulk_in_chunks);
	RUN(test_record_by_prefix);
	RUN(test_search_follows_changes);
	RUN(test_sort_long_answers);
	RUN(test_search_mismatch_rebuilds);
	RUN(test_counts_summed);
	RUN(test_date_weeks);
	RUN(test_upgrade_rebuilds_summaries);
	sstore_close(s);
	keys_free(ka);
	keys_free(kb);
	keys_free(kc);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return test_done();
}
