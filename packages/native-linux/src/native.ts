/** The one typed description of the addon's surface (src/binding/addon.cpp). */

// The wire format's sizes, offsets, flag bits and ABI identity: generated from
// src/codec/wire-format.json, the one source both sides are built from.
export * from './wire-format.generated.js';

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
 * `endpoints` one Endpoint record (ENDPOINT_BYTES), `allowedIps` one FlatPrefix record
 * (FLAT_PREFIX_BYTES) per prefix, with peer i's prefixes at [allowedIpStart[i], allowedIpStart[i+1]).
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

/**
 * A device change in the addon's one-buffer format (decoded by src/codec/device_op_codec.cpp),
 * little-endian: an OpHeader, `count` OpPeer records, then `ipCount` OpIp prefixes in peer
 * order (src/codec/wire-format.json has the fields; OP_HEADER, OP_PEER, OP_IP their offsets).
 * Only the first `length` bytes are read; the addon zeroes the secret bytes once copied.
 */
export interface EncodedOp {
  bytes: Uint8Array;
  length: number;
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
  /**
   * Sends `op.bytes[0, length)` (an EncodedOp); resolves with the number of messages sent.
   * The bytes are copied (and their secrets zeroed) before the call returns, so the buffer may
   * be reused at once; they are decoded on the backend's I/O thread.
   * `capacity` overrides the message size.
   */
  setDevice(name: string, bytes: Uint8Array, length: number, capacity?: number): Promise<number>;
  listAddresses(name: string): Promise<NativePrefix[]>;
  addAddress(name: string, prefix: NativePrefix): Promise<void>;
  deleteAddress(name: string, prefix: NativePrefix): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  listRoutes(name: string): Promise<NativePrefix[]>;
  addRoute(name: string, prefix: NativePrefix): Promise<void>;
  deleteRoute(name: string, prefix: NativePrefix): Promise<void>;
  /**
   * Removes `remove`, then adds `add` (lanrage's routes through the link), in one batch without
   * reading the routes first. Adding a route that exists and removing one that does not both
   * succeed. The link's index comes from a cache kept exact by link notifications.
   */
  changeRoutes(name: string, add: NativePrefix[], remove: NativePrefix[]): Promise<void>;
  /** Milliseconds, or null without a reply in time. */
  ping(family: number, addr: Uint8Array, timeoutMs: number): Promise<number | null>;
  close(): Promise<void>;
}

export interface NativeModule {
  /** pollMicros: the I/O thread's busy-poll cap (default 500, 0 = never poll). */
  NativeBackend: new (
    pollMicros?: number,
  ) => NativeBackend;
  abiVersion: number;
}
