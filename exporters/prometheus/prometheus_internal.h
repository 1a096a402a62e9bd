/* prometheus_internal.h - what the Prometheus exporter's files share (internal; exposed to
 * tests/unit/test_prometheus_render.c). The exporter is three files by concern:
 *   prometheus_names.c     names: units as words and base-unit scaling, family names free of
 *                          collisions, label names, the once-per-process report of renames;
 *   prometheus_render.c    text: numbers, escaping, one writer per aggregation, the public render
 *                          functions and content negotiation;
 *   prometheus_exporter.c  the /metrics endpoint (libmicrohttpd) and its life in census.
 * Every buffer is exporters/common's census_buf.
 *
 * Thread-safety: every function is reentrant; census__prometheus_report_once() is thread-safe.
 */
#ifndef CENSUS_PROMETHEUS_INTERNAL_H
#define CENSUS_PROMETHEUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporters/prometheus.h"
#include "census/stats.h"
#include "census/status.h"

/* ---- values (prometheus_render.c) --------------------------------------------------------- */

/* Appends an int64 in decimal, without snprintf (the hot path of counters). */
void census__prometheus_int(census_buf *o, int64_t v);

/* Test hook: when true, every sample line goes through the labels-then-line path (row labels
 * into a scratch buffer, then copied) instead of the direct one for counters and gauges; the
 * text must be the same (test_prometheus_render's direct-vs-plain test). Set it only while no
 * render runs. */
extern bool census__prometheus_render_plain;

/* Appends a double in the shortest of %.15g, %.16g, %.17g that reads back exactly; NaN, +Inf,
 * -Inf spelled as Prometheus parses them. `canonical` (OpenMetrics bucket bounds) adds ".0" to
 * integral values. */
void census__prometheus_double(census_buf *o, double d, bool canonical);

/* Copies the options a render needs (NULL: the defaults) into *options and checks them:
 * CENSUS_OK or CENSUS_EINVAL (an unknown format, a bad or repeated constant label name, options
 * not initialised with CENSUS_PROMETHEUS_OPTIONS_INIT: reported). */
census_status census__prometheus_options_read(const census_prometheus_options *in,
                                              census_prometheus_options *options);

/* ---- units and scaling (prometheus_names.c) ------------------------------------------------ */

/* How values of a view are scaled for options->base_units: by a power of ten (done on the
 * decimal digits, so 1500 ms is exactly 1.5 s and a bound of 0.1 ms exactly 0.0001 s), by a
 * power of two (exact), or by an integer factor (minutes, hours, days). */
typedef enum census_prometheus_scale_kind {
  CENSUS_PROMETHEUS_SCALE_NONE,
  CENSUS_PROMETHEUS_SCALE_DECIMAL,
  CENSUS_PROMETHEUS_SCALE_BINARY,
  CENSUS_PROMETHEUS_SCALE_FACTOR,
} census_prometheus_scale_kind;

typedef struct census_prometheus_scale {
  census_prometheus_scale_kind kind;
  int amount; /* the power of ten or two, or the factor */
} census_prometheus_scale;

double census__prometheus_scaled_double(double v, const census_prometheus_scale *s);
/* An int64 value scaled: its exact digits with the exponent moved for powers of ten. */
double census__prometheus_scaled_int(int64_t v, const census_prometheus_scale *s);

/* The unit suffix for `unit` (without the leading "_") into `o`: "" for "1", for units made only
 * of annotations, and for NULL. Never starts or ends with "_", never holds "__". */
void census__prometheus_unit_suffix(census_buf *o, const char *unit);

/* The unit of view `d` as rendered: the word of its name suffix ("" for none) into `word`, the
 * word of the measure's own unit when base units replace it into `original`, and the scale of
 * its values. A Count view's unit is "1". With options->base_units, a unit with a base unit is
 * converted, unless that would make a distribution's bounds collapse or overflow (then the view
 * keeps its unit, reported once). */
void census__prometheus_view_unit(const census_view_data *d,
                                  const census_prometheus_options *options, census_buf *word,
                                  census_buf *original, census_prometheus_scale *scale);

/* ---- names (prometheus_names.c) ------------------------------------------------------------ */

/* The Prometheus metric type a view is written as: a counter for Count views and for monotonic
 * Sum views (census_view_data_is_monotonic()), a gauge for LastValue views and for Sums that can
 * go down (an up-down counter's: a gauge, as OpenTelemetry's Prometheus exporter writes a
 * non-monotonic Sum), a histogram for Distribution views. */
typedef enum census_prometheus_type {
  CENSUS_PROMETHEUS_COUNTER,
  CENSUS_PROMETHEUS_GAUGE,
  CENSUS_PROMETHEUS_HISTOGRAM,
} census_prometheus_type;

census_prometheus_type census__prometheus_type(const census_view_data *d);

/* census_diagnostics_report() of a printf-formatted message, once per process per message (a
 * lock-free set of hashes: scrapes repeat every rename). */
void census__prometheus_report_once(census_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* True for a name Prometheus accepts as a label name and that may be a constant label:
 * [a-zA-Z_][a-zA-Z0-9_]*, not "__...", not "le", "quantile" or "otel_metric_overflow". */
bool census__prometheus_const_label_name_valid(const char *name);

/* Sample names reserved by the families written so far in one render, each with the name of the
 * view that reserved it (borrowed from its snapshot, for the render's life). Zero-initialise. */
typedef struct census_prometheus_reserved {
  char **names;
  const char **owners;
  size_t count, capacity;
} census_prometheus_reserved;

void census__prometheus_reserved_free(census_prometheus_reserved *r);

/* Chooses the family name of view `d` (without "_total"), free of collisions with `reserved`,
 * reserves its sample names, and returns it (malloc'd) with *unit_start set to the offset of the
 * unit suffix's "_" (or the name's length if it has none). `unit` and `original` are from
 * census__prometheus_view_unit(). Every rename is reported once. NULL if memory is exhausted. */
char *census__prometheus_family_name(const census_view_data *d,
                                     const census_prometheus_options *options,
                                     census_prometheus_reserved *reserved, const census_buf *unit,
                                     const census_buf *original, size_t *unit_start);

/* One label of a view: its name and the column whose values it carries. */
typedef struct census_prometheus_column {
  char *name;
  size_t length; /* strlen(name) */
  size_t column;
} census_prometheus_column;

/* The labels of view `d`, one per column in column order: a column whose label name an earlier
 * column already has gets "_2" (then "_3", ...), so two rows never render as one series. NULL
 * with *count 0 if it has no columns, NULL with *failed set if memory is exhausted. Renames are
 * reported once. Free with census__prometheus_columns_free(). */
census_prometheus_column *census__prometheus_view_labels(const census_view_data *d, size_t *count,
                                                         bool *failed);

void census__prometheus_columns_free(census_prometheus_column *labels, size_t count);

#endif
