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
function label(value: string): string {
  if (!/[\\"\n]/.test(value)) return value; // keys, names and endpoints rarely need it
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** What one read of one device contributes to the exposition. */
export interface DeviceSnapshot {
  device: string;
  publicKey: string | null;
  peers: PeerStats[];
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
}

type Value = string | number | bigint;

/** A counter as a number while it is exact as one (a number prints faster than a bigint). */
function counter(v: bigint): Value {
  return v <= MAX_EXACT ? Number(v) : v;
}
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The Prometheus text exposition of one or more devices. Names and labels follow the
 * wgctrl-based exporter (`wireguard_*`), so its dashboards work unchanged; lanrage's own are
 * `lanrage_*`. Every family is one group (HELP, TYPE, then its samples for every device), as
 * the format requires. A peer that is gone has no series. Rendered in time slices: 10,000
 * peers are 70,000 lines (~6 MB), more than one stretch of the event loop should hold.
 */
export async function renderMetrics(devices: readonly DeviceSnapshot[], now: number, emit: (chunk: string) => void): Promise<void> {
  // Lines are appended to one string (V8 keeps it as a rope until it is written), handed over
  // every CHUNK_LINES lines: a scraper receives while the rest renders.
  let chunk = '';
  let lines = 0;
  const flush = (force = false) => {
    if (lines === 0 || (!force && lines < CHUNK_LINES)) return;
    emit(chunk);
    chunk = '';
    lines = 0;
  };
  const line = (text: string) => {
    chunk += text;
    lines++;
  };
  const slicer = new TimeSlicer();
  // Each peer's `device="…",public_key="…"`, built once for the seven families that use it.
  const labels = devices.map((d) => {
    const dev = `device="${label(d.device)}"`;
    return { dev, peers: d.peers.map((p) => `${dev},public_key="${label(p.publicKey)}"`) };
  });
  const head = (name: string, type: 'gauge' | 'counter', help: string) => line(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
  /** One sample per peer (none where `value` is undefined); `extra` adds labels after the peer's. */
  const perPeer = async (
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    value: (d: DeviceSnapshot, p: PeerStats) => Value | undefined,
    extra?: (d: DeviceSnapshot, p: PeerStats) => string,
  ) => {
    head(name, type, help);
    const open = `${name}{`;
    for (let k = 0; k < devices.length; k++) {
      const d = devices[k] as DeviceSnapshot;
      const pl = (labels[k] as { peers: string[] }).peers;
      for (let i = 0; i < d.peers.length; i++) {
        const pause = slicer.next();
        if (pause) await pause;
        const p = d.peers[i] as PeerStats;
        const v = value(d, p);
        if (v === undefined) continue;
        line(extra ? `${open}${pl[i]}${extra(d, p)}} ${v}\n` : `${open}${pl[i]}} ${v}\n`);
        flush();
      }
    }
  };
  const perDevice = (name: string, help: string, value: (d: DeviceSnapshot) => Value, extra = (_d: DeviceSnapshot) => '') => {
    head(name, 'gauge', help);
    devices.forEach((d, k) => {
      line(`${name}{${labels[k]?.dev}${extra(d)}} ${value(d)}\n`);
    });
  };
  perDevice(
    'wireguard_device_info',
    'Metadata about a device.',
    () => 1,
    (d) => `,public_key="${label(d.publicKey ?? '')}"`,
  );
  await perPeer(
    'wireguard_peer_info',
    'gauge',
    "Metadata about a peer. The public_key label on peer metrics refers to the peer's public key; not the device's public key.",
    () => 1,
    (d, p) =>
      `,endpoint="${label(p.endpoint ?? '')}",allowed_ips="${label((d.allowedIPs?.get(p.publicKey) ?? []).join(','))}",name="${label(d.names.get(p.publicKey) ?? '')}"`,
  );
  await perPeer('wireguard_peer_receive_bytes_total', 'counter', 'Number of bytes received from a given peer.', (_d, p) => counter(p.rxBytes));
  await perPeer('wireguard_peer_transmit_bytes_total', 'counter', 'Number of bytes transmitted to a given peer.', (_d, p) => counter(p.txBytes));
  await perPeer('wireguard_peer_last_handshake_seconds', 'gauge', 'UNIX timestamp for the last handshake with a given peer (0: none).', (_d, p) =>
    p.lastHandshake ? Math.floor(p.lastHandshake.getTime() / 1000) : 0,
  );
  await perPeer(
    'lanrage_peer_handshake_age_seconds',
    'gauge',
    'Seconds since the last handshake with a given peer (peers that never completed one are absent).',
    (_d, p) => (p.lastHandshake ? Math.max(0, Math.floor((now - p.lastHandshake.getTime()) / 1000)) : undefined),
  );
  await Promise.all(devices.map((d) => d.upReady));
  await perPeer(
    'lanrage_peer_up',
    'gauge',
    '1 when a given peer has completed a handshake and is not stale (heard from within the stale-after time), else 0.',
    (d, p) => (d.up(p) ? 1 : 0),
  );
  if (devices.some((d) => d.latency)) {
    await perPeer(
      'lanrage_peer_latency_seconds',
      'gauge',
      "Round trip to a given peer's tunnel address at the last probe (peers that did not answer, or were not probed yet, are absent).",
      (d, p) => {
        const rtt = d.latency?.get(p.publicKey)?.rttMs;
        return rtt === undefined || rtt === null ? undefined : (rtt / 1000).toFixed(6);
      },
    );
  }
  perDevice('lanrage_device_peers', 'Number of peers on a device.', (d) => d.peers.length);
  perDevice('lanrage_scrape_duration_seconds', 'Time the read of a device took.', (d) => d.scrapeSeconds.toFixed(6));
  flush(true);
}

/** Lines per chunk of a rendered exposition (~40 KB). */
const CHUNK_LINES = 512;

/** One interface's exporter state: its manager and what outlives a scrape. */
interface Exported {
  manager: NetworkManager;
  watcher: PeerWatcher | null;
  prober: LatencyProber | null;
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
    const snaps = await Promise.all(managers.map((manager) => snapshot({ manager, watcher: null, prober: null }, opts.withAllowedIps === true)));
    const chunks: string[] = [];
    await renderMetrics(snaps, Date.now(), (c) => chunks.push(c));
    text = chunks.join('');
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
            `# HELP lanrage_exporter_errors_total Scrapes that failed to read the device.\n# TYPE lanrage_exporter_errors_total counter\nlanrage_exporter_errors_total ${errors}\n# HELP lanrage_exporter_event_loop_delay_max_seconds The exporter's longest event-loop stall since the previous scrape.\n# TYPE lanrage_exporter_event_loop_delay_max_seconds gauge\nlanrage_exporter_event_loop_delay_max_seconds ${stall}\n`,
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
  readonly chunks: string[] = [];
  #done = false;
  #wake: (() => void)[] = [];
  readonly finished: Promise<void>;
  #resolveFinished!: () => void;

  constructor() {
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  push(chunk: string): void {
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
          if (!res.write(this.chunks[i++] as string))
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
