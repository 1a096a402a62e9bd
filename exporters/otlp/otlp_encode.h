/* otlp_encode.h - pure OTLP encoders: census view data and span data to an
 * ExportMetricsServiceRequest / ExportTraceServiceRequest body, in protobuf or in OTLP/JSON.
 *
 * No I/O and no global state besides census_version(): the exporter, the tests and the benchmark
 * call them directly. Mapping (see docs/exporters/otlp.md): COUNT -> monotonic cumulative Sum of
 * as_int; SUM -> monotonic cumulative Sum (as_int for an int64 measure, as_double for a double
 * one); LAST_VALUE -> Gauge; DISTRIBUTION -> cumulative Histogram (explicit bounds, bucket counts,
 * count, sum, and min/max when count > 0). Every point has start_time = the view data's start
 * time and time = its end time. View columns become string attributes (a missing tag, "", is
 * left out); the overflow row carries only otel.metric.overflow=true. Views without rows are
 * left out. Spans carry every field census keeps; Span.flags is the W3C flags | 0x100 (| 0x200
 * when the parent is remote); Link.flags is the W3C flags alone (census does not keep whether a
 * linked context was remote, and 0x100 must only be set when that is known).
 * The instrumentation scope is "census" with census_version().
 * Thread-safety: reentrant; inputs are only read.
 */
#ifndef CENSUS_OTLP_ENCODE_H
#define CENSUS_OTLP_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporter.h"
#include "census/stats.h"
#include "census/status.h"
#include "resource.h"

/* Appends an ExportMetricsServiceRequest for `views` to `out` (JSON when `json`), and sets
 * *points (if not NULL) to the number of data points written. `resource` may be NULL (no
 * attributes). Returns CENSUS_OK or CENSUS_ENOMEM (out->failed). */
census_status census__otlp_encode_metrics(const census_view_data *const *views, size_t count,
                                          const census_resource *resource, bool json,
                                          census_buf *out, uint64_t *points);

/* One prepared data point of a view (delta temporality, otlp_delta.h): the snapshot row whose
 * attributes it carries, the values to write (bucket_counts owned by whoever prepared it; an
 * EXPONENTIAL view's buckets in `exponential`, likewise), its start time, and whether min/max are
 * known for its interval. */
typedef struct census_otlp_row_point {
  size_t row;
  census_point point;
  census_exponential_buckets exponential;
  int64_t start_ns;
  bool has_min_max;
} census_otlp_row_point;

/* The points of one view, written instead of the snapshot's rows; `delta` sets the metric's
 * AggregationTemporality to DELTA. */
typedef struct census_otlp_view_points {
  bool delta;
  size_t count;
  const census_otlp_row_point *points;
} census_otlp_view_points;

/* census__otlp_encode_metrics() where points[i] (if `points` and points[i] are not NULL) replaces
 * the rows of views[i]; a view with no points is left out. *points_written counts the points. */
census_status census__otlp_encode_metrics_points(const census_view_data *const *views,
                                                 const census_otlp_view_points *const *points,
                                                 size_t count, const census_resource *resource,
                                                 bool json, census_buf *out,
                                                 uint64_t *points_written);

/* Appends an ExportTraceServiceRequest for `spans` to `out`. Returns CENSUS_OK or
 * CENSUS_ENOMEM. */
census_status census__otlp_encode_spans(const census_span_data *const *spans, size_t count,
                                        const census_resource *resource, bool json,
                                        census_buf *out);

/* Test hook: when true, the encoders take their plain paths only (every nested message opened
 * and closed with a backpatched length) instead of the sized fast paths; the bytes must be the
 * same (test_otlp_encode_plain). Set it only while no encode runs. */
extern bool census__otlp_encode_plain;

#endif
