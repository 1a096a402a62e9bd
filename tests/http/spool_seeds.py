#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/spool/: spool files made from the format as documented in
docs/exporters/http-delivery.md ("Spool"), with Python's struct and zlib, independently of
exporters/http/spool.c. unit_http_spool checks that the C parser reads them as written, and
fuzz_spool starts from them. Run from the repository root; the output is committed."""
import os
import struct
import zlib


def encode(created, identity, items, sender, service, ctype, cenc, body, version=1):
    strs = [s.encode() for s in (sender, service, ctype, cenc)]
    header_len = 64 + sum(len(s) for s in strs)
    header = (b"CNSSPOOL" + struct.pack("<HHI", version, header_len, 0) +
              struct.pack("<qQQQ", created, identity, items, len(body)) +
              struct.pack("<HHHH", *[len(s) for s in strs]) + b"\0" * 8 + b"".join(strs))
    crc = zlib.crc32(header + body)  # with the CRC field zero
    return header[:12] + struct.pack("<I", crc) + header[16:] + body


def main():
    d = "tests/fuzz/corpus/spool"
    os.makedirs(d, exist_ok=True)
    files = {
        "metrics_protobuf": encode(1700000000000000000, 0x1234, 12, "otlp metrics", "checkout",
                                   "application/x-protobuf", "", bytes(range(64))),
        "traces_gzip_json": encode(1700000000123456789, 0xfeed, 3, "otlp traces", "svc",
                                   "application/json", "gzip",
                                   zlib.compress(b'{"resourceSpans":[]}')),
        "empty_body": encode(1, 1, 0, "zipkin", "", "application/json", "", b""),
        "newer_version": encode(5, 5, 5, "x", "y", "z", "", b"abc", version=2),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
