// delta_sum.js - a receiver-side sum of OTLP delta points, as a backend that stores deltas (or
// turns them into cumulative series) would compute it, checked against what otlp_delta_app.c
// says it recorded.
//
//   node delta_sum.js --log receiver.jsonl --expected app1.json [--expected app2.json ...]
//
// Reads the requests the receiver decoded (otlp_receiver.js or grpc_receiver.js: protobufjs and
// the official .proto files) that it accepted (200, OK, partial), and for every point of the
// delta metrics adds count, sum and bucket counts per attribute set. Asserts: the counters and the
// histogram are AggregationTemporality DELTA (1), the sums monotonic; the gauge has no
// temporality and its last value is the last one recorded; no point reports an empty interval
// (count 0); each series' intervals never overlap (start >= the previous point's end, start <
// end), so no interval was counted twice; and the sums equal the totals every process recorded,
// exactly (the double sums are of 0.25 and x.5 values, exact in binary). The exponential
// histogram's deltas (ExponentialHistogram, DELTA) come at several scales as its range grows: they
// are added at the lowest scale seen (bucket i at scale s is bucket i >> (s - S) at scale S), which
// must be the highest at which every recorded value fits its 8 buckets, and the buckets must be
// those the data model's formula gives for the recorded values at that scale (index =
// ceil(log2(x) * 2^S) - 1, an exact power of two being the upper end of its bucket), with count,
// sum and zero count. Exit 0 when all hold.
'use strict';
const fs = require('fs');

const args = { expected: [] };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (k === 'expected') args.expected.push(process.argv[i + 1]); else args[k] = process.argv[i + 1];
}
let failures = 0;
function fail(msg) { failures++; console.error('FAIL: ' + msg); }
function eq(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

// The expected totals: the sum of every process's.
const want = { requests: { GET: 0, POST: 0 }, bytes: { GET: 0 }, load: 0,
  latency: { count: 0, sum: 0, buckets: [0, 0, 0, 0] }, queueLast: null, values: [] };
for (const f of args.expected) {
  const e = JSON.parse(fs.readFileSync(f, 'utf8')).expected;
  want.requests.GET += e.requests.GET; want.requests.POST += e.requests.POST;
  want.bytes.GET += e.bytes.GET; want.load += e.load;
  want.latency.count += e.latency.count; want.latency.sum += e.latency.sum;
  e.latency.buckets.forEach((b, i) => { want.latency.buckets[i] += b; });
  want.queueLast = e.queue_last; // the last process's
  want.values.push(...e.latency_values);
}

const got = { requests: {}, bytes: {}, load: 0, latency: { count: 0, sum: 0, buckets: [0, 0, 0, 0] } };
const exp = { count: 0, sum: 0, zeroCount: 0, parts: [] }; // parts: [scale, index, count]
const intervals = {}; // series -> [[start, end]]
let gauge = null; // [time, value] of the latest gauge point
const lines = fs.readFileSync(args.log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
let accepted = 0;
for (const r of lines) {
  if (r.error) { fail(`request ${r.seq} did not decode: ${r.error}`); continue; }
  if (r.signal !== 'metrics' || !/^(200|OK|partial)/.test(r.answer)) continue;
  accepted++;
  for (const rm of r.decoded.resourceMetrics || []) {
    for (const sm of rm.scopeMetrics || []) {
      for (const m of sm.metrics || []) {
        if (!m.name.startsWith('delta/')) continue;
        const data = m.sum || m.histogram || m.exponentialHistogram || m.gauge;
        if (m.name === 'delta/queue') {
          if (!m.gauge) fail('delta/queue is not a gauge');
          for (const p of data.dataPoints) {
            const t = BigInt(p.timeUnixNano);
            if (!gauge || t >= gauge[0]) gauge = [t, Number(p.asInt)];
          }
          continue;
        }
        eq(data.aggregationTemporality, 1, `${m.name} (request ${r.seq}) temporality`);
        if (m.sum) eq(m.sum.isMonotonic, true, `${m.name} isMonotonic`);
        for (const p of data.dataPoints) {
          const attrs = (p.attributes || []).map((a) => `${a.key}=${a.value.stringValue}`).join(',');
          const series = `${m.name}{${attrs}}`;
          const start = BigInt(p.startTimeUnixNano), end = BigInt(p.timeUnixNano);
          if (!(start < end)) fail(`${series}: start ${start} not before end ${end}`);
          (intervals[series] = intervals[series] || []).push([start, end, r.seq]);
          const method = attrs.replace('method=', '');
          if (m.name === 'delta/requests' || m.name === 'delta/bytes') {
            const v = Number(p.asInt);
            if (v === 0) fail(`${series}: a point with nothing in its interval (request ${r.seq})`);
            const t = m.name === 'delta/requests' ? got.requests : got.bytes;
            t[method] = (t[method] || 0) + v;
          } else if (m.name === 'delta/load') {
            got.load += p.asDouble;
          } else if (m.name === 'delta/latency') {
            if (Number(p.count) === 0) fail(`${series}: a point with count 0`);
            got.latency.count += Number(p.count);
            got.latency.sum += p.sum;
            (p.bucketCounts || []).forEach((b, i) => { got.latency.buckets[i] += Number(b); });
          } else if (m.name === 'delta/latency_exp') {
            if (!m.exponentialHistogram) fail('delta/latency_exp is not an exponentialHistogram');
            if (Number(p.count) === 0) fail(`${series}: a point with count 0`);
            exp.count += Number(p.count);
            exp.sum += p.sum;
            exp.zeroCount += Number(p.zeroCount || 0);
            const positive = p.positive || {};
            (positive.bucketCounts || []).forEach((b, i) => {
              exp.parts.push([p.scale || 0, (positive.offset || 0) + i, Number(b)]);
            });
          }
        }
      }
    }
  }
}
// No interval of a series is covered twice.
for (const [series, list] of Object.entries(intervals)) {
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < list.length; i++) {
    if (list[i][0] < list[i - 1][1]) {
      fail(`${series}: interval of request ${list[i][2]} overlaps that of request ${list[i - 1][2]}`);
    }
  }
}
eq(got.requests, want.requests, 'delta/requests sums');
eq(got.bytes, want.bytes, 'delta/bytes sums');
eq(got.load, want.load, 'delta/load sum');
eq(got.latency, want.latency, 'delta/latency count, sum and buckets');
eq(gauge ? gauge[1] : null, want.queueLast, 'delta/queue last value');
// The exponential histogram's deltas, added at the lowest scale seen.
function index(x, s) {
  const e = Math.floor(Math.log2(x));
  if (Math.pow(2, e) === x) return s >= 0 ? e * 2 ** s - 1 : Math.floor((e - 1) / 2 ** -s);
  return Math.ceil(Math.log2(x) * 2 ** s) - 1;
}
const lowest = Math.min(...exp.parts.map((q) => q[0]));
let fits = 20;
for (; fits > -10; fits--) {
  const idx = want.values.map((x) => index(x, fits));
  if (Math.max(...idx) - Math.min(...idx) + 1 <= 8) break;
}
eq(lowest, fits, 'delta/latency_exp: the lowest scale of its points');
const summed = {};
for (const [s, i, c] of exp.parts) {
  const k = Math.floor(i / 2 ** (s - lowest));
  summed[k] = (summed[k] || 0) + c;
}
const wantBuckets = {};
for (const x of want.values) { const k = index(x, lowest); wantBuckets[k] = (wantBuckets[k] || 0) + 1; }
const sorted = (o) => Object.keys(o).map(Number).sort((a, b) => a - b).filter((k) => o[k]).map((k) => [k, o[k]]);
eq(sorted(summed), sorted(wantBuckets), `delta/latency_exp buckets at scale ${lowest}`);
eq([exp.count, exp.sum, exp.zeroCount], [want.values.length, want.values.reduce((a, b) => a + b, 0), 0],
  'delta/latency_exp count, sum and zero count');
if (accepted === 0) fail('no metrics request accepted');
if (failures) { console.error(`${failures} assertion(s) failed`); process.exit(1); }
console.log(`ok: ${accepted} accepted requests sum to the recorded totals ` +
  `(${want.requests.GET} GET, ${want.requests.POST} POST, ${want.latency.count} latencies)`);
