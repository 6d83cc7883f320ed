/* web-view.c - the page's view of a record being filled: what each question of its scope now is, worked out by the
 * form's own code (form.h) from the answers saved, so that the page never evaluates a rule itself.
 *
 *   { "record": {"id", "form", "version", "draft", "deleted", "conflicts", "parent", "repeat"} (id null: not made
 *                yet),
 *     "title": the form's title, "at": the question the person was at (a draft's, saved as they moved),
 *     "groups": { NAME: {"label", "parent", "repeat", "field_list"} },
 *     "items": [ a question: {"name", "type", "label", "hint", "appearance", "range", "group", "required", "relevant",
 *                             "readonly", "accept" and "here" (an attachment's: what its picker offers, and
 *                             whether the file answered is on this laptop),
 *                             "value", "text", "default", "choices": [{"name", "label"}], "error", "missing",
 *                             "conflict", "heads": [{"value", "text", "device", "mine", "by", "when"}]},
 *                a repeat inside this scope, where its questions begin: {"repeat": NAME, "label", "relevant",
 *                             "count", "instances": [{"id", "title", "draft"}]} ],
 *     "problems": how many answers are missing or not valid }
 *
 * A question's keys are left out when they say nothing (no hint, no error...); "heads" are a field's values in
 * conflict, in display order (merge.h), "by" the reviewer at a server who gave one, "when" in ms. "text" is the answer as a person
 * reads it (choices by label); "error" says why a saved answer breaks its constraint; "missing" is the message of
 * a required question that is relevant and unanswered. Choices are those offered now (choice_filter). */
#include "web.h"

#include <stdlib.h>
#include <string.h>

#include "hlc.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

struct view {
	struct store *s;
	const struct form *f;
	const json_t *answers;    /* in view: an instance's with its record's under them */
	const char *lang;
	const char *id;           /* the record's id, or NULL before it is made */
	int conflicts;
};

/* A form's text in the language, with the answers it names put in; "" for none. Caller frees. */
static char *text_of(const struct view *v, const json_t *t)
{
	const char *s = form_text(v->f, t, v->lang);

	if (!s)
		return xstrdup("");
	return strstr(s, "${") ? form_interpolate(v->f, s, v->answers, v->lang) : xstrdup(s);
}

static void set_text(json_t *o, const char *key, const struct view *v, const json_t *t)
{
	char *s = text_of(v, t);

	if (s && *s)
		json_object_set_new(o, key, json_string(s));
	free(s);
}

/* An answer as people read it: choices by their labels, several joined by ", ", a decimal as the language writes
 * it, anything else as it is. Caller frees. */
static char *answer_text(const struct view *v, const struct form_question *q, const json_t *a)
{
	char *t = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT), *shown;
	struct buf out = BUF_INIT((size_t)1 << 20);
	size_t k, n;

	if (!q->nchoices || !(json_is_string(a) || json_is_array(a))) {
		shown = q->type == FT_DECIMAL ? cli_answer_text(v->f, q, t ? t : "null", v->lang) : cli_value_text(t ? t : "null");
		free(t);
		return shown;
	}
	free(t);
	n = json_is_array(a) ? json_array_size(a) : 1;
	for (k = 0; k < n; k++) {
		const char *name = json_string_value(json_is_array(a) ? json_array_get(a, k) : a), *label;

		if (!name)
			continue;
		label = form_choice_label(v->f, q, name, v->lang);
		buf_printf(&out, "%s%s", out.len ? ", " : "", label ? label : name);
	}
	return buf_detach(&out, NULL);
}

struct heads {
	const struct view *v;
	const struct form_question *q;
	json_t *list;
};

/* One of the values a question holds in conflict, as the page shows them side by side: who gave it, when. */
static void add_head(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct heads *h = ctx;
	json_t *val = json_loads(value, JSON_DECODE_ANY, NULL);
	char by[128] = "", *t = val ? answer_text(h->v, h->q, val) : NULL;

	store_op_author_get(h->v->s, id->device, id->seq, by, sizeof(by));
	json_array_append_new(h->list, json_pack("{s:o, s:s, s:s, s:b, s:s?, s:I}", "value", val ? val : json_null(),
						 "text", t ? t : "", "device", id->device, "mine",
						 !strcmp(id->device, store_device(h->v->s)), "by", *by ? by : NULL,
						 "when", (json_int_t)HLC_MS(hlc)));
	free(t);
}

char *web_answer_text(const struct form *f, const struct form_question *q, const char *json, const char *lang)
{
	struct view v = { NULL, f, NULL, lang, NULL, 0 };
	json_t *a = json_loads(json ? json : "null", JSON_DECODE_ANY, NULL);
	char *t = a ? answer_text(&v, q, a) : xstrdup("");

	json_decref(a);
	return t;
}

static json_t *question_item(const struct view *v, const struct form_question *q, int *problems)
{
	const json_t *a = json_object_get(v->answers, q->name);
	json_t *o = json_object(), *choices;
	int rel = form_relevant(v->f, q, v->answers, NULL, 0) == 1;
	char msg[512];
	size_t k;

	json_object_set_new(o, "name", json_string(q->name));
	json_object_set_new(o, "type", json_string(form_type_name(q->type)));
	set_text(o, "label", v, q->label);
	set_text(o, "hint", v, q->hint);
	json_object_set_new(o, "group", q->group ? json_string(q->group->name) : json_null());
	json_object_set_new(o, "required", json_boolean(q->required));
	json_object_set_new(o, "relevant", json_boolean(rel));
	json_object_set_new(o, "readonly", json_boolean(q->readonly || q->automatic));
	if (q->appearance)
		json_object_set_new(o, "appearance", json_string(q->appearance));
	if (q->has_range)
		json_object_set_new(o, "range", json_pack("{s:f, s:f, s:f}", "start", q->range_start, "end", q->range_end,
							  "step", q->range_step));
	if (form_is_media(q->type)) {
		/* What the file picker offers (the question's accept, else its kind's), and whether the file answered is
		 * on this laptop to be shown. */
		static const char *const kinds[] = { [FT_IMAGE] = "image/*", [FT_AUDIO] = "audio/*", [FT_VIDEO] = "video/*",
						     [FT_FILE] = "" };
		char path[4096];

		json_object_set_new(o, "accept", q->accept ? json_deep_copy(q->accept) :
				    *kinds[q->type] ? json_pack("[s]", kinds[q->type]) : json_array());
		if (a)
			json_object_set_new(o, "here", json_boolean(store_media_path(v->s,
				json_string_value(json_object_get(a, "blake2b")), path, sizeof path) == 1));
	}
	json_object_set_new(o, "value", a ? json_deep_copy(a) : json_null());
	if (a) {
		char *t = answer_text(v, q, a);

		json_object_set_new(o, "text", json_string(t ? t : ""));
		free(t);
	} else if (rel && !q->readonly && !q->automatic) {
		json_t *d = form_default(v->f, q, v->answers);

		if (d)
			json_object_set_new(o, "default", d);
	}
	if (q->nchoices) {
		choices = json_array();
		for (k = 0; k < q->nchoices; k++) {
			json_t *c;

			if (!form_choice_offered(v->f, q, k, v->answers))
				continue;
			c = json_object();
			json_object_set_new(c, "name", json_string(q->choices[k].name));
			set_text(c, "label", v, q->choices[k].label);
			json_array_append_new(choices, c);
		}
		json_object_set_new(o, "choices", choices);
	}
	if (rel && q->type != FT_NOTE && !q->automatic &&
	    form_check_answer(v->f, q, a, v->answers, v->lang, msg, sizeof(msg)) < 0) {
		if (!a) {
			/* Shown beside the question, not after its name as at the terminal: the form's words, or a sentence. */
			char *m = text_of(v, q->required_message);

			json_object_set_new(o, "missing", json_string(m && *m ? m : _("This question needs an answer.")));
			free(m);
		} else {
			json_object_set_new(o, "error", json_string(msg));
		}
		++*problems;
	}
	if (v->conflicts && v->id) {
		struct heads h = { v, q, json_array() };

		if (store_heads(v->s, v->id, q->name, add_head, &h, NULL, 0) > 1) {
			json_object_set_new(o, "conflict", json_true());
			json_object_set_new(o, "heads", h.list);
		} else {
			json_decref(h.list);
		}
	}
	return o;
}

/* An instance's title: its first answer, as text. Caller frees; NULL when it has none yet. */
static char *instance_title(struct view *v, const struct form_group *g, const json_t *answers)
{
	size_t i;

	for (i = 0; i < form_count(v->f); i++) {
		const struct form_question *q = form_question(v->f, i);
		const json_t *a;

		if (form_repeat_of(q) == g && !q->automatic && q->type != FT_NOTE &&
		    (a = json_object_get(answers, q->name)) && !json_is_null(a))
			return answer_text(v, q, a);
	}
	return NULL;
}

struct instances {
	struct view *v;
	const struct form_group *g;
	json_t *list;
	char err[256];
};

static int add_instance(void *ctx, const char *id, const char *repeat)
{
	struct instances *in = ctx;
	struct store_record r;
	json_t *o, *answers;
	char *title;

	if (strcmp(repeat, in->g->name) || store_find(in->v->s, id, &r, in->err, sizeof(in->err)) < 0)
		return 0;
	if (!(answers = store_answers(in->v->s, id, in->err, sizeof(in->err))))
		return 0;
	title = instance_title(in->v, in->g, answers);
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "title", title ? json_string(title) : json_null());
	json_object_set_new(o, "draft", json_boolean(r.draft));
	json_array_append_new(in->list, o);
	free(title);
	json_decref(answers);
	return 0;
}

static json_t *repeat_item(struct view *v, const struct form_group *g, const struct form_question *first)
{
	struct instances in = { v, g, json_array(), "" };
	json_t *o = json_object();

	json_object_set_new(o, "repeat", json_string(g->name));
	set_text(o, "label", v, g->label);
	json_object_set_new(o, "relevant", json_boolean(form_relevant(v->f, first, v->answers, NULL, 0) == 1));
	json_object_set_new(o, "count", json_integer(form_repeat_count(v->f, g, v->answers)));
	if (v->id)
		store_instances(v->s, v->id, add_instance, &in, NULL, 0);
	json_object_set_new(o, "instances", in.list);
	return o;
}

/* The innermost repeat g is in (g itself when it is one), or NULL. */
static const struct form_group *repeat_at(const struct form_group *g)
{
	for (; g; g = g->parent)
		if (g->repeat)
			return g;
	return NULL;
}

json_t *web_view(struct store *s, const struct form *f, const struct store_record *rec, const char *parent,
		 const char *repeat, const char *lang, char *err, size_t errlen)
{
	const struct form_group *scope = repeat ? form_repeat_find(f, repeat) : NULL;
	struct view v = { s, f, NULL, lang, rec ? rec->id : NULL, rec ? rec->conflicts : 0 };
	json_t *own, *answers, *out, *items, *groups, *r;
	const json_t *gdefs = json_object_get(form_json(f), "groups");
	int problems = 0;
	char at[MERGE_MAX_NAME + 64], key[UUID_STRLEN + 16];
	size_t i;

	if (parent && !*parent)
		parent = NULL;
	if (rec) {
		if (!(own = store_answers(s, rec->id, err, errlen)))
			return NULL;
		parent = json_string_value(json_object_get(own, "_parent"));
		repeat = json_string_value(json_object_get(own, "_repeat"));
		scope = repeat ? form_repeat_find(f, repeat) : NULL;
	} else {
		own = json_object();
		if (parent && repeat) {
			json_object_set_new(own, "_parent", json_string(parent));
			json_object_set_new(own, "_repeat", json_string(repeat));
		}
	}
	if (!(answers = store_answers_in_view(s, rec ? rec->id : NULL, own, err, errlen))) {
		json_decref(own);
		return NULL;
	}
	v.answers = answers;
	out = json_object();
	r = json_object();
	json_object_set_new(r, "id", rec ? json_string(rec->id) : json_null());
	json_object_set_new(r, "form", json_string(form_id(f)));
	json_object_set_new(r, "version", json_string(form_version(f)));
	json_object_set_new(r, "draft", json_boolean(rec ? rec->draft : 1));
	json_object_set_new(r, "deleted", json_boolean(rec && rec->deleted));
	json_object_set_new(r, "conflicts", json_integer(rec ? rec->conflicts : 0));
	json_object_set_new(r, "parent", parent ? json_string(parent) : json_null());
	json_object_set_new(r, "repeat", scope ? json_string(scope->name) : json_null());
	json_object_set_new(out, "record", r);
	json_object_set_new(out, "title", json_string(form_title(f, lang)));
	snprintf(key, sizeof(key), "web_at:%s", rec ? rec->id : "");
	json_object_set_new(out, "at", rec && store_meta_get(s, key, at, sizeof(at)) == 0 ? json_string(at) : json_null());

	groups = json_object();
	for (i = 0; i < json_array_size(gdefs); i++) {
		const json_t *g = json_array_get(gdefs, i);
		json_t *o = json_object();
		const char *app = json_string_value(json_object_get(g, "appearance"));

		json_object_set_new(o, "parent", json_object_get(g, "group") ? json_deep_copy(json_object_get(g, "group"))
									 : json_null());
		set_text(o, "label", &v, json_object_get(g, "label"));
		json_object_set_new(o, "repeat", json_boolean(json_is_true(json_object_get(g, "repeat"))));
		json_object_set_new(o, "field_list", json_boolean(app && strstr(app, "field-list")));
		json_object_set(groups, json_string_value(json_object_get(g, "name")), o);
		json_decref(o);
	}
	json_object_set_new(out, "groups", groups);

	items = json_array();
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		const struct form_group *rq = form_repeat_of(q);

		if (rq == scope) {
			json_array_append_new(items, question_item(&v, q, &problems));
			continue;
		}
		/* A repeat directly inside this scope, shown where its questions begin. */
		if (rq && repeat_at(rq->parent) == scope &&
		    (i == 0 || form_repeat_of(form_question(f, i - 1)) != rq))
			json_array_append_new(items, repeat_item(&v, rq, q));
	}
	json_object_set_new(out, "items", items);
	json_object_set_new(out, "problems", json_integer(problems));
	json_decref(answers);
	json_decref(own);
	return out;
}
