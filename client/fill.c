/* fill.c - a record being filled in: each answer saved with what it implies. */
#include "fill.h"

#include <string.h>

#include "i18n.h"
#include "util.h"
#include "banned.h"

/* Makes the record, inside the caller's transaction: a draft, and an instance names its record and its repeat. */
static int create(struct fill *fl, char *err, size_t errlen)
{
	json_t *pid, *rn;
	int bad;

	if (store_create(fl->s, fl->f, 1, fl->rec, err, errlen) < 0)
		return -1;
	if (!fl->scope)
		return 0;
	pid = json_string(fl->parent);
	rn = json_string(fl->scope->name);
	bad = store_set(fl->s, fl->rec, "_parent", pid, err, errlen) < 0 ||
	      store_set(fl->s, fl->rec, "_repeat", rn, err, errlen) < 0;
	json_decref(pid);
	json_decref(rn);
	return bad ? -1 : 0;
}

int fill_create(struct fill *fl, char *err, size_t errlen)
{
	if (fl->created)
		return 0;
	if (store_begin(fl->s, err, errlen) < 0)
		return -1;
	if (create(fl, err, errlen) < 0 || store_commit(fl->s, err, errlen) < 0) {
		store_rollback(fl->s);
		return -1;
	}
	fl->created = 1;
	return 0;
}

int fill_save(struct fill *fl, const struct form_question *q, const json_t *value, int final, char *err,
	      size_t errlen)
{
	struct form_env env = { store_device(fl->s), fl->username ? fl->username : store_name(fl->s), store_now(fl->s),
				fl->lang };
	json_t *now;
	size_t i;

	/* The answers as expressions see them: the record's instances as they now are (sum(), count()...), an
	 * instance's siblings and place. */
	if (fl->scope && fl->parent && *fl->parent && !json_object_get(fl->answers, "_parent"))
		json_object_set_new(fl->answers, "_parent", json_string(fl->parent));
	if (!(now = store_answers_in_view(fl->s, fl->created ? fl->rec->id : NULL, fl->answers, err, errlen)))
		return -1;
	if (q && value)
		json_object_set(now, q->name, (json_t *)value);
	else if (q)
		json_object_del(now, q->name);
	if (form_settle(fl->f, now, &env, fl->scope, FORM_SETTLE_PRUNE | (final ? FORM_SETTLE_FINAL : 0), NULL) < 0) {
		json_decref(now);
		return errf(err, errlen, "%s", _("out of memory"));
	}
	if (store_begin(fl->s, err, errlen) < 0)
		goto fail_begin;
	/* A new record is made in its first answer's transaction: both are saved, or neither. */
	if (!fl->created && create(fl, err, errlen) < 0)
		goto fail;
	/* The answer itself always: the same value again is no op, unless it settles a conflict. */
	if (q && store_set(fl->s, fl->rec, q->name, json_object_get(now, q->name), err, errlen) < 0)
		goto fail;
	for (i = 0; i < form_count(fl->f); i++) {
		const struct form_question *o = form_question(fl->f, i);
		json_t *v = json_object_get(now, o->name), *was = json_object_get(fl->answers, o->name);

		if (o == q || form_repeat_of(o) != fl->scope || v == was || (v && was && json_equal(v, was)))
			continue;
		if (store_set(fl->s, fl->rec, o->name, v, err, errlen) < 0)
			goto fail;
	}
	if (store_commit(fl->s, err, errlen) < 0)
		goto fail;
	fl->created = 1;
	json_decref(fl->answers);
	fl->answers = now;
	/* Its record reads its instances. The answer is saved either way: a record that could not be worked out
	 * now is at its next change. */
	if (fl->scope) {
		char ignored[256];

		fill_resettle(fl->s, fl->f, json_string_value(json_object_get(now, "_parent")), &env, ignored,
			      sizeof(ignored));
	}
	return 0;
fail:
	store_rollback(fl->s);
fail_begin:
	json_decref(now);
	return -1;
}

int fill_finalize(struct fill *fl, char *err, size_t errlen)
{
	if (fill_save(fl, NULL, NULL, 1, err, errlen) < 0)
		return -1;
	if (store_begin(fl->s, err, errlen) < 0)
		return -1;
	if (store_finalize(fl->s, fl->rec, fl->f, err, errlen) < 0 || store_commit(fl->s, err, errlen) < 0) {
		store_rollback(fl->s);
		return -1;
	}
	fl->rec->draft = 0;
	return 0;
}

#define RESETTLE_DEPTH 8    /* records worked out again, from an instance's up to its outermost record's */

/* Works one record out again: the answers of its own questions that changed are saved. The record it belongs to
 * (its _parent, a new string the caller frees) into *up, or NULL. */
static int resettle_one(struct store *s, const struct form *f, const char *id, const struct form_env *env, char **up,
			char *err, size_t errlen)
{
	const struct form_group *scope;
	struct store_record rec;
	json_t *own = NULL, *view = NULL;
	size_t i;
	int r = -1;

	*up = NULL;
	if (store_find(s, id, &rec, err, errlen) < 0)
		return -1;
	if (rec.deleted)
		return 0;
	if (!(own = store_answers(s, rec.id, err, errlen)) || !(view = store_answers_in_view(s, rec.id, own, err, errlen)))
		goto out;
	scope = form_repeat_find(f, json_string_value(json_object_get(own, "_repeat")));
	if (form_settle(f, view, env, scope, 0, NULL) < 0) {
		errf(err, errlen, "%s", _("out of memory"));
		goto out;
	}
	if (store_begin(s, err, errlen) < 0)
		goto out;
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		json_t *v = json_object_get(view, q->name), *was = json_object_get(own, q->name);

		if (form_repeat_of(q) != scope || v == was || (v && was && json_equal(v, was)))
			continue;
		if (store_set(s, &rec, q->name, v, err, errlen) < 0) {
			store_rollback(s);
			goto out;
		}
	}
	if (store_commit(s, err, errlen) < 0) {
		store_rollback(s);
		goto out;
	}
	if (json_string_value(json_object_get(own, "_parent")))
		*up = xstrdup(json_string_value(json_object_get(own, "_parent")));
	r = 0;
out:
	json_decref(view);
	json_decref(own);
	return r;
}

int fill_resettle(struct store *s, const struct form *f, const char *id, const struct form_env *env, char *err,
		  size_t errlen)
{
	char *cur = id ? xstrdup(id) : NULL, *up = NULL;
	int depth, r = 0;

	for (depth = 0; cur && depth < RESETTLE_DEPTH && r == 0; depth++) {
		r = resettle_one(s, f, cur, env, &up, err, errlen);
		free(cur);
		cur = up;
	}
	free(cur);
	return r;
}

int fill_resettle_id(struct store *s, const char *id, const struct form_env *env, char *err, size_t errlen)
{
	struct store_record r;
	struct form *f;
	int rc;

	if (store_find(s, id, &r, err, errlen) < 0 || !(f = store_form_get(s, r.form, NULL, err, errlen)))
		return -1;
	rc = fill_resettle(s, f, id, env, err, errlen);
	form_free(f);
	return rc;
}

char *fill_parent_of(struct store *s, const char *id)
{
	char err[256];
	json_t *a = store_answers(s, id, err, sizeof(err));
	const char *p = json_string_value(json_object_get(a, "_parent"));
	char *r = p ? xstrdup(p) : NULL;

	json_decref(a);
	return r;
}
