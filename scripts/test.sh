#!/usr/bin/env bash
# Runs the test files with node's own test runner through tsx (on the TypeScript sources).
#   bash scripts/test.sh              every test file (Node 22 or 24)
#   bash scripts/test.sh --unit [FILES...]  the codec, engine and configuration tests (no native driver,
#                                     no peer program, no root; these also run on Node 20), plus FILES
#   bash scripts/test.sh FILES...     a subset
# Tests that need root or a Debian peer program are reported as skipped, naming the package, unless
# CI=true, where a missing one fails (see test/lab/needs.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
unit_dirs=(test/protocol test/server test/client test/config)
if [ "${1:-}" = "--unit" ]; then
  shift
  mapfile -t files < <(find "${unit_dirs[@]}" -name '*.test.ts' -not -path '*/fixtures/*' \
    -not -path '*interop*' -not -name tshark.test.ts | sort)
  files+=("$@")
elif [ "$#" -gt 0 ]; then
  files=("$@")
else
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 22 ]; then
    echo "leasekeeper supports Node 22 and 24; this is $(node --version) (better-sqlite3 13 needs 22+)." >&2
    echo "On it, 'bash scripts/test.sh --unit' runs the codec, engine and configuration tests." >&2
    exit 1
  fi
  mapfile -t files < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)
fi
# `import 'leasekeeper'` (examples, type tests, and their child processes) resolves to the sources.
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--conditions=leasekeeper-source"
# Node 20 has no test globs, so the files are listed.
exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
