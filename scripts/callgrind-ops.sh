#!/usr/bin/env bash
# Instructions per operation of census's hot paths, counted by callgrind (valgrind), which is
# stable on a busy shared machine where ns/op is not.
#   scripts/callgrind-ops.sh BUILD_DIR [N]
# BUILD_DIR is a build with the benchmarks (-DCENSUS_BUILD_BENCH=ON); N operations per case
# (default 20000). Prints "case static shared": instructions per operation of each case of
# bench/ops_callgrind.c linked with the static library and with libcensus.so.
set -euo pipefail
build=${1:?usage: callgrind-ops.sh BUILD_DIR [N]}
n=${2:-20000}
cmake --build "$build" --target ops_callgrind ops_callgrind_shared >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf "%-30s %8s %8s\n" case static shared
for op in record_direct_3tags record_map_3tags record_map_0tags record_distribution_3tags \
  record_map_distribution_3tags bound_int bound_distribution record_exponential_3tags \
  bound_exponential span_sampled span_unsampled traceparent_extract traceparent_inject \
  record_sum_3tags record_counter_3tags record_histogram_3tags bound_sum bound_counter \
  record_exemplar_nospan record_exemplar_sampled; do
  line=$(printf "%-30s" "$op")
  for bin in ops_callgrind ops_callgrind_shared; do
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=run_ops \
      --callgrind-out-file="$out/$op.$bin" "$build/bench/$bin" "$op" "$n" 2>/dev/null
    total=$(grep -m1 '^summary:' "$out/$op.$bin" | awk '{print $2}')
    line+=$(awk -v t="$total" -v n="$n" 'BEGIN { printf " %8.1f", t / n }')
  done
  echo "$line"
done
