/* exporters.c - census's shipped exporters, and stats exporters written in Python.
 *
 * Shipped exporters (stdout, Prometheus, OTLP, Cloud Monitoring) are started with one function
 * each, taking keyword options named after the C options' fields, and return a NativeExporter:
 * stats() (the exporter's exact counters as a dict), stop(timeout), and for Prometheus port. A
 * NativeExporter that is dropped without stop() keeps exporting (census owns the running
 * exporter; census.shutdown() and the process exit stop it), unlike opencensus-python's exporter
 * threads, which stop when their exporter object is collected. Starting and stopping can wait
 * (binding a port, asking a metadata server, delivering the last requests), so both release the
 * GIL.
 *
 * A stats exporter written in Python (an object with export(view_datas), e.g. a subclass of
 * census.stats.base_exporter.StatsExporter) is registered with census through a bridge: census's
 * export worker (or a flush's thread) calls bridge_export with the snapshots, which takes the GIL
 * only for the call (census_py_gil_acquire), makes the snapshots into opencensus-python ViewData
 * objects (census.stats.view_data, through the factory it registers here) and calls export().
 * An exception there is reported on census's diagnostics channel (one line with the exporter and
 * the exception), counted (the bridge's `errors`, and the rows it was handed in
 * census/exporter_dropped_items {exporter=<its name>, reason="permanent_failure"}), and returned
 * to census as CENSUS_EEXPORT; the worker goes on, and the next export carries the same
 * cumulative totals. The bridge keeps a reference to the exporter until census shuts it down
 * (unregistration, census.shutdown(), or the interpreter-exit hook, which retires it first:
 * lifecycle.c).
 */
#include "module.h"

#include "census/exporters/google_cloud_monitoring.h"
#include "census/exporters/otlp.h"
#include "census/exporters/prometheus.h"
#include "census/exporters/stdout.h"

#include <stdatomic.h>
#include <string.h>

/* ---- Exporters written in Python ------------------------------------------------------------ */

static PyObject *view_data_factory; /* census.stats.view_data._from_snapshots */

typedef struct {
  PyObject_HEAD PyObject *exporter; /* NULL once census shut the bridge down */
  char name[128];
  _Atomic uint64_t exports, errors;
  int registered;
} bridge_object;

static PyTypeObject bridge_type;

/* Reports the pending Python exception of an export() in one diagnostics line and clears it. */
static void report_exception(bridge_object *b) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  PyObject *text = value ? PyObject_Repr(value) : NULL;
  const char *utf8 = text ? PyUnicode_AsUTF8(text) : NULL;
  char line[400];
  snprintf(line, sizeof line, "stats exporter %s: export() raised %s (counted; census goes on)",
           b->name, utf8 ? utf8 : "an exception");
  PyErr_Clear();
  Py_XDECREF(text);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  census_diagnostics_report(CENSUS_EEXPORT, line);
}

static size_t rows_of(const census_view_data *const *views, size_t count) {
  size_t rows = 0;
  for (size_t i = 0; i < count; i++) {
    rows += census_view_data_row_count(views[i]);
  }
  return rows;
}

/* census's export_views callback for a Python exporter (see the file comment). */
static census_status bridge_export(void *user, const census_view_data *const *views, size_t count) {
  bridge_object *b = user;
  PyGILState_STATE gil;
  if (!census_py_gil_acquire(&gil)) {
    census_exporter_record_dropped(b->name, CENSUS_EXPORTER_DROP_SHUTDOWN, rows_of(views, count));
    return CENSUS_EEXPORT;
  }
  census_status status = CENSUS_OK;
  PyObject *exporter = b->exporter;
  PyObject *tuples = exporter && view_data_factory ? census_py_view_data_list(views, count) : NULL;
  PyObject *datas = NULL, *result = NULL;
  if (tuples) {
    datas = PyObject_CallOneArg(view_data_factory, tuples);
  }
  if (datas) {
    Py_INCREF(exporter); /* export() may unregister itself from another thread */
    result = PyObject_CallMethod(exporter, "export", "O", datas);
    Py_DECREF(exporter);
  }
  atomic_fetch_add(&b->exports, 1);
  if (!result) {
    atomic_fetch_add(&b->errors, 1);
    if (PyErr_Occurred()) {
      report_exception(b);
    }
    census_exporter_record_dropped(b->name, CENSUS_EXPORTER_DROP_PERMANENT_FAILURE,
                                   rows_of(views, count));
    status = CENSUS_EEXPORT;
  }
  Py_XDECREF(result);
  Py_XDECREF(datas);
  Py_XDECREF(tuples);
  census_py_gil_release(gil);
  return status;
}

/* census's shutdown callback: drops the bridge's references (the exporter, and the one census
 * held on the bridge since registration). */
static void bridge_shutdown(void *user, int64_t timeout_ms) {
  bridge_object *b = user;
  census_py_exit_remove(b);
  PyGILState_STATE gil;
  if (!census_py_gil_acquire(&gil)) {
    return; /* the interpreter is going away: nothing to release into */
  }
  b->registered = 0;
  Py_CLEAR(b->exporter);
  Py_DECREF(b);
  census_py_gil_release(gil);
}

PyDoc_STRVAR(bridge_register_doc,
             "register_python_exporter(exporter, name) -> PythonExporterBridge\n\n"
             "Registers `exporter` (an object with export(view_datas)) with census: census's\n"
             "export worker calls it every export interval, on census.flush() and at interpreter\n"
             "exit, with the GIL held for the call only. Starts census's export worker.");
static PyObject *bridge_register(PyObject *self, PyObject *args) {
  PyObject *exporter;
  const char *name;
  if (!PyArg_ParseTuple(args, "Os:register_python_exporter", &exporter, &name)) {
    return NULL;
  }
  bridge_object *b = PyObject_New(bridge_object, &bridge_type);
  if (!b) {
    return NULL;
  }
  b->exporter = Py_NewRef(exporter);
  snprintf(b->name, sizeof b->name, "%s", name);
  atomic_init(&b->exports, 0);
  atomic_init(&b->errors, 0);
  b->registered = 1;
  Py_INCREF(b); /* census's reference, released by bridge_shutdown */
  if (census_py_exit_add(census_stats_exporter_unregister, b) < 0) {
    Py_DECREF(b);
    Py_DECREF(b);
    return NULL;
  }
  census_stats_exporter_ops ops = CENSUS_STATS_EXPORTER_OPS_INIT;
  ops.export_views = bridge_export;
  ops.shutdown = bridge_shutdown;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_stats_exporter_register(&ops, b));
  if (st != CENSUS_OK) {
    census_py_exit_remove(b);
    b->registered = 0;
    Py_DECREF(b);
    Py_DECREF(b);
    return census_py_raise(st, "view_manager.register_exporter");
  }
  return (PyObject *)b;
}

PyDoc_STRVAR(bridge_unregister_doc,
             "unregister(timeout=5.0)\n\nA final export of everything recorded so far to this "
             "exporter, then census lets it go (GIL released while census waits).");
static PyObject *bridge_unregister(bridge_object *self, PyObject *args) {
  PyObject *timeout = NULL;
  if (!PyArg_ParseTuple(args, "|O:unregister", &timeout)) {
    return NULL;
  }
  int64_t ms = 5000;
  if (timeout && census_py_timeout_ms(timeout, &ms) < 0) {
    return NULL;
  }
  if (!self->registered) {
    Py_RETURN_NONE;
  }
  census_py_exit_remove(self);
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_stats_exporter_unregister(self, ms));
  if (st != CENSUS_OK && st != CENSUS_ENOTFOUND && st != CENSUS_ESHUTDOWN && st != CENSUS_EEXPORT) {
    return census_py_raise(st, "view_manager.unregister_exporter");
  }
  Py_RETURN_NONE;
}

static PyObject *bridge_get(bridge_object *self, void *which) {
  if (which == (void *)0) {
    return PyLong_FromUnsignedLongLong(atomic_load(&self->exports));
  }
  if (which == (void *)1) {
    return PyLong_FromUnsignedLongLong(atomic_load(&self->errors));
  }
  return PyBool_FromLong(self->registered);
}

static void bridge_dealloc(bridge_object *self) {
  Py_XDECREF(self->exporter);
  PyObject_Free(self);
}

static PyMethodDef bridge_methods[] = {
    {"unregister", (PyCFunction)bridge_unregister, METH_VARARGS, bridge_unregister_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef bridge_getset[] = {
    {"exports", (getter)bridge_get, NULL, "export() calls made", (void *)0},
    {"errors", (getter)bridge_get, NULL, "export() calls that raised", (void *)1},
    {"registered", (getter)bridge_get, NULL, "still registered with census", (void *)2},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject bridge_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.PythonExporterBridge",
    .tp_basicsize = sizeof(bridge_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "census's registration of a stats exporter written in Python, with its counters. "
              "Thread-safety: thread-safe.",
    .tp_dealloc = (destructor)bridge_dealloc,
    .tp_methods = bridge_methods,
    .tp_getset = bridge_getset,
};

PyDoc_STRVAR(set_view_data_factory_doc,
             "_set_view_data_factory(fn)\n\nfn(list of snapshot tuples) -> list of ViewData, for "
             "exporters written in Python (census.stats.view_data registers it).");
static PyObject *set_view_data_factory(PyObject *self, PyObject *fn) {
  Py_INCREF(fn);
  Py_XSETREF(view_data_factory, fn);
  Py_RETURN_NONE;
}

/* ---- Shipped exporters ---------------------------------------------------------------------- */

enum native_kind { NATIVE_STDOUT, NATIVE_PROMETHEUS, NATIVE_OTLP, NATIVE_GOOGLE_MONITORING };

typedef struct {
  PyObject_HEAD enum native_kind kind;
  void *handle; /* NULL once stopped */
} native_object;

static PyTypeObject native_type;

/* Keyword options: each helper takes the option named `key` out of `options` (a dict the caller
 * owns, or NULL) and leaves the default when it is absent or None. Strings are borrowed from the
 * dict, which outlives the start call (census copies them). trace_exporters.c shares the str and
 * seconds ones (module.h), so that an option means the same to every exporter. */
int census_py_opt_str(PyObject *options, const char *key, const char **out) {
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

/* A duration option given in seconds, stored in milliseconds. */
int census_py_opt_seconds(PyObject *options, const char *key, int64_t *ms) {
  PyObject *v = options ? PyDict_GetItemString(options, key) : NULL;
  if (!v || v == Py_None) {
    return 0;
  }
  return census_py_timeout_ms(v, ms);
}

static int opt_int(PyObject *options, const char *key, long long *out) {
  PyObject *v = PyDict_GetItemString(options, key);
  if (!v || v == Py_None) {
    return 0;
  }
  long long x = PyLong_AsLongLong(v);
  if (x == -1 && PyErr_Occurred()) {
    return -1;
  }
  if (x < 0) {
    PyErr_Format(PyExc_ValueError, "option %s must be >= 0, not %lld", key, x);
    return -1;
  }
  *out = x;
  return 0;
}

/* A mapping (or sequence of pairs) of str to str as census_kv entries, strings borrowed from a
 * list kept in *keep (the caller releases it after the start call). */
static int opt_kv(PyObject *options, const char *key, census_kv **out, size_t *count,
                  PyObject **keep) {
  PyObject *v = PyDict_GetItemString(options, key);
  *out = NULL;
  *count = 0;
  *keep = NULL;
  if (!v || v == Py_None) {
    return 0;
  }
  PyObject *items = PyMapping_Check(v) && !PyList_Check(v) && !PyTuple_Check(v)
                        ? PyMapping_Items(v)
                        : PySequence_List(v);
  if (!items) {
    return -1;
  }
  Py_ssize_t n = PyList_GET_SIZE(items);
  census_kv *kv = PyMem_Calloc((size_t)n + 1, sizeof *kv);
  if (!kv) {
    Py_DECREF(items);
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *pair = PyList_GET_ITEM(items, i);
    PyObject *k, *val;
    if (!PyArg_ParseTuple(pair, "UU", &k, &val) || !(kv[i].key = PyUnicode_AsUTF8(k)) ||
        !(kv[i].value = PyUnicode_AsUTF8(val))) {
      PyErr_Format(PyExc_TypeError, "option %s must map str to str", key);
      PyMem_Free(kv);
      Py_DECREF(items);
      return -1;
    }
  }
  *out = kv;
  *count = (size_t)n;
  *keep = items;
  return 0;
}

/* The last step of every start function: `st` and `handle` are what census's start returned.
 * Raises census's error (naming `what`) when the start failed, else wraps the running exporter in
 * a NativeExporter of `kind`. */
static PyObject *native_from_start(census_status st, const char *what, enum native_kind kind,
                                   void *handle) {
  if (st != CENSUS_OK) {
    return census_py_raise(st, what);
  }
  native_object *n = PyObject_New(native_object, &native_type);
  if (!n) {
    return NULL;
  }
  n->kind = kind;
  n->handle = handle;
  return (PyObject *)n;
}

PyDoc_STRVAR(stdout_start_doc,
             "stdout_start(format='text', fd=1, skip_empty=False, skip_spans=False)\n\n"
             "Starts census's stdout exporter (text or 'json' lines) on descriptor fd.");
static PyObject *stdout_start(PyObject *self, PyObject *args, PyObject *kwargs) {
  PyObject *options = kwargs ? kwargs : Py_None;
  census_stdout_options o = CENSUS_STDOUT_OPTIONS_INIT;
  if (PyTuple_GET_SIZE(args) != 0) {
    PyErr_SetString(PyExc_TypeError, "stdout_start takes keyword options only");
    return NULL;
  }
  if (options != Py_None) {
    const char *format = NULL;
    long long fd = 0, skip_empty = 0, skip_spans = 0;
    if (census_py_opt_str(options, "format", &format) < 0 || opt_int(options, "fd", &fd) < 0 ||
        opt_int(options, "skip_empty", &skip_empty) < 0 ||
        opt_int(options, "skip_spans", &skip_spans) < 0) {
      return NULL;
    }
    if (format && strcmp(format, "json") == 0) {
      o.format = CENSUS_STDOUT_JSON;
    } else if (format && strcmp(format, "text") != 0) {
      PyErr_Format(PyExc_ValueError, "format must be 'text' or 'json', not %s", format);
      return NULL;
    }
    o.fd = (int)fd;
    o.skip_empty = skip_empty != 0;
    o.skip_spans = skip_spans != 0;
  }
  census_stdout_exporter *e = NULL;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_stdout_exporter_start(&o, &e));
  return native_from_start(st, "stdout exporter", NATIVE_STDOUT, e);
}

PyDoc_STRVAR(prometheus_start_doc,
             "prometheus_start(address=None, port=0, any_port=False, name_prefix=None,\n"
             "                 const_labels=None, base_units=False, register_no_exporter=False)\n\n"
             "Starts census's Prometheus /metrics endpoint (docs/exporters/prometheus.md).");
static PyObject *prometheus_start(PyObject *self, PyObject *args, PyObject *kwargs) {
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  PyObject *options = kwargs;
  PyObject *keep = NULL;
  PyObject *result = NULL;
  census_kv *labels = NULL;
  if (options) {
    long long port = 0, any_port = 0, base_units = 0, no_exporter = 0, max_conn = 0, timeout = 0;
    if (census_py_opt_str(options, "address", &o.address) < 0 ||
        census_py_opt_str(options, "name_prefix", &o.name_prefix) < 0 ||
        opt_int(options, "port", &port) < 0 || opt_int(options, "any_port", &any_port) < 0 ||
        opt_int(options, "base_units", &base_units) < 0 ||
        opt_int(options, "register_no_exporter", &no_exporter) < 0 ||
        opt_int(options, "max_connections", &max_conn) < 0 ||
        opt_int(options, "timeout_s", &timeout) < 0 ||
        opt_kv(options, "const_labels", &labels, &o.const_label_count, &keep) < 0) {
      return NULL;
    }
    if (port > 65535) {
      PyErr_Format(PyExc_ValueError, "port must be 0..65535, not %lld", port);
      goto done;
    }
    o.port = (uint16_t)port;
    o.any_port = any_port != 0;
    o.base_units = base_units != 0;
    o.register_no_exporter = no_exporter != 0;
    o.max_connections = (unsigned)max_conn;
    o.timeout_s = (unsigned)timeout;
    o.const_labels = labels;
  }
  census_prometheus_exporter *e = NULL;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_prometheus_exporter_start(&o, &e));
  result = native_from_start(st, "prometheus exporter", NATIVE_PROMETHEUS, e);
done:
  PyMem_Free(labels);
  Py_XDECREF(keep);
  return result;
}

PyDoc_STRVAR(
    prometheus_render_doc,
    "prometheus_render(name_prefix=None, const_labels=None, base_units=False, openmetrics=False)\n"
    "  -> str\n\n"
    "Every registered view as Prometheus text (format 0.0.4, or OpenMetrics 1.0 with\n"
    "openmetrics=True), as census's /metrics endpoint serves it: for an application that serves\n"
    "/metrics from its own web framework. In shared-memory mode it is the group's merged view.\n"
    "Collects (GIL released). Thread-safe. Raises census.InvalidArgumentError for a bad\n"
    "constant label name, census.ShutdownError after census.shutdown().");
static PyObject *prometheus_render(PyObject *self, PyObject *args, PyObject *kwargs) {
  census_prometheus_options o = CENSUS_PROMETHEUS_OPTIONS_INIT;
  PyObject *keep = NULL;
  PyObject *result = NULL;
  census_kv *labels = NULL;
  if (PyTuple_GET_SIZE(args) != 0) {
    PyErr_SetString(PyExc_TypeError, "prometheus_render() takes keyword arguments only");
    return NULL;
  }
  if (kwargs) {
    long long base_units = 0, openmetrics = 0;
    if (census_py_opt_str(kwargs, "name_prefix", &o.name_prefix) < 0 ||
        opt_int(kwargs, "base_units", &base_units) < 0 ||
        opt_int(kwargs, "openmetrics", &openmetrics) < 0 ||
        opt_kv(kwargs, "const_labels", &labels, &o.const_label_count, &keep) < 0) {
      return NULL;
    }
    o.base_units = base_units != 0;
    o.format = openmetrics ? CENSUS_PROMETHEUS_OPENMETRICS : CENSUS_PROMETHEUS_TEXT;
    o.const_labels = labels;
  }
  char *text = NULL;
  size_t length = 0;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_prometheus_render(&o, &text, &length));
  if (st != CENSUS_OK) {
    result = census_py_raise(st, "prometheus_render");
  } else {
    result = PyUnicode_DecodeUTF8(text, (Py_ssize_t)length, "replace");
  }
  census_prometheus_text_free(text);
  PyMem_Free(labels);
  Py_XDECREF(keep);
  return result;
}

PyDoc_STRVAR(
    otlp_start_doc,
    "otlp_start(endpoint=None, metrics_endpoint=None, traces_endpoint=None,\n"
    "           protocol=None ('protobuf' | 'json'), headers=None, timeout=None,\n"
    "           compression=None ('gzip' | 'none'), service_name=None,\n"
    "           resource_attributes=None, signals=0 (1 metrics, 2 traces, 0 both),\n"
    "           max_elapsed=None, spool_dir=None)\n\n"
    "Starts census's OTLP/HTTP exporter (docs/exporters/otlp.md); unset options come from\n"
    "the OTEL_EXPORTER_OTLP_* environment, as in C. Durations are in seconds.");
static PyObject *otlp_start(PyObject *self, PyObject *args, PyObject *kwargs) {
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  PyObject *keep_headers = NULL, *keep_attrs = NULL, *result = NULL;
  census_kv *headers = NULL, *attrs = NULL;
  if (kwargs) {
    const char *protocol = NULL, *compression = NULL;
    long long signals = 0;
    if (census_py_opt_str(kwargs, "endpoint", &o.endpoint) < 0 ||
        census_py_opt_str(kwargs, "metrics_endpoint", &o.metrics_endpoint) < 0 ||
        census_py_opt_str(kwargs, "traces_endpoint", &o.traces_endpoint) < 0 ||
        census_py_opt_str(kwargs, "protocol", &protocol) < 0 ||
        census_py_opt_str(kwargs, "compression", &compression) < 0 ||
        census_py_opt_str(kwargs, "service_name", &o.service_name) < 0 ||
        census_py_opt_str(kwargs, "spool_dir", &o.spool_dir) < 0 ||
        opt_int(kwargs, "signals", &signals) < 0 ||
        census_py_opt_seconds(kwargs, "timeout", &o.timeout_ms) < 0 ||
        census_py_opt_seconds(kwargs, "max_elapsed", &o.max_elapsed_ms) < 0 ||
        opt_kv(kwargs, "headers", &headers, &o.header_count, &keep_headers) < 0 ||
        opt_kv(kwargs, "resource_attributes", &attrs, &o.resource_attribute_count, &keep_attrs) <
            0) {
      goto done;
    }
    if (protocol) {
      if (strcmp(protocol, "protobuf") == 0 || strcmp(protocol, "http/protobuf") == 0) {
        o.protocol = CENSUS_OTLP_HTTP_PROTOBUF;
      } else if (strcmp(protocol, "json") == 0 || strcmp(protocol, "http/json") == 0) {
        o.protocol = CENSUS_OTLP_HTTP_JSON;
      } else {
        PyErr_Format(PyExc_ValueError, "protocol must be 'protobuf' or 'json', not %s", protocol);
        goto done;
      }
    }
    if (compression) {
      if (strcmp(compression, "gzip") == 0) {
        o.compression = CENSUS_OTLP_COMPRESSION_GZIP;
      } else if (strcmp(compression, "none") == 0) {
        o.compression = CENSUS_OTLP_COMPRESSION_NONE;
      } else {
        PyErr_Format(PyExc_ValueError, "compression must be 'gzip' or 'none', not %s", compression);
        goto done;
      }
    }
    o.signals = (unsigned)signals;
    o.headers = headers;
    o.resource_attributes = attrs;
  }
  census_otlp_exporter *e = NULL;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_otlp_exporter_start(&o, &e));
  result = native_from_start(st, "otlp exporter", NATIVE_OTLP, e);
done:
  PyMem_Free(headers);
  PyMem_Free(attrs);
  Py_XDECREF(keep_headers);
  Py_XDECREF(keep_attrs);
  return result;
}

PyDoc_STRVAR(google_monitoring_start_doc,
             "google_monitoring_start(project_id=None, access_token=None, credentials_file=None,\n"
             "    monitoring_endpoint=None, token_endpoint=None, metadata_host=None,\n"
             "    metric_prefix=None, display_name_prefix=None, no_task_label=False,\n"
             "    task_label_value=None, resource_type=None, resource_labels=None, timeout=None,\n"
             "    max_elapsed=None, min_write_interval=None, ca_file=None, gzip=False,\n"
             "    spool_dir=None)\n\n"
             "Starts census's Cloud Monitoring exporter (docs/exporters/"
             "google-cloud-monitoring.md). Durations in seconds.");
static PyObject *google_monitoring_start(PyObject *self, PyObject *args, PyObject *kwargs) {
  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  PyObject *keep = NULL, *result = NULL;
  census_kv *labels = NULL;
  if (kwargs) {
    long long no_task = 0, gzip = 0;
    if (census_py_opt_str(kwargs, "project_id", &o.project_id) < 0 ||
        census_py_opt_str(kwargs, "access_token", &o.access_token) < 0 ||
        census_py_opt_str(kwargs, "credentials_file", &o.credentials_file) < 0 ||
        census_py_opt_str(kwargs, "monitoring_endpoint", &o.monitoring_endpoint) < 0 ||
        census_py_opt_str(kwargs, "token_endpoint", &o.token_endpoint) < 0 ||
        census_py_opt_str(kwargs, "metadata_host", &o.metadata_host) < 0 ||
        census_py_opt_str(kwargs, "metric_prefix", &o.metric_prefix) < 0 ||
        census_py_opt_str(kwargs, "display_name_prefix", &o.display_name_prefix) < 0 ||
        census_py_opt_str(kwargs, "task_label_value", &o.task_label_value) < 0 ||
        census_py_opt_str(kwargs, "resource_type", &o.resource_type) < 0 ||
        census_py_opt_str(kwargs, "ca_file", &o.ca_file) < 0 ||
        census_py_opt_str(kwargs, "spool_dir", &o.spool_dir) < 0 ||
        opt_int(kwargs, "no_task_label", &no_task) < 0 || opt_int(kwargs, "gzip", &gzip) < 0 ||
        census_py_opt_seconds(kwargs, "timeout", &o.timeout_ms) < 0 ||
        census_py_opt_seconds(kwargs, "max_elapsed", &o.max_elapsed_ms) < 0 ||
        census_py_opt_seconds(kwargs, "min_write_interval", &o.min_write_interval_ms) < 0 ||
        opt_kv(kwargs, "resource_labels", &labels, &o.resource_label_count, &keep) < 0) {
      goto done;
    }
    o.no_task_label = no_task != 0;
    o.gzip = gzip != 0;
    o.resource_labels = labels;
  }
  census_google_monitoring_exporter *e = NULL;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_google_monitoring_exporter_start(&o, &e));
  result = native_from_start(st, "cloud monitoring exporter", NATIVE_GOOGLE_MONITORING, e);
done:
  PyMem_Free(labels);
  Py_XDECREF(keep);
  return result;
}

static PyObject *otlp_signal_dict(const census_otlp_signal_stats *s) {
  PyObject *d = PyDict_New();
  if (!d) {
    return NULL;
  }
  CENSUS_PY_SET_COUNTER(d, *s, requests_delivered);
  CENSUS_PY_SET_COUNTER(d, *s, attempts);
  CENSUS_PY_SET_COUNTER(d, *s, retries);
  CENSUS_PY_SET_COUNTER(d, *s, items_delivered);
  CENSUS_PY_SET_COUNTER(d, *s, items_rejected);
  CENSUS_PY_SET_COUNTER(d, *s, items_dropped);
  CENSUS_PY_SET_COUNTER(d, *s, requests_superseded);
  CENSUS_PY_SET_COUNTER(d, *s, requests_dropped);
  CENSUS_PY_SET_COUNTER(d, *s, requests_spooled);
  CENSUS_PY_SET_COUNTER(d, *s, items_spooled);
  CENSUS_PY_SET_COUNTER(d, *s, requests_from_spool);
  CENSUS_PY_SET_COUNTER(d, *s, items_from_spool);
  return d;
}

PyDoc_STRVAR(native_stats_doc, "stats() -> dict\n\nThe exporter's exact counters (the C "
                               "exporter's _stats() fields); final after stop().");
static PyObject *native_stats(native_object *self, PyObject *unused) {
  if (!self->handle) {
    PyErr_SetString(PyExc_ValueError, "the exporter was stopped");
    return NULL;
  }
  PyObject *d = PyDict_New();
  if (!d) {
    return NULL;
  }
  switch (self->kind) {
  case NATIVE_STDOUT: {
    census_stdout_stats s;
    census_stdout_exporter_stats(self->handle, &s);
    CENSUS_PY_SET_COUNTER(d, s, rows_written);
    CENSUS_PY_SET_COUNTER(d, s, spans_written);
    CENSUS_PY_SET_COUNTER(d, s, bytes_written);
    CENSUS_PY_SET_COUNTER(d, s, rows_dropped);
    CENSUS_PY_SET_COUNTER(d, s, spans_dropped);
    break;
  }
  case NATIVE_PROMETHEUS: {
    census_prometheus_stats s;
    census_prometheus_exporter_stats(self->handle, &s);
    CENSUS_PY_SET_COUNTER(d, s, scrapes);
    CENSUS_PY_SET_COUNTER(d, s, scrape_failures);
    CENSUS_PY_SET_COUNTER(d, s, requests_refused);
    CENSUS_PY_SET_COUNTER(d, s, bytes_served);
    break;
  }
  case NATIVE_OTLP: {
    census_otlp_stats s;
    census_otlp_exporter_stats(self->handle, &s);
    PyObject *m = otlp_signal_dict(&s.metrics), *t = m ? otlp_signal_dict(&s.traces) : NULL;
    if (!t || PyDict_SetItemString(d, "metrics", m) < 0 ||
        PyDict_SetItemString(d, "traces", t) < 0) {
      Py_XDECREF(m);
      Py_XDECREF(t);
      Py_DECREF(d);
      return NULL;
    }
    Py_DECREF(m);
    Py_DECREF(t);
    break;
  }
  case NATIVE_GOOGLE_MONITORING: {
    census_google_monitoring_stats s;
    census_google_monitoring_exporter_stats(self->handle, &s);
    CENSUS_PY_SET_COUNTER(d, s, exports);
    CENSUS_PY_SET_COUNTER(d, s, points_submitted);
    CENSUS_PY_SET_COUNTER(d, s, points_delivered);
    CENSUS_PY_SET_COUNTER(d, s, points_rejected);
    CENSUS_PY_SET_COUNTER(d, s, points_dropped);
    CENSUS_PY_SET_COUNTER(d, s, points_deferred);
    CENSUS_PY_SET_COUNTER(d, s, requests_delivered);
    CENSUS_PY_SET_COUNTER(d, s, attempts);
    CENSUS_PY_SET_COUNTER(d, s, retries);
    CENSUS_PY_SET_COUNTER(d, s, descriptors_created);
    CENSUS_PY_SET_COUNTER(d, s, descriptor_failures);
    break;
  }
  }
  return d;
}

/* census_<x>_exporter_stop() for the exporter behind a NativeExporter (without the GIL). */
static census_status native_stop_handle(enum native_kind kind, void *h, int64_t ms) {
  switch (kind) {
  case NATIVE_STDOUT:
    return census_stdout_exporter_stop(h, ms);
  case NATIVE_PROMETHEUS:
    return census_prometheus_exporter_stop(h, ms);
  case NATIVE_OTLP:
    return census_otlp_exporter_stop(h, ms);
  case NATIVE_GOOGLE_MONITORING:
    return census_google_monitoring_exporter_stop(h, ms);
  }
  return CENSUS_OK;
}

PyDoc_STRVAR(native_stop_doc,
             "stop(timeout=5.0)\n\nStops the exporter (a final export and delivery, up to "
             "`timeout` seconds, GIL released) and frees it; later calls do nothing. Raises "
             "census.TimeoutError / census.ExportError as census_<x>_exporter_stop() reports.");
static PyObject *native_stop(native_object *self, PyObject *args) {
  PyObject *timeout = NULL;
  if (!PyArg_ParseTuple(args, "|O:stop", &timeout)) {
    return NULL;
  }
  int64_t ms = 5000;
  if (timeout && census_py_timeout_ms(timeout, &ms) < 0) {
    return NULL;
  }
  void *h = self->handle;
  if (!h) {
    Py_RETURN_NONE;
  }
  self->handle = NULL;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, native_stop_handle(self->kind, h, ms));
  if (st != CENSUS_OK) {
    return census_py_raise(st, "exporter stop");
  }
  Py_RETURN_NONE;
}

static PyObject *native_port(native_object *self, void *unused) {
  if (self->kind != NATIVE_PROMETHEUS || !self->handle) {
    Py_RETURN_NONE;
  }
  return PyLong_FromLong(census_prometheus_exporter_port(self->handle));
}

static PyObject *native_running(native_object *self, void *unused) {
  return PyBool_FromLong(self->handle != NULL);
}

static void native_dealloc(native_object *self) {
  /* Not stopped here: a running exporter belongs to census until stop(), census.shutdown() or
   * the process exit (see the file comment). */
  PyObject_Free(self);
}

static PyMethodDef native_methods[] = {
    {"stats", (PyCFunction)native_stats, METH_NOARGS, native_stats_doc},
    {"stop", (PyCFunction)native_stop, METH_VARARGS, native_stop_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef native_getset[] = {
    {"port", (getter)native_port, NULL, "Prometheus: the port it listens on (None otherwise)",
     NULL},
    {"running", (getter)native_running, NULL, "False once stop() ran", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject native_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.NativeExporter",
    .tp_basicsize = sizeof(native_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A running census exporter (stdout, Prometheus, OTLP, Cloud Monitoring). "
              "Thread-safety: stats() and port are thread-safe; stop() must be the last call.",
    .tp_dealloc = (destructor)native_dealloc,
    .tp_methods = native_methods,
    .tp_getset = native_getset,
};

static PyMethodDef exporters_methods[] = {
    {"register_python_exporter", bridge_register, METH_VARARGS, bridge_register_doc},
    {"_set_view_data_factory", set_view_data_factory, METH_O, set_view_data_factory_doc},
    {"stdout_start", (PyCFunction)(void (*)(void))stdout_start, METH_VARARGS | METH_KEYWORDS,
     stdout_start_doc},
    {"prometheus_start", (PyCFunction)(void (*)(void))prometheus_start,
     METH_VARARGS | METH_KEYWORDS, prometheus_start_doc},
    {"prometheus_render", (PyCFunction)(void (*)(void))prometheus_render,
     METH_VARARGS | METH_KEYWORDS, prometheus_render_doc},
    {"otlp_start", (PyCFunction)(void (*)(void))otlp_start, METH_VARARGS | METH_KEYWORDS,
     otlp_start_doc},
    {"google_monitoring_start", (PyCFunction)(void (*)(void))google_monitoring_start,
     METH_VARARGS | METH_KEYWORDS, google_monitoring_start_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_exporters_init(PyObject *module) {
  if (PyType_Ready(&bridge_type) < 0 || PyType_Ready(&native_type) < 0 ||
      PyModule_AddObjectRef(module, "PythonExporterBridge", (PyObject *)&bridge_type) < 0 ||
      PyModule_AddObjectRef(module, "NativeExporter", (PyObject *)&native_type) < 0) {
    return -1;
  }
  return PyModule_AddFunctions(module, exporters_methods);
}
