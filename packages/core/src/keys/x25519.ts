import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { LanrageError } from '../errors.js';
import { Key } from './key.js';

// DER prefixes for raw 32-byte X25519 keys (RFC 8410): PKCS#8 for private, SPKI for public.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_LENGTH = 44;

/** Applies the X25519 clamping in place, as `wg genkey` does, so readback from the kernel is identical (K7). */
export function clamp(bytes: Uint8Array): Uint8Array {
  bytes[0] = (bytes[0] as number) & 248;
  bytes[31] = ((bytes[31] as number) & 127) | 64;
  return bytes;
}

function random32(): Uint8Array {
  // randomBytes never returns a pooled slab (P6); its buffer is wiped once copied.
  let bytes: Uint8Array;
  try {
    const raw = randomBytes(32);
    bytes = new Uint8Array(raw);
    raw.fill(0);
  } catch (cause) {
    throw new LanrageError('INTERNAL', 'the system random number generator failed', { cause });
  }
  let acc = 0;
  for (const b of bytes) acc |= b;
  if (acc === 0) throw new LanrageError('INTERNAL', 'the system random number generator returned zeros'); // P5
  return bytes;
}

/** A new clamped private key. */
export function generatePrivateKey(): Key {
  const bytes = clamp(random32());
  try {
    return Key.fromBytes(bytes, 'private');
  } finally {
    bytes.fill(0);
  }
}

/** A new preshared key: 32 random bytes, unclamped (like `wg genpsk`). */
export function generatePresharedKey(): Key {
  const bytes = random32();
  try {
    return Key.fromBytes(bytes, 'preshared');
  } finally {
    bytes.fill(0);
  }
}

/** The X25519 public key of a private key (the private key is clamped first, as the kernel does). */
export function publicKeyFrom(privateKey: Key): Key {
  const scalar = clamp(privateKey.bytes());
  const der = Buffer.alloc(PKCS8_PREFIX.length + 32);
  PKCS8_PREFIX.copy(der, 0);
  der.set(scalar, PKCS8_PREFIX.length);
  scalar.fill(0);
  try {
    const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({
      format: 'der',
      type: 'spki',
    });
    if (spki.length !== SPKI_LENGTH) throw new LanrageError('INTERNAL', `unexpected SPKI length ${spki.length} from node:crypto`);
    return Key.fromBytes(spki.subarray(SPKI_LENGTH - 32), 'public');
  } finally {
    der.fill(0);
  }
}

export interface KeyPair {
  privateKey: Key;
  publicKey: Key;
}

/** Generates a clamped X25519 key pair with node:crypto. */
export function generateKeyPair(): KeyPair {
  const privateKey = generatePrivateKey();
  return { privateKey, publicKey: publicKeyFrom(privateKey) };
}
