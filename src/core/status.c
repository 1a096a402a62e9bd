/* status.c - census_status_name() and census_status_str(), generated from the one status table,
 * CENSUS_STATUS_MAP in include/census/status.h.
 *
 * Codes are dense: 0, -1, -2, ... so the table is indexed by -status, and anything outside it
 * (positive, or below the lowest code) gets the documented fallbacks. Adding a code means adding
 * one X(...) line to CENSUS_STATUS_MAP and nothing here; the checks below refuse at compile time
 * a code that is positive or out of the dense range, and tests/unit/test_status.c checks the
 * range has no hole.
 */
#include "census/status.h"

#include <stddef.h>

struct status_row {
  const char *name;
  const char *message;
};

/* Number of codes in the table. */
#define STATUS_COUNT_ENTRY(name, value, message) +1
enum { STATUS_COUNT = 0 CENSUS_STATUS_MAP(STATUS_COUNT_ENTRY) };
#undef STATUS_COUNT_ENTRY

/* Every value is 0 or negative and within the dense range, so that indexing by -status is in
 * bounds and the table below has exactly STATUS_COUNT rows. */
#define STATUS_RANGE_CHECK(name, value, message)                                                   \
  _Static_assert((value) <= 0 && (value) > -STATUS_COUNT,                                          \
                 "CENSUS_" #name " is outside 0..-(count-1): status codes must stay dense");
CENSUS_STATUS_MAP(STATUS_RANGE_CHECK)
#undef STATUS_RANGE_CHECK

static const struct status_row status_table[] = {
#define STATUS_ROW(name, value, message) [-(value)] = {"CENSUS_" #name, message},
    CENSUS_STATUS_MAP(STATUS_ROW)
#undef STATUS_ROW
};

_Static_assert(sizeof status_table / sizeof status_table[0] == STATUS_COUNT,
               "the status table has a hole or a repeated value");

/* The row of `status`, or NULL for a code outside the table. */
static const struct status_row *status_row_of(census_status status) {
  if (status > 0 || -(long)status >= (long)STATUS_COUNT) {
    return NULL;
  }
  return &status_table[-status];
}

CENSUS_EXPORT const char *census_status_str(census_status status) {
  const struct status_row *row = status_row_of(status);
  return row ? row->message : "unknown census status";
}

CENSUS_EXPORT const char *census_status_name(census_status status) {
  const struct status_row *row = status_row_of(status);
  return row ? row->name : "CENSUS_UNKNOWN";
}
