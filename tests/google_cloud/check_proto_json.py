#!/usr/bin/python3
"""check_proto_json.py <descriptor_set.pb[:more.pb...]> <full message type> [--jsonl] < body

Checks that a REST JSON body is valid proto3 JSON for the given message type, with Google's own
parser (python3-protobuf's json_format.Parse, ignore_unknown_fields=False): unknown or misspelled
fields, wrong JSON types, bad enum names, malformed int64 strings and RFC 3339 timestamps all
fail. The descriptor sets come from protoc (--include_imports) or protojson_descriptor.js; several
sets separated by ':' are loaded in order (dependencies first; a file already loaded is skipped).
With --jsonl, stdin holds one JSON body per line and each is checked.
Exit 0: valid. Exit 1: the parser's message on stderr (with the line number in --jsonl mode).
Run it with Debian's /usr/bin/python3 (the one that has python3-protobuf).
"""
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format

try:
    from google.protobuf import message_factory
    _get_class = getattr(message_factory, "GetMessageClass", None)
except ImportError:  # pragma: no cover
    _get_class = None


def message_class(pool, name):
    desc = pool.FindMessageTypeByName(name)
    if _get_class is not None:
        return _get_class(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    jsonl = "--jsonl" in sys.argv[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    pool = descriptor_pool.DescriptorPool()
    seen = set()
    for path in args[0].split(":"):
        fds = descriptor_pb2.FileDescriptorSet()
        with open(path, "rb") as f:
            fds.ParseFromString(f.read())
        for fd in fds.file:
            if fd.name not in seen:
                seen.add(fd.name)
                pool.Add(fd)
    cls = message_class(pool, args[1])
    data = sys.stdin.read()
    bodies = [l for l in data.splitlines() if l.strip()] if jsonl else [data]
    if not bodies:
        print("no body on stdin", file=sys.stderr)
        return 1
    for n, body in enumerate(bodies, 1):
        try:
            # The pool also resolves google.protobuf.Any values (exemplar attachments).
            json_format.Parse(body, cls(), ignore_unknown_fields=False, descriptor_pool=pool)
        except json_format.ParseError as e:
            where = " (line %d)" % n if jsonl else ""
            print("invalid %s%s: %s" % (args[1], where, e), file=sys.stderr)
            return 1
    print("%d valid %s" % (len(bodies), args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
