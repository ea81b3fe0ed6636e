import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, Key, type LanrageError, MemoryLogger, UserspaceBackend } from '@lanrage/core';
import { normalizeAllowedIP } from '@lanrage/core/backend';
import { setDeviceConfig } from '@lanrage/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { namespacePrerequisites, parseWgDump, sh, tryRun } from '../helpers/netns.js';
import { describeWith } from '../helpers/prerequisites.js';

const NAME = 'lrtest-big';

function keyN(i: number): Key {
  const b = new Uint8Array(32).fill(0x42);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  b[2] = (i >> 16) & 0xff;
  return Key.fromBytes(b);
}

describeWith('UserspaceBackend against a real wireguard-go', namespacePrerequisites(), () => {
  const backend = new UserspaceBackend();

  beforeAll(async () => {
    await backend.deleteInterface(NAME).catch(() => undefined);
    await backend.createInterface(NAME);
  });
  afterAll(async () => {
    await backend.deleteInterface(NAME).catch(() => undefined);
    await backend.close();
  });

  it('5,000 peers with allowed IPs and keepalive are set in one call and read back exactly', async () => {
    const peers = Array.from({ length: 5000 }, (_, i) => ({
      publicKey: keyN(i),
      endpoint: i % 2 ? `192.0.2.${i % 250}:${1000 + i}` : `[2001:db8::${(i + 1).toString(16)}]:${2000 + i}`,
      persistentKeepalive: i % 50 === 0 ? 25 : 0, // wireguard-go spends ~6 ms on each peer with keepalive
      allowedIPs: [`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`, `fd00::${i.toString(16)}:0/112`],
    }));
    const t0 = performance.now();
    await setDeviceConfig(backend, NAME, { privateKey: generateKeyPair().privateKey, listenPort: 0, peers });
    const setMs = performance.now() - t0;
    const t1 = performance.now();
    const dev = await backend.getDevice(NAME);
    const getMs = performance.now() - t1;
    expect(dev.peers).toHaveLength(5000);
    const byKey = new Map(dev.peers.map((p) => [p.publicKey.toBase64(), p]));
    for (const want of peers) {
      const got = byKey.get(want.publicKey.toBase64());
      expect(got?.endpoint).toBe(want.endpoint);
      expect(got?.persistentKeepalive).toBe(want.persistentKeepalive);
      expect(got?.allowedIPs.sort()).toEqual(want.allowedIPs.map(normalizeAllowedIP).sort());
    }
    const wg = parseWgDump(sh('wg', ['show', NAME, 'dump']));
    expect(wg.peers).toHaveLength(5000);
    console.log(`5,000 peers: set ${setMs.toFixed(0)} ms, get ${getMs.toFixed(0)} ms`);
  });

  it('replacePeers, updateOnly and remove behave as on the kernel', async () => {
    const [p1, p2] = [keyN(900001), keyN(900002)];
    await setDeviceConfig(backend, NAME, { replacePeers: true, peers: [{ publicKey: p1, allowedIPs: ['10.9.0.0/16'] }] });
    expect((await backend.getDevice(NAME)).peers.map((p) => p.publicKey.toBase64())).toEqual([p1.toBase64()]);
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p2, updateOnly: true, allowedIPs: ['10.8.0.0/16'] }] });
    expect((await backend.getDevice(NAME)).peers).toHaveLength(1);
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p1, remove: true }] });
    expect((await backend.getDevice(NAME)).peers).toHaveLength(0);
  });

  it('A5 an empty allowed-IP list clears them; an absent one leaves them as they are (a real wireguard-go)', async () => {
    const p = keyN(900010);
    const ips = async () => (await backend.getDevice(NAME)).peers.find((x) => x.publicKey.equals(p))?.allowedIPs.sort();
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p, allowedIPs: ['10.77.0.0/24', 'fd77::/64'] }] });
    expect(await ips()).toEqual(['10.77.0.0/24', 'fd77::/64']);
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p, endpoint: '192.0.2.77:7' }] }); // absent: unchanged
    expect(await ips()).toEqual(['10.77.0.0/24', 'fd77::/64']);
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p, allowedIPs: [] }] }); // empty: cleared
    expect(await ips()).toEqual([]);
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p, remove: true }] });
  });

  it('A6 single allowed-IP removal on an implementation without it is UNSUPPORTED, never a silent add', async () => {
    const p = keyN(900003);
    await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p, allowedIPs: ['10.7.0.0/16', '10.6.0.0/16'] }] });
    const supported = await backend.supportsAllowedIPRemoval(NAME);
    const result = await setDeviceConfig(backend, NAME, { peers: [{ publicKey: p, allowedIPsRemove: ['10.7.0.0/16'] }] }).catch((e) => e as LanrageError);
    const after = (await backend.getDevice(NAME)).peers.find((x) => x.publicKey.equals(p));
    if (supported) expect(after?.allowedIPs).toEqual(['10.6.0.0/16']);
    else {
      expect((result as LanrageError).code).toBe('UNSUPPORTED');
      expect(after?.allowedIPs.sort()).toEqual(['10.6.0.0/16', '10.7.0.0/16']);
    }
  });

  it('a port already in use is PORT_IN_USE', async () => {
    const other = 'lrtest-port';
    await backend.deleteInterface(other).catch(() => undefined);
    await backend.createInterface(other);
    try {
      await setDeviceConfig(backend, other, { listenPort: 51977 });
      const err = (await setDeviceConfig(backend, NAME, { listenPort: 51977 }).catch((e) => e)) as LanrageError;
      expect(err.code).toBe('PORT_IN_USE');
    } finally {
      await backend.deleteInterface(other);
    }
  });

  it('a missing device and a non-WireGuard link are typed', async () => {
    expect(((await backend.getDevice('lrtest-none').catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
    expect(((await backend.getDevice('lo').catch((e) => e)) as LanrageError).code).toBe('NOT_WIREGUARD');
    expect(((await backend.deleteInterface('lo').catch((e) => e)) as LanrageError).code).toBe('NOT_WIREGUARD');
    expect(((await backend.createInterface('lo').catch((e) => e)) as LanrageError).code).toBe('INTERFACE_EXISTS');
  });

  it('a stale socket file with no listener is cleaned up by createInterface', async () => {
    const name = 'lrtest-stale';
    const path = `/var/run/wireguard/${name}.sock`;
    await mkdir('/var/run/wireguard', { recursive: true });
    await rm(path, { force: true });
    // A listener killed with SIGKILL leaves its socket file behind, as a crashed wireguard-go does.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(existsSync(path)).toBe(true);
    const logger = new MemoryLogger();
    const logged = new UserspaceBackend({ logger });
    expect(await logged.listDevices()).not.toContain(name);
    expect(((await logged.getDevice(name).catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
    await logged.createInterface(name);
    expect(await logged.listDevices()).toContain(name);
    await logged.deleteInterface(name);
    await logged.close();
    expect(existsSync(path)).toBe(false);
    // the process lifecycle goes to the Logger the backend was given (the manager's, in createNetworkManager)
    expect(logger.records.map((r) => r.event)).toEqual(['userspace.stale-socket', 'userspace.started', 'userspace.stopped']);
    expect(logger.records[1]).toMatchObject({ level: 'info', interface: name, pid: expect.any(Number), durationMs: expect.any(Number) });
    expect(logger.records[2]).toMatchObject({ interface: name, forced: false });
  });

  it('a missing implementation is NOT_INSTALLED with the remedy', async () => {
    const missing = new UserspaceBackend({ implementation: '/nonexistent/wireguard-go' });
    expect((await missing.isAvailable()).available).toBe(false);
    const err = (await missing.createInterface('lrtest-none').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('NOT_INSTALLED');
    expect(err.remedy).toMatch(/wireguard-go/);
  });

  it('an implementation that dies at start-up is PROCESS_EXITED with its log', async () => {
    const logger = new MemoryLogger();
    const failing = new UserspaceBackend({ implementation: '/bin/false', logger });
    const err = (await failing.createInterface('lrtest-dies').catch((e) => e)) as LanrageError;
    expect(err.code).toBe('PROCESS_EXITED');
    expect(logger.records).toMatchObject([{ level: 'error', event: 'userspace.exited', interface: 'lrtest-dies', exitCode: 1, during: 'start' }]);
  });

  it('L10 an unprivileged user gets PERMISSION_DENIED with an explanation, and the CLI exits 4', () => {
    const core = join(dirname(fileURLToPath(import.meta.url)), '../../packages/core/dist/index.js');
    const cli = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/bin.js');
    const script = `import(${JSON.stringify(core)}).then(async (m) => { const b = new m.UserspaceBackend(); try { await b.getDevice(${JSON.stringify(NAME)}); console.log('OK'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, remedy: e.remedy })); } })`;
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
    const r = spawnSync('setpriv', [...asNobody, process.execPath, '-e', script], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout.trim());
    expect(out.code).toBe('PERMISSION_DENIED');
    expect(out.message).toContain('/var/run/wireguard');
    expect(out.remedy).toMatch(/root/);
    const up = spawnSync('setpriv', [...asNobody, process.execPath, cli, 'up', '-b', 'userspace', '-i', 'lrtest-nobody'], {
      encoding: 'utf8',
      env: { ...process.env, LANRAGE_CONFIG_DIR: '/tmp/lanrage-nobody-never-created' },
    });
    expect(up.status).toBe(4);
    expect(up.stderr).toMatch(/^lanrage: .*CAP_NET_ADMIN/m);
  });

  it('what `wg setconf` sets, lanrage reads', async () => {
    const k = generateKeyPair();
    const psk = Key.fromBytes(new Uint8Array(32).fill(9), 'preshared');
    const conf = `[Interface]\nPrivateKey = ${k.privateKey.toBase64()}\nListenPort = 51978\n\n[Peer]\nPublicKey = ${keyN(7).toBase64()}\nPresharedKey = ${psk.toBase64()}\nAllowedIPs = 10.5.0.0/16, fd05::/64\nEndpoint = [2001:db8::5]:5\nPersistentKeepalive = 9\n`;
    const file = `/tmp/lanrage-setconf-${process.pid}.conf`;
    await writeFile(file, conf, { mode: 0o600 });
    try {
      execFileSync('wg', ['setconf', NAME, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      await rm(file, { force: true });
    }
    const dev = await backend.getDevice(NAME);
    expect(dev.publicKey?.equals(k.publicKey)).toBe(true);
    expect(dev.listenPort).toBe(51978);
    expect(dev.peers).toHaveLength(1);
    expect(dev.peers[0]?.presharedKey?.equals(psk)).toBe(true);
    expect(dev.peers[0]?.allowedIPs.sort()).toEqual(['10.5.0.0/16', 'fd05::/64']);
    expect(dev.peers[0]?.endpoint).toBe('[2001:db8::5]:5');
    expect(dev.peers[0]?.persistentKeepalive).toBe(9);
  });
});

describeWith('leftovers', namespacePrerequisites(), () => {
  it('no test interface process is left running', () => {
    expect(tryRun('pgrep', ['-f', 'wireguard-go -f lrtest-(big|port|stale|dies)$'])).toBe(false);
  });
});
