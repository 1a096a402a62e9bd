"""What the server integrations (census.ext.wsgi, census.ext.asgi, census.ext.flask) share: the
server span of a request and OpenCensus's HTTP server views.

The views are OpenCensus's standard HTTP server views (opencensus-specs stats/HTTP.md, as
opencensus-go's ochttp names them), registered the first time a middleware is made:

- ``opencensus.io/http/server/completed_count``: Count of requests;
- ``opencensus.io/http/server/server_latency``: Distribution of the latency in ms (OpenCensus's
  default latency bounds);
both with the columns ``http_server_method``, ``http_server_route``, ``http_server_status``.

The measure is ``opencensus.io/http/server/server_latency`` (ms, float), recorded once per
request when its response has been sent (or its handler raised: status 500). The route is the
framework's route template (Flask's ``url_rule.rule``, or what an application puts in
``environ['census.route']`` / ``scope['route']``), never the raw path, which would make a series
per URL; it is "" when unknown. Thread-safety: thread-safe (census's record path).
"""

import threading

from census.stats import aggregation, measure, stats as stats_module, view
from census.tags import tag_key, tag_map, tag_value
from census.trace import attributes_helper, execution_context, samplers, utils
from census.trace import span as span_module
from census.trace import tracer as tracer_module

HTTP_HOST = attributes_helper.COMMON_ATTRIBUTES['HTTP_HOST']
HTTP_METHOD = attributes_helper.COMMON_ATTRIBUTES['HTTP_METHOD']
HTTP_PATH = attributes_helper.COMMON_ATTRIBUTES['HTTP_PATH']
HTTP_ROUTE = attributes_helper.COMMON_ATTRIBUTES['HTTP_ROUTE']
HTTP_URL = attributes_helper.COMMON_ATTRIBUTES['HTTP_URL']
HTTP_STATUS_CODE = attributes_helper.COMMON_ATTRIBUTES['HTTP_STATUS_CODE']
ERROR_MESSAGE = attributes_helper.COMMON_ATTRIBUTES['ERROR_MESSAGE']
ERROR_NAME = attributes_helper.COMMON_ATTRIBUTES['ERROR_NAME']

SERVER_LATENCY = measure.MeasureFloat(
    'opencensus.io/http/server/server_latency',
    'Time between the first byte of the request and the last byte of the response', 'ms')
KEY_METHOD = tag_key.TagKey('http_server_method')
KEY_ROUTE = tag_key.TagKey('http_server_route')
KEY_STATUS = tag_key.TagKey('http_server_status')
LATENCY_BOUNDS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160,
                  200, 250, 300, 400, 500, 650, 800, 1000, 2000, 5000, 10000, 20000, 50000,
                  100000]
COMPLETED_COUNT_VIEW = view.View(
    'opencensus.io/http/server/completed_count', 'Count of HTTP requests completed, by method, '
    'route and status', [KEY_METHOD, KEY_ROUTE, KEY_STATUS], SERVER_LATENCY,
    aggregation.CountAggregation())
SERVER_LATENCY_VIEW = view.View(
    'opencensus.io/http/server/server_latency', 'Latency distribution of HTTP requests, by '
    'method, route and status', [KEY_METHOD, KEY_ROUTE, KEY_STATUS], SERVER_LATENCY,
    aggregation.DistributionAggregation(LATENCY_BOUNDS))

_views_lock = threading.Lock()
_views_registered = False


def register_views():
    """Registers the two HTTP server views (once per process)."""
    global _views_registered
    with _views_lock:
        if _views_registered:
            return
        manager = stats_module.stats.view_manager
        manager.register_view(COMPLETED_COUNT_VIEW)
        manager.register_view(SERVER_LATENCY_VIEW)
        _views_registered = True


def _tag(value):
    text = str(value)
    text = ''.join(c if 32 <= ord(c) <= 126 else '?' for c in text)[:255]
    return tag_value.TagValue(text)


def record(method, route, status, latency_ms):
    """Records one completed request into the HTTP server views."""
    tags = tag_map.TagMap()
    tags.insert(KEY_METHOD, _tag(method))
    tags.insert(KEY_ROUTE, _tag(route or ''))
    tags.insert(KEY_STATUS, _tag(status))
    mmap = stats_module.stats.stats_recorder.new_measurement_map()
    mmap.measure_float_put(SERVER_LATENCY, max(0.0, latency_ms))
    mmap.record(tags)


class ServerSpan(object):
    """The server span of one request: made from the incoming headers with a new Tracer,
    named ``[METHOD]url`` (opencensus-ext-flask's name), kind SERVER, with the host, method,
    path and url attributes; finish() adds the route and status code, marks 5xx responses and
    exceptions as errors, ends the span and restores the context's previous tracer."""

    def __init__(self, headers, method, url, host, path, sampler, exporter, propagator):
        self._previous_tracer = execution_context.get_opencensus_tracer()
        span_context = propagator.from_headers(headers)
        self.tracer = tracer_module.Tracer(span_context=span_context, sampler=sampler,
                                           exporter=exporter, propagator=propagator)
        self.span = self.tracer.start_span('[{}]{}'.format(method, url))
        self.span.span_kind = span_module.SpanKind.SERVER
        self.span.add_attribute(HTTP_HOST, host)
        self.span.add_attribute(HTTP_METHOD, method)
        self.span.add_attribute(HTTP_PATH, path)
        self.span.add_attribute(HTTP_URL, url)

    def finish(self, status_code, route=None, exception=None):
        """Ends the span (see the class)."""
        if route:
            self.span.add_attribute(HTTP_ROUTE, route)
        if status_code is not None:
            self.span.add_attribute(HTTP_STATUS_CODE, status_code)
        if exception is not None:
            self.span.status = utils.Status.from_exception(exception)
            self.span.add_attribute(ERROR_NAME, type(exception).__name__)
            self.span.add_attribute(ERROR_MESSAGE, str(exception))
        elif status_code is not None and status_code >= 500:
            self.span.status = utils.status_from_http_code(status_code)
        self.span.finish()
        self.tracer.finish()
        execution_context.set_opencensus_tracer(self._previous_tracer)


def default_sampler(sampler):
    """opencensus-ext-flask's default sampler (ProbabilitySampler()) when None."""
    return sampler if sampler is not None else samplers.ProbabilitySampler()
