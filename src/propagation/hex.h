/* hex.h - the small helpers every propagation format shares: hex digits, id checks, and the
 * reset of a context to the invalid state.
 *
 * Ids are decoded and encoded 16 characters (8 bytes) at a time in an SSE2 register where there
 * is one (census__hex_decode16()), else 8 characters (4 bytes) at a time in a 64-bit word (SWAR:
 * range checks by per-byte addition, census__hex_decode8()); no table, no branch per character
 * either way. What is left over, and every byte on a big-endian machine, goes through a 256-entry
 * table so that a hostile byte (NUL, 0xff, upper case where only lower case is allowed) costs one
 * load and one compare. No locale is involved either way.
 */
#ifndef CENSUS_PROPAGATION_HEX_H
#define CENSUS_PROPAGATION_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "census/propagation.h"
#include "census/trace_context.h"

/* Lowercase hex digits '0'..'9', 'a'..'f' map to 0..15; every other byte maps to 0xff. */
extern const uint8_t census__hex_lower[256];
/* Same, and 'A'..'F' map to 10..15 too. */
extern const uint8_t census__hex_any[256];
/* "0123456789abcdef". */
extern const char census__hex_digits[16];

/* SWAR ("SIMD within a register") hex: 8 characters, i.e. 4 bytes, per step in a 64-bit word,
 * with no table and no per-character branch. Little-endian only (the word's first byte is the
 * first character); elsewhere the table loops below do all the work. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CENSUS__HEX_SWAR 1
#else
#define CENSUS__HEX_SWAR 0
#endif

#define CENSUS__HEX_ONES 0x0101010101010101ULL
#define CENSUS__HEX_HIGH 0x8080808080808080ULL

/* Per byte of w (each below 0x80): 0x80 where the byte is >= lo, else 0. lo is 1..0x80; no
 * byte carries into the next (at most 0x7f + 0x7f). */
#define CENSUS__HEX_GE(w, lo) (((w) + CENSUS__HEX_ONES * (0x80u - (lo))) & CENSUS__HEX_HIGH)

/* Decodes the 8 hex characters at `text` into 4 bytes at `out`; with upper_ok, 'A'..'F' count as
 * digits too. Returns false (out untouched) if any character is not a digit. */
static inline bool census__hex_decode8(const char *text, bool upper_ok, uint8_t *out) {
  uint64_t w;
  memcpy(&w, text, 8);
  if (w & CENSUS__HEX_HIGH) {
    return false; /* a byte >= 0x80: never a digit, and the sums below assume 7-bit bytes */
  }
  uint64_t digit = CENSUS__HEX_GE(w, '0') & ~CENSUS__HEX_GE(w, '9' + 1);
  uint64_t lower = CENSUS__HEX_GE(w, 'a') & ~CENSUS__HEX_GE(w, 'f' + 1);
  uint64_t ok = digit | lower;
  if (upper_ok) {
    ok |= CENSUS__HEX_GE(w, 'A') & ~CENSUS__HEX_GE(w, 'F' + 1);
  }
  if (ok != CENSUS__HEX_HIGH) {
    return false;
  }
  /* '0'..'9' are 0x30..0x39, letters 0x41..0x46 / 0x61..0x66 (bit 0x40 set): the low nibble,
   * plus 9 for a letter. */
  uint64_t nibbles = (w & (CENSUS__HEX_ONES * 0x0f)) + ((w >> 6) & CENSUS__HEX_ONES) * 9;
  /* Pairs of nibbles into bytes (each in the low byte of its 16-bit lane), then the 4 lanes'
   * low bytes side by side. */
  uint64_t bytes = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff00ff00ff00ffULL;
  bytes = (bytes | (bytes >> 8)) & 0x0000ffff0000ffffULL;
  bytes = bytes | (bytes >> 16);
  uint32_t four = (uint32_t)bytes;
  memcpy(out, &four, 4);
  return true;
}

/* Writes the 4 bytes at `bytes` as 8 lowercase hex characters at `out` (no NUL). */
static inline void census__hex_encode4(const uint8_t *bytes, char *out) {
  uint32_t four;
  memcpy(&four, bytes, 4);
  /* Each byte into the low byte of its own 16-bit lane. */
  uint64_t w = four;
  w = (w | (w << 16)) & 0x0000ffff0000ffffULL;
  w = (w | (w << 8)) & 0x00ff00ff00ff00ffULL;
  /* The high nibble first (the lane's low byte), the low nibble second. */
  uint64_t nibbles =
      ((w >> 4) & (CENSUS__HEX_ONES * 0x0f)) | ((w & (CENSUS__HEX_ONES * 0x0f)) << 8);
  /* 0..9 -> '0'..'9', 10..15 -> 'a'..'f': add '0', and 'a' - '0' - 10 = 0x27 more where the
   * nibble is >= 10 (nibble + 6 reaches bit 4). */
  uint64_t letter = ((nibbles + CENSUS__HEX_ONES * 6) >> 4) & CENSUS__HEX_ONES;
  uint64_t chars = nibbles + CENSUS__HEX_ONES * '0' + letter * 0x27;
  memcpy(out, &chars, 8);
}

#if defined(__SSE2__)
/* The same 16 characters (8 bytes) at a time in an SSE2 register (every x86-64 has SSE2).
 *
 * census__hex_classify16(): 0xff in each byte of w that is a hex digit ('0'..'9', 'a'..'f', and
 * with upper_ok 'A'..'F'), else 0; *letter gets 0xff where the byte is a letter digit. Each range
 * is one add and one signed compare: the add moves the range's first character to -128, so the
 * range is what stays below -128 + its width (every other byte, 0x80..0xff included, wraps
 * above). Upper case is folded into lower with | 0x20 (only 'A'..'F' land on 'a'..'f'). */
static inline __m128i census__hex_classify16(__m128i w, bool upper_ok, __m128i *letter) {
  __m128i digit =
      _mm_cmpgt_epi8(_mm_set1_epi8(-128 + 10), _mm_add_epi8(w, _mm_set1_epi8((char)(0x80 - '0'))));
  __m128i folded = upper_ok ? _mm_or_si128(w, _mm_set1_epi8(0x20)) : w;
  *letter = _mm_cmpgt_epi8(_mm_set1_epi8(-128 + 6),
                           _mm_add_epi8(folded, _mm_set1_epi8((char)(0x80 - 'a'))));
  return _mm_or_si128(digit, *letter);
}

/* The 16 digits of w (classified: `letter` from census__hex_classify16()) as 8 bytes, each in the
 * low byte of a 16-bit lane (high bytes zero): first digit << 4 | second. */
static inline __m128i census__hex_pairs16(__m128i w, __m128i letter) {
  __m128i nibbles =
      _mm_add_epi8(_mm_and_si128(w, _mm_set1_epi8(0x0f)), _mm_and_si128(letter, _mm_set1_epi8(9)));
  __m128i pairs = _mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8));
  return _mm_and_si128(pairs, _mm_set1_epi16(0x00ff));
}

/* Decodes 16 hex characters at `text` into 8 bytes at `out`. Returns false (out untouched) if
 * any character is not a digit. */
static inline bool census__hex_decode16(const char *text, bool upper_ok, uint8_t *out) {
  __m128i w = _mm_loadu_si128((const __m128i *)(const void *)text);
  __m128i letter;
  if (_mm_movemask_epi8(census__hex_classify16(w, upper_ok, &letter)) != 0xffff) {
    return false;
  }
  __m128i pairs = census__hex_pairs16(w, letter);
  _mm_storel_epi64((__m128i *)(void *)out, _mm_packus_epi16(pairs, pairs));
  return true;
}

/* Writes the 16 bytes at `bytes` as 32 lowercase hex characters at `out` (no NUL). */
static inline void census__hex_encode16(const uint8_t *bytes, char *out, bool whole) {
  __m128i b = whole ? _mm_loadu_si128((const __m128i *)(const void *)bytes)
                    : _mm_loadl_epi64((const __m128i *)(const void *)bytes);
  __m128i low = _mm_and_si128(b, _mm_set1_epi8(0x0f));
  __m128i high = _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0f));
  for (int half = 0; half < (whole ? 2 : 1); half++) {
    /* High nibble first, byte by byte; 10..15 get 'a' - '0' - 10 more than '0'. */
    __m128i nibbles = half ? _mm_unpackhi_epi8(high, low) : _mm_unpacklo_epi8(high, low);
    __m128i letter = _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9));
    __m128i chars = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')),
                                 _mm_and_si128(letter, _mm_set1_epi8('a' - '0' - 10)));
    _mm_storeu_si128((__m128i *)(void *)(out + 16 * half), chars);
  }
}
#endif

/* Decodes 2 * n hex characters at `text` into n bytes at `out`; with upper_ok, 'A'..'F' count
 * as digits too (census__hex_any), else only '0'..'9' and 'a'..'f' (census__hex_lower). Returns
 * false, with `out` partly written, at the first group of 16 or 8 characters (or, past the last
 * whole group, the first character) that holds a non-digit. */
static inline bool census__hex_decode(bool upper_ok, const char *text, size_t n, uint8_t *out) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i < n / 8 * 8; i += 8) {
    if (!census__hex_decode16(text + 2 * i, upper_ok, out + i)) {
      return false;
    }
  }
#endif
#if CENSUS__HEX_SWAR
  for (; i < n / 4 * 4; i += 4) {
    if (!census__hex_decode8(text + 2 * i, upper_ok, out + i)) {
      return false;
    }
  }
#endif
  const uint8_t *table = upper_ok ? census__hex_any : census__hex_lower;
  for (; i < n; i++) {
    uint8_t hi = table[(unsigned char)text[2 * i]];
    uint8_t lo = table[(unsigned char)text[2 * i + 1]];
    if ((hi | lo) & 0xf0) {
      return false;
    }
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

/* Narrows value[0..*length) to exclude spaces and tabs at both ends (RFC 9110 OWS, which is not
 * part of a field value): *value moves forward, *length shrinks. */
static inline void census__trim_ows(const char **value, size_t *length) {
  const char *v = *value;
  size_t n = *length;
  while (n && (v[0] == ' ' || v[0] == '\t')) {
    v++;
    n--;
  }
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
    n--;
  }
  *value = v;
  *length = n;
}

/* Writes n bytes as 2 * n lowercase hex characters (no NUL). */
static inline void census__hex_encode(const uint8_t *bytes, size_t n, char *out) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i < n / 16 * 16; i += 16) {
    census__hex_encode16(bytes + i, out + 2 * i, true);
  }
  for (; i < n / 8 * 8; i += 8) {
    census__hex_encode16(bytes + i, out + 2 * i, false);
  }
#endif
#if CENSUS__HEX_SWAR
  for (; i < n / 4 * 4; i += 4) {
    census__hex_encode4(bytes + i, out + 2 * i);
  }
#endif
  for (; i < n; i++) {
    out[2 * i] = census__hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = census__hex_digits[bytes[i] & 0x0f];
  }
}

/* True if any of the n bytes is not zero; whole 8-byte words first. */
static inline bool census__bytes_nonzero(const uint8_t *bytes, size_t n) {
  uint64_t any = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, bytes + i, 8);
    any |= w;
  }
  for (; i < n; i++) {
    any |= bytes[i];
  }
  return any != 0;
}

/* True if the context is non-NULL and neither id is all zeros. Local to the module so that it does
 * not depend on the trace module's census_trace_context_is_valid(). */
static inline bool census__context_ok(const census_trace_context *context) {
  return context && census__bytes_nonzero(context->trace_id, CENSUS_TRACE_ID_SIZE) &&
         census__bytes_nonzero(context->span_id, CENSUS_SPAN_ID_SIZE);
}

/* Makes the context invalid: zero ids and flags, not remote, empty tracestate. Touches only the
 * first tracestate byte, so the hot path does not clear 513 bytes. */
static inline void census__context_reset(census_trace_context *context) {
  for (size_t i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    context->trace_id[i] = 0;
  }
  for (size_t i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    context->span_id[i] = 0;
  }
  context->trace_flags = 0;
  context->remote = false;
  context->tracestate[0] = '\0';
}

/* The common start of a text-format formatter: true if `out` and the context can be used; else
 * `out` (if any) is made empty and the formatter returns CENSUS_EINVAL. */
static inline bool census__format_begin(const census_trace_context *context, char *out) {
  bool ok = out && census__context_ok(context);
  if (out && !ok) {
    out[0] = '\0';
  }
  return ok;
}

/* The common start of a text-format extract: resets the context and reads header `name`.
 * Returns the value, or NULL with *status = CENSUS_EINVAL (NULL context or getter) or
 * CENSUS_ENOTFOUND (no such header). */
static inline const char *census__extract_header(census_header_get_fn get, void *carrier,
                                                 const char *name, census_trace_context *context,
                                                 census_status *status) {
  if (!context) {
    *status = CENSUS_EINVAL;
    return NULL;
  }
  census__context_reset(context);
  const char *value = get ? get(carrier, name) : NULL;
  *status = !get ? CENSUS_EINVAL : value ? CENSUS_OK : CENSUS_ENOTFOUND;
  return value;
}

#endif
