/* test_uuid.c - version 4 UUIDs: canonical lowercase form, version and variant bits, no repeats. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "uuid.h"

#define MANY 10000

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 1 if s has the canonical shape with the version 4 and RFC 4122 variant bits. */
static int well_formed(const char *s)
{
	size_t i;

	if (strlen(s) != UUID_STRLEN)
		return 0;
	for (i = 0; i < UUID_STRLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_lower_hex(s[i])) {
			return 0;
		}
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static void test_format(void)
{
	char u[UUID_STRLEN + 1];

	memset(u, 'X', sizeof(u));
	uuid_new(u);
	CHECK_INT(u[UUID_STRLEN], '\0');
	CHECK_INT(strlen(u), 36);
	CHECK(well_formed(u));
	CHECK_INT(uuid_valid(u), 1);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_many_distinct_and_well_formed(void)
{
	char (*u)[UUID_STRLEN + 1] = calloc(MANY, sizeof(*u));
	int i, bad = 0, dup = 0, variants[4] = { 0 };

	CHECK(u != NULL);
	if (!u)
		return;
	for (i = 0; i < MANY; i++) {
		uuid_new(u[i]);
		if (!well_formed(u[i]) || !uuid_valid(u[i]))
			bad++;
		else
			variants[strchr("89ab", u[i][19]) - "89ab"]++;
	}
	qsort(u, MANY, sizeof(*u), cmp);
	for (i = 1; i < MANY; i++)
		if (!strcmp(u[i - 1], u[i]))
			dup++;
	CHECK_INT(bad, 0);
	CHECK_INT(dup, 0);
	/* The two free variant bits are random too: all four values turn up. */
	CHECK(variants[0] > 0 && variants[1] > 0 && variants[2] > 0 && variants[3] > 0);
	free(u);
}

static void test_valid_rejects(void)
{
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a456-426614174000"), 1);
	CHECK_INT(uuid_valid("123E4567-e89b-42d3-a456-426614174000"), 0);
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a456-42661417400A"), 0);
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a456-42661417400"), 0);
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a456-4266141740000"), 0);
	CHECK_INT(uuid_valid("123e4567e-89b-42d3-a456-426614174000"), 0);
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a4564-26614174000"), 0);
	CHECK_INT(uuid_valid("123e4567_e89b_42d3_a456_426614174000"), 0);
	CHECK_INT(uuid_valid("123e45670e89b042d30a4560426614174000"), 0);
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a456-42661417400g"), 0);
	CHECK_INT(uuid_valid("{23e4567-e89b-42d3-a456-426614174000"), 0);
	CHECK_INT(uuid_valid("123e4567-e89b-42d3-a456-426614174000\n"), 0);
	CHECK_INT(uuid_valid(" 123e4567-e89b-42d3-a456-426614174000"), 0);
	CHECK_INT(uuid_valid(""), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_format);
	RUN(test_many_distinct_and_well_formed);
	RUN(test_valid_rejects);
	return test_done();
}
