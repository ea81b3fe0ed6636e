import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFs } from './config-store.js';

describe('the store writes files as the key needs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanrage-store-fs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a new file only (never over another), 0600, with its whole content', async () => {
    const p = join(dir, 'lanrage0.key');
    await nodeFs.writeFile(p, 'KEY\r\n');
    expect(readFileSync(p, 'utf8')).toBe('KEY\r\n');
    if (process.platform !== 'win32') expect(statSync(p).mode & 0o777).toBe(0o600);
    await expect(nodeFs.writeFile(p, 'OTHER\r\n')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(p, 'utf8')).toBe('KEY\r\n');
  });
});
