/* alloc.c - the allocator hook: every allocation of census's core and exporters comes here
 * (through the wrappers of core/alloc.h), and goes to the C library or to the four functions
 * given to census_allocator_replace().
 *
 * Each block carries a header of ALLOC_HEADER bytes (16 on x86-64 and arm64: the alignment
 * malloc guarantees, so the caller's part stays aligned for any object) that points to the
 * allocator that made it. free and realloc read it and call that allocator, never the
 * current one. That is what makes replacement sound after the library's load: the load
 * (lifecycle.c) creates census's self-metrics with the C library before main() can replace
 * anything, and those blocks are freed at census_shutdown() by the C library still.
 *
 * Replacement is allowed until census first allocates after its load (census__alloc_load_done()
 * marks the end of the load): from then on, blocks of the current allocator may exist, and a
 * program that replaced the allocator later would find census's memory split between two
 * allocators without knowing it. So a late call is refused (CENSUS_ETOOLATE), never silently
 * half-applied. `used` is written once (the first allocation after the load) and read on every
 * allocation; `current` is written only by census_allocator_replace(), at start-up.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include "census/allocator.h"
#include "alloc.h" /* this directory's: alloc.c is also compiled alone, into NO_CORE fuzz targets */

struct allocator {
  census_malloc_fn malloc_fn;
  census_calloc_fn calloc_fn;
  census_realloc_fn realloc_fn;
  census_free_fn free_fn;
};

/* The header just before each block: its allocator, and where the allocator's block begins
 * (ALLOC_HEADER bytes before, or more for census__aligned_alloc()). Its size is the alignment
 * malloc guarantees, so the caller's part stays aligned for any object. */
struct alloc_header {
  alignas(max_align_t) const struct allocator *owner;
  size_t offset; /* bytes from the allocator's block to the caller's */
};
#define ALLOC_HEADER sizeof(struct alloc_header)

static const struct allocator libc_allocator = {malloc, calloc, realloc, free};
static struct allocator replaced; /* the functions given to census_allocator_replace() */
static _Atomic(const struct allocator *) current = &libc_allocator;
static _Atomic bool loaded; /* census__alloc_load_done() ran */
static _Atomic bool used;   /* census allocated after its load: replacement is refused */

/* The allocator for a new block; marks census as used once its load is over. */
static const struct allocator *allocator_for_new_block(void) {
  if (atomic_load_explicit(&loaded, memory_order_relaxed) &&
      !atomic_load_explicit(&used, memory_order_relaxed)) {
    atomic_store_explicit(&used, true, memory_order_relaxed);
  }
  return atomic_load_explicit(&current, memory_order_acquire);
}

/* The caller's part of the allocator's block `raw`, `offset` bytes in, with its header set. */
static void *block_from(void *raw, const struct allocator *owner, size_t offset) {
  if (!raw) {
    return NULL;
  }
  struct alloc_header *h = (struct alloc_header *)((char *)raw + offset) - 1;
  h->owner = owner;
  h->offset = offset;
  return (char *)raw + offset;
}

static struct alloc_header *header_of(void *block) { return (struct alloc_header *)block - 1; }

void census__alloc_load_done(void) { atomic_store_explicit(&loaded, true, memory_order_relaxed); }

CENSUS_EXPORT census_status census_allocator_replace(census_malloc_fn malloc_fn,
                                                     census_calloc_fn calloc_fn,
                                                     census_realloc_fn realloc_fn,
                                                     census_free_fn free_fn) {
  if (!malloc_fn || !calloc_fn || !realloc_fn || !free_fn) {
    return CENSUS_EINVAL;
  }
  if (atomic_load_explicit(&used, memory_order_relaxed)) {
    return CENSUS_ETOOLATE;
  }
  replaced = (struct allocator){malloc_fn, calloc_fn, realloc_fn, free_fn};
  atomic_store_explicit(&current, &replaced, memory_order_release);
  return CENSUS_OK;
}

CENSUS_EXPORT void *census_allocator_malloc(size_t size) {
  if (size > SIZE_MAX - ALLOC_HEADER) {
    return NULL;
  }
  const struct allocator *a = allocator_for_new_block();
  return block_from(a->malloc_fn(size + ALLOC_HEADER), a, ALLOC_HEADER);
}

/* calloc of count * size plus the header, as one zeroed block of bytes (the header is then
 * overwritten); NULL when the product overflows, like calloc(). */
CENSUS_EXPORT void *census_allocator_calloc(size_t count, size_t size) {
  if (size != 0 && count > (SIZE_MAX - ALLOC_HEADER) / size) {
    return NULL;
  }
  const struct allocator *a = allocator_for_new_block();
  return block_from(a->calloc_fn(1, count * size + ALLOC_HEADER), a, ALLOC_HEADER);
}

/* Grows or shrinks a block with the allocator that made it (whatever the current one is). */
CENSUS_EXPORT void *census_allocator_realloc(void *block, size_t size) {
  if (!block) {
    return census_allocator_malloc(size);
  }
  if (size > SIZE_MAX - ALLOC_HEADER) {
    return NULL;
  }
  struct alloc_header *h = header_of(block);
  const struct allocator *owner = h->owner;
  return block_from(owner->realloc_fn(h, size + ALLOC_HEADER), owner, ALLOC_HEADER);
}

CENSUS_EXPORT void census_allocator_free(void *block) {
  if (block) {
    struct alloc_header *h = header_of(block);
    h->owner->free_fn((char *)block - h->offset);
  }
}

/* Over-allocates by `alignment` and places the caller's part on the first multiple of it that
 * leaves room for the header; the header's offset lets census__free() find the allocator's
 * block. */
void *census__aligned_alloc(size_t alignment, size_t size) {
  if (alignment < ALLOC_HEADER || (alignment & (alignment - 1)) != 0 ||
      size > SIZE_MAX - alignment - ALLOC_HEADER) {
    return NULL;
  }
  const struct allocator *a = allocator_for_new_block();
  char *raw = a->malloc_fn(size + alignment + ALLOC_HEADER);
  if (!raw) {
    return NULL;
  }
  uintptr_t start = ((uintptr_t)raw + ALLOC_HEADER + alignment - 1) & ~(uintptr_t)(alignment - 1);
  return block_from(raw, a, (size_t)(start - (uintptr_t)raw));
}
