/* buffer.h - a growable byte buffer that the exporters' encoders write into.
 *
 * Appends never fail visibly: on allocation failure the buffer records it (`failed`), ignores
 * further appends, and the encoder checks once at the end. That keeps encoders free of error
 * plumbing on every field. Thread-safety: one thread at a time per buffer.
 */
#ifndef CENSUS_COMMON_BUFFER_H
#define CENSUS_COMMON_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct census_buf {
  char *data; /* owned; NUL-terminated whenever len < cap (appends keep one spare byte) */
  size_t len;
  size_t cap;
  bool failed; /* an allocation failed; the contents are incomplete */
} census_buf;

/* A zeroed census_buf is an empty, valid buffer. */
#define CENSUS_BUF_INIT                                                                            \
  { NULL, 0, 0, false }

/* The slow path of census__buf_reserve(): grows the buffer (doubling) to hold `extra` more bytes
 * and the NUL. False (and `failed` set) on ENOMEM or when the size would overflow. */
bool census__buf_grow(census_buf *b, size_t extra);

/* The appends are inline: encoders (the Prometheus renderer, the OTLP and JSON encoders) call
 * them for every field, and the common case, room already there, is a compare and a copy. */

/* Makes room for `extra` more bytes (plus the NUL). False (and `failed` set) on ENOMEM. */
static inline bool census__buf_reserve(census_buf *b, size_t extra) {
  if (!b->failed && extra < b->cap - b->len) { /* len < cap always holds once data exists */
    return true;
  }
  return census__buf_grow(b, extra);
}

static inline void census__buf_append(census_buf *b, const void *data, size_t len) {
  if (!census__buf_reserve(b, len)) {
    return;
  }
  if (len) {
    memcpy(b->data + b->len, data, len);
  }
  b->len += len;
  b->data[b->len] = '\0';
}

static inline void census__buf_append_str(census_buf *b, const char *s) {
  census__buf_append(b, s, strlen(s));
}

static inline void census__buf_append_byte(census_buf *b, uint8_t byte) {
  if (!census__buf_reserve(b, 1)) {
    return;
  }
  b->data[b->len++] = (char)byte;
  b->data[b->len] = '\0';
}

/* Appends bytes as lowercase hex (trace and span ids). */
void census__buf_append_hex(census_buf *b, const uint8_t *bytes, size_t n);
void census__buf_printf(census_buf *b, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its memory and clearing `failed`. */
void census__buf_reset(census_buf *b);
/* Hands the contents to the caller (free() them) and leaves the buffer empty. NULL if failed. */
char *census__buf_take(census_buf *b, size_t *len);
/* Frees the contents; NULL is a no-op. */
void census__buf_free(census_buf *b);

#endif
