/* options.c - the size check shared by every public options struct (see options.h).
 *
 * The check is out of line and cold: callers on a hot path (census_span_start()) compare the size
 * with their own sizeof inline and come here only when it differs, so the common case costs one
 * compare.
 */
#include "core/options.h"

#include <string.h>

#include "core/diagnostics.h"

__attribute__((cold, noinline)) census_status
census__options_read(const void *options, size_t min_size, size_t known, void *out,
                     const char *function, const char *type, const char *init_macro) {
  memset(out, 0, known);
  size_t size;
  memcpy(&size, options, sizeof size);
  if (size == 0) {
    census__diag(CENSUS_EINVAL,
                 "%s: %s.size is 0 (the struct was zero-initialised or filled positionally): "
                 "initialise it with %s and set fields by name",
                 function, type, init_macro);
    return CENSUS_EINVAL;
  }
  if (size < min_size || size > known) {
    census__diag(CENSUS_EINVAL,
                 "%s: %s.size is %zu, but this census reads %zu to %zu bytes: initialise it with "
                 "%s%s",
                 function, type, size, min_size, known, init_macro,
                 size > known ? ", and run the program with the census it was built against" : "");
    return CENSUS_EINVAL;
  }
  memcpy(out, options, size);
  memcpy(out, &known, sizeof known);
  return CENSUS_OK;
}
