import { type Key, LanrageError, loadKeyFile, type NetworkManager, parseKeyFile, type UpdatePeerOptions } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';

export interface PeerOptions extends GlobalOptions {
  endpoint?: string;
  allowedIps?: string;
  keepalive?: string;
  presharedKeyFile?: string;
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
    const input = await ctx.io.readStdin();
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

/**
 * The shared body of `peer add` and `peer set`: reads the options (the preshared key from its
 * file), runs `change` with the update, and wipes the key afterwards.
 */
async function changePeer(
  ctx: CliContext,
  publicKey: string,
  opts: PeerOptions,
  action: 'add' | 'set',
  change: (manager: NetworkManager, update: UpdatePeerOptions) => Promise<void>,
): Promise<ExitCode> {
  const psk = await readPsk(ctx, opts.presharedKeyFile);
  const ka = keepalive(opts.keepalive);
  const allowed = splitList(opts.allowedIps);
  const manager = await createManager(ctx, opts);
  try {
    await change(manager, {
      publicKey,
      ...(allowed !== undefined ? { allowedIPs: allowed } : {}),
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
      ...(ka !== undefined ? { persistentKeepalive: ka } : {}),
      ...(psk ? { presharedKey: psk } : {}),
    });
  } finally {
    psk?.wipe();
    await manager.close();
  }
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, action, publicKey }));
  else ctx.io.stderr(`peer ${publicKey} ${action === 'add' ? 'added to' : 'updated on'} ${manager.interfaceName}\n`);
  return ExitCode.OK;
}

/** `lanrage peer add <key>`: add (or update in place) a peer. */
export function peerAdd(ctx: CliContext, publicKey: string, opts: PeerOptions): Promise<ExitCode> {
  return changePeer(ctx, publicKey, opts, 'add', (m, u) => m.addPeer({ ...u, allowedIPs: u.allowedIPs ?? [] }));
}

/** `lanrage peer set <key>`: change an existing peer in place (update-only; the session survives). */
export function peerSet(ctx: CliContext, publicKey: string, opts: PeerOptions): Promise<ExitCode> {
  return changePeer(ctx, publicKey, opts, 'set', (m, u) => m.updatePeer(u));
}

/** `lanrage peer remove <key>`: idempotent. */
export async function peerRemove(ctx: CliContext, publicKey: string, opts: GlobalOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts);
  try {
    await manager.removePeer(publicKey);
  } finally {
    await manager.close();
  }
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, action: 'remove', publicKey }));
  else ctx.io.stderr(`peer ${publicKey} removed from ${manager.interfaceName}\n`);
  return ExitCode.OK;
}
