"""Real servers and independent decoders for the census Python tests, the same ones the C tests
use: the OTLP receiver (tests/otlp/otlp_receiver.js: protobufjs with the official OpenTelemetry
.proto files), the loopback Google fake (tests/google_cloud/fake_google.js, which enforces Cloud
Monitoring's rules) with Google's proto3-JSON parser (tests/google_cloud/check_proto_json.py),
the real Prometheus server and promtool, and prometheus_client's strict OpenMetrics parser
(tests/prometheus/strict_parse.py).

Every server runs on 127.0.0.1 and is stopped by its process id when the test ends.
"""

import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from conftest import REPO

TESTS = os.path.join(REPO, "tests")
NODE_PATH = os.path.join(TESTS, "interop", "node_modules")


def _node_env():
    if not os.path.isdir(NODE_PATH):
        raise RuntimeError("tests/interop/node_modules is missing: run scripts/install-deps.sh "
                           "test (npm ci in tests/interop)")
    return dict(os.environ, NODE_PATH=NODE_PATH)


def _wait_port(path, proc, what):
    for _ in range(200):
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                line = f.readline().strip()
            if line:
                return json.loads(line)["port"]
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("%s did not start" % what)


def stop(proc):
    """Stops a process this module started, by its pid: TERM, then KILL after 5 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class OtlpReceiver(object):
    """tests/otlp/otlp_receiver.js: decodes every request with the official OTLP definitions."""

    def __init__(self, workdir, *args):
        self.out = os.path.join(workdir, "otlp.jsonl")
        raw = os.path.join(workdir, "raw")
        os.makedirs(raw, exist_ok=True)
        open(self.out, "w").close()
        port_file = os.path.join(workdir, "otlp.port")
        with open(port_file, "w") as pf:
            self.proc = subprocess.Popen(
                ["node", os.path.join(TESTS, "otlp", "otlp_receiver.js"), "--out", self.out,
                 "--raw-dir", raw, *args], stdout=pf, stderr=subprocess.DEVNULL,
                env=_node_env())
        self.port = _wait_port(port_file, self.proc, "otlp_receiver.js")
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def requests(self):
        """Every request received so far, decoded."""
        with open(self.out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def metric_points(self):
        """{(metric name, tuple of sorted (key, value) attributes): last data point}, over every
        metrics request in arrival order (cumulative data: the last is the total)."""
        points = {}
        for request in self.requests():
            if request.get("signal") != "metrics":
                continue
            for rm in request["decoded"]["resourceMetrics"]:
                for sm in rm["scopeMetrics"]:
                    for metric in sm["metrics"]:
                        data = metric.get(metric.get("data"))
                        for point in data["dataPoints"]:
                            attrs = tuple(sorted(
                                (a["key"], a["value"].get("stringValue"))
                                for a in point.get("attributes", [])))
                            points[(metric["name"], attrs)] = dict(point, kind=metric["data"])
        return points

    def close(self):
        stop(self.proc)


class FakeGoogle(object):
    """tests/google_cloud/fake_google.js with a static bearer token ("test-token")."""

    TOKEN = "test-token"

    def __init__(self, workdir, min_interval_ms=0, project="test-project"):
        self.log = os.path.join(workdir, "google.jsonl")
        cfg = os.path.join(workdir, "google.json")
        with open(cfg, "w") as f:
            json.dump({"project": project, "minIntervalMs": min_interval_ms, "log": self.log,
                       "staticTokens": [self.TOKEN]}, f)
        port_file = os.path.join(workdir, "google.port")
        with open(port_file, "w") as pf:
            self.proc = subprocess.Popen(
                ["node", os.path.join(TESTS, "google_cloud", "fake_google.js"), cfg], stdout=pf,
                stderr=subprocess.DEVNULL, env=_node_env())
        self.port = _wait_port(port_file, self.proc, "fake_google.js")
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def state(self):
        """GET /_state: the server's counters and every rule violation it saw."""
        with urllib.request.urlopen(self.endpoint + "/_state", timeout=5) as r:
            return json.loads(r.read())

    def logged(self):
        """Every request the server logged (one JSON object each)."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def close(self):
        stop(self.proc)


_descriptor_dir = None


def google_descriptor_sets():
    """The descriptor sets of Google's API definitions (built once from the npm packages)."""
    global _descriptor_dir
    if _descriptor_dir is None:
        out = tempfile.mkdtemp(prefix="census_py_protos_")
        subprocess.run(["sh", os.path.join(TESTS, "google_cloud", "build_descriptor_sets.sh"),
                        NODE_PATH, out], check=True, capture_output=True, env=_node_env())
        _descriptor_dir = out
    return _descriptor_dir


def check_proto_json(message_type, bodies):
    """Checks each body (a dict) with Google's proto3-JSON parser; returns (ok, message)."""
    sets = google_descriptor_sets()
    pbs = ":".join(os.path.join(sets, n) for n in ("wkt.pb", "monitoring.pb"))
    proc = subprocess.run(
        ["/usr/bin/python3", os.path.join(TESTS, "google_cloud", "check_proto_json.py"), pbs,
         message_type, "--jsonl"], input="".join(json.dumps(b) + "\n" for b in bodies),
        capture_output=True, text=True)
    return proc.returncode == 0, proc.stderr


def strict_openmetrics_parse(text, workdir):
    """prometheus_client's strict OpenMetrics parser over `text`; returns (ok, message)."""
    path = os.path.join(workdir, "scrape.om")
    with open(path, "w") as f:
        f.write(text)
    proc = subprocess.run(["/usr/bin/python3", os.path.join(TESTS, "prometheus",
                                                            "strict_parse.py"), path],
                          capture_output=True, text=True)
    return proc.returncode == 0, proc.stdout + proc.stderr


def promtool_check(text):
    """`promtool check metrics` over the text exposition; returns (ok, output). Exit 3 is lint
    about names the program chose (e.g. "use base unit seconds" for a view in ms), not a parse
    error, and passes, as in tests/integration/prometheus_http_test.sh."""
    proc = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True)
    return proc.returncode in (0, 3), proc.stdout + proc.stderr


def http_get(url, accept=None):
    """(status, content type, body text) of a GET."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=5) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")


def free_port():
    """A port nothing listens on now (bound by the kernel, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Prometheus(object):
    """The real Prometheus server scraping `target` (host:port) every second."""

    def __init__(self, workdir, target):
        if not shutil.which("prometheus"):
            raise RuntimeError("prometheus is missing: run scripts/install-deps.sh test")
        cfg = os.path.join(workdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: census\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        for _ in range(5):
            port = 20000 + random.randrange(20000)
            self.proc = subprocess.Popen(
                ["prometheus", "--config.file=" + cfg, "--web.listen-address=127.0.0.1:%d" % port,
                 "--storage.tsdb.path=" + os.path.join(workdir, "data")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.api = "http://127.0.0.1:%d/api/v1" % port
            for _ in range(100):
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % port, timeout=1)
                    return
                except Exception:
                    if self.proc.poll() is not None:
                        break
                    time.sleep(0.1)
            stop(self.proc)
        raise RuntimeError("prometheus did not start")

    def query(self, expr):
        """The instant vector of a PromQL expression: [(labels dict, float value)]."""
        url = self.api + "/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=5) as r:
            result = json.loads(r.read())["data"]["result"]
        return [(item["metric"], float(item["value"][1])) for item in result]

    def wait_for(self, expr, timeout=40):
        """Waits until `expr` has a sample; returns query(expr)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError("Prometheus has no sample for %s after %d s" % (expr, timeout))

    def close(self):
        stop(self.proc)
