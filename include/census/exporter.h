/* census/exporter.h - the interface that stats exporters implement.
 *
 * An exporter is a table of callbacks and a user pointer. The export worker (and census_flush(),
 * and the flush at exit) calls export_views with a snapshot of every registered view; calls to one
 * exporter never overlap. Data are cumulative, so a failed export loses nothing: the next export
 * carries the same totals and more.
 */
#ifndef CENSUS_EXPORTER_H
#define CENSUS_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "census/stats.h"
#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct census_stats_exporter_ops {
  /* Exports `count` snapshots, borrowed for the duration of the call. Returns CENSUS_OK or an
   * error, which census_flush() passes on. Required. */
  census_status (*export_views)(void *user, const census_view_data *const *views, size_t count);
  /* Pushes out anything the exporter buffered, within timeout_ms. May be NULL. */
  census_status (*flush)(void *user, int64_t timeout_ms);
  /* Releases the exporter (and `user`, if it owns it), within timeout_ms. Called exactly once:
   * at unregistration or at census_shutdown(); not at process exit, where only flush runs.
   * May be NULL. */
  void (*shutdown)(void *user, int64_t timeout_ms);
} census_stats_exporter_ops;

/* Registers a stats exporter; `ops` is copied, `user` is passed to each callback.
 * Errors: CENSUS_EINVAL (NULL ops or export_views), CENSUS_ENOMEM, CENSUS_ESHUTDOWN.
 * Thread-safe. */
CENSUS_EXPORT census_status census_stats_exporter_register(const census_stats_exporter_ops *ops,
                                                           void *user);

/* Unregisters the exporter registered with `user`, after a final export of everything recorded
 * so far, then calls its shutdown callback. Blocks up to timeout_ms. CENSUS_ENOTFOUND if no
 * exporter has that user pointer. Thread-safe; must not be called from an exporter callback. */
CENSUS_EXPORT census_status census_stats_exporter_unregister(void *user, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
