// exit_summary.js - what otlp_receiver.js decoded (protobufjs + the official OTLP .proto files,
// see otlp_decode.js), summed per producing process, for otlp_exit_test.sh.
//
//   node exit_summary.js RECEIVER_LOG
// prints one JSON object keyed by the resource's process.pid (as a string; "none" when absent):
//   {"<pid>": {"metrics_requests": delivered metrics requests,
//              "points": data points in the last delivered metrics request (all views),
//              "count": the sum of exit/count's points in it, "sum": the sum of exit/sum's,
//              "count_rows": exit/count's points in it,
//              "traces_requests": delivered traces requests, "spans": spans in them,
//              "span_names": {name: spans}, "distinct_spans": distinct span ids,
//              "service": service.name}}
// "Delivered" is what the receiver answered with success (200 or slow:N); metrics are cumulative,
// so the last delivered request of a process holds its totals. A request that did not decode is
// an error (exit status 1), as is any request whose resource has no service.name.
'use strict';
const fs = require('fs');

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const out = {};
let bad = 0;
function attr(list, key) {
  const kv = (list || []).find((a) => a.key === key);
  if (!kv) return undefined;
  return kv.value.stringValue !== undefined ? kv.value.stringValue : kv.value.intValue;
}
for (const r of lines) {
  if (r.error) { console.error(`request ${r.seq} did not decode: ${r.error}`); bad++; continue; }
  if (!/^(200|slow)/.test(r.answer)) continue;
  const top = r.signal === 'metrics' ? r.decoded.resourceMetrics : r.decoded.resourceSpans;
  for (const rx of top || []) {
    const res = (rx.resource && rx.resource.attributes) || [];
    const pid = String(attr(res, 'process.pid') || 'none');
    const service = attr(res, 'service.name');
    if (!service) { console.error(`request ${r.seq}: no service.name`); bad++; }
    const o = out[pid] || (out[pid] = { metrics_requests: 0, points: 0, count: 0, sum: 0, count_rows: 0,
      traces_requests: 0, spans: 0, span_names: {}, distinct_spans: 0, service, ids: new Set() });
    if (r.signal === 'metrics') {
      o.metrics_requests++;
      o.points = 0; o.count = 0; o.sum = 0; o.count_rows = 0;
      for (const sm of rx.scopeMetrics || []) {
        for (const m of sm.metrics || []) {
          const pts = (m[m.data] || {}).dataPoints || [];
          o.points += pts.length;
          const total = pts.reduce((a, p) => a + Number(p.asInt || 0), 0);
          if (m.name === 'exit/count') { o.count = total; o.count_rows = pts.length; }
          if (m.name === 'exit/sum') o.sum = total;
        }
      }
    } else {
      o.traces_requests++;
      for (const ss of rx.scopeSpans || []) {
        for (const s of ss.spans || []) {
          o.spans++;
          o.span_names[s.name] = (o.span_names[s.name] || 0) + 1;
          o.ids.add(s.spanId);
        }
      }
    }
  }
}
for (const o of Object.values(out)) { o.distinct_spans = o.ids.size; delete o.ids; }
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(bad ? 1 : 0);
