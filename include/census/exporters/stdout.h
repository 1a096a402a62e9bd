/* census/exporters/stdout.h - an exporter that prints view data, as readable text or as one JSON
 * object per line (JSON lines), to a file descriptor.
 */
#ifndef CENSUS_EXPORTERS_STDOUT_H
#define CENSUS_EXPORTERS_STDOUT_H

#include <stdint.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum census_stdout_format {
  CENSUS_STDOUT_TEXT = 0, /* a block per view, a line per row */
  CENSUS_STDOUT_JSON = 1, /* one JSON object per row per export; see docs/exporters/stdout.md */
} census_stdout_format;

/* Zero-initialise, then set what differs from the defaults. */
typedef struct census_stdout_options {
  census_stdout_format format; /* default CENSUS_STDOUT_TEXT */
  int fd;                      /* where to write; 0 means standard output (fd 1) */
  int skip_empty;              /* non-zero: views with no rows are not printed */
  int skip_spans;              /* non-zero: register for stats only, not for spans */
} census_stdout_options;

/* Registers a stdout exporter with `options` (NULL: defaults; copied), as a stats exporter and
 * (unless skip_spans) a span exporter. The descriptor stays the caller's: it is not closed.
 * Each export is written with write(2) as whole lines, so output from several processes sharing
 * the descriptor does not interleave within a line. Errors: CENSUS_EINVAL, CENSUS_ENOMEM,
 * CENSUS_ESHUTDOWN. Thread-safe. Unregister with census_stdout_exporter_unregister(). */
CENSUS_EXPORT census_status census_stdout_exporter_register(const census_stdout_options *options);

/* Unregisters every stdout exporter (stats and spans) after a final export, within timeout_ms.
 * Returns CENSUS_OK, CENSUS_ENOTFOUND when none is registered, CENSUS_ESHUTDOWN after
 * census_shutdown() (which already stopped them). Thread-safe. */
CENSUS_EXPORT census_status census_stdout_exporter_unregister(int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
