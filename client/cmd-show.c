/* cmd-show.c - sondeo show: one record's answers with their labels, its conflicts, and its history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

struct heads_ctx {
	const struct form *f;
	const struct form_question *q;
	const char *lang;
	json_t *list;       /* for --json */
};

static void print_head(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct heads_ctx *h = ctx;
	char when[32];

	time_fmt(HLC_MS(hlc), when, sizeof(when));
	if (h->list) {
		json_array_append_new(h->list, json_pack("{s:o, s:s, s:I, s:s}", "value",
							 json_loads(value, JSON_DECODE_ANY, NULL), "device", id->device,
							 "seq", (json_int_t)id->seq, "time", when));
	} else {
		char *t = cli_answer_text(h->f, h->q, value, h->lang);

		printf("        - %s   (device %.8s, %s)\n", t, id->device, when);
		free(t);
	}
}

static int show_history(struct store *s, const struct store_record *rec, const struct form *f, json_t *out,
			const char *lang)
{
	sqlite3_stmt *st;
	char err[512];
	int rc;

	if (rec->draft) {
		if (!out)
			printf("\nHistory: none yet; a draft's answers become history when it is finalized.\n");
		return 0;
	}
	/* The old value of an op is the value of the ops it replaced: its base. */
	st = db_prepare(store_db(s),
			"SELECT o.hlc, d.id, o.seq, o.field, o.value,"
			" (SELECT json_group_array(json(p.value)) FROM op_base b JOIN ops p"
			"  ON p.did = b.did AND p.seq = b.seq WHERE b.op = o.id), a.user"
			" FROM ops o JOIN devices d ON d.did = o.did LEFT JOIN op_authors a ON a.did = o.did AND a.seq = o.seq"
			" WHERE o.rid = ?1 ORDER BY o.hlc, d.id, o.seq",
			err, sizeof(err));
	if (!st)
		return cli_error("%s", err);
	sqlite3_bind_int64(st, 1, rec->rid);
	if (!out)
		printf("\nHistory:\n");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *field = db_text(st, 3);
		const struct form_question *q = form_find(f, field);
		json_t *old = json_loads(db_text(st, 5), 0, NULL);
		char when[32];

		time_fmt(HLC_MS((uint64_t)sqlite3_column_int64(st, 0)), when, sizeof(when));
		if (out) {
			json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:s?}", "time", when, "device",
							     db_text(st, 1), "seq", sqlite3_column_int64(st, 2), "field",
							     field, "old", old ? old : json_array(), "new",
							     json_loads(db_text(st, 4), JSON_DECODE_ANY, NULL), "by",
							     sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : db_text(st, 6)));
			continue;
		}
		{
			int is_review = !strcmp(field, "_review");
			char *nv = is_review ? cli_review_text(db_text(st, 4)) : cli_answer_text(f, q, db_text(st, 4), lang);
			size_t i;

			/* A server's op names its reviewer instead of a device. */
			if (sqlite3_column_type(st, 6) != SQLITE_NULL)
				printf("  %s  reviewer %-8s #%-5lld %-22s ", when, db_text(st, 6),
				       (long long)sqlite3_column_int64(st, 2), field);
			else
				printf("  %s  device %.8s #%-5lld %-22s ", when, db_text(st, 1),
				       (long long)sqlite3_column_int64(st, 2), field);
			if (!old || json_array_size(old) == 0)
				printf("(none)");
			for (i = 0; old && i < json_array_size(old); i++) {
				char *ov = json_dumps(json_array_get(old, i), JSON_ENCODE_ANY);
				char *ot = is_review ? cli_review_text(ov) : cli_answer_text(f, q, ov ? ov : "null", lang);

				printf("%s%s", i ? " | " : "", *ot ? ot : "(empty)");
				free(ot);
				free(ov);
			}
			printf(" -> %s\n", *nv ? nv : "(cleared)");
			free(nv);
			json_decref(old);
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cli_error("cannot read the history");
}

/* A repeat's heading: "  -- Member --", or "  -- Member: 2 of 3 --" when the form fixes their number. */
static void repeat_heading(struct store *s, const struct form *f, const char *id, const struct form_group *g,
			   const char *name, const json_t *answers, const char *lang)
{
	int count = form_repeat_count(f, g, answers);

	printf("\n  -- %s", g && g->label ? form_text(f, g->label, lang) : name);
	if (count >= 0)
		printf(": %d of %d", store_instance_count(s, id, name), count);
	printf(" --\n");
}

/* The instances of the record's repeats, each on a line: "  -- Member --", "   1. 36ed0f9a  Name: Ana; Age: 34";
 * a repeat whose number the form fixes also when it has none yet ("  -- Member: 0 of 3 --"). */
static void show_instances(struct store *s, const struct form *f, const char *id, const char *lang)
{
	sqlite3_stmt *st = db_prepare(store_db(s),
				      "SELECT r.id, (SELECT json_extract(x.value, '$') FROM fields x WHERE x.rid = r.rid"
				      "  AND x.field = '_repeat') AS rep FROM records r JOIN fields p ON p.rid = r.rid"
				      " AND p.field = '_parent' AND p.value = json_quote(?1) WHERE NOT r.deleted"
				      " ORDER BY rep, r.created", NULL, 0);
	char last[MERGE_MAX_NAME + 1] = "", err[256];
	json_t *mine = store_answers(s, id, err, sizeof(err));
	unsigned k = 0;

	if (!st) {
		json_decref(mine);
		return;
	}
	db_bind_text(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cid = db_text(st, 0), *rep = db_text(st, 1);
		const struct form_group *g = form_repeat_find(f, rep);
		json_t *a = store_answers(s, cid, err, sizeof(err)), *both = json_deep_copy(mine);
		size_t i;
		int first = 1;

		/* Labels may name the instance's answers and its record's. */
		if (a && both)
			json_object_update(both, a);

		if (strcmp(last, rep)) {
			strlcpy_s(last, rep, sizeof(last));
			repeat_heading(s, f, id, g, rep, mine, lang);
			k = 0;
		}
		printf("   %u. %.8s ", ++k, cid);
		for (i = 0; a && i < form_count(f); i++) {
			const struct form_question *q = form_question(f, i);
			json_t *v = json_object_get(a, q->name);
			char *vt, *t, *label;

			if (!v || form_repeat_of(q) != g)
				continue;
			vt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			t = cli_answer_text(f, q, vt, lang);
			label = form_interpolate(f, form_text(f, q->label, lang), both, lang);
			printf("%s %s: %s", first ? "" : ";", label ? label : "", t);
			first = 0;
			free(label);
			free(t);
			free(vt);
		}
		printf("\n");
		json_decref(a);
		json_decref(both);
	}
	sqlite3_finalize(st);
	/* The record's own repeats whose number is fixed but that have no instance yet. */
	{
		const struct form_group *scope = form_repeat_find(f, json_string_value(json_object_get(mine, "_repeat")));
		size_t i;

		for (i = 0; i < form_count(f); i++) {
			const struct form_group *g = form_repeat_of(form_question(f, i)), *o;

			if (!g || !g->repeat_count || (i && form_repeat_of(form_question(f, i - 1)) == g))
				continue;
			for (o = g->parent; o && !o->repeat; o = o->parent)
				;
			if (o == scope && form_repeat_count(f, g, mine) > 0 && store_instance_count(s, id, g->name) == 0)
				repeat_heading(s, f, id, g, g->name, mine, lang);
		}
	}
	json_decref(mine);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "history", no_argument, NULL, 'H' }, { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 }
	};
	struct store_record rec;
	struct store *s;
	struct form *f = NULL;
	json_t *answers = NULL, *out = NULL, *shown = NULL;
	char err[512], created[32], updated[32];
	int c, history = 0, json = 0, r = EXIT_FAIL;
	const struct form_group *section = NULL, *scope = NULL;
	size_t i;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (c == 'H')
			history = 1;
		else if (c == 'j')
			json = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli, optind < argc ? "expected one record id" : "which record? give its id");
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (store_find(s, argv[optind], &rec, err, sizeof(err)) < 0 ||
	    !(f = store_form_get(s, rec.form, rec.form_version, err, sizeof(err))) ||
	    !(answers = store_answers(s, rec.id, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	time_fmt(HLC_MS(rec.created), created, sizeof(created));
	time_fmt(HLC_MS(rec.updated), updated, sizeof(updated));
	if (json) {
		json_t *conf = json_object(), *ans = json_object();

		out = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "id", rec.id, "form", rec.form, "form_version",
				rec.form_version, "status", rec.draft ? "draft" : "final", "deleted", rec.deleted,
				"created", created, "updated", updated);
		json_object_set(out, "review", json_is_object(json_object_get(answers, "_review")) ?
				json_object_get(answers, "_review") : json_null());
		for (i = 0; i < form_count(f); i++) {
			const struct form_question *q = form_question(f, i);
			json_t *v = json_object_get(answers, q->name);

			if (v)
				json_object_set(ans, q->name, v);
			if (rec.conflicts) {
				struct heads_ctx h = { f, q, cli->lang, json_array() };

				if (merge_heads(store_merge(s), rec.id, q->name, print_head, &h, err, sizeof(err)) > 1)
					json_object_set(conf, q->name, h.list);
				json_decref(h.list);
			}
		}
		if (rec.conflicts) {
			json_t *reviews = json_array();

			if (cli_review_heads(s, rec.id, reviews) > 1)
				json_object_set(conf, "_review", reviews);
			json_decref(reviews);
		}
		json_object_set_new(out, "answers", ans);
		json_object_set_new(out, "conflicts", conf);
		if (history) {
			json_t *hist = json_array();

			show_history(s, &rec, f, hist, cli->lang);
			json_object_set_new(out, "history", hist);
		}
		{
			char *t = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

			puts(t);
			free(t);
		}
		r = EXIT_OK;
		goto out;
	}

	printf("Record %s\n", rec.id);
	printf("Form:    %s (%s version %s)\n", form_title(f, cli->lang), rec.form, rec.form_version);
	printf("State:   %s%s%s\n", rec.draft ? "draft (stays on this device until finalized)" : "final",
	       rec.deleted ? ", deleted" : "", rec.conflicts ? ", in conflict" : "");
	printf("Created: %s   Updated: %s\n", created, updated);
	{
		char *rt = json_dumps(json_object_get(answers, "_review"), JSON_ENCODE_ANY | JSON_COMPACT);
		char *review = cli_review_text(rt);
		/* A review in conflict is shown with each reviewer's decision, as answers in conflict are. */
		int heads = rec.conflicts ? merge_heads(store_merge(s), rec.id, "_review", NULL, NULL, err,
							sizeof(err)) : 1;

		if (*review || heads > 1)
			printf("Review:  %s\n", *review ? review : "pending");
		if (heads > 1)
			cli_review_heads(s, rec.id, NULL);
		free(review);
		free(rt);
	}
	/* An instance of a repeat: which record it belongs to. */
	scope = form_repeat_find(f, json_string_value(json_object_get(answers, "_repeat")));
	if (scope && json_is_string(json_object_get(answers, "_parent")))
		printf("Part of: %s (%s)\n", json_string_value(json_object_get(answers, "_parent")),
		       scope->label ? form_text(f, scope->label, cli->lang) : scope->name);
	printf("\n");
	/* What relevance and labels may name: the record's answers, and an instance's record's. */
	if (!(shown = store_answers_in_view(s, answers, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		json_t *v = json_object_get(answers, q->name);
		char *vt = NULL, *t;

		/* A record shows its own questions; those of a repeat are in its instances' records. */
		if (q->type == FT_NOTE || form_repeat_of(q) != scope || (!v && form_relevant(f, q, shown, NULL, 0) == 0))
			continue;
		/* A group's questions under its heading. */
		if (q->group != section) {
			section = q->group;
			if (section)
				printf("  -- %s --\n", section->label ? form_text(f, section->label, cli->lang) : section->name);
		}
		if (v) {
			vt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			t = cli_answer_text(f, q, vt, cli->lang);
		} else {
			t = xstrdup("-");
		}
		{
			/* With the answers it names put in: "How old is Ana?" (an instance's, and its record's). */
			char *label = form_interpolate(f, form_text(f, q->label, cli->lang), shown, cli->lang);
			size_t w = utf8_len(label ? label : "");

			/* Labels are sentences in some languages: a long one gets its own line. */
			if (w > 40)
				printf("  %s\n  %-40s %s\n", label, "", t);
			else
				printf("  %s%*s %s\n", label ? label : "", (int)(40 - w), "", t);
			free(label);
		}
		free(t);
		free(vt);
		if (rec.conflicts) {
			struct heads_ctx h = { f, q, cli->lang, NULL };

			if (merge_heads(store_merge(s), rec.id, q->name, NULL, NULL, err, sizeof(err)) > 1) {
				printf("      CONFLICT: changed on several devices without seeing each other:\n");
				merge_heads(store_merge(s), rec.id, q->name, print_head, &h, err, sizeof(err));
			}
		}
	}
	show_instances(s, f, rec.id, cli->lang);
	if (history && show_history(s, &rec, f, NULL, cli->lang) != 0)
		goto out;
	r = EXIT_OK;
out:
	json_decref(out);
	json_decref(answers);
	json_decref(shown);
	form_free(f);
	store_close(s);
	return r;
}
