/* form-eval.c - what a form's expressions see beyond a record's own answers: the answers across its repeats'
 * instances (sum(), count(), indexed-repeat()), the place of an instance (position(..)), and its questions' choice
 * labels (jr:choice-name()). The expression language asks through expr_env's callbacks; the answers carry the
 * instances as form.h describes (_instances, _position), put there by whoever holds them (the laptop's store). */
#include "form.h"

#include <string.h>

#include "form-priv.h"

#include "banned.h"

#define MAX_NESTING 8     /* repeats inside one another that expressions look through */

/* The repeat g is inside, or NULL. */
static const struct form_group *outer_repeat(const struct form_group *g)
{
	for (g = g->parent; g; g = g->parent)
		if (g->repeat)
			return g;
	return NULL;
}

/* 1 if g is scope or a repeat scope is inside: a question of g then has one answer where scope's expressions are
 * worked out (the instance's own, or the one it is in). */
static int encloses(const struct form_group *g, const struct form_group *scope)
{
	for (; scope; scope = outer_repeat(scope))
		if (scope == g)
			return 1;
	return 0;
}

/* The instances of repeat name that answers (a record's or an instance's) hold, or NULL. */
static const json_t *instances(const json_t *answers, const char *name)
{
	const json_t *l = json_object_get(json_object_get(answers, "_instances"), name);

	return json_is_array(l) ? l : NULL;
}

/* One walk of each(): the question read in every instance (or the instances themselves), and whom to tell. */
struct walk {
	const struct form_eval *fe;
	const struct form_group *chain[MAX_NESTING];   /* the question's repeat, then the ones it is inside */
	const char *question;                          /* NULL: the repeat's instances themselves */
	int (*fn)(void *fctx, const json_t *v);
	void *fctx;
	int stopped;
};

/* Visits the instances in list, of chain[level], going down to chain[0]'s. top: list is the one the answers being
 * worked out hold, where the instance they are (if one of these) stands for itself, as it now is. */
static void visit(struct walk *w, const json_t *list, size_t level, int top)
{
	const struct form_eval *fe = w->fe;
	int mine = top && w->chain[level] == fe->scope && fe->env.position > 0;
	size_t k, n = json_array_size(list);

	for (k = 0; k <= n && !w->stopped; k++) {
		const json_t *obj;

		if (k < n)
			obj = mine && k + 1 == (size_t)fe->env.position ? fe->env.answers : json_array_get(list, k);
		else if (mine && k + 1 == (size_t)fe->env.position)
			obj = fe->env.answers;   /* a new instance, not among those saved yet */
		else
			break;
		if (level)
			visit(w, instances(obj, w->chain[level - 1]->name), level - 1, 0);
		else if (w->fn(w->fctx, w->question ? json_object_get(obj, w->question) : obj))
			w->stopped = 1;
	}
}

/* expr_env's each: a question of a repeat the answers are not in (nor inside), or a repeat, stands for every
 * instance's. */
static int each(void *ctx, const char *name, int (*fn)(void *fctx, const json_t *v), void *fctx)
{
	const struct form_eval *fe = ctx;
	const struct form_question *q = form_find(fe->f, name);
	const struct form_group *g = q ? form_repeat_of(q) : form_repeat_find(fe->f, name);
	struct walk w = { fe, { NULL }, q ? q->name : NULL, fn, fctx, 0 };
	size_t n = 0, i;

	/* Answers without _instances come from a caller that has none to give: a question is then its answer there,
	 * as it always was, and a repeat has no instances. */
	if (!g || (q && (encloses(g, fe->scope) || !json_object_get(fe->env.answers, "_instances"))))
		return 0;
	for (; g; g = outer_repeat(g)) {
		if (n == MAX_NESTING)
			return 1;
		w.chain[n++] = g;
	}
	/* Inside the instance being worked out: its own instances only (XPath's relative path, as pyxform writes
	 * it). Else the innermost repeat whose instances the answers hold: a record's, or its record's for an
	 * instance. */
	for (i = 1; i < n; i++)
		if (w.chain[i] == fe->scope) {
			if (instances(fe->env.answers, w.chain[i - 1]->name))
				visit(&w, instances(fe->env.answers, w.chain[i - 1]->name), i - 1, 0);
			return 1;
		}
	for (i = 0; i < n; i++)
		if (instances(fe->env.answers, w.chain[i]->name) || w.chain[i] == fe->scope) {
			visit(&w, instances(fe->env.answers, w.chain[i]->name), i, 1);
			break;
		}
	return 1;
}

/* expr_env's indexed: instance index[0] of repeat[0] among those the answers hold, and so on inside it. */
static const json_t *indexed(void *ctx, const char *question, const char *const *repeat, const long *index,
			     size_t depth)
{
	const struct form_eval *fe = ctx;
	const json_t *obj = fe->env.answers;
	size_t i;

	for (i = 0; i < depth; i++) {
		const struct form_group *g = form_repeat_find(fe->f, repeat[i]);
		const json_t *list = instances(obj, repeat[i]);

		if (!g)
			return NULL;
		if (i == 0 && g == fe->scope && index[0] == fe->env.position)
			continue;   /* the instance being worked out, as it now is */
		if (!list || index[i] < 1 || (size_t)index[i] > json_array_size(list))
			return NULL;
		obj = json_array_get(list, (size_t)index[i] - 1);
	}
	return json_object_get(obj, question);
}

/* expr_env's choice_label. */
static const char *choice_label(void *ctx, const char *question, const char *name)
{
	const struct form_eval *fe = ctx;
	const struct form_question *q = form_find(fe->f, question);

	return q && q->nchoices ? form_choice_label(fe->f, q, name, fe->env.lang) : NULL;
}

void form_eval_init(struct form_eval *fe, const struct form *f, const json_t *answers, const json_t *self,
		    const char *lang, uint64_t now_ms)
{
	const json_t *pos = json_object_get(answers, "_position");
	const char *rname = json_string_value(json_object_get(answers, "_repeat"));

	memset(fe, 0, sizeof *fe);
	fe->f = f;
	fe->scope = rname ? form_repeat_find(f, rname) : NULL;
	fe->env.answers = answers;
	fe->env.self = self;
	fe->env.ctx = fe;
	fe->env.each = each;
	fe->env.indexed = indexed;
	fe->env.choice_label = choice_label;
	/* a record is the one instance of the form's top; an instance whose place is not given has none known */
	fe->env.position = json_is_integer(pos) && json_integer_value(pos) > 0 ? (long)json_integer_value(pos) :
			   fe->scope ? 0 : 1;
	fe->env.now_ms = now_ms;
	fe->env.lang = lang ? lang : form_default_language(f);
}
