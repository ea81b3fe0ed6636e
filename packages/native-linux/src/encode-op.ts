import type { NormalizedPeer } from '@lanrage/core/backend';
import {
  AF_INET,
  AF_INET6,
  DEV_FWMARK,
  DEV_LISTEN_PORT,
  DEV_PRIVATE_KEY_REMOVE,
  DEV_PRIVATE_KEY_SET,
  DEV_REPLACE_PEERS,
  ENDPOINT,
  type EncodedOp,
  OP_ENDPOINT,
  OP_HEADER,
  OP_HEADER_BYTES,
  OP_IP,
  OP_IP_BYTES,
  OP_KEEPALIVE,
  OP_MAGIC,
  OP_PEER,
  OP_PEER_BYTES,
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

/** Device-level fields of a raw op. */
export interface RawDeviceFields {
  /** undefined = unchanged, null = remove. */
  privateKey?: Uint8Array | null;
  listenPort?: number;
  fwmark?: number;
  replacePeers?: boolean;
}

/** Bytes an op of `count` peer operations and `ipCount` prefixes takes (layout: src/codec/wire-format.json). */
export function encodedSize(count: number, ipCount: number): number {
  return OP_HEADER_BYTES + count * OP_PEER_BYTES + ipCount * OP_IP_BYTES;
}

function u32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/**
 * Writes an op into one buffer (zeroed first), one operation at a time. Room is made for
 * `expectIps` prefixes and the buffer grows (wiping the old one) if more come; op() gives the
 * exact length.
 */
export class OpWriter {
  #bytes: Uint8Array;
  readonly #count: number;
  readonly #ipBase: number;
  #ip: number;

  constructor(count: number, expectIps: number, scratch?: Uint8Array) {
    const capacity = encodedSize(count, expectIps);
    if (scratch && scratch.length >= capacity) {
      this.#bytes = scratch;
      scratch.fill(0, 0, capacity);
    } else {
      this.#bytes = new Uint8Array(capacity);
    }
    this.#count = count;
    this.#ipBase = OP_HEADER_BYTES + count * OP_PEER_BYTES;
    this.#ip = this.#ipBase;
    u32(this.#bytes, OP_HEADER.magic, OP_MAGIC);
    u32(this.#bytes, OP_HEADER.count, count);
  }

  /** The buffer written so far (it may be replaced by a bigger one as prefixes are added). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  device(d: RawDeviceFields): void {
    const b = this.bytes;
    let f = d.replacePeers ? DEV_REPLACE_PEERS : 0;
    if (d.listenPort !== undefined) {
      f |= DEV_LISTEN_PORT;
      u32(b, OP_HEADER.listenPort, d.listenPort);
    }
    if (d.fwmark !== undefined) {
      f |= DEV_FWMARK;
      u32(b, OP_HEADER.fwmark, d.fwmark);
    }
    if (d.privateKey === null) f |= DEV_PRIVATE_KEY_REMOVE;
    else if (d.privateKey) {
      f |= DEV_PRIVATE_KEY_SET;
      b.set(d.privateKey, OP_HEADER.privateKey);
    }
    b[OP_HEADER.deviceFlags] = f;
  }

  /**
   * Writes a normalised operation straight into the buffer (no intermediate objects: the churn
   * hot path). Its endpoint, if any, is resolved (the caller checked: resolvedEndpoint).
   */
  writeNormalized(i: number, p: NormalizedPeer): void {
    const at = OP_HEADER_BYTES + i * OP_PEER_BYTES;
    const b = this.bytes;
    p.publicKey.copyInto(b, at + OP_PEER.publicKey);
    if (p.presharedKey) p.presharedKey.copyInto(b, at + OP_PEER.presharedKey);
    const ep = p.endpoint;
    if (ep?.address) this.setEndpoint(i, ep.family === 4 ? AF_INET : AF_INET6, ep.port, ep.address);
    this.#finish(at, flagsOf(p.remove, p.updateOnly, p.replaceAllowedIPs, p.presharedKey, ep !== undefined, p.persistentKeepalive), p.persistentKeepalive);
    for (const c of p.allowedIPs) this.#prefix(c.family === 4 ? AF_INET : AF_INET6, c.prefix, c.bytes, false);
    for (const c of p.allowedIPsRemove) this.#prefix(c.family === 4 ? AF_INET : AF_INET6, c.prefix, c.bytes, true);
    u32(this.#bytes, at + OP_PEER.ipCount, p.allowedIPs.length + p.allowedIPsRemove.length); // #bytes: the prefixes may have grown it
  }

  /** Writes an operation given in addon terms (tests, probes); secret bytes are zeroed after copying. */
  write(i: number, p: RawPeerOp): void {
    const at = OP_HEADER_BYTES + i * OP_PEER_BYTES;
    const b = this.bytes;
    b.set(p.publicKey, at + OP_PEER.publicKey);
    if (p.presharedKey) {
      b.set(p.presharedKey, at + OP_PEER.presharedKey);
      p.presharedKey.fill(0);
    }
    if (p.endpoint) this.setEndpoint(i, p.endpoint.family, p.endpoint.port, p.endpoint.addr);
    this.#finish(at, flagsOf(p.remove, p.updateOnly, p.replaceAllowedIps, p.presharedKey, p.endpoint !== undefined, p.keepalive), p.keepalive);
    const ips = p.allowedIps ?? [];
    for (const ip of ips) this.#prefix(ip.family, ip.prefix, ip.addr, ip.remove === true);
    u32(this.#bytes, at + OP_PEER.ipCount, ips.length); // #bytes: the prefixes may have grown it
  }

  /** The finished op (the prefix count goes into the header here). */
  op(): EncodedOp {
    u32(this.#bytes, OP_HEADER.ipCount, (this.#ip - this.#ipBase) / OP_IP_BYTES);
    return { bytes: this.#bytes, length: this.#ip };
  }

  /** Doubles the prefix room; the old buffer (a caller's scratch, or ours) is wiped. */
  #grow(): void {
    const ipRoom = Math.max(this.#bytes.length - this.#ipBase, OP_IP_BYTES * 16);
    const bigger = new Uint8Array(this.#ipBase + ipRoom * 2);
    bigger.set(this.#bytes.subarray(0, this.#ip));
    this.#bytes.fill(0, 0, this.#ip);
    this.#bytes = bigger;
  }

  get count(): number {
    return this.#count;
  }

  setEndpoint(i: number, family: number, port: number, addr: Uint8Array): void {
    const at = OP_HEADER_BYTES + i * OP_PEER_BYTES + OP_PEER.endpoint;
    const b = this.bytes;
    b[at + ENDPOINT.family] = family;
    b[at + ENDPOINT.portBE] = port >> 8;
    b[at + ENDPOINT.portBE + 1] = port & 0xff;
    b.set(addr, at + ENDPOINT.address);
  }

  #finish(at: number, flags: number, keepalive: number | undefined): void {
    const b = this.bytes;
    b[at + OP_PEER.flags] = flags;
    if (keepalive !== undefined) {
      b[at + OP_PEER.keepalive] = keepalive & 0xff;
      b[at + OP_PEER.keepalive + 1] = keepalive >> 8;
    }
  }

  #prefix(family: number, prefix: number, addr: Uint8Array, remove: boolean): void {
    if (this.#ip + OP_IP_BYTES > this.#bytes.length) this.#grow();
    const b = this.#bytes;
    const x = this.#ip;
    b[x + OP_IP.family] = family;
    b[x + OP_IP.prefix] = prefix;
    b[x + OP_IP.remove] = remove ? 1 : 0;
    b.set(addr, x + OP_IP.address);
    this.#ip += OP_IP_BYTES;
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

/** Encodes a small list of operations given in addon terms (tests, probes). */
export function encodeRawPeerOps(peers: RawPeerOp[], device: RawDeviceFields = {}): EncodedOp {
  const w = new OpWriter(
    peers.length,
    peers.reduce((n, p) => n + (p.allowedIps?.length ?? 0), 0),
  );
  w.device(device);
  for (const [i, p] of peers.entries()) w.write(i, p);
  if (device.privateKey) device.privateKey.fill(0);
  return w.op();
}
