"""The loopback receivers of census's C exporter tests (tests/otlp, tests/zipkin,
tests/google_cloud: node scripts that decode with independent implementations), started from
pytest: each prints {"port": N} and appends one JSON line per request to its --out file."""

import contextlib
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import REPO

NODE_MODULES = os.path.join(REPO, 'tests', 'interop', 'node_modules')


@contextlib.contextmanager
def receiver(script, out, *args):
    """Runs `node tests/<script> --out <out> args...`; yields the port; stops it on exit (so
    the output file is complete after the block)."""
    if not shutil.which('node') or not os.path.isdir(NODE_MODULES):
        pytest.fail('node and tests/interop/node_modules are needed: run '
                    'scripts/install-deps.sh test')
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    proc = subprocess.Popen(['node', os.path.join(REPO, 'tests', script), '--out', str(out),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True)
    try:
        deadline = time.time() + 10
        port = None
        while port is None and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r'"port":\s*(\d+)', line)
            port = int(m.group(1)) if m else None
        if port is None:
            pytest.fail('receiver %s did not start: %s' % (script, proc.stderr.read()))
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def requests_of(out):
    """The JSON lines a receiver wrote."""
    if not os.path.exists(str(out)):
        return []
    with open(str(out)) as f:
        return [json.loads(line) for line in f if line.strip()]
