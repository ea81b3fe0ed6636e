// NetworkManager cases of the real-kernel suite: the model-based programs of
// test/helpers/manager-model.mjs on KernelBackend, with changes behind the manager's back made
// by `wg set` and the routes read back with `ip route` (not through lanrage).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { createNetworkManager, desiredFromWgQuick, loadConfig, parseWgQuick } from 'lanrage';
import { programArbitrary, runProgram } from '../helpers/manager-model.mjs';

const NAME = 'lrmodel0';

function ipRoutes(name) {
  const out = [];
  for (const family of ['-4', '-6']) {
    for (const r of JSON.parse(execFileSync('ip', [family, '-j', 'route', 'show', 'dev', name, 'proto', '108'], { encoding: 'utf8' }))) {
      out.push(r.dst.includes('/') ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`);
    }
  }
  return out;
}

export function managerCases(test) {
  test('X3 model: NetworkManager on the kernel equals the model after every step (wg set behind its back, routes read with ip route)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-vm-model-'));
    const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: NAME, LANRAGE_ADDRESS: '10.66.0.1', LANRAGE_BACKEND: 'kernel' } });
    const manager = await createNetworkManager(config);
    let runs = 0;
    try {
      await manager.initialize();
      const seed = Number(process.env.LANRAGE_MODEL_SEED ?? Date.now() % 2 ** 31);
      await fc.assert(
        fc.asyncProperty(programArbitrary(fc, { maxSteps: 8 }), async (steps) => {
          runs++;
          await manager.apply({ peers: [] }, { replacePeers: true });
          await runProgram(steps, {
            manager,
            address: '10.66.0.1/16',
            behind: async (k, ips, remove) => {
              execFileSync('wg', ['set', NAME, 'peer', k, ...(remove ? ['remove'] : ['allowed-ips', ips.join(',')])]);
            },
            readPeers: async () => (await manager.getDevice()).peers.map((p) => [p.publicKey.toBase64(), p.allowedIPs]),
            readRoutes: async () => ipRoutes(NAME),
          });
        }),
        { numRuns: 15, seed },
      );
      return { runs, seed };
    } finally {
      await manager.cleanup().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('X3 NetworkManager: 1,000 concurrent adds then 500 concurrent removes, routes exact (ip route); reconcile finds changes made with wg set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-vm-churn-'));
    const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: NAME, LANRAGE_ADDRESS: '10.66.0.1', LANRAGE_BACKEND: 'kernel' } });
    const manager = await createNetworkManager(config);
    try {
      await manager.initialize();
      const keys = Array.from({ length: 1000 }, (_, i) => {
        const b = Buffer.alloc(32, 0x77);
        b.writeUInt16LE(i, 0);
        return b.toString('base64');
      });
      const ip = (i) => `172.18.${i >> 8}.${i & 255}/32`;
      await Promise.all(keys.map((k, i) => manager.addPeer({ publicKey: k, allowedIPs: [ip(i)] })));
      const routes = ipRoutes(NAME);
      if (routes.length !== 1000) throw new Error(`expected 1000 routes, got ${routes.length}`);
      await Promise.all(keys.slice(0, 500).map((k) => manager.removePeer(k)));
      if (ipRoutes(NAME).length !== 500) throw new Error('removes left routes');
      execFileSync('wg', ['set', NAME, 'peer', keys[999], 'remove']);
      execFileSync('wg', ['set', NAME, 'peer', keys[0], 'allowed-ips', '172.19.0.0/16']);
      const r = await manager.reconcile();
      if (JSON.stringify(r.routesAdded) !== JSON.stringify(['172.19.0.0/16']) || JSON.stringify(r.routesRemoved) !== JSON.stringify([ip(999)])) {
        throw new Error(`reconcile: ${JSON.stringify(r)}`);
      }
      return { routesAfterReconcile: ipRoutes(NAME).length };
    } finally {
      await manager.cleanup().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dry run is pure: apply --dry-run of every wg-quick fixture leaves the kernel device and routes as they were, and never probes', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/wgquick');
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-vm-dry-'));
    const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: 'lrdry0', LANRAGE_ADDRESS: '10.66.0.1', LANRAGE_BACKEND: 'kernel' } });
    const manager = await createNetworkManager(config);
    const backend = manager.backend;
    let probes = 0;
    const probe = backend.supportsAllowedIPRemoval.bind(backend);
    backend.supportsAllowedIPRemoval = (name) => {
      probes++;
      return probe(name);
    };
    const snapshot = () =>
      `${execFileSync('wg', ['show', 'lrdry0', 'dump'], { encoding: 'utf8' })}\n${execFileSync('ip', ['route', 'show', 'dev', 'lrdry0'], { encoding: 'utf8' })}`;
    const checked = [];
    try {
      await manager.initialize();
      for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.conf'))) {
        let parsed;
        try {
          parsed = parseWgQuick(readFileSync(join(fixtures, name)));
        } catch (err) {
          if (err.code !== 'CONFIG_PARSE_ERROR') throw err;
          continue; // refused before anything could touch the device (port-twice.conf)
        }
        const desired = desiredFromWgQuick(parsed);
        await manager.apply(desired); // the file for real ...
        const target = parsed.peers.find((p) => p.allowedIPs.length > 0);
        if (target) {
          // ... then an extra allowed IP behind the manager's back, so the plan must remove one:
          // the case that makes a kernel without single-IP removal probe for it.
          execFileSync('wg', ['set', 'lrdry0', 'peer', target.publicKey.toBase64(), 'allowed-ips', [...target.allowedIPs, '10.250.250.0/24'].join(',')]);
        }
        const before = snapshot();
        probes = 0;
        const dry = await manager.apply(desired, { dryRun: true });
        if (snapshot() !== before) throw new Error(`${name}: the dry run changed the device`);
        if (probes !== 0) throw new Error(`${name}: the dry run probed allowed-IP removal`);
        if (dry.applied) throw new Error(`${name}: a dry run reported applied`);
        if (target && dry.plan.update.length === 0) throw new Error(`${name}: the dry run did not plan the removal`);
        checked.push(name);
      }
      if (checked.length < 9) throw new Error(`only ${checked.length} fixtures were checked`);
      return { fixtures: checked.length };
    } finally {
      await manager.cleanup().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
