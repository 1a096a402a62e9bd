/* census/instruments.h - OpenTelemetry's instruments on top of census's measures and views:
 * counters, up-down counters, histograms and gauges, the observable (callback) counters, up-down
 * counters and gauges, bucket helpers, a timer, and opt-in process metrics.
 *
 * One call makes an instrument: it creates the measure of the same name and registers its default
 * view (same name again, the instrument's attribute keys as columns, the aggregation its kind
 * calls for), and returns a handle that lives until the process exits (like a measure: creating
 * the same instrument again returns the same handle). The measure/view API stays the model
 * underneath: an instrument's records go through census_record_*(), so both styles coexist and
 * export alike, and more views can be registered over an instrument's measure
 * (census_counter_measure(), ...). docs/instruments.md has the mapping and the examples.
 *
 *   kind                   measure          default view        exported as (OTLP / Prometheus)
 *   counter                non-negative     Sum                 monotonic Sum / counter
 *   up-down counter        signed           Sum                 non-monotonic Sum / gauge
 *   histogram              non-negative     Distribution        Histogram / histogram
 *   gauge                  signed           LastValue           Gauge / gauge
 *   observable counter     non-negative     the observed total  monotonic Sum / counter
 *   observable up-down     signed           the observed total  non-monotonic Sum / gauge
 *   observable gauge       signed           LastValue           Gauge / gauge
 *
 * Attributes. A census view has fixed columns, so an instrument names its attribute keys when it
 * is made (census_instrument_options.attribute_keys, the Prometheus clients' label names) and
 * takes their values at each record, from a tag map (tags not named are ignored; a named one
 * missing is ""), or once for all from a bound handle (census_counter_bind(), ...), the fastest
 * path. OpenTelemetry's default view keeps every attribute instead; docs/instruments.md lists
 * this and the other differences.
 */
#ifndef CENSUS_INSTRUMENTS_H
#define CENSUS_INSTRUMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"
#include "census/status.h"
#include "census/tags.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Options ------------------------------------------------------------------------------ */

/* What an instrument is made with besides its name. Initialise with
 * CENSUS_INSTRUMENT_OPTIONS_INIT (which sets `size`; every other field starts at its default, 0)
 * and set fields by name; census reads only the first `size` bytes (docs/api-conventions.md).
 * NULL options mean all defaults. Strings and arrays are copied; tag keys are referenced (they
 * live until exit). Thread-safety: a plain value the caller owns; read during the call only. */
typedef struct census_instrument_options {
  size_t size;             /* sizeof(census_instrument_options), set by the INIT macro */
  const char *description; /* NULL: "" */
  const char *unit;        /* UCUM ("s", "By", "{request}"), at most 63 bytes; NULL or "": "1" */
  /* The attribute keys: the default view's columns, in order (distinct keys). */
  const census_tag_key *const *attribute_keys;
  size_t attribute_key_count;
  /* Histograms only: explicit bucket bounds (finite, strictly increasing). NULL with
   * bound_count 0: OpenTelemetry's default boundaries (census_buckets_otel_default()). */
  const double *bounds;
  size_t bound_count;
  size_t max_series;           /* the default view's series limit; 0: 2000 */
  const char *prometheus_name; /* the default view's Prometheus name
                                  (census_view_set_prometheus_name()); NULL: none */
} census_instrument_options;

#define CENSUS_INSTRUMENT_OPTIONS_INIT                                                             \
  { .size = sizeof(census_instrument_options) }

/* ---- Synchronous instruments ---------------------------------------------------------------- */

/* Handles of the four synchronous kinds. They live until the process exits (never freed), like
 * measures, and stay valid after census_shutdown() (records then return CENSUS_ESHUTDOWN).
 * Thread-safety: immutable, safe to share; any number of threads may record through one. */
typedef struct census_counter census_counter;
typedef struct census_updown_counter census_updown_counter;
typedef struct census_histogram census_histogram;
typedef struct census_gauge census_gauge;

/* Constructors, one per kind and value type (int64 or double values; an int64 recorded into a
 * double instrument is converted, a double into an int64 one is refused with CENSUS_ETYPE).
 * `name` follows OpenTelemetry's instrument-name syntax: 1..255 characters, a letter first, then
 * letters, digits, '_', '.', '-' and '/'; it names the measure and the default view. `options` may
 * be NULL. Making the same instrument again (same name, kind, value type and options) returns the
 * same handle. Returns NULL and sets *status (if not NULL) to CENSUS_EINVAL (NULL name, options
 * not made with CENSUS_INSTRUMENT_OPTIONS_INIT, a NULL attribute key, bounds NULL with a count,
 * a unit over 63 bytes), CENSUS_EBADNAME (a name outside the syntax; reported with the rule),
 * CENSUS_EBADBOUNDS, CENSUS_EDUPLICATE (an attribute key twice), CENSUS_ECONFLICT (the name is
 * taken by an instrument of another kind or value type, or by a measure or view with another
 * definition; one diagnostics line names what differs), CENSUS_ENOMEM or CENSUS_ESHUTDOWN; with
 * CENSUS_OK on success. Thread-safe. */
CENSUS_EXPORT census_counter *census_counter_int64_new(const char *name,
                                                       const census_instrument_options *options,
                                                       census_status *status);
CENSUS_EXPORT census_counter *census_counter_double_new(const char *name,
                                                        const census_instrument_options *options,
                                                        census_status *status);
CENSUS_EXPORT census_updown_counter *
census_updown_counter_int64_new(const char *name, const census_instrument_options *options,
                                census_status *status);
CENSUS_EXPORT census_updown_counter *
census_updown_counter_double_new(const char *name, const census_instrument_options *options,
                                 census_status *status);
CENSUS_EXPORT census_histogram *census_histogram_int64_new(const char *name,
                                                           const census_instrument_options *options,
                                                           census_status *status);
CENSUS_EXPORT census_histogram *
census_histogram_double_new(const char *name, const census_instrument_options *options,
                            census_status *status);
CENSUS_EXPORT census_gauge *census_gauge_int64_new(const char *name,
                                                   const census_instrument_options *options,
                                                   census_status *status);
CENSUS_EXPORT census_gauge *census_gauge_double_new(const char *name,
                                                    const census_instrument_options *options,
                                                    census_status *status);

/* Recording: a counter adds a non-negative increment, an up-down counter adds any increment
 * (negative ones too), a histogram records a non-negative value into its buckets, a gauge
 * records the current value (any sign). `tags` carry the attribute values (NULL: the thread's
 * current tag map, census_tag_map_set_current(), or none), read during the call only. The record
 * path is census_record_int64()'s / census_record_double()'s, with the same costs and the same
 * errors: CENSUS_EINVAL (NULL instrument), CENSUS_ENEGATIVE (a negative value for a counter or a
 * histogram), CENSUS_ENONFINITE, CENSUS_ETYPE (a double for an int64 instrument), each refusal
 * counted in census/dropped_measurements and reported to the diagnostics callback; CENSUS_ENOMEM;
 * CENSUS_ESHUTDOWN after census_shutdown() (nothing recorded). Never block on export or I/O.
 * Thread-safe. */
CENSUS_EXPORT census_status census_counter_add_int64(const census_counter *counter, int64_t value,
                                                     const census_tag_map *tags);
CENSUS_EXPORT census_status census_counter_add_double(const census_counter *counter, double value,
                                                      const census_tag_map *tags);
CENSUS_EXPORT census_status census_updown_counter_add_int64(const census_updown_counter *counter,
                                                            int64_t value,
                                                            const census_tag_map *tags);
CENSUS_EXPORT census_status census_updown_counter_add_double(const census_updown_counter *counter,
                                                             double value,
                                                             const census_tag_map *tags);
CENSUS_EXPORT census_status census_histogram_record_int64(const census_histogram *histogram,
                                                          int64_t value,
                                                          const census_tag_map *tags);
CENSUS_EXPORT census_status census_histogram_record_double(const census_histogram *histogram,
                                                           double value,
                                                           const census_tag_map *tags);
CENSUS_EXPORT census_status census_gauge_record_int64(const census_gauge *gauge, int64_t value,
                                                      const census_tag_map *tags);
CENSUS_EXPORT census_status census_gauge_record_double(const census_gauge *gauge, double value,
                                                       const census_tag_map *tags);

/* Binds the instrument to the attribute values of `tags` (copied; NULL: the current tag map),
 * resolved once: recording through the handle (census_bound_record_int64() /
 * census_bound_record_double(), with the instrument's rules: a counter's handle refuses negative
 * values) is the fastest path. As census_measure_bind(): the handle is owned by the caller (free
 * with census_bound_measure_free()); NULL with *status = CENSUS_EINVAL (NULL instrument),
 * CENSUS_ENOMEM or CENSUS_ESHUTDOWN. Thread-safe. */
CENSUS_EXPORT census_bound_measure *census_counter_bind(const census_counter *counter,
                                                        const census_tag_map *tags,
                                                        census_status *status);
CENSUS_EXPORT census_bound_measure *census_updown_counter_bind(const census_updown_counter *counter,
                                                               const census_tag_map *tags,
                                                               census_status *status);
CENSUS_EXPORT census_bound_measure *census_histogram_bind(const census_histogram *histogram,
                                                          const census_tag_map *tags,
                                                          census_status *status);
CENSUS_EXPORT census_bound_measure *
census_gauge_bind(const census_gauge *gauge, const census_tag_map *tags, census_status *status);

/* The instrument's measure (it lives until exit), for views of one's own over the same records
 * (census_view_new()); NULL for NULL. Thread-safe. */
CENSUS_EXPORT const census_measure *census_counter_measure(const census_counter *counter);
CENSUS_EXPORT const census_measure *census_updown_counter_measure(const census_updown_counter *c);
CENSUS_EXPORT const census_measure *census_histogram_measure(const census_histogram *histogram);
CENSUS_EXPORT const census_measure *census_gauge_measure(const census_gauge *gauge);

/* ---- Observable (asynchronous) instruments ------------------------------------------------- */

/* What a callback reports its observations to; valid only during the callback. */
typedef struct census_observer census_observer;

/* An observable instrument's callback: reads the current value(s) and reports each with
 * census_observer_observe_int64() / _double(), once per attribute set (a second observation of
 * the same set in one call replaces the first). `user` is the pointer given at creation.
 * When it runs: at every collection, before the data are taken: each export on census's export
 * worker (the export interval, census_flush(), the flush at exit or on a signal,
 * census_shutdown()'s final export), and each census_view_data_get() / _get_all() (a Prometheus
 * scrape) on the thread that asks. One collection at a time, so callbacks never run
 * concurrently with each other or themselves. A callback holds census's collection lock: it must
 * not collect (census_view_data_get*(), census_flush(), census_shutdown(), census_shm_enable()),
 * create instruments, register views or exporters, or free an observable instrument; it should
 * return quickly (every export waits for it). */
typedef void (*census_observe_fn)(census_observer *observer, void *user);

/* Reports one observation: for an observable counter or up-down counter the total now (not an
 * increment: census exports the value observed, so a counter's total that decreased reads as a
 * reset), for an observable gauge the value now. `tags` give the attribute values (NULL: none;
 * read during the call). Errors as census_record_int64() / _double(): CENSUS_EINVAL (NULL
 * observer), CENSUS_ENEGATIVE (a negative total for an observable counter), CENSUS_ENONFINITE,
 * CENSUS_ETYPE, each refusal counted and reported; CENSUS_ENOMEM. From the callback only. */
CENSUS_EXPORT census_status census_observer_observe_int64(census_observer *observer, int64_t value,
                                                          const census_tag_map *tags);
CENSUS_EXPORT census_status census_observer_observe_double(census_observer *observer, double value,
                                                           const census_tag_map *tags);

/* A registered callback of an observable instrument. Owned by the caller: free it with
 * census_observable_free() to stop the callback (the instrument's measure and view stay, with the
 * last values observed). Thread-safety: the functions below are thread-safe; free is the last
 * call on a handle. */
typedef struct census_observable census_observable;

/* Makes the observable instrument `name` (its measure and default view, as the synchronous
 * constructors do; made again with the same definition, they are the same) and registers
 * `callback` with `user` (passed back, never dereferenced by census) to run at every collection
 * from now on. Each call registers one more callback and returns its handle. Same name syntax,
 * options and errors as the synchronous constructors (a NULL callback is CENSUS_EINVAL); on
 * success *status (if not NULL) = CENSUS_OK. Thread-safe; waits for a collection in progress. */
CENSUS_EXPORT census_observable *
census_observable_counter_int64_new(const char *name, const census_instrument_options *options,
                                    census_observe_fn callback, void *user, census_status *status);
CENSUS_EXPORT census_observable *
census_observable_counter_double_new(const char *name, const census_instrument_options *options,
                                     census_observe_fn callback, void *user, census_status *status);
CENSUS_EXPORT census_observable *census_observable_updown_counter_int64_new(
    const char *name, const census_instrument_options *options, census_observe_fn callback,
    void *user, census_status *status);
CENSUS_EXPORT census_observable *census_observable_updown_counter_double_new(
    const char *name, const census_instrument_options *options, census_observe_fn callback,
    void *user, census_status *status);
CENSUS_EXPORT census_observable *
census_observable_gauge_int64_new(const char *name, const census_instrument_options *options,
                                  census_observe_fn callback, void *user, census_status *status);
CENSUS_EXPORT census_observable *
census_observable_gauge_double_new(const char *name, const census_instrument_options *options,
                                   census_observe_fn callback, void *user, census_status *status);

/* The observable instrument's measure (it lives until exit); NULL for NULL. Thread-safe. */
CENSUS_EXPORT const census_measure *census_observable_measure(const census_observable *observable);

/* Unregisters the callback and frees the handle: once it returns, the callback is not running and
 * will not run again, and `user` may be freed. Waits for a collection in progress (which may be
 * running the callback). NULL is a no-op; works after census_shutdown(). Not from a callback
 * (it would wait for itself). Thread-safe with respect to collections; one call per handle. */
CENSUS_EXPORT void census_observable_free(census_observable *observable);

/* ---- Bucket helpers ------------------------------------------------------------------------- */

/* Writes `count` bounds start, start + width, ..., start + (count - 1) * width into bounds[]
 * (client_golang's LinearBuckets), the caller's array of at least `count` doubles (borrowed for
 * the call). CENSUS_EINVAL for NULL bounds, count 0, a non-finite start or
 * a width that is not finite and > 0; CENSUS_EBADBOUNDS when the bounds would not be finite and
 * strictly increasing (a width lost in rounding); bounds[] is then unspecified. Thread-safe. */
CENSUS_EXPORT census_status census_buckets_linear(double start, double width, size_t count,
                                                  double *bounds);

/* Writes `count` bounds start, start * factor, ..., start * factor^(count - 1) into bounds[]
 * (client_golang's ExponentialBuckets), the caller's array (borrowed for the call). CENSUS_EINVAL
 * for NULL bounds, count 0, a start that is not finite and > 0, or a factor that is not finite and
 * > 1; CENSUS_EBADBOUNDS when a bound would overflow to infinity. Thread-safe. */
CENSUS_EXPORT census_status census_buckets_exponential(double start, double factor, size_t count,
                                                       double *bounds);

/* OpenTelemetry's default explicit bucket boundaries for a histogram, {0, 5, 10, 25, 50, 75,
 * 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000} (15 bounds; made for milliseconds): returns
 * them (a static array) and sets *count (if not NULL). Never fails. Thread-safe. */
CENSUS_EXPORT const double *census_buckets_otel_default(size_t *count);

/* A latency set in seconds, client_golang's DefBuckets: {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
 * 0.5, 1, 2.5, 5, 10} (11 bounds): returns them (a static array) and sets *count (if not NULL).
 * Never fails. Thread-safe. */
CENSUS_EXPORT const double *census_buckets_default_seconds(size_t *count);

/* ---- Timing a block ------------------------------------------------------------------------- */

/* A started timer: a monotonic clock reading (CLOCK_MONOTONIC, nanoseconds). A plain value on
 * the caller's stack; nothing is allocated. Thread-safety: a plain value. */
typedef struct census_timer {
  int64_t start_ns;
} census_timer;

/* Starts a timer: `census_timer t = census_timer_start();`. Never fails. Thread-safe. */
CENSUS_EXPORT census_timer census_timer_start(void);

/* Nanoseconds since census_timer_start() (monotonic: never negative, unaffected by changes of the
 * wall clock); 0 for NULL. The caller's timer is only read (borrowed for the call). Thread-safe. */
CENSUS_EXPORT int64_t census_timer_elapsed_ns(const census_timer *timer);

/* Records the time since census_timer_start() into `histogram`, in the histogram's unit: "s"
 * (OpenTelemetry's recommendation for durations), "ms", "us", "ns", "min", "h" or "d" (an int64
 * histogram gets whole units, truncated). `tags` as census_histogram_record_double(). The timer
 * is only read: one timer may be stopped into several histograms. Errors: CENSUS_EINVAL (NULL
 * timer or histogram, or a histogram whose unit is not a time unit: reported once per
 * histogram), and those of census_histogram_record_double(). Allocates nothing. Thread-safe. */
CENSUS_EXPORT census_status census_timer_stop(const census_timer *timer,
                                              const census_histogram *histogram,
                                              const census_tag_map *tags);

/* ---- Process metrics ------------------------------------------------------------------------ */

/* Registers the process metrics, opt-in, once per process (later calls return CENSUS_OK and do
 * nothing): observable instruments read at each collection from getrusage(), getrlimit() and
 * /proc/self (Linux; elsewhere the /proc ones observe nothing). Each view carries
 * OpenTelemetry's semantic-convention name (what OTLP and the other exporters send) and the
 * Prometheus clients' name (what the Prometheus exporter serves):
 *   process.cpu.time (s)                    process_cpu_seconds_total     user + system CPU
 *   process.memory.usage (By)               process_resident_memory_bytes resident set size
 *   process.memory.virtual (By)             process_virtual_memory_bytes  virtual memory size
 *   process.unix.file_descriptor.count      process_open_fds              open descriptors
 *   process_max_fds                         process_max_fds               RLIMIT_NOFILE soft limit
 *   process_start_time_seconds (s)          process_start_time_seconds    Unix time of the start
 *   process.thread.count                    process_threads               threads
 * (the last-but-two have no semantic-convention metric: both exporters send the Prometheus
 * name). Errors: CENSUS_ENOMEM, CENSUS_ECONFLICT (one of the names is taken by another
 * definition; reported), CENSUS_ESHUTDOWN; the metrics made before an error stay. Thread-safe. */
CENSUS_EXPORT census_status census_process_metrics_register(void);

#ifdef __cplusplus
}
#endif
#endif
