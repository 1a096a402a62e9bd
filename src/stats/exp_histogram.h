/* exp_histogram.h - the exponential histogram's buckets in cell words (layout in stats_internal.h):
 * placing a value that does not fit the half's window (the record path's cold path), merging a
 * half into series totals (the collector), and the trimmed bucket range of a snapshot row. */
#ifndef CENSUS_STATS_EXP_HISTOGRAM_H
#define CENSUS_STATS_EXP_HISTOGRAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct census__rview;
struct census__measurement;

/* The record path's EXPONENTIAL case (cell.h calls it out of line, so that the other
 * aggregations' inlined paths stay as they were): count, sum, the shifted sums, min, max
 * (census__moments_add()), then the value's bucket: a zero in the zero count; a positive value in
 * its slot when the half's window holds its index (exp_index.h: exponent and table, no log()),
 * else through census__exp_cell_place(). Only a normal value at a scale <= 10 in the window stays
 * on the inline path; the rest is reached by tail calls, so the function keeps no frame. Single
 * writer (the cell's thread): relaxed loads and stores. */
void census__exp_record(const struct census__rview *view, _Atomic uint64_t *w,
                        const struct census__measurement *m);

/* Records x > 0 into the active half `w` whose window [base, base + max_size) at its scale does
 * not hold x's index: moves the window (the buckets keep their counts) or, when the values' range
 * needs more than max_size buckets, lowers the scale just enough, merging buckets. Called by the
 * half's only writer (its thread); cold, out of line. Allocates nothing (a stack copy of the
 * slots). */
void census__exp_cell_place(const struct census__rview *view, _Atomic uint64_t *w, double x);

/* Adds the buckets and zero count of half `from` into totals `into` (plain words of the view's
 * layout; the first six words are the caller's): both at the lower of their scales, lowered
 * further if their union needs more than max_size buckets. True when a count saturated. */
bool census__exp_merge(const struct census__rview *view, uint64_t *into, const uint64_t *from);

/* The first and last non-empty slot of `w` (plain words): false when every slot is empty. */
bool census__exp_used_range(const uint64_t *w, size_t max_size, size_t *first, size_t *last);

/* The empty state of the buckets' words: zero count 0, every slot 0, the scale `max_scale` and
 * the base 0 unless `keep_window` (a half reset by the collector keeps the scale its thread's
 * values needed). */
void census__exp_reset(uint64_t *w, size_t max_size, int max_scale, bool keep_window);

#endif
