/* alloc.h - the wrappers through which census's core and exporters allocate: census__malloc,
 * census__calloc, census__realloc, census__free, and the string helpers census__strdup,
 * census__strndup, census__asprintf. They go to the allocator of census_allocator_replace()
 * (census/allocator.h, alloc.c) and use only the public API, so the exporters, built as
 * libraries of their own, use this same header (exporters/common/alloc.h includes it).
 *
 * A block from one of these must be freed with census__free(), and memory from the C library or
 * a third-party library (a handler's body, json_dumps(), curl_easy_escape()...) never with it.
 * tests/reliability/alloc_calls_test.py fails the build's tests if a bare malloc, calloc,
 * realloc, free, strdup, strndup or asprintf appears in src/ or exporters/ outside these files.
 */
#ifndef CENSUS_CORE_ALLOC_H
#define CENSUS_CORE_ALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "census/allocator.h"

static inline void *census__malloc(size_t size) { return census_allocator_malloc(size); }

static inline void *census__calloc(size_t count, size_t size) {
  return census_allocator_calloc(count, size);
}

static inline void *census__realloc(void *block, size_t size) {
  return census_allocator_realloc(block, size);
}

static inline void census__free(void *block) { census_allocator_free(block); }

/* A copy of the first n bytes of s (fewer if s ends first), NUL-terminated; NULL if exhausted. */
static inline char *census__strndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *copy = census__malloc(len + 1);
  if (copy) {
    memcpy(copy, s, len);
    copy[len] = '\0';
  }
  return copy;
}

/* A copy of s; NULL if exhausted. */
static inline char *census__strdup(const char *s) {
  size_t len = strlen(s);
  char *copy = census__malloc(len + 1);
  if (copy) {
    memcpy(copy, s, len + 1);
  }
  return copy;
}

/* As asprintf(): *out gets a new string (free with census__free()) and the length is returned;
 * -1 on an encoding error or exhausted memory, with *out then undefined as for asprintf(). */
__attribute__((format(printf, 2, 3))) static inline int census__asprintf(char **out,
                                                                         const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (n < 0) {
    return -1;
  }
  *out = census__malloc((size_t)n + 1);
  if (!*out) {
    return -1;
  }
  va_start(args, format);
  vsnprintf(*out, (size_t)n + 1, format, args);
  va_end(args);
  return n;
}

/* A block of `size` bytes whose address is a multiple of `alignment` (a power of two, at least
 * 16), for cells kept apart on cache lines; free with census__free(), never census__realloc().
 * NULL if exhausted or the alignment is not one of those. Core only (not exported). */
void *census__aligned_alloc(size_t alignment, size_t size);

/* Ends the library's load (lifecycle.c): allocations from here on fix the allocator. */
void census__alloc_load_done(void);

#endif
