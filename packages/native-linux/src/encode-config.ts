import { type NormalizedDeviceConfig, type NormalizedPeer, resolvedEndpoint, TimeSlicer } from '@lanrage/core/backend';
import { OpWriter, type RawDeviceFields } from './encode-op.js';
import type { EncodedOp } from './native.js';

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
function prefixGuess(peers: readonly NormalizedPeer[]): number {
  if (peers.length > CHUNK) return peers.length;
  let n = 0;
  for (const p of peers) n += p.allowedIPs.length + p.allowedIPsRemove.length;
  return n;
}

/**
 * Writes a normalised change (validated once, at the API edge: the backend contract) into the
 * addon's buffer, peer by peer. An endpoint still holding a host name is INVALID_ENDPOINT
 * before anything is sent. Secret bytes are wiped from the buffer when encoding fails.
 */
class ConfigEncoder {
  readonly list: readonly NormalizedPeer[];
  readonly writer: OpWriter;
  removesAllowedIPs = false;

  constructor(config: NormalizedDeviceConfig, scratch?: Uint8Array) {
    this.list = config.peers;
    this.writer = new OpWriter(this.list.length, prefixGuess(this.list), scratch);
    const fields: RawDeviceFields = { replacePeers: config.replacePeers };
    if (config.privateKey !== undefined) fields.privateKey = config.privateKey ? config.privateKey.bytes() : null;
    if (config.listenPort !== undefined) fields.listenPort = config.listenPort;
    if (config.fwmark !== undefined) fields.fwmark = config.fwmark;
    this.writer.device(fields);
    fields.privateKey?.fill(0);
  }

  add(i: number): void {
    const p = this.list[i] as NormalizedPeer;
    if (p.endpoint !== undefined) resolvedEndpoint(p.endpoint);
    if (p.allowedIPsRemove.length > 0) this.removesAllowedIPs = true;
    this.writer.writeNormalized(i, p);
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
 * caller must hand to the addon before anything else can use it. null when the change is
 * larger than one synchronous stretch (more than 256 peers): use encodeConfig.
 */
export function encodeConfigNow(config: NormalizedDeviceConfig, scratch: Uint8Array): EncodedConfig | null {
  if (config.peers.length > CHUNK) return null;
  const e = new ConfigEncoder(config, scratch);
  try {
    for (let i = 0; i < e.list.length; i++) e.add(i);
  } catch (err) {
    e.wipe();
    throw err;
  }
  return e.result();
}

/** Any change, in time slices with yields to the event loop. */
export async function encodeConfig(config: NormalizedDeviceConfig): Promise<EncodedConfig> {
  const e = new ConfigEncoder(config);
  try {
    const slicer = new TimeSlicer();
    for (let i = 0; i < e.list.length; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      e.add(i);
    }
  } catch (err) {
    e.wipe();
    throw err;
  }
  return e.result();
}
