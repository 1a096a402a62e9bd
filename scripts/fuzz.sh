#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for a bounded time
# (CENSUS_FUZZ_SECONDS, default 15) from its seed corpus, through CTest's "fuzz" label.
# Usage: scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${CENSUS_FUZZ_SECONDS:-15}}"
if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang is required (apt-get install clang)" >&2
  exit 1
fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCENSUS_SANITIZE=address \
  -DCENSUS_BUILD_FUZZ=ON -DCENSUS_FUZZ_SECONDS="$seconds" \
  -DCENSUS_BUILD_BENCH=OFF -DCENSUS_BUILD_EXAMPLES=OFF
targets=$(cd build-fuzz && ctest -N -L fuzz | sed -n 's/^ *Test *#[0-9]*: \(fuzz_.*\)$/\1/p')
cmake --build build-fuzz -j"$(nproc)" --target $targets
cd build-fuzz
ctest -L fuzz --output-on-failure -j"$(nproc)" | tee ctest.log
