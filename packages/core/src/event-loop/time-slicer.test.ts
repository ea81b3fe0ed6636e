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
});
