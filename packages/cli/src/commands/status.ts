import { type InterfaceStatus, isValidKey, LanrageError, type PeerSummary, readInterfaceStatus } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { type Colors, colorsFor } from '../output/color.js';
import { reportError } from '../output/errors.js';
import { ago, bytes, SCHEMA_VERSION, toJson } from '../output/format.js';
import { readPeerNames } from '../peer-names.js';

/** A peer as status shows it: the core summary plus the operator's name for it (null: none). */
type NamedPeer = PeerSummary & { name: string | null };
type Readable = Extract<InterfaceStatus, { state: 'active' | 'degraded' }>;
type Active = Omit<Readable, 'peers'> & { peers: NamedPeer[] };

function printable(name: string): string {
  return JSON.stringify(name).slice(1, -1);
}

function renderPeer(p: NamedPeer, c: Colors): string {
  const lines = [`${c.bold(c.yellow('peer'))}: ${c.yellow(p.publicKey)}`];
  if (p.name) lines.push(`  name: ${printable(p.name)}`);
  if (p.hasPresharedKey) lines.push('  preshared key: (hidden)');
  if (p.endpoint) lines.push(`  endpoint: ${p.endpoint}`);
  lines.push(`  allowed ips: ${p.allowedIPs.length > 0 ? p.allowedIPs.join(', ') : '(none)'}`);
  lines.push(`  latest handshake: ${ago(p.lastHandshake)}`);
  if (p.rxBytes !== '0' || p.txBytes !== '0') lines.push(`  transfer: ${bytes(p.rxBytes)} received, ${bytes(p.txBytes)} sent`);
  if (p.persistentKeepalive > 0) lines.push(`  persistent keepalive: every ${p.persistentKeepalive} seconds`);
  return lines.join('\n');
}

/** Most recent handshake first, as wg orders them. */
function byHandshake(peers: readonly NamedPeer[]): NamedPeer[] {
  return [...peers].sort((a, b) => (b.lastHandshake ?? '').localeCompare(a.lastHandshake ?? ''));
}

export function renderStatus(s: Active, c: Colors): string {
  const head = [`${c.bold(c.green('interface'))}: ${c.green(s.interface)}`, `  backend: ${s.backend}`];
  if (s.publicKey) head.push(`  public key: ${s.publicKey}`);
  head.push(`  listening port: ${s.listenPort}`);
  if (s.fwmark) head.push(`  fwmark: 0x${s.fwmark.toString(16)}`);
  if (s.addresses) head.push(`  address: ${s.addresses.length > 0 ? s.addresses.join(', ') : '(none)'}`);
  if (s.mtu !== null) head.push(`  mtu: ${s.mtu}`);
  if (s.linkUp === false) head.push(`  link: ${c.red('down')}`);
  if (s.state === 'degraded') {
    head.push(`  state: ${c.red('degraded')}`);
    for (const r of s.reasons) head.push(`    ${r.message} (${r.remedy})`);
  }
  return `${[head.join('\n'), ...byHandshake(s.peers).map((p) => renderPeer(p, c))].join('\n\n')}\n`;
}

/**
 * One line a peer, like `tailscale status`: name (or the key's start), endpoint, handshake
 * age, transfer, and online (a handshake within 180 s) or stale.
 */
export function renderPeerTable(s: Active, c: Colors): string {
  const rows = byHandshake(s.peers).map((p) => [
    p.name ? printable(p.name) : `${p.publicKey.slice(0, 10)}…`,
    p.allowedIPs[0] ?? '-',
    p.endpoint ?? '-',
    p.handshakeAgeSeconds === null ? 'never' : `${shortAge(p.handshakeAgeSeconds)} ago`,
    `rx ${bytes(p.rxBytes)}`,
    `tx ${bytes(p.txBytes)}`,
    p.online ? 'online' : p.lastHandshake ? 'stale' : 'offline',
  ]);
  if (rows.length === 0) return `${s.interface}: no peers\n`;
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const color = (state: string) => (state === 'online' ? c.green(state) : c.yellow(state));
  return `${rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? color(cell) : cell.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** "4s", "3m", "2h", "5d": the compact age of the peer table. */
function shortAge(secs: number): string {
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m`;
  if (secs < 86400) return `${Math.floor(secs / 3600)}h`;
  return `${Math.floor(secs / 86400)}d`;
}

/** active 0; degraded 1 (it exists but cannot work as it is); not up 3. */
function exitFor(state: InterfaceStatus['state']): ExitCode {
  return state === 'active' ? ExitCode.OK : state === 'not_created' ? ExitCode.NOT_UP : ExitCode.FAILED;
}

/** Reads one interface with its peers' names. */
async function readNamed(manager: Awaited<ReturnType<typeof createManager>>, name: string): Promise<Exclude<InterfaceStatus, Readable> | Active> {
  const found = await readInterfaceStatus(manager.backend, name);
  if (found.state === 'not_created' || found.state === 'error') return found;
  const names = await readPeerNames(manager.config.configDir, name);
  return { ...found, peers: found.peers.map((p) => ({ ...p, name: names.get(p.publicKey) ?? null })) };
}

/** Whether the user named one interface (-i or LANRAGE_INTERFACE); else status shows them all, as `wg show` does. */
function namedOne(ctx: CliContext, opts: GlobalOptions): boolean {
  const env = ctx.io.env.LANRAGE_INTERFACE;
  return opts.interface !== undefined || (env !== undefined && env !== ''); // empty = unset, as loadConfig reads it
}

function errorOf(s: Extract<InterfaceStatus, { state: 'error' }>): LanrageError {
  return new LanrageError(s.error.code as never, s.error.message, { remedy: s.error.remedy });
}

/**
 * `lanrage status`: the named interface (-i), or every WireGuard interface when none is named;
 * exits 3 when it (or every one) is not up. `lanrage peers`: the named (or configured)
 * interface's peers, one line each.
 */
export async function status(ctx: CliContext, opts: GlobalOptions, peersOnly = false): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, peersOnly ? 'peers' : 'status');
  try {
    if (!peersOnly && !namedOne(ctx, opts)) return await statusAll(ctx, opts, manager);
    const s = await readNamed(manager, manager.interfaceName);
    if (s.state === 'error') return reportError(ctx.io, errorOf(s), opts.json === true);
    if (opts.json) {
      const doc = peersOnly && s.state !== 'not_created' ? { interface: s.interface, capturedAt: s.capturedAt, peers: s.peers } : s;
      ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, ...doc }));
    } else if (s.state === 'not_created') {
      ctx.io.stderr(
        `lanrage: ${s.interface} is not up\nhint: run \`lanrage up\`${opts.interface === undefined ? ' (or name another interface with -i)' : ''}\n`,
      );
    } else {
      const c = colorsFor(ctx.io, 'stdout');
      ctx.io.stdout(peersOnly ? renderPeerTable(s as Active, c) : renderStatus(s as Active, c));
    }
    return exitFor(s.state);
  } finally {
    await manager.close();
  }
}

async function statusAll(ctx: CliContext, opts: GlobalOptions, manager: Awaited<ReturnType<typeof createManager>>): Promise<ExitCode> {
  const names = await manager.backend.listDevices();
  const all = await Promise.all(names.map((n) => readNamed(manager, n)));
  const shown = all.filter((s) => s.state !== 'not_created');
  if (opts.json) {
    ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, interfaces: shown }));
  } else if (shown.length === 0) {
    ctx.io.stderr(`lanrage: no WireGuard interface is up (${manager.backend.kind} backend)\nhint: run \`lanrage up\`\n`);
  } else {
    const c = colorsFor(ctx.io, 'stdout');
    const blocks = shown.map((s) =>
      s.state !== 'error' ? renderStatus(s as Active, c) : `${c.bold(c.red('interface'))}: ${s.interface}\n  error: ${errorOf(s as never).message}\n`,
    );
    ctx.io.stdout(blocks.join('\n'));
  }
  if (shown.length === 0) return ExitCode.NOT_UP;
  return shown.every((s) => s.state === 'active') ? ExitCode.OK : ExitCode.FAILED;
}

/** `lanrage peer show <key|name>`: one peer, found by its public key or its name. */
export async function peerShow(ctx: CliContext, which: string, opts: GlobalOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'peer show');
  try {
    const s = await readNamed(manager, manager.interfaceName);
    if (s.state === 'error') return reportError(ctx.io, errorOf(s), opts.json === true);
    if (s.state === 'not_created') return reportError(ctx.io, new LanrageError('INTERFACE_NOT_FOUND', `${s.interface} is not up`), opts.json === true);
    const peers = (s as Active).peers;
    const found = isValidKey(which) ? peers.find((p) => p.publicKey === which) : peers.find((p) => p.name === which);
    if (!found) {
      throw new LanrageError('PEER_NOT_FOUND', `${s.interface} has no peer ${isValidKey(which) ? which : `named "${printable(which).slice(0, 64)}"`}`, {
        remedy: 'lanrage peers lists the peers with their names; give a public key or one of those names.',
      });
    }
    if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, interface: s.interface, capturedAt: (s as Active).capturedAt, peer: found }));
    else
      ctx.io.stdout(
        `${renderPeer(found, colorsFor(ctx.io, 'stdout'))}\n  status: ${found.online ? 'online' : found.lastHandshake ? 'stale' : 'never connected'}\n`,
      );
    return ExitCode.OK;
  } finally {
    await manager.close();
  }
}
