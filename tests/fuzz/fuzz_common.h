/* fuzz_common.h - what every census fuzz target shares: a hard failure that libFuzzer reports
 * (abort, not assert, so it also fires in release builds). */
#ifndef CENSUS_FUZZ_COMMON_H
#define CENSUS_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

/* Aborts with a message when an invariant of the code under test does not hold. */
#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);                \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

#endif
