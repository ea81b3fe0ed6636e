import { describe, expect, it } from 'vitest';
import { TimeSlicer } from './time-slicer.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: stands for slow, synchronous per-item work
  }
}

describe('TimeSlicer', () => {
  it('never pauses a loop that stays within its budget', () => {
    const s = new TimeSlicer(1000, 1);
    for (let i = 0; i < 10_000; i++) expect(s.next()).toBeUndefined();
  });

  it('yields once the budget is spent, letting timers run, however few items that took', async () => {
    const s = new TimeSlicer(5, 1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let pauses = 0;
    for (let i = 0; i < 40; i++) {
      busy(1); // 1 ms per item: a budget of 5 ms means a pause every ~5 items
      const pause = s.next();
      if (pause) {
        pauses++;
        await pause;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    clearInterval(timer);
    expect(pauses).toBeGreaterThanOrEqual(4); // at most 40 ms of work between pauses is 5 ms each, give or take a clock read
    expect(ticks).toBeGreaterThan(0);
  });

  it('reads the clock only every `every` items', () => {
    const s = new TimeSlicer(0, 4);
    const pauses = Array.from({ length: 8 }, () => s.next() !== undefined);
    expect(pauses).toEqual([false, false, false, true, false, false, false, true]);
  });

  it('shares one budget per event-loop turn between slicers: short loops chained by promises still yield', async () => {
    await new Promise((r) => setImmediate(r)); // a fresh turn
    let pauses = 0;
    // Ten loops of ~2 ms, each far inside a 5 ms budget on its own, chained without a turn.
    for (let loop = 0; loop < 10; loop++) {
      const s = new TimeSlicer(5, 1);
      for (let i = 0; i < 2; i++) {
        busy(1);
        const pause = s.next();
        if (pause) {
          pauses++;
          await pause;
        }
      }
      await Promise.resolve();
    }
    expect(pauses).toBeGreaterThanOrEqual(3); // ~20 ms of work in 5 ms turns
  });

  it('starts each turn with the whole budget', async () => {
    await new Promise((r) => setImmediate(r));
    const first = new TimeSlicer(5, 1);
    expect(first.next()).toBeUndefined(); // the turn's clock starts
    busy(6);
    expect(first.next()).toBeDefined(); // spent
    await new Promise((r) => setImmediate(r)); // the turn ends
    const s = new TimeSlicer(5, 1);
    expect(s.next()).toBeUndefined();
  });
});
