import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LanrageError } from '@lanrage/core';
import { type NativeModule, WIRE_ABI } from './native.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Bumped with every change to the addon's surface, so a stale build is refused, not misused. */
/** The wire format's identity (a hash of src/codec/wire-format.json): an addon built from another layout is refused. */
const ABI_VERSION = WIRE_ABI;

let cached: NativeModule | undefined;

/**
 * Whether this process runs on musl (glibc builds do not load there): its dynamic loader is
 * mapped into the process. Read from /proc/self/maps (well under a millisecond) rather than
 * `process.report`, whose report cost every command ~7 ms; without /proc, the report.
 */
function isMusl(): boolean {
  try {
    return readFileSync('/proc/self/maps', 'latin1').includes('/ld-musl-');
  } catch {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return !report?.header?.glibcVersionRuntime;
  }
}

type Candidate = { path: string; load: () => unknown };

/**
 * The prebuilds shipped in the package, with literal require paths so bundlers can see them.
 * Adding a target means adding a case here and a build in scripts/build-prebuilds.mjs.
 */
function prebuild(): Candidate | string {
  switch (process.arch) {
    case 'x64':
      return { path: join(here, '../prebuilds/linux-x64/lanrage_netlink.node'), load: () => require('../prebuilds/linux-x64/lanrage_netlink.node') };
    case 'arm64':
      return { path: join(here, '../prebuilds/linux-arm64/lanrage_netlink.node'), load: () => require('../prebuilds/linux-arm64/lanrage_netlink.node') };
    default:
      return `prebuilds/linux-${process.arch}: no prebuild for this architecture (x64 and arm64 are built)`;
  }
}

/**
 * Loads the addon: `LANRAGE_NATIVE_PATH`, then a local development build, then the prebuild
 * for this platform, arch and libc. Never touches a .node file off Linux. The error lists what
 * was tried and how to fix it.
 */
export function loadNative(): NativeModule {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new LanrageError('UNSUPPORTED', `the kernel backend is only available on Linux, not ${process.platform}`);
  }
  const tried: string[] = [];
  const node = unsupportedNode();
  if (node) tried.push(node);
  const candidates: Candidate[] = [];
  const explicit = process.env.LANRAGE_NATIVE_PATH;
  if (explicit) candidates.push({ path: explicit, load: () => require(explicit) });
  candidates.push({ path: join(here, '../build/Release/lanrage_netlink.node'), load: () => require('../build/Release/lanrage_netlink.node') });
  if (isMusl()) tried.push(`prebuilds/linuxmusl-${process.arch}: musl libc is not supported yet (only glibc builds are shipped)`);
  else {
    const p = prebuild();
    if (typeof p === 'string') tried.push(p);
    else candidates.push(p);
  }
  for (const c of candidates) {
    if (!existsSync(c.path)) {
      tried.push(`${c.path}: not found`);
      continue;
    }
    try {
      const mod = c.load() as NativeModule;
      if (mod.abiVersion !== ABI_VERSION) throw new Error(`ABI version ${mod.abiVersion}, expected ${ABI_VERSION}`);
      cached = mod;
      return mod;
    } catch (err) {
      tried.push(`${c.path}: ${(err as Error).message}`);
    }
  }
  throw new LanrageError('KERNEL_MODULE_MISSING', `the netlink addon of @lanrage/native-linux could not be loaded; tried:\n  ${tried.join('\n  ')}`, {
    remedy: node
      ? `Use Node.js ${MIN_NODE.join('.')} or newer (what CI proves: 20, 22, 24 and 26), or --backend userspace.`
      : 'Reinstall @lanrage/native-linux for this platform (glibc >= 2.35, x64 or arm64), set LANRAGE_NATIVE_PATH to a built lanrage_netlink.node, or use --backend userspace.',
  });
}

/** The oldest Node.js the packages declare (`engines`), and the Node-API version the addon needs. */
const MIN_NODE = [20, 19] as const;
export const MIN_NAPI = 8; // NAPI_VERSION in CMakeLists.txt (a test keeps them equal)

/** Why this Node.js cannot load the addon, or null when it can. */
export function unsupportedNode(versions: NodeJS.ProcessVersions = process.versions): string | null {
  const [major = 0, minor = 0] = versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    return `Node.js ${versions.node}: older than ${MIN_NODE.join('.')}, the oldest this package supports`;
  }
  if (Number(versions.napi ?? 0) < MIN_NAPI) return `Node.js ${versions.node}: Node-API ${versions.napi ?? '?'} is older than the ${MIN_NAPI} the addon needs`;
  return null;
}
