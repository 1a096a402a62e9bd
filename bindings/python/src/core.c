/* core.c - the library-wide calls of census.h: version, export interval, flush, shutdown.
 *
 * flush() and shutdown() block (they wait for every exporter to deliver, up to their timeout), so
 * they run with the GIL released: the exporters census calls meanwhile include exporters written
 * in Python, which take the GIL on census's export worker (exporters.c), and other Python threads
 * go on running. Timeouts are in seconds (floats) at this surface, as in Python's own APIs, and
 * milliseconds in C.
 */
#include "module.h"

#include <math.h>

/* Converts a timeout in seconds (None: wait without limit) to census's milliseconds (-1: no
 * limit). Returns 0, or -1 with ValueError for a negative or NaN value. */
int census_py_timeout_ms(PyObject *seconds, int64_t *ms) {
  if (seconds == NULL || seconds == Py_None) {
    *ms = -1;
    return 0;
  }
  double s = PyFloat_AsDouble(seconds);
  if (s == -1.0 && PyErr_Occurred()) {
    return -1;
  }
  if (!(s >= 0)) {
    PyErr_Format(PyExc_ValueError, "timeout must be >= 0 seconds or None (no limit), not %R",
                 seconds);
    return -1;
  }
  *ms = s > 9.0e15 ? -1 : (int64_t)ceil(s * 1000.0);
  return 0;
}

PyDoc_STRVAR(version_doc, "version() -> str\n\ncensus's C library version, e.g. '0.1.0'.");
static PyObject *py_version(PyObject *self, PyObject *unused) {
  return PyUnicode_FromString(census_version());
}

PyDoc_STRVAR(
    flush_doc,
    "flush(timeout=5.0)\n\n"
    "Collects everything recorded so far, hands it to every exporter and waits for all of\n"
    "them to deliver, up to `timeout` seconds (None: no limit). The GIL is released while\n"
    "it waits. Raises census.TimeoutError when the deadline passed first (delivery goes on\n"
    "in the background) and census.ExportError when an exporter failed or dropped data.\n"
    "Thread-safe; must not be called from an exporter's export().");
static PyObject *py_flush(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"timeout", NULL};
  PyObject *timeout = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:flush", names, &timeout)) {
    return NULL;
  }
  int64_t ms = 5000;
  if (timeout && census_py_timeout_ms(timeout, &ms) < 0) {
    return NULL;
  }
  census_status st;
  census_py_diagnostics_mark();
  PyThreadState *ts = PyEval_SaveThread();
  st = census_flush(ms);
  PyEval_RestoreThread(ts);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.flush");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(shutdown_doc,
             "shutdown(timeout=5.0)\n\n"
             "Flushes, stops census's export worker, shuts every exporter down and frees what\n"
             "census collected, within `timeout` seconds in total (GIL released). Final for the\n"
             "process: later records do nothing. Idempotent. Raises census.TimeoutError or\n"
             "census.ExportError as flush() does. No other thread may be recording meanwhile.");
static PyObject *py_shutdown(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"timeout", NULL};
  PyObject *timeout = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:shutdown", names, &timeout)) {
    return NULL;
  }
  int64_t ms = 5000;
  if (timeout && census_py_timeout_ms(timeout, &ms) < 0) {
    return NULL;
  }
  census_status st;
  census_py_diagnostics_mark();
  PyThreadState *ts = PyEval_SaveThread();
  st = census_shutdown(ms);
  PyEval_RestoreThread(ts);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.shutdown");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(set_export_interval_doc,
             "set_export_interval(seconds)\n\n"
             "Sets the interval between periodic exports (default 60 s, or\n"
             "OTEL_METRIC_EXPORT_INTERVAL in ms); at least 0.001. Thread-safe.");
static PyObject *py_set_export_interval(PyObject *self, PyObject *arg) {
  double s = PyFloat_AsDouble(arg);
  if (s == -1.0 && PyErr_Occurred()) {
    return NULL;
  }
  if (!(s >= 0.001) || s > 9.0e12) {
    PyErr_Format(PyExc_ValueError, "export interval must be between 0.001 and 9e12 seconds, not %R",
                 arg);
    return NULL;
  }
  census_py_diagnostics_mark();
  census_status st = census_export_set_interval_ms((int64_t)llround(s * 1000.0));
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.set_export_interval");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(export_interval_doc, "export_interval() -> float\n\nThe export interval, seconds.");
static PyObject *py_export_interval(PyObject *self, PyObject *unused) {
  return PyFloat_FromDouble((double)census_export_interval_ms() / 1000.0);
}

static PyMethodDef core_methods[] = {
    {"version", py_version, METH_NOARGS, version_doc},
    {"flush", (PyCFunction)(void (*)(void))py_flush, METH_VARARGS | METH_KEYWORDS, flush_doc},
    {"shutdown", (PyCFunction)(void (*)(void))py_shutdown, METH_VARARGS | METH_KEYWORDS,
     shutdown_doc},
    {"set_export_interval", py_set_export_interval, METH_O, set_export_interval_doc},
    {"export_interval", py_export_interval, METH_NOARGS, export_interval_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_core_init(PyObject *module) { return PyModule_AddFunctions(module, core_methods); }
