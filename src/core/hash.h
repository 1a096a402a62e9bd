/* hash.h - the hash used for tag values and series tuples. Tag values are hashed once, when put
 * into a tag map; a series tuple's hash combines the stored value hashes, so recording never
 * rehashes strings. */
#ifndef CENSUS_CORE_HASH_H
#define CENSUS_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t census__hash_bytes(const void *data, size_t len);

/* Folds `value` into `state`; order-sensitive, so (a, b) and (b, a) differ. */
static inline uint64_t census__hash_combine(uint64_t state, uint64_t value) {
  uint64_t x = (state ^ value) * 0x9e3779b97f4a7c15ULL;
  return x ^ (x >> 29);
}

#endif
