#!/usr/bin/env bash
# Instructions per operation of census's hot paths, counted by callgrind (valgrind), which is
# stable on a busy shared machine where ns/op is not.
#   scripts/callgrind-ops.sh BUILD_DIR [N]
# BUILD_DIR is a build with the benchmarks (-DCENSUS_BUILD_BENCH=ON); N operations per case
# (default 20000). Prints "case Ir/op" for each case of bench/ops_callgrind.c.
set -euo pipefail
build=${1:?usage: callgrind-ops.sh BUILD_DIR [N]}
n=${2:-20000}
cmake --build "$build" --target ops_callgrind >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for op in record_direct_3tags record_map_3tags record_distribution_3tags bound_int \
  bound_distribution record_exponential_3tags bound_exponential span_sampled span_unsampled \
  traceparent_extract traceparent_inject; do
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect=run_ops \
    --callgrind-out-file="$out/$op" "$build/bench/ops_callgrind" "$op" "$n" 2>/dev/null
  total=$(grep -m1 '^summary:' "$out/$op" | awk '{print $2}')
  awk -v op="$op" -v t="$total" -v n="$n" 'BEGIN { printf "%-28s %8.1f\n", op, t / n }'
done
