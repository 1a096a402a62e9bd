"""The compatibility test for tracing and propagation: typical opencensus-python programs
(tests/compat/trace_programs: a request continued from a traceparent with nested spans,
attributes, an annotation, kinds, an exception, an explicit status, start_span/end_span and the
traceparent sent downstream; every propagator reading and writing its carrier) run unchanged
under opencensus 0.11.4 from PyPI and, with the import prefix changed, under census
(tests/compat/trace_runner.py). What the programs' own exporter received and what they wrote is
compared field by field; ids and times are random and clock-made in both, so they are compared
by what they name (parents by span name, the downstream traceparent by the library's own span)
and by order. Every other difference must be a row of docs/python.md's table (``allowed(n)``).
Fails on main, which has no census.trace.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import PACKAGE_DIR, REPO

RUNNER = os.path.join(PACKAGE_DIR, "tests", "compat", "trace_runner.py")
PROGRAMS = os.path.join(PACKAGE_DIR, "tests", "compat", "trace_programs")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

with open(os.path.join(REPO, "docs", "python.md")) as _f:
    DOC_ROWS = set(re.findall(r"(?m)^\| (P\d+) \|", _f.read()))


def allowed(row):
    """The difference `row` (e.g. "P32") is listed in docs/python.md's differences table."""
    assert row in DOC_ROWS, "difference %s is not in docs/python.md's table" % row
    return True


def run_both(program, tmp_path):
    out = {}
    for library in ("opencensus", "census"):
        outdir = tmp_path / library
        proc = subprocess.run([sys.executable, RUNNER, library,
                               os.path.join(PROGRAMS, program), str(outdir)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, library + ": " + proc.stderr
        with open(outdir / "trace.json") as f:
            out[library] = json.load(f)
    return out["opencensus"], out["census"]


def check_times(spans):
    """Times are opencensus-python's ISO strings; each span ends after it starts, and a child
    lies within its parent."""
    by_id = {s["span_id"]: s for s in spans}
    for s in spans:
        assert ISO.match(s["start_time"]) and ISO.match(s["end_time"]), s
        assert s["start_time"] <= s["end_time"]
        parent = by_id.get(s["parent_span_id"])
        if parent:
            assert parent["start_time"] <= s["start_time"] <= s["end_time"] <= parent["end_time"]


def test_request_spans_match_opencensus(tmp_path):
    oc, census = run_both("request_spans.py", tmp_path)
    assert [s["name"] for s in oc["spans"]] == [s["name"] for s in census["spans"]]
    assert len(census["spans"]) == 4
    names = {}
    for library, result in (("oc", oc), ("census", census)):
        names[library] = {s["span_id"]: s["name"] for s in result["spans"]}
        assert len(names[library]) == len(result["spans"]), "span ids must be unique"
        check_times(result["spans"])
    used = set()
    for o, c in zip(oc["spans"], census["spans"]):
        # The same trace (the incoming one) and the same parent: a span of the program by name,
        # else the incoming span's id itself.
        assert o["trace_id"] == c["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
        assert names["oc"].get(o["parent_span_id"], o["parent_span_id"]) == \
            names["census"].get(c["parent_span_id"], c["parent_span_id"]), o["name"]
        for field in ("span_kind", "attributes", "annotations", "tracestate"):
            assert o[field] == c[field], (o["name"], field)
        if o["status"] == c["status"]:
            continue
        # A status code other than OK and UNKNOWN reaches an exporter as UNKNOWN, its message
        # kept (census's spans keep OpenTelemetry's OK/ERROR).
        assert o["status"]["code"] not in (0, 2) and c["status"]["code"] == 2
        assert o["status"]["message"] == c["status"]["message"]
        used.add("P32")
    root = {s["name"]: s for s in census["spans"]}["GET /users"]
    assert root["parent_span_id"] == "b7ad6b7169203331"
    assert used == {"P32"} and all(allowed(r) for r in used)

    # The traceparent sent downstream names the library's own current span.
    for result in (oc, census):
        out = result["out"]
        version, trace_id, span_id, flags = out["downstream"]["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", "0af7651916cd43dd8448eb211c80319c", "01")
        assert {s["span_id"]: s["name"] for s in result["spans"]}[span_id] == "load users"
        assert out["downstream_span_is_current"] and out["current_after"]
    assert oc["out"]["downstream"]["tracestate"] == census["out"]["downstream"]["tracestate"]


def test_propagation_formats_match_opencensus(tmp_path):
    oc, census = run_both("propagation_formats.py", tmp_path)
    o, c = oc["out"], census["out"]
    assert sorted(o) == sorted(c)
    used = set()
    for key in sorted(o):
        if o[key] == c[key]:
            continue
        if key == "b3_multi_read_canonical_case":
            # A plain dict with X-B3-* in their canonical case: opencensus-python looks up
            # lowercase keys only and starts a new trace; census's header lookup ignores case.
            assert not o[key]["from_header"] and o[key]["span_id"] is None
            assert c[key] == c["b3_multi_read"] == o["b3_multi_read"]
            used.add("P40")
        elif key == "text_written":
            # The options of a context read from a traceparent: opencensus-python keeps the
            # header's hex digits ("01"), census the flags' decimal value ("1").
            assert o[key]["opencensus-trace-traceoptions"] == "01"
            assert c[key]["opencensus-trace-traceoptions"] == "1"
            assert {k: v for k, v in o[key].items() if not k.endswith("traceoptions")} == \
                {k: v for k, v in c[key].items() if not k.endswith("traceoptions")}
            used.add("P41")
        else:
            pytest.fail("%s differs: opencensus %r, census %r" % (key, o[key], c[key]))
    assert c["w3c_read"]["from_header"] and c["binary_read"] == c["w3c_read"]
    assert all(allowed(r) for r in used)
