import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLogRecord, generateKeyPair, generatePresharedKey, Key, type LanrageError, loadConfig, MemoryLogger, NetworkManager } from '@lanrage/core';
import { setDeviceConfig } from '@lanrage/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCEPTED_KEYS, type DriverFs, parseConfig } from './config-store.js';
import { type CommandRunner, nodeRunner } from './runner.js';
import { ensureSecureDirs, secureDirScript } from './secure-dir.js';
import { WindowsBackend } from './windows-backend.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures');
const fx = (p: string) => readFileSync(join(fixtures, p), 'latin1');

const PF = 'C:\\Program Files';
const WIREGUARD = 'C:\\Program Files\\WireGuard\\wireguard.exe';
const WG = 'C:\\Program Files\\WireGuard\\wg.exe';
const SC = 'C:\\Windows\\System32\\sc.exe';
const DATA = 'C:\\ProgramData\\LANrage\\wireguard';

class MemoryFs implements DriverFs {
  files = new Map<string, string>();
  dirs = new Set<string>();
  async mkdir(p: string) {
    this.dirs.add(p);
  }
  async writeFile(p: string, d: string) {
    if (this.files.has(p)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    this.files.set(p, d);
  }
  async rename(a: string, b: string) {
    const d = this.files.get(a);
    if (d === undefined) throw new Error('ENOENT');
    this.files.delete(a);
    this.files.set(b, d);
  }
  async readFile(p: string) {
    return this.files.get(p) ?? null;
  }
  async readdir(p: string) {
    return [...this.files.keys()].filter((f) => f.startsWith(`${p}\\`)).map((f) => f.slice(p.length + 1));
  }
  async rm(p: string) {
    this.files.delete(p);
  }
  async exists(p: string) {
    return this.files.has(p) || this.dirs.has(p) || p === WIREGUARD || p === WG;
  }
}

interface FakePeer {
  endpoint: string;
  allowed: string;
  keepalive: string;
  psk: string;
}

type Script = string[]; // successive sc.exe states: running, starting, stopped:1066:4, delete-pending, ...

/** A scripted Windows: services, wg.exe device state, elevation, and a log of every command. */
class FakeWindows {
  calls: { file: string; args: string[] }[] = [];
  elevated = true;
  installed = true;
  services = new Map<string, Script>();
  devices = new Map<string, { listenPort: number; privateKey: string; peers: Map<string, FakePeer> }>();
  onInstall: Script = ['starting', 'starting', 'running'];
  onUninstall: Script = ['delete-pending', 'absent'];
  hang = false;
  fs = new MemoryFs();
  /** What PowerShell finds for the key store's folders (a recorded output of secure-dir.ts's script). */
  storeDirs: 'created' | 'user-owned-parent' | 'junction' | 'inherited-acl' = 'created';
  /** The PowerShell scripts run, decoded. */
  scripts: string[] = [];

  #sc(state: string) {
    const [s, w, n] = state.split(':');
    const code = Number(w ?? 0);
    const svc = Number(n ?? 0);
    switch (s) {
      case 'absent':
        return { code: 1060, stdout: fx('sc/missing.stdout'), stderr: '' };
      case 'delete-pending':
        return { code: 1072, stdout: fx('sc/delete-pending.stdout'), stderr: '' };
      case 'running':
        return { code: 0, stdout: fx('sc/running.stdout'), stderr: '' };
      case 'starting':
        return { code: 0, stdout: fx('sc/start-pending.stdout'), stderr: '' };
      case 'stopping':
        return { code: 0, stdout: fx('sc/stop-pending.stdout'), stderr: '' };
      default:
        return {
          code: 0,
          stdout: code === 1066 ? fx(`sc/stopped-1066-${svc}.stdout`) : code === 5 ? fx('sc/stopped-5.stdout') : fx('sc/stopped-ok.stdout'),
          stderr: '',
        };
    }
  }

  state(name: string): string {
    const s = this.services.get(name);
    return s?.[0] ?? 'absent';
  }

  runner: CommandRunner = async (file, args) => {
    this.calls.push({ file, args: [...args] });
    if (this.hang) return { code: -1, stdout: '', stderr: '', timedOut: true };
    const base = file.split('\\').pop();
    if (base === 'whoami.exe') {
      return {
        code: 0,
        stdout: `"BUILTIN\\Administrators","Alias","S-1-5-32-544","Group used for deny only"\r\n"Mandatory Label\\${this.elevated ? 'High' : 'Medium'} Mandatory Level","Label","${this.elevated ? 'S-1-16-12288' : 'S-1-16-8192'}",""\r\n`,
        stderr: '',
      };
    }
    if (base === 'powershell.exe') {
      if (!this.elevated) return { code: 3, stdout: fx('powershell/create-denied.stdout'), stderr: '' };
      this.scripts.push(Buffer.from(args[args.length - 1] as string, 'base64').toString('utf16le'));
      return { code: 0, stdout: fx(`powershell/secure-dirs-${this.storeDirs}.stdout`), stderr: '' };
    }
    if (base === 'sc.exe') {
      const name = (args[1] as string).replace('WireGuardTunnel$', '');
      if (args[0] === 'stop') {
        this.services.set(name, ['stopped']);
        return { code: 0, stdout: '', stderr: '' };
      }
      const script = this.services.get(name) ?? ['absent'];
      const r = this.#sc(script[0] as string);
      if (script.length > 1) script.shift();
      if (script[0] === 'running' && !this.devices.has(name)) this.#boot(name);
      return r;
    }
    if (base === 'wireguard.exe') {
      if (!this.elevated) return { code: 1, stdout: '', stderr: '2026/05/20 10:11:12 Error: Access is denied.\r\n' };
      if (args[0] === '/installtunnelservice') {
        const path = args[1] as string;
        const name = (path.split('\\').pop() as string).replace(/\.conf$/, '');
        const st = this.state(name);
        if (st !== 'absent' && st !== 'stopped') return { code: 1, stdout: '', stderr: '2026/05/20 10:11:12 Error: Tunnel already installed and running\r\n' };
        this.services.set(name, [...this.onInstall]);
        this.devices.delete(name);
        return { code: 0, stdout: '', stderr: '' };
      }
      if (args[0] === '/uninstalltunnelservice') {
        const name = args[1] as string;
        if (this.state(name) === 'absent') return { code: 1, stdout: '', stderr: 'Error: The specified service does not exist as an installed service.\r\n' };
        this.services.set(name, [...this.onUninstall]);
        this.devices.delete(name);
        return { code: 0, stdout: '', stderr: '' };
      }
    }
    if (base === 'wg.exe') return this.#wg(args);
    if (base === 'PING.EXE') return { code: 0, stdout: fx('ping/en.stdout').replace('564', '12'), stderr: '' };
    throw new Error(`unexpected command ${file} ${args.join(' ')}`);
  };

  /** A started service configures the device from its config file, as the tunnel service does. */
  #boot(name: string) {
    const text = this.fs.files.get(`${DATA}\\${name}.conf`);
    if (!text) return;
    const c = parseConfig(text);
    const peers = new Map<string, FakePeer>();
    for (const p of c.peers) {
      peers.set(p.publicKey.toBase64(), {
        endpoint: p.endpoint ?? '(none)',
        allowed: p.allowedIPs.join(',') || '(none)',
        keepalive: p.persistentKeepalive ? String(p.persistentKeepalive) : 'off',
        psk: p.presharedKey?.toBase64() ?? '(none)',
      });
    }
    this.devices.set(name, { listenPort: c.listenPort ?? 0, privateKey: c.privateKey.toBase64(), peers });
  }

  #wg(args: readonly string[]) {
    if (!this.elevated) return { code: 1, stdout: '', stderr: 'Unable to access interface: Permission denied\r\n' };
    if (args[0] === 'show' && args[1] === 'interfaces') return { code: 0, stdout: `${[...this.devices.keys(), 'nb-other'].join(' ')}\r\n`, stderr: '' };
    const name = args[1] as string;
    const dev = this.devices.get(name);
    if (!dev) return { code: 1, stdout: '', stderr: 'Unable to access interface: No such file or directory\r\n' };
    if (args[0] === 'show') {
      const lines = [`${dev.privateKey}\t${Key.parse(dev.privateKey, 'private') && 'v9BiWKUkGNCaQwt7cbysfr/DJyh3L0c820E0ODgBAAc='}\t${dev.listenPort}\toff`];
      for (const [k, p] of dev.peers) lines.push(`${k}\t${p.psk}\t${p.endpoint}\t${p.allowed}\t1747735872\t100\t200\t${p.keepalive}`);
      return { code: 0, stdout: `${lines.join('\r\n')}\r\n`, stderr: '' };
    }
    // wg set <name> [listen-port N] [private-key FILE] [peer KEY [remove] [preshared-key FILE] [endpoint E] [persistent-keepalive K] [allowed-ips L]]...
    let i = 2;
    let peer: FakePeer | undefined;
    const file = (path: string) => (this.fs.files.get(path) ?? '').trim();
    while (i < args.length) {
      const a = args[i] as string;
      const v = args[i + 1] as string;
      i += 2;
      if (a === 'peer' && args[i] === 'remove') {
        dev.peers.delete(v);
        peer = undefined;
        i++;
        continue;
      }
      switch (a) {
        case 'listen-port':
          dev.listenPort = Number(v);
          break;
        case 'private-key':
          dev.privateKey = file(v);
          break;
        case 'peer':
          peer = dev.peers.get(v) ?? { endpoint: '(none)', allowed: '(none)', keepalive: 'off', psk: '(none)' };
          dev.peers.set(v, peer);
          break;
        default:
          if (!peer) return { code: 1, stdout: '', stderr: `Invalid argument: ${a}\r\n` };
          if (a === 'preshared-key') peer.psk = file(v) || '(none)';
          else if (a === 'endpoint') peer.endpoint = v;
          else if (a === 'persistent-keepalive') peer.keepalive = v;
          else if (a === 'allowed-ips') peer.allowed = v || '(none)';
          else return { code: 1, stdout: '', stderr: `Invalid argument: ${a}\r\n` };
      }
    }
    return { code: 0, stdout: '', stderr: '' };
  }
}

let win: FakeWindows;
let backend: WindowsBackend;
let clock = 0;
let logger: MemoryLogger;
beforeEach(() => {
  win = new FakeWindows();
  clock = 0;
  logger = new MemoryLogger();
  backend = new WindowsBackend({
    logger,
    runner: win.runner,
    fs: win.fs,
    env: { ProgramW6432: PF, ProgramData: 'C:\\ProgramData', SystemRoot: 'C:\\Windows' },
    platform: 'win32',
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
  });
});

const argvOf = (w: FakeWindows, base: string) => w.calls.filter((c) => c.file.endsWith(base)).map((c) => c.args);

describe('WindowsBackend lifecycle', () => {
  it('createInterface: locked directory, config with only accepted keys, absolute path, waits for RUNNING', async () => {
    await backend.createInterface('lanrage0');
    // the wait is logged through the Logger the backend was given (the manager's)
    expect(logger.records.filter((r) => r.event === 'windows.service').at(-1)).toMatchObject({
      level: 'info',
      tunnel: 'lanrage0',
      waitedFor: 'reach RUNNING',
      state: 'running',
    });
    const ps = win.calls.find((c) => c.file.endsWith('powershell.exe'));
    expect(ps?.file).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(ps?.args.slice(0, -1)).toEqual(['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    // Both folders, outermost first, created with their security descriptor (never locked afterwards).
    expect(win.scripts[0]).toContain("foreach ($d in @('C:\\ProgramData\\LANrage', 'C:\\ProgramData\\LANrage\\wireguard'))");
    expect(win.scripts[0]).toContain("$sddl = 'O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'");
    expect(win.scripts[0]).toContain('[System.IO.Directory]::CreateDirectory($d, $sec)');
    expect(argvOf(win, 'wireguard.exe')).toEqual([['/installtunnelservice', `${DATA}\\lanrage0.conf`]]);
    expect(win.calls.filter((c) => c.file === SC).map((c) => c.args)).toEqual([
      ['queryex', 'WireGuardTunnel$lanrage0'],
      ['queryex', 'WireGuardTunnel$lanrage0'],
      ['queryex', 'WireGuardTunnel$lanrage0'],
      ['queryex', 'WireGuardTunnel$lanrage0'],
    ]);
    const conf = win.fs.files.get(`${DATA}\\lanrage0.conf`) as string;
    expect(conf).toMatch(/^\[Interface\]\r\nPrivateKey = [A-Za-z0-9+/]{43}=\r\n$/);
    for (const line of conf.split('\r\n').filter((l) => l.includes(' = '))) {
      expect([...ACCEPTED_KEYS.interface, ...ACCEPTED_KEYS.peer]).toContain(line.split(' = ')[0]);
    }
    expect(await backend.listDevices()).toEqual(['lanrage0']); // 'nb-other' is someone else's
  });

  it('a full NetworkManager bring-up: key, port, address, MTU, then one reinstall for the start-time settings', async () => {
    const dir = join('/tmp', `lanrage-win-${process.pid}-${Date.now()}`);
    const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_ADDRESS: '10.66.0.5' } });
    const logger = new MemoryLogger();
    const nm = new NetworkManager(config, { backend, logger, checkPrivileges: false });
    const up = await nm.initialize();
    expect(up).toMatchObject({ backend: 'windows', address: '10.66.0.5/16', created: true });
    const conf = parseConfig(win.fs.files.get(`${DATA}\\lanrage0.conf`) as string);
    expect(conf.addresses).toEqual(['10.66.0.5/16']);
    expect(conf.mtu).toBe(1420);
    expect(conf.listenPort).toBe(51820);
    expect(argvOf(win, 'wireguard.exe').map((a) => a[0])).toEqual(['/installtunnelservice', '/uninstalltunnelservice', '/installtunnelservice']);
    // The private key went through a file, never argv, and reached the device.
    const setPk = argvOf(win, 'wg.exe').find((a) => a.includes('private-key')) as string[];
    expect(setPk.slice(0, 4)).toEqual(['set', 'lanrage0', 'listen-port', '51820']);
    expect(setPk[5]).toMatch(/^C:\\ProgramData\\LANrage\\wireguard\\\.key-[0-9a-f]{16}\.tmp$/);
    expect(win.devices.get('lanrage0')?.privateKey).toBe(conf.privateKey.toBase64());
    // initialize() again is a no-op for the service (no reinstall with an unchanged config).
    win.calls.length = 0;
    await nm.initialize();
    expect(argvOf(win, 'wireguard.exe')).toEqual([]);
    const secret = conf.privateKey.toBase64();
    for (const c of win.calls) expect(c.args.join(' ')).not.toContain(secret);
    expect(logger.records.map(formatLogRecord).join('\n')).not.toContain(secret);
    // no key file is left behind
    expect([...win.fs.files.keys()].filter((f) => f.includes('.key-'))).toEqual([]);
  });

  it('W6 the private key lives only in the locked store: no key file in keysDir; one left by an earlier version is adopted and deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-win-keys-'));
    try {
      const legacy = generateKeyPair();
      mkdirSync(join(dir, 'keys'), { mode: 0o700 });
      writeFileSync(join(dir, 'keys', 'private.key'), `${legacy.privateKey.toBase64()}\n`, { mode: 0o600 });
      const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } });
      const logger = new MemoryLogger();
      const up = await new NetworkManager(config, { backend, logger, checkPrivileges: false }).initialize();
      expect(up.publicKey).toBe(legacy.publicKey.toBase64()); // the node keeps its identity
      expect(existsSync(join(dir, 'keys', 'private.key'))).toBe(false);
      expect(win.fs.files.get(`${DATA}\\lanrage0.key`)).toBe(`${legacy.privateKey.toBase64()}\r\n`);
      expect(parseConfig(win.fs.files.get(`${DATA}\\lanrage0.conf`) as string).privateKey.toBase64()).toBe(legacy.privateKey.toBase64());
      expect(logger.records.find((r) => r.event === 'keys.movedToBackendStore')).toMatchObject({ removed: join(dir, 'keys', 'private.key') });
      // Down and up again: the same key from the store, still no key file.
      await backend.deleteInterface('lanrage0');
      const again = await new NetworkManager(config, { backend, checkPrivileges: false }).initialize();
      expect(again.publicKey).toBe(legacy.publicKey.toBase64());
      expect(readdirSync(join(dir, 'keys')).filter((f) => f.startsWith('private'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an upgrade from LANrage’s Python version (its tunnel service running, no lanrage store) keeps the key and the peers and reinstalls the tunnel from the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-win-upgrade-'));
    try {
      const old = generateKeyPair();
      const peers = [generateKeyPair().publicKey.toBase64(), generateKeyPair().publicKey.toBase64()];
      win.services.set('lanrage0', ['running']);
      win.devices.set('lanrage0', {
        listenPort: 51820,
        privateKey: old.privateKey.toBase64(),
        peers: new Map([
          [peers[0] as string, { endpoint: '192.0.2.7:51820', allowed: '10.66.0.7/32', keepalive: '25', psk: '(none)' }],
          [peers[1] as string, { endpoint: '(none)', allowed: '10.66.0.8/32', keepalive: 'off', psk: '(none)' }],
        ]),
      });
      const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } });
      const up = await new NetworkManager(config, { backend, checkPrivileges: false }).initialize();
      expect(up.publicKey).toBe(old.publicKey.toBase64()); // the same identity: its peers still know it
      const stored = parseConfig(win.fs.files.get(`${DATA}\\lanrage0.conf`) as string);
      expect(stored.privateKey.toBase64()).toBe(old.privateKey.toBase64());
      expect(stored.peers.map((p) => p.publicKey.toBase64()).sort()).toEqual([...peers].sort());
      expect(stored.peers.find((p) => p.publicKey.toBase64() === peers[0])).toMatchObject({ endpoint: '192.0.2.7:51820', persistentKeepalive: 25 });
      expect(stored.addresses).toEqual([up.address]);
      // The service the old version installed (from its own config file) was replaced by one from the store.
      expect(argvOf(win, 'wireguard.exe')).toEqual([
        ['/uninstalltunnelservice', 'lanrage0'],
        ['/installtunnelservice', `${DATA}\\lanrage0.conf`],
      ]);
      expect((await backend.getDevice('lanrage0')).peers).toHaveLength(2);
      expect(logger.records.find((r) => r.event === 'windows.adopted')); // the backend's own logger.toMatchObject({ tunnel: 'lanrage0', peers: 2 });
      expect(await backend.listDevices()).toEqual(['lanrage0']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('W6 a key file that differs from the key the store keeps is refused and kept, never silently dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-win-keys-'));
    try {
      await backend.createInterface('lanrage0'); // the store now keeps a key of its own
      mkdirSync(join(dir, 'keys'), { mode: 0o700 });
      writeFileSync(join(dir, 'keys', 'private.key'), `${generateKeyPair().privateKey.toBase64()}\n`, { mode: 0o600 });
      const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } });
      const err = (await new NetworkManager(config, { backend, checkPrivileges: false }).initialize().catch((e: unknown) => e)) as LanrageError;
      expect(err.code).toBe('KEY_MISMATCH');
      expect(existsSync(join(dir, 'keys', 'private.key'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('W6 PowerShell reporting access denied (as JSON on stdout: its redirected stderr would be CLIXML) is PERMISSION_DENIED with both remedies', async () => {
    const runner: CommandRunner = async () => ({ code: 3, stdout: fx('powershell/create-denied.stdout'), stderr: '#< CLIXML\r\n' });
    const err = (await ensureSecureDirs(runner, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', ['C:\\ProgramData\\LANrage', DATA]).catch(
      (e: unknown) => e,
    )) as LanrageError;
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.remedy).toContain('elevated');
    expect(err.remedy).toContain('another account');
    expect(secureDirScript([DATA])).toMatch(/\} catch \{[\s\S]*ConvertTo-Json -Compress\r\n {2}exit 3/);
  });

  it.each([
    ['user-owned-parent', 'C:\\ProgramData\\LANrage is owned by S-1-5-21-3623811015-3361044348-30300820-1013, not by SYSTEM or Administrators'],
    ['junction', 'C:\\ProgramData\\LANrage is a reparse point'],
    ['inherited-acl', 'C:\\ProgramData\\LANrage\\wireguard grants access to others than SYSTEM and Administrators'],
  ] as const)('W6 a key store folder that is %s is refused before any key is written or service installed', async (state, message) => {
    win.storeDirs = state;
    const err = (await backend.createInterface('lanrage0').catch((e: unknown) => e)) as LanrageError;
    expect(err.code).toBe('UNSAFE_KEY_FILE');
    expect(err.message).toContain(message);
    expect(err.remedy).toContain('rmdir /s /q');
    expect([...win.fs.files.keys()]).toEqual([]);
    expect(argvOf(win, 'wireguard.exe')).toEqual([]);
  });

  it('runtime peers: exact wg.exe argv for add, update-only and remove, persisted in the .conf', async () => {
    await backend.createInterface('lanrage0');
    const peer = generateKeyPair().publicKey.toBase64();
    const psk = generatePresharedKey();
    win.calls.length = 0;
    await setDeviceConfig(backend, 'lanrage0', {
      peers: [{ publicKey: peer, endpoint: '203.0.113.7:51820', allowedIPs: ['10.66.0.2/32'], persistentKeepalive: 25, presharedKey: psk }],
    });
    const add = argvOf(win, 'wg.exe').filter((a) => a[0] === 'set');
    expect(add).toHaveLength(1);
    const a = add[0] as string[];
    expect(a.slice(0, 4)).toEqual(['set', 'lanrage0', 'peer', peer]);
    expect(a.slice(4)).toEqual([
      'endpoint',
      '203.0.113.7:51820',
      'persistent-keepalive',
      '25',
      'allowed-ips',
      '10.66.0.2/32',
      'preshared-key',
      expect.stringMatching(/\\\.key-[0-9a-f]{16}\.tmp$/),
    ]);
    expect(a.join(' ')).not.toContain(psk.toBase64());
    let stored = parseConfig(win.fs.files.get(`${DATA}\\lanrage0.conf`) as string);
    expect(stored.peers).toHaveLength(1);
    expect(stored.peers[0]?.presharedKey?.equals(psk)).toBe(true);
    expect(stored.peers[0]?.endpoint).toBe('203.0.113.7:51820');

    win.calls.length = 0;
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: peer, updateOnly: true, endpoint: '198.51.100.1:4000' }] });
    expect(argvOf(win, 'wg.exe').filter((x) => x[0] === 'set')).toEqual([['set', 'lanrage0', 'peer', peer, 'endpoint', '198.51.100.1:4000']]);
    const ghost = generateKeyPair().publicKey.toBase64();
    win.calls.length = 0;
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: ghost, updateOnly: true, endpoint: '198.51.100.1:4000' }] });
    expect(
      argvOf(win, 'wg.exe')
        .filter((x) => x[0] === 'set')
        .flat(),
    ).not.toContain(ghost); // update-only never creates

    const status = await backend.getDevice('lanrage0');
    expect(status.peers.map((p) => [p.publicKey.toBase64(), p.endpoint, p.allowedIPs])).toEqual([[peer, '198.51.100.1:4000', ['10.66.0.2/32']]]);

    win.calls.length = 0;
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: peer, remove: true }] });
    expect(argvOf(win, 'wg.exe').filter((x) => x[0] === 'set')).toEqual([['set', 'lanrage0', 'peer', peer, 'remove']]);
    stored = parseConfig(win.fs.files.get(`${DATA}\\lanrage0.conf`) as string);
    expect(stored.peers).toEqual([]);
  });

  it('peers added at runtime survive a service restart (they are in the .conf the service reads)', async () => {
    await backend.createInterface('lanrage0');
    const peer = generateKeyPair().publicKey.toBase64();
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: peer, allowedIPs: ['10.66.0.2/32'] }] });
    await backend.setAddresses('lanrage0', ['10.66.0.9/16']); // start-time setting: reinstall on setUp
    await backend.setUp('lanrage0', true);
    expect((await backend.getDevice('lanrage0')).peers.map((p) => p.publicKey.toBase64())).toEqual([peer]);
  });

  it('deleteInterface uninstalls, waits out delete-pending (1072) and is idempotent', async () => {
    await backend.createInterface('lanrage0');
    win.onUninstall = ['delete-pending', 'delete-pending', 'delete-pending', 'absent'];
    await backend.deleteInterface('lanrage0');
    expect(argvOf(win, 'wireguard.exe').at(-1)).toEqual(['/uninstalltunnelservice', 'lanrage0']);
    expect(win.state('lanrage0')).toBe('absent');
    expect(win.fs.files.has(`${DATA}\\lanrage0.conf`)).toBe(false);
    await backend.deleteInterface('lanrage0');
  });

  it('a service stuck in delete-pending is a SERVICE_FAILED with the remedy', async () => {
    await backend.createInterface('lanrage0');
    win.onUninstall = ['delete-pending'];
    const err = (await backend.deleteInterface('lanrage0').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('SERVICE_FAILED');
    expect(err.remedy).toMatch(/services\.msc|reboot/);
  });

  it('W5 a service stuck in STOP_PENDING after uninstall is SERVICE_FAILED within the stop budget, naming the state, with a remedy for it', async () => {
    await backend.createInterface('lanrage0');
    win.onUninstall = ['stopping'];
    const t0 = clock;
    const err = (await backend.deleteInterface('lanrage0').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('SERVICE_FAILED');
    expect(err.message).toContain('stuck stopping (STOP_PENDING)');
    expect(err.details).toMatchObject({ state: 'stopping' });
    expect(err.remedy).toContain('taskkill /f /fi "SERVICES eq WireGuardTunnel$lanrage0"');
    expect(clock - t0).toBeGreaterThanOrEqual(30_000);
    expect(clock - t0).toBeLessThan(40_000);
  });

  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('a start that ends STOPPED with 1066/%i is SERVICE_FAILED with its reason', async (n) => {
    win.onInstall = ['starting', `stopped:1066:${n}`];
    const err = (await backend.createInterface('lanrage0').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('SERVICE_FAILED');
    expect(err.details).toMatchObject({ win32ExitCode: 1066, serviceExitCode: n });
    expect(err.message).toContain(`1066/${n}`);
  });

  it('a start that ends STOPPED with Win32 5 (reserved port range) is explained', async () => {
    win.onInstall = ['starting', 'stopped:5'];
    const err = (await backend.createInterface('lanrage0').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('SERVICE_FAILED');
    expect(err.remedy).toMatch(/excludedportrange/);
  });

  it('a service that never reaches RUNNING times out after the budget (≥ 90 s)', async () => {
    win.onInstall = ['starting'];
    const err = (await backend.createInterface('lanrage0').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('TIMEOUT');
    expect(clock).toBeGreaterThanOrEqual(90_000);
  });

  it('an already installed and running tunnel is INTERFACE_EXISTS', async () => {
    win.services.set('lanrage0', ['running']);
    expect(((await backend.createInterface('lanrage0').catch((e) => e)) as LanrageError).code).toBe('INTERFACE_EXISTS');
  });

  it('a stale config (changed addresses) is reinstalled; an unchanged one is not', async () => {
    await backend.createInterface('lanrage0');
    win.calls.length = 0;
    await backend.setUp('lanrage0', true);
    expect(argvOf(win, 'wireguard.exe')).toEqual([]);
    await backend.setMtu('lanrage0', 1380);
    await backend.setUp('lanrage0', true);
    expect(argvOf(win, 'wireguard.exe').map((a) => a[0])).toEqual(['/uninstalltunnelservice', '/installtunnelservice']);
  });

  it('setUp(false) stops the service with sc.exe and waits', async () => {
    await backend.createInterface('lanrage0');
    await backend.setUp('lanrage0', false);
    expect(win.calls.filter((c) => c.file === SC && c.args[0] === 'stop').map((c) => c.args)).toEqual([['stop', 'WireGuardTunnel$lanrage0']]);
  });
});

describe('WindowsBackend checks and faults', () => {
  it('not elevated: PERMISSION_DENIED before anything is installed', async () => {
    win.elevated = false;
    const err = (await backend.createInterface('lanrage0').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.remedy).toMatch(/elevated/);
    expect(argvOf(win, 'wireguard.exe')).toEqual([]);
    expect((await backend.isAvailable()).available).toBe(false);
  });

  it('WireGuard not installed: NOT_INSTALLED', async () => {
    const b = new WindowsBackend({
      runner: win.runner,
      fs: { ...win.fs, exists: async () => false } as unknown as DriverFs,
      env: { ProgramW6432: PF },
      platform: 'win32',
    });
    expect(((await b.createInterface('lanrage0').catch((e) => e)) as LanrageError).code).toBe('NOT_INSTALLED');
    expect((await b.isAvailable()).reason).toMatch(/install WireGuard for Windows/);
  });

  it('a hung child is killed at the timeout and reported as TIMEOUT', async () => {
    win.hang = true;
    expect(((await backend.measureLatency('10.66.0.2', 1000).catch((e) => e)) as LanrageError).code).toBe('TIMEOUT');
  });

  it.each(['a&b', 'a|b', 'a^b', '%PATH%', 'a"b', 'a;b', 'a$b', 'a\nb', 'CON', 'nul', '..\\x', 'UPPER', 'x'.repeat(16)])(
    'W1 the tunnel name %j is refused before anything is spawned',
    async (name) => {
      for (const op of [
        () => backend.createInterface(name),
        () => backend.deleteInterface(name),
        () => backend.getDevice(name),
        () => backend.setUp(name, true),
      ]) {
        expect(((await op().catch((e) => e)) as LanrageError).code).toBe('INVALID_INTERFACE_NAME');
      }
      expect(win.calls).toEqual([]);
    },
  );

  it('executables are absolute paths under ProgramW6432 and System32, never bare names', async () => {
    await backend.createInterface('lanrage0');
    await backend.measureLatency('10.66.0.2', 1000);
    for (const c of win.calls) expect(c.file).toMatch(/^C:\\(Program Files\\WireGuard|Windows\\System32(\\WindowsPowerShell\\v1\.0)?)\\[A-Za-z]+\.(exe|EXE)$/);
  });

  it('latency comes from ping.exe output, not its exit code', async () => {
    expect(await backend.measureLatency('10.66.0.2', 1000)).toBe(12);
    expect(argvOf(win, 'PING.EXE')).toEqual([['-n', '1', '-w', '1000', '10.66.0.2']]);
    expect(((await backend.measureLatency('10.66.0.2 & calc', 1000).catch((e) => e)) as LanrageError).code).toBe('INVALID_ARGUMENT');
  });

  it('a canary private key never appears in argv, errors or the config outside the key line', async () => {
    await backend.createInterface('lanrage0');
    const canary = generateKeyPair().privateKey;
    await setDeviceConfig(backend, 'lanrage0', { privateKey: canary });
    win.elevated = false;
    const err = (await setDeviceConfig(backend, 'lanrage0', { privateKey: canary }).catch((e) => e)) as LanrageError;
    const secret = canary.toBase64();
    for (const c of win.calls) expect(c.args.join(' ')).not.toContain(secret);
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(String(err?.message)).not.toContain(secret);
    const conf = win.fs.files.get(`${DATA}\\lanrage0.conf`) as string;
    expect(conf.split('\r\n').filter((l) => l.includes(secret))).toEqual([`PrivateKey = ${secret}`]);
  });

  it('fwmark does not exist on Windows', async () => {
    await backend.createInterface('lanrage0');
    expect(((await setDeviceConfig(backend, 'lanrage0', { fwmark: 5 }).catch((e) => e)) as LanrageError).code).toBe('UNSUPPORTED');
  });

  it('a missing tunnel is INTERFACE_NOT_FOUND', async () => {
    expect(((await backend.getDevice('lanrage9').catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
    expect(((await setDeviceConfig(backend, 'lanrage9', { listenPort: 1 }).catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
  });
});

describe('nodeRunner (real child processes)', () => {
  it('kills a hung child at the timeout', async () => {
    const r = await nodeRunner(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
  });
  it('bounds huge output (the child is killed, nothing is buffered without limit)', async () => {
    const r = await nodeRunner(process.execPath, ['-e', 'process.stdout.write("x".repeat(20e6))'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stdout.length).toBeLessThanOrEqual(8 * 1024 * 1024);
  });
  it('never runs a batch file', async () => {
    const r = await nodeRunner('C:\\x\\evil.cmd', [], { timeoutMs: 1000 });
    expect(r.code).toBe(-1);
  });
  it('passes arguments without a shell', async () => {
    const r = await nodeRunner(process.execPath, ['-e', 'console.log(process.argv[1])', '$(id) & | ; "x"'], { timeoutMs: 5000 });
    expect(r.stdout.trim()).toBe('$(id) & | ; "x"');
  });
});
