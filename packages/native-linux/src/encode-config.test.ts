import { type DeviceConfig, Key, LanrageError } from '@lanrage/core';
import { normalizeDeviceConfig, prepareDeviceConfig } from '@lanrage/core/backend';
import { describe, expect, it } from 'vitest';
import { encodeConfig, encodeConfigNow } from './encode-config.js';
import { OP_HEADER_BYTES, OP_PEER_BYTES } from './native.js';

const key = (b: number) => Key.fromBytes(new Uint8Array(32).fill(b));
const secret = (b: number) => Key.fromBytes(new Uint8Array(32).fill(b), 'preshared');

describe('encodeConfig takes the normalised form (validated once, at the edge)', () => {
  it('a large change is encoded in slices and equals the synchronous form of its first part', async () => {
    const peers = Array.from({ length: 700 }, (_, i) => ({
      publicKey: Key.fromBytes(new Uint8Array(32).fill(7).map((v, j) => (j === 0 ? i & 0xff : j === 1 ? i >> 8 : v))),
      allowedIPs: [`10.1.${i >> 8}.${i & 0xff}/32`],
    }));
    expect(encodeConfigNow(normalizeDeviceConfig({ peers }), new Uint8Array(4096))).toBeNull(); // too big for one synchronous stretch
    const enc = await encodeConfig(normalizeDeviceConfig({ peers }));
    expect(enc.count).toBe(700);
    expect(enc.op.length).toBe(OP_HEADER_BYTES + 700 * OP_PEER_BYTES + 700 * 19);
    const small = encodeConfigNow(normalizeDeviceConfig({ peers: peers.slice(0, 200) }), new Uint8Array(4096));
    const firstPeers = OP_HEADER_BYTES + 200 * OP_PEER_BYTES;
    expect(
      Buffer.from(enc.op.bytes.subarray(OP_HEADER_BYTES, firstPeers)).equals(
        Buffer.from((small as NonNullable<typeof small>).op.bytes.subarray(OP_HEADER_BYTES, firstPeers)),
      ),
    ).toBe(true);
  });

  it('an endpoint still holding a host name is INVALID_ENDPOINT (the caller skipped prepareDeviceConfig), in both forms', async () => {
    const norm = normalizeDeviceConfig({ peers: [{ publicKey: key(1), endpoint: 'a.example:51820' }] });
    expect(() => encodeConfigNow(norm, new Uint8Array(4096))).toThrow(expect.objectContaining({ code: 'INVALID_ENDPOINT' }));
    await expect(encodeConfig(norm)).rejects.toMatchObject({ code: 'INVALID_ENDPOINT' });
  });
});

describe('encodeConfig buffers', () => {
  it('grows past its first guess of prefixes and keeps every one in order', async () => {
    const peers = Array.from({ length: 300 }, (_, i) => ({
      publicKey: Key.fromBytes(new Uint8Array(32).fill(9).map((v, j) => (j === 0 ? i & 0xff : j === 1 ? i >> 8 : v))),
      allowedIPs: [`10.${i >> 8}.${i & 0xff}.0/24`, `10.200.${i >> 8}.${i & 0xff}/32`, `fd00::${i.toString(16)}/128`],
    }));
    const { op, count } = await encodeConfig(normalizeDeviceConfig({ peers }));
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

  it('wipes secrets from the scratch buffer when encoding fails after them', () => {
    const scratch = new Uint8Array(4096);
    expect(() =>
      encodeConfigNow(
        normalizeDeviceConfig({
          privateKey: Key.fromBytes(new Uint8Array(32).fill(0x41), 'private'),
          peers: [
            { publicKey: key(1), presharedKey: secret(0x77) },
            { publicKey: key(2), endpoint: 'unresolved.example:1' },
          ],
        }),
        scratch,
      ),
    ).toThrow(LanrageError);
    expect(scratch.every((b) => b === 0)).toBe(true);
  });

  it('uses the scratch buffer for small changes and sizes the op exactly', () => {
    const scratch = new Uint8Array(4096);
    const enc = encodeConfigNow(normalizeDeviceConfig({ peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.1/32', '10.0.0.1/32'] }] }), scratch);
    expect(enc?.op.bytes).toBe(scratch);
    expect(enc?.op.length).toBe(OP_HEADER_BYTES + OP_PEER_BYTES + 19); // the duplicate prefix is dropped
  });

  it('host names resolved at the edge (prepareDeviceConfig) are encoded as their addresses', async () => {
    const config: DeviceConfig = {
      peers: [
        { publicKey: key(1), endpoint: 'a.example:51820' },
        { publicKey: key(2), endpoint: 'b.example:1' },
      ],
    };
    const looked: string[] = [];
    const norm = await prepareDeviceConfig(config, {
      lookup: async (host) => {
        looked.push(host);
        return { address: host.startsWith('a') ? '192.0.2.7' : '2001:db8::9', family: host.startsWith('a') ? 4 : 6 };
      },
    });
    expect(looked.sort()).toEqual(['a.example', 'b.example']);
    const enc = encodeConfigNow(norm, new Uint8Array(4096));
    const b = enc?.op.bytes as Uint8Array;
    const ep0 = OP_HEADER_BYTES + 64;
    expect([...b.subarray(ep0, ep0 + 8)]).toEqual([2, 0, 0xca, 0x6c, 192, 0, 2, 7]);
    const ep1 = OP_HEADER_BYTES + OP_PEER_BYTES + 64;
    expect([b[ep1], b[ep1 + 2], b[ep1 + 3], b[ep1 + 4], b[ep1 + 5], b[ep1 + 19]]).toEqual([10, 0, 1, 0x20, 0x01, 9]);
  });
});
