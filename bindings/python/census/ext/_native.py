"""The Python face of census's shipped exporters (census._census.NativeExporter).

A shipped exporter exports from the moment it starts, on census's export worker (push
exporters) or on each scrape (Prometheus); registering it with the view manager, as
opencensus-python programs do, is accepted and changes nothing. It keeps running when this object
is dropped: stop() ends it (a final export and delivery, GIL released), and so do
census.shutdown() and the process exit. Thread-safety: stats() is thread-safe; stop() must be the
last call.
"""


class NativeStatsExporter(object):
    """A running census exporter."""

    _census_native = True

    def __init__(self, handle, options=None):
        self._handle = handle
        self.options = options

    def stats(self):
        """The exporter's exact counters (a dict: the C exporter's _stats() fields)."""
        return self._handle.stats()

    def stop(self, timeout=5.0):
        """Stops the exporter after a final export, waiting up to `timeout` seconds."""
        self._handle.stop(timeout)

    @property
    def running(self):
        """False once stopped."""
        return self._handle.running

    def on_register_view(self, view):
        """Nothing to do: census exports every registered view."""

    def export(self, view_datas):
        """Nothing to do: census's exporter exports on its own schedule."""
