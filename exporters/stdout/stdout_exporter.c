/* stdout_exporter.c - prints view data and spans as readable text or as JSON lines.
 *
 * Each export is formatted into one growing buffer (exporters/common/buffer.h; JSON through the
 * shared writer, json_writer.h, which escapes per RFC 8259, replaces bytes that are not UTF-8 and
 * writes non-finite doubles as "NaN", "Infinity", "-Infinity", as protobuf's JSON mapping does)
 * and written with write(2) in full lines, so concurrent writers (a forked child sharing the
 * descriptor) never split a line.
 *
 * Lifetime: the handle is registered with census as a stats exporter (unless skip_views) and a
 * span exporter (unless skip_spans), with itself as the user pointer; registration.h counts its
 * references (the caller's and one per registration), so it stays valid after census_shutdown()
 * until census_stdout_exporter_stop(). The counters are atomics: exports never overlap for one
 * registration, but the stats and span exports may run on different threads.
 */
#include "census/exporters/stdout.h"

#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "census/census.h"
#include "census/exporter.h"
#include "json_writer.h"
#include "options.h"
#include "registration.h"
#include "span_fields.h"
#include "alloc.h"

struct census_stdout_exporter {
  census_registration registration;
  census_stdout_options options;
  _Atomic uint64_t rows_written, spans_written, bytes_written, rows_dropped, spans_dropped;
};

static const char *aggregation_name(census_aggregation_type type) {
  switch (type) {
  case CENSUS_AGGREGATION_COUNT:
    return "count";
  case CENSUS_AGGREGATION_SUM:
    return "sum";
  case CENSUS_AGGREGATION_LAST_VALUE:
    return "last_value";
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return "distribution";
  case CENSUS_AGGREGATION_EXPONENTIAL:
    return "exponential";
  }
  return "unknown";
}

/* ---- views as JSON lines -------------------------------------------------------------------- */

/* The value of a SUM or LAST_VALUE point, or a DISTRIBUTION's sum, as the measure's type. */
static void json_value(census_json *j, const census_view_data *d, const census_point *p) {
  if (census_measure_value_type(census_view_data_measure(d)) == CENSUS_MEASURE_INT64) {
    census__json_int64(j, p->int_value);
  } else {
    census__json_double(j, p->double_value);
  }
}

/* count, sum, mean, sum_of_squared_deviation, min, max: DISTRIBUTION and EXPONENTIAL. */
static void json_moments(census_json *j, const census_view_data *d, const census_point *p) {
  census__json_kv_int64(j, "count", p->count);
  census__json_key(j, "sum");
  json_value(j, d, p);
  census__json_kv_double(j, "mean", p->mean);
  census__json_kv_double(j, "sum_of_squared_deviation", p->sum_of_squared_deviation);
  census__json_kv_double(j, "min", p->min);
  census__json_kv_double(j, "max", p->max);
}

/* An exponential row's scale, zero_count, offset and bucket_counts (docs/exporters/stdout.md). */
static void json_exponential(census_json *j, const census_view_data *d, size_t row,
                             const census_point *p) {
  census_exponential_buckets e;
  census_view_data_row_exponential(d, row, &e);
  json_moments(j, d, p);
  census__json_kv_int64(j, "scale", e.scale);
  census__json_kv_int64(j, "zero_count", e.zero_count);
  census__json_kv_int64(j, "offset", e.offset);
  census__json_key(j, "bucket_counts");
  census__json_array_begin(j);
  for (size_t i = 0; i < e.bucket_count; i++) {
    census__json_int64(j, e.bucket_counts[i]);
  }
  census__json_array_end(j);
}

static void json_distribution(census_json *j, const census_view_data *d, const census_point *p) {
  json_moments(j, d, p);
  const double *bounds;
  size_t n = census_view_data_bounds(d, &bounds);
  census__json_key(j, "bounds");
  census__json_array_begin(j);
  for (size_t i = 0; i < n; i++) {
    census__json_double(j, bounds[i]);
  }
  census__json_array_end(j);
  census__json_key(j, "bucket_counts");
  census__json_array_begin(j);
  for (size_t i = 0; i < p->bucket_count; i++) {
    census__json_int64(j, p->bucket_counts[i]);
  }
  census__json_array_end(j);
}

/* One JSON line for row `row` of view `d` (fields: docs/exporters/stdout.md). */
static void json_row(census_buf *b, const census_view_data *d, size_t row) {
  census_point p;
  census_view_data_row_point(d, row, &p);
  census_json j;
  census__json_init(&j, b);
  census__json_object_begin(&j);
  census__json_kv_string(&j, "view", census_view_data_name(d));
  census__json_kv_string(&j, "measure", census_measure_name(census_view_data_measure(d)));
  census__json_kv_string(&j, "unit", census_view_data_unit(d));
  census__json_kv_string(&j, "aggregation", aggregation_name(census_view_data_aggregation(d)));
  census__json_kv_int64(&j, "start_time_unix_nano", census_view_data_start_time_ns(d));
  census__json_kv_int64(&j, "end_time_unix_nano", census_view_data_end_time_ns(d));
  census__json_key(&j, "tags");
  census__json_object_begin(&j);
  for (size_t c = 0; c < census_view_data_column_count(d); c++) {
    census__json_kv_string(&j, census_view_data_column(d, c),
                           census_view_data_row_value(d, row, c));
  }
  census__json_object_end(&j);
  census__json_kv_bool(&j, "overflow", census_view_data_row_is_overflow(d, row));
  switch (census_view_data_aggregation(d)) {
  case CENSUS_AGGREGATION_COUNT:
    census__json_kv_int64(&j, "count", p.count);
    break;
  case CENSUS_AGGREGATION_SUM:
    census__json_kv_int64(&j, "count", p.count);
    census__json_key(&j, "sum");
    json_value(&j, d, &p);
    /* false for a signed measure's (an up-down counter's) sum, which may go down */
    census__json_kv_bool(&j, "monotonic", census_view_data_is_monotonic(d));
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    census__json_key(&j, "value");
    json_value(&j, d, &p);
    census__json_kv_int64(&j, "time_unix_nano", p.time_ns);
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    json_distribution(&j, d, &p);
    break;
  case CENSUS_AGGREGATION_EXPONENTIAL:
    json_exponential(&j, d, row, &p);
    break;
  }
  census__json_object_end(&j);
  census__buf_append_byte(b, '\n');
}

/* ---- views as text -------------------------------------------------------------------------- */

static void text_time(census_buf *b, int64_t unix_ns) {
  time_t seconds = (time_t)(unix_ns / 1000000000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  census__buf_printf(b, "%s.%03dZ", stamp, (int)(unix_ns % 1000000000 / 1000000));
}

/* An int64 measure's value exactly, a double one in %.6g. */
static void text_number(census_buf *b, bool is_int, const census_point *p) {
  if (is_int) {
    census__buf_printf(b, "%" PRId64, p->int_value);
  } else {
    census__buf_printf(b, "%.6g", p->double_value);
  }
}

/* The values of one row after its tags: count=, sum=, value=, or a distribution's summary. */
static void text_point(census_buf *b, const census_view_data *d, size_t row,
                       const census_point *p) {
  bool is_int = census_measure_value_type(census_view_data_measure(d)) == CENSUS_MEASURE_INT64;
  census_aggregation_type type = census_view_data_aggregation(d);
  if (type == CENSUS_AGGREGATION_LAST_VALUE) {
    census__buf_append_str(b, "value=");
    text_number(b, is_int, p);
    census__buf_append_byte(b, '\n');
    return;
  }
  census__buf_printf(b, "count=%" PRId64, p->count);
  if (type != CENSUS_AGGREGATION_COUNT) {
    census__buf_append_str(b, " sum=");
    text_number(b, is_int, p);
  }
  if (type == CENSUS_AGGREGATION_DISTRIBUTION) {
    census__buf_printf(b, " mean=%.6g min=%.6g max=%.6g ssd=%.6g buckets=[", p->mean, p->min,
                       p->max, p->sum_of_squared_deviation);
    const double *bounds;
    census_view_data_bounds(d, &bounds);
    for (size_t i = 0; i < p->bucket_count; i++) {
      if (i + 1 < p->bucket_count) {
        census__buf_printf(b, "%s<=%g:%" PRId64, i ? " " : "", bounds[i], p->bucket_counts[i]);
      } else {
        census__buf_printf(b, "%s+Inf:%" PRId64, i ? " " : "", p->bucket_counts[i]);
      }
    }
    census__buf_append_byte(b, ']');
  } else if (type == CENSUS_AGGREGATION_EXPONENTIAL) {
    census_exponential_buckets e;
    census_view_data_row_exponential(d, row, &e);
    census__buf_printf(
        b, " mean=%.6g min=%.6g max=%.6g ssd=%.6g scale=%d zero=%" PRId64 " buckets@%d=[", p->mean,
        p->min, p->max, p->sum_of_squared_deviation, (int)e.scale, e.zero_count, (int)e.offset);
    for (size_t i = 0; i < e.bucket_count; i++) {
      census__buf_printf(b, "%s%" PRId64, i ? " " : "", e.bucket_counts[i]);
    }
    census__buf_append_byte(b, ']');
  }
  census__buf_append_byte(b, '\n');
}

static void text_view(census_buf *b, const census_view_data *d) {
  census__buf_printf(b, "view %s: %s of %s (%s), ", census_view_data_name(d),
                     aggregation_name(census_view_data_aggregation(d)),
                     census_measure_name(census_view_data_measure(d)), census_view_data_unit(d));
  text_time(b, census_view_data_start_time_ns(d));
  census__buf_append_str(b, " .. ");
  text_time(b, census_view_data_end_time_ns(d));
  census__buf_printf(b, ", %zu row(s)\n", census_view_data_row_count(d));
  for (size_t row = 0; row < census_view_data_row_count(d); row++) {
    census_point p;
    census_view_data_row_point(d, row, &p);
    census__buf_append_str(b, "  {");
    for (size_t c = 0; c < census_view_data_column_count(d); c++) {
      census__buf_printf(b, "%s%s=%s", c ? ", " : "", census_view_data_column(d, c),
                         census_view_data_row_value(d, row, c));
    }
    census__buf_printf(b, "}%s ", census_view_data_row_is_overflow(d, row) ? " (overflow)" : "");
    text_point(b, d, row, &p);
  }
}

/* ---- writing -------------------------------------------------------------------------------- */

/* Writes all of the buffer, retrying short writes and EINTR; adds what was written to
 * bytes_written. */
static census_status write_all(census_stdout_exporter *e, const char *data, size_t length) {
  int fd = e->options.fd ? e->options.fd : STDOUT_FILENO;
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return CENSUS_ESYSTEM;
    }
    atomic_fetch_add(&e->bytes_written, (uint64_t)n);
    data += n;
    length -= (size_t)n;
  }
  return CENSUS_OK;
}

/* Writes a formatted export in full and counts its `items` as written or, when the buffer ran
 * out of memory or the write failed, as dropped; releases the buffer. */
static census_status buffer_write(census_stdout_exporter *e, census_buf *b, uint64_t items,
                                  _Atomic uint64_t *written, _Atomic uint64_t *dropped) {
  census_status status = b->failed ? CENSUS_ENOMEM : CENSUS_OK;
  if (status == CENSUS_OK && b->len) {
    status = write_all(e, b->data, b->len);
  }
  census__buf_free(b);
  atomic_fetch_add(status == CENSUS_OK ? written : dropped, items);
  return status;
}

static census_status stdout_export(void *user, const census_view_data *const *views, size_t count) {
  census_stdout_exporter *e = user;
  census_buf b = CENSUS_BUF_INIT;
  uint64_t rows = 0;
  for (size_t i = 0; i < count; i++) {
    size_t n = census_view_data_row_count(views[i]);
    if (n == 0 && (e->options.skip_empty || e->options.format == CENSUS_STDOUT_JSON)) {
      continue;
    }
    rows += n;
    if (e->options.format == CENSUS_STDOUT_JSON) {
      for (size_t row = 0; row < n; row++) {
        json_row(&b, views[i], row);
      }
    } else {
      text_view(&b, views[i]);
    }
  }
  return buffer_write(e, &b, rows, &e->rows_written, &e->rows_dropped);
}

/* ---- spans ---------------------------------------------------------------------------------- */

static void hex(census_buf *b, const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    census__buf_printf(b, "%02x", bytes[i]);
  }
}

static const char *kind_name(census_span_kind kind) {
  const char *name = census__span_kind_name(kind);
  return name ? name : "INTERNAL";
}

static const char *status_name(census_span_status_code code) {
  return code == CENSUS_SPAN_STATUS_OK      ? "OK"
         : code == CENSUS_SPAN_STATUS_ERROR ? "ERROR"
                                            : "UNSET";
}

static void json_attribute(census_json *j, const census_attribute *a) {
  census__json_key(j, a->key);
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__json_string(j, a->string_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    census__json_int64(j, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__json_double(j, a->double_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    census__json_bool(j, a->bool_value);
    break;
  default: /* the array types: a JSON array, ["a","b"], [1,2], [1.5,"NaN"], [true] */
    census__attribute_array_write(j, a);
    break;
  }
}

/* The span's events and links, as the JSON line's "events" and "links" arrays. */
static void json_events_links(census_json *j, const census_span_data *s) {
  census__json_key(j, "events");
  census__json_array_begin(j);
  for (size_t e = 0; e < census_span_data_event_count(s); e++) {
    const char *name;
    int64_t time_ns;
    size_t attributes;
    census_span_data_event(s, e, &name, &time_ns, &attributes);
    census__json_object_begin(j);
    census__json_kv_string(j, "name", name);
    census__json_kv_int64(j, "time_unix_nano", time_ns);
    census__json_key(j, "attributes");
    census__json_object_begin(j);
    for (size_t i = 0; i < attributes; i++) {
      census_attribute a;
      census_span_data_event_attribute(s, e, i, &a);
      json_attribute(j, &a);
    }
    census__json_object_end(j);
    census__json_object_end(j);
  }
  census__json_array_end(j);
  census__json_key(j, "links");
  census__json_array_begin(j);
  for (size_t l = 0; l < census_span_data_link_count(s); l++) {
    census_trace_context linked;
    census_span_data_link(s, l, &linked);
    census__json_object_begin(j);
    census__json_key(j, "trace_id");
    census__json_hex(j, linked.trace_id, sizeof linked.trace_id);
    census__json_key(j, "span_id");
    census__json_hex(j, linked.span_id, sizeof linked.span_id);
    census__json_kv_int64(j, "trace_flags", linked.trace_flags);
    census__json_kv_string(j, "tracestate", linked.tracestate);
    census__json_object_end(j);
  }
  census__json_array_end(j);
}

static void json_span(census_buf *b, const census_span_data *s) {
  census_trace_context c;
  census_span_data_context(s, &c);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool remote = false;
  bool has_parent = census_span_data_parent(s, parent, &remote);
  census_json j;
  census__json_init(&j, b);
  census__json_object_begin(&j);
  census__json_kv_string(&j, "span", census_span_data_name(s));
  census__json_key(&j, "trace_id");
  census__json_hex(&j, c.trace_id, sizeof c.trace_id);
  census__json_key(&j, "span_id");
  census__json_hex(&j, c.span_id, sizeof c.span_id);
  census__json_key(&j, "parent_span_id");
  census__json_hex(&j, parent, has_parent ? sizeof parent : 0);
  census__json_kv_bool(&j, "parent_remote", remote);
  census__json_kv_string(&j, "kind", kind_name(census_span_data_kind(s)));
  census__json_kv_int64(&j, "trace_flags", c.trace_flags);
  census__json_kv_string(&j, "tracestate", c.tracestate);
  census__json_kv_int64(&j, "start_time_unix_nano", census_span_data_start_time_ns(s));
  census__json_kv_int64(&j, "end_time_unix_nano", census_span_data_end_time_ns(s));
  census__json_key(&j, "attributes");
  census__json_object_begin(&j);
  for (size_t i = 0; i < census_span_data_attribute_count(s); i++) {
    census_attribute a;
    census_span_data_attribute(s, i, &a);
    json_attribute(&j, &a);
  }
  census__json_object_end(&j);
  json_events_links(&j, s);
  const char *message;
  census_span_status_code code = census_span_data_status(s, &message);
  census__json_key(&j, "status");
  census__json_object_begin(&j);
  census__json_kv_string(&j, "code", status_name(code));
  census__json_kv_string(&j, "message", message);
  census__json_object_end(&j);
  census__json_kv_int64(&j, "dropped_attributes_count", census_span_data_dropped_attributes(s));
  census__json_kv_int64(&j, "dropped_events_count", census_span_data_dropped_events(s));
  census__json_kv_int64(&j, "dropped_links_count", census_span_data_dropped_links(s));
  census__json_object_end(&j);
  census__buf_append_byte(b, '\n');
}

static void text_attribute_value(census_buf *b, const census_attribute *a) {
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__buf_printf(b, "\"%s\"", a->string_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    census__buf_printf(b, "%" PRId64, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__buf_printf(b, "%g", a->double_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    census__buf_append_str(b, a->bool_value ? "true" : "false");
    break;
  default: /* the array types, as JSON text: ["a","b"], [1,2] */
    census__attribute_array_json(b, a);
    break;
  }
}

/* After the span's ids, kind, duration and status: attributes, events, links, drops. */
static void text_span_details(census_buf *b, const census_span_data *s) {
  for (size_t i = 0; i < census_span_data_attribute_count(s); i++) {
    census_attribute a;
    census_span_data_attribute(s, i, &a);
    census__buf_printf(b, "%s%s=", i ? ", " : " {", a.key);
    text_attribute_value(b, &a);
  }
  census__buf_append_str(b, census_span_data_attribute_count(s) ? "}" : "");
  for (size_t e = 0; e < census_span_data_event_count(s); e++) {
    const char *name;
    int64_t time_ns;
    census_span_data_event(s, e, &name, &time_ns, NULL);
    census__buf_printf(b, " event %s at +%.3f ms", name,
                       (double)(time_ns - census_span_data_start_time_ns(s)) / 1e6);
  }
  if (census_span_data_link_count(s)) {
    census__buf_printf(b, " links=%zu", census_span_data_link_count(s));
  }
  uint32_t da = census_span_data_dropped_attributes(s), de = census_span_data_dropped_events(s),
           dl = census_span_data_dropped_links(s);
  if (da || de || dl) {
    census__buf_printf(b, " dropped(attributes=%u events=%u links=%u)", da, de, dl);
  }
}

static void text_span(census_buf *b, const census_span_data *s) {
  census_trace_context c;
  census_span_data_context(s, &c);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool remote = false;
  census__buf_printf(b, "span %s trace=", census_span_data_name(s));
  hex(b, c.trace_id, sizeof c.trace_id);
  census__buf_append_str(b, " span=");
  hex(b, c.span_id, sizeof c.span_id);
  if (census_span_data_parent(s, parent, &remote)) {
    census__buf_append_str(b, " parent=");
    hex(b, parent, sizeof parent);
    census__buf_append_str(b, remote ? " (remote)" : "");
  }
  int64_t duration = census_span_data_end_time_ns(s) - census_span_data_start_time_ns(s);
  const char *message;
  census_span_status_code code = census_span_data_status(s, &message);
  census__buf_printf(b, " %s %.3f ms status=%s", kind_name(census_span_data_kind(s)),
                     (double)duration / 1e6, status_name(code));
  if (*message) {
    census__buf_printf(b, "(%s)", message);
  }
  text_span_details(b, s);
  census__buf_append_byte(b, '\n');
}

static census_status stdout_export_spans(void *user, const census_span_data *const *spans,
                                         size_t count) {
  census_stdout_exporter *e = user;
  census_buf b = CENSUS_BUF_INIT;
  for (size_t i = 0; i < count; i++) {
    if (e->options.format == CENSUS_STDOUT_JSON) {
      json_span(&b, spans[i]);
    } else {
      text_span(&b, spans[i]);
    }
  }
  return buffer_write(e, &b, count, &e->spans_written, &e->spans_dropped);
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static void stats_shutdown(void *user, int64_t timeout_ms) {
  census_stdout_exporter *e = user;
  census__registration_shutdown_done(&e->registration, CENSUS_REGISTRATION_STATS);
}

static void spans_shutdown(void *user, int64_t timeout_ms) {
  census_stdout_exporter *e = user;
  census__registration_shutdown_done(&e->registration, CENSUS_REGISTRATION_SPANS);
}

static const census_stats_exporter_ops stats_ops = {.size = sizeof(census_stats_exporter_ops),
                                                    .export_views = stdout_export,
                                                    .flush = NULL,
                                                    .shutdown = stats_shutdown};
static const census_span_exporter_ops span_ops = {.size = sizeof(census_span_exporter_ops),
                                                  .export_spans = stdout_export_spans,
                                                  .flush = NULL,
                                                  .shutdown = spans_shutdown};

/* The status registry's report: rows and spans written, and those lost. */
static void stdout_report(void *user, census_exporter_report *report) {
  census_stdout_exporter *e = user;
  census_exporter_report_counts(report,
                                atomic_load(&e->rows_written) + atomic_load(&e->spans_written), 0,
                                atomic_load(&e->rows_dropped) + atomic_load(&e->spans_dropped));
}

/* Frees the handle once its last reference goes, out of the status registry first (which waits
 * for a read of the counters in progress). */
static void stdout_destroy(void *user) {
  census_exporter_status_unregister(user);
  census__free(user);
}

/* Lists the exporter in census's status registry (a failure only leaves it off the list). */
static void stdout_status_register(census_stdout_exporter *e) {
  char fd[16];
  snprintf(fd, sizeof fd, "%d", e->options.fd ? e->options.fd : 1);
  census_kv config[] = {{"format", e->options.format == CENSUS_STDOUT_JSON ? "json" : "text"},
                        {"fd", fd},
                        {"spans", e->options.skip_spans ? "off" : "on"}};
  census_exporter_status_options o = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  o.name = "stdout";
  o.items = "rows and spans";
  o.config = config;
  o.config_count = sizeof config / sizeof config[0];
  o.report = stdout_report;
  census_exporter_status_register(&o, e);
}

CENSUS_EXPORT census_status census_stdout_exporter_start(const census_stdout_options *options,
                                                         census_stdout_exporter **exporter) {
  if (!exporter) {
    return CENSUS_EINVAL;
  }
  *exporter = NULL;
  census_stdout_exporter *e = census__calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  census_status status = CENSUS_OPTIONS_COPY(&e->options, options, "stdout", stdout, STDOUT);
  if (status == CENSUS_OK && e->options.format != CENSUS_STDOUT_TEXT &&
      e->options.format != CENSUS_STDOUT_JSON) {
    census_diagnostics_report(CENSUS_EINVAL, "stdout: options.format is neither "
                                             "CENSUS_STDOUT_TEXT nor CENSUS_STDOUT_JSON");
    status = CENSUS_EINVAL;
  }
  if (status == CENSUS_OK && e->options.skip_views && e->options.skip_spans) {
    census_diagnostics_report(CENSUS_EINVAL, "stdout: options.skip_views and options.skip_spans "
                                             "both set: nothing to export; clear one");
    status = CENSUS_EINVAL;
  }
  if (status != CENSUS_OK) {
    census__free(e);
    return status;
  }
  census__registration_init(&e->registration, e, stdout_destroy);
  status = census__registration_add(&e->registration, e->options.skip_views ? NULL : &stats_ops,
                                    e->options.skip_spans ? NULL : &span_ops);
  if (status != CENSUS_OK) {
    census__registration_release(&e->registration);
    return status;
  }
  stdout_status_register(e);
  *exporter = e;
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_stdout_exporter_stats(census_stdout_exporter *e,
                                                         census_stdout_stats *stats) {
  if (!e || !stats) {
    return CENSUS_EINVAL;
  }
  *stats = (census_stdout_stats){.rows_written = atomic_load(&e->rows_written),
                                 .spans_written = atomic_load(&e->spans_written),
                                 .bytes_written = atomic_load(&e->bytes_written),
                                 .rows_dropped = atomic_load(&e->rows_dropped),
                                 .spans_dropped = atomic_load(&e->spans_dropped)};
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_stdout_exporter_stop(census_stdout_exporter *e,
                                                        int64_t timeout_ms) {
  if (!e) {
    return CENSUS_EINVAL;
  }
  census_status status = census__registration_unregister(&e->registration, timeout_ms);
  census__registration_release(&e->registration);
  return status;
}
