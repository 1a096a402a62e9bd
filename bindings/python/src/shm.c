/* shm.c - shared-memory mode (census/shm.h, docs/shared-memory.md) for census.shm: turning it on,
 * the gauge mode, the group's merged view read from a directory, compaction (a pre-fork master's
 * child-exit hook), the leader, and the mode's counters.
 *
 * Directories are str, bytes or os.PathLike (PyUnicode_FSConverter). The calls that read or
 * compact a directory block on file I/O and on the group's compaction lock, so they run with the
 * GIL released. census.shm (census/shm.py) is the documented surface over these functions.
 */
#include "module.h"

/* The file-system bytes of `path` (str, bytes or os.PathLike), or NULL with an exception set. New
 * reference. */
static PyObject *fs_path(PyObject *path) {
  PyObject *bytes = NULL;
  if (!PyUnicode_FSConverter(path, &bytes)) {
    return NULL;
  }
  return bytes;
}

PyDoc_STRVAR(shm_enable_doc, "shm_enable(directory)\n\n"
                             "census_shm_enable(): see census.shm.enable().");
static PyObject *shm_enable(PyObject *self, PyObject *dir) {
  PyObject *bytes = fs_path(dir);
  if (!bytes) {
    return NULL;
  }
  census_py_diagnostics_mark();
  census_status st = census_shm_enable(PyBytes_AS_STRING(bytes));
  Py_DECREF(bytes);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.shm.enable");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(shm_enabled_doc, "shm_enabled() -> bool\n\ncensus_shm_enabled().");
static PyObject *shm_enabled(PyObject *self, PyObject *unused) {
  return PyBool_FromLong(census_shm_enabled());
}

PyDoc_STRVAR(shm_gauge_mode_set_doc,
             "shm_gauge_mode_set(mode)\n\ncensus_shm_gauge_mode_set() with the enum's int.");
static PyObject *shm_gauge_mode_set(PyObject *self, PyObject *mode) {
  long m = PyLong_AsLong(mode);
  if (m == -1 && PyErr_Occurred()) {
    return NULL;
  }
  census_py_diagnostics_mark();
  census_status st = census_shm_gauge_mode_set((census_shm_gauge_mode)m);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.shm.set_gauge_mode");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(shm_view_data_get_all_doc,
             "shm_view_data_get_all(directory) -> list of tuples\n\n"
             "census_shm_view_data_get_all(): the group's merged view, as snapshot tuples\n"
             "(census.stats.view_data reads them). GIL released while it reads.");
static PyObject *shm_view_data_get_all(PyObject *self, PyObject *dir) {
  PyObject *bytes = fs_path(dir);
  if (!bytes) {
    return NULL;
  }
  census_view_data **views;
  size_t count;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(
      st, census_shm_view_data_get_all(PyBytes_AS_STRING(bytes), &views, &count));
  Py_DECREF(bytes);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.shm.view_data");
  }
  PyObject *list = census_py_view_data_list((const census_view_data *const *)views, count);
  census_view_data_free_all(views, count);
  return list;
}

PyDoc_STRVAR(shm_compact_doc, "shm_compact(directory) -> int\n\n"
                              "census_shm_compact(): the number of dead processes' files folded "
                              "into the archive. GIL released.");
static PyObject *shm_compact(PyObject *self, PyObject *dir) {
  PyObject *bytes = fs_path(dir);
  if (!bytes) {
    return NULL;
  }
  size_t n = 0;
  census_status st;
  CENSUS_PY_CALL_WITHOUT_GIL(st, census_shm_compact(PyBytes_AS_STRING(bytes), &n));
  Py_DECREF(bytes);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.shm.compact");
  }
  return PyLong_FromSize_t(n);
}

PyDoc_STRVAR(shm_is_leader_doc, "shm_is_leader() -> bool\n\ncensus_shm_is_leader().");
static PyObject *shm_is_leader(PyObject *self, PyObject *unused) {
  return PyBool_FromLong(census_shm_is_leader());
}

PyDoc_STRVAR(shm_stats_doc, "shm_stats() -> dict\n\n"
                            "census_shm_stats(): files_opened, unshared_cells, "
                            "uncarried_series.");
static PyObject *shm_stats(PyObject *self, PyObject *unused) {
  census_shm_counts c;
  census_shm_stats(&c);
  PyObject *dict = PyDict_New();
  if (!dict) {
    return NULL;
  }
  CENSUS_PY_SET_COUNTER(dict, c, files_opened);
  CENSUS_PY_SET_COUNTER(dict, c, unshared_cells);
  CENSUS_PY_SET_COUNTER(dict, c, uncarried_series);
  return dict;
}

static PyMethodDef shm_methods[] = {
    {"shm_enable", shm_enable, METH_O, shm_enable_doc},
    {"shm_enabled", shm_enabled, METH_NOARGS, shm_enabled_doc},
    {"shm_gauge_mode_set", shm_gauge_mode_set, METH_O, shm_gauge_mode_set_doc},
    {"shm_view_data_get_all", shm_view_data_get_all, METH_O, shm_view_data_get_all_doc},
    {"shm_compact", shm_compact, METH_O, shm_compact_doc},
    {"shm_is_leader", shm_is_leader, METH_NOARGS, shm_is_leader_doc},
    {"shm_stats", shm_stats, METH_NOARGS, shm_stats_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_shm_init(PyObject *module) { return PyModule_AddFunctions(module, shm_methods); }
