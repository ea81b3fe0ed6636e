#!/usr/bin/env node
// Bundles a package's entry from its TypeScript sources into one file in dist (dist/x.js, which
// tsc also emits, is replaced; tsc's declarations and other files stay), so loading a package
// reads one file instead of dozens: Node's ESM loader resolves, reads and links each file on
// its own, which was most of lanrage's start-up (importing @lanrage/core: ~60-85 ms as 39 files,
// ~22-30 ms as one; issue 16). Built from src every time, never from dist: tsc -b does not
// re-emit an unchanged entry, so a bundle made from dist/x.js would bundle itself, stale.
// Packages stay external (bare imports): every @lanrage/* package is loaded once, so classes
// such as Key and LanrageError have one identity across packages.
// With --with-deps, third-party dependencies (commander for the CLI: ~25 ms as its own files)
// are bundled too; only @lanrage/* packages and Node's built-ins stay outside. With --split,
// each dynamic import() becomes a chunk of its own (dist/chunks/), loaded only when reached:
// the CLI's commands, so one command never parses the others or their Node.js modules.
//
//   node ../../scripts/bundle.mjs [--with-deps] [--split] src/index.ts:dist/index.js ...   (from a package directory)
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';

const withDeps = process.argv.includes('--with-deps');
const split = process.argv.includes('--split');
const entries = process.argv.slice(2).filter((a) => a !== '--with-deps' && a !== '--split');
if (entries.length === 0) {
  console.error('usage: bundle.mjs [--with-deps] <src/entry.ts>:<dist/entry.js>...');
  process.exit(2);
}
for (const pair of entries) {
  const [from, to] = pair.split(':');
  if (!from?.endsWith('.ts') || !to?.endsWith('.js')) throw new Error(`expected src/x.ts:dist/x.js, got ${pair}`);
  if (split) await rm(join(dirname(to), 'chunks'), { recursive: true, force: true }); // no chunk of an older build survives
  await build({
    entryPoints: [from],
    ...(split ? { outdir: dirname(to), entryNames: basename(to, '.js'), chunkNames: 'chunks/[name]-[hash]', splitting: true } : { outfile: to }),
    allowOverwrite: true,
    bundle: true,
    ...(withDeps
      ? {
          external: ['@lanrage/*'],
          // CommonJS dependencies require() Node's built-ins: give the ES module a require.
          banner: { js: "import { createRequire as __lanrageRequire } from 'node:module'; const require = __lanrageRequire(import.meta.url);" },
        }
      : { packages: 'external' }),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
}
