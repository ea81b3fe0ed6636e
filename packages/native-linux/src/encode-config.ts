import {
  type DeviceConfig,
  type NormalizedPeer,
  normalizeDeviceFields,
  normalizePeer,
  type PeerConfig,
  type ResolveOptions,
  resolveEndpoint,
  SelfPeerCheck,
  TimeSlicer,
} from '@lanrage/core';
import { OpWriter, type RawDeviceFields } from './encode-op.js';
import { AF_INET, AF_INET6, type EncodedOp } from './native.js';

/** Changes up to this many peers are encoded in one synchronous stretch (encodeConfigNow). */
const CHUNK = 256;

export interface EncodedConfig {
  op: EncodedOp;
  /** Peer operations in the op (PARTIAL_APPLY reports indices into config.peers). */
  count: number;
  /** Some operation removes single allowed IPs (needs kernel support). */
  removesAllowedIPs: boolean;
}

/** Prefixes to make room for at first: a small change is counted exactly, a large one guessed (the writer grows). */
function prefixGuess(peers: readonly PeerConfig[]): number {
  if (peers.length > CHUNK) return peers.length;
  let n = 0;
  for (const p of peers) {
    if (p === null || typeof p !== 'object' || p.remove === true) continue;
    if (Array.isArray(p.allowedIPs)) n += p.allowedIPs.length;
    if (Array.isArray(p.allowedIPsAdd)) n += p.allowedIPsAdd.length;
    if (Array.isArray(p.allowedIPsRemove)) n += p.allowedIPsRemove.length;
  }
  return n;
}

/**
 * Validates a DeviceConfig exactly as normalizeDeviceConfig does (same errors, same order) and
 * writes each peer into the addon's buffer as soon as it is validated, so no array of
 * normalised peers lives on: a 100k-peer change leaves little for the garbage collector to
 * copy. Secret bytes are wiped from the buffer when validation fails.
 */
class ConfigEncoder {
  readonly list: readonly PeerConfig[];
  readonly writer: OpWriter;
  readonly unresolved: [number, NormalizedPeer][] = [];
  removesAllowedIPs = false;
  readonly #self: SelfPeerCheck;

  constructor(config: DeviceConfig, scratch?: Uint8Array) {
    // Device fields (and a non-list `peers`) are checked first, as normalizeDeviceConfig does.
    const head = normalizeDeviceFields(config);
    this.list = config.peers ?? [];
    this.writer = new OpWriter(this.list.length, prefixGuess(this.list), scratch);
    this.#self = new SelfPeerCheck(head.privateKey);
    const fields: RawDeviceFields = { replacePeers: head.replacePeers };
    if (head.privateKey !== undefined) fields.privateKey = head.privateKey ? head.privateKey.bytes() : null;
    if (head.listenPort !== undefined) fields.listenPort = head.listenPort;
    if (head.fwmark !== undefined) fields.fwmark = head.fwmark;
    this.writer.device(fields);
    fields.privateKey?.fill(0);
  }

  add(i: number): void {
    const p = normalizePeer(this.list[i] as PeerConfig, i);
    this.#self.see(p);
    if (p.allowedIPsRemove.length > 0) this.removesAllowedIPs = true;
    if (p.endpoint && p.endpoint.family === 0) this.unresolved.push([i, p]);
    this.writer.writeNormalized(i, p);
  }

  /** After every peer: the checks that need them all. */
  finish(): void {
    this.#self.check();
  }

  result(): EncodedConfig {
    return { op: this.writer.op(), count: this.list.length, removesAllowedIPs: this.removesAllowedIPs };
  }

  wipe(): void {
    this.writer.bytes.fill(0);
  }
}

/**
 * The synchronous form for small changes (the churn case): written into `scratch`, which the
 * caller must hand to the addon before anything else can use it. null when the change needs
 * the asynchronous form (more than 256 peers, or a host-name endpoint to resolve).
 */
export function encodeConfigNow(config: DeviceConfig, scratch: Uint8Array): EncodedConfig | null {
  const peers = config?.peers;
  if (Array.isArray(peers) && peers.length > CHUNK) return null;
  const e = new ConfigEncoder(config, scratch);
  try {
    for (let i = 0; i < e.list.length; i++) e.add(i);
    e.finish();
  } catch (err) {
    e.wipe();
    throw err;
  }
  if (e.unresolved.length > 0) {
    e.wipe();
    return null;
  }
  return e.result();
}

/** Any change, in time slices with yields to the event loop; host names are resolved together at the end. */
export async function encodeConfig(config: DeviceConfig, resolve?: ResolveOptions): Promise<EncodedConfig> {
  const e = new ConfigEncoder(config);
  try {
    const slicer = new TimeSlicer();
    for (let i = 0; i < e.list.length; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      e.add(i);
    }
    e.finish();
    await Promise.all(
      e.unresolved.map(async ([i, p]) => {
        const ep = await resolveEndpoint(p.endpoint as NonNullable<NormalizedPeer['endpoint']>, resolve);
        e.writer.setEndpoint(i, ep.family === 4 ? AF_INET : AF_INET6, ep.port, ep.address as Uint8Array);
      }),
    );
  } catch (err) {
    e.wipe();
    throw err;
  }
  return e.result();
}
