/* cmd-enrol.c - sondeo enrol URL [CODE|-]: register this device with a server, pin its key, get its forms.
 *
 * The code proves to the server that this device was invited, and the server's answer, MAC'd with the same
 * code, proves to the device that it talks to the server that made the code: the key pinned here then
 * checks everything the server sends, even over plain HTTP. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "enrol.h"
#include "i18n.h"
#include "net.h"
#include "remote.h"
#include "secret.h"
#include "util.h"
#include "banned.h"

/* Room for a code as people type it: 20 symbols with dashes or spaces between, and some slack. */
#define CODE_TYPED_MAX 128

/* The code from the terminal (asked, not echoed) or, when standard input is not one, its first line: neither
 * shows in ps or in the shell's history. EXIT_OK, or EXIT_FAIL said. */
static int read_code(char typed[CODE_TYPED_MAX])
{
	size_t n = 0;
	int r;

	if (isatty(STDIN_FILENO))
		r = secret_ask(_("Enrolment code: "), typed, CODE_TYPED_MAX, &n);
	else
		r = secret_read_line(STDIN_FILENO, typed, CODE_TYPED_MAX, &n);
	if (r < 0 && errno == EFBIG)
		return cli_error(_("the enrolment code: longer than %d bytes"), CODE_TYPED_MAX - 1);
	if (r < 0)
		return cli_error(_("cannot read the enrolment code: %s"), strerror(errno));
	if ((r == 0 || n == 0) && isatty(STDIN_FILENO))
		return cli_error(_("no enrolment code typed"));
	if (r == 0 || n == 0)
		return cli_error(_("no enrolment code on standard input"));
	return EXIT_OK;
}

int cmd_enrol(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cacert", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' }, { 0, 0, 0, 0 }
	};
	char err[1024], msg[1200], url[1024], cacert[PATH_MAX] = "", my_id[KEYS_ID_STRLEN + 1], fp[KEYS_ID_STRLEN + 1];
	char code[AUTH_CODE_LEN + 1], typed[CODE_TYPED_MAX];
	struct enrol_result e;
	const struct keys *k;
	struct store *s = NULL;
	struct remote r;
	const char *name;
	int c, verbose = 0, ret = EXIT_FAIL, nforms;
	enum net_status st;
	size_t len;

	while ((c = cli_getopt(cli, argc, argv, "v", opts)) != -1) {
		if (c == 'c') {
			if (!realpath(optarg, cacert))
				return cli_error(_("cannot read '%s'"), optarg);
		} else if (c == 'v') {
			verbose = 1;
		} else {
			return cli_opt_exit(c);
		}
	}
	if (optind + 1 != argc && optind + 2 != argc)
		return cli_usage_error(cli, _("expected the server's URL and the enrolment code (or - to read it)"));
	len = strlen(argv[optind]);
	if ((strncmp(argv[optind], "http://", 7) && strncmp(argv[optind], "https://", 8)) || len >= sizeof(url))
		return cli_usage_error(cli, _("'%s' is not an http:// or https:// URL"), argv[optind]);
	snprintf(url, sizeof(url), "%.*s", (int)(len - (argv[optind][len - 1] == '/')), argv[optind]);
	if (optind + 2 == argc && strcmp(argv[optind + 1], "-")) {
		if (strlcpy_s(typed, argv[optind + 1], sizeof(typed)) >= sizeof(typed))
			return cli_error(_("the enrolment code: longer than %d bytes"), CODE_TYPED_MAX - 1);
	} else if (read_code(typed) != EXIT_OK)
		goto out;
	/* A mistyped code is said before the network is tried. */
	if (auth_code_normalize(typed, code, err, sizeof(err)) < 0) {
		/* TRANSLATORS: %s says what is wrong with the code as typed. */
		cli_error(_("the enrolment code: %s"), err);
		goto out;
	}
	sodium_memzero(code, sizeof(code));
	if (!(s = cli_open_store(cli)))
		goto out;
	if (store_meta_get(s, "server_url", msg, sizeof(msg)) == 0 && strcmp(msg, url)) {
		cli_error(_("this device is already enrolled with %s"), msg);
		goto out;
	}
	if (!(k = store_keys(s, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	keys_id(keys_public(k), my_id);
	name = *store_name(s) ? store_name(s) : my_id;
	if (net_init(err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (enrol_exchange(url, typed, k, name, 0, cacert[0] ? cacert : NULL, verbose, &e, &st, err,
			   sizeof(err)) < 0) {
		if (st == NET_OK)
			cli_error(_("%s: nothing was saved"), err);
		else
			cli_error("%s", err);
		ret = st == NET_UNREACHABLE || st == NET_CUT ? EXIT_UNREACHABLE : EXIT_FAIL;
		goto out;
	}
	if (store_begin(s, err, sizeof(err)) < 0 || store_meta_set(s, "server_url", url, err, sizeof(err)) < 0 ||
	    store_meta_set(s, "server_key", e.server_key, err, sizeof(err)) < 0 ||
	    store_meta_set(s, "region", e.region, err, sizeof(err)) < 0 ||
	    store_meta_set(s, "server_cacert", cacert, err, sizeof(err)) < 0 || store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error(_("%s: nothing was saved"), err);
		goto out;
	}
	keys_id(e.server_pk, fp);
	printf(_("enrolled with %s as device %s in region %s\n"), url, my_id, e.region);
	printf(_("server key fingerprint: %s\n"), fp);

	/* The forms come signed by the key just pinned. */
	st = NET_FAILED;
	nforms = -1;
	if (remote_open(&r, s, verbose, err, sizeof(err)) == 0) {
		nforms = remote_forms(&r, &st, err, sizeof(err));
		remote_close(&r);
	}
	if (nforms < 0) {
		cli_error(_("enrolled, but the forms could not be downloaded (%s); run the same sondeo enrol again"), err);
		ret = st == NET_UNREACHABLE ? EXIT_UNREACHABLE : EXIT_FAIL;
		goto out;
	}
	printf(P_("forms: %d received\n", "forms: %d received\n", nforms), nforms);
	ret = EXIT_OK;
out:
	sodium_memzero(typed, sizeof(typed));
	store_close(s);
	return ret;
}
