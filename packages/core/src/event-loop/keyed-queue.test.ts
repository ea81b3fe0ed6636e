import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedQueue', () => {
  it('runs tasks of one key one at a time, in call order; other keys run alongside', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (key: string, i: number, ms: number) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`${key}${i}+`);
      await tick(ms);
      log.push(`${key}${i}-`);
      running--;
      return i;
    };
    const a = [q.run('a', task('a', 1, 20)), q.run('a', task('a', 2, 1)), q.run('a', task('a', 3, 1))];
    const b = q.run('b', task('b', 1, 5));
    expect(await Promise.all([...a, b])).toEqual([1, 2, 3, 1]);
    const aOnly = log.filter((l) => l.startsWith('a'));
    expect(aOnly).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-')); // b did not wait for a
    expect(most).toBe(2);
  });

  it('a failing task rejects its caller only; the next task on the key runs', async () => {
    const q = new KeyedQueue();
    const bad = q.run('k', async () => {
      throw new Error('boom');
    });
    const good = q.run('k', async () => 'ok');
    await expect(bad).rejects.toThrow('boom');
    expect(await good).toBe('ok');
  });

  it('forgets a key once its last task settles (no entry per idle name), and drain waits for everything', async () => {
    const q = new KeyedQueue<number>();
    const done: number[] = [];
    for (let i = 0; i < 100; i++) void q.run(i, async () => done.push(i));
    expect(q.busy(7)).toBe(true);
    await q.drain();
    expect(done).toHaveLength(100);
    await tick(0);
    for (let i = 0; i < 100; i++) expect(q.busy(i)).toBe(false);
  });

  it('a task that throws synchronously is a rejection, not a throw at the call', async () => {
    const q = new KeyedQueue();
    const r = q.run('k', () => {
      throw new Error('sync');
    });
    await expect(r).rejects.toThrow('sync');
  });
});
