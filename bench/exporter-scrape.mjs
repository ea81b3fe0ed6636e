#!/usr/bin/env node
// Scrapes of `lanrage exporter` on a large device, beside `wg show <if> dump` of the same
// device in the same run. Prints one JSON line. Run as root:
//   kernel (in the VM):  node test/vm/run.mjs node bench/exporter-scrape.mjs --backend kernel
//   userspace (here):    node bench/exporter-scrape.mjs --backend userspace
// It runs itself in a new network namespace (unshare -n). LANRAGE_BENCH_PEERS sets the device's
// size (default 10,000); every peer has an endpoint and one allowed IP, none has traffic.
//
// Method: the exporter is the real command in its own process; each figure is the median of
// LANRAGE_BENCH_RUNS (default 15) HTTP scrapes (wall time, from this process), taking turns
// with `wg show dump` so a slow stretch of the host weighs on both; the exporter reports its
// own longest event-loop stall per scrape (lanrage_exporter_event_loop_delay_max_seconds).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetworkManager, Key, loadConfig } from 'lanrage';
import { backendArg, inOwnNetworkNamespace } from './in-netns.mjs';

const backend = backendArg();
inOwnNetworkNamespace();

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../packages/cli/dist/bin.js');
const PEERS = Number(process.env.LANRAGE_BENCH_PEERS ?? 10_000);
const RUNS = Number(process.env.LANRAGE_BENCH_RUNS ?? 15);
const NAME = `lrxs${process.pid % 100000}`;
const LISTEN = '127.0.0.1:19599';
const dir = mkdtempSync(join(tmpdir(), 'lanrage-scrape-'));
const env = { LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: NAME, LANRAGE_BACKEND: backend };
const config = await loadConfig({ env });
const manager = await createNetworkManager(config);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x) => Math.round(x * 10) / 10;

function keyN(i) {
  const b = new Uint8Array(32).fill(0x5e);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  b[2] = (i >> 16) & 0xff;
  return Key.fromBytes(b);
}

/**
 * One GET, timed to the first and the last byte as a scraper waits. The client is node:http
 * keeping the raw chunks (fetch's own buffering cost more than the exporter's work in the
 * emulated VM); decoding and parsing come after the clock stops: they are the scraper's work.
 */
function get(path) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const [host, port] = LISTEN.split(':');
    const req = http.get({ host, port: Number(port), path, agent: false }, (res) => {
      const ttfb = performance.now() - t0;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, chunks, ttfb, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function scrape(path = '/metrics') {
  const { status, chunks, ttfb, ms } = await get(path);
  const body = Buffer.concat(chunks).toString('utf8');
  if (status !== 200) throw new Error(`scrape answered ${status}: ${body}`);
  const stall = Number(/^lanrage_exporter_event_loop_delay_max_seconds ([0-9.]+)$/m.exec(body)?.[1] ?? Number.NaN) * 1000;
  const read = Number(/^lanrage_scrape_duration_seconds\{[^}]*\} ([0-9.]+)$/m.exec(body)?.[1] ?? Number.NaN) * 1000;
  return { ms, ttfb, stall, read, bytes: body.length, peers: (body.match(/^wireguard_peer_receive_bytes_total\{/gm) ?? []).length };
}

function wgDump() {
  const t0 = performance.now();
  const r = spawnSync('wg', ['show', NAME, 'dump'], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`wg show dump: ${r.stderr}`);
  return performance.now() - t0;
}

/** Starts `lanrage exporter` with `extra` arguments; resolves once it serves. */
function startExporter(extra) {
  const child = spawn(
    process.execPath,
    [...(process.env.LANRAGE_BENCH_EXPORTER_NODE_ARGS ?? '').split(' ').filter(Boolean), BIN, 'exporter', '--listen', LISTEN, ...extra],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('serving')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`exporter exited ${code}: ${err}`)));
  });
}

async function stopExporter(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const out = { node: process.version, peers: PEERS, runs: RUNS };
try {
  const up = await manager.initialize();
  out.backend = up.backend;
  await manager.apply({
    peers: Array.from({ length: PEERS }, (_, i) => ({
      publicKey: keyN(i),
      endpoint: `192.0.2.${1 + (i % 250)}:${20000 + (i % 40000)}`,
      allowedIPs: [`172.16.${(i >> 8) & 255}.${i & 255}/32`],
    })),
  });

  let exporter = await startExporter([]);
  for (let i = 0; i < 3; i++) await scrape(); // warm-up: the exporter's code is cold
  wgDump();
  const scrapes = [];
  const dumps = [];
  for (let i = 0; i < RUNS; i++) {
    scrapes.push(await scrape());
    dumps.push(wgDump());
  }
  out.scrapePeers = scrapes[0].peers;
  out.scrapeBytes = scrapes[0].bytes;
  out.scrapeMsMedian = round1(median(scrapes.map((s) => s.ms)));
  out.scrapeMsMax = round1(Math.max(...scrapes.map((s) => s.ms)));
  out.scrapeTtfbMsMedian = round1(median(scrapes.map((s) => s.ttfb)));
  out.readMsMedian = round1(median(scrapes.map((s) => s.read)));
  out.wgDumpMsMedian = round1(median(dumps));
  out.scrapeVsWgDump = +(out.scrapeMsMedian / out.wgDumpMsMedian).toFixed(2);
  out.exporterMaxEventLoopDelayMs = round1(Math.max(...scrapes.map((s) => s.stall)));
  const t5 = performance.now();
  const five = await Promise.all(Array.from({ length: 5 }, () => scrape()));
  out.concurrent5Ms = round1(performance.now() - t5);
  out.concurrent5SameBody = new Set(five.map((s) => s.bytes)).size === 1;
  await stopExporter(exporter);

  exporter = await startExporter(['--with-allowed-ips']);
  for (let i = 0; i < 3; i++) await scrape();
  const full = [];
  for (let i = 0; i < Math.max(5, Math.floor(RUNS / 3)); i++) full.push(await scrape());
  out.withAllowedIpsMsMedian = round1(median(full.map((s) => s.ms)));
  out.withAllowedIpsMaxEventLoopDelayMs = round1(Math.max(...full.map((s) => s.stall)));
  await stopExporter(exporter);
} finally {
  await manager.cleanup().catch((err) => {
    out.cleanupError = err.message;
  });
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
