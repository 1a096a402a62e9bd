/* exp_index.c - the out-of-line cases of census__exp_index() (see exp_index.h): subnormal inputs,
 * normalised here, and scales 11..20, where the scale-10 count j10 (exact, from the tables) is
 * refined by a binary search over the scale-s boundaries inside that scale-10 bucket:
 * 2^(j10/1024) * 2^(b/2^s) for 0 <= b < 2^(s-10), each a product of two correctly rounded long
 * doubles (the tables), compared with the mantissa, itself exact as a long double. No libm. */
#include "stats/exp_index.h"

int64_t census__exp_index_slow(double x, int scale) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int64_t biased = (int64_t)(bits >> 52) & 0x7ff;
  uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
  int64_t e;
  if (biased == 0) {
    /* Subnormal: x = frac * 2^-1074, frac != 0 (x > 0). */
    int top = 63 - __builtin_clzll(frac);
    e = top - 1074;
    frac = (frac << (52 - top)) & ((UINT64_C(1) << 52) - 1);
  } else {
    e = biased - 1023;
  }
  if (scale <= 0) {
    return (e - (frac == 0)) >> -scale;
  }
  if (frac == 0) {
    return e * ((int64_t)1 << scale) - 1;
  }
  uint64_t j10 = census__exp_j10(frac);
  if (scale <= 10) {
    return e * ((int64_t)1 << scale) + (int64_t)(j10 >> (10 - scale));
  }
  long double m = 1.0L + (long double)frac / (long double)(UINT64_C(1) << 52);
  long double low = census__exp_b10[j10];
  int shift = CENSUS__EXP_MAX_SCALE - scale;
  /* Largest b with low * 2^(b/2^s) < m: b = 0 holds (j10's boundary is below m), b = 2^(s-10)
   * (the next scale-10 boundary) does not. */
  uint64_t lo = 0, hi = UINT64_C(1) << (scale - 10);
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (low * census__exp_sub20[mid << shift] < m) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return e * ((int64_t)1 << scale) + (int64_t)((j10 << (scale - 10)) + lo);
}
