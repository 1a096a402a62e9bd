// otlp_receiver.js - an OTLP/HTTP receiver for tests, on 127.0.0.1 (port chosen by the OS, or
// --port N; printed as {"port": N} on stdout).
//
// Every request is checked (POST, /v1/metrics or /v1/traces, Content-Type), un-gzipped when
// Content-Encoding says so, decoded by otlp_decode.js (protobufjs + the official .proto files)
// and appended as one JSON line to --out: {seq, path, signal, contentType, contentEncoding,
// userAgent, apiKey, encoding, rawFile, rawJson (JSON requests), decoded, answer}. The body as
// received (after gunzip) goes to --raw-dir/<seq>.bin for protoc --decode_raw.
//
// Answers follow a per-signal script (--metrics-script / --traces-script), a comma list consumed
// one per request, then 200 for the rest:
//   200            empty Export*ServiceResponse (full success)
//   503 | 502 | 504 | 500 | 400   google.rpc.Status {code, message} in the request's encoding
//   429:S          429 with Retry-After: S (seconds)
//   503:S          503 with Retry-After: S
//   hang           never answer (the client times out)
//   slow:MS        200 as above, MS milliseconds after the request arrived (a healthy backend
//                  with latency)
//   partial:N:MSG  200 with partial_success {rejected_*: N, error_message: MSG}
// A request that does not decode is answered 400 and recorded with "error".
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const { decodeProtobuf, decodeJson } = require('./otlp_decode');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const out = args.out;
const rawDir = args['raw-dir'];
const scripts = {
  metrics: (args['metrics-script'] || '').split(',').filter(Boolean),
  traces: (args['traces-script'] || '').split(',').filter(Boolean),
};
let seq = 0;
const hanging = [];

// google.rpc.Status in protobuf, by hand: field 1 int32 code, field 2 string message.
function statusProtobuf(code, message) {
  const m = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from([0x08, code, 0x12]), varint(m.length), m]);
}

// Export*ServiceResponse with partial_success, by hand: the 0.38.0 .proto files predate the
// field. Field 1 (message) { 1: int64 rejected_*, 2: string error_message }.
function varint(n) {
  const out = [];
  let v = BigInt(n);
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}
function partialProtobuf(n, msg) {
  const m = Buffer.from(msg, 'utf8');
  const inner = Buffer.concat([Buffer.from([0x08]), varint(n), Buffer.from([0x12]), varint(m.length), m]);
  return Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
}

function answer(res, signal, json, action) {
  const ct = json ? 'application/json' : 'application/x-protobuf';
  const parts = action.split(':');
  const kind = parts[0];
  if (kind === 'hang') { hanging.push(res); return; }
  if (kind === 'slow') { setTimeout(() => answer(res, signal, json, '200'), Number(parts[1])); return; }
  if (kind === '200') {
    res.writeHead(200, { 'Content-Type': ct });
    res.end(json ? '{}' : Buffer.alloc(0));
    return;
  }
  if (kind === 'partial') {
    const n = Number(parts[1]);
    const msg = parts.slice(2).join(':');
    const field = signal === 'metrics' ? 'rejectedDataPoints' : 'rejectedSpans';
    let body;
    if (json) body = JSON.stringify({ partialSuccess: { [field]: String(n), errorMessage: msg } });
    else body = partialProtobuf(n, msg);
    res.writeHead(200, { 'Content-Type': ct });
    res.end(body);
    return;
  }
  const status = Number(kind);
  const headers = { 'Content-Type': ct };
  if (parts[1] !== undefined) headers['Retry-After'] = parts[1];
  const message = `scripted ${status}`;
  res.writeHead(status, headers);
  res.end(json ? JSON.stringify({ code: 14, message }) : statusProtobuf(14, message));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const n = ++seq;
    const rec = { seq: n, method: req.method, path: req.url, contentType: req.headers['content-type'],
      contentEncoding: req.headers['content-encoding'] || null, userAgent: req.headers['user-agent'],
      apiKey: req.headers['x-api-key'] || null, time: Date.now() };
    const signal = req.url === '/v1/metrics' ? 'metrics' : req.url === '/v1/traces' ? 'traces' : null;
    rec.signal = signal;
    const json = rec.contentType === 'application/json';
    let body = Buffer.concat(chunks);
    try {
      if (req.method !== 'POST') throw new Error(`method ${req.method}`);
      if (!signal) throw new Error(`path ${req.url}`);
      if (!json && rec.contentType !== 'application/x-protobuf') throw new Error(`content-type ${rec.contentType}`);
      if (rec.contentEncoding === 'gzip') body = zlib.gunzipSync(body);
      else if (rec.contentEncoding) throw new Error(`content-encoding ${rec.contentEncoding}`);
      if (rawDir) { rec.rawFile = path.join(rawDir, `${n}.${json ? 'json' : 'bin'}`); fs.writeFileSync(rec.rawFile, body); }
      rec.encoding = json ? 'json' : 'protobuf';
      if (json) {
        rec.rawJson = JSON.parse(body.toString('utf8'));
        rec.decoded = decodeJson(signal, rec.rawJson);
      } else {
        rec.decoded = decodeProtobuf(signal, body);
      }
    } catch (e) {
      rec.error = String(e.message || e);
      rec.answer = '400';
      fs.appendFileSync(out, JSON.stringify(rec) + '\n');
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(rec.error);
      return;
    }
    rec.answer = scripts[signal].length ? scripts[signal].shift() : '200';
    fs.appendFileSync(out, JSON.stringify(rec) + '\n');
    answer(res, signal, json, rec.answer);
  });
});
server.listen(Number(args.port || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
const stop = () => { hanging.forEach((r) => r.destroy()); server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
