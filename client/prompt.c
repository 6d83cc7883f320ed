/* prompt.c - filling a record at the terminal, one question at a time. */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fill.h"
#include "i18n.h"
#include "store.h"
#include "util.h"
#include "banned.h"

#define PROMPT_LIST_MAX 30       /* choices past which a question's list is not printed whole */
#define PROMPT_MATCHES_MAX 20    /* choices matching what was typed that are listed to choose from */

struct session {
	struct fill fl;       /* the record, its answers and how they are saved */
	const char *lang;
	const struct form_group *section;   /* the group whose heading was shown last */
	size_t first_problem; /* the first question form_check complained about */
	char parent[64];      /* an instance's record being edited (fl.parent) */
	char *line;
	size_t linecap;
	char *shown[8];       /* the last texts with answers put in (text()), freed as the ring turns */
	unsigned nshown;
};

/* Ctrl-C: every confirmed answer is already committed, so say how to resume and leave at once. */
static char interrupt_msg[400];

static void on_interrupt(int sig)
{
	ssize_t r;

	(void)sig;
	r = write(STDERR_FILENO, interrupt_msg, strlen(interrupt_msg));
	(void)r;
	_exit(130);
}

static void set_interrupt_message(const struct session *ss)
{
	char msg[sizeof(interrupt_msg) - 2];

	/* Made here, in the language of the run, for the signal handler, which may only write it. */
	if (ss->fl.created && ss->fl.rec->draft)
		snprintf(msg, sizeof(msg), _("interrupted: answers so far are saved as a draft; resume with: sondeo edit %s"),
			 cli_short_id(ss->fl.rec->id));
	else if (ss->fl.created)
		snprintf(msg, sizeof(msg), _("interrupted: changes so far are saved; review with: sondeo edit %s"),
			 cli_short_id(ss->fl.rec->id));
	else
		snprintf(msg, sizeof(msg), "%s", _("interrupted: nothing was saved"));
	snprintf(interrupt_msg, sizeof(interrupt_msg), "\n%s\n", msg);
}

/* Reads one line without its newline. NULL at end of input. */
static const char *read_line(struct session *ss)
{
	ssize_t n;

	fflush(stdout);
	n = getline(&ss->line, &ss->linecap, stdin);
	/* A line cut short by end of input was never confirmed with Enter: it is not an answer. */
	if (n <= 0 || ss->line[n - 1] != '\n')
		return NULL;
	while (n > 0 && (ss->line[n - 1] == '\n' || ss->line[n - 1] == '\r'))
		ss->line[--n] = '\0';
	return ss->line;
}

/* A label, hint or message in the session's language, with the answers it names put in ("How old is Ana?").
 * Valid until eight more texts have been made. */
static const char *text(struct session *ss, const json_t *t)
{
	const char *s = form_text(ss->fl.f, t, ss->lang);
	char **slot;

	if (!s || !strstr(s, "${"))
		return s ? s : "";
	slot = &ss->shown[ss->nshown++ % (sizeof ss->shown / sizeof ss->shown[0])];
	free(*slot);
	*slot = form_interpolate(ss->fl.f, s, ss->fl.answers, ss->lang);
	return *slot ? *slot : s;
}

static void session_release(struct session *ss)
{
	size_t i;

	for (i = 0; i < sizeof ss->shown / sizeof ss->shown[0]; i++)
		free(ss->shown[i]);
	free(ss->line);
}

/* Saves value (NULL clears; borrowed) as q's answer with everything it implies (fill_save), saying why when it
 * cannot. q NULL saves only what the answers imply; final: the record is being finalized. */
static int save(struct session *ss, const struct form_question *q, json_t *value, int final)
{
	int was = ss->fl.created;
	char err[512];

	if (fill_save(&ss->fl, q, value, final, err, sizeof(err)) < 0) {
		/* TRANSLATORS: %s says why. */
		cli_error(_("%s: this answer was not saved"), err);
		return -1;
	}
	if (!was)
		set_interrupt_message(ss);
	return 0;
}

/* An answer as people read it, with choices' labels. Caller frees. */
static char *value_text(const struct session *ss, const struct form_question *q, const json_t *v)
{
	char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	char *shown = cli_answer_text(ss->fl.f, q, t ? t : "null", ss->lang);

	free(t);
	return shown;
}

static void show_value(const struct session *ss, const struct form_question *q, const json_t *v)
{
	char *shown = value_text(ss, q, v);

	fputs(shown, stdout);
	free(shown);
}

/* The file a path typed (or dropped from a file manager, which quotes it: 'My photo.jpg') names, kept in the store
 * as q's answer into *v. 0, or -1 after saying why. */
static int media_answer(struct session *ss, const struct form_question *q, const char *in, json_t **v)
{
	char path[4096], err[512];
	size_t n = strlen(in);
	int fd, r;

	if (n >= 2 && (in[0] == '\'' || in[0] == '"') && in[n - 1] == in[0])
		snprintf(path, sizeof path, "%.*s", (int)(n - 2), in + 1);
	else
		snprintf(path, sizeof path, "%s", in[0] == '@' ? in + 1 : in);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		fputs("  ", stdout);
		printf(_("cannot open '%s': %s"), path, strerror(errno));
		putchar('\n');
		return -1;
	}
	r = store_media_add(ss->fl.s, fd, path, q, STORE_MEDIA_MAX, v, err, sizeof err);
	close(fd);
	if (r < 0)
		printf("  %s\n", err);
	return r;
}

/* How many of q's choices are offered now. */
static size_t offered(struct session *ss, const struct form_question *q)
{
	size_t i, n = 0;

	for (i = 0; i < q->nchoices; i++)
		n += form_choice_offered(ss->fl.f, q, i, ss->fl.answers) == 1;
	return n;
}

/* 1 if choice c of q is offered now and its label in the session's language, or its name, holds folded (text
 * folded by utf8_fold: whatever its case and accents). lb is scratch. */
static int choice_holds(struct session *ss, const struct form_question *q, size_t c, const struct buf *folded,
			struct buf *lb)
{
	const char *label = text(ss, q->choices[c].label);

	if (form_choice_offered(ss->fl.f, q, c, ss->fl.answers) != 1)
		return 0;
	utf8_fold(label, strlen(label), lb);
	if (strstr(lb->data, folded->data))
		return 1;
	utf8_fold(q->choices[c].name, strlen(q->choices[c].name), lb);
	return strstr(lb->data, folded->data) != NULL;
}

/* A select_one's choice found by what was typed, when it is not a choice's name, number or label: the one offered
 * choice whose label in the session's language (or name) holds it, whatever its case and accents ("ivoire" is Côte
 * d'Ivoire). 1 with *v set; 0 after listing the few that match or saying that too many do; -1 if none does. */
static int choice_by_label(struct session *ss, const struct form_question *q, const char *in, json_t **v)
{
	struct buf folded = BUF_INIT(1 << 12), lb = BUF_INIT(1 << 16);
	size_t i, n = 0, one = 0;

	utf8_fold(in, strlen(in), &folded);
	for (i = 0; i < q->nchoices; i++)
		if (choice_holds(ss, q, i, &folded, &lb) && n++ == 0)
			one = i;
	if (n == 1) {
		*v = json_string(q->choices[one].name);
		printf("  = %s (%s)\n", text(ss, q->choices[one].label), q->choices[one].name);
	} else if (n > PROMPT_MATCHES_MAX) {
		fputs("  ", stdout);
		/* TRANSLATORS: what was typed at a question with a long list of choices. */
		printf(P_("%s choice matches '%s': type more of its name.\n",
			  "%s choices match '%s': type more of the name.\n", n), i18n_count(n), in);
	} else if (n > 1) {
		for (i = 0; i < q->nchoices; i++)
			if (choice_holds(ss, q, i, &folded, &lb))
				printf("  %2zu) %s\n", i + 1, text(ss, q->choices[i].label));
	}
	buf_release(&folded);
	buf_release(&lb);
	return n == 1 ? 1 : n ? 0 : -1;
}

static void show_question(struct session *ss, const struct form_question *q, size_t num, size_t total,
			  const json_t *current, const json_t *def)
{
	const char *hint = text(ss, q->hint);
	size_t i;

	printf("\n[%zu/%zu] %s%s\n", num, total, text(ss, q->label), q->required ? " *" : "");
	if (*hint)
		printf("      %s\n", hint);
	if (offered(ss, q) > PROMPT_LIST_MAX)
		/* TRANSLATORS: under a question with a long list of choices (countries), which are not all printed. */
		cli_indented(_("(%s choices: type a name, part of one, or a code)"), i18n_count(offered(ss, q)));
	else
		for (i = 0; i < q->nchoices; i++)
			if (form_choice_offered(ss->fl.f, q, i, ss->fl.answers))   /* as numbered in the form */
				printf("  %2zu) %s\n", i + 1, text(ss, q->choices[i].label));
	if (q->type == FT_SELECT_MULTIPLE)
		/* TRANSLATORS: how to type an answer of each type, under the question; keep the examples of answers as
		 * they are (numbers, YYYY-MM-DD, HH:MM, OK, node/N ...): they are what the person types. */
		cli_indented("%s", _("(one or more: numbers or names, separated by spaces)"));
	else if (q->type == FT_RANK)
		cli_indented("%s", _("(all of them in order, the highest first: numbers or names, separated by spaces)"));
	else if (q->type == FT_DATE)
		cli_indented("%s", _("(a date: YYYY-MM-DD)"));
	else if (q->type == FT_GEOPOINT)
		cli_indented("%s", _("(latitude and longitude in decimal degrees: \"-1.2921 36.8219\")"));
	else if (q->type == FT_GEOTRACE)
		cli_indented("%s", _("(two points or more along the line, each latitude and longitude, separated by ';': "
				  "\"-1.29 36.82; -1.30 36.83\")"));
	else if (q->type == FT_GEOSHAPE)
		cli_indented("%s", _("(three points or more around the shape, each latitude and longitude, separated by ';': "
				  "\"-1.29 36.82; -1.30 36.83; -1.31 36.82\")"));
	else if (q->type == FT_TIME)
		cli_indented("%s", _("(a time: HH:MM)"));
	else if (q->type == FT_DATETIME)
		cli_indented("%s", _("(a date and time: YYYY-MM-DD HH:MM)"));
	else if (q->type == FT_ACKNOWLEDGE)
		cli_indented("%s", _("(type OK to acknowledge)"));
	else if (q->type == FT_BARCODE)
		cli_indented("%s", _("(scan the code with a barcode reader, or type it)"));
	else if (form_is_media(q->type))
		/* TRANSLATORS: under a question that asks for a photo, a recording or a file. */
		cli_indented("%s", _("(the path of the file: drop it here from the file manager, or type it)"));
	else if (q->type == FT_OSM) {
		/* TRANSLATORS: %s is the name of the first tag the question asks for; keep the line break and the
		 * seven spaces that indent the second line. */
		cli_indented(_("(the OpenStreetMap feature, as node/N, way/N or relation/N or its link, then its tags\n"
			    "       as key=value, all separated by ';': \"way/123456; %s=...\")"),
			  q->ntags ? q->tags[0].name : "");
		for (i = 0; i < q->ntags; i++) {
			size_t j;

			printf("      %-20s %s", q->tags[i].name, text(ss, q->tags[i].label));
			for (j = 0; j < q->tags[i].nchoices; j++)
				printf("%s%s", j ? ", " : ": ", q->tags[i].choices[j].name);
			printf("\n");
		}
	}
	if (current || def) {
		char *t = value_text(ss, q, current ? current : def);

		if (current)
			/* TRANSLATORS: the answer saved, or the one offered, and what the Enter key does with it. */
			cli_indented(_("[now: %s]  Enter keeps it"), t);
		else
			cli_indented(_("[%s]  Enter takes it"), t);
		free(t);
	}
}

static void show_help(struct session *ss, const struct form_question *q)
{
	const char *hint = text(ss, q->hint), *cmsg = text(ss, q->constraint_message);

	printf("\n  %s\n", text(ss, q->label));
	if (*hint)
		printf("  %s\n", hint);
	fputs("  ", stdout);
	if (q->required)
		/* TRANSLATORS: %s is the question's type as forms name it (text, integer, select_one ...). */
		printf(_("Type: %s, required"), form_type_name(q->type));
	else
		printf(_("Type: %s, optional"), form_type_name(q->type));
	putchar('\n');
	if (*cmsg) {
		fputs("  ", stdout);
		/* TRANSLATORS: %s is the form's own words for the rule an answer must meet. */
		printf(_("Rule: %s"), cmsg);
		putchar('\n');
	}
	/* TRANSLATORS: the keys at a question and what each does, in two columns; keep the keys (- ! ?) and the
	 * indent, and line the second column up. */
	fputs(_("  Enter  keep the answer shown in [ ], or skip an optional question\n"
		"  -      go back to the previous question\n"
		"  !      clear this answer\n"
		"  ?      this help\n"
		"  Ctrl-D stop here and keep the record as a draft\n"), stdout);
}

static void summary(struct session *ss)
{
	size_t i;

	putchar('\n');
	/* TRANSLATORS: %s is a record's short id. */
	printf(_("Summary of %s:"), cli_short_id(ss->fl.rec->id));
	putchar('\n');
	for (i = 0; i < form_count(ss->fl.f); i++) {
		const struct form_question *q = form_question(ss->fl.f, i);
		json_t *v = json_object_get(ss->fl.answers, q->name);

		/* An instance's own answers: its record's are in view, not its to change. */
		if (!v || form_repeat_of(q) != ss->fl.scope)
			continue;
		printf("  %2zu. %s: ", i + 1, text(ss, q->label));
		show_value(ss, q, v);
		putchar('\n');
	}
}

static void print_problem(void *ctx, const char *question, const char *message)
{
	struct session *ss = ctx;
	const struct form_question *q = question ? form_find(ss->fl.f, question) : NULL;
	size_t i;

	for (i = 0; q && i < form_count(ss->fl.f) && i < ss->first_problem; i++)
		if (form_question(ss->fl.f, i) == q)
			ss->first_problem = i;

	/* TRANSLATORS: what a problem is about when it is about the whole record rather than one question. */
	printf("  - %s: %s\n", q ? text(ss, q->label) : question ? question : C_("problem about", "record"), message);
}

/* A group's heading, with the groups it is in: "== Household / Members ==". */
static void section(struct session *ss, const struct form_group *g)
{
	const struct form_group *chain[32];
	size_t n = 0;

	ss->section = g;
	if (!g)
		return;
	for (; g && n < 32; g = g->parent)
		chain[n++] = g;
	printf("\n==");
	while (n--)
		printf(" %s%s", chain[n]->label ? text(ss, chain[n]->label) : chain[n]->name, n ? " /" : "");
	printf(" ==\n");
}

/* Asks question i. Returns 1 to go forward, -1 to go back, 0 at end of input, -2 on a store error. */
static int ask(struct session *ss, size_t i)
{
	const struct form_question *q = form_question(ss->fl.f, i);
	json_t *def = NULL;
	char err[512];
	int r = 1;

	/* Groups are shown as sections: a heading when the questions enter another group. */
	if (q->group != ss->section)
		section(ss, q->group);
	if (!json_object_get(ss->fl.answers, q->name))
		def = form_default(ss->fl.f, q, ss->fl.answers);
	show_question(ss, q, i + 1, form_count(ss->fl.f), json_object_get(ss->fl.answers, q->name), def);
	for (;;) {
		const json_t *cur = json_object_get(ss->fl.answers, q->name);
		const char *in;
		json_t *v = NULL;

		fputs("> ", stdout);
		if (!(in = read_line(ss))) {
			r = 0;
			break;
		}
		if (!strcmp(in, "-")) {
			r = -1;
			break;
		}
		if (!strcmp(in, "?")) {
			show_help(ss, q);
			continue;
		}
		if (!strcmp(in, "!")) {
			if (q->required) {
				printf("  %s\n", _("An answer is required here: it cannot be cleared."));
				continue;
			}
			r = save(ss, q, NULL, 0) < 0 ? -2 : 1;
			break;
		}
		if (in[strspn(in, " \t")] == '\0') {
			if (cur)
				break;                       /* keep */
			if (def)
				v = json_incref(def);        /* take the default */
		} else if (form_is_media(q->type)) {
			if (media_answer(ss, q, in, &v) < 0)
				continue;
		} else if (form_parse_answer(ss->fl.f, q, in, FORM_PARSE_NUMBERS | FORM_PARSE_LABELS, &v, err,
					     sizeof(err)) < 0) {
			/* A select_one also takes part of a choice's label: "keny" is Kenya. */
			int found = q->type == FT_SELECT_ONE ? choice_by_label(ss, q, in, &v) : -1;

			if (found < 0 && offered(ss, q) > PROMPT_LIST_MAX) {
				fputs("  ", stdout);
				/* TRANSLATORS: what was typed at a question with a long list of choices (countries),
				 * which are not all printed. */
				printf(_("No choice matches '%s'.\n"), in);
			} else if (found < 0) {
				printf("  %s\n", err);
			}
			if (found < 1)
				continue;
		}
		if (!v && q->required) {
			const char *m = text(ss, q->required_message);

			printf("  %s\n", *m ? m : _("An answer is required here (? for help)."));
			continue;
		}
		if (form_check_answer(ss->fl.f, q, v, ss->fl.answers, ss->lang, err, sizeof(err)) < 0) {
			printf("  %s\n", err);
			json_decref(v);
			continue;
		}
		if (v || cur)
			r = save(ss, q, v, 0) < 0 ? -2 : 1;
		json_decref(v);
		break;
	}
	json_decref(def);
	return r;
}

/* 1 if in is the one-letter key in English or in the language of the run (either case). */
static int is_key(const char *in, const char *en, const char *key)
{
	return !strcasecmp(in, en) || !strcasecmp(in, key);
}

/* A yes or a no to a question, in English or in the language of the run. */
static int is_yes(const char *in)
{
	return is_key(in, "y", C_("key for yes", "y")) || is_key(in, "yes", C_("word for yes", "yes"));
}

static int is_no(const char *in)
{
	return is_key(in, "n", C_("key for no", "n")) || is_key(in, "no", C_("word for no", "no"));
}

/* The question named or numbered by in, or (size_t)-1. */
static size_t pick_question(struct session *ss, const char *in)
{
	char *end;
	unsigned long n = strtoul(in, &end, 10);
	size_t i;

	if (*in && !*end && n >= 1 && n <= form_count(ss->fl.f))
		return n - 1;
	for (i = 0; i < form_count(ss->fl.f); i++)
		if (!strcmp(form_question(ss->fl.f, i)->name, in))
			return i;
	return (size_t)-1;
}

/* The repeat a repeat is inside, or NULL. */
static const struct form_group *outer_repeat(const struct form_group *g)
{
	for (g = g->parent; g; g = g->parent)
		if (g->repeat)
			return g;
	return NULL;
}

static int walk(struct session *ss, size_t start);

/* Offers instances of repeat g of the record being filled: "Add a Member? [y/N]" (or, when the form fixes their
 * number with a repeat_count, "Member 2 of 3: Enter fills it"), then its questions for each instance, saved as a
 * record of its own that names this one. Returns 1 when done, 0 at end of input, -1 on error. */
static int repeat_loop(struct session *ss, const struct form_group *g)
{
	int count = form_repeat_count(ss->fl.f, g, ss->fl.answers), have;
	char label[256];
	unsigned n = 0;
	char err[512];

	/* A copy: the texts text() makes last only while few others are made. */
	strlcpy_s(label, g->label ? text(ss, g->label) : g->name, sizeof(label));
	/* Instances belong to a record: it exists from here on, even before its first answer. */
	if (!ss->fl.created) {
		if (fill_create(&ss->fl, err, sizeof(err)) < 0)
			return cli_error("%s", err);
		set_interrupt_message(ss);
	}
	section(ss, g);
	/* Editing a record that has instances already: the offer is for another one. */
	if ((have = store_instance_count(ss->fl.s, ss->fl.rec->id, g->name)) > 0) {
		n = (unsigned)have;
		if (count >= 0)
			/* TRANSLATORS: a repeat's label, how many instances it has, and how many the form asks for. */
			printf(_("%s: %u of %d already\n"), label, n, count);
		else
			printf(_("%s: %u already\n"), label, n);
	}
	for (;;) {
		struct store_record child;
		struct session cs;
		const char *in;
		int r, errors;

		if (count >= 0 && n >= (unsigned)count)
			break;
		putchar('\n');
		if (count >= 0)
			/* TRANSLATORS: a repeat's label ("Member"), the instance's number and how many the form asks for; n is
			 * the key for no (translated with the context "key for no"). */
			printf(_("%s %u of %d: Enter fills it, n leaves the rest for later: "), label, n + 1, count);
		else if (n)
			/* TRANSLATORS: %s is a repeat's label ("Member"); y and N are the keys for yes and no (translated with
			 * the contexts "key for yes" and "key for no"). */
			printf(_("Add another %s? [y/N] "), label);
		else
			printf(_("Add a %s? [y/N] "), label);
		fflush(stdout);
		if (!(in = read_line(ss)))
			return 0;
		if (count >= 0 ? is_no(in) : !is_yes(in))
			break;
		memset(&cs, 0, sizeof(cs));
		cs.fl.s = ss->fl.s;
		cs.fl.f = ss->fl.f;
		cs.fl.rec = &child;
		cs.lang = ss->lang;
		cs.fl.scope = g;
		cs.fl.parent = ss->fl.rec->id;
		cs.fl.lang = ss->fl.lang;
		cs.section = g;
		/* The instance's questions see the record's answers. */
		cs.fl.answers = json_deep_copy(ss->fl.answers);
		json_object_set_new(cs.fl.answers, "_repeat", json_string(g->name));
		if (count >= 0)
			/* TRANSLATORS: a repeat's label, the instance's number, and how many the form asks for: "Member 2 of
			 * 3". */
			printf(_("%s %u of %d\n"), label, n + 1, count);
		else
			printf("%s %u\n", label, n + 1);
		r = walk(&cs, 0);
		if (r == 1 && cs.fl.created && save(&cs, NULL, NULL, 1) == 0) {
			errors = form_check(ss->fl.f, cs.fl.answers, ss->lang, print_problem, &cs);
			if (!errors && fill_finalize(&cs.fl, err, sizeof(err)) == 0)
				/* TRANSLATORS: a repeat's label, the instance's number, and its id. */
				printf(_("Saved %s %u (%s)\n"), label, n + 1, cli_short_id(child.id));
			else if (errors)
				/* TRANSLATORS: a repeat's label, the instance's number, and its id. */
				printf(_("%s %u kept as a draft until it is fixed: sondeo edit %s\n"), label, n + 1,
				       cli_short_id(child.id));
			else
				cli_error("%s", err);
		}
		json_decref(cs.fl.answers);
		session_release(&cs);
		if (r == 0)
			return 0;
		if (r < -1)
			return -1;
		n += cs.fl.created;
	}
	ss->section = NULL;
	return 1;
}

/* Walks the questions from start. Returns 1 when past the last, 0 at end of input, -2 on error. */
static int walk(struct session *ss, size_t start)
{
	size_t *trail = xcalloc(form_count(ss->fl.f) + 1, sizeof(*trail)), depth = 0, i;
	int r = 1;

	/* Starting part-way (a jump from the summary), `-` still goes back through the questions before. */
	for (i = 0; i < start; i++) {
		const struct form_question *q = form_question(ss->fl.f, i);

		if (q->type != FT_NOTE && !q->automatic && !q->readonly &&
		    form_relevant(ss->fl.f, q, ss->fl.answers, NULL, 0) == 1)
			trail[depth++] = i;
	}
	i = start;

	while (i < form_count(ss->fl.f)) {
		const struct form_question *q = form_question(ss->fl.f, i);
		const struct form_group *rq = form_repeat_of(q);
		int rel;

		/* Another scope's question: a repeat directly inside this one is offered where it begins. */
		if (rq != ss->fl.scope) {
			if (rq && outer_repeat(rq) == ss->fl.scope &&
			    (i == 0 || form_repeat_of(form_question(ss->fl.f, i - 1)) != rq)) {
				int lr = repeat_loop(ss, rq);

				if (lr <= 0) {
					r = lr == 0 ? 0 : -2;
					break;
				}
			}
			i++;
			continue;
		}
		rel = form_relevant(ss->fl.f, q, ss->fl.answers, NULL, 0);

		if (q->type == FT_NOTE) {
			if (rel == 1)
				printf("\n%s\n", text(ss, q->label));
			i++;
			continue;
		}
		/* Filled in by the device, or shown with its default only: never asked. */
		if (q->automatic || q->readonly) {
			i++;
			continue;
		}
		if (rel != 1) {
			/* Not asked: an answer left from before no longer applies. */
			if (json_object_get(ss->fl.answers, q->name) && save(ss, q, NULL, 0) < 0) {
				r = -2;
				break;
			}
			i++;
			continue;
		}
		r = ask(ss, i);
		if (r == 1) {
			trail[depth++] = i++;
		} else if (r == -1) {
			if (depth == 0)
				printf("  %s\n", _("(this is the first question)"));
			else
				i = trail[--depth];
		} else {
			break;
		}
	}
	free(trail);
	return r;
}

/* Finalizes the draft being filled (fill_finalize). 0, or -1 after saying why. */
static int finalize(struct session *ss)
{
	char err[512];

	if (fill_finalize(&ss->fl, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	printf(_("Finalized record %s\n"), ss->fl.rec->id);
	return 0;
}

/* Says what was kept when the person stopped (Ctrl-D or Ctrl-C). */
static void stopped(struct session *ss)
{
	putchar('\n');
	if (!ss->fl.created) {
		puts(_("Stopped: nothing was saved."));
	} else if (ss->fl.rec->draft) {
		printf(_("Stopped. Answers so far are saved as a draft: sondeo edit %s\n"), cli_short_id(ss->fl.rec->id));
	} else {
		/* A final record's changes are ops the moment they are confirmed; say what is left to do. */
		ss->first_problem = (size_t)-1;
		puts(_("Stopped. Changes so far are saved."));
		if (form_check(ss->fl.f, ss->fl.answers, ss->lang, print_problem, ss))
			printf(_("The record now misses answers (above): finish with sondeo edit %s\n"),
			       cli_short_id(ss->fl.rec->id));
	}
}

int prompt_fill(struct store *s, const struct form *f, struct store_record *rec, int is_new, const char *lang)
{
	struct session ss = { .fl = { .s = s, .f = f, .rec = rec, .created = !is_new, .lang = lang }, .lang = lang };
	struct sigaction sa;
	char err[512];
	int r, result = 0;

	ss.fl.answers = is_new ? json_object() : store_answers(s, rec->id, err, sizeof(err));
	if (!ss.fl.answers) {
		cli_error("%s", err);
		return -1;
	}
	/* A record being edited is seen with its instances, and an instance as one: its repeat's questions, with its
	 * record's answers in view. */
	if (!is_new) {
		const char *rname = json_string_value(json_object_get(ss.fl.answers, "_repeat"));
		const char *pid = json_string_value(json_object_get(ss.fl.answers, "_parent"));
		json_t *view;

		if (rname && pid && (ss.fl.scope = form_repeat_find(f, rname))) {
			strlcpy_s(ss.parent, pid, sizeof(ss.parent));
			ss.fl.parent = ss.parent;
		}
		if (!(view = store_answers_in_view(s, rec->id, ss.fl.answers, err, sizeof(err)))) {
			json_decref(ss.fl.answers);
			cli_error("%s", err);
			return -1;
		}
		json_decref(ss.fl.answers);
		ss.fl.answers = view;
	}
	set_interrupt_message(&ss);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);

	if (is_new)
		/* TRANSLATORS: a form's title, its id and its version (and the record's id when editing). */
		printf(_("New record: %s (%s version %s)\n"), form_title(f, lang), form_id(f), form_version(f));
	else
		printf(_("Editing %s (%s version %s)  id %s\n"), form_title(f, lang), form_id(f), form_version(f),
		       rec->id);
	/* TRANSLATORS: keep the keys (- ? Ctrl-D) as they are. */
	puts(_("Each answer is saved as you go. Enter skips or keeps, - goes back, ? helps, Ctrl-D stops."));

	r = walk(&ss, 0);
	while (r == 1) {
		int errors;
		const char *in;
		size_t at;

		if (!ss.fl.created) {
			printf("\n%s\n", _("No answers given: nothing was saved."));
			break;
		}
		if (save(&ss, NULL, NULL, 0) < 0) {
			result = -1;
			break;
		}
		summary(&ss);
		ss.first_problem = (size_t)-1;
		errors = form_check(f, ss.fl.answers, lang, print_problem, &ss);
		if (!rec->draft) {
			putchar('\n');
			if (errors)
				printf(P_("Saved, but %d answer is missing or not valid (above): sondeo edit %s\n",
					  "Saved, but %d answers are missing or not valid (above): sondeo edit %s\n", errors),
				       errors, cli_short_id(rec->id));
			else
				printf(_("Saved. Record %s\n"), rec->id);
			break;
		}
		if (errors) {
			putchar('\n');
			printf(P_("%d answer is missing or not valid: the record stays a draft until it is fixed.\n",
				  "%d answers are missing or not valid: the record stays a draft until they are fixed.\n",
				  errors), errors);
		}
		putchar('\n');
		if (errors)
			/* TRANSLATORS: what to do with a draft whose questions have all been seen; the letters in brackets are
			 * the keys to press (translated with the contexts "key for draft" and "key for finalize"). */
			fputs(_("Enter to fix, [d]raft to keep it for later, or a question number to change: "), stdout);
		else
			fputs(_("[f]inalize (Enter), [d]raft to keep it for later, or a question number to change: "), stdout);
		if (!(in = read_line(&ss))) {
			r = 0;
			break;
		}
		if (is_key(in, "d", C_("key for draft", "d"))) {
			printf(_("Kept as a draft. Resume with: sondeo edit %s\n"), cli_short_id(rec->id));
			break;
		}
		if (!*in || is_key(in, "f", C_("key for finalize", "f"))) {
			if (errors) {
				/* Straight to the first answer that needs work. */
				r = walk(&ss, ss.first_problem == (size_t)-1 ? 0 : ss.first_problem);
				continue;
			}
			result = finalize(&ss);
			break;
		}
		at = pick_question(&ss, in);
		if (at == (size_t)-1) {
			fputs("  ", stdout);
			printf(_("'%s' is not a question number.\n"), in);
			continue;
		}
		r = walk(&ss, at);
	}
	if (r == 0) {
		stopped(&ss);
		result = 1;
	} else if (r == -2) {
		result = -1;
	}
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	json_decref(ss.fl.answers);
	session_release(&ss);
	return result;
}
