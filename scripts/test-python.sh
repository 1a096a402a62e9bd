#!/usr/bin/env bash
# The Python binding's tests (bindings/python/tests), as `make test-python` runs them:
#  1. a venv made from Debian's /usr/bin/python3 with --system-site-packages (so it sees the
#     python3-* packages install-deps.sh installs: pytest, flask, requests, prometheus-client,
#     protobuf, setuptools, wheel);
#  2. census installed into it offline with Debian's tooling (--no-build-isolation --no-index:
#     the route a Debian-only machine has);
#  3. the tests' pinned PyPI peers (bindings/python/tests/requirements.txt: opencensus 0.11.4
#     and its exporters, opentelemetry-sdk);
#  4. pytest, with its log in <dir>/pytest.log for scripts/test-summary.sh.
# Usage: scripts/test-python.sh [build dir, default build-python] [pytest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-python}
shift || true
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
venv="$dir/venv"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/pip" install -q --no-build-isolation --no-index --force-reinstall --no-deps ./bindings/python
stamp="$venv/.requirements"
if ! cmp -s bindings/python/tests/requirements.txt "$stamp"; then
  "$venv/bin/pip" install -q -r bindings/python/tests/requirements.txt
  cp bindings/python/tests/requirements.txt "$stamp"
fi
# Run from the build dir, so that `import census` finds the installed package, not the sources.
cd "$dir"
"$venv/bin/python" -m pytest -p no:cacheprovider -v "$OLDPWD/bindings/python/tests" "$@" 2>&1 |
  tee pytest.log
