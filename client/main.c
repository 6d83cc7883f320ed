/* main.c - sondeo, the field client: global options and the command table. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cli.h"
#include "net.h"
#include "util.h"
#include "banned.h"

static const struct cmd commands[] = {
	{ "init", cmd_init, "create this device's store and key pair", "init [--name NAME]" },
	{ "enrol", cmd_enrol, "register this device with a server and get its forms",
	  "enrol URL CODE [--cacert FILE] [--verbose]" },
	{ "forms", cmd_forms, "list the installed forms", "forms [--json]" },
	{ "form", cmd_form, "show, import or export a form", "form show ID [--version V] [--json]\n"
	  "       sondeo form import FILE.json|FILE.xlsx\n"
	  "       sondeo form export ID [--version V] -o FILE.xlsx" },
	{ "new", cmd_new, "fill a new record (interactive on a terminal)",
	  "new [FORM] [--set NAME=VALUE]... [--from FILE.csv|FILE.json] [--draft]\n"
	  "       sondeo new --parent ID --repeat NAME --set NAME=VALUE... [--draft]" },
	{ "edit", cmd_edit, "change a record, or resume a draft", "edit ID [--set NAME=VALUE]... [--finalize]" },
	{ "delete", cmd_delete, "delete a record (and its repeat instances)", "delete ID" },
	{ "resolve", cmd_resolve, "settle a conflict on one field", "resolve ID FIELD VALUE" },
	{ "list", cmd_list, "list records",
	  "list [--form F] [--where NAME=VALUE]... [--search TEXT] [--drafts] [--deleted] [--json]" },
	{ "show", cmd_show, "show one record", "show ID [--history] [--json]" },
	{ "export", cmd_export, "export records", "export [--form F] [--repeat NAME] --format csv|xlsx|json|geojson [-o FILE]" },
	{ "status", cmd_status, "show this device's store", "status [--json]" },
	{ "sync", cmd_sync, "send this device's changes to its server and receive its region's", "sync [--verbose]" },
};

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: sondeo [--store DIR] [--lang LANG] COMMAND [ARGS]\n\ncommands:\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'sondeo COMMAND --help' shows a command's options. The store is $SONDEO_HOME,\n"
	      "else $XDG_DATA_HOME/sondeo, else ~/.local/share/sondeo.\n", out);
}

/* "FR", "fr-FR" or "fr_FR" -> "fr": forms name their languages by lowercase code. */
static const char *lang_code(const char *l)
{
	static char code[16];
	size_t i;

	for (i = 0; l[i] && l[i] != '_' && l[i] != '-' && l[i] != '.' && i + 1 < sizeof(code); i++)
		code[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ? l[i] - 'A' + 'a' : l[i]);
	code[i] = '\0';
	return i ? code : "en";
}

/* LANG=fr_FR.UTF-8 -> "fr"; C or POSIX -> "en". */
static const char *lang_from_env(void)
{
	static char code[8];
	const char *l = getenv("LANGUAGE");

	if (!l || !*l)
		l = getenv("LC_ALL");
	if (!l || !*l)
		l = getenv("LANG");
	if (!l || strlen(l) < 2 || !strcmp(l, "C") || !strncmp(l, "C.", 2) || !strcmp(l, "POSIX"))
		return "en";
	code[0] = l[0];
	code[1] = l[1];
	code[2] = '\0';
	return code;
}

int main(int argc, char **argv)
{
	struct cli cli = { NULL, NULL, NULL, NULL };
	const char *store = NULL;
	size_t i;
	int a = 1, r;

	setlocale(LC_CTYPE, "");
	/* One thread, one connection: SQLite's allocation statistics and mutexes are pure cost here. */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sodium_init() < 0 || net_init() < 0) {
		fputs("sondeo: cannot initialise libsodium or libcurl\n", stderr);
		return EXIT_FAIL;
	}
	/* Global options come before the command. */
	while (a < argc && argv[a][0] == '-') {
		const char *o = argv[a];

		if ((!strcmp(o, "--store") || !strcmp(o, "--lang")) && a + 1 >= argc) {
			fprintf(stderr, "sondeo: option '%s' needs a value\n", o);
			usage(stderr);
			return EXIT_USAGE;
		}
		if (!strcmp(o, "--store") || !strcmp(o, "--lang")) {
			if (o[2] == 's')
				store = argv[a + 1];
			else
				cli.lang = argv[a + 1];
			a += 2;
		} else if (!strncmp(o, "--store=", 8)) {
			store = o + 8;
			a++;
		} else if (!strncmp(o, "--lang=", 7)) {
			cli.lang = o + 7;
			a++;
		} else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(o, "--version")) {
			puts("sondeo 0.1");
			return EXIT_OK;
		} else {
			fprintf(stderr, "sondeo: unknown option '%s'\n", o);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (a >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[a], "help")) {
		if (a + 1 < argc) {
			argv[a] = argv[a + 1];
			argv[a + 1] = (char *)"--help";
		} else {
			usage(stdout);
			return EXIT_OK;
		}
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[a], commands[i].name))
			continue;
		int k;

		/* --help anywhere before "--" shows the command's usage, whatever else is on the line. */
		for (k = a + 1; k < argc && strcmp(argv[k], "--"); k++) {
			if (!strcmp(argv[k], "--help")) {
				printf("usage: sondeo %s\n", commands[i].usage);
				return EXIT_OK;
			}
		}
		cli.store_dir = store ? xstrdup(store) : store_default_dir();
		if (!cli.lang)
			cli.lang = lang_from_env();
		cli.lang = lang_code(cli.lang);
		cli.cmd = commands[i].name;
		cli.usage = commands[i].usage;
		r = commands[i].fn(&cli, argc - a, argv + a);
		free(cli.store_dir);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			perror("sondeo: cannot write output");
			return EXIT_FAIL;
		}
		return r;
	}
	fprintf(stderr, "sondeo: unknown command '%s'\n", argv[a]);
	usage(stderr);
	return EXIT_USAGE;
}
