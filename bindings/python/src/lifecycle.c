/* lifecycle.c - census's threads and the interpreter's life: the way into Python from census's
 * threads, the flush at interpreter exit, the SIGTERM flush, fork.
 *
 * Why it is needed: census's export worker (and the threads of a flush) call exporters written in
 * Python, so they take the GIL. On CPython 3.11 a thread that takes the GIL once the interpreter
 * is finalising is ended with pthread_exit on the spot, holding census's locks; and census's own
 * flush at exit (a C atexit handler) runs after the interpreter has finalised. So the binding:
 *   - enters Python only through census_py_gil_acquire(), which counts the callers in flight and
 *     says no once Python is detached;
 *   - at interpreter exit (census._census._at_exit, which census/__init__.py registers with the
 *     atexit module: it runs before finalisation, while other threads can still take the GIL)
 *     retires every exporter written in Python: each one's census unregistration makes a final
 *     export of everything recorded so far to it and calls its flush and shutdown; then it
 *     detaches Python and waits for the callers in flight. The shipped C exporters are left to
 *     census's own flush at exit, which follows (after finalisation: it needs no Python), with
 *     its exit deadline and its counting of what the deadline leaves, so each exporter gets one
 *     final export, not two;
 *   - on the opt-in SIGTERM flush (census/lifecycle.py installs a Python signal handler, which
 *     runs in the main thread between bytecodes), runs census_flush() with the GIL released, so
 *     every exporter, Python ones included, delivers before the signal takes its previous effect;
 *   - after fork() in the child (os.register_at_fork), forgets the callers in flight of the
 *     parent's threads, which the child does not have. census's own fork handlers give the child
 *     its worker and fresh series.
 * The GIL is released around every census call here that waits.
 */
#include "module.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int detached;  /* Python may no longer be entered from census's threads */
static atomic_int in_flight; /* callers between census_py_gil_acquire() and _release() */

/* The exit list: what to retire at interpreter exit, in registration order. */
struct exit_entry {
  census_status (*retire)(void *user, int64_t timeout_ms);
  void *user;
};
static pthread_mutex_t exit_mu = PTHREAD_MUTEX_INITIALIZER;
static struct exit_entry *exit_list;
static size_t exit_count, exit_capacity;

/* The binding's copy of the exit flush timeout (census has a setter only). */
static _Atomic int64_t exit_timeout_ms = 5000;

static int interpreter_finalizing(void) {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

int census_py_gil_acquire(PyGILState_STATE *state) {
  atomic_fetch_add(&in_flight, 1);
  /* detached is set before the interpreter finalises, and the exit hook waits for in_flight, so
   * a caller that gets past this check takes the GIL before finalisation starts. The second test
   * is a safety net for an exit that skipped the hook (an embedding that never ran atexit). */
  if (atomic_load(&detached) || interpreter_finalizing()) {
    atomic_fetch_sub(&in_flight, 1);
    return 0;
  }
  *state = PyGILState_Ensure();
  return 1;
}

void census_py_gil_release(PyGILState_STATE state) {
  PyGILState_Release(state);
  atomic_fetch_sub(&in_flight, 1);
}

int census_py_exit_add(census_status (*retire)(void *user, int64_t timeout_ms), void *user) {
  pthread_mutex_lock(&exit_mu);
  if (exit_count == exit_capacity) {
    size_t capacity = exit_capacity ? 2 * exit_capacity : 8;
    struct exit_entry *grown = realloc(exit_list, capacity * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&exit_mu);
      PyErr_NoMemory();
      return -1;
    }
    exit_list = grown;
    exit_capacity = capacity;
  }
  exit_list[exit_count++] = (struct exit_entry){retire, user};
  pthread_mutex_unlock(&exit_mu);
  return 0;
}

void census_py_exit_remove(void *user) {
  pthread_mutex_lock(&exit_mu);
  for (size_t i = 0; i < exit_count; i++) {
    if (exit_list[i].user == user) {
      memmove(&exit_list[i], &exit_list[i + 1], (exit_count - i - 1) * sizeof *exit_list);
      exit_count--;
      break;
    }
  }
  pthread_mutex_unlock(&exit_mu);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Retires every exporter on the exit list, oldest first, within timeout_ms in total. Runs without
 * the GIL (each retirement's final export takes it). Entries are taken out first: a retirement
 * ends in the exporter's shutdown, which removes its own entry. */
static census_status retire_all(int64_t timeout_ms) {
  pthread_mutex_lock(&exit_mu);
  struct exit_entry *list = exit_list;
  size_t count = exit_count;
  exit_list = NULL;
  exit_count = exit_capacity = 0;
  pthread_mutex_unlock(&exit_mu);
  int64_t deadline = now_ms() + timeout_ms;
  census_status status = CENSUS_OK;
  for (size_t i = 0; i < count; i++) {
    int64_t left = deadline - now_ms();
    census_status st = list[i].retire(list[i].user, left > 0 ? left : 0);
    if (st != CENSUS_OK && st != CENSUS_ENOTFOUND && st != CENSUS_ESHUTDOWN &&
        status == CENSUS_OK) {
      status = st;
    }
  }
  free(list);
  return status;
}

PyDoc_STRVAR(at_exit_doc,
             "_at_exit()\n\nThe interpreter-exit hook (registered with atexit by census): "
             "retires the exporters written in Python (a final export to each), then detaches "
             "Python from census's threads. Idempotent.");
static PyObject *at_exit(PyObject *self, PyObject *unused) {
  if (atomic_load(&detached)) {
    Py_RETURN_NONE;
  }
  int64_t timeout = atomic_load(&exit_timeout_ms);
  int64_t start = now_ms();
  census_status st;
  PyThreadState *ts = PyEval_SaveThread();
  st = retire_all(timeout);
  atomic_store(&detached, 1);
  /* Wait (GIL released, so they can finish) for census threads already inside Python. */
  while (atomic_load(&in_flight) > 0 && now_ms() - start < timeout + 1000) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  PyEval_RestoreThread(ts);
  if (st != CENSUS_OK) {
    census_diagnostics_report(st, "python exit: an exporter written in Python did not take or "
                                  "deliver everything in its final export");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(signal_flush_doc,
             "_signal_flush()\n\nThe SIGTERM flush: census.flush() within the exit flush "
             "timeout, GIL released. Returns census's status (0: everything delivered).");
static PyObject *signal_flush(PyObject *self, PyObject *unused) {
  census_status st;
  int64_t timeout = atomic_load(&exit_timeout_ms);
  PyThreadState *ts = PyEval_SaveThread();
  st = census_flush(timeout);
  PyEval_RestoreThread(ts);
  if (st != CENSUS_OK && st != CENSUS_ESHUTDOWN) {
    census_diagnostics_report(st, "signal flush: not everything was delivered before the exit "
                                  "flush timeout (the exporters' counters say what)");
  }
  return PyLong_FromLong(st);
}

PyDoc_STRVAR(after_fork_child_doc,
             "_after_fork_child()\n\nFor os.register_at_fork(after_in_child=...): the child has "
             "none of the parent's threads that were inside Python.");
static PyObject *after_fork_child(PyObject *self, PyObject *unused) {
  atomic_store(&in_flight, 0);
  Py_RETURN_NONE;
}

PyDoc_STRVAR(set_exit_flush_timeout_doc,
             "set_exit_flush_timeout(seconds)\n\nThe time the flush at exit and on SIGTERM may "
             "take (default 5.0): the exporters written in Python share it at interpreter exit, "
             "then census's own exit flush gets it again for the C exporters. Thread-safe.");
static PyObject *set_exit_flush_timeout(PyObject *self, PyObject *seconds) {
  int64_t ms;
  if (seconds == Py_None) {
    PyErr_SetString(PyExc_ValueError, "the exit flush timeout must be a number of seconds");
    return NULL;
  }
  if (census_py_timeout_ms(seconds, &ms) < 0) {
    return NULL;
  }
  census_status st = census_exit_flush_set_timeout_ms(ms);
  if (st != CENSUS_OK) {
    return census_py_raise(st, "census.set_exit_flush_timeout");
  }
  atomic_store(&exit_timeout_ms, ms);
  Py_RETURN_NONE;
}

static PyMethodDef lifecycle_methods[] = {
    {"_at_exit", at_exit, METH_NOARGS, at_exit_doc},
    {"_signal_flush", signal_flush, METH_NOARGS, signal_flush_doc},
    {"_after_fork_child", after_fork_child, METH_NOARGS, after_fork_child_doc},
    {"set_exit_flush_timeout", set_exit_flush_timeout, METH_O, set_exit_flush_timeout_doc},
    {NULL, NULL, 0, NULL},
};

int census_py_lifecycle_init(PyObject *module) {
  return PyModule_AddFunctions(module, lifecycle_methods);
}
