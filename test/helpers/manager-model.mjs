// Model-based testing of NetworkManager, shared by the MemoryBackend test (test/model) and the
// real-kernel VM case (test/vm/manager-cases.mjs): random sequences of add / update / remove /
// apply / reconcile and changes made behind the manager's back, some issued in the same tick
// (one coalesced batch). After every step the device equals the model and the routes through
// the interface are exactly what its peers need.
import { isLanrageError, Key } from '@lanrage/core';
import { routesForPeers } from '@lanrage/core/backend';

export const KEYS = Array.from({ length: 6 }, (_, i) => Key.fromBytes(new Uint8Array(32).fill(0x20 + i)).toBase64());
/** Inside the interface prefix (no route), outside (routes), wider, IPv6, and a default route (never routed). */
export const IPS = ['10.66.1.1/32', '10.66.2.0/24', '192.168.7.0/24', '192.168.8.1/32', '172.20.0.0/16', '10.0.0.0/8', 'fd00:1::/64', '0.0.0.0/0'];

/** The operations: an array of groups, each group issued in one tick. */
export function programArbitrary(fc, { maxSteps = 12, maxGroup = 4 } = {}) {
  const key = fc.integer({ min: 0, max: KEYS.length - 1 });
  const ips = fc.subarray(IPS, { maxLength: 3 });
  const op = fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('add'), k: key, ips }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('update'), k: key, ips: fc.option(ips), ep: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('remove'), k: key }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('apply'),
        // Disjoint allowed IPs: with a prefix listed twice the kernel's result depends on order.
        peers: fc.uniqueArray(fc.record({ k: key, ips }), { selector: (p) => p.k, maxLength: 4 }).map((ps) => {
          const seen = new Set();
          return ps.map((p) => {
            const mine = p.ips.filter((c) => !seen.has(c));
            for (const c of mine) seen.add(c);
            return { k: p.k, ips: mine };
          });
        }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('behind'), k: key, ips, remove: fc.boolean(), noticedBy: fc.constantFrom('reconcile', 'apply') }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('reconcile') }) },
  );
  return fc.array(fc.array(op, { minLength: 1, maxLength: maxGroup }), { minLength: 1, maxLength: maxSteps });
}

/** The kernel's semantics for what is checked: allowed IPs per peer (a prefix moves to its last holder). */
class Model {
  peers = new Map();
  set(k, ips) {
    const mine = [...new Set(ips)];
    for (const [other, theirs] of this.peers)
      if (other !== k)
        this.peers.set(
          other,
          theirs.filter((c) => !mine.includes(c)),
        );
    this.peers.set(k, mine);
  }
}

const view = (entries) => [...entries].map(([k, ips]) => `${k} ${[...ips].sort().join(',')}`).sort();

function same(got, want, what) {
  const a = JSON.stringify(got);
  const b = JSON.stringify(want);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

/**
 * Runs one program. `manager` is an initialised NetworkManager; `behind(key, ips, remove)`
 * changes the device without it; `readPeers()` gives [[base64 key, allowed IPs]] of the live
 * device; `readRoutes()` lanrage's routes through the interface; `address` the interface's own.
 */
export async function runProgram(steps, { manager, behind, readPeers, readRoutes, address }) {
  const model = new Model();
  for (const [step, group] of steps.entries()) {
    const pending = [];
    const settle = async () => {
      const calls = pending.splice(0);
      const results = await Promise.allSettled(calls.map((c) => c.call));
      const got = results.map((r) => (r.status === 'fulfilled' ? 'ok' : isLanrageError(r.reason) ? r.reason.code : String(r.reason)));
      same(
        got,
        calls.map((c) => c.expect),
        `step ${step}: outcomes`,
      );
    };
    for (const o of group) {
      const k = KEYS[o.k ?? 0];
      if (o.t === 'add') {
        model.set(k, o.ips);
        pending.push({ call: manager.addPeer({ publicKey: k, allowedIPs: o.ips }), expect: 'ok' });
      } else if (o.t === 'update') {
        const exists = model.peers.has(k);
        if (exists && o.ips) model.set(k, o.ips);
        const call = manager.updatePeer({ publicKey: k, ...(o.ips ? { allowedIPs: o.ips } : {}), ...(o.ep ? { endpoint: '192.0.2.1:51820' } : {}) });
        pending.push({ call, expect: exists ? 'ok' : 'PEER_NOT_FOUND' });
      } else if (o.t === 'remove') {
        model.peers.delete(k);
        pending.push({ call: manager.removePeer(k), expect: 'ok' });
      } else if (o.t === 'apply') {
        model.peers.clear();
        for (const p of o.peers) model.set(KEYS[p.k], p.ips);
        pending.push({ call: manager.apply({ peers: o.peers.map((p) => ({ publicKey: Key.parse(KEYS[p.k]), allowedIPs: p.ips })) }), expect: 'ok' });
      } else if (o.t === 'reconcile') {
        pending.push({ call: manager.reconcile(), expect: 'ok' });
      } else {
        // Behind the manager's back (after what was issued), then the call that must notice it.
        await settle();
        if (o.remove) model.peers.delete(k);
        else model.set(k, o.ips);
        await behind(k, o.ips, o.remove);
        if (o.noticedBy === 'reconcile') await manager.reconcile();
        else await manager.apply({ peers: [...model.peers].map(([pk, list]) => ({ publicKey: Key.parse(pk), allowedIPs: list })) });
      }
    }
    await settle();
    const peers = await readPeers();
    same(view(peers), view(model.peers), `step ${step}: peers`);
    same(
      [...(await readRoutes())].sort(),
      routesForPeers(
        [address],
        peers.flatMap(([, ips]) => ips),
      ),
      `step ${step}: routes`,
    );
  }
}
