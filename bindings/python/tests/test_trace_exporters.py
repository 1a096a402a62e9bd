"""census's C span exporters from Python (census.ext.otlp, census.ext.zipkin,
census.ext.stackdriver trace exporters): spans a Python program records reach a loopback
backend, and what arrives is decoded by independent implementations, as the C tests do: OTLP
with protobufjs and the official OpenTelemetry .proto files, Zipkin bodies checked by ajv
(strict) against Zipkin's v2 JSON schema, Cloud Trace bodies by Google's own proto3-JSON parser
(python3-protobuf's json_format) with Google's published definition."""

import json
import os
import subprocess

from conftest import DEBIAN_PYTHON, REPO, run_python
from node_receivers import NODE_MODULES, receiver, requests_of

PROGRAM = '''
    import census
    from census.trace import samplers, status, tracer as tracer_module, link
    from census.trace.span import SpanKind
    from census.trace.span_context import SpanContext
    from census.trace.trace_options import TraceOptions
    exporter = {exporter}
    incoming = SpanContext(trace_id='0af7651916cd43dd8448eb211c80319c',
                           span_id='b7ad6b7169203331', trace_options=TraceOptions('1'),
                           from_header=True)
    tracer = tracer_module.Tracer(span_context=incoming, sampler=samplers.AlwaysOnSampler(),
                                  exporter=exporter)
    with tracer.span('GET /users') as server:
        server.span_kind = SpanKind.SERVER
        server.add_attribute('http.status_code', 200)
        server.add_attribute('http.method', 'GET')
        server.add_attribute('ratio', 0.5)
        server.add_attribute('cached', True)
        with tracer.span('db query') as child:
            child.span_kind = SpanKind.CLIENT
            child.add_annotation('rows read', rows=3)
            child.add_link(link.Link('1' * 32, '2' * 16))
            child.set_status(status.Status(5, 'no such user'))
    print('ids', server.span_id, child.span_id)
    census.flush(10.0)
    print('stats', exporter.stats())
    exporter.stop(10.0)
'''


def run(exporter_expr):
    proc = run_python(PROGRAM.format(exporter=exporter_expr))
    ids = dict(zip(('server', 'child'), proc.stdout.split('ids ')[1].split()[:2]))
    return ids, proc


def test_otlp_traces_decoded_with_the_official_definitions(tmp_path):
    """OTLP/HTTP protobuf: ids, parent (the incoming span, then the server span), names,
    kinds, typed attributes, the event and its attribute, the link, and the error status with
    its message, as protobufjs decodes them."""
    out = tmp_path / 'otlp.jsonl'
    with receiver('otlp/otlp_receiver.js', out) as port:
        ids, proc = run('__import__("census.ext.otlp.trace_exporter", fromlist=["x"])'
                        '.TraceExporter(service_name="py-svc", endpoint="http://127.0.0.1:%d")'
                        % port)
    reqs = [r for r in requests_of(out) if r.get('signal') == 'traces']
    assert reqs and all(r.get('encoding') == 'protobuf' for r in reqs)
    spans = {}
    for r in reqs:
        for rs in r['decoded']['resourceSpans']:
            attrs = {a['key']: a['value'] for a in rs['resource']['attributes']}
            assert attrs['service.name']['stringValue'] == 'py-svc'
            for ss in rs['scopeSpans']:
                for s in ss['spans']:
                    spans[s['name']] = s
    server, child = spans['GET /users'], spans['db query']
    assert server['traceId'] == child['traceId'] == '0af7651916cd43dd8448eb211c80319c'
    assert server['spanId'] == ids['server'] and child['spanId'] == ids['child']
    assert server['parentSpanId'] == 'b7ad6b7169203331'
    assert child['parentSpanId'] == ids['server']
    assert (server['kind'], child['kind']) == (2, 3)  # SPAN_KIND_SERVER, SPAN_KIND_CLIENT
    # protobufjs's oneofs option names the field set under 'value'.
    attrs = {a['key']: {k: v for k, v in a['value'].items() if k != 'value'}
             for a in server['attributes']}
    assert attrs == {'http.status_code': {'intValue': '200'}, 'http.method': {'stringValue': 'GET'},
                     'ratio': {'doubleValue': 0.5}, 'cached': {'boolValue': True}}
    (event,) = child['events']
    assert event['name'] == 'rows read'
    assert [(a['key'], a['value']['intValue']) for a in event['attributes']] == [('rows', '3')]
    (lk,) = child['links']
    assert (lk['traceId'], lk['spanId']) == ('1' * 32, '2' * 16)
    assert child['status'] == {'code': 2, 'message': 'no such user'}  # STATUS_CODE_ERROR
    assert 'status' not in server or server['status'].get('code', 0) == 0
    assert "'spans_delivered': 2" in proc.stdout or "'items_delivered': 2" in proc.stdout


def test_zipkin_spans_valid_for_the_v2_schema(tmp_path):
    """Zipkin: every body valid for Zipkin's v2 schema (ajv, strict); ids, parentId, kind,
    tags (strings), the annotation, localEndpoint.serviceName from the exporter's arguments."""
    out = tmp_path / 'zipkin.jsonl'
    schema = os.path.join(REPO, 'tests', 'zipkin', 'zipkin2-span-schema.json')
    with receiver('zipkin/zipkin_receiver.js', out, '--schema', schema) as port:
        ids, proc = run('__import__("census.ext.zipkin.trace_exporter", fromlist=["x"])'
                        '.ZipkinExporter(service_name="py-zipkin", host_name="127.0.0.1", '
                        'port=%d)' % port)
    reqs = requests_of(out)
    assert reqs and all(r['valid'] for r in reqs), [r['errors'] for r in reqs]
    assert all(r['path'] == '/api/v2/spans' for r in reqs)
    spans = {s['name']: s for r in reqs for s in r['body']}
    server, child = spans['GET /users'], spans['db query']
    assert server['id'] == ids['server'] and child['id'] == ids['child']
    assert server['traceId'] == '0af7651916cd43dd8448eb211c80319c'
    assert server['parentId'] == 'b7ad6b7169203331' and child['parentId'] == ids['server']
    assert (server['kind'], child['kind']) == ('SERVER', 'CLIENT')
    assert server['tags']['http.status_code'] == '200'
    assert server['tags']['cached'] == 'true'
    assert server['localEndpoint']['serviceName'] == 'py-zipkin'
    # census's Zipkin form of an event with attributes (docs/exporters/zipkin.md).
    assert [a['value'] for a in child['annotations']] == ['"rows read":{"rows":3}']
    assert "'spans_delivered': 2" in proc.stdout


def test_cloud_trace_bodies_parse_with_googles_definition(tmp_path):
    """Cloud Trace (Stackdriver): batchWrite to projects/<project_id>, the bearer token, bodies
    that Google's proto3-JSON parser accepts as BatchWriteSpansRequest with Google's published
    definition, display names, parent ids, typed attributes. (census keeps attribute names as
    recorded; opencensus-ext-stackdriver renamed http.status_code to /http/status_code:
    docs/python.md, differences.)"""
    nm = NODE_MODULES
    proto = tmp_path / 'cloudtrace_v2.proto'
    with open(str(proto), 'w') as f:
        subprocess.run(['node', os.path.join(REPO, 'tests', 'google_cloud',
                                             'cloud_trace_proto.js'),
                        os.path.join(nm, '@google-cloud', 'opentelemetry-cloud-trace-exporter',
                                     'build', 'protos', 'protos.json')], stdout=f, check=True)
    pb = tmp_path / 'cloudtrace_v2.pb'
    subprocess.run(['protoc', '-I', str(tmp_path), '-I',
                    os.path.join(nm, 'google-gax', 'build', 'protos'), '--include_imports',
                    '--descriptor_set_out=' + str(pb), 'cloudtrace_v2.proto'], check=True)
    out = tmp_path / 'trace.jsonl'
    token = 'ya29.python-test'
    with receiver('google_cloud/cloud_trace_receiver.js', out, '--token', token) as port:
        ids, proc = run('__import__("census.ext.stackdriver.trace_exporter", fromlist=["x"])'
                        '.StackdriverExporter(project_id="py-project", access_token="%s", '
                        'trace_endpoint="http://127.0.0.1:%d")' % (token, port))
    reqs = [r for r in requests_of(out) if r['path'] != '/token']
    assert reqs
    spans = {}
    for r in reqs:
        assert r['path'] == '/v2/projects/py-project/traces:batchWrite'
        assert r['bearerOk'] is True
        check = subprocess.run([DEBIAN_PYTHON, os.path.join(REPO, 'tests', 'google_cloud',
                                                            'check_proto_json.py'),
                                str(pb), 'google.devtools.cloudtrace.v2.BatchWriteSpansRequest'],
                               input=r['body'], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        for s in json.loads(r['body'])['spans']:
            spans[s['displayName']['value']] = s
    server, child = spans['GET /users'], spans['db query']
    assert server['spanId'] == ids['server'] and child['spanId'] == ids['child']
    assert server['parentSpanId'] == 'b7ad6b7169203331'
    assert child['parentSpanId'] == ids['server']
    assert server['name'] == 'projects/py-project/traces/0af7651916cd43dd8448eb211c80319c/' \
        'spans/' + ids['server']
    assert server['attributes']['attributeMap']['http.status_code'] == {'intValue': '200'}
    assert child['status']['code'] != 0
