#!/usr/bin/env bash
# Runs every test file with node's own test runner through tsx.
# Node 20 has no test globs, so the files are listed here. Pass file paths to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)
fi
exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
