import { type LanrageError, PeerWatcher, readPeerStats } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { readPeerNames } from '../peer-names.js';
import { untilSignal } from '../signals.js';
import { latencyProberFor, probeIntervalMs } from './probe-targets.js';
import { seconds } from './watch-options.js';

export interface WatchOptions extends GlobalOptions {
  /** Seconds between polls (default 2). */
  interval?: string;
  /** Seconds without a handshake or received bytes before a peer is stale (default 180). */
  staleAfter?: string;
  /** Probe every peer's tunnel address this often (seconds) and print `latency` events; off when not given. */
  probeLatency?: string;
}

/** One event as a line: `time type peer fields…` for people, one JSON object with --json. */
function line(json: boolean, iface: string, type: string, publicKey: string, name: string | null, fields: Record<string, unknown>, time: Date): string {
  if (json) return `${JSON.stringify({ type, interface: iface, publicKey, name, time: time.toISOString(), ...fields })}\n`;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : v === null ? '(none)' : String(v)}`)
    .join(' ');
  const who = name === null ? publicKey : `${JSON.stringify(name)} (${publicKey})`;
  return `${time.toISOString()} ${type.padEnd(16)} ${who}${rest ? ` ${rest}` : ''}\n`;
}

/**
 * `lanrage watch`: polls the interface's stats (the fast path, no allowed IPs) and prints the
 * watcher's events as they happen (handshake, endpoint-changed, stale, recovered) until SIGINT
 * or SIGTERM, then exits 0. The first poll is the baseline: it prints nothing for handshakes
 * that happened before the command started.
 */
export async function watch(ctx: CliContext, opts: WatchOptions): Promise<ExitCode> {
  const intervalMs = seconds(opts.interval, 2, 0.1, 3600, '--interval') * 1000;
  const staleAfterMs = seconds(opts.staleAfter, 180, 1, 86_400, '--stale-after') * 1000;
  const probeMs = probeIntervalMs(opts.probeLatency);
  const manager = await createManager(ctx, opts, 'watch');
  const json = opts.json === true;
  const iface = manager.interfaceName;
  try {
    // The baseline read: an interface that is not up fails here (exit 3), not in a loop.
    const baseline = await readPeerStats(manager.backend, iface);
    const watcher = new PeerWatcher(manager.backend, iface, { intervalMs, staleAfterMs });
    let names = await readPeerNames(manager.config.configDir, iface);
    const print = (type: string, publicKey: string, fields: Record<string, unknown>) =>
      ctx.io.stdout(line(json, iface, type, publicKey, names.get(publicKey) ?? null, fields, new Date()));
    // Names given while watching show up from the next poll on.
    watcher.on('polled', () => {
      readPeerNames(manager.config.configDir, iface).then(
        (n) => {
          names = n;
        },
        () => {},
      );
    });
    watcher.on('handshake', ({ publicKey, at }) => print('handshake', publicKey, { at }));
    watcher.on('endpoint-changed', ({ publicKey, from, to }) => print('endpoint-changed', publicKey, { from, to }));
    watcher.on('stale', ({ publicKey, lastHandshake, silentForMs }) =>
      print('stale', publicKey, { lastHandshake, silentForSeconds: Math.round(silentForMs / 1000) }),
    );
    watcher.on('recovered', ({ publicKey, staleForMs }) => print('recovered', publicKey, { staleForSeconds: Math.round(staleForMs / 1000) }));
    watcher.on('error', (err) => {
      const code = (err as LanrageError).code ?? 'INTERNAL';
      if (json) ctx.io.stderr(`${JSON.stringify({ type: 'error', interface: iface, time: new Date().toISOString(), code, message: err.message })}\n`);
      else ctx.io.stderr(`lanrage: ${iface}: ${err.message} (watching goes on)\n`);
    });
    if (!json && ctx.io.stderrIsTTY) ctx.io.stderr(`watching ${iface} every ${intervalMs / 1000} s (Ctrl-C to stop)\n`);
    const prober = latencyProberFor(manager, probeMs);
    prober?.on('latency', ({ publicKey, address, rttMs }) => print('latency', publicKey, { address, rttMs }));
    await watcher.observe(baseline);
    watcher.start();
    prober?.start();
    await untilSignal();
    watcher.stop();
    prober?.stop();
    return ExitCode.OK;
  } finally {
    await manager.close();
  }
}
