/* traceparent_ids.h - the two ids of a traceparent value (48 hex characters at fixed offsets)
 * decoded into a context, with the verdict on all 48 at once.
 *
 * Two implementations of one contract: SSE2 (every x86-64; inline here), and AVX2 where the CPU
 * has it (traceparent_ids.c, chosen per call by one test of the CPU's feature word): 32-byte
 * registers take the trace id's 32 characters at once, three-operand instructions need no register
 * copies, and pmaddubsw joins each digit pair in one step, so the decode costs about half of the
 * SSE2 one's instructions (traceparent_extract 192 -> about 155 in callgrind). Without SSE2, the
 * table and SWAR loops of hex.h. tests/unit/test_traceparent_ids.c and the traceparent fuzz
 * target hold the AVX2 one to the SSE2 one, verdict and bytes. */
#ifndef CENSUS_PROPAGATION_TRACEPARENT_IDS_H
#define CENSUS_PROPAGATION_TRACEPARENT_IDS_H

#include <stdbool.h>

#include "census/trace_context.h"
#include "propagation/hex.h"

/* Offsets of the ids in a traceparent value. */
enum { CENSUS__TP_TRACE_ID = 3, CENSUS__TP_SPAN_ID = 36 };

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CENSUS__TP_AVX2 1
/* census__traceparent_ids() with AVX2: only on a CPU that has it. Same contract. */
bool census__traceparent_ids_avx2(const char *value, census_trace_context *context);
#else
#define CENSUS__TP_AVX2 0
#endif

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

/* The ids, by AVX2 where the CPU has it, else by census__traceparent_ids_sse2(). */
static inline bool census__traceparent_ids(const char *value, census_trace_context *context) {
#if CENSUS__TP_AVX2
  if (__builtin_cpu_supports("avx2")) {
    return census__traceparent_ids_avx2(value, context);
  }
#endif
  return census__traceparent_ids_sse2(value, context);
}

#endif
