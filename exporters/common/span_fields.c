/* span_fields.c - span kinds and doubles as the JSON span encoders write them (span_fields.h).
 * No state; the double form is the shortest of %.15g / %.17g that strtod() reads back exactly.
 */
#include "span_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *census__span_kind_name(census_span_kind kind) {
  switch (kind) {
  case CENSUS_SPAN_KIND_INTERNAL:
    return "INTERNAL";
  case CENSUS_SPAN_KIND_SERVER:
    return "SERVER";
  case CENSUS_SPAN_KIND_CLIENT:
    return "CLIENT";
  case CENSUS_SPAN_KIND_PRODUCER:
    return "PRODUCER";
  case CENSUS_SPAN_KIND_CONSUMER:
    return "CONSUMER";
  default:
    return NULL;
  }
}

void census__span_format_double(double v, char buf[32]) {
  if (isnan(v)) {
    strcpy(buf, "NaN");
  } else if (isinf(v)) {
    strcpy(buf, v > 0 ? "Infinity" : "-Infinity");
  } else {
    snprintf(buf, 32, "%.15g", v);
    if (strtod(buf, NULL) != v)
      snprintf(buf, 32, "%.17g", v);
  }
}
