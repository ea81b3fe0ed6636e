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

export interface NativePeer {
  publicKey: Uint8Array;
  presharedKey: Uint8Array | null;
  endpoint: NativeEndpoint | null;
  keepalive: number;
  handshakeSec: number;
  handshakeNsec: number;
  rxBytes: bigint;
  txBytes: bigint;
  protocolVersion: number;
  allowedIps: NativePrefix[];
}

export interface NativeDevice {
  ifindex: number;
  ifname: string;
  privateKey: Uint8Array | null;
  publicKey: Uint8Array | null;
  listenPort: number;
  fwmark: number;
  peers: NativePeer[];
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
  getDevice(name: string): Promise<NativeDevice>;
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
