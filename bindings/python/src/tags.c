/* tags.c - tag keys and the C tag map behind census.tags.TagMap.
 *
 * census.tags.TagMap (Python, tags/tag_map.py) keeps opencensus-python's ordered view of its
 * tags for reading and subclasses TagMapBase (here), which owns the census_tag_map that record
 * calls read. Every change goes through TagMapBase._put/_remove, which validate with census's
 * rules (the C map refuses what it cannot hold) before the Python side changes its view, so the
 * two never disagree.
 *
 * Tag keys are interned by census (census_tag_key_new); the glue caches the pointer per key
 * string in a dict, so a put costs a dict lookup rather than census's interning lock.
 *
 * The current tag map (census.tags.TagContext) is a contextvars.ContextVar owned by the Python
 * module; census.tags hands it to the glue at import (_set_tag_context), and record calls made
 * with tags=None read it here (census_py_current_tag_map), so the current tags follow asyncio
 * tasks and contexts, not OS threads. census's own thread-local current map is not used.
 *
 * Thread-safety: all of it runs with the GIL held, which serialises changes to one map; record
 * calls may read a map from several threads (census allows concurrent readers).
 */
#include "module.h"

#include "census/propagation.h"

typedef struct {
  PyObject_HEAD census_tag_map *map;
} tag_map_object;

static PyObject *key_cache;   /* str -> int (the census_tag_key pointer) */
static PyObject *tag_context; /* the ContextVar of the current TagMap, or NULL */
static PyTypeObject tag_map_type;

const census_tag_key *census_py_tag_key(PyObject *name) {
  PyObject *cached = PyDict_GetItemWithError(key_cache, name);
  if (cached) {
    return PyLong_AsVoidPtr(cached);
  }
  if (PyErr_Occurred()) {
    return NULL;
  }
  if (!PyUnicode_Check(name)) {
    PyErr_Format(PyExc_TypeError, "a tag key must be a str, not %.100s", Py_TYPE(name)->tp_name);
    return NULL;
  }
  const char *utf8 = PyUnicode_AsUTF8(name);
  if (!utf8) {
    return NULL;
  }
  census_status st;
  census_py_diagnostics_mark();
  const census_tag_key *key = census_tag_key_new(utf8, &st);
  if (!key) {
    census_py_raise(st, "tag key");
    return NULL;
  }
  PyObject *address = PyLong_FromVoidPtr((void *)key);
  if (!address || PyDict_SetItem(key_cache, name, address) < 0) {
    Py_XDECREF(address);
    return NULL;
  }
  Py_DECREF(address);
  return key;
}

int census_py_tag_map(PyObject *object, const census_tag_map **map) {
  if (object == Py_None) {
    *map = census_py_current_tag_map();
    return 0;
  }
  if (!PyObject_TypeCheck(object, &tag_map_type)) {
    PyErr_Format(PyExc_TypeError, "tags must be a census.tags.TagMap or None, not %.100s",
                 Py_TYPE(object)->tp_name);
    return -1;
  }
  *map = ((tag_map_object *)object)->map;
  return 0;
}

const census_tag_map *census_py_current_tag_map(void) {
  if (!tag_context) {
    return NULL;
  }
  PyObject *current = NULL;
  if (PyContextVar_Get(tag_context, NULL, &current) < 0) {
    PyErr_Clear();
    return NULL;
  }
  const census_tag_map *map = NULL;
  if (current && PyObject_TypeCheck(current, &tag_map_type)) {
    map = ((tag_map_object *)current)->map;
  }
  /* The context keeps its own reference for as long as the map is current; record calls read the
   * map before any Python code can run and change that. */
  Py_XDECREF(current);
  return map;
}

static PyObject *tag_map_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  tag_map_object *self = (tag_map_object *)type->tp_alloc(type, 0);
  if (!self) {
    return NULL;
  }
  self->map = census_tag_map_new();
  if (!self->map) {
    Py_DECREF(self);
    return PyErr_NoMemory();
  }
  return (PyObject *)self;
}

static void tag_map_dealloc(tag_map_object *self) {
  census_tag_map_free(self->map);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(tag_map_put_doc, "_put(key, value)\n\nSets key to value in the C map; raises "
                              "census.InvalidArgumentError for a key or value census refuses.");
static PyObject *tag_map_put(tag_map_object *self, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_put(key, value) takes 2 arguments");
    return NULL;
  }
  const census_tag_key *key = census_py_tag_key(args[0]);
  if (!key) {
    return NULL;
  }
  if (!PyUnicode_Check(args[1])) {
    PyErr_Format(PyExc_TypeError, "a tag value must be a str, not %.100s",
                 Py_TYPE(args[1])->tp_name);
    return NULL;
  }
  const char *value = PyUnicode_AsUTF8(args[1]);
  if (!value) {
    return NULL;
  }
  census_status st = census_tag_map_put(self->map, key, value);
  if (st != CENSUS_OK) {
    PyObject *what = PyUnicode_FromFormat("tag value %R for key %R (a value is 0 to 255 "
                                          "characters of printable ASCII, 32-126)",
                                          args[1], args[0]);
    if (what) {
      census_py_raise(st, PyUnicode_AsUTF8(what));
      Py_DECREF(what);
    }
    return NULL;
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(tag_map_remove_doc, "_remove(key)\n\nRemoves key from the C map (absent: nothing).");
static PyObject *tag_map_remove(tag_map_object *self, PyObject *name) {
  const census_tag_key *key = census_py_tag_key(name);
  if (!key) {
    return NULL;
  }
  census_tag_map_remove(self->map, key);
  Py_RETURN_NONE;
}

PyDoc_STRVAR(tag_map_to_binary_doc,
             "_to_binary() -> bytes\n\nThe OpenCensus binary encoding (grpc-tags-bin) of the "
             "map; census.InvalidArgumentError... past 8192 bytes of keys and values.");
static PyObject *tag_map_to_binary(tag_map_object *self, PyObject *unused) {
  uint8_t small[512];
  size_t length = 0;
  census_status st = census_tags_binary_encode(self->map, small, sizeof small, &length);
  if (st == CENSUS_OK) {
    return PyBytes_FromStringAndSize((const char *)small, (Py_ssize_t)length);
  }
  if (st == CENSUS_ELIMIT && length > 0) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)length);
    if (!out) {
      return NULL;
    }
    st = census_tags_binary_encode(self->map, (uint8_t *)PyBytes_AS_STRING(out), length, &length);
    if (st == CENSUS_OK) {
      return out;
    }
    Py_DECREF(out);
  }
  return census_py_raise(st, "tag map binary encoding (keys and values total at most 8192 bytes)");
}

PyDoc_STRVAR(tag_map_from_binary_doc,
             "_from_binary(data) -> list of (key, value)\n\nDecodes grpc-tags-bin bytes into the "
             "C map (all or nothing) and returns its pairs.");
static PyObject *tag_map_from_binary(tag_map_object *self, PyObject *data) {
  Py_buffer view;
  if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
    return NULL;
  }
  census_py_diagnostics_mark();
  census_status st = census_tags_binary_decode(view.buf, (size_t)view.len, self->map);
  PyBuffer_Release(&view);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "tag map binary decoding");
  }
  size_t n = census_tag_map_size(self->map);
  PyObject *pairs = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; pairs && i < n; i++) {
    const census_tag_key *key;
    const char *value;
    census_tag_map_at(self->map, i, &key, &value);
    PyObject *pair = Py_BuildValue("(ss)", census_tag_key_name(key), value);
    if (!pair) {
      Py_CLEAR(pairs);
      break;
    }
    PyList_SET_ITEM(pairs, (Py_ssize_t)i, pair);
  }
  return pairs;
}

static PyMethodDef tag_map_methods[] = {
    {"_put", (PyCFunction)(void (*)(void))tag_map_put, METH_FASTCALL, tag_map_put_doc},
    {"_remove", (PyCFunction)tag_map_remove, METH_O, tag_map_remove_doc},
    {"_to_binary", (PyCFunction)tag_map_to_binary, METH_NOARGS, tag_map_to_binary_doc},
    {"_from_binary", (PyCFunction)tag_map_from_binary, METH_O, tag_map_from_binary_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject tag_map_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "census._census.TagMapBase",
    .tp_basicsize = sizeof(tag_map_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C tag map under census.tags.TagMap (use that class). Thread-safety: changes "
              "under the GIL; records may read it from any thread.",
    .tp_new = tag_map_new,
    .tp_dealloc = (destructor)tag_map_dealloc,
    .tp_methods = tag_map_methods,
};

PyDoc_STRVAR(set_tag_context_doc,
             "_set_tag_context(var)\n\nThe contextvars.ContextVar whose value is the current "
             "TagMap (census.tags.TagContext); record(tags=None) reads it.");
static PyObject *set_tag_context(PyObject *self, PyObject *var) {
  if (!PyContextVar_CheckExact(var)) {
    PyErr_SetString(PyExc_TypeError, "_set_tag_context needs a contextvars.ContextVar");
    return NULL;
  }
  Py_INCREF(var);
  Py_XSETREF(tag_context, var);
  Py_RETURN_NONE;
}

PyDoc_STRVAR(check_tag_key_doc,
             "_check_tag_key(name)\n\nInterns the tag key `name`; raises "
             "census.InvalidArgumentError (a ValueError) if census refuses the name.");
static PyObject *check_tag_key(PyObject *self, PyObject *name) {
  return census_py_tag_key(name) ? Py_NewRef(Py_None) : NULL;
}

PyDoc_STRVAR(check_tag_value_doc,
             "_check_tag_value(value) -> bool\n\nTrue if census accepts `value` as a tag value "
             "(0 to 255 characters of printable ASCII).");
static PyObject *check_tag_value(PyObject *self, PyObject *value) {
  if (!PyUnicode_Check(value)) {
    Py_RETURN_FALSE;
  }
  const char *utf8 = PyUnicode_AsUTF8(value);
  if (!utf8) {
    PyErr_Clear();
    Py_RETURN_FALSE;
  }
  return PyBool_FromLong(census_tag_value_check(utf8) == CENSUS_OK);
}

static PyMethodDef tags_methods[] = {
    {"_set_tag_context", set_tag_context, METH_O, set_tag_context_doc},
    {"_check_tag_key", check_tag_key, METH_O, check_tag_key_doc},
    {"_check_tag_value", check_tag_value, METH_O, check_tag_value_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_tags_init(PyObject *module) {
  key_cache = PyDict_New();
  if (!key_cache || PyType_Ready(&tag_map_type) < 0 ||
      PyModule_AddObjectRef(module, "TagMapBase", (PyObject *)&tag_map_type) < 0) {
    return -1;
  }
  return PyModule_AddFunctions(module, tags_methods);
}
