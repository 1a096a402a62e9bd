/* clock.c - clock reads. clock_gettime goes through the vDSO on Linux, so these cost tens of
 * nanoseconds and never enter the kernel; the record path calls them only for last-value views. */
#include "core/clock.h"

#include <time.h>

static int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t census__unix_ns(void) { return clock_ns(CLOCK_REALTIME); }

int64_t census__monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

int64_t census__deadline_after_ms(int64_t timeout_ms) {
  if (timeout_ms < 0 || timeout_ms > INT64_MAX / 2000000) {
    return INT64_MAX;
  }
  return census__monotonic_ns() + timeout_ms * 1000000;
}

int census__ms_until(int64_t deadline_ns) {
  if (deadline_ns == INT64_MAX) {
    return INT32_MAX;
  }
  int64_t left = (deadline_ns - census__monotonic_ns() + 999999) / 1000000;
  if (left < 0) {
    return 0;
  }
  return left > INT32_MAX ? INT32_MAX : (int)left;
}
