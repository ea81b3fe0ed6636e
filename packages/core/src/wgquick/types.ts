import type { Key } from '../keys/key.js';

/** The `[Interface]` section of a wg-quick file. Hooks are kept as text and never executed. */
export interface WgQuickInterface {
  privateKey?: Key;
  listenPort?: number;
  fwmark?: number;
  /** Interface addresses with their prefix (`10.66.0.1/16`), canonical text. */
  addresses: string[];
  /** DNS servers (IP literals) and search domains, as written. */
  dns: string[];
  mtu?: number;
  /** `off`, `auto` or a routing table number/name, as written. */
  table?: string;
  preUp: string[];
  postUp: string[];
  preDown: string[];
  postDown: string[];
  saveConfig?: boolean;
}

export interface WgQuickPeer {
  publicKey: Key;
  presharedKey?: Key;
  /** Canonical CIDR texts (host bits cleared, duplicates dropped). */
  allowedIPs: string[];
  /** Canonical endpoint text; host names are kept unresolved. */
  endpoint?: string;
  persistentKeepalive?: number;
}

export interface WgQuickConfig {
  /** Empty (no keys) for a file of [Peer] sections only. */
  interface: WgQuickInterface;
  peers: WgQuickPeer[];
  /**
   * What was accepted but changed or merged, each `line N: ...` (host bits cleared, a [Peer]
   * repeated and merged as `wg setconf` merges it, an allowed IP claimed by two peers).
   * Show them to the user: nothing is normalised silently.
   */
  warnings?: string[];
}
