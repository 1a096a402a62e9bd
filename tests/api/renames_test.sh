#!/usr/bin/env bash
# Proves that docs/api-renames.sed, the script that ports code from census 0.1 to the new public
# names, is complete for census's own tree and safe to re-run:
#   1. every rule is one whole-word rename, s/\bOLD\b/NEW/g, and no NEW is an OLD (so a second
#      run cannot rename again);
#   2. on a copy of the tree (every tracked text file but the script), no old name is left as a
#      whole word, and running the script over the copy changes nothing: the tree is ported;
#      a branch that brings old names back fails here until the script is re-applied;
#   3. on a sample of 0.1 code that uses every old name (calls, prose, line starts and ends), one
#      run leaves no old name, keeps names that merely contain an old one (prefixes, suffixes),
#      and a second run changes nothing.
# Fails on main: docs/api-renames.sed did not exist, and main's tree uses the old names.
# Usage: renames_test.sh <source dir> <scratch dir>
set -euo pipefail
src=$1
work=$2
script=$src/docs/api-renames.sed
rm -rf "$work"
mkdir -p "$work/tree"

# 1. Rules.
olds=()
news=()
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  if [[ $line =~ ^s/\\b(census_[a-z0-9_]+)\\b/(census_[a-z0-9_]+)/g$ ]]; then
    olds+=("${BASH_REMATCH[1]}")
    news+=("${BASH_REMATCH[2]}")
  else
    echo "not a whole-word rename rule: $line"
    exit 1
  fi
done <"$script"
[ ${#olds[@]} -ge 9 ] || { echo "only ${#olds[@]} rules in $script"; exit 1; }
for new in "${news[@]}"; do
  for old in "${olds[@]}"; do
    [ "$new" != "$old" ] || { echo "$new is both a new and an old name: a second run would rename it"; exit 1; }
  done
done
dups=$(printf '%s\n' "${olds[@]}" | sort | uniq -d)
[ -z "$dups" ] || { echo "renamed twice: $dups"; exit 1; }

# 2. The tree.
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files >"$work/files"
else
  find . -path ./build -prune -o -path '*/node_modules' -prune -o -type f -print | sed 's|^\./||' >"$work/files"
fi
grep -v -x -e 'docs/api-renames.sed' -e '' "$work/files" | while IFS= read -r f; do
  [ -f "$f" ] && grep -Iq . "$f" && printf '%s\n' "$f"
done >"$work/text_files"
[ "$(wc -l <"$work/text_files")" -gt 100 ] || { echo "too few files found in $src"; exit 1; }
while IFS= read -r f; do
  mkdir -p "$work/tree/$(dirname "$f")"
  cp "$f" "$work/tree/$f"
done <"$work/text_files"
cd "$work/tree"
left=0
for old in "${olds[@]}"; do
  if grep -rnw -- "$old" . >"$work/left"; then
    echo "old name $old is still used:"
    cat "$work/left"
    left=1
  fi
done
[ $left -eq 0 ] || { echo "re-apply: sed -E -i -f docs/api-renames.sed <those files>"; exit 1; }
cp -r "$work/tree" "$work/tree.before"
xargs -d '\n' sed -E -i -f "$script" <"$work/text_files"
diff -r "$work/tree.before" "$work/tree" >/dev/null || { echo "applying the script to the ported tree changed it"; exit 1; }

# 3. A sample of 0.1 code.
sample=$work/sample.c
: >"$sample"
for old in "${olds[@]}"; do
  {
    printf '%s(x);\n' "$old"
    printf '  y = %s (a, b); /* see %s() */\n' "$old" "$old"
    printf '%s\n' "$old"
    printf 'keep my_%s and %s_v2 and %sx\n' "$old" "$old" "$old"
  } >>"$sample"
done
cp "$sample" "$work/sample.once"
sed -E -i -f "$script" "$work/sample.once"
for old in "${olds[@]}"; do
  if grep -nw -- "$old" "$work/sample.once"; then
    echo "old name $old left after one run"
    exit 1
  fi
  for kept in "my_$old" "${old}_v2" "${old}x"; do
    grep -q -- "$kept" "$work/sample.once" || { echo "$kept was renamed: not a whole-word rule"; exit 1; }
  done
done
# Several old names may merge into one new name (server_stop and server_free are one stop now):
# each new name stands on 3 lines per old name that maps to it.
for i in "${!olds[@]}"; do
  sources=$(printf '%s\n' "${news[@]}" | grep -cx -- "${news[$i]}")
  n=$(grep -cw -- "${news[$i]}" "$work/sample.once")
  [ "$n" -eq $((3 * sources)) ] ||
    { echo "${olds[$i]} -> ${news[$i]}: $n lines renamed, expected $((3 * sources))"; exit 1; }
done
cp "$work/sample.once" "$work/sample.twice"
sed -E -i -f "$script" "$work/sample.twice"
cmp -s "$work/sample.once" "$work/sample.twice" || { echo "a second run changed the sample"; exit 1; }
echo "api-renames: ${#olds[@]} rules; tree of $(wc -l <"$work/text_files") files ported; idempotent"
