/* fuzz_shm_file.c - libFuzzer target for the shared-memory file reader (src/stats/shm_read.c):
 * a group's directory holds files other processes wrote, possibly torn by a SIGKILL, cut short,
 * damaged, of another census version, or not census's at all.
 *
 * The input is a whole file (the first byte also picks whether its writer counts as live and the
 * gauge mode). Invariants: reading never crashes or reads outside the input (ASan: the copy is
 * exactly the input's size, 8-aligned as a mapping is); a file read without a problem merges
 * into views whose rows all give a point; reading the same bytes twice gives the same views and
 * counts (the reader has no hidden state that changes the result).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "fuzz_common.h"
#include "stats/shm_read.h"

/* Sum of the counts of every row of every view (saturating: a hostile file's rows may hold
 * counts up to INT64_MAX, which the reader clamps to), and the number of rows. */
static void totals(census_view_data **views, size_t count, int64_t *sum, size_t *rows) {
  *sum = 0;
  *rows = 0;
  for (size_t v = 0; v < count; v++) {
    for (size_t r = 0; r < census_view_data_row_count(views[v]); r++) {
      census_point p;
      FUZZ_CHECK(census_view_data_row_point(views[v], r, &p) == CENSUS_OK);
      if (__builtin_add_overflow(*sum, p.count, sum)) {
        *sum = p.count < 0 ? INT64_MIN : INT64_MAX;
      }
      (*rows)++;
    }
  }
}

static const char *read_once(const unsigned char *data, size_t size, bool live, int mode,
                             int64_t *sum, size_t *rows) {
  struct census__shm_merge *m = census__shm_merge_new();
  FUZZ_CHECK(m != NULL);
  const char *problem = census__shm_merge_file(m, data, size, live);
  census_view_data **views;
  size_t count;
  FUZZ_CHECK(census__shm_merge_views(m, mode, &views, &count) == CENSUS_OK);
  totals(views, count, sum, rows);
  census_view_data_free_all(views, count);
  census__shm_merge_free(m);
  return problem;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  census_diagnostics_set_callback(NULL, NULL);
  if (size == 0) {
    return 0;
  }
  bool live = data[0] & 1;
  int mode = (data[0] >> 1) % 9;
  unsigned char *copy = malloc(size); /* malloc: 16-aligned, exactly `size` bytes for ASan */
  FUZZ_CHECK(copy != NULL);
  memcpy(copy, data, size);
  copy[0] = 'C'; /* the selector byte stands for the magic's first byte */
  int64_t sum1, sum2;
  size_t rows1, rows2;
  const char *p1 = read_once(copy, size, live, mode, &sum1, &rows1);
  const char *p2 = read_once(copy, size, live, mode, &sum2, &rows2);
  FUZZ_CHECK(p1 == p2 && sum1 == sum2 && rows1 == rows2);
  free(copy);
  return 0;
}
