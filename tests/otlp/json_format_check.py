#!/usr/bin/python3
"""json_format_check.py - strict proto3-JSON check of OTLP/JSON bodies with Google's reference
parser (python3-protobuf json_format) against a descriptor set that protoc built from the official
.proto files.

Usage: json_format_check.py DESCRIPTOR_SET metrics|traces FILE...
Exit 0 when every file parses with ignore_unknown_fields=False (no misspelled or unknown field, no
type error); 1 with the parser's message otherwise. Span.flags and Link.flags are newer than the
0.38.0 .proto files, so they are removed first (check_requests.js asserts them). json_format is
more lenient than OTLP (it also accepts snake_case and enum names, and reads hex ids as base64):
check_requests.js checks those rules.
"""
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format

try:
    from google.protobuf import message_factory
except ImportError:  # pragma: no cover
    message_factory = None

TYPES = {
    "metrics": "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest",
    "traces": "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
}


def message_class(pool, name):
    desc = pool.FindMessageTypeByName(name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def strip_flags(body):
    for rs in body.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                span.pop("flags", None)
                for link in span.get("links", []):
                    link.pop("flags", None)


def main():
    fds = descriptor_pb2.FileDescriptorSet()
    with open(sys.argv[1], "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    cls = message_class(pool, TYPES[sys.argv[2]])
    for path in sys.argv[3:]:
        with open(path, encoding="utf-8") as f:
            body = json.load(f)
        strip_flags(body)
        try:
            json_format.Parse(json.dumps(body), cls(), ignore_unknown_fields=False)
        except json_format.ParseError as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
