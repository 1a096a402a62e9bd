"""trace_runner.py LIBRARY PROGRAM OUTDIR: runs an opencensus-python tracing or propagation
PROGRAM under LIBRARY ("opencensus", the PyPI release, or "census", with the import prefix
changed) and writes what it produced to OUTDIR/trace.json:

- "spans": what the program's own exporter (a module-level object with a `spans` list)
  received, as plain fields of opencensus-python's SpanData (under census, after
  census.flush(): census hands spans to exporters written in Python on its export worker);
- "out": the program's OUT dict (headers it wrote, contexts it read).
"""

import json
import os
import re
import sys

library, program, outdir = sys.argv[1:4]
os.makedirs(outdir, exist_ok=True)
with open(program) as f:
    source = f.read()
if library == "census":
    source = re.sub(r"(?m)^(\s*(?:from|import)\s+)opencensus\b", r"\1census", source)

module = {"__name__": "__main__", "__file__": program}
exec(compile(source, program, "exec"), module)

if library == "census":
    sys.modules["census"].flush(10)


def plain(value):
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def span_fields(sd):
    annotations = [{"description": a.description,
                    "attributes": plain(a.attributes.attributes if a.attributes else {})}
                   for a in (sd.annotations or [])]
    return {
        "name": sd.name,
        "trace_id": sd.context.trace_id,
        "span_id": sd.span_id,
        "parent_span_id": sd.parent_span_id,
        "span_kind": sd.span_kind,
        "attributes": plain(sd.attributes or {}),
        "annotations": annotations,
        "status": None if sd.status is None else {"code": sd.status.code,
                                                  "message": sd.status.message},
        "start_time": sd.start_time,
        "end_time": sd.end_time,
        "tracestate": plain(getattr(sd.context, "tracestate", None)),
    }


collectors = [v for v in module.values() if isinstance(getattr(v, "spans", None), list)]
result = {"spans": [span_fields(sd) for sd in collectors[0].spans] if collectors else [],
          "out": plain(module.get("OUT", {}))}
with open(os.path.join(outdir, "trace.json"), "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)
