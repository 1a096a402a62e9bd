"""FlaskMiddleware, as opencensus.ext.flask.flask_middleware: traces every request of a Flask
app, and (census's addition) records OpenCensus's HTTP server views with Flask's route.

``FlaskMiddleware(app=None, excludelist_paths=None, sampler=None, exporter=None,
propagator=None)`` or ``init_app(app)``. Arguments not given come from
``app.config['OPENCENSUS']['TRACE']``: ``SAMPLER``, ``EXPORTER``, ``PROPAGATOR`` (objects, or
strings evaluated by census.common.configuration.load, where ``opencensus.`` names mean
``census.``), ``EXCLUDELIST_PATHS``, ``EXCLUDELIST_HOSTNAMES``; then opencensus-ext-flask's
defaults (ProbabilitySampler(), PrintExporter, TraceContextPropagator). The span is made in
before_request (a SERVER span ``[METHOD]url`` with host, method, path, url), gets the route and
status code in after_request, and ends in teardown_request (an exception makes its status
UNKNOWN with error.name, error.message and stacktrace attributes). Each request is recorded in
``opencensus.io/http/server/completed_count`` and ``.../server_latency`` with
``http_server_route`` = ``url_rule.rule``; ``record_stats=False`` turns that off.

Thread-safety: one middleware serves every thread of the app; each request lives in its own
context.
"""

import logging
import sys
import time
import traceback

import flask

from census.common import configuration
from census.ext import _http_server
from census.trace import attributes_helper, execution_context, integrations, print_exporter
from census.trace import stack_trace, utils
from census.trace.propagation import trace_context_http_header_format

STACKTRACE = attributes_helper.COMMON_ATTRIBUTES['STACKTRACE']
EXCLUDELIST_PATHS = 'EXCLUDELIST_PATHS'
EXCLUDELIST_HOSTNAMES = 'EXCLUDELIST_HOSTNAMES'

log = logging.getLogger(__name__)

_G_KEY = '_census_request'


class FlaskMiddleware(object):
    """See the module."""

    def __init__(self, app=None, excludelist_paths=None, sampler=None, exporter=None,
                 propagator=None, record_stats=True):
        self.app = app
        self.excludelist_paths = excludelist_paths
        self.sampler = sampler
        self.exporter = exporter
        self.propagator = propagator
        self.record_stats = record_stats
        if self.app is not None:
            self.init_app(app)

    def init_app(self, app):
        """Reads the configuration and adds the request hooks to `app`."""
        self.app = app
        settings = self.app.config.get('OPENCENSUS', {}).get('TRACE', {})
        if self.sampler is None:
            self.sampler = _load(settings.get('SAMPLER')) or _http_server.default_sampler(None)
        if self.exporter is None:
            self.exporter = _load(settings.get('EXPORTER')) or print_exporter.PrintExporter()
        if self.propagator is None:
            self.propagator = _load(settings.get('PROPAGATOR')) or \
                trace_context_http_header_format.TraceContextPropagator()
        self.excludelist_paths = settings.get(EXCLUDELIST_PATHS, self.excludelist_paths)
        self.excludelist_hostnames = settings.get(EXCLUDELIST_HOSTNAMES, None)
        if self.record_stats:
            _http_server.register_views()
        self.setup_trace()
        integrations.add_integration(integrations._Integrations.FLASK)

    def setup_trace(self):
        """Adds before_request, after_request and teardown_request hooks."""
        self.app.before_request(self._before_request)
        self.app.after_request(self._after_request)
        self.app.teardown_request(self._teardown_request)

    def _before_request(self):
        if utils.disable_tracing_url(flask.request.url, self.excludelist_paths):
            return
        try:
            request = flask.request
            server = _http_server.ServerSpan(
                request.headers, request.method, request.url, request.host, request.path,
                self.sampler, self.exporter, self.propagator)
            setattr(flask.g, _G_KEY, {'server': server, 'start': time.perf_counter(),
                                      'status': None})
            execution_context.set_opencensus_attr('excludelist_hostnames',
                                                  self.excludelist_hostnames)
        except Exception:  # pragma: NO COVER
            log.error('Failed to trace request', exc_info=True)

    def _after_request(self, response):
        state = getattr(flask.g, _G_KEY, None)
        if state is not None:
            state['status'] = response.status_code
        return response

    def _teardown_request(self, exception):
        state = getattr(flask.g, _G_KEY, None)
        if state is None:
            return
        try:
            setattr(flask.g, _G_KEY, None)
            server = state['server']
            rule = flask.request.url_rule
            route = rule.rule if rule is not None else None
            status = state['status'] if exception is None else (state['status'] or 500)
            if exception is not None:
                tb = getattr(exception, '__traceback__', None) or sys.exc_info()[2]
                if tb is not None:
                    server.span.stack_trace = stack_trace.StackTrace.from_traceback(tb)
                    server.span.add_attribute(STACKTRACE, '\n'.join(traceback.format_tb(tb)))
            server.finish(status, route, exception)
            if self.record_stats:
                _http_server.record(flask.request.method, route,
                                    status if status is not None else 0,
                                    (time.perf_counter() - state['start']) * 1000.0)
        except Exception:  # pragma: NO COVER
            log.error('Failed to trace request', exc_info=True)


def _load(value):
    if isinstance(value, str):
        return configuration.load(value)
    return value
