"""trace_runner.py LIBRARY PROGRAM OUTDIR: runs an opencensus-python tracing or propagation
PROGRAM under LIBRARY ("opencensus", the PyPI release, or "census", with the import prefix
changed) and writes what it produced to OUTDIR/trace.json:

- "spans": what the program's own exporter (a module-level object with a `spans` list)
  received, as plain fields of opencensus-python's SpanData (under census, after
  census.flush(): census hands spans to exporters written in Python on its export worker);
- "out": the program's OUT dict (headers it wrote, contexts it read);
- "google_spans" (opencensus only): the Cloud Trace spans opencensus-ext-stackdriver's
  StackdriverExporter built (the dicts it hands its google-cloud-trace client, which the runner
  replaces by a recorder: nothing is sent), and "google_conversion_errors": what
  google-cloud-trace's own dict-to-protobuf converter said of each (with the protobuf that pip
  installs beside opencensus-ext-stackdriver 0.8.0 today, it refuses every span that has
  attributes, so the real exporter sends nothing). Under census, StackdriverExporter sends to
  CENSUS_TEST_TRACE_ENDPOINT (the loopback Cloud Trace fake) with the token CENSUS_TEST_TOKEN;
  the test reads what the fake received.
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

google_spans = []
google_conversion_errors = []
if library == "opencensus" and "stackdriver" in source:
    # google-cloud-trace 0.24's generated code does not load under the C protobuf runtime.
    os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
    from google.cloud.trace import _gapic
    from opencensus.ext.stackdriver import trace_exporter as oc_trace_exporter

    class RecordingTraceClient(object):
        """Stands in for google.cloud.trace.client.Client: records the spans, and what
        google-cloud-trace's converter makes of them."""

        def __init__(self, project=None, *args, **kwargs):
            self.project = project

        def batch_write_spans(self, name, spans, retry=None, timeout=None):
            for span in spans["spans"]:
                google_spans.append(json.loads(json.dumps(span, default=str)))
                try:
                    _gapic._dict_mapping_to_pb(span, "Span")
                except Exception as e:
                    google_conversion_errors.append(str(e))

    oc_trace_exporter.Client = RecordingTraceClient
elif os.environ.get("CENSUS_TEST_TRACE_ENDPOINT"):
    from census.ext.stackdriver import trace_exporter as census_trace_exporter
    census_start = census_trace_exporter.StackdriverExporter._start

    def test_endpoint_start(self):
        self.census_options.update(trace_endpoint=os.environ["CENSUS_TEST_TRACE_ENDPOINT"],
                                   access_token=os.environ["CENSUS_TEST_TOKEN"])
        return census_start(self)
    census_trace_exporter.StackdriverExporter._start = test_endpoint_start

module = {"__name__": "__main__", "__file__": program}
exec(compile(source, program, "exec"), module)

if library == "census":
    sys.modules["census"].flush(10)
else:
    for value in list(module.values()):
        transport = getattr(value, "transport", None)
        if transport is not None and hasattr(transport, "flush"):
            transport.flush()


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
          "out": plain(module.get("OUT", {})), "google_spans": google_spans,
          "google_conversion_errors": google_conversion_errors}
with open(os.path.join(outdir, "trace.json"), "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)
