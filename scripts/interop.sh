#!/usr/bin/env bash
# Propagation interop test: installs the pinned node implementations (npm ci in tests/interop,
# needs only the npm registry), builds the C helper and runs the CTest "interop" label.
# Usage: scripts/interop.sh [build-dir]   (default build-interop, an ASan+UBSan Debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-interop}"
for tool in node npm cmake; do
  command -v "$tool" >/dev/null || { echo "interop.sh: $tool is required" >&2; exit 1; }
done
(cd tests/interop && npm ci --no-audit --no-fund)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCENSUS_SANITIZE=address \
  -DCENSUS_BUILD_BENCH=OFF -DCENSUS_BUILD_EXAMPLES=OFF
cmake --build "$build" -j"$(nproc)" --target propagation_interop_helper
cd "$build"
ctest -L interop --output-on-failure
