/**
 * Maps and sets split into SHARDS smaller ones by a hash of the key, for the manager's
 * per-peer tables. V8 rebuilds a Map's whole hash table in one synchronous step when it grows,
 * and also when deletions have filled it with holes, which is exactly what churn on a large
 * interface does (an add and a remove per peer that comes and goes): measured on a
 * 60,000-peer index, single operations of 9 and 39 ms natively, one such stall for every few
 * thousand operations, and several times longer in the emulated VM. Split 64 ways, each
 * rebuild moves 1/64 of the entries. Iteration order is by shard, not insertion.
 */
const SHARDS = 64;

/** FNV-1a over the whole key: public keys and prefix texts differ anywhere, not only at one end. */
export function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (SHARDS - 1);
}

export class ShardedMap<V> {
  /** Created on first use, so a small interface's index holds a few Maps, not 64. */
  readonly #shards: (Map<string, V> | undefined)[] = new Array(SHARDS).fill(undefined);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: string): V | undefined {
    return this.#shards[shardOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.#shards[shardOf(key)]?.has(key) === true;
  }

  set(key: string, value: V): this {
    const i = shardOf(key);
    let shard = this.#shards[i];
    if (shard === undefined) {
      shard = new Map();
      this.#shards[i] = shard;
    }
    const before = shard.size;
    shard.set(key, value);
    this.#size += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    if (this.#shards[shardOf(key)]?.delete(key) !== true) return false;
    this.#size--;
    return true;
  }

  clear(): void {
    this.#shards.fill(undefined);
    this.#size = 0;
  }

  *keys(): IterableIterator<string> {
    for (const shard of this.#shards) if (shard !== undefined) yield* shard.keys();
  }

  *entries(): IterableIterator<[string, V]> {
    for (const shard of this.#shards) if (shard !== undefined) yield* shard.entries();
  }
}

/** A set of strings with the same split (a ShardedMap whose values say nothing). */
export class ShardedSet {
  readonly #map = new ShardedMap<true>();

  get size(): number {
    return this.#map.size;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  add(key: string): this {
    this.#map.set(key, true);
    return this;
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.#map.keys();
  }
}
