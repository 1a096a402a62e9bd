/* module.h - the parts of census._census and what they share.
 *
 * The extension is thin glue over census's public C API (include/census/ headers): each part
 * converts Python arguments, calls the C API and converts the result or the status back; the logic
 * lives in census's C core or in the plain Python modules of the census package. Each part is one
 * source file (or a few) of this directory and exposes one function,
 *
 *     int census_py_<part>_init(PyObject *module);
 *
 * which adds the part's types and functions to the module and returns 0, or sets an exception
 * and returns -1. module.c calls them in the order of its parts table.
 *
 * To add a part: write src/<part>.c with census_py_<part>_init(), declare it below, and add one
 * line { "<part>", census_py_<part>_init } to the parts table in module.c.
 *
 * The module is created once per process (single-phase init): census's state is process-wide,
 * so there is one census per process whatever the number of imports; sub-interpreters are not
 * supported.
 */
#ifndef CENSUS_PY_MODULE_H
#define CENSUS_PY_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "census/census.h"

/* ---- The parts ------------------------------------------------------------------------- */

/* errors.c: the exception classes (census.Error and its subclasses) and census_py_raise(). */
int census_py_errors_init(PyObject *module);
/* core.c: version, export interval, flush, shutdown, diagnostics. */
int census_py_core_init(PyObject *module);
/* tags.c: tag keys and the C tag map behind census.tags.TagMap. */
int census_py_tags_init(PyObject *module);
/* stats.c: measures, aggregations, views, measurement maps, bound measures, view data. */
int census_py_stats_init(PyObject *module);
/* shm.c: shared-memory mode (census/shm.h), for census.shm. */
int census_py_shm_init(PyObject *module);
/* exporters.c: the shipped exporters (stdout, Prometheus, OTLP, Cloud Monitoring) and the
 * bridge that lets census's export worker call exporters written in Python. */
int census_py_exporters_init(PyObject *module);
/* lifecycle.c: the flush at interpreter exit, the SIGTERM flush, os.register_at_fork. */
int census_py_lifecycle_init(PyObject *module);
/* trace.c (the tracing part): spans, samplers, span exporters written in Python. */
int census_py_trace_init(PyObject *module);
/* propagation.c (the tracing part): the header formats of census/propagation.h. */
int census_py_propagation_init(PyObject *module);

/* ---- Shared by the parts --------------------------------------------------------------- */

/* Sets the Python exception that matches `status` (a census error code), with the message
 * "<what>: <census_status_str(status)>" and, when census reported a diagnostic line on this
 * thread during the call, that line too (it names the field or the value that was wrong).
 * Classes: census.InvalidArgumentError (also a ValueError) for argument and value errors,
 * census.InvalidTypeError (also a TypeError) for CENSUS_ETYPE, census.TimeoutError (also the
 * built-in TimeoutError), census.ShutdownError, census.ExportError, census.NotFoundError (also a
 * LookupError), census.SystemCallError (also an OSError), MemoryError for CENSUS_ENOMEM, and
 * census.Error for the rest; each census.Error carries `.status` (the int) and `.status_name`.
 * Always returns NULL, so a caller can `return census_py_raise(st, "...")`. Needs the GIL. */
PyObject *census_py_raise(census_status status, const char *what);

/* The exception class census_py_raise() uses for `status` (borrowed). */
PyObject *census_py_error_class(census_status status);

/* The same, returning -1 (for init functions and setters). Needs the GIL. */
int census_py_raise_int(census_status status, const char *what);

/* Forgets the calling thread's last diagnostic line, so that the next census_py_raise() only
 * quotes a line reported after this call. Call before a C call whose failure you will raise. */
void census_py_diagnostics_mark(void);

/* Runs `call`, a census call that can block (binding a port, asking a metadata server, waiting for
 * exporters to deliver), with the GIL released, and stores the census_status it returns in
 * `status`. The diagnostics mark comes first, so that a census_py_raise(status, ...) right after
 * quotes only what this call reported. A macro rather than a function because census's blocking
 * calls each have their own signature; `call` must not touch Python objects. */
#define CENSUS_PY_CALL_WITHOUT_GIL(status, call)                                                   \
  do {                                                                                             \
    census_py_diagnostics_mark();                                                                  \
    PyThreadState *ts_ = PyEval_SaveThread();                                                      \
    (status) = (call);                                                                             \
    PyEval_RestoreThread(ts_);                                                                     \
  } while (0)

/* ---- Exporter options and counters (exporters.c), for the parts that start exporters ------ */

/* Keyword options of the start functions: each takes the option named `key` out of `options` (a
 * dict the caller owns, or NULL for none) and leaves *out untouched when it is absent or None.
 * census_py_opt_str borrows the string from the dict, which must outlive the start call
 * (census copies it); anything but a str is a TypeError naming the option.
 * census_py_opt_seconds takes a duration in seconds and stores milliseconds, as
 * census_py_timeout_ms. Both return 0, or -1 with an exception set. Need the GIL. */
int census_py_opt_str(PyObject *options, const char *key, const char **out);
int census_py_opt_seconds(PyObject *options, const char *key, int64_t *ms);

/* Sets dict[#field] to the unsigned counter (stats).field, for an exporter's stats() dict. On
 * failure it releases `dict` and returns NULL from the calling function. */
#define CENSUS_PY_SET_COUNTER(dict, stats, field)                                                  \
  do {                                                                                             \
    PyObject *n_ = PyLong_FromUnsignedLongLong((unsigned long long)(stats).field);                 \
    if (!n_ || PyDict_SetItemString(dict, #field, n_) < 0) {                                       \
      Py_XDECREF(n_);                                                                              \
      Py_DECREF(dict);                                                                             \
      return NULL;                                                                                 \
    }                                                                                              \
    Py_DECREF(n_);                                                                                 \
  } while (0)

/* ---- Tags (tags.c), for the parts that record or propagate ------------------------------- */

/* The interned census tag key named by the str `name` (cached per name). NULL with an exception
 * set (TypeError, census.InvalidArgumentError). Needs the GIL. */
const census_tag_key *census_py_tag_key(PyObject *name);

/* The C tag map of a census.tags.TagMap (borrowed: valid while `object` lives and the GIL is not
 * released in between), or for None the current tag map (census_py_current_tag_map()). Returns
 * 0, or -1 with TypeError set for anything else. Needs the GIL. */
int census_py_tag_map(PyObject *object, const census_tag_map **map);

/* The C map of the current TagMap of the running context (census.tags.TagContext), or NULL when
 * there is none. Borrowed as above. Needs the GIL. */
const census_tag_map *census_py_current_tag_map(void);

/* ---- Trace ids (propagation.c), for the tracing parts ---------------------------------- */

/* `n` bytes (n <= 32) as a str of 2n lowercase hex digits. New reference, or NULL. */
PyObject *census_py_hex(const uint8_t *bytes, size_t n);

/* Parses `n` bytes from `s`, exactly 2n hex digits of either case (`s` may be NULL). Returns 1,
 * or 0 if it is not that (no exception set). */
int census_py_unhex(const char *s, Py_ssize_t length, uint8_t *out, size_t n);

/* A trace context as the tuple (trace_id hex, span_id hex, trace_flags, tracestate). New
 * reference, or NULL with an exception set. Needs the GIL. */
PyObject *census_py_context_tuple(const census_trace_context *c);

/* ---- Stats (stats.c) ----------------------------------------------------------------------- */

/* The census measure of a census.stats.measure.MeasureInt/MeasureFloat (it lives until exit), or
 * NULL with TypeError set. Needs the GIL. */
const census_measure *census_py_measure(PyObject *object);

/* A snapshot as the tuple census.stats.view_data reads: (name, description, measure name,
 * measure value type, measure description, measure unit, aggregation kind, columns, bounds,
 * start_ns, end_ns, rows), each row (values, is_overflow, count, int_value, double_value,
 * time_ns, mean, sum_of_squared_deviation, min, max, bucket_counts or None). New reference, or
 * NULL with an exception set. Needs the GIL; `d` is only read. */
PyObject *census_py_view_data_tuple(const census_view_data *d);

/* A list of census_py_view_data_tuple()s of `views[0..count)`. New reference, or NULL with an
 * exception set. Needs the GIL; the snapshots are only read (the caller still frees them). */
PyObject *census_py_view_data_list(const census_view_data *const *views, size_t count);

/* ---- Calling Python from census's threads (lifecycle.c) ---------------------------------- */

/* Takes the GIL on any thread (census's export worker, its flush threads) for a call into Python
 * code: an exporter written in Python. Returns 1 with the GIL held (give it back with
 * census_py_gil_release(state)), or 0, holding nothing, once the binding has detached Python at
 * interpreter exit (its atexit hook: after its final flush, before the interpreter finalises,
 * where a thread taking the GIL would be ended with pthread_exit while holding census's locks).
 * On 0 the caller skips the Python call and counts what it could not deliver. The atexit hook
 * waits for every call between a 1 and its release before it returns. */
int census_py_gil_acquire(PyGILState_STATE *state);
void census_py_gil_release(PyGILState_STATE state);

/* Adds an exporter written in Python to what the interpreter-exit hook retires before the
 * interpreter finalises: retire(user, timeout_ms) is called once, without the GIL, and must make
 * the exporter's final export and release it (census_stats_exporter_unregister and
 * census_span_exporter_unregister fit as they are). An exporter that census shuts down or that is
 * unregistered first must take itself off with census_py_exit_remove(user). Returns 0, or -1 with
 * MemoryError set. Thread-safe. */
int census_py_exit_add(census_status (*retire)(void *user, int64_t timeout_ms), void *user);
void census_py_exit_remove(void *user);

/* Converts a timeout in seconds (a float; None or NULL: no limit) to census's milliseconds (-1:
 * no limit), rounding up. Returns 0, or -1 with ValueError (negative, NaN) or TypeError set.
 * Needs the GIL. */
int census_py_timeout_ms(PyObject *seconds, int64_t *ms);

#endif
