"""LoggingExporter, as opencensus.trace.logging_exporter: logs each trace of a batch (legacy
JSON dict) at INFO on the root logger, through `handler` (default: a StreamHandler)."""

import logging

from census.common.transports import sync
from census.trace import base_exporter, span_data
from census.trace.file_exporter import _by_trace


class LoggingExporter(base_exporter.Exporter):
    """Logs SpanData (one record per trace of a batch). Adds `handler` to the root logger and
    sets its level to INFO, as opencensus-python does."""

    def __init__(self, handler=None, transport=sync.SyncTransport):
        self.logger = logging.getLogger()
        if handler is None:
            handler = logging.StreamHandler()
        self.handler = handler
        self.logger.addHandler(handler)
        self.logger.setLevel(logging.INFO)
        self.transport = transport(self)

    def emit(self, span_datas):
        """logger.info(legacy JSON trace) per trace of the batch."""
        for trace in _by_trace(span_datas):
            self.logger.info(span_data.format_legacy_trace_json(trace))

    def export(self, span_datas):
        """Through the transport to emit()."""
        self.transport.export(span_datas)
