/* main.c - sondeod, the server: the command table of its admin commands. */
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
	{ "init", cmd_init, N_("create the data directory, the server key pair and the admin account"),
	  "init --data DIR [--store CONNINFO]",
	  N_("Creates DIR (mode 0700) with the server's database and key pair (server.key, mode 0600, and\n"
	  "server.pub), publishes the built-in partnership form and makes the account 'admin' with a random\n"
	  "password, printed once. Refuses a directory that is not empty, changing nothing.\n"
	  "  --store CONNINFO    the database in PostgreSQL instead of a file of DIR: an empty database named\n"
	  "                      by a libpq connection string (\"service=sondeo\", \"host=H dbname=D user=U\"),\n"
	  "                      kept in DIR/store.conf (0600); a password goes in ~/.pgpass, never here\n") },
	{ "enrol-code", cmd_enrol_code, N_("make a one-time code that enrols devices in a region"),
	  "enrol-code --data DIR [--region NAME] [--uses N] [--expires DURATION] [--relay]",
	  N_("  --region NAME      the region the devices join (default: default; at a regional server, its region)\n"
	  "  --uses N           how many devices the code enrols (default: 1)\n"
	  "  --expires DURATION how long the code is valid: 30m, 12h, 7d (default: 7d; at most 365d)\n"
	  "  --relay            a code for the regional server of the region, to give to `sondeod enrol`\n") },
	{ "enrol", cmd_enrol, N_("enrol this server at headquarters as the regional server of a region"),
	  "enrol --data DIR URL CODE [--name NAME] [--cacert FILE] [--verbose]",
	  N_("  URL                headquarters' address (http:// or https://)\n"
	  "  CODE               a relay code made there: sondeod enrol-code --region R --relay\n"
	  "  --name NAME        how headquarters lists this server (default: the host name)\n"
	  "  --cacert FILE      headquarters' own certificate, when it is not signed by a known authority\n"
	  "  --verbose          show the request\n"
	  "The code's answer proves which server made it, and its key is pinned. From then on this server's\n"
	  "enrolment codes are for its region only. Running it again after a lost answer is safe.\n") },
	{ "status", cmd_status, N_("show the link between a regional server and headquarters"),
	  "status --data DIR [--json]",
	  N_("At a regional server: headquarters' address and key, the last contact, the change sets and vouches\n"
	  "waiting to go up (and since when), those headquarters refused, the last error, the pull cursor.\n"
	  "At headquarters: the regional servers enrolled there, their last contact, ops, and the change sets\n"
	  "they altered on the way (refused). Works whether or not sondeod serve is running.\n"
	  "  --json             the same as a JSON object\n") },
	{ "devices", cmd_devices, N_("list the enrolled devices, or revoke one"),
	  "devices --data DIR [--json]\n       sondeod devices --data DIR --revoke ID",
	  N_("  --json             the list as a JSON array\n"
	  "  --revoke ID        refuse the device's requests from now on (ID: any unambiguous prefix)\n") },
	{ "forms", cmd_forms, N_("publish a form, or list the published forms"),
	  "forms --data DIR publish FILE.json|FILE.xlsx\n       sondeod forms --data DIR list",
	  N_("  publish FILE       check the form definition and publish it (a new version needs a new\n"
	  "                     version string; the same definition again changes nothing). FILE is\n"
	  "                     Sondeo's JSON (docs/forms.md) or an XLSForm workbook (.xlsx)\n"
	  "  list               the published forms, each at its newest version\n") },
	{ "users", cmd_users, N_("manage the accounts of the review page"),
	  "users --data DIR add NAME --role viewer|reviewer|admin [--password-file FILE]\n"
	  "       sondeod users --data DIR list [--json]\n"
	  "       sondeod users --data DIR disable NAME\n"
	  "       sondeod users --data DIR enable NAME\n"
	  "       sondeod users --data DIR passwd NAME [--password-file FILE]",
	  N_("  add NAME           a new account (NAME: 1 to 64 letters, digits, _ . - @); it must choose a\n"
	  "                     new password at its first login\n"
	  "  --role ROLE        viewer (reads), reviewer (also reviews, resolves, exports) or admin (also\n"
	  "                     manages devices and accounts, reads the audit log)\n"
	  "  list               every account with its role and state; --json as a JSON array\n"
	  "  disable NAME       refuse the account's logins and end its sessions; enable NAME undoes it\n"
	  "  passwd NAME        set a new password, which must be changed at the next login; ends the\n"
	  "                     account's sessions\n"
	  "  --password-file FILE  the password is the first line of FILE. Without it the password is\n"
	  "                     asked twice on the terminal (not shown), or read as one line from standard\n"
	  "                     input when that is not a terminal. A password has 10 to 256 bytes.\n"
	  "Each change is written to the audit log as done by \"(command line)\".\n") },
	{ "export", cmd_export, N_("export the merged records as CSV, XLSX, JSON or GeoJSON"),
	  "export --data DIR --format csv|xlsx|json|geojson [-o FILE] [--labels] [--with-media | --url URL]\n"
	  "             [FILTERS...]",
	  N_("  --format F          csv, xlsx, json or geojson\n"
	  "  -o, --output FILE   write FILE (complete or not at all); default: standard output\n"
	  "  --form ID           the form (default: the one with the most records)\n"
	  "  --region R          records of region R\n"
	  "  --review S          pending, approved, has_issues or rejected\n"
	  "  --from DAY, --to DAY  records dated from / up to this day (YYYY-MM-DD)\n"
	  "  --date Q            what dates the records: the date question Q (default: the form's first),\n"
	  "                      or _created (the day each was created, UTC)\n"
	  "  --search TEXT       full-text search over the text answers\n"
	  "  --where Q=CHOICE    records whose select question Q has CHOICE (repeatable)\n"
	  "  --conflicts         only records with a field in conflict\n"
	  "  --deleted           include deleted records\n"
	  "  --choice-columns    also one 0/1 column per choice of each select_multiple (CSV, XLSX)\n"
	  "  --labels            XLSX: the choices' labels in --lang instead of their names\n"
	  "  --lang L            the language of the labels and headings (default: sondeod's own)\n"
	  "  --repeat NAME       the instances of the form's repeat NAME (with _parent, their record's id)\n"
	  "                      that belong to the records the filters select\n"
	  "  --with-media        a ZIP: the export, each repeat's instances, and the attachments they name\n"
	  "                      (media/RECORD/FILE), each linked from a column QUESTION/url\n"
	  "  --url URL           this server's address (https://HOST): a column QUESTION/url after each\n"
	  "                      attachment question links to its file on the review page\n") },
	{ "backup", cmd_backup, N_("copy the store, consistent, while the server runs"),
	  "backup --data DIR -o FILE.db [--without-secrets]",
	  N_("  -o, --output FILE   the copy, a SQLite file (created, never over another; private to you)\n"
	  "  --without-secrets   leave out the accounts, sessions and enrolment codes: a copy for analysts\n"
	  "The copy is one moment of the store, taken while sondeod serve goes on. It holds the views\n"
	  "form_ID (a row a record, a column a question, with _region, _review, _created...) and\n"
	  "form_ID:REPEAT (a row an instance), which sqlite3, R or pandas read as tables.\n") },
	{ "migrate", cmd_migrate, N_("move the store from its SQLite file into PostgreSQL"),
	  "migrate --data DIR --store CONNINFO",
	  N_("Copies every table of the store into the empty PostgreSQL database CONNINFO names (a libpq\n"
	  "connection string; a password goes in ~/.pgpass), in one transaction, checks that both hold the same\n"
	  "ops, then keeps CONNINFO in DIR/store.conf (0600) and puts the SQLite file aside as\n"
	  "server.db.before-postgresql. Stop sondeod serve first. On any failure the database is left as it was.\n") },
	{ "serve", cmd_serve, N_("answer devices over HTTP or HTTPS, in the foreground"),
	  "serve --data DIR [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] [--threads N] [--timeout S]\n"
	  "             [--body-budget MIB] [--upstream URL] [--pull-every S] [--retry-max S] [--verbose]\n"
	  "             [--header-timeout S] [--body-rate BYTES] [--connections N] [--per-ip N] [--hash-threads N]\n"
	  "             [--hash-queue N] [--max-media-file MB] [--max-media-day MB]",
	  N_("  --listen ADDR:PORT  where to listen (default 127.0.0.1:8420; :8420 for every address,\n"
	  "                      [::1]:8420 for IPv6; port 0 for a free one, named in the line that\n"
	  "                      says it serves)\n"
	  "  --tls-cert FILE     PEM certificate (with --tls-key): serve HTTPS only\n"
	  "  --tls-key FILE      PEM private key of the certificate\n"
	  "  --threads N         worker threads (default 4)\n"
	  "  --timeout S         drop a connection idle for S seconds (default 30; a client trickling bytes)\n"
	  "  --body-budget MIB   request bodies held at once, all clients (default 64, at least 5); past it,\n"
	  "                      503 with Retry-After. Signed requests are checked before their body is read\n"
	  "  --header-timeout S  a request's headers must all arrive within S seconds (default 20)\n"
	  "  --body-rate BYTES   a body may take --timeout plus a second per BYTES of it (default 1024)\n"
	  "  --connections N     connections at once (default 1000); near it, a new connection takes the place\n"
	  "                      of the oldest one still sending its headers\n"
	  "  --per-ip N          connections at once from one address (default 16)\n"
	  "  --hash-threads N    password hashes at once, apart from the workers (default 1)\n"
	  "  --hash-queue N      logins waiting for a hash; past that, 503 with Retry-After (default 32)\n"
	  "  --max-media-file MB the largest attachment taken (default 64); larger ones are refused with 413\n"
	  "  --max-media-day MB  a device's attachments a day (default 1000); past it, 413 until the next day\n"
	  "  --upstream URL      headquarters' address for this run (a regional server enrolled with sondeod\n"
	  "                      enrol relays to headquarters whenever it serves; the key pinned then decides)\n"
	  "  --pull-every S      a regional server pulls its region from headquarters every S seconds while\n"
	  "                      the link is up (default 10); what its devices send goes up within a second\n"
	  "  --retry-max S       while headquarters cannot be reached, a regional server tries again after\n"
	  "                      1 s, 2 s, 4 s ... up to S seconds (default 300)\n"
	  "  --verbose           a regional server logs each of its requests to headquarters\n"
	  "Logs one line per request on stderr. SIGINT or SIGTERM stop it after the requests in progress.\n"
	  "Endpoints: GET /healthz, GET /metrics, POST /v1/enrol, GET /v1/forms, POST /v1/changesets,\n"
	  "GET /v1/pull, POST /v1/vouch, GET /v1/relay/pull (see proto/PROTOCOL.md), and the review page's\n"
	  "(docs/review-api.md).\n") },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fputs(_("usage: sondeod COMMAND --data DIR [ARGS]\n\ncommands:\n"), out);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-11s %s\n", commands[i].name, _(commands[i].summary));
	fputs(_("\n'sondeod COMMAND --help' shows a command's options. Every command needs --data DIR, the\n"
		"server's data directory (before or after the command). --lang LANG before the command chooses the\n"
		"language of the messages, else LANGUAGE, LC_ALL, LC_MESSAGES or LANG.\n"), out);
}

/* The language of the messages: --lang's (refused when there is no catalog for it), else the environment's
 * (English when there is none for it: the environment is not the person's choice of Sondeo's languages). 0, or
 * EXIT_USAGE after saying so. */
static int set_lang(const char *lang)
{
	char code[16];

	if (!lang) {
		i18n_from_env(code, sizeof(code));
		if (i18n_set_process(code) < 0)
			i18n_set_process("en");
		return 0;
	}
	if (i18n_code(lang, code, sizeof(code)) < 0 || !i18n_has(code) || i18n_set_process(code) < 0) {
		/* TRANSLATORS: %s is what was given after --lang; the second the languages there are, "en, es, fr". */
		fprintf(stderr, _("sondeod: unknown language '%s': there are %s\n"), lang, i18n_list());
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { NULL, NULL, NULL };
	const char *name, *lang = NULL;
	size_t i;
	int a, k, r;

	setlocale(LC_CTYPE, "");
	/* The language before anything is said: --lang among the global options, else the environment's. */
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--lang") && a + 1 < argc)
			lang = argv[++a];
		else if (!strncmp(argv[a], "--lang=", 7))
			lang = argv[a] + 7;
		else if (!strcmp(argv[a], "--data"))
			a++;
	}
	if ((r = set_lang(lang)) != 0)
		return r;
	/* Before any secret is in memory: a core dump would hold live sessions' tokens and passwords. */
	if (secret_no_dumps() < 0) {
		fprintf(stderr, _("sondeod: cannot make the process non-dumpable: %s\n"), strerror(errno));
		return EXIT_FAIL;
	}
	if (sodium_init() < 0) {
		fputs(_("sondeod: cannot initialise libsodium\n"), stderr);
		return EXIT_FAIL;
	}
	/* --data may also come before the command, as the global options of sondeo do. */
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[a], "--version")) {
			puts("sondeod " SONDEO_VERSION);
			return EXIT_OK;
		} else if (!strcmp(argv[a], "--data") && a + 1 < argc && argv[a + 1][0]) {
			cli.data_dir = argv[++a];
		} else if (!strncmp(argv[a], "--data=", 7) && argv[a][7]) {
			cli.data_dir = argv[a] + 7;
		} else if (!strcmp(argv[a], "--data") || !strncmp(argv[a], "--data=", 7)) {
			fputs(_("sondeod: --data needs a directory\n"), stderr);
			usage(stderr);
			return EXIT_USAGE;
		} else if (!strcmp(argv[a], "--lang") && a + 1 < argc) {
			a++;   /* taken above */
		} else if (!strncmp(argv[a], "--lang=", 7)) {
			continue;
		} else if (!strcmp(argv[a], "--lang")) {
			fputs(_("sondeod: --lang needs a language\n"), stderr);
			usage(stderr);
			return EXIT_USAGE;
		} else {
			fprintf(stderr, _("sondeod: unknown option '%s'\n"), argv[a]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (a >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	name = argv[a];
	if (!strcmp(name, "help")) {
		if (a + 1 >= argc) {
			usage(stdout);
			return EXIT_OK;
		}
		argv[a] = argv[a + 1];
		argv[a + 1] = (char *)"--help";
		name = argv[a];
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(name, commands[i].name))
			continue;
		/* --help anywhere before "--" shows the command's usage, whatever else is on the line. */
		for (k = a + 1; k < argc && strcmp(argv[k], "--"); k++) {
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
				printf(_("usage: sondeod %s\n"), commands[i].usage);
				printf("\n%s", _(commands[i].help));
				return EXIT_OK;
			}
		}
		cli.cmd = commands[i].name;
		cli.usage = commands[i].usage;
		r = commands[i].fn(&cli, argc - a, argv + a);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, _("sondeod: cannot write output: %s\n"), strerror(errno));
			return EXIT_FAIL;
		}
		return r;
	}
	fprintf(stderr, _("sondeod: unknown command '%s'\n"), name);
	usage(stderr);
	return EXIT_USAGE;
}
