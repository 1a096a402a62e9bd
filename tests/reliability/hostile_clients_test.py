#!/usr/bin/python3
"""Hostile clients against the Prometheus exporter's server with the zPages on it (issue 19).

Proves: while attackers on other loopback addresses (127.0.0.2-127.0.0.9) run slowloris, open
many connections, send huge headers, pipeline garbage, reset connections abruptly, speak HTTP/1.0,
ask for other paths and read slowly, a legitimate scraper on 127.0.0.1 (every 100 ms, /metrics
and the zPages in turn) gets every answer (200, with the recorded series) within its timeout (5 s);
the server's RSS stays under a bound computed from its limits, it holds no more file
descriptors once the attackers are gone than before, and it stops cleanly with every scrape
counted and none failed.

On main before this test (32 connections in all, no limit per client address, a connection
closed only after timeout_s without traffic), one address holding 32 connections (slowloris,
idle sockets, readers that never read) shut the scraper out: its scrapes waited in the listen
backlog until they timed out. Now one address holds at most 8, and when all 32 are taken the
connection longest in one request (at least 1 s) is closed for the newcomer.

Usage: hostile_clients_test.py SERVER_APP   (tests/reliability/server_app.c)
Environment: HOSTILE_PHASE_S (seconds per attack, default 4); HOSTILE_SANITIZER (set by CTest in
a sanitizer build: the RSS bound is then not checked, as ASan's quarantine keeps freed memory).
"""
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

APP = sys.argv[1]
PHASE_S = float(os.environ.get("HOSTILE_PHASE_S", "4"))
# A legitimate scrape must complete within this: half of Prometheus's default scrape_timeout
# (10 s), with room for a loaded machine and sanitizer builds (each request is rendered on the
# server's one thread, pipelined attackers' requests too; unloaded, the slowest is about 0.3 s).
SCRAPE_TIMEOUT_S = 5.0
TIMEOUT_S = 2            # the server's idle timeout in this test
# (32 + 8 connections) x (32 KiB of request memory + a 20 kB answer) is about 2 MB; the rest is
# room for the allocator's arenas and caches.
RSS_GROWTH_LIMIT_KB = 8 * 1024
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def connect(port, source, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_response(s, deadline):
    """Reads one HTTP response (Content-Length or until EOF); returns (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while length is None or len(body) < length:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


class Scraper(threading.Thread):
    """The legitimate client: a new connection per scrape, every 100 ms, /metrics and a page."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.done = 0
        self.worst = 0.0
        self.phase = "start"

    def run(self):
        paths = ["/metrics", "/zpages/statsz", "/metrics", "/zpages/tracez.json"]
        i = 0
        while not self.stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            start = time.monotonic()
            deadline = start + SCRAPE_TIMEOUT_S
            try:
                with connect(self.port, "127.0.0.1", SCRAPE_TIMEOUT_S) as s:
                    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    status, body = read_response(s, deadline)
                took = time.monotonic() - start
                if status != 200 or (path == "/metrics" and b"app_ticks_total" not in body):
                    fail(f"{self.phase}: scrape of {path} answered {status} ({len(body)} bytes)")
                elif took > SCRAPE_TIMEOUT_S:
                    fail(f"{self.phase}: scrape of {path} took {took:.2f} s")
                self.worst = max(self.worst, took)
                self.done += 1
            except OSError as e:
                fail(f"{self.phase}: scrape of {path} failed after "
                     f"{time.monotonic() - start:.2f} s: {e!r}")
            time.sleep(0.1)


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.peak = 0

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.05)


def rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def hold(port, source, count, first=b"", trickle=None):
    """Opens up to `count` connections from `source`, sends `first`, then every second sends
    `trickle` on each while the phase lasts; returns how many the server let in."""
    socks = []
    for _ in range(count):
        try:
            s = connect(port, source, 1.0)
            if first:
                s.sendall(first)
            socks.append(s)
        except OSError:
            pass
    end = time.monotonic() + PHASE_S
    while time.monotonic() < end:
        time.sleep(1.0)
        for s in list(socks):
            try:
                if trickle:
                    s.sendall(trickle)
            except OSError:
                socks.remove(s)
                s.close()
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.close()
    return alive


def slowloris(port):
    # Every header line a second: each connection keeps well inside the idle timeout.
    alive = hold(port, "127.0.0.2", 200, b"GET /metrics HTTP/1.1\r\nHost: x\r\n", b"X-a: b\r\n")
    print(f"slowloris: {alive} of 200 connections still open after {PHASE_S} s", flush=True)


def slowloris_many_addresses(port):
    # 20 addresses, 8 connections each: 160, five times the server's 32 connections.
    counts = [0] * 20

    def one(i):
        counts[i] = hold(port, f"127.0.1.{i + 1}", 8, b"GET /zpages/tracez HTTP/1.1\r\nHost: x\r\n",
                         b"X-a: b\r\n")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"slowloris from 20 addresses: {sum(counts)} of 160 connections still open after "
          f"{PHASE_S} s", flush=True)


def many_connections(port):
    alive = hold(port, "127.0.0.3", 1000)
    print(f"many connections: {alive} of 1000 still open after {PHASE_S} s", flush=True)


def huge_headers(port):
    answers = {}
    for size in (40_000, 1_000_000, 8_000_000):
        for name in (b"X-Big", b"Cookie"):
            try:
                with connect(port, "127.0.0.4", 5) as s:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + name + b": " +
                              b"a" * size + b"\r\n\r\n")
                    status, _ = read_response(s, time.monotonic() + 5)
            except OSError:
                status = "closed"
            answers[status] = answers.get(status, 0) + 1
    # Many header lines, each small.
    try:
        with connect(port, "127.0.0.4", 5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 100_000 + b"\r\n")
            status, _ = read_response(s, time.monotonic() + 5)
    except OSError:
        status = "closed"
    answers[status] = answers.get(status, 0) + 1
    print(f"huge headers: answers {answers}", flush=True)
    if 200 in answers:
        fail(f"huge headers: answered 200 ({answers})")


def pipelined_garbage(port):
    rng = random.Random(19)
    answers = {}
    inputs = [
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 500,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(rng.randrange(256) for _ in range(4096)),
        bytes(rng.randrange(256) for _ in range(65536)),
        b"\r\n" * 10000,
        b"GET /zpages/tracez HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE \x00\x01\x02 HTTP/9.9\r\n\r\n",
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n" + b"x" * 65536,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\n Host: folded\r\n\tcontinued\r\n\r\n",
    ]
    for data in inputs:
        try:
            with connect(port, "127.0.0.5", 5) as s:
                try:
                    s.sendall(data)
                except OSError:
                    pass
                status, _ = read_response(s, time.monotonic() + 5)
        except OSError:
            status = "closed"
        answers[status] = answers.get(status, 0) + 1
    print(f"pipelined garbage: first answers {answers}", flush=True)


def abrupt_resets(port):
    n = 0
    for i in range(300):
        try:
            s = connect(port, "127.0.0.6", 2)
            if i % 3 == 1:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            elif i % 3 == 2:
                s.sendall(b"GET /zpages/statsz HTTP/1.1\r\nHost: x\r\n\r\n")
                time.sleep(0.002)  # the answer is being written when the reset comes
            rst(s)
            n += 1
        except OSError:
            pass
    print(f"abrupt resets: {n} connections reset", flush=True)


def http10(port):
    for path, want in (("/metrics", 200), ("/zpages/tracez", 200), ("/other", 404)):
        with connect(port, "127.0.0.7", 5) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            status, body = read_response(s, time.monotonic() + 5)
            # HTTP/1.0 without keep-alive: the server closes after the answer.
            s.settimeout(3)
            rest = s.recv(1)
        if status != want or rest != b"":
            fail(f"HTTP/1.0 {path}: {status}, connection {'open' if rest else 'closed'}")
    print("HTTP/1.0: answered and closed", flush=True)


def other_paths(port):
    paths = ["/", "/metrics/", "/metricsx", "/zpages", "/zpages/", "/zpages/nope",
             "/zpages/tracez?zspanname=%00&ztype=9&zsubtype=-1", "/zpages/statsz?view=%ff%fe",
             "/../../etc/passwd", "/%2e%2e/", "*", "/" + "a" * 20000, "/metrics?" + "q=1&" * 2000,
             "http://evil/metrics", "/zpages/tracez.json?zspanname=" + "%41" * 3000]
    answers = {}
    for i, path in enumerate(paths):
        method = ["GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "BREW"][i % 6]
        try:
            with connect(port, "127.0.0.8", 5) as s:
                s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                status, _ = read_response(s, time.monotonic() + 5)
        except OSError:
            status = "closed"
        answers[status] = answers.get(status, 0) + 1
    print(f"other paths: answers {answers}", flush=True)


def slow_readers(port):
    # Requests pipelined on 100 connections that never read: answers pile up at the server
    # only as far as the kernel's buffers and one answer per connection.
    socks = []
    for i in range(100):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(1)
            s.bind(("127.0.0.9", 0))
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            path = "/metrics" if i % 2 else "/zpages/statsz"
            try:
                s.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 200)
            except BlockingIOError:
                pass
            socks.append(s)
        except OSError:
            pass
    time.sleep(PHASE_S)
    for s in socks:
        s.close()
    print(f"slow readers: {len(socks)} connections opened", flush=True)


def main():
    app = subprocess.Popen([APP, "--timeout-s", str(TIMEOUT_S)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    port = int(app.stdout.readline().split()[1])
    pid = app.pid
    time.sleep(0.5)
    # Warm-up: a few scrapes of every page, so the baseline holds the allocator's steady state.
    scraper = Scraper(port)
    scraper.start()
    time.sleep(1.0)
    base_rss, base_fds = rss_kb(pid), fd_count(pid)
    sampler = Sampler(pid)
    sampler.start()
    for attack in (slowloris, slowloris_many_addresses, many_connections, huge_headers, pipelined_garbage, abrupt_resets,
                   http10, other_paths, slow_readers):
        scraper.phase = attack.__name__
        attack(port)
        time.sleep(0.2)
    # Attacks running together.
    scraper.phase = "all at once"
    threads = [threading.Thread(target=a, args=(port,)) for a in
               (slowloris, many_connections, huge_headers, pipelined_garbage, abrupt_resets,
                slow_readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Quiet: the server drops what the attackers left within its timeout.
    scraper.phase = "after"
    time.sleep(TIMEOUT_S + 1.5)
    scraper.stop.set()
    scraper.join()
    sampler.stop.set()
    sampler.join()
    end_rss, end_fds = rss_kb(pid), fd_count(pid)
    print(f"RSS: baseline {base_rss} kB, peak {sampler.peak} kB, end {end_rss} kB; "
          f"fds: baseline {base_fds}, end {end_fds}; scrapes {scraper.done}, "
          f"slowest {scraper.worst * 1000:.0f} ms", flush=True)
    if os.environ.get("HOSTILE_SANITIZER"):
        print(f"RSS bound not checked: {os.environ['HOSTILE_SANITIZER']} sanitizer build", flush=True)
    elif sampler.peak - base_rss > RSS_GROWTH_LIMIT_KB:
        fail(f"RSS grew by {sampler.peak - base_rss} kB (limit {RSS_GROWTH_LIMIT_KB} kB)")
    if end_fds > base_fds:
        fail(f"{end_fds - base_fds} file descriptors still open after the attacks")
    if scraper.done < 20:
        fail(f"only {scraper.done} legitimate scrapes completed")
    out, _ = app.communicate("", timeout=30)
    print(out.strip(), flush=True)
    if app.returncode != 0:
        fail(f"server_app exited {app.returncode}")
    elif "failures=0 " not in out:
        fail(f"scrapes failed: {out.strip()}")
    if failures:
        print(f"{len(failures)} failures", flush=True)
        sys.exit(1)
    print("PASS", flush=True)


main()
