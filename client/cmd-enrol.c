/* cmd-enrol.c - sondeo enrol URL CODE: register this device with a server, pin its key, get its forms.
 *
 * The code proves to the server that this device was invited, and the server's answer, MAC'd with the same
 * code, proves to the device that it talks to the server that made the code: the key pinned here then
 * checks everything the server sends, even over plain HTTP. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "net.h"
#include "remote.h"
#include "util.h"
#include "banned.h"

int cmd_enrol(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cacert", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' }, { 0, 0, 0, 0 }
	};
	char code[AUTH_CODE_LEN + 1], code_id[AUTH_CODE_ID_LEN + 1], nonce[AUTH_NONCE_HEXLEN + 1];
	char pkhex[2 * KEYS_PK_BYTES + 1], machex[2 * AUTH_MAC_BYTES + 1], err[1024], msg[1200], url[1024];
	char cacert[PATH_MAX] = "", my_id[KEYS_ID_STRLEN + 1], fp[KEYS_ID_STRLEN + 1];
	unsigned char key[AUTH_KEY_BYTES], mac[AUTH_MAC_BYTES], server_pk[KEYS_PK_BYTES];
	struct buf text = BUF_INIT(4096);
	struct net_response rs = { 0, BUF_INIT(1), "", "" };
	struct net_request rq;
	const struct keys *k;
	struct store *s = NULL;
	struct remote r;
	json_t *answer = NULL;
	const char *name, *dev, *region, *spk, *smac;
	char *body = NULL;
	int c, verbose = 0, ret = EXIT_FAIL, nforms;
	enum net_status st;
	size_t len;

	while ((c = cli_getopt(cli, argc, argv, "v", opts)) != -1) {
		if (c == 'c') {
			if (!realpath(optarg, cacert))
				return cli_error("cannot read '%s'", optarg);
		} else if (c == 'v') {
			verbose = 1;
		} else {
			return cli_opt_exit(c);
		}
	}
	if (optind + 2 != argc)
		return cli_usage_error(cli, "expected the server's URL and the enrolment code");
	len = strlen(argv[optind]);
	if ((strncmp(argv[optind], "http://", 7) && strncmp(argv[optind], "https://", 8)) || len >= sizeof(url))
		return cli_usage_error(cli, "'%s' is not an http:// or https:// URL", argv[optind]);
	snprintf(url, sizeof(url), "%.*s", (int)(len - (argv[optind][len - 1] == '/')), argv[optind]);
	if (auth_code_normalize(argv[optind + 1], code, err, sizeof(err)) < 0)
		return cli_error("the enrolment code: %s", err);
	if (!(s = cli_open_store(cli)))
		goto out;
	if (store_meta_get(s, "server_url", msg, sizeof(msg)) == 0 && strcmp(msg, url)) {
		cli_error("this device is already enrolled with %s", msg);
		goto out;
	}
	if (!(k = store_keys(s, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	keys_id(keys_public(k), my_id);
	name = *store_name(s) ? store_name(s) : my_id;

	/* The request: the code's id in the clear, the whole code only as the key of the MAC. */
	auth_code_id(code, code_id);
	auth_code_key(code, key);
	auth_new_nonce(nonce);
	if (auth_enrol_request_text(&text, keys_public(k), name, nonce, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	auth_enrol_mac(key, text.data, text.len, mac);
	sodium_bin2hex(pkhex, sizeof(pkhex), keys_public(k), KEYS_PK_BYTES);
	sodium_bin2hex(machex, sizeof(machex), mac, sizeof(mac));
	answer = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", code_id, "public_key", pkhex, "name", name, "nonce",
			   nonce, "mac", machex);
	body = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	answer = NULL;
	snprintf(msg, sizeof(msg), "%s/v1/enrol", url);
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = msg;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.content_type = "application/json";
	rq.cacert = cacert[0] ? cacert : NULL;
	rq.verbose = verbose;
	st = net_send(&rq, &rs, err, sizeof(err));
	if (st != NET_OK) {
		cli_error("%s", err);
		ret = st == NET_UNREACHABLE || st == NET_CUT ? EXIT_UNREACHABLE : EXIT_FAIL;
		goto out;
	}
	if (rs.status != 200) {
		remote_error_text(&rs, msg, sizeof(msg));
		cli_error("enrolment refused: %s", msg);
		goto out;
	}

	/* The answer counts only if its MAC, under the same code, covers our nonce and the server's key. */
	answer = json_loadb(rs.body.data, rs.body.len, JSON_REJECT_DUPLICATES, NULL);
	dev = json_string_value(json_object_get(answer, "device"));
	region = json_string_value(json_object_get(answer, "region"));
	spk = json_string_value(json_object_get(answer, "server_key"));
	smac = json_string_value(json_object_get(answer, "mac"));
	if (!dev || !region || !spk || !smac || auth_hex_decode(spk, server_pk, sizeof(server_pk)) < 0 ||
	    auth_hex_decode(smac, mac, sizeof(mac)) < 0 ||
	    auth_enrol_answer_text(&text, nonce, server_pk, dev, region, err, sizeof(err)) < 0 ||
	    auth_enrol_mac_verify(key, text.data, text.len, mac) < 0) {
		cli_error("the answer from %s does not prove it made this code: nothing was saved", url);
		goto out;
	}
	if (strcmp(dev, my_id)) {
		cli_error("the server enrolled another device (%s): nothing was saved", dev);
		goto out;
	}
	if (store_begin(s, err, sizeof(err)) < 0 || store_meta_set(s, "server_url", url, err, sizeof(err)) < 0 ||
	    store_meta_set(s, "server_key", spk, err, sizeof(err)) < 0 ||
	    store_meta_set(s, "region", region, err, sizeof(err)) < 0 ||
	    store_meta_set(s, "server_cacert", cacert, err, sizeof(err)) < 0 || store_commit(s, err, sizeof(err)) < 0) {
		store_rollback(s);
		cli_error("%s: nothing was saved", err);
		goto out;
	}
	keys_id(server_pk, fp);
	printf("enrolled with %s as device %s in region %s\nserver key fingerprint: %s\n", url, my_id, region, fp);

	/* The forms come signed by the key just pinned. */
	st = NET_FAILED;
	nforms = -1;
	if (remote_open(&r, s, verbose, err, sizeof(err)) == 0)
		nforms = remote_forms(&r, &st, err, sizeof(err));
	if (nforms < 0) {
		cli_error("enrolled, but the forms could not be downloaded (%s); run the same sondeo enrol again", err);
		ret = st == NET_UNREACHABLE ? EXIT_UNREACHABLE : EXIT_FAIL;
		goto out;
	}
	printf("forms: %d received\n", nforms);
	ret = EXIT_OK;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(code, sizeof(code));
	json_decref(answer);
	free(body);
	buf_release(&text);
	buf_release(&rs.body);
	store_close(s);
	return ret;
}
