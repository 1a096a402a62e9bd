/* buffer.c - the growable byte buffer (see buffer.h). Capacity doubles, so appending n bytes in
 * total costs O(n); one spare byte keeps the contents NUL-terminated for string consumers. */
#include "buffer.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool census__buf_grow(census_buf *b, size_t extra) {
  if (b->failed) {
    return false;
  }
  if (b->cap > 0 && extra < b->cap - b->len) {
    return true;
  }
  if (extra > SIZE_MAX - 1 - b->len) {
    b->failed = true;
    return false;
  }
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      b->failed = true;
      return false;
    }
    cap *= 2;
  }
  char *data = census__realloc(b->data, cap);
  if (!data) {
    b->failed = true;
    return false;
  }
  b->data = data;
  b->cap = cap;
  return true;
}

void census__buf_printf(census_buf *b, const char *format, ...) {
  if (!census__buf_reserve(b, 64)) {
    return;
  }
  va_list args;
  va_start(args, format);
  int n = vsnprintf(b->data + b->len, b->cap - b->len, format, args);
  va_end(args);
  if (n < 0) {
    b->failed = true;
    return;
  }
  if ((size_t)n >= b->cap - b->len) { /* did not fit: grow and format again */
    if (!census__buf_reserve(b, (size_t)n)) {
      return;
    }
    va_start(args, format);
    vsnprintf(b->data + b->len, b->cap - b->len, format, args);
    va_end(args);
  }
  b->len += (size_t)n;
}

void census__buf_reset(census_buf *b) {
  b->len = 0;
  b->failed = false;
  if (b->data) {
    b->data[0] = '\0';
  }
}

char *census__buf_take(census_buf *b, size_t *len) {
  char *data = NULL;
  if (!b->failed && census__buf_reserve(b, 0)) {
    data = b->data;
    data[b->len] = '\0'; /* also when nothing was ever appended */
    if (len) {
      *len = b->len;
    }
  } else {
    census__free(b->data);
  }
  *b = (census_buf)CENSUS_BUF_INIT;
  return data;
}

void census__buf_free(census_buf *b) {
  if (b) {
    census__free(b->data);
    *b = (census_buf)CENSUS_BUF_INIT;
  }
}

void census__buf_append_hex(census_buf *b, const uint8_t *bytes, size_t n) {
  /* (The core's census__hex_digits is hidden from exporter libraries.) */
  static const char hex[] = "0123456789abcdef";
  if (!census__buf_reserve(b, 2 * n)) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    b->data[b->len++] = hex[bytes[i] >> 4];
    b->data[b->len++] = hex[bytes[i] & 0xf];
  }
  b->data[b->len] = '\0';
}
