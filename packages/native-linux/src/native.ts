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

export interface NativePeerOp {
  publicKey: Uint8Array;
  remove?: boolean;
  updateOnly?: boolean;
  replaceAllowedIps?: boolean;
  /** null removes; the bytes are zeroed by the addon after copying. */
  presharedKey?: Uint8Array | null;
  endpoint?: NativeEndpoint;
  keepalive?: number;
  allowedIps?: NativePrefix[];
}

export interface NativeDeviceOp {
  /** null removes; the bytes are zeroed by the addon after copying. */
  privateKey?: Uint8Array | null;
  listenPort?: number;
  fwmark?: number;
  replacePeers?: boolean;
  peers?: NativePeerOp[];
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
