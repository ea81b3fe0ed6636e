import type { PeerStats } from './churn/watcher.js';
import type { Key } from './keys/key.js';
import type { RouteDelta } from './manager/peer-index.js';
import type { NormalizedDeviceConfig } from './normalize.js';
import type { Availability, DeviceStatus, LinkState, PeerStatus } from './types.js';

/** What a failed multi-peer `setDevice` reports in `LanrageError.details` (code PARTIAL_APPLY). */
export type { PartialApplyDetails } from './errors.js';

/** A backend chosen for this platform, and why (in words for the user). */
export interface BackendSelection {
  backend: WireGuardBackend;
  kind: string;
  reason: string;
  /** What changes addresses and routes: `rtnetlink` (the native addon), `iproute2`, `windows`. */
  linkControl?: string;
}

/**
 * The contract every WireGuard backend implements: kernel (netlink), userspace (UAPI) and
 * Windows (tunnel service). Obligations common to all methods:
 *
 * - Input is validated once, at the API edge (NetworkManager, `applyDesired`, PeerCoalescer, or
 *   an embedder's own `prepareDeviceConfig`): `setDevice` takes the normalised form (keys
 *   parsed, prefixes canonical, host names resolved) and trusts it; backends do not validate it
 *   again. Interface names and MTUs are checked where they enter (the config, the manager).
 * - A name that is not an existing interface gives INTERFACE_NOT_FOUND; an existing link that
 *   is not WireGuard gives NOT_WIREGUARD. Missing privileges give PERMISSION_DENIED.
 * - No secret key ever appears in an error, a log record, an argv or an environment variable.
 * - Calls on one interface are applied in the order they were made.
 */
export interface WireGuardBackend {
  /** Short stable name: `kernel`, `userspace`, `windows`, `memory`. */
  readonly kind: string;

  /**
   * The most peers one interface holds, where the implementation has a limit (wireguard-go:
   * 65,536); absent when it has none. `apply` (dry runs included) refuses a change that would
   * go over it before sending anything.
   */
  readonly maxPeers?: number | undefined;

  /**
   * Present when the backend keeps the interface's private key itself, where lanrage's key
   * files could not be protected (Windows: in the tunnel store only SYSTEM and Administrators
   * can open). The manager then takes the key from here and writes no private key file; a key
   * file an earlier version left in `keysDir` is handed over (`adopt`) and deleted.
   */
  readonly keyStore?: BackendKeyStore | undefined;

  /** Whether this backend can work here; when not, `reason` says why and what to do. Never throws. */
  isAvailable(): Promise<Availability>;

  /** Names of the WireGuard interfaces this backend manages or can see. */
  listDevices(): Promise<string[]>;

  /**
   * Creates the interface (down, no key, no peers). Throws INTERFACE_EXISTS if it exists,
   * so callers that want "create or adopt" check `listDevices()` first.
   */
  createInterface(name: string): Promise<void>;

  /** Deletes the interface. Idempotent: deleting a missing interface succeeds. */
  deleteInterface(name: string): Promise<void>;

  /** Reads the whole device: keys (hidden when printed), port, fwmark, every peer with stats. */
  getDevice(name: string): Promise<DeviceStatus>;

  /**
   * Applies a change with any number of peer operations in one call (see DeviceConfig for the
   * semantics of absent fields), given in its normalised form: `prepareDeviceConfig(config)`
   * (or `normalizeDeviceConfig` for a config without host names) makes it, once. An endpoint
   * still holding a host name is INVALID_ENDPOINT (the caller skipped resolution). Setting the
   * same config twice is idempotent. When the implementation fails part-way, it throws
   * PARTIAL_APPLY whose `details` is a PartialApplyDetails saying what was applied; it never
   * reports success for a partial change.
   */
  setDevice(name: string, config: NormalizedDeviceConfig): Promise<void>;

  /**
   * Makes the interface's addresses exactly `cidrs` (`10.66.0.1/16`, host bits kept):
   * missing ones are added, others removed. Idempotent.
   */
  setAddresses(name: string, cidrs: string[]): Promise<void>;

  /** Sets the MTU (576–65535, ≥1280 with IPv6). Idempotent. */
  setMtu(name: string, mtu: number): Promise<void>;

  /** Brings the link up or down. Idempotent. */
  setUp(name: string, up: boolean): Promise<void>;

  /**
   * Optional: routes through the interface for these prefixes (what wg-quick does with
   * `ip route`); makes the interface's routes exactly `cidrs`. Idempotent. Reads the routes
   * first: O(routes) per call.
   */
  setRoutes?(name: string, cidrs: string[]): Promise<void>;

  /**
   * Optional: adds and removes these routes through the interface (canonical prefixes) in
   * one batch, without reading the routes first: O(the change). Adding a route that exists
   * and removing one that does not both succeed. Only routes carrying lanrage's protocol
   * number are removed. NetworkManager uses it for every peer change.
   */
  changeRoutes?(name: string, delta: RouteDelta): Promise<void>;

  /** Optional: lanrage's routes through the interface (canonical prefixes). */
  getRoutes?(name: string): Promise<string[]>;

  /** Optional: the peers as a stream, for devices too large to hold as one array of objects. */
  iteratePeers?(name: string): AsyncIterable<PeerStatus>;

  /** Optional: the monitoring fast path — public key, endpoint, last handshake, rx/tx of every peer. */
  getStats?(name: string): Promise<PeerStats[]>;

  /** Optional: whether single allowed-IP removal (`allowedIPsRemove`) works on this device. */
  supportsAllowedIPRemoval?(name: string): Promise<boolean>;

  /** Optional: the addresses currently on the interface. */
  getAddresses?(name: string): Promise<string[]>;

  /** Optional: the interface's MTU and whether its link is up (one read; for status). */
  getLink?(name: string): Promise<LinkState>;

  /**
   * Optional: one ICMP echo round trip to `ip` in milliseconds, or null on timeout. Backends
   * that can probe without a subprocess implement it; otherwise the system ping is used.
   */
  measureLatency?(ip: string, timeoutMs: number): Promise<number | null>;

  /** Optional: releases sockets, child processes and handles held by the backend. */
  close?(): Promise<void>;
}

/** Where a backend keeps an interface's private key (see `WireGuardBackend.keyStore`). */
export interface BackendKeyStore {
  /**
   * The key kept for `name`; when there is none, `adopt` (the key lanrage used so far) or a new
   * one, stored before it is returned. `created`: a new key was generated.
   */
  ensurePrivateKey(name: string, adopt: Key | null): Promise<{ privateKey: Key; created: boolean }>;
}
