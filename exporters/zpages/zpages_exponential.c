/* statsz for base-2 exponential histogram views: a row's buckets as text and JSON, and the view's
 * bar chart. Rows of one view may sit at different scales (each row's scale only goes down), so
 * the chart merges them at the lowest scale, then halves the resolution until the bars fit. */
#include <stdio.h>
#include <stdlib.h>

#include "exp_buckets.h"
#include "zpages_internal.h"
#include "alloc.h"

/* Bars a chart may draw before its resolution is halved: a page stays readable. */
enum { MAX_BARS = 40 };

/* Floor division by 2^shift for negative indexes too (index >> shift on a signed value is
 * implementation-defined in C11). */
static int64_t downscale(int64_t index, int shift) {
  int64_t d = (int64_t)1 << shift;
  return index >= 0 ? index / d : -((-index + d - 1) / d);
}

void zp_exponential_cells(census_buf *o, const census_view_data *v, size_t row) {
  census_exponential_buckets e;
  if (census_view_data_row_exponential(v, row, &e) != CENSUS_OK) {
    census__buf_append_str(o, "<td class=\"buckets\"></td>");
    return;
  }
  census__buf_printf(o, "<td class=\"buckets\">scale %d, zero %lld", (int)e.scale,
                     (long long)e.zero_count);
  if (e.bucket_count) {
    census__buf_printf(o, ", from bucket %d:", (int)e.offset);
  }
  for (size_t b = 0; b < e.bucket_count; b++) {
    census__buf_printf(o, " %lld", (long long)e.bucket_counts[b]);
  }
  census__buf_append_str(o, "</td>");
}

void zp_exponential_json(census_json *j, const census_view_data *v, size_t row) {
  census_exponential_buckets e;
  if (census_view_data_row_exponential(v, row, &e) != CENSUS_OK) {
    return;
  }
  census__json_key(j, "exponential");
  census__json_object_begin(j);
  census__json_kv_int64(j, "scale", e.scale);
  census__json_kv_int64(j, "zero_count", e.zero_count);
  census__json_kv_int64(j, "offset", e.offset);
  census__json_key(j, "buckets");
  census__json_array_begin(j);
  for (size_t b = 0; b < e.bucket_count; b++) {
    census__json_int64(j, e.bucket_counts[b]);
  }
  census__json_array_end(j);
  census__json_object_end(j);
}

/* The lowest scale of the rows and the merged index range at it; false when no row has a
 * bucket. */
static bool merged_range(const census_view_data *v, int *scale, int64_t *lo, int64_t *hi) {
  bool any = false;
  *scale = 20;
  for (size_t r = 0; r < census_view_data_row_count(v); r++) {
    census_exponential_buckets e;
    if (census_view_data_row_exponential(v, r, &e) == CENSUS_OK && e.scale < *scale) {
      *scale = e.scale;
    }
  }
  for (size_t r = 0; r < census_view_data_row_count(v); r++) {
    census_exponential_buckets e;
    if (census_view_data_row_exponential(v, r, &e) != CENSUS_OK || e.bucket_count == 0) {
      continue;
    }
    int shift = e.scale - *scale;
    int64_t first = downscale(e.offset, shift);
    int64_t last = downscale((int64_t)e.offset + (int64_t)e.bucket_count - 1, shift);
    *lo = any && *lo < first ? *lo : first;
    *hi = any && *hi > last ? *hi : last;
    any = true;
  }
  return any;
}

void zp_exponential_chart(const census_view_data *v, census_buf *o, census_json *j) {
  int scale;
  int64_t lo = 0, hi = -1, zeros = 0;
  bool any = merged_range(v, &scale, &lo, &hi);
  int extra = 0; /* further halvings so that the bars fit */
  while (any && downscale(hi, extra) - downscale(lo, extra) + 1 > MAX_BARS) {
    extra++;
  }
  int64_t first = any ? downscale(lo, extra) : 0;
  size_t n = any ? (size_t)(downscale(hi, extra) - first + 1) : 0;
  double *counts = census__calloc(n + 1, sizeof *counts);
  zp_bar_label *labels = census__calloc(n + 1, sizeof *labels);
  if (!counts || !labels) {
    census__free(counts);
    census__free(labels);
    return;
  }
  for (size_t r = 0; r < census_view_data_row_count(v); r++) {
    census_exponential_buckets e;
    if (census_view_data_row_exponential(v, r, &e) != CENSUS_OK) {
      continue;
    }
    zeros += e.zero_count;
    int shift = e.scale - scale + extra;
    for (size_t b = 0; b < e.bucket_count; b++) {
      counts[1 + downscale((int64_t)e.offset + (int64_t)b, shift) - first] +=
          (double)e.bucket_counts[b];
    }
  }
  counts[0] = (double)zeros;
  /* Bucket i at scale s holds (2^(i/2^s), 2^((i+1)/2^s)]: its label is the upper bound. */
  int chart_scale = scale - extra;
  snprintf(labels[0], sizeof labels[0], "= 0");
  for (size_t i = 0; i < n; i++) {
    snprintf(labels[i + 1], sizeof labels[i + 1], "<= %.6g",
             census__exp_upper_bound(chart_scale, first + (int64_t)i));
  }
  census__json_key(j, "chart_scale");
  census__json_int64(j, chart_scale);
  census__json_key(j, "chart_buckets");
  census__json_array_begin(j);
  for (size_t i = 0; i <= n; i++) {
    census__json_int64(j, (int64_t)counts[i]);
  }
  census__json_array_end(j);
  zp_svg_bars(o, counts, labels, n + 1);
  census__free(counts);
  census__free(labels);
}
