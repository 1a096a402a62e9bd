#!/usr/bin/env bash
# Formats (or with --check, verifies the formatting of) every C source and header in the repo
# with the repository's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "format-check: ${#files[@]} files formatted correctly"
else
  clang-format -i "${files[@]}"
fi
