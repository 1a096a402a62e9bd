"""TraceExporter: spans as OTLP over HTTP (protobuf or JSON) on census's C OTLP exporter
(docs/exporters/otlp.md), the successor of opencensus.ext.ocagent.trace_exporter (OpenTelemetry
collectors take OTLP; the OpenCensus agent protocol is gone).

``TraceExporter(service_name=None, host_name=None, endpoint=None, client=None,
transport=SyncTransport, **census_options)``: `endpoint` is the OTLP/HTTP base URL (e.g.
"http://localhost:4318"; /v1/traces is appended; None: OTEL_EXPORTER_OTLP_ENDPOINT, else
localhost:4318), `service_name` the resource's service.name, `host_name` its host.name;
`client` must be None and `transport` is unused. census's options (traces_endpoint, protocol,
headers, timeout, compression, resource_attributes, max_elapsed, spool_dir) are keyword
arguments. See census.ext._native_trace for how it joins census's span pipeline.
"""

from census import _census
from census.common.transports.sync import SyncTransport
from census.ext._native_trace import NativeTraceExporter

SIGNAL_TRACES = 2

__all__ = ['TraceExporter']


class TraceExporter(NativeTraceExporter):
    """See the module."""

    def __init__(self, service_name=None, host_name=None, endpoint=None, client=None,
                 transport=SyncTransport, **census_options):
        if client is not None:
            raise ValueError('census sends OTLP with its own client; client must be None')
        NativeTraceExporter.__init__(self)
        self.service_name = service_name
        self.host_name = host_name
        self.endpoint = endpoint
        self.transport = transport(self)
        self.census_options = census_options

    def _start(self):
        options = dict(self.census_options)
        options['signals'] = SIGNAL_TRACES
        if self.service_name is not None:
            options['service_name'] = self.service_name
        if self.endpoint is not None:
            options['endpoint'] = self.endpoint
        if self.host_name is not None:
            attributes = dict(options.get('resource_attributes') or {})
            attributes.setdefault('host.name', self.host_name)
            options['resource_attributes'] = attributes
        return _census.otlp_start(**options)

    def stats(self):
        """The exporter's 'traces' delivery counters (a dict), or None before start."""
        stats = NativeTraceExporter.stats(self)
        return stats.get('traces', stats) if isinstance(stats, dict) else stats
