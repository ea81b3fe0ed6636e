#!/usr/bin/env node
// NetworkManager churn benchmark: what an embedder gets through the public API, with the
// config it gets by default (routes managed, an address derived in 10.66.0.0/16) and allowed
// IPs that need routes (172.16.0.0/12, outside the interface's prefix). Prints one JSON line;
// every figure comes from this run. Run as root:
//   kernel (in the VM):  node test/vm/run.mjs node bench/manager-churn.mjs --backend kernel
//   userspace (here):    node bench/manager-churn.mjs --backend userspace
// It runs itself in a new network namespace (unshare -n), so the 100,000 routes it installs
// never touch the host's table. LANRAGE_BENCH_PEERS sets the large phase's size (default 100,000;
// 60,000 on the userspace backend, as wireguard-go refuses a device's 65,537th peer).
//
// Method: each rate is measured after a warm-up of the same work, by count (V8 compiles hot code
// after a few thousand calls; cold code under emulation is 5-10x slower), for
// LANRAGE_BENCH_SECONDS (default 1) each, three times, and the sequential figures take turns
// with the backend reference so a slow stretch of a shared host weighs on both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { normalizeDeviceConfig, routesForPeers } from '@lanrage/core/backend';
import { createNetworkManager, Key, loadConfig } from 'lanrage';
import { backendArg, inOwnNetworkNamespace } from './in-netns.mjs';

const backendName = backendArg();
inOwnNetworkNamespace();

// wireguard-go holds at most 65,536 peers per device (its MaxPeers): the userspace run uses 60,000.
const LARGE = Number(process.env.LANRAGE_BENCH_PEERS ?? (backendName === 'userspace' ? 60_000 : 100_000));
const SECONDS = Number(process.env.LANRAGE_BENCH_SECONDS ?? 1);
/** Operations of warm-up before each sequential measurement (V8 optimises after a few thousand calls). */
const WARM_OPS = Number(process.env.LANRAGE_BENCH_WARM_OPS ?? 3000);
const NAME = `lrmb${process.pid % 100000}`;
const dir = mkdtempSync(join(tmpdir(), 'lanrage-bench-'));
const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: NAME, LANRAGE_BACKEND: backendName } });
const manager = await createNetworkManager(config);
const backend = manager.backend;

function keyN(i, tag) {
  const b = new Uint8Array(32).fill(tag);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  b[2] = (i >> 16) & 0xff;
  return Key.fromBytes(b);
}
/** Peer i of the large set: one /32 in 172.16.0.0/12 (needs a route). */
const bigIp = (i) => `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
/** Churn peers: their own keys and /32s in 172.31.0.0/16 (outside the large set). */
const churnKeys = Array.from({ length: 2048 }, (_, i) => keyN(i, 0x6b).toBase64());
const churnIp = (i) => `172.31.${(i >> 8) & 255}.${i & 255}/32`;

const phases = {};
/** Collections of 5 ms or more, and each phase's window: tells a collection's stall from our own code's. */
const gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.duration >= 5) gcs.push([e.startTime, e.duration, e.detail?.kind === 1 ? 'scavenge' : 'mark-compact']);
}).observe({ entryTypes: ['gc'] });
const windows = [];
let current;
function phase(name) {
  current?.disable();
  current = undefined;
  if (windows.length > 0) windows.at(-1).end ??= performance.now();
  if (!name) return;
  windows.push({ name, start: performance.now() });
  current = monitorEventLoopDelay({ resolution: 10 });
  phases[name] ??= [];
  phases[name].push(current);
  current.enable();
}
const maxDelayMs = () =>
  Math.round(
    Math.max(
      0,
      ...Object.values(phases)
        .flat()
        .map((h) => h.max),
    ) / 1e6,
  );

async function rate(fn) {
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  let ops = 0;
  while (performance.now() < end) ops += await fn();
  return ops / ((performance.now() - t0) / 1000);
}

let c = 0;
/** Awaited add then awaited remove of one peer, straight on the backend (the reference). */
async function backendPair() {
  const k = churnKeys[c++ % churnKeys.length];
  await backend.setDevice(NAME, normalizeDeviceConfig({ peers: [{ publicKey: k, allowedIPs: [churnIp(c % 2048)], persistentKeepalive: 25 }] }));
  await backend.setDevice(NAME, normalizeDeviceConfig({ peers: [{ publicKey: k, remove: true }] }));
  return 2;
}
/** The same through NetworkManager: addPeer (routes kept) then removePeer, each awaited. */
async function managerPair() {
  const i = c++ % churnKeys.length;
  await manager.addPeer({ publicKey: churnKeys[i], allowedIPs: [churnIp(i)] });
  await manager.removePeer(churnKeys[i]);
  return 2;
}
/** 1,000 adds and their 1,000 removes issued at once, then all awaited. */
async function managerConcurrent() {
  const calls = [];
  for (let i = 0; i < 1000; i++) calls.push(manager.addPeer({ publicKey: churnKeys[i], allowedIPs: [churnIp(i)] }));
  for (let i = 0; i < 1000; i++) calls.push(manager.removePeer(churnKeys[i]));
  await Promise.all(calls);
  return 2000;
}

/** Runs `fn` until it has done `ops` operations (a warm-up by count: in the VM 1 s is a few hundred). */
async function warm(fn, ops) {
  for (let n = 0; n < ops; ) n += await fn();
}

/** Sequential manager and backend rates, taking turns (warm-up first): the two figures of one stretch. */
async function seqRates(label) {
  await warm(managerPair, WARM_OPS);
  await warm(backendPair, WARM_OPS);
  let m = 0;
  let b = 0;
  for (let round = 0; round < 3; round++) {
    phase(`${label}.manager`);
    m += await rate(managerPair);
    phase(undefined);
    b += await rate(backendPair);
  }
  return { manager: Math.round(m / 3), backend: Math.round(b / 3) };
}

function desired(n) {
  return { peers: Array.from({ length: n }, (_, i) => ({ publicKey: keyN(i, 0x4c), allowedIPs: [bigIp(i)] })) };
}

async function ms(label, fn) {
  phase(label);
  const t0 = performance.now();
  const r = await fn();
  const t = performance.now() - t0;
  phase(undefined);
  return { t: Math.round(t), r };
}

async function routeCheck() {
  const dev = await manager.getDevice();
  const own = (await backend.getAddresses(NAME)) ?? [];
  const need = routesForPeers(
    own,
    dev.peers.flatMap((p) => p.allowedIPs),
  );
  const have = (await backend.getRoutes(NAME)).sort();
  return { exact: JSON.stringify(need) === JSON.stringify(have), need: need.length, have: have.length };
}

const out = {};
try {
  const up = await manager.initialize();
  out.backend = up.backend;
  out.linkControl = manager.backendSelection.linkControl ?? null;
  out.node = process.version;

  const at0 = await seqRates('seq0');
  out.backendSeqOpsPerSec = at0.backend;
  out.managerSeqOpsPerSec0 = at0.manager;

  // The same 2,000 operations as one setDevice straight on the backend: the batch reference.
  const batchOps = [
    ...churnKeys.slice(0, 1000).map((k, i) => ({ publicKey: k, allowedIPs: [churnIp(i)], persistentKeepalive: 25 })),
    ...churnKeys.slice(0, 1000).map((k) => ({ publicKey: k, remove: true })),
  ];
  const backendBatch = async () => {
    await backend.setDevice(NAME, normalizeDeviceConfig({ peers: batchOps }));
    return batchOps.length;
  };
  // Taking turns, three windows each (as the sequential figures do): wireguard-go's own speed
  // drifts as its heap grows, and a slow stretch must weigh on the manager and the reference alike.
  await warm(managerConcurrent, 6000);
  await warm(backendBatch, 6000);
  let conc = 0;
  let batch = 0;
  for (let round = 0; round < 3; round++) {
    phase('concurrent');
    conc += await rate(managerConcurrent);
    phase(undefined);
    batch += await rate(backendBatch);
  }
  out.managerConcurrentOpsPerSec = Math.round(conc / 3);
  out.backendBatchOpsPerSec = Math.round(batch / 3);

  const want10k = desired(10_000);
  const a10 = await ms('apply10k', () => manager.apply(want10k));
  out.apply10kMs = a10.t;
  const at10 = await seqRates('seq10k');
  out.managerSeqOpsPerSec10k = at10.manager;
  out.backendSeqOpsPerSec10k = at10.backend;

  // From empty: REPLACE_PEERS clears the 10,000 in one grace period (one peer at a time would wait one each).
  await manager.apply({ peers: [] }, { replacePeers: true });
  const wantLarge = desired(LARGE);
  const a100 = await ms('apply100k', () => manager.apply(wantLarge));
  out.largePeers = LARGE;
  out.apply100kMs = a100.t;
  const read = await ms('read100k', () => manager.getDevice());
  out.read100kMs = read.t;
  out.read100kPeers = read.r.peers.length;
  read.r = undefined;
  globalThis.gc?.();
  out.rssMB100k = Math.round(process.memoryUsage().rss / 2 ** 20);
  const at100 = await seqRates('seq100k');
  out.managerSeqOpsPerSec100k = at100.manager;
  out.backendSeqOpsPerSec100k = at100.backend;
  phase('concurrent100k');
  out.managerConcurrentOpsPerSec100k = Math.round(await rate(managerConcurrent));
  phase(undefined);
  const check = await routeCheck();
  out.routeCheckExact = check.exact;
  out.routes = check.have;
  out.maxEventLoopDelayMs = maxDelayMs();
  out.phaseMaxDelayMs = Object.fromEntries(Object.entries(phases).map(([k, hs]) => [k, Math.round(Math.max(...hs.map((h) => h.max)) / 1e6)]));
  out.phaseMaxGcMs = {};
  for (const w of windows) {
    for (const [start, d, kind] of gcs) {
      if (start < w.start || start >= w.end || d < (out.phaseMaxGcMs[w.name]?.[0] ?? 0)) continue;
      out.phaseMaxGcMs[w.name] = [Math.round(d), kind];
    }
  }
  out.ratios = {
    seq0VsBackend: +(out.managerSeqOpsPerSec0 / out.backendSeqOpsPerSec).toFixed(2),
    seq10kVs0: +(out.managerSeqOpsPerSec10k / out.managerSeqOpsPerSec0).toFixed(2),
    seq100kVs0: +(out.managerSeqOpsPerSec100k / out.managerSeqOpsPerSec0).toFixed(2),
    concurrentVsSeq: +(out.managerConcurrentOpsPerSec / out.managerSeqOpsPerSec0).toFixed(2),
    concurrentVsBackendBatch: +(out.managerConcurrentOpsPerSec / out.backendBatchOpsPerSec).toFixed(2),
  };
} finally {
  await manager.cleanup().catch((err) => {
    out.cleanupError = err.message;
  });
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
