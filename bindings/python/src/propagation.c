/* propagation.c - the header formats of census/propagation.h for census.trace.propagation.
 *
 * Each function converts between a span context as plain Python values, a tuple
 * (trace_id: 32 hex, span_id: 16 hex, trace_flags: int, tracestate: str), and a carrier (a
 * mapping of headers) or a value (a header's text, the 29 bytes of grpc-trace-bin), and calls
 * census's parser or writer; the Python propagator classes (census.trace.propagation.*) turn the
 * tuples into SpanContexts. So every format is parsed and written by census's C code, with its
 * rules (W3C Trace Context Level 2 for traceparent and tracestate; docs/propagation.md).
 *
 * The carrier getter: census asks for a header by its lowercase name; the getter looks it up
 * without regard to case and joins a header received as several field lines with "," (RFC 9110
 * section 5.3, which census's W3C rules rely on): through getlist(name) (werkzeug's headers) or
 * get_all(name) (http.client and email messages) when the carrier has them, else get(name), else
 * a case-insensitive scan of a plain dict; a list or tuple value is joined too, bytes are read as
 * Latin-1. The values are kept alive in the carrier struct until the census call returns, as
 * census requires. An exception inside the getter counts as an absent header.
 *
 * Thread-safety: no state; the GIL is held throughout (every call is short and never blocks).
 */
#include "module.h"

#include <string.h>
#include <strings.h>

#include "census/propagation.h"

struct carrier {
  PyObject *headers;
  PyObject *keep; /* list: every value returned to census during the call */
};

static PyObject *joined(PyObject *values) {
  PyObject *parts = PyList_New(0);
  PyObject *seq = PySequence_Fast(values, "header values");
  if (!parts || !seq) {
    Py_XDECREF(parts);
    Py_XDECREF(seq);
    return NULL;
  }
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
    PyObject *v = PySequence_Fast_GET_ITEM(seq, i);
    PyObject *text = PyBytes_Check(v)
                         ? PyUnicode_DecodeLatin1(PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v), NULL)
                     : PyUnicode_Check(v) ? Py_NewRef(v)
                                          : PyObject_Str(v);
    if (!text || PyList_Append(parts, text) < 0) {
      Py_XDECREF(text);
      Py_DECREF(parts);
      Py_DECREF(seq);
      return NULL;
    }
    Py_DECREF(text);
  }
  Py_DECREF(seq);
  if (PyList_GET_SIZE(parts) == 0) {
    Py_DECREF(parts);
    return Py_NewRef(Py_None);
  }
  PyObject *comma = PyUnicode_FromString(",");
  PyObject *r = comma ? PyUnicode_Join(comma, parts) : NULL;
  Py_XDECREF(comma);
  Py_DECREF(parts);
  return r;
}

/* The value of header `name` in `headers` as a new str, None when absent, NULL on error. */
static PyObject *header_value(PyObject *headers, const char *name) {
  static const char *const listers[] = {"getlist", "get_all"};
  for (size_t i = 0; i < 2; i++) {
    if (PyObject_HasAttrString(headers, listers[i]) && !PyDict_Check(headers)) {
      PyObject *values = PyObject_CallMethod(headers, listers[i], "s", name);
      if (!values) {
        return NULL;
      }
      PyObject *r = values == Py_None ? Py_NewRef(Py_None) : joined(values);
      Py_DECREF(values);
      return r;
    }
  }
  PyObject *v = PyObject_CallMethod(headers, "get", "s", name);
  if (!v) {
    return NULL;
  }
  if (v == Py_None && PyDict_Check(headers)) {
    /* A plain dict: match the name without regard to case. */
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(headers, &pos, &key, &value)) {
      if (!PyUnicode_Check(key)) {
        continue;
      }
      const char *k = PyUnicode_AsUTF8(key);
      if (k && strcasecmp(k, name) == 0) {
        Py_SETREF(v, Py_NewRef(value));
        break;
      }
    }
    PyErr_Clear();
  }
  if (v == Py_None || PyUnicode_Check(v)) {
    return v;
  }
  if (PyBytes_Check(v)) {
    Py_SETREF(v, PyUnicode_DecodeLatin1(PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v), NULL));
    return v;
  }
  if (PyList_Check(v) || PyTuple_Check(v)) {
    Py_SETREF(v, joined(v));
    return v;
  }
  Py_SETREF(v, PyObject_Str(v));
  return v;
}

static const char *carrier_get(void *c, const char *name) {
  struct carrier *carrier = c;
  PyObject *v = header_value(carrier->headers, name);
  if (!v) {
    PyErr_Clear();
    return NULL;
  }
  if (v == Py_None || PyList_Append(carrier->keep, v) < 0) {
    Py_DECREF(v);
    PyErr_Clear();
    return NULL;
  }
  Py_DECREF(v); /* kept alive by carrier->keep */
  const char *s = PyUnicode_AsUTF8(v);
  if (!s) {
    PyErr_Clear();
  }
  return s;
}

/* The setter: puts name -> value into a dict. */
static void carrier_set(void *c, const char *name, const char *value) {
  PyObject *v = PyUnicode_FromString(value);
  if (!v || PyDict_SetItemString((PyObject *)c, name, v) < 0) {
    PyErr_Clear();
  }
  Py_XDECREF(v);
}

static const char hex_digits[] = "0123456789abcdef";

PyObject *census_py_hex(const uint8_t *bytes, size_t n) {
  char out[64];
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = hex_digits[bytes[i] & 15];
  }
  return PyUnicode_FromStringAndSize(out, (Py_ssize_t)(2 * n));
}

PyObject *census_py_context_tuple(const census_trace_context *c) {
  return Py_BuildValue("(NNis)", census_py_hex(c->trace_id, CENSUS_TRACE_ID_SIZE),
                       census_py_hex(c->span_id, CENSUS_SPAN_ID_SIZE), (int)c->trace_flags,
                       c->tracestate);
}

int census_py_unhex(const char *s, Py_ssize_t length, uint8_t *out, size_t n) {
  if (!s || (size_t)length != 2 * n) {
    return 0;
  }
  for (size_t i = 0; i < 2 * n; i++) {
    int ch = s[i], v = ch >= '0' && ch <= '9'   ? ch - '0'
                       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                : -1;
    if (v < 0) {
      return 0;
    }
    out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
  }
  return 1;
}

/* A census context from (trace_id, span_id, flags, tracestate) arguments. Returns 1, or 0 when
 * an id is missing or not hex of the right length (the context is then invalid: census's
 * writers refuse it), -1 on a Python error. */
static int context_from(PyObject *trace_id, PyObject *span_id, int flags, PyObject *tracestate,
                        census_trace_context *c) {
  memset(c, 0, sizeof *c);
  c->trace_flags = (uint8_t)flags;
  if (tracestate && tracestate != Py_None) {
    Py_ssize_t n;
    const char *t = PyUnicode_AsUTF8AndSize(tracestate, &n);
    if (!t) {
      return -1;
    }
    census_tracestate_parse(t, (size_t)n, c->tracestate, NULL);
  }
  if (!PyUnicode_Check(trace_id) || !span_id || !PyUnicode_Check(span_id)) {
    return 0;
  }
  Py_ssize_t tn, sn;
  const char *t = PyUnicode_AsUTF8AndSize(trace_id, &tn);
  const char *s = PyUnicode_AsUTF8AndSize(span_id, &sn);
  if (!t || !s) {
    return -1;
  }
  return census_py_unhex(t, tn, c->trace_id, sizeof c->trace_id) &&
         census_py_unhex(s, sn, c->span_id, sizeof c->span_id);
}

/* Parses the (trace_id, span_id, trace_flags, tracestate=None) arguments of the writers. */
static int writer_args(PyObject *args, census_trace_context *c) {
  PyObject *trace_id, *span_id, *tracestate = NULL;
  int flags;
  if (!PyArg_ParseTuple(args, "OOi|O", &trace_id, &span_id, &flags, &tracestate)) {
    return -1;
  }
  return context_from(trace_id, span_id, flags, tracestate, c);
}

/* ---- W3C traceparent / tracestate -------------------------------------------------------- */

PyDoc_STRVAR(traceparent_extract_doc,
             "traceparent_extract(headers) -> (context tuple, tracestate_status) or None\n\n"
             "census_traceparent_extract(): None when traceparent is absent or malformed (two "
             "lines included); otherwise the context and what became of tracestate: 'kept', "
             "'absent', or 'discarded: <why>' (the traceparent is used all the same, W3C).");
static PyObject *traceparent_extract(PyObject *self, PyObject *headers) {
  if (headers == Py_None) {
    Py_RETURN_NONE;
  }
  struct carrier carrier = {headers, PyList_New(0)};
  if (!carrier.keep) {
    return NULL;
  }
  census_trace_context c;
  census_tracestate_report report;
  census_status st = census_traceparent_extract(carrier_get, &carrier, &c, &report);
  Py_DECREF(carrier.keep);
  if (st != CENSUS_OK) {
    Py_RETURN_NONE;
  }
  PyObject *state;
  if (report.status == CENSUS_OK) {
    state = PyUnicode_FromString("kept");
  } else if (report.status == CENSUS_EINVAL) {
    state = PyUnicode_FromFormat("discarded: %s", census_tracestate_problem_str(report.problem));
  } else {
    state = PyUnicode_FromString("absent");
  }
  return Py_BuildValue("(NN)", census_py_context_tuple(&c), state);
}

PyDoc_STRVAR(traceparent_inject_doc,
             "traceparent_inject(trace_id, span_id, trace_flags, tracestate=None) -> dict\n\n"
             "census_traceparent_inject() into a new dict: traceparent (version 00, the sampled "
             "and random flags as set), and tracestate when valid and not empty. An invalid "
             "context (an id missing or all zeros) gives {}.");
static PyObject *traceparent_inject(PyObject *self, PyObject *args) {
  census_trace_context c;
  int r = writer_args(args, &c);
  if (r < 0) {
    return NULL;
  }
  PyObject *out = PyDict_New();
  if (out && r) {
    census_traceparent_inject(&c, carrier_set, out);
  }
  return out;
}

PyDoc_STRVAR(tracestate_parse_doc,
             "tracestate_parse(value) -> (canonical str, duplicates, truncated) or "
             "(None, why)\n\ncensus_tracestate_parse(): W3C Level 2 rules.");
static PyObject *tracestate_parse(PyObject *self, PyObject *value) {
  Py_ssize_t n;
  const char *s = PyUnicode_AsUTF8AndSize(value, &n);
  if (!s) {
    return NULL;
  }
  char out[CENSUS_TRACESTATE_MAX_LENGTH + 1];
  census_tracestate_report report;
  if (census_tracestate_parse(s, (size_t)n, out, &report) != CENSUS_OK) {
    return Py_BuildValue("(Os)", Py_None, census_tracestate_problem_str(report.problem));
  }
  return Py_BuildValue("(snn)", out, (Py_ssize_t)report.duplicates, (Py_ssize_t)report.truncated);
}

/* ---- B3 ---------------------------------------------------------------------------------- */

static const char *sampling_name(census_b3_sampling s) {
  switch (s) {
  case CENSUS_B3_SAMPLING_DENY:
    return "deny";
  case CENSUS_B3_SAMPLING_ACCEPT:
    return "accept";
  case CENSUS_B3_SAMPLING_DEBUG:
    return "debug";
  default:
    return "unset";
  }
}

PyDoc_STRVAR(b3_extract_doc,
             "b3_extract(headers) -> (context tuple or None, sampling) or None\n\n"
             "census_b3_extract(): the b3 header, else x-b3-*. None when malformed or absent; "
             "(None, sampling) for a sampling decision alone ('accept', 'deny', 'debug').");
static PyObject *b3_extract(PyObject *self, PyObject *headers) {
  if (headers == Py_None) {
    Py_RETURN_NONE;
  }
  struct carrier carrier = {headers, PyList_New(0)};
  if (!carrier.keep) {
    return NULL;
  }
  census_trace_context c;
  census_b3_sampling sampling = CENSUS_B3_SAMPLING_UNSET;
  census_status st = census_b3_extract(carrier_get, &carrier, &c, &sampling);
  Py_DECREF(carrier.keep);
  if (st == CENSUS_OK) {
    return Py_BuildValue("(Ns)", census_py_context_tuple(&c), sampling_name(sampling));
  }
  if (st == CENSUS_ENOTFOUND && sampling != CENSUS_B3_SAMPLING_UNSET) {
    return Py_BuildValue("(Os)", Py_None, sampling_name(sampling));
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(b3_inject_doc,
             "b3_inject(trace_id, span_id, trace_flags, single=False) -> dict\n\n"
             "census_b3_inject(): x-b3-traceid, x-b3-spanid, x-b3-sampled (or one b3 header "
             "when single). {} for an invalid context.");
static PyObject *b3_inject(PyObject *self, PyObject *args) {
  PyObject *trace_id, *span_id;
  int flags, single = 0;
  if (!PyArg_ParseTuple(args, "OOi|p:b3_inject", &trace_id, &span_id, &flags, &single)) {
    return NULL;
  }
  census_trace_context c;
  int r = context_from(trace_id, span_id, flags, NULL, &c);
  if (r < 0) {
    return NULL;
  }
  PyObject *out = PyDict_New();
  if (out && r) {
    census_b3_inject(&c, single ? CENSUS_B3_SINGLE : CENSUS_B3_MULTI, carrier_set, out);
  }
  return out;
}

/* ---- X-Cloud-Trace-Context --------------------------------------------------------------- */

PyDoc_STRVAR(cloud_trace_parse_doc,
             "cloud_trace_parse(value) -> context tuple or None\n\ncensus_cloud_trace_parse(): "
             "TRACE_ID/SPAN_ID[;o=OPTIONS]; a missing ;o= is not sampled in census.");
static PyObject *cloud_trace_parse(PyObject *self, PyObject *value) {
  if (!PyUnicode_Check(value)) {
    PyErr_Format(PyExc_TypeError, "the X-Cloud-Trace-Context value must be a str, not %.100s",
                 Py_TYPE(value)->tp_name);
    return NULL;
  }
  Py_ssize_t n;
  const char *s = PyUnicode_AsUTF8AndSize(value, &n);
  if (!s) {
    return NULL;
  }
  census_trace_context c;
  if (census_cloud_trace_parse(s, (size_t)n, &c) != CENSUS_OK) {
    Py_RETURN_NONE;
  }
  return census_py_context_tuple(&c);
}

PyDoc_STRVAR(cloud_trace_extract_doc,
             "cloud_trace_extract(headers) -> context tuple or None\n\n"
             "census_cloud_trace_extract(): the x-cloud-trace-context header (any case).");
static PyObject *cloud_trace_extract(PyObject *self, PyObject *headers) {
  if (headers == Py_None) {
    Py_RETURN_NONE;
  }
  struct carrier carrier = {headers, PyList_New(0)};
  if (!carrier.keep) {
    return NULL;
  }
  census_trace_context c;
  census_status st = census_cloud_trace_extract(carrier_get, &carrier, &c);
  Py_DECREF(carrier.keep);
  if (st != CENSUS_OK) {
    Py_RETURN_NONE;
  }
  return census_py_context_tuple(&c);
}

PyDoc_STRVAR(cloud_trace_format_doc,
             "cloud_trace_format(trace_id, span_id, trace_flags) -> str or None\n\n"
             "census_cloud_trace_format(): TRACE/SPANDEC;o=1|0. None for an invalid context.");
static PyObject *cloud_trace_format(PyObject *self, PyObject *args) {
  census_trace_context c;
  int r = writer_args(args, &c);
  if (r < 0) {
    return NULL;
  }
  char out[CENSUS_CLOUD_TRACE_MAX_LENGTH + 1];
  if (!r || census_cloud_trace_format(&c, out) != CENSUS_OK) {
    Py_RETURN_NONE;
  }
  return PyUnicode_FromString(out);
}

/* ---- grpc-trace-bin ---------------------------------------------------------------------- */

PyDoc_STRVAR(trace_binary_decode_doc,
             "trace_binary_decode(data) -> context tuple or None\n\n"
             "census_trace_binary_decode(): the OpenCensus binary format.");
static PyObject *trace_binary_decode(PyObject *self, PyObject *data) {
  Py_buffer view;
  if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
    return NULL;
  }
  census_trace_context c;
  census_status st = census_trace_binary_decode(view.buf, (size_t)view.len, &c);
  PyBuffer_Release(&view);
  if (st != CENSUS_OK) {
    Py_RETURN_NONE;
  }
  return census_py_context_tuple(&c);
}

PyDoc_STRVAR(trace_binary_encode_doc,
             "trace_binary_encode(trace_id, span_id, trace_flags) -> bytes or None\n\n"
             "census_trace_binary_encode(): 29 bytes. None for an invalid context.");
static PyObject *trace_binary_encode(PyObject *self, PyObject *args) {
  census_trace_context c;
  int r = writer_args(args, &c);
  if (r < 0) {
    return NULL;
  }
  uint8_t out[CENSUS_TRACE_BINARY_SIZE];
  if (!r || census_trace_binary_encode(&c, out) != CENSUS_OK) {
    Py_RETURN_NONE;
  }
  return PyBytes_FromStringAndSize((const char *)out, sizeof out);
}

static PyMethodDef propagation_functions[] = {
    {"traceparent_extract", traceparent_extract, METH_O, traceparent_extract_doc},
    {"traceparent_inject", traceparent_inject, METH_VARARGS, traceparent_inject_doc},
    {"tracestate_parse", tracestate_parse, METH_O, tracestate_parse_doc},
    {"b3_extract", b3_extract, METH_O, b3_extract_doc},
    {"b3_inject", b3_inject, METH_VARARGS, b3_inject_doc},
    {"cloud_trace_parse", cloud_trace_parse, METH_O, cloud_trace_parse_doc},
    {"cloud_trace_extract", cloud_trace_extract, METH_O, cloud_trace_extract_doc},
    {"cloud_trace_format", cloud_trace_format, METH_VARARGS, cloud_trace_format_doc},
    {"trace_binary_decode", trace_binary_decode, METH_O, trace_binary_decode_doc},
    {"trace_binary_encode", trace_binary_encode, METH_VARARGS, trace_binary_encode_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_propagation_init(PyObject *module) {
  return PyModule_AddFunctions(module, propagation_functions);
}
