// protojson_descriptor.js <protos.json> <out.pb> - converts a protobufjs JSON descriptor (what
// some npm packages, e.g. @google-cloud/opentelemetry-cloud-trace-exporter, ship instead of
// .proto files) into a binary google.protobuf.FileDescriptorSet for check_proto_json.py.
// protobufjs's converter (protobufjs/ext/descriptor) writes type names as found in the JSON
// (relative) and one file per package without dependencies; so we first qualify every type
// reference, then drop the google.protobuf / google.rpc / google.api files (the checker takes
// the real ones from a protoc-built set, wkt.pb, which must come first on its command line) and
// declare them as dependencies of what remains.
'use strict';
const fs = require('fs');
const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');
const [input, output] = process.argv.slice(2);
const root = protobuf.Root.fromJSON(JSON.parse(fs.readFileSync(input, 'utf8')));
root.resolveAll();
(function qualify(ns) {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) {
      for (const f of obj.fieldsArray) if (f.resolvedType) f.type = f.resolvedType.fullName;
    }
    if (obj instanceof protobuf.Service) {
      for (const m of obj.methodsArray) {
        m.requestType = m.resolvedRequestType ? m.resolvedRequestType.fullName : m.requestType;
        m.responseType = m.resolvedResponseType ? m.resolvedResponseType.fullName : m.responseType;
      }
    }
    if (obj.nestedArray) qualify(obj);
  }
})(root);
const set = root.toDescriptor('proto3');
// Map fields: protobufjs names the entry type after the field ("AttributeMap") with a relative
// value type; protobuf requires "<CamelField>Entry" and resolvable names.
function fixMaps(msg, fullName) {
  for (const nested of msg.nestedType || []) fixMaps(nested, fullName + '.' + nested.name);
  for (const field of msg.field || []) {
    const entry = (msg.nestedType || []).find((n) => n.name === field.typeName && n.options && n.options.mapEntry);
    if (!entry) continue;
    entry.name = field.name.charAt(0).toUpperCase() + field.name.slice(1) + 'Entry';
    field.typeName = '.' + fullName + '.' + entry.name;
    for (const ef of entry.field) {
      if (ef.typeName && ef.typeName.charAt(0) !== '.') {
        const t = root.lookup(fullName).lookupTypeOrEnum(ef.typeName);
        ef.typeName = t.fullName;
      }
    }
  }
}
for (const f of set.file) for (const m of f.messageType) fixMaps(m, (f.package ? f.package + '.' : '') + m.name);
const external = /^google\.(protobuf|rpc|api)(\.|$)/;
set.file = set.file.filter((f) => !external.test(f.package || ''));
for (const f of set.file) {
  f.dependency = ['google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto',
    'google/protobuf/empty.proto', 'google/protobuf/any.proto', 'google/rpc/status.proto'];
}
fs.writeFileSync(output, descriptor.FileDescriptorSet.encode(set).finish());
