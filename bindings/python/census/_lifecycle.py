"""The interpreter's side of census's lifecycle (lifecycle.c has the C side).

- At interpreter exit, census._census._at_exit runs from the atexit module, before the
  interpreter finalises: every exporter written in Python gets a final export of everything
  recorded so far, then census's threads stop entering Python. census's own flush at exit (the
  C library's) then delivers to the shipped exporters after finalisation, bounded by
  set_exit_flush_timeout(). atexit does not run on os._exit(), an unhandled signal or a fatal
  error; enable_signal_flush() covers SIGTERM.
- After os.fork() the child gets a working census (census's fork handlers give it its own export
  worker and fresh series; the binding forgets the parent's callers in flight).
"""

import atexit
import os
import signal
import threading

from census import _census

_installed = {}
_lock = threading.Lock()


def _register():
    atexit.register(_census._at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_census._after_fork_child)


def enable_signal_flush(signals=(signal.SIGTERM,)):
    """Flush everything before a signal ends the process (opt-in; signals belong to the
    application). For each signal in `signals` (default SIGTERM) a Python handler is installed
    that runs census.flush() within the exit flush timeout (GIL released, so exporters written
    in Python deliver too), then gives the signal its previous effect: the previous Python
    handler is called, or the default action ends the process by that signal as it would have
    without census. A signal that is ignored stays ignored and is not hooked. Must be called
    from the main thread (Python's rule for signal.signal); a handler set later with
    signal.signal replaces census's. Returns the signals hooked."""
    hooked = []
    with _lock:
        for signum in signals:
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN or signum in _installed:
                continue
            signal.signal(signum, _handler)
            _installed[signum] = previous
            hooked.append(signum)
    return hooked


def _handler(signum, frame):
    """Flush, then the signal's previous effect (see enable_signal_flush)."""
    _census._signal_flush()
    with _lock:
        previous = _installed.pop(signum, signal.SIG_DFL)
    if callable(previous):
        signal.signal(signum, previous)
        previous(signum, frame)
        return
    signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
    os.kill(os.getpid(), signum)
