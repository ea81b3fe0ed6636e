import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LanrageError } from '../errors.js';
import { Key } from './key.js';
import { ensureKeys, loadKeyFile, parseKeyFile } from './key-files.js';
import { generateKeyPair } from './x25519.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LanrageError);
    return (err as LanrageError).code;
  }
  return 'OK';
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('ensureKeys', () => {
  it('creates a 0600 private key and a matching public key in a 0700 directory', async () => {
    const keysDir = join(dir, 'keys');
    const r = await ensureKeys(keysDir);
    expect(r.created).toBe(true);
    expect(await mode(keysDir)).toBe(0o700);
    expect(await mode(r.privateKeyPath)).toBe(0o600);
    expect(await mode(r.publicKeyPath)).toBe(0o600);
    const priv = parseKeyFile(await readFile(r.privateKeyPath), 'private', 'x');
    expect(priv.equals(r.privateKey)).toBe(true);
    expect((await readFile(r.publicKeyPath, 'utf8')).trim()).toBe(r.publicKey.toBase64());
    expect((await readdir(keysDir)).sort()).toEqual(['private.key', 'public.key']);
  });

  it('loads the same keys again and never overwrites them', async () => {
    const first = await ensureKeys(dir);
    const before = await readFile(join(dir, 'private.key'));
    const second = await ensureKeys(dir);
    expect(second.created).toBe(false);
    expect(second.publicKey.equals(first.publicKey)).toBe(true);
    expect(await readFile(join(dir, 'private.key'))).toEqual(before);
  });

  it('P4 two concurrent callers end up with one key pair', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureKeys(dir)));
    expect(new Set(results.map((r) => r.publicKey.toBase64())).size).toBe(1);
    expect(results.filter((r) => r.created).length).toBe(1);
  });

  it('derives a missing public.key', async () => {
    const first = await ensureKeys(dir);
    await rm(join(dir, 'public.key'));
    const again = await ensureKeys(dir);
    expect(again.publicKey.equals(first.publicKey)).toBe(true);
    expect((await readFile(join(dir, 'public.key'), 'utf8')).trim()).toBe(first.publicKey.toBase64());
  });

  it('refuses a public.key that does not match (KEY_MISMATCH)', async () => {
    await ensureKeys(dir);
    await writeFile(join(dir, 'public.key'), `${generateKeyPair().publicKey.toBase64()}\n`, { mode: 0o600 });
    expect(await codeOf(ensureKeys(dir))).toBe('KEY_MISMATCH');
  });

  it('refuses a public.key without a private.key instead of replacing it', async () => {
    await writeFile(join(dir, 'public.key'), `${generateKeyPair().publicKey.toBase64()}\n`, { mode: 0o600 });
    await chmod(dir, 0o700);
    expect(await codeOf(ensureKeys(dir))).toBe('KEY_MISMATCH');
  });

  it('C1 refuses a world-readable private key, and never chmods it', async () => {
    await ensureKeys(dir);
    await chmod(join(dir, 'private.key'), 0o644);
    expect(await codeOf(ensureKeys(dir))).toBe('UNSAFE_KEY_FILE');
    expect(await mode(join(dir, 'private.key'))).toBe(0o644);
  });

  it('C1 refuses a key directory open to others', async () => {
    await ensureKeys(dir);
    await chmod(dir, 0o755);
    expect(await codeOf(ensureKeys(dir))).toBe('UNSAFE_KEY_FILE');
  });

  it('C2 refuses a symlinked private key', async () => {
    await chmod(dir, 0o700);
    const target = join(dir, 'elsewhere');
    const { privateKey } = generateKeyPair();
    await writeFile(target, `${privateKey.toBase64()}\n`, { mode: 0o600 });
    await symlink(target, join(dir, 'private.key'));
    expect(await codeOf(ensureKeys(dir))).toBe('UNSAFE_KEY_FILE');
  });

  it('C2 refuses a private key that is a directory or a FIFO', async () => {
    await chmod(dir, 0o700);
    await mkdir(join(dir, 'private.key'), { mode: 0o700 });
    expect(await codeOf(ensureKeys(dir))).toBe('UNSAFE_KEY_FILE');
  });

  it('C2 a FIFO as the private key is refused at once (never a hang), and so is one owned by another user', async () => {
    await chmod(dir, 0o700);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', ['-m', '600', join(dir, 'private.key')]);
    const t0 = Date.now();
    expect(await codeOf(ensureKeys(dir))).toBe('UNSAFE_KEY_FILE');
    expect(Date.now() - t0).toBeLessThan(2000);
    await rm(join(dir, 'private.key'));
    const { privateKey } = generateKeyPair();
    await writeFile(join(dir, 'private.key'), `${privateKey.toBase64()}\n`, { mode: 0o600 });
    if (process.getuid?.() === 0) {
      const { chown } = await import('node:fs/promises');
      await chown(join(dir, 'private.key'), 65534, 65534);
      expect(await codeOf(ensureKeys(dir))).toBe('UNSAFE_KEY_FILE');
      expect(await codeOf(loadKeyFile(join(dir, 'private.key'), 'private'))).toBe('UNSAFE_KEY_FILE');
    }
  });

  it('K5 an empty private key file is EMPTY_KEY_FILE, not "no key"', async () => {
    await chmod(dir, 0o700);
    await writeFile(join(dir, 'private.key'), '', { mode: 0o600 });
    expect(await codeOf(ensureKeys(dir))).toBe('EMPTY_KEY_FILE');
  });

  it('K6 an all-zero private or preshared key file is INVALID_KEY_FILE (to WireGuard it means "no key"), never loaded', async () => {
    await chmod(dir, 0o700);
    const zero = `${'A'.repeat(43)}=\n`;
    await writeFile(join(dir, 'private.key'), zero, { mode: 0o600 });
    expect(await codeOf(ensureKeys(dir))).toBe('INVALID_KEY_FILE');
    expect(await codeOf(loadKeyFile(join(dir, 'private.key'), 'private'))).toBe('INVALID_KEY_FILE');
    expect(await readFile(join(dir, 'private.key'), 'utf8')).toBe(zero); // left for the user to look at, not replaced
    await writeFile(join(dir, 'psk'), zero, { mode: 0o600 });
    expect(await codeOf(loadKeyFile(join(dir, 'psk'), 'preshared'))).toBe('INVALID_KEY_FILE');
    // An all-zero public key is a valid (if useless) value of a public key file: wg prints it for a removed key.
    expect(parseKeyFile(zero, 'public', 'f').isZero).toBe(true);
  });

  it('K4 trailing whitespace is fine; BOM, comments and two keys are not', async () => {
    const k = generateKeyPair().privateKey.toBase64();
    expect(parseKeyFile(`${k}\r\n`, 'private', 'f').toBase64()).toBe(k);
    expect(parseKeyFile(`${k}  \n\n`, 'private', 'f').toBase64()).toBe(k);
    for (const bad of [`\ufeff${k}\n`, `${k} #comment\n`, `${k}\n${k}\n`, `  ${k}`]) {
      let caught: LanrageError | undefined;
      try {
        parseKeyFile(bad, 'private', 'f');
      } catch (err) {
        caught = err as LanrageError;
      }
      expect(caught?.code).toBe('INVALID_KEY_FILE');
      expect(caught?.message).not.toContain(k); // K11
    }
  });

  it('loadKeyFile reads a preshared key file with the same checks', async () => {
    const psk = join(dir, 'psk');
    await writeFile(psk, `${Key.fromBytes(new Uint8Array(32).fill(7)).toBase64()}\n`, { mode: 0o600 });
    expect((await loadKeyFile(psk, 'preshared')).kind).toBe('preshared');
    await chmod(psk, 0o640);
    expect(await codeOf(loadKeyFile(psk, 'preshared'))).toBe('UNSAFE_KEY_FILE');
  });
});

describe('P1 crash consistency: SIGKILL at random points of ensureKeys', () => {
  const coreDist = join(dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');

  it('leaves key files absent or complete and 0600, never truncated', async () => {
    const root = join(dir, 'crash');
    await mkdir(root, { mode: 0o700 });
    // The child creates key pairs in fresh subdirectories as fast as it can; we kill it at a
    // random moment, many times, so kills land in every step (open, write, fsync, link, rename).
    const script = `
      const { ensureKeys } = await import(${JSON.stringify(coreDist)});
      let i = 0;
      process.stdout.write('ready\\n');
      for (;;) await ensureKeys(${JSON.stringify(root)} + '/' + process.pid + '-' + (i++));
    `;
    for (let round = 0; round < 25; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 60));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const dirs = await readdir(root);
    expect(dirs.length).toBeGreaterThan(25);
    let complete = 0;
    for (const d of dirs) {
      const keysDir = join(root, d);
      for (const f of await readdir(keysDir)) {
        expect(await mode(join(keysDir, f))).toBe(0o600); // temp files too: never readable by others
      }
      const files = await readdir(keysDir);
      if (files.includes('private.key')) {
        const priv = parseKeyFile(await readFile(join(keysDir, 'private.key')), 'private', d); // complete
        if (files.includes('public.key')) {
          const r = await ensureKeys(keysDir);
          expect(r.privateKey.equals(priv)).toBe(true);
          complete++;
        }
      }
      // After the crash, ensureKeys recovers every directory (stale temps removed).
      const r = await ensureKeys(keysDir);
      expect((await readdir(keysDir)).sort()).toEqual(['private.key', 'public.key']);
      expect(r.publicKey.toBase64()).toBe((await readFile(join(keysDir, 'public.key'), 'utf8')).trim());
    }
    expect(complete).toBeGreaterThan(0);
  }, 60_000);
});
