/* stdout_exporter.c - prints view data as readable text or as JSON lines.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "census/census.h"
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
    int n = vsnprintf(b->data ? b->data + b->length : NULL,
                      b->data ? b->capacity - b->length : 0, format, args);
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

/* The value of a SUM or LAST_VALUE point, as the measure's type. */
static void json_value(struct text_buffer *b, const census_view_data *d, const census_point *p) {
  if (census_measure_get_type(census_view_data_measure(d)) == CENSUS_MEASURE_INT64) {
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
  json_string(b, census_measure_unit(m));
  buffer_append(b, ",\"aggregation\":\"%s\",\"start_time_unix_nano\":%" PRId64
                   ",\"end_time_unix_nano\":%" PRId64 ",\"tags\":{",
                aggregation_name(census_view_data_aggregation(d)),
                census_view_data_start_time_ns(d), census_view_data_end_time_ns(d));
  for (size_t c = 0; c < census_view_data_column_count(d); c++) {
    buffer_append(b, c ? "," : "");
    json_string(b, census_view_data_column(d, c));
    buffer_append(b, ":");
    json_string(b, census_view_data_row_value(d, row, c));
  }
  buffer_append(b, "},\"overflow\":%s", census_view_data_row_is_overflow(d, row) ? "true" : "false");
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
    json_double(b, p.sum);
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
                census_measure_unit(m));
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
    bool is_int = census_measure_get_type(m) == CENSUS_MEASURE_INT64;
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
      buffer_append(b, "count=%" PRId64 " mean=%.6g min=%.6g max=%.6g ssd=%.6g buckets=[",
                    p.count, p.mean, p.min, p.max, p.sum_of_squared_deviation);
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

static census_status stdout_export(void *user, const census_view_data *const *views,
                                   size_t count) {
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
  census_status status = b.failed ? CENSUS_ENOMEM : CENSUS_OK;
  if (status == CENSUS_OK && b.length) {
    status = write_all(e->options.fd ? e->options.fd : STDOUT_FILENO, b.data, b.length);
  }
  free(b.data);
  return status;
}

static void stdout_shutdown(void *user, int64_t timeout_ms) {
  (void)timeout_ms;
  free(user);
}

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
  static const census_stats_exporter_ops ops = {
      .export_views = stdout_export, .flush = NULL, .shutdown = stdout_shutdown};
  census_status status = census_stats_exporter_register(&ops, e);
  if (status != CENSUS_OK) {
    free(e);
  }
  return status;
}

CENSUS_EXPORT census_status census_stdout_exporter_unregister(int64_t timeout_ms) {
  return census__stats_exporter_unregister_matching(stdout_export, timeout_ms);
}
