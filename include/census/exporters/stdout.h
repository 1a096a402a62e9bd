/* census/exporters/stdout.h - an exporter that prints view data and spans, as readable text or as
 * one JSON object per line (JSON lines), to a file descriptor. Part of the core library (no
 * dependency beyond libc).
 *
 * Formats: docs/exporters/stdout.md. Each export is written with write(2) as whole lines, so
 * processes sharing the descriptor (a forked child) never interleave within a line.
 */
#ifndef CENSUS_EXPORTERS_STDOUT_H
#define CENSUS_EXPORTERS_STDOUT_H

#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum census_stdout_format {
  CENSUS_STDOUT_TEXT = 0, /* a block per view, a line per row */
  CENSUS_STDOUT_JSON = 1, /* one JSON object per row per export; see docs/exporters/stdout.md */
} census_stdout_format;

/* Options. Initialise with CENSUS_STDOUT_OPTIONS_INIT, then set what differs from the defaults:
 * `size` lets the struct grow (the library reads only the fields a program was compiled with). */
typedef struct census_stdout_options {
  size_t size;                 /* sizeof(census_stdout_options), set by the INIT macro */
  census_stdout_format format; /* default CENSUS_STDOUT_TEXT */
  int fd;                      /* where to write; 0 means standard output (fd 1) */
  int skip_empty;              /* non-zero: views with no rows are not printed */
  int skip_spans;              /* non-zero: export views only, not spans */
  int skip_views;              /* non-zero: export spans only, not views (not with skip_spans) */
} census_stdout_options;

#define CENSUS_STDOUT_OPTIONS_INIT                                                                 \
  { .size = sizeof(census_stdout_options) }

/* A running stdout exporter. Thread-safety: the functions below are thread-safe;
 * census_stdout_exporter_stop() must be the last call on a handle. */
typedef struct census_stdout_exporter census_stdout_exporter;

/* What the exporter wrote since it started; each count is exact. */
typedef struct census_stdout_stats {
  uint64_t rows_written;  /* view rows printed (a JSON line, or a text row) */
  uint64_t spans_written; /* spans printed */
  uint64_t bytes_written; /* bytes write(2) accepted */
  uint64_t rows_dropped;  /* rows of exports that could not be written (write(2) failed, e.g.
                             a closed descriptor, or out of memory): lost */
  uint64_t spans_dropped; /* spans likewise */
} census_stdout_stats;

/* Starts a stdout exporter with `options` (NULL: defaults): registers it with census as a stats
 * exporter (unless skip_views) and a span exporter (unless skip_spans), so that every export (each
 * export interval, census_flush(), the flush at exit) prints. The options are copied; the
 * descriptor is not closed by census. On success *exporter receives the handle (stop it with
 * census_stdout_exporter_stop(), or let the flush at exit print the last data). Errors:
 * CENSUS_EINVAL (NULL exporter, an unknown format, both skip_views and skip_spans, options not
 * initialised with CENSUS_STDOUT_OPTIONS_INIT: reported), CENSUS_ENOMEM, CENSUS_ESHUTDOWN (after
 * census_shutdown()); *exporter is then NULL. Thread-safe. */
CENSUS_EXPORT census_status census_stdout_exporter_start(const census_stdout_options *options,
                                                         census_stdout_exporter **exporter);

/* Copies the counters into *stats. Valid until census_stdout_exporter_stop(), including after
 * census_shutdown() (the counters are then final). CENSUS_EINVAL for NULL arguments.
 * Thread-safe; never blocks. */
CENSUS_EXPORT census_status census_stdout_exporter_stats(census_stdout_exporter *exporter,
                                                         census_stdout_stats *stats);

/* Prints a final export of what census holds (views and spans), unregisters the exporter and frees
 * the handle, within timeout_ms. After census_shutdown() (which already stopped it, keeping the
 * handle valid) it only frees and returns CENSUS_OK. Returns CENSUS_OK, CENSUS_EINVAL for NULL,
 * CENSUS_ETIMEDOUT when the deadline cut the final export short (census's collection lock was
 * busy), CENSUS_EEXPORT when it could not be written; CENSUS_ETIMEDOUT wins. Call it exactly once
 * per handle: a second call is undefined, like free() twice. Blocking (bounded by timeout_ms); not
 * from an exporter callback; not concurrently with census_shutdown() or another call on the handle
 * (not thread-safe with them). */
CENSUS_EXPORT census_status census_stdout_exporter_stop(census_stdout_exporter *exporter,
                                                        int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
