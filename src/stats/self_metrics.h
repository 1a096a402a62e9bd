/* self_metrics.h - census's own metrics (self_metrics.c): creating them, and counting what the
 * span queue drops and what saturates. (census/dropped_measurements is counted by the record path
 * itself: recorder.h.) */
#ifndef CENSUS_STATS_SELF_METRICS_H
#define CENSUS_STATS_SELF_METRICS_H

#include <stdint.h>

#include "census/status.h"

/* Creates the self-metric measures and registers their views (the lifecycle, once, before
 * anything else records). CENSUS_OK, or the first error (the metrics that exist still work). */
census_status census__self_metrics_load(void);

/* Counts `count` ended spans dropped (full queue, exit deadline) in census/dropped_spans. */
void census__count_dropped_spans(int64_t count);

/* Counts `rows` rows of the view `view_name` that saturated, in census/saturated_rows (collector,
 * after harvesting; the record lands in the next collection). */
void census__count_saturated(const char *view_name, int64_t rows);

#endif
