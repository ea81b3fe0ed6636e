import type { NormalizedDeviceConfig, NormalizedPeer } from '@lanrage/core';
import {
  AF_INET,
  AF_INET6,
  type NativeDeviceOp,
  OP_ENDPOINT,
  OP_KEEPALIVE,
  OP_PSK_REMOVE,
  OP_PSK_SET,
  OP_REMOVE,
  OP_REPLACE_ALLOWED_IPS,
  OP_UPDATE_ONLY,
} from './native.js';

/** One peer operation in addon terms (addresses as bytes). */
export interface RawPeerOp {
  publicKey: Uint8Array;
  remove?: boolean;
  updateOnly?: boolean;
  replaceAllowedIps?: boolean;
  /** undefined = unchanged, null = remove. */
  presharedKey?: Uint8Array | null;
  endpoint?: { family: number; addr: Uint8Array; port: number };
  keepalive?: number;
  allowedIps?: { family: number; addr: Uint8Array; prefix: number; remove?: boolean }[];
}

/** Operations written between yields to the event loop. */
const CHUNK = 256;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** Fills the flat arrays of a NativeDeviceOp, one operation at a time. */
class OpWriter {
  readonly op: NativeDeviceOp;
  #ip = 0;
  #ips: Uint8Array;

  constructor(count: number, ipCount: number) {
    this.#ips = new Uint8Array(ipCount * 19);
    this.op = {
      count,
      keys: new Uint8Array(count * 32),
      flags: new Uint8Array(count),
      presharedKeys: new Uint8Array(count * 32),
      endpoints: new Uint8Array(count * 20),
      keepalive: new Uint16Array(count),
      allowedIpStart: new Uint32Array(count + 1),
      allowedIps: this.#ips,
    };
  }

  /** Writes a normalised operation straight into the arrays (no intermediate objects: this is the churn hot path). */
  writeNormalized(i: number, p: NormalizedPeer): void {
    const op = this.op as Required<NativeDeviceOp>;
    p.publicKey.copyInto(op.keys, i * 32);
    let f = 0;
    if (p.remove) f |= OP_REMOVE;
    if (p.updateOnly) f |= OP_UPDATE_ONLY;
    if (p.replaceAllowedIPs) f |= OP_REPLACE_ALLOWED_IPS;
    if (p.presharedKey === null) f |= OP_PSK_REMOVE;
    else if (p.presharedKey) {
      f |= OP_PSK_SET;
      p.presharedKey.copyInto(op.presharedKeys, i * 32);
    }
    const ep = p.endpoint;
    if (ep?.address) {
      f |= OP_ENDPOINT;
      const e = i * 20;
      op.endpoints[e] = ep.family === 4 ? AF_INET : AF_INET6;
      op.endpoints[e + 2] = ep.port >> 8;
      op.endpoints[e + 3] = ep.port & 0xff;
      op.endpoints.set(ep.address, e + 4);
    } else if (ep) {
      throw new Error(`endpoint ${ep.text} was not resolved to an address`);
    }
    if (p.persistentKeepalive !== undefined) {
      f |= OP_KEEPALIVE;
      op.keepalive[i] = p.persistentKeepalive;
    }
    op.flags[i] = f;
    op.allowedIpStart[i] = this.#ip;
    for (const c of p.allowedIPs) this.#prefix(c.family, c.prefix, c.bytes, false);
    for (const c of p.allowedIPsRemove) this.#prefix(c.family, c.prefix, c.bytes, true);
    op.allowedIpStart[i + 1] = this.#ip;
  }

  #prefix(family: 4 | 6, prefix: number, bytes: Uint8Array, remove: boolean): void {
    const x = this.#ip * 19;
    this.#ips[x] = family === 4 ? AF_INET : AF_INET6;
    this.#ips[x + 1] = prefix;
    this.#ips[x + 2] = remove ? 1 : 0;
    this.#ips.set(bytes, x + 3);
    this.#ip++;
  }

  write(i: number, p: RawPeerOp): void {
    const op = this.op as Required<NativeDeviceOp>;
    op.keys.set(p.publicKey, i * 32);
    let f = 0;
    if (p.remove) f |= OP_REMOVE;
    if (p.updateOnly) f |= OP_UPDATE_ONLY;
    if (p.replaceAllowedIps) f |= OP_REPLACE_ALLOWED_IPS;
    if (p.presharedKey === null) f |= OP_PSK_REMOVE;
    else if (p.presharedKey) {
      f |= OP_PSK_SET;
      op.presharedKeys.set(p.presharedKey, i * 32);
      p.presharedKey.fill(0);
    }
    if (p.endpoint) {
      f |= OP_ENDPOINT;
      const e = i * 20;
      op.endpoints[e] = p.endpoint.family;
      op.endpoints[e + 2] = p.endpoint.port >> 8;
      op.endpoints[e + 3] = p.endpoint.port & 0xff;
      op.endpoints.set(p.endpoint.addr, e + 4);
    }
    if (p.keepalive !== undefined) {
      f |= OP_KEEPALIVE;
      op.keepalive[i] = p.keepalive;
    }
    op.flags[i] = f;
    op.allowedIpStart[i] = this.#ip;
    for (const ip of p.allowedIps ?? []) {
      const x = this.#ip * 19;
      this.#ips[x] = ip.family;
      this.#ips[x + 1] = ip.prefix;
      this.#ips[x + 2] = ip.remove ? 1 : 0;
      this.#ips.set(ip.addr, x + 3);
      this.#ip++;
    }
    op.allowedIpStart[i + 1] = this.#ip;
  }
}

/** Encodes a small list of operations (tests, probes). */
export function encodeRawPeerOps(peers: RawPeerOp[], device: Omit<NativeDeviceOp, 'count'> = {}): NativeDeviceOp {
  const w = new OpWriter(
    peers.length,
    peers.reduce((n, p) => n + (p.allowedIps?.length ?? 0), 0),
  );
  for (const [i, p] of peers.entries()) w.write(i, p);
  return { ...device, ...w.op };
}

/** Encodes a normalised change for the addon, yielding to the event loop every 256 operations. */
export async function encodeDeviceOp(norm: NormalizedDeviceConfig): Promise<NativeDeviceOp> {
  const n = norm.peers.length;
  let ipCount = 0;
  for (const p of norm.peers) ipCount += p.allowedIPs.length + p.allowedIPsRemove.length;
  const w = new OpWriter(n, ipCount);
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % CHUNK === 0) await yieldToLoop();
    w.writeNormalized(i, norm.peers[i] as NormalizedPeer);
  }
  const op: NativeDeviceOp = { ...w.op, replacePeers: norm.replacePeers };
  if (norm.privateKey !== undefined) op.privateKey = norm.privateKey ? norm.privateKey.bytes() : null;
  if (norm.listenPort !== undefined) op.listenPort = norm.listenPort;
  if (norm.fwmark !== undefined) op.fwmark = norm.fwmark;
  return op;
}
