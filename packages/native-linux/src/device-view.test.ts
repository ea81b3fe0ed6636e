import { describe, expect, it } from 'vitest';
import { type StatsMemo, streamPeers, toDeviceStatus, toPeerStats } from './device-view.js';
import type { NativeDevice } from './native.js';

/** A flat device as the addon returns it: peer 0 idle (v4), peer 1 busy (v6, preshared key). */
function device(): NativeDevice {
  const n = 2;
  const dev: NativeDevice = {
    ifindex: 3,
    ifname: 'lrv0',
    privateKey: new Uint8Array(32).fill(0x11),
    publicKey: new Uint8Array(32).fill(0x12),
    listenPort: 51820,
    fwmark: 0,
    count: n,
    keys: new Uint8Array(n * 32),
    presharedKeys: new Uint8Array(n * 32),
    hasPresharedKey: new Uint8Array([0, 1]),
    endpoints: new Uint8Array(n * 20),
    keepalive: new Uint16Array([0, 25]),
    handshakeSec: new Float64Array([0, 1_700_000_000]),
    handshakeNsec: new Float64Array([0, 250_000_000]),
    rxBytes: new BigUint64Array([0n, 2n ** 40n + 5n]),
    txBytes: new BigUint64Array([0n, 2n ** 64n - 1n]),
    protocolVersion: new Uint32Array([1, 1]),
    allowedIpStart: new Uint32Array([0, 1, 3]),
    allowedIps: new Uint8Array(3 * 18),
  };
  dev.keys.fill(0x21, 0, 32);
  dev.keys.fill(0x22, 32, 64);
  dev.presharedKeys.fill(0x33, 32, 64);
  dev.endpoints.set([2, 0, 0xca, 0x6c, 192, 0, 2, 1], 0);
  dev.endpoints.set([10, 0, 0x01, 0xbb, 0x20, 0x01, 0x0d, 0xb8], 20);
  dev.endpoints[20 + 19] = 1;
  dev.allowedIps.set([2, 24, 10, 0, 0, 0], 0);
  dev.allowedIps.set([2, 32, 10, 0, 0, 9], 18);
  dev.allowedIps.set([10, 64, 0xfd, 0], 36);
  return dev;
}

describe('converting the addon flat device', () => {
  it('gives every field exactly, counters as exact bigints (0n for an idle peer)', async () => {
    const dev = device();
    const st = await toDeviceStatus('lrv0', dev);
    expect(st.listenPort).toBe(51820);
    expect(String(st.privateKey)).toBe('(hidden)');
    const [a, b] = st.peers;
    expect(a?.publicKey.toBase64()).toBe(Buffer.alloc(32, 0x21).toString('base64'));
    expect(a?.endpoint).toBe('192.0.2.1:51820');
    expect(a?.allowedIPs).toEqual(['10.0.0.0/24']);
    expect(a?.lastHandshake).toBeNull();
    expect([a?.rxBytes, a?.txBytes]).toEqual([0n, 0n]);
    expect(b?.publicKey.toBase64()).toBe(Buffer.alloc(32, 0x22).toString('base64'));
    expect(b?.presharedKey?.toBase64()).toBe(Buffer.alloc(32, 0x33).toString('base64'));
    expect(b?.endpoint).toBe('[2001:db8::1]:443');
    expect(b?.allowedIPs).toEqual(['10.0.0.9/32', 'fd00::/64']);
    expect(b?.persistentKeepalive).toBe(25);
    expect(b?.lastHandshake?.getTime()).toBe(1_700_000_000_250);
    expect(b?.rxBytes).toBe(2n ** 40n + 5n);
    expect(b?.txBytes).toBe(2n ** 64n - 1n);
    expect(dev.presharedKeys.every((x) => x === 0)).toBe(true); // wiped once converted
  });

  it('keys read from one device stay intact after other reads', async () => {
    const first = await toDeviceStatus('lrv0', device());
    await toDeviceStatus('lrv0', device());
    expect(first.peers[1]?.publicKey.toBase64()).toBe(Buffer.alloc(32, 0x22).toString('base64'));
  });

  it('the stats fast path and the stream agree with the full read', async () => {
    const stats = await toPeerStats(device());
    expect(stats.map((s) => [s.publicKey, s.endpoint, s.rxBytes, s.txBytes])).toEqual([
      [Buffer.alloc(32, 0x21).toString('base64'), '192.0.2.1:51820', 0n, 0n],
      [Buffer.alloc(32, 0x22).toString('base64'), '[2001:db8::1]:443', 2n ** 40n + 5n, 2n ** 64n - 1n],
    ]);
    const streamed = [];
    for await (const p of streamPeers(device())) streamed.push(p.allowedIPs);
    expect(streamed).toEqual([['10.0.0.0/24'], ['10.0.0.9/32', 'fd00::/64']]);
  });

  describe('the stats fast path with the previous read of the interface', () => {
    /** Reads `dev` with `memo`; returns the stats and this read's memo. */
    async function read(dev: NativeDevice, memo?: StatsMemo) {
      let next: StatsMemo | undefined;
      const stats = await toPeerStats(dev, memo, (m) => {
        next = m;
      });
      return { stats, memo: next ?? (memo as StatsMemo) }; // an unchanged device keeps the memo it had
    }
    const view = (stats: Awaited<ReturnType<typeof toPeerStats>>) =>
      stats.map((s) => [s.publicKey, s.endpoint, s.lastHandshake?.getTime(), s.rxBytes, s.txBytes]);

    it('gives what a read without it gives, and the same strings for unchanged peers', async () => {
      const first = await read(device());
      const second = await read(device(), first.memo);
      expect(view(second.stats)).toEqual(view(await toPeerStats(device())));
      expect(second.memo).toBe(first.memo);
      expect(second.stats.map((s) => s.publicKey)).toEqual(first.memo.keyText);
      expect(second.stats[1]?.endpoint).toBe('[2001:db8::1]:443');
    });

    it('a peer that roamed gets its new endpoint; one that went away and another that came get theirs', async () => {
      const first = await read(device());
      const roamed = device();
      roamed.endpoints.set([2, 0, 0x00, 0x35, 198, 51, 100, 7], 0);
      roamed.endpoints.fill(0, 20, 40); // peer 1: no endpoint any more
      const second = await read(roamed, first.memo);
      expect(second.stats.map((s) => s.endpoint)).toEqual(['198.51.100.7:53', null]);
      // Peer 1 replaced by another key at the same place; the device grew by one.
      const other = device();
      const grown: NativeDevice = {
        ...other,
        count: 3,
        keys: new Uint8Array(96),
        endpoints: new Uint8Array(60),
        handshakeSec: new Float64Array([0, 1_700_000_000, 0]),
        handshakeNsec: new Float64Array([0, 250_000_000, 0]),
        rxBytes: new BigUint64Array([0n, 7n, 0n]),
        txBytes: new BigUint64Array([0n, 8n, 9n]),
      };
      grown.keys.set(other.keys);
      grown.keys.fill(0x44, 32, 64);
      grown.keys.fill(0x45, 64, 96);
      grown.endpoints.set(other.endpoints);
      grown.endpoints.set([2, 0, 0x00, 0x50, 203, 0, 113, 9], 40);
      const third = await read(grown, second.memo);
      expect(view(third.stats)).toEqual([
        [Buffer.alloc(32, 0x21).toString('base64'), '192.0.2.1:51820', undefined, 0n, 0n],
        [Buffer.alloc(32, 0x44).toString('base64'), '[2001:db8::1]:443', 1_700_000_000_250, 7n, 8n],
        [Buffer.alloc(32, 0x45).toString('base64'), '203.0.113.9:80', undefined, 0n, 9n],
      ]);
      // And shrunk back to one peer.
      const one: NativeDevice = { ...device(), count: 1, keys: grown.keys.slice(0, 32), endpoints: grown.endpoints.slice(0, 20) };
      expect(view((await read(one, third.memo)).stats)).toEqual([[Buffer.alloc(32, 0x21).toString('base64'), '192.0.2.1:51820', undefined, 0n, 0n]]);
    });
  });
});
