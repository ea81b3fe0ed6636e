/** The one typed description of the addon's surface (src/binding/addon.cpp). */

export const AF_INET = 2;
export const AF_INET6 = 10;

export interface NativePrefix {
  family: number;
  addr: Uint8Array;
  prefix: number;
  remove?: boolean;
}

export interface NativeEndpoint {
  family: number;
  addr: Uint8Array;
  port: number;
}

export interface NativeLink {
  index: number;
  name: string;
  kind: string;
  mtu: number;
  up: boolean;
}

/**
 * A device as flat arrays (index i = peer i): `keys`/`presharedKeys` hold 32 bytes per peer,
 * `endpoints` 20 (family, 0, port big-endian, 16 address bytes), `allowedIps` 18 per prefix
 * (family, prefix length, 16 address bytes) with peer i's prefixes at
 * [allowedIpStart[i], allowedIpStart[i+1]).
 */
export interface NativeDevice {
  ifindex: number;
  ifname: string;
  privateKey: Uint8Array | null;
  publicKey: Uint8Array | null;
  listenPort: number;
  fwmark: number;
  count: number;
  keys: Uint8Array;
  presharedKeys: Uint8Array;
  hasPresharedKey: Uint8Array;
  endpoints: Uint8Array;
  keepalive: Uint16Array;
  handshakeSec: Float64Array;
  handshakeNsec: Float64Array;
  rxBytes: BigUint64Array;
  txBytes: BigUint64Array;
  protocolVersion: Uint32Array;
  allowedIpStart: Uint32Array;
  allowedIps: Uint8Array;
}

/** Flag bits of NativeDeviceOp.flags, per peer operation. */
export const OP_REMOVE = 1;
export const OP_UPDATE_ONLY = 2;
export const OP_REPLACE_ALLOWED_IPS = 4;
export const OP_PSK_SET = 8;
export const OP_PSK_REMOVE = 16;
export const OP_ENDPOINT = 32;
export const OP_KEEPALIVE = 64;

/**
 * A change as flat arrays (index i = peer operation i): `keys` and `presharedKeys` 32 bytes per
 * operation, `endpoints` 20 (family, 0, port big-endian, 16 address bytes), `allowedIps` 19 per
 * prefix (family, prefix length, remove flag, 16 address bytes), operation i's prefixes at
 * [allowedIpStart[i], allowedIpStart[i+1]). Secret bytes are zeroed by the addon after copying.
 */
export interface NativeDeviceOp {
  /** null removes; the bytes are zeroed by the addon after copying. */
  privateKey?: Uint8Array | null;
  listenPort?: number;
  fwmark?: number;
  replacePeers?: boolean;
  count: number;
  keys?: Uint8Array;
  flags?: Uint8Array;
  presharedKeys?: Uint8Array;
  endpoints?: Uint8Array;
  keepalive?: Uint16Array;
  allowedIpStart?: Uint32Array;
  allowedIps?: Uint8Array;
}

/** Errors the addon rejects with. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  extack?: string;
  appliedMessages: number;
  appliedPeers: number;
}

export interface NativeBackend {
  genlStatus(): Promise<{ available: boolean; reason: string }>;
  listLinks(): Promise<NativeLink[]>;
  getLink(name: string): Promise<NativeLink>;
  createLink(name: string): Promise<void>;
  deleteLink(name: string): Promise<void>;
  /** statsOnly leaves out allowed IPs (allowedIpStart is all zeros). */
  getDevice(name: string, statsOnly?: boolean): Promise<NativeDevice>;
  /** Resolves with the number of messages sent; `capacity` overrides the message size. */
  setDevice(name: string, op: NativeDeviceOp, capacity?: number): Promise<number>;
  listAddresses(name: string): Promise<NativePrefix[]>;
  addAddress(name: string, prefix: NativePrefix): Promise<void>;
  deleteAddress(name: string, prefix: NativePrefix): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  listRoutes(name: string): Promise<NativePrefix[]>;
  addRoute(name: string, prefix: NativePrefix): Promise<void>;
  deleteRoute(name: string, prefix: NativePrefix): Promise<void>;
  /** Milliseconds, or null without a reply in time. */
  ping(family: number, addr: Uint8Array, timeoutMs: number): Promise<number | null>;
  close(): Promise<void>;
}

export interface NativeModule {
  NativeBackend: new () => NativeBackend;
  abiVersion: number;
}
