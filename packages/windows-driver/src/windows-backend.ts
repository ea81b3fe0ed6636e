import {
  type Availability,
  type BackendCapabilities,
  type DeviceStatus,
  LanrageError,
  type Logger,
  type WgQuickPeer,
  type WireGuardBackend,
} from '@lanrage/core';
import {
  assertResolved,
  type BackendKeyStore,
  emit,
  KeyedQueue,
  type NormalizedDeviceConfig,
  type NormalizedPeer,
  parseInterfaceAddress,
  parseIp,
  validateWindowsTunnelName,
} from '@lanrage/core/backend';
import { baseHash, ConfigStore, type DriverFs, nodeFs, type TunnelConfig } from './config-store.js';
import { parseWindowsPing } from './parse/ping.js';
import { ERROR_ACCESS_DENIED, parseScQuery, SERVICE_EXIT_REASONS, type ServiceStatus } from './parse/sc-query.js';
import { parseWgDump, parseWgInterfaces } from './parse/wg-dump.js';
import { resolvePaths, serviceName, type WindowsPaths } from './paths.js';
import { type CommandRunner, nodeRunner } from './runner.js';

export interface WindowsBackendOptions {
  runner?: CommandRunner;
  /** The 64-bit Program Files folder (default `%ProgramW6432%`). */
  programFiles?: string;
  /** Where tunnel configs live (default `%ProgramData%\LANrage\wireguard`). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  fs?: DriverFs;
  /** Budget for a tunnel service to reach RUNNING (default 90 s: the service resolves endpoint host names, up to 10 × 4 s, and waits up to 1 min for the TCP/IP interface before it reports RUNNING). */
  startTimeoutMs?: number;
  /** Budget for a service to disappear after uninstall or to leave delete-pending (default 30 s). */
  stopTimeoutMs?: number;
  /** Per command (default 30 s). */
  commandTimeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Defaults to process.platform (tests drive the backend from Linux). */
  platform?: NodeJS.Platform;
  /** Where service waits are logged (windows.service: what was awaited, the state reached, how long): the manager's Logger. */
  logger?: Logger;
}

/** wg.exe set argv stays well under Windows' 32,767-character command line. */
const MAX_ARGV_CHARS = 24_000;

/**
 * WireGuard for Windows through its tunnel service (wireguard.exe) and wg.exe: a config with
 * only the keys wireguard.exe accepts, in a SYSTEM/Administrators-only directory; install,
 * then wait for RUNNING through a service state machine fed by sc.exe's numbers; runtime peers
 * with wg.exe set (keys only through files) and persisted, so a service restart keeps them.
 */
export class WindowsBackend implements WireGuardBackend {
  /** The private key lives only in the tunnel store (SYSTEM and Administrators), never in lanrage's key files. */
  readonly #keyStore: BackendKeyStore = {
    ensurePrivateKey: async (name, adopt) => {
      validateWindowsTunnelName(name);
      await this.#serialize(name, () => this.#stored(name)); // a tunnel another program installed: its key first
      return this.store.ensurePrivateKey(name, adopt);
    },
  };
  /** The tunnel store keeps the private key; addresses and ICMP through Windows' own tools; no routes, stats or link reads. */
  readonly capabilities: BackendCapabilities = {
    routes: null,
    stats: null,
    addresses: { getAddresses: (n) => this.getAddresses(n) },
    link: null,
    allowedIPRemoval: null,
    latency: { measureLatency: (ip, ms) => this.measureLatency(ip, ms) },
    keyStore: this.#keyStore,
  };
  readonly kind = 'windows';
  readonly paths: WindowsPaths;
  readonly store: ConfigStore;
  readonly #run: CommandRunner;
  readonly #fs: DriverFs;
  readonly #startTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #pollMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #platform: NodeJS.Platform;
  readonly #locks = new KeyedQueue();
  readonly #logger: Logger | undefined;

  constructor(options: WindowsBackendOptions = {}) {
    this.#run = options.runner ?? nodeRunner;
    this.#fs = options.fs ?? nodeFs;
    this.paths = resolvePaths(options.env ?? process.env, {
      ...(options.programFiles !== undefined ? { programFiles: options.programFiles } : {}),
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    });
    this.store = new ConfigStore(this.paths.dataDir, this.#fs, this.#run, this.paths.powershellExe);
    this.#startTimeoutMs = options.startTimeoutMs ?? 90_000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 250;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#now = options.now ?? Date.now;
    this.#platform = options.platform ?? process.platform;
    this.#logger = options.logger;
  }

  /** Runs operations on one tunnel one at a time. */
  #serialize<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.run(name, fn);
  }

  async #exec(file: string, args: string[], timeoutMs = this.#commandTimeoutMs) {
    const r = await this.#run(file, args, { timeoutMs });
    if (r.timedOut) throw new LanrageError('TIMEOUT', `${file.split('\\').pop()} ${args[0] ?? ''} did not finish within ${timeoutMs} ms and was stopped`);
    return r;
  }

  /** Elevated = a member of Administrators with a High (or System) integrity token; null if unknown. */
  async #elevated(): Promise<boolean | null> {
    const r = await this.#exec(this.paths.whoamiExe, ['/groups', '/fo', 'csv', '/nh']).catch(() => null);
    if (r?.code !== 0) return null;
    return r.stdout.includes('S-1-5-32-544') && /S-1-16-(12288|16384)\b/.test(r.stdout);
  }

  async isAvailable(): Promise<Availability> {
    if (this.#platform !== 'win32') return { available: false, reason: `the Windows backend runs on Windows, not ${this.#platform}` };
    for (const exe of [this.paths.wireguardExe, this.paths.wgExe]) {
      if (!(await this.#fs.exists(exe))) return { available: false, reason: `${exe} is missing: install WireGuard for Windows` };
    }
    if ((await this.#elevated()) === false) return { available: false, reason: 'not elevated: run from an elevated prompt (Run as administrator)' };
    return { available: true, reason: `WireGuard for Windows at ${this.paths.wireguardExe}` };
  }

  async #preflight(): Promise<void> {
    for (const exe of [this.paths.wireguardExe, this.paths.wgExe]) {
      if (!(await this.#fs.exists(exe))) {
        throw new LanrageError('NOT_INSTALLED', `${exe} is missing`, { remedy: 'Install WireGuard for Windows (https://www.wireguard.com/install/).' });
      }
    }
    if ((await this.#elevated()) === false) {
      throw new LanrageError('PERMISSION_DENIED', 'managing WireGuard tunnels needs an elevated prompt', {
        remedy: 'Run from an elevated prompt (Run as administrator).',
      });
    }
  }

  async #query(name: string): Promise<ServiceStatus> {
    const r = await this.#exec(this.paths.scExe, ['queryex', serviceName(name)]);
    const status = parseScQuery(r.stdout, r.code);
    if (status) return status;
    if (r.code === ERROR_ACCESS_DENIED)
      throw new LanrageError('PERMISSION_DENIED', `cannot query ${serviceName(name)}`, { remedy: 'Run from an elevated prompt.' });
    throw new LanrageError('PROTOCOL_ERROR', `sc.exe queryex ${serviceName(name)} gave unreadable output (exit ${r.code})`);
  }

  /** Polls the service until `done` says so; throws TIMEOUT after `budgetMs`. */
  async #waitFor(name: string, budgetMs: number, what: string, done: (s: ServiceStatus) => boolean | Promise<boolean>): Promise<ServiceStatus> {
    const t0 = this.#now();
    const deadline = t0 + budgetMs;
    let delay = this.#pollMs;
    for (;;) {
      const s = await this.#query(name);
      if (await done(s)) {
        emit(this.#logger, 'info', 'windows.service', { tunnel: name, waitedFor: what, state: s.state, durationMs: this.#now() - t0 });
        return s;
      }
      if (this.#now() >= deadline) {
        emit(this.#logger, 'error', 'windows.service', { tunnel: name, waitedFor: what, state: s.state, durationMs: this.#now() - t0, code: 'TIMEOUT' });
        throw new LanrageError('TIMEOUT', `${serviceName(name)} did not ${what} within ${budgetMs} ms (state: ${s.state})`);
      }
      await this.#sleep(delay);
      delay = Math.min(1000, Math.round(delay * 1.5));
    }
  }

  #startFailure(name: string, s: ServiceStatus): LanrageError {
    if (s.win32ExitCode === 1066) {
      const reason = SERVICE_EXIT_REASONS[s.serviceExitCode] ?? `service-specific error ${s.serviceExitCode}`;
      return new LanrageError('SERVICE_FAILED', `the tunnel service ${serviceName(name)} stopped: ${reason} (1066/${s.serviceExitCode})`, {
        details: { win32ExitCode: s.win32ExitCode, serviceExitCode: s.serviceExitCode },
        remedy: 'See `wireguard.exe /dumplog` for the tunnel log; for a DNS failure, use an IP endpoint.',
      });
    }
    if (s.win32ExitCode === ERROR_ACCESS_DENIED) {
      return new LanrageError(
        'SERVICE_FAILED',
        `the tunnel service ${serviceName(name)} stopped with access denied (5); the listen port may be in a reserved range`,
        {
          details: { win32ExitCode: 5 },
          remedy: 'Pick another listen port (see `netsh int ipv4 show excludedportrange protocol=udp`).',
        },
      );
    }
    return new LanrageError('SERVICE_FAILED', `the tunnel service ${serviceName(name)} stopped with Win32 error ${s.win32ExitCode}`, {
      details: { win32ExitCode: s.win32ExitCode, serviceExitCode: s.serviceExitCode },
    });
  }

  /** Waits out a service that is marked for deletion (1072: the service is only deleted once every handle on it is closed). */
  async #waitGone(name: string): Promise<void> {
    let last = 'absent';
    try {
      await this.#waitFor(name, this.#stopTimeoutMs, 'disappear', (s) => {
        last = s.state;
        return s.state === 'absent';
      });
    } catch (err) {
      if ((err as LanrageError).code === 'TIMEOUT') {
        // A tunnel that never finishes stopping (W5) is a different fault from one only marked for deletion.
        const why = last === 'stopping' ? 'is stuck stopping (STOP_PENDING)' : 'is marked for deletion but is still there';
        throw new LanrageError('SERVICE_FAILED', `${serviceName(name)} ${why}`, {
          cause: err,
          remedy:
            last === 'stopping'
              ? `Its process does not answer: end it (taskkill /f /fi "SERVICES eq ${serviceName(name)}") or reboot, then retry.`
              : 'Close services.msc and any tool holding the service open, or reboot, then retry.',
          details: { state: last },
        });
      }
      throw err;
    }
  }

  /** Installs the service for the stored config and waits for RUNNING (≥ 90 s budget). */
  async #install(name: string, config: TunnelConfig): Promise<void> {
    const path = await this.store.save(name, config);
    const r = await this.#exec(this.paths.wireguardExe, ['/installtunnelservice', path], this.#commandTimeoutMs + 30_000);
    if (r.code !== 0) {
      const s = await this.#query(name).catch(() => null);
      if (s?.state === 'running' || s?.state === 'starting') throw new LanrageError('INTERFACE_EXISTS', `tunnel ${name} is already installed and running`);
      if ((await this.#elevated()) === false) throw new LanrageError('PERMISSION_DENIED', 'installing a tunnel service needs an elevated prompt');
      throw new LanrageError('SERVICE_FAILED', `wireguard.exe /installtunnelservice failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
    }
    const s = await this.#waitFor(name, this.#startTimeoutMs, 'reach RUNNING', (st) => st.state === 'running' || st.state === 'stopped');
    if (s.state === 'stopped') throw this.#startFailure(name, s);
    await this.store.markInstalled(name, baseHash(config));
  }

  async #uninstall(name: string): Promise<void> {
    const s = await this.#query(name);
    if (s.state === 'absent') return;
    if (s.state !== 'delete-pending') {
      const r = await this.#exec(this.paths.wireguardExe, ['/uninstalltunnelservice', validateWindowsTunnelName(name)]);
      if (r.code !== 0 && (await this.#query(name)).state !== 'absent' && (await this.#elevated()) === false) {
        throw new LanrageError('PERMISSION_DENIED', 'removing a tunnel service needs an elevated prompt');
      }
    }
    await this.#waitGone(name);
  }

  async listDevices(): Promise<string[]> {
    if (this.#platform !== 'win32') return [];
    const ours = new Set(await this.store.names());
    const r = await this.#exec(this.paths.wgExe, ['show', 'interfaces']);
    if (r.code !== 0) return [];
    // wg.exe also lists other VPNs' WireGuard interfaces: keep only ours.
    return parseWgInterfaces(r.stdout)
      .filter((n) => ours.has(n))
      .sort();
  }

  /**
   * Writes a config with the tunnel's private key from the store (the service cannot start
   * without one; a new key is made and stored for a tunnel that has none), installs the tunnel
   * service and waits for RUNNING. INTERFACE_EXISTS when a
   * service of that name is running or starting; a stopped one is replaced, a delete-pending one
   * waited out.
   */
  async createInterface(name: string): Promise<void> {
    validateWindowsTunnelName(name);
    await this.#preflight();
    await this.#serialize(name, async () => {
      const s = await this.#query(name);
      if (s.state === 'running' || s.state === 'starting' || s.state === 'stopping') {
        throw new LanrageError('INTERFACE_EXISTS', `tunnel ${name} already exists (${s.state})`);
      }
      if (s.state === 'delete-pending') await this.#waitGone(name);
      const { privateKey: key } = await this.store.ensurePrivateKey(name, null);
      try {
        await this.#install(name, { privateKey: key, addresses: [], peers: [] });
      } finally {
        key.wipe();
      }
    });
  }

  /**
   * The stored config of `name`; for a tunnel service of that name that runs but that lanrage
   * never installed (LANrage's Python version, the WireGuard app), the running tunnel's private
   * key, listen port and peers are taken into the store first, so an upgrade keeps the node's
   * identity and its peers. Its service was installed from another config: it is reinstalled
   * from the store by the next setUp(true) (no installed hash is recorded for it). null when
   * no such tunnel runs. Runs inside #serialize.
   */
  async #stored(name: string): Promise<TunnelConfig | null> {
    const stored = await this.store.load(name);
    if (stored || this.#platform !== 'win32') return stored;
    if ((await this.#query(name)).state !== 'running') return null;
    const live = await this.#dump(name);
    if (!live.privateKey) {
      throw new LanrageError('INTERFACE_EXISTS', `tunnel ${name} runs, installed by another program, and its private key cannot be read`, {
        remedy: `Remove it from an elevated prompt (wireguard.exe /uninstalltunnelservice ${name}), then run lanrage up again; or use another interface name (-i).`,
      });
    }
    const config: TunnelConfig = {
      privateKey: live.privateKey,
      ...(live.listenPort !== 0 ? { listenPort: live.listenPort } : {}),
      addresses: [],
      peers: live.peers.map((p) => ({
        publicKey: p.publicKey,
        ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
        allowedIPs: [...p.allowedIPs],
        ...(p.endpoint ? { endpoint: p.endpoint } : {}),
        ...(p.persistentKeepalive ? { persistentKeepalive: p.persistentKeepalive } : {}),
      })),
    };
    await this.store.save(name, config);
    emit(this.#logger, 'warn', 'windows.adopted', {
      tunnel: name,
      peers: config.peers.length,
      reason: 'a running tunnel lanrage did not install; its key and peers are kept',
    });
    return config;
  }

  /** `/uninstalltunnelservice`, then waits until the service is gone; idempotent. */
  async deleteInterface(name: string): Promise<void> {
    validateWindowsTunnelName(name);
    if (this.#platform !== 'win32') return;
    await this.#serialize(name, async () => {
      await this.#uninstall(name);
      await this.store.remove(name);
    });
  }

  async #dump(name: string): Promise<DeviceStatus> {
    const r = await this.#exec(this.paths.wgExe, ['show', name, 'dump']);
    if (r.code === 0) return parseWgDump(name, r.stdout);
    const s = await this.#query(name).catch(() => null);
    if (!s || s.state === 'absent' || s.state === 'stopped') throw new LanrageError('INTERFACE_NOT_FOUND', `tunnel ${name} is not running`);
    if ((await this.#elevated()) === false)
      throw new LanrageError('PERMISSION_DENIED', 'wg.exe needs an elevated prompt, even to read', { remedy: 'Run from an elevated prompt.' });
    throw new LanrageError('IO_ERROR', `wg.exe show ${name} dump failed (exit ${r.code})`);
  }

  async getDevice(name: string): Promise<DeviceStatus> {
    validateWindowsTunnelName(name);
    return this.#dump(name);
  }

  /**
   * Applies the change live with `wg.exe set` (keys only through files in the locked directory)
   * and writes it into the stored config so a restart keeps it. wg.exe cannot do update-only or
   * replace-peers itself, so the live device is read first and the request is translated.
   * fwmark does not exist on Windows (UNSUPPORTED unless 0).
   */
  async setDevice(name: string, norm: NormalizedDeviceConfig): Promise<void> {
    validateWindowsTunnelName(name);
    assertResolved(norm);
    if (norm.fwmark !== undefined && norm.fwmark !== 0) throw new LanrageError('UNSUPPORTED', 'Windows has no firewall mark (fwmark)');
    if (norm.privateKey === null) throw new LanrageError('UNSUPPORTED', 'a Windows tunnel cannot run without a private key');
    await this.#serialize(name, async () => {
      const stored = await this.#stored(name);
      if (!stored) throw new LanrageError('INTERFACE_NOT_FOUND', `tunnel ${name} does not exist`);
      const live = await this.#dump(name);
      const peers = new Map(stored.peers.map((p) => [p.publicKey.toHex(), p]));
      const liveKeys = new Set(live.peers.map((p) => p.publicKey.toHex()));
      const args: string[][] = [];
      const device: string[] = [];
      if (norm.listenPort !== undefined) device.push('listen-port', String(norm.listenPort));
      if (norm.replacePeers) {
        const keep = new Set(norm.peers.filter((p) => !p.remove).map((p) => p.publicKey.toHex()));
        for (const p of live.peers) if (!keep.has(p.publicKey.toHex())) args.push(['peer', p.publicKey.toBase64(), 'remove']);
        for (const k of [...peers.keys()]) if (!keep.has(k)) peers.delete(k);
      }
      const psks: { index: number; key: NormalizedPeer['presharedKey'] }[] = [];
      for (const op of norm.peers) {
        const id = op.publicKey.toHex();
        const exists = liveKeys.has(id) || peers.has(id);
        if (op.remove) {
          args.push(['peer', op.publicKey.toBase64(), 'remove']);
          peers.delete(id);
          continue;
        }
        if (op.updateOnly && !exists) continue; // wg.exe set would create it
        const prev: WgQuickPeer = peers.get(id) ?? { publicKey: op.publicKey, allowedIPs: [] };
        const next: WgQuickPeer = { ...prev };
        const a = ['peer', op.publicKey.toBase64()];
        if (op.presharedKey !== undefined) {
          psks.push({ index: args.length, key: op.presharedKey });
          if (op.presharedKey) next.presharedKey = op.presharedKey;
          else delete next.presharedKey;
        }
        if (op.endpoint) {
          a.push('endpoint', op.endpoint.text);
          next.endpoint = op.endpoint.text;
        }
        if (op.persistentKeepalive !== undefined) {
          a.push('persistent-keepalive', op.persistentKeepalive === 0 ? 'off' : String(op.persistentKeepalive));
          if (op.persistentKeepalive) next.persistentKeepalive = op.persistentKeepalive;
          else delete next.persistentKeepalive;
        }
        if (op.replaceAllowedIPs || op.allowedIPs.length > 0 || op.allowedIPsRemove.length > 0) {
          // Always send the whole list: older wg.exe has no +/- syntax.
          const current = op.replaceAllowedIPs ? [] : (live.peers.find((p) => p.publicKey.toHex() === id)?.allowedIPs ?? prev.allowedIPs);
          const drop = new Set(op.allowedIPsRemove.map((c) => c.text));
          const list = [...new Set([...current.filter((c) => !drop.has(c)), ...op.allowedIPs.map((c) => c.text)])];
          a.push('allowed-ips', list.join(','));
          next.allowedIPs = list;
        }
        args.push(a);
        peers.set(id, next);
      }
      // Secret keys go through one-use files in the locked directory, never argv (K12).
      const privateKey = norm.privateKey ?? null;
      const runSet = (privateKeyFile: string | null) => this.#wgSet(name, device, privateKeyFile, args, psks);
      if (privateKey) await this.store.withKeyFile(privateKey, (file) => runSet(file));
      else await runSet(null);
      const updated: TunnelConfig = {
        ...stored,
        ...(privateKey ? { privateKey } : {}),
        ...(norm.listenPort !== undefined ? { listenPort: norm.listenPort } : {}),
        peers: [...peers.values()],
      };
      await this.store.save(name, updated);
    });
  }

  /** Sends `wg.exe set` in argv chunks below the command-line limit; PSKs through key files. */
  async #wgSet(
    name: string,
    device: string[],
    privateKeyFile: string | null,
    peerArgs: string[][],
    psks: { index: number; key: NormalizedPeer['presharedKey'] }[],
  ): Promise<void> {
    const first = [...device, ...(privateKeyFile ? ['private-key', privateKeyFile] : [])];
    let chunk: string[] = [...first];
    const chunks: { args: string[]; psk: { at: number; key: NormalizedPeer['presharedKey'] }[] }[] = [];
    let pskInChunk: { at: number; key: NormalizedPeer['presharedKey'] }[] = [];
    peerArgs.forEach((a, i) => {
      const size = chunk.join(' ').length + a.join(' ').length;
      if (size > MAX_ARGV_CHARS && chunk.length > 0) {
        chunks.push({ args: chunk, psk: pskInChunk });
        chunk = [];
        pskInChunk = [];
      }
      const p = psks.find((x) => x.index === i);
      if (p) pskInChunk.push({ at: chunk.length + a.length, key: p.key });
      chunk.push(...a);
    });
    if (chunk.length > 0 || chunks.length === 0) chunks.push({ args: chunk, psk: pskInChunk });
    for (const c of chunks) {
      if (c.args.length === 0) continue;
      await this.#withPskFiles(c.psk, async (files) => {
        const argv = [...c.args];
        // Insert `preshared-key <file>` right after each peer's own arguments.
        for (const [k, f] of [...files.entries()].sort((x, y) => y[0] - x[0])) argv.splice(k, 0, 'preshared-key', f);
        const r = await this.#exec(this.paths.wgExe, ['set', name, ...argv]);
        if (r.code !== 0) {
          if ((await this.#elevated()) === false) throw new LanrageError('PERMISSION_DENIED', 'wg.exe set needs an elevated prompt');
          throw new LanrageError('IO_ERROR', `wg.exe set ${name} failed (exit ${r.code})`);
        }
      });
    }
  }

  async #withPskFiles(psk: { at: number; key: NormalizedPeer['presharedKey'] }[], fn: (files: Map<number, string>) => Promise<void>): Promise<void> {
    const files = new Map<number, string>();
    const open = async (i: number): Promise<void> => {
      const entry = psk[i];
      if (!entry) return fn(files);
      return this.store.withKeyFile(entry.key ?? null, async (path) => {
        files.set(entry.at, path);
        await open(i + 1);
      });
    };
    await open(0);
  }

  /** Stores the addresses; a running tunnel whose addresses changed is reinstalled by setUp(true). */
  async setAddresses(name: string, cidrs: string[]): Promise<void> {
    validateWindowsTunnelName(name);
    const addresses = [...new Set(cidrs.map((c) => parseInterfaceAddress(c).text))];
    await this.#serialize(name, async () => {
      const stored = await this.#stored(name);
      if (!stored) throw new LanrageError('INTERFACE_NOT_FOUND', `tunnel ${name} does not exist`);
      await this.store.save(name, { ...stored, addresses });
    });
  }

  async getAddresses(name: string): Promise<string[]> {
    return (await this.store.load(name))?.addresses ?? [];
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    validateWindowsTunnelName(name);
    await this.#serialize(name, async () => {
      const stored = await this.#stored(name);
      if (!stored) throw new LanrageError('INTERFACE_NOT_FOUND', `tunnel ${name} does not exist`);
      await this.store.save(name, { ...stored, mtu });
    });
  }

  /**
   * Up: a running service whose start-time settings (addresses, MTU) are unchanged is left alone
   * (a no-op); a stale one (config hash changed) is reinstalled; a stopped or missing one is
   * installed. Down: stops the service and waits for STOPPED.
   */
  async setUp(name: string, up: boolean): Promise<void> {
    validateWindowsTunnelName(name);
    await this.#serialize(name, async () => {
      const stored = await this.#stored(name);
      if (!stored) throw new LanrageError('INTERFACE_NOT_FOUND', `tunnel ${name} does not exist`);
      const s = await this.#query(name);
      if (!up) {
        if (s.state === 'absent' || s.state === 'stopped') return;
        await this.#exec(this.paths.scExe, ['stop', serviceName(name)]);
        await this.#waitFor(name, this.#stopTimeoutMs, 'stop', (st) => st.state === 'stopped' || st.state === 'absent');
        return;
      }
      const fresh = (await this.store.installedHash(name)) === baseHash(stored);
      if (s.state === 'running' && fresh) return;
      if (s.state === 'starting' && fresh) {
        const r = await this.#waitFor(name, this.#startTimeoutMs, 'reach RUNNING', (st) => st.state === 'running' || st.state === 'stopped');
        if (r.state === 'stopped') throw this.#startFailure(name, r);
        return;
      }
      // Stale, stopped or half-gone: replace the service (install refuses a non-stopped one).
      if (s.state !== 'absent') await this.#uninstall(name);
      await this.#install(name, stored);
    });
  }

  /** `ping -n 1 -w <ms>`, parsed across locales; the exit code is not trusted. */
  /** Nothing held between calls (each wg.exe, sc.exe and PowerShell run ends with its call). */
  async close(): Promise<void> {}

  async measureLatency(ip: string, timeoutMs: number): Promise<number | null> {
    const addr = parseIp(ip);
    if (!addr) throw new LanrageError('INVALID_ARGUMENT', 'measureLatency needs an IP address');
    const r = await this.#exec(this.paths.pingExe, ['-n', '1', '-w', String(Math.max(1, Math.round(timeoutMs))), ip], timeoutMs + 5000);
    return parseWindowsPing(r.stdout, ip);
  }
}
