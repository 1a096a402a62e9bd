// otlp_decode.js - decodes OTLP request bodies with protobufjs and the official .proto files
// (npm @opentelemetry/otlp-grpc-exporter-base@0.38.0, build/protos), an implementation
// independent of census. Both encodings end in the same canonical object, so tests assert one
// shape:
//   protobuf: Type.decode(body)
//   JSON:     hex ids -> bytes, then Type.fromObject(json) (protobufjs's proto3-JSON reader)
// then toObject({longs: String, enums: Number, bytes: String, oneofs: true, defaults: false}) with
// trace/span ids turned back into lowercase hex. Keys are lowerCamelCase (protobufjs default).
// Fields newer than these .proto files (Span.flags = 16, Link.flags = 6) are unknown to them and
// are checked with `protoc --decode_raw` instead.
'use strict';
const path = require('path');
const protobuf = require('protobufjs');

const PROTO_ROOT = path.join(__dirname, '..', 'interop', 'node_modules', '@opentelemetry',
  'otlp-grpc-exporter-base', 'build', 'protos');
const FILES = {
  metrics: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  traces: 'opentelemetry/proto/collector/trace/v1/trace_service.proto',
};
const REQUEST = {
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
};
const RESPONSE = {
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
};
const ID_KEYS = /^(traceId|spanId|parentSpanId)$/;

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
root.loadSync([FILES.metrics, FILES.traces]);

function type(signal) { return root.lookupType(REQUEST[signal]); }
function responseType(signal) { return root.lookupType(RESPONSE[signal]); }

// Walks an object, applying fn(key, value) -> new value to every id field.
function mapIds(o, fn) {
  if (Array.isArray(o)) { o.forEach((x) => mapIds(x, fn)); return o; }
  if (o && typeof o === 'object') {
    for (const k of Object.keys(o)) {
      if (ID_KEYS.test(k) && typeof o[k] === 'string') o[k] = fn(o[k]);
      else mapIds(o[k], fn);
    }
  }
  return o;
}

function canonical(T, msg) {
  const obj = T.toObject(msg, { longs: String, enums: Number, bytes: String, oneofs: true });
  return mapIds(obj, (b64) => Buffer.from(b64, 'base64').toString('hex'));
}

// Decodes a binary body; throws on malformed input.
function decodeProtobuf(signal, body) {
  const T = type(signal);
  return canonical(T, T.decode(body));
}

// Reads an OTLP/JSON body (already parsed); hex ids must be hex (32/16 chars) or this throws.
function decodeJson(signal, json) {
  const copy = JSON.parse(JSON.stringify(json));
  mapIds(copy, (hex) => {
    if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`id is not lowercase hex: ${hex}`);
    return Buffer.from(hex, 'hex').toString('base64');
  });
  // No T.verify(): it wants numbers for 64-bit fields, while proto3 JSON (and OTLP/JSON) writes
  // them as strings, which fromObject reads. Strict structure is python json_format's job.
  const T = type(signal);
  return canonical(T, T.fromObject(copy));
}

module.exports = { PROTO_ROOT, FILES, REQUEST, decodeProtobuf, decodeJson, responseType, root };
