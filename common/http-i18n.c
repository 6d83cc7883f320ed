/* http-i18n.c - GET /i18n: the pages' languages, and their messages in one of them (sondeod's review page and
 * sondeo web's field page, which share their catalogs).
 *
 *   GET /i18n            ["en","es","fr"]: English and every language whose catalog is built in
 *   GET /i18n?lang=fr    {"lang":"fr","nplurals":2,"plural":"(n > 1)","messages":{msgid: translation,
 *                        "context\u0004msgid": translation, singular msgid: [plural forms...]}}
 *
 * The catalogs are each po/LANG.po cut down to the messages of web/ (the Makefile's msggrep, into
 * gen/page_catalogs.c), so that the page loads only its own messages; web/i18n.js reads this answer. English is
 * the messages themselves: its answer has no messages. The language is a query parameter because routes are
 * matched on the whole path (http.c). Unauthenticated, since the login page needs it; the catalogs never change
 * while the server runs, so each answer is made once, on first request, and kept, with an ETag for the browser's
 * cache and the static files' security headers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "embed.h"
#include "http.h"
#include "i18n.h"
#include "banned.h"

/* The program's catalogs (gen/page_catalogs.c): one entry per language, named "page-LANG.mo"; set by the first
 * answer, since a program has one set. */
static const struct embedded_file *page_catalogs;

#define PAGE_MAX_LANGS 16
/* The page has a few hundred messages: some tens of KiB in any language. A catalog past this is a build gone
 * wrong, and is answered 500 rather than sent. */
#define PAGE_MAX_JSON ((size_t)2 << 20)

struct page_answer {
	char lang[16];         /* "" for the list of languages */
	char *json;            /* made on first request, kept for the server's life */
	size_t len;
	char etag[40];         /* W/"32 hex digits" */
};

static struct page_answer answers[PAGE_MAX_LANGS + 1];
static size_t nanswers;
static pthread_mutex_t answers_lock = PTHREAD_MUTEX_INITIALIZER;

/* The language of a catalog's file name: "page-fr.mo" -> "fr"; -1 if the name is not of that form. */
static int catalog_lang(const char *name, char out[16])
{
	const char *dot = strrchr(name, '.');
	size_t n;

	if (strncmp(name, "page-", 5) || !dot || strcmp(dot, ".mo"))
		return -1;
	n = (size_t)(dot - (name + 5));
	if (n < 2 || n > 8)
		return -1;
	memcpy(out, name + 5, n);
	out[n] = '\0';
	return 0;
}

static const struct embedded_file *catalog_of(const char *lang)
{
	const struct embedded_file *f;
	char l[16];

	for (f = page_catalogs; f->name; f++)
		if (catalog_lang(f->name, l) == 0 && !strcmp(l, lang))
			return f;
	return NULL;
}

/* One message of the catalog into the messages object: a plural message's msgid is "one\0many" and its
 * translation the forms, each ended by a NUL (i18n_mo_each), which become an array under the singular. */
static int add_message(void *ctx, const char *id, size_t idlen, const char *str, size_t slen)
{
	json_t *messages = ctx, *v;
	size_t keylen = strnlen(id, idlen), l;
	const char *p = str, *end = str + slen;

	if (keylen < idlen) {
		v = json_array();
		for (;;) {
			l = strnlen(p, (size_t)(end - p));
			if (json_array_append_new(v, json_stringn(p, l)) < 0)
				break;
			if (p + l >= end)
				break;
			p += l + 1;
		}
	} else {
		v = json_stringn(str, slen);
	}
	/* A message whose words are not UTF-8 cannot be a JSON key: it is left out, and the page shows English. */
	json_object_setn_new(messages, id, keylen, v);
	return 0;
}

static int code_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The answer for lang ("" for the list): its JSON, made from the catalogs. NULL on a bad catalog or no memory. */
static json_t *answer_make(const char *lang)
{
	const struct embedded_file *f;
	json_t *j, *messages;
	unsigned nplurals = 2;
	char expr[160] = "n != 1";

	if (!*lang) {
		/* English, then the catalogs' languages in alphabetical order. */
		char codes[PAGE_MAX_LANGS][16];
		size_t n = 0, i;

		for (f = page_catalogs; f->name && n < PAGE_MAX_LANGS; f++)
			if (catalog_lang(f->name, codes[n]) == 0 && strcmp(codes[n], "en"))
				n++;
		qsort(codes, n, sizeof(codes[0]), code_cmp);
		j = json_array();
		json_array_append_new(j, json_string("en"));
		for (i = 0; i < n; i++)
			json_array_append_new(j, json_string(codes[i]));
		return j;
	}
	messages = json_object();
	if (strcmp(lang, "en")) {
		f = catalog_of(lang);
		if (!f || i18n_mo_plural(f->data, f->len, &nplurals, expr, sizeof(expr)) < 0 ||
		    i18n_mo_each(f->data, f->len, add_message, messages) < 0) {
			json_decref(messages);
			return NULL;
		}
	}
	j = json_pack("{s:s, s:I, s:s, s:o}", "lang", lang, "nplurals", (json_int_t)nplurals, "plural", expr, "messages",
		      messages);
	return j;
}

/* The kept answer for lang, made now if it is the first request for it; NULL with the error set in rs. */
static const struct page_answer *answer_get(const char *lang, struct http_response *rs)
{
	struct page_answer *a = NULL;
	unsigned char hash[16];
	char hex[33];
	json_t *j;
	size_t i;

	pthread_mutex_lock(&answers_lock);
	for (i = 0; i < nanswers && !a; i++)
		if (!strcmp(answers[i].lang, lang))
			a = &answers[i];
	if (!a && nanswers < sizeof(answers) / sizeof(answers[0])) {
		j = answer_make(lang);
		a = &answers[nanswers];
		a->json = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (a->json && (a->len = strlen(a->json)) <= PAGE_MAX_JSON) {
			memcpy(a->lang, lang, strlen(lang) + 1);
			crypto_generichash(hash, sizeof(hash), (const unsigned char *)a->json, a->len, NULL, 0);
			sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
			snprintf(a->etag, sizeof(a->etag), "W/\"%s\"", hex);
			nanswers++;
		} else {
			free(a->json);
			memset(a, 0, sizeof(*a));
			a = NULL;
		}
	}
	pthread_mutex_unlock(&answers_lock);
	if (!a)
		http_reply_error(rs, 500, "internal", _("the catalog of the language '%s' cannot be read"), lang);
	return a;
}

void http_i18n(struct http_request *rq, struct http_response *rs, const struct embedded_file *catalogs)
{
	const char *asked = http_query(rq, "lang");
	const struct page_answer *a;
	const char *match;
	char lang[16] = "";

	__atomic_store_n(&page_catalogs, catalogs, __ATOMIC_RELEASE);
	if (asked) {
		/* "fr", and also "fr-FR" or "fr_FR.UTF-8" as a browser or a person writes it. */
		if (strlen(asked) > 32 || i18n_code(asked, lang, sizeof(lang)) < 0 ||
		    (strcmp(lang, "en") && !catalog_of(lang))) {
			http_reply_error(rs, 404, "unknown_language", _("there is no catalog for the language '%.32s'"), asked);
			return;
		}
	}
	if (!(a = answer_get(lang, rs)))
		return;
	http_add_page_headers(rs);
	http_add_header(rs, "ETag", a->etag);
	rs->type = "application/json";
	/* The browser's copy is still good: the same build answers the same bytes. */
	if ((match = http_header(rq, "If-None-Match")) && strstr(match, a->etag + 2)) {
		rs->status = 304;
		buf_reset(&rs->body);
		return;
	}
	rs->status = 200;
	rs->compress = 1;
	buf_reset(&rs->body);
	if (buf_add(&rs->body, a->json, a->len) < 0)
		http_reply_error(rs, 500, "internal", _("out of memory"));
}
