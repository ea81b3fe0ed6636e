import { describe, expect, it } from 'vitest';
import type { LanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import { setDeviceConfig } from '../testing/index.js';
import { MemoryBackend } from '../testing/memory-backend.js';
import { PeerCoalescer } from './coalescer.js';
import { iteratePeers, PeerWatcher, readPeerStats } from './watcher.js';

const keyN = (i: number) => {
  const b = new Uint8Array(32).fill(0x33);
  b[0] = i & 0xff;
  b[1] = i >> 8;
  return Key.fromBytes(b);
};

async function device() {
  const be = new MemoryBackend();
  await be.createInterface('wg0');
  return be;
}

describe('PeerCoalescer', () => {
  it('packs operations from independent callers in the same tick into one backend call', async () => {
    const be = await device();
    const c = new PeerCoalescer(be);
    be.calls.length = 0;
    await Promise.all(Array.from({ length: 500 }, (_, i) => c.apply('wg0', { publicKey: keyN(i), allowedIPs: [`10.0.${i >> 8}.${i & 0xff}/32`] })));
    expect(be.calls.filter((x) => x.method === 'setDevice')).toHaveLength(1);
    expect((await be.getDevice('wg0')).peers).toHaveLength(500);
  });

  it('keeps per-interface order: an add then a remove of the same key never reorders', async () => {
    const be = await device();
    const c = new PeerCoalescer(be, { maxBatch: 3 });
    const ops: Promise<void>[] = [];
    for (let round = 0; round < 10; round++) {
      ops.push(c.apply('wg0', { publicKey: keyN(1), allowedIPs: ['10.1.0.1/32'] }));
      ops.push(c.apply('wg0', { publicKey: keyN(1), remove: true }));
    }
    ops.push(c.apply('wg0', { publicKey: keyN(2) }));
    await Promise.all(ops);
    expect((await be.getDevice('wg0')).peers.map((p) => p.publicKey.toBase64())).toEqual([keyN(2).toBase64()]);
  });

  it('isolates a failing operation: its neighbours land, only it is rejected', async () => {
    const be = new MemoryBackend({ allowedIPRemoval: false }); // refuses single allowed-IP removal (UNSUPPORTED)
    await be.createInterface('wg0');
    const c = new PeerCoalescer(be);
    const good = [1, 2, 3].map((i) => c.apply('wg0', { publicKey: keyN(i) }));
    const bad = c.apply('wg0', { publicKey: keyN(9), allowedIPsRemove: ['10.0.0.0/24'] }).catch((e: unknown) => e);
    const good2 = c.apply('wg0', { publicKey: keyN(4) });
    await Promise.all([...good, good2]);
    expect(((await bad) as LanrageError).code).toBe('UNSUPPORTED');
    expect((await be.getDevice('wg0')).peers).toHaveLength(4);
  });

  it('validates each operation once, when it is given: a bad one rejects at once and is never sent', async () => {
    const be = await device();
    const c = new PeerCoalescer(be);
    be.calls.length = 0;
    const good = c.apply('wg0', { publicKey: keyN(1) });
    const bad = c.apply('wg0', { publicKey: keyN(9), allowedIPs: ['10.0.0.0/33'] });
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_ALLOWED_IP' });
    await good;
    const sets = be.calls.filter((x) => x.method === 'setDevice');
    expect(sets.map((x) => x.config?.peers?.length)).toEqual([1]);
  });

  it('resolves host-name endpoints when the batch is sent; a lookup that fails fails its operation alone', async () => {
    const be = await device();
    const c = new PeerCoalescer(be, {
      resolve: {
        attempts: 1,
        lookup: async (host: string) => {
          if (host === 'gone.example') throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
          return { address: '192.0.2.9', family: 4 };
        },
      },
    });
    const ok = c.apply('wg0', { publicKey: keyN(1), endpoint: 'relay.example:443' });
    const gone = c.apply('wg0', { publicKey: keyN(2), endpoint: 'gone.example:443' }).catch((e: unknown) => e);
    await ok;
    expect(((await gone) as LanrageError).code).toBe('INVALID_ENDPOINT');
    const dev = await be.getDevice('wg0');
    expect(dev.peers.map((p) => [p.publicKey.toBase64(), p.endpoint])).toEqual([[keyN(1).toBase64(), '192.0.2.9:443']]);
  });

  it('after a partial apply, applied operations resolve and the rest are retried alone', async () => {
    const be = await device();
    const c = new PeerCoalescer(be);
    be.failNextSet('wg0', 2);
    await Promise.all([0, 1, 2, 3].map((i) => c.apply('wg0', { publicKey: keyN(i) })));
    expect((await be.getDevice('wg0')).peers).toHaveLength(4);
    expect(c.batches).toBe(3); // the batch, then ops 2 and 3 alone
  });

  it('an interface-level failure rejects every operation of the batch', async () => {
    const be = await device();
    const c = new PeerCoalescer(be);
    const r = await Promise.allSettled([1, 2].map((i) => c.apply('gone0', { publicKey: keyN(i) })));
    expect(r.map((x) => (x.status === 'rejected' ? (x.reason as LanrageError).code : 'ok'))).toEqual(['INTERFACE_NOT_FOUND', 'INTERFACE_NOT_FOUND']);
  });
});

describe('PeerWatcher', () => {
  it('emits handshake, endpoint-changed, stale and recovered from polled stats', async () => {
    const be = await device();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: keyN(1), endpoint: '192.0.2.1:1' }] });
    let now = 1_000_000;
    const w = new PeerWatcher(be, 'wg0', { staleAfterMs: 180_000, now: () => now });
    const events: string[] = [];
    w.on('handshake', (e) => events.push(`handshake ${e.at.getTime()}`));
    w.on('endpoint-changed', (e) => events.push(`endpoint ${e.from} -> ${e.to}`));
    w.on('stale', (e) => events.push(`stale ${e.silentForMs}`));
    w.on('recovered', (e) => events.push(`recovered ${e.staleForMs}`));
    await w.poll(); // baseline: a new peer gets staleAfterMs to come up
    expect(events).toEqual([]);
    now += 1000;
    be.simulateTraffic('wg0', keyN(1), { lastHandshake: new Date(now) });
    await w.poll();
    be.simulateTraffic('wg0', keyN(1), { endpoint: '198.51.100.2:9' });
    await w.poll();
    await w.poll(); // nothing new
    now += 181_000;
    await w.poll();
    await w.poll(); // stale once
    now += 5000;
    be.simulateTraffic('wg0', keyN(1), { rxBytes: 32n }); // a keepalive arrives: heard from, no handshake
    await w.poll();
    expect(events).toEqual([`handshake ${1_001_000}`, 'endpoint 192.0.2.1:1 -> 198.51.100.2:9', 'stale 181000', 'recovered 5000']);
  });

  it('a peer that keeps receiving is not stale however old its handshake', async () => {
    const be = await device();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: keyN(1) }] });
    let now = 1_000_000;
    be.simulateTraffic('wg0', keyN(1), { lastHandshake: new Date(now) });
    const w = new PeerWatcher(be, 'wg0', { staleAfterMs: 30_000, now: () => now });
    const stale: unknown[] = [];
    w.on('stale', (e) => stale.push(e));
    for (let i = 0; i < 20; i++) {
      now += 25_000; // a keepalive every 25 s
      be.simulateTraffic('wg0', keyN(1), { rxBytes: 32n });
      await w.poll();
    }
    expect(stale).toEqual([]);
    now += 31_000; // then silence
    await w.poll();
    expect(stale).toHaveLength(1);
  });

  it('forgets a removed peer: back again, it is new (its handshake is reported again)', async () => {
    const be = await device();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: keyN(1) }, { publicKey: keyN(2) }] });
    const now = 1_000_000;
    const w = new PeerWatcher(be, 'wg0', { now: () => now });
    const events: string[] = [];
    w.on('handshake', (e) => events.push(e.publicKey));
    await w.poll();
    be.simulateTraffic('wg0', keyN(1), { lastHandshake: new Date(now) });
    await w.poll();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: keyN(1), remove: true }] });
    await w.poll();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: keyN(1) }] });
    be.simulateTraffic('wg0', keyN(1), { lastHandshake: new Date(now) });
    await w.poll();
    expect(events).toEqual([keyN(1).toBase64(), keyN(1).toBase64()]);
    expect(w.isUp(keyN(1).toBase64())).toBe(true);
    expect(w.isUp(keyN(2).toBase64())).toBe(false); // never a handshake
  });

  it('reports poll errors and keeps going', async () => {
    const be = await device();
    const w = new PeerWatcher(be, 'missing0');
    const errors: Error[] = [];
    w.on('error', (e) => errors.push(e));
    await w.poll();
    expect((errors[0] as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
  });
});

describe('reads for monitoring', () => {
  it('iteratePeers streams every peer; readPeerStats gives the stats fields only', async () => {
    const be = await device();
    await setDeviceConfig(be, 'wg0', { peers: Array.from({ length: 50 }, (_, i) => ({ publicKey: keyN(i), allowedIPs: [`10.0.0.${i}/32`] })) });
    const keys: string[] = [];
    for await (const p of iteratePeers(be, 'wg0')) keys.push(p.publicKey.toBase64());
    expect(keys).toHaveLength(50);
    const stats = await readPeerStats(be, 'wg0');
    expect(Object.keys(stats[0] ?? {}).sort()).toEqual(['endpoint', 'lastHandshake', 'publicKey', 'rxBytes', 'txBytes']);
  });
});
