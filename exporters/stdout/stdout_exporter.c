/* stdout_exporter.c - prints view data and spans as readable text or as JSON lines.
 *
 * Each export is formatted into one growing buffer and written with write(2) in full lines, so
 * concurrent writers (a forked child sharing the descriptor) never split a line. JSON strings are
 * escaped per RFC 8259; non-finite doubles, which JSON cannot carry, are written as strings
 * ("NaN", "Infinity", "-Infinity"), as protobuf's JSON mapping does.
 */
#include "census/exporters/stdout.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "census/census.h"
#include "census/trace.h"
#include "export/export.h"

struct stdout_exporter {
  census_stdout_options options;
};

struct text_buffer {
  char *data;
  size_t length, capacity;
  bool failed;
};

static void buffer_append(struct text_buffer *b, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void buffer_append(struct text_buffer *b, const char *format, ...) {
  for (int attempt = 0; attempt < 2 && !b->failed; attempt++) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(b->data ? b->data + b->length : NULL, b->data ? b->capacity - b->length : 0,
                      format, args);
    va_end(args);
    if (n < 0) {
      b->failed = true;
      return;
    }
    if (b->data && b->length + (size_t)n < b->capacity) {
      b->length += (size_t)n;
      return;
    }
    size_t capacity = (b->capacity ? b->capacity : 4096);
    while (capacity <= b->length + (size_t)n) {
      capacity *= 2;
    }
    char *grown = realloc(b->data, capacity);
    if (!grown) {
      b->failed = true;
      return;
    }
    b->data = grown;
    b->capacity = capacity;
  }
}

static void json_string(struct text_buffer *b, const char *s) {
  buffer_append(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      buffer_append(b, "\\%c", c);
    } else if (c < 0x20) {
      buffer_append(b, "\\u%04x", c);
    } else {
      buffer_append(b, "%c", c);
    }
  }
  buffer_append(b, "\"");
}

static void json_double(struct text_buffer *b, double d) {
  if (isnan(d)) {
    buffer_append(b, "\"NaN\"");
  } else if (isinf(d)) {
    buffer_append(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    buffer_append(b, "%.17g", d);
  }
}

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
  }
  return "unknown";
}

/* The value of a SUM or LAST_VALUE point, or a DISTRIBUTION's sum, as the measure's type. */
static void json_value(struct text_buffer *b, const census_view_data *d, const census_point *p) {
  if (census_measure_value_type(census_view_data_measure(d)) == CENSUS_MEASURE_INT64) {
    buffer_append(b, "%" PRId64, p->int_value);
  } else {
    json_double(b, p->double_value);
  }
}

static void json_row(struct text_buffer *b, const census_view_data *d, size_t row) {
  const census_measure *m = census_view_data_measure(d);
  census_point p;
  census_view_data_row_point(d, row, &p);
  buffer_append(b, "{\"view\":");
  json_string(b, census_view_data_name(d));
  buffer_append(b, ",\"measure\":");
  json_string(b, census_measure_name(m));
  buffer_append(b, ",\"unit\":");
  json_string(b, census_view_data_unit(d));
  buffer_append(b,
                ",\"aggregation\":\"%s\",\"start_time_unix_nano\":%" PRId64
                ",\"end_time_unix_nano\":%" PRId64 ",\"tags\":{",
                aggregation_name(census_view_data_aggregation(d)),
                census_view_data_start_time_ns(d), census_view_data_end_time_ns(d));
  for (size_t c = 0; c < census_view_data_column_count(d); c++) {
    buffer_append(b, c ? "," : "");
    json_string(b, census_view_data_column(d, c));
    buffer_append(b, ":");
    json_string(b, census_view_data_row_value(d, row, c));
  }
  buffer_append(b, "},\"overflow\":%s",
                census_view_data_row_is_overflow(d, row) ? "true" : "false");
  switch (census_view_data_aggregation(d)) {
  case CENSUS_AGGREGATION_COUNT:
    buffer_append(b, ",\"count\":%" PRId64, p.count);
    break;
  case CENSUS_AGGREGATION_SUM:
    buffer_append(b, ",\"count\":%" PRId64 ",\"sum\":", p.count);
    json_value(b, d, &p);
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    buffer_append(b, ",\"value\":");
    json_value(b, d, &p);
    buffer_append(b, ",\"time_unix_nano\":%" PRId64, p.time_ns);
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION: {
    buffer_append(b, ",\"count\":%" PRId64 ",\"sum\":", p.count);
    json_value(b, d, &p);
    buffer_append(b, ",\"mean\":");
    json_double(b, p.mean);
    buffer_append(b, ",\"sum_of_squared_deviation\":");
    json_double(b, p.sum_of_squared_deviation);
    buffer_append(b, ",\"min\":");
    json_double(b, p.min);
    buffer_append(b, ",\"max\":");
    json_double(b, p.max);
    const double *bounds;
    size_t n = census_view_data_bounds(d, &bounds);
    buffer_append(b, ",\"bounds\":[");
    for (size_t i = 0; i < n; i++) {
      buffer_append(b, i ? "," : "");
      json_double(b, bounds[i]);
    }
    buffer_append(b, "],\"bucket_counts\":[");
    for (size_t i = 0; i < p.bucket_count; i++) {
      buffer_append(b, "%s%" PRId64, i ? "," : "", p.bucket_counts[i]);
    }
    buffer_append(b, "]");
    break;
  }
  }
  buffer_append(b, "}\n");
}

static void text_time(struct text_buffer *b, int64_t unix_ns) {
  time_t seconds = (time_t)(unix_ns / 1000000000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  buffer_append(b, "%s.%03dZ", stamp, (int)(unix_ns % 1000000000 / 1000000));
}

static void text_view(struct text_buffer *b, const census_view_data *d) {
  const census_measure *m = census_view_data_measure(d);
  buffer_append(b, "view %s: %s of %s (%s), ", census_view_data_name(d),
                aggregation_name(census_view_data_aggregation(d)), census_measure_name(m),
                census_view_data_unit(d));
  text_time(b, census_view_data_start_time_ns(d));
  buffer_append(b, " .. ");
  text_time(b, census_view_data_end_time_ns(d));
  buffer_append(b, ", %zu row(s)\n", census_view_data_row_count(d));
  for (size_t row = 0; row < census_view_data_row_count(d); row++) {
    census_point p;
    census_view_data_row_point(d, row, &p);
    buffer_append(b, "  {");
    for (size_t c = 0; c < census_view_data_column_count(d); c++) {
      buffer_append(b, "%s%s=%s", c ? ", " : "", census_view_data_column(d, c),
                    census_view_data_row_value(d, row, c));
    }
    buffer_append(b, "}%s ", census_view_data_row_is_overflow(d, row) ? " (overflow)" : "");
    bool is_int = census_measure_value_type(m) == CENSUS_MEASURE_INT64;
    switch (census_view_data_aggregation(d)) {
    case CENSUS_AGGREGATION_COUNT:
      buffer_append(b, "count=%" PRId64 "\n", p.count);
      break;
    case CENSUS_AGGREGATION_SUM:
      if (is_int) {
        buffer_append(b, "count=%" PRId64 " sum=%" PRId64 "\n", p.count, p.int_value);
      } else {
        buffer_append(b, "count=%" PRId64 " sum=%.6g\n", p.count, p.double_value);
      }
      break;
    case CENSUS_AGGREGATION_LAST_VALUE:
      if (is_int) {
        buffer_append(b, "value=%" PRId64 "\n", p.int_value);
      } else {
        buffer_append(b, "value=%.6g\n", p.double_value);
      }
      break;
    case CENSUS_AGGREGATION_DISTRIBUTION: {
      if (is_int) {
        buffer_append(b, "count=%" PRId64 " sum=%" PRId64, p.count, p.int_value);
      } else {
        buffer_append(b, "count=%" PRId64 " sum=%.6g", p.count, p.double_value);
      }
      buffer_append(b, " mean=%.6g min=%.6g max=%.6g ssd=%.6g buckets=[", p.mean, p.min, p.max,
                    p.sum_of_squared_deviation);
      const double *bounds;
      census_view_data_bounds(d, &bounds);
      for (size_t i = 0; i < p.bucket_count; i++) {
        if (i + 1 < p.bucket_count) {
          buffer_append(b, "%s<=%g:%" PRId64, i ? " " : "", bounds[i], p.bucket_counts[i]);
        } else {
          buffer_append(b, "%s+Inf:%" PRId64, i ? " " : "", p.bucket_counts[i]);
        }
      }
      buffer_append(b, "]\n");
      break;
    }
    }
  }
}

/* Writes all of the buffer, retrying short writes and EINTR. */
static census_status write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return CENSUS_ESYSTEM;
    }
    data += n;
    length -= (size_t)n;
  }
  return CENSUS_OK;
}

/* Writes a formatted export in full (or reports why not) and releases the buffer. */
static census_status buffer_write(const struct stdout_exporter *e, struct text_buffer *b) {
  census_status status = b->failed ? CENSUS_ENOMEM : CENSUS_OK;
  if (status == CENSUS_OK && b->length) {
    status = write_all(e->options.fd ? e->options.fd : STDOUT_FILENO, b->data, b->length);
  }
  free(b->data);
  return status;
}

static census_status stdout_export(void *user, const census_view_data *const *views, size_t count) {
  struct stdout_exporter *e = user;
  struct text_buffer b = {0};
  for (size_t i = 0; i < count; i++) {
    if (census_view_data_row_count(views[i]) == 0 &&
        (e->options.skip_empty || e->options.format == CENSUS_STDOUT_JSON)) {
      continue;
    }
    if (e->options.format == CENSUS_STDOUT_JSON) {
      for (size_t row = 0; row < census_view_data_row_count(views[i]); row++) {
        json_row(&b, views[i], row);
      }
    } else {
      text_view(&b, views[i]);
    }
  }
  return buffer_write(e, &b);
}

static void hex(struct text_buffer *b, const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    buffer_append(b, "%02x", bytes[i]);
  }
}

static const char *kind_name(census_span_kind kind) {
  static const char *const names[] = {"INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"};
  return (unsigned)kind < 5 ? names[kind] : "INTERNAL";
}

static const char *status_name(census_span_status_code code) {
  return code == CENSUS_SPAN_STATUS_OK      ? "OK"
         : code == CENSUS_SPAN_STATUS_ERROR ? "ERROR"
                                            : "UNSET";
}

static void json_attribute_value(struct text_buffer *b, const census_attribute *a) {
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    json_string(b, a->string_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    buffer_append(b, "%" PRId64, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    json_double(b, a->double_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    buffer_append(b, a->bool_value ? "true" : "false");
    break;
  }
}

static void text_attribute_value(struct text_buffer *b, const census_attribute *a) {
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    buffer_append(b, "\"%s\"", a->string_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    buffer_append(b, "%" PRId64, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    buffer_append(b, "%g", a->double_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    buffer_append(b, a->bool_value ? "true" : "false");
    break;
  }
}

static void json_span(struct text_buffer *b, const census_span_data *s) {
  census_trace_context c;
  census_span_data_context(s, &c);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool remote = false;
  bool has_parent = census_span_data_parent(s, parent, &remote);
  buffer_append(b, "{\"span\":");
  json_string(b, census_span_data_name(s));
  buffer_append(b, ",\"trace_id\":\"");
  hex(b, c.trace_id, sizeof c.trace_id);
  buffer_append(b, "\",\"span_id\":\"");
  hex(b, c.span_id, sizeof c.span_id);
  buffer_append(b, "\",\"parent_span_id\":\"");
  if (has_parent) {
    hex(b, parent, sizeof parent);
  }
  buffer_append(b, "\",\"parent_remote\":%s,\"kind\":\"%s\",\"trace_flags\":%u,\"tracestate\":",
                remote ? "true" : "false", kind_name(census_span_data_kind(s)), c.trace_flags);
  json_string(b, c.tracestate);
  buffer_append(b,
                ",\"start_time_unix_nano\":%" PRId64 ",\"end_time_unix_nano\":%" PRId64
                ",\"attributes\":{",
                census_span_data_start_time_ns(s), census_span_data_end_time_ns(s));
  for (size_t i = 0; i < census_span_data_attribute_count(s); i++) {
    census_attribute a;
    census_span_data_attribute(s, i, &a);
    buffer_append(b, i ? "," : "");
    json_string(b, a.key);
    buffer_append(b, ":");
    json_attribute_value(b, &a);
  }
  buffer_append(b, "},\"events\":[");
  for (size_t e = 0; e < census_span_data_event_count(s); e++) {
    const char *name;
    int64_t time_ns;
    size_t attributes;
    census_span_data_event(s, e, &name, &time_ns, &attributes);
    buffer_append(b, "%s{\"name\":", e ? "," : "");
    json_string(b, name);
    buffer_append(b, ",\"time_unix_nano\":%" PRId64 ",\"attributes\":{", time_ns);
    for (size_t i = 0; i < attributes; i++) {
      census_attribute a;
      census_span_data_event_attribute(s, e, i, &a);
      buffer_append(b, i ? "," : "");
      json_string(b, a.key);
      buffer_append(b, ":");
      json_attribute_value(b, &a);
    }
    buffer_append(b, "}}");
  }
  buffer_append(b, "],\"links\":[");
  for (size_t l = 0; l < census_span_data_link_count(s); l++) {
    census_trace_context linked;
    census_span_data_link(s, l, &linked);
    buffer_append(b, "%s{\"trace_id\":\"", l ? "," : "");
    hex(b, linked.trace_id, sizeof linked.trace_id);
    buffer_append(b, "\",\"span_id\":\"");
    hex(b, linked.span_id, sizeof linked.span_id);
    buffer_append(b, "\",\"trace_flags\":%u,\"tracestate\":", linked.trace_flags);
    json_string(b, linked.tracestate);
    buffer_append(b, "}");
  }
  const char *message;
  census_span_status_code code = census_span_data_status(s, &message);
  buffer_append(b, "],\"status\":{\"code\":\"%s\",\"message\":", status_name(code));
  json_string(b, message);
  buffer_append(b,
                "},\"dropped_attributes_count\":%u,\"dropped_events_count\":%u,"
                "\"dropped_links_count\":%u}\n",
                census_span_data_dropped_attributes(s), census_span_data_dropped_events(s),
                census_span_data_dropped_links(s));
}

static void text_span(struct text_buffer *b, const census_span_data *s) {
  census_trace_context c;
  census_span_data_context(s, &c);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool remote = false;
  buffer_append(b, "span %s trace=", census_span_data_name(s));
  hex(b, c.trace_id, sizeof c.trace_id);
  buffer_append(b, " span=");
  hex(b, c.span_id, sizeof c.span_id);
  if (census_span_data_parent(s, parent, &remote)) {
    buffer_append(b, " parent=");
    hex(b, parent, sizeof parent);
    buffer_append(b, remote ? " (remote)" : "");
  }
  int64_t duration = census_span_data_end_time_ns(s) - census_span_data_start_time_ns(s);
  const char *message;
  census_span_status_code code = census_span_data_status(s, &message);
  buffer_append(b, " %s %.3f ms status=%s", kind_name(census_span_data_kind(s)),
                (double)duration / 1e6, status_name(code));
  if (*message) {
    buffer_append(b, "(%s)", message);
  }
  for (size_t i = 0; i < census_span_data_attribute_count(s); i++) {
    census_attribute a;
    census_span_data_attribute(s, i, &a);
    buffer_append(b, "%s%s=", i ? ", " : " {", a.key);
    text_attribute_value(b, &a);
  }
  buffer_append(b, census_span_data_attribute_count(s) ? "}" : "");
  for (size_t e = 0; e < census_span_data_event_count(s); e++) {
    const char *name;
    int64_t time_ns;
    census_span_data_event(s, e, &name, &time_ns, NULL);
    buffer_append(b, " event %s at +%.3f ms", name,
                  (double)(time_ns - census_span_data_start_time_ns(s)) / 1e6);
  }
  if (census_span_data_link_count(s)) {
    buffer_append(b, " links=%zu", census_span_data_link_count(s));
  }
  uint32_t da = census_span_data_dropped_attributes(s), de = census_span_data_dropped_events(s),
           dl = census_span_data_dropped_links(s);
  if (da || de || dl) {
    buffer_append(b, " dropped(attributes=%u events=%u links=%u)", da, de, dl);
  }
  buffer_append(b, "\n");
}

static census_status stdout_export_spans(void *user, const census_span_data *const *spans,
                                         size_t count) {
  struct stdout_exporter *e = user;
  struct text_buffer b = {0};
  for (size_t i = 0; i < count; i++) {
    if (e->options.format == CENSUS_STDOUT_JSON) {
      json_span(&b, spans[i]);
    } else {
      text_span(&b, spans[i]);
    }
  }
  return buffer_write(e, &b);
}

/* The stats registration owns the options; the span registration borrows a copy of its own. */
static void stdout_shutdown(void *user, int64_t timeout_ms) {
  (void)timeout_ms;
  free(user);
}

static const census_stats_exporter_ops stats_ops = {.size = sizeof(census_stats_exporter_ops),
                                                    .export_views = stdout_export,
                                                    .flush = NULL,
                                                    .shutdown = stdout_shutdown};
static const census_span_exporter_ops span_ops = {.size = sizeof(census_span_exporter_ops),
                                                  .export_spans = stdout_export_spans,
                                                  .flush = NULL,
                                                  .shutdown = stdout_shutdown};

/* Span registrations, so that unregistering finds them (the span API looks up by user). */
static pthread_mutex_t span_users_mu = PTHREAD_MUTEX_INITIALIZER;
static struct stdout_exporter *span_users[64];

CENSUS_EXPORT census_status census_stdout_exporter_register(const census_stdout_options *options) {
  struct stdout_exporter *e = calloc(1, sizeof *e);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  if (options) {
    e->options = *options;
  }
  if (e->options.format != CENSUS_STDOUT_TEXT && e->options.format != CENSUS_STDOUT_JSON) {
    free(e);
    return CENSUS_EINVAL;
  }
  struct stdout_exporter *spans = NULL;
  if (!e->options.skip_spans && !(spans = malloc(sizeof *spans))) {
    free(e);
    return CENSUS_ENOMEM;
  }
  census_status status = census_stats_exporter_register(&stats_ops, e);
  if (status != CENSUS_OK) {
    free(e);
    free(spans);
    return status;
  }
  if (spans) {
    *spans = *e;
    pthread_mutex_lock(&span_users_mu);
    size_t slot = 0;
    while (slot < 64 && span_users[slot]) {
      slot++;
    }
    if (slot < 64 && census_span_exporter_register(&span_ops, spans) == CENSUS_OK) {
      span_users[slot] = spans;
    } else {
      free(spans);
      status = CENSUS_ENOMEM;
    }
    pthread_mutex_unlock(&span_users_mu);
  }
  return status;
}

CENSUS_EXPORT census_status census_stdout_exporter_unregister(int64_t timeout_ms) {
  pthread_mutex_lock(&span_users_mu);
  for (size_t i = 0; i < 64; i++) {
    if (span_users[i]) {
      census_span_exporter_unregister(span_users[i], timeout_ms); /* frees it */
      span_users[i] = NULL;
    }
  }
  pthread_mutex_unlock(&span_users_mu);
  return census__stats_exporter_unregister_matching(stdout_export, timeout_ms);
}
