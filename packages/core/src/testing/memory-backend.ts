// Everything from the package's own entry (one bundled file in dist): a MemoryBackend's Key
// and LanrageError are the very classes '@lanrage/core' hands out.
import {
  type Availability,
  assertResolved,
  type BackendCapabilities,
  type DeviceConfig,
  type DeviceStatus,
  Key,
  LanrageError,
  type LinkState,
  linkBackendCapabilities,
  type NormalizedDeviceConfig,
  type PartialApplyDetails,
  type PeerStatus,
  parseAllowedIP,
  parseInterfaceAddress,
  publicKeyFrom,
  type RouteDelta,
  TimeSlicer,
  toDeviceConfig,
  validateInterfaceName,
  type WireGuardBackend,
} from '../internal.js';

function copyKey(key: Key): Key {
  const bytes = key.bytes();
  try {
    return Key.fromBytes(bytes, key.kind);
  } finally {
    bytes.fill(0);
  }
}

interface MemoryPeer {
  publicKey: Key;
  presharedKey: Key | null;
  endpoint: string | null;
  persistentKeepalive: number;
  allowedIPs: string[];
  lastHandshake: Date | null;
  rxBytes: bigint;
  txBytes: bigint;
}

/** Forgets `peer` as the holder of `cidrs` (its list is the caller's to change). */
function releaseAllowedIPs(dev: MemoryDevice, peer: MemoryPeer, cidrs: Iterable<string>): void {
  for (const c of cidrs) if (dev.owners.get(c) === peer) dev.owners.delete(c);
}

function dropPeer(dev: MemoryDevice, id: string): void {
  const peer = dev.peers.get(id);
  if (!peer) return;
  releaseAllowedIPs(dev, peer, peer.allowedIPs);
  dev.peers.delete(id);
}

interface MemoryDevice {
  privateKey: Key | null;
  publicKey: Key | null;
  listenPort: number;
  fwmark: number;
  peers: Map<string, MemoryPeer>;
  /** Allowed IP → the peer holding it (one holder, as in the kernel): keeps a large set O(change). */
  owners: Map<string, MemoryPeer>;
  addresses: string[];
  routes: Set<string>;
  mtu: number;
  up: boolean;
}

/** One recorded backend call, for tests that assert *how* a caller changed the device. */
export interface MemoryCall {
  method: string;
  name: string;
  config?: DeviceConfig;
  args?: unknown[];
}

export interface MemoryBackendOptions {
  /** What isAvailable() answers (default: available). */
  availability?: Availability;
  /** Names of links that exist but are not WireGuard (NOT_WIREGUARD), e.g. `['lo', 'eth0']`. */
  foreignLinks?: string[];
  /** Round-trip times measureLatency returns per IP; an IP not listed times out (null). */
  latencies?: Record<string, number | null>;
  /** Whether single allowed-IP removal is supported (default true, as on Linux ≥ 6.15). */
  allowedIPRemoval?: boolean;
}

/**
 * An in-memory WireGuardBackend with the Linux kernel's semantics, including its silent
 * cases: a peer equal to our own public key is ignored (K9); a new private key removes the
 * peer with the matching public key (K10); an allowed IP given to a second peer moves to it
 * (A3); `updateOnly` on a missing peer does nothing; attributes apply in the kernel's order
 * (fwmark, port, replace peers, private key, peers) and are not rolled back on failure.
 */
export class MemoryBackend implements WireGuardBackend {
  readonly kind = 'memory';
  readonly calls: MemoryCall[] = [];
  /** What the kernel backend has, but a stats fast path and a key store (the methods are its own: tests may replace them). */
  readonly capabilities: BackendCapabilities = linkBackendCapabilities(this, {
    latency: { measureLatency: (ip, ms) => this.measureLatency(ip, ms) },
  });
  readonly #devices = new Map<string, MemoryDevice>();
  readonly #foreign: Set<string>;
  readonly #latencies: Record<string, number | null>;
  #availability: Availability;
  readonly #incremental: boolean;
  #failures = new Map<string, { atPeer: number; error: LanrageError }>();

  constructor(options: MemoryBackendOptions = {}) {
    this.#availability = options.availability ?? { available: true, reason: 'in-memory backend' };
    this.#foreign = new Set(options.foreignLinks ?? []);
    this.#latencies = { ...(options.latencies ?? {}) };
    this.#incremental = options.allowedIPRemoval ?? true;
  }

  async isAvailable(): Promise<Availability> {
    return { ...this.#availability };
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  setAvailability(availability: Availability): void {
    this.#availability = availability;
  }

  async listDevices(): Promise<string[]> {
    return [...this.#devices.keys()];
  }

  async createInterface(name: string): Promise<void> {
    validateInterfaceName(name);
    this.calls.push({ method: 'createInterface', name });
    if (this.#devices.has(name) || this.#foreign.has(name)) throw new LanrageError('INTERFACE_EXISTS', `interface ${name} already exists`);
    this.#devices.set(name, {
      privateKey: null,
      publicKey: null,
      listenPort: 0,
      fwmark: 0,
      peers: new Map(),
      owners: new Map(),
      addresses: [],
      routes: new Set(),
      mtu: 1420,
      up: false,
    });
  }

  async deleteInterface(name: string): Promise<void> {
    validateInterfaceName(name);
    this.calls.push({ method: 'deleteInterface', name });
    if (this.#foreign.has(name)) throw new LanrageError('NOT_WIREGUARD', `${name} is not a WireGuard interface`);
    this.#devices.delete(name);
  }

  #device(name: string): MemoryDevice {
    validateInterfaceName(name);
    if (this.#foreign.has(name)) throw new LanrageError('NOT_WIREGUARD', `${name} is not a WireGuard interface`);
    const dev = this.#devices.get(name);
    if (!dev) throw new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`);
    return dev;
  }

  async getDevice(name: string): Promise<DeviceStatus> {
    const dev = this.#device(name);
    const peers: PeerStatus[] = [...dev.peers.values()].map((p) => ({
      publicKey: p.publicKey,
      presharedKey: p.presharedKey,
      endpoint: p.endpoint,
      persistentKeepalive: p.persistentKeepalive,
      allowedIPs: [...p.allowedIPs],
      lastHandshake: p.lastHandshake,
      lastHandshakeNanos: 0,
      rxBytes: p.rxBytes,
      txBytes: p.txBytes,
      protocolVersion: 1,
    }));
    return { name, privateKey: dev.privateKey, publicKey: dev.publicKey, listenPort: dev.listenPort, fwmark: dev.fwmark, peers };
  }

  /** Makes the next setDevice on `name` fail at peer operation `atPeer` (0-based), once. */
  failNextSet(name: string, atPeer: number, error = new LanrageError('IO_ERROR', 'injected failure')): void {
    this.#failures.set(name, { atPeer, error });
  }

  async setDevice(name: string, norm: NormalizedDeviceConfig): Promise<void> {
    const dev = this.#device(name);
    this.calls.push({ method: 'setDevice', name, config: toDeviceConfig(norm) });
    assertResolved(norm); // the contract's precondition, before any change
    if (!this.#incremental && norm.peers.some((p) => p.allowedIPsRemove.length > 0)) {
      throw new LanrageError('UNSUPPORTED', 'single allowed-IP removal is not supported'); // refused before any change
    }
    const failure = this.#failures.get(name);
    this.#failures.delete(name);

    if (norm.fwmark !== undefined) dev.fwmark = norm.fwmark;
    if (norm.listenPort !== undefined && norm.listenPort !== 0) {
      for (const [other, d] of this.#devices) {
        if (other !== name && d.listenPort === norm.listenPort) {
          throw new LanrageError('PORT_IN_USE', `listen port ${norm.listenPort} is used by ${other}`, {
            details: { appliedPeers: [], failedPeers: norm.peers.map((_, i) => i), deviceApplied: false } satisfies PartialApplyDetails,
          });
        }
      }
    }
    if (norm.listenPort !== undefined) dev.listenPort = norm.listenPort;
    if (norm.replacePeers) {
      dev.peers.clear();
      dev.owners.clear();
    }
    if (norm.privateKey !== undefined) {
      // Like the kernel, keep a copy: callers wipe their key objects after use.
      dev.privateKey = norm.privateKey ? copyKey(norm.privateKey) : null;
      dev.publicKey = norm.privateKey ? publicKeyFrom(norm.privateKey) : null;
      if (dev.publicKey) dropPeer(dev, dev.publicKey.toHex()); // K10: silently removed
    }

    const applied: number[] = [];
    const slicer = new TimeSlicer(); // a 100,000-peer change must not stall the caller's event loop either
    for (let i = 0; i < norm.peers.length; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      if (failure && failure.atPeer === i) {
        const details: PartialApplyDetails = {
          appliedPeers: applied,
          failedPeers: norm.peers.map((_, j) => j).slice(i),
          deviceApplied: true,
        };
        throw new LanrageError('PARTIAL_APPLY', `setting ${name} failed at peer operation ${i} of ${norm.peers.length}`, {
          cause: failure.error,
          details,
        });
      }
      const op = norm.peers[i] as (typeof norm.peers)[number];
      applied.push(i);
      const id = op.publicKey.toHex();
      if (dev.publicKey?.equals(op.publicKey)) continue; // K9: silently ignored
      if (op.remove) {
        dropPeer(dev, id);
        continue;
      }
      let peer = dev.peers.get(id);
      if (!peer) {
        if (op.updateOnly) continue;
        peer = {
          publicKey: op.publicKey,
          presharedKey: null,
          endpoint: null,
          persistentKeepalive: 0,
          allowedIPs: [],
          lastHandshake: null,
          rxBytes: 0n,
          txBytes: 0n,
        };
        dev.peers.set(id, peer);
      }
      if (op.presharedKey !== undefined) peer.presharedKey = op.presharedKey ? copyKey(op.presharedKey) : null;
      if (op.endpoint !== undefined) peer.endpoint = op.endpoint.text;
      if (op.persistentKeepalive !== undefined) peer.persistentKeepalive = op.persistentKeepalive;
      if (op.replaceAllowedIPs) {
        releaseAllowedIPs(dev, peer, peer.allowedIPs);
        peer.allowedIPs = [];
      }
      for (const cidr of op.allowedIPs) {
        const holder = dev.owners.get(cidr.text);
        if (holder === peer) continue;
        if (holder) holder.allowedIPs = holder.allowedIPs.filter((t) => t !== cidr.text); // A3: moves
        dev.owners.set(cidr.text, peer);
        peer.allowedIPs.push(cidr.text);
      }
      if (op.allowedIPsRemove.length > 0) {
        const drop = new Set(op.allowedIPsRemove.map((c) => c.text));
        releaseAllowedIPs(dev, peer, drop);
        peer.allowedIPs = peer.allowedIPs.filter((t) => !drop.has(t));
      }
    }
  }

  async supportsAllowedIPRemoval(name: string): Promise<boolean> {
    this.#device(name);
    return this.#incremental;
  }

  async setAddresses(name: string, cidrs: string[]): Promise<void> {
    const dev = this.#device(name);
    const parsed = cidrs.map((c) => parseInterfaceAddress(c).text);
    this.calls.push({ method: 'setAddresses', name, args: [parsed] });
    dev.addresses = [...new Set(parsed)];
  }

  async getAddresses(name: string): Promise<string[]> {
    return [...this.#device(name).addresses];
  }

  async changeRoutes(name: string, delta: RouteDelta): Promise<void> {
    const dev = this.#device(name);
    this.calls.push({ method: 'changeRoutes', name, args: [delta] });
    for (const c of delta.remove) dev.routes.delete(parseAllowedIP(c).cidr.text);
    for (const c of delta.add) dev.routes.add(parseAllowedIP(c).cidr.text);
  }

  async getRoutes(name: string): Promise<string[]> {
    return [...this.#device(name).routes];
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    const dev = this.#device(name);
    dev.mtu = mtu; // checked by the caller, as the contract says
    this.calls.push({ method: 'setMtu', name, args: [mtu] });
  }

  async getMtu(name: string): Promise<number> {
    return this.#device(name).mtu;
  }

  async setUp(name: string, up: boolean): Promise<void> {
    this.#device(name).up = up;
    this.calls.push({ method: 'setUp', name, args: [up] });
  }

  async getLink(name: string): Promise<LinkState> {
    const d = this.#device(name);
    return { mtu: d.mtu, up: d.up };
  }

  async isUp(name: string): Promise<boolean> {
    return this.#device(name).up;
  }

  async measureLatency(ip: string, _timeoutMs: number): Promise<number | null> {
    return this.#latencies[ip] ?? null;
  }

  /** Test hook: what a real implementation would learn from traffic (handshake, counters, roaming). */
  simulateTraffic(name: string, publicKey: Key, traffic: { lastHandshake?: Date | null; rxBytes?: bigint; txBytes?: bigint; endpoint?: string }): void {
    const peer = this.#device(name).peers.get(publicKey.toHex());
    if (!peer) throw new LanrageError('PEER_NOT_FOUND', `no peer ${publicKey} on ${name}`);
    if (traffic.lastHandshake !== undefined) peer.lastHandshake = traffic.lastHandshake;
    if (traffic.rxBytes !== undefined) peer.rxBytes += traffic.rxBytes;
    if (traffic.txBytes !== undefined) peer.txBytes += traffic.txBytes;
    if (traffic.endpoint !== undefined) peer.endpoint = traffic.endpoint;
  }

  setLatency(ip: string, ms: number | null): void {
    this.#latencies[ip] = ms;
  }
}
