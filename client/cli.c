/* cli.c - what every sondeo command shares. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
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
	fprintf(out, "usage: sondeo %s\n", cli->usage);
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
	struct buf so = BUF_INIT(256);
	int c;

	/* '+' stops at the first operand only where commands want it; we permute so options may follow ids. */
	buf_printf(&so, ":h%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, so.data, longopts, NULL);
	buf_release(&so);
	if (c == 'h') {
		print_usage(cli, stdout);
		return 'h';
	}
	if (c == '?') {
		if (optopt)
			cli_usage_error(cli, "unknown option '-%c'", optopt);
		else
			cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
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

const char *cli_short_id(const char *id)
{
	static char s[9];

	strlcpy_s(s, id, sizeof(s));
	return s;
}

char *cli_value_text(const char *json_text)
{
	json_t *v = json_loads(json_text, JSON_DECODE_ANY, NULL);
	struct buf b = BUF_INIT((size_t)1 << 24);
	size_t i;

	if (!v)
		return xstrdup(json_text);
	if (json_is_string(v)) {
		buf_adds(&b, json_string_value(v));
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i);

			if (i)
				buf_addc(&b, ' ');
			buf_adds(&b, json_is_string(e) ? json_string_value(e) : "?");
		}
	} else if (!json_is_null(v)) {
		char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

		buf_adds(&b, t ? t : "");
		free(t);
	}
	json_decref(v);
	return buf_detach(&b, NULL);
}

/* The answer as a person reads it: choice labels for select questions, with their names. Caller frees. */
char *cli_answer_text(const struct form *f, const struct form_question *q, const char *value, const char *lang)
{
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	struct buf out = BUF_INIT((size_t)1 << 20);
	size_t i, k, n;

	if (!v || !q || !q->nchoices) {
		json_decref(v);
		return cli_value_text(value);
	}
	n = json_is_array(v) ? json_array_size(v) : 1;
	for (k = 0; k < n; k++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, k) : v;
		const char *name = json_string_value(e), *label = NULL;

		if (!name)
			continue;
		for (i = 0; i < q->nchoices; i++)
			if (!strcmp(q->choices[i].name, name))
				label = form_text(f, q->choices[i].label, lang);
		buf_printf(&out, "%s%s", out.len ? "; " : "", label ? label : name);
		if (label)
			buf_printf(&out, " (%s)", name);
	}
	json_decref(v);
	return buf_detach(&out, NULL);
}
