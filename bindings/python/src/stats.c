/* stats.c - measures, bound measures, measurement maps, view registration and view snapshots.
 *
 * The Python classes of census.stats (measure.py, measurement_map.py, view_manager.py) sit on
 * the types here:
 *   Measure          a census_measure (created, or found, when the Python object is made);
 *                    subclasses say their value type with the class attribute _census_kind
 *                    (1 int64, 2 double)
 *   BoundMeasure     measure.bind(tag_map): a census_bound_measure; record(value) is the fast
 *                    path (one C call, no Python object allocated: ints and floats are read in
 *                    place, None is returned)
 *   MeasurementMap   a census_measurement_map plus opencensus-python's dict view of the puts
 * and the functions view_register() and view_data_get()/view_data_get_all(), which turn census
 * snapshots into plain tuples (census_py_view_data_tuple) that census.stats.view_data makes into
 * opencensus-python's ViewData and aggregation-data objects.
 *
 * Recording never raises for a value census refuses (negative, NaN, infinite, a float for an int
 * measure): census refuses it, counts it in census/dropped_measurements and reports it on the
 * diagnostics channel, as it does for C callers, and the call returns None as opencensus-python's
 * does; only a value that is not a number at all raises TypeError. Calls that can wait for an
 * export in progress (registering a view, reading view data) release the GIL, because that export
 * may be running an exporter written in Python, which needs the GIL to finish.
 */
#include "module.h"

/* ---- Measure -------------------------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD const census_measure *measure;
  int kind; /* CENSUS_MEASURE_INT64 or CENSUS_MEASURE_DOUBLE */
  PyObject *name, *description, *unit;
} measure_object;

static PyTypeObject measure_type;
static PyTypeObject bound_type;

const census_measure *census_py_measure(PyObject *object) {
  if (!PyObject_TypeCheck(object, &measure_type) || !((measure_object *)object)->measure) {
    PyErr_Format(PyExc_TypeError,
                 "expected a census.stats.measure.MeasureInt or MeasureFloat, "
                 "not %.100s",
                 Py_TYPE(object)->tp_name);
    return NULL;
  }
  return ((measure_object *)object)->measure;
}

/* Measure.__init__(name, description, unit=None): creates (or finds) the census measure. A
 * second definition under the same name is census.InvalidArgumentError (CENSUS_ECONFLICT). */
static int measure_init(measure_object *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"name", "description", "unit", NULL};
  PyObject *name, *description, *unit = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UO|O:Measure", names, &name, &description,
                                   &unit)) {
    return -1;
  }
  PyObject *kind = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "_census_kind");
  long k = kind ? PyLong_AsLong(kind) : -1;
  Py_XDECREF(kind);
  if (k != CENSUS_MEASURE_INT64 && k != CENSUS_MEASURE_DOUBLE) {
    PyErr_Clear();
    PyErr_SetString(PyExc_TypeError, "make a MeasureInt or a MeasureFloat: census needs the "
                                     "value type of a measure");
    return -1;
  }
  const char *desc = "";
  if (description != Py_None && !(desc = PyUnicode_AsUTF8(description))) {
    return -1;
  }
  const char *u = NULL;
  if (unit != Py_None && !(u = PyUnicode_AsUTF8(unit))) {
    return -1;
  }
  const char *n = PyUnicode_AsUTF8(name);
  if (!n) {
    return -1;
  }
  census_status st;
  census_py_diagnostics_mark();
  const census_measure *m = k == CENSUS_MEASURE_INT64 ? census_measure_int64_new(n, desc, u, &st)
                                                      : census_measure_double_new(n, desc, u, &st);
  if (!m) {
    PyObject *what = PyUnicode_FromFormat("measure %R", name);
    if (what) {
      census_py_raise(st, PyUnicode_AsUTF8(what));
      Py_DECREF(what);
    }
    return -1;
  }
  self->measure = m;
  self->kind = (int)k;
  Py_INCREF(name);
  Py_XSETREF(self->name, name);
  Py_INCREF(description);
  Py_XSETREF(self->description, description);
  Py_INCREF(unit);
  Py_XSETREF(self->unit, unit);
  return 0;
}

static void measure_dealloc(measure_object *self) {
  Py_XDECREF(self->name);
  Py_XDECREF(self->description);
  Py_XDECREF(self->unit);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *measure_get(measure_object *self, void *which) {
  PyObject *v = which == (void *)0   ? self->name
                : which == (void *)1 ? self->description
                                     : self->unit;
  return Py_NewRef(v ? v : Py_None);
}

/* Records `value` into `measure` against `tags`, the way every record call here reads a value:
 * an int is recorded as int64 (a float measure converts it), a float as a double (refused by an
 * int measure: CENSUS_ETYPE), anything with __index__ or __float__ likewise. Returns census's
 * status (a refusal is census's to count and report), or 1 with TypeError/OverflowError set. */
static int record_value(int kind, census_status (*rec_int)(void *, int64_t),
                        census_status (*rec_double)(void *, double), void *target,
                        PyObject *value) {
  if (PyLong_CheckExact(value) || (PyLong_Check(value) && kind == CENSUS_MEASURE_INT64)) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || (v == -1 && PyErr_Occurred())) {
      if (!PyErr_Occurred()) {
        if (overflow < 0) {
          return rec_int(target, -1); /* negative: census refuses and counts it */
        }
        PyErr_SetString(PyExc_OverflowError, "value does not fit in int64");
      }
      return 1;
    }
    return rec_int(target, v);
  }
  double d = PyFloat_CheckExact(value) ? PyFloat_AS_DOUBLE(value) : PyFloat_AsDouble(value);
  if (d == -1.0 && PyErr_Occurred()) {
    PyErr_Format(PyExc_TypeError, "a measurement value must be an int or a float, not %.100s",
                 Py_TYPE(value)->tp_name);
    return 1;
  }
  return rec_double(target, d);
}

/* Adapters from the record functions to record_value's signature. */
typedef struct {
  const census_measure *measure;
  const census_tag_map *tags;
} direct_target;

static census_status direct_record_int(void *t, int64_t v) {
  direct_target *d = t;
  return census_record_int64(d->measure, v, d->tags);
}
static census_status direct_record_double(void *t, double v) {
  direct_target *d = t;
  return census_record_double(d->measure, v, d->tags);
}

PyDoc_STRVAR(measure_record_doc,
             "record(value, tags=None)\n\n"
             "Records one value against `tags` (a TagMap; None: the current tag map). A value\n"
             "census refuses (negative, NaN, infinite, a float for a MeasureInt) is dropped,\n"
             "counted in census/dropped_measurements and reported; nothing is raised for it.\n"
             "Thread-safe; never blocks.");
static PyObject *measure_record(measure_object *self, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames) {
  PyObject *tags_obj = Py_None;
  if (nargs < 1 || nargs > 2 || (kwnames && PyTuple_GET_SIZE(kwnames) > 2 - nargs)) {
    PyErr_SetString(PyExc_TypeError, "record(value, tags=None)");
    return NULL;
  }
  if (nargs == 2) {
    tags_obj = args[1];
  } else if (kwnames && PyTuple_GET_SIZE(kwnames) == 1) {
    if (!PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "tags") != 0) {
      PyErr_SetString(PyExc_TypeError, "record(value, tags=None)");
      return NULL;
    }
    tags_obj = args[1];
  }
  direct_target t = {self->measure, NULL};
  if (census_py_tag_map(tags_obj, &t.tags) < 0) {
    return NULL;
  }
  if (record_value(self->kind, direct_record_int, direct_record_double, &t, args[0]) == 1) {
    return NULL;
  }
  Py_RETURN_NONE;
}

/* ---- BoundMeasure --------------------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD census_bound_measure *bound;
  int kind;
  PyObject *measure;
} bound_object;

PyDoc_STRVAR(measure_bind_doc,
             "bind(tags=None) -> BoundMeasure\n\n"
             "Resolves this measure and a copy of `tags` (a TagMap; None: the current tag map,\n"
             "now) once, for the fastest record path: bound.record(value). Later changes to the\n"
             "TagMap do not affect the handle. Thread-safe.");
static PyObject *measure_bind(measure_object *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"tags", NULL};
  PyObject *tags_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:bind", names, &tags_obj)) {
    return NULL;
  }
  const census_tag_map *tags;
  if (census_py_tag_map(tags_obj, &tags) < 0) {
    return NULL;
  }
  census_status st;
  census_py_diagnostics_mark();
  census_bound_measure *bound = census_measure_bind(self->measure, tags, &st);
  if (!bound) {
    return census_py_raise(st, "measure.bind");
  }
  bound_object *b = PyObject_New(bound_object, &bound_type);
  if (!b) {
    census_bound_measure_free(bound);
    return NULL;
  }
  b->bound = bound;
  b->kind = self->kind;
  b->measure = Py_NewRef((PyObject *)self);
  return (PyObject *)b;
}

static census_status bound_int(void *b, int64_t v) { return census_bound_record_int64(b, v); }
static census_status bound_double(void *b, double v) { return census_bound_record_double(b, v); }

PyDoc_STRVAR(bound_record_doc,
             "record(value)\n\n"
             "Records one value through the bound measure: census's fastest path, no Python\n"
             "object allocated. Refused values are dropped, counted and reported, not raised.\n"
             "Thread-safe (any number of threads may record through one handle).");
static PyObject *bound_record(bound_object *self, PyObject *value) {
  if (!self->bound) {
    PyErr_SetString(PyExc_ValueError, "record on a closed BoundMeasure");
    return NULL;
  }
  if (PyLong_CheckExact(value) && self->kind == CENSUS_MEASURE_INT64) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (!overflow) {
      census_bound_record_int64(self->bound, v);
      Py_RETURN_NONE;
    }
  } else if (PyFloat_CheckExact(value) && self->kind == CENSUS_MEASURE_DOUBLE) {
    census_bound_record_double(self->bound, PyFloat_AS_DOUBLE(value));
    Py_RETURN_NONE;
  }
  if (record_value(self->kind, bound_int, bound_double, self->bound, value) == 1) {
    return NULL;
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(bound_close_doc,
             "close()\n\nFrees the handle (what it recorded is kept and exported). Later "
             "record() raises ValueError. Also done when the object is collected.");
static PyObject *bound_close(bound_object *self, PyObject *unused) {
  census_bound_measure_free(self->bound);
  self->bound = NULL;
  Py_RETURN_NONE;
}

static void bound_dealloc(bound_object *self) {
  census_bound_measure_free(self->bound);
  Py_XDECREF(self->measure);
  PyObject_Free(self);
}

static PyObject *bound_get_measure(bound_object *self, void *unused) {
  return Py_NewRef(self->measure);
}

static PyMethodDef bound_methods[] = {
    {"record", (PyCFunction)bound_record, METH_O, bound_record_doc},
    {"close", (PyCFunction)bound_close, METH_NOARGS, bound_close_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef bound_getset[] = {
    {"measure", (getter)bound_get_measure, NULL, "the measure this handle records into", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject bound_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.BoundMeasure",
    .tp_basicsize = sizeof(bound_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A measure bound to one tag map (measure.bind()): record(value) is census's fastest "
              "record path. Thread-safety: any number of threads may record at once; close() "
              "must be the last call.",
    .tp_dealloc = (destructor)bound_dealloc,
    .tp_methods = bound_methods,
    .tp_getset = bound_getset,
};

static PyMethodDef measure_methods[] = {
    {"bind", (PyCFunction)(void (*)(void))measure_bind, METH_VARARGS | METH_KEYWORDS,
     measure_bind_doc},
    {"record", (PyCFunction)(void (*)(void))measure_record, METH_FASTCALL | METH_KEYWORDS,
     measure_record_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef measure_getset[] = {
    {"name", (getter)measure_get, NULL, "the measure's name", (void *)0},
    {"description", (getter)measure_get, NULL, "the measure's description", (void *)1},
    {"unit", (getter)measure_get, NULL, "the measure's unit as given (None if none)", (void *)2},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject measure_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.Measure",
    .tp_basicsize = sizeof(measure_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A census measure (use census.stats.measure.MeasureInt or MeasureFloat). "
              "Thread-safety: immutable, safe to share.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)measure_init,
    .tp_dealloc = (destructor)measure_dealloc,
    .tp_methods = measure_methods,
    .tp_getset = measure_getset,
};

/* ---- MeasurementMap ------------------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD census_measurement_map *map;
  PyObject *values;              /* dict measure -> value: opencensus-python's measurement_map */
  PyObject *measure_to_view_map; /* as given */
  PyObject *attachments;         /* dict or None */
} mmap_object;

/* C maps of collected MeasurementMaps, cleared and kept for the next one (census keeps a cleared
 * map's memory), so that opencensus-python's pattern (a new map per record) costs no malloc.
 * Touched only with the GIL held. */
#define MAP_POOL_SIZE 64
static census_measurement_map *map_pool[MAP_POOL_SIZE];
static int map_pool_count;

static census_measurement_map *map_take(void) {
  return map_pool_count > 0 ? map_pool[--map_pool_count] : census_measurement_map_new();
}

static void map_give(census_measurement_map *map) {
  if (!map) {
    return;
  }
  if (map_pool_count < MAP_POOL_SIZE) {
    census_measurement_map_clear(map);
    map_pool[map_pool_count++] = map;
  } else {
    census_measurement_map_free(map);
  }
}

static PyObject *mmap_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  mmap_object *self = (mmap_object *)type->tp_alloc(type, 0);
  if (!self) {
    return NULL;
  }
  self->map = map_take();
  self->values = PyDict_New();
  if (!self->map || !self->values) {
    Py_DECREF(self);
    return PyErr_NoMemory();
  }
  self->measure_to_view_map = Py_NewRef(Py_None);
  self->attachments = Py_NewRef(Py_None);
  return (PyObject *)self;
}

static int mmap_init(mmap_object *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"measure_to_view_map", "attachments", NULL};
  PyObject *mtvm = Py_None, *attachments = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:MeasurementMap", names, &mtvm,
                                   &attachments)) {
    return -1;
  }
  Py_INCREF(mtvm);
  Py_XSETREF(self->measure_to_view_map, mtvm);
  Py_INCREF(attachments);
  Py_XSETREF(self->attachments, attachments);
  return 0;
}

static void mmap_dealloc(mmap_object *self) {
  map_give(self->map);
  Py_XDECREF(self->values);
  Py_XDECREF(self->measure_to_view_map);
  Py_XDECREF(self->attachments);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

typedef struct {
  census_measurement_map *map;
  const census_measure *measure;
} put_target;

static census_status mmap_put_int(void *t, int64_t v) {
  put_target *p = t;
  return census_measurement_map_put_int64(p->map, p->measure, v);
}
static census_status mmap_put_double(void *t, double v) {
  put_target *p = t;
  return census_measurement_map_put_double(p->map, p->measure, v);
}

/* measure_int_put / measure_float_put: the same call (census takes the measure's own type). */
static PyObject *mmap_put(mmap_object *self, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "measure_*_put(measure, value) takes 2 arguments");
    return NULL;
  }
  PyObject *m = args[0];
  if (!census_py_measure(m)) {
    return NULL;
  }
  put_target t = {self->map, ((measure_object *)m)->measure};
  if (record_value(((measure_object *)m)->kind, mmap_put_int, mmap_put_double, &t, args[1]) == 1) {
    return NULL;
  }
  if (PyDict_SetItem(self->values, m, args[1]) < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(mmap_record_doc,
             "record(tags=None)\n\n"
             "Records every value put, atomically with respect to export, against `tags` (a\n"
             "TagMap; None: the current tag map of this context). If a put was refused, nothing\n"
             "is recorded (OpenCensus's rule), the refusal is counted and reported, and nothing\n"
             "is raised. The map keeps its values. Thread-safe for different maps; never blocks.");
static PyObject *mmap_record(mmap_object *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
  PyObject *tags_obj = Py_None;
  Py_ssize_t total = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
  if (total > 1 || (kwnames && PyTuple_GET_SIZE(kwnames) == 1 &&
                    PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "tags") != 0)) {
    PyErr_SetString(PyExc_TypeError, "record(tags=None)");
    return NULL;
  }
  if (total == 1) {
    tags_obj = args[0];
  }
  const census_tag_map *tags;
  if (census_py_tag_map(tags_obj, &tags) < 0) {
    return NULL;
  }
  census_measurement_map_record(self->map, tags);
  Py_RETURN_NONE;
}

PyDoc_STRVAR(mmap_attachment_doc,
             "measure_put_attachment(key, value)\n\nAccepted and checked as opencensus-python "
             "does (both str, else TypeError) and kept in .attachments; census keeps no "
             "exemplars, so attachments are not exported (docs/python.md).");
static PyObject *mmap_put_attachment(mmap_object *self, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "measure_put_attachment(key, value) takes 2 arguments");
    return NULL;
  }
  if (!PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "attachment key should not be empty and should be a string");
    return NULL;
  }
  if (!PyUnicode_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "attachment value should not be empty and should be a string");
    return NULL;
  }
  if (self->attachments == Py_None) {
    PyObject *d = PyDict_New();
    if (!d) {
      return NULL;
    }
    Py_SETREF(self->attachments, d);
  }
  if (PyObject_SetItem(self->attachments, args[0], args[1]) < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(mmap_clear_doc, "clear()\n\nEmpties the map, including a refusal left by a put, so "
                             "it can be reused (a census addition).");
static PyObject *mmap_clear(mmap_object *self, PyObject *unused) {
  census_measurement_map_clear(self->map);
  PyDict_Clear(self->values);
  Py_RETURN_NONE;
}

static PyObject *mmap_get(mmap_object *self, void *which) {
  PyObject *v = which == (void *)0   ? self->values
                : which == (void *)1 ? self->measure_to_view_map
                                     : self->attachments;
  return Py_NewRef(v);
}

static PyMethodDef mmap_methods[] = {
    {"measure_int_put", (PyCFunction)(void (*)(void))mmap_put, METH_FASTCALL,
     "measure_int_put(measure, value)\n\nPuts an int value; a later put of the same measure "
     "replaces it. A value census refuses (negative; a float for a MeasureInt) makes the map "
     "refused as a whole at record(); nothing is raised."},
    {"measure_float_put", (PyCFunction)(void (*)(void))mmap_put, METH_FASTCALL,
     "measure_float_put(measure, value)\n\nPuts a float value (negative, NaN or infinite: the "
     "map is refused at record())."},
    {"measure_put_attachment", (PyCFunction)(void (*)(void))mmap_put_attachment, METH_FASTCALL,
     mmap_attachment_doc},
    {"record", (PyCFunction)(void (*)(void))mmap_record, METH_FASTCALL | METH_KEYWORDS,
     mmap_record_doc},
    {"clear", (PyCFunction)mmap_clear, METH_NOARGS, mmap_clear_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef mmap_getset[] = {
    {"measurement_map", (getter)mmap_get, NULL, "dict of the values put, by measure", (void *)0},
    {"measure_to_view_map", (getter)mmap_get, NULL, "as given to the constructor", (void *)1},
    {"attachments", (getter)mmap_get, NULL, "dict of attachments, or None", (void *)2},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject mmap_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.MeasurementMap",
    .tp_basicsize = sizeof(mmap_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "MeasurementMap(measure_to_view_map=None, attachments=None): values recorded "
              "together against one tag map. Thread-safety: one thread at a time per map.",
    .tp_new = mmap_new,
    .tp_init = (initproc)mmap_init,
    .tp_dealloc = (destructor)mmap_dealloc,
    .tp_methods = mmap_methods,
    .tp_getset = mmap_getset,
};

/* ---- Views ---------------------------------------------------------------------------------- */

PyDoc_STRVAR(view_register_doc,
             "view_register(name, description, measure, columns, kind, bounds, max_series=0)\n\n"
             "Registers a census view: kind 1 count, 2 sum, 3 last value, 4 distribution (with\n"
             "`bounds`, a sequence of floats). Registering the identical definition again is a\n"
             "no-op; another definition under the name raises census.InvalidArgumentError naming\n"
             "the field that differs. The GIL is released while census registers it.");
static PyObject *view_register(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *names[] = {"name", "description", "measure",    "columns",
                          "kind", "bounds",      "max_series", NULL};
  const char *name, *description;
  PyObject *measure_obj, *columns, *bounds_obj;
  int kind;
  Py_ssize_t max_series = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "szOOiO|n:view_register", names, &name,
                                   &description, &measure_obj, &columns, &kind, &bounds_obj,
                                   &max_series)) {
    return NULL;
  }
  const census_measure *measure = census_py_measure(measure_obj);
  if (!measure) {
    return NULL;
  }
  PyObject *cols = PySequence_Fast(columns, "view columns must be a sequence of tag keys");
  if (!cols) {
    return NULL;
  }
  Py_ssize_t ncols = PySequence_Fast_GET_SIZE(cols);
  const census_tag_key **keys = PyMem_Calloc((size_t)ncols + 1, sizeof *keys);
  double *bounds = NULL;
  Py_ssize_t nbounds = 0;
  PyObject *result = NULL;
  census_aggregation *aggregation = NULL;
  census_view *view = NULL;
  if (!keys) {
    PyErr_NoMemory();
    goto done;
  }
  for (Py_ssize_t i = 0; i < ncols; i++) {
    if (!(keys[i] = census_py_tag_key(PySequence_Fast_GET_ITEM(cols, i)))) {
      goto done;
    }
  }
  census_status st = CENSUS_OK;
  census_py_diagnostics_mark();
  switch (kind) {
  case CENSUS_AGGREGATION_COUNT:
    aggregation = census_aggregation_count_new();
    break;
  case CENSUS_AGGREGATION_SUM:
    aggregation = census_aggregation_sum_new();
    break;
  case CENSUS_AGGREGATION_LAST_VALUE:
    aggregation = census_aggregation_last_value_new();
    break;
  case CENSUS_AGGREGATION_DISTRIBUTION: {
    PyObject *b = PySequence_Fast(bounds_obj, "bucket bounds must be a sequence of numbers");
    if (!b) {
      goto done;
    }
    nbounds = PySequence_Fast_GET_SIZE(b);
    bounds = PyMem_Calloc((size_t)nbounds + 1, sizeof *bounds);
    for (Py_ssize_t i = 0; bounds && i < nbounds; i++) {
      bounds[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(b, i));
    }
    Py_DECREF(b);
    if (!bounds) {
      PyErr_NoMemory();
      goto done;
    }
    if (PyErr_Occurred()) {
      goto done;
    }
    aggregation = census_aggregation_distribution_new(bounds, (size_t)nbounds, &st);
    break;
  }
  default:
    PyErr_Format(PyExc_ValueError, "unknown aggregation kind %d", kind);
    goto done;
  }
  if (!aggregation) {
    census_py_raise(st == CENSUS_OK ? CENSUS_ENOMEM : st, "view aggregation");
    goto done;
  }
  view = census_view_new(name, description, measure, keys, (size_t)ncols, aggregation, &st);
  if (!view) {
    census_py_raise(st, "view");
    goto done;
  }
  if (max_series > 0 && (st = census_view_set_max_series(view, (size_t)max_series)) != CENSUS_OK) {
    census_py_raise(st, "view max_series");
    goto done;
  }
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_view_register(view));
  if (st != CENSUS_OK) {
    census_py_raise(st, "view_manager.register_view");
    goto done;
  }
  result = Py_NewRef(Py_None);
done:
  census_view_free(view);
  census_aggregation_free(aggregation);
  PyMem_Free(bounds);
  PyMem_Free(keys);
  Py_DECREF(cols);
  return result;
}

/* ---- View data ------------------------------------------------------------------------------ */

/* One row: (values, is_overflow, count, int_value, double_value, time_ns, mean, ssd, min, max,
 * bucket_counts or None). */
static PyObject *row_tuple(const census_view_data *d, size_t row, size_t ncols) {
  PyObject *values = PyTuple_New((Py_ssize_t)ncols);
  if (!values) {
    return NULL;
  }
  for (size_t c = 0; c < ncols; c++) {
    PyObject *v = PyUnicode_FromString(census_view_data_row_value(d, row, c));
    if (!v) {
      Py_DECREF(values);
      return NULL;
    }
    PyTuple_SET_ITEM(values, (Py_ssize_t)c, v);
  }
  census_point p;
  census_view_data_row_point(d, row, &p);
  PyObject *buckets = Py_NewRef(Py_None);
  if (census_view_data_aggregation(d) == CENSUS_AGGREGATION_DISTRIBUTION) {
    Py_SETREF(buckets, PyTuple_New((Py_ssize_t)p.bucket_count));
    for (size_t i = 0; buckets && i < p.bucket_count; i++) {
      PyObject *n = PyLong_FromLongLong(p.bucket_counts[i]);
      if (!n) {
        Py_CLEAR(buckets);
        break;
      }
      PyTuple_SET_ITEM(buckets, (Py_ssize_t)i, n);
    }
  }
  if (!buckets) {
    Py_DECREF(values);
    return NULL;
  }
  return Py_BuildValue(
      "(NOLLdLddddN)", values, census_view_data_row_is_overflow(d, row) ? Py_True : Py_False,
      (long long)p.count, (long long)p.int_value, p.double_value, (long long)p.time_ns, p.mean,
      p.sum_of_squared_deviation, p.min, p.max, buckets);
}

PyObject *census_py_view_data_tuple(const census_view_data *d) {
  const census_measure *m = census_view_data_measure(d);
  size_t ncols = census_view_data_column_count(d);
  PyObject *columns = PyTuple_New((Py_ssize_t)ncols);
  PyObject *rows = NULL, *bounds = NULL;
  if (!columns) {
    return NULL;
  }
  for (size_t c = 0; c < ncols; c++) {
    PyObject *name = PyUnicode_FromString(census_view_data_column(d, c));
    if (!name) {
      goto fail;
    }
    PyTuple_SET_ITEM(columns, (Py_ssize_t)c, name);
  }
  const double *b;
  size_t nb = census_view_data_bounds(d, &b);
  if (!(bounds = PyTuple_New((Py_ssize_t)nb))) {
    goto fail;
  }
  for (size_t i = 0; i < nb; i++) {
    PyObject *f = PyFloat_FromDouble(b[i]);
    if (!f) {
      goto fail;
    }
    PyTuple_SET_ITEM(bounds, (Py_ssize_t)i, f);
  }
  size_t nrows = census_view_data_row_count(d);
  if (!(rows = PyList_New((Py_ssize_t)nrows))) {
    goto fail;
  }
  for (size_t r = 0; r < nrows; r++) {
    PyObject *row = row_tuple(d, r, ncols);
    if (!row) {
      goto fail;
    }
    PyList_SET_ITEM(rows, (Py_ssize_t)r, row);
  }
  return Py_BuildValue("(sssissiNNLLN)", census_view_data_name(d), census_view_data_description(d),
                       census_measure_name(m), (int)census_measure_value_type(m),
                       census_measure_description(m), census_measure_unit(m),
                       (int)census_view_data_aggregation(d), columns, bounds,
                       (long long)census_view_data_start_time_ns(d),
                       (long long)census_view_data_end_time_ns(d), rows);
fail:
  Py_XDECREF(columns);
  Py_XDECREF(bounds);
  Py_XDECREF(rows);
  return NULL;
}

PyDoc_STRVAR(view_data_get_doc,
             "view_data_get(name) -> tuple or None\n\n"
             "Collects everything recorded so far and returns the snapshot of the registered view\n"
             "`name` as a tuple (census.stats.view_data reads it), or None if no view has that\n"
             "name. The GIL is released while census collects.");
static PyObject *view_data_get(PyObject *self, PyObject *name_obj) {
  const char *name = PyUnicode_AsUTF8(name_obj);
  if (!name) {
    return NULL;
  }
  census_status st;
  census_view_data *d;
  PyThreadState *ts = PyEval_SaveThread();
  d = census_view_data_get(name, &st);
  PyEval_RestoreThread(ts);
  if (!d) {
    if (st == CENSUS_ENOTFOUND) {
      Py_RETURN_NONE;
    }
    return census_py_raise(st, "view_manager.get_view");
  }
  PyObject *t = census_py_view_data_tuple(d);
  census_view_data_free(d);
  return t;
}

PyObject *census_py_view_data_list(const census_view_data *const *views, size_t count) {
  PyObject *list = PyList_New((Py_ssize_t)count);
  for (size_t i = 0; list && i < count; i++) {
    PyObject *t = census_py_view_data_tuple(views[i]);
    if (!t) {
      Py_CLEAR(list);
      break;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, t);
  }
  return list;
}

PyDoc_STRVAR(view_data_get_all_doc,
             "view_data_get_all() -> list of tuples\n\n"
             "Snapshots of every registered view (census's self-metrics census/... included),\n"
             "from one collection, in registration order. The GIL is released while census "
             "collects.");
static PyObject *view_data_get_all(PyObject *self, PyObject *unused) {
  census_view_data **views;
  size_t count;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_view_data_get_all(&views, &count));
  if (st != CENSUS_OK) {
    return census_py_raise(st, "view_data_get_all");
  }
  PyObject *list = census_py_view_data_list((const census_view_data *const *)views, count);
  census_view_data_free_all(views, count);
  return list;
}

static PyTypeObject *mmap_class; /* census.stats.measurement_map.MeasurementMap */

PyDoc_STRVAR(new_mmap_doc,
             "_new_measurement_map(measure_to_view_map) -> MeasurementMap\n\n"
             "StatsRecorder.new_measurement_map()'s constructor: the class registered with "
             "_set_measurement_map_class, made without argument parsing.");
static PyObject *new_mmap(PyObject *self, PyObject *mtvm) {
  PyTypeObject *type = mmap_class ? mmap_class : &mmap_type;
  mmap_object *m = (mmap_object *)mmap_new(type, NULL, NULL);
  if (m) {
    Py_INCREF(mtvm);
    Py_SETREF(m->measure_to_view_map, mtvm);
  }
  return (PyObject *)m;
}

PyDoc_STRVAR(set_mmap_class_doc, "_set_measurement_map_class(cls)\n\nThe subclass of "
                                 "MeasurementMap that _new_measurement_map makes.");
static PyObject *set_mmap_class(PyObject *self, PyObject *cls) {
  if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &mmap_type)) {
    PyErr_SetString(PyExc_TypeError, "a subclass of census._census.MeasurementMap is needed");
    return NULL;
  }
  Py_INCREF(cls);
  Py_XSETREF(mmap_class, (PyTypeObject *)cls);
  Py_RETURN_NONE;
}

static PyMethodDef stats_methods[] = {
    {"_new_measurement_map", new_mmap, METH_O, new_mmap_doc},
    {"_set_measurement_map_class", set_mmap_class, METH_O, set_mmap_class_doc},
    {"view_register", (PyCFunction)(void (*)(void))view_register, METH_VARARGS | METH_KEYWORDS,
     view_register_doc},
    {"view_data_get", view_data_get, METH_O, view_data_get_doc},
    {"view_data_get_all", view_data_get_all, METH_NOARGS, view_data_get_all_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_stats_init(PyObject *module) {
  if (PyType_Ready(&measure_type) < 0 || PyType_Ready(&bound_type) < 0 ||
      PyType_Ready(&mmap_type) < 0 ||
      PyModule_AddObjectRef(module, "Measure", (PyObject *)&measure_type) < 0 ||
      PyModule_AddObjectRef(module, "BoundMeasure", (PyObject *)&bound_type) < 0 ||
      PyModule_AddObjectRef(module, "MeasurementMap", (PyObject *)&mmap_type) < 0) {
    return -1;
  }
  return PyModule_AddFunctions(module, stats_methods);
}
