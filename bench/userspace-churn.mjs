#!/usr/bin/env node
// Userspace (UAPI) churn benchmark against a real wireguard-go. Run as root after
// scripts/setup.sh:  node bench/userspace-churn.mjs
// Prints one JSON line: sequential add+remove ops/s over lanrage's persistent UAPI
// connection, the same through `wg set` subprocesses, and 5,000/10,000-peer set and read times.
import { execFileSync } from 'node:child_process';
import { Key, UserspaceBackend } from '@lanrage/core';
import { normalizeDeviceConfig } from '@lanrage/core/backend';

const NAME = 'lrbench0';
const backend = new UserspaceBackend({ timeoutMs: 120_000 });
await backend.deleteInterface(NAME).catch(() => {});
await backend.createInterface(NAME);

function keyN(i) {
  const b = new Uint8Array(32).fill(0x5a);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  b[2] = (i >> 16) & 0xff;
  return Key.fromBytes(b);
}

async function rate(seconds, fn) {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    await fn(n);
    n++;
  }
  return Math.round((n * 2) / ((performance.now() - t0) / 1000)); // add + remove = 2 ops
}

const k = keyN(999_999);
const seqOpsPerSec = await rate(3, async () => {
  await backend.setDevice(NAME, normalizeDeviceConfig({ peers: [{ publicKey: k, allowedIPs: ['10.250.0.1/32'] }] }));
  await backend.setDevice(NAME, normalizeDeviceConfig({ peers: [{ publicKey: k, remove: true }] }));
});
const b64 = k.toBase64();
const wgSubprocessOpsPerSec = await rate(3, async () => {
  execFileSync('wg', ['set', NAME, 'peer', b64, 'allowed-ips', '10.250.0.1/32']);
  execFileSync('wg', ['set', NAME, 'peer', b64, 'remove']);
});

const out = { seqOpsPerSec, wgSubprocessOpsPerSec };
for (const n of [5000, 10000]) {
  const peers = Array.from({ length: n }, (_, i) => ({
    publicKey: keyN(i),
    endpoint: `192.0.2.${i % 250}:${1024 + (i % 60000)}`,
    allowedIPs: [`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`],
  }));
  let t = performance.now();
  await backend.setDevice(NAME, normalizeDeviceConfig({ replacePeers: true, peers }));
  out[`set${n / 1000}kMs`] = Math.round(performance.now() - t);
  t = performance.now();
  const dev = await backend.getDevice(NAME);
  if (dev.peers.length !== n) throw new Error(`read ${dev.peers.length} peers, expected ${n}`);
  out[`get${n / 1000}kMs`] = Math.round(performance.now() - t);
  t = performance.now();
  execFileSync('wg', ['show', NAME, 'dump'], { maxBuffer: 64 * 1024 * 1024 });
  out[`wgShowDump${n / 1000}kMs`] = Math.round(performance.now() - t);
}
await backend.deleteInterface(NAME);
await backend.close();
console.log(JSON.stringify(out));
