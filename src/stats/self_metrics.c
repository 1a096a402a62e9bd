/* self_metrics.c - census's own metrics, exported like any other view.
 *
 * "census/dropped_spans" (Sum, int64) counts ended sampled spans dropped by a full export queue.
 *
 * "census/dropped_measurements" (Sum, int64, column "reason") counts every measurement census
 * refused or could not keep, so that nothing is dropped silently: "invalid_value" (negative,
 * NaN, infinite, wrong type), "out_of_memory". Further reasons join as exporters add queues.
 * Its tag maps are built once at start-up, so counting a drop allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "core/global.h"
#include "stats/recorder.h"
#include "stats/stats_internal.h"

#define DROPPED_VIEW "census/dropped_measurements"

#define DROPPED_SPANS_VIEW "census/dropped_spans"

static const census_measure *dropped_measure;
static const census_measure *dropped_spans_measure;

struct reason_tags {
  const char *reason;
  census_tag_map *tags;
};

static struct reason_tags reasons[] = {
    {"invalid_value", NULL},
    {"out_of_memory", NULL},
    {"other", NULL},
};

census_status census__self_metrics_start(void) {
  census_status status;
  dropped_measure = census_measure_int64_new(
      DROPPED_VIEW, "Measurements census refused or could not keep, by reason", "1", &status);
  const census_tag_key *reason = census_tag_key_new("reason", &status);
  if (!dropped_measure || !reason) {
    return status;
  }
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
    reasons[i].tags = census_tag_map_new();
    if (!reasons[i].tags) {
      return CENSUS_ENOMEM;
    }
    census_tag_map_put(reasons[i].tags, reason, reasons[i].reason);
  }
  census_aggregation *sum = census_aggregation_sum_new();
  census_view *view =
      sum ? census_view_new(DROPPED_VIEW, "Measurements census refused or could not keep",
                            dropped_measure, &reason, 1, sum, &status)
          : NULL;
  status = view ? census_view_register(view) : CENSUS_ENOMEM;
  census_view_free(view);
  dropped_spans_measure = census_measure_int64_new(
      DROPPED_SPANS_VIEW, "Ended spans dropped because the export queue was full", "1", NULL);
  view = sum && dropped_spans_measure
             ? census_view_new(DROPPED_SPANS_VIEW,
                               "Ended spans dropped because the export queue was full",
                               dropped_spans_measure, NULL, 0, sum, NULL)
             : NULL;
  if (status == CENSUS_OK) {
    status = view ? census_view_register(view) : CENSUS_ENOMEM;
  }
  census_view_free(view);
  census_aggregation_free(sum);
  return status;
}

void census__count_dropped(const char *reason, int64_t count) {
  if (!dropped_measure || count <= 0) {
    return;
  }
  const census_tag_map *tags = reasons[sizeof reasons / sizeof reasons[0] - 1].tags;
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
    if (strcmp(reasons[i].reason, reason) == 0) {
      tags = reasons[i].tags;
    }
  }
  struct census__measurement m = {dropped_measure, count, (double)count};
  census__record(&m, 1, tags);
}

void census__count_dropped_spans(int64_t count) {
  if (dropped_spans_measure && count > 0) {
    struct census__measurement m = {dropped_spans_measure, count, (double)count};
    census__record(&m, 1, NULL);
  }
}
