/* test.h - the unit tests' tiny harness.
 *
 * A test file defines functions `static void test_xxx(void)` that use CHECK* and lists them in main() with
 * RUN(test_xxx); main ends with `return test_done();`. Each test prints "ok NAME" or "not ok NAME" followed by
 * the failing checks with file and line, which tests/run.sh counts. */
#ifndef SONDEO_TEST_H
#define SONDEO_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures_now;   /* failed checks in the running test */
static int test_failed_total;   /* failed tests */

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stdout, "#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		test_failures_now++; \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { \
		fprintf(stdout, "#   %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); \
		test_failures_now++; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { \
		fprintf(stdout, "#   %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
			a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		test_failures_now++; \
	} \
} while (0)

#define RUN(fn) do { \
	test_failures_now = 0; \
	fn(); \
	if (test_failures_now) \
		test_failed_total++; \
	fprintf(stdout, "%s %s\n", test_failures_now ? "not ok" : "ok", #fn); \
	fflush(stdout); \
} while (0)

static inline int test_done(void)
{
	return test_failed_total ? 1 : 0;
}

#endif
