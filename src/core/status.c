/* status.c - the one table of census status codes, their names and messages.
 *
 * Codes are dense negative integers, so the table is indexed by -status. Adding a code means adding
 * one row here and one constant in include/census/status.h.
 */
#include "census/status.h"

#include <stddef.h>

struct status_row {
  const char *name;
  const char *message;
};

static const struct status_row status_table[] = {
    [0] = {"CENSUS_OK", "success"},
    [1] = {"CENSUS_EINVAL", "a required argument is NULL or out of range"},
    [2] = {"CENSUS_ENOMEM", "out of memory; nothing was changed"},
    [3] = {"CENSUS_EBADNAME", "name is empty, longer than 255 bytes, or not printable ASCII"},
    [4] = {"CENSUS_EBADVALUE", "tag value is longer than 255 bytes or not printable ASCII"},
    [5] = {"CENSUS_ECONFLICT", "name is already registered with a different definition"},
    [6] = {"CENSUS_EBADBOUNDS", "bucket bounds must be finite and strictly increasing"},
    [7] = {"CENSUS_ENEGATIVE", "measurement value is negative"},
    [8] = {"CENSUS_ENONFINITE", "measurement value is NaN or infinite"},
    [9] = {"CENSUS_ETYPE", "a double value was given for an int64 measure"},
    [10] = {"CENSUS_ENOTFOUND", "no such entry"},
    [11] = {"CENSUS_ETIMEDOUT", "the deadline passed before the work finished"},
    [12] = {"CENSUS_ESHUTDOWN", "census has been shut down"},
    [13] = {"CENSUS_EEXPORT", "an exporter reported a failure"},
    [14] = {"CENSUS_ECONFIG", "a configuration value is malformed"},
    [15] = {"CENSUS_ESYSTEM", "an operating-system call failed"},
    [16] = {"CENSUS_ELIMIT", "a limit was reached; data were aggregated into overflow or dropped"},
    [17] = {"CENSUS_EDUPLICATE", "the same item was given twice where each must appear once"},
};

static const struct status_row *status_row_of(census_status status) {
  if (status > 0 || -(long)status >= (long)(sizeof status_table / sizeof status_table[0])) {
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
