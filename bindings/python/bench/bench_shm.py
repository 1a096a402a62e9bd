"""bench_shm.py PROMETHEUS_CLIENT_DIR [OUT.json]: census's shared-memory mode (census.shm,
docs/shared-memory.md) from Python beside prometheus_client's multiprocess mode (the PyPI
release installed in PROMETHEUS_CLIENT_DIR by scripts/bench-python.sh, pinned there), in one run.

Record cost, ns per operation (best of REPEATS loops, the loop included): census's bound counter
record and measurement-map record (2 tags) in process and in shared-memory mode, and
prometheus_client's bound inc() and labels(...).inc() in process and in multiprocess mode; each
in 1 thread, 2 threads of one process (the GIL: per-op wall time of both) and 2 processes at
once (the mean of the two processes' ns/op). Every case runs in a fresh interpreter, the mode
being process-wide, and checks its count afterwards (census: through the group's merged view,
i.e. the file; prometheus_client: through its MultiProcessCollector).

Scrape time, ms (median of REPEATS): the text a /metrics endpoint serves for a group of LIVE live
workers (forked, each with SERIES series of RECORDS counts, waiting) and DEAD dead workers'
history (copies, under dead pids' names, of one dead worker's files). census: render() in a
process of the group, with compaction held off (the bench holds the compaction lock shared, as a
concurrent reader would), then the read that compacts, then reads after compaction.
prometheus_client: generate_latest() over a MultiProcessCollector (it has no compaction: its
dead workers' files stay). Each scrape must count exactly what the workers recorded.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPEATS = 5
LIVE, DEAD, SERIES, RECORDS = 10, 5000, 10, 100
N_CENSUS, N_PROM = 200000, 100000
HERE = os.path.abspath(__file__)


def best_ns(fn, n):
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        fn(n)
        best = min(best, (time.perf_counter_ns() - start) / n)
    return best


def in_threads(fn, n, threads):
    """ns per op of `threads` threads each running fn(n), by wall time (best of REPEATS)."""
    if threads == 1:
        return best_ns(fn, n)
    best = float("inf")
    for _ in range(REPEATS):
        ts = [threading.Thread(target=fn, args=(n,)) for _ in range(threads)]
        start = time.perf_counter_ns()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        best = min(best, (time.perf_counter_ns() - start) / (n * threads))
    return best


def in_processes(fn, n, processes):
    """The mean ns per op of `processes` forked processes each timing fn(n) at once."""
    pipes, pids = [], []
    for _ in range(processes):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(w, repr(best_ns(fn, n)).encode())
            os._exit(0)
        os.close(w)
        pipes.append(r)
        pids.append(pid)
    out = [float(os.read(r, 64)) for r in pipes]
    for pid in pids:
        os.waitpid(pid, 0)
    return sum(out) / len(out)


# ---- record cost cases (each in a fresh interpreter) -----------------------------------------


def census_record_case(mode, directory):
    import census.shm
    from census.stats import aggregation, measure, view
    from census.stats import stats as stats_module
    from census.tags import TagMap
    if mode == "shm":
        census.shm.enable(directory)
    vm = stats_module.stats.view_manager
    m = measure.MeasureInt("bench/requests", "requests", "1")
    vm.register_view(view.View("bench/requests", "c", ["method", "route"], m,
                               aggregation.CountAggregation()))
    tags = TagMap([("method", "GET"), ("route", "/users")])
    bound = m.bind(tags)
    mmap = stats_module.stats.stats_recorder.new_measurement_map()

    def bound_record(n):
        record = bound.record
        for _ in range(n):
            record(1)

    def map_record(n):
        for _ in range(n):
            mmap.measure_int_put(m, 1)
            mmap.record(tags)
    out, expected = {}, 0
    for name, fn in (("bound_record", bound_record), ("map_record_2tags", map_record)):
        out[name + "_1_thread"] = in_threads(fn, N_CENSUS, 1)
        out[name + "_2_threads"] = in_threads(fn, N_CENSUS, 2)
        out[name + "_2_processes"] = in_processes(fn, N_CENSUS, 2)
        expected += N_CENSUS * REPEATS * (1 + 2 + 2 * (mode == "shm"))
    # The count: in process, this process's; in the mode, the group's (the children's too).
    vd = vm.get_view("bench/requests")
    got = sum(d.count_data for d in vd.tag_value_aggregation_data_map.values())
    assert got == expected, "census %s: %d counts, expected %d" % (mode, got, expected)
    return out


def prometheus_record_case(mode, directory):
    if mode == "multiprocess":
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # before the import, as it requires
    import prometheus_client
    from prometheus_client import multiprocess
    registry = prometheus_client.CollectorRegistry()
    counter = prometheus_client.Counter("bench_requests", "r", ["method", "route"],
                                        registry=None if mode == "multiprocess" else registry)
    bound = counter.labels("GET", "/users")

    def bound_inc(n):
        for _ in range(n):
            bound.inc()

    def labels_inc(n):
        for _ in range(n):
            counter.labels("GET", "/users").inc()
    out, expected = {}, 0
    for name, fn in (("bound_inc", bound_inc), ("labels_inc", labels_inc)):
        out[name + "_1_thread"] = in_threads(fn, N_PROM, 1)
        out[name + "_2_threads"] = in_threads(fn, N_PROM, 2)
        out[name + "_2_processes"] = in_processes(fn, N_PROM, 2)
        expected += N_PROM * REPEATS * (1 + 2 + 2 * (mode == "multiprocess"))
    if mode == "multiprocess":
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    got = registry.get_sample_value("bench_requests_total", {"method": "GET", "route": "/users"})
    assert got == expected, "prometheus_client %s: %r counts, expected %d" % (mode, got, expected)
    from importlib import metadata
    out["version"] = metadata.version("prometheus-client")
    out["module"] = prometheus_client.__file__  # the pinned release's, not Debian's
    return out


# ---- scrape cases ----------------------------------------------------------------------------


def workers(record, live):
    """Forks `live` workers that each run record() and then wait; returns their pids."""
    r, w = os.pipe()
    pids = []
    for _ in range(live):
        pid = os.fork()
        if pid == 0:
            record()
            os.write(w, b"r")
            time.sleep(3600)
            os._exit(0)
        pids.append(pid)
    for _ in range(live):
        os.read(r, 1)
    return pids


def dead_template(record, directory, match):
    """Runs record() in a process that exits; returns the names of its files in `directory`."""
    pid = os.fork()
    if pid == 0:
        record()
        os._exit(0)
    os.waitpid(pid, 0)
    return [n for n in os.listdir(directory) if match(n, pid)], pid


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def census_scrape_case(directory):
    import census.shm
    from census.ext.prometheus.stats_exporter import render
    from census.stats import aggregation, measure, view
    from census.stats import stats as stats_module
    from census.tags import TagMap
    vm = stats_module.stats.view_manager
    m = measure.MeasureInt("scrape", "s", "1")
    vm.register_view(view.View("scrape", "c", ["route"], m, aggregation.CountAggregation()))
    census.shm.enable(directory)  # the scraping process is a member of the group (a worker)

    def record():
        bound = [m.bind(TagMap([("route", "/r%d" % s)])) for s in range(SERIES)]
        for b in bound:
            for _ in range(RECORDS):
                b.record(1)
    names, dead = dead_template(record, directory,
                                lambda n, pid: n.startswith("census-%d-" % pid))
    assert len(names) == 1, names
    with open(os.path.join(directory, names[0]), "rb") as f:
        image = f.read(256 + 16384)  # the header and the worker's one chunk
    for i in range(DEAD):
        with open(os.path.join(directory, "census-%d-%016x.shm" % (4000000 + i, i)), "wb") as f:
            f.write(image)
    live = workers(record, LIVE)
    expected = (DEAD + 1 + LIVE) * SERIES * RECORDS

    def scrape():
        start = time.perf_counter_ns()
        text = render(namespace="app")
        ms = (time.perf_counter_ns() - start) / 1e6
        total = sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
                    if line.startswith("app_scrape_total{"))
        assert total == expected, "census scrape: %d counts, expected %d" % (total, expected)
        return ms
    out = {}
    lock = os.open(os.path.join(directory, "census-compact.lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_SH)  # hold compaction off, as a concurrent reader would
    out["scrape_ms_before_compaction"] = median([scrape() for _ in range(REPEATS)])
    os.close(lock)
    out["scrape_ms_compacting"] = scrape()
    out["scrape_ms_after_compaction"] = median([scrape() for _ in range(REPEATS)])
    out["files_after_compaction"] = len(os.listdir(directory))
    for pid in live:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return out


def prometheus_scrape_case(directory):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    import prometheus_client
    from prometheus_client import multiprocess
    from prometheus_client.parser import text_string_to_metric_families

    def record():
        counter = prometheus_client.Counter("scrape", "s", ["route"])
        bound = [counter.labels("/r%d" % s) for s in range(SERIES)]
        for b in bound:
            for _ in range(RECORDS):
                b.inc()
    names, dead = dead_template(record, directory, lambda n, pid: n.endswith("_%d.db" % pid))
    assert names, os.listdir(directory)
    for name in names:
        for i in range(DEAD):
            shutil.copyfile(os.path.join(directory, name),
                            os.path.join(directory, name.replace(str(dead), str(4000000 + i))))
    live = workers(record, LIVE)
    expected = (DEAD + 1 + LIVE) * SERIES * RECORDS

    def scrape():
        start = time.perf_counter_ns()
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = prometheus_client.generate_latest(registry).decode()
        ms = (time.perf_counter_ns() - start) / 1e6
        total = sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                    if s.name == "scrape_total")
        assert total == expected, "prometheus_client scrape: %r, expected %d" % (total, expected)
        return ms
    out = {"scrape_ms": median([scrape() for _ in range(REPEATS)])}
    for pid in live:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        multiprocess.mark_process_dead(pid)
    out["scrape_ms_after_mark_process_dead"] = median([scrape() for _ in range(REPEATS)])
    out["files"] = len(os.listdir(directory))
    return out


CASES = {
    "census_in_process": lambda d: census_record_case("in_process", d),
    "census_shm": lambda d: census_record_case("shm", d),
    "prometheus_client_in_process": lambda d: prometheus_record_case("in_process", d),
    "prometheus_client_multiprocess": lambda d: prometheus_record_case("multiprocess", d),
    "census_shm_scrape": census_scrape_case,
    "prometheus_client_multiprocess_scrape": prometheus_scrape_case,
}


def run_case(name, prometheus_client_dir):
    """Runs case `name` in a fresh interpreter, in a fresh directory (on /dev/shm if any)."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    directory = tempfile.mkdtemp(prefix="census-bench-py-", dir=base)
    env = dict(os.environ)
    env.pop("CENSUS_SHM_DIR", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if name.startswith("prometheus_client"):
        env["PYTHONPATH"] = prometheus_client_dir  # the pinned PyPI release, not Debian's
    try:
        out = subprocess.run([sys.executable, HERE, "--case", name, directory], env=env,
                             check=True, capture_output=True, text=True, timeout=600).stdout
    except subprocess.CalledProcessError as e:
        sys.exit("bench_shm: case %s failed:\n%s" % (name, e.stderr))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return json.loads(out.strip().splitlines()[-1])


def main():
    if sys.argv[1] == "--case":
        print(json.dumps(CASES[sys.argv[2]](sys.argv[3])))
        return
    results = {"python": sys.version.split()[0], "live": LIVE, "dead": DEAD, "series": SERIES,
               "records": RECORDS}
    for name in CASES:
        results[name] = run_case(name, sys.argv[1])
    pinned = os.path.abspath(sys.argv[1])
    for name in ("prometheus_client_in_process", "prometheus_client_multiprocess"):
        assert results[name]["module"].startswith(pinned + os.sep), results[name]["module"]
    r = results
    print("Python %s; ns/op (1 thread / 2 threads / 2 processes)" % r["python"])
    for label, case, op in [
            ("census in process: bound record", "census_in_process", "bound_record"),
            ("census shm mode: bound record", "census_shm", "bound_record"),
            ("census in process: map record, 2 tags", "census_in_process", "map_record_2tags"),
            ("census shm mode: map record, 2 tags", "census_shm", "map_record_2tags"),
            ("prometheus_client in process: bound inc", "prometheus_client_in_process",
             "bound_inc"),
            ("prometheus_client multiprocess: bound inc", "prometheus_client_multiprocess",
             "bound_inc"),
            ("prometheus_client in process: labels().inc", "prometheus_client_in_process",
             "labels_inc"),
            ("prometheus_client multiprocess: labels().inc",
             "prometheus_client_multiprocess", "labels_inc")]:
        c = r[case]
        figures = (c[op + "_1_thread"], c[op + "_2_threads"], c[op + "_2_processes"])
        print("%-48s %8.1f %8.1f %8.1f" % ((label,) + figures))
    s, p = r["census_shm_scrape"], r["prometheus_client_multiprocess_scrape"]
    print("scrape, %d live + %d dead workers x %d series (ms):" % (LIVE, DEAD, SERIES))
    print("  census: before compaction %.1f, compacting %.1f, after %.2f (%d files)" % (
        s["scrape_ms_before_compaction"], s["scrape_ms_compacting"],
        s["scrape_ms_after_compaction"], s["files_after_compaction"]))
    print("  prometheus_client %s multiprocess: %.1f (%.1f after mark_process_dead; %d files)" % (
        r["prometheus_client_multiprocess"]["version"], p["scrape_ms"],
        p["scrape_ms_after_mark_process_dead"], p["files"]))
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
