import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  type DeviceStatus,
  LanrageError,
  loadKeyFile,
  type NetworkManager,
  ONLINE_WITHIN_MS,
  type PeerStats,
  PUBLIC_KEY_FILE,
  readPeerStats,
  statsOf,
} from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';

export interface MetricsOptions extends GlobalOptions {
  /** Read every peer's allowed IPs too (a full dump); off by default: the stats fast path. */
  withAllowedIps?: boolean;
}

/** A label value in the exposition format: backslash, double quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** One metric family: its HELP, TYPE and samples (`labels` already formatted). */
function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: [string, string | number | bigint][]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
}

/**
 * The Prometheus text exposition of one interface, once (for node_exporter's textfile
 * collector). Names and labels follow the wgctrl-based exporter (`wireguard_*`), so its
 * dashboards work unchanged; lanrage's own are `lanrage_*`. Reads the stats fast path (no
 * allowed IPs) unless `--with-allowed-ips`.
 */
export function renderMetrics(
  device: string,
  devicePublicKey: string | null,
  peers: PeerStats[],
  allowedIPs: Map<string, string[]> | null,
  now: number,
  scrapeSeconds: number,
): string {
  const out: string[] = [];
  const d = `device="${label(device)}"`;
  family(out, 'wireguard_device_info', 'gauge', 'Metadata about a device.', [[`${d},public_key="${label(devicePublicKey ?? '')}"`, 1]]);
  const peerLabels = (p: PeerStats) => `${d},public_key="${label(p.publicKey)}"`;
  family(
    out,
    'wireguard_peer_info',
    'gauge',
    "Metadata about a peer. The public_key label on peer metrics refers to the peer's public key; not the device's public key.",
    peers.map((p) => [
      `${peerLabels(p)},endpoint="${label(p.endpoint ?? '')}",allowed_ips="${label((allowedIPs?.get(p.publicKey) ?? []).join(','))}",name=""`,
      1,
    ]),
  );
  family(
    out,
    'wireguard_peer_receive_bytes_total',
    'counter',
    'Number of bytes received from a given peer.',
    peers.map((p) => [peerLabels(p), p.rxBytes]),
  );
  family(
    out,
    'wireguard_peer_transmit_bytes_total',
    'counter',
    'Number of bytes transmitted to a given peer.',
    peers.map((p) => [peerLabels(p), p.txBytes]),
  );
  family(
    out,
    'wireguard_peer_last_handshake_seconds',
    'gauge',
    'UNIX timestamp for the last handshake with a given peer (0: none).',
    peers.map((p) => [peerLabels(p), p.lastHandshake ? Math.floor(p.lastHandshake.getTime() / 1000) : 0]),
  );
  family(
    out,
    'lanrage_peer_handshake_age_seconds',
    'gauge',
    'Seconds since the last handshake with a given peer (peers that never completed one are absent).',
    peers.filter((p) => p.lastHandshake).map((p) => [peerLabels(p), Math.max(0, Math.floor((now - (p.lastHandshake as Date).getTime()) / 1000))]),
  );
  family(
    out,
    'lanrage_peer_up',
    'gauge',
    `1 when a given peer completed a handshake within the last ${ONLINE_WITHIN_MS / 1000} s (not stale), else 0.`,
    peers.map((p) => [peerLabels(p), p.lastHandshake && now - p.lastHandshake.getTime() <= ONLINE_WITHIN_MS ? 1 : 0]),
  );
  family(out, 'lanrage_device_peers', 'gauge', 'Number of peers on a device.', [[d, peers.length]]);
  family(out, 'lanrage_scrape_duration_seconds', 'gauge', 'Time the read of a device took.', [[d, scrapeSeconds.toFixed(6)]]);
  return `${out.join('\n')}\n`;
}

/** One read of the device rendered as the exposition. */
async function scrape(manager: NetworkManager, keysDir: string, withAllowedIps: boolean): Promise<string> {
  const started = performance.now();
  let peers: PeerStats[];
  let allowed: Map<string, string[]> | null = null;
  let publicKey: string | null = null;
  if (withAllowedIps) {
    const dev: DeviceStatus = await manager.getDevice();
    peers = dev.peers.map(statsOf);
    allowed = new Map(dev.peers.map((p) => [p.publicKey.toBase64(), p.allowedIPs]));
    publicKey = dev.publicKey?.toBase64() ?? null;
    dev.privateKey?.wipe();
    for (const p of dev.peers) p.presharedKey?.wipe();
  } else {
    peers = await readPeerStats(manager.backend, manager.interfaceName);
    publicKey = await loadKeyFile(join(keysDir, PUBLIC_KEY_FILE), 'public')
      .then((k) => k.toBase64())
      .catch(() => null); // an interface lanrage did not bring up: the label stays empty
  }
  return renderMetrics(manager.interfaceName, publicKey, peers, allowed, Date.now(), (performance.now() - started) / 1000);
}

/** `lanrage metrics`: prints the exposition once. */
export async function metrics(ctx: CliContext, opts: MetricsOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'metrics');
  let text: string;
  try {
    text = await scrape(manager, manager.config.keysDir, opts.withAllowedIps === true);
  } finally {
    await manager.close();
  }
  ctx.io.stdout(text);
  return ExitCode.OK;
}

export interface ExporterOptions extends MetricsOptions {
  /** host:port to serve on (default 127.0.0.1:9586, the wgctrl exporter's port). */
  listen?: string;
}

/**
 * `lanrage exporter`: serves `/metrics` (the exposition, read when scraped; scrapes that
 * arrive while a read is running share it) and `/healthz` until SIGINT or SIGTERM, then
 * closes cleanly (exit 0). A failed read answers 503 with the error's code and counts in
 * `lanrage_exporter_errors_total`.
 */
export async function exporter(ctx: CliContext, opts: ExporterOptions): Promise<ExitCode> {
  const listen = opts.listen ?? '127.0.0.1:9586';
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):([0-9]{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535)
    throw new LanrageError('INVALID_ARGUMENT', `--listen takes host:port (e.g. 127.0.0.1:9586), not '${listen.slice(0, 60)}'`);
  const host = (m[1] ?? m[2]) as string;
  const manager = await createManager(ctx, opts, 'exporter');
  let errors = 0;
  let inFlight: Promise<string> | null = null;
  const read = () => {
    inFlight ??= scrape(manager, manager.config.keysDir, opts.withAllowedIps === true).finally(() => {
      inFlight = null;
    });
    return inFlight;
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
      (text) => {
        const body = `${text}# HELP lanrage_exporter_errors_total Scrapes that failed to read the device.\n# TYPE lanrage_exporter_errors_total counter\nlanrage_exporter_errors_total ${errors}\n`;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
      },
      (err: unknown) => {
        errors++;
        const code = (err as { code?: string })?.code ?? 'INTERNAL';
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`lanrage exporter: ${code}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new LanrageError('PORT_IN_USE', `${listen} is already in use`) : err),
    );
    server.listen(port, host, () => resolve());
  });
  ctx.io.stderr(`serving http://${listen}/metrics for ${manager.interfaceName} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections?.();
  await manager.close();
  return ExitCode.OK;
}
