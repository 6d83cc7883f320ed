/* pull.c - the answer of GET /v1/pull, written by servers and read by devices, around the op codec. */
#include "pull.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "banned.h"

/* The members of every answer; "forms" is a version 2 answer's too. */
static const char *const members[] = { "ops", "next", "more" };
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

/* ---- writing ---- */

void pull_writer_init(struct pull_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	buf_init(&w->body, PULL_MAX_BYTES);
	w->st = OPJSON_OK;
}

static void writer_fail(struct pull_writer *w, enum opjson_status st, const char *what)
{
	if (w->st != OPJSON_OK)
		return;
	w->st = st;
	if (st == OPJSON_TOO_LARGE)
		snprintf(w->err, sizeof(w->err), "%s: the answer is over %zu ops or %zu bytes", what, w->max,
			 PULL_MAX_BYTES);
	else if (st == OPJSON_NO_MEMORY)
		snprintf(w->err, sizeof(w->err), "%s: out of memory", what);
}

int pull_writer_add(struct pull_writer *w, const struct op *op, const char *by)
{
	const struct opjson_from from = { NULL, 0, 0 };
	enum opjson_status st;

	if (w->st != OPJSON_OK)
		return 1;
	if (w->n >= w->max) {
		writer_fail(w, OPJSON_TOO_LARGE, "writing the pull answer");
		return 1;
	}
	st = opjson_check(op, by, w->n, &from, w->err, sizeof(w->err));
	if (st != OPJSON_OK) {
		w->st = st;
		return 1;
	}
	if (buf_adds(&w->body, w->n ? "," : "{\"ops\":[") < 0) {
		writer_fail(w, w->body.len + 8 > w->body.max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY,
			    "writing the pull answer");
		return 1;
	}
	st = opjson_append(&w->body, op, 1, by);
	if (st != OPJSON_OK) {
		writer_fail(w, st, "writing the pull answer");
		return 1;
	}
	w->n++;
	return w->n >= w->max || w->body.len >= PULL_PAGE_BYTES;
}

enum opjson_status pull_writer_end(struct pull_writer *w, uint64_t next, int more, const char *forms)
{
	if (w->st == OPJSON_OK && next > (uint64_t)INT64_MAX) {
		w->st = OPJSON_BAD;
		snprintf(w->err, sizeof(w->err), "the cursor %" PRIu64 " is over 2^63 - 1", next);
	}
	if (w->st == OPJSON_OK && buf_printf(&w->body, "%s],\"next\":%" PRIu64 ",\"more\":%s%s%s%s}\n",
					     w->n ? "" : "{\"ops\":[", next, more ? "true" : "false",
					     forms ? ",\"forms\":\"" : "", forms ? forms : "", forms ? "\"" : "") < 0)
		writer_fail(w, w->body.len + 64 > w->body.max ? OPJSON_TOO_LARGE : OPJSON_NO_MEMORY,
			    "writing the pull answer");
	return w->st;
}

void pull_writer_release(struct pull_writer *w)
{
	buf_release(&w->body);
}

/* ---- reading ---- */

static int forms_tag_valid(const char *t)
{
	size_t i;

	if (!t || strlen(t) != PULL_FORMS_TAG_LEN)
		return 0;
	for (i = 0; i < PULL_FORMS_TAG_LEN; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return 1;
}

enum opjson_status pull_answer_decode(const char *text, size_t len, struct pull_answer *out, char *err,
				      size_t errlen)
{
	const struct opjson_from from = { NULL, 0, 0 };
	json_t *root, *ops, *next, *more, *v;
	enum opjson_status st = OPJSON_BAD;
	const char *key;
	json_error_t je;
	size_t k;

	memset(out, 0, sizeof(*out));
	/* As a change set's body: UTF-8 checked, no NUL in strings, no duplicate names. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_out_of_memory) {
			snprintf(err, errlen, "out of memory reading the answer");
			return OPJSON_NO_MEMORY;
		}
		snprintf(err, errlen, "the answer is not strict JSON: %s at byte %d (line %d, column %d)", je.text,
			 je.position, je.line, je.column);
		return OPJSON_BAD;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the answer is %s, not an object", opjson_type_name(root));
		goto out;
	}
	json_object_foreach(root, key, v) {
		for (k = 0; k < NMEMBERS && strcmp(key, members[k]); k++)
			;
		if (k == NMEMBERS && strcmp(key, "forms")) {
			snprintf(err, errlen, "the answer has an unknown member '%.40s'", key);
			goto out;
		}
	}
	for (k = 0; k < NMEMBERS; k++) {
		if (!json_object_get(root, members[k])) {
			snprintf(err, errlen, "the answer's member '%s' is missing", members[k]);
			goto out;
		}
	}
	ops = json_object_get(root, "ops");
	next = json_object_get(root, "next");
	more = json_object_get(root, "more");
	if (!json_is_array(ops)) {
		snprintf(err, errlen, "the answer's member 'ops' is %s, not an array", opjson_type_name(ops));
		goto out;
	}
	if (json_array_size(ops) > PULL_V2_MAX_OPS) {
		snprintf(err, errlen, "the answer holds %zu ops, over the limit of %d", json_array_size(ops),
			 PULL_V2_MAX_OPS);
		goto out;
	}
	if (!json_is_integer(next)) {
		snprintf(err, errlen, "the answer's member 'next' is %s, not an integer", opjson_type_name(next));
		goto out;
	}
	if (json_integer_value(next) < 0) {
		snprintf(err, errlen, "the answer's member 'next': %" JSON_INTEGER_FORMAT " is negative",
			 json_integer_value(next));
		goto out;
	}
	if (!json_is_boolean(more)) {
		snprintf(err, errlen, "the answer's member 'more' is %s, not true or false", opjson_type_name(more));
		goto out;
	}
	if ((v = json_object_get(root, "forms")) && !forms_tag_valid(json_string_value(v))) {
		snprintf(err, errlen, "the answer's member 'forms' is not %d lowercase hex characters",
			 PULL_FORMS_TAG_LEN);
		goto out;
	}
	st = opjson_decode(ops, &from, &out->ops, err, errlen);
	if (st == OPJSON_OK) {
		if (v)
			memcpy(out->forms, json_string_value(v), PULL_FORMS_TAG_LEN + 1);
		out->next = (uint64_t)json_integer_value(next);
		out->more = json_is_true(more);
	}
out:
	json_decref(root);
	return st;
}

void pull_answer_release(struct pull_answer *a)
{
	if (!a)
		return;
	opjson_ops_release(&a->ops);
	memset(a, 0, sizeof(*a));
}
