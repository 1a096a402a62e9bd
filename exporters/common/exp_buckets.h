/* exp_buckets.h - the bounds of an exponential histogram's buckets, for exporters that write them
 * as explicit buckets (Prometheus) or as bucket options (Cloud Monitoring).
 * Thread-safety: pure functions. */
#ifndef CENSUS_EXPORTERS_EXP_BUCKETS_H
#define CENSUS_EXPORTERS_EXP_BUCKETS_H

#include <stdint.h>

/* The upper bound 2^((index + 1) / 2^scale) of bucket `index` at `scale` (-10 .. 20), the bucket
 * being (base^index, base^(index+1)] with base = 2^(2^-scale): exact for scale <= 0 (a power of
 * two), else within an ulp or so of the irrational bound (exp2 of the fractional part, ldexp of the
 * integer part). +Inf past the largest double, 0 below the smallest. */
double census__exp_upper_bound(int scale, int64_t index);

#endif
