"""The Prometheus stats exporter, as opencensus.ext.prometheus.stats_exporter, on census's C
/metrics endpoint (docs/exporters/prometheus.md).

``new_stats_exporter(option)`` serves every registered view on ``http://<address>:<port>/metrics``
with names ``<namespace>_<view name>`` (sanitised), columns as labels, as
opencensus-ext-prometheus. Differences (docs/python.md): the endpoint is census's own server,
not prometheus_client's (``registry`` is not used), it serves every view from the start rather
than after the first record, each family appears once (opencensus-ext-prometheus repeats HELP
and TYPE per series), names carry the unit as a suffix and counters end in ``_total``
(OpenTelemetry's rules: a Sum is a counter, not untyped), buckets are upper-inclusive.

Thread-safety: start and stop may be called from any thread; they release the GIL.
"""

from census import _census
from census.ext._native import NativeStatsExporter

__all__ = ["CONTENT_TYPE_LATEST", "CONTENT_TYPE_OPENMETRICS", "Options",
           "PrometheusStatsExporter", "new_stats_exporter", "render"]

#: The Content-Type of :func:`render`'s text, and of its OpenMetrics text.
CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"
CONTENT_TYPE_OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class Options(object):
    """Options of the Prometheus exporter.

    :param namespace: the prefix of every metric name (must not be "")
    :param port: the port to listen on (default 8000, as opencensus-ext-prometheus; 0: census's
        default 9464)
    :param address: the address to listen on ("": every interface, as prometheus_client's
        start_http_server; census's C default is loopback only)
    :param registry: accepted for compatibility; census serves its own endpoint
    :param census_options: census's own options: const_labels (dict), base_units, any_port
        (let the kernel choose: tests), max_connections, timeout_s
    """

    def __init__(self, namespace="", port=8000, address="", registry=None, **census_options):
        self._namespace = namespace
        self._port = port
        self._address = address
        self._registry = registry
        self.census_options = census_options

    @property
    def namespace(self):
        """The metric name prefix."""
        return self._namespace

    @property
    def port(self):
        """The port."""
        return self._port

    @property
    def address(self):
        """The address."""
        return self._address

    @property
    def registry(self):
        """As given (unused)."""
        return self._registry


class PrometheusStatsExporter(NativeStatsExporter):
    """A running /metrics endpoint; ``port`` is the port it listens on."""

    @property
    def port(self):
        """The port the server listens on."""
        return self._handle.port


def new_stats_exporter(option):
    """Starts census's /metrics endpoint for `option` (an Options) and returns it.

    :raises ValueError: an empty namespace (as opencensus-ext-prometheus)
    :raises census.SystemCallError: the address is in use or cannot be bound
    """
    if option.namespace == "":
        raise ValueError("Namespace can not be empty string.")
    c = dict(option.census_options)
    c["name_prefix"] = option.namespace
    c["address"] = option.address or "0.0.0.0"
    c["port"] = option.port
    return PrometheusStatsExporter(_census.prometheus_start(**c), option)


def render(namespace="", openmetrics=False, const_labels=None, base_units=False):
    """Every view as the text census's /metrics endpoint serves (Prometheus text 0.0.4, or
    OpenMetrics 1.0 with ``openmetrics=True``; send it with :data:`CONTENT_TYPE_LATEST` or
    :data:`CONTENT_TYPE_OPENMETRICS`), for an application that serves /metrics from its own web
    framework (a Flask or Django route) rather than from census's server on a port of its own.
    Names are ``<namespace>_<view name>`` as the exporter's. In shared-memory mode
    (:mod:`census.shm`) it is the group's merged view, so under gunicorn the worker a scrape
    reaches answers for every worker. The GIL is released while census collects. Thread-safe.

    :raises census.InvalidArgumentError: a bad constant label name
    :raises census.ShutdownError: after census.shutdown()
    """
    return _census.prometheus_render(name_prefix=namespace or None, openmetrics=openmetrics,
                                     const_labels=const_labels, base_units=base_units)
