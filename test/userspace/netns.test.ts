import { existsSync, readFileSync } from 'node:fs';
import { PeerWatcher, UserspaceBackend } from '@lanrage/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, makeNamespaces, namespacePrerequisites, parseWgDump, sh, sleep, tryRun } from '../helpers/netns.js';
import { describeWith } from '../helpers/prerequisites.js';

// Two namespaces joined by veth (two underlay subnets, so a peer can "move" to a second
// endpoint), a lanrage-managed wireguard-go interface in each, configured only through
// NetworkManager (one agent process per namespace).
const IF_A = 'lrtest-a';
const IF_B = 'lrtest-b';

interface Device {
  publicKey: string | null;
  listenPort: number;
  peers: {
    publicKey: string;
    endpoint: string | null;
    allowedIPs: string[];
    lastHandshakeSec: number;
    rxBytes: string;
    txBytes: string;
    persistentKeepalive: number;
  }[];
}

describeWith('userspace backend between two network namespaces', namespacePrerequisites(), () => {
  let net: ReturnType<typeof makeNamespaces>;
  let a: Agent;
  let b: Agent;
  let pubA: string;
  let pubB: string;

  beforeAll(async () => {
    tryRun('pkill', ['-f', 'wireguard-go -f lrtest-']);
    net = makeNamespaces('lrt', ['10.203.0.1/24', '10.203.1.1/24'], ['10.203.0.2/24', '10.203.1.2/24']);
    a = new Agent(net.a, { LANRAGE_INTERFACE: IF_A, LANRAGE_ADDRESS: '10.66.0.1', LANRAGE_LISTEN_PORT: '51820' });
    b = new Agent(net.b, { LANRAGE_INTERFACE: IF_B, LANRAGE_ADDRESS: '10.66.0.2', LANRAGE_LISTEN_PORT: '51821' });
    const [ra, rb] = await Promise.all([
      a.call<{ publicKey: string; backend: string; address: string }>('initialize'),
      b.call<{ publicKey: string }>('initialize'),
    ]);
    expect(ra.backend).toBe('userspace');
    expect(ra.address).toBe('10.66.0.1/16');
    pubA = ra.publicKey;
    pubB = rb.publicKey;
  });

  afterAll(async () => {
    await a?.call('cleanup').catch(() => undefined);
    await b?.call('cleanup').catch(() => undefined);
    await a?.stop();
    await b?.stop();
    net?.destroy();
    tryRun('pkill', ['-f', 'wireguard-go -f lrtest-']);
  });

  it('handshakes and pings across the tunnel; measureLatency returns a number', async () => {
    // A watcher in this process reads A's interface over its UAPI socket (a shared path).
    const watcher = new PeerWatcher(new UserspaceBackend(), IF_A, { staleAfterMs: 3_600_000 });
    const events: string[] = [];
    watcher.on('handshake', (e) => events.push(`handshake ${e.publicKey}`));
    watcher.on('endpoint-changed', (e) => events.push(`endpoint ${e.from} -> ${e.to}`));
    await watcher.poll(); // baseline: no peer yet
    await a.call('addPeer', { publicKey: pubB, endpoint: '10.203.0.2:51821', allowedIPs: ['10.66.0.2/32'] });
    await b.call('addPeer', { publicKey: pubA, endpoint: '10.203.0.1:51820', allowedIPs: ['10.66.0.1/32'] });
    const ms = await a.call<number | null>('measureLatency', '10.66.0.2', 5000);
    await watcher.poll();
    expect(events).toEqual([`handshake ${pubB}`]);
    expect(typeof ms).toBe('number');
    expect(ms).toBeGreaterThan(0);
    expect(tryRun('ip', ['netns', 'exec', net.a, 'ping', '-c', '1', '-W', '2', '10.66.0.2'])).toBe(true);
    const dev = await a.call<Device>('device');
    const peer = dev.peers[0];
    expect(peer?.lastHandshakeSec).toBeGreaterThan(0);
    expect(BigInt(peer?.rxBytes ?? '0')).toBeGreaterThan(0n);
    expect(BigInt(peer?.txBytes ?? '0')).toBeGreaterThan(0n);
    expect(peer?.persistentKeepalive).toBe(25);
    expect(peer?.allowedIPs).toEqual(['10.66.0.2/32']);
  });

  it('interop: `wg show dump` matches lanrage exactly, and what `wg set` changes lanrage reads', async () => {
    const ours = await a.call<Device & { privateKey: string }>('device');
    const wg = parseWgDump(sh('ip', ['netns', 'exec', net.a, 'wg', 'show', IF_A, 'dump']));
    expect(wg.publicKey).toBe(ours.publicKey);
    expect(wg.privateKey).toBe(ours.privateKey);
    expect(wg.listenPort).toBe(ours.listenPort);
    // counters move with keepalives between the two reads: compare everything else exactly
    const strip = (p: Device['peers'][number]) => ({ ...p, rxBytes: undefined, txBytes: undefined });
    expect(wg.peers.map(strip)).toEqual(ours.peers.map(strip));

    sh('ip', ['netns', 'exec', net.a, 'wg', 'set', IF_A, 'peer', pubB, 'persistent-keepalive', '7', 'allowed-ips', '10.66.0.2/32,192.168.203.0/24']);
    const after = await a.call<Device>('device');
    expect(after.peers[0]?.persistentKeepalive).toBe(7);
    expect(after.peers[0]?.allowedIPs.sort()).toEqual(['10.66.0.2/32', '192.168.203.0/24']);
    await a.call('updatePeer', { publicKey: pubB, allowedIPs: ['10.66.0.2/32'], persistentKeepalive: 25 });
  });

  it('routes for allowed IPs outside the virtual subnet follow the peers', async () => {
    await a.call('updatePeer', { publicKey: pubB, allowedIPs: ['10.66.0.2/32', '192.168.204.0/24'] });
    expect(sh('ip', ['-n', net.a, 'route', 'show', 'dev', IF_A])).toContain('192.168.204.0/24');
    await a.call('updatePeer', { publicKey: pubB, allowedIPs: ['10.66.0.2/32'] });
    expect(sh('ip', ['-n', net.a, 'route', 'show', 'dev', IF_A])).not.toContain('192.168.204.0/24');
  });

  it('updatePeer with a new endpoint keeps the session: no new handshake, traffic keeps flowing', async () => {
    const before = (await a.call<Device>('device')).peers[0];
    expect(before?.lastHandshakeSec).toBeGreaterThan(0);
    const watchB = new PeerWatcher(new UserspaceBackend(), IF_B, { staleAfterMs: 3_600_000 });
    const roamed: string[] = [];
    watchB.on('endpoint-changed', (e) => roamed.push(`${e.from} -> ${e.to}`));
    await watchB.poll();
    await sleep(1100); // a new handshake would now carry a later second
    await a.call('updatePeer', { publicKey: pubB, endpoint: '10.203.1.2:51821' });
    for (let i = 0; i < 3; i++) expect(typeof (await a.call('measureLatency', '10.66.0.2', 3000))).toBe('number');
    const after = (await a.call<Device>('device')).peers[0];
    expect(after?.endpoint).toBe('10.203.1.2:51821');
    expect(after?.lastHandshakeSec).toBe(before?.lastHandshakeSec);
    expect(BigInt(after?.txBytes ?? '0')).toBeGreaterThan(BigInt(before?.txBytes ?? '0'));
    // B saw A's packets arrive from the new path and roamed its endpoint to it.
    await watchB.poll();
    const bPeer = (await b.call<Device>('device')).peers[0];
    expect(bPeer?.endpoint).toBe('10.203.1.1:51820');
    // ... which a watcher on B sees as an endpoint change, without any ping loop of its own.
    expect(roamed).toEqual([`10.203.0.1:51820 -> 10.203.1.1:51820`]);
  });

  it('X5 a new private key while traffic flows: the peer that learns the new public key handshakes at once; the old key no longer works', async () => {
    expect(typeof (await a.call('measureLatency', '10.66.0.2', 3000))).toBe('number');
    const oldA = pubA;
    const newA = await a.call<string>('rotateKey');
    expect(newA).not.toBe(oldA);
    // B swaps A's old key for the new one (what LANrage's coordinator would tell it).
    const bPeer = (await b.call<Device>('device')).peers.find((p) => p.publicKey === oldA);
    await b.call('removePeer', oldA);
    await b.call('addPeer', { publicKey: newA, endpoint: bPeer?.endpoint ?? '10.203.0.1:51820', allowedIPs: ['10.66.0.1/32'] });
    const t0 = Date.now();
    let ms: number | null = null;
    for (let i = 0; i < 5 && ms === null; i++) ms = await a.call<number | null>('measureLatency', '10.66.0.2', 1000);
    expect(typeof ms).toBe('number');
    expect(Date.now() - t0).toBeLessThan(5000);
    const seen = (await b.call<Device>('device')).peers;
    expect(seen.map((p) => p.publicKey)).toEqual([newA]);
    expect(seen[0]?.lastHandshakeSec).toBeGreaterThan(0);
    // The node's identity is its key file: initialize() puts that key back; B follows again.
    expect((await a.call<{ publicKey: string }>('initialize')).publicKey).toBe(oldA);
    await b.call('removePeer', newA);
    await b.call('addPeer', { publicKey: oldA, endpoint: bPeer?.endpoint ?? '10.203.0.1:51820', allowedIPs: ['10.66.0.1/32'] });
    expect(typeof (await a.call('measureLatency', '10.66.0.2', 3000))).toBe('number');
  });

  it('removePeer stops traffic', async () => {
    await a.call('removePeer', pubB);
    expect(await a.call('measureLatency', '10.66.0.2', 1500)).toBeNull();
    expect((await a.call<Device>('device')).peers).toEqual([]);
  });

  it('a killed userspace process gives a typed error, and the next initialize() recovers', async () => {
    const pid = Number(readFileSync(`/run/lanrage/${IF_A}.pid`, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await sleep(300);
    const err = await a.error('addPeer', { publicKey: pubB, allowedIPs: ['10.66.0.2/32'] });
    expect(['PROCESS_EXITED', 'INTERFACE_NOT_FOUND']).toContain(err.code);
    // Reported as what happened (the process exited), not as "not up" (issue 16).
    const status = await a.call<{ state: string; error?: { code: string } }>('status');
    expect(status).toMatchObject({ state: 'error', error: { code: 'PROCESS_EXITED' } });
    const again = await a.call<{ publicKey: string; created: boolean }>('initialize');
    expect(again.publicKey).toBe(pubA);
    expect(again.created).toBe(true);
    await a.call('addPeer', { publicKey: pubB, endpoint: '10.203.0.2:51821', allowedIPs: ['10.66.0.2/32'] });
    expect(typeof (await a.call('measureLatency', '10.66.0.2', 5000))).toBe('number');
  });

  it('cleanup() leaves no process, socket or link behind', async () => {
    await a.call('cleanup');
    await b.call('cleanup');
    await a.call('cleanup'); // idempotent
    for (const name of [IF_A, IF_B]) {
      expect(existsSync(`/var/run/wireguard/${name}.sock`)).toBe(false);
      expect(existsSync(`/run/lanrage/${name}.pid`)).toBe(false);
      expect(tryRun('pgrep', ['-f', `wireguard-go -f ${name}$`])).toBe(false);
    }
    expect(tryRun('ip', ['-n', net.a, 'link', 'show', IF_A])).toBe(false);
    expect(tryRun('ip', ['-n', net.b, 'link', 'show', IF_B])).toBe(false);
  });
});
