/* main.c - sondeo, the field client: global options and the command table. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "i18n.h"
#include "secret.h"
#include "util.h"
#include "banned.h"

static const struct cmd commands[] = {
	{ "web", cmd_web, N_("fill and review surveys in the browser"), "web [--share] [--listen ADDR] [--no-open]",
	  N_("Serves Sondeo's page on this computer and opens it in the browser: forms, records, drafts and\n"
	     "conflicts at a glance, and surveys filled a question at a time with the form's rules worked out as\n"
	     "you answer. Each answer is saved at once, as at the terminal; terminal commands may use the store\n"
	     "at the same time. Without --share, only this computer is served, through the address printed (it\n"
	     "holds a secret).\n"
	     "Runs until Ctrl-C.\n"
	     "  --share            also serve the local network: phones join with the code printed and a name\n"
	     "  --listen ADDR      127.0.0.1:PORT or [::1]:PORT (default: 127.0.0.1 and a free port; with\n"
	     "                     --share, every address)\n"
	     "  --no-open          print the address without opening a browser\n"
	     "example: sondeo web --share\n") },
	/* TRANSLATORS: what a command does, in the list of `sondeo help` (after the command's name). */
	{ "init", cmd_init, N_("create this device's store and key pair"), "init [--name NAME]",
	  /* TRANSLATORS: a command's help (sondeo COMMAND --help): keep the options, the metavariables (NAME, ID,
	   * FILE) and the example's command as they are, the two-column layout of the options, and lines under
	   * 100 columns. */
	  N_("Creates the store (mode 0700) with this device's Ed25519 key pair (device.key, mode 0600) and the\n"
	     "built-in forms, and prints the device id. Refuses if a store is already there, destroying nothing.\n"
	     "  --name NAME        how servers list this device (e.g. kisumu-laptop-3)\n"
	     "example: sondeo init --name kisumu-laptop-3\n") },
	{ "enrol", cmd_enrol, N_("register this device with a server and get its forms"),
	  "enrol URL [CODE|-] [--cacert FILE] [--verbose]",
	  N_("Registers this device with the server at URL using a one-time code made by `sondeod enrol-code`\n"
	     "(any case; dashes and spaces ignored), pins the server's key from its answer and installs the forms\n"
	     "it publishes. Exits with 3 when the server cannot be reached.\n"
	     "  CODE               the code; - or none keeps it out of ps and the shell's history: it is then\n"
	     "                     asked on the terminal (not shown), or read as one line from standard input\n"
	     "  --cacert FILE      the server's own certificate, when it is not signed by a known authority\n"
	     "  --verbose          show the requests\n"
	     "example: sondeo enrol https://sondeo.example.org:8420 K7QF-2MZX-9RTA-HB4E-WCJ8\n") },
	{ "forms", cmd_forms, N_("list the installed forms"), "forms [--json]",
	  N_("Lists the installed forms: id, version, title (in --lang) and how many records each has.\n"
	     "  --json             the list as a JSON array\n"
	     "example: sondeo forms\n") },
	{ "form", cmd_form, N_("show, import or export a form"), "form show ID [--version V] [--json]\n"
	  "       sondeo form import FILE.json|FILE.xlsx\n"
	  "       sondeo form export ID [--version V] -o FILE.xlsx",
	  N_("Shows a form, installs one, or writes one as a workbook to edit in a spreadsheet.\n"
	     "  show ID            the form's questions, types, rules and choices, labels in --lang\n"
	     "  import FILE        install a form: Sondeo's JSON or an XLSForm workbook (.xlsx); a form with\n"
	     "                     an error is refused with the sheet, row and column, installing nothing\n"
	     "  export ID          write the form as an XLSForm workbook (complete or not at all)\n"
	     "  --version V        that version of the form (default: the newest installed)\n"
	     "  -o, --output FILE  the workbook to write\n"
	     "  --json             show the definition as JSON\n"
	     "example: sondeo form import orgs.xlsx && sondeo form show orgs --lang fr\n") },
	{ "new", cmd_new, N_("fill a new record (interactive on a terminal)"),
	  "new [FORM] [--set NAME=VALUE]... [--from FILE.csv|FILE.json] [--draft]\n"
	  "       sondeo new --parent ID --repeat NAME --set NAME=VALUE... [--draft]",
	  N_("Fills a new record of FORM (default: partnership). On a terminal without --set or --from, asks each\n"
	     "question in turn, saving each answer as a draft at once (- goes back, ! clears, ? helps, Ctrl-D\n"
	     "stops and keeps the draft). Every record is checked first; a file with any error is refused whole.\n"
	     "Prints the new record ids.\n"
	     "  -s, --set NAME=VALUE  an answer (repeatable); select_multiple choices separated by spaces\n"
	     "  -f, --from FILE    records from a CSV file (a header row of question names), a JSON object\n"
	     "                     or array of objects; - reads standard input\n"
	     "  -d, --draft        keep the record as a draft: it is not checked as complete and never syncs\n"
	     "  --parent ID        add an instance of a repeat to record ID ...\n"
	     "  --repeat NAME      ... the repeat called NAME\n"
	     "example: sondeo new --set partner_name=\"Red Crescent\" --set stakeholder_type=civil_society\n") },
	{ "edit", cmd_edit, N_("change a record, or resume a draft"), "edit ID [--set NAME=VALUE]... [--finalize]",
	  N_("Changes answers of record ID (any unambiguous prefix); only changed answers become changes to sync.\n"
	     "On a terminal without --set, resumes the questions where a draft stopped.\n"
	     "  -s, --set NAME=VALUE  a new answer (repeatable); an empty VALUE clears the answer\n"
	     "  --finalize         check a draft as complete and make it final, ready to sync\n"
	     "example: sondeo edit 3c1f7a0e --set status=active\n") },
	{ "delete", cmd_delete, N_("delete a record (and its repeat instances)"), "delete ID",
	  N_("Deletes record ID and the instances of its repeats. A final record's deletion syncs like any\n"
	     "change; a draft is removed outright.\n"
	     "example: sondeo delete 3c1f7a0e\n") },
	{ "resolve", cmd_resolve, N_("settle a conflict on one field"), "resolve ID FIELD VALUE",
	  N_("Settles a conflict on FIELD of record ID (two devices changed it without seeing each other's\n"
	     "change) with VALUE, which replaces every competing value and reaches the others at the next sync.\n"
	     "`sondeo show ID` shows the competing values; a review in conflict is settled at a server.\n"
	     "example: sondeo resolve 3c1f7a0e country KEN\n") },
	{ "list", cmd_list, N_("list records"),
	  "list [--form F] [--where NAME=VALUE]... [--search TEXT] [--drafts] [--deleted] [--conflicts] [--json]",
	  N_("Lists final records, newest first: id, form, date, review and the form's first answers.\n"
	     "  --form F           records of form F only\n"
	     "  --where NAME=VALUE records whose answer NAME is VALUE (or has choice VALUE); repeatable\n"
	     "  --search TEXT      records with TEXT in an answer (any case)\n"
	     "  --drafts           drafts too\n"
	     "  --deleted          deleted records too\n"
	     "  --conflicts        only records with a field in conflict\n"
	     "  --json             the list as a JSON array\n"
	     "example: sondeo list --form partnership --where country=KEN --conflicts\n") },
	{ "show", cmd_show, N_("show one record"), "show ID [--history] [--json]",
	  N_("Shows every answer of record ID with its label in --lang, its repeats' instances, its review, and\n"
	     "the competing values of any field in conflict.\n"
	     "  --history          also every change: when, by which device or reviewer, old and new value\n"
	     "  --json             the record as a JSON object\n"
	     "example: sondeo show 3c1f7a0e --history\n") },
	{ "export", cmd_export, N_("export records"),
	  "export [--form F] [--repeat NAME] --format csv|xlsx|json|geojson [--labels] [-o FILE]",
	  N_("Exports final records with the same columns as `sondeod export`: CSV with one column per question,\n"
	     "an XLSX workbook headed in --lang, a JSON array, or GeoJSON of the records with a location. The file\n"
	     "is written complete or not at all.\n"
	     "  --form F           records of form F (default: partnership)\n"
	     "  --repeat NAME      the instances of repeat NAME instead, each with _parent\n"
	     "  --format F         csv, xlsx, json or geojson (xlsx only to a file)\n"
	     "  --labels           XLSX: the choices' labels in --lang instead of their names\n"
	     "  -o, --output FILE  write FILE; default: standard output\n"
	     "example: sondeo export --format csv -o partnerships.csv\n") },
	{ "status", cmd_status, N_("show this device's store"), "status [--json]",
	  N_("Shows the device id, its server, the store, record counts, changes not yet synced, and how far this\n"
	     "device's clock is off when the server said so at the last sync.\n"
	     "  --json             the same as a JSON object\n"
	     "example: sondeo status\n") },
	{ "sync", cmd_sync, N_("send this device's changes to its server and receive its region's"),
	  "sync [--verbose] [--media]",
	  N_("Sends this device's final changes to its server as signed change sets and merges the changes of the\n"
	     "other devices of its region, field by field; installs newly published forms; then sends the\n"
	     "attachments of this device's final records, resuming where the server's bytes end. Drafts never\n"
	     "leave the device. A sync cut off half-way resends the rest. When the regional office cannot be\n"
	     "reached, a device enrolled there syncs with headquarters. Exits with 3, keeping everything, when no\n"
	     "server can be reached.\n"
	     "  --media            also bring the region's attachments this laptop's records name and it lacks\n"
	     "  -v, --verbose      show each request\n"
	     "example: sondeo sync\n") },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, _("usage: sondeo %s\n"), "[--store DIR] [--lang LANG] COMMAND [ARGS]");
	/* TRANSLATORS: the heading of the list of commands in `sondeo help`. */
	fprintf(out, "\n%s\n", _("commands:"));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
	fputc('\n', out);
	/* TRANSLATORS: keep the commands, options, variables and paths as they are, and lines under 100 columns. */
	fputs(_("'sondeo COMMAND --help' shows what a command does, its options and an example. --store and\n"
		"--lang may also follow the command. The store is $SONDEO_HOME, else $XDG_DATA_HOME/sondeo, else\n"
		"~/.local/share/sondeo. Messages and labels follow --lang, else LANGUAGE, LC_ALL, LC_MESSAGES or\n"
		"LANG.\n"), out);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const char *store = NULL, *lang = NULL;
	size_t i;
	int a = 1, r;

	setlocale(LC_CTYPE, "");
	/* The messages' language before anything is said: --lang before or after the command (cli_getopt takes it
	 * again there, and refuses one that neither Sondeo nor a form speaks), else the environment's. */
	for (i = 1; i < (size_t)argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--lang") && i + 1 < (size_t)argc)
			lang = argv[i + 1];
		else if (!strncmp(argv[i], "--lang=", 7))
			lang = argv[i] + 7;
	}
	{
		char code[16];

		i18n_from_env(code, sizeof(code));
		cli_set_lang(&cli, code, 0);
		if (lang)
			cli_set_lang(&cli, lang, 1);
	}
	/* Before the device key is read: a core dump would hold it. */
	if (secret_no_dumps() < 0) {
		cli_error(_("cannot make the process non-dumpable: %s"), strerror(errno));
		return EXIT_FAIL;
	}
	store_global_init();
	/* libcurl is initialised by the commands that talk to a server (remote_open): the others need none of
	 * the TLS libraries' set-up. */
	if (sodium_init() < 0) {
		cli_error(_("cannot initialise libsodium"));
		return EXIT_FAIL;
	}
	/* Global options before the command; cli_getopt takes them after it too. */
	while (a < argc && argv[a][0] == '-') {
		const char *o = argv[a];

		if ((!strcmp(o, "--store") || !strcmp(o, "--lang")) && a + 1 >= argc) {
			cli_error(_("option '%s' needs a value"), o);
			usage(stderr);
			return EXIT_USAGE;
		}
		/* --lang was taken above. */
		if (!strcmp(o, "--store") || !strcmp(o, "--lang")) {
			if (o[2] == 's')
				store = argv[a + 1];
			a += 2;
		} else if (!strncmp(o, "--store=", 8)) {
			store = o + 8;
			a++;
		} else if (!strncmp(o, "--lang=", 7)) {
			a++;
		} else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(o, "--version")) {
			puts("sondeo " SONDEO_VERSION);
			return EXIT_OK;
		} else {
			cli_error(_("unknown option '%s'"), o);
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
				cli.usage = commands[i].usage;
				cli.help = commands[i].help;
				cli_help(&cli, stdout);
				return EXIT_OK;
			}
		}
		cli.store_dir = store ? xstrdup(store) : store_default_dir();
		cli.cmd = commands[i].name;
		cli.usage = commands[i].usage;
		cli.help = commands[i].help;
		r = commands[i].fn(&cli, argc - a, argv + a);
		free(cli.store_dir);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cli_error(_("cannot write output: %s"), strerror(errno));
			return EXIT_FAIL;
		}
		return r;
	}
	cli_error(_("unknown command '%s'"), argv[a]);
	usage(stderr);
	return EXIT_USAGE;
}
