/**
 * Cooperative time slicing for long synchronous loops (validating, encoding or converting
 * 100k peers): yield to the event loop once a slice's budget is spent, so no stretch blocks
 * it for long however slow the machine or however cold the code (the first run of a loop
 * is interpreted, and in an emulated VM 20-50x slower). Counting items alone cannot bound that.
 */
export class TimeSlicer {
  readonly #budgetMs: number;
  readonly #every: number;
  #sliceStart = performance.now();
  #n = 0;

  /** `budgetMs` of work per slice; the clock is read every `every` items. */
  constructor(budgetMs = 5, every = 8) {
    this.#budgetMs = budgetMs;
    this.#every = every;
  }

  /** A promise to await when the slice is spent, else undefined (no microtask for the common case). */
  next(): Promise<void> | undefined {
    if (++this.#n % this.#every !== 0) return undefined;
    if (performance.now() - this.#sliceStart < this.#budgetMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#sliceStart = performance.now();
        resolve();
      }),
    );
  }
}
