/* test_store.c - the device's store as the commands see it (client/store.h): selections by a filter, a field's
 * value, history, repeat instances, counts, this device's ops after a point, and pulled ops taken in with their
 * cursor in one transaction. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "store.h"
#include "test.h"
#include "util.h"

static char top[512];

static void rm_rf(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char sub[1024];

				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				rm_rf(sub);
			}
		closedir(d);
	}
	rmdir(path);
}

static struct store *fresh(const char *name)
{
	char dir[700], id[KEYS_ID_STRLEN + 1], err[512] = "";
	struct store *s;

	snprintf(dir, sizeof(dir), "%s/%s", top, name);
	if (store_init(dir, name, id, err, sizeof(err)) < 0 || !(s = store_open(dir, err, sizeof(err)))) {
		printf("#   store '%s': %s\n", dir, err);
		return NULL;
	}
	return s;
}

/* Adds a record of the built-in form with the answers (JSON text) in a transaction of its own. */
static int add(struct store *s, const char *answers, int draft, struct store_record *rec)
{
	char err[512] = "";
	struct form *f = store_form_get(s, "partnership", NULL, err, sizeof(err));
	json_t *a = json_loads(answers, 0, NULL);
	int r = -1;

	if (f && a && store_begin(s, err, sizeof(err)) == 0) {
		if (store_add(s, f, a, draft, rec, err, sizeof(err)) == 0 && store_commit(s, err, sizeof(err)) == 0)
			r = 0;
		else
			store_rollback(s);
	}
	if (r < 0)
		printf("#   add %s: %s\n", answers, err);
	json_decref(a);
	form_free(f);
	return r;
}

static int set(struct store *s, const struct store_record *rec, const char *field, const char *value)
{
	char err[512] = "";
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	int r = -1;

	if (store_begin(s, err, sizeof(err)) == 0) {
		if (store_set(s, rec, field, v, err, sizeof(err)) >= 0 && store_commit(s, err, sizeof(err)) == 0)
			r = 0;
		else
			store_rollback(s);
	}
	if (r < 0)
		printf("#   set %s: %s\n", field, err);
	json_decref(v);
	return r;
}

/* The ids a selection gives, first letters of partner names joined: "AC" for Alpha then Charlie. */
struct picked {
	struct store *s;
	char initials[16];
};

static int pick(void *ctx, const struct store_record *rec)
{
	struct picked *p = ctx;
	char *v = NULL;
	size_t n = strlen(p->initials);

	if (store_field_get(p->s, rec, "partner_name", &v, NULL, 0) == 1 && n + 1 < sizeof(p->initials)) {
		p->initials[n] = v[1];    /* past the JSON string's quote */
		p->initials[n + 1] = '\0';
	}
	free(v);
	return 0;
}

static const char *selected(struct store *s, const struct store_filter *f)
{
	static struct picked p;
	char err[512] = "";

	p.s = s;
	p.initials[0] = '\0';
	if (store_select(s, f, pick, &p, err, sizeof(err)) < 0) {
		printf("#   store_select: %s\n", err);
		return "(error)";
	}
	return p.initials;
}

static void test_select_filters(void)
{
	struct store *s = fresh("select");
	struct store_record a, b, c, d;
	struct store_filter f;
	char err[512];

	if (!s)
		return;
	CHECK_INT(add(s, "{\"partner_name\": \"Alpha 100% aid\", \"country\": \"Kenya\","
		      " \"level\": [\"local\", \"national\"]}", 0, &a), 0);
	CHECK_INT(add(s, "{\"partner_name\": \"Bravo\", \"country\": \"Chad\", \"level\": [\"regional\"]}", 0, &b), 0);
	CHECK_INT(add(s, "{\"partner_name\": \"Charlie_x\", \"country\": \"Kenya\"}", 1, &c), 0);
	CHECK_INT(add(s, "{\"partner_name\": \"Delta\"}", 0, &d), 0);
	CHECK(store_begin(s, err, sizeof(err)) == 0 && store_delete(s, &d, err, sizeof(err)) == 0 &&
	      store_commit(s, err, sizeof(err)) == 0);

	memset(&f, 0, sizeof(f));
	/* The last changed first; deleted records left out unless asked for. */
	CHECK_STR(selected(s, &f), "CBA");
	f.deleted = 1;
	CHECK_STR(selected(s, &f), "DCBA");
	f.deleted = 0;
	f.drafts = 1;
	CHECK_STR(selected(s, &f), "C");
	f.drafts = 0;
	/* Search text is taken as typed: % and _ are not wildcards. */
	f.search = "100%";
	CHECK_STR(selected(s, &f), "A");
	f.search = "%";
	CHECK_STR(selected(s, &f), "A");
	f.search = "_";
	CHECK_STR(selected(s, &f), "C");
	f.search = "ken";
	CHECK_STR(selected(s, &f), "CA");
	f.search = NULL;
	/* A select_multiple answer matches by any of its choices. */
	f.nwhere = 1;
	strlcpy_s(f.where[0].question, "level", sizeof(f.where[0].question));
	f.where[0].value = "national";
	CHECK_STR(selected(s, &f), "A");
	f.where[0].value = "bilateral";
	CHECK_STR(selected(s, &f), "");
	strlcpy_s(f.where[0].question, "country", sizeof(f.where[0].question));
	f.where[0].value = "Kenya";
	CHECK_STR(selected(s, &f), "CA");
	f.form = "nosuchform";
	CHECK_STR(selected(s, &f), "");
	f.form = "partnership";
	CHECK_STR(selected(s, &f), "CA");
	f.nwhere = STORE_MAX_WHERE + 1;
	CHECK(store_select(s, &f, pick, NULL, err, sizeof(err)) < 0 && strstr(err, "at most"));
	store_close(s);
}

static int note_instance(void *ctx, const char *id, const char *repeat)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%.8s:%s ", id, repeat);
	return 0;
}

static void test_instances(void)
{
	struct store *s = fresh("instances");
	struct store_record parent, child, found;
	struct form *f = s ? store_form_get(s, "partnership", NULL, NULL, 0) : NULL;
	struct store_filter all;
	char err[512] = "", seen[256] = "", want[64], id[64];
	size_t n = 0;

	if (!s || !f)
		return;
	CHECK_INT(add(s, "{\"partner_name\": \"Parent\"}", 0, &parent), 0);
	CHECK_INT(add(s, "{\"partner_name\": \"Kid\"}", 1, &child), 0);
	snprintf(id, sizeof(id), "\"%s\"", parent.id);
	CHECK_INT(set(s, &child, "_parent", id), 0);
	CHECK_INT(set(s, &child, "_repeat", "\"members\""), 0);
	CHECK(store_begin(s, err, sizeof(err)) == 0 && store_finalize(s, &child, f, err, sizeof(err)) == 0 &&
	      store_commit(s, err, sizeof(err)) == 0);

	CHECK_INT(store_instances(s, parent.id, note_instance, seen, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%.8s:members ", child.id);
	CHECK_STR(seen, want);
	CHECK_INT(store_instance_count(s, parent.id, "members"), 1);
	/* Instances are shown with their record, not among the records. */
	memset(&all, 0, sizeof(all));
	CHECK_STR(selected(s, &all), "P");
	/* Deleting the record deletes its instances first. */
	CHECK(store_find(s, parent.id, &found, err, sizeof(err)) == 0);
	CHECK(store_begin(s, err, sizeof(err)) == 0 && store_delete_tree(s, &found, &n, err, sizeof(err)) == 0 &&
	      store_commit(s, err, sizeof(err)) == 0);
	CHECK_INT(n, 2);
	seen[0] = '\0';
	CHECK_INT(store_instances(s, parent.id, note_instance, seen, err, sizeof(err)), 0);
	CHECK_STR(seen, "");
	form_free(f);
	store_close(s);
}

static int note_change(void *ctx, const struct store_history_op *h)
{
	char *out = ctx;
	size_t n = strlen(out);

	if (!strcmp(h->field, "country"))
		snprintf(out + n, 256 - n, "%s->%s ", h->old, h->value);
	return 0;
}

static void test_history_and_counts(void)
{
	struct store *s = fresh("history");
	struct store_record a, b, draft;
	struct store_counts c;
	char err[512] = "", seen[256] = "";

	if (!s)
		return;
	CHECK_INT(add(s, "{\"partner_name\": \"A\", \"country\": \"Peru\"}", 0, &a), 0);
	CHECK_INT(set(s, &a, "country", "\"Chile\""), 0);
	CHECK_INT(add(s, "{\"partner_name\": \"B\"}", 0, &b), 0);
	CHECK_INT(add(s, "{\"partner_name\": \"D\", \"country\": \"Cuba\"}", 1, &draft), 0);
	CHECK_INT(store_history(s, &a, note_change, seen, err, sizeof(err)), 0);
	CHECK_STR(seen, "[]->\"Peru\" [\"Peru\"]->\"Chile\" ");
	/* A draft has no history yet. */
	seen[0] = '\0';
	CHECK_INT(store_history(s, &draft, note_change, seen, err, sizeof(err)), 0);
	CHECK_STR(seen, "");
	CHECK_INT(store_heads(s, a.id, "country", NULL, NULL, err, sizeof(err)), 1);

	CHECK(store_begin(s, err, sizeof(err)) == 0 && store_delete(s, &b, err, sizeof(err)) == 0 &&
	      store_commit(s, err, sizeof(err)) == 0);
	CHECK_INT(store_counts(s, &c, err, sizeof(err)), 0);
	CHECK_INT(c.records, 1);
	CHECK_INT(c.drafts, 1);
	CHECK_INT(c.deleted, 1);
	CHECK_INT(c.conflicts, 0);
	store_close(s);
}

static void test_ops_after(void)
{
	struct store *s = fresh("ops");
	struct store_ops batch = { NULL, 0, NULL, NULL };
	struct store_record a;
	char err[512] = "";
	uint64_t n = 99;
	size_t i;

	if (!s)
		return;
	CHECK_INT(store_ops_count(s, 0, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 0);
	CHECK_INT(add(s, "{\"partner_name\": \"A\", \"country\": \"Peru\"}", 0, &a), 0);
	CHECK_INT(set(s, &a, "country", "\"Chile\""), 0);
	CHECK_INT(store_ops_count(s, 0, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 3);
	CHECK_INT(store_ops_count(s, 2, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 1);
	/* At most max, in seq order; then the rest after the last one read. */
	CHECK_INT(store_ops_after(s, 0, 2, &batch, err, sizeof(err)), 2);
	for (i = 0; i < batch.n; i++) {
		CHECK_INT(batch.op[i].seq, i + 1);
		CHECK_STR(batch.op[i].device, store_device(s));
		CHECK_STR(batch.op[i].record, a.id);
		CHECK_STR(batch.op[i].form, "partnership");
		CHECK_INT(batch.op[i].nbase, 0);
	}
	CHECK_INT(store_ops_after(s, 2, 100, &batch, err, sizeof(err)), 1);
	CHECK_INT(batch.op[0].seq, 3);
	CHECK_STR(batch.op[0].field, "country");
	CHECK_STR(batch.op[0].value, "\"Chile\"");
	/* Its base is the value it replaced. */
	CHECK_INT(batch.op[0].nbase, 1);
	CHECK_STR(batch.op[0].base[0].device, store_device(s));
	CHECK_INT(store_ops_after(s, 3, 100, &batch, err, sizeof(err)), 0);
	store_ops_release(&batch);
	CHECK(batch.op == NULL && batch.n == 0);
	store_close(s);
}

static void test_take_pulled(void)
{
	struct store *from = fresh("pulled-from"), *to = fresh("pulled-to");
	struct store_ops batch = { NULL, 0, NULL, NULL }, more = { NULL, 0, NULL, NULL };
	struct store_record a, got;
	struct op bad[2];
	const char *by[3] = { NULL, NULL, "ana" };
	char err[512] = "", cursor[32] = "", who[64];
	char *v = NULL;
	uint64_t received = 99;

	if (!from || !to)
		return;
	CHECK_INT(add(from, "{\"partner_name\": \"A\", \"country\": \"Peru\"}", 0, &a), 0);
	CHECK_INT(set(from, &a, "country", "\"Chile\""), 0);
	CHECK_INT(store_ops_after(from, 0, 100, &batch, err, sizeof(err)), 3);

	CHECK_INT(store_take_pulled(to, batch.op, by, batch.n, "pull_cursor", 42, &received, err, sizeof(err)), 0);
	CHECK_INT(received, 3);
	CHECK_INT(store_meta_get(to, "pull_cursor", cursor, sizeof(cursor)), 0);
	CHECK_STR(cursor, "42");
	CHECK_INT(store_find(to, a.id, &got, err, sizeof(err)), 0);
	CHECK_INT(store_field_get(to, &got, "country", &v, err, sizeof(err)), 1);
	CHECK_STR(v, "\"Chile\"");
	free(v);
	CHECK_INT(store_op_author_get(to, store_device(from), 3, who, sizeof(who)), 1);
	CHECK_STR(who, "ana");
	CHECK_INT(store_op_author_get(to, store_device(from), 1, who, sizeof(who)), 0);
	/* Pulled ops are not this device's own: nothing to push. */
	CHECK_INT(store_ops_count(to, 0, &received, err, sizeof(err)), 0);
	CHECK_INT(received, 0);

	/* The same ops again are duplicates: taken, none new, and the cursor moves. */
	CHECK_INT(store_take_pulled(to, batch.op, NULL, batch.n, "pull_cursor", 43, &received, err, sizeof(err)), 0);
	CHECK_INT(received, 0);
	CHECK_INT(store_meta_get(to, "pull_cursor", cursor, sizeof(cursor)), 0);
	CHECK_STR(cursor, "43");

	/* A new op beside one that cannot be taken (an op held with other content): neither is kept, nor the cursor. */
	CHECK_INT(set(from, &a, "country", "\"Bolivia\""), 0);
	CHECK_INT(store_ops_after(from, 3, 100, &more, err, sizeof(err)), 1);
	bad[0] = more.op[0];
	bad[1] = batch.op[0];
	bad[1].value = "\"something else\"";
	CHECK_INT(store_take_pulled(to, bad, NULL, 2, "pull_cursor", 44, &received, err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	CHECK_INT(received, 0);
	CHECK_INT(store_meta_get(to, "pull_cursor", cursor, sizeof(cursor)), 0);
	CHECK_STR(cursor, "43");
	CHECK_INT(store_field_get(to, &got, "country", &v, err, sizeof(err)), 1);
	CHECK_STR(v, "\"Chile\"");
	free(v);
	/* And once the bad op is gone, the new one is taken. */
	CHECK_INT(store_take_pulled(to, bad, NULL, 1, "pull_cursor", 44, &received, err, sizeof(err)), 0);
	CHECK_INT(received, 1);
	CHECK_INT(store_field_get(to, &got, "country", &v, err, sizeof(err)), 1);
	CHECK_STR(v, "\"Bolivia\"");
	free(v);

	store_ops_release(&batch);
	store_ops_release(&more);
	store_close(from);
	store_close(to);
}

int main(void)
{
	snprintf(top, sizeof(top), "%s/test_store.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	store_global_init();
	if (sodium_init() < 0 || !mkdtemp(top)) {
		perror("test_store setup");
		return 1;
	}
	RUN(test_select_filters);
	RUN(test_instances);
	RUN(test_history_and_counts);
	RUN(test_ops_after);
	RUN(test_take_pulled);
	rm_rf(top);
	return test_done();
}
