/* cmd-enrol-code.c - sondeod enrol-code: make a one-time code that enrols devices in a region. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "i18n.h"
#include "sstore-relay.h"
#include "sstore-users.h"
#include "util.h"
#include "banned.h"

#define MAX_USES 100000
#define MAX_EXPIRY_MS (365ULL * 24 * 3600 * 1000)

int cmd_enrol_code(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' }, { "uses", required_argument, NULL, 'u' },
		{ "expires", required_argument, NULL, 'e' }, { "relay", no_argument, NULL, 'R' }, { 0, 0, 0, 0 }
	};
	struct sstore_upstream up;
	const char *region = NULL, *expires = "7d";
	char code[32], err[512];
	unsigned long uses = 1;
	uint64_t ttl, at;
	struct sstore *s;
	char *end;
	int c, relay = 0, uses_given = 0;

	while ((c = cli_getopt(cli, argc, argv, opts)) != -1) {
		if (c == 'r') {
			region = optarg;
		} else if (c == 'e') {
			expires = optarg;
		} else if (c == 'R') {
			relay = 1;
		} else if (c == 'u') {
			if (optarg[0] < '0' || optarg[0] > '9' || strlen(optarg) > 6 ||
			    (uses = strtoul(optarg, &end, 10), *end) || uses < 1 || uses > MAX_USES)
				return cli_usage_error(cli, _("--uses '%s': give a whole number from 1 to %d"), optarg,
						       MAX_USES);
			uses_given = 1;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, _("unexpected argument '%s'"), argv[optind]);
	if (relay && uses_given && uses != 1)
		return cli_usage_error(cli, _("a relay code enrols one regional server: --uses is 1"));
	if (region && sstore_region_check(region, NULL, 0) < 0)
		return cli_usage_error(cli, _("--region '%s': give 1 to %d letters, digits, '_', '.' or '-'"), region,
				       SSTORE_MAX_NAME);
	if (!(ttl = duration_ms(expires, MAX_EXPIRY_MS)))
		return cli_usage_error(cli, _("--expires '%s': give a duration such as 30m, 12h or 7d (at most 365d)"),
				       expires);
	if (!(s = cli_open(cli)))
		return EXIT_FAIL;
	/* A regional server enrols devices of its own region only, and relays no other server. */
	if (sstore_upstream_get(s, &up)) {
		if ((region && strcmp(region, up.region)) || relay) {
			sstore_close(s);
			/* TRANSLATORS: this server relays region NAME to URL (headquarters' address). */
			if (relay)
				return cli_error(_("this server relays region %s to %s: regional servers enrol at headquarters"),
						 up.region, up.url);
			return cli_error(_("this server relays region %s to %s: its codes are for region %s only"),
					 up.region, up.url, up.region);
		}
		region = up.region;
	}
	if (!region)
		region = "default";
	at = now_ms() + ttl;
	if ((relay ? sstore_relay_code_new(s, region, at, code, sizeof(code), err, sizeof(err)) :
		     sstore_code_new(s, region, (unsigned)uses, at, code, sizeof(code), err, sizeof(err))) < 0) {
		sstore_close(s);
		return cli_error("%s", err);
	}
	/* The code itself stays out of the log: it is a secret until used. */
	if (sstore_audit_json(s, SSTORE_CLI_USER, "", "code", region,
			      json_pack("{s:s, s:I, s:I, s:b}", "region", region, "uses", (json_int_t)uses, "expires",
					(json_int_t)at, "relay", relay), err, sizeof(err)) < 0)
		fprintf(stderr, _("sondeod: warning: code made, but the audit log could not be written: %s\n"), err);
	sstore_close(s);
	/* The code alone on the first line, for scripts; then what it is for, a line each. */
	printf("%s\n", code);
	/* TRANSLATORS: the labels "region:", "uses:" and "expires:" of these lines line up: pad them alike. */
	if (relay)
		printf(_("region:  %s (for the regional server: sondeod enrol --data DIR URL CODE)\n"), region);
	else
		printf(_("region:  %s\n"), region);
	printf(_("uses:    %lu\n"), uses);
	/* TRANSLATORS: the moment the code expires, then the duration asked for, as given: 7d, 12h, 30m. */
	printf(_("expires: %s (in %s)\n"), cli_time(at), expires);
	fflush(stdout);
	sodium_memzero(code, sizeof(code));
	return EXIT_OK;
}
