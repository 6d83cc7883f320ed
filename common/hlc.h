/* hlc.h - hybrid logical clock stamps: 48 bits of milliseconds since the epoch, 16 bits of counter.
 *
 * A stamp never goes backwards on one device, whatever the wall clock does, and after observing another
 * device's stamp it is greater than it. Stamps order concurrent edits for display only: the merge never uses
 * them to decide whether a conflict exists. */
#ifndef SONDEO_HLC_H
#define SONDEO_HLC_H

#include <stdint.h>

#define HLC_MS(s) ((s) >> 16)
#define HLC_COUNT(s) ((s) & 0xffff)
#define HLC_MAKE(ms, c) (((uint64_t)(ms) << 16) | ((uint64_t)(c) & 0xffff))

/* The next stamp after last, given the wall clock wall_ms: max(wall, last's ms), with the counter bumped when
 * the milliseconds did not move. */
uint64_t hlc_next(uint64_t last, uint64_t wall_ms);
/* The next stamp after last that is also after a stamp received from elsewhere. */
uint64_t hlc_observe(uint64_t last, uint64_t remote, uint64_t wall_ms);

#endif
