"""The OTLP stats exporter: every view as OTLP metrics over HTTP (protobuf or JSON), on census's
C exporter (docs/exporters/otlp.md). The signature follows opencensus.ext.ocagent's
``stats_exporter.new_stats_exporter(service_name, hostname=None, endpoint=None, interval=None)``;
census's own options (headers, protocol, compression, timeout, resource_attributes, spool_dir,
...) are keyword arguments, and unset ones come from the OTEL_EXPORTER_OTLP_* environment.

Thread-safety: start and stop may be called from any thread; they release the GIL.
"""

import census
from census import _census
from census.ext._native import NativeStatsExporter

__all__ = ["OTLPStatsExporter", "new_stats_exporter"]

SIGNAL_METRICS = 1
SIGNAL_TRACES = 2


class OTLPStatsExporter(NativeStatsExporter):
    """A running OTLP metrics exporter; stats() has its 'metrics' counters."""


def new_stats_exporter(service_name=None, hostname=None, endpoint=None, interval=None,
                       **census_options):
    """Starts census's OTLP exporter for metrics and returns it.

    :param service_name: service.name (None: OTEL_SERVICE_NAME, else unknown_service:<exe>)
    :param hostname: host.name resource attribute (None: not set)
    :param endpoint: base URL, e.g. "http://localhost:4318" (/v1/metrics is appended)
    :param interval: seconds between exports (process-wide; None: keep census's)
    """
    if interval is not None:
        census.set_export_interval(interval)
    c = dict(census_options)
    c.setdefault("signals", SIGNAL_METRICS)
    if service_name is not None:
        c["service_name"] = service_name
    if endpoint is not None:
        c["endpoint"] = endpoint
    if hostname is not None:
        attributes = dict(c.get("resource_attributes") or {})
        attributes.setdefault("host.name", hostname)
        c["resource_attributes"] = attributes
    return OTLPStatsExporter(_census.otlp_start(**c), c)
