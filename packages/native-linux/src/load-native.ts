import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LanrageError } from '@lanrage/core';
import type { NativeModule } from './native.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let cached: NativeModule | undefined;

/** musl is detected from the process report (glibc builds do not load there). */
function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/**
 * Loads the addon: `LANRAGE_NATIVE_PATH`, then a local development build, then the prebuild
 * for this platform and arch. Never touches a .node file off Linux. The error lists what was
 * tried and how to fix it.
 */
export function loadNative(): NativeModule {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new LanrageError('UNSUPPORTED', `the kernel backend is only available on Linux, not ${process.platform}`);
  }
  const tried: string[] = [];
  const candidates: string[] = [];
  if (process.env.LANRAGE_NATIVE_PATH) candidates.push(process.env.LANRAGE_NATIVE_PATH);
  candidates.push(join(here, '../build/Release/lanrage_netlink.node'));
  if (isMusl()) {
    tried.push(`prebuilds/linuxmusl-${process.arch}: musl is not supported yet`);
  } else {
    candidates.push(join(here, `../prebuilds/linux-${process.arch}/lanrage_netlink.node`));
  }
  for (const path of candidates) {
    if (!existsSync(path)) {
      tried.push(`${path}: not found`);
      continue;
    }
    try {
      const mod = require(path) as NativeModule;
      if (mod.abiVersion !== 1) throw new Error(`ABI version ${mod.abiVersion}, expected 1`);
      cached = mod;
      return mod;
    } catch (err) {
      tried.push(`${path}: ${(err as Error).message}`);
    }
  }
  throw new LanrageError('KERNEL_MODULE_MISSING', `the netlink addon of @lanrage/native-linux could not be loaded; tried:\n  ${tried.join('\n  ')}`, {
    remedy:
      'Reinstall @lanrage/native-linux for this platform, build it (pnpm --filter @lanrage/native-linux build:native), set LANRAGE_NATIVE_PATH, or use --backend userspace.',
  });
}
