#!/usr/bin/env bash
# Instructions per operation of census's hot paths, counted by callgrind (valgrind), which is
# stable on a busy shared machine where ns/op is not.
#   scripts/callgrind-ops.sh BUILD_DIR [N] [--json BENCH_JSON] [OP...]
# BUILD_DIR is a build with the benchmarks (-DCENSUS_BUILD_BENCH=ON). Each case of
# bench/ops_callgrind.c (all, or the OPs named) runs twice, N and 2N operations (default
# N = 20000), linked with the static library and with libcensus.so; instructions per operation
# are the difference of the two counts divided by N, so what a run pays once cancels out.
# The encoder cases (otlp_encode_per_series/_span, prometheus_render_per_series) count one
# encode of N and of 2N series or spans, so their figure is per series or span; they run
# against the static library only. Prints "case static shared". With --json, also writes the figures into BENCH_JSON (the file
# bench_record wrote): every result of that name gets "instructions_per_op": {"static": S,
# "shared": D}, and the top level gets "instructions_per_op" with every case counted (some, such as
# the exponential histograms, have no timed result) and "instructions_per_op_n". Each shm_X case
# counted with its in-process case X also gets a ratio (static library), printed after the table
# and written as "shm_instructions_ratio" (per result, and at the top level by case): the issue's
# target for shared-memory mode is 1.5x.
set -euo pipefail
build=${1:?usage: callgrind-ops.sh BUILD_DIR [N] [--json BENCH_JSON] [OP...]}
shift
n=20000
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  n=$1
  shift
fi
json=
if [[ $# -gt 0 && $1 == --json ]]; then
  json=${2:?--json needs a file}
  shift 2
fi
ops=("$@")
if [[ ${#ops[@]} -eq 0 ]]; then
  ops=(record_map_int_0tags record_map_int_3tags record_map_distribution_3tags
    record_direct_int_3tags record_bound_int record_bound_distribution span_unsampled_start_end
    span_sampled_start_end traceparent_extract traceparent_inject record_direct_sum_3tags
    record_counter_3tags record_direct_distribution_3tags record_histogram_3tags
    record_bound_sum record_bound_counter record_direct_exponential_3tags
    record_bound_exponential shm_record_direct_int_3tags shm_record_map_int_3tags
    shm_record_map_distribution_3tags shm_record_bound_int shm_record_bound_distribution
    shm_record_direct_sum_3tags shm_record_bound_sum shm_record_bound_counter
    otlp_encode_per_series
    otlp_encode_per_span prometheus_render_per_series record_exemplar_nospan
    record_exemplar_sampled record_direct_two_measures_3tags)
fi
command -v valgrind >/dev/null || {
  echo "callgrind-ops.sh: valgrind not found (Debian package valgrind, scripts/install-deps.sh)" >&2
  exit 1
}
cmake --build "$build" --target ops_callgrind ops_callgrind_shared >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Instructions counted in run_ops() for OP run COUNT times by binary BIN.
count() {
  local bin=$1 op=$2 reps=$3
  local file="$out/$op.$bin.$reps"
  if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect=run_ops \
    --callgrind-out-file="$file" "$build/bench/$bin" "$op" "$reps" 2>"$file.err"; then
    echo "callgrind-ops.sh: $bin $op $reps failed:" >&2
    cat "$file.err" >&2
    exit 1
  fi
  grep -m1 '^summary:' "$file" | awk '{print $2}'
}
printf "%-34s %8s %8s\n" case static shared
: >"$out/table"
for op in "${ops[@]}"; do
  line=$(printf "%-34s" "$op")
  row="$op"
  for bin in ops_callgrind ops_callgrind_shared; do
    if [[ $op == *_per_series || $op == *_per_span ]] && [[ $bin == ops_callgrind_shared ]]; then
      line+=$(printf " %8s" -) # the encoders are linked statically only (bench/CMakeLists.txt)
      row+=" -"
      continue
    fi
    once=$(count "$bin" "$op" "$n")
    twice=$(count "$bin" "$op" $((2 * n)))
    per_op=$(awk -v a="$once" -v b="$twice" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
    line+=$(printf " %8s" "$per_op")
    row+=" $per_op"
  done
  echo "$line"
  echo "$row" >>"$out/table"
done
# shared-memory mode against in-process: shm_X over X, static library.
awk '{ static[$1] = $2 } END {
  for (op in static) {
    if (op ~ /^shm_/ && (substr(op, 5) in static) && static[substr(op, 5)] > 0) {
      printf "%-34s %8.2fx in-process (%s / %s; target <= 1.5)\n", op, static[op] / static[substr(op, 5)], static[op], static[substr(op, 5)]
    }
  }
}' "$out/table" | sort
if [[ -n $json ]]; then
  /usr/bin/python3 - "$json" "$out/table" "$n" <<'PY'
import json, sys
path, table, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as f:
    bench = json.load(f)
counts = {}
with open(table) as f:
    for line in f:
        name, static, shared = line.split()
        counts[name] = {"static": float(static)}
        if shared != "-":
            counts[name]["shared"] = float(shared)
ratios = {
    name: round(c["static"] / counts[name[4:]]["static"], 3)
    for name, c in counts.items()
    if name.startswith("shm_") and name[4:] in counts and counts[name[4:]]["static"] > 0
}
for result in bench["results"]:
    if result["name"] in counts:
        result["instructions_per_op"] = counts[result["name"]]
    if result["name"] in ratios:
        result["shm_instructions_ratio"] = ratios[result["name"]]
bench["instructions_per_op"] = counts
bench["shm_instructions_ratio"] = ratios
bench["instructions_per_op_n"] = n
with open(path + ".tmp", "w") as f:
    json.dump(bench, f, indent=1)
    f.write("\n")
import os
os.replace(path + ".tmp", path)
print(f"wrote instructions_per_op into {path}")
PY
fi
