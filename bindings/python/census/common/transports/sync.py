"""SyncTransport: calls the exporter's emit() in the calling thread (census's export worker for
spans and views), as opencensus.common.transports.sync."""

from census.common.transports import base


class SyncTransport(base.Transport):
    """Calls ``exporter.emit(datas)`` directly. Thread-safety: as the exporter's emit()."""

    def __init__(self, exporter):
        self.exporter = exporter

    def export(self, datas):
        """Emits `datas` now."""
        self.exporter.emit(datas)
