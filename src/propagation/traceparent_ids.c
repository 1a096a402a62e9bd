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
#else
typedef int census__tp_avx2_unused; /* ISO C: a translation unit is not empty */
#endif
