"""Exporters written in Python (census.stats.base_exporter.StatsExporter): called on census's
export worker with ViewData, their exceptions reported and counted without stopping later
exports, and no deadlock between them and Python threads that call into census."""

import json

from conftest import run_python

PROGRAM = r"""
import json, sys, threading, time
import census
from census.stats import stats as stats_module, measure, view, aggregation
from census.stats.base_exporter import StatsExporter
from census.tags import TagMap

out = open(sys.argv[1], "a")
main_ident = threading.get_ident()

class Recorder(StatsExporter):
    def export(self, view_datas):
        for vd in view_datas:
            if vd.view.name == "py_exp/count":
                rows = {"|".join(k): d.count_data
                        for k, d in vd.tag_value_aggregation_data_map.items()}
                print(json.dumps({"exporter": "recorder", "rows": rows,
                                  "on_main": threading.get_ident() == main_ident,
                                  "thread": threading.current_thread().name}), file=out,
                      flush=True)

class Flaky(StatsExporter):
    calls = 0
    def export(self, view_datas):
        Flaky.calls += 1
        if Flaky.calls <= 2:
            raise RuntimeError("flaky export %d" % Flaky.calls)
        print(json.dumps({"exporter": "flaky", "call": Flaky.calls}), file=out, flush=True)

class Slow(StatsExporter):
    def export(self, view_datas):
        time.sleep(0.2)   # releases the GIL; census's collection waits for this export

vm = stats_module.stats.view_manager
m = measure.MeasureInt("py_exp/m", "m", "1")
vm.register_view(view.View("py_exp/count", "c", ["k"], m, aggregation.CountAggregation()))
vm.register_exporter(Recorder())
vm.register_exporter(Flaky())
vm.register_exporter(Slow())
census.set_export_interval(0.05)
bound = m.bind(TagMap([("k", "v")]))
deadline = time.time() + 2.0
n = 0
while time.time() < deadline:          # the main thread keeps calling census meanwhile
    bound.record(1)
    n += 1
    if n % 500 == 0:
        vm.get_view("py_exp/count")    # waits for an export in progress: GIL released
census.flush(10)
dropped = vm.get_view("census/exporter_dropped_items").tag_value_aggregation_data_map
print(json.dumps({"recorded": n, "dropped": {"|".join(k): d.sum_data
                                            for k, d in dropped.items()}}), file=out, flush=True)
"""


def test_python_exporters_on_the_worker_errors_counted(tmp_path):
    """Recorder sees every recorded value, on census's worker thread (not the main thread) for
    the periodic exports; Flaky's two exceptions are reported on stderr, counted in
    census/exporter_dropped_items {exporter="python Flaky", reason="permanent_failure"}, and
    later exports reach it; a slow exporter and a main thread calling get_view() and flush()
    meanwhile do not deadlock (the program ends within its timeout)."""
    out = tmp_path / "out.jsonl"
    proc = run_python(PROGRAM, args=[str(out)], timeout=60)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    summary = [entry for entry in lines if "recorded" in entry][0]
    recorder = [entry for entry in lines if entry.get("exporter") == "recorder"]
    assert len(recorder) >= 3
    assert any(not entry["on_main"] for entry in recorder)
    final = [entry for entry in recorder if entry["rows"]][-1]
    # The last export before exit carries everything (flush, then the exit retirement).
    assert final["rows"] == {"v": summary["recorded"]}
    flaky = [entry for entry in lines if entry.get("exporter") == "flaky"]
    assert flaky and flaky[0]["call"] == 3
    assert proc.stderr.count("export() raised RuntimeError('flaky export") == 2
    assert summary["dropped"].get("python Flaky|permanent_failure", 0) >= 1
