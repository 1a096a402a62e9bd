/* census/shm.h - shared-memory mode: one view of the stats of a group of processes (pre-fork
 * servers: gunicorn, uWSGI, nginx-style workers, PostgreSQL-style backends), surviving SIGKILL.
 *
 * Each process of the group keeps its cells in a memory-mapped file of its own under one
 * directory; any process (or a sidecar that records nothing) reads every file and merges them.
 * docs/shared-memory.md describes the file format, the gauge modes, the leader and compaction.
 */
#ifndef CENSUS_SHM_H
#define CENSUS_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"
#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Turns shared-memory mode on for this process, with the group's directory `dir` (copied; it
 * must exist and be writable: one directory per group, e.g. under /dev/shm). Setting the
 * environment variable CENSUS_SHM_DIR does the same, noticed at the next new series of a thread
 * or the next collection. Either may happen at any time, before or after fork(): a fork child of
 * a process in the mode is in it too, with a file of its own. Values recorded before the mode
 * was on are carried into this process's file at its next collection (a snapshot, an export
 * step), so the group's view includes them. In the mode, census_view_data_get_all() (so the
 * Prometheus exporter) returns the group's merged view, and only the group's leader pushes to stats
 * exporters, the group's merged view (docs/shared-memory.md).
 * Returns CENSUS_OK (also when already on with the same directory), CENSUS_EINVAL (NULL, empty
 * or too long), CENSUS_ECONFIG (not a writable directory, reported through diagnostics),
 * CENSUS_ECONFLICT (already on with another directory), CENSUS_ENOMEM, CENSUS_ESHUTDOWN (after
 * census_shutdown(), which also closes this process's file; the file stays for the group).
 * Thread-safe. */
CENSUS_EXPORT census_status census_shm_enable(const char *dir);

/* Whether shared-memory mode is on in this process; never fails (false after shutdown).
 * Thread-safe. */
CENSUS_EXPORT bool census_shm_enabled(void);

/* How the merged view shows a LAST_VALUE view, whose rows cannot be added (as
 * prometheus_client's multiprocess_mode): the most recent value of any process, dead or alive
 * (the default), the maximum, minimum or sum over processes, every live process's value with a
 * "pid" column added, or the same four over live processes only (LIVE_*). */
typedef enum census_shm_gauge_mode {
  CENSUS_SHM_GAUGE_MOST_RECENT = 0,
  CENSUS_SHM_GAUGE_MAX = 1,
  CENSUS_SHM_GAUGE_MIN = 2,
  CENSUS_SHM_GAUGE_SUM = 3,
  CENSUS_SHM_GAUGE_ALL = 4,
  CENSUS_SHM_GAUGE_LIVE_MOST_RECENT = 5,
  CENSUS_SHM_GAUGE_LIVE_MAX = 6,
  CENSUS_SHM_GAUGE_LIVE_MIN = 7,
  CENSUS_SHM_GAUGE_LIVE_SUM = 8
} census_shm_gauge_mode;

/* Sets the gauge mode this process's merged views use (CENSUS_SHM_GAUGE=most_recent, max, min,
 * sum, all, live_most_recent, live_max, live_min or live_sum does the same). CENSUS_OK or
 * CENSUS_EINVAL. Thread-safe. */
CENSUS_EXPORT census_status census_shm_gauge_mode_set(census_shm_gauge_mode mode);

/* Reads every census file in `dir` (live processes', dead processes' and the archive) and merges
 * them: counts, sums and distributions add; LAST_VALUE views follow this process's gauge mode.
 * Sets *views to *count snapshots (free with census_view_data_free_all()), in the order views
 * are first met. Before reading, whoever gets the directory's compaction lock first compacts the
 * dead processes' files into the archive (crash-safe: a total never goes backwards). A file that
 * cannot be read (empty, torn, another format version, damaged, gone mid-read) is left out and
 * reported once through diagnostics; the rest is read. Needs no census_shm_enable(): a sidecar
 * that records nothing can serve a group. Errors: CENSUS_EINVAL, CENSUS_ESYSTEM (the directory
 * cannot be listed), CENSUS_ENOMEM, CENSUS_ESHUTDOWN (after census_shutdown()). Thread-safe;
 * blocking (file I/O, and waits while another process compacts). */
CENSUS_EXPORT census_status census_shm_view_data_get_all(const char *dir, census_view_data ***views,
                                                         size_t *count);

/* Compacts the group in `dir` now: folds every dead process's file (nobody holds its lock: its
 * process exited or was killed, whatever killed it) and the old archive into the archive, then
 * removes those files, as the first reader of a scrape would (crash-safe: a total never goes
 * backwards, no file is counted twice). For a pre-fork master's child-exit hook (gunicorn's
 * child_exit), so the directory holds O(live processes) files between scrapes. Waits while
 * another process reads or compacts the group (milliseconds). Sets *compacted (may be NULL) to
 * the number of process files folded in (0: none was dead, or the archive could not be written:
 * a full disk is reported once and leaves the files to be read as they are). A dead file that
 * cannot be read whole stays, reported once. Needs no census_shm_enable(). Errors: CENSUS_EINVAL
 * (NULL dir), CENSUS_ESYSTEM (the directory or its lock cannot be opened), CENSUS_ESHUTDOWN.
 * Thread-safe; blocking (file I/O). */
CENSUS_EXPORT census_status census_shm_compact(const char *dir, size_t *compacted);

/* Whether this process is the group's leader now (the one whose export step pushes the group's
 * merged view to stats exporters: docs/shared-memory.md, "The leader"). Only asks: it never
 * tries to take the lead, which a process takes at its export step when it has an exporter
 * registered and the lead is free. False when the mode is off, in a fork child until it takes
 * the lead itself, and after shutdown. Thread-safe; never fails. */
CENSUS_EXPORT bool census_shm_is_leader(void);

/* What this process's shared-memory mode did: files it opened (1, plus one after each fork
 * child's first record), cells that could not be placed in its file (full disk: they record in
 * this process's totals, which the collector carries into the file when it can), and series
 * whose in-process totals (records made before the mode was on, or by such a cell) could not be
 * carried into the file at a collection (full disk: counted once per series until a carry
 * succeeds; tried again at each collection, nothing dropped; until then the group's view lacks
 * them). Fills the caller's *counts (a plain value, owned by the caller); NULL is a no-op.
 * Never fails. Thread-safe. */
typedef struct census_shm_counts {
  uint64_t files_opened;
  uint64_t unshared_cells;
  uint64_t uncarried_series;
} census_shm_counts;
CENSUS_EXPORT void census_shm_stats(census_shm_counts *counts);

#ifdef __cplusplus
}
#endif
#endif
