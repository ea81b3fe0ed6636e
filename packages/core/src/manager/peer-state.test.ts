import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LanrageConfig, loadConfig } from '../config/config.js';
import { generateKeyPair, generatePresharedKey } from '../keys/x25519.js';
import { setDeviceConfig } from '../testing/index.js';
import { MemoryBackend } from '../testing/memory-backend.js';
import { NetworkManager } from './network-manager.js';
import type { SavedState } from './peer-state.js';

let dir: string;
let config: LanrageConfig;
let statePath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-state-'));
  config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } });
  statePath = join(dir, 'state', 'lanrage0.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const [a, b, c] = [generateKeyPair().publicKey.toBase64(), generateKeyPair().publicKey.toBase64(), generateKeyPair().publicKey.toBase64()];

async function saved(): Promise<SavedState> {
  return JSON.parse(await readFile(statePath, 'utf8')) as SavedState;
}

function byKey(s: SavedState) {
  return Object.fromEntries(s.peers.map((p) => [p.publicKey, p]));
}

describe('NetworkManager statePath', () => {
  it('keeps a host-name endpoint as the name (a restore resolves it again), through addPeer and through apply', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await nm.initialize();
    await nm.addPeer({ publicKey: a, endpoint: 'localhost:51820', allowedIPs: ['10.66.0.2/32'] }); // /etc/hosts: no DNS needed
    await nm.apply({
      peers: [
        { publicKey: (await nm.getDevice()).peers[0]?.publicKey as never, endpoint: 'localhost:51820', allowedIPs: ['10.66.0.2/32'], persistentKeepalive: 25 },
        { publicKey: generateKeyPair().publicKey, endpoint: 'localhost:4000', allowedIPs: ['10.66.0.3/32'] },
      ],
    });
    await nm.close();
    const dev = await backend.getDevice('lanrage0');
    expect(dev.peers.map((p) => p.endpoint).sort()).toEqual(['127.0.0.1:4000', '127.0.0.1:51820']); // the device has the address
    expect((await saved()).peers.map((p) => p.endpoint).sort()).toEqual(['localhost:4000', 'localhost:51820']); // the state, the name
  });

  it('keeps every change made through the manager, as the kernel applies it (updates keep unnamed fields, a moved prefix leaves its old peer)', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await nm.initialize();
    const psk = generatePresharedKey();
    const pskText = psk.toBase64();
    await Promise.all([
      nm.addPeer({ publicKey: a, endpoint: '192.0.2.1:51820', allowedIPs: ['10.66.0.2/32', '192.168.50.0/24'], presharedKey: psk }),
      nm.addPeer({ publicKey: b, allowedIPs: ['10.66.0.3/32'], persistentKeepalive: 0 }),
      nm.addPeer({ publicKey: c, allowedIPs: ['10.66.0.4/32'] }),
    ]);
    await nm.updatePeer({ publicKey: a, endpoint: '192.0.2.9:51821' });
    await nm.addPeer({ publicKey: b, allowedIPs: ['10.66.0.3/32', '192.168.50.0/24'], persistentKeepalive: 0 }); // takes the /24 from a
    await nm.removePeer(c);
    await nm.close();

    const s = await saved();
    expect(s).toMatchObject({ version: 1, interface: 'lanrage0', settings: {} });
    expect(byKey(s)).toEqual({
      [a]: { publicKey: a, endpoint: '192.0.2.9:51821', allowedIPs: ['10.66.0.2/32'], persistentKeepalive: 25, presharedKey: pskText },
      [b]: { publicKey: b, endpoint: null, allowedIPs: ['10.66.0.3/32', '192.168.50.0/24'], persistentKeepalive: 0 },
    });
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
    // Never the private key; and no temp file left beside it.
    const priv = (await readFile(join(config.keysDir, 'private.key'), 'utf8')).trim();
    expect(await readFile(statePath, 'utf8')).not.toContain(priv);
    expect(await readdir(join(dir, 'state'))).toEqual(['lanrage0.json']);
  });

  it('initialize puts the saved peers back on a new interface (after cleanup, i.e. down), routes included, and says so', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await nm.initialize();
    await nm.addPeer({ publicKey: a, endpoint: '192.0.2.1:51820', allowedIPs: ['10.66.0.2/32', '192.168.50.0/24'], presharedKey: generatePresharedKey() });
    await nm.addPeer({ publicKey: b, allowedIPs: ['10.66.0.3/32'] });
    const before = await backend.getDevice('lanrage0');
    await nm.cleanup();
    expect(await backend.listDevices()).toEqual([]);

    const again = new NetworkManager(config, { backend, statePath });
    const r = await again.initialize();
    expect(r.created).toBe(true);
    expect(r.restored).toEqual({ peers: 2, from: statePath });
    const after = await backend.getDevice('lanrage0');
    const shape = (d: typeof before) =>
      d.peers
        .map((p) => ({ key: p.publicKey.toBase64(), ep: p.endpoint, ips: p.allowedIPs, ka: p.persistentKeepalive, psk: p.presharedKey?.toHex() ?? null }))
        .sort((x, y) => x.key.localeCompare(y.key));
    expect(shape(after)).toEqual(shape(before));
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.50.0/24']);
    await again.close();
  });

  it('an interface that still has peers is the truth: nothing is restored and the state is taken from it', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await nm.initialize();
    await nm.addPeer({ publicKey: a, allowedIPs: ['10.66.0.2/32'] });
    await nm.close();
    // Behind lanrage's back: a is gone, c is there.
    await setDeviceConfig(backend, 'lanrage0', {
      peers: [
        { publicKey: a, remove: true },
        { publicKey: c, allowedIPs: ['10.66.0.4/32'] },
      ],
    });
    const r = await new NetworkManager(config, { backend, statePath }).initialize();
    expect(r.created).toBe(false);
    expect(r.restored).toBeNull();
    expect(Object.keys(byKey(await saved()))).toEqual([c]);
  });

  it('fresh starts without the saved peers and settings, and rewrites the state', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await nm.initialize({ settings: { mtu: 1380 } });
    await nm.addPeer({ publicKey: a, allowedIPs: ['10.66.0.2/32'] });
    await nm.cleanup();
    const r = await new NetworkManager(config, { backend, statePath }).initialize({ fresh: true });
    expect(r.restored).toBeNull();
    expect(r.mtu).toBe(1420);
    expect((await backend.getDevice('lanrage0')).peers).toEqual([]);
    expect(await saved()).toMatchObject({ settings: {}, peers: [] });
  });

  it('settings given to initialize are kept and used when none are given, until given again', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    const first = await nm.initialize({ settings: { listenPort: 51900, mtu: 1380, address: '10.66.0.77' } });
    expect(first).toMatchObject({ listenPort: 51900, mtu: 1380, address: '10.66.0.77/16' });
    await nm.cleanup();
    const second = await new NetworkManager(config, { backend, statePath }).initialize();
    expect(second).toMatchObject({ listenPort: 51900, mtu: 1380, address: '10.66.0.77/16', settings: { listenPort: 51900, mtu: 1380, address: '10.66.0.77' } });
    const third = await new NetworkManager(config, { backend, statePath }).initialize({ settings: { mtu: 1400 } });
    expect(third).toMatchObject({ listenPort: 51900, mtu: 1400 });
    expect((await saved()).settings).toEqual({ listenPort: 51900, mtu: 1400, address: '10.66.0.77' });
  });

  it('refuses bad settings at the call (typed errors), before touching anything', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await expect(nm.initialize({ settings: { mtu: 10 } })).rejects.toMatchObject({ code: 'INVALID_MTU' });
    await expect(nm.initialize({ settings: { listenPort: 70000 } })).rejects.toMatchObject({ code: 'INVALID_PORT' });
    await expect(nm.initialize({ settings: { address: '10.66.0.1/16' } })).rejects.toMatchObject({ code: 'INVALID_ADDRESS' });
    expect(await backend.listDevices()).toEqual([]);
  });

  it('a broken state file stops initialize with INVALID_CONFIG naming the file and the way out, without quoting it; nothing is created', async () => {
    const backend = new MemoryBackend();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'state'), { recursive: true });
    const secret = generatePresharedKey().toBase64();
    await writeFile(statePath, `{"version":1,"peers":[{"publicKey":"${secret}"`, { mode: 0o600 });
    const err = await new NetworkManager(config, { backend, statePath }).initialize().catch((e) => e);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(err.message).toContain(statePath);
    expect(err.message).not.toContain(secret.slice(0, 8));
    expect(err.remedy).toContain('--fresh');
    expect(await backend.listDevices()).toEqual([]);

    await writeFile(statePath, JSON.stringify({ version: 1, peers: [{ publicKey: 'nope', allowedIPs: [] }] }));
    await expect(new NetworkManager(config, { backend, statePath }).initialize()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('peer #1'),
    });
    // --fresh gets past it and replaces it.
    await new NetworkManager(config, { backend, statePath }).initialize({ fresh: true });
    expect((await saved()).peers).toEqual([]);
  });

  it('apply and reconcile leave the state equal to the device (changes behind the manager’s back included)', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend, statePath });
    await nm.initialize();
    await nm.addPeer({ publicKey: a, allowedIPs: ['10.66.0.2/32'] });
    const { Key } = await import('../keys/key.js');
    await nm.apply({ peers: [{ publicKey: Key.parse(b), allowedIPs: ['10.66.0.3/32'], endpoint: '192.0.2.3:1', persistentKeepalive: 10 }] });
    await nm.flushState();
    expect(byKey(await saved())).toEqual({ [b]: { publicKey: b, endpoint: '192.0.2.3:1', allowedIPs: ['10.66.0.3/32'], persistentKeepalive: 10 } });
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: c, allowedIPs: ['10.66.0.4/32'] }] });
    await nm.reconcile();
    await nm.flushState();
    expect(Object.keys(byKey(await saved())).sort()).toEqual([b, c].sort());
    await nm.close();
  });

  it('a write that fails is reported by initialize and flushState, never by an operation, and the interface stays up', async () => {
    const backend = new MemoryBackend();
    // procfs: reading finds no file, writing one is refused (even to root).
    const nm = new NetworkManager(config, { backend, statePath: '/proc/lanrage-test-state.json' });
    const err = await nm.initialize().catch((e) => e);
    expect(err?.code).toMatch(/^(IO_ERROR|PERMISSION_DENIED)$/);
    expect(err.message).toContain('/proc/lanrage-test-state.json');
    expect(await backend.listDevices()).toEqual(['lanrage0']);
    await nm.addPeer({ publicKey: a, allowedIPs: ['10.66.0.2/32'] });
    await expect(nm.flushState()).rejects.toMatchObject({ message: expect.stringContaining('/proc/lanrage-test-state.json') });
    await expect(nm.flushState()).resolves.toBeUndefined(); // reported once
  });
});

describe('ADDRESS_CONFLICT', () => {
  it("refuses a peer whose allowed IPs cover this node's own address more narrowly than the subnet; a gateway's wide prefix is fine", async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend });
    const up = await nm.initialize({ settings: { address: '10.66.0.5' } });
    expect(up.address).toBe('10.66.0.5/16');
    const err = await nm.addPeer({ publicKey: a, allowedIPs: ['10.66.0.9/32', '10.66.0.5/32'] }).catch((e) => e);
    expect(err).toMatchObject({ code: 'ADDRESS_CONFLICT', details: { allowedIP: '10.66.0.5/32', address: '10.66.0.5/16' } });
    await expect(nm.addPeer({ publicKey: a, allowedIPs: ['10.66.0.0/24'] })).rejects.toMatchObject({ code: 'ADDRESS_CONFLICT' });
    await nm.addPeer({ publicKey: b, allowedIPs: ['10.66.0.0/16', '192.168.0.0/24'] }); // a gateway for the whole subnet
    await nm.addPeer({ publicKey: c, allowedIPs: ['10.66.0.6/32'] });
    expect((await backend.getDevice('lanrage0')).peers.map((p) => p.publicKey.toBase64()).sort()).toEqual([b, c].sort());
    // apply too, and a manager that did not run initialize (the CLI's next command) knows the address from the device
    const { Key } = await import('../keys/key.js');
    const other = new NetworkManager(config, { backend });
    await expect(other.apply({ peers: [{ publicKey: Key.parse(a), allowedIPs: ['10.66.0.5/32'] }] })).rejects.toMatchObject({ code: 'ADDRESS_CONFLICT' });
    await expect(other.updatePeer({ publicKey: c, allowedIPs: ['10.66.0.5/32'] })).rejects.toMatchObject({ code: 'ADDRESS_CONFLICT' });
    await nm.close();
    await other.close();
  });
});

describe('K10 in apply', () => {
  it('refuses a new private key whose public key is a peer the device keeps (the kernel would drop that peer); nothing is sent', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend });
    await nm.initialize();
    const other = generateKeyPair();
    await nm.addPeer({ publicKey: other.publicKey, allowedIPs: ['10.66.0.9/32'] });
    const { Key } = await import('../keys/key.js');
    const err = await nm
      .apply({ privateKey: other.privateKey, peers: [{ publicKey: Key.parse(other.publicKey.toBase64()), allowedIPs: ['10.66.0.9/32'] }] })
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'KEY_COLLIDES_WITH_PEER' });
    expect((await backend.getDevice('lanrage0')).peers).toHaveLength(1);
    await nm.close();
  });
});

describe('K7 an unclamped imported private key', () => {
  it('is the same identity as its clamped form: a second apply changes nothing (keys compare by their public keys)', async () => {
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend });
    await nm.initialize();
    const { Key } = await import('../keys/key.js');
    const raw = generateKeyPair().privateKey.bytes();
    raw[0] = (raw[0] as number) | 7; // low bits set,
    raw[31] = (raw[31] as number) | 128; // and the top bit: not clamped
    const unclamped = Key.fromBytes(raw, 'private');
    const first = await nm.apply({ privateKey: unclamped, peers: [] });
    expect(first.plan.device).toEqual(['private key (new public key)']);
    const second = await nm.apply({ privateKey: Key.fromBytes(raw, 'private'), peers: [] });
    expect(second.plan.device).toEqual([]);
    expect(second.applied).toBe(false);
    await nm.close();
  });
});
