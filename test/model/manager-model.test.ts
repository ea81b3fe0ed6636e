import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, NetworkManager } from '@lanrage/core';
import { MemoryBackend, setDeviceConfig } from '@lanrage/core/testing';
import fc from 'fast-check';
import { describe, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { programArbitrary, runProgram } from '../helpers/manager-model.mjs';

// NetworkManager on MemoryBackend (the kernel's semantics, routes modelled) against the model;
// the same programs run on the real kernel in the VM (test/vm/manager-cases.mjs).
describe('NetworkManager against a model (MemoryBackend)', () => {
  it('device and routes equal the model after every step of random sequences (seed printed on failure)', async () => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(fc), async (steps: unknown) => {
        const dir = await mkdtemp(join(tmpdir(), 'lanrage-model-'));
        try {
          const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_ADDRESS: '10.66.0.1' } });
          const backend = new MemoryBackend();
          const manager = new NetworkManager(config, { backend });
          await manager.initialize();
          await runProgram(steps, {
            manager,
            address: '10.66.0.1/16',
            behind: (k: string, ips: string[], remove: boolean) =>
              setDeviceConfig(backend, 'lanrage0', { peers: [remove ? { publicKey: k, remove: true } : { publicKey: k, allowedIPs: ips }] }),
            readPeers: async () => (await backend.getDevice('lanrage0')).peers.map((p) => [p.publicKey.toBase64(), p.allowedIPs]),
            readRoutes: () => backend.getRoutes('lanrage0'),
          });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
