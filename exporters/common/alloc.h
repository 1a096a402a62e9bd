/* alloc.h - the exporters' allocation wrappers: the core's own (src/core/alloc.h), which use only
 * census's public API (census/allocator.h), so the exporters' libraries allocate through the
 * allocator given to census_allocator_replace() too. */
#include "../../src/core/alloc.h"
