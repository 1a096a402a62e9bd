"""census.ext.stdout.stats_exporter: census's stdout exporter from Python, JSON lines decoded
with the json module; its counters agree with what was written; stop() ends it."""

import json

from conftest import run_python

PROGRAM = r"""
import json, os, sys
import census
from census.ext.stdout import stats_exporter as stdout
from census.stats import stats as stats_module, measure, view, aggregation
from census.tags import TagMap

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
vm = stats_module.stats.view_manager
m = measure.MeasureInt("stdout_py/m", "m", "By")
vm.register_view(view.View("stdout_py/sum", "s", ["k"], m, aggregation.SumAggregation()))
exporter = stdout.new_stats_exporter(format="json", fd=fd)
for v in (5, 7):
    m.record(v, TagMap([("k", "x")]))
census.flush(5)
stats = exporter.stats()
exporter.stop()
print(json.dumps(stats), exporter.running)
"""


def test_json_lines_and_counters(tmp_path):
    """The flush wrote the Sum row (12, an integer, tags as recorded); rows_written counts the
    lines written and nothing was dropped; stop() makes a final export and leaves the handle
    stopped."""
    path = tmp_path / "out.jsonl"
    proc = run_python(PROGRAM, args=[str(path)])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    mine = [line for line in lines if line["view"] == "stdout_py/sum"]
    assert mine[-1]["sum"] == 12 and mine[-1]["tags"] == {"k": "x"}
    assert mine[-1]["aggregation"] == "sum" and mine[-1]["unit"] == "By"
    stats_text, running = proc.stdout.strip().rsplit(" ", 1)
    stats = json.loads(stats_text)
    # stats() was read after the flush (one row written); stop() made the final export (the
    # second line).
    assert stats["rows_written"] == 1 and len(lines) == 2 and stats["rows_dropped"] == 0
    assert running == "False"
