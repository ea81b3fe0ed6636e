import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { LanrageError } from '../errors.js';

export type KeyKind = 'public' | 'private' | 'preshared';

const KEY_LENGTH = 32;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * The 7 low-order X25519 points (0, 1, the two points of order 8, p-1, p, p+1). The kernel
 * accepts them as peer keys but can never complete a handshake with them (K8).
 */
const LOW_ORDER_HEX = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

/** Decodes a canonical 44-character key, or returns null. Never throws, never echoes input. */
function decodeCanonical(text: string): Uint8Array | null {
  if (text.length !== 44 || text.charCodeAt(43) !== 0x3d /* = */) return null;
  const out = new Uint8Array(KEY_LENGTH);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < 43; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (B64_VALUE[c] as number) : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // 43 sextets = 258 bits: the 2 bits left over must be zero, or two strings would name one key (K3).
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

function encode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/**
 * A 32-byte WireGuard key. Secret keys (private, preshared) never print: `String(key)`,
 * `JSON.stringify`, template literals and `util.inspect` all show `(hidden)`. Reading the
 * material takes an explicit call (`toBase64()`, `bytes()`), so a leak is a visible choice.
 */
export class Key {
  readonly kind: KeyKind;
  /**
   * The key's own 32 bytes, or a shared array whose slot at #offset is the key (viewsOf). Two
   * fields, not three: a 10,000-peer read makes 10,000 of these.
   */
  readonly #data: Uint8Array;
  readonly #offset: number;

  private constructor(data: Uint8Array, kind: KeyKind, offset = 0) {
    this.#data = data;
    this.#offset = offset;
    this.kind = kind;
  }

  /** The 32 bytes: the key's own, or a short-lived view of its slot (not kept, so a 10,000-key read holds no view per key). */
  get #material(): Uint8Array {
    const d = this.#data;
    return d.length === KEY_LENGTH ? d : d.subarray(this.#offset, this.#offset + KEY_LENGTH);
  }

  /**
   * Parses a key string strictly: exactly 44 characters of standard base64 ending in `=`,
   * with the canonical last character (K1–K3). Throws INVALID_KEY without echoing the input.
   */
  static parse(text: string, kind: KeyKind = 'public', what = `${kind} key`): Key {
    const bytes = typeof text === 'string' ? decodeCanonical(text) : null;
    if (!bytes) {
      throw new LanrageError('INVALID_KEY', `${what} is not a 44-character canonical base64 WireGuard key`);
    }
    return new Key(bytes, kind);
  }

  /** Copies 32 bytes into a new key. */
  static fromBytes(bytes: Uint8Array, kind: KeyKind = 'public'): Key {
    if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_LENGTH) {
      throw new LanrageError('INVALID_KEY', `${kind} key must be exactly 32 bytes`);
    }
    const copy = new Uint8Array(KEY_LENGTH);
    copy.set(bytes);
    return new Key(copy, kind);
  }

  /**
   * Public keys of a bulk read (a 100k-peer dump) as views into one array the caller hands
   * over: no copy and no buffer per key, which is most of what the garbage collector would
   * otherwise copy. `source` must never change afterwards. Public keys only: a secret key
   * always owns its bytes so that wipe() cannot reach anything else.
   */
  static viewsOf(source: Uint8Array): (offset: number) => Key {
    if (!(source instanceof Uint8Array) || source.length % KEY_LENGTH !== 0) {
      throw new LanrageError('INVALID_KEY', 'public keys must be 32 bytes each');
    }
    return (offset: number) => {
      if (!Number.isInteger(offset) || offset < 0 || offset + KEY_LENGTH > source.length || offset % KEY_LENGTH !== 0) {
        throw new LanrageError('INVALID_KEY', 'public key must be 32 bytes inside the given array');
      }
      return new Key(source, 'public', offset);
    };
  }

  /** Parses a key given as hex (the userspace UAPI's encoding). */
  static fromHex(hex: string, kind: KeyKind = 'public'): Key {
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new LanrageError('INVALID_KEY', `${kind} key is not 64 hex digits`);
    // Buffer.from(string) may hand out a slice of the shared pool: copy, then wipe that slice (P6).
    const decoded = Buffer.from(hex, 'hex');
    const bytes = new Uint8Array(decoded);
    decoded.fill(0);
    return new Key(bytes, kind);
  }

  /** Accepts a Key (re-tagged to `kind` when it differs) or a string. */
  static from(value: Key | string, kind: KeyKind = 'public', what?: string): Key {
    if (value instanceof Key) return value.kind === kind ? value : new Key(value.bytes(), kind);
    return Key.parse(value, kind, what);
  }

  get isSecret(): boolean {
    return this.kind !== 'public';
  }

  /** True for the all-zero key, which netlink and the UAPI read as "remove the key" (K6). */
  get isZero(): boolean {
    let acc = 0;
    for (const b of this.#material) acc |= b;
    return acc === 0;
  }

  /** True for one of the 7 low-order points that can never handshake (K8). */
  get isLowOrder(): boolean {
    // Cheap first-byte filter: every low-order point starts with one of these bytes.
    const first = this.#material[0] as number;
    if (first > 1 && first !== 0xe0 && first !== 0x5f && first !== 0xec && first !== 0xed && first !== 0xee) return false;
    return LOW_ORDER_HEX.includes(this.toHex());
  }

  /** A copy of the 32 bytes. The caller owns it and should `fill(0)` it after use. */
  bytes(): Uint8Array {
    const copy = new Uint8Array(KEY_LENGTH);
    copy.set(this.#material);
    return copy;
  }

  /** Copies the 32 bytes into `target` at `offset` (no allocation; for encoders). */
  copyInto(target: Uint8Array, offset = 0): void {
    target.set(this.#material, offset);
  }

  /** The key as canonical base64. For secret keys this is an explicit reveal. */
  toBase64(): string {
    return encode(this.#material);
  }

  toHex(): string {
    return Buffer.from(this.#material).toString('hex');
  }

  /** Constant-time comparison of the key material (the kind is not compared). */
  equals(other: Key | null | undefined): boolean {
    if (!other) return false;
    return timingSafeEqual(this.#material, other.#material);
  }

  /** Overwrites the material with zeros; the key is unusable afterwards. */
  wipe(): void {
    this.#material.fill(0);
  }

  toString(): string {
    return this.isSecret ? '(hidden)' : this.toBase64();
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.toPrimitive](): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return `Key<${this.kind}> ${this.toString()}`;
  }
}

/** Returns true if `text` is a canonical key string (no throw). */
export function isValidKey(text: string): boolean {
  return typeof text === 'string' && decodeCanonical(text) !== null;
}

/** Strict parse of a key string; the `kind` decides whether it prints. */
export function parseKey(text: string, kind: KeyKind = 'public'): Key {
  return Key.parse(text, kind);
}
