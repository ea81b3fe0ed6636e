import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LanrageError } from '../errors.js';
import { loadConfig } from './config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const err = async (p: Promise<unknown>) => (await p.catch((e) => e)) as LanrageError;

describe('loadConfig', () => {
  it('defaults', async () => {
    const c = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } });
    expect(c).toMatchObject({
      mode: 'client',
      interfaceName: 'lanrage0',
      virtualSubnet: '10.66.0.0/16',
      address: null,
      listenPort: 51820,
      mtu: 1420,
      keepalive: 25,
      configDir: dir,
      keysDir: join(dir, 'keys'),
      backend: 'auto',
      manageRoutes: true,
      logFile: join(dir, 'lanrage.log'),
      source: null,
    });
  });

  it('a bad value says where it came from, with a remedy for that place (file, variable, command line)', async () => {
    const fromEnv = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_MTU: '50' } }));
    expect(fromEnv.message).toContain('environment variable LANRAGE_MTU');
    expect(fromEnv.remedy).toBe("Fix LANRAGE_MTU or unset it to use the configuration file's value or the default.");
    const fromFlag = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir }, overrides: { mtu: 50 } }));
    expect(fromFlag.remedy).toBe('Fix the value given on the command line.');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ mtu: 50 }));
    const fromFile = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } }));
    expect(fromFile.remedy).toContain('configuration file');
  });

  it('timeout: 10 s by default, from the file, LANRAGE_TIMEOUT or the command line; 1 to 3600', async () => {
    expect((await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } })).timeout).toBe(10);
    expect((await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_TIMEOUT: '3' } })).timeout).toBe(3);
    expect((await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_TIMEOUT: '3' }, overrides: { timeout: '7' } })).timeout).toBe(7);
    const e = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_TIMEOUT: '0' } }));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('LANRAGE_TIMEOUT');
  });

  it('reads <configDir>/config.json, then env, then overrides', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ interfaceName: 'lr1', listenPort: 40000, keepalive: 10 }));
    const c = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_LISTEN_PORT: '40001' }, overrides: { keepalive: 5 } });
    expect(c).toMatchObject({ interfaceName: 'lr1', listenPort: 40001, keepalive: 5, source: join(dir, 'config.json') });
  });

  it('LANRAGE_CONFIG names the file; a missing named file is an error', async () => {
    const path = join(dir, 'other.json');
    await writeFile(path, JSON.stringify({ virtualSubnet: '10.77.0.9/24', address: '10.77.0.5' }));
    const c = await loadConfig({ env: { LANRAGE_CONFIG: path, LANRAGE_CONFIG_DIR: dir } });
    expect(c.virtualSubnet).toBe('10.77.0.0/24');
    expect(c.address).toBe('10.77.0.5');
    expect((await err(loadConfig({ env: { LANRAGE_CONFIG: join(dir, 'missing.json') } }))).code).toBe('INVALID_CONFIG');
  });

  it('an unknown key is an error naming the key and the file', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ listenPrt: 1 }));
    const e = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } }));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('listenPrt');
    expect(e.message).toContain(join(dir, 'config.json'));
  });

  it.each([
    ['listenPort', 70000],
    ['mtu', 100],
    ['keepalive', -1],
    ['interfaceName', 'bad/name'],
    ['backend', 'magic'],
    ['mode', 'server'],
    ['virtualSubnet', '10.66.0.0'],
    ['address', '10.99.0.1'],
    ['manageRoutes', 'maybe'],
    ['apiPort', 0],
  ])('a bad %s is INVALID_CONFIG naming it', async (key, value) => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ [key]: value }));
    const e = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } }));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain(key);
    expect(e.message).toContain('config.json');
  });

  it('a bad environment value names the variable', async () => {
    const e = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_MTU: 'big' } }));
    expect(e.message).toContain('LANRAGE_MTU');
  });

  it('invalid JSON and non-objects are INVALID_CONFIG', async () => {
    await writeFile(join(dir, 'config.json'), '{nope');
    expect((await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } }))).code).toBe('INVALID_CONFIG');
    await writeFile(join(dir, 'config.json'), '[]');
    expect((await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir } }))).code).toBe('INVALID_CONFIG');
  });

  it('K11 a file that is not JSON (a key file given as --config) is named, never quoted', async () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    for (const content of [`${key}\n`, `{"mtu": ${key}}`, `{\n  "mtu": 1420,\n  ${key}\n}`]) {
      const path = join(dir, 'not-a-config.json');
      await writeFile(path, content);
      const e = (await loadConfig({ path, env: {} }).catch((x: unknown) => x)) as LanrageError;
      expect(e.code).toBe('INVALID_CONFIG');
      expect(e.message).toContain(path);
      for (const leak of [key.slice(0, 4), key.slice(10, 14)]) expect(JSON.stringify(e.toJSON())).not.toContain(leak);
      expect(e.cause).toBeUndefined(); // the SyntaxError quotes the text
    }
  });

  it('C5 a FIFO, a device or a huge file as the configuration is refused at once, never read', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    for (const path of [fifo, '/dev/zero']) {
      const started = Date.now();
      const e = (await loadConfig({ path, env: {} }).catch((x: unknown) => x)) as LanrageError;
      expect(e.code).toBe('INVALID_CONFIG');
      expect(e.message).toContain('is not a regular file');
      expect(Date.now() - started).toBeLessThan(2000);
    }
    const big = join(dir, 'big.json');
    await writeFile(big, `{"mtu": 1420${' '.repeat(2 * 1024 * 1024)}}`);
    await expect(loadConfig({ path: big, env: {} })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('larger than') });
  });

  it('an IPv6 virtual subnet needs an MTU of at least 1280', async () => {
    const e = await err(loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_VIRTUAL_SUBNET: 'fd00::/64', LANRAGE_MTU: '1200' } }));
    expect(e.code).toBe('INVALID_CONFIG');
  });
});
