#!/usr/bin/python3
"""Soak test (issue 19): census under sustained load with failing exporters, bounded in time.

Proves, over SOAK_S seconds (sampled twice a second) (60 in make test, 600 with make soak): with 4 threads recording
with a tag whose values never repeat (far past the views' cardinality limit), about 2000 spans a
second, the OTLP exporter pushing metrics every 200 ms and spans to a receiver here that answers
at random 200, 503 (retried), 400 (dropped) or closes the connection without an answer, a scrape
of /metrics every 100 ms and census_flush() every 300 ms:
  - the process's RSS is flat after warm-up: its peak over the last third of the run is at most
    RSS_SLACK_KB above its peak over the first third after warm-up;
  - no file descriptor and no thread leaks: their lowest counts over the last third are no higher
    than over the first third (the lowest, since flushes start short-lived threads: what leaks
    stays, and raises the lowest); connections to the receiver are counted apart, since libcurl
    keeps one per OTLP signal open or not by chance, and at most that many may stay;
  - every scrape answers 200;
  - the totals are exact: soak_app checks every view against what its threads recorded (the
    overflow row included), and that every ended span was delivered, rejected or counted as
    dropped; here the spans and metric requests the receiver answered 200 must equal what the
    exporter counts as delivered.

Usage: soak_test.py SOAK_APP   Environment: SOAK_S (default 60); SOAK_SANITIZER (set by CTest in
a sanitizer build: the RSS bound is then not checked, as ASan's quarantine keeps freed memory).
"""
import http.server
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request

APP = sys.argv[1]
DURATION_S = float(os.environ.get("SOAK_S", "60"))
WARMUP_S = min(15.0, DURATION_S / 4)
RSS_SLACK_KB = 3 * 1024
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.rng = random.Random(19)
        self.counts = {"spans_ok": 0, "metric_requests_ok": 0, "200": 0, "503": 0, "400": 0,
                       "closed": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        with server.lock:
            roll = server.rng.random()
        if roll < 0.10:
            with server.lock:
                server.counts["closed"] += 1
            self.close_connection = True
            return  # no answer at all
        code = 200 if roll < 0.70 else 503 if roll < 0.90 else 400
        if code == 200:
            data = json.loads(body)
            with server.lock:
                if self.path.endswith("/v1/traces"):
                    server.counts["spans_ok"] += sum(len(ss.get("spans", []))
                                                     for rs in data.get("resourceSpans", [])
                                                     for ss in rs.get("scopeSpans", []))
                else:
                    server.counts["metric_requests_ok"] += 1
        answer = b"{}" if code == 200 else b'{"code": 14, "message": "soak"}'
        with server.lock:
            server.counts[str(code)] += 1
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


# The OTLP exporter keeps at most one connection per signal open to the receiver (libcurl reuses
# it; a new one only replaces one the receiver closed). Such kept connections are not leaks, but
# whether one happens to be open when a sample is taken is chance, so they are counted apart.
OTLP_SIGNALS = 2


def receiver_socket_inodes(pid, receiver_port):
    """Inodes of the process's TCP sockets whose peer is the receiver (from /proc/PID/net/tcp*)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[2].rsplit(":", 1)[1], 16) == receiver_port:
                        inodes.add(cols[9])
        except FileNotFoundError:
            pass
    return inodes


def sample(pid, receiver_port):
    """(RSS kB, fds other than connections to the receiver, threads, connections to the receiver)"""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    to_receiver = receiver_socket_inodes(pid, receiver_port)
    fds = kept = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if link.startswith("socket:[") and link[8:-1] in to_receiver:
            kept += 1
        else:
            fds += 1
    return (int(fields["VmRSS"].split()[0]), fds, int(fields["Threads"].strip()), kept)


def main():
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}"
    app = subprocess.Popen([APP, endpoint], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    words = app.stdout.readline().split()
    port, pid = int(words[1]), int(words[3])
    stop = threading.Event()
    scrapes = [0, 0]

    def scraper():
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    body = r.read()
                    if r.status != 200 or b"soak_by_user" not in body:
                        fail(
                            f"scrape {scrapes[0] + 1} answered {r.status}"
                            f" ({len(body)} bytes, soak_by_user {'present' if b'soak_by_user' in body else 'absent'})"
                        )
                scrapes[0] += 1
            except OSError as e:
                scrapes[1] += 1
                fail(f"scrape failed: {e!r}")
            time.sleep(0.1)

    threading.Thread(target=scraper, daemon=True).start()
    start = time.monotonic()
    samples = []  # (t, rss kB, fds, threads, kept connections to the receiver)
    while time.monotonic() - start < DURATION_S:
        time.sleep(0.5)
        samples.append((time.monotonic() - start,) + sample(pid, receiver.server_address[1]))
    stop.set()
    after = [s for s in samples if s[0] >= WARMUP_S]
    third = max(1, len(after) // 3)
    first, last = after[:third], after[-third:]
    peak = lambda window, i: max(s[i] for s in window)
    low = lambda window, i: min(s[i] for s in window)
    print(f"soak {DURATION_S:.0f} s (warm-up {WARMUP_S:.0f} s): RSS at start {samples[0][1]} kB, "
          f"after warm-up {after[0][1]} kB, at end {samples[-1][1]} kB (peaks: first third "
          f"{peak(first, 1)} kB, last third {peak(last, 1)} kB); lowest fds {low(first, 2)} -> "
          f"{low(last, 2)} (and kept connections to the receiver {low(first, 4)} -> {low(last, 4)}); "
          f"lowest threads {low(first, 3)} -> {low(last, 3)}; scrapes {scrapes[0]}",
          flush=True)
    if os.environ.get("SOAK_SANITIZER"):
        print(f"RSS bound not checked: {os.environ['SOAK_SANITIZER']} sanitizer build", flush=True)
    elif peak(last, 1) - peak(first, 1) > RSS_SLACK_KB:
        fail(f"RSS grew by {peak(last, 1) - peak(first, 1)} kB after warm-up")
    if low(last, 2) > low(first, 2):
        fail(f"file descriptors grew from {low(first, 2)} to {low(last, 2)}")
    if low(last, 4) > OTLP_SIGNALS:
        fail(f"{low(last, 4)} connections to the receiver stayed open (at most {OTLP_SIGNALS} kept)")
    if low(last, 3) > low(first, 3):
        fail(f"threads grew from {low(first, 3)} to {low(last, 3)}")
    out, _ = app.communicate("", timeout=60)
    print(out.strip(), flush=True)
    with receiver.lock:
        counts = dict(receiver.counts)
    print(f"receiver: {counts}", flush=True)
    if app.returncode != 0:
        fail(f"soak_app exited {app.returncode}")
    totals = dict(w.split("=") for w in out.split() if "=" in w)
    if totals.get("spans_delivered") != str(counts["spans_ok"]):
        fail(f"the receiver took {counts['spans_ok']} spans, the exporter counts "
             f"{totals.get('spans_delivered')} delivered")
    if totals.get("metrics_requests_delivered") != str(counts["metric_requests_ok"]):
        fail(f"the receiver took {counts['metric_requests_ok']} metric requests, the exporter "
             f"counts {totals.get('metrics_requests_delivered')}")
    if min(counts["200"], counts["503"], counts["400"], counts["closed"]) == 0:
        fail(f"the receiver did not exercise every answer: {counts}")
    receiver.shutdown()
    if failures:
        print(f"{len(failures)} failures", flush=True)
        sys.exit(1)
    print("PASS", flush=True)


main()
