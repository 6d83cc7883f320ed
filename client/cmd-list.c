/* cmd-list.c - sondeo list: the records on this device, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "hlc.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

#define MAX_WHERE STORE_MAX_WHERE

/* Prints s padded or cut to width columns (counting code points). */
static void cell(const char *s, size_t width)
{
	size_t n = 0, i = 0;

	while (s[i] && n < width) {
		size_t start = i++;

		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		if (n + 1 == width && s[i]) {
			fputs("~", stdout);      /* cut here */
			n++;
			break;
		}
		fwrite(s + start, 1, i - start, stdout);
		n++;
	}
	for (; n < width; n++)
		putchar(' ');
	putchar(' ');
}

/* The answers a table row shows: its form's title fields (form.h: those its instance_name names, else its first
 * questions every record is asked), headed by their names. */
struct columns {
	char form[MERGE_MAX_NAME + 1];
	const char *names[FORM_TITLE_MAX];
	struct form *f;
};

static const int widths[FORM_TITLE_MAX] = { 28, 22, 12 };

/* The widths of the columns after the answers, in characters: as wide as their headings and their words in the
 * language of the run. */
struct tail_widths {
	size_t when, state;
};

static size_t widest(size_t w, const char *s)
{
	size_t n = utf8_len(s);

	return n > w ? n : w;
}

static void tail_widths(struct tail_widths *t)
{
	t->when = widest(cli_when_width(), C_("column heading", "UPDATED"));
	t->state = widest(widest(widest(5, C_("column heading", "STATE")), C_("record state", "draft")),
			  C_("record state", "final"));
}

/* Loads the columns of form; 1 if they changed (a new header is due), 0 if they are the last row's. */
static int columns_for(struct store *s, struct columns *c, const char *form)
{
	const char *const *names = NULL;
	size_t i, n = 0;

	if (!strcmp(c->form, form))
		return 0;
	form_free(c->f);
	strlcpy_s(c->form, form, sizeof(c->form));
	c->f = store_form_get(s, form, NULL, NULL, 0);
	if (c->f)
		n = form_title_fields(c->f, &names);
	for (i = 0; i < FORM_TITLE_MAX; i++)
		c->names[i] = i < n ? names[i] : NULL;
	return 1;
}

static void header(const struct columns *c, const struct tail_widths *t)
{
	char up[MERGE_MAX_NAME + 1];
	size_t i, k;

	/* TRANSLATORS: the headings of the list of records (sondeo list), in capitals: a record's id, when it was
	 * last changed, its state (draft or final) and its flags (conflict, deleted, review). */
	cell(C_("column heading", "ID"), 8);
	for (i = 0; i < FORM_TITLE_MAX && c->names[i]; i++) {   /* a form of two title fields has two columns */
		for (k = 0; c->names[i][k] && k + 1 < sizeof(up); k++)
			up[k] = (char)(c->names[i][k] >= 'a' && c->names[i][k] <= 'z' ? c->names[i][k] - 'a' + 'A' :
				       c->names[i][k]);
		up[k] = '\0';
		cell(up, (size_t)widths[i]);
	}
	cell(C_("column heading", "UPDATED"), t->when);
	cell(C_("column heading", "STATE"), t->state);
	printf("%s\n", C_("column heading", "FLAGS"));
}

struct known {
	const char *form, *name;
	int found;
};

static void known_in(void *ctx, const char *id, const char *version, const char *json, uint64_t records)
{
	struct known *k = ctx;
	struct form *f;

	(void)version;
	(void)records;
	if (k->found || (k->form && strcmp(k->form, id)))
		return;
	f = form_load(json, strlen(json), NULL, 0);
	k->found = f && form_find(f, k->name);
	form_free(f);
}

/* Finds which installed form has a question called name (for checking --where). */
static int question_known(struct store *s, const char *form, const char *name)
{
	struct known k = { form, name, 0 };

	return store_form_list(s, known_in, &k, NULL, 0) == 0 && k.found;
}

/* What each selected record is shown with. */
struct listing {
	struct store *s;
	struct columns cols;
	json_t *list;           /* for --json */
	long rows;
	struct tail_widths w;
};

/* The value of one field of rec as JSON text, or NULL (caller frees). */
static char *value_of(struct store *s, const struct store_record *rec, const char *field)
{
	char *v = NULL;

	store_field_get(s, rec, field, &v, NULL, 0);
	return v;
}

static int list_row(void *ctx, const struct store_record *rec)
{
	struct listing *l = ctx;
	char when[64], *review_json = value_of(l->s, rec, "_review");
	int i;

	/* A header for each run of one form's records: their columns are that form's. */
	if (columns_for(l->s, &l->cols, rec->form) && !l->list)
		header(&l->cols, &l->w);
	l->rows++;
	if (l->list) {
		json_t *review = review_json ? json_loads(review_json, JSON_DECODE_ANY, NULL) : NULL, *o;

		/* For scripts: the moment as it always was, whatever the language. */
		time_fmt(HLC_MS(rec->updated), when, sizeof(when));
		o = json_pack("{s:s, s:s, s:s, s:b, s:i, s:s, s:o}", "id", rec->id, "form", rec->form, "status",
			      rec->draft ? "draft" : "final", "deleted", rec->deleted, "conflicts", rec->conflicts,
			      "updated", when, "review", json_is_object(review) ? review : json_null());
		if (!json_is_object(review))
			json_decref(review);
		for (i = 0; i < FORM_TITLE_MAX; i++) {
			char *v = l->cols.names[i] ? value_of(l->s, rec, l->cols.names[i]) : NULL;

			if (v)
				json_object_set_new(o, l->cols.names[i], json_loads(v, JSON_DECODE_ANY, NULL));
			free(v);
		}
		json_array_append_new(l->list, o);
		free(review_json);
		return 0;
	}
	cell(cli_short_id(rec->id), 8);
	for (i = 0; i < FORM_TITLE_MAX && l->cols.names[i]; i++) {
		char *v = value_of(l->s, rec, l->cols.names[i]);
		char *t = v ? cli_value_text(v) : NULL;

		cell(t ? t : "", (size_t)widths[i]);
		free(t);
		free(v);
	}
	cli_when(HLC_MS(rec->updated), when, sizeof(when));
	cell(when, l->w.when);
	cell(rec->draft ? C_("record state", "draft") : C_("record state", "final"), l->w.state);
	{
		char *review = cli_review_text(review_json);

		/* Flags, each followed by a space, then the review last: its comment may be long, and nothing comes
		 * after it. */
		if (rec->conflicts)
			printf("%s ", C_("record flag", "conflict"));
		if (rec->deleted)
			printf("%s ", C_("record flag", "deleted"));
		printf("%s\n", review);
		free(review);
	}
	free(review_json);
	return 0;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' }, { "where", required_argument, NULL, 'w' },
		{ "search", required_argument, NULL, 's' }, { "drafts", no_argument, NULL, 'd' },
		{ "deleted", no_argument, NULL, 'D' }, { "conflicts", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 }
	};
	const char *where[MAX_WHERE];
	int c, json = 0, r = EXIT_FAIL, i, nwhere = 0;
	struct store_filter filter;
	struct listing l = { NULL, { "", { NULL }, NULL }, NULL, 0, { 0, 0 } };
	struct store *s = NULL;
	char err[512];

	memset(&filter, 0, sizeof(filter));
	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'f': filter.form = optarg; break;
		case 's': filter.search = optarg; break;
		case 'd': filter.drafts = 1; break;
		case 'D': filter.deleted = 1; break;
		case 'c': filter.conflicts = 1; break;
		case 'j': json = 1; break;
		case 'w':
			if (nwhere == MAX_WHERE)
				return cli_usage_error(cli, _("at most %d --where"), MAX_WHERE);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return cli_usage_error(cli, _("--where '%s': expected NAME=VALUE"), optarg);
			where[nwhere++] = optarg;
			break;
		default:
			return cli_opt_exit(c);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	l.s = s;
	if (filter.form) {
		struct form *known = store_form_get(s, filter.form, NULL, err, sizeof(err));

		if (!known) {
			cli_error("%s", err);
			goto out;
		}
		form_free(known);
	}
	for (i = 0; i < nwhere; i++) {
		char *name = xstrndup(where[i], (size_t)(strchr(where[i], '=') - where[i]));
		int known = question_known(s, filter.form, name);

		if (!known && filter.form)
			cli_error(_("--where: unknown question '%s' in form %s"), name, filter.form);
		else if (!known)
			cli_error(_("--where: unknown question '%s'"), name);
		free(name);
		if (!known)
			goto out;
	}
	for (i = 0; i < nwhere; i++) {
		const char *eq = strchr(where[i], '=');

		strlcpy_s(filter.where[i].question, where[i], (size_t)(eq - where[i]) + 1);
		filter.where[i].value = eq + 1;
	}
	filter.nwhere = (size_t)nwhere;
	if (json)
		l.list = json_array();
	else
		tail_widths(&l.w);
	if (store_select(s, &filter, list_row, &l, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (json) {
		char *t = json_dumps(l.list, JSON_INDENT(2));

		puts(t);
		free(t);
	} else if (cli_interactive() || !l.rows) {
		/* Said even to a pipe when there is nothing: an empty output would look like a failure. */
		printf(P_("%s record\n", "%s records\n", (unsigned long)l.rows), i18n_count((unsigned long)l.rows));
	}
	r = EXIT_OK;
out:
	json_decref(l.list);
	form_free(l.cols.f);
	store_close(s);
	return r;
}
