"""PrintExporter, as opencensus.trace.print_exporter: prints each batch of SpanData."""

from census.common.transports import sync
from census.trace import base_exporter


class PrintExporter(base_exporter.Exporter):
    """Prints the list of SpanData of each batch (print(), on census's export worker)."""

    def __init__(self, transport=sync.SyncTransport):
        self.transport = transport(self)

    def emit(self, span_datas):
        """print(span_datas)."""
        print(span_datas)

    def export(self, span_datas):
        """Through the transport to emit()."""
        self.transport.export(span_datas)
