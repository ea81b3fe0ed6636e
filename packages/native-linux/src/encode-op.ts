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
    if (p.presharedKey) p.presharedKey.copyInto(op.presharedKeys, i * 32);
    const ep = p.endpoint;
    if (ep && !ep.address) throw new Error(`endpoint ${ep.text} was not resolved to an address`);
    this.#finish(i, flagsOf(p.remove, p.updateOnly, p.replaceAllowedIPs, p.presharedKey, ep !== undefined, p.persistentKeepalive));
    if (ep?.address) this.#endpoint(i, ep.family === 4 ? AF_INET : AF_INET6, ep.port, ep.address);
    if (p.persistentKeepalive !== undefined) op.keepalive[i] = p.persistentKeepalive;
    for (const c of p.allowedIPs) this.#prefix(c.family === 4 ? AF_INET : AF_INET6, c.prefix, c.bytes, false);
    for (const c of p.allowedIPsRemove) this.#prefix(c.family === 4 ? AF_INET : AF_INET6, c.prefix, c.bytes, true);
    op.allowedIpStart[i + 1] = this.#ip;
  }

  /** Writes an operation given in addon terms (tests, probes); secret bytes are zeroed after copying. */
  write(i: number, p: RawPeerOp): void {
    const op = this.op as Required<NativeDeviceOp>;
    op.keys.set(p.publicKey, i * 32);
    if (p.presharedKey) {
      op.presharedKeys.set(p.presharedKey, i * 32);
      p.presharedKey.fill(0);
    }
    this.#finish(i, flagsOf(p.remove, p.updateOnly, p.replaceAllowedIps, p.presharedKey, p.endpoint !== undefined, p.keepalive));
    if (p.endpoint) this.#endpoint(i, p.endpoint.family, p.endpoint.port, p.endpoint.addr);
    if (p.keepalive !== undefined) op.keepalive[i] = p.keepalive;
    for (const ip of p.allowedIps ?? []) this.#prefix(ip.family, ip.prefix, ip.addr, ip.remove === true);
    op.allowedIpStart[i + 1] = this.#ip;
  }

  #finish(i: number, flags: number): void {
    const op = this.op as Required<NativeDeviceOp>;
    op.flags[i] = flags;
    op.allowedIpStart[i] = this.#ip;
  }

  #endpoint(i: number, family: number, port: number, addr: Uint8Array): void {
    const e = i * 20;
    const endpoints = this.op.endpoints as Uint8Array;
    endpoints[e] = family;
    endpoints[e + 2] = port >> 8;
    endpoints[e + 3] = port & 0xff;
    endpoints.set(addr, e + 4);
  }

  #prefix(family: number, prefix: number, bytes: Uint8Array, remove: boolean): void {
    const x = this.#ip * 19;
    this.#ips[x] = family;
    this.#ips[x + 1] = prefix;
    this.#ips[x + 2] = remove ? 1 : 0;
    this.#ips.set(bytes, x + 3);
    this.#ip++;
  }
}

function flagsOf(
  remove: boolean | undefined,
  updateOnly: boolean | undefined,
  replace: boolean | undefined,
  psk: unknown,
  endpoint: boolean,
  keepalive: number | undefined,
): number {
  let f = 0;
  if (remove) f |= OP_REMOVE;
  if (updateOnly) f |= OP_UPDATE_ONLY;
  if (replace) f |= OP_REPLACE_ALLOWED_IPS;
  if (psk === null) f |= OP_PSK_REMOVE;
  else if (psk) f |= OP_PSK_SET;
  if (endpoint) f |= OP_ENDPOINT;
  if (keepalive !== undefined) f |= OP_KEEPALIVE;
  return f;
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
