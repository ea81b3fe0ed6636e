#!/usr/bin/env node
// Reads vitest's JSON report and prints one line per suite, then the plain
// "N passed, N failed, N skipped" line (always the last line of the test command's output).
//
//   node scripts/test-summary.mjs <vitest.json> [--require-all] [--subset]
//
// Exit status: non-zero when a test failed, a test file could not even start, nothing ran, or,
// with --require-all (CI=true sets it), when anything was skipped or a suite did not run at
// all (unless --subset: the caller asked for some test files only).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'test-results/vitest.json';
const requireAll = args.includes('--require-all');
const subset = args.includes('--subset');

/** The suites a reader expects to see, in the order printed, and which test files belong to each. */
const SUITES = [
  ['unit', (f) => f.startsWith('packages/')],
  ['model-based', (f) => f.startsWith('test/model/')],
  ['namespace (userspace WireGuard)', (f) => f.startsWith('test/userspace/')],
  ['CLI end to end', (f) => f.startsWith('test/cli/')],
  ['fault injection', (f) => f.startsWith('test/faults/')],
  ['VM kernel', (f) => f.startsWith('test/kernel/')],
  ['native addon', (f) => f.startsWith('test/native/') && !f.startsWith('test/native/cpp')],
  ['C++ and fuzzing', (f) => f.startsWith('test/native/cpp')],
  ['packaging', (f) => f.startsWith('test/packaging/')],
  ['CI rules', (f) => f.startsWith('test/ci/')],
];

function suiteOf(path) {
  const rel = relative(process.cwd(), path);
  const hit = SUITES.find(([, match]) => match(rel));
  return hit ? hit[0] : rel.split('/').slice(0, 2).join('/');
}

const report = JSON.parse(readFileSync(file, 'utf8'));
const counts = new Map(SUITES.map(([name]) => [name, { passed: 0, failed: 0, skipped: 0 }]));
const skippedTitles = [];
let brokenFiles = 0;
for (const f of report.testResults) {
  const name = suiteOf(f.name);
  if (!counts.has(name)) counts.set(name, { passed: 0, failed: 0, skipped: 0 });
  const c = counts.get(name);
  for (const a of f.assertionResults) {
    if (a.status === 'passed') c.passed++;
    else if (a.status === 'failed') c.failed++;
    else {
      c.skipped++;
      skippedTitles.push(`${relative(process.cwd(), f.name)}: ${[...a.ancestorTitles, a.title].join(' > ')}`);
    }
  }
  // A file whose set-up failed has no failed test of its own: count it as a failure.
  if (f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')) {
    c.failed++;
    brokenFiles++;
  }
}

let status = 0;
const notRun = [];
for (const [name, c] of counts) {
  const total = c.passed + c.failed + c.skipped;
  if (total === 0) notRun.push(name);
  console.log(`suite ${name}: ${total === 0 ? 'did not run' : `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`}`);
}
const passed = report.numPassedTests;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + report.numTodoTests;
if (failed > 0 || report.numTotalTests === 0) status = 1;
if (skipped > 0) {
  // The titles carry the reason (describeWith/itWith add "(skipped: what is missing)").
  console.log(requireAll ? `--require-all: ${skipped} skipped, which CI never allows:` : `skipped (${skipped}):`);
  for (const t of skippedTitles.slice(0, 20)) console.log(`  ${t}`);
  if (skippedTitles.length > 20) console.log(`  ... and ${skippedTitles.length - 20} more`);
  if (requireAll) status = 1;
}
if (requireAll && !subset && notRun.length > 0) {
  console.log(`--require-all: no test ran in ${notRun.join(', ')}`);
  status = 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = status;
