import { isLanrageError, Key, LanrageError, loadKeyFile, normalizeAllowedIPs, type PeerStatus, parseKeyFile, type UpdatePeerOptions } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager, holdInterface } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { checkName, setPeerName } from '../peer-names.js';

/** A key on standard input is 44 characters and a newline; allow generous whitespace, never unbounded input. */
const STDIN_KEY_BYTES = 4096;

import { colorsFor } from '../output/color.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';
import { withProgress } from '../output/progress.js';

export interface PeerOptions extends GlobalOptions {
  endpoint?: string;
  allowedIps?: string;
  keepalive?: string;
  presharedKeyFile?: string;
  /** A name for the peer (status, watch and the metrics' name label show it). */
  name?: string;
}

function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A preshared key comes only from a file (or `-` for stdin), never from argv or env (K12). */
async function readPsk(ctx: CliContext, path: string | undefined): Promise<Key | undefined> {
  if (path === undefined) return undefined;
  if (path === '-') {
    const input = await ctx.io.readStdin(STDIN_KEY_BYTES);
    try {
      return parseKeyFile(input, 'preshared', 'standard input');
    } finally {
      input.fill(0);
    }
  }
  return loadKeyFile(path, 'preshared');
}

function keepalive(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return 0;
  if (!/^[0-9]+$/.test(value)) throw new LanrageError('INVALID_KEEPALIVE', 'persistent keepalive must be a number of seconds or off');
  return Number(value);
}

/** The fields `peer add` was given, described as they differ from the peer's current ones (never key material). */
function describeChanges(before: PeerStatus, u: UpdatePeerOptions): string[] {
  const out: string[] = [];
  if (u.endpoint !== undefined && u.endpoint !== before.endpoint) out.push(`endpoint ${before.endpoint ?? '(none)'} → ${u.endpoint}`);
  if (u.allowedIPs !== undefined) {
    const was = before.allowedIPs.join(',') || '(none)';
    const now = u.allowedIPs.join(',') || '(none)';
    if (was !== now) out.push(`allowed IPs ${was} → ${now}`);
  }
  if (u.persistentKeepalive !== undefined && u.persistentKeepalive !== before.persistentKeepalive) {
    out.push(`persistent keepalive ${before.persistentKeepalive || 'off'} → ${u.persistentKeepalive || 'off'}`);
  }
  if (u.presharedKey !== undefined) out.push('preshared key (set)');
  return out;
}

export interface PeerAddOptions extends PeerOptions {
  /** Replace the whole peer (fields not given are reset) instead of changing only those given. */
  replace?: boolean;
}

/**
 * `lanrage peer add <key>`, with `wg set` semantics: a new peer is created (keepalive from the
 * config unless given); an existing one changes only the fields given, keeping its session
 * and everything else. `--replace` makes the peer exactly what was given. Warns when the peer
 * ends with no allowed IPs (it can then receive nothing).
 */
export async function peerAdd(ctx: CliContext, publicKey: string, opts: PeerAddOptions): Promise<ExitCode> {
  const name = opts.name === undefined ? undefined : checkName(opts.name);
  const psk = await readPsk(ctx, opts.presharedKeyFile);
  const ka = keepalive(opts.keepalive);
  const allowed = splitList(opts.allowedIps);
  const manager = await createManager(ctx, opts, 'peer add');
  const release = await holdInterface(ctx, manager);
  const update: UpdatePeerOptions = {
    publicKey,
    ...(allowed !== undefined ? { allowedIPs: allowed } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(ka !== undefined ? { persistentKeepalive: ka } : {}),
    ...(psk ? { presharedKey: psk } : {}),
  };
  let action: 'add' | 'update' | 'replace' | 'unchanged';
  let changes: string[] = [];
  let allowedAfter: string[] = [];
  const moved: string[] = [];
  try {
    const key = Key.from(publicKey, 'public', 'public key of the peer').toBase64();
    const device = await manager.getDevice();
    const before = device.peers.find((p) => p.publicKey.toBase64() === key);
    // A3: an allowed IP another peer holds moves to this one (the kernel does it silently).
    if (allowed !== undefined) {
      const wanted = new Set(normalizeAllowedIPs(allowed).map((c) => c.text));
      for (const p of device.peers) {
        const other = p.publicKey.toBase64();
        if (other === key) continue;
        for (const ip of p.allowedIPs) if (wanted.has(ip)) moved.push(`allowed IP ${ip} moves from peer ${other} to this one`);
      }
    }
    if (before && !opts.replace) {
      changes = describeChanges(before, update);
      action = changes.length > 0 ? 'update' : 'unchanged';
      allowedAfter = update.allowedIPs ?? before.allowedIPs;
      try {
        if (action === 'update') await withProgress(ctx.io, waitText(update.endpoint, manager.interfaceName), manager.updatePeer(update));
      } catch (err) {
        if (!isLanrageError(err, 'PEER_NOT_FOUND')) throw err;
        action = 'add'; // removed meanwhile: create it with what was given
      }
    } else action = before ? 'replace' : 'add';
    if (action === 'add' || action === 'replace') {
      await withProgress(ctx.io, waitText(update.endpoint, manager.interfaceName), manager.addPeer({ ...update, allowedIPs: allowed ?? [] }));
      allowedAfter = allowed ?? [];
    }
    if (name !== undefined) await setPeerName(manager.config.configDir, manager.interfaceName, key, name);
  } finally {
    psk?.wipe();
    try {
      await manager.close();
    } finally {
      await release();
    }
  }
  const warnings = [
    ...moved,
    ...(allowedAfter.length === 0 ? [`peer ${publicKey} has no allowed IPs: it can receive nothing and nothing is routed to it (give some with -a)`] : []),
  ];
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, action, publicKey, changes, warnings }));
  else {
    const what = { add: 'added to', update: 'updated on', replace: 'replaced on', unchanged: 'unchanged on' }[action];
    ctx.io.stderr(`peer ${publicKey} ${what} ${manager.interfaceName}${changes.length > 0 ? `: ${changes.join('; ')}` : ''}\n`);
    const c = colorsFor(ctx.io, 'stderr');
    for (const w of warnings) ctx.io.stderr(`${c.yellow('warning:')} ${w}\n`);
  }
  return ExitCode.OK;
}

/** `lanrage peer set <key>`: change an existing peer in place (update-only; the session survives). */
/** What a slow peer change waits for: a host name's lookup, or the interface (another lanrage holding it). */
function waitText(endpoint: string | undefined, iface: string): string {
  const host = endpoint?.match(/^([^[\]:]+):\d+$/)?.[1];
  return host && !/^[0-9.]+$/.test(host) ? `resolving ${host} for the peer's endpoint` : `changing the peer on ${iface}`;
}

export async function peerSet(ctx: CliContext, publicKey: string, opts: PeerOptions): Promise<ExitCode> {
  const name = opts.name === undefined ? undefined : checkName(opts.name);
  const psk = await readPsk(ctx, opts.presharedKeyFile);
  const ka = keepalive(opts.keepalive);
  const allowed = splitList(opts.allowedIps);
  const manager = await createManager(ctx, opts, 'peer set');
  const release = await holdInterface(ctx, manager);
  try {
    await withProgress(
      ctx.io,
      waitText(opts.endpoint, manager.interfaceName),
      manager.updatePeer({
        publicKey,
        ...(allowed !== undefined ? { allowedIPs: allowed } : {}),
        ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
        ...(ka !== undefined ? { persistentKeepalive: ka } : {}),
        ...(psk ? { presharedKey: psk } : {}),
      }),
    );
    if (name !== undefined) await setPeerName(manager.config.configDir, manager.interfaceName, Key.from(publicKey).toBase64(), name);
  } finally {
    psk?.wipe();
    try {
      await manager.close();
    } finally {
      await release();
    }
  }
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, action: 'set', publicKey }));
  else ctx.io.stderr(`peer ${publicKey} updated on ${manager.interfaceName}\n`);
  return ExitCode.OK;
}

/** `lanrage peer remove <key>`: idempotent. */
export async function peerRemove(ctx: CliContext, publicKey: string, opts: GlobalOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'peer remove');
  const release = await holdInterface(ctx, manager);
  try {
    await manager.removePeer(publicKey);
    await setPeerName(manager.config.configDir, manager.interfaceName, Key.from(publicKey).toBase64(), null);
  } finally {
    try {
      await manager.close();
    } finally {
      await release();
    }
  }
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, action: 'remove', publicKey }));
  else ctx.io.stderr(`peer ${publicKey} removed from ${manager.interfaceName}\n`);
  return ExitCode.OK;
}
