#!/usr/bin/env node
// Writes the Cloud Trace v2 message definitions, as Google publishes them in the protobufjs JSON
// descriptor shipped by npm @google-cloud/opentelemetry-cloud-trace-exporter
// (build/protos/protos.json), back out as a .proto file, so that protoc can compile it (with the
// google/protobuf and google/rpc imports from google-gax) into a descriptor set for the strict
// proto3-JSON checker. Only the google.devtools.cloudtrace.v2 messages and enums are written
// (services and options are not needed to validate a request body). Every field keeps its
// name, number, type, label, map key type and oneof membership, so the checker sees exactly
// Google's schema.
//   node cloud_trace_proto.js <protos.json> > cloudtrace_v2.proto
'use strict';
const fs = require('fs');
const json = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pkg = ['google', 'devtools', 'cloudtrace', 'v2'];
let ns = json;
for (const p of pkg) ns = ns.nested[p];

// Type references in protos.json are relative to the enclosing scope (e.g. "protobuf.Timestamp",
// "rpc.Status", "TruncatableString"); protoc resolves them the same way, except that
// "protobuf.X" and "rpc.X" must be spelled from the google package.
const qualify = (t) => (/^(protobuf|rpc)\./.test(t) ? 'google.' + t : t);

function emitEnum(name, e, indent) {
  const out = [`${indent}enum ${name} {`];
  for (const [k, v] of Object.entries(e.values)) out.push(`${indent}  ${k} = ${v};`);
  out.push(`${indent}}`);
  return out;
}

function emitMessage(name, m, indent) {
  const out = [`${indent}message ${name} {`];
  const inOneof = {};
  for (const [oname, o] of Object.entries(m.oneofs || {})) for (const f of o.oneof) inOneof[f] = oname;
  const field = (fname, f, ind) => {
    const t = qualify(f.type);
    if (f.keyType) return `${ind}map<${f.keyType}, ${t}> ${fname} = ${f.id};`;
    const label = f.rule === 'repeated' ? 'repeated ' : '';
    return `${ind}${label}${t} ${fname} = ${f.id};`;
  };
  for (const [fname, f] of Object.entries(m.fields || {}))
    if (!inOneof[fname]) out.push(field(fname, f, indent + '  '));
  for (const [oname, o] of Object.entries(m.oneofs || {})) {
    out.push(`${indent}  oneof ${oname} {`);
    for (const fname of o.oneof) out.push(field(fname, m.fields[fname], indent + '    '));
    out.push(`${indent}  }`);
  }
  for (const [nname, n] of Object.entries(m.nested || {})) {
    if (n.values) out.push(...emitEnum(nname, n, indent + '  '));
    else if (n.fields) out.push(...emitMessage(nname, n, indent + '  '));
  }
  out.push(`${indent}}`);
  return out;
}

const lines = [
  'syntax = "proto3";',
  `package ${pkg.join('.')};`,
  'import "google/protobuf/timestamp.proto";',
  'import "google/protobuf/wrappers.proto";',
  'import "google/rpc/status.proto";',
];
for (const [name, n] of Object.entries(ns.nested)) {
  if (n.values) lines.push(...emitEnum(name, n, ''));
  else if (n.fields) lines.push(...emitMessage(name, n, ''));
}
process.stdout.write(lines.join('\n') + '\n');
