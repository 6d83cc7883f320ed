/* cmd-show.c - sondeo show: one record's answers with their labels, its conflicts, and its history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hlc.h"
#include "i18n.h"
#include "review.h"
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
	char when[64];

	if (h->list) {
		/* For scripts: the moment as it always was, whatever the language. */
		time_fmt(HLC_MS(hlc), when, sizeof(when));
		json_array_append_new(h->list, json_pack("{s:o, s:s, s:I, s:s}", "value",
							 json_loads(value, JSON_DECODE_ANY, NULL), "device", id->device,
							 "seq", (json_int_t)id->seq, "time", when));
	} else {
		char *t = cli_answer_text(h->f, h->q, value, h->lang);

		cli_when(HLC_MS(hlc), when, sizeof(when));
		printf("        - %s   ", t);
		printf(_("(device %.8s, %s)"), id->device, when);
		putchar('\n');
		free(t);
	}
}

struct history_ctx {
	const struct form *f;
	const char *lang;
	json_t *out;            /* for --json */
	size_t when_width;      /* the moments' column, in characters */
};

static int history_line(void *ctx, const struct store_history_op *h)
{
	struct history_ctx *c = ctx;
	const struct form_question *q = form_find(c->f, h->field);
	json_t *old = json_loads(h->old, 0, NULL);
	int is_review = !strcmp(h->field, "_review");
	char when[64], *nv;
	size_t i;

	if (c->out) {
		/* For scripts: the moment as it always was, whatever the language. */
		time_fmt(HLC_MS(h->hlc), when, sizeof(when));
		json_array_append_new(c->out, json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:s?}", "time", when, "device",
							h->device, "seq", (json_int_t)h->seq, "field", h->field, "old",
							old ? old : json_array(), "new",
							json_loads(h->value, JSON_DECODE_ANY, NULL), "by", h->by));
		return 0;
	}
	nv = is_review ? cli_review_text(h->value) : cli_answer_text(c->f, q, h->value, c->lang);
	cli_when(HLC_MS(h->hlc), when, sizeof(when));
	printf("  %-*s  ", utf8_pad(when, (int)c->when_width), when);
	/* A server's op names its reviewer instead of a device. */
	if (h->by) {
		char by[256];

		snprintf(by, sizeof(by), "%-*s", utf8_pad(h->by, 8), h->by);
		/* TRANSLATORS: who made a change of a record's history: a reviewer at a server (name) or a device
		 * (id); the operation's number and the field follow. */
		printf(_("reviewer %s"), by);
	} else {
		printf(_("device %.8s"), h->device);
	}
	printf(" #%-5lld %-22s ", (long long)h->seq, h->field);
	if (!old || json_array_size(old) == 0)
		/* TRANSLATORS: a history line's value before a change when there was none, an empty one, and the value
		 * after a change that cleared the answer. */
		fputs(_("(none)"), stdout);
	for (i = 0; old && i < json_array_size(old); i++) {
		char *ov = json_dumps(json_array_get(old, i), JSON_ENCODE_ANY);
		char *ot = is_review ? cli_review_text(ov) : cli_answer_text(c->f, q, ov ? ov : "null", c->lang);

		printf("%s%s", i ? " | " : "", *ot ? ot : _("(empty)"));
		free(ot);
		free(ov);
	}
	printf(" -> %s\n", *nv ? nv : _("(cleared)"));
	free(nv);
	json_decref(old);
	return 0;
}

static int show_history(struct store *s, const struct store_record *rec, const struct form *f, json_t *out,
			const char *lang)
{
	struct history_ctx c = { f, lang, out, out ? 0 : cli_when_width() };
	char err[512];

	if (rec->draft) {
		if (!out)
			printf("\n%s\n", _("History: none yet; a draft's answers become history when it is finalized."));
		return 0;
	}
	if (!out)
		printf("\n%s\n", _("History:"));
	if (store_history(s, rec, history_line, &c, err, sizeof(err)) < 0)
		return cli_error(_("cannot read the history: %s"), err);
	return 0;
}

/* A repeat's heading: "  -- Member --", or "  -- Member: 2 of 3 --" when the form fixes their number. */
static void repeat_heading(struct store *s, const struct form *f, const char *id, const struct form_group *g,
			   const char *name, const json_t *answers, const char *lang)
{
	int count = form_repeat_count(f, g, answers);

	const char *label = g && g->label ? form_text(f, g->label, lang) : name;

	printf("\n  -- ");
	if (count >= 0)
		/* TRANSLATORS: a repeat's label, how many instances it has and how many the form asks for: "Member: 2
		 * of 3". */
		printf(_("%s: %d of %d"), label, store_instance_count(s, id, name), count);
	else
		fputs(label, stdout);
	printf(" --\n");
}

struct instances_ctx {
	struct store *s;
	const struct form *f;
	const char *id, *lang;
	json_t *mine;                   /* the record's own answers */
	char last[MERGE_MAX_NAME + 1];  /* the repeat shown last */
	unsigned k;
};

static int instance_line(void *ctx, const char *cid, const char *rep)
{
	struct instances_ctx *c = ctx;
	const struct form *f = c->f;
	const struct form_group *g = form_repeat_find(f, rep);
	char err[256];
	json_t *a = store_answers(c->s, cid, err, sizeof(err)), *both = json_deep_copy(c->mine);
	size_t i;
	int first = 1;

	/* Labels may name the instance's answers and its record's. */
	if (a && both)
		json_object_update(both, a);

	if (strcmp(c->last, rep)) {
		strlcpy_s(c->last, rep, sizeof(c->last));
		repeat_heading(c->s, f, c->id, g, rep, c->mine, c->lang);
		c->k = 0;
	}
	printf("   %u. %.8s ", ++c->k, cid);
	for (i = 0; a && i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		json_t *v = json_object_get(a, q->name);
		char *vt, *t, *label;

		if (!v || form_repeat_of(q) != g)
			continue;
		vt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		t = cli_answer_text(f, q, vt, c->lang);
		label = form_interpolate(f, form_text(f, q->label, c->lang), both, c->lang);
		printf("%s %s: %s", first ? "" : ";", label ? label : "", t);
		first = 0;
		free(label);
		free(t);
		free(vt);
	}
	printf("\n");
	json_decref(a);
	json_decref(both);
	return 0;
}

/* The instances of the record's repeats, each on a line: "  -- Member --", "   1. 36ed0f9a  Name: Ana; Age: 34";
 * a repeat whose number the form fixes also when it has none yet ("  -- Member: 0 of 3 --"). */
static void show_instances(struct store *s, const struct form *f, const char *id, const char *lang)
{
	char err[256];
	struct instances_ctx c = { s, f, id, lang, store_answers(s, id, err, sizeof(err)), "", 0 };
	json_t *mine = c.mine;

	if (store_instances(s, id, instance_line, &c, err, sizeof(err)) < 0) {
		json_decref(mine);
		return;
	}
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

/* The record as a JSON object: its state, answers, the heads of any field in conflict, and with history every op.
 * 0, or -1 after saying why. */
static int show_json(struct cli *cli, struct store *s, const struct store_record *rec, const struct form *f,
		     const json_t *answers, int history)
{
	char err[512], created[32], updated[32], *t;
	json_t *out, *conf = json_object(), *ans = json_object();
	size_t i;

	time_fmt(HLC_MS(rec->created), created, sizeof(created));
	time_fmt(HLC_MS(rec->updated), updated, sizeof(updated));
	out = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "id", rec->id, "form", rec->form, "form_version",
			rec->form_version, "status", rec->draft ? "draft" : "final", "deleted", rec->deleted,
			"created", created, "updated", updated);
	json_object_set(out, "review", json_is_object(json_object_get(answers, "_review")) ?
			json_object_get(answers, "_review") : json_null());
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		json_t *v = json_object_get(answers, q->name);

		if (v)
			json_object_set(ans, q->name, v);
		if (rec->conflicts) {
			struct heads_ctx h = { f, q, cli->lang, json_array() };

			if (store_heads(s, rec->id, q->name, print_head, &h, err, sizeof(err)) > 1)
				json_object_set(conf, q->name, h.list);
			json_decref(h.list);
		}
	}
	if (rec->conflicts) {
		json_t *reviews = json_array();

		if (cli_review_heads(s, rec->id, reviews) > 1)
			json_object_set(conf, "_review", reviews);
		json_decref(reviews);
	}
	json_object_set_new(out, "answers", ans);
	json_object_set_new(out, "conflicts", conf);
	if (history) {
		json_t *hist = json_array();

		show_history(s, rec, f, hist, cli->lang);
		json_object_set_new(out, "history", hist);
	}
	t = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	puts(t);
	free(t);
	json_decref(out);
	return 0;
}

/* The lines above the answers: id, form, state, dates, review (each reviewer's when in conflict), and for an
 * instance of a repeat the record it belongs to. Returns the repeat the record is an instance of, or NULL. */
static const struct form_group *show_head(struct cli *cli, struct store *s, const struct store_record *rec,
					  const struct form *f, const json_t *answers)
{
	char err[512], created[64], updated[64];
	char *rt = json_dumps(json_object_get(answers, "_review"), JSON_ENCODE_ANY | JSON_COMPACT);
	char *review = cli_review_text(rt);
	/* A review in conflict is shown with each reviewer's decision, as answers in conflict are. */
	int heads = rec->conflicts ? store_heads(s, rec->id, "_review", NULL, NULL, err, sizeof(err)) : 1;
	const struct form_group *scope;
	/* TRANSLATORS: the headings of the lines above a record's answers (sondeo show), each followed by its
	 * value; "Part of:" names the record a repeat's instance belongs to. */
	const char *hd[] = { C_("record heading", "Form:"), C_("record heading", "State:"),
			     C_("record heading", "Created:"), C_("record heading", "Review:"),
			     C_("record heading", "Part of:") };
	size_t i;
	int w = 0;

	/* The values line up one space past the longest heading, whatever the language. */
	for (i = 0; i < sizeof(hd) / sizeof(hd[0]); i++)
		if ((int)utf8_len(hd[i]) + 1 > w)
			w = (int)utf8_len(hd[i]) + 1;
	cli_when(HLC_MS(rec->created), created, sizeof(created));
	cli_when(HLC_MS(rec->updated), updated, sizeof(updated));
	printf(_("Record %s\n"), rec->id);
	printf("%-*s", utf8_pad(hd[0], w), hd[0]);
	printf(_("%s (%s version %s)"), form_title(f, cli->lang), rec->form, rec->form_version);
	printf("\n%-*s%s", utf8_pad(hd[1], w), hd[1],
	       rec->draft ? _("draft (stays on this device until finalized)") : C_("record state", "final"));
	/* The record's other states, each after a comma. */
	if (rec->deleted)
		printf(", %s", C_("record state", "deleted"));
	if (rec->conflicts)
		printf(", %s", C_("record state", "in conflict"));
	printf("\n%-*s%s   %s %s\n", utf8_pad(hd[2], w), hd[2], created, C_("record heading", "Updated:"), updated);
	if (*review || heads > 1)
		printf("%-*s%s\n", utf8_pad(hd[3], w), hd[3], *review ? review : review_status_text("pending"));
	if (heads > 1)
		cli_review_heads(s, rec->id, NULL);
	free(review);
	free(rt);
	/* An instance of a repeat: which record it belongs to. */
	scope = form_repeat_find(f, json_string_value(json_object_get(answers, "_repeat")));
	if (scope && json_is_string(json_object_get(answers, "_parent")))
		printf("%-*s%s (%s)\n", utf8_pad(hd[4], w), hd[4], json_string_value(json_object_get(answers, "_parent")),
		       scope->label ? form_text(f, scope->label, cli->lang) : scope->name);
	printf("\n");
	return scope;
}

/* One answer's line under its label ("How old is Ana?", with the answers it names put in), and the competing
 * values when it is in conflict. */
static void show_answer(struct cli *cli, struct store *s, const struct store_record *rec, const struct form *f,
			const struct form_question *q, const json_t *v, const json_t *shown)
{
	char err[256], *vt = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	char *t = vt ? cli_answer_text(f, q, vt, cli->lang) : xstrdup("-");
	char *label = form_interpolate(f, form_text(f, q->label, cli->lang), shown, cli->lang);
	size_t w = utf8_len(label ? label : "");

	/* Labels are sentences in some languages: a long one gets its own line. */
	if (w > 40)
		printf("  %s\n  %-40s %s", label, "", t);
	else
		printf("  %s%*s %s", label ? label : "", (int)(40 - w), "", t);
	if (v && form_is_media(q->type)) {
		/* Whether the file is here: a final record's attachments from other laptops come when opened. */
		char path[4096];
		int here = store_media_path(s, json_string_value(json_object_get(v, "blake2b")), path, sizeof path);

		fputs(here == 1 ? _(", on this laptop") : _(", not on this laptop yet"), stdout);
	}
	putchar('\n');
	free(label);
	free(t);
	free(vt);
	if (rec->conflicts) {
		struct heads_ctx h = { f, q, cli->lang, NULL };

		if (store_heads(s, rec->id, q->name, NULL, NULL, err, sizeof(err)) > 1) {
			printf("      %s\n", _("CONFLICT: changed on several devices without seeing each other:"));
			store_heads(s, rec->id, q->name, print_head, &h, err, sizeof(err));
		}
	}
}

/* The record as people read it. 0, or -1 after saying why. */
static int show_text(struct cli *cli, struct store *s, const struct store_record *rec, const struct form *f,
		     const json_t *answers, int history)
{
	const struct form_group *section = NULL, *scope = show_head(cli, s, rec, f, answers);
	char err[512];
	json_t *shown;
	size_t i;

	/* What relevance and labels may name: the record's answers, and an instance's record's. */
	if (!(shown = store_answers_in_view(s, rec->id, answers, err, sizeof(err)))) {
		cli_error("%s", err);
		return -1;
	}
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		json_t *v = json_object_get(answers, q->name);

		/* A record shows its own questions; those of a repeat are in its instances' records. */
		if (q->type == FT_NOTE || form_repeat_of(q) != scope || (!v && form_relevant(f, q, shown, NULL, 0) == 0))
			continue;
		/* A group's questions under its heading. */
		if (q->group != section) {
			section = q->group;
			if (section)
				printf("  -- %s --\n", section->label ? form_text(f, section->label, cli->lang) : section->name);
		}
		show_answer(cli, s, rec, f, q, v, shown);
	}
	json_decref(shown);
	show_instances(s, f, rec->id, cli->lang);
	return history && show_history(s, rec, f, NULL, cli->lang) != 0 ? -1 : 0;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "history", no_argument, NULL, 'H' }, { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 }
	};
	struct store_record rec;
	struct store *s;
	struct form *f = NULL;
	json_t *answers = NULL;
	char err[512];
	int c, history = 0, json = 0, r = EXIT_FAIL;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (c == 'H')
			history = 1;
		else if (c == 'j')
			json = 1;
		else
			return cli_opt_exit(c);
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli, optind < argc ? _("expected one record id") : _("which record? give its id"));
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (store_find(s, argv[optind], &rec, err, sizeof(err)) < 0 ||
	    !(f = store_form_get(s, rec.form, rec.form_version, err, sizeof(err))) ||
	    !(answers = store_answers(s, rec.id, err, sizeof(err))))
		cli_error("%s", err);
	else if (json)
		r = show_json(cli, s, &rec, f, answers, history) == 0 ? EXIT_OK : EXIT_FAIL;
	else {
		cli_form_lang_note(cli, f);
		r = show_text(cli, s, &rec, f, answers, history) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	json_decref(answers);
	form_free(f);
	store_close(s);
	return r;
}
