/* self_metrics.c - census's own metrics, exported like any other view.
 *
 * "census/dropped_spans" (Sum, int64) counts ended sampled spans dropped by a full export queue.
 *
 * "census/dropped_measurements" (Sum, int64, column "reason") counts every measurement census
 * refused or could not keep, so that nothing is dropped silently: "invalid_value" (negative,
 * NaN, infinite, wrong type), "out_of_memory". The record path counts into it itself
 * (recorder.c, census__count_dropped()); this file creates it and hands it over.
 *
 * "census/saturated_rows" (Sum, int64, column "view") counts rows whose count or int64 sum
 * reached INT64_MAX, where it stays (saturated) rather than wrapping: each row once, when the
 * collector first finds it saturated (collector.c). Rare, so each count builds a small tag map.
 *
 * "census/exporter_dropped_items" (Sum, int64, columns "exporter" and "reason") and
 * "census/exporter_rejected_items" (Sum, int64, column "exporter") count what push exporters
 * lost after census handed it to them: items they dropped themselves (queue full, retry budget
 * spent, permanent failure, shutdown) and items a server refused in a partial-success response.
 * Exporters record them through census_exporter_record_dropped() / _rejected() (exporter.h),
 * which the shared HTTP sender calls once per drop. Exporter names are open-ended, so these
 * build a small tag map per call: drops are rare events, never on a recording thread's path.
 *
 * Lifetime: the measures and views are created once, by census__self_metrics_load() (the
 * lifecycle calls it before anything else can record), with the public constructors like any
 * user's. Like every measure they are never freed, so a late call after census_shutdown() finds
 * them with no views and records nothing; the public functions say so with CENSUS_ESHUTDOWN. In a
 * fork child the views' series were reset by the fork handler and these calls record into the
 * child's fresh series; nothing here needs resetting.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/self_metrics.h"

#include "census/census.h"
#include "census/exporter.h"
#include "core/diagnostics.h"
#include "core/run_state.h"
#include "stats/recorder.h"

#define DROPPED_VIEW "census/dropped_measurements"

#define DROPPED_SPANS_VIEW "census/dropped_spans"

#define EXPORTER_DROPPED_VIEW "census/exporter_dropped_items"

#define EXPORTER_REJECTED_VIEW "census/exporter_rejected_items"

#define SATURATED_VIEW "census/saturated_rows"

/* Written once by census__self_metrics_load(), read-only after. */
static const census_measure *dropped_measure;
static const census_measure *dropped_spans_measure;
static const census_measure *exporter_dropped_measure;
static const census_measure *exporter_rejected_measure;
static const census_measure *saturated_measure;
static const census_tag_key *exporter_key;
static const census_tag_key *view_key;
static const census_tag_key *reason_key;

/* Creates and registers a Sum view of `measure` over `columns`. Returns the registration's
 * status (CENSUS_ENOMEM when the definition could not be built). */
static census_status register_sum_view(const char *name, const char *description,
                                       const census_measure *measure,
                                       const census_tag_key *const *columns, size_t column_count) {
  if (!measure) {
    return CENSUS_ENOMEM;
  }
  census_status status = CENSUS_ENOMEM;
  census_aggregation *sum = census_aggregation_sum_new();
  census_view *view =
      sum ? census_view_new(name, description, measure, columns, column_count, sum, &status) : NULL;
  if (view) {
    status = census_view_register(view);
  }
  census_view_free(view);
  census_aggregation_free(sum);
  return status;
}

/* On error some of the pointers above may stay NULL and the functions below then do nothing. */
census_status census__self_metrics_load(void) {
  census_status status;
  dropped_measure = census_measure_int64_new(
      DROPPED_VIEW, "Measurements census refused or could not keep, by reason", "1", &status);
  reason_key = census_tag_key_new("reason", &status);
  exporter_key = census_tag_key_new("exporter", &status);
  if (!dropped_measure || !reason_key || !exporter_key) {
    return status;
  }
  status = register_sum_view(DROPPED_VIEW, "Measurements census refused or could not keep",
                             dropped_measure, &reason_key, 1);
  if (status == CENSUS_OK) {
    status = census__recorder_count_drops_in(dropped_measure, reason_key);
  }
  if (status != CENSUS_OK) {
    return status;
  }
  dropped_spans_measure = census_measure_int64_new(
      DROPPED_SPANS_VIEW, "Ended spans dropped because the export queue was full", "1", NULL);
  status =
      register_sum_view(DROPPED_SPANS_VIEW, "Ended spans dropped because the export queue was full",
                        dropped_spans_measure, NULL, 0);
  if (status != CENSUS_OK) {
    return status;
  }
  exporter_dropped_measure = census_measure_int64_new(
      EXPORTER_DROPPED_VIEW,
      "Items a push exporter dropped before delivery, by exporter and reason", "1", NULL);
  const census_tag_key *dropped_columns[] = {exporter_key, reason_key};
  status =
      register_sum_view(EXPORTER_DROPPED_VIEW,
                        "Items a push exporter dropped before delivery, by exporter and reason",
                        exporter_dropped_measure, dropped_columns, 2);
  if (status != CENSUS_OK) {
    return status;
  }
  exporter_rejected_measure = census_measure_int64_new(
      EXPORTER_REJECTED_VIEW, "Items a backend refused in partial-success responses, by exporter",
      "1", NULL);
  status = register_sum_view(EXPORTER_REJECTED_VIEW,
                             "Items a backend refused in partial-success responses, by exporter",
                             exporter_rejected_measure, &exporter_key, 1);
  if (status != CENSUS_OK) {
    return status;
  }
  view_key = census_tag_key_new("view", &status);
  saturated_measure = census_measure_int64_new(
      SATURATED_VIEW, "Rows whose count or int64 sum reached INT64_MAX and stays there, by view",
      "1", NULL);
  return register_sum_view(SATURATED_VIEW,
                           "Rows whose count or int64 sum reached INT64_MAX and stays there, by "
                           "view",
                           saturated_measure, &view_key, 1);
}

void census__count_dropped_spans(int64_t count) {
  if (dropped_spans_measure && count > 0) {
    struct census__measurement m = {dropped_spans_measure, count, (double)count};
    census__record(&m, 1, NULL);
  }
}

void census__count_saturated(const char *view_name, int64_t rows) {
  if (!saturated_measure || !view_key || rows <= 0) {
    return;
  }
  census_tag_map *tags = census_tag_map_new();
  if (tags && census_tag_map_put(tags, view_key, view_name) == CENSUS_OK) {
    struct census__measurement m = {saturated_measure, rows, (double)rows};
    census__record(&m, 1, tags);
  } else {
    census__count_dropped("out_of_memory", 1);
  }
  census_tag_map_free(tags);
}

/* Checks a non-NULL name argument of the public functions below: CENSUS_EBADVALUE when it is
 * empty or not a valid tag value (longer than 255 bytes, not printable ASCII). */
static census_status check_name(const char *name) {
  return name[0] ? census_tag_value_check(name) : CENSUS_EBADVALUE;
}

/* Refuses an exporter self-metric record: reports it (the caller is an exporter with a bug, and
 * would otherwise lose its counts silently) and counts the refused measurement. */
static census_status refuse(census_status status, const char *function, const char *what) {
  census__diag(status, "%s: %s; nothing recorded", function, what);
  census__count_dropped("invalid_value", 1);
  return status;
}

/* Records `items` into *measure_slot with the tags exporter=`exporter` and, when `reason` is
 * not NULL, reason=`reason`; both already checked. The slot was filled at load. The tag map is
 * built for this call and freed after it: the record path copies what it keeps. */
static census_status record_exporter_items(const census_measure *const *measure_slot,
                                           const char *exporter, const char *reason,
                                           uint64_t items) {
  if (census__is_shut_down()) {
    return CENSUS_ESHUTDOWN; /* a no-op, by contract */
  }
  const census_measure *measure = *measure_slot;
  if (!measure) {
    return CENSUS_OK; /* the load failed before creating it (and said so): nothing to feed */
  }
  census_tag_map *tags = census_tag_map_new();
  census_status status = tags ? census_tag_map_put(tags, exporter_key, exporter) : CENSUS_ENOMEM;
  if (status == CENSUS_OK && reason) {
    status = census_tag_map_put(tags, reason_key, reason);
  }
  if (status == CENSUS_OK) {
    struct census__measurement m = {measure, (int64_t)items, (double)items};
    status = census__record(&m, 1, tags);
  } else {
    census__count_dropped("out_of_memory", 1);
  }
  census_tag_map_free(tags);
  return status;
}

/* The checks and the record shared by the two public functions: `reason` NULL means the
 * rejected view (no reason column); `function` names the caller in diagnostics. */
static census_status exporter_items(const char *function, const census_measure *const *measure_slot,
                                    const char *exporter, const char *reason, uint64_t items) {
  if (check_name(exporter) != CENSUS_OK) {
    return refuse(CENSUS_EBADVALUE, function,
                  "the exporter name is empty, longer than 255 bytes or not printable ASCII");
  }
  if (reason && check_name(reason) != CENSUS_OK) {
    return refuse(CENSUS_EBADVALUE, function,
                  "the reason is empty, longer than 255 bytes or not printable ASCII");
  }
  if (items > INT64_MAX) {
    return refuse(CENSUS_EINVAL, function, "items exceeds INT64_MAX");
  }
  if (items == 0) {
    return CENSUS_OK;
  }
  return record_exporter_items(measure_slot, exporter, reason, items);
}

CENSUS_EXPORT census_status census_exporter_record_dropped(const char *exporter, const char *reason,
                                                           uint64_t items) {
  if (!exporter || !reason) {
    return CENSUS_EINVAL;
  }
  return exporter_items("census_exporter_record_dropped", &exporter_dropped_measure, exporter,
                        reason, items);
}

CENSUS_EXPORT census_status census_exporter_record_rejected(const char *exporter, uint64_t items) {
  if (!exporter) {
    return CENSUS_EINVAL;
  }
  return exporter_items("census_exporter_record_rejected", &exporter_rejected_measure, exporter,
                        NULL, items);
}
