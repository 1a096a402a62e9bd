/* pb_writer.c - the protocol-buffers writer (see pb_writer.h for the backpatching scheme).
 *
 * Invariant: between begin() and end() the content of an open message is exactly the bytes
 * appended after the placeholder, so end() can size it from the buffer length alone. A failed
 * buffer may hold fewer bytes than a begin() recorded: end() checks `failed` before touching
 * memory.
 */
#include "pb_writer.h"

#include <string.h>

void census__pb_int64(census_buf *b, uint32_t field, int64_t v) {
  census__pb_uint64(b, field, (uint64_t)v);
}

void census__pb_bool(census_buf *b, uint32_t field, bool v) {
  census__pb_uint64(b, field, v ? 1 : 0);
}

static uint64_t double_bits(double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

void census__pb_double(census_buf *b, uint32_t field, double v) {
  census__pb_fixed64(b, field, double_bits(v));
}

/* Appends the header of a packed field of n 8-byte items and reserves room for them; returns
 * where the items go, or NULL if the buffer failed. */
static uint8_t *packed_begin(census_buf *b, uint32_t field, size_t n) {
  census__pb_tag(b, field, CENSUS_PB_LEN);
  census__pb_varint(b, (uint64_t)n * 8);
  if (!census__buf_reserve(b, n * 8)) {
    return NULL;
  }
  uint8_t *p = (uint8_t *)b->data + b->len;
  b->len += n * 8;
  b->data[b->len] = '\0';
  return p;
}

void census__pb_packed_fixed64_from_int64(census_buf *b, uint32_t field, const int64_t *v,
                                          size_t n) {
  uint8_t *p = packed_begin(b, field, n);
  for (size_t i = 0; p && i < n; i++) {
    census__pb_put_le64(p + 8 * i, (uint64_t)v[i]);
  }
}

void census__pb_packed_double(census_buf *b, uint32_t field, const double *v, size_t n) {
  uint8_t *p = packed_begin(b, field, n);
  for (size_t i = 0; p && i < n; i++) {
    census__pb_put_le64(p + 8 * i, double_bits(v[i]));
  }
}

size_t census__pb_begin(census_buf *b, uint32_t field) {
  return census__pb_begin_wide(b, field, 1);
}

void census__pb_end(census_buf *b, size_t start) { census__pb_end_wide(b, start, 1); }

size_t census__pb_begin_wide(census_buf *b, uint32_t field, size_t width) {
  census__pb_tag(b, field, CENSUS_PB_LEN);
  if (!census__buf_reserve(b, width)) {
    return 0;
  }
  for (size_t i = 0; i < width; i++) {
    b->data[b->len + i] = 0; /* placeholder: the length, written by end */
  }
  b->len += width;
  b->data[b->len] = '\0';
  return b->len;
}

void census__pb_end_wide(census_buf *b, size_t start, size_t width) {
  if (b->failed || start < width || start > b->len) {
    return;
  }
  size_t len = b->len - start;
  size_t n = census__pb_varint_size(len);
  if (n > width) { /* longer than guessed: the content moves up */
    if (!census__buf_reserve(b, n - width)) {
      return;
    }
    memmove(b->data + start + (n - width), b->data + start, len);
    b->len += n - width;
  } else if (n < width) { /* shorter than guessed: the content moves down */
    memmove(b->data + start - (width - n), b->data + start, len);
    b->len -= width - n;
  }
  b->data[b->len] = '\0';
  census__pb_put_varint((uint8_t *)b->data + start - width, len);
}

void census__pb_sint32(census_buf *b, uint32_t field, int32_t v) {
  census__pb_tag(b, field, 0);
  census__pb_varint(b, (uint64_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void census__pb_packed_varint_from_int64(census_buf *b, uint32_t field, const int64_t *v,
                                         size_t n) {
  if (n == 0) {
    return;
  }
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    len += census__pb_varint_size((uint64_t)v[i]);
  }
  census__pb_tag(b, field, 2);
  census__pb_varint(b, len);
  for (size_t i = 0; i < n; i++) {
    census__pb_varint(b, (uint64_t)v[i]);
  }
}
