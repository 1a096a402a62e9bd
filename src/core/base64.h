/* base64.h - base64 (RFC 4648 sections 4 and 5), the one codec census uses wherever bytes travel
 * as text: grpc-trace-bin in a text carrier (src/propagation/composite.c), gRPC's
 * grpc-status-details-bin trailer (exporters/http/grpc.c) and JWT segments in base64url
 * (exporters/google_cloud/google_auth.c).
 *
 * Static inline and libc-only, so the core and the exporter libraries each compile their own copy:
 * the exporters use the core's code without linking to the core's hidden internals, and the core
 * depends on nothing of the exporters'. Output is never padded (gRPC emits "-bin" values and JWT
 * segments without '='); input may be padded or not. Pure functions: thread-safe.
 */
#ifndef CENSUS_CORE_BASE64_H
#define CENSUS_CORE_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The characters needed for n bytes without padding, plus the terminating NUL. */
static inline size_t census__base64_encoded_size(size_t n) { return (n * 4 + 2) / 3 + 1; }

/* Encodes in[0..n) without padding into out, NUL-terminated, with the standard alphabet or, if
 * `url`, the URL-safe one ('-' and '_' for '+' and '/'). Returns the characters written (without
 * the NUL), or 0 with nothing written when out_size < census__base64_encoded_size(n). */
static inline size_t census__base64_encode(const uint8_t *in, size_t n, bool url, char *out,
                                           size_t out_size) {
  static const char standard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static const char url_safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char *alphabet = url ? url_safe : standard;
  if (out_size < census__base64_encoded_size(n)) {
    return 0;
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    v |= i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0;
    v |= i + 2 < n ? in[i + 2] : 0;
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (i + 1 < n) {
      out[o++] = alphabet[(v >> 6) & 63];
    }
    if (i + 2 < n) {
      out[o++] = alphabet[v & 63];
    }
  }
  out[o] = '\0';
  return o;
}

/* The value of one character of the standard alphabet, or -1. */
static inline int census__base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes s[0..n) (standard alphabet; trailing '=' ignored) into out[0..capacity). Returns the
 * byte count, or -1 when a character is outside the alphabet, the length cannot be base64 (one
 * character past a multiple of four) or the bytes do not fit. At most n * 3 / 4 bytes. */
static inline long census__base64_decode(const char *s, size_t n, uint8_t *out, size_t capacity) {
  while (n > 0 && s[n - 1] == '=') {
    n--;
  }
  if (n % 4 == 1) {
    return -1;
  }
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = census__base64_value((unsigned char)s[i]);
    if (v < 0) {
      return -1;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o == capacity) {
        return -1;
      }
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  return (long)o;
}

#endif
