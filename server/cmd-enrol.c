/* cmd-enrol.c - sondeod enrol: a regional server enrols at headquarters with a relay code, as a device enrols
 * with its server (docs/relay-design.md). Its server key is the key enrolled; headquarters' key is pinned. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "sstore-relay.h"
#include "enrol.h"
#include "util.h"
#include "banned.h"

int cmd_enrol(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "cacert", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' }, { 0, 0, 0, 0 }
	};
	char err[1024], url[1024], cacert[PATH_MAX] = "", code[AUTH_CODE_LEN + 1], host[SSTORE_MAX_NAME + 1] = "";
	char fp[KEYS_ID_STRLEN + 1];
	const char *name = NULL;
	struct sstore_upstream up, now;
	struct enrol_result e;
	struct sstore *s = NULL;
	enum net_status st;
	int c, verbose = 0, r = EXIT_FAIL;
	size_t len;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'n') {
			name = optarg;
		} else if (c == 'c') {
			if (!realpath(optarg, cacert))
				return cli_error(_("cannot read '%s'"), optarg);
		} else if (c == 'v') {
			verbose = 1;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc)
		return cli_usage_error(cli, _("expected headquarters' URL and the relay code"));
	len = strlen(argv[optind]);
	if ((strncmp(argv[optind], "http://", 7) && strncmp(argv[optind], "https://", 8)) || len >= sizeof(url))
		return cli_usage_error(cli, _("'%s' is not an http:// or https:// URL"), argv[optind]);
	snprintf(url, sizeof(url), "%.*s", (int)(len - (argv[optind][len - 1] == '/')), argv[optind]);
	/* A mistyped code is said before the network is tried. */
	if (auth_code_normalize(argv[optind + 1], code, err, sizeof(err)) < 0)
		return cli_error(_("the enrolment code: %s"), err);
	memset(code, 0, sizeof(code));
	if (!name) {
		if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
			strlcpy_s(host, "regional server", sizeof(host));
		name = host;
	}
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	if (sstore_upstream_get(s, &up) && strcmp(up.url, url)) {
		cli_error(_("this server is already enrolled at %s (region %s)"), up.url, up.region);
		goto out;
	}
	if (net_init(err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (enrol_exchange(url, argv[optind + 1], sstore_keys(s), name, 1, cacert[0] ? cacert : NULL, verbose, &e, &st,
			   err, sizeof(err)) < 0) {
		/* Headquarters answered and refused: nothing changed on either side. */
		if (st == NET_OK)
			cli_error(_("%s: nothing was saved"), err);
		else
			cli_error("%s", err);
		r = st == NET_UNREACHABLE || st == NET_CUT ? EXIT_UNREACHABLE : EXIT_FAIL;
		goto out;
	}
	memset(&now, 0, sizeof(now));
	strlcpy_s(now.url, url, sizeof(now.url));
	strlcpy_s(now.key, e.server_key, sizeof(now.key));
	strlcpy_s(now.cacert, cacert, sizeof(now.cacert));
	strlcpy_s(now.region, e.region, sizeof(now.region));
	if (sstore_upstream_set(s, &now, err, sizeof(err)) < 0) {
		cli_error(_("%s: nothing was saved"), err);
		goto out;
	}
	keys_id(e.server_pk, fp);
	/* TRANSLATORS: enrolled at URL as the regional server ID of region NAME. */
	printf(_("enrolled at %s as the regional server %s of region %s\nheadquarters' key fingerprint: %s\n"), url,
	       e.device, e.region, fp);
	r = EXIT_OK;
out:
	sstore_close(s);
	return r;
}
