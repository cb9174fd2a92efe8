#!/usr/bin/env bash
# The project's own formatting rule (.clang-format) over every C++ and CUDA file git tracks.
#
#   scripts/format.sh           # rewrite what differs
#   scripts/format.sh --check   # list what differs and exit 1 (CI runs this)
#
# clang-format from Debian's packages (14 on bookworm, the version CI uses): other versions may
# format a few constructs differently.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format not found (apt-get install clang-format)" >&2; exit 2; }
# Tracked files and new ones not yet added (git's ignore rules apply).
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format: ${#bad[@]} file(s) differ from .clang-format (run scripts/format.sh):"
    printf '  %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format: ${#files[@]} files match .clang-format"
else
  clang-format -i "${files[@]}"
fi
