/* traceparent_ids.h - a traceparent value's ids (48 hex characters at fixed offsets) decoded into
 * a context with the verdict on all 48 at once, and, where the CPU has AVX2, the whole common
 * value (version 00, 55 characters) parsed in vector registers.
 *
 * SSE2 (every x86-64) decodes the ids 16 characters at a time (census__traceparent_ids_sse2(),
 * used by the general parse in traceparent.c). With AVX2 (traceparent.c calls it only after
 * __builtin_cpu_supports("avx2"), through a function compiled for AVX2, so the library still
 * runs on every x86-64), 32-byte registers take the trace id at once and the tail (dash, span id,
 * dash, flags) at once, each byte judged against what its position must hold; three-operand
 * instructions need no register copies and pmaddubsw joins each digit pair in one step. Without
 * SSE2, the table and SWAR loops of hex.h. tests/unit/test_traceparent_ids.c and the
 * traceparent fuzz target hold the AVX2 parse to the general one, verdict and fields. */
#ifndef CENSUS_PROPAGATION_TRACEPARENT_IDS_H
#define CENSUS_PROPAGATION_TRACEPARENT_IDS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "census/trace_context.h"
#include "propagation/hex.h"

/* Offsets of the ids in a traceparent value. */
enum { CENSUS__TP_TRACE_ID = 3, CENSUS__TP_SPAN_ID = 36 };

/* census_traceparent_parse() without the AVX2 parse of the common value (traceparent.c): the
 * reference the tests hold the AVX2 one to. Same contract. */
census_status census__traceparent_parse_general(const char *value, size_t length,
                                                census_trace_context *context);

/* census_traceparent_parse(value, strlen(value), context) == CENSUS_OK for a NUL-terminated value
 * (value not NULL; a refusal resets the context), out of line for census__traceparent_parse_nul()
 * to go on to. A bool, not the status: the caller's only refusal is CENSUS_EINVAL, and GCC keeps
 * a returned 0 in a saved register to return it again. */
bool census__traceparent_parse_measured(const char *value, census_trace_context *context);

/* Decodes the trace id (value[3..35)) and span id (value[36..52)) of a traceparent value that has
 * at least 55 readable characters into the context: false, with the ids partly written, if a
 * character is not a lowercase hex digit. With SSE2 the three 16-character groups are classified
 * first and judged by one movemask; the trace id's two groups are packed into its 16 bytes by one
 * pack. */
static inline bool census__traceparent_ids_sse2(const char *value, census_trace_context *context) {
#if defined(__SSE2__)
  __m128i trace_hi = _mm_loadu_si128((const __m128i *)(const void *)(value + CENSUS__TP_TRACE_ID));
  __m128i trace_lo =
      _mm_loadu_si128((const __m128i *)(const void *)(value + CENSUS__TP_TRACE_ID + 16));
  __m128i span = _mm_loadu_si128((const __m128i *)(const void *)(value + CENSUS__TP_SPAN_ID));
  __m128i letter_hi, letter_lo, letter_span;
  __m128i ok = _mm_and_si128(_mm_and_si128(census__hex_classify16(trace_hi, false, &letter_hi),
                                           census__hex_classify16(trace_lo, false, &letter_lo)),
                             census__hex_classify16(span, false, &letter_span));
  if (_mm_movemask_epi8(ok) != 0xffff) {
    return false;
  }
  _mm_storeu_si128((__m128i *)(void *)context->trace_id,
                   _mm_packus_epi16(census__hex_pairs16(trace_hi, letter_hi),
                                    census__hex_pairs16(trace_lo, letter_lo)));
  __m128i span_pairs = census__hex_pairs16(span, letter_span);
  _mm_storel_epi64((__m128i *)(void *)context->span_id, _mm_packus_epi16(span_pairs, span_pairs));
  return true;
#else
  return census__hex_decode(false, value + CENSUS__TP_TRACE_ID, CENSUS_TRACE_ID_SIZE,
                            context->trace_id) &&
         census__hex_decode(false, value + CENSUS__TP_SPAN_ID, CENSUS_SPAN_ID_SIZE,
                            context->span_id);
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CENSUS__TP_AVX2 1
#include <immintrin.h>

/* The AVX2 parse's constants (traceparent_ids.c), 32 bytes each: the range checks' offsets and
 * bounds, the nibble mask, 9, the pair weights, and the tail's hex and dash positions. */
enum {
  CENSUS__TPK_TO_DIGITS,
  CENSUS__TPK_DIGITS_BELOW,
  CENSUS__TPK_TO_LETTERS,
  CENSUS__TPK_LETTERS_BELOW,
  CENSUS__TPK_LOW_NIBBLE,
  CENSUS__TPK_NINE,
  CENSUS__TPK_PAIR_WEIGHTS,
  CENSUS__TPK_TAIL_HEX,
  CENSUS__TPK_TAIL_DASHES,
  CENSUS__TPK_COUNT
};
extern const __m256i census__tp_avx2_constants[CENSUS__TPK_COUNT]
    __attribute__((visibility("hidden")));

/* The whole parse of a version-00 traceparent value of exactly 55 characters (value[0..2) is
 * "00"; value[55] is not read): true with the ids, flags, remote flag and an empty tracestate
 * written, false (the context partly written) if a dash, digit or id is wrong: the verdict and
 * fields of the general parse. Only in a function compiled for AVX2, on a CPU that has it.
 * Each character is classified as in hex.h (one add and one signed compare per range: the add
 * moves the range's first character to -128); its value is its low nibble plus 9 for a letter,
 * and pmaddubsw turns each pair of values into first * 16 + second in a 16-bit lane. */
__attribute__((always_inline, target("avx2"))) static inline bool
census__traceparent_parse55_avx2(const char *value, census_trace_context *context) {
  /* The constants through a pointer the compiler cannot see through (the empty asm): GCC
   * otherwise rebuilds each known vector in registers, a move and a broadcast apiece, where a
   * memory operand costs nothing. The 16-byte forms are the low halves. */
  const __m256i *k = census__tp_avx2_constants;
  __asm__("" : "+r"(k));
  const __m128i *k16 = (const __m128i *)(const void *)k;
  /* value[3..35): the trace id; value[23..55): the trace id's tail, a dash, the span id, a dash
   * and the flags, each byte judged against what its position holds; value[36..52): the span id
   * again, in the register its pairs are aligned in. */
  __m256i trace = _mm256_loadu_si256((const __m256i *)(const void *)(value + CENSUS__TP_TRACE_ID));
  __m256i tail = _mm256_loadu_si256((const __m256i *)(const void *)(value + 23));
  __m128i span = _mm_loadu_si128((const __m128i *)(const void *)(value + CENSUS__TP_SPAN_ID));
  __m256i letter_t = _mm256_cmpgt_epi8(k[CENSUS__TPK_LETTERS_BELOW],
                                       _mm256_add_epi8(trace, k[CENSUS__TPK_TO_LETTERS]));
  __m256i hex_t =
      _mm256_or_si256(_mm256_cmpgt_epi8(k[CENSUS__TPK_DIGITS_BELOW],
                                        _mm256_add_epi8(trace, k[CENSUS__TPK_TO_DIGITS])),
                      letter_t);
  __m256i hex_tail =
      _mm256_or_si256(_mm256_cmpgt_epi8(k[CENSUS__TPK_DIGITS_BELOW],
                                        _mm256_add_epi8(tail, k[CENSUS__TPK_TO_DIGITS])),
                      _mm256_cmpgt_epi8(k[CENSUS__TPK_LETTERS_BELOW],
                                        _mm256_add_epi8(tail, k[CENSUS__TPK_TO_LETTERS])));
  /* A NUL, which the general parse refuses in a value given with its length, equals the zero
   * bytes of TAIL_DASHES: the andnot keeps that compare to the dashes' positions. */
  __m256i tail_ok =
      _mm256_or_si256(_mm256_and_si256(hex_tail, k[CENSUS__TPK_TAIL_HEX]),
                      _mm256_andnot_si256(k[CENSUS__TPK_TAIL_HEX],
                                          _mm256_cmpeq_epi8(tail, k[CENSUS__TPK_TAIL_DASHES])));
  if (value[2] != '-' || _mm256_movemask_epi8(_mm256_and_si256(hex_t, tail_ok)) != -1) {
    return false;
  }
  __m256i pairs_t =
      _mm256_maddubs_epi16(_mm256_add_epi8(_mm256_and_si256(trace, k[CENSUS__TPK_LOW_NIBBLE]),
                                           _mm256_and_si256(letter_t, k[CENSUS__TPK_NINE])),
                           k[CENSUS__TPK_PAIR_WEIGHTS]);
  __m128i trace_id =
      _mm_packus_epi16(_mm256_castsi256_si128(pairs_t), _mm256_extracti128_si256(pairs_t, 1));
  __m128i letter_s =
      _mm_cmpgt_epi8(_mm_load_si128(&k16[2 * CENSUS__TPK_LETTERS_BELOW]),
                     _mm_add_epi8(span, _mm_load_si128(&k16[2 * CENSUS__TPK_TO_LETTERS])));
  __m128i pairs_s = _mm_maddubs_epi16(
      _mm_add_epi8(_mm_and_si128(span, _mm_load_si128(&k16[2 * CENSUS__TPK_LOW_NIBBLE])),
                   _mm_and_si128(letter_s, _mm_load_si128(&k16[2 * CENSUS__TPK_NINE]))),
      _mm_load_si128(&k16[2 * CENSUS__TPK_PAIR_WEIGHTS]));
  /* An all-zero id is invalid: two tests, each its own branch (one condition with || costs a
   * setcc and a third test). */
  if (_mm_testz_si128(trace_id, trace_id)) {
    return false;
  }
  uint64_t span_id = (uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pairs_s, pairs_s));
  if (span_id == 0) {
    return false;
  }
  _mm_storeu_si128((__m128i *)(void *)context->trace_id, trace_id);
  memcpy(context->span_id, &span_id, sizeof span_id);
  /* The flags' known bits are the second digit's low two (a digit, checked above). */
  context->trace_flags = census__hex_lower[(unsigned char)value[54]] & CENSUS_TRACE_FLAGS_KNOWN;
  context->remote = true;
  context->tracestate[0] = '\0';
  return true;
}
/* census__traceparent_parse55_avx2() out of line (traceparent_ids.c), for traceparent.c's
 * general code to call after its CPU test: inlined into it, the AVX2 code would make the whole
 * extract realign its stack for 32-byte spills. */
bool census__traceparent_parse55(const char *value, census_trace_context *context);

/* census__traceparent_parse_measured() for census_traceparent_extract() where the CPU has AVX2
 * (traceparent_ids.c; after the caller's CPU test): the common value, exactly 55 characters
 * starting "00", found without strlen and parsed by census__traceparent_parse55(); every other
 * value goes on to census__traceparent_parse_measured(). The length is found without reading
 * past the terminator but in aligned 32-byte blocks that hold a byte of the value. */
bool census__traceparent_parse_nul(const char *value, census_trace_context *context);
#else
#define CENSUS__TP_AVX2 0
#endif

#endif
