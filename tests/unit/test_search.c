/* test_search.c - the review page's search, read as FTS5 reads it, written as a PostgreSQL tsquery
 * (sstore_search_tsquery): each kind of term and operator, precedence as FTS5's (NOT, then AND, then OR), what a
 * reviewer types never read as tsquery's own syntax, and every malformed search refused saying why. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "sstore.h"
#include "sstore-int.h"
#include "test.h"

static int fold;

/* A folding for the tests: upper case, and "<<" for "«" (as unaccent: a folding that makes punctuation of part of a
 * word). */
static int upper(void *ctx, const char *word, size_t n, struct buf *out, char *err, size_t errlen)
{
	size_t i;

	(void)ctx;
	(void)err;
	(void)errlen;
	for (i = 0; i < n; i++) {
		char c = word[i] >= 'a' && word[i] <= 'z' ? (char)(word[i] - 32) : word[i];

		if (i + 1 < n && (unsigned char)word[i] == 0xc2 && (unsigned char)word[i + 1] == 0xab) {
			buf_adds(out, "<<");
			i++;
		} else {
			buf_add(out, &c, 1);
		}
	}
	return 0;
}

/* The tsquery of q, or "error: MESSAGE". */
static const char *tsq(const char *q)
{
	static char out[1024];
	struct buf b = BUF_INIT(4096);
	char err[256] = "";

	if (sstore_search_tsquery(q, fold ? upper : NULL, NULL, &b, err, sizeof(err)) < 0)
		snprintf(out, sizeof(out), "error: %s", err);
	else
		snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_release(&b);
	return out;
}

static void test_terms(void)
{
	CHECK_STR(tsq("perez"), "'perez'");
	CHECK_STR(tsq("  perez  "), "'perez'");
	CHECK_STR(tsq("remit*"), "'remit':*");
	CHECK_STR(tsq("p\xc3\xa9rez"), "'p\xc3\xa9rez'");
	CHECK_STR(tsq("\"funding cycles\""), "('funding' <-> 'cycles')");
	/* After a phrase, * makes its last word a prefix, as in FTS5. */
	CHECK_STR(tsq("\"funding, cycles!\"*"), "('funding' <-> 'cycles':*)");
	/* Inside a phrase, what is not a word separates words, a doubled quote too. */
	CHECK_STR(tsq("\"o'brien \"\"&\"\" sons\""), "('o' <-> 'brien' <-> 'sons')");
	CHECK_STR(tsq("under_score 2024"), "'under_score' & '2024'");
}

static void test_operators(void)
{
	CHECK_STR(tsq("a b"), "'a' & 'b'");
	CHECK_STR(tsq("a AND b"), "'a' & 'b'");
	CHECK_STR(tsq("a OR b c"), "'a' | 'b' & 'c'");
	CHECK_STR(tsq("a NOT b c"), "'a' & !'b' & 'c'");
	CHECK_STR(tsq("(a OR b) NOT (c d)"), "('a' | 'b') & !('c' & 'd')");
	/* Lower-case keywords are words, as in FTS5. */
	CHECK_STR(tsq("a or b"), "'a' & 'or' & 'b'");
	CHECK_STR(tsq("ORANGE ANDES NOTE"), "'ORANGE' & 'ANDES' & 'NOTE'");
}

static void test_refused(void)
{
	CHECK_STR(tsq("\"unterminated"), "error: it is not a search: a quote is not closed");
	CHECK_STR(tsq("AND"), "error: it is not a search: AND, OR and NOT go between two terms");
	CHECK_STR(tsq("a OR"), "error: it is not a search: a term is missing");
	CHECK_STR(tsq("NOT a"), "error: it is not a search: AND, OR and NOT go between two terms");
	CHECK_STR(tsq("("), "error: it is not a search: a term is missing");
	CHECK_STR(tsq("(a"), "error: it is not a search: a parenthesis is not closed");
	CHECK_STR(tsq("a)"), "error: it is not a search: a parenthesis closes nothing");
	CHECK_STR(tsq("\"\""), "error: it is not a search: a phrase has no word");
	CHECK_STR(tsq(""), "error: it is not a search: a term is missing");
	/* tsquery's own syntax is not the search's: never passed through. */
	CHECK_STR(tsq("a & b"), "error: it is not a search: only words, \"phrases\", prefix*, AND, OR, NOT and parentheses");
	CHECK_STR(tsq("a:*"), "error: it is not a search: only words, \"phrases\", prefix*, AND, OR, NOT and parentheses");
	CHECK_STR(tsq("'a'"), "error: it is not a search: only words, \"phrases\", prefix*, AND, OR, NOT and parentheses");
	{
		char deep[200];

		memset(deep, '(', 40);
		strcpy(deep + 40, "a");
		CHECK_STR(tsq(deep), "error: it is not a search: too many parentheses");
	}
}

/* Words are folded one by one, the keywords kept as typed; what folds into punctuation splits the word. */
static void test_folded(void)
{
	fold = 1;
	CHECK_STR(tsq("perez or AND county"), "'PEREZ' & 'OR' & 'COUNTY'");
	CHECK_STR(tsq("ministry OR county"), "'MINISTRY' | 'COUNTY'");
	CHECK_STR(tsq("a\xc2\xab" "b*"), "('A' <-> 'B':*)");
	CHECK_STR(tsq("\"x a\xc2\xab" "b\""), "('X' <-> 'A' <-> 'B')");
	CHECK_STR(tsq("\xc2\xab"), "error: it is not a search: only words, \"phrases\", prefix*, AND, OR, NOT and parentheses");
	fold = 0;
}

int main(void)
{
	RUN(test_terms);
	RUN(test_folded);
	RUN(test_operators);
	RUN(test_refused);
	return test_done();
}
