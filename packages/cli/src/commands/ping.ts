import { isIP } from 'node:net';
import { type DeviceStatus, LanrageError, type NetworkManager } from '@lanrage/core';
import { cidrContains, parseAllowedIP } from '@lanrage/core/backend';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';

export interface PingOptions extends GlobalOptions {
  count?: string;
  /** Milliseconds to wait for each reply (the global --timeout, in seconds, bounds waits on the interface). */
  wait?: string;
}

/** The argument as typed when it is short printable ASCII, else a placeholder (never echo junk to a terminal). */
function printable(value: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(value) ? value : 'the given value';
}

function positive(value: string | undefined, def: number, max: number, what: string): number {
  if (value === undefined) return def;
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > max) throw new LanrageError('INVALID_ARGUMENT', `${what} must be a whole number from 1 to ${max}`);
  return Number(value);
}

/** `lanrage ping <ip>`: one line per probe and a summary; exits 1 when no probe was answered. */
export async function ping(ctx: CliContext, ip: string, opts: PingOptions): Promise<ExitCode> {
  const count = positive(opts.count, 4, 10_000, '--count');
  const timeout = positive(opts.wait, 2000, 60_000, '-W/--wait');
  if (!isIP(ip)) throw new LanrageError('INVALID_ARGUMENT', `ping needs the peer's IP address (e.g. 10.66.0.2), not '${printable(ip)}'`);
  const manager = await createManager(ctx, opts, 'ping', false);
  const rtts: (number | null)[] = [];
  let hint: string | null = null;
  try {
    for (let seq = 1; seq <= count; seq++) {
      const started = Date.now();
      const ms = await manager.measureLatency(ip, timeout);
      rtts.push(ms);
      if (!opts.json)
        ctx.io.stdout(
          ms === null ? `no reply from ${ip}: seq=${seq} timeout after ${timeout} ms\n` : `reply from ${ip}: seq=${seq} time=${ms.toFixed(3)} ms\n`,
        );
      const wait = 1000 - (Date.now() - started);
      if (seq < count && wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (rtts.every((r) => r === null)) hint = await whyNoReply(manager, ip);
  } finally {
    await manager.close();
  }
  const ok = rtts.filter((r): r is number => r !== null);
  const summary = {
    ip,
    sent: count,
    received: ok.length,
    lossPercent: Math.round(((count - ok.length) / count) * 1000) / 10,
    minMs: ok.length ? Math.min(...ok) : null,
    avgMs: ok.length ? Math.round((ok.reduce((a, b) => a + b, 0) / ok.length) * 1000) / 1000 : null,
    maxMs: ok.length ? Math.max(...ok) : null,
  };
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, ...summary, probes: rtts, ...(hint ? { hint } : {}) }));
  else {
    ctx.io.stdout(
      `--- ${ip} ---\n${summary.sent} probes, ${summary.received} replies, ${summary.lossPercent}% loss${ok.length ? `, rtt min/avg/max ${summary.minMs}/${summary.avgMs}/${summary.maxMs} ms` : ''}\n`,
    );
    if (hint) ctx.io.stderr(`hint: ${hint}\n`);
  }
  return ok.length > 0 ? ExitCode.OK : ExitCode.FAILED;
}

/**
 * Why nothing answered, when the interface can tell: it is not up, or no peer's allowed IPs
 * cover the address (WireGuard then has nowhere to send the probe). Null when a peer does.
 */
async function whyNoReply(manager: NetworkManager, ip: string): Promise<string | null> {
  const name = manager.interfaceName;
  let dev: DeviceStatus;
  try {
    dev = await manager.getDevice();
  } catch {
    return `${name} is not up (run \`lanrage up\`), so nothing routes ${ip} through the tunnel`;
  }
  dev.privateKey?.wipe();
  const target = parseAllowedIP(`${ip}/${ip.includes(':') ? 128 : 32}`).cidr;
  const covered = dev.peers.some((p) => p.allowedIPs.some((a) => cidrContains(parseAllowedIP(a).cidr, target)));
  for (const p of dev.peers) p.presharedKey?.wipe();
  return covered
    ? null
    : `no peer on ${name} has an allowed IP covering ${ip}: the probe had nowhere to go (add ${ip}/${ip.includes(':') ? 128 : 32} to that peer's allowed IPs: \`lanrage peer set <key> -a <its IPs>,${ip}/${ip.includes(':') ? 128 : 32}\`)`;
}
