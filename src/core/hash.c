/* hash.c - FNV-1a over bytes with a final avalanche. Tag values are short (<= 255 bytes) and are
 * hashed once per tag-map put, so a simple byte loop is fast enough and has no alignment traps. */
#include "core/hash.h"

uint64_t census__hash_bytes(const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h = (h ^ p[i]) * 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}
