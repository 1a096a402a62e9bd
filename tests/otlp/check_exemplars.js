// check_exemplars.js DIR - decodes otlp_exemplar_app's bodies (DIR/metrics.pb and
// DIR/metrics.json) with protobufjs and the official .proto files (otlp_decode.js: the Exemplar
// message of HistogramDataPoint and NumberDataPoint) and checks them against the spans the app
// recorded in (DIR/expect.json):
// - the slow request (2500 ms) is the exemplar of the +Inf bucket: its trace and span ids, its
//   value, and the filtered attribute user=alice (a tag that is not a view column);
// - the fast requests' bucket (<= 10 ms) holds the last fast span (last seen wins);
// - the 50 ms request in an unsampled span and the 500 ms one outside any span left no exemplar
//   (trace_based filter), so the histogram point has exactly two exemplars;
// - the Sum view's point has one exemplar (its one-slot reservoir), as_int 1, from one of the
//   four sampled spans; the view registered while the filter was always_off has none;
// - a delta point whose interval starts after every recording carries none (late.pb).
'use strict';
const fs = require('fs');
const path = require('path');
const { decodeProtobuf, decodeJson } = require('./otlp_decode');

const dir = process.argv[2];
const expect = JSON.parse(fs.readFileSync(path.join(dir, 'expect.json'), 'utf8'));
let failures = 0;
function eq(a, b, what) {
  if (JSON.stringify(a) !== JSON.stringify(b)) { failures++; console.error(`FAIL: ${what}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`); }
}

function metrics(req) {
  const out = {};
  for (const rm of req.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out[m.name] = m;
  return out;
}

// Which bucket of explicit bounds a value falls in (upper-inclusive, as OTLP counts).
function bucketOf(bounds, x) { let i = 0; while (i < bounds.length && x > bounds[i]) i++; return i; }

function check(req, enc) {
  const m = metrics(req);
  const lat = m['ex_test/latency'];
  eq(lat && lat.data, 'histogram', `${enc}: latency is a histogram`);
  const p = lat.histogram.dataPoints[0];
  const ex = p.exemplars || [];
  eq(ex.length, 2, `${enc}: latency exemplars (trace_based: sampled spans only)`);
  const byBucket = {};
  for (const e of ex) byBucket[bucketOf(p.explicitBounds, e.asDouble)] = e;
  const slow = byBucket[3];
  eq(slow && slow.spanId, expect.slow.span_id, `${enc}: +Inf bucket exemplar's span id is the slow request's`);
  eq(slow && slow.traceId, expect.slow.trace_id, `${enc}: +Inf bucket exemplar's trace id`);
  eq(slow && slow.asDouble, 2500, `${enc}: slow exemplar value`);
  eq(slow && slow.value, 'asDouble', `${enc}: slow exemplar value is as_double`);
  eq(slow && slow.filteredAttributes, [{ key: 'user', value: { stringValue: 'alice', value: 'stringValue' } }],
    `${enc}: slow exemplar filtered attributes`);
  const t = slow ? BigInt(slow.timeUnixNano) : 0n;
  if (!(t > BigInt(p.startTimeUnixNano) && t <= BigInt(p.timeUnixNano))) { failures++; console.error(`FAIL: ${enc}: exemplar time ${t} outside the point's interval`); }
  const fast = byBucket[0];
  eq(fast && fast.spanId, expect.fast[2].span_id, `${enc}: bucket 0 exemplar is the last fast span`);
  eq(fast && fast.asDouble, 5, `${enc}: fast exemplar value`);
  eq(fast && fast.filteredAttributes, undefined, `${enc}: fast exemplar has no filtered attributes (all tags are columns)`);
  for (const e of ex) {
    if (e.spanId === expect.unsampled.span_id) { failures++; console.error(`FAIL: ${enc}: unsampled span became an exemplar`); }
  }
  const req2 = m['ex_test/requests'];
  const sp = req2.sum.dataPoints[0];
  eq((sp.exemplars || []).length, 1, `${enc}: requests (Sum) has one exemplar`);
  const se = (sp.exemplars || [])[0] || {};
  eq(se.asInt, '1', `${enc}: Sum exemplar value as_int`);
  const sampled = [...expect.fast.map((f) => f.span_id), expect.slow.span_id];
  if (!sampled.includes(se.spanId)) { failures++; console.error(`FAIL: ${enc}: Sum exemplar span ${se.spanId} is not a sampled request's`); }
  const plain = m['ex_test/plain'];
  eq(plain.histogram.dataPoints[0].exemplars, undefined, `${enc}: view registered with always_off has no exemplars`);
  eq(plain.histogram.dataPoints[0].count, p.count, `${enc}: the plain view counted the same requests`);
}

check(decodeProtobuf('metrics', fs.readFileSync(path.join(dir, 'metrics.pb'))), 'protobuf');
// A delta point carries only the exemplars recorded in its interval: none in one that starts
// after every recording (late.pb), though the row keeps them.
const late = metrics(decodeProtobuf('metrics', fs.readFileSync(path.join(dir, 'late.pb'))));
const lp = late['ex_test/latency'].histogram.dataPoints[0];
eq(late['ex_test/latency'].histogram.aggregationTemporality, 1, 'late: DELTA');
eq(lp.exemplars, undefined, 'late: a delta point after every recording has no exemplars');
check(decodeJson('metrics', JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'))), 'json');
if (failures) process.exit(1);
console.log('check_exemplars: ok');
