/* sstore-search.c - the review page's search (docs/review-api.md, q) for PostgreSQL's full-text search: the query
 * language SQLite's FTS5 reads, written as a tsquery (sstore-int.h). On SQLite the query goes to FTS5 as it is.
 *
 * The language: words (letters, digits, _ and any non-ASCII character, as FTS5's unicode61 tokenizer splits them),
 * "a phrase" (its words in that order, next to each other), word* (a prefix), AND (or nothing: both), OR, NOT (the
 * left side without the right), and parentheses. Each word becomes a quoted lexeme ('word', its quotes doubled),
 * so nothing a reviewer types is read as tsquery's own syntax; case and accents are folded by the SQL around it,
 * as the index's words are. */
#include "sstore.h"
#include "i18n.h"
#include "sstore-int.h"

#include <string.h>

#include "buf.h"
#include "util.h"
#include "banned.h"

#define SEARCH_MAX_DEPTH 32      /* parentheses within parentheses */

struct scan {
	const char *s;
	size_t i;
	struct buf *out;
	sstore_fold_fn fold;
	void *ctx;
	char *err;
	size_t errlen;
	int depth;
};

/* A character of a word: FTS5's unicode61 takes letters, digits and every non-ASCII character as such. */
static int word_char(unsigned char c)
{
	return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static void skip_spaces(struct scan *sc)
{
	while (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' || sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r')
		sc->i++;
}

static int bad(struct scan *sc, const char *why)
{
	/* TRANSLATORS: %s is what is wrong with the search ("an unterminated quote", ...). */
	return errf(sc->err, sc->errlen, _("it is not a search: %s"), why);
}

/* Whether the word at the scan is the keyword kw (FTS5's AND, OR, NOT: upper case, a whole word). */
static int keyword(const struct scan *sc, const char *kw)
{
	size_t n = strlen(kw);

	return !strncmp(sc->s + sc->i, kw, n) && !word_char((unsigned char)sc->s[sc->i + n]);
}

/* Appends w[0..n), a word or a part of one, as a quoted lexeme: its quotes doubled and backslashes escaped as
 * tsquery reads them. */
static void quoted(struct buf *out, const char *w, size_t n)
{
	size_t i;

	buf_adds(out, "'");
	for (i = 0; i < n; i++) {
		if (w[i] == '\'')
			buf_adds(out, "''");
		else if (w[i] == '\\')
			buf_adds(out, "\\\\");
		else
			buf_add(out, w + i, 1);
	}
	buf_adds(out, "'");
}

/* Appends to dst the word s[0..n), folded as the index's words are (sc->fold), as lexemes: one, or several next to each
 * other (<->) when folding made punctuation of part of it ("«" is "<<"), which the index splits on; prefix: the
 * last of them a prefix (:*). Adds to *words how many. -1 with err. */
static int lexeme(struct scan *sc, struct buf *dst, const char *s, size_t n, int prefix, size_t *words)
{
	struct buf folded = BUF_INIT(4 * n + 64);
	const char *w;
	size_t i = 0, m, from, parts = 0;
	int r = 0;

	if (sc->fold) {
		if (sc->fold(sc->ctx, s, n, &folded, sc->err, sc->errlen) < 0) {
			buf_release(&folded);
			return -1;
		}
		w = folded.data ? folded.data : "";
		m = folded.len;
	} else {
		w = s;
		m = n;
	}
	while (i < m) {
		while (i < m && !word_char((unsigned char)w[i]))
			i++;
		for (from = i; i < m && word_char((unsigned char)w[i]); i++)
			;
		if (i == from)
			break;
		if (parts++ || *words)
			buf_adds(dst, " <-> ");
		quoted(dst, w + from, i - from);
	}
	if (!parts)
		r = bad(sc, _("only words, \"phrases\", prefix*, AND, OR, NOT and parentheses"));
	else if (prefix)
		buf_adds(dst, ":*");
	*words += parts;
	buf_release(&folded);
	return r;
}

static int or_expr(struct scan *sc);

/* A word, a "phrase" or a (group), with a * after a word or phrase for a prefix. */
static int primary(struct scan *sc)
{
	const char *s = sc->s;

	skip_spaces(sc);
	if (s[sc->i] == '(') {
		if (++sc->depth > SEARCH_MAX_DEPTH)
			return bad(sc, _("too many parentheses"));
		sc->i++;
		buf_adds(sc->out, "(");
		if (or_expr(sc) < 0)
			return -1;
		skip_spaces(sc);
		if (s[sc->i] != ')')
			return bad(sc, _("a parenthesis is not closed"));
		sc->i++;
		sc->depth--;
		buf_adds(sc->out, ")");
		return 0;
	}
	if (s[sc->i] == '"') {
		size_t start = ++sc->i, end, words = 0, w;

		/* Inside quotes, "" is a quote of the text, as in FTS5. */
		while (s[sc->i] && !(s[sc->i] == '"' && s[sc->i + 1] != '"'))
			sc->i += s[sc->i] == '"' ? 2 : 1;
		if (!s[sc->i])
			return bad(sc, _("a quote is not closed"));
		end = sc->i++;
		buf_adds(sc->out, "(");
		for (w = start; w < end;) {
			size_t from, to;

			while (w < end && !word_char((unsigned char)s[w]))
				w++;
			for (from = w; w < end && word_char((unsigned char)s[w]); w++)
				;
			if (w == from)
				break;
			to = w;
			while (w < end && !word_char((unsigned char)s[w]))
				w++;
			/* After the phrase, * makes its last word a prefix, as in FTS5. */
			if (lexeme(sc, sc->out, s + from, to - from, w == end && s[end + 1] == '*', &words) < 0)
				return -1;
		}
		if (!words)
			return bad(sc, _("a phrase has no word"));
		if (s[sc->i] == '*')
			sc->i++;
		buf_adds(sc->out, ")");
		return 0;
	}
	if (word_char((unsigned char)s[sc->i])) {
		size_t from = sc->i;

		if (keyword(sc, "AND") || keyword(sc, "OR") || keyword(sc, "NOT"))
			return bad(sc, _("AND, OR and NOT go between two terms"));
		struct buf one = BUF_INIT(sc->out->max);
		size_t words = 0;
		int prefix, r;

		while (word_char((unsigned char)s[sc->i]))
			sc->i++;
		prefix = s[sc->i] == '*';
		sc->i += (size_t)prefix;
		if ((r = lexeme(sc, &one, s + from, sc->i - (size_t)prefix - from, prefix, &words)) == 0) {
			/* A word that folds into several is their phrase. */
			if (words > 1)
				buf_printf(sc->out, "(%s)", one.data);
			else
				buf_adds(sc->out, one.data);
		}
		buf_release(&one);
		return r;
	}
	if (!s[sc->i])
		return bad(sc, _("a term is missing"));
	return bad(sc, _("only words, \"phrases\", prefix*, AND, OR, NOT and parentheses"));
}

/* Terms with NOT between them: the first without the others. */
static int not_expr(struct scan *sc)
{
	if (primary(sc) < 0)
		return -1;
	for (;;) {
		skip_spaces(sc);
		if (!keyword(sc, "NOT"))
			return 0;
		sc->i += 3;
		buf_adds(sc->out, " & !");
		if (primary(sc) < 0)
			return -1;
	}
}

/* Terms next to each other or with AND between them: all of them. */
static int and_expr(struct scan *sc)
{
	if (not_expr(sc) < 0)
		return -1;
	for (;;) {
		skip_spaces(sc);
		if (!sc->s[sc->i] || sc->s[sc->i] == ')' || keyword(sc, "OR"))
			return 0;
		if (keyword(sc, "AND"))
			sc->i += 3;
		buf_adds(sc->out, " & ");
		if (not_expr(sc) < 0)
			return -1;
	}
}

static int or_expr(struct scan *sc)
{
	if (and_expr(sc) < 0)
		return -1;
	for (;;) {
		skip_spaces(sc);
		if (!keyword(sc, "OR"))
			return 0;
		sc->i += 2;
		buf_adds(sc->out, " | ");
		if (and_expr(sc) < 0)
			return -1;
	}
}

int sstore_search_tsquery(const char *q, sstore_fold_fn fold, void *ctx, struct buf *out, char *err, size_t errlen)
{
	struct scan sc = { q, 0, out, fold, ctx, err, errlen, 0 };

	buf_reset(out);
	if (or_expr(&sc) < 0)
		return -1;
	skip_spaces(&sc);
	if (q[sc.i])
		return bad(&sc, q[sc.i] == ')' ? _("a parenthesis closes nothing") :
					       _("only words, \"phrases\", prefix*, AND, OR, NOT and parentheses"));
	return out->len + 1 < out->max ? 0 : errf(err, errlen, _("the search is too long"));
}
