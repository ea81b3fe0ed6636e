import { rm } from 'node:fs/promises';
import type { DesiredDevice, DesiredPeer } from '../apply/plan.js';
import { LanrageError } from '../errors.js';
import { TimeSlicer } from '../event-loop/time-slicer.js';
import { Key } from '../keys/key.js';
import { type NormalizedPeer, normalizePeer } from '../normalize.js';
import { jsonErrorPosition, readRegularFile } from '../platform/read-file.js';
import { replaceFileAtomically } from '../platform/write-file.js';
import type { PeerStatus } from '../types.js';
import { parseIp } from '../validation/ip.js';
import { validateListenPort, validateMtu } from '../validation/numbers.js';
import { ShardedMap } from './sharded-map.js';

export const STATE_VERSION = 1;
/** 100,000 peers with a few prefixes each are ~25 MB; anything near this is not ours. */
const MAX_STATE_BYTES = 256 * 1024 * 1024;

/** Settings given to `initialize` (`lanrage up --listen-port/--mtu/--address`), kept until given again. */
export interface InterfaceSettings {
  listenPort?: number;
  mtu?: number;
  /** This node's address inside the virtual subnet, without a prefix. */
  address?: string;
}

/** One peer as the state file keeps it. */
export interface SavedPeer {
  publicKey: string;
  /** The endpoint it was given or last roamed to; null when it never had one. */
  endpoint: string | null;
  allowedIPs: string[];
  persistentKeepalive: number;
  /** Base64, only for a peer that has one (the file is 0600, like a wg-quick file with SaveConfig). */
  presharedKey?: string;
}

/** The state file: `{"version":1,"interface":…,"savedAt":…,"settings":{…},"peers":[…]}`. */
export interface SavedState {
  version: typeof STATE_VERSION;
  interface: string;
  savedAt: string;
  settings: InterfaceSettings;
  peers: SavedPeer[];
}

/** Per peer, what the manager's index does not keep (its allowed IPs are the index's). */
interface Held {
  endpoint: string | null;
  keepalive: number;
  psk: Key | null;
}

/**
 * The durable copy of an interface's peers and settings that a NetworkManager with a
 * `statePath` keeps, so that `initialize` after a reboot, a `down` or a dead wireguard-go
 * brings the peers back. It mirrors each operation as the kernel applies it (fields not given
 * keep their value) and is reset from every read the manager makes of the device. Saves are
 * written behind the operations, one at a time: changes made while one is written are
 * written together by the next (`flush()` waits for both). The private key is never in it.
 */
export class PeerState {
  readonly path: string;
  readonly #peers = new ShardedMap<Held>();
  /** Known once `initialize` set them or the file was read; else kept from the file at the first save. */
  #settings: InterfaceSettings | undefined;
  #saving: Promise<void> | undefined;
  #dirty = false;
  #failure: unknown;
  #allowedIPsOf: (key: string) => string[] | undefined = () => undefined;

  constructor(path: string) {
    this.path = path;
  }

  set settings(value: InterfaceSettings) {
    this.#settings = value;
  }

  /** Forgets every peer (wiping their preshared keys). */
  clear(): void {
    for (const [, held] of this.#peers.entries()) held.psk?.wipe();
    this.#peers.clear();
  }

  /** Takes a peer as read from the device (its current endpoint, keepalive and preshared key). */
  setLive(key: string, p: PeerStatus): void {
    this.#peers.get(key)?.psk?.wipe();
    this.#peers.set(key, { endpoint: p.endpoint, keepalive: p.persistentKeepalive, psk: p.presharedKey ? copyKey(p.presharedKey) : null });
  }

  /** Applies one admitted operation as the kernel does: an update changes only the fields given. */
  apply(key: string, op: NormalizedPeer): void {
    this.#merge(key, op, op.endpoint?.resolvedFrom ?? op.endpoint?.text, op.presharedKey); // a host name stays a name
  }

  #merge(
    key: string,
    op: { remove?: boolean; updateOnly?: boolean; persistentKeepalive?: number },
    endpoint: string | undefined,
    psk: Key | null | undefined,
  ): void {
    const held = this.#peers.get(key);
    if (op.remove) {
      held?.psk?.wipe();
      this.#peers.delete(key);
      return;
    }
    if (held === undefined && op.updateOnly) return;
    const next: Held = held ?? { endpoint: null, keepalive: 0, psk: null };
    if (endpoint !== undefined) next.endpoint = endpoint;
    if (op.persistentKeepalive !== undefined) next.keepalive = op.persistentKeepalive;
    if (psk !== undefined) {
      next.psk?.wipe();
      next.psk = psk === null ? null : copyKey(psk);
    }
    this.#peers.set(key, next);
  }

  /**
   * Schedules a save of the peers (allowed IPs from `allowedIPsOf`). Never throws: a failed
   * save is reported by the next `flush()`.
   */
  schedule(iface: string, allowedIPsOf: (key: string) => string[] | undefined): void {
    this.#dirty = true;
    this.#allowedIPsOf = allowedIPsOf; // the manager's current index (a read replaces it)
    if (this.#saving) return;
    const run = async (): Promise<void> => {
      await new Promise((resolve) => setImmediate(resolve)); // the rest of this tick's operations join
      while (this.#dirty) {
        this.#dirty = false;
        try {
          // A manager that did not run initialize (a CLI `peer add`) keeps what `up` was given.
          this.#settings ??= await savedSettings(this.path);
          await replaceFileAtomically(this.path, this.#chunks(iface, this.#allowedIPsOf));
          this.#failure = undefined;
        } catch (err) {
          this.#failure = err;
        }
      }
    };
    const saving = run().finally(() => {
      if (this.#saving === saving) this.#saving = undefined;
    });
    this.#saving = saving;
  }

  /** Waits until everything scheduled is on disk; throws the last save's error, if it failed. */
  async flush(): Promise<void> {
    while (this.#saving) await this.#saving;
    if (this.#failure !== undefined) {
      const err = this.#failure;
      this.#failure = undefined;
      throw err;
    }
  }

  /** The document, a slice of peers at a time (a 100,000-peer state is never one string or one stall). */
  async *#chunks(iface: string, allowedIPsOf: (key: string) => string[] | undefined): AsyncGenerator<string> {
    yield `{"version":${STATE_VERSION},"interface":${JSON.stringify(iface)},"savedAt":"${new Date().toISOString()}","settings":${JSON.stringify(this.#settings ?? {})},"peers":[`;
    const slicer = new TimeSlicer();
    let first = true;
    let part: string[] = [];
    for (const [key, held] of this.#peers.entries()) {
      const pause = slicer.next();
      if (pause) {
        yield part.join('');
        part = [];
        await pause;
      }
      const saved: SavedPeer = { publicKey: key, endpoint: held.endpoint, allowedIPs: allowedIPsOf(key) ?? [], persistentKeepalive: held.keepalive };
      if (held.psk) saved.presharedKey = held.psk.toBase64();
      part.push(`${first ? '\n' : ',\n'}${JSON.stringify(saved)}`);
      first = false;
    }
    part.push('\n]}\n');
    yield part.join('');
  }
}

/** A copy the state owns (the caller's key may be wiped once its operation is sent). */
function copyKey(k: Key): Key {
  const bytes = k.bytes();
  try {
    return Key.fromBytes(bytes, 'preshared');
  } finally {
    bytes.fill(0);
  }
}

/**
 * Reads a state file: null when there is none. Anything else wrong with it is INVALID_CONFIG
 * naming the file (never quoting it: it may hold preshared keys) with the two ways out.
 */
export async function readState(path: string, iface: string): Promise<{ settings: InterfaceSettings; desired: DesiredDevice } | null> {
  let raw: Buffer;
  try {
    raw = await readRegularFile(path, { maxBytes: MAX_STATE_BYTES, code: 'INVALID_CONFIG', what: 'state file' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return null;
    throw err;
  }
  const bad = (why: string) =>
    new LanrageError('INVALID_CONFIG', `state file ${path} ${why}`, {
      remedy: `Restore it from a backup, or start ${iface} without its saved peers (lanrage up --fresh, or lanrage forget).`,
      details: { source: path },
    });
  const text = raw.toString('utf8');
  raw.fill(0);
  let doc: SavedState;
  try {
    doc = JSON.parse(text) as SavedState;
  } catch (err) {
    throw bad(`is not valid JSON (${jsonErrorPosition(err, text)})`);
  }
  if (typeof doc !== 'object' || doc === null || doc.version !== STATE_VERSION || !Array.isArray(doc.peers)) {
    throw bad(`is not a version ${STATE_VERSION} lanrage state file`);
  }
  const settings = readSettings(doc.settings, bad);
  const peers: DesiredPeer[] = [];
  const slicer = new TimeSlicer();
  for (let i = 0; i < doc.peers.length; i++) {
    const pause = slicer.next();
    if (pause) await pause;
    const s = doc.peers[i] as SavedPeer;
    let norm: NormalizedPeer;
    try {
      norm = normalizePeer({
        publicKey: s?.publicKey,
        allowedIPs: s?.allowedIPs,
        persistentKeepalive: s?.persistentKeepalive,
        ...(s?.endpoint ? { endpoint: s.endpoint } : {}),
        ...(s?.presharedKey ? { presharedKey: s.presharedKey } : {}),
      });
    } catch (err) {
      throw bad(`has a bad peer #${i + 1}: ${(err as Error).message}`);
    }
    const peer: DesiredPeer = { publicKey: norm.publicKey, allowedIPs: norm.allowedIPs.map((c) => c.text) };
    if (norm.endpoint) peer.endpoint = norm.endpoint.text;
    if (norm.persistentKeepalive) peer.persistentKeepalive = norm.persistentKeepalive;
    if (norm.presharedKey) peer.presharedKey = norm.presharedKey;
    peers.push(peer);
  }
  return { settings, desired: { peers } };
}

/** The settings of an existing state file; none when it is missing or unreadable (it is about to be replaced). */
async function savedSettings(path: string): Promise<InterfaceSettings> {
  try {
    const raw = await readRegularFile(path, { maxBytes: MAX_STATE_BYTES, code: 'INVALID_CONFIG', what: 'state file' });
    const doc = JSON.parse(raw.toString('utf8')) as SavedState;
    raw.fill(0);
    return readSettings(doc?.settings, () => new LanrageError('INVALID_CONFIG', 'bad settings'));
  } catch {
    return {};
  }
}

function readSettings(value: unknown, bad: (why: string) => LanrageError): InterfaceSettings {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw bad('has settings that are not an object');
  const v = value as Record<string, unknown>;
  const out: InterfaceSettings = {};
  try {
    if (v.listenPort !== undefined) out.listenPort = validateListenPort(v.listenPort);
    if (v.mtu !== undefined) out.mtu = validateMtu(v.mtu);
    if (v.address !== undefined) out.address = checkAddress(v.address);
  } catch (err) {
    throw bad(`has a bad setting: ${(err as Error).message}`);
  }
  return out;
}

/** An address setting: an IP without a prefix. */
export function checkAddress(value: unknown): string {
  const ip = typeof value === 'string' ? parseIp(value) : null;
  if (!ip) throw new LanrageError('INVALID_ADDRESS', 'the address must be an IP address without a prefix, e.g. 10.66.0.1');
  return value as string;
}

/** Deletes a state file (`lanrage forget`); true when there was one. */
export async function forgetState(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
