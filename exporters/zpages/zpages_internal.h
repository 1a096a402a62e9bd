/* zpages_internal.h - what the zPages' files share (internal). By concern:
 *   zpages_spans.c     the span store behind tracez: per-name counters, running-span slots and
 *                      sample rings, fed by a span observer on the recording threads;
 *   zpages_history.c   the bounded history of each view's total behind statsz's sparklines, and
 *                      its thread;
 *   zpages_html.c      escaping and the page frame (HTML and inline SVG);
 *   zpages_pages.c     the three pages and their JSON twins;
 *   zpages_exporter.c  start, stats, stop, the route and the own server, the life in census.
 * Every buffer is exporters/common's census_buf.
 */
#ifndef CENSUS_ZPAGES_INTERNAL_H
#define CENSUS_ZPAGES_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporter.h"
#include "census/exporters/zpages.h"
#include "json_writer.h"

/* ---- the span store (zpages_spans.c) ------------------------------------------------------ */

/* OpenCensus's latency buckets: [0, 10 us), [10 us, 100 us), ... [10 s, 100 s), [100 s, inf). */
#define ZP_LATENCY_BUCKETS 9

/* One copied attribute of a sample (strings in the sample's own block). An array
 * (CENSUS_ATTRIBUTE_*_ARRAY) is kept as its JSON text in string_value (["a","b"], [1,2]), cut like
 * any string; `whole` says the text was not cut, so that the JSON API can give it as a JSON array
 * (a cut one is given as a string). */
typedef struct zp_attr {
  const char *key;
  census_attribute_type type;
  const char *string_value;
  int64_t int_value;
  double double_value;
  bool bool_value;
  bool whole;
} zp_attr;

typedef struct zp_event {
  const char *name;
  int64_t time_ns;
  zp_attr *attrs;
  uint32_t attr_count;
} zp_event;

typedef struct zp_link {
  census_trace_context context; /* tracestate cut to what fits */
} zp_link;

/* A sample span: one malloc'd block of at most sample_max_bytes, immutable once made. */
typedef struct zp_sample {
  size_t bytes; /* the block's size, for the memory accounting */
  const char *name;
  census_trace_context context;
  bool has_parent, parent_remote, sampled;
  uint8_t parent_span_id[CENSUS_SPAN_ID_SIZE];
  census_span_kind kind;
  int64_t start_ns, end_ns;
  census_span_status_code status;
  const char *status_message;
  zp_attr *attrs;
  uint32_t attr_count;
  zp_event *events;
  uint32_t event_count;
  zp_link *links;
  uint32_t link_count;
  uint32_t dropped_attrs, dropped_events, dropped_links; /* by census's span limits */
  uint32_t cut; /* attributes, events and links left out to fit the budget */
} zp_sample;

/* A running span as the page shows it (copied out of its slot). */
typedef struct zp_running {
  uint8_t trace_id[CENSUS_TRACE_ID_SIZE];
  uint8_t span_id[CENSUS_SPAN_ID_SIZE];
  uint8_t parent_span_id[CENSUS_SPAN_ID_SIZE];
  bool has_parent, sampled;
  census_span_kind kind;
  int64_t start_ns;
} zp_running;

/* One name's counters as the summary shows them. */
typedef struct zp_summary {
  char *name; /* owned by the store: valid while the store lives */
  int64_t running;
  uint64_t latency[ZP_LATENCY_BUCKETS];
  uint64_t errors;
  uint64_t unsampled; /* of the ended, how many the sampler refused (record_unsampled) */
  bool other;         /* the "(other names)" row */
} zp_summary;

typedef struct zp_store zp_store;

/* The store's limits (from the options, defaults applied). */
typedef struct zp_limits {
  unsigned max_names, samples_per_bucket, running_samples;
  size_t sample_max_bytes;
  int64_t sample_interval_ns;
} zp_limits;

/* NULL if memory is exhausted. */
zp_store *zp_store_new(const zp_limits *limits);
/* Frees everything; no callback may run any more (the observer is unregistered). */
void zp_store_free(zp_store *store);

/* The observer callbacks (census_span_observer_ops), user = the store. */
uint64_t zp_store_on_start(void *store, const census_span_data *span);
void zp_store_on_end(void *store, const census_span_data *span, uint64_t cookie);

/* Summaries of every name, in the order names were first seen, "(other names)" last if used;
 * *count receives how many. Free with census__free() (names are the store's). NULL with *count
 * 0 only when memory ran out (none: an array with *count 0). */
zp_summary *zp_store_summaries(zp_store *store, size_t *count);

/* The samples of `name` in `bucket` (0..ZP_LATENCY_BUCKETS-1, or ZP_LATENCY_BUCKETS for the
 * errors), newest first: references taken (release with zp_samples_release()). */
zp_sample **zp_store_samples(zp_store *store, const char *name, unsigned bucket, size_t *count);
void zp_samples_release(zp_store *store, zp_sample **samples, size_t count);

/* The running spans of `name` that have a slot, oldest first (copied; free()). */
zp_running *zp_store_running(zp_store *store, const char *name, size_t *count);

/* Counters for census_zpages_stats. */
typedef struct zp_store_stats {
  uint64_t spans_started, spans_ended, names, other_names, samples_taken, samples_cut, samples_held,
      bytes_held, bytes_bound;
} zp_store_stats;
void zp_store_stats_get(zp_store *store, zp_store_stats *stats);

/* The bucket of a latency in ns, and its label ("0-10µs", ..., ">100s"). */
unsigned zp_latency_bucket(int64_t ns);
const char *zp_latency_label(unsigned bucket);

/* ---- the view history (zpages_history.c) -------------------------------------------------- */

typedef struct zp_history zp_history;

/* Starts the thread that adds one point per view every interval. NULL with *status set
 * (CENSUS_ENOMEM, CENSUS_ESYSTEM). */
zp_history *zp_history_start(int64_t interval_ms, unsigned points, unsigned max_views,
                             census_status *status);
/* Asks the thread to stop (it exits within a wait) and, with `join`, waits for it. */
void zp_history_stop(zp_history *history, bool join);
void zp_history_free(zp_history *history);
/* The points of view `name`, oldest first, into values/times (malloc'd, free() both); 0 if none. */
size_t zp_history_points(zp_history *history, const char *name, double **values, int64_t **times);
uint64_t zp_history_bytes(zp_history *history);
uint64_t zp_history_bound(unsigned points, unsigned max_views);
int64_t zp_history_interval_ms(zp_history *history);
/* The total a sparkline draws for a view snapshot (sum of counts, sums or values of its rows). */
double zp_view_total(const census_view_data *view);

/* ---- HTML (zpages_html.c) ------------------------------------------------------------------ */

/* Appends `s` as HTML text or attribute value: & < > " ' as entities, control characters and
 * bytes that are not UTF-8 as U+FFFD. NULL: nothing. */
void zp_html(census_buf *out, const char *s);
/* Appends a query-string component, percent-encoded (everything but unreserved characters). */
void zp_url_component(census_buf *out, const char *s);
/* Opens a page: doctype, title (escaped), inline style, the navigation. */
void zp_page_begin(census_buf *out, const char *prefix, const char *title, int refresh_s);
void zp_page_end(census_buf *out);
/* A bar's label ("<= 0.5"). */
typedef char zp_bar_label[40];
/* Appends an inline SVG bar chart of counts[0..n) labelled labels[0..n) (escaped). */
void zp_svg_bars(census_buf *out, const double *counts, const zp_bar_label *labels, size_t n);
/* Appends an inline SVG sparkline of values[0..n). */
void zp_svg_sparkline(census_buf *out, const double *values, size_t n);
/* Appends a number as the pages show it (integers without a fraction). */
void zp_number(census_buf *out, double v);
/* Appends a Unix time in ns as "2024-01-02 03:04:05.678 UTC". */
void zp_time(census_buf *out, int64_t unix_ns);

/* ---- exponential histogram views (zpages_exponential.c) ---------------------------------- */

/* Appends row `row`'s buckets as a table cell ("scale S, zero Z, from bucket O: c c ..."). */
void zp_exponential_cells(census_buf *out, const census_view_data *view, size_t row);
/* Adds the row's "exponential" object (scale, zero_count, offset, buckets) to the JSON. */
void zp_exponential_json(census_json *j, const census_view_data *view, size_t row);
/* The view's bar chart: every row merged at the lowest scale, coarsened until it fits. */
void zp_exponential_chart(const census_view_data *view, census_buf *out, census_json *j);

/* ---- pages (zpages_pages.c) ---------------------------------------------------------------- */

/* What a page needs from the running zPages. */
typedef struct zp_context {
  zp_store *store;
  zp_history *history;
  const char *prefix;
  const census_zpages_options *options; /* defaults applied */
  void (*self_stats)(void *z, census_zpages_stats *stats);
  void *z;
} zp_context;

/* A request: the path below the prefix ("", "/tracez", "/statsz.json", ...) and a query getter. */
typedef struct zp_request {
  const char *page;
  const char *(*query)(void *request, const char *name);
  void *request;
} zp_request;

/* Renders the page into `out`; returns the HTTP status (200, or 404 for an unknown page, 400 for
 * a bad query) and sets *content_type (static). */
unsigned zp_render(const zp_context *context, const zp_request *request, census_buf *out,
                   const char **content_type);

#endif
