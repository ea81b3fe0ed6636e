import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkName, NAMES_FILE, readPeerNames, setPeerName } from './peer-names.js';

describe('peer names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanrage-names-'));
  afterEach(() => rmSync(join(dir, NAMES_FILE), { force: true }));

  it('are kept per interface, 0600, replaced atomically, and forgotten', async () => {
    expect(await readPeerNames(dir, 'lanrage0')).toEqual(new Map()); // no file: none
    await setPeerName(dir, 'lanrage0', 'KEY1', 'alice');
    await setPeerName(dir, 'lanrage0', 'KEY2', 'bob "the relay"\nline 2');
    await setPeerName(dir, 'other0', 'KEY1', 'not alice');
    expect(await readPeerNames(dir, 'lanrage0')).toEqual(
      new Map([
        ['KEY1', 'alice'],
        ['KEY2', 'bob "the relay"\nline 2'],
      ]),
    );
    expect(statSync(join(dir, NAMES_FILE)).mode & 0o777).toBe(0o600);
    await setPeerName(dir, 'lanrage0', 'KEY1', null);
    expect([...(await readPeerNames(dir, 'lanrage0')).keys()]).toEqual(['KEY2']);
    expect(JSON.parse(readFileSync(join(dir, NAMES_FILE), 'utf8')).interfaces.other0).toEqual({ KEY1: 'not alice' });
  });

  it('a broken file is a typed error naming it, never its content', async () => {
    writeFileSync(join(dir, NAMES_FILE), 'PRIVATEKEYLOOKINGTEXT{');
    const err = await readPeerNames(dir, 'lanrage0').catch((e: unknown) => e as Error & { code: string });
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain(NAMES_FILE);
    expect(err.message).not.toContain('PRIVATEKEY');
  });

  it('a name is 1 to 256 characters without NUL', () => {
    expect(checkName('a')).toBe('a');
    expect(() => checkName('')).toThrow(/1 to 256/);
    expect(() => checkName('x'.repeat(257))).toThrow(/1 to 256/);
    expect(() => checkName('a\0b')).toThrow(/1 to 256/);
  });
});
