/* hlc.c - hybrid logical clock stamps. */
#include "hlc.h"
#include "banned.h"

uint64_t hlc_next(uint64_t last, uint64_t wall_ms)
{
	uint64_t ms = wall_ms & 0xffffffffffffULL;

	if (ms > HLC_MS(last))
		return HLC_MAKE(ms, 0);
	/* The wall clock stood still or went back: stay on the last time and count. When the counter is full,
	 * borrow the next millisecond rather than wrap. */
	return last + 1;
}

uint64_t hlc_observe(uint64_t last, uint64_t remote, uint64_t wall_ms)
{
	return hlc_next(remote > last ? remote : last, wall_ms);
}
