"""The web integrations: the WSGI middleware (under wsgiref's real server), the ASGI middleware
(under uvicorn, from Debian), FlaskMiddleware (opencensus-ext-flask's configuration keys), and
the requests and urllib3 client integrations; each request's server span is parented by the
caller's traceparent, client spans carry their context to the server, and the HTTP server views
count requests by method, route and status."""

import asyncio
import json
import socket
import threading
import time
import wsgiref.simple_server

import pytest
import requests
import urllib3

from census.ext import _http_server
from census.ext.asgi import ASGIMiddleware
from census.ext.wsgi import WSGIMiddleware
from census.stats import stats as stats_module
from census.trace import config_integration, execution_context, samplers
from census.trace.tracer import Tracer

from conftest import run_python
from tracing_support import by_name, collector

TID = '0af7651916cd43dd8448eb211c80319c'
SID = 'b7ad6b7169203331'


def counts():
    """{(method, route, status): count} of the completed_count view so far."""
    vd = stats_module.stats.view_manager.get_view(_http_server.COMPLETED_COUNT_VIEW.name)
    if vd is None:
        return {}
    return {tuple(k): v.count_data for k, v in vd.tag_value_aggregation_data_map.items()}


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def wsgi_server():
    servers = []

    def start(app):
        server = wsgiref.simple_server.make_server('127.0.0.1', 0, app,
                                                   handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return 'http://127.0.0.1:%d' % server.server_port

    yield start
    for s in servers:
        s.shutdown()


def test_wsgi_middleware_spans_and_views(wsgi_server):
    """Under a real WSGI server: the server span's parent is the incoming traceparent, it has
    method, path, url, route (environ['census.route']) and status, the app's spans are its
    children, a 500 is an error, the health check is not traced, and completed_count counts
    each request once by method, route and status."""
    c = collector()
    before = counts()

    def app(environ, start_response):
        environ['census.route'] = '/items/{id}'
        tracer = execution_context.get_opencensus_tracer()
        with tracer.span('wsgi/work'):
            pass
        status = '500 Internal Server Error' if 'fail' in environ['PATH_INFO'] else '200 OK'
        start_response(status, [('Content-Type', 'text/plain')])
        return [b'ok']

    base = wsgi_server(WSGIMiddleware(app, sampler=samplers.AlwaysOnSampler(), exporter=c))
    r = requests.get(base + '/items/7?x=1', headers={'traceparent': '00-%s-%s-01' % (TID, SID)})
    assert r.text == 'ok'
    requests.get(base + '/items/fail')
    requests.get(base + '/_ah/health')
    spans = c.take()
    servers = [s for s in spans if s.span_kind == 1]
    assert len(servers) == 2
    ok = next(s for s in servers if s.attributes['http.path'] == '/items/7')
    assert ok.name == '[GET]%s/items/7?x=1' % base
    assert (ok.context.trace_id, ok.parent_span_id) == (TID, SID)
    assert ok.attributes['http.status_code'] == 200
    assert ok.attributes['http.route'] == '/items/{id}'
    assert ok.attributes['http.url'] == base + '/items/7?x=1'
    work = [s for s in spans if s.name == 'wsgi/work' and s.context.trace_id == TID][0]
    assert work.parent_span_id == ok.span_id
    failed = next(s for s in servers if s.attributes['http.path'] == '/items/fail')
    assert failed.status.code == 2
    after = counts()
    assert after.get(('GET', '/items/{id}', '200'), 0) - before.get(
        ('GET', '/items/{id}', '200'), 0) == 1
    assert after.get(('GET', '/items/{id}', '500'), 0) - before.get(
        ('GET', '/items/{id}', '500'), 0) == 1


def test_asgi_middleware_under_uvicorn_concurrent_requests():
    """Under uvicorn, 20 concurrent requests whose handler awaits between spans: each request
    has its own server span, parented by its own traceparent, and the handler's spans are
    children of their own request's server span, never another's."""
    import uvicorn
    c = collector()

    async def app(scope, receive, send):
        if scope['type'] == 'lifespan':
            while True:
                message = await receive()
                if message['type'] == 'lifespan.startup':
                    await send({'type': 'lifespan.startup.complete'})
                elif message['type'] == 'lifespan.shutdown':
                    await send({'type': 'lifespan.shutdown.complete'})
                    return
        scope['route'] = '/slow'
        tracer = execution_context.get_opencensus_tracer()
        with tracer.span('asgi/handler'):
            await asyncio.sleep(0.05)
            with tracer.span('asgi/inner'):
                await asyncio.sleep(0.01)
        await send({'type': 'http.response.start', 'status': 201,
                    'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': b'done'})

    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        ASGIMiddleware(app, sampler=samplers.AlwaysOnSampler(), exporter=c),
        log_level='warning'))
    thread = threading.Thread(target=server.run, kwargs={'sockets': [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert thread.is_alive() and time.time() < deadline, 'uvicorn did not start'
        time.sleep(0.01)
    tids = ['%032x' % (0x5000 + i) for i in range(20)]
    results = []

    def call(tid):
        results.append(requests.get('http://127.0.0.1:%d/slow' % port, timeout=10,
                                    headers={'traceparent': '00-%s-%s-01' % (tid, SID)}))

    threads = [threading.Thread(target=call, args=(t,)) for t in tids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.should_exit = True
    thread.join(10)
    assert [r.status_code for r in results] == [201] * 20
    spans = c.take()
    for tid in tids:
        mine = {s.name: s for s in spans if s.context.trace_id == tid}
        server_span = next(s for s in mine.values() if s.span_kind == 1)
        assert server_span.parent_span_id == SID
        assert server_span.attributes['http.status_code'] == 201
        assert server_span.attributes['http.route'] == '/slow'
        assert mine['asgi/handler'].parent_span_id == server_span.span_id
        assert mine['asgi/inner'].parent_span_id == mine['asgi/handler'].span_id


def test_flask_middleware_configured_as_for_opencensus(tmp_path):
    """FlaskMiddleware reads app.config['OPENCENSUS']['TRACE'] (SAMPLER, EXPORTER, PROPAGATOR as
    opencensus.* strings, EXCLUDELIST_PATHS): the exporter named there receives a SERVER span
    per request with host, method, path, url, route and status code, an exception gives status
    UNKNOWN with error.name, error.message and stacktrace, excluded paths are not traced, and
    the views count requests by Flask's route."""
    out = tmp_path / 'spans.json'
    proc = run_python('''
        import json, census, flask
        from census.ext.flask.flask_middleware import FlaskMiddleware
        from census.stats import stats
        app = flask.Flask('t')
        app.config['OPENCENSUS'] = {'TRACE': {
            'SAMPLER': 'opencensus.trace.samplers.AlwaysOnSampler()',
            'EXPORTER': "opencensus.trace.file_exporter.FileExporter(file_name=%r, "
                        "file_mode='a')",
            'PROPAGATOR': 'opencensus.trace.propagation.b3_format.B3FormatPropagator()',
            'EXCLUDELIST_PATHS': ['skip'],
        }}
        FlaskMiddleware(app)
        @app.route('/hello/<name>')
        def hello(name):
            return 'hi ' + name
        @app.route('/boom')
        def boom():
            raise ValueError('kaput')
        @app.route('/skip')
        def skip():
            return 'skipped'
        client = app.test_client()
        assert client.get('/hello/bob', headers={'X-B3-TraceId': '%s', 'X-B3-SpanId': '%s',
                                                 'X-B3-Sampled': '1'}).data == b'hi bob'
        assert client.get('/boom').status_code == 500
        assert client.get('/skip').data == b'skipped'
        census.flush()
        vd = stats.stats.view_manager.get_view('opencensus.io/http/server/completed_count')
        print(json.dumps(sorted([list(k), v.count_data]
                                for k, v in vd.tag_value_aggregation_data_map.items())))
    ''' % (str(out), TID, SID))
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rows == [[['GET', '/boom', '500'], 1], [['GET', '/hello/<name>', '200'], 1]]
    text = out.read_text()
    traces, decoder, i = [], json.JSONDecoder(), 0
    while i < len(text):
        obj, i = decoder.raw_decode(text, i)
        traces.append(obj)
    spans = [s for t in traces for s in t['spans']]
    assert len(spans) == 2
    hello = next(s for s in spans if 'hello' in s['displayName']['value'])
    assert hello['displayName']['value'] == '[GET]http://localhost/hello/bob'
    assert hello['kind'] == 1 and hello['parentSpanId'] == SID
    attrs = {}
    for k, v in hello['attributes']['attributeMap'].items():
        value = list(v.values())[0]  # {'int_value': 200} or {'string_value': {'value': ...}}
        attrs[k] = value['value'] if isinstance(value, dict) else value
    assert attrs['http.route'] == '/hello/<name>' and attrs['http.status_code'] == 200
    assert attrs['http.method'] == 'GET' and attrs['http.path'] == '/hello/bob'
    assert attrs['http.host'] == 'localhost'
    boom = next(s for s in spans if 'boom' in s['displayName']['value'])
    battrs = boom['attributes']['attributeMap']
    assert boom['status'] == {'code': 2, 'message': 'kaput'}
    assert battrs['error.name']['string_value']['value'] == 'ValueError'
    # The legacy JSON form cuts strings to 128 bytes and counts the rest.
    assert battrs['stacktrace']['string_value']['value'].startswith('  File "')
    assert battrs['stacktrace']['string_value']['truncated_byte_count'] > 0


class _Echo(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def echo_app(environ, start_response):
    """Answers with the request's traceparent."""
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [environ.get('HTTP_TRACEPARENT', '').encode()]


def test_requests_and_urllib3_integrations(wsgi_server):
    """trace_integrations(['requests', 'urllib3']): a request through requests or urllib3 gets
    a CLIENT span (child of the current span, named after the path, with host, method, url and
    status code) and carries its context in traceparent; a request through requests is traced
    once (not again by urllib3); nothing is traced inside an exporter."""
    c = collector()
    assert config_integration.trace_integrations(['requests', 'urllib3', 'nope']) == \
        ['requests', 'urllib3']
    base = wsgi_server(echo_app)
    tracer = Tracer(sampler=samplers.AlwaysOnSampler(), exporter=c)
    with tracer.span('client/parent'):
        via_requests = requests.get(base + '/via/requests').text
        via_urllib3 = urllib3.PoolManager().request('GET', base + '/via/urllib3').data.decode()
        execution_context.set_is_exporter(True)
        requests.get(base + '/not/traced')
        execution_context.set_is_exporter(False)
    spans = by_name(c.take())
    parent = spans['client/parent']
    for path, sent in (('/via/requests', via_requests), ('/via/urllib3', via_urllib3)):
        s = spans[path]
        assert s.span_kind == 2 and s.parent_span_id == parent.span_id
        assert s.attributes['http.status_code'] == 200
        assert s.attributes['http.method'] == 'GET'
        assert s.attributes['http.url'] == base + path
        assert sent == '00-%s-%s-03' % (s.context.trace_id, s.span_id)
    assert '/not/traced' not in spans
    assert len([s for s in spans.values() if s.span_kind == 2]) == 2
