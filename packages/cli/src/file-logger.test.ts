import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLogger, MAX_LOG_BYTES } from './context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (i: number) => ({ time: '2026-12-02T00:00:00.000Z', level: 'info' as const, event: 'addPeer', ok: true, durationMs: i });

describe('FileLogger', () => {
  it('a burst of records is written after the tick, not by log() itself: in order, 0600', async () => {
    const path = join(dir, 'sub', 'lanrage.log');
    const logger = new FileLogger(path);
    for (let i = 0; i < 1000; i++) logger.log(record(i));
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' }); // nothing written synchronously
    await logger.flush();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1000);
    expect(JSON.parse(lines[999] as string).durationMs).toBe(999);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('is rotated past 1 MiB: the full log becomes lanrage.log.1 (the older one goes), the new records start a new file', async () => {
    const path = join(dir, 'lanrage.log');
    await writeFile(path, `${'x'.repeat(MAX_LOG_BYTES - 10)}\n`, { mode: 0o600 });
    await writeFile(`${path}.1`, 'oldest\n', { mode: 0o600 });
    const logger = new FileLogger(path);
    logger.log(record(1));
    await logger.flush();
    expect((await readFile(`${path}.1`, 'utf8')).startsWith('xxxx')).toBe(true);
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).durationMs)).toEqual([1]);
    // under the limit, records are appended to the same file
    logger.log(record(2));
    await logger.flush();
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('what is still buffered when the process exits is written', async () => {
    const path = join(dir, 'exit.log');
    const script = `import { FileLogger } from ${JSON.stringify(new URL('./context.ts', import.meta.url).pathname.replace(/\.ts$/, '.js').replace('/src/', '/dist/'))};
      const l = new FileLogger(${JSON.stringify(path)});
      l.log({ time: 't', level: 'info', event: 'last' });
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse((await readFile(path, 'utf8')).trim()).event).toBe('last');
  });

  it('an unwritable path never throws', async () => {
    await writeFile(join(dir, 'a-file'), '');
    const logger = new FileLogger(join(dir, 'a-file', 'lanrage.log')); // ENOTDIR
    logger.log(record(1));
    await expect(logger.flush()).resolves.toBeUndefined();
  });
});
