#!/usr/bin/env bash
# Proves that scripts/install-deps.sh installs per profile: `demo` (what `make demo` runs) never
# needs or calls npm and installs no node, no test tool; `test` (what `make test` runs, and a bare
# call) installs node, the test tools (chromium among them) and the npm packages of the interop
# test and of the zPages' browser test.
#
# The script runs for real (bash, its own logic), on a copy of the tree and with a PATH that holds
# only shims and a few harmless real tools: dpkg-query answers from a list, apt-get, sudo, sh, rm
# and npm only log their arguments (so nothing is installed and no file outside the copy is
# touched), and npm is on the PATH only where a case says so.
# Fails on main before the profiles existed: there the script ignores its argument, so the demo
# case, with no npm on the PATH, asks apt-get for nodejs and npm and then calls npm ci.
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tree/scripts"
cp "$source_dir/scripts/install-deps.sh" "$work/tree/scripts/"
for npm_dir in tests/interop tests/zpages; do
  mkdir -p "$work/tree/$npm_dir"
  cp "$source_dir/$npm_dir/package.json" "$source_dir/$npm_dir/package-lock.json" \
    "$work/tree/$npm_dir/"
done

# shims/: the logging stand-ins; real/: the real tools the script may use. PATH = one or both.
mkdir -p "$work/shims" "$work/real"
for tool in dirname grep touch id cat mkdir; do
  ln -s "$(command -v "$tool")" "$work/real/$tool"
done
log=$work/calls.log
for tool in apt-get sh rm; do
  printf '#!/bin/bash\necho "%s $*" >>"%s"\n' "$tool" "$log" >"$work/shims/$tool"
done
printf '#!/bin/bash\nexec "$@"\n' >"$work/shims/sudo" # when the test does not run as root
# dpkg-query -W -f=... <package>: "installed" unless the package is listed in $work/missing.
cat >"$work/shims/dpkg-query" <<EOF
#!/bin/bash
package=\${!#}
if grep -qx "\$package" "$work/missing" 2>/dev/null; then exit 1; fi
printf 'install ok installed'
EOF
mkdir -p "$work/with_npm"
printf '#!/bin/bash\necho "npm $* (in ${PWD##*/tree/})" >>"%s"\nmkdir -p node_modules\n' "$log" \
  >"$work/with_npm/npm"
chmod +x "$work"/shims/* "$work/with_npm/npm"

# run <case name> <PATH> <profile args...>: runs the script, stdout+stderr to $work/out.
run() {
  local name=$1 path=$2
  shift 2
  : >"$log"
  rm -rf "$work/tree/tests/interop/node_modules" "$work/tree/tests/zpages/node_modules"
  if ! PATH=$path /bin/bash "$work/tree/scripts/install-deps.sh" "$@" >"$work/out" 2>&1; then
    echo "$name: install-deps.sh $* failed:"
    cat "$work/out"
    exit 1
  fi
}
fail() {
  echo "$1"
  echo "--- calls:"
  cat "$log"
  echo "--- output:"
  cat "$work/out"
  exit 1
}
no_npm_path=$work/shims:$work/real
npm_path=$work/with_npm:$work/shims:$work/real

# 1. demo on a machine with everything installed and no npm at all: no apt-get, no npm.
: >"$work/missing"
run "demo, all installed, no npm" "$no_npm_path" demo
[ ! -s "$log" ] || fail "demo profile with everything installed still called something"

# 2. demo on a fresh machine, no npm: apt-get installs the build packages, and no node, no npm,
# no test tool; npm is never called.
printf '%s\n' gcc make cmake pkg-config libcmocka-dev libmicrohttpd-dev libcurl4-openssl-dev \
  zlib1g-dev libjansson-dev libssl-dev jq clang prometheus nodejs npm protobuf-compiler chromium \
  >"$work/missing"
run "demo, fresh machine" "$no_npm_path" demo
install_line=$(grep '^apt-get install' "$log") || fail "demo profile on a fresh machine installed nothing"
for wanted in gcc cmake libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libssl-dev; do
  grep -qw -- "$wanted" <<<"$install_line" || fail "demo profile did not install $wanted"
done
for unwanted in nodejs npm jq clang prometheus protobuf-compiler chromium; do
  ! grep -qw -- "$unwanted" <<<"$install_line" || fail "demo profile installed $unwanted"
done
! grep -q '^npm' "$log" || fail "demo profile called npm"

# 3. test (explicit, and the default with no argument) on a fresh machine without npm: apt-get
# installs node and npm with the test tools and chromium, then npm ci installs the interop test's
# packages and the browser test's playwright-core.
for args in test ""; do
  run "test profile '$args', fresh machine" "$npm_path" $args
  install_line=$(grep '^apt-get install' "$log") || fail "test profile installed nothing"
  for wanted in gcc libcmocka-dev jq clang prometheus protobuf-compiler chromium; do
    grep -qw -- "$wanted" <<<"$install_line" || fail "test profile '$args' did not install $wanted"
  done
  for npm_dir in tests/interop tests/zpages; do
    grep -qx "npm ci .* (in $npm_dir)" "$log" || fail "test profile '$args' did not run npm ci in $npm_dir"
  done
done
# Without npm on the PATH the test profile adds nodejs and npm to what apt-get installs (its
# npm ci then fails here, as the shim apt-get installed nothing).
: >"$log"
if PATH=$no_npm_path /bin/bash "$work/tree/scripts/install-deps.sh" test >"$work/out" 2>&1; then
  :
fi
grep '^apt-get install' "$log" | grep -qw nodejs || fail "test profile without npm did not install nodejs"

# 4. An unknown profile is refused with a message naming the two.
if PATH=$no_npm_path /bin/bash "$work/tree/scripts/install-deps.sh" demos >"$work/out" 2>&1; then
  fail "install-deps.sh accepted the unknown profile 'demos'"
fi
grep -q "unknown profile 'demos'" "$work/out" || fail "no clear message for an unknown profile"

echo "install_deps_profiles: demo installs no node and calls no npm; test installs everything"
