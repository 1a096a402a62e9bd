// check_exponential.js DIR - decodes otlp_exp_app's bodies (DIR/metrics.pb and DIR/metrics.json)
// with protobufjs and the official .proto files (otlp_decode.js: ExponentialHistogramDataPoint)
// and checks each point against what this script computes from the recorded values
// (DIR/values.json) by OpenTelemetry's definition, independently of census: at scale s bucket i
// holds (2^(i/2^s), 2^((i+1)/2^s)], so index(x) = ceil(log2(x) * 2^s) - 1 (an exact power of two
// is the upper end of its bucket); the scale is the highest <= max_scale at which the positive
// values span at most max_size buckets; zeros are counted apart (zero threshold 0). The recorded
// values are far from every boundary at the scales reached, so Math.log2 decides them.
// Also: the metric is an exponentialHistogram with CUMULATIVE temporality, count, sum, min and max
// are the values', bucket_counts runs from the first to the last non-empty bucket.
'use strict';
const fs = require('fs');
const path = require('path');
const { decodeProtobuf, decodeJson } = require('./otlp_decode');

const dir = process.argv[2];
const spec = JSON.parse(fs.readFileSync(path.join(dir, 'values.json'), 'utf8'));
let failures = 0;
function eq(a, b, what) {
  if (JSON.stringify(a) !== JSON.stringify(b)) { failures++; console.error(`FAIL: ${what}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`); }
}

function index(x, s) {
  const e = Math.floor(Math.log2(x));
  if (Math.pow(2, e) === x) return s >= 0 ? e * 2 ** s - 1 : Math.floor((e - 1) / 2 ** -s);
  return Math.ceil(Math.log2(x) * 2 ** s) - 1;
}

function expected(values) {
  const pos = values.filter((x) => x > 0);
  let s = spec.max_scale;
  for (; s > -10; s--) {
    const idx = pos.map((x) => index(x, s));
    if (!idx.length || Math.max(...idx) - Math.min(...idx) + 1 <= spec.max_size) break;
  }
  const out = { count: String(values.length), sum: values.reduce((a, b) => a + b, 0),
    zeroCount: String(values.filter((x) => x === 0).length), min: Math.min(...values),
    max: Math.max(...values) };
  if (pos.length) {
    const idx = pos.map((x) => index(x, s));
    const lo = Math.min(...idx), hi = Math.max(...idx);
    const counts = new Array(hi - lo + 1).fill(0);
    idx.forEach((i) => { counts[i - lo]++; });
    out.scale = s;
    out.offset = lo;
    out.bucketCounts = counts.map(String);
  }
  return out;
}

for (const [file, decode] of [['metrics.pb', (b) => decodeProtobuf('metrics', b)],
  ['metrics.json', (b) => decodeJson('metrics', JSON.parse(b.toString('utf8')))]]) {
  const req = decode(fs.readFileSync(path.join(dir, file)));
  const metric = req.resourceMetrics[0].scopeMetrics[0].metrics.find((m) => m.name === 'exp_test/latency');
  eq(metric.data, 'exponentialHistogram', `${file}: the metric's data`);
  eq(metric.unit, 'ms', `${file}: unit`);
  const h = metric.exponentialHistogram;
  eq(h.aggregationTemporality, 2, `${file}: temporality`);
  const seen = {};
  for (const p of h.dataPoints) {
    const method = p.attributes[0].value.stringValue;
    seen[method] = true;
    const want = expected(spec.series[method]);
    const got = { count: p.count, sum: p.sum, zeroCount: p.zeroCount || '0', min: p.min, max: p.max };
    if (want.scale !== undefined) {
      got.scale = p.scale || 0;
      got.offset = (p.positive && p.positive.offset) || 0;
      got.bucketCounts = (p.positive && p.positive.bucketCounts) || [];
    }
    eq(got, want, `${file}: ${method} point`);
  }
  eq(Object.keys(seen).sort(), ['GET', 'POST', 'PUT'], `${file}: series`);
}
if (failures) { console.error(`${failures} assertion(s) failed`); process.exit(1); }
console.log('ok: exponential histogram points decoded by the official definitions match the definition');
