"""census.ext.wsgi: a WSGI middleware that traces every request and records OpenCensus's HTTP
server views (census.ext._http_server).

    from census.ext.wsgi import WSGIMiddleware
    app.wsgi_app = WSGIMiddleware(app.wsgi_app, sampler=AlwaysOnSampler(), exporter=exporter)

Per request (except paths in `excludelist_paths`, default the health check ``_ah/health``): the
incoming span context is read with `propagator` (default W3C traceparent) from the request's
headers, a Tracer is made (current for the request's code, so its spans and the requests/urllib3
integrations' client spans are children of the server span), and a SERVER span
``[METHOD]url`` records host, method, path, url, route, status code; exceptions and 5xx
responses make its status an error. The span ends, and the request is recorded in the views,
when the server closes the response (after the last byte), or when the application raises.
The route is ``environ['census.route']`` if the application sets it, else "" (never the path).

Thread-safety: one middleware serves any number of threads; each request's tracer and span live
in the context of the thread (or greenlet) that runs it.
"""

import time

from census.ext import _http_server
from census.trace.propagation import trace_context_http_header_format
from census.trace import integrations, utils

__all__ = ['WSGIMiddleware']


class _EnvironHeaders(object):
    """A WSGI environ as a header mapping: get(name) reads HTTP_<NAME> (any case); the server
    has already joined repeated headers with ","."""

    def __init__(self, environ):
        self._environ = environ

    def get(self, name, default=None):
        key = name.upper().replace('-', '_')
        if key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            return self._environ.get(key, default)
        return self._environ.get('HTTP_' + key, default)


def _request_url(environ):
    scheme = environ.get('wsgi.url_scheme', 'http')
    host = environ.get('HTTP_HOST') or '{}:{}'.format(environ.get('SERVER_NAME', ''),
                                                      environ.get('SERVER_PORT', ''))
    path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
    query = environ.get('QUERY_STRING')
    return host, path, '{}://{}{}{}'.format(scheme, host, path, '?' + query if query else '')


class _Response(object):
    """The application's response iterable; close() ends the request's span and records it."""

    def __init__(self, iterable, done):
        self._iterable = iterable
        self._done = done

    def __iter__(self):
        try:
            for chunk in self._iterable:
                yield chunk
        except BaseException as e:
            self._done(e)
            raise

    def close(self):
        try:
            close = getattr(self._iterable, 'close', None)
            if close is not None:
                close()
        finally:
            self._done(None)


class WSGIMiddleware(object):
    """Wraps a WSGI application (see the module). `sampler` defaults to
    ProbabilitySampler() (1e-4, opencensus-ext-flask's default), `exporter` to census's
    default (census.trace.exporters), `propagator` to TraceContextPropagator();
    `record_stats` False turns the HTTP server views off."""

    def __init__(self, app, excludelist_paths=None, sampler=None, exporter=None,
                 propagator=None, record_stats=True):
        self.app = app
        self.excludelist_paths = excludelist_paths
        self.sampler = _http_server.default_sampler(sampler)
        self.exporter = exporter
        self.propagator = propagator or trace_context_http_header_format.TraceContextPropagator()
        self.record_stats = record_stats
        if record_stats:
            _http_server.register_views()
        integrations.add_integration(integrations._Integrations.WSGI)

    def __call__(self, environ, start_response):
        host, path, url = _request_url(environ)
        if utils.disable_tracing_url(url, self.excludelist_paths):
            return self.app(environ, start_response)
        start = time.perf_counter()
        method = environ.get('REQUEST_METHOD', 'GET')
        server = _http_server.ServerSpan(_EnvironHeaders(environ), method, url, host, path,
                                         self.sampler, self.exporter, self.propagator)
        state = {'status': None, 'done': False}

        def traced_start_response(status, headers, exc_info=None):
            try:
                state['status'] = int(status.split(' ', 1)[0])
            except ValueError:
                state['status'] = None
            return start_response(status, headers, exc_info) if exc_info is not None \
                else start_response(status, headers)

        def done(exception):
            if state['done']:
                return
            state['done'] = True
            status = state['status'] if exception is None else (state['status'] or 500)
            route = environ.get('census.route')
            server.finish(status, route, exception)
            if self.record_stats:
                _http_server.record(method, route, status if status is not None else 0,
                                    (time.perf_counter() - start) * 1000.0)

        try:
            iterable = self.app(environ, traced_start_response)
        except BaseException as e:
            done(e)
            raise
        return _Response(iterable, done)
