/* fuzz_accept.c - libFuzzer target for census_prometheus_negotiate(), which reads the Accept
 * header of every request to /metrics: input from any client of the server.
 *
 * The input, cut at its first NUL (a header value holds none), is negotiated. Invariants: nothing
 * crashes or reads out of bounds (ASan), including q-values that strtod reads as nan, inf or
 * 1e400; the answer is one of the two formats and the same twice; OpenMetrics only when the
 * header names application/openmetrics-text (in any case); the Content-Type of the answer is the
 * one of its format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/exporters/prometheus.h"
#include "fuzz_common.h"

static bool names_openmetrics(const char *s) {
  for (; *s; s++) {
    if (strncasecmp(s, "application/openmetrics-text", 28) == 0) {
      return true;
    }
  }
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *accept = malloc(size + 1);
  if (!accept) {
    return 0;
  }
  memcpy(accept, data, size);
  accept[size] = '\0';
  census_prometheus_format format = census_prometheus_negotiate(accept);
  FUZZ_CHECK(format == CENSUS_PROMETHEUS_TEXT || format == CENSUS_PROMETHEUS_OPENMETRICS);
  FUZZ_CHECK(census_prometheus_negotiate(accept) == format);
  FUZZ_CHECK(format == CENSUS_PROMETHEUS_TEXT || names_openmetrics(accept));
  const char *type = census_prometheus_format_content_type(format);
  FUZZ_CHECK(
      strncmp(type,
              format == CENSUS_PROMETHEUS_TEXT ? "text/plain" : "application/openmetrics-text",
              format == CENSUS_PROMETHEUS_TEXT ? 10 : 28) == 0);
  free(accept);
  return 0;
}
