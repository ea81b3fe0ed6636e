#!/usr/bin/env node
// Builds the shipped binaries: prebuilds/linux-x64 and prebuilds/linux-arm64 (cross-compiled
// with Debian's aarch64-linux-gnu toolchain), stripped, libstdc++/libgcc static, then checks
// each one: right ELF machine, no GLIBCXX_/CXXABI_ symbol, and no GLIBC_ symbol version above
// the floor declared in package.json `config.glibc`. Exits non-zero on any failure.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const floor = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).config.glibc;
const cmakeJs = join(pkgDir, 'node_modules/.bin/cmake-js');

const targets = [
  { arch: 'x64', machine: 'Advanced Micro Devices X86-64', strip: 'strip', objdump: 'objdump', args: [] },
  {
    arch: 'arm64',
    machine: 'AArch64',
    strip: 'aarch64-linux-gnu-strip',
    objdump: 'aarch64-linux-gnu-objdump',
    args: ['--arch', 'arm64', `--CDCMAKE_TOOLCHAIN_FILE=${join(pkgDir, 'cmake/aarch64-linux-gnu.cmake')}`],
  },
];

const cmp = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

const report = {};
let failed = false;
for (const t of targets) {
  const out = join(pkgDir, `build-prebuild-${t.arch}`);
  execFileSync(cmakeJs, ['compile', '--out', out, ...t.args], { cwd: pkgDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const dest = join(pkgDir, 'prebuilds', `linux-${t.arch}`, 'lanrage_netlink.node');
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(join(out, 'Release/lanrage_netlink.node'), dest);
  execFileSync(t.strip, ['--strip-unneeded', dest]);
  const header = execFileSync('readelf', ['-h', dest], { encoding: 'utf8' });
  const symbols = execFileSync(t.objdump, ['-T', dest], { encoding: 'utf8' });
  const versions = [...new Set([...symbols.matchAll(/GLIBC_([0-9.]+)/g)].map((m) => m[1]))].sort(cmp);
  const highest = versions.at(-1) ?? '0';
  const cxx = symbols.split('\n').filter((l) => /GLIBCXX_|CXXABI_/.test(l));
  const problems = [];
  if (!header.includes(`Machine:                           ${t.machine}`)) problems.push(`not a ${t.machine} ELF`);
  if (cmp(highest, floor) > 0)
    problems.push(
      `needs GLIBC_${highest}, above the declared floor ${floor}: ${symbols
        .split('\n')
        .filter((l) => l.includes(`GLIBC_${highest}`))
        .join('; ')}`,
    );
  if (cxx.length > 0) problems.push(`links libstdc++ dynamically: ${cxx.slice(0, 3).join('; ')}`);
  report[t.arch] = { path: dest, highestGlibc: highest, floor, problems };
  if (problems.length) failed = true;
}
console.log(JSON.stringify(report, null, 2));
if (failed) {
  console.error('prebuild check failed');
  process.exit(1);
}
