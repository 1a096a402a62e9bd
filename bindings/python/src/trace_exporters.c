/* trace_exporters.c - census's span-only exporters for census.ext: Zipkin and Google Cloud Trace
 * (census/exporters/zipkin.h, google_cloud_trace.h). OTLP traces use exporters.c's otlp_start()
 * with signals=2.
 *
 * zipkin_start(**options) and google_trace_start(**options) take keyword options named after the
 * C options' fields (durations in seconds), start census's exporter with the GIL released (a
 * start may ask a metadata server or read a key file), and return a TraceExporterHandle:
 * stats() (the exporter's exact delivery counters as a dict), stop(timeout) (a final export and
 * delivery, GIL released), running. census owns the running exporter: a handle dropped without
 * stop() keeps exporting until census.shutdown() or the process exit, which stop it.
 * Thread-safety: every function is thread-safe; stop() must be the last call on a handle.
 */
#include "module.h"

#include <stdbool.h>
#include <string.h>

#include "census/exporters/google_cloud_trace.h"
#include "census/exporters/zipkin.h"

enum kind { KIND_ZIPKIN, KIND_GOOGLE_TRACE };

typedef struct {
  PyObject_HEAD enum kind kind;
  void *handle; /* NULL once stopped */
} HandleObject;

static PyTypeObject HandleType;

static int opt_str(PyObject *options, const char *key, const char **out) {
  PyObject *v = options ? PyDict_GetItemString(options, key) : NULL;
  if (!v || v == Py_None) {
    return 0;
  }
  if (!PyUnicode_Check(v)) {
    PyErr_Format(PyExc_TypeError, "option %s must be a str, not %.100s", key, Py_TYPE(v)->tp_name);
    return -1;
  }
  *out = PyUnicode_AsUTF8(v);
  return *out ? 0 : -1;
}

static int opt_uint(PyObject *options, const char *key, unsigned long long max,
                    unsigned long long *out) {
  PyObject *v = options ? PyDict_GetItemString(options, key) : NULL;
  if (!v || v == Py_None) {
    return 0;
  }
  unsigned long long x = PyLong_AsUnsignedLongLong(v);
  if (x == (unsigned long long)-1 && PyErr_Occurred()) {
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "option %s must be an int >= 0, not %R", key, v);
    return -1;
  }
  if (x > max) {
    PyErr_Format(PyExc_ValueError, "option %s must be at most %llu, not %llu", key, max, x);
    return -1;
  }
  *out = x;
  return 0;
}

static int opt_seconds(PyObject *options, const char *key, int64_t *ms) {
  PyObject *v = options ? PyDict_GetItemString(options, key) : NULL;
  if (!v || v == Py_None) {
    return 0;
  }
  return census_py_timeout_ms(v, ms);
}

/* Refuses option names the start function does not know, naming them (a typo would otherwise
 * silently keep a default). */
static int known_options(PyObject *options, const char *const *names) {
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (options && PyDict_Next(options, &pos, &key, &value)) {
    const char *k = PyUnicode_AsUTF8(key);
    if (!k) {
      return -1;
    }
    bool found = false;
    for (size_t i = 0; names[i] && !found; i++) {
      found = strcmp(names[i], k) == 0;
    }
    if (!found) {
      PyErr_Format(PyExc_TypeError, "unknown exporter option '%s'", k);
      return -1;
    }
  }
  return 0;
}

static PyObject *handle_new(enum kind kind, void *handle) {
  HandleObject *h = PyObject_New(HandleObject, &HandleType);
  if (h) {
    h->kind = kind;
    h->handle = handle;
  }
  return (PyObject *)h;
}

PyDoc_STRVAR(zipkin_start_doc,
             "zipkin_start(endpoint=None, service_name=None, local_ipv4=None, local_ipv6=None,\n"
             "             local_port=0, timeout=None, max_elapsed=None, max_queued=0,\n"
             "             max_spans_per_request=0, spool_dir=None, spool_max_bytes=0)\n\n"
             "Starts census's Zipkin exporter (v2 JSON spans POSTed to `endpoint`, default\n"
             "OTEL_EXPORTER_ZIPKIN_ENDPOINT, else http://localhost:9411/api/v2/spans). Durations\n"
             "in seconds. Raises census.Error subclasses for bad options.");
static PyObject *zipkin_start(PyObject *self, PyObject *args, PyObject *kwargs) {
  static const char *const names[] = {"endpoint",    "service_name",    "local_ipv4",
                                      "local_ipv6",  "local_port",      "timeout",
                                      "max_elapsed", "max_queued",      "max_spans_per_request",
                                      "spool_dir",   "spool_max_bytes", NULL};
  if (PyTuple_GET_SIZE(args) > 0) {
    PyErr_SetString(PyExc_TypeError, "zipkin_start() takes keyword options only");
    return NULL;
  }
  census_zipkin_options o = CENSUS_ZIPKIN_OPTIONS_INIT;
  unsigned long long port = 0, queued = 0, per_request = 0, spool_max = 0;
  if (known_options(kwargs, names) < 0 || opt_str(kwargs, "endpoint", &o.endpoint) < 0 ||
      opt_str(kwargs, "service_name", &o.service_name) < 0 ||
      opt_str(kwargs, "local_ipv4", &o.local_ipv4) < 0 ||
      opt_str(kwargs, "local_ipv6", &o.local_ipv6) < 0 ||
      opt_uint(kwargs, "local_port", 65535, &port) < 0 ||
      opt_seconds(kwargs, "timeout", &o.timeout_ms) < 0 ||
      opt_seconds(kwargs, "max_elapsed", &o.max_elapsed_ms) < 0 ||
      opt_uint(kwargs, "max_queued", SIZE_MAX, &queued) < 0 ||
      opt_uint(kwargs, "max_spans_per_request", SIZE_MAX, &per_request) < 0 ||
      opt_str(kwargs, "spool_dir", &o.spool_dir) < 0 ||
      opt_uint(kwargs, "spool_max_bytes", UINT64_MAX, &spool_max) < 0) {
    return NULL;
  }
  o.local_port = (uint16_t)port;
  o.max_queued = (size_t)queued;
  o.max_spans_per_request = (size_t)per_request;
  o.spool_max_bytes = spool_max;
  census_zipkin_exporter *e = NULL;
  census_status st;
  census_py_diagnostics_mark();
  Py_BEGIN_ALLOW_THREADS st = census_zipkin_exporter_start(&o, &e);
  Py_END_ALLOW_THREADS if (st != CENSUS_OK) { return census_py_raise(st, "zipkin exporter"); }
  return handle_new(KIND_ZIPKIN, e);
}

PyDoc_STRVAR(google_trace_start_doc,
             "google_trace_start(project_id=None, credentials_file=None, access_token=None,\n"
             "                   trace_endpoint=None, token_endpoint=None, metadata_host=None,\n"
             "                   timeout=None, max_elapsed=None, max_queued=0,\n"
             "                   max_spans_per_request=0, gzip=False, spool_dir=None,\n"
             "                   spool_max_bytes=0)\n\n"
             "Starts census's Google Cloud Trace exporter (batchWrite of v2 spans;\n"
             "docs/exporters/google-cloud.md). Durations in seconds; the GIL is released while\n"
             "it resolves the project and credentials.");
static PyObject *google_trace_start(PyObject *self, PyObject *args, PyObject *kwargs) {
  static const char *const names[] = {"project_id",
                                      "credentials_file",
                                      "access_token",
                                      "trace_endpoint",
                                      "token_endpoint",
                                      "metadata_host",
                                      "timeout",
                                      "max_elapsed",
                                      "max_queued",
                                      "max_spans_per_request",
                                      "gzip",
                                      "spool_dir",
                                      "spool_max_bytes",
                                      NULL};
  if (PyTuple_GET_SIZE(args) > 0) {
    PyErr_SetString(PyExc_TypeError, "google_trace_start() takes keyword options only");
    return NULL;
  }
  census_google_trace_options o = CENSUS_GOOGLE_TRACE_OPTIONS_INIT;
  unsigned long long queued = 0, per_request = 0, spool_max = 0, gzip = 0;
  if (known_options(kwargs, names) < 0 || opt_str(kwargs, "project_id", &o.project_id) < 0 ||
      opt_str(kwargs, "credentials_file", &o.credentials_file) < 0 ||
      opt_str(kwargs, "access_token", &o.access_token) < 0 ||
      opt_str(kwargs, "trace_endpoint", &o.trace_endpoint) < 0 ||
      opt_str(kwargs, "token_endpoint", &o.token_endpoint) < 0 ||
      opt_str(kwargs, "metadata_host", &o.metadata_host) < 0 ||
      opt_seconds(kwargs, "timeout", &o.timeout_ms) < 0 ||
      opt_seconds(kwargs, "max_elapsed", &o.max_elapsed_ms) < 0 ||
      opt_uint(kwargs, "max_queued", SIZE_MAX, &queued) < 0 ||
      opt_uint(kwargs, "max_spans_per_request", SIZE_MAX, &per_request) < 0 ||
      opt_uint(kwargs, "gzip", 1, &gzip) < 0 || opt_str(kwargs, "spool_dir", &o.spool_dir) < 0 ||
      opt_uint(kwargs, "spool_max_bytes", UINT64_MAX, &spool_max) < 0) {
    return NULL;
  }
  o.max_queued = (size_t)queued;
  o.max_spans_per_request = (size_t)per_request;
  o.gzip = (int)gzip;
  o.spool_max_bytes = spool_max;
  census_google_trace_exporter *e = NULL;
  census_status st;
  census_py_diagnostics_mark();
  Py_BEGIN_ALLOW_THREADS st = census_google_trace_exporter_start(&o, &e);
  Py_END_ALLOW_THREADS if (st != CENSUS_OK) {
    return census_py_raise(st, "google cloud trace exporter");
  }
  return handle_new(KIND_GOOGLE_TRACE, e);
}

#define COUNTER(d, s, field)                                                                       \
  do {                                                                                             \
    PyObject *v_ = PyLong_FromUnsignedLongLong((s).field);                                         \
    if (!v_ || PyDict_SetItemString((d), #field, v_) < 0) {                                        \
      Py_XDECREF(v_);                                                                              \
      Py_DECREF(d);                                                                                \
      return NULL;                                                                                 \
    }                                                                                              \
    Py_DECREF(v_);                                                                                 \
  } while (0)

PyDoc_STRVAR(handle_stats_doc, "stats() -> dict\n\nThe exporter's exact delivery counters.");
static PyObject *handle_stats(HandleObject *h, PyObject *unused) {
  if (!h->handle) {
    PyErr_SetString(PyExc_RuntimeError, "the exporter was stopped");
    return NULL;
  }
  PyObject *d = PyDict_New();
  if (!d) {
    return NULL;
  }
  if (h->kind == KIND_ZIPKIN) {
    census_zipkin_stats s;
    census_zipkin_exporter_stats(h->handle, &s);
    COUNTER(d, s, spans_delivered);
    COUNTER(d, s, spans_dropped);
    COUNTER(d, s, requests_delivered);
    COUNTER(d, s, requests_dropped);
    COUNTER(d, s, attempts);
    COUNTER(d, s, retries);
    COUNTER(d, s, requests_spooled);
    COUNTER(d, s, spans_spooled);
    COUNTER(d, s, requests_from_spool);
    COUNTER(d, s, spans_from_spool);
  } else {
    census_google_trace_stats s;
    census_google_trace_exporter_stats(h->handle, &s);
    COUNTER(d, s, spans_delivered);
    COUNTER(d, s, spans_dropped);
    COUNTER(d, s, requests_delivered);
    COUNTER(d, s, requests_dropped);
    COUNTER(d, s, attempts);
    COUNTER(d, s, retries);
    COUNTER(d, s, requests_spooled);
    COUNTER(d, s, spans_spooled);
    COUNTER(d, s, requests_from_spool);
    COUNTER(d, s, spans_from_spool);
  }
  return d;
}

PyDoc_STRVAR(handle_stop_doc,
             "stop(timeout=5.0)\n\nExports what census holds, delivers it within `timeout` "
             "seconds (GIL released) and stops the exporter. Raises census.TimeoutError when "
             "the deadline cut delivery short. Stopping twice does nothing.");
static PyObject *handle_stop(HandleObject *h, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"timeout", NULL};
  PyObject *timeout = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:stop", names, &timeout)) {
    return NULL;
  }
  int64_t ms = 5000;
  if (timeout && census_py_timeout_ms(timeout, &ms) < 0) {
    return NULL;
  }
  void *handle = h->handle;
  h->handle = NULL;
  if (!handle) {
    Py_RETURN_NONE;
  }
  census_status st;
  census_py_diagnostics_mark();
  Py_BEGIN_ALLOW_THREADS st = h->kind == KIND_ZIPKIN
                                  ? census_zipkin_exporter_stop(handle, ms)
                                  : census_google_trace_exporter_stop(handle, ms);
  Py_END_ALLOW_THREADS if (st != CENSUS_OK && st != CENSUS_ESHUTDOWN) {
    return census_py_raise(st, "stopping the exporter");
  }
  Py_RETURN_NONE;
}

static PyObject *handle_running(HandleObject *h, void *closure) {
  return PyBool_FromLong(h->handle != NULL);
}

static PyMethodDef handle_methods[] = {
    {"stats", (PyCFunction)handle_stats, METH_NOARGS, handle_stats_doc},
    {"stop", (PyCFunction)(void (*)(void))handle_stop, METH_VARARGS | METH_KEYWORDS,
     handle_stop_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef handle_getset[] = {
    {"running", (getter)handle_running, NULL, "False once stopped.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject HandleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.TraceExporterHandle",
    .tp_basicsize = sizeof(HandleObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A running census span exporter (Zipkin, Google Cloud Trace). Thread-safe; "
              "stop() must be the last call.",
    .tp_methods = handle_methods,
    .tp_getset = handle_getset,
};

static PyMethodDef functions[] = {
    {"zipkin_start", (PyCFunction)(void (*)(void))zipkin_start, METH_VARARGS | METH_KEYWORDS,
     zipkin_start_doc},
    {"google_trace_start", (PyCFunction)(void (*)(void))google_trace_start,
     METH_VARARGS | METH_KEYWORDS, google_trace_start_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_trace_exporters_init(PyObject *module) {
  if (PyType_Ready(&HandleType) < 0 ||
      PyModule_AddObjectRef(module, "TraceExporterHandle", (PyObject *)&HandleType) < 0) {
    return -1;
  }
  return PyModule_AddFunctions(module, functions);
}
