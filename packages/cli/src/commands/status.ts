import type { InterfaceStatus, PeerSummary } from '@lanrage/core';
import { LanrageError } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { type Colors, colorsFor } from '../output/color.js';
import { reportError } from '../output/errors.js';
import { ago, bytes, SCHEMA_VERSION, toJson } from '../output/format.js';
import { readPeerNames } from '../peer-names.js';

/** A peer as status shows it: the core summary plus the operator's name for it (null: none). */
type NamedPeer = PeerSummary & { name?: string | null };

function renderPeer(p: NamedPeer, c: Colors): string {
  const lines = [`${c.bold(c.yellow('peer'))}: ${c.yellow(p.publicKey)}`];
  if (p.name) lines.push(`  name: ${JSON.stringify(p.name).slice(1, -1)}`);
  if (p.hasPresharedKey) lines.push('  preshared key: (hidden)');
  if (p.endpoint) lines.push(`  endpoint: ${p.endpoint}`);
  lines.push(`  allowed ips: ${p.allowedIPs.length > 0 ? p.allowedIPs.join(', ') : '(none)'}`);
  lines.push(`  latest handshake: ${ago(p.lastHandshake)}`);
  if (p.rxBytes !== '0' || p.txBytes !== '0') lines.push(`  transfer: ${bytes(p.rxBytes)} received, ${bytes(p.txBytes)} sent`);
  if (p.persistentKeepalive > 0) lines.push(`  persistent keepalive: every ${p.persistentKeepalive} seconds`);
  return lines.join('\n');
}

export function renderStatus(s: Extract<InterfaceStatus, { state: 'active' }>, c: Colors, peersOnly = false): string {
  const blocks: string[] = [];
  if (!peersOnly) {
    const head = [`${c.bold(c.green('interface'))}: ${c.green(s.interface)}`, `  backend: ${s.backend}`];
    if (s.publicKey) head.push(`  public key: ${s.publicKey}`);
    head.push(`  listening port: ${s.listenPort}`);
    if (s.fwmark) head.push(`  fwmark: 0x${s.fwmark.toString(16)}`);
    if (s.addresses) head.push(`  address: ${s.addresses.length > 0 ? s.addresses.join(', ') : '(none)'}`);
    blocks.push(head.join('\n'));
  }
  // Most recent handshake first, as wg orders them.
  const peers = [...s.peers].sort((a, b) => (b.lastHandshake ?? '').localeCompare(a.lastHandshake ?? ''));
  for (const p of peers) blocks.push(renderPeer(p, c));
  return blocks.length > 0 ? `${blocks.join('\n\n')}\n` : '';
}

/** `lanrage status` / `lanrage peers`: exits 3 when the interface is not up. */
export async function status(ctx: CliContext, opts: GlobalOptions, peersOnly = false): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, peersOnly ? 'peers' : 'status');
  try {
    const found = await manager.getInterfaceStatus();
    const names = found.state === 'active' ? await readPeerNames(manager.config.configDir, manager.interfaceName) : new Map<string, string>();
    const s = found.state === 'active' ? { ...found, peers: found.peers.map((p) => ({ ...p, name: names.get(p.publicKey) ?? null })) } : found;
    if (s.state === 'error') {
      return reportError(ctx.io, new LanrageError(s.error.code as never, s.error.message, { remedy: s.error.remedy }), opts.json === true);
    }
    if (opts.json) {
      const doc = peersOnly && s.state === 'active' ? { interface: s.interface, peers: s.peers } : s;
      ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, ...doc }));
    } else if (s.state === 'not_created') {
      ctx.io.stderr(`lanrage: ${s.interface} is not up\nhint: run \`lanrage up\`\n`);
    } else {
      ctx.io.stdout(renderStatus(s, colorsFor(ctx.io, 'stdout'), peersOnly));
    }
    return s.state === 'active' ? ExitCode.OK : ExitCode.NOT_UP;
  } finally {
    await manager.close();
  }
}
