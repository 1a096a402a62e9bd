"""census.shm, shared-memory mode from Python (docs/shared-memory.md, docs/python.md "Pre-fork
servers"), with real forked Python processes, real files and real SIGKILLs. Each scenario runs
in a fresh interpreter (the mode is process-wide), forks its group with os.fork() and prints
what the group's merged view holds as JSON; the assertions compare it with what the children
recorded (each child reports its own count through a pipe before it is killed or exits).

What it proves (fails on main, where census.shm does not exist and each forked process's
counts stay in it, lost at SIGKILL):
  - test_merged_view_survives_sigkill: four processes forked from a parent that never enables
    the mode, joining after the fork by census.shm.enable() (two) and by CENSUS_SHM_DIR set in
    the child (two); one SIGKILLed after it reported its count, the others leaving through
    os._exit() (no flush). The merged count, sum and distribution per worker equal exactly what
    each recorded; census.shm.compact() folds the four dead files into the archive and the
    totals do not move;
  - test_enabled_before_fork: a parent that enables the mode and records, then forks three
    children: each child writes a file of its own pid (the pid is not cached across fork), and
    the parent's ordinary census.stats view data and Prometheus text (render()) are the group's
    merged view;
  - test_gauge_modes: a LastValue view set to 3, 7 and 5 in three live processes reads as max 7,
    min 3, sum 15, most recent 5, and one row per process with a pid column under "all";
  - test_leader: of two processes with a Python exporter, exactly one leads, the exporter runs
    in the leader only, and the survivor takes the lead when the leader is SIGKILLed;
  - test_errors: bad directories, a second directory, an unknown gauge mode, no directory known:
    each a census exception naming the problem;
  - test_gunicorn_hooks: the hooks for gunicorn.conf.py (on_starting clears a previous run's
    files, post_fork enables, child_exit compacts a reaped worker's file).
"""

import json

import pytest

from conftest import run_python

PRELUDE = """
import json, os, signal, sys
import census, census.shm
from census.stats import aggregation, measure, view
from census.stats import stats as stats_module
from census.tags import TagMap, TagKey, TagValue

d = sys.argv[1]
vm = stats_module.stats.view_manager
requests = measure.MeasureInt("shmpy/requests", "requests", "1")
latency = measure.MeasureFloat("shmpy/latency", "latency", "ms")
temperature = measure.MeasureInt("shmpy/temperature", "temperature", "1")
vm.register_view(view.View("shmpy/count", "requests", ["worker"], requests,
                           aggregation.CountAggregation()))
vm.register_view(view.View("shmpy/sum", "request sum", [], requests,
                           aggregation.SumAggregation()))
vm.register_view(view.View("shmpy/latency", "latency", [], latency,
                           aggregation.DistributionAggregation([1.0, 10.0, 100.0])))
vm.register_view(view.View("shmpy/temperature", "a gauge", [], temperature,
                           aggregation.LastValueAggregation()))
recorder = stats_module.stats.stats_recorder


def record(worker, n, latency_ms=0.0):
    tags = TagMap()
    tags.insert(TagKey("worker"), TagValue(worker))
    for i in range(n):
        mm = recorder.new_measurement_map()
        mm.measure_int_put(requests, 2)
        mm.measure_float_put(latency, latency_ms)
        mm.record(tags)


def table(vds):
    out = {}
    for vd in vds:
        rows = {}
        for key, data in vd.tag_value_aggregation_data_map.items():
            k = "|".join("" if v is None else str(v) for v in key)
            if hasattr(data, "counts_per_bucket"):
                rows[k] = [data.count_data, data.sum, list(data.counts_per_bucket)]
            elif hasattr(data, "count_data"):
                rows[k] = data.count_data
            else:
                rows[k] = data.value if hasattr(data, "value") else data.sum_data
        out[vd.view.name] = rows
    return out


def files():
    return sorted(n for n in os.listdir(d) if n.startswith("census-") and n.endswith(".shm")
                  and n != "census-archive.shm")
"""


def run(tmp_path, code, env=None):
    group = tmp_path / "group"
    group.mkdir()
    env = {k: v.replace("__GROUP__", str(group)) for k, v in (env or {}).items()}
    proc = run_python(PRELUDE + code, args=(str(group),), env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


def test_merged_view_survives_sigkill(tmp_path):
    got, _ = run(tmp_path, """
counts = [300, 500, 700, 1100]
pids, pipes = [], []
for i, n in enumerate(counts):
    r, w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if i % 2 == 0:
            census.shm.enable(d)
        else:
            os.environ["CENSUS_SHM_DIR"] = d  # noticed at the first new series
        record("w%d" % i, n, latency_ms=5.0 * (i + 1))
        os.write(w, b"%d %d" % (n, census.shm.enabled()))
        os.read(go_r, 1)  # the SIGKILLed one waits here
        os._exit(0)       # no flush, no atexit: the file holds the counts
    pids.append((pid, go_w))
    pipes.append(r)
reports = [os.read(r, 64).decode() for r in pipes]
os.kill(pids[3][0], signal.SIGKILL)
for pid, go in pids:
    os.write(go, b"x")
    os.waitpid(pid, 0)
n_before = len(files())
compacted = census.shm.compact(d)
before = table(census.shm.view_data(d))
census.shm.compact(d)  # again: nothing left to fold, nothing counted twice
after = table(census.shm.view_data(d))
print(json.dumps({"reports": reports, "before": before, "after": after, "compacted": compacted,
                  "files_before": n_before, "files_after": len(files()),
                  "archive": os.path.exists(os.path.join(d, "census-archive.shm")),
                  "parent_enabled": census.shm.enabled()}))
""")
    counts = [300, 500, 700, 1100]
    assert got["reports"] == ["%d 1" % n for n in counts]
    for state in ("before", "after"):  # read once compacted, then after a second compaction
        t = got[state]
        assert t["shmpy/count"] == {"w%d" % i: n for i, n in enumerate(counts)}
        assert t["shmpy/sum"] == {"": 2 * sum(counts)}
        count, total, buckets = t["shmpy/latency"][""]
        assert count == sum(counts)
        assert total == pytest.approx(sum(5.0 * (i + 1) * n for i, n in enumerate(counts)))
        # 5, 10 (upper-inclusive), 15, 20 ms: buckets (-inf,1] (1,10] (10,100] (100,inf)
        assert buckets == [0, 300 + 500, 700 + 1100, 0]
    assert got["files_before"] == 4      # one file per process, the SIGKILLed one's included
    assert got["compacted"] == 4         # compact() folded all four dead files ...
    assert got["files_after"] == 0       # ... leaving only the archive
    assert got["archive"]
    assert got["parent_enabled"] is False  # reading a group needs no enable


def test_enabled_before_fork(tmp_path):
    got, _ = run(tmp_path, """
census.shm.enable(d)
record("master", 10)
children = []
for i in range(3):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        record("child", 100)
        os.write(w, b"%d" % os.getpid())
        os._exit(0)
    children.append(pid)
    assert int(os.read(r, 32)) == pid
    os.waitpid(pid, 0)
own = vm.get_view("shmpy/count")
rows = {"|".join(k): v.count_data for k, v in own.tag_value_aggregation_data_map.items()}
from census.ext.prometheus.stats_exporter import render
text = render(namespace="app")
pids_in_names = sorted(int(n.split("-")[1]) for n in files())
print(json.dumps({"rows": rows, "text": text, "children": sorted(children + [os.getpid()]),
                  "file_pids": pids_in_names, "stats": census.shm.stats()}))
""")
    assert got["rows"] == {"master": 10, "child": 300}
    assert 'app_shmpy_count_total{worker="child"} 300' in got["text"]
    assert 'app_shmpy_count_total{worker="master"} 10' in got["text"]
    # The master's file and each child's own (compaction took the dead children's, then the
    # master's remains: reading compacts first).
    assert got["file_pids"] == [p for p in got["children"] if p in got["file_pids"]]
    assert got["stats"] == {"files_opened": 1, "unshared_cells": 0, "uncarried_series": 0}


def test_pid_not_cached_across_fork(tmp_path):
    got, _ = run(tmp_path, """
census.shm.enable(d)
record("master", 1)
r, w = os.pipe()
go_r, go_w = os.pipe()
pid = os.fork()
if pid == 0:
    record("child", 1)
    os.write(w, json.dumps([os.getpid(), census.shm.stats()["files_opened"]]).encode())
    os.read(go_r, 1)
    os._exit(0)
child, opened = json.loads(os.read(r, 256))
names = files()
os.write(go_w, b"x")
os.waitpid(pid, 0)
print(json.dumps({"master": os.getpid(), "child": child, "opened": opened,
                  "file_pids": sorted(int(n.split("-")[1]) for n in names)}))
""")
    assert got["opened"] == 2  # the parent's count, plus the child's own file
    assert got["file_pids"] == sorted([got["master"], got["child"]])


def test_gauge_modes(tmp_path):
    got, _ = run(tmp_path, """
import time
kids = []
for g in (3, 7, 5):
    r, w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        census.shm.enable(d)
        mm = recorder.new_measurement_map()
        mm.measure_int_put(temperature, g)
        mm.record()
        os.write(w, b"k")
        os.read(go_r, 1)
        os._exit(0)
    os.read(r, 1)
    kids.append((pid, go_w))
    time.sleep(0.01)  # distinct times: 5 is the most recent
seen = {}
for mode in ("most_recent", "max", "min", "sum", "all", "live_sum"):
    census.shm.set_gauge_mode(mode)
    vd = [v for v in census.shm.view_data(d) if v.view.name == "shmpy/temperature"][0]
    seen[mode] = sorted([list(k), v.value] for k, v in vd.tag_value_aggregation_data_map.items())
for pid, go in kids:
    os.write(go, b"x")
    os.waitpid(pid, 0)
census.shm.set_gauge_mode("live_sum")
vd = [v for v in census.shm.view_data(d) if v.view.name == "shmpy/temperature"][0]
seen["live_sum_after_exit"] = len(vd.tag_value_aggregation_data_map)
print(json.dumps({"seen": seen, "pids": sorted(str(p) for p, _ in kids)}))
""")
    seen = got["seen"]
    assert seen["most_recent"] == [[[], 5]]
    assert seen["max"] == [[[], 7]]
    assert seen["min"] == [[[], 3]]
    assert seen["sum"] == [[[], 15]]
    assert seen["live_sum"] == [[[], 15]]
    assert sorted(k[0] for k, _ in seen["all"]) == got["pids"]
    assert sorted(v for _, v in seen["all"]) == [3, 5, 7]
    assert seen["live_sum_after_exit"] == 0  # no live process sets it any more


def test_leader(tmp_path):
    got, _ = run(tmp_path, """
from census.stats import base_exporter

class Exp(base_exporter.StatsExporter):
    def __init__(self, fd):
        self.fd = fd
    def export(self, view_datas):
        c = [v for v in view_datas if v.view.name == "shmpy/count"]
        rows = c[0].tag_value_aggregation_data_map if c else {}
        os.write(self.fd, ("E%d;" % sum(x.count_data for x in rows.values())).encode())
    def emit(self, view_datas):
        pass

def member(name, n):
    r, w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        census.shm.enable(d)
        before = census.shm.is_leader()
        vm.register_exporter(Exp(w))
        record(name, n)
        while True:
            census.flush()
            os.write(w, ("L%d%d;" % (before, census.shm.is_leader())).encode())
            if not os.read(go_r, 1):
                os._exit(0)
    return pid, r, go_w

def ask(m, first=False):
    if not first:
        os.write(m[2], b"?")
    out = b""
    while not out.endswith(b";") or b"L" not in out:
        out += os.read(m[1], 256)
    return out.decode()

a = member("a", 3)
ra = ask(a, True)
b = member("b", 4)
rb = ask(b, True)
os.kill(a[0], signal.SIGKILL)
os.waitpid(a[0], 0)
rb2 = ask(b)
os.kill(b[0], signal.SIGKILL)
os.waitpid(b[0], 0)
print(json.dumps({"a": ra, "b": rb, "b2": rb2, "here": census.shm.is_leader()}))
""")
    # a leads and exports the group's count (3); b neither leads nor exports; once a is dead,
    # b takes the lead at its next export and exports the group's count, a's 3 included.
    assert got["a"] == "E3;L01;"
    assert got["b"] == "L00;"
    assert got["b2"] == "E7;L01;"
    assert got["here"] is False


def test_errors(tmp_path):
    got, _ = run(tmp_path, """
out = {}
def catch(name, fn, *args):
    try:
        fn(*args)
        out[name] = None
    except Exception as e:
        out[name] = [type(e).__name__, isinstance(e, ValueError), isinstance(e, OSError), str(e)]
os.environ.pop("CENSUS_SHM_DIR", None)
catch("missing", census.shm.enable, os.path.join(d, "missing"))
catch("no_dir", census.shm.view_data)
catch("compact_missing", census.shm.compact, os.path.join(d, "missing"))
catch("mode", census.shm.set_gauge_mode, "median")
other = os.path.join(d, "other")
os.mkdir(other)
catch("first", census.shm.enable, d)
catch("again", census.shm.enable, d)
catch("second", census.shm.enable, other)
print(json.dumps(out))
""")
    name, is_value, _, msg = got["missing"]
    assert (name, is_value) == ("InvalidArgumentError", True) and "missing" in msg
    assert got["no_dir"][0] == "InvalidArgumentError" and "CENSUS_SHM_DIR" in got["no_dir"][3]
    name, _, is_os, msg = got["compact_missing"]
    assert (name, is_os) == ("SystemCallError", True) and "missing" in msg
    assert got["mode"][0] == "InvalidArgumentError" and "live_max" in got["mode"][3]
    assert got["first"] is None and got["again"] is None
    assert got["second"][0] == "InvalidArgumentError" and "CONFLICT" in got["second"][3]


def test_gunicorn_hooks(tmp_path):
    got, _ = run(tmp_path, """
class Log:
    def __init__(self):
        self.lines = []
    def warning(self, *a):
        self.lines.append(a[0] % a[1:])
class Server:
    log = Log()
# A previous run's files, and a file that is not census's.
open(os.path.join(d, "census-1-2.shm"), "w").close()
open(os.path.join(d, "keep.txt"), "w").close()
census.shm.on_starting(Server)
after_start = sorted(os.listdir(d))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    census.shm.post_fork(Server, None)
    record("w", 9)
    os.write(w, b"%d" % census.shm.enabled())
    os._exit(0)
enabled_in_child = os.read(r, 8).decode()
os.waitpid(pid, 0)
n = len(files())
census.shm.child_exit(Server, None)  # the master: compacts the reaped worker's file
total = table(census.shm.view_data(d))["shmpy/count"]
os.environ["CENSUS_SHM_DIR"] = os.path.join(d, "gone")
census.shm._directory = None
census.shm.child_exit(Server, None)  # logs, never raises into the arbiter
print(json.dumps({"after_start": after_start, "child": enabled_in_child, "before": n,
                  "after": len(files()), "total": total, "log": Server.log.lines}))
""", env={"CENSUS_SHM_DIR": "__GROUP__"})
    assert got["after_start"] == ["keep.txt"]
    assert got["child"] == "1"
    assert (got["before"], got["after"]) == (1, 0)
    assert got["total"] == {"w": 9}
    assert len(got["log"]) == 1 and "gone" in got["log"][0]
