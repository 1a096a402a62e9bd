/* pb_writer.h - a minimal protocol-buffers (proto3 binary) writer on census_buf, for the OTLP
 * encoder.
 *
 * Scalars are written as tag + value. Nested messages use reserve-and-backpatch: begin() writes
 * the tag and one placeholder length byte and returns where the content starts; end() computes
 * the content length and, when it needs more than one varint byte, moves the content up by the
 * missing bytes before writing the length. Every length is thus the shortest varint (canonical
 * encoding); the move happens once per large message, so the cost stays linear in the nesting
 * depth times the body size. Doubles and fixed64 values are little-endian whatever the host.
 * Errors follow census_buf: an allocation failure marks the buffer failed and later calls do
 * nothing. Thread-safety: one thread at a time per buffer.
 */
#ifndef CENSUS_OTLP_PB_WRITER_H
#define CENSUS_OTLP_PB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buffer.h"

enum {
  CENSUS_PB_VARINT = 0,
  CENSUS_PB_I64 = 1,
  CENSUS_PB_LEN = 2,
  CENSUS_PB_I32 = 5,
};

/* Number of bytes of the varint encoding of v (1..10), without a loop. */
static inline size_t census__pb_varint_size(uint64_t v) {
  if (v < 0x80) { /* most lengths and tags: one compare */
    return 1;
  }
  /* (bits - 1) / 7 + 1 for bits = 1..64, as a multiply and a shift (no divide). */
  return ((size_t)(63 - __builtin_clzll(v | 1)) * 9 + 73) / 64;
}

/* Writes the varint of v at p (room for 10 bytes); returns the bytes written. */
static inline size_t census__pb_put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

/* Writes v little-endian at p (fixed64, sfixed64, double bits), whatever the host. */
static inline void census__pb_put_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) {
    p[i] = (uint8_t)(v >> (8 * i));
  }
}

/* A raw varint (no tag). Inline, written in place: every field starts with one, and going
 * through a stack copy and census__buf_append() made each a call to memmove() (a third of the
 * OTLP encoder's instructions were varints). */
static inline void census__pb_varint(census_buf *b, uint64_t v) {
  if (!census__buf_reserve(b, 10)) {
    return;
  }
  b->len += census__pb_put_varint((uint8_t *)b->data + b->len, v);
  b->data[b->len] = '\0';
}

/* A field key: (field << 3) | wire_type. */
static inline void census__pb_tag(census_buf *b, uint32_t field, unsigned wire_type) {
  census__pb_varint(b, ((uint64_t)field << 3) | wire_type);
}

/* Tagged scalar fields; written even when zero (callers omit proto3 defaults themselves). */
/* varint: uint32/64, enum. Inline, as the fixed-size fields below: a span has a dozen. */
static inline void census__pb_uint64(census_buf *b, uint32_t field, uint64_t v) {
  if (!census__buf_reserve(b, 15)) {
    return;
  }
  uint8_t *p = (uint8_t *)b->data + b->len;
  size_t n = census__pb_put_varint(p, ((uint64_t)field << 3) | CENSUS_PB_VARINT);
  n += census__pb_put_varint(p + n, v);
  b->len += n;
  b->data[b->len] = '\0';
}
void census__pb_int64(census_buf *b, uint32_t field, int64_t v); /* varint, two's complement */
void census__pb_bool(census_buf *b, uint32_t field, bool v);
/* A tagged fixed64 (also sfixed64, double bits): inline, written in place (several per point). */
static inline void census__pb_fixed64(census_buf *b, uint32_t field, uint64_t v) {
  if (!census__buf_reserve(b, 19)) {
    return;
  }
  uint8_t *p = (uint8_t *)b->data + b->len;
  size_t n = census__pb_put_varint(p, ((uint64_t)field << 3) | CENSUS_PB_I64);
  census__pb_put_le64(p + n, v);
  b->len += n + 8;
  b->data[b->len] = '\0';
}
static inline void census__pb_fixed32(census_buf *b, uint32_t field, uint32_t v) {
  if (!census__buf_reserve(b, 9)) {
    return;
  }
  uint8_t *p = (uint8_t *)b->data + b->len;
  size_t n = census__pb_put_varint(p, ((uint64_t)field << 3) | CENSUS_PB_I32);
  for (int i = 0; i < 4; i++) {
    p[n + i] = (uint8_t)(v >> (8 * i));
  }
  b->len += n + 4;
  b->data[b->len] = '\0';
}
void census__pb_double(census_buf *b, uint32_t field, double v);
void census__pb_sint32(census_buf *b, uint32_t field, int32_t v); /* zigzag varint */
/* A length-delimited field of len bytes: one reserve; inline so that the ids' constant sizes
 * make their copies plain moves. */
static inline void census__pb_bytes(census_buf *b, uint32_t field, const void *data, size_t len) {
  if (!census__buf_reserve(b, 15 + len)) {
    return;
  }
  uint8_t *p = (uint8_t *)b->data + b->len;
  size_t n = census__pb_put_varint(p, ((uint64_t)field << 3) | CENSUS_PB_LEN);
  n += census__pb_put_varint(p + n, len);
  if (len) {
    memcpy(p + n, data, len);
  }
  b->len += n + len;
  b->data[b->len] = '\0';
}

static inline void census__pb_string(census_buf *b, uint32_t field, const char *s) { /* NULL: "" */
  census__pb_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

/* Packed repeated fields: one length-delimited field of n 8-byte little-endian items. */
void census__pb_packed_fixed64_from_int64(census_buf *b, uint32_t field, const int64_t *v,
                                          size_t n);
void census__pb_packed_double(census_buf *b, uint32_t field, const double *v, size_t n);
/* A packed repeated uint64 (varints) of n non-negative int64 values; nothing when n is 0. */
void census__pb_packed_varint_from_int64(census_buf *b, uint32_t field, const int64_t *v, size_t n);

/* Opens a nested message field; returns the offset its content starts at, for end(). */
size_t census__pb_begin(census_buf *b, uint32_t field);
/* Closes the message opened at `start`, writing its length in canonical form. */
void census__pb_end(census_buf *b, size_t start);

/* begin()/end() with a placeholder of `width` bytes (1..10): the content stays where it is when
 * its length needs exactly `width` varint bytes, and moves (once, as with begin()) otherwise; the
 * length is canonical either way. For messages whose size the caller can guess from what they
 * hold (a metric of n rows, a request of n spans, a span): a right guess saves moving the whole
 * content at every level of nesting. end_wide() takes the width begin_wide() was given. */
size_t census__pb_begin_wide(census_buf *b, uint32_t field, size_t width);
void census__pb_end_wide(census_buf *b, size_t start, size_t width);

/* Copies s[0..n) to q (room reserved) and returns q + n: overlapping word moves for up to 16
 * bytes (names, keys, short values: no call to memcpy), memcpy beyond. */
static inline uint8_t *census__pb_put_bytes(uint8_t *q, const void *s, size_t n) {
  const uint8_t *src = s;
  if (n > 16) {
    memcpy(q, src, n);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, src + n - 8, 8);
    memcpy(q, &a, 8);
    memcpy(q + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, src, 4);
    memcpy(&b, src + n - 4, 4);
    memcpy(q, &a, 4);
    memcpy(q + n - 4, &b, 4);
  } else if (n > 0) {
    q[0] = src[0];
    q[n / 2] = src[n / 2];
    q[n - 1] = src[n - 1];
  }
  return q + n;
}

/* Reserves room for `n` bytes the caller writes itself at the returned pointer, then commits
 * with census__pb_commit(b, written). NULL if the buffer failed. For messages whose length the
 * caller computes before writing them (no backpatching, no move). */
static inline uint8_t *census__pb_room(census_buf *b, size_t n) {
  if (!census__buf_reserve(b, n)) {
    return NULL;
  }
  return (uint8_t *)b->data + b->len;
}
static inline void census__pb_commit(census_buf *b, size_t written) {
  b->len += written;
  b->data[b->len] = '\0';
}

#endif
