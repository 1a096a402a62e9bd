/* otlp_config.h - the OTLP exporter's configuration, resolved per signal (otlp_config.c;
 * internal, exposed for tests/unit/test_otlp_config.c).
 *
 * Precedence per setting: API option > OTEL_EXPORTER_OTLP_<SIGNAL>_* > OTEL_EXPORTER_OTLP_* >
 * default. Endpoints: a per-signal URL (option or variable) is used as-is (an empty path becomes
 * "/"); a base URL gets "/v1/metrics" or "/v1/traces" appended with exactly one '/'. With
 * protocol grpc both keep only their scheme and authority, followed by the Export method's path
 * (default endpoint http://localhost:4317). Headers: a User-Agent, then the
 * variable's list, then the options' (same name, case-insensitive, replaces). A malformed
 * variable is reported once through census_diagnostics_report() and ignored; a malformed option
 * is CENSUS_EINVAL. Thread-safety: reentrant (reads the environment).
 */
#ifndef CENSUS_OTLP_CONFIG_H
#define CENSUS_OTLP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/exporters/otlp.h"
#include "census/status.h"

#define CENSUS_OTLP_MAX_HEADERS 64

typedef struct census_otlp_signal_config {
  char *url; /* owned */
  bool json;
  bool grpc; /* OTLP/gRPC: url is the Export method's; protobuf */
  bool gzip;
  int64_t timeout_ms;
  char *headers[CENSUS_OTLP_MAX_HEADERS]; /* "Name: value" lines, owned */
  size_t header_count;
  unsigned generic; /* CENSUS_OTLP_GENERIC_* bits: settings taken from
                       the generic OTEL_EXPORTER_OTLP_* variables */
} census_otlp_signal_config;

#define CENSUS_OTLP_GENERIC_PROTOCOL 0x1u
#define CENSUS_OTLP_GENERIC_COMPRESSION 0x2u
#define CENSUS_OTLP_GENERIC_TIMEOUT 0x4u
#define CENSUS_OTLP_GENERIC_HEADERS 0x8u
#define CENSUS_OTLP_GENERIC_BAD_ENDPOINT 0x10u /* OTEL_EXPORTER_OTLP_ENDPOINT was reported bad */

/* Resolves the configuration of `signal` ("metrics" or "traces") into *c (zeroed first; free it
 * with census__otlp_config_free() whatever the result). `previous` (may be NULL) is the other
 * signal's configuration, resolved first: what it took from a generic variable is copied rather
 * than read again, so that a malformed generic variable is reported once per exporter, not once
 * per signal. CENSUS_OK, CENSUS_EINVAL, CENSUS_ENOMEM. */
census_status census__otlp_config_resolve(const census_otlp_options *options, const char *signal,
                                          const census_otlp_signal_config *previous,
                                          census_otlp_signal_config *c);

void census__otlp_config_free(census_otlp_signal_config *c);

/* Reports (CENSUS_ECONFIG, once per call) the metrics preference census cannot honour:
 * OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION base2_exponential_bucket_histogram
 * (census distributions have explicit bounds). The temporality preference is otlp_delta.h's. */
void census__otlp_report_unsupported_metric_preferences(void);

#endif
