import { describe, expect, it } from 'vitest';
import { ShardedMap, ShardedSet, shardOf } from './sharded-map.js';

describe('ShardedMap', () => {
  it('behaves as a Map of strings: size, get, has, overwrite, delete, clear, iteration', () => {
    const m = new ShardedMap<number>();
    const model = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const k = `172.16.${i >> 8}.${i & 255}/32`;
      m.set(k, i);
      model.set(k, i);
    }
    m.set('172.16.0.1/32', -1); // overwrite keeps the size
    model.set('172.16.0.1/32', -1);
    for (let i = 0; i < 5000; i += 3) {
      const k = `172.16.${i >> 8}.${i & 255}/32`;
      expect(m.delete(k)).toBe(true);
      expect(m.delete(k)).toBe(false);
      model.delete(k);
    }
    expect(m.size).toBe(model.size);
    expect(m.get('172.16.0.1/32')).toBe(-1);
    expect(m.has('172.16.0.0/32')).toBe(false);
    expect(new Map(m.entries())).toEqual(model);
    expect([...m.keys()].sort()).toEqual([...model.keys()].sort());
    m.clear();
    expect(m.size).toBe(0);
    expect([...m.keys()]).toEqual([]);
  });

  it('spreads keys that differ only at their start over the shards (keys built from a counter)', () => {
    const s = new ShardedSet();
    const perShard = new Array<number>(64).fill(0);
    for (let i = 0; i < 64 * 100; i++) {
      const key = Buffer.alloc(32, 0x4c)
        .fill(i & 255, 0, 1)
        .fill(i >> 8, 1, 2)
        .toString('base64');
      s.add(key);
      perShard[shardOf(key)] = (perShard[shardOf(key)] as number) + 1;
    }
    expect(s.size).toBe(6400);
    expect(new Set(s).size).toBe(6400);
    expect(Math.min(...perShard)).toBeGreaterThan(50); // 100 each on average
    expect(Math.max(...perShard)).toBeLessThan(150);
  });
});
