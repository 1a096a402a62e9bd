/* census/stats.h - measures, aggregations, views, the view manager and the stats recorder.
 *
 * The model is OpenCensus's: a measure names a quantity (int64 or double); a view binds a measure
 * to tag-key columns and an aggregation; registering the view starts collecting it. Recording a
 * value for a measure updates every registered view of that measure, in the row (series) named by
 * the view's column values taken from the tag map. View data are cumulative from registration.
 *
 * Recording is wait-free in the common case: each thread updates its own cells, which a collector
 * sums when view data are read or exported. See docs/design.md.
 */
#ifndef CENSUS_STATS_H
#define CENSUS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"
#include "census/tags.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Measures ---------------------------------------------------------------------------- */

typedef enum census_measure_type {
  CENSUS_MEASURE_INT64 = 1,
  CENSUS_MEASURE_DOUBLE = 2,
} census_measure_type;

/* A measure: name, description, unit and value type. Measures live until the process exits.
 * Thread-safety: immutable, safe to share. */
typedef struct census_measure census_measure;

/* Creates (or finds) an int64 measure. `name`: 1..255 bytes of printable ASCII; `description`
 * may be NULL (empty); `unit` is a UCUM unit such as "ms", "By" or "1" (NULL or "" means "1").
 * All strings are copied. Creating a measure twice with the same definition returns the same
 * pointer. Returns NULL and sets *status (if not NULL) to CENSUS_EINVAL, CENSUS_EBADNAME,
 * CENSUS_ECONFLICT (same name, other type/description/unit; the diagnostics callback gets one
 * line naming the measure and the field that differs, with both values), CENSUS_ENOMEM or
 * CENSUS_ESHUTDOWN. Thread-safe. */
CENSUS_EXPORT const census_measure *census_measure_int64_new(const char *name,
                                                             const char *description,
                                                             const char *unit,
                                                             census_status *status);

/* As census_measure_int64_new(), for a double measure. Thread-safe. */
CENSUS_EXPORT const census_measure *census_measure_double_new(const char *name,
                                                              const char *description,
                                                              const char *unit,
                                                              census_status *status);

/* A measure's definition, for census_measure_new(). Initialise with CENSUS_MEASURE_OPTIONS_INIT
 * (which sets `size`; every other field starts at its default, 0) and set fields by name; census
 * reads only the first `size` bytes (docs/api-conventions.md). Thread-safety: a plain value the
 * caller owns; census reads it during the call only. */
typedef struct census_measure_options {
  size_t size;                    /* sizeof(census_measure_options), set by the INIT macro */
  const char *name;               /* 1..255 bytes of printable ASCII; required */
  const char *description;        /* NULL: "" */
  const char *unit;               /* UCUM ("ms", "By", "1"); NULL or "": "1" */
  census_measure_type value_type; /* 0: CENSUS_MEASURE_DOUBLE */
  /* true: the measure accepts negative values (an up-down counter's or a gauge's), so its Sum
   * views may go down and are exported as non-monotonic (census_view_data_is_monotonic());
   * false (the default, OpenCensus's rule): a negative value is refused with CENSUS_ENEGATIVE. */
  bool signed_values;
} census_measure_options;

#define CENSUS_MEASURE_OPTIONS_INIT                                                                \
  { .size = sizeof(census_measure_options) }

/* Creates (or finds) the measure `options` defines; census_measure_int64_new() and
 * census_measure_double_new() are this with signed_values false. All strings are copied. The
 * same definition again returns the same pointer; the same name with another value type, sign,
 * unit or description is CENSUS_ECONFLICT (one diagnostics line names the measure and the field
 * that differs, with both values). Returns NULL and sets *status (if not NULL) to CENSUS_EINVAL
 * (NULL options or name, an unknown value type, options->size not one census knows: not
 * initialised with CENSUS_MEASURE_OPTIONS_INIT, reported), CENSUS_EBADNAME, CENSUS_ECONFLICT,
 * CENSUS_ENOMEM or CENSUS_ESHUTDOWN. Thread-safe. */
CENSUS_EXPORT const census_measure *census_measure_new(const census_measure_options *options,
                                                       census_status *status);

/* True when the measure accepts negative values (census_measure_options.signed_values); false
 * for NULL, which is only read. Thread-safe. */
CENSUS_EXPORT bool census_measure_is_signed(const census_measure *measure);

/* The measure's name, description ("" if none) and unit ("1" if none); borrowed for the
 * measure's life (until exit). NULL for a NULL measure. Thread-safe. */
CENSUS_EXPORT const char *census_measure_name(const census_measure *measure);
CENSUS_EXPORT const char *census_measure_description(const census_measure *measure);
CENSUS_EXPORT const char *census_measure_unit(const census_measure *measure);

/* The type of the measure's values: CENSUS_MEASURE_INT64 or CENSUS_MEASURE_DOUBLE; 0 (neither)
 * for a NULL measure, which is only read. Thread-safe. */
CENSUS_EXPORT census_measure_type census_measure_value_type(const census_measure *measure);

/* ---- Aggregations ------------------------------------------------------------------------ */

typedef enum census_aggregation_type {
  CENSUS_AGGREGATION_COUNT = 1,        /* number of measurements */
  CENSUS_AGGREGATION_SUM = 2,          /* sum of values (int64 or double, as the measure) */
  CENSUS_AGGREGATION_LAST_VALUE = 3,   /* the most recently recorded value */
  CENSUS_AGGREGATION_DISTRIBUTION = 4, /* count, sum, mean, SSD, min, max, bucket counts */
  CENSUS_AGGREGATION_EXPONENTIAL = 5,  /* the same over base-2 exponential buckets */
} census_aggregation_type;

/* How a view summarises its measure. Thread-safety: immutable once created, safe to share. */
typedef struct census_aggregation census_aggregation;

/* New aggregations, owned by the caller and freed with census_aggregation_free(); NULL only if
 * memory is exhausted. Thread-safe. */
CENSUS_EXPORT census_aggregation *census_aggregation_count_new(void);
CENSUS_EXPORT census_aggregation *census_aggregation_sum_new(void);
CENSUS_EXPORT census_aggregation *census_aggregation_last_value_new(void);

/* A distribution over explicit bucket bounds (copied): `count` finite, strictly increasing values
 * (count may be 0: one bucket holds everything). There are count+1 buckets. Buckets are
 * upper-inclusive, as Prometheus `le` and OpenTelemetry count: bucket 0 is (-inf, b[0]], bucket i
 * is (b[i-1], b[i]], the last is (b[count-1], +inf). OpenCensus and Cloud Monitoring count
 * lower-inclusive ([b[i-1], b[i])): the two differ only for a value exactly on a bound.
 * Returns the aggregation (owned by the caller: census_aggregation_free()) with *status (if not
 * NULL) = CENSUS_OK, or NULL with *status = CENSUS_EINVAL (bounds NULL with count > 0),
 * CENSUS_EBADBOUNDS or CENSUS_ENOMEM. Thread-safe. */
CENSUS_EXPORT census_aggregation *
census_aggregation_distribution_new(const double *bounds, size_t count, census_status *status);

/* The defaults of census_aggregation_exponential_new(), OpenTelemetry's. */
#define CENSUS_EXPONENTIAL_DEFAULT_MAX_SIZE 160
#define CENSUS_EXPONENTIAL_DEFAULT_MAX_SCALE 20
#define CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT 2048

/* A base-2 exponential histogram (OpenTelemetry's ExponentialHistogram): count, sum, mean, SSD,
 * min, max, a zero count (values equal to 0: the zero threshold is 0) and at most `max_size`
 * buckets of the positive values (0: 160; 2 .. CENSUS_EXPONENTIAL_MAX_SIZE_LIMIT). At scale s the
 * buckets' base is 2^(2^-s) and bucket i holds (base^i, base^(i+1)] (upper-inclusive, as
 * Prometheus and OpenTelemetry count), so the relative error is at most base - 1: about 4.4% at
 * scale 4. Recording starts at `max_scale` (-10 .. 20; OpenTelemetry's default is 20) and the
 * scale goes down, merging neighbouring buckets two by two, whenever the values' range needs more
 * than max_size buckets; no bucket bounds to choose. Values are recorded without log() (docs/
 * stats.md). Returns the aggregation (owned by the caller: census_aggregation_free()) with
 * *status (if not NULL) = CENSUS_OK, or NULL with *status = CENSUS_EINVAL (max_size or max_scale
 * out of range) or CENSUS_ENOMEM. Thread-safe. */
CENSUS_EXPORT census_aggregation *census_aggregation_exponential_new(size_t max_size, int max_scale,
                                                                     census_status *status);

/* Frees an aggregation; NULL is a no-op. Views copy what they need, so this may follow
 * census_view_new() at once. No other thread may use the aggregation during or after the call. */
CENSUS_EXPORT void census_aggregation_free(census_aggregation *aggregation);

/* The aggregation's kind (count, sum, last value, distribution); 0 (none of them) for a NULL
 * aggregation, which is only read. Thread-safe. */
CENSUS_EXPORT census_aggregation_type
census_aggregation_kind(const census_aggregation *aggregation);

/* ---- Views and the view manager ---------------------------------------------------------- */

/* The default limit on distinct column-value tuples (series) per view. */
#define CENSUS_VIEW_DEFAULT_MAX_SERIES 2000

/* A view definition: name, description, measure, tag-key columns, aggregation, series limit.
 * Thread-safety: one thread at a time until registered; census_view_register() copies it. */
typedef struct census_view census_view;

/* Creates a view definition. `name` is 1..255 bytes of printable ASCII; `description` may be
 * NULL; `columns` lists `column_count` distinct tag keys (may be 0). Strings, columns and the
 * aggregation are copied; the measure and the keys live until exit, so they are referenced.
 * Returns the definition (owned by the caller: census_view_free()) with *status (if not NULL) =
 * CENSUS_OK, or NULL with *status = CENSUS_EINVAL (NULL measure or aggregation,
 * NULL column, an exponential aggregation of a signed measure: reported), CENSUS_EDUPLICATE (the
 * same tag key twice in `columns`; reported to the diagnostics callback with the view, the key and
 * both positions), CENSUS_EBADNAME or CENSUS_ENOMEM. Thread-safe. */
CENSUS_EXPORT census_view *
census_view_new(const char *name, const char *description, const census_measure *measure,
                const census_tag_key *const *columns, size_t column_count,
                const census_aggregation *aggregation, census_status *status);

/* Sets the view's cardinality limit (default CENSUS_VIEW_DEFAULT_MAX_SERIES, must be >= 1).
 * Tuples first seen after the limit is reached are aggregated into one overflow series, whose
 * row reports census_view_data_row_is_overflow() true and is exported with the attribute
 * otel.metric.overflow=true. Changes the caller's definition only (a registered copy keeps its
 * limit). CENSUS_EINVAL for NULL or 0. One thread at a time per definition. */
CENSUS_EXPORT census_status census_view_set_max_series(census_view *view, size_t max_series);

/* Gives the view a second name for the Prometheus exporter, which then names its family after
 * `name` instead of the view's name, with the same rules (sanitised; the unit suffix and a
 * counter's _total added when missing): one view, two names, e.g. the OpenTelemetry name
 * "process.cpu.time" over OTLP (every other exporter uses the view's name) and the Prometheus
 * clients' "process_cpu_seconds_total" on /metrics (docs/instruments.md, "Process metrics").
 * `name` is copied (1..255 bytes of printable ASCII); NULL removes it. It is part of the
 * definition: registering the same view name with another Prometheus name is CENSUS_ECONFLICT.
 * Changes the caller's definition only. Errors: CENSUS_EINVAL (NULL view), CENSUS_EBADNAME,
 * CENSUS_ENOMEM (the definition is unchanged on error). One thread at a time per definition. */
CENSUS_EXPORT census_status census_view_set_prometheus_name(census_view *view, const char *name);

/* Frees a view definition; NULL is a no-op. Registered copies are unaffected. No other thread
 * may use the definition during or after the call. */
CENSUS_EXPORT void census_view_free(census_view *view);

/* Registers a copy of `view` with the view manager and starts collecting it: its start time is
 * now. Registering an identical definition again returns CENSUS_OK and changes nothing; a
 * different definition under the same name returns CENSUS_ECONFLICT and reports one line to the
 * diagnostics callback naming the view and the first field that differs (measure, aggregation
 * kind, bucket bounds, columns, description, max_series, Prometheus name) with both
 * values. Other errors:
 * CENSUS_EINVAL, CENSUS_ENOMEM, CENSUS_ESHUTDOWN. Thread-safe; may run while other threads
 * record. */
CENSUS_EXPORT census_status census_view_register(const census_view *view);

/* ---- View data (snapshots) --------------------------------------------------------------- */

/* A snapshot of one registered view: its definition, start and end time, and one row per
 * distinct tuple of column values. Owned by the caller (free with census_view_data_free()) unless
 * handed to an exporter, which borrows it for the duration of its export call. A snapshot owns
 * what it shows: it and its accessors stay valid after census_shutdown().
 * Thread-safety: immutable, safe to read from any thread. */
typedef struct census_view_data census_view_data;

/* One row's aggregated values. Which fields are meaningful depends on the aggregation:
 * COUNT: count.
 * SUM: count (number of measurements) and the sum: int_value for an int64 measure (double_value
 * holds the same, converted), double_value for a double measure.
 * LAST_VALUE: int_value or double_value as for SUM, and time_ns when it was recorded.
 * DISTRIBUTION: count, the sum as for SUM (int_value for an int64 measure: exact, an integer),
 * mean, sum_of_squared_deviation, min, max, bucket_counts (bucket_count = bounds + 1 entries,
 * borrowed from the view data).
 * Sums are exact running sums, never count * mean, and never decrease from one snapshot to the
 * next (values are never negative) unless the measure is signed (census_measure_is_signed()).
 * An int64 sum, a count or a bucket count that would pass INT64_MAX stays at INT64_MAX
 * (saturated; a signed measure's int64 sum is held within INT64_MIN .. INT64_MAX); the first
 * time is reported through diagnostics and each such row counted in the self-metric view
 * "census/saturated_rows" (docs/stats.md).
 * A double sum past DBL_MAX is +Inf. The mean is sum / count (the mean of the shifted sums when the
 * sum is saturated or infinite); 0 when count is 0. */
typedef struct census_point {
  int64_t count;
  int64_t int_value;   /* SUM, DISTRIBUTION: the sum; LAST_VALUE: the value (int64 measures) */
  double double_value; /* the same for double measures (for int64 ones, int_value converted) */
  int64_t time_ns;     /* LAST_VALUE: Unix time of the value, in nanoseconds */
  double mean;
  double sum_of_squared_deviation;
  double min;
  double max;
  size_t bucket_count;
  const int64_t *bucket_counts;
} census_point;

/* Collects everything recorded so far (by every thread, up to this call) and returns a snapshot of
 * the registered view `name` (read during the call only), owned by the caller (free with
 * census_view_data_free()), with *status (if not NULL) = CENSUS_OK; or NULL with *status =
 * CENSUS_EINVAL, CENSUS_ENOTFOUND, CENSUS_ENOMEM or CENSUS_ESHUTDOWN. Thread-safe; it never blocks
 * recording threads, but waits for a concurrent collection (an export in progress) to finish. */
CENSUS_EXPORT census_view_data *census_view_data_get(const char *name, census_status *status);

/* Frees a snapshot (and everything its accessors returned); NULL is a no-op. No other thread may
 * use the snapshot during or after the call. */
CENSUS_EXPORT void census_view_data_free(census_view_data *data);

/* Collects everything recorded so far and returns snapshots of every registered view, taken
 * together (one consistent collection), in registration order: sets *views to an array of
 * *count snapshots, owned by the caller (free with census_view_data_free_all()). For pull
 * exporters (a Prometheus scrape) and tests. Errors: CENSUS_EINVAL, CENSUS_ENOMEM,
 * CENSUS_ESHUTDOWN. Thread-safe; never blocks recording threads, but waits for a concurrent
 * collection or export to finish. */
CENSUS_EXPORT census_status census_view_data_get_all(census_view_data ***views, size_t *count);

/* Frees what census_view_data_get_all() returned, the array and every snapshot in it; NULL is a
 * no-op. No other thread may use them during or after the call. */
CENSUS_EXPORT void census_view_data_free_all(census_view_data **views, size_t count);

/* Accessors of a snapshot. Strings and arrays are borrowed for the snapshot's life (the measure
 * for the process's); a NULL snapshot, or a row or column out of range, gives NULL, 0 or false.
 * They only read the snapshot. Thread-safe. */
/* The view's name and description ("" if none). */
CENSUS_EXPORT const char *census_view_data_name(const census_view_data *data);
CENSUS_EXPORT const char *census_view_data_description(const census_view_data *data);
/* The view's Prometheus name (census_view_set_prometheus_name()), or NULL when it has none. */
CENSUS_EXPORT const char *census_view_data_prometheus_name(const census_view_data *data);
/* The view's measure (it lives until exit). */
CENSUS_EXPORT const census_measure *census_view_data_measure(const census_view_data *data);
/* The view's aggregation kind. */
CENSUS_EXPORT census_aggregation_type census_view_data_aggregation(const census_view_data *data);
/* The unit of the view's values, the one every exporter writes: "1" for a Count view (it counts
 * measurements, whatever the measure's unit) and for a measure without a unit, else the measure's
 * unit. */
CENSUS_EXPORT const char *census_view_data_unit(const census_view_data *data);
/* True when no exported value of the view can go down from one snapshot to the next, so that
 * exporters declare it monotonic (a Prometheus counter, OTLP Sum.is_monotonic, Cloud Monitoring
 * CUMULATIVE): a Count view, and a Sum or Distribution view of a measure that refuses negative
 * values. False for a Sum or Distribution of a signed measure (census_measure_is_signed(): an
 * up-down counter's, exported as a Prometheus gauge, a non-monotonic OTLP Sum, a Cloud
 * Monitoring GAUGE), for a LastValue view and for NULL. An observable counter's view is
 * monotonic (its callback reports a total that only grows; a decrease is a reset). */
CENSUS_EXPORT bool census_view_data_is_monotonic(const census_view_data *data);
/* Number of columns, and the name of column i. */
CENSUS_EXPORT size_t census_view_data_column_count(const census_view_data *data);
CENSUS_EXPORT const char *census_view_data_column(const census_view_data *data, size_t i);
/* Bucket bounds of a DISTRIBUTION view: returns their number and sets *bounds (if `bounds` is
 * not NULL; NULL when there are none). */
CENSUS_EXPORT size_t census_view_data_bounds(const census_view_data *data, const double **bounds);
/* Collection window, Unix time in nanoseconds: start = registration (or fork in a child). */
CENSUS_EXPORT int64_t census_view_data_start_time_ns(const census_view_data *data);
CENSUS_EXPORT int64_t census_view_data_end_time_ns(const census_view_data *data);
/* Number of rows (series). */
CENSUS_EXPORT size_t census_view_data_row_count(const census_view_data *data);
/* Value of column `column` in row `row`: "" when the tag was missing. */
CENSUS_EXPORT const char *census_view_data_row_value(const census_view_data *data, size_t row,
                                                     size_t column);
/* The values of every column of row `row` at once, for code that writes a whole row (an
 * exporter's labels): sets *values to the row's column_count() values, in column order, as
 * census_view_data_row_value() returns them, and *lengths (if `lengths` is not NULL) to their
 * lengths in bytes without the NUL, so no strlen() is needed. Both arrays are borrowed from the
 * snapshot: valid until census_view_data_free(), never to be written. Returns the number of
 * columns; 0 with *values and *lengths NULL when `data` or `values` is NULL or `row` is out of
 * range. Thread-safe: a snapshot is immutable. */
CENSUS_EXPORT size_t census_view_data_row_values(const census_view_data *data, size_t row,
                                                 const char *const **values,
                                                 const size_t **lengths);
/* True for the overflow row of a view whose cardinality limit was reached (its values are ""). */
CENSUS_EXPORT bool census_view_data_row_is_overflow(const census_view_data *data, size_t row);
/* Fills the caller's *point for `row` (its bucket_counts are borrowed from the snapshot; an
 * EXPONENTIAL row fills count, the sum, mean, sum_of_squared_deviation, min and max, and no
 * buckets: see census_view_data_row_exponential()).
 * CENSUS_EINVAL for NULL arguments, CENSUS_ENOTFOUND if out of range. */
CENSUS_EXPORT census_status census_view_data_row_point(const census_view_data *data, size_t row,
                                                       census_point *point);

/* The buckets of an EXPONENTIAL row: values equal to 0 are counted in zero_count (the zero
 * threshold is 0: census refuses negative values, so there are no negative buckets); bucket
 * offset + i, which holds (base^(offset+i), base^(offset+i+1)] with base = 2^(2^-scale), has
 * bucket_counts[i] values. bucket_counts (borrowed from the snapshot) runs from the first to the
 * last non-empty bucket; bucket_count 0 when every value was 0. The scale is the row's: it only
 * goes down over the view's life (never below -10). max_size is the view's (bucket_count never
 * exceeds it). */
typedef struct census_exponential_buckets {
  int32_t scale;
  int64_t zero_count;
  double zero_threshold; /* always 0 */
  int32_t offset;
  size_t bucket_count;
  const int64_t *bucket_counts;
  size_t max_size;
} census_exponential_buckets;

/* Fills *out for `row` of an EXPONENTIAL view. CENSUS_EINVAL for NULL arguments or a view of
 * another aggregation, CENSUS_ENOTFOUND if out of range. Thread-safe (only reads). */
CENSUS_EXPORT census_status census_view_data_row_exponential(const census_view_data *data,
                                                             size_t row,
                                                             census_exponential_buckets *out);

/* ---- Exemplars ---------------------------------------------------------------------------- */

/* Which measurements may become exemplars (OpenTelemetry's ExemplarFilter). */
typedef enum census_exemplar_filter {
  CENSUS_EXEMPLAR_FILTER_ALWAYS_OFF = 0,  /* none: views keep no exemplars (the default) */
  CENSUS_EXEMPLAR_FILTER_ALWAYS_ON = 1,   /* every measurement is offered */
  CENSUS_EXEMPLAR_FILTER_TRACE_BASED = 2, /* those recorded while the thread's current span is
                                             sampled */
} census_exemplar_filter;

/* Sets the exemplar filter. Views registered while it is not ALWAYS_OFF keep exemplars (a
 * reservoir per series and thread, docs/stats.md); views registered while it is ALWAYS_OFF keep
 * none and their record path costs exactly what it costs without exemplars, whatever the filter
 * becomes later. So set it before registering views (it replaces OTEL_METRICS_EXEMPLAR_FILTER,
 * which is read at the first view registration when this was not called). On views that keep
 * exemplars, a later change takes effect at once (ALWAYS_OFF stops sampling). Returns CENSUS_OK
 * or CENSUS_EINVAL (not one of the enum's values; the filter is unchanged). Thread-safe. */
CENSUS_EXPORT census_status census_exemplar_filter_set(census_exemplar_filter filter);

/* The exemplar filter in force (OTEL_METRICS_EXEMPLAR_FILTER, read on first use, when
 * census_exemplar_filter_set() was not called; ALWAYS_OFF when neither). Thread-safe. */
CENSUS_EXPORT census_exemplar_filter census_exemplar_filter_get(void);

/* Filtered attributes an exemplar keeps: at most 64 bytes of (tag, value) pairs (8 per tag plus
 * the value and its NUL, rounded up to 8); a tag that does not fit is left out and the
 * exemplar's attributes_truncated set. */
#define CENSUS_EXEMPLAR_ATTRIBUTE_BYTES 64

/* One exemplar of a row: a measurement kept as a sample, with the span it was recorded in.
 * Thread-safety: a plain value. */
typedef struct census_exemplar {
  int64_t int_value;   /* the value, for an int64 measure */
  double double_value; /* the value (an int64 measure's converted) */
  int64_t time_ns;     /* Unix time of the measurement, in nanoseconds */
  bool has_span;       /* trace_id and span_id are the current span's at the measurement */
  uint8_t trace_id[16];
  uint8_t span_id[8];
  size_t bucket;          /* DISTRIBUTION: the index of the bucket it fell in; else SIZE_MAX */
  size_t attribute_count; /* filtered attributes: the recording's tags not among the columns */
  bool attributes_truncated;
} census_exemplar;

/* Number of exemplars of `row` (0 for a view registered without exemplars, a NULL snapshot or
 * a row out of range). Exemplars are ordered by slot: a DISTRIBUTION's by bucket. Thread-safe
 * (only reads). */
CENSUS_EXPORT size_t census_view_data_row_exemplar_count(const census_view_data *data, size_t row);

/* Fills *out with exemplar `i` of `row`. CENSUS_EINVAL for NULL arguments, CENSUS_ENOTFOUND if
 * the row or exemplar is out of range. Thread-safe (only reads). */
CENSUS_EXPORT census_status census_view_data_row_exemplar(const census_view_data *data, size_t row,
                                                          size_t i, census_exemplar *out);

/* Filtered attribute `j` of exemplar `i` of `row`: *key (the tag key's name) and *value,
 * NUL-terminated, borrowed for the snapshot's life. CENSUS_EINVAL for NULL arguments,
 * CENSUS_ENOTFOUND if out of range. Thread-safe (only reads). */
CENSUS_EXPORT census_status census_view_data_row_exemplar_attribute(const census_view_data *data,
                                                                    size_t row, size_t i, size_t j,
                                                                    const char **key,
                                                                    const char **value);

/* ---- Recording --------------------------------------------------------------------------- */

/* A batch of (measure, value) pairs recorded together against one tag map. Owned by the caller:
 * new, put, clear and free work after census_shutdown() too (recording it does not).
 * Thread-safety: one thread at a time. */
typedef struct census_measurement_map census_measurement_map;

/* A new empty map, owned by the caller (free with census_measurement_map_free()), or NULL if
 * memory is exhausted. Thread-safe. */
CENSUS_EXPORT census_measurement_map *census_measurement_map_new(void);

/* Frees the map; NULL is a no-op. No other thread may use it during or after the call. */
CENSUS_EXPORT void census_measurement_map_free(census_measurement_map *map);

/* Empties the map so that it can be reused, including a refusal left by a put; keeps its memory.
 * NULL is a no-op. One thread at a time. */
CENSUS_EXPORT void census_measurement_map_clear(census_measurement_map *map);

/* Adds a value for `measure`; a later put for the same measure replaces the earlier one.
 * OpenCensus semantics: an invalid value poisons the whole map, so that the next
 * census_measurement_map_record() records nothing and returns the same error. Returns CENSUS_OK,
 * CENSUS_EINVAL (NULL), CENSUS_ENEGATIVE (value < 0 for a measure that is not signed),
 * CENSUS_ENONFINITE (NaN or infinite),
 * CENSUS_ETYPE (a double for an int64 measure) or CENSUS_ENOMEM. An int64 value for a double
 * measure is converted. The map keeps a reference to `measure` (measures live until exit).
 * One thread at a time per map. */
CENSUS_EXPORT census_status census_measurement_map_put_int64(census_measurement_map *map,
                                                             const census_measure *measure,
                                                             int64_t value);
CENSUS_EXPORT census_status census_measurement_map_put_double(census_measurement_map *map,
                                                              const census_measure *measure,
                                                              double value);

/* Records every value of the map against `tags` (NULL: the thread's current tag map, see
 * census_tag_map_set_current(), or no tags if none is current), atomically with respect to
 * collection: an export sees all of the map or none of it. The map is left as it was.
 * If a put refused a value, nothing is recorded: every measurement of the map, the refused ones
 * and the valid ones alike (none of them is recorded), is counted in the self-metric view
 * "census/dropped_measurements" (reason "invalid_value") and the refusal is reported to the
 * diagnostics callback; the put's first error is returned. After census_shutdown() a map that a
 * put did not poison records nothing and returns CENSUS_ESHUTDOWN (the first such record in the
 * process is reported to the diagnostics callback). Never blocks on export or I/O;
 * allocates only for a series this thread records into for the first time. Thread-safe for
 * different maps; `tags` may be shared by concurrent recorders. */
CENSUS_EXPORT census_status census_measurement_map_record(const census_measurement_map *map,
                                                          const census_tag_map *tags);

/* Records one value without a measurement map; same semantics as a one-entry map (an invalid
 * value is refused, counted in census/dropped_measurements and reported to the diagnostics
 * callback): CENSUS_EINVAL for a NULL measure, a refused value's status, else CENSUS_OK, or
 * CENSUS_ESHUTDOWN after census_shutdown() (nothing recorded; the first one is reported).
 * `tags` (NULL: the current tag map) is read during the call only. Never blocks on export or
 * I/O. Thread-safe; `tags` may be shared by concurrent recorders. */
CENSUS_EXPORT census_status census_record_int64(const census_measure *measure, int64_t value,
                                                const census_tag_map *tags);
CENSUS_EXPORT census_status census_record_double(const census_measure *measure, double value,
                                                 const census_tag_map *tags);

/* ---- Bound measures: the fastest record path ---------------------------------------------- */

/* A measure bound to one tag map, resolved once to its series in every view of the measure.
 * Recording through it costs about one relaxed load and store per view: no hashing, no lookup,
 * no lock, no allocation (except the first record by each thread, and the first record after a
 * new view of the measure is registered, which re-resolves the handle).
 * Lifetime: valid until census_bound_measure_free(); it survives view registration; after
 * census_shutdown() recording through it records nothing and returns CENSUS_ESHUTDOWN, and
 * census_bound_measure_free() still frees it. fork(): the child's handles stay valid and
 * record into the child's fresh series.
 * Thread-safety: any number of threads may record through one handle at once. */
typedef struct census_bound_measure census_bound_measure;

/* Binds `measure` to a copy of `tags` (NULL: of the current tag map, if any, at this call).
 * Returns the handle, owned by the caller (free with census_bound_measure_free()), with *status
 * (if not NULL) = CENSUS_OK; or NULL with *status = CENSUS_EINVAL (NULL measure), CENSUS_ENOMEM or
 * CENSUS_ESHUTDOWN. Thread-safe. */
CENSUS_EXPORT census_bound_measure *census_measure_bind(const census_measure *measure,
                                                        const census_tag_map *tags,
                                                        census_status *status);

/* Records one value through a bound measure, with the semantics of census_record_int64() /
 * census_record_double(): an invalid value is refused (CENSUS_ENEGATIVE, CENSUS_ENONFINITE,
 * CENSUS_ETYPE), counted in census/dropped_measurements (reason "invalid_value") and reported
 * to the diagnostics callback, one message per refused call, as every record call does;
 * CENSUS_EINVAL for NULL; after census_shutdown() CENSUS_ESHUTDOWN, nothing recorded.
 * Thread-safe, wait-free in the common case. */
CENSUS_EXPORT census_status census_bound_record_int64(census_bound_measure *bound, int64_t value);
CENSUS_EXPORT census_status census_bound_record_double(census_bound_measure *bound, double value);

/* Frees the handle. What was recorded through it is not lost: the next collection (an export, a
 * flush, census_view_data_get()) takes it, like everything else recorded, and then releases the
 * handle's memory. NULL is a no-op. No other thread may use the handle during or after the call.
 * Never waits for an export. */
CENSUS_EXPORT void census_bound_measure_free(census_bound_measure *bound);

#ifdef __cplusplus
}
#endif
#endif
