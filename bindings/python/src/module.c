/* module.c - census._census: creates the module and initialises its parts in order.
 *
 * Each part (module.h) adds its own types and functions; the order matters only in that
 * "errors" comes first, since every other part raises its exceptions. A part that fails leaves
 * its exception set and the import fails with it.
 */
#include "module.h"

static const struct part {
  const char *name;
  int (*init)(PyObject *module);
} parts[] = {
    {"errors", census_py_errors_init},
    {"core", census_py_core_init},
    {"tags", census_py_tags_init},
    {"stats", census_py_stats_init},
    {"exporters", census_py_exporters_init},
    {"lifecycle", census_py_lifecycle_init},
    {"trace", census_py_trace_init},
    {"propagation", census_py_propagation_init},
    {"shm", census_py_shm_init},
};

static struct PyModuleDef census_module = {
    PyModuleDef_HEAD_INIT, .m_name = "census._census",
    .m_doc = "census's C core (stats, tags, tracing, exporters) for the census package; use the "
             "census.* modules, which mirror opencensus-python's.",
    .m_size = -1, /* process-wide state: one census per process */
};

PyMODINIT_FUNC PyInit__census(void) {
  PyObject *module = PyModule_Create(&census_module);
  if (!module) {
    return NULL;
  }
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    if (parts[i].init(module) < 0) {
      if (!PyErr_Occurred()) {
        PyErr_Format(PyExc_ImportError, "census._census: part %s failed", parts[i].name);
      }
      Py_DECREF(module);
      return NULL;
    }
  }
  return module;
}
