/**
 * Runs async tasks one at a time per key, in the order they were given; different keys run
 * independently. A task's failure is its caller's alone: the next task on the key still runs.
 * A key whose last task has settled is forgotten, so a queue over many short-lived names (one
 * per interface, per tunnel) holds nothing for the idle ones.
 *
 * The one serialiser of the code base: the UAPI connection (one request at a time on a
 * socket), the Windows backend (one change at a time per tunnel) and PeerCoalescer's batches
 * and exclusive tasks all queue through it.
 */
export class KeyedQueue<K = string> {
  readonly #tails = new Map<K, Promise<void>>();

  /** Runs `task` after every task queued on `key` before it; resolves or rejects with its outcome. */
  run<T>(key: K, task: () => Promise<T> | T): Promise<T> {
    const prev = this.#tails.get(key);
    const result = prev === undefined ? Promise.resolve().then(task) : prev.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Whether a task on `key` is queued or running. */
  busy(key: K): boolean {
    return this.#tails.has(key);
  }

  /** Resolves when every task queued so far, on every key, has settled (not those queued after this call: a steady stream never holds it up). */
  async drain(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}
