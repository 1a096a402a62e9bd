"""census.ext.asgi: an ASGI middleware that traces every HTTP request and records OpenCensus's
HTTP server views (census.ext._http_server).

    from census.ext.asgi import ASGIMiddleware
    app = ASGIMiddleware(app, sampler=AlwaysOnSampler(), exporter=exporter)

For each ``http`` scope (others pass through; paths in `excludelist_paths` too) it reads the
incoming span context from the request headers with `propagator` (repeated headers joined with
","), makes a Tracer and a SERVER span ``[METHOD]url`` in the request's own context (the task
the server runs the application in), so spans the application starts, across any number of
awaits, are its children, and concurrent requests never see each other's spans. The status code
comes from ``http.response.start``; the span ends and the request is recorded when the
application returns (after its last ``send``), or raises (status 500). The route is
``scope['route']`` when a framework sets it (a str, or an object with a ``path``), else "".

Thread-safety: as the ASGI server runs it; each request has its own context.
"""

import time

from census.ext import _http_server
from census.trace import integrations, utils
from census.trace.propagation import trace_context_http_header_format

__all__ = ['ASGIMiddleware']


class _ScopeHeaders(object):
    """An ASGI scope's headers (a list of (bytes, bytes)) as a header mapping: getlist(name)
    gives every line of a header, matched without regard to case."""

    def __init__(self, raw):
        self._raw = raw

    def getlist(self, name):
        wanted = name.lower().encode('latin-1')
        return [value.decode('latin-1') for key, value in self._raw if key.lower() == wanted]

    def get(self, name, default=None):
        values = self.getlist(name)
        return ','.join(values) if values else default


def _route(scope):
    route = scope.get('route')
    if route is None:
        return None
    return route if isinstance(route, str) else getattr(route, 'path', None)


class ASGIMiddleware(object):
    """Wraps an ASGI application (see the module); arguments as census.ext.wsgi's."""

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
        integrations.add_integration(integrations._Integrations.ASGI)

    async def __call__(self, scope, receive, send):
        if scope.get('type') != 'http':
            return await self.app(scope, receive, send)
        headers = _ScopeHeaders(scope.get('headers') or [])
        host = headers.get('host') or '{}:{}'.format(*(scope.get('server') or ('', '')))
        path = scope.get('root_path', '') + scope.get('path', '')
        query = scope.get('query_string') or b''
        url = '{}://{}{}{}'.format(scope.get('scheme', 'http'), host, path,
                                   '?' + query.decode('latin-1') if query else '')
        if utils.disable_tracing_url(url, self.excludelist_paths):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        method = scope.get('method', 'GET')
        server = _http_server.ServerSpan(headers, method, url, host, path, self.sampler,
                                         self.exporter, self.propagator)
        state = {'status': None}

        async def traced_send(message):
            if message.get('type') == 'http.response.start':
                state['status'] = message.get('status')
            await send(message)

        exception = None
        try:
            await self.app(scope, receive, traced_send)
        except BaseException as e:
            exception = e
            raise
        finally:
            status = state['status'] if exception is None else (state['status'] or 500)
            route = _route(scope)
            server.finish(status, route, exception)
            if self.record_stats:
                _http_server.record(method, route, status if status is not None else 0,
                                    (time.perf_counter() - start) * 1000.0)
