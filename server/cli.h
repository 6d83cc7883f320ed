/* cli.h - what every sondeod admin command shares: the command table, --data, messages, exit codes.
 *
 * Commands are `int cmd_NAME(struct cli *cli, int argc, char **argv)`, one per file, listed in main.c. They
 * return an exit status: 0 done, 1 failed (a message was printed), 2 usage error. Only commands print; the
 * store below them reports through err buffers. Messages are in the process's language (common/i18n.h), which
 * main sets from --lang or the environment: callers pass cli_error and cli_usage_error a format marked _(). */
#ifndef SONDEOD_CLI_H
#define SONDEOD_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "sstore.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct cli {
	const char *data_dir;  /* --data, borrowed from argv; NULL until given */
	const char *cmd;       /* the command being run */
	const char *usage;     /* its usage text, for --help and errors */
};

struct cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *summary;   /* marked N_, translated where shown */
	const char *usage;     /* lines after "usage: sondeod ": the command line, not translated */
	const char *help;      /* what the options do, shown by --help; marked N_ */
};

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_enrol_code(struct cli *cli, int argc, char **argv);
int cmd_enrol(struct cli *cli, int argc, char **argv);
int cmd_devices(struct cli *cli, int argc, char **argv);
int cmd_forms(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_users(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);

/* Prints "sondeod: <message>" to stderr. Returns EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "sondeod COMMAND: <message>" and the command's usage to stderr. Returns EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses the command's options (longopts, ending with a zero entry, at most 16) with getopt_long, taking --data
 * DIR for every command. Returns the option's val, -1 at the end, or, after a bad option (usage to stderr),
 * '?': the caller then returns EXIT_USAGE. At the end (-1) a missing --data has been reported as '?' too. */
int cli_getopt(struct cli *cli, int argc, char **argv, const struct option *longopts);
/* Opens the store in --data, printing why it cannot. NULL on failure. */
struct sstore *cli_open(struct cli *cli);
/* An epoch-milliseconds time as people read it, in local time and their language ("today 14:05": cli_time), or
 * as ISO 8601 UTC (cli_iso_time), in a static buffer overwritten by the next call of the same function. */
const char *cli_time(uint64_t ms);
const char *cli_iso_time(uint64_t ms);

#endif
