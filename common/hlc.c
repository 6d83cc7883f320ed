/* hlc.c - hybrid logical clock stamps. */
#include "hlc.h"
#include "banned.h"

uint64_t hlc_next(uint64_t last, uint64_t wall_ms)
{
	uint64_t ms = wall_ms > HLC_MAX_MS ? HLC_MAX_MS : wall_ms;

	if (last > HLC_MAX)
		last = 0;
	if (ms > HLC_MS(last))
		return HLC_MAKE(ms, 0);
	/* The wall clock stood still or went back: stay on the last time and count. When the counter is full,
	 * borrow the next millisecond rather than wrap; at the bound, stay on it. */
	return last < HLC_MAX ? last + 1 : HLC_MAX;
}

uint64_t hlc_observe(uint64_t last, uint64_t remote, uint64_t wall_ms)
{
	uint64_t ms = wall_ms > HLC_MAX_MS - HLC_MAX_AHEAD_MS ? HLC_MAX_MS : wall_ms + HLC_MAX_AHEAD_MS;
	uint64_t cap = HLC_MAKE(ms, 0xffff);

	if (remote > cap)
		remote = cap;
	if (last > HLC_MAX)
		last = 0;
	return hlc_next(remote > last ? remote : last, wall_ms);
}
