#!/usr/bin/env bash
# readme_snippets.sh <README.md> <include dir> <C compiler>
#
# Proves that every C snippet of the README compiles against the public headers, as the
# quickstart promises: each ```c block becomes a program, its #include lines at file scope and
# its statements in main(), with a prelude that defines the two names the tracing snippet leaves
# to the reader (a header setter and a request object). Compiled with -Wall -Werror: an unknown
# or renamed function, type or macro, or a call with the wrong arguments, fails.
# Fails on main for a README that still calls a function an API change renamed.
set -euo pipefail
readme=$1
include=$2
cc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v dir="$work" '
  /^```c$/ { n++; f = 1; next }
  /^```/ { f = 0; next }
  f { print > (dir "/snippet" n ".txt") }
' "$readme"
count=0
for s in "$work"/snippet*.txt; do
  [ -e "$s" ] || continue
  count=$((count + 1))
  c=${s%.txt}.c
  {
    echo '#include <stddef.h>'
    grep '^#include' "$s" || true
    echo 'static void set_header(void *carrier, const char *name, const char *value) {'
    echo '  (void)carrier; (void)name; (void)value;'
    echo '}'
    echo 'static int outgoing_request;'
    echo 'int main(void) {'
    echo '  (void)set_header; (void)outgoing_request;'
    grep -v '^#include' "$s"
    echo '  return 0;'
    echo '}'
  } > "$c"
  if ! "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-variable -Wno-unused-but-set-variable \
      -I"$include" -c "$c" -o "${c%.c}.o" 2> "$work/err"; then
    echo "README snippet $count does not compile:"
    cat -n "$c"
    cat "$work/err"
    exit 1
  fi
done
[ "$count" -ge 3 ] || { echo "found only $count C snippets in $readme"; exit 1; }
echo "readme snippets: all $count compile"
