import { constants } from 'node:fs';
import { type FileHandle, link, lstat, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, LanrageError } from '../errors.js';
import { fsyncDir, makeDirectory, removeStaleTemps, syncHandle, tempPathFor } from '../platform/write-file.js';
import { Key, type KeyKind } from './key.js';
import { generatePrivateKey, type KeyPair, publicKeyFrom } from './x25519.js';

const MAX_KEY_FILE_BYTES = 4096;

export const PRIVATE_KEY_FILE = 'private.key';
export const PUBLIC_KEY_FILE = 'public.key';

/**
 * Parses the text of a key file: one key, then optional trailing whitespace (K4). An empty
 * file is EMPTY_KEY_FILE, never "remove the key" as in wg (K5); an all-zero private or
 * preshared key is INVALID_KEY_FILE (K6). The key is never echoed.
 */
export function parseKeyFile(content: Uint8Array | string, kind: KeyKind, path: string): Key {
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('latin1');
  const trimmed = text.replace(/[ \t\r\n\f\v]+$/, '');
  if (trimmed.length === 0) throw new LanrageError('EMPTY_KEY_FILE', `key file ${path} is empty`, { details: { path } });
  if (trimmed.length !== 44) {
    throw new LanrageError('INVALID_KEY_FILE', `key file ${path} does not hold exactly one key`, { details: { path } });
  }
  let key: Key;
  try {
    key = Key.parse(trimmed, kind);
  } catch (cause) {
    throw new LanrageError('INVALID_KEY_FILE', `key file ${path} does not hold a valid ${kind} key`, { cause, details: { path } });
  }
  // All zeros is what a failed write or `wg` after a parse error leaves, and to WireGuard it
  // means "no key" (K6): as a private key it would silently remove the interface's key.
  if (kind !== 'public' && key.isZero) {
    throw new LanrageError('INVALID_KEY_FILE', `key file ${path} holds an all-zero ${kind} key`, {
      details: { path },
      ...(kind === 'private' ? { remedy: `Move ${path} away; lanrage generates a new key (a new identity) on the next up.` } : {}),
    });
  }
  return key;
}

function euid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/** The key directory must be ours and closed to others (C1); it is created 0700. */
async function ensureSafeDirectory(dir: string): Promise<void> {
  try {
    await makeDirectory(dir);
  } catch (err) {
    throw fromSystemError(err, `cannot create key directory ${dir}`);
  }
  const st = await stat(dir);
  if (!st.isDirectory()) throw new LanrageError('UNSAFE_KEY_FILE', `${dir} is not a directory`, { details: { path: dir } });
  const uid = euid();
  if (uid !== undefined && process.platform !== 'win32') {
    if (st.uid !== uid) {
      throw new LanrageError('UNSAFE_KEY_FILE', `key directory ${dir} is owned by uid ${st.uid}, not by uid ${uid}`, { details: { path: dir } });
    }
    if ((st.mode & 0o007) !== 0) {
      throw new LanrageError('UNSAFE_KEY_FILE', `key directory ${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)})`, {
        details: { path: dir },
      });
    }
  }
}

/**
 * Opens a key file without following links and checks it is a regular file owned by us;
 * secret files must have no group or other permission bits (C1, C2). Returns null when absent.
 */
export async function readKeyFile(path: string, kind: KeyKind): Promise<Key | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw new LanrageError('UNSAFE_KEY_FILE', `key file ${path} is a symbolic link`, { details: { path } });
    }
    throw fromSystemError(err, `cannot open key file ${path}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new LanrageError('UNSAFE_KEY_FILE', `key file ${path} is not a regular file`, { details: { path } });
    const uid = euid();
    if (uid !== undefined && process.platform !== 'win32' && st.uid !== uid) {
      throw new LanrageError('UNSAFE_KEY_FILE', `key file ${path} is owned by uid ${st.uid}, not by uid ${uid}`, { details: { path } });
    }
    if (kind !== 'public' && process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new LanrageError('UNSAFE_KEY_FILE', `key file ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`, {
        details: { path },
      });
    }
    if (st.size > MAX_KEY_FILE_BYTES) throw new LanrageError('INVALID_KEY_FILE', `key file ${path} is too large`, { details: { path } });
    const buf = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    try {
      return parseKeyFile(buf.subarray(0, bytesRead), kind, path);
    } finally {
      buf.fill(0);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Writes `content` to `dir/name` atomically and never over an existing file: a 0600 temp file
 * made with O_EXCL (so it is never readable by others, even half-written), fsync, then link()
 * to the final name (which fails if the name exists, unlike rename), then fsync of the
 * directory (P1, P3, P4). Returns false if the final name already existed.
 */
export async function writeFileExclusive(dir: string, name: string, content: string): Promise<boolean> {
  const tmp = tempPathFor(join(dir, name));
  const data = Buffer.from(content, 'latin1');
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await fh.write(data, 0, data.length, 0);
    await syncHandle(fh);
    await fh.close();
    fh = undefined;
    try {
      await link(tmp, join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await fsyncDir(dir);
    return true;
  } catch (err) {
    throw fromSystemError(err, `cannot write ${join(dir, name)}`);
  } finally {
    data.fill(0);
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined); // P2: the temp file never outlives the call
  }
}

export interface EnsureKeysResult extends KeyPair {
  /** True when this call generated the private key. */
  created: boolean;
  privateKeyPath: string;
  publicKeyPath: string;
}

/**
 * Loads `private.key` and `public.key` from `keysDir`, or creates them.
 *
 * - The directory is created 0700 and must not be accessible to others.
 * - A new private key is written 0600 at creation, atomically, never over an existing file;
 *   when two processes race, both end up with the same (the first) key.
 * - An existing key is never overwritten. A missing `public.key` is derived and written.
 * - Refused with a typed error: a symlink, a non-regular file, a file owned by someone else,
 *   a private key readable by others (UNSAFE_KEY_FILE); an empty file (EMPTY_KEY_FILE); bad
 *   content (INVALID_KEY_FILE); a `public.key` that does not match (KEY_MISMATCH).
 */
export async function ensureKeys(keysDir: string): Promise<EnsureKeysResult> {
  await ensureSafeDirectory(keysDir);
  await removeStaleTemps(keysDir, PRIVATE_KEY_FILE);
  await removeStaleTemps(keysDir, PUBLIC_KEY_FILE);
  const privateKeyPath = join(keysDir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(keysDir, PUBLIC_KEY_FILE);

  let created = false;
  let privateKey = await readKeyFile(privateKeyPath, 'private');
  if (!privateKey) {
    if (await exists(publicKeyPath)) {
      throw new LanrageError('KEY_MISMATCH', `${publicKeyPath} exists but ${privateKeyPath} does not`, {
        remedy: 'Restore private.key from a backup, or delete public.key to start with a new key pair.',
        details: { path: publicKeyPath },
      });
    }
    const fresh = generatePrivateKey();
    created = await writeFileExclusive(keysDir, PRIVATE_KEY_FILE, `${fresh.toBase64()}\n`);
    fresh.wipe();
    privateKey = await readKeyFile(privateKeyPath, 'private');
    if (!privateKey) throw new LanrageError('IO_ERROR', `${privateKeyPath} vanished after it was written`);
  }

  const publicKey = publicKeyFrom(privateKey);
  const stored = await readKeyFile(publicKeyPath, 'public');
  if (stored) {
    if (!stored.equals(publicKey)) {
      throw new LanrageError('KEY_MISMATCH', `${publicKeyPath} does not match ${privateKeyPath}`, { details: { path: publicKeyPath } });
    }
  } else if (!(await writeFileExclusive(keysDir, PUBLIC_KEY_FILE, `${publicKey.toBase64()}\n`))) {
    const raced = await readKeyFile(publicKeyPath, 'public');
    if (!raced?.equals(publicKey)) {
      throw new LanrageError('KEY_MISMATCH', `${publicKeyPath} does not match ${privateKeyPath}`, { details: { path: publicKeyPath } });
    }
  }
  return { privateKey, publicKey, created, privateKeyPath, publicKeyPath };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads a secret key (e.g. a preshared key) from a file with the same checks as ensureKeys. */
export async function loadKeyFile(path: string, kind: KeyKind): Promise<Key> {
  const key = await readKeyFile(path, kind);
  if (!key) throw new LanrageError('INVALID_KEY_FILE', `key file ${path} does not exist`, { details: { path } });
  return key;
}
