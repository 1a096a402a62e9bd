/* census/census.h - the umbrella header, and the library's lifecycle: export interval, flush,
 * shutdown, signal and fork behaviour, diagnostics.
 *
 * The library needs no initialisation call: it registers its fork handlers and its self-metrics
 * when loaded, and starts its one background export worker with the first exporter registration
 * (or census_signal_flush_install()). From then on it flushes by itself at normal process exit
 * (return from main or exit()); census_signal_flush_install() adds SIGTERM/SIGINT. After fork() the
 * child has a working library of its own: a new worker, no series, view start times reset to the
 * fork; the parent's data are exported only by the parent.
 */
#ifndef CENSUS_CENSUS_H
#define CENSUS_CENSUS_H

#include <stdint.h>

#include "census/allocator.h"
#include "census/exporter.h"
#include "census/instruments.h"
#include "census/shm.h"
#include "census/stats.h"
#include "census/status.h"
#include "census/tags.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CENSUS_VERSION_STRING "0.1.0"

/* The default export interval, in milliseconds (OTEL_METRIC_EXPORT_INTERVAL overrides it). */
#define CENSUS_DEFAULT_EXPORT_INTERVAL_MS 60000

/* The library version, e.g. "0.1.0". Never fails; returns a static string. Thread-safe. */
CENSUS_EXPORT const char *census_version(void);

/* Sets the interval between exports, in milliseconds (>= 1); takes effect from the next wait.
 * CENSUS_EINVAL for < 1, CENSUS_ESHUTDOWN after shutdown. Thread-safe. */
CENSUS_EXPORT census_status census_export_set_interval_ms(int64_t interval_ms);

/* The export interval now in force, in milliseconds (after census_shutdown(): the last one).
 * Never fails. Thread-safe. */
CENSUS_EXPORT int64_t census_export_interval_ms(void);

/* Collects everything recorded so far and exports it to every stats exporter, passes the queued
 * spans to every span exporter, then calls every exporter's flush callback at once (each on a
 * thread of its own, each with the time left before the one deadline, so a dead backend costs
 * only its own exporter; docs/lifecycle.md) and waits for them. Blocks the caller up to
 * timeout_ms (a negative value waits without limit) plus what a flush callback overruns.
 * Returns CENSUS_OK when every exporter took and delivered everything; CENSUS_ETIMEDOUT when the
 * deadline passed before every exporter finished (what is still queued stays queued and
 * delivery goes on); CENSUS_EEXPORT when every exporter finished in time but at least one failed
 * or dropped data (the others still ran); CENSUS_ETIMEDOUT wins over CENSUS_EEXPORT, since the
 * outcome is then not known yet. Also CENSUS_ENOMEM (no snapshot could be built) or
 * CENSUS_ESHUTDOWN. Thread-safe; must not be called from an exporter callback. */
CENSUS_EXPORT census_status census_flush(int64_t timeout_ms);

/* Flushes, stops the export worker, shuts the exporters down and frees all collected data, within
 * timeout_ms in total. Returns CENSUS_OK; CENSUS_ETIMEDOUT when the deadline cut the flush short
 * (what an exporter still held was then dropped by its shutdown, counted with reason "shutdown")
 * or an export still held census's collection lock (the data then stay allocated);
 * CENSUS_EEXPORT when an exporter failed or dropped data during the flush; CENSUS_ETIMEDOUT wins
 * over CENSUS_EEXPORT, as for census_flush(). Idempotent: later calls return CENSUS_OK and do
 * nothing. Afterwards every
 * record call is a no-op and constructors fail with CENSUS_ESHUTDOWN; measures and tag keys
 * already handed out stay valid (they are tiny and live until exit), so stray late calls are safe.
 * Other threads must not be recording while it runs: at process exit census does not free, and
 * needs no call (see the file comment). Thread-safe with respect to other lifecycle calls. */
CENSUS_EXPORT census_status census_shutdown(int64_t timeout_ms);

/* Installs handling of SIGTERM and SIGINT that flushes all data (bounded by the flush timeout
 * below) and then gives the signal its previous effect: the previous handler, or the default
 * action (the process ends with that signal). A signal ignored at the time of the call stays
 * ignored and is not hooked. Opt-in because signals belong to the application.
 * The handler itself only writes one byte to a pipe; the flush runs on the export worker.
 * Returns CENSUS_OK, CENSUS_ESYSTEM or CENSUS_ESHUTDOWN. Thread-safe. */
CENSUS_EXPORT census_status census_signal_flush_install(void);

/* The time allowed for the flush at exit and on a signal, in milliseconds (default 5000). Every
 * exporter gets all of it (their flushes run at once); what a push exporter still holds when it
 * ends is counted as dropped (CENSUS_EXPORTER_DROP_EXIT_DEADLINE) and reported in one
 * diagnostic line per exporter. CENSUS_EINVAL for < 0; CENSUS_ESHUTDOWN after census_shutdown()
 * (nothing is flushed at exit then). Thread-safe. */
CENSUS_EXPORT census_status census_exit_flush_set_timeout_ms(int64_t timeout_ms);

/* Receives diagnostics: refused measurements, malformed configuration, exporter failures.
 * `message` is borrowed for the call. Called from whichever thread met the problem, possibly
 * concurrently; it must not call back into census. */
typedef void (*census_diagnostics_fn)(void *user, census_status status, const char *message);

/* Replaces the diagnostics callback. The default writes the first 20 messages to stderr, one
 * line each, then says that further ones are suppressed; NULL silences diagnostics (they are
 * still counted in the self-metrics). `user` is passed to `fn` and never dereferenced or freed by
 * census; keep it valid while `fn` may run (a reporter that started before the replacement may
 * still call the previous pair). Works before start and after census_shutdown(). Returns nothing:
 * if the new pair cannot be allocated, the previous callback stays. Thread-safe. */
CENSUS_EXPORT void census_diagnostics_set_callback(census_diagnostics_fn fn, void *user);

/* Passes `message` (copied, truncated to 511 bytes; NULL reports "(no message)") to the
 * diagnostics callback; for exporters and other libraries built on census, so that every problem
 * reaches one channel. Never fails. Thread-safe; not async-signal-safe. */
CENSUS_EXPORT void census_diagnostics_report(census_status status, const char *message);

#ifdef __cplusplus
}
#endif
#endif
