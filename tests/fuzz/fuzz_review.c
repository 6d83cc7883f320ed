/* fuzz_review.c - libFuzzer target for what the review API reads (docs/review-api.md): the JSON bodies of its
 * POST requests and the query strings of its GET requests, read by the functions the endpoints call (srv.h,
 * "Reading requests"), against a real server store in a temporary directory that holds the built-in form. The
 * first byte of an input picks the reader (its value mod 10), the rest is the text:
 *   0 login, 1 password, 2 review, 3 resolve, 4 bulk review and its filter, 5 duplicates, 6 a new user,
 *   7 a user's name (disable, enable), 8 codes: the body, through srv_json_body as every endpoint reads it;
 *   9: a query string, split and unescaped as libmicrohttpd does, read as the selection's filters
 *      (sstore_filter_set), the records page (srv_page_read, srv_columns_read), an export's format and the
 *      cursors of the pull feeds (http_number); then resolved and run against the store, as GET /v1/records
 *      does.
 * What is accepted must satisfy the spec: a body is a JSON object without duplicate keys that reads back the
 * same; a review's value is the canonical {"comment", "status"} of a known status and a comment within its
 * bounds; strings within their caps; a day filter prints back as the day given; a page within its bounds. And
 * the SQL of a selection depends only on which filters are set, never on their values (they are bound).
 * Anything else aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "export.h"
#include "form.h"
#include "jsonc.h"
#include "mhdlib.h"
#include "review.h"
#include "srv.h"
#include "sstore-review.h"
#include "fuzzkey.h"
#include "sstore-users.h"
/* Only to read the SQL text a selection builds (sstore_filter_from): no test of the store's tables. */
#include "sstore-int.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sstore *store;
static struct form *form;
static char dir[256];

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_review: %s%s%.300s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void cleanup(void)
{
	char cmd[400];

	form_free(form);
	sstore_close(store);
	/* The store's own files: the database, its WAL, the server's keys. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz_review: cannot remove %s\n", dir);
}

static void setup(void)
{
	char err[512], pw[64], data[300];

	if (sodium_init() < 0)
		die("sodium_init failed", NULL);
	if (mhd_load(err, sizeof(err)) < 0)
		die("cannot load libmicrohttpd", err);
	snprintf(dir, sizeof(dir), "%s/fuzz_review.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		die("cannot make a temporary directory", NULL);
	snprintf(data, sizeof(data), "%s/data", dir);
	if (sstore_init(data, NULL, pw, sizeof(pw), err, sizeof(err)) < 0 || !(store = sstore_open(data, err, sizeof(err))))
		die("cannot make the store", err);
	if (!(form = sstore_form_get(store, "partnership", NULL, err, sizeof(err))))
		die("the store has no built-in form", err);
	atexit(cleanup);
}

/* A string member without NUL, as every body's text must be (jansson refuses \u0000 already). */
static void no_nul(const json_t *v, const char *what)
{
	if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v))
		die("a string with a NUL was accepted", what);
}

static void check_value(const char *value, const char *status, const char *comment)
{
	json_t *v = json_loads(value, 0, NULL);
	char *canon = v ? jsonc_dumps(v) : NULL;

	if (!canon || strcmp(canon, value) || json_object_size(v) != 2 ||
	    strcmp(json_string_value(json_object_get(v, "status")), status) ||
	    strcmp(json_string_value(json_object_get(v, "comment")), comment))
		die("a review's value is not the canonical {comment, status} given", value);
	if (!review_state_valid(status) || utf8_len(comment) > SSTORE_MAX_COMMENT)
		die("a review the spec refuses was accepted", value);
	free(canon);
	json_decref(v);
}

/* The SQL of f, and of f with every string value replaced: the same text, since values are bound. */
static void check_sql(const struct sstore_filter *f)
{
	struct sstore_filter g = *f;
	struct buf a = BUF_INIT((size_t)1 << 20), b = BUF_INIT((size_t)1 << 20);
	size_t i;

	if (g.form[0])
		strcpy(g.form, "x");
	if (g.region[0])
		strcpy(g.region, "x");
	if (g.review[0])
		strcpy(g.review, "x");
	if (g.q[0])
		strcpy(g.q, "x");
	for (i = 0; i < g.nsel; i++) {
		strcpy(g.sel[i].question, "x");
		strcpy(g.sel[i].choice, "x");
	}
	sstore_filter_from(&a, f);
	sstore_filter_from(&b, &g);
	if (a.len != b.len || memcmp(a.data, b.data, a.len))
		die("a filter's value reached the SQL", a.data);
	buf_release(&a);
	buf_release(&b);
}

static void day_back(uint64_t ms, char out[32])
{
	int64_t z = (int64_t)(ms / 86400000) + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9);
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(out, 32, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

/* What sstore_filter_set took from key=value. */
static void check_filter_set(const struct sstore_filter *f, const struct sstore_filter *before, const char *key,
			     const char *value)
{
	char day[32];

	if (!strcmp(key, "from") && *value) {
		day_back(f->from_ms, day);
		if (strcmp(day, value) || f->from_ms % 86400000)
			die("a from day does not print back as given", value);
	} else if (!strcmp(key, "to") && *value) {
		day_back(f->to_ms - 86400000, day);
		if (strcmp(day, value) || f->to_ms % 86400000)
			die("a to day does not print back as given", value);
	} else if (!strcmp(key, "review") && *value && !review_state_valid(f->review)) {
		die("an unknown review state was taken", value);
	} else if ((!strcmp(key, "form") && strcmp(f->form, value)) || (!strcmp(key, "region") && strcmp(f->region, value)) ||
		   (!strcmp(key, "q") && strcmp(f->q, value))) {
		die("a filter's value was cut", value);
	} else if (!strncmp(key, "f.", 2) && *value &&
		   (f->nsel != before->nsel + 1 || strcmp(f->sel[f->nsel - 1].question, key + 2) ||
		    strcmp(f->sel[f->nsel - 1].choice, value))) {
		die("a question filter was not taken as given", key);
	}
	if (f->nsel > SSTORE_MAX_SELECT || (f->conflicts != 0 && f->conflicts != 1) || (f->deleted != 0 && f->deleted != 1))
		die("a filter outside its bounds", key);
}

static int count_record(void *ctx, const struct sstore_record *r)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

/* A resolved filter runs: the store may refuse it (a search SQLite cannot read), never fail. */
static void run_filter(struct sstore_filter *f, const struct sstore_page *p)
{
	char err[512] = "";
	size_t n = 0;
	uint64_t total;

	check_sql(f);
	if (sstore_filter_resolve(store, f, err, sizeof(err)) < 0) {
		if (!err[0] || (strncmp(err, "filter '", 8) && strcmp(err, "no form is published")))
			die("a filter refused without naming it", err);
		return;
	}
	if (sstore_select(store, f, p, count_record, &n, &total, err, sizeof(err)) < 0)
		die("a resolved filter fails in the store", err);
	if (n > p->limit || n != total)
		die("a selection of an empty store holds records", NULL);
}

/* Splits a query string as libmicrohttpd does: '&' between parameters, the first '=' between key and value,
 * '+' as a space, then %XX. */
static void query_run(char *qs)
{
	struct sstore_filter f, before;
	struct sstore_page p;
	const char *sort = NULL, *dir_ = NULL, *page = NULL, *per = NULL;
	char *cols = NULL, *s, *next, err[512] = "", *key, *val, none[1] = "";
	const char *columns[SRV_MAX_COLUMNS];
	long long n;
	size_t ncols = 0, i;
	int r, bad = 0;

	memset(&f, 0, sizeof(f));
	for (s = qs; s && !bad; s = next) {
		next = strchr(s, '&');
		if (next)
			*next++ = '\0';
		key = s;
		val = strchr(s, '=');
		if (val)
			*val++ = '\0';
		else
			val = none;
		for (i = 0; key[i]; i++)
			key[i] = key[i] == '+' ? ' ' : key[i];
		for (i = 0; val[i]; i++)
			val[i] = val[i] == '+' ? ' ' : val[i];
		mhd.http_unescape(key);
		mhd.http_unescape(val);
		before = f;
		r = sstore_filter_set(&f, key, val, err, sizeof(err));
		if (r < 0) {
			if (!err[0])
				die("a filter refused without a message", key);
			bad = 1;
		} else if (r == 0) {
			check_filter_set(&f, &before, key, val);
		} else if (!strcmp(key, "sort")) {
			sort = val;
		} else if (!strcmp(key, "dir")) {
			dir_ = val;
		} else if (!strcmp(key, "page")) {
			page = val;
		} else if (!strcmp(key, "per_page")) {
			per = val;
		} else if (!strcmp(key, "columns")) {
			cols = val;
		} else if (!strcmp(key, "format")) {
			/* GET /v1/export: a format is its own file extension, or refused. */
			int fmt = export_format_parse(val);

			if (fmt >= 0 && strcmp(export_extension((enum export_format)fmt), val))
				die("an export format taken for another", val);
		} else if (!strcmp(key, "after") || !strcmp(key, "limit") || !strcmp(key, "forms")) {
			/* The pull feeds' cursors: a whole number within bounds, or refused. */
			n = http_number(val, 7, 1, 50000);
			if (n != -1 && n != 7 && (n < 1 || n > 50000 || !*val))
				die("a number outside its bounds was taken", val);
			if (*val && n != -1 && n != strtoll(val, NULL, 10))
				die("a number read otherwise than written", val);
		}
	}
	if (bad)
		return;
	if (srv_page_read(form, sort, dir_, page, per, &p, err, sizeof(err)) < 0) {
		if (!err[0])
			die("a page refused without a message", NULL);
		return;
	}
	if (p.limit < 1 || p.limit > SRV_PER_PAGE_MAX || p.offset % p.limit ||
	    (p.sort == SORT_QUESTION && !form_find(form, p.question)))
		die("a page outside its bounds was taken", NULL);
	if (srv_columns_read(form, cols, columns, &ncols, err, sizeof(err)) == 0) {
		if (ncols > SRV_MAX_COLUMNS)
			die("more columns than the cap", NULL);
		for (i = 0; i < ncols; i++)
			if (!form_find(form, columns[i]))
				die("a column that is no question was taken", columns[i]);
	}
	p.limit = p.limit > 5 ? 5 : p.limit;
	run_filter(&f, &p);
}

static void body_run(int which, const char *text, size_t len)
{
	struct http_request rq;
	struct http_response rs;
	struct sstore_filter f;
	struct srv_review_req rv;
	struct srv_resolve_req rr;
	struct srv_duplicates_req dr;
	struct srv_user_req ur;
	struct srv_code_req cr;
	struct sstore_page p = { .sort = SORT_CREATED, .limit = 5 };
	const char *code = NULL, *a, *b;
	char err[512] = "", *value = NULL, *again;
	json_t *body, *back;
	int ok, r = 0;
	size_t n;

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.method = "POST";
	rq.body.data = (char *)text;
	rq.body.len = len;
	rq.body.max = len + 1;
	buf_init(&rs.body, (size_t)1 << 20);
	rs.file_fd = -1;
	body = http_json_body(&rq, &rs);
	if (!body) {
		if (rs.status != 400 || !strstr(rs.body.data, "bad_json"))
			die("a body refused otherwise than 400 bad_json", rs.body.data);
		buf_release(&rs.body);
		return;
	}
	buf_release(&rs.body);
	if (!json_is_object(body))
		die("a body that is no object was taken", text);
	again = jsonc_dumps(body);
	back = again ? json_loads(again, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!back || !json_equal(back, body))
		die("a body does not read back the same", text);
	json_decref(back);
	free(again);
	switch (which) {
	case 0:
		if ((r = srv_login_read(body, &a, &b, &code, err, sizeof(err))) == 0 &&
		    (json_object_size(body) != 2 || strlen(a) != json_string_length(json_object_get(body, "user")) ||
		     strlen(b) != json_string_length(json_object_get(body, "password"))))
			die("a login the spec refuses was taken", text);
		break;
	case 1:
		if ((r = srv_password_read(body, &a, &b, &ok, &code, err, sizeof(err))) == 0 &&
		    (json_object_size(body) != 2 || strlen(b) < SSTORE_PASSWORD_MIN || strlen(b) > SSTORE_PASSWORD_MAX))
			die("a password change the spec refuses was taken", text);
		break;
	case 2:
		if ((r = srv_review_read(body, &rv, &code, err, sizeof(err))) == 0) {
			no_nul(json_object_get(body, "record"), "record");
			check_value(rv.value, rv.status, rv.comment);
		}
		free(rv.value);
		break;
	case 3:
		if ((r = srv_resolve_read(body, &rr, &code, err, sizeof(err))) == 0) {
			const struct form_question *q = form_find(form, rr.field);
			json_t *c1 = NULL, *c2 = NULL;

			if (!strcmp(rr.field, "_review"))
				die("a review was taken as a resolution", text);
			/* The endpoint goes on with the record's form: the answer in its stored form, or refused. */
			if (q && q->type != FT_NOTE && !json_is_null(rr.value) &&
			    form_coerce_answer(form, q, rr.value, &c1, err, sizeof(err)) == 0 && c1 &&
			    (form_coerce_answer(form, q, c1, &c2, err, sizeof(err)) < 0 || !json_equal(c1, c2)))
				die("a resolved answer is not in its stored form", rr.field);
			json_decref(c1);
			json_decref(c2);
		}
		break;
	case 4:
		if ((r = srv_bulk_review_read(body, &f, &value, &code, err, sizeof(err))) == 0) {
			json_t *c = json_object_get(body, "comment");

			check_value(value, json_string_value(json_object_get(body, "status")), c ? json_string_value(c) : "");
			run_filter(&f, &p);
		} else if (value) {
			die("a refused bulk review left a value", NULL);
		}
		free(value);
		break;
	case 5:
		if ((r = srv_duplicates_read(body, &dr, &code, err, sizeof(err))) == 0) {
			n = json_array_size(dr.records);
			if (n < 2 || n > SRV_GROUP_MAX || (strcmp(dr.decision, "dismiss") && strcmp(dr.decision, "confirm")) ||
			    (!strcmp(dr.decision, "confirm") && !dr.keep))
				die("a duplicates decision the spec refuses was taken", text);
		}
		break;
	case 6:
		if ((r = srv_user_add_read(body, &ur, &code, err, sizeof(err))) == 0 &&
		    (!sstore_user_name_valid(ur.name) || !srv_role_of(ur.role) || strlen(ur.password) < SSTORE_PASSWORD_MIN ||
		     strlen(ur.password) > SSTORE_PASSWORD_MAX || json_object_size(body) != 3))
			die("an account the spec refuses was taken", text);
		break;
	case 7:
		if ((r = srv_user_name_read(body, &a, &code, err, sizeof(err))) == 0 && json_object_size(body) != 1)
			die("a name body with other members was taken", text);
		break;
	default:
		if ((r = srv_code_read(body, &cr, &code, err, sizeof(err))) == 0) {
			if (cr.uses < 1 || cr.uses > SRV_CODE_MAX_USES || cr.ttl_ms < 60000 ||
			    cr.ttl_ms > SRV_CODE_MAX_EXPIRY_MS || cr.ttl_ms % 60000 ||
			    sstore_region_check(cr.region, NULL, 0) < 0)
				die("a code the spec refuses was asked for", text);
		}
		break;
	}
	if (r < 0 && (!err[0] || !code || !code[0]))
		die("a body refused without an error code and a message", text);
	json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!store)
		setup();
	if (size == 0)
		return 0;
	/* NUL-terminated, as http.c keeps every body it reads. */
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	if (data[0] % 10 == 9)
		query_run(text);
	else
		body_run(data[0] % 10, text, size - 1);
	free(text);
	return 0;
}
