#!/usr/bin/env node
// Kernel churn benchmark: run as root on a kernel with WireGuard, e.g. inside the VM (README,
// "Kernel churn"). Prints exactly one JSON line; every figure is measured in this run.
//
// Method: every lanrage run is measured after a warm-up run of the same work, as the
// process would be after its first seconds: V8 compiles hot code only after a few thousand
// calls, and under emulation cold code runs 5-10x slower than warm code. The cold runs are
// reported too (seqFirst5sOpsPerSec, cold*Ms, warmupMaxEventLoopDelayMs). The event-loop
// figure covers the measured lanrage runs; the `wg` subprocess runs are the baseline, not
// lanrage, and their own (spawn) stalls are reported apart as wgMaxEventLoopDelayMs.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Key, readPeerStats } from '@lanrage/core';
import { normalizeDeviceConfig, PeerCoalescer, prepareDeviceConfig } from '@lanrage/core/backend';
import { KernelBackend } from '@lanrage/native-linux';

const NAME = 'lrbench0';
const CHURN_OPS = Number(process.env.LANRAGE_BENCH_CHURN_OPS ?? 100_000);
const be = new KernelBackend();

function keyN(i, tag = 0x5a) {
  const b = new Uint8Array(32).fill(tag);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  b[2] = (i >> 16) & 0xff;
  return Key.fromBytes(b);
}

/** Runs `fn` (which returns how many operations it did) for `seconds`: operations and ms. */
async function timed(seconds, fn) {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let ops = 0;
  while (performance.now() < end) ops += await fn();
  return { ops, ms: performance.now() - t0 };
}
const perSec = ({ ops, ms }) => Math.round(ops / (ms / 1000));
const rate = async (seconds, fn) => perSec(await timed(seconds, fn));

const run = promisify(execFile);
const fds = () => readdirSync('/proc/self/fd').length;
// Histograms by phase, so the JSON says where the worst stall happened. Each entry into a phase
// gets a new one: a histogram enabled again would count the time it was off as one long delay.
const phases = {};
let current;
function phase(name) {
  current?.disable();
  if (!name) return;
  current = monitorEventLoopDelay({ resolution: 10 });
  phases[name] ??= [];
  phases[name].push(current);
  current.enable();
}
/** The worst delay of a phase, over every time it was entered (ns). */
const worstNs = (name) => Math.max(...phases[name].map((h) => h.max));
const maxMs = (name) => Math.round(worstNs(name) / 1e6);

await be.deleteInterface(NAME).catch(() => {});
await be.createInterface(NAME);

const out = {};
const one = keyN(999_999);

// Awaited add then remove of one peer, repeated.
const seq = async () => {
  await be.setDevice(NAME, normalizeDeviceConfig({ peers: [{ publicKey: one, allowedIPs: ['10.250.0.1/32'] }] }));
  await be.setDevice(NAME, normalizeDeviceConfig({ peers: [{ publicKey: one, remove: true }] }));
  return 2;
};
// The first seconds of a fresh process are reported apart: V8 is still compiling the hot path.
phase('seqFirst');
out.seqFirst5sOpsPerSec = await rate(5, seq);
phase('seqWarmup');
await rate(5, seq);

// 1,000 concurrent operations at a time: 500 adds and the removes of the same 500 peers, all
// issued before any is awaited (the coalescer keeps each remove after its add), coalesced.
const coalescer = new PeerCoalescer(be);
// The operations are built once, before the run: what is measured is lanrage's work.
const addOps = Array.from({ length: 500 }, (_, i) => ({ publicKey: keyN(i, 0x61), allowedIPs: [`10.251.${i >> 8}.${i & 0xff}/32`] }));
const churnOps = [...addOps, ...addOps.map((op) => ({ publicKey: op.publicKey, remove: true }))];
const coalesced = async () => {
  await Promise.all(churnOps.map((op) => coalescer.apply(NAME, op)));
  return 1000;
};
phase('coalescedWarmup');
await rate(2, coalesced);
// Measured: the sequential and the coalesced runs take turns, 1 s each, five times. The
// coalesced figure is read against the sequential one, and the emulated VM shares its host's
// two cores: a slower stretch of the host then weighs on both figures alike.
const seqRun = { ops: 0, ms: 0 };
const coalescedRun = { ops: 0, ms: 0 };
const addUp = (sum, r) => {
  sum.ops += r.ops;
  sum.ms += r.ms;
};
for (let turn = 0; turn < 5; turn++) {
  phase('seq');
  addUp(seqRun, await timed(1, seq));
  phase('coalesced');
  addUp(coalescedRun, await timed(1, coalesced));
}
phase(null);
out.seqOpsPerSec = perSec(seqRun);
out.coalescedOpsPerSec = perSec(coalescedRun);
// Every remove came after its add: the device is empty again.
if ((await be.getStats(NAME)).length !== 0) throw new Error('coalesced churn left peers behind');

// The same sequential work through `wg set` subprocesses (the baseline).
const b64 = one.toBase64();
phase('wgSubprocess');
out.wgSubprocessOpsPerSec = await rate(5, async () => {
  await run('wg', ['set', NAME, 'peer', b64, 'allowed-ips', '10.250.0.1/32']);
  await run('wg', ['set', NAME, 'peer', b64, 'remove']);
  return 2;
});

// Milliseconds `read` takes; its result is checked and then dropped, as a monitoring loop
// drops each snapshot before taking the next.
async function timedRead(read, count) {
  const t0 = performance.now();
  const result = await read();
  const ms = Math.round(performance.now() - t0);
  const n = count(result);
  if (n !== 10_000) throw new Error(`read ${n} peers`);
  return ms;
}

// Each run's inputs are built before it is measured (the event-loop figure is the library's,
// not the bench's), and not before that: 10,000 peer configs held from the start would be heap
// that every garbage collection of the earlier runs has to walk.
phase(null);
const peers = Array.from({ length: 10_000 }, (_, i) => ({
  publicKey: keyN(i),
  endpoint: `192.0.2.${i % 250}:${1024 + (i % 60000)}`,
  persistentKeepalive: 25,
  allowedIPs: [`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`],
}));

// 10,000 peers in one call, read back two ways; the first round warms up, the second is measured.
async function tenThousand(tag) {
  const r = {};
  phase(`set10k${tag}`);
  const t = performance.now();
  await be.setDevice(NAME, await prepareDeviceConfig({ peers }));
  r.set = Math.round(performance.now() - t);
  phase(`dump10k${tag}`);
  r.dump = await timedRead(
    () => be.getDevice(NAME),
    (dev) => dev.peers.length,
  );
  phase(`statsDump10k${tag}`);
  r.stats = await timedRead(
    () => readPeerStats(be, NAME),
    (stats) => stats.length,
  );
  return r;
}
const cold = await tenThousand('Warmup');
out.coldSet10kMs = cold.set;
out.coldDump10kMs = cold.dump;
out.coldStatsDump10kMs = cold.stats;
phase('replacePeersWarmup');
await be.setDevice(NAME, normalizeDeviceConfig({ replacePeers: true }));
const warm = await tenThousand('');
out.set10kMs = warm.set;
out.dump10kMs = warm.dump;
out.statsDump10kMs = warm.stats;
phase('wgShowDump');
out.wgShowDump10kMs = await timedRead(
  () => run('wg', ['show', NAME, 'dump'], { maxBuffer: 64 * 1024 * 1024 }),
  ({ stdout }) => stdout.trimEnd().split('\n').length - 1, // the first line is the interface
);
phase('replacePeers');
await be.setDevice(NAME, normalizeDeviceConfig({ replacePeers: true }));

// The event-loop figure covers the measured lanrage runs above; the forced GCs below would distort it.
phase(null);
const baseline = new Set(['wgSubprocess', 'wgShowDump']);
const warmup = (k) => k === 'seqFirst' || k.endsWith('Warmup');
const worstOf = (names) => names.reduce((a, b) => (worstNs(b) > worstNs(a) ? b : a));
const names = Object.keys(phases);
const measured = names.filter((k) => !baseline.has(k) && !warmup(k));
const worst = worstOf(measured);
out.maxEventLoopDelayMs = maxMs(worst);
out.maxEventLoopDelayPhase = worst;
const worstWarmup = worstOf(names.filter(warmup));
out.warmupMaxEventLoopDelayMs = maxMs(worstWarmup);
out.warmupMaxEventLoopDelayPhase = worstWarmup;
out.wgMaxEventLoopDelayMs = Math.max(...[...baseline].map(maxMs));
out.eventLoopDelayMsByPhase = Object.fromEntries(names.map((k) => [k, maxMs(k)]));

// Memory and descriptors after CHURN_OPS coalesced add/remove operations.
global.gc?.();
const rss0 = process.memoryUsage().rss;
const fd0 = fds();
for (let done = 0; done < CHURN_OPS; done += 1000) {
  const batch = [];
  for (let i = 0; i < 500; i++) batch.push(coalescer.apply(NAME, { publicKey: keyN(i, 0x62), allowedIPs: [`10.252.${i >> 8}.${i & 0xff}/32`] }));
  for (let i = 0; i < 500; i++) batch.push(coalescer.apply(NAME, { publicKey: keyN(i, 0x62), remove: true }));
  await Promise.all(batch);
}
global.gc?.();
out.churnOps = CHURN_OPS;
out.rssGrowthMB = Math.round(((process.memoryUsage().rss - rss0) / 1048576) * 10) / 10;
out.fdGrowth = fds() - fd0;
await be.deleteInterface(NAME);
await be.close();
console.log(JSON.stringify(out));
