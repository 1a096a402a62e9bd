"""The Flask example under gunicorn (both from Debian: python3-flask, gunicorn), two pre-forked
workers: requests driven through the server are traced (a server span per request, parented by
the caller's traceparent, with the route and status), the app's requests to a downstream
service carry the traceparent of their client span, and the HTTP server views count every
request by method, route and status; spans and metrics reach an OTLP receiver (decoded with
protobufjs and the official definitions) when gunicorn stops its workers (SIGTERM, then each
worker's interpreter exit), so nothing recorded is lost."""

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

from conftest import PACKAGE_DIR
from node_receivers import receiver, requests_of

EXAMPLE = os.path.join(PACKAGE_DIR, 'examples', 'flask_gunicorn')
ROUTE = '/users/<int:user_id>'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Downstream(http.server.BaseHTTPRequestHandler):
    """Records the traceparent of every request it gets."""
    seen = []

    def do_GET(self):
        Downstream.seen.append((self.path, self.headers.get('traceparent')))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def attrs(kvs):
    out = {}
    for kv in kvs or []:
        value = kv['value']
        out[kv['key']] = value.get('stringValue', value.get('intValue'))
    return out


def test_flask_under_gunicorn(tmp_path):
    downstream = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Downstream)
    threading.Thread(target=downstream.serve_forever, daemon=True).start()
    out = tmp_path / 'otlp.jsonl'
    port = free_port()
    with receiver('otlp/otlp_receiver.js', out) as otlp_port:
        env = dict(os.environ, CENSUS_OTLP_ENDPOINT='http://127.0.0.1:%d' % otlp_port,
                   DOWNSTREAM_URL='http://127.0.0.1:%d/' % downstream.server_port)
        server = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn', '-c', 'gunicorn.conf.py',
             '-b', '127.0.0.1:%d' % port, 'app:app'],
            cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            base = 'http://127.0.0.1:%d' % port
            # Probe until the app answers. A probe refused (nothing listens yet) never reaches
            # the app; one that times out was accepted and a worker still booting serves it
            # later: both kinds are counted, as the app's request views must count them.
            probes, deadline = 0, time.time() + 60
            while True:
                try:
                    probes += 1
                    requests.get(base + '/users/0', timeout=5)
                    break
                except requests.ConnectionError:
                    probes -= 1
                    assert time.time() < deadline, 'gunicorn did not start'
                    time.sleep(0.1)
                except requests.Timeout:
                    assert time.time() < deadline, 'gunicorn did not answer'
            incoming = {}
            for i in range(1, 11):
                tid, sid = '%032x' % (0xabc000 + i), '%016x' % (0xdef000 + i)
                incoming[tid] = sid
                r = requests.get('%s/users/%d' % (base, i), timeout=10,
                                 headers={'traceparent': '00-%s-%s-01' % (tid, sid)})
                assert r.status_code == 200 and r.json() == {'user': i, 'downstream': 204}
            for _ in range(2):
                assert requests.get(base + '/fail', timeout=10).status_code == 500
        finally:
            server.send_signal(signal.SIGTERM)
            log = server.communicate(timeout=60)[0]
        assert server.returncode == 0, log
    downstream.shutdown()

    spans, metrics = [], {}
    for req in requests_of(out):
        for rs in req['decoded'].get('resourceSpans', []):
            for ss in rs.get('scopeSpans', []):
                spans.extend(ss.get('spans', []))
        for rm in req['decoded'].get('resourceMetrics', []):
            pid = attrs(rm['resource']['attributes']).get('process.pid')
            for sm in rm.get('scopeMetrics', []):
                for m in sm.get('metrics', []):
                    if m['name'] != 'opencensus.io/http/server/completed_count':
                        continue
                    for p in m['sum']['dataPoints']:
                        a = attrs(p['attributes'])
                        key = (pid, a['http_server_method'], a['http_server_route'],
                               a['http_server_status'])
                        metrics[key] = max(metrics.get(key, 0), int(p['asInt']))
    by_id = {s['spanId']: s for s in spans}
    servers = [s for s in spans if s['kind'] == 2 and s['traceId'] in incoming]
    assert len(servers) == 10
    for s in servers:
        a = attrs(s['attributes'])
        assert s['parentSpanId'] == incoming[s['traceId']]
        assert a['http.route'] == ROUTE and a['http.status_code'] == '200'
        assert a['http.method'] == 'GET'
    clients = [s for s in spans if s['kind'] == 3 and s['traceId'] in incoming]
    assert len(clients) == 10
    for c in clients:
        load = by_id[c['parentSpanId']]
        assert load['name'] == 'load user'
        assert by_id[load['parentSpanId']]['kind'] == 2
    seen = {tp.split('-')[1]: tp for _path, tp in Downstream.seen if tp}
    for c in clients:
        assert seen[c['traceId']] == '00-%s-%s-01' % (c['traceId'], c['spanId'])
    failed = [s for s in spans if s['name'].endswith('/fail')]
    assert len(failed) == 2 and all(s['status']['code'] == 2 for s in failed)
    totals = {}
    for (_pid, method, route, status), n in metrics.items():
        totals[(method, route, status)] = totals.get((method, route, status), 0) + n
    # The 10 traced requests and the probes that reached the app.
    assert totals[('GET', ROUTE, '200')] == 10 + probes
    assert totals[('GET', '/fail', '500')] == 2
