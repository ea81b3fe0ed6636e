import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { isLanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import { MemoryBackend } from '../testing/memory-backend.js';
import { NetworkManager } from './network-manager.js';
import { routesForPeers } from './routes.js';

// Model-based: random sequences of add / update / remove / apply / reconcile and changes made
// behind the manager's back, some issued in the same tick (one coalesced batch), run through
// NetworkManager on MemoryBackend (kernel semantics, routes modelled). After every step the
// device equals the model and the routes equal exactly what the peers need.

const KEYS = Array.from({ length: 6 }, (_, i) => Key.fromBytes(new Uint8Array(32).fill(0x20 + i)).toBase64());
/** Inside the interface prefix (no route), outside (routes), shared, IPv6, a default route. */
const IPS = ['10.66.1.1/32', '10.66.2.0/24', '192.168.7.0/24', '192.168.8.1/32', '172.20.0.0/16', '10.0.0.0/8', 'fd00:1::/64', '0.0.0.0/0'];
const ADDRESS = '10.66.0.1/16';

type Op =
  | { t: 'add'; k: number; ips: string[] }
  | { t: 'update'; k: number; ips: string[] | null; ep: boolean }
  | { t: 'remove'; k: number }
  | { t: 'apply'; peers: { k: number; ips: string[] }[] }
  | { t: 'behind'; k: number; ips: string[]; remove: boolean; then: 'reconcile' | 'apply' }
  | { t: 'reconcile' };

const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const ips = fc.subarray(IPS, { maxLength: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('add' as const), k: key, ips }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('update' as const), k: key, ips: fc.option(ips), ep: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('remove' as const), k: key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('apply' as const),
      // Disjoint allowed IPs: with a prefix listed twice the kernel's result depends on order.
      peers: fc.uniqueArray(fc.record({ k: key, ips }), { selector: (p) => p.k, maxLength: 4 }).map((ps) => {
        const seen = new Set<string>();
        return ps.map((p) => ({ k: p.k, ips: p.ips.filter((c) => !seen.has(c) && (seen.add(c), true)) }));
      }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('behind' as const), k: key, ips, remove: fc.boolean(), then: fc.constantFrom('reconcile' as const, 'apply' as const) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reconcile' as const) }) },
);
/** Each step is a group of operations issued in the same tick. */
const program = fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 });

/** The kernel's semantics for what the test checks: allowed IPs per peer (an IP moves to its last holder). */
class Model {
  peers = new Map<string, string[]>();
  set(k: string, ips: string[]): void {
    const mine = [...new Set(ips)];
    for (const [other, theirs] of this.peers) if (other !== k) this.peers.set(other, theirs.filter((c) => !mine.includes(c)));
    this.peers.set(k, mine);
  }
}

function view(peers: Iterable<[string, string[]]>) {
  return [...peers].map(([k, ips]) => `${k} ${[...ips].sort().join(',')}`).sort();
}

async function run(steps: Op[][]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lanrage-model-'));
  try {
    const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_ADDRESS: '10.66.0.1' } });
    const backend = new MemoryBackend();
    const nm = new NetworkManager(config, { backend });
    await nm.initialize();
    const model = new Model();
    for (const group of steps) {
      // Calls of one group are issued in the same tick; each expects its outcome from the model.
      const pending: { call: Promise<unknown>; expect: string }[] = [];
      const settle = async () => {
        const calls = pending.splice(0);
        const results = await Promise.allSettled(calls.map((c) => c.call));
        const got = results.map((r) => (r.status === 'fulfilled' ? 'ok' : isLanrageError(r.reason) ? r.reason.code : String(r.reason)));
        expect(got).toEqual(calls.map((c) => c.expect));
      };
      for (const o of group) {
        const k = KEYS[o.k as number] as string;
        if (o.t === 'add') {
          model.set(k, o.ips);
          pending.push({ call: nm.addPeer({ publicKey: k, allowedIPs: o.ips }), expect: 'ok' });
        } else if (o.t === 'update') {
          const exists = model.peers.has(k);
          if (exists && o.ips) model.set(k, o.ips);
          const call = nm.updatePeer({ publicKey: k, ...(o.ips ? { allowedIPs: o.ips } : {}), ...(o.ep ? { endpoint: '192.0.2.1:51820' } : {}) });
          pending.push({ call, expect: exists ? 'ok' : 'PEER_NOT_FOUND' });
        } else if (o.t === 'remove') {
          model.peers.delete(k);
          pending.push({ call: nm.removePeer(k), expect: 'ok' });
        } else if (o.t === 'apply') {
          model.peers.clear();
          for (const p of o.peers) model.set(KEYS[p.k] as string, p.ips);
          const desired = o.peers.map((p) => ({ publicKey: Key.parse(KEYS[p.k] as string), allowedIPs: p.ips }));
          pending.push({ call: nm.apply({ peers: desired }), expect: 'ok' });
        } else if (o.t === 'reconcile') {
          pending.push({ call: nm.reconcile(), expect: 'ok' });
        } else {
          // A change behind the manager's back (after what was issued), then the call that must notice it.
          await settle();
          if (o.remove) model.peers.delete(k);
          else model.set(k, o.ips);
          await backend.setDevice('lanrage0', { peers: [o.remove ? { publicKey: k, remove: true } : { publicKey: k, allowedIPs: o.ips }] });
          if (o.then === 'reconcile') await nm.reconcile();
          else await nm.apply({ peers: [...model.peers].map(([pk, list]) => ({ publicKey: Key.parse(pk), allowedIPs: list })) });
        }
      }
      await settle();
      const dev = await backend.getDevice('lanrage0');
      expect(view(dev.peers.map((p) => [p.publicKey.toBase64(), p.allowedIPs]))).toEqual(view(model.peers));
      const need = routesForPeers(
        [ADDRESS],
        dev.peers.flatMap((p) => p.allowedIPs),
      );
      expect((await backend.getRoutes('lanrage0')).sort()).toEqual(need);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('NetworkManager against a model (MemoryBackend, routes modelled)', () => {
  it('device and routes equal the model after every step of random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(program, (steps) => run(steps)),
      { numRuns: 150 }, // a failure prints its seed and the shrunk sequence
    );
  }, 120_000);
});
