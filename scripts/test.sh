#!/usr/bin/env bash
# Quick start, command 2: the whole test suite (unit, model-based, namespace, CLI end to end,
# the real kernel in a VM, native addon, C++ and fuzzing, packaging).
#
#   bash scripts/test.sh                      everything; a suite whose prerequisite is missing is skipped (reason shown)
#   bash scripts/test.sh --require-all        a missing prerequisite or a skipped test fails the run (CI=true implies it)
#   bash scripts/test.sh --no-build FILES...  a deliberate subset: no build, no lint, only the given test files
#
# Ends with one line per suite and the plain "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

require_all=0
build=1
filters=()
for arg in "$@"; do
  case "$arg" in
    --require-all) require_all=1 ;;
    --no-build) build=0 ;;
    *) filters+=("$arg") ;;
  esac
done
if [ "${CI:-}" = true ]; then require_all=1; fi
summary_flags=()
if [ $require_all = 1 ]; then
  export LANRAGE_REQUIRE_ALL=1
  summary_flags+=(--require-all)
fi
if [ ${#filters[@]} -gt 0 ]; then summary_flags+=(--subset); fi

results="${LANRAGE_TEST_RESULTS:-test-results}"
mkdir -p "$results"
PNPM=(npx --yes pnpm@10.34.9)
if [ $build = 1 ]; then
  "${PNPM[@]}" run build >/dev/null || { echo "build failed"; exit 1; }
  # The shipped binaries (linux-x64, linux-arm64), checked against the declared glibc floor.
  "${PNPM[@]}" --filter @lanrage/native-linux run build:prebuilds >/dev/null || { echo "prebuild build or check failed"; exit 1; }
  "${PNPM[@]}" exec biome check . || { echo "lint failed (biome check)"; exit 1; }
fi
"${PNPM[@]}" exec vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" "${filters[@]}"
status=$?
node scripts/test-summary.mjs "$results/vitest.json" "${summary_flags[@]}" || status=1
exit $status
