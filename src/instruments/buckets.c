/* buckets.c - bucket bounds for histograms: generated (linear, exponential) and named sets.
 *
 * The generators check what they make rather than only their arguments: a bound must be finite
 * and above the one before it, as census_aggregation_distribution_new() requires, and rounding can
 * break that even for valid-looking arguments (a width lost against a large start, a product
 * overflowing to infinity). Linear bounds are start + i * width, one rounding each, rather than a
 * running sum, whose errors would add up; exponential bounds are a running product, as
 * client_golang makes them (exact for powers of two).
 */
#include <math.h>

#include "census/instruments.h"

static const double otel_default_bounds[] = {0,   5,   10,   25,   50,   75,   100,  250,
                                             500, 750, 1000, 2500, 5000, 7500, 10000};
static const double default_seconds_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5,   1,    2.5,   5,    10};

CENSUS_EXPORT const double *census_buckets_otel_default(size_t *count) {
  if (count) {
    *count = sizeof otel_default_bounds / sizeof otel_default_bounds[0];
  }
  return otel_default_bounds;
}

CENSUS_EXPORT const double *census_buckets_default_seconds(size_t *count) {
  if (count) {
    *count = sizeof default_seconds_bounds / sizeof default_seconds_bounds[0];
  }
  return default_seconds_bounds;
}

/* CENSUS_OK when bounds[0..count) are finite and strictly increasing, else CENSUS_EBADBOUNDS. */
static census_status check(const double *bounds, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      return CENSUS_EBADBOUNDS;
    }
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_buckets_linear(double start, double width, size_t count,
                                                  double *bounds) {
  if (!bounds || count == 0 || !isfinite(start) || !isfinite(width) || !(width > 0)) {
    return CENSUS_EINVAL;
  }
  for (size_t i = 0; i < count; i++) {
    bounds[i] = start + (double)i * width;
  }
  return check(bounds, count);
}

CENSUS_EXPORT census_status census_buckets_exponential(double start, double factor, size_t count,
                                                       double *bounds) {
  if (!bounds || count == 0 || !isfinite(start) || !(start > 0) || !isfinite(factor) ||
      !(factor > 1)) {
    return CENSUS_EINVAL;
  }
  double bound = start;
  for (size_t i = 0; i < count; i++) {
    bounds[i] = bound;
    bound *= factor;
  }
  return check(bounds, count);
}
