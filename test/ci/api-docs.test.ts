// The API reference is generated from the doc comments by the build (TypeDoc, `typedoc.json`):
// what an embedder reads for the contract must be there, from the same comments as the code.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const api = join(dirname(fileURLToPath(import.meta.url)), '../../docs/api');
const page = (p: string) =>
  readFileSync(join(api, p), 'utf8')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('the API reference (TypeDoc, built by `pnpm run build`)', () => {
  it('documents the library entry and the backend contract from their doc comments', () => {
    expect(existsSync(join(api, 'index.html')), 'docs/api is missing: run pnpm run build').toBe(true);
    const manager = page('classes/lanrage.NetworkManager.html');
    for (const m of ['addPeer', 'updatePeer', 'removePeer', 'apply', 'reconcile', 'cleanup']) expect(manager).toContain(m);
    expect(manager).toContain('Trusts the index (no device read)');
    const contract = page('interfaces/lanrage.WireGuardBackend.html');
    expect(contract).toContain('setDevice');
    expect(contract).toContain('normalised form');
    expect(page('functions/lanrage.createNetworkManager.html')).toContain('picks the backend');
    expect(existsSync(join(api, 'classes/_lanrage_core_testing.MemoryBackend.html'))).toBe(true);
  });
});
