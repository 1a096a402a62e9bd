"""The exit test in Python: record K, then end the program by return, sys.exit(), SIGTERM
(census.enable_signal_flush()), an uncaught exception, or in a fork() child; every time all K
reach both kinds of exporter: census's OTLP exporter (decoded by the receiver with the official
OpenTelemetry definitions) and an exporter written in Python. The periodic export is set to an
hour, so only the flushes at exit can deliver."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest

import support

K = 1000

PROGRAM = textwrap.dedent(r"""
    import json, os, signal, sys, time
    import census
    from census.ext.otlp import stats_exporter as otlp
    from census.stats import stats as stats_module, measure, view, aggregation
    from census.stats.base_exporter import StatsExporter
    from census.tags import TagMap

    mode, endpoint, out, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    class FileExporter(StatsExporter):
        def export(self, view_datas):
            for vd in view_datas:
                if vd.view.name == "exit/sum":
                    rows = {k[0]: d.sum_data for k, d in vd.tag_value_aggregation_data_map.items()}
                    with open(out, "a") as f:
                        f.write(json.dumps({"pid": os.getpid(), "rows": rows}) + "\n")

    vm = stats_module.stats.view_manager
    m = measure.MeasureInt("exit/m", "m", "1")
    vm.register_view(view.View("exit/sum", "sum", ["who"], m, aggregation.SumAggregation()))
    census.set_export_interval(3600)
    otlp.new_stats_exporter(service_name="exit-test", endpoint=endpoint)
    vm.register_exporter(FileExporter())
    if mode == "sigterm_handler":
        def own_handler(signum, frame):
            print("own handler", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, own_handler)
    if mode.startswith("sigterm"):
        census.enable_signal_flush()

    def record(who):
        tags = TagMap([("who", who)])
        mmap = stats_module.stats.stats_recorder.new_measurement_map()
        mmap.measure_int_put(m, 1)
        for _ in range(k):
            mmap.record(tags)

    if mode == "fork":
        record("parent")
        pid = os.fork()
        if pid == 0:
            record("child")
            sys.exit(0)
        os.waitpid(pid, 0)
    else:
        record(mode)
    if mode == "exit":
        sys.exit(3)
    if mode == "raise":
        raise RuntimeError("uncaught")
    if mode.startswith("sigterm"):
        print("ready", flush=True)
        sys.stdin.read()
""")


def run(mode, tmp_path):
    receiver = support.OtlpReceiver(str(tmp_path))
    out = tmp_path / "python_exporter.jsonl"
    try:
        proc = subprocess.Popen([sys.executable, "-c", PROGRAM, mode, receiver.endpoint,
                                 str(out), str(K)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if mode.startswith("sigterm"):
            assert proc.stdout.readline() == "ready\n"
            proc.send_signal(signal.SIGTERM)
        out_text, err = proc.communicate(timeout=60)
        # No waiting here: the receiver writes a request down before it answers, and the flush
        # at exit waits for the answer, so all the program delivered is on file once it ended.
        points = receiver.metric_points()
    finally:
        receiver.close()
    python_rows = {}
    for line in out.read_text().splitlines() if out.exists() else []:
        entry = json.loads(line)
        python_rows.update(entry["rows"])
    otlp_rows = {attrs[0][1]: int(point["asInt"]) for (name, attrs), point in points.items()
                 if name == "exit/sum"}
    return proc.returncode, err + out_text, otlp_rows, python_rows


@pytest.mark.parametrize("mode,code", [("return", 0), ("exit", 3), ("raise", 1),
                                       ("sigterm", -signal.SIGTERM)])
def test_all_k_exported_however_the_program_ends(mode, code, tmp_path):
    """K records, then the program ends by `mode`: the OTLP receiver and the Python exporter
    both hold exactly K, and the process ends as it would have without census (exit status, or
    killed by SIGTERM after the flush)."""
    returncode, err, otlp_rows, python_rows = run(mode, tmp_path)
    assert returncode == code, err
    assert otlp_rows == {mode: K}, err
    assert python_rows == {mode: K}, err


def test_sigterm_flush_then_the_programs_own_handler(tmp_path):
    """With a SIGTERM handler of the program's own installed first, enable_signal_flush()
    flushes (all K exported) and then calls that handler, which ends the program its way."""
    returncode, output, otlp_rows, python_rows = run("sigterm_handler", tmp_path)
    assert returncode == 0 and "own handler" in output, output
    assert otlp_rows == {"sigterm_handler": K}, output
    assert python_rows == {"sigterm_handler": K}, output


def test_fork_child_exports_its_own_records(tmp_path):
    """A fork() child has a working census: its K records are exported by the child at its exit
    (its own series, not the parent's), and the parent's K by the parent, to both exporters."""
    returncode, err, otlp_rows, python_rows = run("fork", tmp_path)
    assert returncode == 0, err
    assert otlp_rows == {"parent": K, "child": K}, err
    assert python_rows == {"parent": K, "child": K}, err


def test_signal_flush_leaves_ignored_signals_alone():
    """enable_signal_flush() does not hook a signal the program ignores, and hooks SIGTERM."""
    from conftest import run_python
    proc = run_python("""
        import signal, census
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        print(census.enable_signal_flush((signal.SIGTERM, signal.SIGUSR1)))
        print(signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN)
    """)
    assert proc.stdout.split() == ["[<Signals.SIGTERM:", "15>]", "True"]
