/* span_fields.c - span kinds and doubles as the JSON span encoders write them (span_fields.h).
 * No state; the double form is the shortest of %.15g / %.17g that strtod() reads back exactly.
 */
#include "span_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

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

bool census__attribute_is_array(const census_attribute *a) {
  return a->type >= CENSUS_ATTRIBUTE_STRING_ARRAY && a->type <= CENSUS_ATTRIBUTE_BOOL_ARRAY;
}

void census__attribute_array_json(census_buf *out, const census_attribute *a) {
  census_json j;
  census__json_init(&j, out);
  census__attribute_array_write(&j, a);
}

void census__attribute_array_write(census_json *j, const census_attribute *a) {
  if (!census__attribute_is_array(a)) {
    return;
  }
  census__json_array_begin(j);
  for (size_t i = 0; i < a->value_count; i++) {
    switch (a->type) {
    case CENSUS_ATTRIBUTE_STRING_ARRAY:
      census__json_string(j, a->string_values[i]);
      break;
    case CENSUS_ATTRIBUTE_INT64_ARRAY:
      census__json_int64(j, a->int_values[i]);
      break;
    case CENSUS_ATTRIBUTE_DOUBLE_ARRAY: {
      char text[32];
      census__span_format_double(a->double_values[i], text);
      if (isfinite(a->double_values[i])) {
        census__json_raw(j, text);
      } else {
        census__json_string(j, text); /* JSON has no NaN or infinities as numbers */
      }
      break;
    }
    default: /* CENSUS_ATTRIBUTE_BOOL_ARRAY */
      census__json_bool(j, a->bool_values[i]);
      break;
    }
  }
  census__json_array_end(j);
}
