/* traceparent_ids.c - the AVX2 traceparent parse out of line, and its constants
 * (traceparent_ids.h). */
#include "propagation/traceparent_ids.h"

#if CENSUS__TP_AVX2
#define SPLAT(w)                                                                                   \
  { (long long)(w), (long long)(w), (long long)(w), (long long)(w) }
#define SPLAT8(b) SPLAT(0x0101010101010101ULL * (uint8_t)(b))

const __m256i census__tp_avx2_constants[CENSUS__TPK_COUNT] = {
    [CENSUS__TPK_TO_DIGITS] = SPLAT8(0x80 - '0'),
    [CENSUS__TPK_DIGITS_BELOW] = SPLAT8(-128 + 10),
    [CENSUS__TPK_TO_LETTERS] = SPLAT8(0x80 - 'a'),
    [CENSUS__TPK_LETTERS_BELOW] = SPLAT8(-128 + 6),
    [CENSUS__TPK_LOW_NIBBLE] = SPLAT8(0x0f),
    [CENSUS__TPK_NINE] = SPLAT8(9),
    [CENSUS__TPK_PAIR_WEIGHTS] = SPLAT(0x0110011001100110ULL), /* bytes 16, 1 */
    /* The tail value[23..55): hex digits but for the dashes at 35 and 52 (bytes 12 and 29). */
    [CENSUS__TPK_TAIL_HEX] = {-1, (long long)~(0xffULL << 32), -1, (long long)~(0xffULL << 40)},
    [CENSUS__TPK_TAIL_DASHES] = {0, (long long)((uint64_t)'-' << 32), 0,
                                 (long long)((uint64_t)'-' << 40)},
};

__attribute__((target("avx2"))) bool census__traceparent_parse55(const char *value,
                                                                 census_trace_context *context) {
  return census__traceparent_parse55_avx2(value, context);
}

/* Whether value's first NUL is value[55], by the aligned 32-byte blocks from the one that holds
 * value[0]: an aligned block never crosses a page, and each block is read only when the one
 * before held no NUL at or after value, so it holds a byte of the string (what strlen does;
 * Valgrind's memcheck takes such aligned partial loads, --partial-loads-ok, its default). The
 * first block's bits below value are shifted out. Value[55] lies in the second block when value
 * sits at most 8 bytes into its block, else in the third; a shift left moves its bit to bit 31,
 * and the mask is then exactly that bit when no NUL comes before it. */
#if defined(__SANITIZE_ADDRESS__)
#define TP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_ASAN 1
#endif
#endif
__attribute__((always_inline, target("avx2"))) static inline bool nul_at_55(const char *value) {
#ifdef TP_ASAN
  /* AddressSanitizer builds measure the value: the blocks cover bytes before the value and past
   * its terminator, which belong to no object of the caller's, in red zones ASan watches. The
   * release tests (tests/unit/test_traceparent_ids.c) cover the blocks. */
  return strlen(value) == CENSUS_TRACEPARENT_LENGTH;
#else
  enum { IN_SECOND = 64 - CENSUS_TRACEPARENT_LENGTH - 1 }; /* the last skip with value[55] there */
  unsigned skip = (unsigned)((uintptr_t)value & 31);
  const __m256i *block = (const __m256i *)(const void *)(value - skip);
  __m256i zero = _mm256_setzero_si256();
  uint32_t nul = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_load_si256(block), zero));
  if (nul >> skip != 0) {
    return false; /* at most 32 characters */
  }
  nul = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_load_si256(block + 1), zero));
  if (skip <= IN_SECOND) {
    return (uint32_t)(nul << (IN_SECOND - skip)) == 1u << 31;
  }
  if (nul != 0) {
    return false;
  }
  nul = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_load_si256(block + 2), zero));
  return (uint32_t)(nul << (32 + IN_SECOND - skip)) == 1u << 31;
#endif
}

/* The parse proper reads value[0..55) only once the length is 55. A leaf but for the jump to the
 * general parse: GCC realigns the stack of a function with 32-byte vectors that calls out. */
__attribute__((target("avx2"))) bool census__traceparent_parse_nul(const char *value,
                                                                   census_trace_context *context) {
  uint16_t head;
  if (!nul_at_55(value) || (memcpy(&head, value, 2), head != ('0' << 8 | '0'))) {
    return census__traceparent_parse_measured(value, context);
  }
  if (census__traceparent_parse55_avx2(value, context)) {
    return true;
  }
  census__context_reset(context);
  return false;
}
#else
typedef int census__tp_avx2_unused; /* ISO C: a translation unit is not empty */
#endif
