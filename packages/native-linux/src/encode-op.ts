import { type NormalizedDeviceConfig, parseIp } from '@lanrage/core';
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
  const ipCount = norm.peers.reduce((n, p) => n + p.allowedIPs.length + p.allowedIPsRemove.length, 0);
  const w = new OpWriter(norm.peers.length, ipCount);
  for (let i = 0; i < norm.peers.length; i++) {
    if (i > 0 && i % CHUNK === 0) await yieldToLoop();
    const p = norm.peers[i] as NormalizedDeviceConfig['peers'][number];
    w.write(i, {
      publicKey: p.publicKey.bytes(),
      remove: p.remove,
      updateOnly: p.updateOnly,
      replaceAllowedIps: p.replaceAllowedIPs,
      ...(p.presharedKey !== undefined ? { presharedKey: p.presharedKey ? p.presharedKey.bytes() : null } : {}),
      ...(p.endpoint && p.endpoint.family !== 0
        ? { endpoint: { family: p.endpoint.family === 4 ? AF_INET : AF_INET6, addr: hostBytes(p.endpoint.family, p.endpoint.host), port: p.endpoint.port } }
        : {}),
      ...(p.persistentKeepalive !== undefined ? { keepalive: p.persistentKeepalive } : {}),
      allowedIps: [
        ...p.allowedIPs.map((c) => ({ family: c.family === 4 ? AF_INET : AF_INET6, addr: c.bytes, prefix: c.prefix })),
        ...p.allowedIPsRemove.map((c) => ({ family: c.family === 4 ? AF_INET : AF_INET6, addr: c.bytes, prefix: c.prefix, remove: true })),
      ],
    });
  }
  const op: NativeDeviceOp = { ...w.op, replacePeers: norm.replacePeers };
  if (norm.privateKey !== undefined) op.privateKey = norm.privateKey ? norm.privateKey.bytes() : null;
  if (norm.listenPort !== undefined) op.listenPort = norm.listenPort;
  if (norm.fwmark !== undefined) op.fwmark = norm.fwmark;
  return op;
}

function hostBytes(family: 4 | 6, host: string): Uint8Array {
  const ip = parseIp(host);
  if (!ip || ip.family !== family) throw new Error(`endpoint host ${host} is not an IPv${family} literal`);
  return ip.bytes;
}
