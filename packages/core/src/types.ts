import type { Key } from './keys/key.js';

/** A key given as a `Key` or as its canonical base64 text. */
export type KeyInput = Key | string;

/**
 * A change to a device. Every field is optional: an absent field means "leave unchanged".
 * Applied in the kernel's order: fwmark, listen port, replace peers, private key, peers.
 */
export interface DeviceConfig {
  /** The interface's private key. `null` removes it (explicit, never by an all-zero key). */
  privateKey?: KeyInput | null;
  /** 0 lets the implementation choose a port. */
  listenPort?: number;
  /** 0 turns the mark off. */
  fwmark?: number;
  /** Remove every peer not listed in `peers` (sessions of listed peers are not kept). */
  replacePeers?: boolean;
  /** Any number of peer operations, applied in order. */
  peers?: PeerConfig[];
}

/** One peer operation. Absent fields leave the peer's value unchanged. */
export interface PeerConfig {
  publicKey: KeyInput;
  /** Remove the peer; other fields are ignored. */
  remove?: boolean;
  /** Only change an existing peer; never create one (a missing peer is skipped). */
  updateOnly?: boolean;
  /** `null` removes the preshared key. */
  presharedKey?: KeyInput | null;
  /** `ip:port`, `[ip6]:port` or `host:port` (host names are resolved before anything is sent). */
  endpoint?: string;
  /** Seconds, 0 = off. */
  persistentKeepalive?: number;
  /** Replaces the whole set; `[]` clears it. Not together with allowedIPsAdd/allowedIPsRemove. */
  allowedIPs?: string[];
  /** Adds these prefixes, keeping the others. */
  allowedIPsAdd?: string[];
  /** Removes these prefixes only (needs kernel/implementation support, else UNSUPPORTED). */
  allowedIPsRemove?: string[];
}

export interface PeerStatus {
  publicKey: Key;
  /** Hidden when printed; null when none is set. */
  presharedKey: Key | null;
  /** `ip:port` / `[ip6]:port`, or null when the peer has not been seen and none was set. */
  endpoint: string | null;
  /** Seconds, 0 = off. */
  persistentKeepalive: number;
  /** Canonical CIDR texts, in the implementation's order. */
  allowedIPs: string[];
  /** null means never (a zero timestamp is not 1970). */
  lastHandshake: Date | null;
  /** Nanoseconds within the second of `lastHandshake`, for implementations that report it. */
  lastHandshakeNanos: number;
  rxBytes: bigint;
  txBytes: bigint;
  protocolVersion: number;
}

export interface DeviceStatus {
  name: string;
  /** Hidden when printed; null when no key is set. */
  privateKey: Key | null;
  publicKey: Key | null;
  listenPort: number;
  fwmark: number;
  peers: PeerStatus[];
}

/** The answer of `isAvailable()`. */
export interface Availability {
  available: boolean;
  /** Why not (or, when available, a short description of what was found). */
  reason: string;
}

/** What `status` shows of a link. */
export interface LinkState {
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
}
