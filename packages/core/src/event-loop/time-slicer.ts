/**
 * Cooperative time slicing for long synchronous loops (validating, encoding or converting
 * 100k peers): yield to the event loop once a slice's budget is spent, so no stretch blocks
 * it for long however slow the machine or however cold the code (the first run of a loop
 * is interpreted, and in an emulated VM 20-50x slower). Counting items alone cannot bound that.
 *
 * The budget is per event-loop turn, shared by every slicer: a burst of operations runs as a
 * chain of promise continuations (issue, admit, send, settle, the callers' own code after
 * each await) that never returns to the event loop by itself, so a budget per loop let twenty
 * short loops of 4 ms each hold the loop for 80 ms (measured: 22-60 ms stalls natively on
 * bursts of 2,000 manager operations, each loop well inside its own budget). Whatever ran
 * since the turn began, sliced or not, counts against the next slicer that looks.
 */
let turnStart: number | undefined;

/** Milliseconds since sliced work began in this turn of the event loop. */
function turnElapsed(now: number): number {
  if (turnStart === undefined) {
    turnStart = now;
    // Runs once the event loop turns (after this chain of continuations ends or yields).
    setImmediate(() => {
      turnStart = undefined;
    });
  }
  return now - turnStart;
}

export class TimeSlicer {
  readonly #budgetMs: number;
  readonly #every: number;
  #n = 0;

  /** `budgetMs` of work per turn of the event loop; the clock is read every `every` items. */
  constructor(budgetMs = 5, every = 8) {
    this.#budgetMs = budgetMs;
    this.#every = every;
  }

  /** A promise to await when the turn's budget is spent, else undefined (no microtask for the common case). */
  next(): Promise<void> | undefined {
    if (++this.#n % this.#every !== 0) return undefined;
    if (turnElapsed(performance.now()) < this.#budgetMs) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve));
  }
}
