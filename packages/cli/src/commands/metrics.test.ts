import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerStats } from '@lanrage/core';
import { describe, expect, it } from 'vitest';
import { type DeviceSnapshot, PeerLabelCache, renderMetrics } from './metrics.js';

const K = (b: number) => Buffer.alloc(32, b).toString('base64');

function device(over: Partial<DeviceSnapshot> & { peers: PeerStats[] }): DeviceSnapshot {
  return { device: 'wg0', publicKey: null, allowedIPs: null, names: new Map(), scrapeSeconds: 0.5, up: () => false, latency: null, ...over };
}

function peer(b: number, over: Partial<PeerStats> = {}): PeerStats {
  return { publicKey: K(b), endpoint: `192.0.2.${b}:51820`, lastHandshake: null, rxBytes: 0n, txBytes: 0n, ...over };
}

/** Renders to text; also returns the chunks as handed over. */
async function render(devices: DeviceSnapshot[], now = 1_700_000_100_000) {
  const chunks: Buffer[] = [];
  await renderMetrics(devices, now, (c) => chunks.push(c));
  return { text: Buffer.concat(chunks).toString('utf8'), chunks };
}

/** The lines of one family, without its HELP and TYPE. */
const family = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

/** Two devices, every family, escaping in a device and a name, a counter beyond 2^53. */
function sample(): DeviceSnapshot[] {
  return [
    device({
      publicKey: K(1),
      peers: [
        peer(2, { endpoint: '192.0.2.1:51820', lastHandshake: new Date(1_700_000_000_500), rxBytes: 1234n, txBytes: 2n ** 60n }),
        peer(3, { endpoint: null }),
      ],
      allowedIPs: new Map([[K(2), ['10.0.0.2/32', 'fd00::2/128']]]),
      names: new Map([[K(3), 'a "b"\\c\nd']]),
      scrapeSeconds: 0.0123456,
      up: (p) => p.publicKey === K(2),
      latency: new Map([
        [K(2), { rttMs: 1.5 }],
        [K(3), { rttMs: null }],
      ]),
    }),
    device({ device: 'w"g\\1', peers: [peer(4, { endpoint: '[2001:db8::1]:443', rxBytes: 5n, txBytes: 6n })], allowedIPs: new Map() }),
  ];
}

/** What the renderer printed before it wrote into buffers (strings): the format must not move. */
const EXPECTED = `# HELP wireguard_device_info Metadata about a device.
# TYPE wireguard_device_info gauge
wireguard_device_info{device="wg0",public_key="AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="} 1
wireguard_device_info{device="w\\"g\\\\1",public_key=""} 1
# HELP wireguard_peer_info Metadata about a peer. The public_key label on peer metrics refers to the peer's public key; not the device's public key.
# TYPE wireguard_peer_info gauge
wireguard_peer_info{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",endpoint="192.0.2.1:51820",allowed_ips="10.0.0.2/32,fd00::2/128",name=""} 1
wireguard_peer_info{device="wg0",public_key="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=",endpoint="",allowed_ips="",name="a \\"b\\"\\\\c\\nd"} 1
wireguard_peer_info{device="w\\"g\\\\1",public_key="BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=",endpoint="[2001:db8::1]:443",allowed_ips="",name=""} 1
# HELP wireguard_peer_receive_bytes_total Number of bytes received from a given peer.
# TYPE wireguard_peer_receive_bytes_total counter
wireguard_peer_receive_bytes_total{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="} 1234
wireguard_peer_receive_bytes_total{device="wg0",public_key="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="} 0
wireguard_peer_receive_bytes_total{device="w\\"g\\\\1",public_key="BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="} 5
# HELP wireguard_peer_transmit_bytes_total Number of bytes transmitted to a given peer.
# TYPE wireguard_peer_transmit_bytes_total counter
wireguard_peer_transmit_bytes_total{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="} 1152921504606846976
wireguard_peer_transmit_bytes_total{device="wg0",public_key="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="} 0
wireguard_peer_transmit_bytes_total{device="w\\"g\\\\1",public_key="BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="} 6
# HELP wireguard_peer_last_handshake_seconds UNIX timestamp for the last handshake with a given peer (0: none).
# TYPE wireguard_peer_last_handshake_seconds gauge
wireguard_peer_last_handshake_seconds{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="} 1700000000
wireguard_peer_last_handshake_seconds{device="wg0",public_key="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="} 0
wireguard_peer_last_handshake_seconds{device="w\\"g\\\\1",public_key="BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="} 0
# HELP lanrage_peer_handshake_age_seconds Seconds since the last handshake with a given peer (peers that never completed one are absent).
# TYPE lanrage_peer_handshake_age_seconds gauge
lanrage_peer_handshake_age_seconds{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="} 99
# HELP lanrage_peer_up 1 when a given peer has completed a handshake and is not stale (heard from within the stale-after time), else 0.
# TYPE lanrage_peer_up gauge
lanrage_peer_up{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="} 1
lanrage_peer_up{device="wg0",public_key="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="} 0
lanrage_peer_up{device="w\\"g\\\\1",public_key="BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="} 0
# HELP lanrage_peer_latency_seconds Round trip to a given peer's tunnel address at the last probe (peers that did not answer, or were not probed yet, are absent).
# TYPE lanrage_peer_latency_seconds gauge
lanrage_peer_latency_seconds{device="wg0",public_key="AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="} 0.001500
# HELP lanrage_device_peers Number of peers on a device.
# TYPE lanrage_device_peers gauge
lanrage_device_peers{device="wg0"} 2
lanrage_device_peers{device="w\\"g\\\\1"} 1
# HELP lanrage_scrape_duration_seconds Time the read of a device took.
# TYPE lanrage_scrape_duration_seconds gauge
lanrage_scrape_duration_seconds{device="wg0"} 0.012346
lanrage_scrape_duration_seconds{device="w\\"g\\\\1"} 0.500000
`;

describe('the exposition', () => {
  it('is byte for byte what it was: families, HELP and TYPE, labels and their escaping, counters as integers', async () => {
    expect((await render(sample())).text).toBe(EXPECTED);
  });

  it('the same with labels from a cache, on the first and on later renderings', async () => {
    const snaps = sample();
    const caches = [new PeerLabelCache(), new PeerLabelCache()];
    const cached = () => snaps.map((d, k) => ({ ...d, labels: caches[k] as PeerLabelCache }));
    expect((await render(cached())).text).toBe(EXPECTED);
    expect((await render(cached())).text).toBe(EXPECTED);
    expect(caches.map((c) => c.size)).toEqual([2, 1]);
  });

  it('passes promtool check metrics', async (ctx) => {
    const promtool = join(__dirname, '../../../../.tools/promtool');
    if (!existsSync(promtool)) ctx.skip();
    const r = spawnSync(promtool, ['check', 'metrics'], { input: (await render(sample())).text, encoding: 'utf8' });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('a large device goes out in several chunks, growing, none larger than a MiB', async () => {
    const peers = Array.from({ length: 20_000 }, (_, i) =>
      peer(0, {
        publicKey: Buffer.alloc(32, i & 0xff)
          .fill(i >> 8, 0, 1)
          .toString('base64'),
      }),
    );
    const { text, chunks } = await render([device({ peers })]);
    expect(family(text, 'wireguard_peer_receive_bytes_total')).toHaveLength(20_000);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks[0]?.length).toBeLessThanOrEqual(64 * 1024);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(1024 * 1024);
    expect(text.endsWith('lanrage_scrape_duration_seconds{device="wg0"} 0.500000\n')).toBe(true);
  });

  it('a label longer than a chunk (a peer with thousands of allowed IPs) is written whole', async () => {
    const ips = Array.from({ length: 10_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const { text } = await render([device({ peers: [peer(2)], allowedIPs: new Map([[K(2), ips]]) })]);
    expect(family(text, 'wireguard_peer_info')).toEqual([
      `wireguard_peer_info{device="wg0",public_key="${K(2)}",endpoint="192.0.2.2:51820",allowed_ips="${ips.join(',')}",name=""} 1`,
    ]);
  });
});

describe('PeerLabelCache', () => {
  const info = async (d: DeviceSnapshot) => family((await render([d])).text, 'wireguard_peer_info');

  it('a peer whose endpoint, name or allowed IPs change gets new labels; the others keep theirs', async () => {
    const labels = new PeerLabelCache();
    const peers = [peer(2), peer(3)];
    expect(await info(device({ peers, labels }))).toEqual([
      `wireguard_peer_info{device="wg0",public_key="${K(2)}",endpoint="192.0.2.2:51820",allowed_ips="",name=""} 1`,
      `wireguard_peer_info{device="wg0",public_key="${K(3)}",endpoint="192.0.2.3:51820",allowed_ips="",name=""} 1`,
    ]);
    const roamed = [peer(2, { endpoint: '198.51.100.7:4500' }), peer(3)];
    const names = new Map([[K(3), 'bob']]);
    expect(await info(device({ peers: roamed, names, labels }))).toEqual([
      `wireguard_peer_info{device="wg0",public_key="${K(2)}",endpoint="198.51.100.7:4500",allowed_ips="",name=""} 1`,
      `wireguard_peer_info{device="wg0",public_key="${K(3)}",endpoint="192.0.2.3:51820",allowed_ips="",name="bob"} 1`,
    ]);
    // Renamed to a name that needs escaping, then the endpoint goes away.
    const escaped = new Map([[K(3), 'b\\o"b\n2']]);
    const gone = [peer(2, { endpoint: '198.51.100.7:4500' }), peer(3, { endpoint: null })];
    expect((await info(device({ peers: gone, names: escaped, labels })))[1]).toBe(
      `wireguard_peer_info{device="wg0",public_key="${K(3)}",endpoint="",allowed_ips="",name="b\\\\o\\"b\\n2"} 1`,
    );
    // Allowed IPs read, then changed in place.
    const allowed = new Map([[K(2), ['10.0.0.2/32']]]);
    expect((await info(device({ peers: gone, allowedIPs: allowed, labels })))[0]).toContain('allowed_ips="10.0.0.2/32"');
    allowed.set(K(2), ['10.0.0.2/32', '10.0.9.0/24']);
    expect((await info(device({ peers: gone, allowedIPs: allowed, labels })))[0]).toContain('allowed_ips="10.0.0.2/32,10.0.9.0/24"');
    expect((await info(device({ peers: gone, labels })))[0]).toContain('allowed_ips=""');
  });

  it('a removed peer: its lines vanish from the next rendering and the cache forgets it', async () => {
    const labels = new PeerLabelCache();
    await render([device({ peers: [peer(2), peer(3), peer(4)], labels })]);
    expect(labels.size).toBe(3);
    const { text } = await render([device({ peers: [peer(2), peer(4)], labels })]);
    expect(text).not.toContain(K(3));
    expect(family(text, 'lanrage_peer_up')).toHaveLength(2);
    expect(labels.size).toBe(2);
    // Back again: labelled as new.
    expect(await info(device({ peers: [peer(3, { endpoint: '203.0.113.3:1' })], labels }))).toEqual([
      `wireguard_peer_info{device="wg0",public_key="${K(3)}",endpoint="203.0.113.3:1",allowed_ips="",name=""} 1`,
    ]);
    expect(labels.size).toBe(1);
  });

  it('escapes the device name it was built for, and starts over for another device', async () => {
    const labels = new PeerLabelCache();
    expect(family((await render([device({ device: 'a\\b"c', peers: [peer(2)], labels })])).text, 'lanrage_peer_up')).toEqual([
      `lanrage_peer_up{device="a\\\\b\\"c",public_key="${K(2)}"} 0`,
    ]);
    expect(family((await render([device({ device: 'wg1', peers: [peer(2)], labels })])).text, 'lanrage_peer_up')).toEqual([
      `lanrage_peer_up{device="wg1",public_key="${K(2)}"} 0`,
    ]);
  });
});
