import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LanrageConfig, loadConfig } from '../config/config.js';
import type { LanrageError } from '../errors.js';
import { ensureKeys } from '../keys/key-files.js';
import { generateKeyPair } from '../keys/x25519.js';
import { formatLogRecord, MemoryLogger } from '../logger.js';
import { setDeviceConfig } from '../testing/index.js';
import { MemoryBackend } from '../testing/memory-backend.js';
import { interfaceAddress } from './address.js';
import { NetworkManager } from './network-manager.js';
import { routesForPeers } from './routes.js';

let dir: string;
let config: LanrageConfig;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-nm-'));
  config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const peer = generateKeyPair().publicKey.toBase64();

function setup(opts: { foreign?: string[] } = {}) {
  const backend = new MemoryBackend({ foreignLinks: opts.foreign ?? [], latencies: { '10.66.0.2': 12.5 } });
  const logger = new MemoryLogger();
  const nm = new NetworkManager(config, { backend, logger });
  return { backend, logger, nm };
}

describe('NetworkManager.initialize', () => {
  it('creates keys and the interface, sets address, MTU, port and brings it up', async () => {
    const { backend, nm } = setup();
    const r = await nm.initialize();
    expect(r).toMatchObject({ interfaceName: 'lanrage0', backend: 'memory', created: true, keysCreated: true, listenPort: 51820, mtu: 1420 });
    const keys = await ensureKeys(config.keysDir);
    expect(r.publicKey).toBe(keys.publicKey.toBase64());
    expect(r.address).toBe(interfaceAddress('10.66.0.0/16', null, keys.publicKey));
    expect(r.address).not.toBe('10.66.0.1/16');
    expect(await backend.getAddresses('lanrage0')).toEqual([r.address]);
    expect(await backend.isUp('lanrage0')).toBe(true);
    expect(await backend.getMtu('lanrage0')).toBe(1420);
    expect((await backend.getDevice('lanrage0')).publicKey?.equals(keys.publicKey)).toBe(true);
  });

  it('uses the configured address inside the subnet', async () => {
    config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_ADDRESS: '10.66.0.42' } });
    const { nm } = setup();
    expect((await nm.initialize()).address).toBe('10.66.0.42/16');
  });

  it('is idempotent: a second run adopts the interface and keeps its peers', async () => {
    const { backend, nm } = setup();
    await nm.initialize();
    await nm.addPeer({ publicKey: peer, allowedIPs: ['10.66.0.2/32'] });
    const again = await new NetworkManager(config, { backend }).initialize();
    expect(again.created).toBe(false);
    expect(again.keysCreated).toBe(false);
    expect((await backend.getDevice('lanrage0')).peers.length).toBe(1);
  });

  it('N7 refuses to adopt a non-WireGuard link of the same name', async () => {
    const { nm } = setup({ foreign: ['lanrage0'] });
    expect(((await nm.initialize().catch((e) => e)) as LanrageError).code).toBe('NOT_WIREGUARD');
  });

  it('K10 refuses to adopt an interface that has our own public key as a peer', async () => {
    const { backend, nm } = setup();
    const keys = await ensureKeys(config.keysDir);
    await backend.createInterface('lanrage0');
    await setDeviceConfig(backend, 'lanrage0', { privateKey: generateKeyPair().privateKey, peers: [{ publicKey: keys.publicKey }] });
    expect(((await nm.initialize().catch((e) => e)) as LanrageError).code).toBe('KEY_COLLIDES_WITH_PEER');
  });

  it('an unavailable backend is reported with its reason', async () => {
    const { backend, nm } = setup();
    backend.setAvailability({ available: false, reason: 'no tun device' });
    const err = (await nm.initialize().catch((e) => e)) as LanrageError;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toContain('no tun device');
  });

  it('removes a half-made interface when a later step fails', async () => {
    config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_VIRTUAL_SUBNET: 'fd00::/64', LANRAGE_MTU: '1280' } });
    const backend = new MemoryBackend();
    const orig = backend.setMtu.bind(backend);
    backend.setMtu = async () => {
      throw Object.assign(new Error('boom'));
    };
    const nm = new NetworkManager(config, { backend });
    await expect(nm.initialize()).rejects.toThrow('boom');
    expect(await backend.listDevices()).toEqual([]);
    backend.setMtu = orig;
  });
});

describe('NetworkManager peers', () => {
  it('addPeer uses config.keepalive by default and refuses our own key (K9)', async () => {
    const { backend, nm } = setup();
    const r = await nm.initialize();
    await nm.addPeer({ publicKey: peer, endpoint: '192.0.2.1:51820', allowedIPs: ['10.66.0.2/32'] });
    const p = (await backend.getDevice('lanrage0')).peers[0];
    expect(p?.persistentKeepalive).toBe(25);
    expect(p?.endpoint).toBe('192.0.2.1:51820');
    expect(((await nm.addPeer({ publicKey: r.publicKey, allowedIPs: [] }).catch((e) => e)) as LanrageError).code).toBe('PEER_IS_SELF');
  });

  it('updatePeer changes the endpoint in place (update-only, never remove + add)', async () => {
    const { backend, nm } = setup();
    await nm.initialize();
    await nm.addPeer({ publicKey: peer, endpoint: '192.0.2.1:51820', allowedIPs: ['10.66.0.2/32'] });
    const pk = (await backend.getDevice('lanrage0')).peers[0]?.publicKey;
    backend.simulateTraffic('lanrage0', pk as never, { lastHandshake: new Date(1_700_000_000_000), rxBytes: 100n });
    backend.calls.length = 0;
    await nm.updatePeer({ publicKey: peer, endpoint: '198.51.100.7:4000' });
    const sets = backend.calls.filter((c) => c.method === 'setDevice');
    expect(sets).toHaveLength(1);
    expect(sets[0]?.config?.peers?.[0]).toMatchObject({ updateOnly: true, endpoint: '198.51.100.7:4000' });
    expect(sets[0]?.config?.peers?.[0]?.remove).toBeUndefined();
    const p = (await backend.getDevice('lanrage0')).peers[0];
    expect(p?.endpoint).toBe('198.51.100.7:4000');
    expect(p?.lastHandshake?.getTime()).toBe(1_700_000_000_000); // the session survived
    expect(p?.rxBytes).toBe(100n);
  });

  it('updatePeer on a missing peer is PEER_NOT_FOUND', async () => {
    const { nm } = setup();
    await nm.initialize();
    expect(((await nm.updatePeer({ publicKey: peer, endpoint: '192.0.2.1:1' }).catch((e) => e)) as LanrageError).code).toBe('PEER_NOT_FOUND');
  });

  it('removePeer is idempotent', async () => {
    const { backend, nm } = setup();
    await nm.initialize();
    await nm.addPeer({ publicKey: peer, allowedIPs: ['10.66.0.2/32'] });
    await nm.removePeer(peer);
    await nm.removePeer(peer);
    expect((await backend.getDevice('lanrage0')).peers).toEqual([]);
  });

  it('keeps routes for allowed IPs outside the virtual subnet, never a default route', async () => {
    const { backend, nm } = setup();
    await nm.initialize();
    await nm.addPeer({ publicKey: peer, allowedIPs: ['10.66.0.2/32', '192.168.50.0/24', '0.0.0.0/0'] });
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.50.0/24']);
    await nm.updatePeer({ publicKey: peer, allowedIPs: ['10.66.0.2/32', '172.16.0.0/12'] });
    expect(await backend.getRoutes('lanrage0')).toEqual(['172.16.0.0/12']);
    await nm.removePeer(peer);
    expect(await backend.getRoutes('lanrage0')).toEqual([]);
  });

  it('operations before the interface exists are INTERFACE_NOT_FOUND', async () => {
    const { nm } = setup();
    expect(((await nm.addPeer({ publicKey: peer, allowedIPs: [] }).catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
  });
});

describe('NetworkManager status, latency, cleanup and logs', () => {
  it('reports not_created, active and error states', async () => {
    const { backend, nm } = setup();
    expect((await nm.getInterfaceStatus()).state).toBe('not_created');
    await nm.initialize();
    await nm.addPeer({ publicKey: peer, allowedIPs: ['10.66.0.2/32'] });
    const s = await nm.getInterfaceStatus();
    expect(s.state).toBe('active');
    if (s.state === 'active') {
      expect(s.peers[0]).toMatchObject({ publicKey: peer, allowedIPs: ['10.66.0.2/32'], lastHandshake: null, rxBytes: '0' });
      expect(s.addresses?.length).toBe(1);
    }
    backend.getDevice = async () => {
      throw new (await import('../errors.js')).LanrageError('PROTOCOL_ERROR', 'garbage');
    };
    const e = await nm.getInterfaceStatus();
    expect(e).toMatchObject({ state: 'error', error: { code: 'PROTOCOL_ERROR' } });
  });

  it('measureLatency returns milliseconds, null on timeout, and validates the IP', async () => {
    const { nm } = setup();
    expect(await nm.measureLatency('10.66.0.2')).toBe(12.5);
    expect(await nm.measureLatency('10.66.0.3', 100)).toBeNull();
    expect(((await nm.measureLatency('10.66.0.2; reboot').catch((e) => e)) as LanrageError).code).toBe('INVALID_ARGUMENT');
  });

  it('cleanup deletes the interface and is idempotent', async () => {
    const { backend, nm } = setup();
    await nm.initialize();
    await nm.cleanup();
    await nm.cleanup();
    expect(await backend.listDevices()).toEqual([]);
  });

  it('K13 every operation logs a timed record, and no record holds the private key', async () => {
    const { logger, nm } = setup();
    await nm.initialize();
    await nm.addPeer({ publicKey: peer, allowedIPs: ['10.66.0.2/32'], presharedKey: generateKeyPair().privateKey.toBase64() });
    await nm.updatePeer({ publicKey: peer, endpoint: '192.0.2.1:1' });
    await nm.removePeer(peer);
    await nm.cleanup();
    const events = logger.records.map((r) => r.event);
    expect(events).toEqual(['initialize', 'addPeer', 'updatePeer', 'removePeer', 'cleanup']);
    for (const r of logger.records) expect(typeof r.durationMs).toBe('number');
    const keys = await ensureKeys(config.keysDir);
    const all = logger.records.map(formatLogRecord).join('\n');
    expect(all).not.toContain(keys.privateKey.toBase64());
  });
});

describe('routesForPeers', () => {
  it('skips what the interface subnet covers, dedupes and leaves out /0', () => {
    expect(routesForPeers(['10.66.0.1/16'], ['10.66.0.2/32', '10.0.0.0/8', '10.0.0.0/8', '::/0', 'fd00::/64'])).toEqual(['10.0.0.0/8', 'fd00::/64']);
    expect(routesForPeers([], ['0.0.0.0/0'], { allowDefaultRoute: true })).toEqual(['0.0.0.0/0']);
  });
});
