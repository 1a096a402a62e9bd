"""census: the OpenCensus Python API on census's C core.

Port an opencensus-python program by changing its import prefix ``opencensus`` to ``census``:
``census.stats``, ``census.tags``, ``census.trace`` and ``census.ext`` mirror opencensus-python's
modules, names, argument orders and defaults (docs/python.md lists the differences census keeps
on purpose). Like ``opencensus``, ``census`` is a pkgutil-style namespace package, so separately
installed ``census.ext.*`` packages join it.

The library-wide calls live here: :func:`flush`, :func:`shutdown`, :func:`set_export_interval`,
:func:`export_interval`, :func:`version`, :func:`set_exit_flush_timeout`,
:func:`enable_signal_flush` (opt-in SIGTERM flush), and the exception classes (:class:`Error`
and its subclasses). All of them are thread-safe.
"""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from census._census import (  # noqa: E402  (after the namespace line, as opencensus has it)
    Error,
    ExportError,
    InvalidArgumentError,
    InvalidTypeError,
    NotFoundError,
    ShutdownError,
    SystemCallError,
    TimeoutError,
    export_interval,
    flush,
    set_exit_flush_timeout,
    set_export_interval,
    shutdown,
    version,
)
from census._lifecycle import _register, enable_signal_flush  # noqa: E402

__version__ = "0.1.0"

_register()

__all__ = [
    "Error", "ExportError", "InvalidArgumentError", "InvalidTypeError", "NotFoundError",
    "ShutdownError", "SystemCallError", "TimeoutError", "enable_signal_flush", "export_interval",
    "flush", "set_exit_flush_timeout", "set_export_interval", "shutdown", "version",
]
