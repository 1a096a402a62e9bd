#!/usr/bin/env bash
# The Python section of `make bench`: census's Python recording costs beside prometheus_client
# (Debian's), opencensus 0.11.4 and opentelemetry-sdk (pinned, bindings/python/tests/
# requirements.txt), in one run of Debian's /usr/bin/python3 (bindings/python/bench/
# bench_stats.py: recording; bench_trace.py: spans). census is built offline with Debian's
# tooling into a venv under the build dir. bench_shm.py: shared-memory mode (census.shm) beside
# prometheus_client's multiprocess mode, pinned from PyPI (bindings/python/bench/
# requirements-shm.txt, installed into a directory of its own).
# Usage: scripts/bench-python.sh [build dir, default build]
#   -> <build dir>/bench_python.json, <build dir>/bench_python_trace.json,
#      <build dir>/bench_python_shm.json
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
venv="$dir/python-venv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/pip" install -q --no-build-isolation --no-index --force-reinstall --no-deps ./bindings/python
if ! cmp -s bindings/python/tests/requirements.txt "$venv/.requirements"; then
  "$venv/bin/pip" install -q -r bindings/python/tests/requirements.txt
  cp bindings/python/tests/requirements.txt "$venv/.requirements"
fi
pyclient="$dir/prometheus-client-pypi"
if ! cmp -s bindings/python/bench/requirements-shm.txt "$pyclient/.requirements"; then
  rm -rf "$pyclient"
  "$venv/bin/pip" install -q --target "$pyclient" -r bindings/python/bench/requirements-shm.txt
  cp bindings/python/bench/requirements-shm.txt "$pyclient/.requirements"
fi
cd "$dir"
"$venv/bin/python" "$OLDPWD/bindings/python/bench/bench_stats.py" "$dir/bench_python.json"
"$venv/bin/python" "$OLDPWD/bindings/python/bench/bench_trace.py" "$dir/bench_python_trace.json"
"$venv/bin/python" "$OLDPWD/bindings/python/bench/bench_shm.py" "$pyclient" "$dir/bench_python_shm.json"
