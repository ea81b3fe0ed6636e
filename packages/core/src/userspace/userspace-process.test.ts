import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processAlive } from '../platform/process.js';
import { MAX_LOG_BYTES, UserspaceProcesses } from './userspace-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-uproc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('userspace process bookkeeping (X2)', () => {
  it('an error quotes only the last run of the log, never earlier runs', async () => {
    const p = new UserspaceProcesses({ runDir: dir, implementation: 'wireguard-go', socketDir: dir, startTimeoutMs: 2000, logLevel: 'error' });
    await writeFile(
      join(dir, 'wg9.log'),
      [
        '--- 2026-01-01T00:00:00.000Z lanrage starting /usr/bin/wireguard-go -f wg9',
        'ERROR: an old failure from last week',
        '--- 2026-01-02T00:00:00.000Z lanrage starting /usr/bin/wireguard-go -f wg9',
        'INFO: (wg9) UAPI listener started',
        'ERROR: this run died',
        '',
      ].join('\n'),
    );
    const tail = await p.logTail('wg9');
    expect(tail).toBe('INFO: (wg9) UAPI listener started\nERROR: this run died');
  });

  it('reads only the end of a large log', async () => {
    const p = new UserspaceProcesses({ runDir: dir, implementation: 'wireguard-go', socketDir: dir, startTimeoutMs: 2000, logLevel: 'error' });
    await writeFile(join(dir, 'wg9.log'), `${'x'.repeat(5 * MAX_LOG_BYTES)}\n--- t lanrage starting wg -f wg9\nERROR: the end\n`);
    expect(await p.logTail('wg9')).toBe('ERROR: the end');
  });

  it('a log over the limit is rotated to .log.1 when a run starts (it never grows forever)', async () => {
    // /bin/false as the implementation: it starts (rotating the log first) and exits at once.
    const p = new UserspaceProcesses({ runDir: dir, implementation: '/bin/false', socketDir: dir, startTimeoutMs: 2000, logLevel: 'error' });
    await writeFile(join(dir, 'wg9.log'), 'y'.repeat(MAX_LOG_BYTES + 1));
    await expect(p.start('wg9')).rejects.toMatchObject({ code: 'PROCESS_EXITED' });
    expect((await stat(join(dir, 'wg9.log.1'))).size).toBe(MAX_LOG_BYTES + 1);
    expect((await readFile(join(dir, 'wg9.log'), 'utf8')).startsWith('--- ')).toBe(true);
  });

  it('a killed process that nobody reaped (a zombie under a container init) counts as dead', () => {
    // The grandchild is orphaned to PID 1; killed, it is a zombie wherever PID 1 does not reap.
    const r = spawnSync('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    const pid = Number(r.stdout.trim());
    expect(processAlive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    const until = Date.now() + 2000;
    while (processAlive(pid) && Date.now() < until) spawnSync('sleep', ['0.05']);
    expect(processAlive(pid)).toBe(false);
  });
});
