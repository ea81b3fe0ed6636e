import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { BackendCapabilities, PartialApplyDetails, WireGuardBackend } from '../backend.js';
import { linkBackendCapabilities } from '../capabilities.js';
import { isLanrageError, LanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import type { Logger } from '../logger.js';
import type { RouteDelta } from '../manager/peer-index.js';
import { assertResolved, type NormalizedDeviceConfig } from '../normalize.js';
import type { Availability, DeviceStatus, LinkState } from '../types.js';
import { validateInterfaceName } from '../validation/interface-name.js';
import { IpCommandLinkControl } from './ip-command-link-control.js';
import type { LinkControl } from './link-control.js';
import { UapiConnection } from './uapi-connection.js';
import { findExecutable, probeSocket, UserspaceProcesses } from './userspace-process.js';

export interface UserspaceBackendOptions {
  /** The implementation to start (default `wireguard-go`; the config's `userspaceImplementation`, i.e. LANRAGE_WG_USERSPACE, is passed here by createNetworkManager). */
  implementation?: string;
  /** Where implementations put their sockets (default `/var/run/wireguard`, as wg expects). */
  socketDir?: string;
  /** Where lanrage keeps pid and log files (default `/run/lanrage`). */
  runDir?: string;
  /** Addresses, MTU, up/down and routes on the tun device (default: iproute2). */
  linkControl?: LinkControl;
  /** Per UAPI request (default 10 s). */
  timeoutMs?: number;
  /** For the implementation to open its socket (default 10 s). */
  startTimeoutMs?: number;
  logLevel?: 'error' | 'verbose' | 'silent';
  /** Where the implementation's lifecycle is logged: the same Logger as the manager's (createNetworkManager passes it). */
  logger?: Logger;
}

/**
 * WireGuard in userspace (wireguard-go, boringtun) over the cross-platform UAPI socket: the
 * backend where the kernel has no WireGuard, in containers, and on macOS and the BSDs. One
 * persistent connection per interface, requests serialized on it, large requests streamed.
 */
export class UserspaceBackend implements WireGuardBackend {
  readonly kind = 'userspace';
  /** wireguard-go refuses a device's 65,537th peer; other implementations state no limit. */
  readonly maxPeers: number | undefined;
  readonly #implementation: string;
  readonly #socketDir: string;
  readonly #processes: UserspaceProcesses;
  readonly #timeoutMs: number;
  readonly #connections = new Map<string, UapiConnection>();
  /** Routes, addresses and the link through its LinkControl; no stats fast path (the UAPI has one read), no native ICMP. */
  readonly capabilities: BackendCapabilities = linkBackendCapabilities(this);
  #link: LinkControl;
  #removeIpSupport = new Map<string, Promise<boolean>>();

  constructor(options: UserspaceBackendOptions = {}) {
    this.#implementation = options.implementation ?? 'wireguard-go';
    this.maxPeers = /(^|\/)wireguard-go$/.test(this.#implementation) ? WIREGUARD_GO_MAX_PEERS : undefined;
    this.#socketDir = options.socketDir ?? '/var/run/wireguard';
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#link = options.linkControl ?? new IpCommandLinkControl();
    this.#processes = new UserspaceProcesses({
      implementation: this.#implementation,
      socketDir: this.#socketDir,
      runDir: options.runDir ?? '/run/lanrage',
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      logLevel: options.logLevel ?? 'error',
      logger: options.logger,
    });
  }

  /** The link controller in use (`rtnetlink` or `iproute2`). */
  get linkControl(): LinkControl {
    return this.#link;
  }

  set linkControl(control: LinkControl) {
    this.#link = control;
  }

  get implementation(): string {
    return this.#implementation;
  }

  socketPath(name: string): string {
    return this.#processes.socketPath(name);
  }

  logPath(name: string): string {
    return this.#processes.logPath(name);
  }

  async isAvailable(): Promise<Availability> {
    const exe = await findExecutable(this.#implementation);
    if (!exe) {
      return {
        available: false,
        reason: `the userspace implementation '${this.#implementation}' is not installed (apt install wireguard-go, or set LANRAGE_WG_USERSPACE)`,
      };
    }
    if (process.platform === 'linux' && !existsSync('/dev/net/tun')) {
      return { available: false, reason: '/dev/net/tun does not exist (load the tun module, or pass --device /dev/net/tun to the container)' };
    }
    return { available: true, reason: `${exe} over the UAPI socket in ${this.#socketDir}` };
  }

  #conn(name: string): UapiConnection {
    validateInterfaceName(name);
    let conn = this.#connections.get(name);
    if (!conn) {
      conn = new UapiConnection(name, this.socketPath(name), { timeoutMs: this.#timeoutMs, explainClosed: () => this.#processes.explain(name) });
      this.#connections.set(name, conn);
    }
    return conn;
  }

  /** Turns "no socket" into NOT_WIREGUARD when a non-userspace link has that name, PROCESS_EXITED when ours died. */
  async #explain(name: string, err: unknown): Promise<never> {
    if (isLanrageError(err, 'INTERFACE_NOT_FOUND')) {
      const died = await this.#processes.explainAsync(name);
      if (died) throw died;
      if (await this.#link.linkExists(name).catch(() => false)) {
        throw new LanrageError('NOT_WIREGUARD', `${name} exists but is not a userspace WireGuard interface (no UAPI socket)`, { cause: err });
      }
    }
    throw err;
  }

  async listDevices(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.#socketDir);
    } catch {
      return [];
    }
    const names = entries.filter((e) => e.endsWith('.sock')).map((e) => e.slice(0, -5));
    const states = await Promise.all(names.map((n) => probeSocket(this.socketPath(n))));
    const live = names.filter((_, i) => states[i] === 'live' || states[i] === 'denied');
    // The socket directory is shared by every network namespace: a socket whose tun device is
    // not here belongs to another namespace's interface, not to this one's list.
    const here = await Promise.all(live.map((n) => this.#link.linkExists(n).catch(() => true)));
    return live.filter((_, i) => here[i]).sort();
  }

  /**
   * Starts the implementation for `name` and waits for its socket. INTERFACE_EXISTS when a
   * live socket or any link of that name exists; a stale socket file is cleaned up first.
   */
  async createInterface(name: string): Promise<void> {
    validateInterfaceName(name);
    const state = await probeSocket(this.socketPath(name));
    if (state === 'live' || state === 'denied') {
      if (!(await this.#link.linkExists(name))) throw foreignNamespace(name, this.socketPath(name));
      throw new LanrageError('INTERFACE_EXISTS', `interface ${name} already exists`);
    }
    if (await this.#link.linkExists(name)) throw new LanrageError('INTERFACE_EXISTS', `a network interface named ${name} already exists`);
    this.#connections.get(name)?.close();
    this.#connections.delete(name);
    await this.#processes.start(name);
  }

  /**
   * Stops the implementation (cleanly: SIGTERM, then SIGKILL after 5 s) and makes sure no
   * socket, pid file or link is left. Idempotent. A link of that name that is not a userspace
   * WireGuard interface is NOT_WIREGUARD and left alone.
   */
  async deleteInterface(name: string): Promise<void> {
    validateInterfaceName(name);
    this.#connections.get(name)?.close();
    this.#connections.delete(name);
    const hadSocket = (await probeSocket(this.socketPath(name))) === 'live';
    // Never stop another namespace's wireguard-go (its pid file and socket are shared too).
    if (hadSocket && !(await this.#link.linkExists(name))) throw foreignNamespace(name, this.socketPath(name));
    const stopped = await this.#processes.stop(name);
    if (!stopped && !hadSocket && (await this.#link.linkExists(name))) {
      throw new LanrageError('NOT_WIREGUARD', `${name} is not a userspace WireGuard interface; not deleting it`);
    }
    // An implementation we did not start exits when its tun device goes away.
    if (await this.#link.linkExists(name)) await this.#link.deleteLink(name);
  }

  /**
   * Reads the device over its UAPI socket, wherever its tun device is: wireguard-go's socket
   * directory is shared by every network namespace, so a monitor may read another namespace's
   * interface. Link operations (addresses, MTU, link state) and deleteInterface refuse one.
   */
  async getDevice(name: string): Promise<DeviceStatus> {
    try {
      return await this.#conn(name).get();
    } catch (err) {
      return this.#explain(name, err);
    }
  }

  /** Whether this implementation understands `allowed_ip=-prefix` (probed once, without side effects). */
  supportsAllowedIPRemoval(name: string): Promise<boolean> {
    let probe = this.#removeIpSupport.get(this.#implementation);
    if (!probe) {
      // update_only on a random (absent) peer changes nothing; an old parser still rejects the `-`.
      const ghost = Key.fromBytes(
        new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff),
        'public',
      );
      probe = this.#conn(name)
        .set({
          replacePeers: false,
          peers: [
            {
              publicKey: ghost,
              remove: false,
              updateOnly: true,
              replaceAllowedIPs: false,
              allowedIPs: [],
              allowedIPsRemove: [{ family: 4, bytes: new Uint8Array([192, 0, 2, 1]), prefix: 32, text: '192.0.2.1/32' }],
            },
          ],
        })
        .then(
          () => true,
          (err) => {
            if (isLanrageError(err, 'INVALID_ARGUMENT')) return false;
            this.#removeIpSupport.delete(this.#implementation);
            throw err;
          },
        );
      this.#removeIpSupport.set(this.#implementation, probe);
    }
    return probe;
  }

  /**
   * Applies the change in one streamed `set=1`. UNSUPPORTED (before anything is sent) for
   * single allowed-IP removal when the implementation lacks it — never a silent add. A failure
   * in a multi-peer set is re-read and reported as PARTIAL_APPLY with what was applied.
   */
  async setDevice(name: string, norm: NormalizedDeviceConfig): Promise<void> {
    assertResolved(norm);
    const conn = this.#conn(name);
    try {
      if (norm.peers.some((p) => p.allowedIPsRemove.length > 0) && !(await this.supportsAllowedIPRemoval(name))) {
        throw new LanrageError('UNSUPPORTED', `${this.#implementation} cannot remove a single allowed IP`, {
          remedy: 'Give the peer its whole new set with allowedIPs (replace) instead, or update the implementation.',
        });
      }
      await conn.set(norm);
    } catch (err) {
      if (!isLanrageError(err) || err.code === 'UNSUPPORTED' || err.code === 'INTERFACE_NOT_FOUND') return this.#explain(name, err);
      if (norm.peers.length <= 1 && !hasDeviceFields(norm)) throw err;
      // The listen port is the first line after fwmark: a port clash applied nothing else.
      if (err.code === 'PORT_IN_USE' && norm.fwmark === undefined) throw err;
      throw await this.#partial(name, norm, err);
    }
  }

  /**
   * The implementation applies lines in order and stops at the first failure: re-read the
   * device and find the first peer operation whose effect is not visible.
   */
  async #partial(name: string, norm: NormalizedDeviceConfig, cause: LanrageError): Promise<LanrageError> {
    let after: DeviceStatus | undefined;
    try {
      after = await this.#conn(name).get();
    } catch {
      // the process may be gone; report what we know
    }
    const details: PartialApplyDetails = { appliedPeers: [], failedPeers: norm.peers.map((_, i) => i), deviceApplied: false };
    if (after) {
      const deviceApplied =
        (norm.listenPort === undefined || norm.listenPort === 0 || after.listenPort === norm.listenPort) &&
        (norm.privateKey === undefined || (norm.privateKey === null ? after.privateKey === null : (after.privateKey?.equals(norm.privateKey) ?? false)));
      details.deviceApplied = deviceApplied;
      if (deviceApplied) {
        const byKey = new Map((after as DeviceStatus).peers.map((p) => [p.publicKey.toHex(), p]));
        let firstFailed = norm.peers.findIndex((op) => !visible(op, byKey.get(op.publicKey.toHex())));
        if (firstFailed < 0) firstFailed = norm.peers.length;
        details.appliedPeers = norm.peers.map((_, i) => i).slice(0, firstFailed);
        details.failedPeers = norm.peers.map((_, i) => i).slice(firstFailed);
      }
    }
    // wireguard-go refuses a device's 65,537th peer with a bare EINVAL: name the limit.
    const full = after !== undefined && after.peers.length >= WIREGUARD_GO_MAX_PEERS && cause.code === 'INVALID_ARGUMENT';
    return new LanrageError(
      'PARTIAL_APPLY',
      `setting ${name} failed part-way (${details.appliedPeers.length} of ${norm.peers.length} peer operations applied): ${cause.message}${full ? ` (the device has ${after?.peers.length} peers: wireguard-go holds at most ${WIREGUARD_GO_MAX_PEERS} per interface)` : ''}`,
      {
        ...(full ? { remedy: 'Use the kernel backend (no such limit), or spread the peers over several interfaces.' } : {}),
        cause,
        ...(cause.errno !== undefined ? { errno: cause.errno } : {}),
        details,
      },
    );
  }

  /**
   * The interface is ours to configure: its socket answers and its tun device is in this network
   * namespace. A live socket without that link is another namespace's interface (INTERFACE_EXISTS):
   * `initialize` reads its link before it sets a key, so it never adopts one (nor rewrites its key).
   */
  async #ensureExists(name: string): Promise<void> {
    validateInterfaceName(name);
    const state = await probeSocket(this.socketPath(name));
    if (state === 'live' || state === 'denied') {
      if (!(await this.#link.linkExists(name))) throw foreignNamespace(name, this.socketPath(name));
      return;
    }
    await this.#explain(name, new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`));
  }

  async setAddresses(name: string, cidrs: string[]): Promise<void> {
    await this.#ensureExists(name);
    await this.#link.setAddresses(name, cidrs);
  }

  async getAddresses(name: string): Promise<string[]> {
    await this.#ensureExists(name);
    return this.#link.getAddresses(name);
  }

  async getLink(name: string): Promise<LinkState> {
    await this.#ensureExists(name);
    return this.#link.getLink(name);
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await this.#ensureExists(name);
    await this.#link.setMtu(name, mtu);
  }

  async setUp(name: string, up: boolean): Promise<void> {
    await this.#ensureExists(name);
    await this.#link.setUp(name, up);
  }

  async getRoutes(name: string): Promise<string[]> {
    await this.#ensureExists(name);
    return this.#link.getRoutes(name);
  }

  /** The churn path: no socket probe first (the link control reports a missing link itself). */
  async changeRoutes(name: string, delta: RouteDelta): Promise<void> {
    await this.#link.changeRoutes(name, delta);
  }

  async close(): Promise<void> {
    for (const c of this.#connections.values()) c.close();
    this.#connections.clear();
  }
}

function hasDeviceFields(n: NormalizedDeviceConfig): boolean {
  return n.privateKey !== undefined || n.listenPort !== undefined || n.fwmark !== undefined || n.replacePeers;
}

/** wireguard-go's MaxPeers (1 << 16). */
const WIREGUARD_GO_MAX_PEERS = 65_536;

/** Whether a peer operation's effect shows on the peer read after it (undefined: no such peer). */
function visible(op: NormalizedDeviceConfig['peers'][number], peer: DeviceStatus['peers'][number] | undefined): boolean {
  if (op.remove) return !peer;
  if (!peer) return op.updateOnly;
  if (op.endpoint && peer.endpoint !== op.endpoint.text) return false;
  if (op.persistentKeepalive !== undefined && peer.persistentKeepalive !== op.persistentKeepalive) return false;
  return op.allowedIPs.every((c) => peer.allowedIPs.includes(c.text));
}

function foreignNamespace(name: string, socket: string): LanrageError {
  return new LanrageError(
    'INTERFACE_EXISTS',
    `${name} is a userspace WireGuard interface of another network namespace (${socket} answers, but no ${name} link is here)`,
    {
      remedy: `wireguard-go's sockets are shared by every network namespace: choose another name (-i), or run lanrage in the namespace that has ${name}.`,
    },
  );
}
