import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type DeviceStatus,
  LanrageError,
  type LatencyProber,
  loadKeyFile,
  type NetworkManager,
  ONLINE_WITHIN_MS,
  type PeerStats,
  PeerWatcher,
  PUBLIC_KEY_FILE,
  readPeerStats,
  statsOf,
} from '@lanrage/core';
import { TimeSlicer } from '@lanrage/core/backend';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { readPeerNames } from '../peer-names.js';
import { untilSignal } from '../signals.js';
import { latencyProberFor, probeIntervalMs } from './probe-targets.js';
import { seconds } from './watch-options.js';

export interface MetricsOptions extends GlobalOptions {
  /** Read every peer's allowed IPs too (a full dump); off by default: the stats fast path. */
  withAllowedIps?: boolean;
  /** Comma-separated interfaces to export (default: the one -i or the configuration names). */
  interfaces?: string;
}

/** A label value in the exposition format: backslash, double quote and newline escaped. */
export function label(value: string): string {
  if (!/[\\"\n]/.test(value)) return value; // keys, names and endpoints rarely need it
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** What one read of one device contributes to the exposition. */
export interface DeviceSnapshot {
  device: string;
  publicKey: string | null;
  peers: readonly PeerStats[];
  /** Each peer's allowed IPs, when read (`--with-allowed-ips`). */
  allowedIPs: ReadonlyMap<string, string[]> | null;
  /** Operators' names for peers (the `name` label). */
  names: ReadonlyMap<string, string>;
  scrapeSeconds: number;
  /** Settles when `up` reflects this read (the watcher is fed in the background). */
  upReady?: Promise<void>;
  /** Whether a peer is up: the exporter's watcher (stale as it defines it), or for one print a recent handshake. */
  up: (p: PeerStats) => boolean;
  /** The last measured round trip per peer (ms; null: no reply), when latency probing is on. */
  latency: ReadonlyMap<string, { rttMs: number | null }> | null;
  /** The device's label cache, kept across scrapes by the exporter; a rendering without one builds every label. */
  labels?: PeerLabelCache;
}

type Value = string | number | bigint;

/** A counter as a number while it is exact as one (a number prints faster than a bigint). */
function counter(v: bigint): Value {
  return v <= MAX_EXACT ? Number(v) : v;
}
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** One peer's label text, encoded once and kept while its labels stay the same. */
interface PeerLabels {
  endpoint: string | null;
  /** The allowed IPs the text was built with (null: not read, the label is empty). */
  allowedIPs: readonly string[] | null;
  name: string;
  /** `device="…",public_key="…"`: the labels of every per-peer family. */
  peer: Buffer;
  /** `device="…",public_key="…",endpoint="…",allowed_ips="…",name="…"} 1\n`: the rest of the peer's wireguard_peer_info line. */
  info: Buffer;
  /** The last rendering that used it. */
  seen: number;
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Each peer's label text across scrapes, pre-encoded (off the JavaScript heap), keyed by public
 * key and checked against the endpoint, allowed IPs and name it was built from: a scrape of an
 * unchanged device formats only numbers. Peers absent from a rendering are dropped.
 */
export class PeerLabelCache {
  readonly #peers = new Map<string, PeerLabels>();
  #device: string | undefined;
  #deviceLabel = '';
  #generation = 0;

  /** How many peers' labels are kept. */
  get size(): number {
    return this.#peers.size;
  }

  /** Starts a rendering of `device`: returns its number, for `labelsOf` and `evict`. */
  begin(device: string): number {
    if (device !== this.#device) {
      this.#peers.clear();
      this.#device = device;
      this.#deviceLabel = `device="${label(device)}"`;
    }
    return ++this.#generation;
  }

  /** The labels of one peer as of this rendering (built again when one of its values changed). */
  labelsOf(generation: number, p: PeerStats, allowedIPs: readonly string[] | null, name: string): PeerLabels {
    let e = this.#peers.get(p.publicKey);
    if (e === undefined || e.endpoint !== p.endpoint || e.name !== name || !sameList(e.allowedIPs, allowedIPs)) {
      const peer = `${this.#deviceLabel},public_key="${label(p.publicKey)}"`;
      const info = `${peer},endpoint="${label(p.endpoint ?? '')}",allowed_ips="${label(allowedIPs?.join(',') ?? '')}",name="${label(name)}"} 1\n`;
      const bytes = Buffer.from(info, 'utf8');
      e = {
        endpoint: p.endpoint,
        allowedIPs: allowedIPs === null ? null : [...allowedIPs],
        name,
        peer: bytes.subarray(0, Buffer.byteLength(peer, 'utf8')),
        info: bytes,
        seen: generation,
      };
      this.#peers.set(p.publicKey, e);
    }
    e.seen = generation;
    return e;
  }

  /** Drops the peers this rendering did not see (`count`: how many it saw). */
  evict(generation: number, count: number): void {
    if (this.#peers.size <= count) return;
    for (const [k, e] of this.#peers) if (e.seen !== generation) this.#peers.delete(k);
  }
}

/**
 * Bytes of a rendered exposition's first chunk; each next one is twice the size, up to
 * MAX_CHUNK_BYTES. A scraper gets the first lines early, and a large exposition goes out in few
 * writes: measured in the emulated VM, sending 5.9 MB over loopback HTTP took 250 ms in 64 KiB
 * writes, 167 ms in 256 KiB ones and 141 ms in 1 MiB ones (476 ms as 40 KB strings).
 */
const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;
/** Room for `} `, any number or counter, and the newline. */
const VALUE_ROOM = 32;

/**
 * Writes the exposition into off-heap chunks and hands each over when it is full: the text
 * never exists as JavaScript strings (70,000 lines of them outlived the young generation and
 * made the collector's pauses the exporter's longest stalls).
 */
class ChunkWriter {
  #size = FIRST_CHUNK_BYTES;
  #buf: Buffer = Buffer.allocUnsafeSlow(this.#size);
  #pos = 0;
  readonly #emit: (chunk: Buffer) => void;

  constructor(emit: (chunk: Buffer) => void) {
    this.#emit = emit;
  }

  /** Makes room for `n` more bytes, handing the filled chunk over first if needed. */
  room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.flush();
    if (n > this.#buf.length) this.#buf = Buffer.allocUnsafeSlow(n);
  }

  /** Hands over what was written (none when nothing was); writing goes on in a new chunk. */
  flush(): void {
    if (this.#pos === 0) return;
    this.end();
    this.#size = Math.min(this.#size * 2, MAX_CHUNK_BYTES);
    this.#buf = Buffer.allocUnsafeSlow(this.#size);
    this.#pos = 0;
  }

  /** Hands over what was written, the last time. */
  end(): void {
    if (this.#pos > 0) this.#emit(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  /** Bytes, after room() was made for them. */
  bytes(b: Uint8Array): void {
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  text(s: string): void {
    this.room(s.length * 3);
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }

  /** `} <value>\n` after a sample's labels, after room() was made for VALUE_ROOM more (numbers, bigints and short ASCII text). */
  close(v: Value): void {
    const buf = this.#buf;
    let pos = this.#pos;
    buf[pos++] = 0x7d; // }
    buf[pos++] = 0x20;
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      // Digits straight into the chunk: no string per sample.
      let digits = 1;
      for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
      let at = pos + digits;
      pos = at;
      do {
        const q = Math.floor(v / 10);
        buf[--at] = 0x30 + (v - q * 10);
        v = q;
      } while (v > 0);
    } else {
      pos += buf.write(String(v), pos, 'latin1');
    }
    buf[pos++] = 0x0a;
    this.#pos = pos;
  }
}

type FamilyType = 'gauge' | 'counter';

/** A metric family's constant text, encoded once. */
interface Family {
  name: string;
  /** `# HELP …\n# TYPE …\n` */
  head: Buffer;
  /** `name{` */
  open: Buffer;
}

function family(name: string, type: FamilyType, help: string): Family {
  return { name, head: Buffer.from(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`, 'utf8'), open: Buffer.from(`${name}{`, 'latin1') };
}

const F = {
  deviceInfo: family('wireguard_device_info', 'gauge', 'Metadata about a device.'),
  peerInfo: family(
    'wireguard_peer_info',
    'gauge',
    "Metadata about a peer. The public_key label on peer metrics refers to the peer's public key; not the device's public key.",
  ),
  rx: family('wireguard_peer_receive_bytes_total', 'counter', 'Number of bytes received from a given peer.'),
  tx: family('wireguard_peer_transmit_bytes_total', 'counter', 'Number of bytes transmitted to a given peer.'),
  handshake: family('wireguard_peer_last_handshake_seconds', 'gauge', 'UNIX timestamp for the last handshake with a given peer (0: none).'),
  age: family('lanrage_peer_handshake_age_seconds', 'gauge', 'Seconds since the last handshake with a given peer (peers that never completed one are absent).'),
  up: family('lanrage_peer_up', 'gauge', '1 when a given peer has completed a handshake and is not stale (heard from within the stale-after time), else 0.'),
  latency: family(
    'lanrage_peer_latency_seconds',
    'gauge',
    "Round trip to a given peer's tunnel address at the last probe (peers that did not answer, or were not probed yet, are absent).",
  ),
  devicePeers: family('lanrage_device_peers', 'gauge', 'Number of peers on a device.'),
  scrapeDuration: family('lanrage_scrape_duration_seconds', 'gauge', 'Time the read of a device took.'),
};

/**
 * The Prometheus text exposition of one or more devices. Names and labels follow the
 * wgctrl-based exporter (`wireguard_*`), so its dashboards work unchanged; lanrage's own are
 * `lanrage_*`. Every family is one group (HELP, TYPE, then its samples for every device), as
 * the format requires. A peer that is gone has no series. Rendered in time slices into
 * off-heap chunks handed to `emit` as they fill (a scraper receives while the rest renders):
 * 10,000 peers are 70,000 lines (~6 MB), more than one stretch of the event loop should hold.
 * Each peer's labels come from the device's PeerLabelCache, so only the numbers are formatted.
 */
export async function renderMetrics(devices: readonly DeviceSnapshot[], now: number, emit: (chunk: Buffer) => void): Promise<void> {
  const w = new ChunkWriter(emit);
  const slicer = new TimeSlicer();
  // Each device's peers' labels for this rendering, in peer order.
  const labels: PeerLabels[][] = [];
  for (const d of devices) {
    const cache = d.labels ?? new PeerLabelCache();
    const gen = cache.begin(d.device);
    const out: PeerLabels[] = new Array(d.peers.length);
    for (let i = 0; i < d.peers.length; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      const p = d.peers[i] as PeerStats;
      out[i] = cache.labelsOf(gen, p, d.allowedIPs ? (d.allowedIPs.get(p.publicKey) ?? []) : null, d.names.get(p.publicKey) ?? '');
    }
    cache.evict(gen, d.peers.length);
    labels.push(out);
  }
  const head = (f: Family) => {
    w.room(f.head.length);
    w.bytes(f.head);
  };
  /** One sample per peer (none where `value` is undefined). */
  const perPeer = async (f: Family, value: (d: DeviceSnapshot, p: PeerStats) => Value | undefined) => {
    head(f);
    const open = f.open;
    for (let k = 0; k < devices.length; k++) {
      const d = devices[k] as DeviceSnapshot;
      const pl = labels[k] as PeerLabels[];
      for (let i = 0; i < d.peers.length; i++) {
        const pause = slicer.next();
        if (pause) await pause;
        const v = value(d, d.peers[i] as PeerStats);
        if (v === undefined) continue;
        const peer = (pl[i] as PeerLabels).peer;
        w.room(open.length + peer.length + VALUE_ROOM);
        w.bytes(open);
        w.bytes(peer);
        w.close(v);
      }
    }
  };
  const perDevice = (f: Family, value: (d: DeviceSnapshot) => Value, extra = (_d: DeviceSnapshot) => '') => {
    head(f);
    for (const d of devices) w.text(`${f.name}{device="${label(d.device)}"${extra(d)}} ${value(d)}\n`);
  };
  perDevice(
    F.deviceInfo,
    () => 1,
    (d) => `,public_key="${label(d.publicKey ?? '')}"`,
  );
  // The info line is all labels and a constant: the cache holds all of it but the name.
  head(F.peerInfo);
  for (let k = 0; k < devices.length; k++) {
    const pl = labels[k] as PeerLabels[];
    for (let i = 0; i < pl.length; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      const info = (pl[i] as PeerLabels).info;
      w.room(F.peerInfo.open.length + info.length);
      w.bytes(F.peerInfo.open);
      w.bytes(info);
    }
  }
  await perPeer(F.rx, (_d, p) => counter(p.rxBytes));
  await perPeer(F.tx, (_d, p) => counter(p.txBytes));
  await perPeer(F.handshake, (_d, p) => (p.lastHandshake ? Math.floor(p.lastHandshake.getTime() / 1000) : 0));
  await perPeer(F.age, (_d, p) => (p.lastHandshake ? Math.max(0, Math.floor((now - p.lastHandshake.getTime()) / 1000)) : undefined));
  await Promise.all(devices.map((d) => d.upReady));
  await perPeer(F.up, (d, p) => (d.up(p) ? 1 : 0));
  if (devices.some((d) => d.latency)) {
    await perPeer(F.latency, (d, p) => {
      const rtt = d.latency?.get(p.publicKey)?.rttMs;
      return rtt === undefined || rtt === null ? undefined : (rtt / 1000).toFixed(6);
    });
  }
  perDevice(F.devicePeers, (d) => d.peers.length);
  perDevice(F.scrapeDuration, (d) => d.scrapeSeconds.toFixed(6));
  w.end();
}

/** One interface's exporter state: its manager and what outlives a scrape. */
interface Exported {
  manager: NetworkManager;
  watcher: PeerWatcher | null;
  prober: LatencyProber | null;
  labels: PeerLabelCache | null;
}

/** One read of one device (the stats fast path unless allowed IPs are asked for). */
async function snapshot(e: Exported, withAllowedIps: boolean): Promise<DeviceSnapshot> {
  const { manager } = e;
  const started = performance.now();
  let peers: PeerStats[];
  let allowed: Map<string, string[]> | null = null;
  let publicKey: string | null = null;
  if (withAllowedIps) {
    const dev: DeviceStatus = await manager.getDevice();
    publicKey = dev.publicKey?.toBase64() ?? null;
    dev.privateKey?.wipe();
    peers = new Array(dev.peers.length);
    allowed = new Map();
    const slicer = new TimeSlicer();
    for (let i = 0; i < dev.peers.length; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      const p = dev.peers[i] as DeviceStatus['peers'][number];
      p.presharedKey?.wipe();
      const stats = statsOf(p);
      peers[i] = stats;
      allowed.set(stats.publicKey, p.allowedIPs);
    }
  } else {
    peers = await readPeerStats(manager.backend, manager.interfaceName);
    publicKey = await loadKeyFile(join(manager.config.keysDir, PUBLIC_KEY_FILE), 'public')
      .then((k) => k.toBase64())
      .catch(() => null); // an interface lanrage did not bring up: the label stays empty
  }
  const scrapeSeconds = (performance.now() - started) / 1000;
  const names = await readPeerNames(manager.config.configDir, manager.interfaceName);
  const now = Date.now();
  // The watcher takes this read in the background; only the up family waits for it, so the
  // first lines go out meanwhile.
  const observed = e.watcher?.observe(peers);
  const watcher = e.watcher;
  return {
    device: manager.interfaceName,
    publicKey,
    peers,
    allowedIPs: allowed,
    names,
    scrapeSeconds,
    up: watcher ? (p) => watcher.isUp(p.publicKey) : (p) => p.lastHandshake !== null && now - p.lastHandshake.getTime() <= ONLINE_WITHIN_MS,
    latency: e.prober?.last() ?? null,
    ...(e.labels ? { labels: e.labels } : {}),
    ...(observed ? { upReady: observed.catch(() => undefined) } : {}),
  };
}

/** The interfaces a metrics command covers: `--interfaces a,b`, else the one -i or the configuration names. */
function interfacesOf(opts: MetricsOptions): (string | undefined)[] {
  if (opts.interfaces === undefined) return [opts.interface];
  const list = [...new Set(opts.interfaces.split(',').map((s) => s.trim()))].filter((s) => s.length > 0);
  if (list.length === 0) throw new LanrageError('INVALID_ARGUMENT', '--interfaces takes a comma-separated list of interface names');
  return list;
}

async function managersFor(ctx: CliContext, opts: MetricsOptions, command: string): Promise<NetworkManager[]> {
  const out: NetworkManager[] = [];
  try {
    for (const name of interfacesOf(opts)) out.push(await createManager(ctx, name === undefined ? opts : { ...opts, interface: name }, command));
  } catch (err) {
    await Promise.all(out.map((m) => m.close()));
    throw err;
  }
  return out;
}

/** `lanrage metrics`: prints the exposition once. */
export async function metrics(ctx: CliContext, opts: MetricsOptions): Promise<ExitCode> {
  const managers = await managersFor(ctx, opts, 'metrics');
  let text: string;
  try {
    const snaps = await Promise.all(managers.map((manager) => snapshot({ manager, watcher: null, prober: null, labels: null }, opts.withAllowedIps === true)));
    const chunks: Buffer[] = [];
    await renderMetrics(snaps, Date.now(), (c) => chunks.push(c));
    text = Buffer.concat(chunks).toString('utf8');
  } finally {
    await Promise.all(managers.map((m) => m.close()));
  }
  ctx.io.stdout(text);
  return ExitCode.OK;
}

export interface ExporterOptions extends MetricsOptions {
  /** host:port to serve on (default 127.0.0.1:9586, the wgctrl exporter's port). */
  listen?: string;
  /** Seconds without a handshake or received bytes before a peer counts as down (default 180). */
  staleAfter?: string;
  /** Probe every peer's tunnel address this often (seconds); off when not given. */
  probeLatency?: string;
}

/**
 * `lanrage exporter`: serves `/metrics` (the exposition of every exported interface, read when
 * scraped; scrapes that arrive while a read is running share it) and `/healthz` until SIGINT
 * or SIGTERM, then closes cleanly (exit 0). A peer is up while the watcher fed by the scrapes
 * does not find it stale. With `--probe-latency`, a prober measures each peer's round trip in
 * the background (never during a scrape). A failed read answers 503 with the error's code and
 * counts in `lanrage_exporter_errors_total`.
 */
export async function exporter(ctx: CliContext, opts: ExporterOptions): Promise<ExitCode> {
  const listen = opts.listen ?? '127.0.0.1:9586';
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):([0-9]{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535)
    throw new LanrageError('INVALID_ARGUMENT', `--listen takes host:port (e.g. 127.0.0.1:9586), not '${listen.slice(0, 60)}'`);
  const host = (m[1] ?? m[2]) as string;
  const staleAfterMs = seconds(opts.staleAfter, 180, 1, 86_400, '--stale-after') * 1000;
  const probeMs = probeIntervalMs(opts.probeLatency);
  const exported: Exported[] = (await managersFor(ctx, opts, 'exporter')).map((manager) => ({
    manager,
    watcher: new PeerWatcher(manager.backend, manager.interfaceName, { staleAfterMs }),
    prober: latencyProberFor(manager, probeMs)?.start() ?? null,
    labels: new PeerLabelCache(),
  }));
  let errors = 0;
  // The exporter's own health: the longest event-loop stall since the previous scrape (a
  // scrape of a large device must not freeze the process that serves it).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let inFlight: Promise<Exposition> | null = null;
  /** The current read and rendering: scrapes that arrive before it is finished share it. */
  const read = (): Promise<Exposition> => {
    if (inFlight) return inFlight;
    const job = (async () => {
      const snaps = await Promise.all(exported.map((e) => snapshot(e, opts.withAllowedIps === true)));
      const expo = new Exposition();
      renderMetrics(snaps, Date.now(), (c) => expo.push(c)).then(
        () => {
          // The exporter's own families close the text: part of the shared rendering, so every
          // scrape that shares it gets the same body.
          const stall = (loop.max / 1e9).toFixed(6);
          loop.reset();
          expo.push(
            Buffer.from(
              `# HELP lanrage_exporter_errors_total Scrapes that failed to read the device.\n# TYPE lanrage_exporter_errors_total counter\nlanrage_exporter_errors_total ${errors}\n# HELP lanrage_exporter_event_loop_delay_max_seconds The exporter's longest event-loop stall since the previous scrape.\n# TYPE lanrage_exporter_event_loop_delay_max_seconds gauge\nlanrage_exporter_event_loop_delay_max_seconds ${stall}\n`,
              'latin1',
            ),
          );
          expo.finish();
        },
        (err: unknown) => {
          errors++;
          expo.finish(err);
        },
      );
      return expo;
    })();
    inFlight = job;
    const clear = () => {
      if (inFlight === job) inFlight = null;
    };
    job.then((expo) => expo.finished.then(clear), clear);
    return job;
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('lanrage exporter: /metrics and /healthz\n');
      return;
    }
    read().then(
      async (expo) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        // A rendering that failed midway must not pass for a whole exposition: cut the response.
        if (await expo.pipeTo(res)) {
          if (expo.failed) res.destroy();
          else res.end();
        }
      },
      (err: unknown) => {
        errors++;
        const code = (err as { code?: string })?.code ?? 'INTERNAL';
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`lanrage exporter: ${code}\n`);
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new LanrageError('PORT_IN_USE', `${listen} is already in use`) : err),
      );
      server.listen(port, host, () => resolve());
    });
    const names = exported.map((e) => e.manager.interfaceName).join(', ');
    ctx.io.stderr(`serving http://${listen}/metrics for ${names} (Ctrl-C to stop)\n`);
    await untilSignal();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  } finally {
    loop.disable();
    for (const e of exported) e.prober?.stop();
    await Promise.all(exported.map((e) => e.manager.close()));
  }
  return ExitCode.OK;
}

/**
 * One rendering of the exposition, shared by the scrapes that arrive while it is produced:
 * chunks are kept as they come, and each response writes them from the first, so a scraper
 * receives while the rest renders and a late one still gets the whole text.
 */
class Exposition {
  readonly chunks: Buffer[] = [];
  #done = false;
  #wake: (() => void)[] = [];
  readonly finished: Promise<void>;
  #resolveFinished!: () => void;

  constructor() {
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.#notify();
  }

  /** Rendering failed midway: responses are cut, not ended, so a scraper sees a failed scrape. */
  failed = false;

  /** Rendering ended, or failed (`err`). */
  finish(err?: unknown): void {
    if (err !== undefined) this.failed = true;
    this.#done = true;
    this.#notify();
    this.#resolveFinished();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  /** Writes every chunk to `res` as it comes, honouring backpressure; false when the scraper went away. */
  async pipeTo(res: ServerResponse): Promise<boolean> {
    let gone = false;
    const onClose = () => {
      gone = true;
      this.#notify();
    };
    res.once('close', onClose);
    try {
      let i = 0;
      for (;;) {
        if (res.destroyed) gone = true; // went away before 'close' was listened for
        while (i < this.chunks.length && !gone) {
          if (!res.write(this.chunks[i++] as Buffer))
            await new Promise<void>((resolve) => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.once('drain', done);
              res.once('close', done);
            });
        }
        if (gone) return false;
        if (this.#done && i >= this.chunks.length) return true;
        await new Promise<void>((resolve) => this.#wake.push(resolve));
      }
    } finally {
      res.off('close', onClose);
    }
  }
}
