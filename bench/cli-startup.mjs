#!/usr/bin/env node
// Start-up of the `lanrage` command as an operator feels it: wall time of whole processes,
// median of LANRAGE_BENCH_RUNS (default 21) runs each, taking turns so a slow stretch of the
// host weighs on every figure alike. Prints one JSON line. Run as root (it brings up a
// userspace interface in a new network namespace for `status`):
//   node bench/cli-startup.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.env.LANRAGE_BENCH_IN_NETNS) {
  const r = spawnSync('unshare', ['-n', process.execPath, process.argv[1]], { stdio: 'inherit', env: { ...process.env, LANRAGE_BENCH_IN_NETNS: '1' } });
  process.exit(r.status ?? 1);
}
spawnSync('ip', ['link', 'set', 'lo', 'up']);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '../packages/cli/dist/bin.js');
const RUNS = Number(process.env.LANRAGE_BENCH_RUNS ?? 21);
const dir = mkdtempSync(join(tmpdir(), 'lanrage-startup-'));
const env = { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: 'lrstart0', LANRAGE_BACKEND: 'userspace', NO_COLOR: '1' };

function wall(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const cases = {
  nodeOnly: ['-e', '0'],
  version: [BIN, '--version'],
  genkey: [BIN, 'genkey'],
  status: [BIN, 'status'],
  statusJson: [BIN, 'status', '--json'],
};
const out = { node: process.version, runs: RUNS };
try {
  if (spawnSync(process.execPath, [BIN, 'up'], { env }).status !== 0) throw new Error('lanrage up failed');
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, args] of Object.entries(cases)) samples[k].push(wall(args));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [k, xs] of Object.entries(samples)) out[`${k}Ms`] = Math.round(median(xs));
  out.versionOverNodeMs = out.versionMs - out.nodeOnlyMs;
  out.statusOverNodeMs = out.statusMs - out.nodeOnlyMs;
  out.targets = { versionOverNodeMs: 25, statusOverNodeMs: 60 };
} finally {
  spawnSync(process.execPath, [BIN, 'down'], { env });
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
