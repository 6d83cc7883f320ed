/* cli.h - what every sondeo command shares: the command table, options, opening the store, messages.
 *
 * Commands are `int cmd_NAME(struct cli *cli, int argc, char **argv)`, one per file, listed in main.c. They
 * return an exit status: 0 done, 1 failed (a message was printed and nothing was changed), 2 usage error,
 * 3 the server could not be reached. Only
 * commands print; modules below them report through err buffers. */
#ifndef SONDEO_CLI_H
#define SONDEO_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "store.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct cli {
	char *store_dir;       /* --store, else the default; owned */
	const char *lang;      /* --lang, else LANGUAGE, LC_ALL, LC_MESSAGES or LANG, else "en": a code, "fr" */
	char lang_buf[16];     /* lang's storage once it was set by cli_set_lang */
	int lang_given;        /* lang came from --lang, not from the environment */
	const char *cmd;       /* the command being run */
	const char *usage;     /* its usage text, for --help and errors */
	const char *help;      /* what it does, its options and an example, for --help */
};

struct cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *summary;
	const char *usage;     /* lines after "usage: sondeo " */
	const char *help;      /* what the command does, its options and an example */
};

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_enrol(struct cli *cli, int argc, char **argv);
int cmd_forms(struct cli *cli, int argc, char **argv);
int cmd_form(struct cli *cli, int argc, char **argv);
int cmd_new(struct cli *cli, int argc, char **argv);
int cmd_edit(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_resolve(struct cli *cli, int argc, char **argv);
int cmd_web(struct cli *cli, int argc, char **argv);

/* Prints "sondeo: <message>" to stderr. Returns EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "sondeo COMMAND: <message>" and the command's usage to stderr. Returns EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses options with getopt_long, taking the global options --store DIR and --lang LANG among the command's
 * own (they may come before or after the command). Returns the option character, -1 at the end, or, after handling --help
 * (usage to stdout) or a bad option (usage to stderr), 'h' or '?': the caller returns cli_opt_exit(). */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts);
int cli_opt_exit(int c);
/* Prints the command's usage, what it does, its options and an example (its --help). */
void cli_help(struct cli *cli, FILE *out);
/* Sets the language from a locale or language name: "FR", "fr-FR" or "fr_FR.UTF-8" -> "fr"; C, POSIX -> "en"
 * (forms name their languages by lowercase code), for the messages (when Sondeo has a catalog for it) and the
 * forms' texts. given: it came from --lang, and cli_getopt refuses it unless Sondeo or an installed form
 * speaks it. */
void cli_set_lang(struct cli *cli, const char *name, int given);
/* Says once per form and run, on stderr, that form f is not written in the chosen language and is shown in its
 * default language. */
void cli_form_lang_note(struct cli *cli, const struct form *f);
/* Opens the store, printing why it cannot. NULL on failure. */
struct store *cli_open_store(struct cli *cli);
/* 1 if standard input and output are both terminals (interactive use). */
int cli_interactive(void);
/* A moment (epoch ms) as people read it, against this process's clock: i18n_when(ms, clock_ms(), ...). out at
 * least 64 bytes. */
void cli_when(uint64_t ms, char *out, size_t n);
/* The widest a moment of cli_when is in the current language, in characters: the width of a column of them. */
size_t cli_when_width(void);
/* Prints one line of a question's details or of the keys' hints, indented under the question's label. */
void cli_indented(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The first 8 characters of a record id, as shown in tables. */
const char *cli_short_id(const char *id);
/* A JSON answer as people and spreadsheets read it: strings bare, arrays joined by spaces, numbers as they
 * are, null as nothing. cli_plain_text appends it to out; cli_value_text returns it (caller frees). */
void cli_plain_text(const char *json_text, struct buf *out);
char *cli_value_text(const char *json_text);
/* A size as a person reads it: "512 bytes", "180 kB", "21 MB" (in a static buffer). */
const char *cli_size_text(uint64_t bytes);
/* A review (the value of a record's _review field, JSON text or NULL) as people read it, in the current language:
 * "approved", "has issues: <comment>", "rejected: <comment>"; "" when pending or never reviewed. Caller frees. */
char *cli_review_text(const char *json_text);
/* The heads of the record's review: when there are several (a review in conflict: two servers' reviewers decided
 * without seeing each other), each with its status, comment, reviewer and date, printed as a CONFLICT block
 * under "Review:" or, with list, appended to it as objects. Returns how many heads there are, -1 on error. */
int cli_review_heads(struct store *s, const char *record, json_t *list);

/* An answer (JSON text) as people read it, with choice labels in lang followed by their names for select
 * questions (q may be NULL). Caller frees. */
char *cli_answer_text(const struct form *f, const struct form_question *q, const char *value, const char *lang);

#endif
