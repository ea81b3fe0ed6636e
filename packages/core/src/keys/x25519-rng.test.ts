import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// P5: a random number generator that fails or returns zeros never yields a key. node:crypto is
// replaced for this file only: randomBytes does what `rng` says.
const rng = vi.hoisted(() => ({ mode: 'real' as 'real' | 'throw' | 'zeros' }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    randomBytes: (n: number) => {
      if (rng.mode === 'throw') throw new Error('getrandom failed');
      if (rng.mode === 'zeros') return Buffer.alloc(n);
      return real.randomBytes(n);
    },
  };
});

const { generatePrivateKey, generatePresharedKey } = await import('./x25519.js');
const { ensureKeys } = await import('./key-files.js');

afterEach(() => {
  rng.mode = 'real';
});

describe('P5 the system RNG failing', () => {
  it.each(['throw', 'zeros'] as const)('%s: INTERNAL, never a weak or zero key, and ensureKeys leaves no key file', async (mode) => {
    rng.mode = mode;
    expect(() => generatePrivateKey()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => generatePresharedKey()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    const dir = await mkdtemp(join(tmpdir(), 'lanrage-rng-'));
    try {
      await expect(ensureKeys(dir)).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    rng.mode = 'real';
    expect(generatePrivateKey().isZero).toBe(false);
  });
});
