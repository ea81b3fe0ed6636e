import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LanrageConfig, loadConfig } from '../config/config.js';
import { LanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import { MemoryLogger } from '../logger.js';
import { setDeviceConfig } from '../testing/index.js';
import { MemoryBackend } from '../testing/memory-backend.js';
import { NetworkManager } from './network-manager.js';

let dir: string;
let config: LanrageConfig;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-churn-'));
  config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_ADDRESS: '10.66.0.1' } });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function keyN(i: number): string {
  const b = new Uint8Array(32).fill(0x51);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  return Key.fromBytes(b).toBase64();
}

/** A MemoryBackend that counts the calls a hot path must not make. */
function counted() {
  const backend = new MemoryBackend();
  const counts = { getDevice: 0, getRoutes: 0, getAddresses: 0, listDevices: 0 };
  for (const m of Object.keys(counts) as (keyof typeof counts)[]) {
    const orig = (backend[m] as (...a: unknown[]) => Promise<unknown>).bind(backend);
    (backend as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      counts[m]++;
      return orig(...a);
    };
  }
  return { backend, counts };
}

async function upWith(backend: MemoryBackend, logger = new MemoryLogger()) {
  const nm = new NetworkManager(config, { backend, logger });
  await nm.initialize();
  return nm;
}

describe('NetworkManager: every peer operation costs O(change)', () => {
  it('add, update and remove trust the index: no device read, no route read, only the route delta', async () => {
    const { backend, counts } = counted();
    const nm = await upWith(backend);
    await nm.apply({ peers: Array.from({ length: 500 }, (_, i) => ({ publicKey: Key.parse(keyN(i)), allowedIPs: [`172.16.${i >> 8}.${i & 255}/32`] })) });
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] = 0;
    backend.calls.length = 0;
    for (let i = 0; i < 20; i++) {
      await nm.addPeer({ publicKey: keyN(1000 + i), allowedIPs: [`192.168.${i}.0/24`, '10.66.5.5/32'] });
      await nm.updatePeer({ publicKey: keyN(1000 + i), endpoint: '192.0.2.1:51820' });
      await nm.removePeer(keyN(1000 + i));
    }
    expect(counts).toEqual({ getDevice: 0, getRoutes: 0, getAddresses: 0, listDevices: 0 });
    const routeCalls = backend.calls.filter((c) => c.method === 'changeRoutes').map((c) => c.args?.[0]);
    expect(routeCalls.slice(0, 2)).toEqual([
      { add: ['192.168.0.0/24'], remove: [] },
      { add: [], remove: ['192.168.0.0/24'] },
    ]);
    expect(routeCalls).toHaveLength(40); // the update changed no allowed IP: no route call
    expect((await backend.getRoutes('lanrage0')).length).toBe(500);
  });

  it('updatePeer is PEER_NOT_FOUND from the index, without sending anything', async () => {
    const { backend, counts } = counted();
    const nm = await upWith(backend);
    counts.getDevice = 0;
    backend.calls.length = 0;
    const err = (await nm.updatePeer({ publicKey: keyN(1), endpoint: '192.0.2.1:1' }).catch((e) => e)) as LanrageError;
    expect(err.code).toBe('PEER_NOT_FOUND');
    expect(counts.getDevice).toBe(0);
    expect(backend.calls).toEqual([]);
  });

  it('an allowed IP moved between peers keeps its route; removing the first peer leaves it', async () => {
    const nm = await upWith(new MemoryBackend());
    await nm.addPeer({ publicKey: keyN(1), allowedIPs: ['192.168.1.0/24', '192.168.2.0/24'] });
    await nm.addPeer({ publicKey: keyN(2), allowedIPs: ['192.168.1.0/24'] });
    await nm.removePeer(keyN(1));
    const backend = nm.backend as MemoryBackend;
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.1.0/24']);
    expect((await backend.getDevice('lanrage0')).peers.map((p) => p.allowedIPs)).toEqual([['192.168.1.0/24']]);
  });
});

describe('NetworkManager: concurrent callers coalesce', () => {
  it('operations issued in one tick are one setDevice and one route change; each caller gets its own result', async () => {
    const backend = new MemoryBackend();
    const logger = new MemoryLogger();
    const nm = await upWith(backend, logger);
    backend.calls.length = 0;
    logger.records.length = 0;
    const ops = [];
    for (let i = 0; i < 100; i++) ops.push(nm.addPeer({ publicKey: keyN(i), allowedIPs: [`192.168.${i}.0/24`] }));
    ops.push(nm.updatePeer({ publicKey: keyN(5), endpoint: '192.0.2.9:9' })); // sees the add before it
    ops.push(nm.updatePeer({ publicKey: keyN(500), endpoint: '192.0.2.9:9' })); // never added
    for (let i = 50; i < 100; i++) ops.push(nm.removePeer(keyN(i)));
    const results = await Promise.allSettled(ops);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['PEER_NOT_FOUND']);
    // Sent in the same tick (the memory backend records its setDevice after validating).
    expect(backend.calls.map((c) => c.method).sort()).toEqual(['changeRoutes', 'setDevice']);
    expect(backend.calls.find((c) => c.method === 'setDevice')?.config?.peers).toHaveLength(151);
    const delta = backend.calls.find((c) => c.method === 'changeRoutes')?.args?.[0] as { add: string[]; remove: string[] };
    expect(delta.remove).toEqual([]);
    expect(delta.add.length).toBe(50); // the 50 added and removed in the same batch never touch a route
    expect((await backend.getRoutes('lanrage0')).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `192.168.${i}.0/24`).sort());
    expect(logger.records.filter((r) => r.event === 'addPeer')).toHaveLength(100);
    expect(logger.records.filter((r) => r.event === 'updatePeer' && r.ok === false)).toHaveLength(1);
  });

  it('one bad operation in a batch fails alone; the others land with their routes', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    const self = (await backend.getDevice('lanrage0')).publicKey?.toBase64() as string;
    backend.failNextSet('lanrage0', 3, new LanrageError('INVALID_ARGUMENT', 'injected: the kernel refused this peer'));
    const failing = keyN(3);
    const orig = backend.setDevice.bind(backend);
    // After the batch fails at op 3, the retry of that op alone fails again; the others land.
    backend.setDevice = async (name, cfg) => {
      if (cfg.peers?.length === 1 && Key.from(cfg.peers[0]?.publicKey as string).toBase64() === failing) {
        throw new LanrageError('INVALID_ARGUMENT', 'injected: the kernel refused this peer');
      }
      return orig(name, cfg);
    };
    const ops = Array.from({ length: 8 }, (_, i) => nm.addPeer({ publicKey: keyN(i), allowedIPs: [`192.168.${i}.0/24`] }));
    ops.push(nm.addPeer({ publicKey: self, allowedIPs: ['192.168.99.0/24'] }));
    const results = await Promise.allSettled(ops);
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as LanrageError).code : 'ok'));
    // The failing operation gets its own error (from its retry alone), not the batch's.
    expect(codes).toEqual(['ok', 'ok', 'ok', 'INVALID_ARGUMENT', 'ok', 'ok', 'ok', 'ok', 'PEER_IS_SELF']);
    const dev = await backend.getDevice('lanrage0');
    expect(dev.peers.map((p) => p.publicKey.toBase64()).sort()).toEqual([0, 1, 2, 4, 5, 6, 7].map(keyN).sort());
    expect((await backend.getRoutes('lanrage0')).sort()).toEqual([0, 1, 2, 4, 5, 6, 7].map((i) => `192.168.${i}.0/24`).sort());
  });

  it('a failed route change is repaired from the device before callers settle', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    const orig = backend.changeRoutes.bind(backend);
    let fail = true;
    backend.changeRoutes = async (name, delta) => {
      if (fail) {
        fail = false;
        throw new LanrageError('IO_ERROR', 'injected route failure');
      }
      return orig(name, delta);
    };
    await nm.addPeer({ publicKey: keyN(1), allowedIPs: ['192.168.1.0/24'] });
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.1.0/24']);
  });
});

describe('NetworkManager: changes behind its back', () => {
  it('reconcile() picks up a peer added and one removed behind the manager, and fixes the routes', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    await nm.addPeer({ publicKey: keyN(1), allowedIPs: ['192.168.1.0/24'] });
    await setDeviceConfig(backend, 'lanrage0', {
      peers: [
        { publicKey: keyN(2), allowedIPs: ['192.168.2.0/24'] },
        { publicKey: keyN(1), remove: true },
      ],
    });
    await backend.changeRoutes('lanrage0', { add: ['192.168.77.0/24'], remove: [] }); // a stale route of ours
    const r = await nm.reconcile();
    expect(r).toEqual({ peers: 1, routesAdded: ['192.168.2.0/24'], routesRemoved: expect.arrayContaining(['192.168.1.0/24', '192.168.77.0/24']) });
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.2.0/24']);
    await nm.updatePeer({ publicKey: keyN(2), endpoint: '192.0.2.1:1' }); // known now
  });

  it('apply reads the live device: a peer added behind the back is removed with its route', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: keyN(2), allowedIPs: ['192.168.2.0/24'] }] });
    const r = await nm.apply({ peers: [{ publicKey: Key.parse(keyN(3)), allowedIPs: ['192.168.3.0/24'] }] });
    expect(r.plan.remove).toEqual([keyN(2)]);
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.3.0/24']);
    const dry = await nm.apply({ peers: [] }, { dryRun: true });
    expect(dry.plan.remove).toEqual([keyN(3)]);
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.3.0/24']); // a dry run changes nothing
  });

  it('attach() adopts a running interface and builds the index from one read', async () => {
    const backend = new MemoryBackend();
    await upWith(backend);
    await setDeviceConfig(backend, 'lanrage0', { peers: [{ publicKey: keyN(2), allowedIPs: ['192.168.2.0/24'] }] });
    const nm = new NetworkManager(config, { backend });
    await nm.attach();
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.2.0/24']);
    await nm.removePeer(keyN(2));
    expect(await backend.getRoutes('lanrage0')).toEqual([]);
  });

  it('needs a backend', () => {
    expect(() => new NetworkManager(config, undefined as never)).toThrow(/needs a backend/);
  });
});

describe('NetworkManager: ordering and lifecycle edges', () => {
  it('an operation issued just before attach() is not failed by it', async () => {
    const backend = new MemoryBackend();
    await upWith(backend);
    const nm = new NetworkManager(config, { backend });
    const add = nm.addPeer({ publicKey: keyN(1), allowedIPs: ['192.168.1.0/24'] });
    const attach = nm.attach();
    await Promise.all([add, attach]);
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.1.0/24']);
  });

  it('a host-name endpoint keeps the peer order: add (resolving) then remove leaves no peer and no route', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    const add = nm.addPeer({ publicKey: keyN(1), endpoint: 'localhost:51820', allowedIPs: ['192.168.2.0/24'] });
    const update = nm.updatePeer({ publicKey: keyN(1), persistentKeepalive: 5 }); // after the add, not PEER_NOT_FOUND
    const remove = nm.removePeer(keyN(1));
    await Promise.all([add, update, remove]);
    expect((await backend.getDevice('lanrage0')).peers).toEqual([]);
    expect(await backend.getRoutes('lanrage0')).toEqual([]);
  });

  it('a failed re-initialize of an adopted interface keeps serving it', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    await nm.addPeer({ publicKey: keyN(1), allowedIPs: ['192.168.1.0/24'] });
    const orig = backend.setMtu.bind(backend);
    backend.setMtu = async () => {
      throw new LanrageError('IO_ERROR', 'injected');
    };
    const init = nm.initialize();
    const update = nm.updatePeer({ publicKey: keyN(1), endpoint: '192.0.2.1:1' });
    await expect(init).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(update).resolves.toBeUndefined();
    backend.setMtu = orig;
  });

  it('after cleanup() an operation fails at once without touching the backend', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    await nm.cleanup();
    let reads = 0;
    const getDevice = backend.getDevice.bind(backend);
    backend.getDevice = (name) => {
      reads++;
      return getDevice(name);
    };
    await expect(nm.addPeer({ publicKey: keyN(1), allowedIPs: [] })).rejects.toMatchObject({ code: 'INTERFACE_NOT_FOUND' });
    expect(reads).toBe(0); // a kernel backend would have reopened its sockets for this read
    await nm.initialize();
    await nm.addPeer({ publicKey: keyN(1), allowedIPs: ['192.168.1.0/24'] });
    expect(await backend.getRoutes('lanrage0')).toEqual(['192.168.1.0/24']);
  });
});

describe('NetworkManager.apply: a large change goes in parts', () => {
  const many = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ publicKey: Key.parse(keyN(from + i)), allowedIPs: [`172.17.${(from + i) >> 8}.${(from + i) & 255}/32`] }));

  it('sends 2,500 peers as setDevice calls of at most 1,024, device fields and REPLACE_PEERS in the first only; routes exact', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    await nm.apply({ peers: many(10, 5000) });
    backend.calls.length = 0;
    await nm.apply({ listenPort: 51999, peers: many(2500) }, { replacePeers: true });
    const sets = backend.calls.filter((c) => c.method === 'setDevice');
    expect(sets.map((c) => c.config?.peers?.length)).toEqual([1024, 1024, 452]);
    expect(sets.map((c) => c.config?.replacePeers === true)).toEqual([true, false, false]);
    expect(sets.map((c) => c.config?.listenPort)).toEqual([51999, undefined, undefined]);
    const dev = await nm.getDevice();
    expect(dev.peers).toHaveLength(2500);
    const routes = await backend.getRoutes(config.interfaceName);
    expect(routes).toHaveLength(2500);
    expect(routes).not.toContain('172.17.19.136/32'); // peer 5000, dropped by REPLACE_PEERS: its route went too
    // The index followed every part: an update of the last peer needs no read.
    await nm.updatePeer({ publicKey: keyN(2499), endpoint: '192.0.2.9:1' });
  });

  it('a part that fails reports indexes into the whole change; what landed is indexed and routed', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    // The second part fails at its 101st operation (the first 100 of it land).
    let calls = 0;
    const setDevice = backend.setDevice.bind(backend);
    backend.setDevice = async (name, cfg) => {
      if (++calls === 2) backend.failNextSet(name, 100, new LanrageError('IO_ERROR', 'injected'));
      return setDevice(name, cfg);
    };
    const err = await nm.apply({ peers: many(2500) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LanrageError);
    expect((err as LanrageError).code).toBe('PARTIAL_APPLY');
    const d = (err as LanrageError).details as { appliedPeers: number[]; failedPeers: number[]; deviceApplied: boolean };
    expect(d.appliedPeers).toHaveLength(1124);
    expect(d.appliedPeers.at(-1)).toBe(1123);
    expect(d.failedPeers[0]).toBe(1124);
    expect(d.failedPeers).toHaveLength(1376);
    expect(d.deviceApplied).toBe(true);
    expect((err as LanrageError).message).toContain('1124 of 2500');
    expect((await nm.getDevice()).peers).toHaveLength(1124);
    expect(await backend.getRoutes(config.interfaceName)).toHaveLength(1124);
    // The index was re-read: the peers that landed can be updated, the others are unknown.
    await nm.updatePeer({ publicKey: keyN(1123), endpoint: '192.0.2.9:1' });
    await expect(nm.updatePeer({ publicKey: keyN(1124), endpoint: '192.0.2.9:1' })).rejects.toMatchObject({ code: 'PEER_NOT_FOUND' });
  });

  it('a bad peer in a later part fails the whole change before any part is sent, naming its index in the change', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    const peers = many(2500);
    peers[1800] = { publicKey: Key.parse(keyN(1800)), allowedIPs: ['172.17.0.0/33'] };
    backend.calls.length = 0;
    const err = (await nm.apply({ peers }).catch((e: unknown) => e)) as LanrageError;
    expect(err.code).toBe('INVALID_ALLOWED_IP');
    expect(err.message).toContain('peer #1800'); // its index in the whole change, not in its part
    expect(backend.calls.filter((c) => c.method === 'setDevice')).toEqual([]);
    expect((await nm.getDevice()).peers).toHaveLength(0);
    // The same for a peer equal to this node, found across parts (K9).
    peers[1800] = { publicKey: (await nm.getDevice()).publicKey as Key, allowedIPs: [] };
    expect(((await nm.apply({ peers }).catch((e: unknown) => e)) as LanrageError).code).toBe('PEER_IS_SELF');
    expect(backend.calls.filter((c) => c.method === 'setDevice')).toEqual([]);
  });
});

describe('NetworkManager.apply --dry-run is pure and as strict as the real run', () => {
  it('sends nothing (not even the allowed-IP removal probe), and fails where the real apply fails', async () => {
    const backend = new MemoryBackend();
    const nm = await upWith(backend);
    const k = Key.parse(keyN(1));
    await nm.apply({ peers: [{ publicKey: k, allowedIPs: ['172.18.0.0/24', '172.18.1.0/24'] }] });
    let probes = 0;
    const probe = backend.supportsAllowedIPRemoval.bind(backend);
    backend.supportsAllowedIPRemoval = (name: string) => {
      probes++;
      return probe(name);
    };
    backend.calls.length = 0;
    const shrink = { peers: [{ publicKey: k, allowedIPs: ['172.18.0.0/24'] }] };
    const dry = await nm.apply(shrink, { dryRun: true });
    expect(dry.applied).toBe(false);
    expect(dry.plan.update[0]?.changes).toEqual(['allowed IPs -172.18.1.0/24']);
    expect(probes).toBe(0);
    expect(backend.calls.filter((c) => c.method !== 'getDevice' && c.method !== 'getAddresses')).toEqual([]);
    // A host name that does not resolve fails the dry run exactly as it fails the real one.
    const unresolvable = { peers: [{ publicKey: k, allowedIPs: ['172.18.0.0/24'], endpoint: 'nothing-here.invalid:51820' }] };
    const dryErr = await nm.apply(unresolvable, { dryRun: true }).catch((e: LanrageError) => e.code);
    expect(probes).toBe(0);
    const realErr = await nm.apply(unresolvable).catch((e: LanrageError) => e.code);
    expect(probes).toBe(1); // a real change that removes an allowed IP asks
    expect(dryErr).toBe(realErr);
    expect(typeof dryErr).toBe('string');
    // The real run probes once and removes the single prefix.
    const real = await nm.apply(shrink);
    expect(real.applied).toBe(true);
    expect(probes).toBe(2);
    expect((await nm.getDevice()).peers[0]?.allowedIPs).toEqual(['172.18.0.0/24']);
    expect(real.plan.config.peers?.[0]?.allowedIPsRemove).toEqual(['172.18.1.0/24']);
  });

  it('a new listen port that another socket holds fails the dry run with PORT_IN_USE, as the real change would', async () => {
    const nm = await upWith(new MemoryBackend());
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind({ port: 0, address: '0.0.0.0' }, () => r()));
    const held = holder.address().port;
    try {
      await expect(nm.apply({ listenPort: held, peers: [] }, { dryRun: true })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
    } finally {
      holder.close();
    }
    const dry = await nm.apply({ listenPort: held, peers: [] }, { dryRun: true });
    expect(dry.plan.device).toEqual([`listen port 51820 → ${held}`]);
  });
});

describe('NetworkManager.apply and a backend peer limit', () => {
  it('a change that would leave more peers than the backend holds is refused before anything is sent, dry run included', async () => {
    const backend = new MemoryBackend();
    Object.defineProperty(backend, 'maxPeers', { value: 3 });
    const nm = await upWith(backend);
    const peers = (n: number) => Array.from({ length: n }, (_, i) => ({ publicKey: Key.parse(keyN(i)), allowedIPs: [`172.19.0.${i + 1}/32`] }));
    backend.calls.length = 0;
    for (const dryRun of [true, false]) {
      await expect(nm.apply({ peers: peers(4) }, { dryRun })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('at most 3') });
    }
    expect(backend.calls.filter((c) => c.method === 'setDevice')).toEqual([]);
    await nm.apply({ peers: peers(3) }); // at the limit: fine
    expect((await nm.getDevice()).peers).toHaveLength(3);
  });
});
