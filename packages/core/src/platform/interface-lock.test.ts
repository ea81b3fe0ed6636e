import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireInterfaceLock } from './interface-lock.js';

const name = `lrlock${process.pid}`;

describe.runIf(process.platform === 'linux')('interface lock (an abstract Unix socket)', () => {
  it('a second holder waits for the first, and says it waits', async () => {
    const first = await acquireInterfaceLock(name);
    let waiting = false;
    let got = false;
    const second = acquireInterfaceLock(name, { onWait: () => (waiting = true) }).then((r) => {
      got = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(waiting).toBe(true);
    expect(got).toBe(false);
    await first();
    const release = await second;
    expect(got).toBe(true);
    await release();
    await release(); // idempotent
  });

  it('TIMEOUT when the holder does not finish in time', async () => {
    const held = await acquireInterfaceLock(name);
    try {
      await expect(acquireInterfaceLock(name, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      await held();
    }
  });

  it('a holder that is killed (kill -9) leaves no stale lock behind', async () => {
    // The built package (the test command builds before it tests).
    const lockModule = fileURLToPath(new URL('../../dist/subpaths/platform.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(lockModule)}); await m.acquireInterfaceLock(${JSON.stringify(name)}); console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('held') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    await expect(acquireInterfaceLock(name, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const release = await acquireInterfaceLock(name, { timeoutMs: 2000 });
    await release();
  });
});
