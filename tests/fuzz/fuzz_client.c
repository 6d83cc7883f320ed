/* fuzz_client.c - libFuzzer target for what the laptop reads from outside, other than change sets and pull
 * answers (fuzz_changeset.c) and typed answers (fuzz_answer.c). The first byte of an input picks the reader
 * (its value mod 7), the rest is the bytes read:
 *   0: a `sondeo new --from` file, CSV or JSON (client/entry.c, entry_load_data), against the built-in form.
 *      Every answer kept is for a question of the form that takes one, already in its stored form (read again
 *      as a server reads it, the same); a file read without errors has no unreadable record or value.
 *   1: CSV alone (common/csv.c): the rows read, written again field by field (csv_write_field), read back the
 *      same.
 *   2: a /v1/forms answer (client/remote.c, remote_forms_read): a list, and headquarters named only as an
 *      http(s) URL and a 64-hex key; written again and read back, the same.
 *   3: an enrolment answer (proto/enrol.c, enrol_answer_read) to a request with a fixed code, nonce and device
 *      key. When the second byte is odd and the rest is a JSON object, its "mac" is first replaced by the
 *      true MAC of its other members, so that the fuzzer reaches past the MAC. What is accepted names this
 *      device, a region within the spec's bounds, and the server key whose MAC verified.
 *   4: a Host header as sondeo web checks it (client/web.c, web_host_valid), its line before the first newline,
 *      against the port after it: one accepted ends in ":PORT" and names localhost or an address written as one.
 *   5: a phone's name and join code as the field hub reads them (client/web-join.c): a name accepted is the input
 *      trimmed, 1 to WEB_NAME_MAX characters of UTF-8 with no control character, and is accepted again as it is;
 *      a code's digits are digits, in the input's order.
 *   6: an image as an attachment brings it (common/image.c): its kind and size from its header, then scaled to
 *      FUZZ_IMAGE_MAX pixels. A size read is at least 1 x 1 and of a kind; an image scaled comes out of the same
 *      kind, its longer side FUZZ_IMAGE_MAX exactly, and decodes again (scaled once more, to half); one within
 *      the size is left alone; a refusal has a message. FUZZ_VERBOSE=1 prints what image_fit made of each.
 * Anything else aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "csv.h"
#include "enrol.h"
#include "entry.h"
#include "form.h"
#include "fuzzkey.h"
#include "image.h"
#include "jsonc.h"
#include "remote.h"
#include "util.h"
#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

#define CODE "K7QF2MZX9RTAHB4EWCJ8"
#define NONCE "00112233445566778899aabbccddeeff"

static struct form *form;
static struct keys *key;
static FILE *report;   /* this target's own messages: the readers' go nowhere */

static void die(const char *what, const char *detail)
{
	fprintf(report ? report : stderr, "fuzz_client: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void setup(void)
{
	char err[600];

	if (form)
		return;
	form = form_load((const char *)form_partnership_json, form_partnership_json_len, err, sizeof(err));
	if (!form)
		die("the built-in form does not load", err);
	key = fuzz_key(0x3c);
	/* The readers print every problem they find, as sondeo does: thousands a second here. Only the stream
	 * goes: the sanitizers and libFuzzer write to the descriptor itself. */
	report = stderr;
	if (!getenv("FUZZ_VERBOSE") && !(stderr = fopen("/dev/null", "w")))
		stderr = report;
}

static void entries_run(const char *text, size_t len)
{
	struct entry *v = NULL;
	size_t n = 0, i;
	int errors = entry_load_data(form, "fuzz", text, len, &v, &n);

	if (errors < 0)
		die("bytes in memory read as an unreadable file", NULL);
	if (n > len + 1)
		die("more records than the file has bytes", NULL);
	for (i = 0; i < n; i++) {
		const char *name;
		json_t *val, *again = NULL;
		char err[600];

		if (errors == 0 && (v[i].unreadable || json_object_size(v[i].bad)))
			die("a record had an unreadable value, and no error was counted", v[i].where);
		json_object_foreach(v[i].answers, name, val) {
			const struct form_question *q = form_find(form, name);

			if (!q || q->type == FT_NOTE || name[0] == '_')
				die("an answer was kept for no question that takes one", name);
			if (form_coerce_answer(form, q, val, &again, err, sizeof(err)) < 0 || !again ||
			    !json_equal(again, val))
				die("an answer kept is not in its stored form", name);
			json_decref(again);
			again = NULL;
		}
	}
	entry_free(v, n);
}

/* Every row of text, as the reader gives them: rows of fields joined by \x1f, ended by \x1e. NULL if the
 * text does not read. */
static char *csv_rows(const char *text, size_t len, size_t *nrows, struct buf *out)
{
	struct csv_reader *r = csv_open(text, len);
	char **fields, err[512];
	size_t nf, i;
	int rc;

	*nrows = 0;
	while ((rc = csv_next(r, &fields, &nf, err, sizeof(err))) > 0) {
		if (nf == 0)
			die("a CSV row without a field", NULL);
		for (i = 0; i < nf; i++) {
			buf_adds(out, fields[i]);
			buf_addc(out, i + 1 < nf ? '\x1f' : '\x1e');
		}
		(*nrows)++;
	}
	csv_free(r);
	if (rc < 0 && !err[0])
		die("a CSV error without a message", NULL);
	return rc < 0 ? NULL : out->data;
}

static void csv_run(const char *text, size_t len)
{
	struct buf rows = BUF_INIT((size_t)64 << 20), written = BUF_INIT((size_t)64 << 20);
	struct buf back = BUF_INIT((size_t)64 << 20);
	struct csv_reader *r;
	char **fields, err[512];
	size_t nf, i, n1, n2;

	if (!csv_rows(text, len, &n1, &rows))
		goto out;
	r = csv_open(text, len);
	while (csv_next(r, &fields, &nf, err, sizeof(err)) > 0) {
		/* One empty field is written as "" : an empty line is no row. */
		if (nf == 1 && !fields[0][0])
			buf_adds(&written, "\"\"");
		for (i = 0; i < nf; i++) {
			if (i)
				buf_addc(&written, ',');
			if (csv_write_field(&written, fields[i]) < 0)
				die("the CSV writer refuses a field the reader gave", fields[i]);
		}
		buf_adds(&written, "\r\n");
	}
	csv_free(r);
	if (!csv_rows(written.data, written.len, &n2, &back)) {
		fprintf(report, "fuzz_client: %s\n", written.data);
		die("the CSV reader refuses what the writer wrote", NULL);
	}
	if (n1 != n2 || rows.len != back.len || memcmp(rows.data, back.data, rows.len))
		die("CSV rows changed in a round trip", NULL);
out:
	buf_release(&rows);
	buf_release(&written);
	buf_release(&back);
}

static void forms_run(const char *text, size_t len)
{
	struct remote_forms rf, back;
	char err[512] = "", *again;
	json_t *o;
	size_t i;

	if (remote_forms_read(text, len, &rf, err, sizeof(err)) < 0) {
		if (!err[0] || rf.root)
			die("a forms answer refused without a message, or with something kept", NULL);
		return;
	}
	if (!json_is_array(rf.forms))
		die("a forms answer accepted without a list of forms", NULL);
	if (rf.up_url && ((strncmp(rf.up_url, "http://", 7) && strncmp(rf.up_url, "https://", 8)) ||
			  strlen(rf.up_url) >= 1024 || !rf.up_key || !fuzz_lower_hex(rf.up_key, 64) || rf.up_bad))
		die("headquarters accepted outside the spec", rf.up_url);
	for (i = 0; i < json_array_size(rf.forms); i++) {
		char *def = json_dumps(json_array_get(rf.forms, i), JSON_COMPACT);
		struct form *f = def ? form_load(def, strlen(def), err, sizeof(err)) : NULL;

		form_free(f);
		free(def);
	}
	o = json_pack("{s:O}", "forms", rf.forms);
	if (rf.up_url)
		json_object_set_new(o, "upstream", json_pack("{s:s, s:s}", "url", rf.up_url, "key", rf.up_key));
	if (rf.tag)
		json_object_set_new(o, "tag", json_string(rf.tag));
	again = jsonc_dumps(o);
	if (!again || remote_forms_read(again, strlen(again), &back, err, sizeof(err)) < 0)
		die("a forms answer written again does not read", err);
	if (!json_equal(rf.forms, back.forms) || (rf.up_url == NULL) != (back.up_url == NULL) ||
	    (rf.up_url && (strcmp(rf.up_url, back.up_url) || strcmp(rf.up_key, back.up_key))) ||
	    (rf.tag == NULL) != (back.tag == NULL) || (rf.tag && strcmp(rf.tag, back.tag)))
		die("a forms answer changed in a round trip", NULL);
	remote_forms_release(&back);
	remote_forms_release(&rf);
	free(again);
	json_decref(o);
}

/* Replaces o's "mac" by the true MAC of its other members under the code, when they are strings. */
static void true_mac(json_t *o, const unsigned char ckey[AUTH_KEY_BYTES])
{
	const char *dev = json_string_value(json_object_get(o, "device"));
	const char *region = json_string_value(json_object_get(o, "region"));
	const char *spk = json_string_value(json_object_get(o, "server_key"));
	unsigned char pk[KEYS_PK_BYTES], mac[AUTH_MAC_BYTES];
	char hex[2 * AUTH_MAC_BYTES + 1];
	struct buf text = BUF_INIT(4096);

	if (dev && region && spk && auth_hex_decode(spk, pk, sizeof(pk)) == 0 &&
	    auth_enrol_answer_text(&text, NONCE, pk, dev, region, NULL, 0) == 0) {
		auth_enrol_mac(ckey, text.data, text.len, mac);
		sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
		json_object_set_new(o, "mac", json_string(hex));
	}
	buf_release(&text);
}

static void enrol_run(const char *text, size_t len)
{
	unsigned char ckey[AUTH_KEY_BYTES], mac[AUTH_MAC_BYTES];
	struct enrol_result res;
	char err[512] = "", id[KEYS_ID_STRLEN + 1], *fixed = NULL, hex[2 * KEYS_PK_BYTES + 1];
	json_t *o = NULL;
	size_t i;
	int r;

	if (auth_code_key(CODE, ckey) < 0)
		die("the test code has no key", NULL);
	if (len > 0 && (text[0] & 1) && (o = json_loadb(text + 1, len - 1, JSON_REJECT_DUPLICATES, NULL)) &&
	    json_is_object(o)) {
		true_mac(o, ckey);
		fixed = json_dumps(o, JSON_COMPACT);
	}
	r = fixed ? enrol_answer_read(fixed, strlen(fixed), ckey, NONCE, key, &res, err, sizeof(err))
		  : enrol_answer_read(text, len, ckey, NONCE, key, &res, err, sizeof(err));
	if (r == 0) {
		json_t *a = json_loadb(fixed ? fixed : text, fixed ? strlen(fixed) : len, JSON_REJECT_DUPLICATES, NULL);
		struct buf t = BUF_INIT(4096);

		keys_id(keys_public(key), id);
		if (strcmp(res.device, id))
			die("an enrolment answer for another device was accepted", res.device);
		sodium_bin2hex(hex, sizeof(hex), res.server_pk, sizeof(res.server_pk));
		if (strcmp(hex, res.server_key) || strcmp(res.server_key, json_string_value(json_object_get(a, "server_key"))))
			die("the server key kept is not the one the answer named", res.server_key);
		if (!res.region[0] || strlen(res.region) > AUTH_NAME_MAX)
			die("a region outside 1..64 bytes was accepted", res.region);
		for (i = 0; res.region[i]; i++)
			if ((unsigned char)res.region[i] < 0x20 || res.region[i] == 0x7f)
				die("a region with a control character was accepted", res.region);
		/* The MAC that was accepted is the one over exactly these fields. */
		if (auth_enrol_answer_text(&t, NONCE, res.server_pk, res.device, res.region, NULL, 0) < 0 ||
		    auth_hex_decode(json_string_value(json_object_get(a, "mac")), mac, sizeof(mac)) < 0 ||
		    auth_enrol_mac_verify(ckey, t.data, t.len, mac) < 0)
			die("an enrolment answer was accepted without its MAC", NULL);
		buf_release(&t);
		json_decref(a);
	} else if ((r != -1 && r != -2) || !err[0]) {
		die("an enrolment answer refused without a message", NULL);
	}
	sodium_memzero(ckey, sizeof(ckey));
	free(fixed);
	json_decref(o);
}

static void host_run(const char *text)
{
	const char *nl = strchr(text, '\n');
	char host[256], port[16], name[64];
	unsigned char addr[16];
	size_t n, hl;

	if (!nl || (size_t)(nl - text) >= sizeof(host) || strlen(nl + 1) >= sizeof(port))
		return;
	memcpy(host, text, (size_t)(nl - text));
	host[nl - text] = '\0';
	memcpy(port, nl + 1, strlen(nl + 1) + 1);
	if (!web_host_valid(host, port))
		return;
	hl = strlen(host);
	n = strlen(port);
	if (hl <= n + 1 || host[hl - n - 1] != ':' || strcmp(host + hl - n, port))
		abort();
	n = hl - n - 1;
	if (n >= sizeof(name))
		abort();
	memcpy(name, host, n);
	name[n] = '\0';
	if (strcmp(name, "localhost") && inet_pton(AF_INET, name, addr) != 1) {
		if (n < 3 || name[0] != '[' || name[n - 1] != ']')
			abort();
		name[n - 1] = '\0';
		if (inet_pton(AF_INET6, name + 1, addr) != 1)
			abort();
	}
}

static void join_run(const char *text)
{
	char out[160], again[160], digits[32];
	size_t i, k = 0;

	if (web_join_name(text, out, sizeof(out))) {
		size_t len = strlen(out);

		if (!len || out[0] == ' ' || out[len - 1] == ' ' || !utf8_valid(out, len, NULL) ||
		    utf8_len(out) > WEB_NAME_MAX || !strstr(text, out))
			abort();
		for (i = 0; i < len; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				abort();
		if (!web_join_name(out, again, sizeof(again)) || strcmp(out, again))
			abort();
	}
	web_join_digits(text, digits, sizeof(digits));
	for (i = 0; digits[i]; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			abort();
		/* In the input's order: each digit found after the one before. */
		while (text[k] && text[k] != digits[i])
			k++;
		if (!text[k++])
			abort();
	}
}

/* Small, so that most images the fuzzer makes are scaled, and scaled fast. */
#define FUZZ_IMAGE_MAX 16

static void image_run(const unsigned char *p, size_t len)
{
	struct buf out = BUF_INIT((size_t)16 << 20), again = BUF_INIT((size_t)16 << 20);
	enum image_kind k = image_sniff(p, len);
	char err[600] = "";
	unsigned w = 0, h = 0, ow = 0, oh = 0;
	int rc;

	rc = image_size(p, len, &w, &h, err, sizeof(err));
	if (rc == 0 && (!w || !h || k == IMAGE_NONE))
		die("image_size gave an empty size, or a size for no image", NULL);
	if (rc < 0 && !err[0])
		die("image_size refused without a message", NULL);
	/* A picture the fuzzer declares large but within the limits costs the decoder a second, which tells the
	 * fuzzer nothing more: those past the limits are still tried (refused from their header). */
	if (rc == 0 && (unsigned long long)w * h > (1ULL << 22) && w <= IMAGE_MAX_SIDE && h <= IMAGE_MAX_SIDE &&
	    (unsigned long long)w * h <= IMAGE_MAX_PIXELS)
		return;
	err[0] = '\0';
	rc = image_fit(p, len, FUZZ_IMAGE_MAX, &out, err, sizeof(err));
	if (getenv("FUZZ_VERBOSE"))
		fprintf(report, "fuzz_client: image %ux%u, image_fit: %d %s\n", w, h, rc, err);
	if (rc < 0 && !err[0])
		die("image_fit refused without a message", NULL);
	if (rc == 1 && (out.len || image_size(p, len, &w, &h, err, sizeof(err)) < 0 ||
			(w > h ? w : h) > FUZZ_IMAGE_MAX))
		die("image_fit left alone an image it should have scaled, or wrote", NULL);
	if (rc == 0) {
		if (image_sniff((unsigned char *)out.data, out.len) != k ||
		    image_size((unsigned char *)out.data, out.len, &ow, &oh, err, sizeof(err)) < 0)
			die("image_fit wrote no image of the kind it read", err);
		if ((ow > oh ? ow : oh) != FUZZ_IMAGE_MAX || !ow || !oh)
			die("image_fit scaled to another size than it was asked", NULL);
		err[0] = '\0';
		if (image_fit((unsigned char *)out.data, out.len, FUZZ_IMAGE_MAX / 2, &again, err, sizeof(err)) != 0)
			die("what image_fit wrote does not scale again", err);
	}
	buf_release(&out);
	buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	setup();
	if (size == 0)
		return 0;
	/* NUL-terminated at size - 1, as buf.h keeps every body and file read. */
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	switch (data[0] % 7) {
	case 0: entries_run(text, size - 1); break;
	case 1: csv_run(text, size - 1); break;
	case 2: forms_run(text, size - 1); break;
	case 3: enrol_run(text, size - 1); break;
	case 4: host_run(text); break;
	case 5: join_run(text); break;
	default: image_run(data + 1, size - 1); break;
	}
	free(text);
	return 0;
}
