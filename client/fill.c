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
	json_t *now = json_deep_copy(fl->answers);
	size_t i;

	if (!now)
		return errf(err, errlen, "%s", _("out of memory"));
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
