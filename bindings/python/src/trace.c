/* trace.c - the tracing part of census._census: spans and tracers over census/trace.h, and the
 * bridge that lets census's span pipeline call span exporters written in Python.
 *
 * Design (docs/python.md, "Tracing"):
 * - A Span object names one census span (a census_span handle, 0 before start and after end).
 *   The Python class census.trace.span.Span subclasses _census.Span and adds the methods that
 *   only convert arguments (annotations, links, message events); what runs per span (start, end,
 *   attributes, the context manager) is here.
 * - The current span follows Python code, not OS threads: it lives in a ContextVar (created by
 *   census.trace.execution_context and handed over with _trace_setup()), so asyncio tasks,
 *   threads and copy_context() each see their own. Spans are started with census_span_start()
 *   and an explicit parent (the current span's handle, else the tracer's incoming context, else a
 *   root with the tracer's trace id), never with census_span_start_current(), whose current span
 *   is per OS thread. Making a span current keeps the ContextVar token on the span; ending it
 *   resets the token (or, when it ends in another context, sets its parent).
 * - A Tracer samples once, when it is made (opencensus-python's rule; census.trace.tracer does
 *   that in Python). A sampled tracer starts every span with an always-on sampler, so census
 *   records it; an unsampled one hands out BlankSpans and calls no C at all.
 * - Status is kept on the Span and given to census at end, because opencensus-python lets a
 *   later status replace an earlier one, while census keeps OK once set.
 * - Times: one CLOCK_REALTIME read per start and per end, passed to census (start_time_ns,
 *   census_span_end_at), so the Span knows the times census exports.
 * - Span exporters written in Python: each exporter object gets its own registration
 *   (census_span_exporter_register, user = a struct bridge). census's export worker calls
 *   bridge_export(), which enters Python through census_py_gil_acquire() (module.h), turns the
 *   borrowed span data into plain tuples, has census.trace.span_data build SpanData from them,
 *   and calls exporter.export(span_datas) with the GIL held only for that. An exception is
 *   reported to census's diagnostics, counted on the bridge and in
 *   census/exporter_dropped_items (reason "exception"), and never reaches census's worker.
 *
 * Threading: everything here runs with the GIL held except bridge_export()'s entry and the
 * unregistration wait, which releases it; the GIL is what serialises use of one span from
 * several Python threads, as census requires (one thread at a time per span).
 */
#include "module.h"

#include <structmember.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "census/exporter.h"
#include "census/propagation.h"
#include "census/trace.h"

/* ---- shared state ------------------------------------------------------------------------ */

static PyObject *current_var;     /* ContextVar: the current span (None: none) */
static PyObject *exporter_var;    /* ContextVar: True inside an exporter's export() */
static PyTypeObject *span_class;  /* the class of the spans tracers make (census.trace.span.Span) */
static PyTypeObject *blank_class; /* the class of the spans unsampled tracers make */
static PyObject *status_factory;  /* census.trace.status.Status */
static PyObject *exception_status; /* callable(exc) -> Status (Status.from_exception) */
static census_sampler *always_on;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Parses `n` bytes from a hex str of exactly 2n digits (either case). Returns 1, or 0 if `text`
 * is not such a str (no exception set). */
static int hex_parse(PyObject *text, uint8_t *out, size_t n) {
  if (!text || !PyUnicode_Check(text)) {
    return 0;
  }
  Py_ssize_t length;
  const char *s = PyUnicode_AsUTF8AndSize(text, &length);
  if (!s) {
    PyErr_Clear();
    return 0;
  }
  return census_py_unhex(s, length, out, n);
}

/* "2024-01-02T03:04:05.123456Z", opencensus-python's time format, from Unix ns. */
static PyObject *iso_time(int64_t ns) {
  if (ns <= 0) {
    Py_RETURN_NONE;
  }
  time_t seconds = (time_t)(ns / 1000000000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char out[40];
  snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000));
  return PyUnicode_FromString(out);
}

/* ---- Span -------------------------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD census_span handle; /* 0: not started, ended, or refused by census */
  uint8_t trace_id[CENSUS_TRACE_ID_SIZE], span_id[CENSUS_SPAN_ID_SIZE];
  uint8_t flags;
  bool has_ids, started, ended;
  bool pending; /* annotations or links were added before start: _replay() them at start */
  int kind;
  int64_t start_ns, end_ns;
  PyObject *name;       /* str */
  PyObject *parent;     /* the parent span object (or oc's NullContextManager), or NULL */
  PyObject *tracer;     /* the tracer that made it (context_tracer), or NULL */
  PyObject *token;      /* ContextVar token while it is the current span it made itself */
  PyObject *attributes; /* dict: what add_attribute() set (created on first use) */
  PyObject *status;     /* the Status to give census at end, or NULL */
  PyObject *children;   /* list of child spans made with span() (created on first use) */
} SpanObject;

static PyTypeObject SpanType;

typedef struct {
  PyObject_HEAD PyObject *span_context; /* the SpanContext object (oc: shared and mutable) */
  bool sampled;
  bool has_remote; /* the span context names a parent span (from headers, or given) */
  census_trace_context remote;
  uint8_t trace_id[CENSUS_TRACE_ID_SIZE];
  bool trace_id_random;
  PyObject *open; /* list of the spans it started that have not ended */
} TracerObject;

static PyTypeObject TracerType;

static bool is_span(PyObject *o) { return o && PyObject_TypeCheck(o, &SpanType); }

/* Sets one attribute on a live census span from a Python value: bool, int, float, str; anything
 * else as str(value) (opencensus-python's exporters stringify unknown types too). Ints beyond
 * int64 go as strings. Returns 0, or -1 with an exception set (str() failed). */
static int attribute_to_census(census_span handle, const char *key, PyObject *value) {
  if (PyBool_Check(value)) {
    census_span_set_attribute_bool(handle, key, value == Py_True);
    return 0;
  }
  if (PyLong_Check(value)) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (!overflow) {
      census_span_set_attribute_int64(handle, key, v);
      return 0;
    }
  } else if (PyFloat_Check(value)) {
    census_span_set_attribute_double(handle, key, PyFloat_AS_DOUBLE(value));
    return 0;
  }
  PyObject *text = PyUnicode_Check(value) ? Py_NewRef(value) : PyObject_Str(value);
  if (!text) {
    return -1;
  }
  const char *s = PyUnicode_AsUTF8(text);
  if (s) {
    census_span_set_attribute_string(handle, key, s);
  }
  Py_DECREF(text);
  return s ? 0 : -1;
}

/* attribute_to_census() with a Python key: a str, anything else as str(key). */
static int keyed_attribute_to_census(census_span handle, PyObject *key, PyObject *value) {
  PyObject *text = PyUnicode_Check(key) ? Py_NewRef(key) : PyObject_Str(key);
  const char *k = text ? PyUnicode_AsUTF8(text) : NULL;
  int r = k ? attribute_to_census(handle, k, value) : -1;
  Py_XDECREF(text);
  return r;
}

/* Gives every mirrored attribute to census (a span given attributes before it started). */
static int attributes_to_census(SpanObject *s) {
  if (!s->attributes || !s->handle) {
    return 0;
  }
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (PyDict_Next(s->attributes, &pos, &key, &value)) {
    if (keyed_attribute_to_census(s->handle, key, value) < 0) {
      return -1;
    }
  }
  return 0;
}

/* Starts the census span of `s` under `parent_obj` (a span object or NULL), with the tracer's
 * incoming context and trace id when there is no live parent. Sets ids, times, handle. */
static int span_start_census(SpanObject *s, PyObject *parent_obj, TracerObject *tracer) {
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  census_trace_context ended_parent;
  o.root = true; /* never the C thread-local current span: the parent is Python's */
  o.sampler = always_on;
  o.kind = (census_span_kind)s->kind;
  if (is_span(parent_obj) && ((SpanObject *)parent_obj)->handle) {
    o.parent = ((SpanObject *)parent_obj)->handle;
  } else if (is_span(parent_obj) && ((SpanObject *)parent_obj)->has_ids) {
    /* The parent has ended (in another task, say): its ids still name it. */
    SpanObject *p = (SpanObject *)parent_obj;
    memset(&ended_parent, 0, sizeof ended_parent);
    memcpy(ended_parent.trace_id, p->trace_id, sizeof p->trace_id);
    memcpy(ended_parent.span_id, p->span_id, sizeof p->span_id);
    ended_parent.trace_flags = p->flags;
    o.remote_parent = &ended_parent;
  } else if (tracer && tracer->has_remote) {
    o.remote_parent = &tracer->remote;
  }
  if (tracer) {
    o.trace_id = tracer->trace_id;
    o.trace_id_random = tracer->trace_id_random;
  }
  const char *name = PyUnicode_AsUTF8(s->name);
  if (!name) {
    return -1;
  }
  s->start_ns = o.start_time_ns = now_ns();
  s->handle = census_span_start(name, &o);
  s->started = true;
  census_trace_context c;
  if (s->handle && census_span_context(s->handle, &c) == CENSUS_OK) {
    memcpy(s->trace_id, c.trace_id, sizeof s->trace_id);
    memcpy(s->span_id, c.span_id, sizeof s->span_id);
    s->flags = c.trace_flags;
    s->has_ids = true;
  }
  if (attributes_to_census(s) < 0) {
    return -1;
  }
  if (s->pending) {
    s->pending = false;
    PyObject *r = PyObject_CallMethod((PyObject *)s, "_replay", NULL);
    if (!r) {
      return -1;
    }
    Py_DECREF(r);
  }
  return 0;
}

/* The census status of a Status object: code 0 is OK, anything else an error with its message
 * (opencensus-python's codes are gRPC codes; census keeps OK/ERROR as OpenTelemetry does). */
static void status_to_census(SpanObject *s) {
  if (!s->status || s->status == Py_None || !s->handle) {
    return;
  }
  PyObject *code = PyObject_GetAttrString(s->status, "code");
  long c = code ? PyLong_AsLong(code) : -1;
  Py_XDECREF(code);
  if (c == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    c = 2;
  }
  if (c == 0) {
    census_span_set_status(s->handle, CENSUS_SPAN_STATUS_OK, NULL);
    return;
  }
  PyObject *message = PyObject_GetAttrString(s->status, "message");
  const char *m = NULL;
  if (message && message != Py_None) {
    PyObject *text = PyObject_Str(message);
    Py_DECREF(message);
    message = text;
    m = text ? PyUnicode_AsUTF8(text) : NULL;
  }
  PyErr_Clear();
  census_span_set_status(s->handle, CENSUS_SPAN_STATUS_ERROR, m ? m : "");
  Py_XDECREF(message);
}

/* Removes `s` from its tracer's open spans (searching from the newest). */
static void tracer_forget(SpanObject *s) {
  if (!s->tracer || !PyObject_TypeCheck(s->tracer, &TracerType)) {
    return;
  }
  PyObject *open = ((TracerObject *)s->tracer)->open;
  for (Py_ssize_t i = PyList_GET_SIZE(open) - 1; i >= 0; i--) {
    if (PyList_GET_ITEM(open, i) == (PyObject *)s) {
      PyList_SetSlice(open, i, i + 1, NULL);
      return;
    }
  }
}

/* Ends `s`: its status and end time go to census (which queues it for export when sampled); if
 * it made itself current, the span current before it is current again. */
static int span_end(SpanObject *s) {
  if (s->handle) {
    status_to_census(s);
    s->end_ns = now_ns();
    census_span_end_at(s->handle, s->end_ns);
    s->handle = 0;
  } else if (!s->end_ns) {
    s->end_ns = now_ns();
  }
  s->ended = true;
  if (s->token) {
    PyObject *token = s->token;
    s->token = NULL;
    if (PyContextVar_Reset(current_var, token) < 0) {
      /* Ended in another context than the one it was made current in (another task): its
       * parent becomes current here, as opencensus-python's end_span() does. */
      PyErr_Clear();
      PyObject *parent = is_span(s->parent) ? s->parent : Py_None;
      PyObject *t = PyContextVar_Set(current_var, parent);
      Py_XDECREF(t);
      if (!t) {
        Py_DECREF(token);
        return -1;
      }
    }
    Py_DECREF(token);
  }
  tracer_forget(s);
  return 0;
}

static int span_traverse(SpanObject *s, visitproc visit, void *arg) {
  Py_VISIT(s->name);
  Py_VISIT(s->parent);
  Py_VISIT(s->tracer);
  Py_VISIT(s->token);
  Py_VISIT(s->attributes);
  Py_VISIT(s->status);
  Py_VISIT(s->children);
  return 0;
}

static int span_clear(SpanObject *s) {
  Py_CLEAR(s->name);
  Py_CLEAR(s->parent);
  Py_CLEAR(s->tracer);
  Py_CLEAR(s->token);
  Py_CLEAR(s->attributes);
  Py_CLEAR(s->status);
  Py_CLEAR(s->children);
  return 0;
}

static void span_dealloc(SpanObject *s) {
  PyTypeObject *type = Py_TYPE(s);
  PyObject_GC_UnTrack(s);
  /* A span dropped without being ended is ended here, so census's record goes back to its pool
   * and a sampled span is still exported (opencensus-python would never export it). */
  if (s->handle) {
    census_span_end(s->handle);
    s->handle = 0;
  }
  span_clear(s);
  type->tp_free((PyObject *)s); /* a subclass's subtype_dealloc releases its type */
}

/* Makes a started span of a sampled tracer the current span. */
static PyObject *tracer_start(TracerObject *t, PyObject *name) {
  PyObject *parent = NULL;
  if (PyContextVar_Get(current_var, Py_None, &parent) < 0) {
    return NULL;
  }
  SpanObject *s = (SpanObject *)span_class->tp_alloc(span_class, 0);
  if (!s) {
    Py_DECREF(parent);
    return NULL;
  }
  s->name = Py_NewRef(name);
  s->tracer = Py_NewRef((PyObject *)t);
  s->parent = parent; /* owned; None when there is none */
  if (span_start_census(s, parent, t) < 0) {
    Py_DECREF(s);
    return NULL;
  }
  s->token = PyContextVar_Set(current_var, (PyObject *)s);
  if (!s->token || PyList_Append(t->open, (PyObject *)s) < 0) {
    span_end(s);
    Py_DECREF(s);
    return NULL;
  }
  return (PyObject *)s;
}

/* ---- Span methods ------------------------------------------------------------------------ */

PyDoc_STRVAR(span_start_doc,
             "start()\n\nStarts the span, if it has not started (a span a tracer made has): its "
             "parent is parent_span if that is a started span, else the current span. It does "
             "not become the current span.");
static PyObject *span_start_method(SpanObject *s, PyObject *unused) {
  if (s->started) {
    Py_RETURN_NONE;
  }
  PyObject *parent = s->parent && s->parent != Py_None ? Py_NewRef(s->parent) : NULL;
  if (!parent && PyContextVar_Get(current_var, Py_None, &parent) < 0) {
    return NULL;
  }
  TracerObject *t =
      s->tracer && PyObject_TypeCheck(s->tracer, &TracerType) ? (TracerObject *)s->tracer : NULL;
  if (!is_span(parent) && is_span(s->tracer)) {
    t = NULL;
  }
  int r = span_start_census(s, parent, t);
  Py_DECREF(parent);
  if (r < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(span_finish_doc,
             "finish()\n\nEnds the span (census queues a sampled span for export). Ending "
             "twice does nothing.");
static PyObject *span_finish(SpanObject *s, PyObject *unused) {
  if (!s->ended && span_end(s) < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

static PyObject *span_enter(SpanObject *s, PyObject *unused) {
  if (!s->started && !span_start_method(s, NULL)) {
    return NULL;
  }
  return Py_NewRef((PyObject *)s);
}

/* Leaving a `with` block: an exception becomes the span's status (Status.from_exception), and
 * the span ends. opencensus-python's __exit__ ends the tracer's current span, which is this one
 * unless spans were left open inside the block; census ends this one. */
static PyObject *span_exit(SpanObject *s, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs >= 2 && args[1] != Py_None && exception_status) {
    PyObject *status = PyObject_CallOneArg(exception_status, args[1]);
    if (!status) {
      return NULL;
    }
    Py_XSETREF(s->status, status);
  }
  if (!s->ended && span_end(s) < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(span_add_attribute_doc,
             "add_attribute(attribute_key, attribute_value)\n\nSets an attribute: bool, int, "
             "float and str values keep their type, anything else is recorded as str(value). "
             "Setting a key again replaces its value.");
static PyObject *span_add_attribute(SpanObject *s, PyObject *const *args, Py_ssize_t nargs,
                                    PyObject *kwnames) {
  static const char *const names[] = {"attribute_key", "attribute_value"};
  PyObject *key = nargs > 0 ? args[0] : NULL, *value = nargs > 1 ? args[1] : NULL;
  if (kwnames) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++) {
      const char *k = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i));
      if (k && strcmp(k, names[0]) == 0) {
        key = args[nargs + i];
      } else if (k && strcmp(k, names[1]) == 0) {
        value = args[nargs + i];
      } else {
        PyErr_Format(PyExc_TypeError, "add_attribute() got an unexpected keyword argument '%s'",
                     k ? k : "?");
        return NULL;
      }
    }
  }
  if (!key || !value || nargs > 2) {
    PyErr_SetString(PyExc_TypeError, "add_attribute(attribute_key, attribute_value)");
    return NULL;
  }
  if (!s->attributes && !(s->attributes = PyDict_New())) {
    return NULL;
  }
  if (PyDict_SetItem(s->attributes, key, value) < 0) {
    return NULL;
  }
  if (s->handle && keyed_attribute_to_census(s->handle, key, value) < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

/* Typed census attributes from a dict; their strings stay valid while `keep` lives. */
static int census_attributes(PyObject *dict, census_attribute **out, Py_ssize_t *count,
                             PyObject *keep) {
  *out = NULL;
  *count = 0;
  if (!dict || dict == Py_None) {
    return 0;
  }
  if (!PyDict_Check(dict)) {
    PyErr_SetString(PyExc_TypeError, "attributes must be a dict");
    return -1;
  }
  Py_ssize_t n = PyDict_GET_SIZE(dict);
  census_attribute *a = n ? PyMem_Calloc((size_t)n, sizeof *a) : NULL;
  if (n && !a) {
    PyErr_NoMemory();
    return -1;
  }
  PyObject *key, *value;
  Py_ssize_t pos = 0, i = 0;
  while (PyDict_Next(dict, &pos, &key, &value)) {
    PyObject *k = PyObject_Str(key);
    if (!k || PyList_Append(keep, k) < 0) {
      Py_XDECREF(k);
      PyMem_Free(a);
      return -1;
    }
    Py_DECREF(k);
    a[i].key = PyUnicode_AsUTF8(k);
    int overflow = 0;
    if (PyBool_Check(value)) {
      a[i].type = CENSUS_ATTRIBUTE_BOOL;
      a[i].bool_value = value == Py_True;
    } else if (PyLong_Check(value) &&
               (a[i].int_value = PyLong_AsLongLongAndOverflow(value, &overflow), !overflow)) {
      a[i].type = CENSUS_ATTRIBUTE_INT64;
    } else if (PyFloat_Check(value)) {
      a[i].type = CENSUS_ATTRIBUTE_DOUBLE;
      a[i].double_value = PyFloat_AS_DOUBLE(value);
    } else {
      PyObject *v = PyObject_Str(value);
      if (!v || PyList_Append(keep, v) < 0) {
        Py_XDECREF(v);
        PyMem_Free(a);
        return -1;
      }
      Py_DECREF(v);
      a[i].type = CENSUS_ATTRIBUTE_STRING;
      a[i].string_value = PyUnicode_AsUTF8(v);
    }
    if (!a[i].key || (a[i].type == CENSUS_ATTRIBUTE_STRING && !a[i].string_value)) {
      PyMem_Free(a);
      return -1;
    }
    i++;
  }
  *out = a;
  *count = i;
  return 0;
}

PyDoc_STRVAR(span_add_event_doc,
             "_add_event(name, attributes=None)\n\nAdds a census event (an annotation) with "
             "typed attributes from a dict. Used by Span.add_annotation/add_message_event. "
             "Returns True if a started, sampled span took it.");
static PyObject *span_add_event(SpanObject *s, PyObject *args) {
  const char *name;
  PyObject *attributes = NULL;
  if (!PyArg_ParseTuple(args, "s|O:_add_event", &name, &attributes)) {
    return NULL;
  }
  if (!s->handle) {
    Py_RETURN_FALSE;
  }
  PyObject *keep = PyList_New(0);
  census_attribute *a;
  Py_ssize_t count;
  if (!keep || census_attributes(attributes, &a, &count, keep) < 0) {
    Py_XDECREF(keep);
    return NULL;
  }
  census_status st = census_span_add_event_with_attributes(s->handle, name, a, (size_t)count);
  PyMem_Free(a);
  Py_DECREF(keep);
  return PyBool_FromLong(st == CENSUS_OK);
}

PyDoc_STRVAR(span_add_link_doc,
             "_add_link(trace_id, span_id, trace_options=0, tracestate='')\n\nAdds a census "
             "link to the span context given by hex ids. Returns True if taken; raises "
             "ValueError for ids that are not 32 and 16 hex digits.");
static PyObject *span_add_link(SpanObject *s, PyObject *args) {
  PyObject *trace_id, *span_id;
  int flags = 0;
  const char *tracestate = "";
  if (!PyArg_ParseTuple(args, "OO|is:_add_link", &trace_id, &span_id, &flags, &tracestate)) {
    return NULL;
  }
  census_trace_context c;
  memset(&c, 0, sizeof c);
  if (!hex_parse(trace_id, c.trace_id, sizeof c.trace_id) ||
      !hex_parse(span_id, c.span_id, sizeof c.span_id)) {
    PyErr_Format(PyExc_ValueError,
                 "a link needs a trace id of 32 hex digits and a span id of 16, not %R and %R",
                 trace_id, span_id);
    return NULL;
  }
  c.trace_flags = (uint8_t)flags;
  census_tracestate_parse(tracestate, strlen(tracestate), c.tracestate, NULL);
  if (!s->handle) {
    Py_RETURN_FALSE;
  }
  return PyBool_FromLong(census_span_add_link(s->handle, &c) == CENSUS_OK);
}

PyDoc_STRVAR(span_is_recording_doc,
             "is_recording() -> bool\n\nTrue while the span is started, not ended, and sampled.");
static PyObject *span_is_recording(SpanObject *s, PyObject *unused) {
  return PyBool_FromLong(s->handle && census_span_is_recording(s->handle));
}

/* ---- Span attributes --------------------------------------------------------------------- */

static PyObject *span_get_name(SpanObject *s, void *closure) {
  return Py_NewRef(s->name ? s->name : Py_None);
}

static int span_set_name(SpanObject *s, PyObject *value, void *closure) {
  if (!value || !PyUnicode_Check(value)) {
    PyErr_SetString(PyExc_TypeError, "a span's name must be a str");
    return -1;
  }
  if (s->handle) {
    const char *n = PyUnicode_AsUTF8(value);
    if (!n) {
      return -1;
    }
    census_span_set_name(s->handle, n);
  }
  Py_XSETREF(s->name, Py_NewRef(value));
  return 0;
}

static PyObject *span_get_kind(SpanObject *s, void *closure) { return PyLong_FromLong(s->kind); }

static int span_set_kind(SpanObject *s, PyObject *value, void *closure) {
  long kind = value && value != Py_None ? PyLong_AsLong(value) : 0;
  if (kind == -1 && PyErr_Occurred()) {
    return -1;
  }
  if (kind < CENSUS_SPAN_KIND_INTERNAL || kind > CENSUS_SPAN_KIND_CONSUMER) {
    PyErr_Format(PyExc_ValueError,
                 "span_kind must be a SpanKind: 0 (UNSPECIFIED), 1 (SERVER), 2 (CLIENT), "
                 "3 (PRODUCER) or 4 (CONSUMER), not %ld",
                 kind);
    return -1;
  }
  s->kind = (int)kind;
  if (s->handle) {
    census_span_set_kind(s->handle, (census_span_kind)kind);
  }
  return 0;
}

static PyObject *span_get_span_id(SpanObject *s, void *closure) {
  if (!s->has_ids) {
    Py_RETURN_NONE;
  }
  return census_py_hex(s->span_id, sizeof s->span_id);
}

static PyObject *span_get_trace_id(SpanObject *s, void *closure) {
  if (!s->has_ids) {
    Py_RETURN_NONE;
  }
  return census_py_hex(s->trace_id, sizeof s->trace_id);
}

static PyObject *span_get_trace_options(SpanObject *s, void *closure) {
  return PyLong_FromLong(s->flags);
}

static PyObject *span_get_parent(SpanObject *s, void *closure) {
  return Py_NewRef(s->parent ? s->parent : Py_None);
}

static int span_set_parent(SpanObject *s, PyObject *value, void *closure) {
  Py_XSETREF(s->parent, Py_XNewRef(value));
  return 0;
}

static PyObject *span_get_tracer(SpanObject *s, void *closure) {
  return Py_NewRef(s->tracer ? s->tracer : Py_None);
}

static int span_set_tracer(SpanObject *s, PyObject *value, void *closure) {
  Py_XSETREF(s->tracer, value && value != Py_None ? Py_NewRef(value) : NULL);
  return 0;
}

static PyObject *span_get_start_time(SpanObject *s, void *closure) { return iso_time(s->start_ns); }

static PyObject *span_get_end_time(SpanObject *s, void *closure) {
  return iso_time(s->ended ? s->end_ns : 0);
}

static PyObject *span_get_attributes(SpanObject *s, void *closure) {
  if (!s->attributes && !(s->attributes = PyDict_New())) {
    return NULL;
  }
  return Py_NewRef(s->attributes);
}

static PyObject *span_get_status(SpanObject *s, void *closure) {
  if (s->status) {
    return Py_NewRef(s->status);
  }
  if (!status_factory) {
    Py_RETURN_NONE;
  }
  return PyObject_CallFunction(status_factory, "i", 0); /* oc: Status.as_ok() until set */
}

static int span_set_status_attr(SpanObject *s, PyObject *value, void *closure) {
  Py_XSETREF(s->status, value && value != Py_None ? Py_NewRef(value) : NULL);
  return 0;
}

static PyObject *span_get_started(SpanObject *s, void *closure) {
  return PyBool_FromLong(s->started);
}

static PyObject *span_get_pending(SpanObject *s, void *closure) {
  return PyBool_FromLong(s->pending);
}

static int span_set_pending(SpanObject *s, PyObject *value, void *closure) {
  int b = value ? PyObject_IsTrue(value) : 0;
  if (b < 0) {
    return -1;
  }
  s->pending = b;
  return 0;
}

static PyObject *span_get_children(SpanObject *s, void *closure) {
  if (!s->children && !(s->children = PyList_New(0))) {
    return NULL;
  }
  return Py_NewRef(s->children);
}

static PyGetSetDef span_getset[] = {
    {"name", (getter)span_get_name, (setter)span_set_name, "The span's name (settable).", NULL},
    {"span_kind", (getter)span_get_kind, (setter)span_set_kind,
     "SpanKind: UNSPECIFIED 0, SERVER 1, CLIENT 2 (settable after start; census also has "
     "PRODUCER 3 and CONSUMER 4).",
     NULL},
    {"span_id", (getter)span_get_span_id, NULL,
     "16 hex digits, from census once the span started; None before.", NULL},
    {"trace_id", (getter)span_get_trace_id, NULL, "32 hex digits once started; None before.", NULL},
    {"trace_options", (getter)span_get_trace_options, NULL,
     "The span's W3C trace flags (bit 0 sampled, bit 1 random trace id).", NULL},
    {"parent_span", (getter)span_get_parent, (setter)span_set_parent,
     "The parent span object (None for a root).", NULL},
    {"context_tracer", (getter)span_get_tracer, (setter)span_set_tracer,
     "The tracer that made the span, or None.", NULL},
    {"start_time", (getter)span_get_start_time, NULL,
     "ISO 8601 UTC start time (as opencensus-python writes it), None before start.", NULL},
    {"end_time", (getter)span_get_end_time, NULL, "ISO 8601 UTC end time, None before the end.",
     NULL},
    {"attributes", (getter)span_get_attributes, NULL,
     "A dict of what add_attribute() set (read it; set attributes with add_attribute()).", NULL},
    {"status", (getter)span_get_status, (setter)span_set_status_attr,
     "The Status given to census when the span ends (Status(0) until set).", NULL},
    {"children", (getter)span_get_children, NULL, "Child spans made with span().", NULL},
    {"_started", (getter)span_get_started, NULL, "True once the span started.", NULL},
    {"_pending", (getter)span_get_pending, (setter)span_set_pending,
     "True when annotations or links wait for the start (census.trace.span replays them).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef span_methods[] = {
    {"start", (PyCFunction)span_start_method, METH_NOARGS, span_start_doc},
    {"finish", (PyCFunction)span_finish, METH_NOARGS, span_finish_doc},
    {"__enter__", (PyCFunction)span_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))span_exit, METH_FASTCALL, NULL},
    {"add_attribute", (PyCFunction)(void (*)(void))span_add_attribute,
     METH_FASTCALL | METH_KEYWORDS, span_add_attribute_doc},
    {"_add_event", (PyCFunction)span_add_event, METH_VARARGS, span_add_event_doc},
    {"_add_link", (PyCFunction)span_add_link, METH_VARARGS, span_add_link_doc},
    {"is_recording", (PyCFunction)span_is_recording, METH_NOARGS, span_is_recording_doc},
    {NULL, NULL, 0, NULL},
};

/* Span(name, parent_span=None, context_tracer=None, span_kind=0): the C part of construction;
 * census.trace.span.Span.__init__ takes opencensus-python's full signature and calls this. */
static int span_init(SpanObject *s, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"name", "parent_span", "context_tracer", "span_kind", NULL};
  PyObject *name = NULL, *parent = NULL, *tracer = NULL, *kind = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|OOO:Span", names, &name, &parent, &tracer,
                                   &kind)) {
    return -1;
  }
  if (s->started) {
    PyErr_SetString(PyExc_RuntimeError, "Span.__init__ called on a started span");
    return -1;
  }
  Py_XSETREF(s->name, Py_NewRef(name));
  Py_XSETREF(s->parent, parent && parent != Py_None ? Py_NewRef(parent) : NULL);
  Py_XSETREF(s->tracer, tracer && tracer != Py_None ? Py_NewRef(tracer) : NULL);
  return kind ? span_set_kind(s, kind, NULL) : 0;
}

static PyTypeObject SpanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.Span",
    .tp_basicsize = sizeof(SpanObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A census span (the C part of census.trace.span.Span). One thread at a time "
              "(the GIL sees to it).",
    .tp_traverse = (traverseproc)span_traverse,
    .tp_clear = (inquiry)span_clear,
    .tp_dealloc = (destructor)span_dealloc,
    .tp_methods = span_methods,
    .tp_getset = span_getset,
    .tp_init = (initproc)span_init,
    .tp_new = PyType_GenericNew,
};

/* ---- BlankSpan --------------------------------------------------------------------------- */

/* What an unsampled tracer hands out (opencensus-python's BlankSpan): every method does nothing,
 * and attributes set on it are kept in its __dict__ (span.name = ..., span.span_kind = ...). */
typedef struct {
  PyObject_HEAD PyObject *dict; /* made on first use: a tracer's blank span never needs one */
  PyObject *name, *tracer;
} BlankObject;

static PyObject *blank_self(PyObject *self, PyObject *unused) { return Py_NewRef(self); }
static PyObject *blank_none(PyObject *self, PyObject *args, PyObject *kwargs) { Py_RETURN_NONE; }
static PyObject *blank_exit(PyObject *self, PyObject *const *args, Py_ssize_t n) { Py_RETURN_NONE; }
static PyObject *blank_false(PyObject *self, PyObject *unused) { Py_RETURN_FALSE; }

static PyMethodDef blank_methods[] = {
    {"__enter__", blank_self, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))blank_exit, METH_FASTCALL, NULL},
    {"add_attribute", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing (the span is not sampled)."},
    {"add_annotation", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing."},
    {"add_message_event", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing."},
    {"add_link", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing."},
    {"set_status", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing."},
    {"start", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing."},
    {"finish", (PyCFunction)(void (*)(void))blank_none, METH_VARARGS | METH_KEYWORDS,
     "Does nothing."},
    {"is_recording", blank_false, METH_NOARGS, "False."},
    {NULL, NULL, 0, NULL},
};

static int blank_traverse(BlankObject *b, visitproc visit, void *arg) {
  Py_VISIT(b->dict);
  Py_VISIT(b->name);
  Py_VISIT(b->tracer);
  return 0;
}

static int blank_clear(BlankObject *b) {
  Py_CLEAR(b->dict);
  Py_CLEAR(b->name);
  Py_CLEAR(b->tracer);
  return 0;
}

static PyMemberDef blank_members[] = {
    {"name", T_OBJECT, offsetof(BlankObject, name), 0, "The span's name (None when unset)."},
    {"context_tracer", T_OBJECT, offsetof(BlankObject, tracer), 0,
     "The tracer that made it, or None."},
    {NULL, 0, 0, 0, NULL},
};

static void blank_dealloc(BlankObject *b) {
  PyTypeObject *type = Py_TYPE(b);
  PyObject_GC_UnTrack(b);
  blank_clear(b);
  type->tp_free((PyObject *)b); /* a subclass's subtype_dealloc releases its type */
}

static PyGetSetDef blank_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject BlankType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.BlankSpan",
    .tp_basicsize = sizeof(BlankObject),
    .tp_dictoffset = offsetof(BlankObject, dict),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C part of census.trace.blank_span.BlankSpan: a span that records nothing.",
    .tp_traverse = (traverseproc)blank_traverse,
    .tp_clear = (inquiry)blank_clear,
    .tp_dealloc = (destructor)blank_dealloc,
    .tp_methods = blank_methods,
    .tp_getset = blank_getset,
    .tp_members = blank_members,
    .tp_new = PyType_GenericNew,
};

/* A new blank span named `name` for `tracer`: one allocation, no dict. */
static PyObject *blank_new(PyObject *name, PyObject *tracer) {
  BlankObject *b = (BlankObject *)blank_class->tp_alloc(blank_class, 0);
  if (b) {
    b->name = Py_NewRef(name);
    b->tracer = Py_NewRef(tracer);
  }
  return (PyObject *)b;
}

/* ---- Tracer ------------------------------------------------------------------------------ */

static int tracer_traverse(TracerObject *t, visitproc visit, void *arg) {
  Py_VISIT(t->span_context);
  Py_VISIT(t->open);
  return 0;
}

static int tracer_clear(TracerObject *t) {
  Py_CLEAR(t->span_context);
  Py_CLEAR(t->open);
  return 0;
}

static void tracer_dealloc(TracerObject *t) {
  PyTypeObject *type = Py_TYPE(t);
  PyObject_GC_UnTrack(t);
  tracer_clear(t);
  type->tp_free((PyObject *)t); /* a subclass's subtype_dealloc releases its type */
}

static PyObject *tracer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  TracerObject *t = (TracerObject *)type->tp_alloc(type, 0);
  if (t && !(t->open = PyList_New(0))) {
    Py_CLEAR(t);
  }
  return (PyObject *)t;
}

/* The name argument of span()/start_span(): positional or `name=`, default "span". */
static PyObject *name_argument(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                               PyObject *default_name) {
  PyObject *name = nargs > 0 ? args[0] : default_name;
  if (kwnames) {
    if (PyTuple_GET_SIZE(kwnames) != 1 || nargs > 0 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "name") != 0) {
      PyErr_SetString(PyExc_TypeError, "takes one argument, name");
      return NULL;
    }
    name = args[0];
  }
  if (nargs > 1 || !PyUnicode_Check(name)) {
    PyErr_SetString(PyExc_TypeError, "takes one argument, name (a str)");
    return NULL;
  }
  return name;
}

static PyObject *default_span_name;

PyDoc_STRVAR(tracer_span_doc,
             "span(name='span') -> Span\n\nStarts a span and makes it the current span of the "
             "calling context (a child of the current span, else of the tracer's incoming "
             "context). Use it as a context manager, or end it with end_span(). An unsampled "
             "tracer returns a BlankSpan, which records nothing.");
static PyObject *tracer_span(TracerObject *t, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
  PyObject *name = name_argument(args, nargs, kwnames, default_span_name);
  if (!name) {
    return NULL;
  }
  if (!t->sampled) {
    return blank_new(name, (PyObject *)t);
  }
  return tracer_start(t, name);
}

PyDoc_STRVAR(tracer_end_span_doc,
             "end_span()\n\nEnds the current span (else the last span this tracer started that "
             "is still open) and makes its parent current. Logs a warning when there is none.");
static PyObject *tracer_end_span(TracerObject *t, PyObject *unused) {
  if (!t->sampled) {
    Py_RETURN_NONE;
  }
  PyObject *current = NULL;
  if (PyContextVar_Get(current_var, Py_None, &current) < 0) {
    return NULL;
  }
  if (!is_span(current) || ((SpanObject *)current)->ended) {
    Py_DECREF(current);
    current = NULL;
    Py_ssize_t n = PyList_GET_SIZE(t->open);
    if (n > 0) {
      current = Py_NewRef(PyList_GET_ITEM(t->open, n - 1));
    }
  }
  if (!current) {
    PyObject *logging = PyImport_ImportModule("logging");
    PyObject *r = logging ? PyObject_CallMethod(logging, "warning", "s",
                                                "No active span, cannot do end_span.")
                          : NULL;
    Py_XDECREF(logging);
    Py_XDECREF(r);
    if (!r) {
      return NULL;
    }
    Py_RETURN_NONE;
  }
  int r = span_end((SpanObject *)current);
  if (r < 0) {
    Py_DECREF(current);
    return NULL;
  }
  return current; /* opencensus-python returns the span it ended */
}

PyDoc_STRVAR(tracer_current_span_doc,
             "current_span() -> Span or None\n\nThe current span of the calling context (a "
             "BlankSpan for an unsampled tracer).");
static PyObject *tracer_current_span(TracerObject *t, PyObject *unused) {
  if (!t->sampled) {
    return blank_new(Py_None, (PyObject *)t);
  }
  PyObject *current = NULL;
  if (PyContextVar_Get(current_var, Py_None, &current) < 0) {
    return NULL;
  }
  return current;
}

PyDoc_STRVAR(tracer_add_attribute_doc,
             "add_attribute_to_current_span(attribute_key, attribute_value)\n\nSets an "
             "attribute on the current span (nothing when there is none, or unsampled).");
static PyObject *tracer_add_attribute(TracerObject *t, PyObject *const *args, Py_ssize_t nargs,
                                      PyObject *kwnames) {
  if (!t->sampled) {
    Py_RETURN_NONE;
  }
  PyObject *current = NULL;
  if (PyContextVar_Get(current_var, Py_None, &current) < 0) {
    return NULL;
  }
  PyObject *r;
  if (is_span(current)) {
    r = span_add_attribute((SpanObject *)current, args, nargs, kwnames);
  } else if (current != Py_None) { /* a span of another kind someone made current */
    PyObject *method = PyObject_GetAttrString(current, "add_attribute");
    r = method ? PyObject_Vectorcall(method, args, (size_t)nargs, kwnames) : NULL;
    Py_XDECREF(method);
  } else {
    r = Py_NewRef(Py_None);
  }
  Py_DECREF(current);
  return r;
}

PyDoc_STRVAR(tracer_finish_doc, "finish()\n\nEnds every span this tracer started that is open.");
static PyObject *tracer_finish(TracerObject *t, PyObject *unused) {
  while (PyList_GET_SIZE(t->open) > 0) {
    Py_ssize_t n = PyList_GET_SIZE(t->open);
    PyObject *s = Py_NewRef(PyList_GET_ITEM(t->open, n - 1));
    int r = span_end((SpanObject *)s);
    if (PyList_GET_SIZE(t->open) == n) {
      PyList_SetSlice(t->open, n - 1, n, NULL); /* never loop on a span that will not go */
    }
    Py_DECREF(s);
    if (r < 0) {
      return NULL;
    }
  }
  Py_RETURN_NONE;
}

/* Reads the tracer's incoming context and trace id from a SpanContext object: trace_id (32
 * hex), span_id (16 hex or None), trace_options.trace_options_byte (an int or a decimal str),
 * tracestate (a Tracestate mapping, a str, or None), and _random_trace_id (True when census
 * generated the id). */
static int tracer_read_context(TracerObject *t, PyObject *sc) {
  PyObject *trace_id = PyObject_GetAttrString(sc, "trace_id");
  PyObject *span_id = trace_id ? PyObject_GetAttrString(sc, "span_id") : NULL;
  if (!span_id) {
    Py_XDECREF(trace_id);
    return -1;
  }
  memset(&t->remote, 0, sizeof t->remote);
  int ok_trace = hex_parse(trace_id, t->trace_id, sizeof t->trace_id);
  int ok_span = hex_parse(span_id, t->remote.span_id, sizeof t->remote.span_id);
  Py_DECREF(trace_id);
  Py_DECREF(span_id);
  if (!ok_trace) {
    memset(t->trace_id, 0, sizeof t->trace_id); /* census draws one for each root */
  }
  PyObject *random = PyObject_GetAttrString(sc, "_random_trace_id");
  t->trace_id_random = random && PyObject_IsTrue(random) == 1;
  Py_XDECREF(random);
  PyErr_Clear();
  long flags = 0;
  PyObject *options = PyObject_GetAttrString(sc, "trace_options");
  PyObject *byte = options ? PyObject_GetAttrString(options, "trace_options_byte") : NULL;
  Py_XDECREF(options);
  if (byte) {
    PyObject *n = PyLong_Check(byte) ? Py_NewRef(byte) : PyNumber_Long(byte);
    flags = n ? PyLong_AsLong(n) : 0;
    Py_XDECREF(n);
    Py_DECREF(byte);
  }
  PyErr_Clear();
  memcpy(t->remote.trace_id, t->trace_id, sizeof t->trace_id);
  t->remote.trace_flags = (uint8_t)(flags & CENSUS_TRACE_FLAGS_KNOWN);
  t->remote.remote = true;
  PyObject *tracestate = PyObject_GetAttrString(sc, "tracestate");
  if (tracestate && tracestate != Py_None) {
    PyObject *text = NULL;
    if (PyUnicode_Check(tracestate)) {
      text = Py_NewRef(tracestate);
    } else if (PyMapping_Check(tracestate)) {
      PyObject *fmt = PyUnicode_FromString("{}={}"), *parts = PyList_New(0);
      PyObject *items = PyMapping_Items(tracestate);
      for (Py_ssize_t i = 0; items && fmt && parts && i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        PyObject *member = PyObject_CallMethod(fmt, "format", "OO", PyTuple_GET_ITEM(kv, 0),
                                               PyTuple_GET_ITEM(kv, 1));
        if (member) {
          PyList_Append(parts, member);
          Py_DECREF(member);
        }
      }
      PyObject *comma = PyUnicode_FromString(",");
      text = comma && parts ? PyUnicode_Join(comma, parts) : NULL;
      Py_XDECREF(comma);
      Py_XDECREF(items);
      Py_XDECREF(parts);
      Py_XDECREF(fmt);
    }
    Py_ssize_t length;
    const char *s = text ? PyUnicode_AsUTF8AndSize(text, &length) : NULL;
    if (s) {
      census_tracestate_parse(s, (size_t)length, t->remote.tracestate, NULL);
    }
    Py_XDECREF(text);
  }
  Py_XDECREF(tracestate);
  PyErr_Clear();
  t->has_remote = ok_trace && ok_span && census_trace_context_is_valid(&t->remote);
  return 0;
}

/* Sets the span context's trace options to the current span's flags (the W3C random flag census
 * sets on the traces it starts, and sampled), when they differ from what they hold. */
static int tracer_refresh_flags(TracerObject *t, uint8_t flags) {
  PyObject *options = PyObject_GetAttrString(t->span_context, "trace_options");
  if (!options) {
    PyErr_Clear();
    return 0;
  }
  PyObject *byte = PyObject_GetAttrString(options, "trace_options_byte");
  PyObject *n = byte ? (PyLong_Check(byte) ? Py_NewRef(byte) : PyNumber_Long(byte)) : NULL;
  long held = n ? PyLong_AsLong(n) : -1;
  Py_XDECREF(n);
  Py_XDECREF(byte);
  PyErr_Clear();
  int r = 0;
  if (held != flags) {
    PyObject *text = PyUnicode_FromFormat("%d", (int)flags);
    r = text && PyObject_SetAttrString(options, "trace_options_byte", text) == 0 &&
                PyObject_SetAttrString(options, "enabled", (flags & 1) ? Py_True : Py_False) == 0
            ? 0
            : -1;
    Py_XDECREF(text);
  }
  Py_DECREF(options);
  return r;
}

/* The tracer's span context, its span_id set to the current span's when that span is one of
 * this tracer's (opencensus-python updates it at every start and end), else to the incoming
 * parent's. */
static PyObject *tracer_get_span_context(TracerObject *t, void *closure) {
  if (!t->span_context) {
    Py_RETURN_NONE;
  }
  PyObject *current = NULL;
  if (PyContextVar_Get(current_var, Py_None, &current) < 0) {
    return NULL;
  }
  PyObject *span_id = NULL;
  if (is_span(current) && ((SpanObject *)current)->tracer == (PyObject *)t &&
      ((SpanObject *)current)->has_ids && !((SpanObject *)current)->ended) {
    span_id = census_py_hex(((SpanObject *)current)->span_id, CENSUS_SPAN_ID_SIZE);
    if (tracer_refresh_flags(t, ((SpanObject *)current)->flags) < 0) {
      Py_XDECREF(span_id);
      Py_DECREF(current);
      return NULL;
    }
  } else if (t->has_remote) {
    span_id = census_py_hex(t->remote.span_id, CENSUS_SPAN_ID_SIZE);
  } else {
    span_id = Py_NewRef(Py_None);
  }
  Py_DECREF(current);
  if (!span_id || PyObject_SetAttrString(t->span_context, "span_id", span_id) < 0) {
    Py_XDECREF(span_id);
    return NULL;
  }
  Py_DECREF(span_id);
  return Py_NewRef(t->span_context);
}

static int tracer_set_span_context(TracerObject *t, PyObject *value, void *closure) {
  if (!value || value == Py_None) {
    PyErr_SetString(PyExc_TypeError, "span_context must be a SpanContext");
    return -1;
  }
  if (tracer_read_context(t, value) < 0) {
    return -1;
  }
  Py_XSETREF(t->span_context, Py_NewRef(value));
  return 0;
}

static PyObject *tracer_get_sampled(TracerObject *t, void *closure) {
  return PyBool_FromLong(t->sampled);
}

static int tracer_set_sampled(TracerObject *t, PyObject *value, void *closure) {
  int b = value ? PyObject_IsTrue(value) : 0;
  if (b < 0) {
    return -1;
  }
  t->sampled = b;
  return 0;
}

static PyObject *tracer_get_open(TracerObject *t, void *closure) {
  return PyList_GetSlice(t->open, 0, PyList_GET_SIZE(t->open));
}

static PyGetSetDef tracer_getset[] = {
    {"span_context", (getter)tracer_get_span_context, (setter)tracer_set_span_context,
     "The tracer's SpanContext; its span_id is the current span's (of this tracer), else the "
     "incoming parent's.",
     NULL},
    {"_sampled", (getter)tracer_get_sampled, (setter)tracer_set_sampled,
     "The sampling decision taken when the tracer was made.", NULL},
    {"_open_spans", (getter)tracer_get_open, NULL, "The spans started and not yet ended.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef tracer_methods[] = {
    {"span", (PyCFunction)(void (*)(void))tracer_span, METH_FASTCALL | METH_KEYWORDS,
     tracer_span_doc},
    {"start_span", (PyCFunction)(void (*)(void))tracer_span, METH_FASTCALL | METH_KEYWORDS,
     "start_span(name='span') -> Span\n\nAs span()."},
    {"end_span", (PyCFunction)tracer_end_span, METH_NOARGS, tracer_end_span_doc},
    {"current_span", (PyCFunction)tracer_current_span, METH_NOARGS, tracer_current_span_doc},
    {"add_attribute_to_current_span", (PyCFunction)(void (*)(void))tracer_add_attribute,
     METH_FASTCALL | METH_KEYWORDS, tracer_add_attribute_doc},
    {"finish", (PyCFunction)tracer_finish, METH_NOARGS, tracer_finish_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TracerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.Tracer",
    .tp_basicsize = sizeof(TracerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C part of census.trace.tracer.Tracer. Thread-safe under the GIL; the "
              "current span is per context.",
    .tp_traverse = (traverseproc)tracer_traverse,
    .tp_clear = (inquiry)tracer_clear,
    .tp_dealloc = (destructor)tracer_dealloc,
    .tp_methods = tracer_methods,
    .tp_getset = tracer_getset,
    .tp_new = tracer_new,
};

/* ---- Span exporters written in Python ---------------------------------------------------- */

/* One registered Python exporter. Owned by census's registration from register to the shutdown
 * callback, which frees it; listed in `bridges` (under bridges_mu) meanwhile, so Python can find
 * it by its exporter object. */
struct bridge {
  PyObject *exporter; /* strong reference, dropped in the shutdown callback */
  PyObject *convert;  /* census.trace.span_data._from_census */
  char name[96];      /* "python <Class>": the "exporter" value of census's drop counts */
  _Atomic uint64_t batches, spans, failures, spans_failed, spans_skipped;
  struct bridge *next;
};

static pthread_mutex_t bridges_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bridge *bridges;

static struct bridge *bridge_find(PyObject *exporter) {
  pthread_mutex_lock(&bridges_mu);
  struct bridge *b = bridges;
  while (b && b->exporter != exporter) {
    b = b->next;
  }
  pthread_mutex_unlock(&bridges_mu);
  return b;
}

static void attribute_put(PyObject *dict, const census_attribute *a) {
  PyObject *v = NULL;
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    v = PyUnicode_DecodeUTF8(a->string_value, (Py_ssize_t)strlen(a->string_value), "replace");
    break;
  case CENSUS_ATTRIBUTE_INT64:
    v = PyLong_FromLongLong(a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    v = PyFloat_FromDouble(a->double_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    v = PyBool_FromLong(a->bool_value);
    break;
  default:
    /* The array types: only C code sets them, and the spans here are made by Python code
     * (census.trace's add_attribute keeps opencensus-python's str() of a list). */
    break;
  }
  if (v) {
    PyDict_SetItemString(dict, a->key, v);
    Py_DECREF(v);
  }
}

/* One ended span as a plain tuple (census.trace.span_data._from_census builds the SpanData):
 * (name, (trace_id, span_id, flags, tracestate), parent_span_id or None, parent_is_remote, kind,
 *  start_time, end_time, attributes, [(event name, time, attributes)], [link context tuples],
 *  status_code, status_message, dropped_attributes, dropped_events, dropped_links). */
static PyObject *span_raw(const census_span_data *d) {
  census_trace_context c;
  census_span_data_context(d, &c);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool remote = false;
  PyObject *parent_id = census_span_data_parent(d, parent, &remote)
                            ? census_py_hex(parent, sizeof parent)
                            : Py_NewRef(Py_None);
  PyObject *attributes = PyDict_New(), *events = PyList_New(0), *links = PyList_New(0);
  if (!parent_id || !attributes || !events || !links) {
    goto fail;
  }
  census_attribute a;
  for (size_t i = 0; i < census_span_data_attribute_count(d); i++) {
    if (census_span_data_attribute(d, i, &a) == CENSUS_OK) {
      attribute_put(attributes, &a);
    }
  }
  for (size_t i = 0; i < census_span_data_event_count(d); i++) {
    const char *name;
    int64_t t;
    size_t n;
    if (census_span_data_event(d, i, &name, &t, &n) != CENSUS_OK) {
      continue;
    }
    PyObject *ea = PyDict_New();
    for (size_t j = 0; ea && j < n; j++) {
      if (census_span_data_event_attribute(d, i, j, &a) == CENSUS_OK) {
        attribute_put(ea, &a);
      }
    }
    PyObject *e = ea ? Py_BuildValue("(sNN)", name, iso_time(t), ea) : NULL;
    if (!e || PyList_Append(events, e) < 0) {
      Py_XDECREF(e);
      goto fail;
    }
    Py_DECREF(e);
  }
  for (size_t i = 0; i < census_span_data_link_count(d); i++) {
    census_trace_context l;
    if (census_span_data_link(d, i, &l) == CENSUS_OK) {
      PyObject *lt = census_py_context_tuple(&l);
      if (!lt || PyList_Append(links, lt) < 0) {
        Py_XDECREF(lt);
        goto fail;
      }
      Py_DECREF(lt);
    }
  }
  const char *message;
  census_span_status_code code = census_span_data_status(d, &message);
  return Py_BuildValue("(sNNOiNNNNNisIII)", census_span_data_name(d), census_py_context_tuple(&c),
                       parent_id, remote ? Py_True : Py_False, (int)census_span_data_kind(d),
                       iso_time(census_span_data_start_time_ns(d)),
                       iso_time(census_span_data_end_time_ns(d)), attributes, events, links,
                       (int)code, message ? message : "", census_span_data_dropped_attributes(d),
                       census_span_data_dropped_events(d), census_span_data_dropped_links(d));
fail:
  Py_XDECREF(parent_id);
  Py_XDECREF(attributes);
  Py_XDECREF(events);
  Py_XDECREF(links);
  return NULL;
}

/* Reports the exception set (an exporter's export() raised, or converting its spans failed):
 * one diagnostics line and the drop counts; clears it. */
static void bridge_report(struct bridge *b, size_t count, const char *what) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  PyObject *text = value ? PyObject_Repr(value) : NULL;
  const char *t = text ? PyUnicode_AsUTF8(text) : NULL;
  char line[512];
  snprintf(line, sizeof line, "%s: %s raised %.300s; %zu span%s not exported", b->name, what,
           t ? t : "an exception", count, count == 1 ? "" : "s");
  PyErr_Clear();
  Py_XDECREF(text);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  atomic_fetch_add(&b->failures, 1);
  atomic_fetch_add(&b->spans_failed, count);
  census_diagnostics_report(CENSUS_EEXPORT, line);
  census_exporter_record_dropped(b->name, CENSUS_EXPORTER_DROP_PERMANENT_FAILURE, count);
}

/* census's export worker (or a flush thread) hands `count` ended spans to a Python exporter. */
static census_status bridge_export(void *user, const census_span_data *const *spans, size_t count) {
  struct bridge *b = user;
  PyGILState_STATE gil;
  if (!census_py_gil_acquire(&gil)) {
    /* Python is detached (interpreter exit): nothing can run the exporter any more. */
    atomic_fetch_add(&b->spans_skipped, count);
    census_exporter_record_dropped(b->name, CENSUS_EXPORTER_DROP_SHUTDOWN, count);
    return CENSUS_EEXPORT;
  }
  census_status status = CENSUS_OK;
  PyObject *token = PyContextVar_Set(exporter_var, Py_True); /* integrations skip our calls */
  PyObject *raw = PyList_New((Py_ssize_t)count);
  for (size_t i = 0; raw && i < count; i++) {
    PyObject *one = span_raw(spans[i]);
    if (!one) {
      Py_CLEAR(raw);
      break;
    }
    PyList_SET_ITEM(raw, (Py_ssize_t)i, one);
  }
  PyObject *datas = raw ? PyObject_CallOneArg(b->convert, raw) : NULL;
  Py_XDECREF(raw);
  if (!datas) {
    bridge_report(b, count, "converting spans to SpanData");
    status = CENSUS_EEXPORT;
  } else {
    PyObject *r = PyObject_CallMethod(b->exporter, "export", "O", datas);
    Py_DECREF(datas);
    if (!r) {
      bridge_report(b, count, "export()");
      status = CENSUS_EEXPORT;
    } else {
      Py_DECREF(r);
      atomic_fetch_add(&b->batches, 1);
      atomic_fetch_add(&b->spans, count);
    }
  }
  if (token) {
    PyContextVar_Reset(exporter_var, token);
    Py_DECREF(token);
  }
  PyErr_Clear();
  census_py_gil_release(gil);
  return status;
}

/* Called once by census: at unregistration, at interpreter exit (through the exit list) or at
 * census_shutdown(). Drops the Python references (when Python can still be entered) and frees. */
static void bridge_shutdown(void *user, int64_t timeout_ms) {
  struct bridge *b = user;
  census_py_exit_remove(b);
  pthread_mutex_lock(&bridges_mu);
  for (struct bridge **p = &bridges; *p; p = &(*p)->next) {
    if (*p == b) {
      *p = b->next;
      break;
    }
  }
  pthread_mutex_unlock(&bridges_mu);
  PyGILState_STATE gil;
  if (census_py_gil_acquire(&gil)) {
    Py_CLEAR(b->exporter);
    Py_CLEAR(b->convert);
    census_py_gil_release(gil);
  } /* else the interpreter is going away with its objects: leave them */
  PyMem_RawFree(b);
}

static const census_span_exporter_ops bridge_ops = {
    .size = sizeof(census_span_exporter_ops),
    .export_spans = bridge_export,
    .shutdown = bridge_shutdown,
};

PyDoc_STRVAR(span_exporter_register_doc,
             "span_exporter_register(exporter, convert) -> bool\n\n"
             "Registers `exporter` (any object with export(span_datas)) with census's span "
             "pipeline: every sampled span that ends from now on reaches it, in batches, on "
             "census's export worker, as convert(raw spans) (a list of SpanData). False if it "
             "is registered already. Thread-safe.");
static PyObject *py_span_exporter_register(PyObject *self, PyObject *args) {
  PyObject *exporter, *convert;
  if (!PyArg_ParseTuple(args, "OO:span_exporter_register", &exporter, &convert)) {
    return NULL;
  }
  if (bridge_find(exporter)) {
    Py_RETURN_FALSE;
  }
  struct bridge *b = PyMem_RawCalloc(1, sizeof *b);
  if (!b) {
    return PyErr_NoMemory();
  }
  b->exporter = Py_NewRef(exporter);
  b->convert = Py_NewRef(convert);
  /* The drop counts' series label: printable ASCII, at most 95 bytes. */
  const char *cls = Py_TYPE(exporter)->tp_name;
  snprintf(b->name, sizeof b->name, "python %s", cls);
  for (char *c = b->name; *c; c++) {
    if (*c < 32 || *c > 126) {
      *c = '?';
    }
  }
  if (census_py_exit_add(census_span_exporter_unregister, b) < 0) {
    Py_DECREF(b->exporter);
    Py_DECREF(b->convert);
    PyMem_RawFree(b);
    return NULL;
  }
  pthread_mutex_lock(&bridges_mu);
  b->next = bridges;
  bridges = b;
  pthread_mutex_unlock(&bridges_mu);
  census_py_diagnostics_mark();
  census_status st = census_span_exporter_register(&bridge_ops, b);
  if (st != CENSUS_OK) {
    census_py_exit_remove(b);
    pthread_mutex_lock(&bridges_mu);
    bridges = b->next;
    pthread_mutex_unlock(&bridges_mu);
    Py_DECREF(b->exporter);
    Py_DECREF(b->convert);
    PyMem_RawFree(b);
    return census_py_raise(st, "registering a span exporter");
  }
  Py_RETURN_TRUE;
}

PyDoc_STRVAR(span_exporter_unregister_doc,
             "span_exporter_unregister(exporter, timeout=5.0) -> bool\n\n"
             "Exports the spans census holds to `exporter` a last time, then unregisters it; "
             "waits up to `timeout` seconds with the GIL released. False if it was not "
             "registered. Raises census.TimeoutError or census.ExportError as census does. "
             "Not from inside an exporter's export().");
static PyObject *py_span_exporter_unregister(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"exporter", "timeout", NULL};
  PyObject *exporter, *timeout = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:span_exporter_unregister", names, &exporter,
                                   &timeout)) {
    return NULL;
  }
  int64_t ms = 5000;
  if (timeout && census_py_timeout_ms(timeout, &ms) < 0) {
    return NULL;
  }
  struct bridge *b = bridge_find(exporter);
  if (!b) {
    Py_RETURN_FALSE;
  }
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_span_exporter_unregister(b, ms));
  if (st != CENSUS_OK && st != CENSUS_ENOTFOUND) {
    return census_py_raise(st, "unregistering a span exporter");
  }
  return PyBool_FromLong(st == CENSUS_OK);
}

PyDoc_STRVAR(span_exporter_stats_doc,
             "span_exporter_stats(exporter) -> dict or None\n\n"
             "What census's span pipeline did with a registered Python exporter: batches and "
             "spans exported, export() calls that raised (failures) and the spans they held "
             "(spans_failed), spans skipped because Python had detached at exit.");
static PyObject *py_span_exporter_stats(PyObject *self, PyObject *exporter) {
  struct bridge *b = bridge_find(exporter);
  if (!b) {
    Py_RETURN_NONE;
  }
  return Py_BuildValue("{sKsKsKsKsK}", "batches", (unsigned long long)atomic_load(&b->batches),
                       "spans", (unsigned long long)atomic_load(&b->spans), "failures",
                       (unsigned long long)atomic_load(&b->failures), "spans_failed",
                       (unsigned long long)atomic_load(&b->spans_failed), "spans_skipped",
                       (unsigned long long)atomic_load(&b->spans_skipped));
}

PyDoc_STRVAR(dropped_spans_doc,
             "dropped_spans() -> int\n\nSpans census dropped in this process (export queue "
             "full, or ended after shutdown): census_trace_dropped_spans().");
static PyObject *py_dropped_spans(PyObject *self, PyObject *unused) {
  return PyLong_FromUnsignedLongLong(census_trace_dropped_spans());
}

PyDoc_STRVAR(set_span_export_options_doc,
             "set_span_export_options(max_queue_size=0, max_export_batch_size=0, "
             "schedule_delay=0.0, export_timeout=0.0)\n\n"
             "census's batch span processor settings (0 keeps a setting; delays in seconds). "
             "Raises census.InvalidArgumentError for inconsistent values.");
static PyObject *py_set_span_export_options(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"max_queue_size", "max_export_batch_size", "schedule_delay",
                          "export_timeout", NULL};
  unsigned int queue = 0, batch = 0;
  double delay = 0, timeout = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|IIdd:set_span_export_options", names, &queue,
                                   &batch, &delay, &timeout)) {
    return NULL;
  }
  census_span_export_options o = CENSUS_SPAN_EXPORT_OPTIONS_INIT;
  o.max_queue_size = queue;
  o.max_export_batch_size = batch;
  o.schedule_delay_ms = (int64_t)(delay * 1000.0);
  o.export_timeout_ms = (int64_t)(timeout * 1000.0);
  census_py_diagnostics_mark();
  census_status st = census_trace_set_export_options(&o);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "set_span_export_options");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(iso_time_doc, "iso_time(ns) -> str\n\nUnix ns as opencensus-python's ISO string.");
static PyObject *py_iso_time(PyObject *self, PyObject *arg) {
  long long ns = PyLong_AsLongLong(arg);
  if (ns == -1 && PyErr_Occurred()) {
    return NULL;
  }
  return iso_time(ns);
}

PyDoc_STRVAR(trace_setup_doc,
             "_trace_setup(current_span_var, is_exporter_var, span_class, blank_class, "
             "status_class, status_from_exception)\n\n"
             "Hands census.trace's context variables and classes to the C part (once, at "
             "import of census.trace.tracer).");
static PyObject *py_trace_setup(PyObject *self, PyObject *args) {
  PyObject *cur, *exp, *span, *blank, *status, *from_exception;
  if (!PyArg_ParseTuple(args, "O!O!O!O!OO:_trace_setup", &PyContextVar_Type, &cur,
                        &PyContextVar_Type, &exp, &PyType_Type, &span, &PyType_Type, &blank,
                        &status, &from_exception)) {
    return NULL;
  }
  if (!PyType_IsSubtype((PyTypeObject *)span, &SpanType) ||
      !PyType_IsSubtype((PyTypeObject *)blank, &BlankType)) {
    PyErr_SetString(PyExc_TypeError, "span_class and blank_class must subclass _census.Span "
                                     "and _census.BlankSpan");
    return NULL;
  }
  Py_XSETREF(current_var, Py_NewRef(cur));
  Py_XSETREF(exporter_var, Py_NewRef(exp));
  Py_XSETREF(span_class, (PyTypeObject *)Py_NewRef(span));
  Py_XSETREF(blank_class, (PyTypeObject *)Py_NewRef(blank));
  Py_XSETREF(status_factory, Py_NewRef(status));
  Py_XSETREF(exception_status, Py_NewRef(from_exception));
  Py_RETURN_NONE;
}

PyDoc_STRVAR(
    ratio_decision_doc,
    "_ratio_decision(ratio, trace_id) -> bool\n\n"
    "What census_sampler_trace_id_ratio(ratio) decides for a root span of `trace_id` (32 "
    "hex): the C rule census.trace.samplers.ProbabilitySampler follows, for its tests. Starts "
    "and ends one span named census.python.ratio_decision.");
static PyObject *py_ratio_decision(PyObject *self, PyObject *args) {
  double ratio;
  PyObject *trace_id;
  if (!PyArg_ParseTuple(args, "dU:_ratio_decision", &ratio, &trace_id)) {
    return NULL;
  }
  uint8_t id[CENSUS_TRACE_ID_SIZE];
  if (!hex_parse(trace_id, id, sizeof id)) {
    PyErr_SetString(PyExc_ValueError, "trace_id must be 32 hex digits");
    return NULL;
  }
  census_status st;
  census_sampler *sampler = census_sampler_trace_id_ratio(ratio, &st);
  if (!sampler) {
    return census_py_raise(st, "census_sampler_trace_id_ratio");
  }
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.root = true;
  o.sampler = sampler;
  o.trace_id = id;
  census_span span = census_span_start("census.python.ratio_decision", &o);
  bool sampled = census_span_is_recording(span);
  census_span_end(span); /* a sampled one reaches the span exporters, under the name above */
  census_sampler_free(sampler);
  if (!span) {
    return census_py_raise(CENSUS_ESHUTDOWN, "_ratio_decision");
  }
  return PyBool_FromLong(sampled);
}

static PyMethodDef trace_functions[] = {
    {"_ratio_decision", py_ratio_decision, METH_VARARGS, ratio_decision_doc},
    {"_trace_setup", py_trace_setup, METH_VARARGS, trace_setup_doc},
    {"span_exporter_register", py_span_exporter_register, METH_VARARGS, span_exporter_register_doc},
    {"span_exporter_unregister", (PyCFunction)(void (*)(void))py_span_exporter_unregister,
     METH_VARARGS | METH_KEYWORDS, span_exporter_unregister_doc},
    {"span_exporter_stats", py_span_exporter_stats, METH_O, span_exporter_stats_doc},
    {"dropped_spans", py_dropped_spans, METH_NOARGS, dropped_spans_doc},
    {"set_span_export_options", (PyCFunction)(void (*)(void))py_set_span_export_options,
     METH_VARARGS | METH_KEYWORDS, set_span_export_options_doc},
    {"iso_time", py_iso_time, METH_O, iso_time_doc},
    {NULL, NULL, 0, NULL},
};

/* trace_exporters.c: census's span-only exporters (part of the tracing part's init). */
int census_py_trace_exporters_init(PyObject *module);

int census_py_trace_init(PyObject *module) {
  if (!(always_on = census_sampler_always_on())) {
    PyErr_NoMemory();
    return -1;
  }
  if (!(default_span_name = PyUnicode_InternFromString("span"))) {
    return -1;
  }
  /* Until census.trace.tracer hands over its own (_trace_setup), the C classes and private
   * context variables serve. */
  current_var = PyContextVar_New("census.trace.current_span", Py_None);
  exporter_var = PyContextVar_New("census.trace.is_exporter", Py_False);
  if (!current_var || !exporter_var) {
    return -1;
  }
  if (PyType_Ready(&SpanType) < 0 || PyType_Ready(&BlankType) < 0 ||
      PyType_Ready(&TracerType) < 0) {
    return -1;
  }
  span_class = (PyTypeObject *)Py_NewRef((PyObject *)&SpanType);
  blank_class = (PyTypeObject *)Py_NewRef((PyObject *)&BlankType);
  if (PyModule_AddObjectRef(module, "Span", (PyObject *)&SpanType) < 0 ||
      PyModule_AddObjectRef(module, "BlankSpan", (PyObject *)&BlankType) < 0 ||
      PyModule_AddObjectRef(module, "Tracer", (PyObject *)&TracerType) < 0) {
    return -1;
  }
  if (PyModule_AddFunctions(module, trace_functions) < 0) {
    return -1;
  }
  return census_py_trace_exporters_init(module);
}
