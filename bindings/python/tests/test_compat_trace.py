"""The compatibility test for tracing and propagation: typical opencensus-python programs
(tests/compat/trace_programs: a request continued from a traceparent with nested spans,
attributes, an annotation, kinds, an exception, an explicit status, start_span/end_span and the
traceparent sent downstream; every propagator reading and writing its carrier; tracing to
Stackdriver, where census's Cloud Trace bodies meet the loopback Cloud Trace fake) run unchanged
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
from node_receivers import receiver, requests_of

RUNNER = os.path.join(PACKAGE_DIR, "tests", "compat", "trace_runner.py")
PROGRAMS = os.path.join(PACKAGE_DIR, "tests", "compat", "trace_programs")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

with open(os.path.join(REPO, "docs", "python.md")) as _f:
    DOC_ROWS = set(re.findall(r"(?m)^\| (P\d+) \|", _f.read()))


def allowed(row):
    """The difference `row` (e.g. "P32") is listed in docs/python.md's differences table."""
    assert row in DOC_ROWS, "difference %s is not in docs/python.md's table" % row
    return True


def run_both(program, tmp_path, census_env=None):
    out = {}
    for library in ("opencensus", "census"):
        outdir = tmp_path / library
        env = dict(os.environ, **(census_env or {})) if library == "census" else None
        proc = subprocess.run([sys.executable, RUNNER, library,
                               os.path.join(PROGRAMS, program), str(outdir)],
                              capture_output=True, text=True, timeout=120, env=env)
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


def attribute_values(attributes):
    """{key: (type, value)} of a Cloud Trace attributeMap, from opencensus-ext-stackdriver's
    dicts (snake_case, ints as ints, truncated_byte_count 0) or census's proto3 JSON."""
    out = {}
    for key, v in ((attributes or {}).get("attributeMap") or {}).items():
        if "int_value" in v or "intValue" in v:
            out[key] = ("int", int(v.get("int_value", v.get("intValue"))))
        elif "bool_value" in v or "boolValue" in v:
            out[key] = ("bool", v.get("bool_value", v.get("boolValue")))
        else:
            s = v.get("string_value") or v.get("stringValue")
            out[key] = ("str", s["value"])
    return out


def annotations(span):
    events = ((span.get("timeEvents") or {}).get("timeEvent")) or []
    return [(e["annotation"]["description"]["value"], attribute_values(
        e["annotation"].get("attributes"))) for e in events if "annotation" in e]


# opencensus-ext-stackdriver's ATTRIBUTE_MAPPING, for the names this program uses.
OC_RENAMED = {"/http/method": "http.method", "/http/status_code": "http.status_code"}


def test_stackdriver_trace_matches_opencensus(tmp_path):
    """Span for span (by display name): the resource name (project, the incoming trace, the
    span's own id), parents, display names, attributes, annotations and status; the differences
    are rows P42-P45."""
    token = "ya29.compat"
    out = tmp_path / "cloud_trace.jsonl"
    with receiver("google_cloud/cloud_trace_receiver.js", out, "--token", token) as port:
        oc, census = run_both("stackdriver_trace.py", tmp_path, {
            "CENSUS_TEST_TRACE_ENDPOINT": "http://127.0.0.1:%d" % port,
            "CENSUS_TEST_TOKEN": token})
    bodies = [r for r in requests_of(out) if r["path"] != "/token"]
    assert bodies and all(r["path"] == "/v2/projects/compat-project/traces:batchWrite" and
                          r["bearerOk"] for r in bodies)
    census_spans = [s for r in bodies for s in json.loads(r["body"])["spans"]]
    oc_spans = oc["google_spans"]
    used = set()
    # opencensus-ext-stackdriver 0.8.0's own client refuses what its exporter built (every span
    # carries attributes: the agent's), so it sends nothing.
    assert len(oc["google_conversion_errors"]) == len(oc_spans) == 3
    used.add("P43")
    names = {}
    for library, spans in (("oc", oc_spans), ("census", census_spans)):
        names[library] = {s["spanId"]: s["displayName"]["value"] for s in spans}
        for s in spans:
            assert s["name"] == "projects/compat-project/traces/" \
                "0af7651916cd43dd8448eb211c80319c/spans/" + s["spanId"]
    assert sorted(names["oc"].values()) == sorted(names["census"].values())
    census_by_name = {s["displayName"]["value"]: s for s in census_spans}
    for o in oc_spans:
        name = o["displayName"]["value"]
        c = census_by_name[name]
        assert names["oc"].get(o.get("parentSpanId"), o.get("parentSpanId")) == \
            names["census"].get(c.get("parentSpanId"), c.get("parentSpanId")), name
        # Attributes: opencensus's renamed HTTP names and its agent are P42.
        oa, ca = attribute_values(o.get("attributes")), attribute_values(c.get("attributes"))
        assert oa.pop("g.co/agent")[1].startswith("opencensus-python [")
        assert ca.pop("g.co/agent")[1].startswith("census-c ")
        used.add("P42")
        for oc_key, census_key in OC_RENAMED.items():
            if oc_key in oa:
                value = oa.pop(oc_key)
                if census_key == "http.status_code":
                    assert value == ("str", str(ca[census_key][1]))
                    assert ca.pop(census_key)[0] == "int"
                else:
                    assert ca.pop(census_key) == value
        assert oa == ca, name
        assert annotations(o) == annotations(c), name
        # Status: the same code and message; census leaves an OK status out (proto3's default).
        o_status = o.get("status") or {"code": 0}
        c_status = c.get("status") or {"code": 0}
        assert (o_status.get("code", 0), o_status.get("message")) == \
            (c_status.get("code", 0), c_status.get("message")), name
        # Fields only one side sends (P44): opencensus a stack trace for a span that ended
        # with an exception and childSpanCount 0 (never counted); census the span kind and
        # sameProcessAsParentSpan.
        if o.get("stackTrace"):
            assert name == "render" and "stackTrace" not in c
        assert o["childSpanCount"] == 0 and "childSpanCount" not in c
        assert o.get("spanKind") is None and c["spanKind"] == \
            ("SERVER" if name == "GET /users" else "INTERNAL")
        assert o.get("sameProcessAsParentSpan") is None
        assert c["sameProcessAsParentSpan"] is (name != "GET /users")
        used.add("P44")
        # Times: microseconds (opencensus) and nanoseconds (census), both RFC 3339 (P45).
        assert ISO.match(o["startTime"]) and ISO.match(o["endTime"])
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", c["startTime"])
        assert c["startTime"] <= c["endTime"]
        used.add("P45")
    assert all(allowed(r) for r in used)
