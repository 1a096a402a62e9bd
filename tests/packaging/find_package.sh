#!/usr/bin/env bash
# Proves that an installed census is usable from CMake the way a newcomer tries first:
# find_package(census REQUIRED COMPONENTS <every exporter the build made>) in an out-of-tree
# project (tests/packaging/find_package) builds, links and runs, for the core and for each
# exporter, one program against the shared target (census::census_<x>) and one against the static
# target (census::census_<x>_static, with its dependencies found by censusConfig.cmake); the
# shared programs need libcensus*.so, the static ones none. Then that find_package(census)
# without components defines every exporter target, and that asking for an unknown component, an
# exporter census was installed without, or one whose dependency is missing fails at configure
# time with a message that names it and says what to do.
# Fails on main before the exporters were exported: there censusConfig.cmake defined
# census::census and census::census_static only.
# Usage: find_package.sh <census build dir> <census source dir> "<components>"
set -euo pipefail
build_dir=$1 source_dir=$2 components=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
project=$source_dir/tests/packaging/find_package

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

# configure <name> <prefix> <mode> <components> [extra cmake args]: output in $work/<name>.log.
configure() {
  local name=$1 prefix=$2 mode=$3 wanted=$4
  shift 4
  cmake -S "$project" -B "$work/$name" -DCMAKE_PREFIX_PATH="$prefix" -DCENSUS_TEST_MODE="$mode" \
    -DCENSUS_TEST_COMPONENTS="${wanted// /;}" -DCENSUS_SOURCE_DIR="$source_dir" "$@" \
    >"$work/$name.log" 2>&1
}

# 1. Every component, shared and static.
configure link "$work/prefix" link "$components" ||
  { echo "find_package(census REQUIRED COMPONENTS $components) failed:"; cat "$work/link.log"; exit 1; }
cmake --build "$work/link" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
programs=(core)
for component in $components; do
  [ "$component" = stdout ] || programs+=("$component")
done
for program in "${programs[@]}"; do
  for kind in shared static; do
    binary=$work/link/${program}_$kind
    out=$("$binary") || { echo "$program ($kind) failed: $out"; exit 1; }
    if [ "$program" = core ]; then
      grep -q "count=3" <<<"$out" || { echo "core ($kind): no view data:"; echo "$out"; exit 1; }
    else
      grep -qx "$program ok (census .*)" <<<"$out" || { echo "$program ($kind): '$out'"; exit 1; }
    fi
    needed=$(readelf -d "$binary" | grep NEEDED || true)
    if [ "$kind" = shared ]; then
      lib=libcensus.so
      [ "$program" = core ] || lib=libcensus_$program.so
      grep -q "\[$lib" <<<"$needed" || { echo "$binary does not load $lib:"; echo "$needed"; exit 1; }
    elif grep -q "libcensus" <<<"$needed"; then
      echo "$binary (static target) still needs a census shared library:"
      echo "$needed"
      exit 1
    fi
  done
done

# 2. No components: every exporter the build made is an imported target.
configure all "$work/prefix" all "$components" ||
  { echo "find_package(census REQUIRED) without components:"; cat "$work/all.log"; exit 1; }

# expect_refusal <name> <prefix> <components> <text...>: configuring must fail and its output
# contain each text.
expect_refusal() {
  local name=$1 prefix=$2 wanted=$3
  shift 3
  local extra=()
  if [ "${1:-}" = "--" ]; then
    extra=("$2")
    shift 2
  fi
  if configure "$name" "$prefix" components "$wanted" "${extra[@]}"; then
    echo "find_package(census REQUIRED COMPONENTS $wanted) should have failed ($name)"
    exit 1
  fi
  for text in "$@"; do
    # CMake wraps messages; compare with line breaks and indentation folded.
    tr -s ' \n' ' ' <"$work/$name.log" | grep -qF -- "$text" ||
      { echo "$name: expected '$text' in:"; cat "$work/$name.log"; exit 1; }
  done
}

# 3. An unknown component.
expect_refusal unknown "$work/prefix" nosuch \
  "'nosuch' is not a census component (the components are: stdout, prometheus, otlp"

# 4. An exporter census was installed without: a copy of the prefix without its files (what a
# build with -DCENSUS_EXPORTER_<X>=OFF installs).
last=${programs[${#programs[@]} - 1]}
if [ "$last" != core ]; then
  cp -a "$work/prefix" "$work/partial"
  rm -f "$work/partial"/lib*/cmake/census/census_"$last"*.cmake
  upper=$(tr '[:lower:]' '[:upper:]' <<<"$last")
  expect_refusal without "$work/partial" "$last" \
    "census was built without the $last exporter" "-DCENSUS_EXPORTER_$upper=ON"
  # ... while without components the rest still loads.
  configure partial_all "$work/partial" all "${components/$last/}" ||
    { echo "find_package(census) without $last:"; cat "$work/partial_all.log"; exit 1; }
fi

# 5. A missing dependency (CMake told that zlib cannot be found): the exporter names it.
for component in $components; do
  if grep -q ZLIB "$work/prefix"/lib*/cmake/census/census_"$component"Dependencies.cmake 2>/dev/null; then
    expect_refusal nozlib "$work/prefix" "$component" -- -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=TRUE \
      "the $component exporter needs zlib" "zlib1g-dev"
    break
  fi
done

echo "find_package: census::census and $((${#programs[@]} - 1)) exporter libraries link shared and" \
  "static; missing components are refused with a clear message"
