import { execFileSync } from 'node:child_process';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itWith, prerequisites } from '../../../../test/helpers/prerequisites.js';
import { LanrageError } from '../errors.js';
import { isValidKey, Key } from './key.js';
import { clamp, generateKeyPair, generatePresharedKey, generatePrivateKey, publicKeyFrom } from './x25519.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALID = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

function expectInvalid(text: string) {
  let caught: unknown;
  try {
    Key.parse(text, 'private');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(LanrageError);
  expect((caught as LanrageError).code).toBe('INVALID_KEY');
  // K11: the rejected value is never echoed
  if (text.length >= 8) expect((caught as LanrageError).message).not.toContain(text);
}

describe('Key parsing', () => {
  it('accepts a canonical key and round-trips it', () => {
    expect(Key.parse(VALID).toBase64()).toBe(VALID);
  });

  it.each([
    ['K1 empty', ''],
    ['K1 43 chars', VALID.slice(0, 43)],
    ['K1 45 chars', `${VALID}A`],
    ['K1 44 chars without =', `${VALID.slice(0, 43)}A`],
    ['K2 url-safe -', `${VALID.slice(0, 10)}-${VALID.slice(11)}`],
    ['K2 url-safe _', `${VALID.slice(0, 10)}_${VALID.slice(11)}`],
    ['K2 !', `${VALID.slice(0, 10)}!${VALID.slice(11)}`],
    ['K2 space', `${VALID.slice(0, 10)} ${VALID.slice(11)}`],
    ['K2 NUL', `${VALID.slice(0, 10)}\0${VALID.slice(11)}`],
    ['K2 non-ASCII', `${VALID.slice(0, 10)}é${VALID.slice(11)}`],
  ])('%s is INVALID_KEY without echoing it', (_name, text) => expectInvalid(text));

  it('K3 accepts only the canonical last character (exhaustive over all 64)', () => {
    const prefix = 'A'.repeat(42);
    const accepted = [...B64].filter((c) => isValidKey(`${prefix}${c}=`));
    // 43 sextets carry 258 bits: the last character's two low bits must be zero.
    expect(accepted).toEqual([...B64].filter((_, i) => (i & 3) === 0));
    for (const c of B64) if (!accepted.includes(c)) expectInvalid(`${prefix}${c}=`);
  });

  it('K3 AAAA…AAB= is rejected', () => expectInvalid(`${'A'.repeat(42)}B=`));

  it('property: every 32-byte value round-trips through base64 and hex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const k = Key.fromBytes(bytes);
        expect(Key.parse(k.toBase64()).bytes()).toEqual(bytes);
        expect(Key.fromHex(k.toHex()).equals(k)).toBe(true);
        expect(k.toBase64()).toBe(Buffer.from(bytes).toString('base64'));
      }),
      { numRuns: 500 },
    );
  });

  it('property: random strings are either canonical keys or INVALID_KEY, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 60 }), (s) => {
        try {
          const k = Key.parse(s);
          expect(k.toBase64()).toBe(s);
        } catch (err) {
          expect((err as LanrageError).code).toBe('INVALID_KEY');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('fromBytes refuses anything but 32 bytes', () => {
    expect(() => Key.fromBytes(new Uint8Array(31))).toThrow(LanrageError);
    expect(() => Key.fromHex('ab')).toThrow(LanrageError);
  });
});

describe('secret keys never print (K13)', () => {
  it('private and preshared keys print as (hidden) everywhere', () => {
    for (const key of [generatePrivateKey(), generatePresharedKey()]) {
      const secret = key.toBase64();
      const views = [String(key), `${key}`, JSON.stringify({ key }), inspect(key), inspect({ nested: { key } }, { depth: 5 }), key.toString()];
      for (const v of views) {
        expect(v).not.toContain(secret);
        expect(v).toContain('(hidden)');
      }
    }
  });

  it('public keys print as base64', () => {
    const { publicKey } = generateKeyPair();
    expect(String(publicKey)).toBe(publicKey.toBase64());
    expect(JSON.stringify({ publicKey })).toContain(publicKey.toBase64());
  });

  it('wipe() zeroes the material', () => {
    const k = generatePrivateKey();
    k.wipe();
    expect(k.isZero).toBe(true);
  });
});

describe('X25519', () => {
  it('K7 clamp is idempotent and generated keys are clamped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const once = clamp(new Uint8Array(bytes));
        expect(clamp(new Uint8Array(once))).toEqual(once);
        expect((once[0] as number) & 7).toBe(0);
        expect((once[31] as number) & 0xc0).toBe(0x40);
      }),
    );
    const k = generatePrivateKey().bytes();
    expect(clamp(new Uint8Array(k))).toEqual(k);
  });

  it('publicKeyFrom is stable and equal for a key and its clamped form', () => {
    const raw = new Uint8Array(32).fill(0xff);
    const unclamped = Key.fromBytes(raw, 'private');
    const clamped = Key.fromBytes(clamp(new Uint8Array(raw)), 'private');
    expect(publicKeyFrom(unclamped).equals(publicKeyFrom(clamped))).toBe(true);
    expect(publicKeyFrom(clamped).toBase64()).toBe(publicKeyFrom(clamped).toBase64());
  });

  it('matches the RFC 7748 test vector', () => {
    const alicePriv = Key.fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'private');
    expect(publicKeyFrom(alicePriv).toHex()).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });

  itWith('matches `wg pubkey` for generated keys', [prerequisites.wg()], () => {
    for (let i = 0; i < 5; i++) {
      const { privateKey, publicKey } = generateKeyPair();
      const out = execFileSync('wg', ['pubkey'], { input: `${privateKey.toBase64()}\n` })
        .toString()
        .trim();
      expect(out).toBe(publicKey.toBase64());
    }
  });

  it('K8 recognises the 7 low-order points', () => {
    const lowOrder = [
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      '4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=',
      'X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=',
      '7P///////////////////////////////////////38=',
      '7f///////////////////////////////////////38=',
      '7v///////////////////////////////////////38=',
    ];
    for (const k of lowOrder) expect(Key.parse(k).isLowOrder).toBe(true);
    expect(Key.parse(VALID).isLowOrder).toBe(false);
  });
});

describe('Key.viewsOf (public keys of a bulk read, without a copy each)', () => {
  const flat = new Uint8Array(64);
  for (let i = 0; i < flat.length; i++) flat[i] = (i * 13 + 5) & 0xff;

  it('reads each 32-byte slot as the key made from those bytes', () => {
    const at = Key.viewsOf(flat);
    expect(at(0).equals(Key.fromBytes(flat.slice(0, 32)))).toBe(true);
    expect(at(32).toBase64()).toBe(Key.fromBytes(flat.slice(32, 64)).toBase64());
    expect(at(32).kind).toBe('public');
  });

  it('refuses arrays and offsets that are not whole 32-byte slots', () => {
    expect(() => Key.viewsOf(new Uint8Array(33))).toThrow(LanrageError);
    const at = Key.viewsOf(flat);
    for (const bad of [-32, 16, 64, 1.5]) expect(() => at(bad)).toThrow(LanrageError);
  });
});
