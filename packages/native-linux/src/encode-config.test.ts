import { type DeviceConfig, Key, LanrageError, normalizeDeviceConfig, publicKeyFrom } from '@lanrage/core';
import { describe, expect, it } from 'vitest';
import { encodeConfig, encodeConfigNow } from './encode-config.js';
import { OP_HEADER_BYTES, OP_PEER_BYTES } from './native.js';

const key = (b: number) => Key.fromBytes(new Uint8Array(32).fill(b));
const secret = (b: number) => Key.fromBytes(new Uint8Array(32).fill(b), 'preshared');

/** What normalizeDeviceConfig throws for `config` (the reference), as code + message. */
function reference(config: DeviceConfig): string {
  try {
    normalizeDeviceConfig(config);
    return 'ok';
  } catch (err) {
    return `${(err as LanrageError).code}: ${(err as Error).message}`;
  }
}

async function streamed(config: DeviceConfig, sync: boolean): Promise<string> {
  try {
    if (sync) encodeConfigNow(config, new Uint8Array(4096));
    else await encodeConfig(config);
    return 'ok';
  } catch (err) {
    return `${(err as LanrageError).code}: ${(err as Error).message}`;
  }
}

describe('encodeConfig validates exactly as normalizeDeviceConfig does', () => {
  const priv = Key.fromBytes(new Uint8Array(32).fill(0x41), 'private');
  const cases: [string, DeviceConfig][] = [
    ['valid', { peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.1/32'] }] }],
    ['bad port before bad peer', { listenPort: 70000, peers: [{ publicKey: 'nope' }] }],
    ['bad fwmark', { fwmark: -1 }],
    ['peers not a list', { peers: 'x' as unknown as [] }],
    ['second peer bad key', { peers: [{ publicKey: key(1) }, { publicKey: 'AAAA' }] }],
    ['low-order key', { peers: [{ publicKey: Key.fromBytes(new Uint8Array(32)) }] }],
    ['bad allowed IP', { peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.256/32'] }] }],
    ['leading zero', { peers: [{ publicKey: key(1), allowedIPs: ['010.0.0.1/32'] }] }],
    ['bad prefix', { peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.1/033'] }] }],
    ['replace and add', { peers: [{ publicKey: key(1), allowedIPs: [], allowedIPsAdd: ['10.0.0.1'] }] }],
    ['bad endpoint', { peers: [{ publicKey: key(1), endpoint: '10.0.0.1:0' }] }],
    ['zero psk', { peers: [{ publicKey: key(1), presharedKey: Key.fromBytes(new Uint8Array(32), 'preshared') }] }],
    ['self after a later bad peer', { privateKey: priv, peers: [{ publicKey: publicKeyFrom(priv) }, { publicKey: 'bad' }] }],
    ['self', { privateKey: priv, peers: [{ publicKey: key(2) }, { publicKey: publicKeyFrom(priv) }] }],
    ['self removed is fine', { privateKey: priv, peers: [{ publicKey: publicKeyFrom(priv), remove: true }] }],
    ['not an object', null as unknown as DeviceConfig],
  ];
  for (const [name, config] of cases) {
    it(name, async () => {
      const want = reference(config);
      expect(await streamed(config, true)).toBe(want);
      expect(await streamed(config, false)).toBe(want);
    });
  }

  it('the same errors for a large config that yields between chunks', async () => {
    const peers = Array.from({ length: 700 }, (_, i) => ({
      publicKey: Key.fromBytes(new Uint8Array(32).fill(7).map((v, j) => (j === 0 ? i & 0xff : j === 1 ? i >> 8 : v))),
      allowedIPs: [`10.1.${i >> 8}.${i & 0xff}/32`],
    }));
    const bad = [...peers.slice(0, 600), { publicKey: key(9), allowedIPs: ['nope'] }, ...peers.slice(600)];
    expect(encodeConfigNow({ peers }, new Uint8Array(4096))).toBeNull(); // too big for one synchronous stretch
    const enc = await encodeConfig({ peers });
    expect(enc.count).toBe(700);
    expect(enc.op.length).toBe(OP_HEADER_BYTES + 700 * OP_PEER_BYTES + 700 * 19);
    expect(await streamed({ peers: bad }, false)).toBe(reference({ peers: bad }));
  });
});

describe('encodeConfig buffers', () => {
  it('grows past its first guess of prefixes and keeps every one in order', async () => {
    const peers = Array.from({ length: 300 }, (_, i) => ({
      publicKey: Key.fromBytes(new Uint8Array(32).fill(9).map((v, j) => (j === 0 ? i & 0xff : j === 1 ? i >> 8 : v))),
      allowedIPs: [`10.${i >> 8}.${i & 0xff}.0/24`, `10.200.${i >> 8}.${i & 0xff}/32`, `fd00::${i.toString(16)}/128`],
    }));
    const { op, count } = await encodeConfig({ peers });
    expect(count).toBe(300);
    expect(op.length).toBe(OP_HEADER_BYTES + 300 * OP_PEER_BYTES + 900 * 19);
    const view = new DataView(op.bytes.buffer, op.bytes.byteOffset);
    expect(view.getUint32(8, true)).toBe(900);
    for (let i = 0; i < 300; i++) expect(view.getUint32(OP_HEADER_BYTES + i * OP_PEER_BYTES + 88, true)).toBe(3);
    const last = OP_HEADER_BYTES + 300 * OP_PEER_BYTES + 899 * 19;
    expect([op.bytes[last], op.bytes[last + 1], op.bytes[last + 3], op.bytes[last + 18]]).toEqual([10, 128, 0xfd, 299 & 0xff]);
    const first = OP_HEADER_BYTES + 300 * OP_PEER_BYTES;
    expect([op.bytes[first], op.bytes[first + 1], op.bytes[first + 3]]).toEqual([2, 24, 10]);
  });

  it('wipes secrets from the scratch buffer when validation fails after them', () => {
    const scratch = new Uint8Array(4096);
    expect(() =>
      encodeConfigNow(
        {
          privateKey: Key.fromBytes(new Uint8Array(32).fill(0x41), 'private'),
          peers: [{ publicKey: key(1), presharedKey: secret(0x77) }, { publicKey: 'broken' }],
        },
        scratch,
      ),
    ).toThrow(LanrageError);
    expect(scratch.every((b) => b === 0)).toBe(true);
  });

  it('uses the scratch buffer for small changes and sizes the op exactly', () => {
    const scratch = new Uint8Array(4096);
    const enc = encodeConfigNow({ peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.1/32', '10.0.0.1/32'] }] }, scratch);
    expect(enc?.op.bytes).toBe(scratch);
    expect(enc?.op.length).toBe(OP_HEADER_BYTES + OP_PEER_BYTES + 19); // the duplicate prefix is dropped
  });

  it('leaves host names to the asynchronous form, which resolves them all at the end', async () => {
    const config: DeviceConfig = {
      peers: [
        { publicKey: key(1), endpoint: 'a.example:51820' },
        { publicKey: key(2), endpoint: 'b.example:1' },
      ],
    };
    expect(encodeConfigNow(config, new Uint8Array(4096))).toBeNull();
    const looked: string[] = [];
    const enc = await encodeConfig(config, {
      lookup: async (host) => {
        looked.push(host);
        return { address: host.startsWith('a') ? '192.0.2.7' : '2001:db8::9', family: host.startsWith('a') ? 4 : 6 };
      },
    });
    expect(looked.sort()).toEqual(['a.example', 'b.example']);
    const b = enc.op.bytes;
    const ep0 = OP_HEADER_BYTES + 64;
    expect([...b.subarray(ep0, ep0 + 8)]).toEqual([2, 0, 0xca, 0x6c, 192, 0, 2, 7]);
    const ep1 = OP_HEADER_BYTES + OP_PEER_BYTES + 64;
    expect([b[ep1], b[ep1 + 2], b[ep1 + 3], b[ep1 + 4], b[ep1 + 5], b[ep1 + 19]]).toEqual([10, 0, 1, 0x20, 0x01, 9]);
  });

  it('a failed resolution rejects with the resolver error', async () => {
    const config: DeviceConfig = { peers: [{ publicKey: key(1), presharedKey: secret(0x66), endpoint: 'gone.example:1' }] };
    const err = await encodeConfig(config, {
      attempts: 1,
      lookup: async () => {
        throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      },
    }).catch((e: unknown) => e);
    expect((err as LanrageError).code).toBe('INVALID_ENDPOINT');
  });
});
