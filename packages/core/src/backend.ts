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
 *   again. Interface names and MTUs are checked where they enter (the config, the manager, the
 *   command line). Where a name becomes something the operating system reads (a socket or file
 *   path, an `ip` or wireguard-go argument, a kernel buffer), the backend refuses a bad one
 *   there too (INVALID_INTERFACE_NAME): that is the boundary's safety, not a second validation.
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

  /** Whether this backend can work here; when not, `reason` says why and what to do. Never throws. */
  isAvailable(): Promise<Availability>;

  /** Names of the WireGuard interfaces this backend manages or can see in this network namespace. */
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

  /**
   * Sets the MTU, as the caller checked it (`validateMtu` with the interface's address families:
   * 576–65535, at least 1280 with IPv6; NetworkManager does). Idempotent.
   */
  setMtu(name: string, mtu: number): Promise<void>;

  /** Brings the link up or down. Idempotent. */
  setUp(name: string, up: boolean): Promise<void>;

  /** Releases sockets, child processes and handles held by the backend (nothing to release: resolves). */
  close(): Promise<void>;

  /**
   * What this backend can do beyond the methods above, each an object or null (it cannot):
   * callers ask for a capability by name, never by probing for a method.
   */
  readonly capabilities: BackendCapabilities;
}

/** The optional abilities of a backend (see WireGuardBackend.capabilities); null where absent. */
export interface BackendCapabilities {
  /** Routes through the interface, tagged with lanrage's protocol number. NetworkManager uses it for every peer change. */
  readonly routes: RouteControl | null;
  /** The monitoring fast path and the streaming read, for devices too large to hold as one array. */
  readonly stats: StatsReader | null;
  /** The addresses on the interface. */
  readonly addresses: { getAddresses(name: string): Promise<string[]> } | null;
  /** The interface's MTU and whether its link is up, in one read (status). */
  readonly link: { getLink(name: string): Promise<LinkState> } | null;
  /** Whether single allowed-IP removal (`allowedIPsRemove`) works on this device (a probe, cached). */
  readonly allowedIPRemoval: { supported(name: string): Promise<boolean> } | null;
  /** One ICMP echo without a subprocess; without it the system ping is used. */
  readonly latency: { measureLatency(ip: string, timeoutMs: number): Promise<number | null> } | null;
  /**
   * Where the backend keeps the interface's private key itself, where lanrage's key files could
   * not be protected (Windows: in the tunnel store only SYSTEM and Administrators can open). The
   * manager then takes the key from here and writes no private key file; a key file an earlier
   * version left in `keysDir` is handed over (`adopt`) and deleted.
   */
  readonly keyStore: BackendKeyStore | null;
}

export interface RouteControl {
  /**
   * Adds and removes these routes through the interface (canonical prefixes) in one batch,
   * without reading the routes first: O(the change). Adding a route that exists and removing
   * one that does not both succeed. Only routes carrying lanrage's protocol number are removed.
   */
  changeRoutes(name: string, delta: RouteDelta): Promise<void>;
  /** Lanrage's routes through the interface (canonical prefixes). */
  getRoutes(name: string): Promise<string[]>;
}

export interface StatsReader {
  /** Public key, endpoint, last handshake, rx/tx of every peer: no allowed IPs, no secrets. */
  getStats(name: string): Promise<PeerStats[]>;
  /** The peers as a stream. */
  iteratePeers(name: string): AsyncIterable<PeerStatus>;
}

/** Where a backend keeps an interface's private key (see `WireGuardBackend.keyStore`). */
export interface BackendKeyStore {
  /**
   * The key kept for `name`; when there is none, `adopt` (the key lanrage used so far) or a new
   * one, stored before it is returned. `created`: a new key was generated.
   */
  ensurePrivateKey(name: string, adopt: Key | null): Promise<{ privateKey: Key; created: boolean }>;
}
