#!/usr/bin/env bash
# Proves that tests/unit/test_after_shutdown.c calls every public function: each function the
# given shared libraries export (nm -D, defined text symbols named census_*) must appear in the
# test source followed by "(". A function added to the API without its after-shutdown check fails
# here.
# Usage: after_shutdown_api.sh <test_after_shutdown.c> <libcensus.so> [<libcensus_x.so>...]
set -euo pipefail
source=$1
shift
missing=()
total=0
for lib in "$@"; do
  while read -r name; do
    total=$((total + 1))
    grep -q "\\b$name(" "$source" || missing+=("$name ($(basename "$lib"))")
  done < <(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^census_/ {print $3}')
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test_after_shutdown.c does not call ${#missing[@]} of $total public functions:"
  printf '  %s\n' "${missing[@]}"
  exit 1
fi
[ "$total" -gt 100 ] || { echo "only $total public functions found: wrong libraries?"; exit 1; }
echo "after_shutdown_api: all $total public functions are called after shutdown"
