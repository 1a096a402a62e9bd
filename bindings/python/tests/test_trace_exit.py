"""The exit test for spans: K sampled spans end, then the program ends by return, sys.exit(),
SIGTERM (census.enable_signal_flush()), an uncaught exception, or in a fork() child; every time
all K spans reach both kinds of span exporter: census's OTLP trace exporter (decoded by the
receiver with the official OpenTelemetry definitions) and an exporter written in Python. The
batch delay is an hour, so only the flushes at exit can deliver. Fails on main (no
census.trace)."""

import collections
import json
import signal
import subprocess
import sys
import textwrap

import pytest

from node_receivers import receiver, requests_of

K = 500

PROGRAM = textwrap.dedent(r"""
    import json, os, sys
    import census
    from census.ext.otlp.trace_exporter import TraceExporter
    from census.trace import base_exporter, exporters, samplers, tracer as tracer_module

    mode, endpoint, out, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    class FileExporter(base_exporter.Exporter):
        def export(self, span_datas):
            with open(out, "a") as f:
                for sd in span_datas:
                    f.write(json.dumps({"pid": os.getpid(), "name": sd.name}) + "\n")

    exporters.set_export_options(max_queue_size=4 * k, schedule_delay=3600.0)
    exporters.register(TraceExporter(service_name="exit-test", endpoint=endpoint))
    exporters.register(FileExporter())
    if mode == "sigterm":
        census.enable_signal_flush()

    def spans(who):
        tracer = tracer_module.Tracer(sampler=samplers.AlwaysOnSampler())
        for _ in range(k):
            with tracer.span(name=who):
                pass

    if mode == "fork":
        spans("parent")
        pid = os.fork()
        if pid == 0:
            spans("child")
            sys.exit(0)
        os.waitpid(pid, 0)
    else:
        spans(mode)
    if mode == "exit":
        sys.exit(3)
    if mode == "raise":
        raise RuntimeError("uncaught")
    if mode == "sigterm":
        print("ready", flush=True)
        sys.stdin.read()
""")


def run(mode, tmp_path):
    out = tmp_path / "python_exporter.jsonl"
    received = tmp_path / "otlp.jsonl"
    with receiver("otlp/otlp_receiver.js", received) as port:
        proc = subprocess.Popen([sys.executable, "-c", PROGRAM, mode,
                                 "http://127.0.0.1:%d" % port, str(out), str(K)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if mode == "sigterm":
            assert proc.stdout.readline() == "ready\n"
            proc.send_signal(signal.SIGTERM)
        out_text, err = proc.communicate(timeout=60)
    otlp = collections.Counter()
    for r in requests_of(received):
        if r.get("signal") != "traces":
            continue
        for rs in r["decoded"]["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                otlp.update(s["name"] for s in ss["spans"])
    python = collections.Counter()
    for line in out.read_text().splitlines() if out.exists() else []:
        python[json.loads(line)["name"]] += 1
    return proc.returncode, err + out_text, dict(otlp), dict(python)


@pytest.mark.parametrize("mode,code", [("return", 0), ("exit", 3), ("raise", 1),
                                       ("sigterm", -signal.SIGTERM)])
def test_all_k_spans_exported_however_the_program_ends(mode, code, tmp_path):
    """K spans, then the program ends by `mode`: the OTLP receiver and the Python exporter
    both hold exactly K spans, and the process ends as it would have without census."""
    returncode, err, otlp, python = run(mode, tmp_path)
    assert returncode == code, err
    assert otlp == {mode: K}, err
    assert python == {mode: K}, err


def test_fork_child_exports_its_own_spans(tmp_path):
    """A fork() child has a working span pipeline: its K spans are exported by the child at its
    exit, and the parent's K by the parent (none twice), to both exporters."""
    returncode, err, otlp, python = run("fork", tmp_path)
    assert returncode == 0, err
    assert otlp == {"parent": K, "child": K}, err
    assert python == {"parent": K, "child": K}, err
