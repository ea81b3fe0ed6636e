// A narrow public surface (issue 19): `@lanrage/core` exports what applications use; backend
// authors, lanrage's command line and tests each have a subpath. Every entry re-exports from
// one bundle (dist/internal.js), so a class reached through two entries is one class.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@lanrage/core';
import * as backend from '@lanrage/core/backend';
import * as platform from '@lanrage/core/platform';
import * as testing from '@lanrage/core/testing';
import * as lanrage from 'lanrage';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '../../packages/core');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> };

/** The relative modules a built file imports (`from './x.js'`, `import('./y.js')`). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s*|import\s*\(\s*)["'](\.[^"']+)["']/g)].map((m) => m[1] as string);
}

describe('@lanrage/core entries', () => {
  it('every entry loads only the one bundle (directly or through its own small modules)', () => {
    const entries = Object.entries(pkg.exports).filter(([k]) => k !== './package.json');
    expect(entries.map(([k]) => k).sort()).toEqual(['.', './backend', './platform', './testing']);
    for (const [name, target] of entries) {
      const file = join(pkgDir, typeof target === 'string' ? target : target.default);
      // The testing entry is two modules of its own (MemoryBackend, setDeviceConfig) over the bundle.
      const seen = new Set<string>();
      const visit = (f: string) => {
        for (const spec of relativeImports(f)) {
          const next = join(dirname(f), spec);
          if (next === join(pkgDir, 'dist/internal.js') || seen.has(next)) continue;
          expect(next.startsWith(join(pkgDir, 'dist/testing/')), `${name} imports ${spec} from ${f}`).toBe(true);
          seen.add(next);
          visit(next);
        }
      };
      visit(file);
    }
  });

  it('a class reached through two entries is one class', async () => {
    expect(lanrage.LanrageError).toBe(core.LanrageError);
    const err = new core.LanrageError('TIMEOUT', 'x');
    expect(backend.fromSystemError(err, 'y')).toBe(err);
    const device = new testing.MemoryBackend();
    expect(device.capabilities).toBeDefined();
    // a directory is not a regular file: the platform entry throws the main entry's class
    const notAFile = await platform.readRegularFile('/', { maxBytes: 16, code: 'INVALID_CONFIG', what: 'a test file' }).catch((e: unknown) => e);
    expect(notAFile).toBeInstanceOf(core.LanrageError);
    const key = core.generateKeyPair().publicKey;
    expect(backend.normalizePeer({ publicKey: key, allowedIPs: ['10.0.0.1/32'] }).publicKey).toBeInstanceOf(core.Key);
  });

  it('the main entry keeps internals out (parsers, planners, queues, normalised forms, file helpers)', () => {
    const internals = [
      'UapiGetParser',
      'UapiSetParser',
      'encodeSet',
      'UapiConnection',
      'PeerIndex',
      'planApply',
      'applyDesired',
      'KeyedQueue',
      'TimeSlicer',
      'PeerCoalescer',
      'normalizeDeviceConfig',
      'prepareDeviceConfig',
      'linkBackendCapabilities',
      'acquireInterfaceLock',
      'replaceFileAtomically',
      'processAlive',
      'systemPing',
    ];
    for (const name of internals) {
      expect(Object.keys(core), name).not.toContain(name);
      expect(Object.keys(lanrage), name).not.toContain(name);
    }
    // What an application uses is there.
    for (const name of ['NetworkManager', 'loadConfig', 'LanrageError', 'Key', 'UserspaceBackend', 'PeerWatcher', 'parseWgQuick']) {
      expect(Object.keys(core)).toContain(name);
    }
    expect(Object.keys(core).length).toBeLessThanOrEqual(50);
  });
});
