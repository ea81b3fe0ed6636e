import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Key } from '@lanrage/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OP_HEADER_BYTES } from './native.js';

const stub = join(dirname(fileURLToPath(import.meta.url)), '../test/stub/recording-native.cjs');
const { calls } = createRequire(import.meta.url)(stub) as { calls: { name: string; bytes: Uint8Array }[] };
let KernelBackend: typeof import('./kernel-backend.js').KernelBackend;

beforeAll(async () => {
  process.env.LANRAGE_NATIVE_PATH = stub; // read on first use of the addon
  ({ KernelBackend } = await import('./kernel-backend.js'));
});

const key = (b: number) => Key.fromBytes(new Uint8Array(32).fill(b));
const firstKeyByte = (op: Uint8Array) => op[OP_HEADER_BYTES];

describe('KernelBackend.setDevice with its reused encode buffer', () => {
  it('back-to-back calls each hand the addon their own bytes', async () => {
    calls.length = 0;
    const be = new KernelBackend();
    await Promise.all([1, 2, 3].map((b) => be.setDevice('lrt0', { peers: [{ publicKey: key(b), allowedIPs: ['10.0.0.1/32'] }] })));
    expect(calls.map((c) => firstKeyByte(c.bytes))).toEqual([1, 2, 3]);
  });

  it('a call made from inside validation (a getter) does not overwrite the op being written', async () => {
    calls.length = 0;
    const be = new KernelBackend();
    let inner: Promise<void> | undefined;
    const sneaky = {
      get publicKey() {
        inner ??= be.setDevice('lrt0', { peers: [{ publicKey: key(9), allowedIPs: ['10.9.9.9/32'] }] });
        return key(7);
      },
      allowedIPs: ['10.7.7.7/32'],
    };
    await be.setDevice('lrt0', { peers: [{ publicKey: key(5), allowedIPs: ['10.5.5.5/32'] }, sneaky] });
    await inner;
    expect(calls).toHaveLength(2);
    const [first, second] = calls as [{ bytes: Uint8Array }, { bytes: Uint8Array }];
    expect(firstKeyByte(first.bytes)).toBe(9); // the nested call went out first, with its own bytes
    expect(firstKeyByte(second.bytes)).toBe(5);
    expect(second.bytes[OP_HEADER_BYTES + 92]).toBe(7);
  });
});

describe('KernelBackend options', () => {
  it('pollMicros is checked before the addon is touched', () => {
    for (const bad of [-1, 0.5, 100_001, Number.NaN, '5' as unknown as number]) {
      expect(() => new KernelBackend({ pollMicros: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => new KernelBackend({ pollMicros: 0 })).not.toThrow();
    expect(() => new KernelBackend({ pollMicros: 100_000 })).not.toThrow();
  });
});
