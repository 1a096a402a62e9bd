/* exemplar.h - exemplars: sample measurements, with the trace and span they were recorded in,
 * kept beside a view's aggregated values (OpenTelemetry's exemplars; docs/stats.md).
 *
 * Zero cost when off. Whether a view keeps exemplars is decided once, when it is registered: if
 * the exemplar filter (census_exemplar_filter_set(), OTEL_METRICS_EXEMPLAR_FILTER) is then not
 * always_off, the view's cells get a reservoir appended to each half's words and the view
 * records as CENSUS__AGGREGATION_EXEMPLARS, its own case of the record path's switch (cell.h),
 * which calls census__exemplar_record() out of line. Every other view's record path is the one
 * it always was: the same switch, the same cases, not one instruction more.
 *
 * Reservoirs (the words at census__rview.exemplar_at of each half, and of the series totals):
 *   [offered, collection, slot 0 .. slot n-1], each slot EXEMPLAR_SLOT_WORDS words:
 *   [time_ns (0: empty), value (int64, or double bits, as the measure), trace id (2 words),
 *    span id, flags (bit 0: trace and span ids set; bits 8..15: attribute count; bit 1: an
 *    attribute did not fit), attributes (EXEMPLAR_ATTR_WORDS words)]
 * The attributes are the recording's tags that are not view columns, packed as (tag key
 * pointer, NUL-terminated value padded to 8 bytes); keys live until exit.
 * DISTRIBUTION: one slot per bucket, the last value seen in that bucket wins (OpenTelemetry's
 * AlignedHistogramBucketExemplarReservoir). Every other aggregation: a fixed-size reservoir
 * (SimpleFixedSizeExemplarReservoir) of 1 slot, or min(20, max_size) for EXPONENTIAL, filled by
 * reservoir sampling: the n-th offered measurement of the interval replaces a random slot with
 * probability size/n; `offered` counts them.
 *
 * Threads. A half's reservoir is written only by its cell's thread, inside its record window,
 * like the half's other words; the collector merges a harvested half's reservoir into the series
 * totals (census__exemplar_merge(), via census__words_merge()) and the reset clears it. So the
 * record path shares no written line for exemplars either. The filter is one relaxed atomic.
 */
#ifndef CENSUS_STATS_EXEMPLAR_H
#define CENSUS_STATS_EXEMPLAR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"
#include "core/thread_local.h"

struct census__rview;
struct census__measurement;

#define EXEMPLAR_ATTR_WORDS 8
#define EXEMPLAR_SLOT_WORDS (6 + EXEMPLAR_ATTR_WORDS)
#define EXEMPLAR_HEAD_WORDS 2
#define EXEMPLAR_FIXED_SIZE_MAX 20

/* At registration (view.c, under VIEWS): when the filter in force is not always_off and the
 * aggregation takes exemplars (not an observable counter's), appends the reservoir to the
 * view's words and sets record_type to CENSUS__AGGREGATION_EXEMPLARS. False on ENOMEM (the
 * registration then fails as a whole). Reports nothing: census_view_register() resolves the
 * filter (and reports a bad OTEL_METRICS_EXEMPLAR_FILTER) before it takes VIEWS. */
bool census__exemplar_view_init(struct census__rview *view);

/* The recording's tag map, for the exemplar case: set by the record path where it looks a view
 * with exemplars' cell up (recorder.c's cell_miss(): such views are cached under a key that the
 * inline check of the cache of recent cells never matches, so each of their records passes
 * there, just before its cell update), read by
 * census__exemplar_record() on the same thread. Bound measures with a view with exemplars record
 * through that path too (bound.c). NULL: no tags. General-dynamic TLS, not the hot paths'
 * initial-exec (core/thread_local.h): only views with exemplars and cache misses touch it. */
extern CENSUS__HOT_THREAD_LOCAL const census_tag_map *census__exemplar_tags;

/* Frees what census__exemplar_view_init() made (view.c, before it frees the view). */
void census__exemplar_view_free(struct census__rview *view);

/* The record path's CENSUS__AGGREGATION_EXEMPLARS case (cell.h; out of line): updates the
 * aggregation's words as its own case would, then offers the measurement to the half's
 * reservoir if the filter in force takes it, with census__exemplar_tags' filtered attributes.
 * Single writer (the cell's thread, in its record window). Allocates nothing. */
void census__exemplar_record(const struct census__rview *view, _Atomic uint64_t *w,
                             const struct census__measurement *m);

/* The collector: merges reservoir `from` (a harvested half's) into `into` (series totals).
 * Aligned reservoirs keep each bucket's newer exemplar; fixed-size ones take each of from's
 * exemplars with probability offered_from / offered_both within a collection interval. */
void census__exemplar_merge(const struct census__rview *view, uint64_t *into, const uint64_t *from);

/* The collector, at the start of each collection: a fixed-size reservoir of the totals starts
 * a new sampling interval at its first merge after this (older exemplars stay until replaced). */
void census__exemplar_collection_begin(void);

/* Reading a reservoir's plain words (a snapshot row's, at exemplar_at): the number of
 * exemplars; the i-th (slot order) into *out, false when out of range (`aligned`: a
 * DISTRIBUTION's, whose slot is the bucket; `is_int`: an int64 measure's); and attribute j of
 * the i-th, borrowed from `area` (the key's name from the tag key, which lives until exit). */
size_t census__exemplar_count(const uint64_t *area, size_t slots);
bool census__exemplar_get(const uint64_t *area, size_t slots, bool aligned, bool is_int, size_t i,
                          census_exemplar *out);
bool census__exemplar_attribute(const uint64_t *area, size_t slots, size_t i, size_t j,
                                const char **key, const char **value);

#endif
