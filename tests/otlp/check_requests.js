// check_requests.js - asserts, field by field, what an independent decoder (otlp_decode.js:
// protobufjs + the official .proto files) read from census's OTLP requests against the scenario
// otlp_app.c records. Expected values below are worked out by hand from the recorded inputs.
//
//   node check_requests.js --spans spans.json (--dir DIR | --log receiver.jsonl) [options]
//     --dir DIR          bodies written by `otlp_app dump` (metrics.pb/.json, traces.pb/.json)
//     --log FILE         the receiver's JSON lines; only delivered requests (answered 200 or
//                        partial) count; the last metrics request holds the final totals
//     --encoding E       protobuf | json (which bodies to read in --dir mode; in --log mode
//                        every request must have this encoding) | grpc (--log mode only: the
//                        calls grpc_receiver.js recorded, protobuf messages, application/grpc,
//                        gzip as grpc-encoding)
//     --signals S        both | metrics | traces (default both)
//     --service NAME     expected service.name (default otlp-app)
//     --gzip yes|no      every request had Content-Encoding: gzip (or none)
//     --api-key K        every request carried x-api-key: K
//     --allow-dup-spans  a span may arrive in several delivered requests (a retry after a
//                        timeout whose first attempt the server did receive)
// Also, for protobuf, runs `protoc --decode_raw` on each trace body to check Span.flags (16) and
// Link.flags (6), which the 0.38.0 .proto files predate; for JSON, checks the OTLP/JSON rules on
// the raw text (lowerCamelCase keys, integer enums, hex ids, 64-bit integers as strings) and
// those flags. Exit status 0 = all assertions passed; each failure is printed.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { decodeProtobuf, decodeJson } = require('./otlp_decode');

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (k === 'allow-dup-spans') args[k] = true; else args[k] = process.argv[++i];
}
const encoding = args.encoding || 'protobuf';
const signals = args.signals || 'both';
const service = args.service || 'otlp-app';
let failures = 0;
function fail(msg) { failures++; console.error('FAIL: ' + msg); }
function eq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, want ${e}`);
}
function ok(cond, what) { if (!cond) fail(what); }

// ---- Load the requests -------------------------------------------------------------------------
let requests = []; // {signal, decoded, raw (Buffer), rawJson}
if (args.dir) {
  for (const signal of ['metrics', 'traces']) {
    const file = path.join(args.dir, `${signal}.${encoding === 'json' ? 'json' : 'pb'}`);
    const raw = fs.readFileSync(file);
    const rawJson = encoding === 'json' ? JSON.parse(raw.toString('utf8')) : null;
    const decoded = encoding === 'json' ? decodeJson(signal, rawJson) : decodeProtobuf(signal, raw);
    requests.push({ signal, decoded, raw, rawJson });
  }
} else {
  const lines = fs.readFileSync(args.log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const r of lines) {
    if (r.error) { fail(`receiver could not decode request ${r.seq}: ${r.error}`); continue; }
    eq(r.method, 'POST', `request ${r.seq} method`);
    eq(r.encoding, encoding, `request ${r.seq} encoding`);
    eq(r.contentType, { json: 'application/json', grpc: 'application/grpc' }[encoding] || 'application/x-protobuf', `request ${r.seq} content type`);
    ok(/^OTel-OTLP-Exporter-C\/census-/.test(r.userAgent || ''), `request ${r.seq} User-Agent ${r.userAgent}`);
    if (args.gzip && encoding === 'grpc') eq(r.grpcEncoding, args.gzip === 'yes' ? 'gzip' : null, `request ${r.seq} grpc-encoding`);
    else if (args.gzip) eq(r.contentEncoding, args.gzip === 'yes' ? 'gzip' : null, `request ${r.seq} Content-Encoding`);
    if (args['api-key']) eq(r.apiKey, args['api-key'], `request ${r.seq} x-api-key`);
    if (!/^(200|OK|partial)/.test(r.answer)) continue; // not delivered
    requests.push({ signal: r.signal, decoded: r.decoded, raw: fs.readFileSync(r.rawFile), rawJson: r.rawJson });
  }
}
const metricReqs = requests.filter((r) => r.signal === 'metrics');
const traceReqs = requests.filter((r) => r.signal === 'traces');
if (signals !== 'traces') ok(metricReqs.length >= 1, 'at least one metrics request delivered');
else eq(metricReqs.length, 0, 'metrics requests when only traces are exported');
if (signals !== 'metrics') ok(traceReqs.length >= 1, 'at least one traces request delivered');
else eq(traceReqs.length, 0, 'traces requests when only metrics are exported');

// ---- Resource and scope ------------------------------------------------------------------------
const version = /CENSUS_VERSION_STRING "([^"]+)"/.exec(
  fs.readFileSync(path.join(__dirname, '..', '..', 'include', 'census', 'census.h'), 'utf8'))[1];
function attrMap(list) {
  const m = {};
  for (const kv of list || []) m[kv.key] = kv.value;
  return m;
}
function checkResourceScope(rs, scopeList, what) {
  const res = attrMap(rs.resource && rs.resource.attributes);
  eq(res['service.name'], { stringValue: service, value: 'stringValue' }, `${what} service.name`);
  if (args.log) {
    eq(res['deployment.environment'], { stringValue: 'test', value: 'stringValue' }, `${what} deployment.environment (API resource attribute)`);
    eq(res['telemetry.sdk.name'], { stringValue: 'census', value: 'stringValue' }, `${what} telemetry.sdk.name`);
    eq(res['telemetry.sdk.language'], { stringValue: 'c', value: 'stringValue' }, `${what} telemetry.sdk.language`);
    ok(res['process.pid'] && Number(res['process.pid'].intValue) > 0, `${what} process.pid is a positive int`);
  } else {
    eq(res['process.pid'], { intValue: '4242', value: 'intValue' }, `${what} process.pid`);
  }
  eq(scopeList.length, 1, `${what} one scope`);
  eq(scopeList[0].scope, { name: 'census', version }, `${what} instrumentation scope`);
}

// ---- Metrics -----------------------------------------------------------------------------------
const nowNs = BigInt(Date.now()) * 1000000n;
const startTimes = {}; // metric -> start time seen in the first request
const lastSums = {}; // "metric{attributes}" -> the sum (Sum value or Histogram.sum) in the previous request
function checkMetrics(req, final) {
  const d = req.decoded;
  eq(d.resourceMetrics.length, 1, 'one ResourceMetrics');
  const rm = d.resourceMetrics[0];
  checkResourceScope(rm, rm.scopeMetrics, 'metrics');
  const metrics = {};
  for (const m of rm.scopeMetrics[0].metrics) {
    ok(!(m.name in metrics), `metric ${m.name} appears once`);
    metrics[m.name] = m;
    const pts = (m[m.data] || {}).dataPoints || [];
    ok(pts.length > 0, `metric ${m.name} has points`);
    for (const p of pts) {
      const s = BigInt(p.startTimeUnixNano || 0), t = BigInt(p.timeUnixNano || 0);
      ok(s > 0n && s <= t, `${m.name}: 0 < start ${s} <= time ${t}`);
      ok(t <= nowNs && nowNs - t < 300n * 1000000000n, `${m.name}: time ${t} is recent`);
      if (startTimes[m.name] === undefined) startTimes[m.name] = p.startTimeUnixNano;
      eq(p.startTimeUnixNano, startTimes[m.name], `${m.name}: cumulative start time is the same in every point and request`);
      // A cumulative sum never goes down from one request to the next (a backend would read a
      // counter reset): Sum values and Histogram.sum alike.
      // (An up-down counter's Sum, isMonotonic false, may go down: otlp_test/depth_updown.)
      if ((m.data === 'sum' && m.sum.isMonotonic) || m.data === 'histogram') {
        const attrs = JSON.stringify(p.attributes || []);
        const v = m.data === 'histogram' ? Number(p.sum) : Number(p.value === 'asInt' ? p.asInt : p.asDouble);
        const k = `${m.name}${attrs}`;
        ok(lastSums[k] === undefined || v >= lastSums[k], `${k}: sum ${v} went down from ${lastSums[k]}`);
        lastSums[k] = v;
      }
    }
  }
  // The histogram of integers: its sum is exactly 6028 in every request (the first holds the
  // 20 sizes, the last 1000 zeros more); count x mean would give 6028.0000000000009 and drift.
  const size = metrics['otlp_test/size'];
  if (!size) fail('metric otlp_test/size missing');
  else {
    eq(size.data, 'histogram', 'otlp_test/size is a Histogram');
    const p = size.histogram.dataPoints[0];
    eq(p.sum, 6028, 'otlp_test/size sum (exact)');
    ok(p.count === '20' || p.count === '1020', `otlp_test/size count ${p.count} is 20 or 1020`);
    if (final) eq(p.count, '1020', 'otlp_test/size final count');
  }
  if (!final) return;
  // The self-metric views are exported too (they are how census reports drops): the app records
  // one negative value, which census refuses and counts.
  const dm = metrics['census/dropped_measurements'];
  ok(dm && dm.data === 'sum' && dm.sum.dataPoints.some((p) => p.asInt === '1' && (p.attributes || []).some((kv) => kv.value.stringValue === 'invalid_value')),
    'census/dropped_measurements exported with the refused value (reason invalid_value)');
  const byAttrs = (m) => {
    const out = {};
    for (const p of m[m.data].dataPoints) {
      const key = (p.attributes || []).map((kv) => `${kv.key}=${kv.value.stringValue !== undefined ? kv.value.stringValue : JSON.stringify(kv.value)}`).join(',');
      ok(!(key in out), `${m.name}: one point per attribute set (${key})`);
      out[key] = p;
    }
    return out;
  };
  const sum = (name, unit, expected, field) => {
    const m = metrics[name];
    if (!m) return fail(`metric ${name} missing`);
    eq(m.data, 'sum', `${name} is a Sum`);
    eq(m.unit, unit, `${name} unit`);
    eq(m.sum.aggregationTemporality, 2, `${name} temporality CUMULATIVE`);
    eq(m.sum.isMonotonic, true, `${name} monotonic`);
    const pts = byAttrs(m);
    eq(Object.keys(pts).sort(), Object.keys(expected).sort(), `${name} attribute sets`);
    for (const k of Object.keys(expected)) {
      if (!pts[k]) continue;
      eq(pts[k].value, field, `${name}{${k}} value kind`);
      eq(pts[k][field], expected[k], `${name}{${k}} value`);
    }
  };
  const gauge = (name, unit, value, field) => {
    const m = metrics[name];
    if (!m) return fail(`metric ${name} missing`);
    eq(m.data, 'gauge', `${name} is a Gauge`);
    eq(m.unit, unit, `${name} unit`);
    eq(m.gauge.dataPoints.length, 1, `${name} one point`);
    const p = m.gauge.dataPoints[0];
    eq(p.attributes || [], [], `${name} no attributes`);
    eq(p.value, field, `${name} value kind`);
    eq(p[field], value, `${name} value`);
  };
  // A signed measure's Sum (an up-down counter's): +5 -7 in the first request, -3 more in the
  // second; exported as a cumulative Sum with is_monotonic false, its value negative.
  const depth = metrics['otlp_test/depth_updown'];
  if (!depth) fail('metric otlp_test/depth_updown missing');
  else {
    eq(depth.data, 'sum', 'otlp_test/depth_updown is a Sum');
    eq(!!depth.sum.isMonotonic, false, 'otlp_test/depth_updown is not monotonic');
    eq(depth.sum.aggregationTemporality, 2, 'otlp_test/depth_updown temporality CUMULATIVE');
    eq(depth.sum.dataPoints[0].asInt, '-5', 'otlp_test/depth_updown value');
  }
  sum('otlp_test/request_count', '1', { 'method=GET,status=200': '3', 'method=GET,status=500': '1', 'method=POST,status=200': '2' }, 'asInt');
  eq((metrics['otlp_test/request_count'] || {}).description, 'Requests by method and status', 'request_count description');
  sum('otlp_test/bytes_sum', 'By', { 'method=GET': '350', 'method=POST': '7' }, 'asInt');
  sum('otlp_test/load_sum', '1', { '': 0.75 }, 'asDouble');
  gauge('otlp_test/queue_last', '1', '9', 'asInt');
  gauge('otlp_test/temp_last', 'Cel', 18.75, 'asDouble');
  sum('otlp_test/capped', '1', { 'user=a': '1', 'user=b': '1', 'otel.metric.overflow={"boolValue":true,"value":"boolValue"}': '3' }, 'asInt');
  const h = metrics['otlp_test/latency'];
  if (!h) fail('metric otlp_test/latency missing');
  else {
    eq(h.data, 'histogram', 'latency is a Histogram');
    eq(h.unit, 'ms', 'latency unit');
    eq(h.histogram.aggregationTemporality, 2, 'latency temporality CUMULATIVE');
    const pts = byAttrs(h);
    eq(Object.keys(pts).sort(), ['method=GET', 'method=POST'], 'latency attribute sets');
    const want = {
      'method=GET': { count: '4', sum: 1012, bucketCounts: ['1', '1', '1', '0', '1'], min: 0, max: 1000 },
      'method=POST': { count: '1', sum: 10, bucketCounts: ['0', '0', '1', '0', '0'], min: 10, max: 10 },
    };
    for (const k of Object.keys(want)) {
      const p = pts[k];
      if (!p) continue;
      eq(p.count, want[k].count, `latency{${k}} count`);
      eq(p.sum, want[k].sum, `latency{${k}} sum`);
      eq(p.bucketCounts, want[k].bucketCounts, `latency{${k}} bucket counts (upper-inclusive)`);
      eq(p.explicitBounds, [0, 5, 10, 100], `latency{${k}} explicit bounds`);
      eq(p.min, want[k].min, `latency{${k}} min`);
      eq(p.max, want[k].max, `latency{${k}} max`);
    }
  }
}
metricReqs.forEach((r, i) => checkMetrics(r, i === metricReqs.length - 1));

// ---- Traces ------------------------------------------------------------------------------------
const expectedSpans = args.spans ? JSON.parse(fs.readFileSync(args.spans, 'utf8')) : null;
const spans = {};
for (const req of traceReqs) {
  const d = req.decoded;
  eq(d.resourceSpans.length, 1, 'one ResourceSpans');
  const rs = d.resourceSpans[0];
  checkResourceScope(rs, rs.scopeSpans, 'traces');
  for (const s of rs.scopeSpans[0].spans) {
    if (spans[s.name] && !args['allow-dup-spans']) fail(`span ${s.name} delivered twice`);
    if (spans[s.name]) eq(s, spans[s.name].span, `span ${s.name}: duplicate identical`);
    spans[s.name] = { span: s, req };
  }
}
if (signals !== 'metrics' && expectedSpans) {
  eq(Object.keys(spans).sort(), Object.keys(expectedSpans).sort(), 'span names');
  const remoteTrace = '4bf92f3577b34da6a3ce929d0e0e4736', remoteSpan = '00f067aa0ba902b7';
  const root = (spans['otlp-root'] || {}).span, child = (spans['otlp-child'] || {}).span, rchild = (spans['otlp-remote-child'] || {}).span;
  for (const name of Object.keys(expectedSpans)) {
    const s = (spans[name] || {}).span;
    if (!s) continue;
    eq(s.traceId, expectedSpans[name].traceId, `${name} trace id`);
    eq(s.spanId, expectedSpans[name].spanId, `${name} span id`);
    eq(s.traceState || '', expectedSpans[name].traceState, `${name} tracestate`);
    ok(BigInt(s.startTimeUnixNano) > 0n && BigInt(s.startTimeUnixNano) <= BigInt(s.endTimeUnixNano), `${name} start <= end`);
  }
  if (root) {
    eq(root.parentSpanId, undefined, 'root has no parent');
    eq(root.kind, 2, 'root kind SERVER');
    eq(root.startTimeUnixNano, '1700000000000000000', 'root start time');
    eq(root.endTimeUnixNano, '1700000000500000000', 'root end time');
    const a = attrMap(root.attributes);
    eq(a['http.method'], { stringValue: 'GET', value: 'stringValue' }, 'root string attribute');
    eq(a['http.status_code'], { intValue: '200', value: 'intValue' }, 'root int attribute');
    eq(a.ratio, { doubleValue: 0.5, value: 'doubleValue' }, 'root double attribute');
    eq(a.cached, { boolValue: true, value: 'boolValue' }, 'root bool attribute');
    eq((root.attributes || []).length, 4, 'root attribute count');
    eq((root.events || []).map((e) => e.name), ['started', 'checked'], 'root events');
    eq((root.events || [])[0] && (root.events[0].attributes || []), [], 'event "started" has no attributes');
    eq((root.events || [])[1] && attrMap(root.events[1].attributes).k, { stringValue: 'v', value: 'stringValue' }, 'event "checked" attribute');
    for (const e of root.events || []) ok(BigInt(e.timeUnixNano) > 1700000000000000000n, `event ${e.name} time`);
    eq((root.links || []).length, 1, 'root has one link');
    const l = (root.links || [])[0] || {};
    eq([l.traceId, l.spanId, l.traceState], [remoteTrace, remoteSpan, 'congo=t61rcWkgMzE'], 'link context');
    eq(root.status, { message: 'boom', code: 2 }, 'root status ERROR "boom"');
    eq([root.droppedAttributesCount || 0, root.droppedEventsCount || 0, root.droppedLinksCount || 0], [0, 0, 0], 'root dropped counts');
  }
  if (child && root) {
    eq(child.traceId, root.traceId, 'child in the root trace');
    eq(child.parentSpanId, root.spanId, 'child parent id = root span id');
    eq(child.kind, 3, 'child kind CLIENT');
    eq(child.status === undefined || !child.status.code, true, 'child status unset');
    // Array-valued attributes: AnyValue.array_value = ArrayValue{values: [AnyValue...]}, as the
    // official common.proto defines it, each element of the kind otlp_app.c set (its inputs:
    // ["GET", "", "café"], [-1, 0, 9007199254740993], [1.5, -2.25], [true, false], []).
    const arr = (vals) => ({ arrayValue: vals.length ? { values: vals } : {}, value: 'arrayValue' });
    const ca = attrMap(child.attributes);
    eq(ca['arr.strings'], arr([{ stringValue: 'GET', value: 'stringValue' }, { stringValue: '', value: 'stringValue' },
      { stringValue: 'caf\u00e9', value: 'stringValue' }]), 'child string[] attribute');
    eq(ca['arr.ints'], arr([{ intValue: '-1', value: 'intValue' }, { intValue: '0', value: 'intValue' },
      { intValue: '9007199254740993', value: 'intValue' }]), 'child int64[] attribute');
    eq(ca['arr.doubles'], arr([{ doubleValue: 1.5, value: 'doubleValue' }, { doubleValue: -2.25, value: 'doubleValue' }]),
      'child double[] attribute');
    eq(ca['arr.bools'], arr([{ boolValue: true, value: 'boolValue' }, { boolValue: false, value: 'boolValue' }]),
      'child bool[] attribute');
    eq(ca['arr.empty'], arr([]), 'child empty array attribute');
    eq((child.attributes || []).length, 5, 'child attribute count');
    eq((child.events || []).map((e) => e.name), ['batch'], 'child events');
    const ea = attrMap(((child.events || [])[0] || {}).attributes);
    eq(ea.ids, arr([{ intValue: '-1', value: 'intValue' }, { intValue: '0', value: 'intValue' }]), 'event int64[] attribute');
    eq(ea.names, arr([{ stringValue: 'GET', value: 'stringValue' }]), 'event string[] attribute');
  }
  if (rchild) {
    eq(rchild.traceId, remoteTrace, 'remote child trace id');
    eq(rchild.parentSpanId, remoteSpan, 'remote child parent id');
    eq(rchild.kind, 5, 'remote child kind CONSUMER');
  }
  // Span.flags (16) and Link.flags (6): W3C flags | 0x100, | 0x200 for a remote parent / link.
  // The W3C flags are Trace Context Level 2's: a root census starts carries sampled and random
  // (0x03: its trace id is census's random draw) and its child inherits random; the remote child
  // keeps its remote parent's flags (0x01: that parent did not say its id was random).
  const wantFlags = { 'otlp-root': 0x103, 'otlp-child': 0x103, 'otlp-remote-child': 0x301 };
  const seen = {};
  for (const req of traceReqs) {
    if (encoding === 'json') {
      for (const s of req.rawJson.resourceSpans[0].scopeSpans[0].spans) {
        seen[s.name] = { flags: s.flags, links: (s.links || []).map((l) => l.flags) };
      }
    } else {
      const text = execFileSync('protoc', ['--decode_raw'], { input: req.raw }).toString();
      for (const s of decodeRawSpans(text)) seen[s.name] = s;
    }
  }
  for (const name of Object.keys(wantFlags)) {
    if (!seen[name]) { fail(`flags of ${name} not found`); continue; }
    eq(seen[name].flags, wantFlags[name], `${name} Span.flags`);
  }
  // census does not keep whether a linked context was remote: only the W3C flags, 0x100 clear.
  if (seen['otlp-root']) eq(seen['otlp-root'].links, [0x01], 'root Link.flags');
}

// A minimal reader of `protoc --decode_raw` text: nested `N {` ... `}` blocks and `N: value`
// lines. Returns, for each span (1 > 2 > 2), its name (5), flags (16) and links' flags (13 > 6).
function parseRaw(text) {
  const lines = text.split('\n');
  let i = 0;
  function block() {
    const fields = [];
    while (i < lines.length) {
      const line = lines[i++].trim();
      if (!line) continue;
      if (line === '}') return fields;
      let m = /^(\d+) \{$/.exec(line);
      if (m) { fields.push([Number(m[1]), block()]); continue; }
      m = /^(\d+): (.*)$/.exec(line);
      if (m) fields.push([Number(m[1]), m[2]]);
    }
    return fields;
  }
  return block();
}
function decodeRawSpans(text) {
  const get = (fields, n) => fields.filter((f) => f[0] === n).map((f) => f[1]);
  const out = [];
  for (const rs of get(parseRaw(text), 1)) {
    for (const ss of get(rs, 2)) {
      for (const span of get(ss, 2)) {
        if (!Array.isArray(span)) continue;
        const name = JSON.parse(get(span, 5)[0]);
        const flags = get(span, 16).map((v) => parseInt(v, 16));
        eq(flags.length, 1, `${name}: exactly one field 16`);
        const links = get(span, 13).map((l) => parseInt(get(l, 6)[0], 16));
        out.push({ name, flags: flags[0], links });
      }
    }
  }
  return out;
}

// ---- OTLP/JSON rules on the raw text ------------------------------------------------------------
const INT64_KEYS = new Set(['startTimeUnixNano', 'timeUnixNano', 'endTimeUnixNano', 'asInt', 'count', 'intValue']);
const ENUM_KEYS = new Set(['kind', 'code', 'aggregationTemporality']);
function checkJsonRules(o, where) {
  if (Array.isArray(o)) { o.forEach((x, i) => checkJsonRules(x, `${where}[${i}]`)); return; }
  if (!o || typeof o !== 'object') return;
  for (const [k, v] of Object.entries(o)) {
    const at = `${where}.${k}`;
    ok(/^[a-z][a-zA-Z0-9]*$/.test(k), `${at}: key is lowerCamelCase`);
    if (INT64_KEYS.has(k)) ok(typeof v === 'string' && /^-?\d+$/.test(v), `${at}: 64-bit integer as a decimal string (${JSON.stringify(v)})`);
    if (k === 'bucketCounts') ok(v.every((x) => typeof x === 'string' && /^\d+$/.test(x)), `${at}: strings`);
    if (ENUM_KEYS.has(k)) ok(Number.isInteger(v), `${at}: enum as an integer`);
    if (k === 'traceId') ok(/^[0-9a-f]{32}$/.test(v), `${at}: 32 lowercase hex digits`);
    if (k === 'spanId' || k === 'parentSpanId') ok(/^[0-9a-f]{16}$/.test(v), `${at}: 16 lowercase hex digits`);
    checkJsonRules(v, at);
  }
}
if (encoding === 'json') {
  for (const r of requests) checkJsonRules(r.rawJson, r.signal);
}

if (failures) { console.error(`${failures} assertion(s) failed`); process.exit(1); }
console.log(`ok: ${metricReqs.length} metrics and ${traceReqs.length} traces request(s) checked (${encoding})`);
