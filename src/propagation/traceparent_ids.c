/* traceparent_ids.c - census__traceparent_ids_avx2(): the AVX2 decode of a traceparent value's ids
 * (see traceparent_ids.h). Compiled for AVX2 by a target attribute, so the library itself still
 * runs on every x86-64; it is called only after __builtin_cpu_supports("avx2").
 *
 * Each character is classified as in hex.h (one add and one signed compare per range: the add
 * moves the range's first character to -128), its value is its low nibble plus 9 for a letter,
 * and pmaddubsw turns each pair of digit values into first * 16 + second in a 16-bit lane. */
#include "propagation/traceparent_ids.h"

#if CENSUS__TP_AVX2
#include <immintrin.h>
#include <stdint.h>

#define SPLAT(w) {(long long)(w), (long long)(w), (long long)(w), (long long)(w)}
#define SPLAT8(b) SPLAT(0x0101010101010101ULL * (uint8_t)(b))

enum { TO_DIGITS, DIGITS_BELOW, TO_LETTERS, LETTERS_BELOW, LOW_NIBBLE, NINE, PAIR_WEIGHTS };
static const __m256i constants[] = {
    [TO_DIGITS] = SPLAT8(0x80 - '0'),
    [DIGITS_BELOW] = SPLAT8(-128 + 10),
    [TO_LETTERS] = SPLAT8(0x80 - 'a'),
    [LETTERS_BELOW] = SPLAT8(-128 + 6),
    [LOW_NIBBLE] = SPLAT8(0x0f),
    [NINE] = SPLAT8(9),
    [PAIR_WEIGHTS] = SPLAT(0x0110011001100110ULL), /* bytes 16, 1: first * 16 + second */
};

__attribute__((target("avx2"))) bool census__traceparent_ids_avx2(const char *value,
                                                                  census_trace_context *context) {
  /* The constants through a pointer the compiler cannot see through (the empty asm): GCC
   * otherwise rebuilds each known vector in registers, a move and a broadcast apiece, where a
   * memory operand costs nothing. The 16-byte forms are the low halves. */
  const __m256i *k = constants;
  __asm__("" : "+r"(k));
  const __m128i *k16 = (const __m128i *)(const void *)k;
#define K16(i) _mm_load_si128(&k16[2 * (i)])
  __m256i trace = _mm256_loadu_si256((const __m256i *)(const void *)(value + CENSUS__TP_TRACE_ID));
  __m128i span = _mm_loadu_si128((const __m128i *)(const void *)(value + CENSUS__TP_SPAN_ID));
  __m256i letter_t =
      _mm256_cmpgt_epi8(k[LETTERS_BELOW], _mm256_add_epi8(trace, k[TO_LETTERS]));
  __m128i letter_s = _mm_cmpgt_epi8(K16(LETTERS_BELOW), _mm_add_epi8(span, K16(TO_LETTERS)));
  __m256i hex_t = _mm256_or_si256(
      _mm256_cmpgt_epi8(k[DIGITS_BELOW], _mm256_add_epi8(trace, k[TO_DIGITS])), letter_t);
  __m128i hex_s =
      _mm_or_si128(_mm_cmpgt_epi8(K16(DIGITS_BELOW), _mm_add_epi8(span, K16(TO_DIGITS))), letter_s);
  if (_mm256_movemask_epi8(hex_t) != -1 || _mm_movemask_epi8(hex_s) != 0xffff) {
    return false;
  }
  __m256i nibbles_t =
      _mm256_add_epi8(_mm256_and_si256(trace, k[LOW_NIBBLE]), _mm256_and_si256(letter_t, k[NINE]));
  __m128i nibbles_s =
      _mm_add_epi8(_mm_and_si128(span, K16(LOW_NIBBLE)), _mm_and_si128(letter_s, K16(NINE)));
  __m256i pairs_t = _mm256_maddubs_epi16(nibbles_t, k[PAIR_WEIGHTS]);
  __m128i pairs_s = _mm_maddubs_epi16(nibbles_s, K16(PAIR_WEIGHTS));
#undef K16
  _mm_storeu_si128((__m128i *)(void *)context->trace_id,
                   _mm_packus_epi16(_mm256_castsi256_si128(pairs_t),
                                    _mm256_extracti128_si256(pairs_t, 1)));
  _mm_storel_epi64((__m128i *)(void *)context->span_id, _mm_packus_epi16(pairs_s, pairs_s));
  return true;
}
#endif
