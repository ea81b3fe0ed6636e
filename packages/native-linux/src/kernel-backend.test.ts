import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Key, MemoryLogger } from '@lanrage/core';
import { setDeviceConfig } from '@lanrage/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6, OP_HEADER_BYTES } from './native.js';

const stub = join(dirname(fileURLToPath(import.meta.url)), '../test/stub/recording-native.cjs');
const { calls } = createRequire(import.meta.url)(stub) as {
  calls: ({ name: string; bytes: Uint8Array } & Record<string, unknown>)[];
};
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
    await Promise.all([1, 2, 3].map((b) => setDeviceConfig(be, 'lrt0', { peers: [{ publicKey: key(b), allowedIPs: ['10.0.0.1/32'] }] })));
    expect(calls.map((c) => firstKeyByte(c.bytes))).toEqual([1, 2, 3]);
  });

  it("a getter in the caller's config runs at the edge (prepareDeviceConfig), never while the backend writes its buffer", async () => {
    calls.length = 0;
    const be = new KernelBackend();
    let inner: Promise<void> | undefined;
    const sneaky = {
      get publicKey() {
        inner ??= setDeviceConfig(be, 'lrt0', { peers: [{ publicKey: key(9), allowedIPs: ['10.9.9.9/32'] }] });
        return key(7);
      },
      allowedIPs: ['10.7.7.7/32'],
    };
    await setDeviceConfig(be, 'lrt0', { peers: [{ publicKey: key(5), allowedIPs: ['10.5.5.5/32'] }, sneaky] });
    await inner;
    expect(calls).toHaveLength(2);
    const [first, second] = calls as unknown as [{ bytes: Uint8Array }, { bytes: Uint8Array }];
    expect(firstKeyByte(first.bytes)).toBe(9); // the nested call was validated and sent first, with its own bytes
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

describe('KernelBackend.changeRoutes', () => {
  const v4 = (a: number[], prefix: number) => ({ family: AF_INET, addr: new Uint8Array(a), prefix });

  it('hands the addon one batch of canonical prefixes, with no link lookup first; an empty change sends nothing', async () => {
    calls.length = 0;
    const be = new KernelBackend();
    await be.changeRoutes('lrt0', { add: ['10.9.0.0/24', 'fd00::/64'], remove: ['10.8.0.0/16'] });
    await be.changeRoutes('lrt0', { add: [], remove: [] });
    const fd00 = new Uint8Array(16);
    fd00[0] = 0xfd;
    expect(calls).toEqual([{ name: 'lrt0', add: [v4([10, 9, 0, 0], 24), { family: AF_INET6, addr: fd00, prefix: 64 }], remove: [v4([10, 8, 0, 0], 16)] }]);
  });

  it('a missing link is INTERFACE_NOT_FOUND; a bad prefix is refused before the addon is called, a bad name by the addon (typed)', async () => {
    calls.length = 0;
    const be = new KernelBackend();
    await expect(be.changeRoutes('lrt-missing', { add: ['10.1.0.0/24'], remove: [] })).rejects.toMatchObject({ code: 'INTERFACE_NOT_FOUND' });
    calls.length = 0;
    await expect(be.changeRoutes('lrt0', { add: ['10.1.0.0/33'], remove: [] })).rejects.toMatchObject({ code: 'INVALID_ALLOWED_IP' });
    await expect(be.changeRoutes('bad name!', { add: ['10.1.0.0/24'], remove: [] })).rejects.toMatchObject({ code: 'INVALID_INTERFACE_NAME' });
    expect(calls).toEqual([]);
  });
});

describe('KernelBackend errors (L6, L9)', () => {
  it('L6 a set that fails after some messages is PARTIAL_APPLY naming the applied and failed peer operations', async () => {
    const logger = new MemoryLogger();
    const be = new KernelBackend({ logger });
    const peers = [1, 2, 3, 4].map((b) => ({ publicKey: key(b), allowedIPs: [`10.0.0.${b}/32`] }));
    const err = await setDeviceConfig(be, 'lrt-partial', { peers }).catch((e) => e);
    expect(err).toMatchObject({ code: 'PARTIAL_APPLY', errno: 22, details: { appliedPeers: [0, 1], failedPeers: [2, 3], deviceApplied: true } });
    expect(err.cause).toMatchObject({ code: 'INVALID_ARGUMENT' });
    // the backend logs through the Logger it was given (the manager's): what landed, in one record
    expect(logger.records).toMatchObject([
      { level: 'warn', event: 'kernel.partialApply', interface: 'lrt-partial', appliedPeers: 2, operations: 4, code: 'INVALID_ARGUMENT' },
    ]);
  });

  it('L9 a missing wireguard generic netlink family (no module) is KERNEL_MODULE_MISSING with its remedy', async () => {
    const be = new KernelBackend();
    const err = await setDeviceConfig(be, 'lrt-nomodule', { peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.1/32'] }] }).catch((e) => e);
    expect(err).toMatchObject({ code: 'KERNEL_MODULE_MISSING' });
    expect(err.remedy).toContain('modprobe wireguard');
  });
});
