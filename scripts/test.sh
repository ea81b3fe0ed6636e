#!/usr/bin/env bash
# Quick start, command 2: the whole test suite (unit, namespace and CLI end-to-end tests).
# Ends with vitest's summary and a plain "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
export TURBO_TELEMETRY_DISABLED=1
npx --yes pnpm@10.34.9 run build >/dev/null || { echo "build failed"; exit 1; }
# The shipped binaries (linux-x64, linux-arm64), checked against the declared glibc floor.
npx --yes pnpm@10.34.9 --filter @lanrage/native-linux run build:prebuilds >/dev/null || { echo "prebuild build or check failed"; exit 1; }
npx --yes pnpm@10.34.9 exec biome check . || { echo "lint failed (biome check)"; exit 1; }
npx --yes pnpm@10.34.9 exec vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
status=$?
node -e '
const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
// A file whose set-up failed has no failed test of its own: count it as a failure.
const failed = r.numFailedTests + r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
if (r.numTotalTests === 0) process.exitCode = 1;
' || status=1
exit $status
