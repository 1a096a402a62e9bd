/* census/allocator.h - the memory census allocates: replacing malloc, calloc, realloc and free
 * (curl's curl_global_init_mem, libuv's uv_replace_allocator).
 *
 * By default census allocates with the C library. A program that counts, limits or pools its
 * memory, or a test that makes allocations fail, gives census its own four functions once, at
 * start-up, before it uses census in any other way. From then on every allocation of census's
 * core and of its exporters goes through them (docs/reliability.md, "The allocator hook", lists
 * the third-party allocations that do not: libcurl, jansson, OpenSSL, libmicrohttpd).
 */
#ifndef CENSUS_ALLOCATOR_H
#define CENSUS_ALLOCATOR_H

#include <stddef.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The four functions of an allocator, with the C library's contracts: malloc and calloc return
 * memory aligned for any object (alignof(max_align_t)) or NULL when exhausted; realloc keeps the
 * block unchanged when it returns NULL; free accepts NULL. census never calls realloc with a NULL
 * block or a size of 0, and never calls them from a signal handler. They may be called from any
 * thread census or the application runs, concurrently: they must be thread-safe. */
typedef void *(*census_malloc_fn)(size_t size);
typedef void *(*census_calloc_fn)(size_t count, size_t size);
typedef void *(*census_realloc_fn)(void *block, size_t size);
typedef void (*census_free_fn)(void *block);

/* Makes census allocate with the given functions (all four required; they are stored, not
 * called, and must stay valid until the process ends). Call it once at start-up, before any other
 * census call, on one thread, while no other thread uses census: loading the library allocates
 * only census's own self-metrics, which census keeps track of and frees with the C library, so the
 * replacement may follow the library's load. A second call before census is used replaces the
 * first. Each block census takes from these functions is a few bytes (16) larger than what census
 * needs: census keeps there which allocator a block came from.
 * Returns CENSUS_OK; CENSUS_EINVAL if any function is NULL (nothing changed); CENSUS_ETOOLATE if
 * census has already allocated anything since it was loaded (any tag key, measure, view, tag map,
 * span, exporter, diagnostics callback...): the allocator is then fixed and stays the previous
 * one, so that no block is ever freed by an allocator that did not make it. Not thread-safe: only
 * at start-up, as above. */
CENSUS_EXPORT census_status census_allocator_replace(census_malloc_fn malloc_fn,
                                                     census_calloc_fn calloc_fn,
                                                     census_realloc_fn realloc_fn,
                                                     census_free_fn free_fn);

/* Allocation through census's allocator, for exporters and other libraries built on census, so
 * that their memory follows census_allocator_replace() too. As malloc(), calloc(), realloc() and
 * free(): NULL when memory is exhausted (or the count or size overflows); a block allocated by
 * one of the first three is owned by the caller and must be freed with census_allocator_free()
 * (and only with it: never with free()); census_allocator_realloc(NULL, n) allocates, and
 * census_allocator_free(NULL) is a no-op. A failed census_allocator_realloc() leaves the block
 * as it was. Thread-safe. */
CENSUS_EXPORT void *census_allocator_malloc(size_t size);
CENSUS_EXPORT void *census_allocator_calloc(size_t count, size_t size);
CENSUS_EXPORT void *census_allocator_realloc(void *block, size_t size);
CENSUS_EXPORT void census_allocator_free(void *block);

#ifdef __cplusplus
}
#endif
#endif
