/* hlc.h - hybrid logical clock stamps: 48 bits of milliseconds since the epoch, 16 bits of counter.
 *
 * A stamp never goes backwards on one device, whatever the wall clock does, and after observing another
 * device's stamp it is greater than it, unless that stamp is far ahead of this device's wall clock: then it is
 * adopted only up to HLC_MAX_AHEAD_MS ahead, so one wrong clock cannot carry every replica's clock with it.
 * Stamps order concurrent edits for display only: the merge never uses them to decide whether a conflict
 * exists, so two equal stamps are fine. */
#ifndef SONDEO_HLC_H
#define SONDEO_HLC_H

#include <stdint.h>

#define HLC_MS(s) ((s) >> 16)
#define HLC_COUNT(s) ((s) & 0xffff)
#define HLC_MAKE(ms, c) (((uint64_t)(ms) << 16) | ((uint64_t)(c) & 0xffff))

/* The highest stamp on the wire (PROTOCOL.md): milliseconds below 2^46 (before the year 4199). The same bound on
 * every replica, so that all accept the same ops; well below 2^63, so that no stamp adopted from another device
 * can ever push the next one past what a JSON integer holds. */
#define HLC_MAX_MS ((1ULL << 46) - 1)
#define HLC_MAX HLC_MAKE(HLC_MAX_MS, 0xffff)
/* How far ahead of its own wall clock a replica adopts a remote stamp: the window signed requests allow. */
#define HLC_MAX_AHEAD_MS (5ULL * 60 * 1000)

/* The next stamp after last, given the wall clock wall_ms: max(wall, last's ms), with the counter bumped when
 * the milliseconds did not move. Never over HLC_MAX: it stays there (a wall clock past the year 4199 is
 * wrong). A last over HLC_MAX (kept by an older version) is forgotten, since no replica accepts such a stamp. */
uint64_t hlc_next(uint64_t last, uint64_t wall_ms);
/* The next stamp after last that is also after a stamp received from elsewhere, remote, adopted only up to
 * HLC_MAX_AHEAD_MS past wall_ms: a remote further ahead does not move this clock further. */
uint64_t hlc_observe(uint64_t last, uint64_t remote, uint64_t wall_ms);

#endif
