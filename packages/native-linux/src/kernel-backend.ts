import {
  type Availability,
  type BackendCapabilities,
  type DeviceStatus,
  isLanrageError,
  Key,
  LanrageError,
  type LinkState,
  type Logger,
  type PeerStats,
  type PeerStatus,
  type WireGuardBackend,
} from '@lanrage/core';
import { emit, linkBackendCapabilities, type NormalizedDeviceConfig, type PartialApplyDetails, parseIp, type RouteDelta } from '@lanrage/core/backend';
import { processAlive } from '@lanrage/core/platform';
import { allowedIPsAt, findPeer, type StatsMemo, streamPeers, toDeviceStatus, toPeerStats } from './device-view.js';
import { type EncodedConfig, encodeConfig, encodeConfigNow } from './encode-config.js';
import { encodeRawPeerOps } from './encode-op.js';
import { loadNative } from './load-native.js';
import { mapNativeError } from './map-error.js';
import type { NativeLink } from './native.js';
import { AF_INET, AF_INET6, type EncodedOp, type NativeBackend, type NativeDevice, type NativeError } from './native.js';
import { RtnlLinks } from './rtnl-links.js';

export interface KernelBackendOptions {
  /** Bytes per SET message (default: the page size, at most 8 KiB, as wg uses). */
  messageSize?: number;
  /**
   * How long (µs) the backend's I/O thread may busy-poll for the next call before it sleeps,
   * at most. Awaited calls made back to back (add, await, remove, await ...) then skip a thread
   * wake each; the window follows the gaps between calls and shrinks to nothing when calls are
   * far apart, and there is no polling on a one-CPU machine. 0 turns it off. Default 500.
   */
  pollMicros?: number;
  /** Where the backend logs what the manager cannot see (a change applied part-way, the removal probe): the manager's Logger. */
  logger?: Logger;
}

/**
 * Kernel WireGuard over generic netlink and rtnetlink from the native addon — no subprocess.
 * One long-lived socket pair per backend; every call runs off the JS thread.
 */
export class KernelBackend implements WireGuardBackend {
  readonly kind = 'kernel';
  readonly #options: KernelBackendOptions;
  #native: NativeBackend | undefined;
  readonly links: RtnlLinks;
  /** Everything beyond the required methods: the kernel backend has it all but a key store. */
  readonly capabilities: BackendCapabilities = linkBackendCapabilities(this, {
    stats: { getStats: (n) => this.getStats(n), iteratePeers: (n) => this.iteratePeers(n) },
    latency: { measureLatency: (ip, ms) => this.measureLatency(ip, ms) },
  });
  #removalSupport: Promise<boolean> | undefined;
  /** Reused for every small change: the addon copies it before setDevice returns. */
  readonly #scratch = new Uint8Array(4096);
  /** Per interface, what its last stats read lends the next (the strings of unchanged peers). */
  readonly #statsMemo = new Map<string, StatsMemo>();

  /** INVALID_ARGUMENT for a pollMicros that is not a whole number from 0 to 100,000. */
  constructor(options: KernelBackendOptions = {}) {
    const poll = options.pollMicros;
    if (poll !== undefined && !(Number.isInteger(poll) && poll >= 0 && poll <= 100_000)) {
      throw new LanrageError('INVALID_ARGUMENT', 'pollMicros must be a whole number of microseconds from 0 to 100000');
    }
    this.#options = { ...options };
    this.links = new RtnlLinks(() => this.#addon());
  }

  #addon(): NativeBackend {
    if (!this.#native) this.#native = new (loadNative().NativeBackend)(this.#options.pollMicros);
    return this.#native;
  }

  async isAvailable(): Promise<Availability> {
    let native: NativeBackend;
    try {
      native = this.#addon();
    } catch (err) {
      return { available: false, reason: (err as Error).message };
    }
    try {
      return await native.genlStatus();
    } catch (err) {
      return { available: false, reason: mapNativeError(err, 'checking for kernel WireGuard').message };
    }
  }

  async listDevices(): Promise<string[]> {
    try {
      const links = await this.#addon().listLinks();
      return links
        .filter((l) => l.kind === 'wireguard')
        .map((l) => l.name)
        .sort();
    } catch (err) {
      throw mapNativeError(err, 'listing WireGuard interfaces');
    }
  }

  /** INTERFACE_EXISTS when any link of that name exists. */
  async createInterface(name: string): Promise<void> {
    try {
      await this.#addon().createLink(name);
    } catch (err) {
      const e = mapNativeError(err, `creating ${name}`, { genl: false });
      if (e.code === 'INTERFACE_EXISTS') throw new LanrageError('INTERFACE_EXISTS', `a network interface named ${name} already exists`, { cause: e });
      if (e.code === 'UNSUPPORTED') throw new LanrageError('KERNEL_MODULE_MISSING', `the kernel cannot create WireGuard links: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** Idempotent; a non-WireGuard link of that name is NOT_WIREGUARD and left alone. */
  async deleteInterface(name: string): Promise<void> {
    const link = await this.links.findLink(name);
    if (!link) return;
    if (link.kind !== 'wireguard') throw new LanrageError('NOT_WIREGUARD', `${name} is not a WireGuard interface; not deleting it`);
    // Deleting a link removes its peers one at a time, each waiting for an RCU grace period
    // (measured in the VM: 160 s for 10,000 peers); REPLACE_PEERS with no peers removes them all
    // after one grace period (0.8 s). Best effort: the link goes either way.
    await this.#send(name, encodeRawPeerOps([], { replacePeers: true })).catch(() => undefined);
    this.#statsMemo.delete(name);
    await this.links.deleteLink(name);
  }

  async #missing(name: string, cause: LanrageError): Promise<LanrageError> {
    if (cause.code !== 'INTERFACE_NOT_FOUND' && cause.code !== 'UNSUPPORTED') return cause;
    const link = await this.links.findLink(name).catch(() => null);
    if (link && link.kind !== 'wireguard') return new LanrageError('NOT_WIREGUARD', `${name} is not a WireGuard interface`, { cause });
    if (!link) return new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`, { cause });
    return cause;
  }

  async getDevice(name: string): Promise<DeviceStatus> {
    let dev: NativeDevice;
    try {
      dev = await this.#addon().getDevice(name);
    } catch (err) {
      throw await this.#missing(name, mapNativeError(err, `reading ${name}`, { genl: true }));
    }
    return toDeviceStatus(name, dev);
  }

  /** Every peer as a stream: one flat read, converted peer by peer (100k peers never become one array). */
  async *iteratePeers(name: string): AsyncGenerator<PeerStatus> {
    let dev: NativeDevice;
    try {
      dev = await this.#addon().getDevice(name);
    } catch (err) {
      throw await this.#missing(name, mapNativeError(err, `reading ${name}`, { genl: true }));
    }
    yield* streamPeers(dev);
  }

  /** The monitoring fast path: a dump without allowed IPs, converted to stats only. */
  async getStats(name: string): Promise<PeerStats[]> {
    let dev: NativeDevice;
    try {
      dev = await this.#addon().getDevice(name, true);
    } catch (err) {
      this.#statsMemo.delete(name);
      throw await this.#missing(name, mapNativeError(err, `reading ${name}`, { genl: true }));
    }
    return toPeerStats(dev, this.#statsMemo.get(name), (m) => this.#statsMemo.set(name, m));
  }

  /** Whether the kernel removes single allowed IPs (WGALLOWEDIP_F_REMOVE_ME); probed once. */
  supportsAllowedIPRemoval(name: string): Promise<boolean> {
    this.#removalSupport ??= this.#probeRemoval(name).then(
      (supported) => {
        emit(this.#options.logger, 'debug', 'kernel.allowedIPRemoval', { interface: name, supported });
        return supported;
      },
      (err) => {
        this.#removalSupport = undefined;
        throw err;
      },
    );
    return this.#removalSupport;
  }

  /**
   * A kernel without the flag ignores it and would ADD the prefix, so the probe must see the
   * result: a ghost peer gets a documentation prefix, the removal is sent, the peer is read back.
   * All of it happens on a throwaway link of its own (`lrp<pid>`), never on the user's
   * interface, so a crash mid-probe can leave nothing on it; a throwaway link whose process is
   * gone is deleted by the next probe.
   */
  async #probeRemoval(_name: string): Promise<boolean> {
    for (const link of await this.listDevices()) {
      const m = /^lrp([0-9]+)$/.exec(link);
      if (m && !processAlive(Number(m[1]))) await this.deleteInterface(link).catch(() => undefined);
    }
    const link = `lrp${process.pid}`;
    await this.createInterface(link).catch((err: unknown) => {
      if (!isLanrageError(err, 'INTERFACE_EXISTS')) throw err;
    });
    const ghost = new Uint8Array(32).fill(0x6c);
    ghost[31] = 0x01;
    const ghostKey = Key.fromBytes(ghost);
    const prefix = { family: AF_INET, addr: new Uint8Array([192, 0, 2, 255]), prefix: 32 };
    const native = this.#addon();
    try {
      await this.#send(link, encodeRawPeerOps([{ publicKey: ghostKey.bytes(), allowedIps: [prefix] }]));
      try {
        await this.#send(link, encodeRawPeerOps([{ publicKey: ghostKey.bytes(), updateOnly: true, allowedIps: [{ ...prefix, remove: true }] }]));
      } catch (err) {
        const e = mapNativeError(err, 'probing allowed-IP removal');
        if (e.code === 'INVALID_ARGUMENT' || e.code === 'UNSUPPORTED') return false;
        throw e;
      }
      const dev = await native.getDevice(link);
      const i = findPeer(dev, ghostKey.bytes());
      return i >= 0 && allowedIPsAt(dev, i).length === 0;
    } finally {
      await this.deleteInterface(link).catch(() => undefined);
    }
  }

  /**
   * Sends the change packed into as few SET messages as fit. A failure after some messages were
   * acknowledged is PARTIAL_APPLY with the applied peer operations (the kernel never rolls
   * back). Single allowed-IP removal on a kernel without it is UNSUPPORTED before anything is sent.
   */
  setDevice(name: string, config: NormalizedDeviceConfig): Promise<void> {
    // Small changes (the churn case) are encoded into the reused scratch buffer and handed to
    // the addon in one synchronous stretch (no await in between); the rest in time slices.
    let enc: EncodedConfig | null;
    try {
      enc = encodeConfigNow(config, this.#scratch);
    } catch (err) {
      return Promise.reject(err);
    }
    if (enc && !enc.removesAllowedIPs) return this.#sendConfig(name, enc);
    // The probe below awaits, so an op in the scratch buffer moves out of it first.
    return this.#setDeviceSlow(name, config, enc ? { ...enc, op: detach(enc.op) } : null);
  }

  async #setDeviceSlow(name: string, config: NormalizedDeviceConfig, encoded: EncodedConfig | null): Promise<void> {
    const enc = encoded ?? (await encodeConfig(config));
    try {
      if (enc.removesAllowedIPs && !(await this.supportsAllowedIPRemoval(name).catch(() => false))) {
        throw new LanrageError('UNSUPPORTED', 'this kernel cannot remove a single allowed IP (WGALLOWEDIP_F_REMOVE_ME needs Linux 6.16 or later)', {
          remedy: 'Give the peer its whole new set with allowedIPs (replace) instead; lanrage apply does this automatically.',
        });
      }
    } catch (err) {
      enc.op.bytes.fill(0);
      throw err;
    }
    return this.#sendConfig(name, enc);
  }

  #sendConfig(name: string, enc: EncodedConfig): Promise<void> {
    return this.#send(name, enc.op).then(
      () => undefined,
      async (err: unknown) => {
        throw await this.#setError(name, enc.count, err);
      },
    );
  }

  /** Hands an encoded op to the addon (which copies it at once); wipes it if the call is refused before that. */
  #send(name: string, op: EncodedOp): Promise<number> {
    try {
      return this.#addon().setDevice(name, op.bytes, op.length, this.#options.messageSize);
    } catch (err) {
      op.bytes.fill(0, 0, op.length);
      return Promise.reject(err);
    }
  }

  /** A failure after some messages were acknowledged is PARTIAL_APPLY with what was applied. */
  async #setError(name: string, count: number, err: unknown): Promise<LanrageError> {
    const ne = err as Partial<NativeError>;
    const base = await this.#missing(name, mapNativeError(err, `setting ${name}`, { genl: true }));
    const appliedMessages = typeof ne.appliedMessages === 'number' ? ne.appliedMessages : 0;
    if (appliedMessages === 0 || base.code === 'INTERFACE_NOT_FOUND') return base;
    const appliedPeers = typeof ne.appliedPeers === 'number' ? ne.appliedPeers : 0;
    emit(this.#options.logger, 'warn', 'kernel.partialApply', { interface: name, appliedMessages, appliedPeers, operations: count, code: base.code });
    const details: PartialApplyDetails = {
      appliedPeers: Array.from({ length: Math.min(appliedPeers, count) }, (_, i) => i),
      failedPeers: Array.from({ length: Math.max(count - appliedPeers, 0) }, (_, i) => appliedPeers + i),
      deviceApplied: true,
    };
    return new LanrageError(
      'PARTIAL_APPLY',
      `setting ${name} failed after ${appliedMessages} message(s) (${appliedPeers} of ${count} peer operations applied): ${base.message}`,
      {
        cause: base,
        ...(base.errno !== undefined ? { errno: base.errno } : {}),
        ...(base.syscall !== undefined ? { syscall: base.syscall } : {}),
        ...(base.extack !== undefined ? { extack: base.extack } : {}),
        details,
      },
    );
  }

  async #wireguardLink(name: string): Promise<NativeLink> {
    const link = await this.links.findLink(name);
    if (!link) throw new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`);
    if (link.kind !== 'wireguard') throw new LanrageError('NOT_WIREGUARD', `${name} is not a WireGuard interface`);
    return link;
  }

  async setAddresses(name: string, cidrs: string[]): Promise<void> {
    await this.#wireguardLink(name);
    await this.links.setAddresses(name, cidrs);
  }

  async getAddresses(name: string): Promise<string[]> {
    await this.#wireguardLink(name);
    return this.links.getAddresses(name);
  }

  async getLink(name: string): Promise<LinkState> {
    const link = await this.#wireguardLink(name);
    return { mtu: link.mtu, up: link.up };
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await this.#wireguardLink(name);
    await this.links.setMtu(name, mtu);
  }

  async setUp(name: string, up: boolean): Promise<void> {
    await this.#wireguardLink(name);
    await this.links.setUp(name, up);
  }

  async getRoutes(name: string): Promise<string[]> {
    await this.#wireguardLink(name);
    return this.links.getRoutes(name);
  }

  /**
   * The per-peer-change path: one batch, no lookup of the link first (the addon keeps its
   * index cached), so INTERFACE_NOT_FOUND comes from the kernel's answer. A link of that name
   * that is not WireGuard is not refused here (the manager checked the link when it started).
   */
  async changeRoutes(name: string, delta: RouteDelta): Promise<void> {
    await this.links.changeRoutes(name, delta);
  }

  /** One ICMP echo from the addon (datagram socket, or raw as root): ms, or null on timeout. */
  async measureLatency(ip: string, timeoutMs: number): Promise<number | null> {
    const addr = parseIp(ip);
    if (!addr) throw new LanrageError('INVALID_ARGUMENT', 'measureLatency needs an IP address');
    try {
      return await this.#addon().ping(addr.family === 4 ? AF_INET : AF_INET6, addr.bytes, timeoutMs);
    } catch (err) {
      throw mapNativeError(err, `pinging ${ip}`);
    }
  }

  /**
   * Closes the netlink sockets and ends the backend's I/O thread once the calls made before it
   * are done. Idempotent; the backend stays usable (a later call opens new ones).
   */
  async close(): Promise<void> {
    const native = this.#native;
    this.#native = undefined;
    await native?.close();
  }
}

/** A copy of an op that was written into the scratch buffer, which is wiped. */
function detach(op: EncodedOp): EncodedOp {
  const bytes = op.bytes.slice(0, op.length);
  op.bytes.fill(0, 0, op.length);
  return { bytes, length: op.length };
}
