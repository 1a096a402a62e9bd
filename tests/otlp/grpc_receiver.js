// grpc_receiver.js - a real gRPC server for the OTLP/gRPC tests, on 127.0.0.1 (port chosen by the
// OS; printed as {"port": N} on stdout): npm @grpc/grpc-js (HTTP/2, framing, gzip, trailers: an
// implementation independent of census) serving the official OTLP service definitions
// (MetricsService and TraceService from opentelemetry-proto, as shipped in npm
// @opentelemetry/otlp-grpc-exporter-base@0.38.0) loaded by @grpc/proto-loader. Only what grpc-js
// routes to those services' Export methods is recorded: a wrong path, an HTTP/1.1 request, a bad
// frame or a message that does not decode never reaches a handler.
//
// Every call is appended as one JSON line to --out, in the shape otlp_receiver.js writes (so
// check_requests.js reads both): {seq, method, path, signal, contentType, grpcEncoding (the
// encoding grpc-js decompressed the message with; null for an uncompressed one), deadlineMs (what
// is left of the call's grpc-timeout), userAgent, apiKey, encoding: "grpc", rawFile, decoded,
// answer}. `decoded` is otlp_decode.js's canonical
// object of the message as grpc-js handed it over (after its own gunzip); the message itself goes
// to --raw-dir/<seq>.bin.
//
// Answers follow a per-signal script (--metrics-script / --traces-script), a comma list consumed
// one per call, then OK for the rest:
//   OK                      an empty Export*ServiceResponse
//   partial:N:MSG           OK with partial_success {rejected_*: N, error_message: MSG}
//   UNAVAILABLE             status 14
//   EXHAUSTED:MS            RESOURCE_EXHAUSTED with a google.rpc.RetryInfo {retry_delay: MS ms}
//                           in grpc-status-details-bin (google-gax's google/rpc protos encode it)
//   EXHAUSTED               RESOURCE_EXHAUSTED without RetryInfo (not retryable)
//   INVALID                 INVALID_ARGUMENT with a message that needs percent-encoding
//   hang                    never answer
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const { decodeProtobuf } = require('./otlp_decode');

const NODE_MODULES = path.join(__dirname, '..', 'interop', 'node_modules');
const PROTO_ROOT = path.join(NODE_MODULES, '@opentelemetry', 'otlp-grpc-exporter-base', 'build', 'protos');
const GAX_PROTOS = path.join(NODE_MODULES, 'google-gax', 'build', 'protos');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const scripts = {
  metrics: (args['metrics-script'] || '').split(',').filter(Boolean),
  traces: (args['traces-script'] || '').split(',').filter(Boolean),
};
let seq = 0;
const hanging = [];

// How grpc-js decoded the last message: the encoding it decompressed with ('identity' when the
// message's compressed flag was 0, else the call's grpc-encoding), taken from its own
// decompression step (grpc-js removes grpc-encoding from the metadata a handler sees).
let lastMessageEncoding = null;
const { BaseServerInterceptingCall } = require('@grpc/grpc-js/build/src/server-interceptors');
const decompress = BaseServerInterceptingCall.prototype.decompressMessage;
BaseServerInterceptingCall.prototype.decompressMessage = function (message, encoding) {
  lastMessageEncoding = encoding;
  return decompress.call(this, message, encoding);
};

// google.rpc.Status with a RetryInfo detail, encoded by protobufjs from Google's own definitions.
const rpc = new protobuf.Root();
rpc.resolvePath = (_o, target) => path.join(GAX_PROTOS, target);
rpc.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
function statusWithRetryInfo(code, message, delayMs) {
  const RetryInfo = rpc.lookupType('google.rpc.RetryInfo');
  const Status = rpc.lookupType('google.rpc.Status');
  const retry = RetryInfo.encode(RetryInfo.create({
    retryDelay: { seconds: Math.floor(delayMs / 1000), nanos: (delayMs % 1000) * 1e6 } })).finish();
  return Buffer.from(Status.encode(Status.create({ code, message, details: [{
    type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: retry }] })).finish());
}

// ExportXServiceResponse with partial_success, by hand: the 0.38.0 .proto files predate it.
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

const definition = protoLoader.loadSync([
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
], { includeDirs: [PROTO_ROOT], keepCase: false, longs: String, enums: Number, defaults: false });
const pkg = grpc.loadPackageDefinition(definition);

// The service as proto-loader defines it, with the raw message kept beside the decoded one and a
// response that may be given as raw bytes (partial success).
function service(svc) {
  const m = svc.service.Export;
  const Export = Object.assign({}, m, {
    requestDeserialize: (buf) => ({ raw: Buffer.from(buf), message: m.requestDeserialize(buf) }),
    responseSerialize: (v) => (Buffer.isBuffer(v) ? v : m.responseSerialize(v)),
  });
  return { Export };
}

function handler(signal) {
  return (call, callback) => {
    const n = ++seq;
    const md = call.metadata;
    const first = (k) => (md.get(k).length ? String(md.get(k)[0]) : null);
    const rec = { seq: n, method: 'POST', path: call.getPath(), signal, contentType: 'application/grpc',
      grpcEncoding: lastMessageEncoding === 'identity' ? null : lastMessageEncoding,
      deadlineMs: call.getDeadline() === Infinity ? null : call.getDeadline() - Date.now(), userAgent: first('user-agent'), apiKey: first('x-api-key'),
      encoding: 'grpc', time: Date.now() };
    try {
      if (args['raw-dir']) { rec.rawFile = path.join(args['raw-dir'], `${n}.bin`); fs.writeFileSync(rec.rawFile, call.request.raw); }
      rec.decoded = decodeProtobuf(signal, call.request.raw);
    } catch (e) {
      rec.error = String(e.message || e);
    }
    rec.answer = scripts[signal].length ? scripts[signal].shift() : 'OK';
    fs.appendFileSync(args.out, JSON.stringify(rec) + '\n');
    const [kind, ...rest] = rec.answer.split(':');
    if (kind === 'hang') { hanging.push(callback); return; }
    if (kind === 'OK') { callback(null, {}); return; }
    if (kind === 'partial') { callback(null, partialProtobuf(Number(rest[0]), rest.slice(1).join(':'))); return; }
    if (kind === 'UNAVAILABLE') { callback({ code: grpc.status.UNAVAILABLE, details: 'scripted unavailable' }); return; }
    if (kind === 'INVALID') { callback({ code: grpc.status.INVALID_ARGUMENT, details: 'bad data: 100% wrong\n"x"' }); return; }
    if (kind === 'EXHAUSTED') {
      const err = { code: grpc.status.RESOURCE_EXHAUSTED, details: 'scripted quota' };
      if (rest.length) {
        err.metadata = new grpc.Metadata();
        err.metadata.set('grpc-status-details-bin',
          statusWithRetryInfo(grpc.status.RESOURCE_EXHAUSTED, 'scripted quota', Number(rest[0])));
      }
      callback(err);
      return;
    }
    callback({ code: grpc.status.INTERNAL, details: `unknown script step ${rec.answer}` });
  };
}

const server = new grpc.Server();
server.addService(service(pkg.opentelemetry.proto.collector.metrics.v1.MetricsService), { Export: handler('metrics') });
server.addService(service(pkg.opentelemetry.proto.collector.trace.v1.TraceService), { Export: handler('traces') });
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify({ port }) + '\n');
});
const stop = () => { server.forceShutdown(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
