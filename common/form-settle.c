/* form-settle.c - what the device fills in itself: metadata, calculations, readonly defaults, and the answers
 * removed once their question no longer applies. */
#include "form.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "form-priv.h"
#include "util.h"

#include "banned.h"

/* A calculation's result as the text stored: strings as they are, whole numbers without ".0", booleans as
 * true/false. NULL for an empty result, or out of memory (*oom set). */
static json_t *calc_text(const json_t *v, int *oom)
{
	char buf[64];
	json_t *t;

	if (json_is_string(v))
		return json_string_length(v) ? json_incref((json_t *)v) : NULL;
	if (json_is_boolean(v)) {
		snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "true" : "false");
	} else if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (!isfinite(d))
			return NULL;
		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(buf, sizeof buf, "%.0f", d);
		else
			snprintf(buf, sizeof buf, "%.15g", d);
	} else {
		return NULL;
	}
	if (!(t = json_string(buf)))
		*oom = 1;
	return t;
}

/* Where form_settle is: the answers it works on, the device and the moment, whether this round changed them,
 * whether memory ran out. */
struct settle {
	json_t *answers;
	const struct form_env *env;
	const struct form_group *scope;
	int changed;
	int oom;
};

/* Sets answers[name] to v (a new reference; NULL removes the answer), counting it as a change if that changes
 * anything. */
static void settle_put(struct settle *st, const char *name, json_t *v)
{
	json_t *cur = json_object_get(st->answers, name);

	if (v ? cur && json_equal(cur, v) : !cur) {
		json_decref(v);
		return;
	}
	st->changed++;
	if (!v)
		json_object_del(st->answers, name);
	else if (json_object_set_new(st->answers, name, v) < 0)
		st->oom = 1;
}

/* q's calculation worked out from the answers, as q's answer (a new reference), or NULL when it gives none: it
 * is not relevant, it fails, its result is empty, or (on a question of another type than calculate) its result
 * is not such an answer; or when memory ran out (st->oom set). */
static json_t *calc_answer(const struct form *f, const struct form_question *q, struct settle *st)
{
	json_t *v = NULL, *text, *out = NULL;
	struct form_eval fe;
	char err[256];
	int r = form_relevant(f, q, st->answers, NULL, 0);

	/* `.` is the answer worked out last time, which once() keeps */
	form_eval_init(&fe, f, st->answers, json_object_get(st->answers, q->name), st->env->lang, st->env->now_ms);
	fe.scope = st->scope;
	if (r == 1)
		r = expr_eval_in(q->calculation, &fe.env, &v, err, sizeof err);
	if (r == ERR_OOM)
		st->oom = 1;
	if (r != 0)
		return NULL;
	text = calc_text(v, &st->oom);
	json_decref(v);
	if (!text || q->type == FT_CALCULATE)
		return text;
	if ((r = form_parse_text(q, json_string_value(text), json_string_length(text), 0, &out, err, sizeof err)) < 0)
		out = NULL;
	if (r == ERR_OOM)
		st->oom = 1;
	json_decref(text);
	return out;
}

/* The metadata start, today, deviceid and username of scope's questions when absent, and end when finalizing. */
static void settle_metadata(const struct form *f, struct settle *st, const struct form_env *env,
			    const struct form_group *scope, int flags)
{
	char now[32], today[16];
	time_t t = (time_t)(env->now_ms / 1000);
	struct tm tm;
	size_t i;

	localtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", &tm);
	today_str(env->now_ms, today, sizeof today);
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		const char *v = NULL;

		if (form_repeat_of(q) != scope)
			continue;
		switch (q->type) {
		case FT_START: v = now; break;
		case FT_TODAY: v = today; break;
		case FT_DEVICEID: v = env->device; break;
		case FT_USERNAME: v = env->username; break;
		case FT_END:
			if ((flags & FORM_SETTLE_FINAL) && json_object_set_new(st->answers, q->name, json_string(now)) < 0)
				st->oom = 1;
			continue;
		default: continue;
		}
		/* Set once, when the record is made: editing it later keeps when and where it began. */
		if (v && *v && !json_object_get(st->answers, q->name) &&
		    json_object_set_new(st->answers, q->name, json_string(v)) < 0)
			st->oom = 1;
	}
}

/* One round over scope's asked questions: answers no longer relevant removed (with PRUNE), defaults put in. */
static int settle_relevance(const struct form *f, struct settle *st, const struct form_group *scope, int flags,
			    json_t *cleared)
{
	size_t i;
	int pruned = 0;

	for (i = 0; i < form_count(f) && !st->oom; i++) {
		const struct form_question *q = form_question(f, i);
		const json_t *cur = json_object_get(st->answers, q->name);
		/* A calculate without a calculation takes its default once, as ODK sets a dynamic default (pyxform's
		 * calculate with only a default): kept after, like a readonly question's. */
		int once = q->type == FT_CALCULATE && !q->calculation, rel;

		if ((q->automatic && !once) || q->calculation || q->type == FT_NOTE || form_repeat_of(q) != scope)
			continue;
		rel = form_relevant(f, q, st->answers, NULL, 0);
		if (rel == ERR_OOM) {
			st->oom = 1;
		} else if (cur && rel == 0 && (flags & FORM_SETTLE_PRUNE)) {
			if (cleared && json_array_append_new(cleared, json_string(q->name)) < 0)
				st->oom = 1;
			settle_put(st, q->name, NULL);
			pruned++;
		} else if (!cur && rel == 1 && q->def && (q->readonly || once || (flags & FORM_SETTLE_DEFAULTS))) {
			/* A readonly question is never asked: its default is its answer. */
			json_t *d = NULL;

			if (form_default_of(f, q, st->answers, &d, NULL, 0) < 0)
				st->oom = 1;
			else if (d)
				settle_put(st, q->name, d);
		}
	}
	return pruned;
}

int form_settle(const struct form *f, json_t *answers, const struct form_env *env, const struct form_group *scope,
		int flags, json_t *cleared)
{
	struct settle st = { answers, env, scope, 0, 0 };
	size_t i, round, pass;
	int pruned = 0;

	settle_metadata(f, &st, env, scope, flags);
	/* Rounds until nothing changes: a calculation may decide a relevance, and clearing or defaulting an answer
	 * may change a calculation. Each round first brings every calculation to rest (one may use a later one), so
	 * that relevance is never judged on a stale result. The bounds only stop a form whose calculations feed
	 * themselves. A calculation that gives another value each time (random(), uuid() outside once()) is worked
	 * out in a round's first pass only: it would never come to rest. */
	for (round = 0; round <= form_count(f) && !st.oom; round++) {
		for (pass = 0; pass <= form_count(f) && !st.oom; pass++) {
			st.changed = 0;
			for (i = 0; i < form_count(f) && !st.oom; i++) {
				const struct form_question *q = form_question(f, i);

				if (q->calculation && form_repeat_of(q) == scope &&
				    (pass == 0 || !expr_volatile(q->calculation)))
					settle_put(&st, q->name, calc_answer(f, q, &st));
			}
			if (!st.changed)
				break;
		}
		st.changed = 0;
		pruned += settle_relevance(f, &st, scope, flags, cleared);
		if (!st.changed)
			break;
	}
	return st.oom ? ERR_OOM : pruned;
}
