/* exp_buckets.c - see exp_buckets.h. */
#include "exp_buckets.h"

#include <math.h>

double census__exp_upper_bound(int scale, int64_t index) {
  int64_t k = index + 1; /* the bound is 2^(k / 2^scale) */
  if (scale <= 0) {
    int64_t e = k * ((int64_t)1 << -scale);
    return e > 1100 ? INFINITY : e < -1100 ? 0.0 : ldexp(1.0, (int)e);
  }
  int64_t q = k >> scale; /* floor */
  int64_t r = k - q * ((int64_t)1 << scale);
  if (q > 1100 || q < -1100) {
    return q > 0 ? INFINITY : 0.0;
  }
  return ldexp(exp2(ldexp((double)r, -scale)), (int)q);
}
