/* cli.c - what every sondeo command shares. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "hlc.h"
#include "i18n.h"
#include "review.h"
#include "util.h"
#include "banned.h"

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sondeo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static void print_usage(struct cli *cli, FILE *out)
{
	/* TRANSLATORS: %s is the command's syntax ("show ID [--history] [--json]"), as typed. */
	fprintf(out, _("usage: sondeo %s\n"), cli->usage);
}

void cli_help(struct cli *cli, FILE *out)
{
	print_usage(cli, out);
	/* The table's help texts are marked there (main.c) and translated here. */
	if (cli->help)
		fprintf(out, "\n%s", _(cli->help));
	fputc('\n', out);
	fputs(_("Global options, before or after the command: --store DIR (the store), --lang LANG (the language).\n"),
	      out);
}

void cli_set_lang(struct cli *cli, const char *name, int given)
{
	/* A name that is no language ("", "1", "français") is kept as given, for lang_check to refuse. */
	if (!name || i18n_code(name, cli->lang_buf, sizeof(cli->lang_buf)) < 0)
		strlcpy_s(cli->lang_buf, name ? name : "", sizeof(cli->lang_buf));
	cli->lang = cli->lang_buf;
	cli->lang_given = given;
	/* The messages in that language when there is a catalog for it. The forms may still be written in one there
	 * is none for (their labels follow cli->lang): the messages then stay in the environment's language, as
	 * does the refusal of a language no one speaks. */
	i18n_set_process(cli->lang);
}

struct lang_forms {
	const char *lang;
	int found;
};

static void lang_in_form(void *ctx, const char *id, const char *version, const char *json, uint64_t records)
{
	struct lang_forms *lf = ctx;
	struct form *f = lf->found ? NULL : form_load(json, strlen(json), NULL, 0);

	(void)id, (void)version, (void)records;
	if (f && form_has_language(f, lf->lang))
		lf->found = 1;
	form_free(f);
}

/* A language asked for with --lang is one Sondeo speaks or one an installed form is written in: anything else
 * is refused rather than quietly shown in English. -1 after saying so. */
static int lang_check(struct cli *cli)
{
	struct lang_forms lf = { cli->lang, 0 };
	char err[256];
	struct store *s;

	if (!cli->lang_given || i18n_has(cli->lang))
		return 0;
	if (i18n_code(cli->lang, err, sizeof(err)) == 0 && (s = store_open(cli->store_dir, err, sizeof(err)))) {
		store_form_list(s, lang_in_form, &lf, err, sizeof(err));
		store_close(s);
	}
	if (lf.found)
		return 0;
	/* TRANSLATORS: the first %s is what was given after --lang, the second the list "en, es, fr". */
	cli_usage_error(cli, _("unknown language '%s': Sondeo speaks %s, and no installed form is written in it"),
			cli->lang, i18n_list());
	return -1;
}

void cli_form_lang_note(struct cli *cli, const struct form *f)
{
	static char noted[8][MERGE_MAX_NAME + 1];
	size_t i;

	if (form_has_language(f, cli->lang))
		return;
	for (i = 0; i < 8 && noted[i][0]; i++)
		if (!strcmp(noted[i], form_id(f)))
			return;
	if (i < 8)
		strlcpy_s(noted[i], form_id(f), sizeof(noted[i]));
	/* TRANSLATORS: form 'ID' has no texts in LANG: shown in LANG2, its default language. */
	fprintf(stderr, _("sondeo: form '%s' is not written in '%s': its texts are shown in '%s', its default language\n"),
		form_id(f), cli->lang, form_default_language(f));
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sondeo %s: ", cli->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage(cli, stderr);
	return EXIT_USAGE;
}

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	enum { OPT_STORE = 0x100, OPT_LANG };
	struct option all[24];
	struct buf so = BUF_INIT(256);
	size_t n = 0;
	int c;

	/* The command's options, then the global ones, so that `sondeo show ID --lang fr` means what it says.
	 * A command has a handful of options; the table is sized for four times that. */
	for (; longopts && longopts[n].name && n + 3 < sizeof(all) / sizeof(all[0]); n++)
		all[n] = longopts[n];
	all[n++] = (struct option){ "store", required_argument, NULL, OPT_STORE };
	all[n++] = (struct option){ "lang", required_argument, NULL, OPT_LANG };
	all[n] = (struct option){ 0, 0, 0, 0 };
	/* '+' stops at the first operand only where commands want it; we permute so options may follow ids. */
	buf_printf(&so, ":h%s", shortopts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, so.data, all, NULL)) == OPT_STORE || c == OPT_LANG) {
		if (c == OPT_STORE) {
			free(cli->store_dir);
			cli->store_dir = xstrdup(optarg);
		} else {
			cli_set_lang(cli, optarg, 1);
		}
	}
	buf_release(&so);
	if (c == -1 && lang_check(cli) < 0)
		return '?';
	if (c == 'h') {
		cli_help(cli, stdout);
		return 'h';
	}
	if (c == '?') {
		if (optopt)
			cli_usage_error(cli, _("unknown option '-%c'"), optopt);
		else
			cli_usage_error(cli, _("unknown option '%s'"), argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		cli_usage_error(cli, _("option '%s' needs a value"), argv[optind - 1]);
		return '?';
	}
	return c;
}

int cli_opt_exit(int c)
{
	return c == 'h' ? EXIT_OK : EXIT_USAGE;
}

struct store *cli_open_store(struct cli *cli)
{
	char err[512];
	struct store *s = store_open(cli->store_dir, err, sizeof(err));

	if (!s)
		cli_error("%s", err);
	return s;
}

int cli_interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

void cli_when(uint64_t ms, char *out, size_t n)
{
	i18n_when(ms, clock_ms(), out, n);
}

size_t cli_when_width(void)
{
	uint64_t now = clock_ms();
	char t[64];
	size_t w, most;
	int m;

	/* Today and yesterday at their widest, and each month's two-digit days, in a year long past. */
	i18n_when(now, now, t, sizeof(t));
	most = utf8_len(t);
	i18n_when(now - 86400000, now, t, sizeof(t));
	if ((w = utf8_len(t)) > most)
		most = w;
	for (m = 0; m < 12; m++) {
		struct tm tm = { .tm_year = 100, .tm_mon = m, .tm_mday = 28, .tm_hour = 12, .tm_isdst = -1 };
		time_t at = mktime(&tm);

		i18n_when((uint64_t)at * 1000, now, t, sizeof(t));
		if ((w = utf8_len(t)) > most)
			most = w;
	}
	return most;
}

void cli_indented(const char *fmt, ...)
{
	va_list ap;

	fputs("      ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *cli_short_id(const char *id)
{
	static char s[9];

	strlcpy_s(s, id, sizeof(s));
	return s;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void add_utf8(struct buf *out, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 4);
	}
}

/* Appends the JSON string literal at s (just past its opening quote) with its escapes undone; returns the
 * position after the closing quote, or NULL if it is malformed (the caller falls back to jansson). */
static const char *plain_string(const char *s, struct buf *out)
{
	const char *q = s;
	unsigned cp, lo;

	for (;;) {
		while (*q && *q != '"' && *q != '\\')
			q++;
		buf_add(out, s, (size_t)(q - s));
		if (*q == '"')
			return q + 1;
		if (*q != '\\')
			return NULL;
		switch (q[1]) {
		case '"': case '\\': case '/': buf_addc(out, q[1]); break;
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'u':
			if (hex4(q + 2, &cp) < 0)
				return NULL;
			if (cp >= 0xd800 && cp < 0xdc00) {
				/* A surrogate pair encodes one code point beyond the first plane. */
				if (q[6] != '\\' || q[7] != 'u' || hex4(q + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return NULL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return NULL;
			}
			if (cp == 0)
				return NULL;
			add_utf8(out, cp);
			q += 4;
			break;
		default:
			return NULL;
		}
		q += 2;
		s = q;
	}
}

void cli_plain_text(const char *json_text, struct buf *out)
{
	const char *p = json_text;
	size_t mark = out->len;
	json_t *v;

	/* Stored answers are canonical JSON: strings, numbers, or arrays of choice names, read here without a
	 * parser; anything else goes to jansson. */
	if (*p == '"') {
		if ((p = plain_string(p + 1, out)) && !*p)
			return;
	} else if (*p == '[') {
		for (p++; *p == '"';) {
			if (out->len > mark)
				buf_addc(out, ' ');
			if (!(p = plain_string(p + 1, out)))
				break;
			if (*p == ',')
				p++;
		}
		if (p && p[0] == ']' && !p[1])
			return;
	} else if (strcmp(p, "null")) {
		buf_adds(out, p);
		return;
	} else {
		return;
	}
	out->len = mark;
	out->data[mark] = '\0';
	v = json_loads(json_text, JSON_DECODE_ANY, NULL);
	if (json_is_string(v)) {
		buf_add(out, json_string_value(v), json_string_length(v));
	} else if (json_is_array(v)) {
		size_t i;

		for (i = 0; i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i);

			if (i)
				buf_addc(out, ' ');
			buf_adds(out, json_is_string(e) ? json_string_value(e) : "?");
		}
	} else {
		buf_adds(out, json_text);
	}
	json_decref(v);
}

const char *cli_size_text(uint64_t bytes)
{
	static char out[32];

	if (bytes < 1000)
		/* TRANSLATORS: a size in bytes, then in kB and MB (of 1000 bytes, as file managers show them). */
		snprintf(out, sizeof out, P_("%s byte", "%s bytes", bytes), i18n_count(bytes));
	else if (bytes < 1000000)
		snprintf(out, sizeof out, _("%s kB"), i18n_count((bytes + 500) / 1000));
	else
		snprintf(out, sizeof out, _("%s MB"), i18n_count((bytes + 500000) / 1000000));
	return out;
}

char *cli_value_text(const char *json_text)
{
	struct buf b = BUF_INIT((size_t)1 << 24);

	cli_plain_text(json_text, &b);
	return buf_detach(&b, NULL);
}

/* The answer as a person reads it: choice labels for select questions, with their names. Caller frees. */
char *cli_answer_text(const struct form *f, const struct form_question *q, const char *value, const char *lang)
{
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	struct buf out = BUF_INIT((size_t)1 << 20);
	size_t k, n;

	if (v && q && q->type == FT_DECIMAL && json_is_number(v)) {
		/* A decimal as the language writes it: 12 345,5 in French. */
		char *plain = cli_value_text(value), shown[128];

		json_decref(v);
		i18n_decimal(plain, shown, sizeof(shown));
		free(plain);
		return xstrdup(shown);
	}
	if (v && q && form_is_media(q->type) && json_is_object(v)) {
		/* An attachment: its file's name, its kind and its size, "meeting.jpg (image/jpeg, 180 KB)". */
		json_int_t size = json_integer_value(json_object_get(v, "size"));

		buf_printf(&out, "%s (%s, %s)", json_string_value(json_object_get(v, "name")),
			   json_string_value(json_object_get(v, "type")), cli_size_text((uint64_t)size));
		json_decref(v);
		return buf_detach(&out, NULL);
	}
	if (!v || !q || !q->nchoices) {
		json_decref(v);
		return cli_value_text(value);
	}
	n = json_is_array(v) ? json_array_size(v) : 1;
	for (k = 0; k < n; k++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, k) : v;
		const char *name = json_string_value(e), *label;

		if (!name)
			continue;
		label = form_choice_label(f, q, name, lang);
		buf_printf(&out, "%s%s", out.len ? "; " : "", label ? label : name);
		if (label)
			buf_printf(&out, " (%s)", name);
	}
	json_decref(v);
	return buf_detach(&out, NULL);
}

char *cli_review_text(const char *json_text)
{
	json_t *v = json_loads(json_text ? json_text : "null", JSON_DECODE_ANY, NULL);
	const char *status = json_string_value(json_object_get(v, "status"));
	const char *comment = json_string_value(json_object_get(v, "comment"));
	struct buf out = BUF_INIT((size_t)1 << 16);

	if (status && strcmp(status, "pending")) {
		buf_adds(&out, review_status_text(status));
		if (comment && *comment) {
			const char *p;

			/* On one line, whatever the reviewer typed. */
			buf_adds(&out, ": ");
			for (p = comment; *p; p++)
				buf_addc(&out, *p == '\n' || *p == '\t' || *p == '\r' ? ' ' : *p);
		}
	}
	json_decref(v);
	return buf_detach(&out, NULL);
}

struct review_heads {
	struct store *s;
	json_t *list;
};

static void review_head(void *ctx, const struct op_ref *id, uint64_t hlc, const char *value)
{
	struct review_heads *h = ctx;
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	char by[128], when[64];
	int named = store_op_author_get(h->s, id->device, id->seq, by, sizeof(by));

	if (h->list) {
		/* For scripts: the moment as it always was, whatever the language. */
		time_fmt(HLC_MS(hlc), when, sizeof(when));
		const char *status = json_string_value(json_object_get(v, "status"));
		const char *comment = json_string_value(json_object_get(v, "comment"));

		json_array_append_new(h->list, json_pack("{s:s, s:s, s:o, s:s, s:I, s:s}", "status",
							 status ? status : "pending", "comment", comment ? comment : "",
							 "by", named ? json_string(by) : json_null(), "device", id->device,
							 "seq", (json_int_t)id->seq, "time", when));
	} else {
		char *t = cli_review_text(value);

		cli_when(HLC_MS(hlc), when, sizeof(when));
		printf("        - %s   ", *t ? t : review_status_text("pending"));
		if (named)
			/* TRANSLATORS: who made a review and when: "(by nadia, today 14:05)". */
			printf(_("(by %s, %s)"), by, when);
		else
			/* TRANSLATORS: which device made a change and when: "(device 3c1f7a0e, today 14:05)". */
			printf(_("(device %.8s, %s)"), id->device, when);
		putchar('\n');
		free(t);
	}
	json_decref(v);
}

int cli_review_heads(struct store *s, const char *record, json_t *list)
{
	struct review_heads h = { s, list };
	char err[256];
	int n = store_heads(s, record, "_review", NULL, NULL, err, sizeof(err));

	if (n > 1) {
		if (!list)
			printf("      %s\n", _("CONFLICT: reviewed differently by reviewers who did not see each other's review:"));
		store_heads(s, record, "_review", review_head, &h, err, sizeof(err));
	}
	return n;
}
