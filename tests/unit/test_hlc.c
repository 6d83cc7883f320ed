/* test_hlc.c - hybrid logical clock stamps: packing, monotonic whatever the wall clock does, after a remote. */
#include <stdint.h>

#include "hlc.h"
#include "test.h"

#define T 1520000000000ULL   /* a wall clock time in ms (2018-03-02) */
#define HOUR 3600000ULL

static void test_packing(void)
{
	uint64_t s = HLC_MAKE(0x123456789abcULL, 0xdef0);

	CHECK(s == 0x123456789abcdef0ULL);
	CHECK(HLC_MS(s) == 0x123456789abcULL);
	CHECK_INT(HLC_COUNT(s), 0xdef0);
	/* A counter too big for 16 bits must not spill into the milliseconds. */
	CHECK(HLC_MAKE(7, 0x1ffff) == HLC_MAKE(7, 0xffff));
	CHECK(HLC_MS(HLC_MAKE(7, 0x1ffff)) == 7);
	CHECK(HLC_MAKE(0xffffffffffffULL, 0xffff) == UINT64_MAX);
	/* Stamps order by milliseconds first, then counter. */
	CHECK(HLC_MAKE(T, 0xffff) < HLC_MAKE(T + 1, 0));
}

static void test_wall_clock_moves_forward(void)
{
	uint64_t s = hlc_next(0, T);

	CHECK(s == HLC_MAKE(T, 0));
	s = hlc_next(s, T + 5);
	CHECK(s == HLC_MAKE(T + 5, 0));
}

static void test_wall_clock_stands_still(void)
{
	uint64_t s = HLC_MAKE(T, 0);

	s = hlc_next(s, T);
	CHECK(s == HLC_MAKE(T, 1));
	s = hlc_next(s, T);
	CHECK(s == HLC_MAKE(T, 2));
	s = hlc_next(s, T + 1);
	CHECK(s == HLC_MAKE(T + 1, 0));
}

static void test_wall_clock_goes_back_hours(void)
{
	uint64_t s = HLC_MAKE(T, 5), prev;
	int i, bad = 0;

	s = hlc_next(s, T - 3 * HOUR);
	CHECK(s == HLC_MAKE(T, 6));
	for (i = 0; i < 1000; i++) {
		prev = s;
		s = hlc_next(s, T - 3 * HOUR + (uint64_t)i);
		if (s <= prev || HLC_MS(s) != T)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK(s == HLC_MAKE(T, 1006));
	/* Once the wall clock passes the stamps again, it leads. */
	s = hlc_next(s, T + HOUR);
	CHECK(s == HLC_MAKE(T + HOUR, 0));
}

static void test_counter_overflow_borrows_a_millisecond(void)
{
	uint64_t s = HLC_MAKE(T, 0xfffe);

	s = hlc_next(s, T);
	CHECK(s == HLC_MAKE(T, 0xffff));
	s = hlc_next(s, T);
	CHECK(s == HLC_MAKE(T + 1, 0));
	CHECK(s > HLC_MAKE(T, 0xffff));
	/* The borrowed millisecond now stands ahead of the wall clock: the counter runs on from it. */
	s = hlc_next(s, T);
	CHECK(s == HLC_MAKE(T + 1, 1));
	s = hlc_next(s, T + 1);
	CHECK(s == HLC_MAKE(T + 1, 2));
	s = hlc_next(HLC_MAKE(T, 0xffff), T - HOUR);
	CHECK(s == HLC_MAKE(T + 1, 0));
}

static void test_long_run_is_strictly_increasing(void)
{
	uint64_t s = 0, prev, wall = T, x = 88172645463325252ULL;
	int i, bad = 0;

	for (i = 0; i < 200000; i++) {
		/* xorshift: the wall clock stalls, creeps, jumps back hours and forward days, at random. */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		switch (x % 8) {
		case 0: wall -= 2 * HOUR; break;
		case 1: wall += 24 * HOUR; break;
		case 2: case 3: wall += x % 3; break;
		default: break;
		}
		prev = s;
		s = (x >> 8) % 16 ? hlc_next(s, wall) : hlc_observe(s, HLC_MAKE(wall + (x >> 20) % HOUR, x >> 48), wall);
		if (s <= prev)
			bad++;
	}
	CHECK_INT(bad, 0);
}

static void test_observe_remote_in_the_future(void)
{
	uint64_t last = HLC_MAKE(T, 3), remote = HLC_MAKE(T + 60000, 7);
	uint64_t s = hlc_observe(last, remote, T);

	/* A minute ahead is inside the window: adopted. */
	CHECK(s > remote);
	CHECK(s > last);
	CHECK(s == HLC_MAKE(T + 60000, 8));
	/* And the next local stamp stays after it, though the wall clock is behind. */
	CHECK(hlc_next(s, T) == HLC_MAKE(T + 60000, 9));
	/* A remote at a full counter. */
	s = hlc_observe(last, HLC_MAKE(T + 10, 0xffff), T);
	CHECK(s == HLC_MAKE(T + 11, 0));
}

/* A remote clock a year (or 1000 hours) ahead moves this one only to the edge of the window, never further. */
static void test_observe_caps_a_remote_far_ahead(void)
{
	uint64_t last = HLC_MAKE(T, 3), s;

	s = hlc_observe(last, HLC_MAKE(T + 1000 * HOUR, 7), T);
	CHECK(s == HLC_MAKE(T + HLC_MAX_AHEAD_MS + 1, 0));
	CHECK(HLC_MS(s) - T <= HLC_MAX_AHEAD_MS + 1);
	s = hlc_observe(last, HLC_MAKE(T + HLC_MAX_AHEAD_MS, 9), T);
	CHECK(s == HLC_MAKE(T + HLC_MAX_AHEAD_MS, 10));
	/* Once the wall clock passes the cap, it leads again: the record made then is dated by it. */
	CHECK(hlc_next(s, T + HOUR) == HLC_MAKE(T + HOUR, 0));
	/* A stamp already ahead (adopted earlier) is kept: the clock never goes back. */
	last = HLC_MAKE(T + 2 * HOUR, 0);
	CHECK(hlc_observe(last, HLC_MAKE(T + 1000 * HOUR, 0), T) == HLC_MAKE(T + 2 * HOUR, 1));
}

/* A stamp just below 2^63 (the poison) cannot push this clock anywhere near the wire bound, let alone past what
 * a JSON integer holds, and a clock that adopted one under an older version starts again from the wall clock. */
static void test_poison_and_saturation(void)
{
	uint64_t poison = (1ULL << 63) - 1, s;
	int i, bad = 0;

	CHECK(HLC_MAX == (1ULL << 62) - 1);
	s = hlc_observe(HLC_MAKE(T, 0), poison, T);
	CHECK(s == HLC_MAKE(T + HLC_MAX_AHEAD_MS + 1, 0));
	CHECK(hlc_next(poison, T) == HLC_MAKE(T, 0));
	CHECK(hlc_observe(poison, HLC_MAKE(T, 5), T) == HLC_MAKE(T, 6));
	/* A wall clock past the bound is read as the bound, and stamps saturate there instead of passing it. */
	s = hlc_next(0, UINT64_MAX);
	CHECK(s == HLC_MAKE(HLC_MAX_MS, 0));
	for (i = 0; i < 0x20000; i++) {
		uint64_t prev = s;

		s = hlc_next(s, UINT64_MAX);
		if (s > HLC_MAX || s < prev)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK(s == HLC_MAX);
	CHECK(hlc_next(HLC_MAX, HLC_MAX_MS) == HLC_MAX);
	CHECK(hlc_observe(HLC_MAX, HLC_MAX, UINT64_MAX) == HLC_MAX);
	CHECK(hlc_observe(0, HLC_MAX, HLC_MAX_MS - 1) == HLC_MAX);
	CHECK(hlc_observe(0, poison, UINT64_MAX) == HLC_MAX);
}

static void test_observe_remote_in_the_past(void)
{
	uint64_t last = HLC_MAKE(T, 3);

	CHECK(hlc_observe(last, HLC_MAKE(T - HOUR, 9), T) == HLC_MAKE(T, 4));
	CHECK(hlc_observe(last, last, T) == HLC_MAKE(T, 4));
	CHECK(hlc_observe(last, HLC_MAKE(T - HOUR, 9), T + 2) == HLC_MAKE(T + 2, 0));
	CHECK(hlc_observe(last, HLC_MAKE(T + 1, 9), T + 2) == HLC_MAKE(T + 2, 0));
}

int main(void)
{
	RUN(test_packing);
	RUN(test_wall_clock_moves_forward);
	RUN(test_wall_clock_stands_still);
	RUN(test_wall_clock_goes_back_hours);
	RUN(test_counter_overflow_borrows_a_millisecond);
	RUN(test_long_run_is_strictly_increasing);
	RUN(test_observe_remote_in_the_future);
	RUN(test_observe_remote_in_the_past);
	RUN(test_observe_caps_a_remote_far_ahead);
	RUN(test_poison_and_saturation);
	return test_done();
}
