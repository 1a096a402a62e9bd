"""ViewManager, as opencensus.stats.view_manager: registers views and exporters, reads view
data.

census's view manager is process-wide (census's C core holds the registered views): every
ViewManager() sees the same views, whatever thread or context made it (in opencensus-python a
ViewManager made in another context gets a separate, empty map). The methods are thread-safe;
those that wait for census (register_view, get_view, exporter registration) release the GIL.

Exporters: the shipped ones (census.ext.*.stats_exporter) export from the moment they start;
register_exporter() keeps them as opencensus-python programs expect and does nothing else. An
exporter written in Python (an object with ``export(view_datas)``, e.g. a subclass of
census.stats.base_exporter.StatsExporter) is registered with census's export worker: it
receives the ViewData of every view (census's self-metrics ``census/...`` included) every export
interval (default 60 s, census.set_export_interval), on census.flush() and at interpreter exit,
not on every record as in opencensus-python. An exception in export() is reported, counted and
does not stop later exports.
"""

import threading

from census import _census
from census.common import utils
from census.stats import view_data as view_data_module

__all__ = ["ViewManager", "MeasureToViewMap"]

_lock = threading.Lock()
_registered_views = {}  # name -> View, every view registered through census.stats
_exporters = []         # (exporter, bridge or None), in registration order


def _exporter_name(exporter):
    return getattr(exporter, "_census_name", None) or "python " + type(exporter).__name__


class MeasureToViewMap(object):
    """The process-wide registry behind every ViewManager (opencensus-python's attribute
    ``measure_to_view_map``): the registered views and exporters."""

    @property
    def exported_views(self):
        """The set of registered views."""
        with _lock:
            return set(_registered_views.values())

    @property
    def exporters(self):
        """The registered exporters, in registration order (a copy)."""
        with _lock:
            return [e for e, _ in _exporters]

    def get_view(self, view_name, timestamp=None):
        """The ViewData of the view `view_name`, or None."""
        snapshot = _census.view_data_get(view_name)
        if snapshot is None:
            return None
        with _lock:
            registered = dict(_registered_views)
        return view_data_module._from_snapshot(snapshot, registered)

    def register_view(self, view, timestamp=None):
        """Registers `view` with census (see ViewManager.register_view)."""
        with _lock:
            if _registered_views.get(view.name) is view:
                return
            exporters = [e for e, _ in _exporters]
        for exporter in exporters:
            try:
                exporter.on_register_view(view)
            except (AttributeError, NotImplementedError):
                pass
        aggregation = view.aggregation
        kind = getattr(aggregation, "_census_kind", None)
        if kind is None:
            raise TypeError("view {!r}: the aggregation must be one of census.stats.aggregation's"
                            " classes, not {}".format(view.name, type(aggregation).__name__))
        bounds = getattr(aggregation, "boundaries", None) or []
        description = view.description if view.description is not None else ""
        _census.view_register(view.name, description, view.measure, list(view.columns), kind,
                              bounds)
        with _lock:
            _registered_views.setdefault(view.name, view)


_map = MeasureToViewMap()


class ViewManager(object):
    """Registers views and exporters and reads view data (process-wide: see the module)."""

    def __init__(self):
        self.time = utils.to_iso_str()

    @property
    def measure_to_view_map(self):
        """The process-wide MeasureToViewMap."""
        return _map

    def register_view(self, view):
        """Registers `view`: census starts collecting it now (its start time). Registering the
        same view again does nothing; a different view under a registered name raises
        census.InvalidArgumentError naming the field that differs (opencensus-python only
        logs a warning). The GIL is released while census registers it."""
        _map.register_view(view)

    def get_view(self, view_name):
        """A ViewData snapshot of everything recorded so far into the view `view_name` (also
        census's own views, ``census/...``), or None if there is no such view."""
        return _map.get_view(view_name)

    def get_all_exported_views(self):
        """The set of views registered through census.stats."""
        return _map.exported_views

    def register_exporter(self, exporter):
        """Registers an exporter (see the module). Registering one twice does nothing."""
        with _lock:
            if any(e is exporter for e, _ in _exporters):
                return
        bridge = None
        if not getattr(exporter, "_census_native", False):
            bridge = _census.register_python_exporter(exporter, _exporter_name(exporter))
        with _lock:
            _exporters.append((exporter, bridge))

    def unregister_exporter(self, exporter):
        """Unregisters an exporter written in Python after a final export to it (a shipped
        exporter keeps running until its stop()). ValueError if it was not registered, as
        list.remove in opencensus-python."""
        with _lock:
            for i, (e, bridge) in enumerate(_exporters):
                if e is exporter:
                    del _exporters[i]
                    break
            else:
                raise ValueError("exporter is not registered")
        if bridge is not None:
            bridge.unregister()
