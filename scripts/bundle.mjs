#!/usr/bin/env node
// Bundles compiled entry files in place (dist/x.js becomes x.js and everything it imports
// relatively), so loading a package reads one file instead of dozens: Node's ESM loader
// resolves, reads and links each file on its own, which was most of lanrage's start-up
// (importing @lanrage/core: ~60-85 ms as 39 files, ~22-30 ms as one; issue 16).
// Packages stay external (bare imports): every @lanrage/* package is loaded once, so classes
// such as Key and LanrageError have one identity across packages.
//
// With --with-deps, third-party dependencies (commander for the CLI: ~25 ms as its own files)
// are bundled too; only @lanrage/* packages and Node's built-ins stay outside.
//
//   node ../../scripts/bundle.mjs [--with-deps] dist/index.js [dist/other.js ...]   (from a package directory)
import { build } from 'esbuild';

const withDeps = process.argv.includes('--with-deps');
const entries = process.argv.slice(2).filter((a) => a !== '--with-deps');
if (entries.length === 0) {
  console.error('usage: bundle.mjs <dist/entry.js>...');
  process.exit(2);
}
for (const entry of entries) {
  await build({
    entryPoints: [entry],
    outfile: entry,
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
