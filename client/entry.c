/* entry.c - answers from the command line and from files, checked before anything is saved. */
#include "entry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "csv.h"
#include "i18n.h"
#include "media.h"
#include "store.h"
#include "util.h"
#include "banned.h"

/* Prints one problem; value may be NULL. */
static void report(const char *where, const char *question, const json_t *value, const char *msg)
{
	char *v = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	if (v && strlen(v) > 80)
		memcpy(v + 74, "...", 4);
	if (question && v)
		fprintf(stderr, "%s: %s %s: %s\n", where, question, v, msg);
	else if (question)
		fprintf(stderr, "%s: %s: %s\n", where, question, msg);
	else
		fprintf(stderr, "%s: %s\n", where, msg);
	free(v);
}

void entry_init(struct entry *e, json_t *answers, const char *where)
{
	e->answers = answers ? json_incref(answers) : json_object();
	e->bad = json_object();
	e->named = json_object();
	e->unreadable = 0;
	strlcpy_s(e->where, where, sizeof(e->where));
}

/* Parses text for question name and stores it in e (or removes the answer when text is blank). */
static int set_text(const struct form *f, struct entry *e, const char *name, const char *text)
{
	const char *where = e->where;
	const struct form_question *q = form_find(f, name);
	json_t *v = NULL, *shown;
	char err[512];

	if (!q) {
		/* TRANSLATORS: where the answer came from (--set, or FILE:LINE), a question's name, a form's id. */
		fprintf(stderr, _("%s: unknown question '%s' in form '%s'\n"), where, name, form_id(f));
		return 1;
	}
	if (q->type == FT_NOTE) {
		/* TRANSLATORS: where the answer came from (--set, or FILE:LINE), then a question's name. */
		fprintf(stderr, _("%s: %s is a note and takes no answer\n"), where, name);
		return 1;
	}
	if (q->automatic) {
		fprintf(stderr, _("%s: %s is filled in by the device\n"), where, name);
		return 1;
	}
	if (q->readonly) {
		fprintf(stderr, _("%s: %s is read-only: its value is its default\n"), where, name);
		return 1;
	}
	if (form_is_media(q->type)) {
		/* A file's path, read by entry_attach once every answer is in. */
		if (*text)
			json_object_set_new(e->answers, name, json_string(text));
		else
			json_object_del(e->answers, name);
		return 0;
	}
	if (form_parse_answer(f, q, text, FORM_PARSE_LABELS, &v, err, sizeof(err)) < 0) {
		shown = json_string(text);
		report(where, name, shown, err);
		json_decref(shown);
		json_object_set_new(e->bad, name, json_true());
		return 1;
	}
	if (v)
		json_object_set_new(e->answers, name, v);
	else
		json_object_del(e->answers, name);
	return 0;
}

int entry_apply_sets(const struct form *f, struct entry *e, char **sets, size_t nsets)
{
	size_t i;
	int errors = 0;

	for (i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '='), *name;

		if (!eq || eq == sets[i]) {
			fprintf(stderr, _("--set '%s': expected NAME=VALUE\n"), sets[i]);
			errors++;
			continue;
		}
		name = xstrndup(sets[i], (size_t)(eq - sets[i]));
		errors += set_text(f, e, name, eq + 1);
		free(name);
	}
	return errors;
}

void entry_free(struct entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_decref(e[i].answers);
		json_decref(e[i].bad);
		json_decref(e[i].named);
	}
	free(e);
}

static size_t line_at(const char *data, size_t off)
{
	size_t line = 1, i;

	for (i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

static struct entry *add_entry(struct entry **v, size_t *n, const char *path, size_t line)
{
	char where[300];
	struct entry *e;

	/* Double as it fills: a bulk file holds tens of thousands of records. */
	if ((*n & (*n - 1)) == 0 || *n < 16)
		*v = xrealloc(*v, (*n < 16 ? 16 : *n * 2) * sizeof(**v));
	e = &(*v)[(*n)++];
	snprintf(where, sizeof(where), "%s:%zu", path, line);
	entry_init(e, NULL, where);
	return e;
}

/* A column an export adds beside an answer and that a CSV file read back need not give: an osm answer's parts
 * ("bldg/feature", "bldg/building") and a geopoint's ("site/latitude"... "site/accuracy"), which the answer's own
 * column ("bldg", "site") holds whole. */
static int derived_column(const struct form *f, const char *name)
{
	const char *slash = strchr(name, '/');
	const struct form_question *q;
	char qn[128];
	size_t k;

	if (!slash || (size_t)(slash - name) >= sizeof(qn))
		return 0;
	snprintf(qn, sizeof(qn), "%.*s", (int)(slash - name), name);
	if (!(q = form_find(f, qn)))
		return 0;
	if (q->type == FT_GEOPOINT)
		return !strcmp(slash + 1, "latitude") || !strcmp(slash + 1, "longitude") ||
		       !strcmp(slash + 1, "altitude") || !strcmp(slash + 1, "accuracy");
	if (q->type != FT_OSM)
		return 0;
	if (!strcmp(slash + 1, "feature"))
		return 1;
	for (k = 0; k < q->ntags; k++)
		if (!strcmp(slash + 1, q->tags[k].name))
			return 1;
	return 0;
}

static int load_csv(const struct form *f, const char *path, const char *data, size_t len, struct entry **v,
		    size_t *n)
{
	struct csv_reader *r = csv_open(data, len);
	char **fields, **header = NULL, err[512];
	size_t nf, nh = 0, i, j;
	int errors = 0, errors_in_header, rc;

	rc = csv_next(r, &fields, &nf, err, sizeof(err));
	if (rc <= 0) {
		fprintf(stderr, "%s: %s\n", path, rc < 0 ? err : _("empty file: expected a header row of question names"));
		csv_free(r);
		return 1;
	}
	header = xcalloc(nf, sizeof(*header));
	nh = nf;
	for (i = 0; i < nf; i++) {
		header[i] = xstrdup(fields[i]);
		for (j = 0; j < i; j++) {
			if (!strcmp(header[i], header[j])) {
				/* TRANSLATORS: a file, a column's name and the two columns' numbers. */
				fprintf(stderr, _("%s:1: column '%s' appears twice (columns %zu and %zu)\n"), path,
					header[i], j + 1, i + 1);
				errors++;
			}
		}
		if (derived_column(f, header[i])) {
			header[i][0] = '_';     /* read from the answer's own column */
			continue;
		}
		if (header[i][0] != '_' && !form_find(f, header[i])) {
			/* TRANSLATORS: a file, a column's number, the question's name it has and a form's id. */
			fprintf(stderr, _("%s:1: column %zu: unknown question '%s' in form '%s'\n"), path, i + 1,
				header[i], form_id(f));
			errors++;
		}
	}
	/* Header problems make the rows meaningless; row problems are all reported. */
	errors_in_header = errors;
	while (!errors_in_header && (rc = csv_next(r, &fields, &nf, err, sizeof(err))) > 0) {
		struct entry *e = add_entry(v, n, path, csv_line(r));

		if (nf != nh) {
			/* TRANSLATORS: FILE:LINE, how many fields the line has, how many the header has. */
			fprintf(stderr, P_("%s: has %zu field, the header has %zu\n", "%s: has %zu fields, the header has %zu\n",
					   nf), e->where, nf, nh);
			e->unreadable = 1;
			errors++;
			continue;
		}
		for (i = 0; i < nf; i++) {
			/* The store's columns of an export (_id, _status...) are not answers; a question may start with '_'. */
			if ((header[i][0] == '_' && !form_find(f, header[i])) || !fields[i][0])
				continue;
			/* as exports write text a spreadsheet must not run: "'=x" is "=x" */
			errors += set_text(f, e, header[i], csv_unguard(fields[i]));
		}
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		errors++;
	}
	for (i = 0; i < nh; i++)
		free(header[i]);
	free(header);
	csv_free(r);
	return errors;
}

/* Start offsets of the top-level elements of a JSON array, so errors can name their lines. Assumes the text
 * already parsed as JSON. */
static size_t *element_offsets(const char *data, size_t len, size_t count)
{
	size_t *offs = xcalloc(count ? count : 1, sizeof(*offs));
	size_t i, k = 0;
	int depth = 0, in_str = 0, want = 0;

	for (i = 0; i < len && k < count; i++) {
		char c = data[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (depth == 1 && want && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			offs[k++] = i;
			want = 0;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{')
			want = (++depth == 1);
		else if (c == ']' || c == '}')
			depth--;
		else if (c == ',' && depth == 1)
			want = 1;
	}
	return offs;
}

static int load_object(const struct form *f, json_t *obj, struct entry *e)
{
	const char *key;
	json_t *val, *v;
	char err[512];
	int errors = 0;

	json_object_foreach(obj, key, val) {
		const struct form_question *q;

		q = form_find(f, key);
		if (!q && key[0] == '_')
			continue;   /* the store's own (_id, _parent...) */
		if (!q) {
			fprintf(stderr, _("%s: unknown question '%s' in form '%s'\n"), e->where, key, form_id(f));
			errors++;
			continue;
		}
		if (q->type == FT_NOTE) {
			fprintf(stderr, _("%s: %s is a note and takes no answer\n"), e->where, key);
			errors++;
			continue;
		}
		if (form_is_media(q->type) && json_is_string(val)) {
			json_object_set(e->answers, key, val);   /* a file's path, read by entry_attach */
			continue;
		}
		if (form_coerce_answer(f, q, val, &v, err, sizeof(err)) < 0) {
			report(e->where, key, val, err);
			json_object_set_new(e->bad, key, json_true());
			errors++;
			continue;
		}
		if (v && form_is_media(q->type))
			json_object_set_new(e->named, key, json_true());
		if (v)
			json_object_set_new(e->answers, key, v);
	}
	return errors;
}

static int load_json(const struct form *f, const char *path, const char *data, size_t len, struct entry **v,
		     size_t *n)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	size_t *offs, i;
	int errors = 0;

	if (!root) {
		/* jansson names its own flag here; people need to know what is in their file. */
		fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column,
			strstr(je.text, "JSON_ALLOW_NUL") ? _("a NUL character (\\u0000) is not allowed in text") : je.text);
		return 1;
	}
	if (json_is_object(root)) {
		errors = load_object(f, root, add_entry(v, n, path, line_at(data, strspn(data, " \t\r\n"))));
	} else if (json_is_array(root)) {
		offs = element_offsets(data, len, json_array_size(root));
		for (i = 0; i < json_array_size(root); i++) {
			struct entry *e = add_entry(v, n, path, line_at(data, offs[i]));
			json_t *el = json_array_get(root, i);

			if (!json_is_object(el)) {
				/* TRANSLATORS: FILE:LINE, then the record's number in the file. */
				fprintf(stderr, _("%s: record %zu is not a JSON object\n"), e->where, i + 1);
				e->unreadable = 1;
				errors++;
				continue;
			}
			errors += load_object(f, el, e);
		}
		free(offs);
	} else {
		fprintf(stderr, _("%s: expected a JSON object or an array of objects\n"), path);
		errors = 1;
	}
	json_decref(root);
	return errors;
}

int entry_load_data(const struct form *f, const char *name, const char *data, size_t len, struct entry **out,
		    size_t *n)
{
	size_t bad, bom;
	char first;

	*out = NULL;
	*n = 0;
	if (!utf8_valid(data, len, &bad)) {
		if (data[bad])
			/* TRANSLATORS: FILE:LINE, then the byte's place in the file. */
			fprintf(stderr, _("%s:%zu: text is not valid UTF-8 (byte %zu)\n"), name, line_at(data, bad), bad + 1);
		else
			fprintf(stderr, _("%s:%zu: contains a NUL byte (byte %zu)\n"), name, line_at(data, bad), bad + 1);
		return 1;
	}
	/* A byte order mark, as spreadsheets write, is on line 1 and changes no line numbers. */
	bom = len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;
	first = data[bom + strspn(data + bom, " \t\r\n")];
	if (first == '{' || first == '[')
		return load_json(f, name, data + bom, len - bom, out, n);
	return load_csv(f, name, data, len, out, n);
}

int entry_load(const struct form *f, const char *path, struct entry **out, size_t *n)
{
	struct buf b = BUF_INIT(ENTRY_MAX_FILE);
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	int errors;

	*out = NULL;
	*n = 0;
	if (buf_read_file(&b, path) < 0) {
		int e = errno;

		fputs("sondeo: ", stderr);
		if (e == EFBIG)
			fprintf(stderr, _("'%s' is larger than %zu MiB\n"), name, ENTRY_MAX_FILE >> 20);
		else
			fprintf(stderr, _("cannot read '%s': %s\n"), name, strerror(e));
		buf_release(&b);
		return -1;
	}
	errors = entry_load_data(f, name, b.data, b.len, out, n);
	buf_release(&b);
	return errors;
}

/* The file an attachment's answer names: its path (a leading '@' dropped), under dir when relative and dir is not
 * NULL, read and kept in the store. 0 with *v the answer, or -1 reported. */
static int attach_file(const struct form_question *q, struct entry *e, struct store *s, const char *dir,
		       const json_t *path, json_t **v)
{
	const char *p = json_string_value(path);
	struct buf full = BUF_INIT(1 << 14);
	char err[512];
	int fd, r = -1;

	p += *p == '@';
	if (!*p) {
		report(e->where, q->name, path, _("no file named: give its path"));
		return -1;
	}
	if (dir && *p != '/' && buf_printf(&full, "%s/%s", dir, p) < 0) {
		report(e->where, q->name, path, _("the path is too long"));
		return -1;
	}
	if ((fd = open(full.len ? full.data : p, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, sizeof err, _("cannot open '%s': %s"), full.len ? full.data : p, strerror(errno));
		report(e->where, q->name, NULL, err);
	} else if (store_media_add(s, fd, p, q, STORE_MEDIA_MAX, v, err, sizeof err) < 0) {
		report(e->where, q->name, NULL, err);
	} else {
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	buf_release(&full);
	return r;
}

int entry_attach(const struct form *f, struct entry *e, struct store *s, const char *dir)
{
	struct media_ref ref;
	char err[512], path[4096];
	int errors = 0;
	size_t i;

	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		const json_t *a = json_object_get(e->answers, q->name);
		json_t *v;

		if (!form_is_media(q->type) || !a)
			continue;
		if (json_is_string(a)) {
			if (attach_file(q, e, s, dir, a, &v) < 0) {
				json_object_set_new(e->bad, q->name, json_true());
				errors++;
			} else {
				json_object_set_new(e->answers, q->name, v);
			}
		} else if (json_object_get(e->named, q->name) && media_ref_read(a, &ref, err, sizeof err) == 0 &&
			   store_media_path(s, ref.blake2b, path, sizeof path) != 1) {
			/* An answer naming a file this laptop does not have could never reach the server. */
			report(e->where, q->name, NULL, _("the file it names is not on this laptop"));
			json_object_set_new(e->bad, q->name, json_true());
			errors++;
		}
	}
	return errors;
}

struct check_ctx {
	const struct entry *e;
	const json_t *before; /* an edited record as it was, or NULL */
	json_t *had;          /* the questions that had a problem in before: name -> true; NULL for none */
	int errors;
};

static void on_before(void *ctx, const char *question, const char *message)
{
	struct check_ctx *c = ctx;

	(void)message;
	if (question && c->had)
		json_object_set_new(c->had, question, json_true());
}

static void on_error(void *ctx, const char *question, const char *message)
{
	struct check_ctx *c = ctx;
	const json_t *now = question ? json_object_get(c->e->answers, question) : NULL;
	const json_t *was = question && c->before ? json_object_get(c->before, question) : NULL;
	char kept[600];

	/* A value that could not be read was reported already; "required" for it would only confuse. */
	if (question && json_object_get(c->e->bad, question))
		return;
	/* A problem the record had before the edit, in an answer the edit left alone, is the record's, not the
	 * edit's: one dated by a laptop whose day is already tomorrow, or one a newer version of the form asks
	 * more of. It is said, and the edit goes on, as it does at the prompt; an answer the edit changed, or one
	 * that the edit's other answers now make wrong, is refused. */
	if (question && c->had && json_object_get(c->had, question) &&
	    (!now || json_is_null(now) ? !was || json_is_null(was) : was && json_equal(now, was))) {
		/* TRANSLATORS: %s is what is wrong with an answer that the edit did not change. */
		snprintf(kept, sizeof(kept), _("%s (so before this edit, and kept as it is)"), message);
		report(c->e->where, question, now, kept);
		return;
	}
	report(c->e->where, question, now, message);
	c->errors++;
}

int entry_check(const struct form *f, const struct entry *e, const json_t *before, const char *lang, int draft)
{
	struct check_ctx c = { e, before, NULL, 0 };
	const char *key;
	json_t *val;
	char err[512];

	if (e->unreadable)
		return 0;
	if (!draft) {
		/* Out of memory for the list, every problem counts: the stricter answer. */
		if (before && (c.had = json_object()))
			form_check(f, before, lang, on_before, &c);
		form_check(f, e->answers, lang, on_error, &c);
		json_decref(c.had);
		return c.errors;
	}
	/* A draft may leave questions unanswered; what it does answer must still be right. */
	json_object_foreach(e->answers, key, val) {
		const struct form_question *q = form_find(f, key);
		int rel;

		if (!q && key[0] == '_')
			continue;
		if (!q) {
			on_error(&c, key, _("unknown question"));
			continue;
		}
		rel = form_relevant(f, q, e->answers, err, sizeof(err));
		if (rel < 0)
			on_error(&c, key, err);
		else if (rel == 0)
			on_error(&c, key, _("is not asked given the other answers (relevant is false)"));
		else if (form_check_answer(f, q, val, e->answers, lang, err, sizeof(err)) < 0)
			on_error(&c, key, err);
	}
	return c.errors;
}
