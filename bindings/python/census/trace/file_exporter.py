"""FileExporter, as opencensus.trace.file_exporter: writes spans to a file in
opencensus-python's legacy JSON trace form.

census hands exporters batches that may hold several traces; each trace of a batch is written
as its own JSON object ({"traceId": ..., "spans": [...]}), opening the file with `file_mode`
each time, so with the default 'w+' the file holds the last trace written (opencensus-python,
which exports span by span, left the last span), and with 'a' every trace, one JSON object after
another.
"""

import json

from census.common.transports import sync
from census.trace import base_exporter, span_data

DEFAULT_FILENAME = 'opencensus-traces.json'


def _by_trace(span_datas):
    traces = {}
    for sd in span_datas:
        traces.setdefault(sd.context.trace_id if sd.context else None, []).append(sd)
    return list(traces.values())


class FileExporter(base_exporter.Exporter):
    """Writes SpanData to `file_name` (see the module)."""

    def __init__(self, file_name=DEFAULT_FILENAME, transport=sync.SyncTransport, file_mode='w+'):
        self.file_name = file_name
        self.transport = transport(self)
        self.file_mode = file_mode

    def emit(self, span_datas):
        """Writes one legacy JSON trace per trace of the batch."""
        for trace in _by_trace(span_datas):
            with open(self.file_name, self.file_mode) as file:
                file.write(json.dumps(span_data.format_legacy_trace_json(trace)))

    def export(self, span_datas):
        """Through the transport to emit()."""
        self.transport.export(span_datas)
