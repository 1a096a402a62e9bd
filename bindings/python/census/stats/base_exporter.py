"""StatsExporter, as opencensus.stats.base_exporter: the base of stats exporters written in
Python.

Subclass it and implement ``export(view_datas)`` (opencensus-python's recorder calls
``export``; its base class names ``emit``, which census's default ``export`` calls). Register
the exporter with ``stats.view_manager.register_exporter(exporter)``. census calls ``export``
on its export worker thread every export interval, in the calling thread on census.flush(), and
in the main thread at interpreter exit, with the ViewData of every view, holding the GIL for
that call only. An exception raised by it is reported on census's diagnostics channel, counted,
and does not stop later exports; the next export carries the same cumulative data. ``export``
must not call census.flush() or census.shutdown() (they wait for the export that is calling
them).
"""

__all__ = ["StatsExporter"]


class StatsExporter(object):
    """Base class of stats exporters written in Python."""

    def on_register_view(self, view):
        """Called when a view is registered while this exporter is registered (optional)."""

    def emit(self, view_datas):
        """Sends `view_datas` (a list of ViewData); override this or export()."""
        raise NotImplementedError

    def export(self, view_datas):
        """What census calls; by default emit(view_datas)."""
        self.emit(view_datas)
