#!/usr/bin/env bash
# corpus_check.sh [--sample N] TARGET DIR... - the renderer's fuzz inputs through the real parsers.
#
# TARGET is fuzz_prometheus_render (libFuzzer: given files, it runs each once) or
# replay_prometheus_render (the same target without libFuzzer). Every regular file in the DIRs
# (or a random sample of N of them) is run with CENSUS_FUZZ_DUMP set, so the target writes each
# exposition it rendered (OpenMetrics as *.om, text 0.0.4 as *.txt) after its own strict check.
# Then every OpenMetrics text must parse with Debian's python3-prometheus-client strict parser
# (tests/prometheus/strict_parse.py, /usr/bin/python3) and no text 0.0.4 may get a parse error
# from promtool check metrics (exit 1; exit 3 is lint about names chosen by the input). Fails if
# nothing was rendered (a check that checked nothing), if any parser refuses a text (naming the
# file, which is kept), or if the target aborts. PROMTOOL may name promtool.
set -euo pipefail
sample=0
if [ "${1:-}" = "--sample" ]; then sample="$2"; shift 2; fi
target="$1"; shift
here="$(cd "$(dirname "$0")" && pwd)"
promtool="${PROMTOOL:-promtool}"
if [ -z "$promtool" ] || [[ "$promtool" == *NOTFOUND ]]; then promtool=promtool; fi
work="$(mktemp -d)"
keep=0
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "corpus_check: texts kept in $work" >&2; fi; }
trap cleanup EXIT
mkdir "$work/dump"
find "$@" -maxdepth 1 -type f 2>/dev/null | sort > "$work/inputs"
if [ "$sample" -gt 0 ]; then shuf -n "$sample" "$work/inputs" > "$work/picked"; else cp "$work/inputs" "$work/picked"; fi
inputs=$(wc -l < "$work/picked")
[ "$inputs" -gt 0 ] || { echo "FAIL: no corpus files in $*" >&2; exit 1; }
# xargs batches keep the command lines short; the target aborts on a broken invariant.
CENSUS_FUZZ_DUMP="$work/dump" xargs -d '\n' -n 100 "$target" < "$work/picked" > "$work/target.log" 2>&1 ||
  { keep=1; tail -n 30 "$work/target.log" >&2; echo "FAIL: the target failed on the corpus" >&2; exit 1; }
om=$(find "$work/dump" -name '*.om' | wc -l)
txt=$(find "$work/dump" -name '*.txt' | wc -l)
[ "$om" -gt 0 ] && [ "$txt" -gt 0 ] || { echo "FAIL: nothing rendered ($om OpenMetrics, $txt text)" >&2; exit 1; }
find "$work/dump" -name '*.om' -print0 | xargs -0 -n 200 /usr/bin/python3 "$here/strict_parse.py" > "$work/python.log" 2>&1 ||
  { keep=1; grep -v '^ok ' "$work/python.log" | head -n 20 >&2; echo "FAIL: the strict OpenMetrics parser refused a text" >&2; exit 1; }
refused=0
while IFS= read -r -d '' f; do
  status=0
  "$promtool" check metrics < "$f" > "$work/promtool.out" 2>&1 || status=$?
  if [ "$status" != 0 ] && [ "$status" != 3 ]; then
    echo "promtool check metrics exit $status on $f: $(head -c 300 "$work/promtool.out")" >&2
    refused=$((refused + 1))
  fi
done < <(find "$work/dump" -name '*.txt' -print0)
[ "$refused" = 0 ] || { keep=1; echo "FAIL: promtool refused $refused text(s)" >&2; exit 1; }
echo "corpus_check: $inputs inputs, $om OpenMetrics texts parsed strictly (python3-prometheus-client), $txt text 0.0.4 texts without a promtool parse error"
