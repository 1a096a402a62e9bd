/* options.c - the size convention of the exporters' options structs (see options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "census/census.h"

census_status census__options_copy(void *out, size_t out_size, const void *in, const char *who,
                                   const char *type, const char *init) {
  memset(out, 0, out_size);
  memcpy(out, &out_size, sizeof out_size);
  if (!in) {
    return CENSUS_OK;
  }
  size_t in_size;
  memcpy(&in_size, in, sizeof in_size);
  if (in_size < sizeof in_size || in_size > out_size) {
    /* Larger: a program built against a newer census than this library. Its extra fields cannot
     * be read, so whether they were set is unknown: refused, as the core refuses its own structs
     * (src/core/options.c). */
    char message[320];
    snprintf(message, sizeof message, "%s: %s.size is %zu%s: initialise %s with %s%s", who, type,
             in_size, in_size > out_size ? ", larger than this census knows" : "", type, init,
             in_size > out_size ? " and run the program with the census it was built against" : "");
    census_diagnostics_report(CENSUS_EINVAL, message);
    return CENSUS_EINVAL;
  }
  memcpy(out, in, in_size < out_size ? in_size : out_size);
  memcpy(out, &out_size, sizeof out_size);
  return CENSUS_OK;
}
