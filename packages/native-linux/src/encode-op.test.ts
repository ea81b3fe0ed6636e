import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Key } from '@lanrage/core';
import { normalizeDeviceConfig } from '@lanrage/core/backend';
import { describe, expect, it } from 'vitest';
import { encodeConfigNow } from './encode-config.js';
import { encodeRawPeerOps } from './encode-op.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/device-op.hex');
const golden = readFileSync(fixture, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .join('');
const fill = (b: number) => new Uint8Array(32).fill(b);
const hex = (op: { bytes: Uint8Array; length: number }) => Buffer.from(op.bytes.subarray(0, op.length)).toString('hex');

describe('device op encoding (the bytes the addon decodes: test/cpp/codec_test.cpp reads the same fixture)', () => {
  it('raw operations encode to the golden bytes', () => {
    const op = encodeRawPeerOps(
      [
        {
          publicKey: fill(0x21),
          presharedKey: fill(0x31),
          endpoint: { family: 2, addr: new Uint8Array([192, 0, 2, 1]), port: 51820 },
          keepalive: 25,
          replaceAllowedIps: true,
          allowedIps: [
            { family: 2, addr: new Uint8Array([10, 0, 0, 0]), prefix: 24 },
            { family: 10, addr: new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), prefix: 128 },
          ],
        },
        { publicKey: fill(0x22), remove: true },
        {
          publicKey: fill(0x23),
          updateOnly: true,
          presharedKey: null,
          endpoint: { family: 10, addr: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), port: 443 },
          allowedIps: [{ family: 2, addr: new Uint8Array([10, 9, 0, 0]), prefix: 16, remove: true }],
        },
      ],
      { privateKey: fill(0x11), listenPort: 51820, fwmark: 0x1234, replacePeers: true },
    );
    expect(op.length).toBe(389);
    expect(hex(op)).toBe(golden);
  });

  it('a validated DeviceConfig encodes to the same bytes (text in, canonical bytes out)', () => {
    const enc = encodeConfigNow(
      normalizeDeviceConfig({
        privateKey: Key.fromBytes(fill(0x11), 'private'),
        listenPort: 51820,
        fwmark: 0x1234,
        replacePeers: true,
        peers: [
          {
            publicKey: Key.fromBytes(fill(0x21)),
            presharedKey: Key.fromBytes(fill(0x31), 'preshared'),
            endpoint: '192.0.2.1:51820',
            persistentKeepalive: 25,
            allowedIPs: ['10.0.0.7/24', 'fd00::1/128', '10.0.0.0/24'], // host bits cleared, duplicate dropped
          },
          { publicKey: Key.fromBytes(fill(0x22)), remove: true },
          { publicKey: Key.fromBytes(fill(0x23)), updateOnly: true, presharedKey: null, endpoint: '[2001:db8::1]:443', allowedIPsRemove: ['10.9.0.0/16'] },
        ],
      }),
      new Uint8Array(4096),
    );
    expect(enc).not.toBeNull();
    expect(enc?.count).toBe(3);
    expect(enc?.removesAllowedIPs).toBe(true);
    expect(hex(enc?.op as { bytes: Uint8Array; length: number })).toBe(golden);
  });
});
