/* errors.c - census's status codes as Python exceptions, and the diagnostics line they quote.
 *
 * Every fallible census call returns a census_status; the glue turns an error into one exception
 * class per kind of error (module.h lists them), each a subclass of census.Error and, where one
 * fits, of the built-in class a Python programmer would catch (ValueError, TypeError,
 * TimeoutError, LookupError, OSError). The exception's message quotes the line census reported
 * to its diagnostics callback during the failed call, because that line names what was wrong
 * ("view \"v\" is already registered with another bucket bounds ...") where the status only
 * names the kind.
 *
 * For that the binding installs its own diagnostics callback at import. It keeps the last line
 * in a thread-local buffer (the thread that made the failing call is the thread that reports),
 * and prints every line to stderr as census's default callback does (the first 20, then one
 * note that further ones are suppressed), or hands it to the Python handler set with
 * census.set_diagnostics_handler() (core.c). It runs no Python code itself: census may call it
 * from any thread, with its own locks held, during interpreter finalisation.
 */
#include "module.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static PyObject *error_base;      /* census.Error */
static PyObject *error_invalid;   /* census.InvalidArgumentError (ValueError) */
static PyObject *error_type;      /* census.InvalidTypeError (InvalidArgumentError, TypeError) */
static PyObject *error_timeout;   /* census.TimeoutError (TimeoutError) */
static PyObject *error_shutdown;  /* census.ShutdownError */
static PyObject *error_export;    /* census.ExportError */
static PyObject *error_not_found; /* census.NotFoundError (LookupError) */
static PyObject *error_system;    /* census.SystemCallError (OSError) */

/* The last diagnostic line reported on this thread since census_py_diagnostics_mark(). */
static _Thread_local char last_line[512];

/* Diagnostics printed to stderr by the default sink, as census's own default does. */
#define STDERR_LIMIT 20
static atomic_int stderr_count;

void census_py_diagnostics_mark(void) { last_line[0] = '\0'; }

/* The binding's diagnostics callback: remember the line for an exception raised on this thread,
 * then print it (see the file comment). Any thread, any time; no Python, no census calls. */
static void on_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  snprintf(last_line, sizeof last_line, "%s", message);
  int n = atomic_fetch_add(&stderr_count, 1);
  char line[640];
  int len;
  if (n < STDERR_LIMIT) {
    len = snprintf(line, sizeof line, "census: %s: %s\n", census_status_name(status), message);
  } else if (n == STDERR_LIMIT) {
    len = snprintf(line, sizeof line, "census: further diagnostics suppressed\n");
  } else {
    return;
  }
  if (len > (int)sizeof line - 1) {
    len = (int)sizeof line - 1;
  }
  ssize_t ignored = write(STDERR_FILENO, line, (size_t)len);
  (void)ignored;
}

PyObject *census_py_error_class(census_status status) {
  switch (status) {
  case CENSUS_ENOMEM:
    return PyExc_MemoryError;
  case CENSUS_ETYPE:
    return error_type;
  case CENSUS_EINVAL:
  case CENSUS_EBADNAME:
  case CENSUS_EBADVALUE:
  case CENSUS_ECONFLICT:
  case CENSUS_EBADBOUNDS:
  case CENSUS_ENEGATIVE:
  case CENSUS_ENONFINITE:
  case CENSUS_ECONFIG:
  case CENSUS_EDUPLICATE:
    return error_invalid;
  case CENSUS_ETIMEDOUT:
    return error_timeout;
  case CENSUS_ESHUTDOWN:
    return error_shutdown;
  case CENSUS_EEXPORT:
    return error_export;
  case CENSUS_ENOTFOUND:
    return error_not_found;
  case CENSUS_ESYSTEM:
    return error_system;
  default:
    return error_base;
  }
}

PyObject *census_py_raise(census_status status, const char *what) {
  PyObject *cls = census_py_error_class(status);
  PyObject *message;
  if (last_line[0]) {
    message = PyUnicode_FromFormat("%s: %s (%s)", what, last_line, census_status_name(status));
  } else {
    message = PyUnicode_FromFormat("%s: %s (%s)", what, census_status_str(status),
                                   census_status_name(status));
  }
  last_line[0] = '\0';
  if (!message) {
    return NULL;
  }
  PyObject *exc = PyObject_CallOneArg(cls, message);
  Py_DECREF(message);
  if (!exc) {
    return NULL;
  }
  if (cls != PyExc_MemoryError) {
    PyObject *code = PyLong_FromLong(status);
    PyObject *name = PyUnicode_FromString(census_status_name(status));
    if (!code || !name || PyObject_SetAttrString(exc, "status", code) < 0 ||
        PyObject_SetAttrString(exc, "status_name", name) < 0) {
      Py_XDECREF(code);
      Py_XDECREF(name);
      Py_DECREF(exc);
      return NULL;
    }
    Py_DECREF(code);
    Py_DECREF(name);
  }
  PyErr_SetObject(cls, exc);
  Py_DECREF(exc);
  return NULL;
}

int census_py_raise_int(census_status status, const char *what) {
  census_py_raise(status, what);
  return -1;
}

/* Creates census.<name> with the given bases (a class or a tuple) and adds it to the module. */
static PyObject *new_class(PyObject *module, const char *name, PyObject *bases, const char *doc) {
  char qualified[64];
  snprintf(qualified, sizeof qualified, "census.%s", name);
  PyObject *cls = PyErr_NewExceptionWithDoc(qualified, doc, bases, NULL);
  if (!cls) {
    return NULL;
  }
  if (PyModule_AddObjectRef(module, name, cls) < 0) {
    Py_DECREF(cls);
    return NULL;
  }
  return cls; /* the module holds a reference too; this one lives in the static above */
}

/* Creates the classes, installs the diagnostics callback and adds the status codes as
 * STATUS_<NAME> integers (from census's one status table). */
int census_py_errors_init(PyObject *module) {
  error_base = new_class(module, "Error", PyExc_Exception,
                         "A census call failed. .status is census's status code (a negative "
                         "int), .status_name its name, e.g. 'CENSUS_EBADNAME'.");
  if (!error_base) {
    return -1;
  }
  PyObject *bases;
#define CENSUS_PY_CLASS(var, name, doc, ...)                                                       \
  bases = PyTuple_Pack(__VA_ARGS__);                                                               \
  if (!bases) {                                                                                    \
    return -1;                                                                                     \
  }                                                                                                \
  var = new_class(module, name, bases, doc);                                                       \
  Py_DECREF(bases);                                                                                \
  if (!var) {                                                                                      \
    return -1;                                                                                     \
  }
  CENSUS_PY_CLASS(error_invalid, "InvalidArgumentError",
                  "A name, tag, value, bound or option was refused; the message says which.", 2,
                  error_base, PyExc_ValueError)
  CENSUS_PY_CLASS(error_type, "InvalidTypeError",
                  "A float was given for an int measure (CENSUS_ETYPE).", 2, error_invalid,
                  PyExc_TypeError)
  CENSUS_PY_CLASS(error_timeout, "TimeoutError",
                  "The deadline passed before the work finished; delivery goes on.", 2, error_base,
                  PyExc_TimeoutError)
  CENSUS_PY_CLASS(error_shutdown, "ShutdownError", "census.shutdown() has run.", 1, error_base)
  CENSUS_PY_CLASS(error_export, "ExportError",
                  "An exporter failed or dropped data (its counters say what).", 1, error_base)
  CENSUS_PY_CLASS(error_not_found, "NotFoundError", "No such entry.", 2, error_base,
                  PyExc_LookupError)
  CENSUS_PY_CLASS(error_system, "SystemCallError", "An operating-system call failed.", 2,
                  error_base, PyExc_OSError)
#undef CENSUS_PY_CLASS

#define CENSUS_PY_STATUS_CONST(name, value, message)                                               \
  if (PyModule_AddIntConstant(module, "STATUS_" #name, value) < 0) {                               \
    return -1;                                                                                     \
  }
  CENSUS_STATUS_MAP(CENSUS_PY_STATUS_CONST)
#undef CENSUS_PY_STATUS_CONST

  census_diagnostics_set_callback(on_diagnostic, NULL);
  return 0;
}
