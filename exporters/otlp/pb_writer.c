/* pb_writer.c - the protocol-buffers writer (see pb_writer.h for the backpatching scheme).
 *
 * Invariant: between begin() and end() the content of an open message is exactly the bytes
 * appended after the placeholder, so end() can size it from the buffer length alone. A failed
 * buffer may hold fewer bytes than a begin() recorded: end() checks `failed` before touching
 * memory.
 */
#include "pb_writer.h"

#include <string.h>

void census__pb_uint64(census_buf *b, uint32_t field, uint64_t v) {
  census__pb_tag(b, field, CENSUS_PB_VARINT);
  census__pb_varint(b, v);
}

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

void census__pb_fixed32(census_buf *b, uint32_t field, uint32_t v) {
  uint8_t tmp[4];
  census__pb_tag(b, field, CENSUS_PB_I32);
  for (int i = 0; i < 4; i++) {
    tmp[i] = (uint8_t)(v >> (8 * i));
  }
  census__buf_append(b, tmp, 4);
}

void census__pb_double(census_buf *b, uint32_t field, double v) {
  census__pb_fixed64(b, field, double_bits(v));
}

void census__pb_bytes(census_buf *b, uint32_t field, const void *data, size_t len) {
  census__pb_tag(b, field, CENSUS_PB_LEN);
  census__pb_varint(b, len);
  census__buf_append(b, data, len);
}

void census__pb_string(census_buf *b, uint32_t field, const char *s) {
  census__pb_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
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
  census__pb_tag(b, field, CENSUS_PB_LEN);
  census__buf_append_byte(b, 0); /* placeholder: a one-byte length */
  return b->len;
}

void census__pb_end(census_buf *b, size_t start) {
  if (b->failed || start == 0 || start > b->len) {
    return;
  }
  size_t len = b->len - start;
  size_t n = census__pb_varint_size(len);
  if (n > 1) {
    if (!census__buf_reserve(b, n - 1)) {
      return;
    }
    memmove(b->data + start + n - 1, b->data + start, len);
    b->len += n - 1;
    b->data[b->len] = '\0';
  }
  census__pb_put_varint((uint8_t *)b->data + start - 1, len);
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
