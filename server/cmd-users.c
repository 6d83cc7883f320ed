/* cmd-users.c - sondeod users: the accounts of the review page (add, list, disable, enable, passwd).
 *
 * A password comes from --password-file (its first line), else from the terminal (asked twice, not echoed),
 * else from the first line of standard input. It is never an argument, which other users could read in ps. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "i18n.h"
#include "secret.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

#define PW_BUF (SSTORE_PASSWORD_MAX + 2)   /* room to tell a password one byte too long */

/* Where a password comes from: the messages name it. */
enum source { FROM_FILE, FROM_TERMINAL, FROM_STDIN };

static int length_ok(size_t n, enum source from, const char *path)
{
	if (n >= SSTORE_PASSWORD_MIN && n <= SSTORE_PASSWORD_MAX)
		return 1;
	if (from == FROM_FILE)
		cli_error(P_("the password in '%s' has %zu byte; a password has %d to %d bytes (nothing was changed)",
			     "the password in '%s' has %zu bytes; a password has %d to %d bytes (nothing was changed)", n),
			  path, n, SSTORE_PASSWORD_MIN, SSTORE_PASSWORD_MAX);
	else if (from == FROM_TERMINAL)
		cli_error(P_("the password typed has %zu byte; a password has %d to %d bytes (nothing was changed)",
			     "the password typed has %zu bytes; a password has %d to %d bytes (nothing was changed)", n), n,
			  SSTORE_PASSWORD_MIN, SSTORE_PASSWORD_MAX);
	else
		cli_error(P_("the password on standard input has %zu byte; a password has %d to %d bytes (nothing was"
			     " changed)", "the password on standard input has %zu bytes; a password has %d to %d bytes"
			     " (nothing was changed)", n), n, SSTORE_PASSWORD_MIN, SSTORE_PASSWORD_MAX);
	return 0;
}

static int read_error(enum source from, const char *path)
{
	int e = errno;

	if (e == EFBIG) {
		if (from == FROM_FILE)
			return cli_error(_("the password in '%s' is longer than %d bytes (nothing was changed)"), path,
					 SSTORE_PASSWORD_MAX);
		if (from == FROM_TERMINAL)
			return cli_error(_("the password typed is longer than %d bytes (nothing was changed)"),
					 SSTORE_PASSWORD_MAX);
		return cli_error(_("the password on standard input is longer than %d bytes (nothing was changed)"),
				 SSTORE_PASSWORD_MAX);
	}
	if (e == EINVAL) {
		if (from == FROM_FILE)
			return cli_error(_("the password in '%s' holds a NUL byte (nothing was changed)"), path);
		if (from == FROM_TERMINAL)
			return cli_error(_("the password typed holds a NUL byte (nothing was changed)"));
		return cli_error(_("the password on standard input holds a NUL byte (nothing was changed)"));
	}
	if (from == FROM_FILE)
		return cli_error(_("cannot read the password in '%s': %s"), path, strerror(e));
	if (from == FROM_TERMINAL)
		return cli_error(_("cannot read the password typed: %s"), strerror(e));
	return cli_error(_("cannot read the password on standard input: %s"), strerror(e));
}

static int from_file(const char *path, char pw[PW_BUF])
{
	size_t n = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_error(_("cannot open the password file '%s': %s"), path, strerror(errno));
	r = secret_read_line(fd, pw, PW_BUF, &n);
	close(fd);
	if (r < 0)
		return read_error(FROM_FILE, path);
	if (r == 0 || n == 0)
		return cli_error(_("the password file '%s' is empty (nothing was changed)"), path);
	return length_ok(n, FROM_FILE, path) ? EXIT_OK : EXIT_FAIL;
}

static int from_terminal(const char *name, char pw[PW_BUF])
{
	char again[PW_BUF], prompt[128];
	size_t n = 0, m = 0;
	int r, same;

	/* TRANSLATORS: the prompt for the new password of the account NAME; the space after the colon stays. */
	snprintf(prompt, sizeof(prompt), _("New password for %s: "), name);
	r = secret_ask(prompt, pw, PW_BUF, &n);
	if (r > 0 && n && length_ok(n, FROM_TERMINAL, NULL))
		r = secret_ask(_("Type it again: "), again, PW_BUF, &m);
	else if (r > 0)
		r = n ? -2 : 0;
	same = r > 0 && n == m && sodium_memcmp(pw, again, n) == 0;
	sodium_memzero(again, sizeof(again));
	if (r == -2)
		return EXIT_FAIL;
	if (r < 0)
		return read_error(FROM_TERMINAL, NULL);
	if (r == 0)
		return cli_error(_("no password typed (nothing was changed)"));
	if (!same)
		return cli_error(_("the two passwords typed differ (nothing was changed)"));
	return EXIT_OK;
}

static int from_stdin(char pw[PW_BUF])
{
	size_t n = 0;
	int r = secret_read_line(STDIN_FILENO, pw, PW_BUF, &n);

	if (r < 0)
		return read_error(FROM_STDIN, NULL);
	if (r == 0 || n == 0)
		return cli_error(_("no password on standard input (give one line, or --password-file FILE)"));
	return length_ok(n, FROM_STDIN, NULL) ? EXIT_OK : EXIT_FAIL;
}

/* The new password of name into pw, from file, the terminal or standard input. EXIT_OK or EXIT_FAIL (said). */
static int get_password(const char *name, const char *file, char pw[PW_BUF])
{
	if (file)
		return from_file(file, pw);
	if (isatty(STDIN_FILENO))
		return from_terminal(name, pw);
	return from_stdin(pw);
}

/* --- list ------------------------------------------------------------------------------------------------- */

static void add_json(void *ctx, const struct sstore_user *u)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:b, s:b, s:s}", "name", u->name, "role", u->role,
					     "disabled", u->disabled, "must_change", u->must_change, "created",
					     cli_iso_time(u->created_ms)));
}

/* The words of the table of accounts, and the widths of its columns of words: each as wide as its heading and
 * its widest word, at least as wide as in English. */
struct table {
	const char *disabled, *active, *must_change, *set;
	int state_w, pw_w;
};

/* The width in characters of the widest of n words, at least min. */
static int widest(int min, size_t n, const char *const *words)
{
	size_t i;
	int w = min;

	for (i = 0; i < n; i++)
		if ((int)utf8_len(words[i]) > w)
			w = (int)utf8_len(words[i]);
	return w;
}

static void print_row(void *ctx, const struct sstore_user *u)
{
	const struct table *t = ctx;
	const char *state = u->disabled ? t->disabled : t->active, *pw = u->must_change ? t->must_change : t->set;

	/* The role is the word --role takes: not translated. */
	printf("%-*s %-9s %-*s %-*s %s\n", utf8_pad(u->name, 24), u->name, u->role, utf8_pad(state, t->state_w),
	       state, utf8_pad(pw, t->pw_w), pw, cli_time(u->created_ms));
}

static int list(struct sstore *s, int json)
{
	char err[512], *text;
	json_t *all;

	if (!json) {
		/* TRANSLATORS: the headings of the table of accounts, in capitals. */
		const char *h_name = _("NAME"), *h_role = _("ROLE"), *h_state = _("STATE"), *h_pw = _("PASSWORD"),
			   *h_created = _("CREATED");
		struct table t = {
			/* TRANSLATORS: the state of an account in the table of accounts. */
			C_("account state", "disabled"), C_("account state", "active"),
			/* TRANSLATORS: the state of an account's password: it must be changed at the next login, or
			 * it is set. */
			C_("password state", "must change"), C_("password state", "set"), 0, 0
		};
		const char *states[] = { h_state, t.disabled, t.active }, *pws[] = { h_pw, t.must_change, t.set };

		t.state_w = widest(9, 3, states);
		t.pw_w = widest(12, 3, pws);
		printf("%-*s %-*s %-*s %-*s %s\n", utf8_pad(h_name, 24), h_name, utf8_pad(h_role, 9), h_role,
		       utf8_pad(h_state, t.state_w), h_state, utf8_pad(h_pw, t.pw_w), h_pw, h_created);
		if (sstore_user_list(s, print_row, &t, err, sizeof(err)) < 0)
			return cli_error("%s", err);
		return EXIT_OK;
	}
	all = json_array();
	if (sstore_user_list(s, add_json, all, err, sizeof(err)) < 0) {
		json_decref(all);
		return cli_error("%s", err);
	}
	text = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(all);
	if (!text)
		return cli_error(_("out of memory"));
	puts(text);
	free(text);
	return EXIT_OK;
}

/* --- the changes ------------------------------------------------------------------------------------------ */

/* Writes the entry of action on name; detail (json_pack's, NULL for none) is taken. */
static void audit(struct sstore *s, const char *action, const char *name, json_t *detail)
{
	char err[512];

	if (sstore_audit_json(s, SSTORE_CLI_USER, "", action, name, detail, err, sizeof(err)) < 0)
		fprintf(stderr, _("sondeod: warning: done, but the audit log could not be written: %s\n"), err);
}

/* 1 and u filled if name is an account, else 0 with the reason printed. */
static int known_user(struct cli *cli, struct sstore *s, const char *name, struct sstore_user *u)
{
	char err[512];
	int found = sstore_user_get(s, name, u, err, sizeof(err));

	if (found < 0)
		cli_error("%s", err);
	else if (!found)
		cli_error(_("there is no account named '%s' (see 'sondeod users --data %s list')"), name, cli->data_dir);
	return found > 0;
}

static int add(struct sstore *s, const char *name, const char *role, const char *file)
{
	char pw[PW_BUF], err[512];
	struct sstore_user u;
	int found, r;

	found = sstore_user_get(s, name, &u, err, sizeof(err));
	if (found < 0)
		return cli_error("%s", err);
	if (found)
		return cli_error(_("there is already an account named '%s' (nothing was changed)"), name);
	if ((r = get_password(name, file, pw)) != EXIT_OK)
		goto out;
	if (sstore_user_add(s, name, role, pw, 1, err, sizeof(err)) < 0) {
		r = cli_error(_("%s (nothing was changed)"), err);
		goto out;
	}
	audit(s, "user_add", name, json_pack("{s:s}", "role", role));
	/* TRANSLATORS: added NAME (ROLE: viewer, reviewer or admin, as typed). */
	printf(_("added %s (%s); they choose a new password at their first login\n"), name, role);
out:
	sodium_memzero(pw, sizeof(pw));
	return r;
}

static int passwd(struct cli *cli, struct sstore *s, const char *name, const char *file)
{
	char pw[PW_BUF], err[512];
	struct sstore_user u;
	int r;

	if (!known_user(cli, s, name, &u))
		return EXIT_FAIL;
	if ((r = get_password(name, file, pw)) != EXIT_OK)
		goto out;
	if (sstore_user_passwd(s, name, pw, 1, NULL, err, sizeof(err)) < 0) {
		r = cli_error(_("%s (nothing was changed)"), err);
		goto out;
	}
	audit(s, "user_passwd", name, NULL);
	printf(_("set a new password for %s; their sessions have ended and they choose a new password at their next"
		 " login\n"), name);
out:
	sodium_memzero(pw, sizeof(pw));
	return r;
}

static int set_disabled(struct cli *cli, struct sstore *s, const char *name, int disabled)
{
	struct sstore_user u;
	char err[512];
	int r;

	if (!known_user(cli, s, name, &u))
		return EXIT_FAIL;
	r = sstore_user_set_disabled(s, name, disabled, err, sizeof(err));
	if (r < 0)
		return cli_error("%s", err);
	if (r == 0) {
		if (disabled)
			printf(_("%s was already disabled\n"), name);
		else
			printf(_("%s was already enabled\n"), name);
		return EXIT_OK;
	}
	audit(s, disabled ? "user_disable" : "user_enable", name, NULL);
	if (disabled)
		printf(_("disabled %s; their sessions have ended\n"), name);
	else
		printf(_("enabled %s\n"), name);
	return EXIT_OK;
}

int cmd_users(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { "password-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 }
	};
	const char *role = NULL, *file = NULL, *sub, *name = NULL;
	struct sstore *s;
	int c, json = 0, r;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'r')
			role = optarg;
		else if (c == 'p')
			file = optarg;
		else if (c == 'j')
			json = 1;
		else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error(cli, _("say what to do: add, list, disable, enable or passwd"));
	sub = argv[optind++];
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "disable") && strcmp(sub, "enable") &&
	    strcmp(sub, "passwd"))
		return cli_usage_error(cli, _("unknown action '%s' (add, list, disable, enable or passwd)"), sub);
	if (strcmp(sub, "list")) {
		if (optind >= argc)
			/* TRANSLATORS: %s is the action: add, disable, enable or passwd. */
			return cli_usage_error(cli, _("%s needs a user name"), sub);
		name = argv[optind++];
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (role && strcmp(sub, "add"))
		return cli_usage_error(cli, _("--role goes with add only"));
	if (file && strcmp(sub, "add") && strcmp(sub, "passwd"))
		return cli_usage_error(cli, _("--password-file goes with add and passwd only"));
	if (json && strcmp(sub, "list"))
		return cli_usage_error(cli, _("--json goes with list only"));
	if (!strcmp(sub, "add") && !role)
		return cli_usage_error(cli, _("add needs --role viewer, reviewer or admin"));
	if (role && strcmp(role, "viewer") && strcmp(role, "reviewer") && strcmp(role, "admin"))
		return cli_usage_error(cli, _("--role '%s': the role is viewer, reviewer or admin"), role);
	if (name && !sstore_user_name_valid(name))
		return cli_error(_("'%s' is not a valid user name: 1 to %d letters, digits, '_', '.', '-' or '@', not"
				   " starting with '-' (nothing was changed)"), name, SSTORE_MAX_NAME);
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	if (!strcmp(sub, "list"))
		r = list(s, json);
	else if (!strcmp(sub, "add"))
		r = add(s, name, role, file);
	else if (!strcmp(sub, "passwd"))
		r = passwd(cli, s, name, file);
	else
		r = set_disabled(cli, s, name, !strcmp(sub, "disable"));
	sstore_close(s);
	return r;
}
