/* tag_context.c - the current tag map of each thread (OpenCensus's tag context). A borrowed
 * pointer in thread-local storage: setting and reading it cost a TLS access, no lock. */
#include "tags/tags_internal.h"
#include "core/thread_local.h"

CENSUS__HOT_THREAD_LOCAL const census_tag_map *census__tag_current;

CENSUS_EXPORT const census_tag_map *census_tag_map_set_current(const census_tag_map *tags) {
  const census_tag_map *previous = census__tag_current;
  census__tag_current = tags;
  return previous;
}

CENSUS_EXPORT const census_tag_map *census_tag_map_current(void) { return census__tag_current; }
