/* clock.h - the two clocks census reads: Unix time for reported timestamps, monotonic time for
 * deadlines and intervals. Both in nanoseconds. */
#ifndef CENSUS_CORE_CLOCK_H
#define CENSUS_CORE_CLOCK_H

#include <stdint.h>

int64_t census__unix_ns(void);
int64_t census__monotonic_ns(void);
/* The monotonic deadline timeout_ms from now; a negative timeout gives INT64_MAX (no limit). */
int64_t census__deadline_after_ms(int64_t timeout_ms);
/* Milliseconds left until a monotonic deadline, clamped to [0, INT32_MAX]. */
int census__ms_until(int64_t deadline_ns);

#endif
