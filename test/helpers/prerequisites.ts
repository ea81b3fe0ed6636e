/**
 * Prerequisites of the suites that prove the most (the VM, namespaces, C++ and fuzzing,
 * packaging, `wg` compatibility), and the one rule for what happens when one is missing:
 *
 * - locally, the suite is skipped and its title says why (fast iteration on a partial machine);
 * - under `CI=true`, or `LANRAGE_REQUIRE_ALL=1` (`scripts/test.sh --require-all`), it is a
 *   failing test that names what is missing and the set-up step that should have provided it.
 *
 * CI can therefore never pass by skipping: a set-up step that silently did nothing turns red.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { vmUnavailableReason } from '../vm/vm.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Prerequisite {
  /** What is needed, e.g. "wg (wireguard-tools)". */
  what: string;
  /** Why it is missing, or null when it is there. */
  missing: string | null;
  /** The set-up step that provides it. */
  install: string;
}

/** Whether a missing prerequisite fails the run instead of skipping (CI=true, or --require-all). */
/** The Prometheus server scripts/setup.sh extracts into .tools/ (never one on PATH: the tests start their own). */
export function prometheusPath(): string {
  return join(repo, '.tools/prometheus');
}

/** promtool on PATH, else the copy scripts/setup.sh extracts into .tools/. */
export function promtoolPath(): string {
  return onPath('promtool') ? 'promtool' : join(repo, '.tools/promtool');
}

export const requireAll = process.env.CI === 'true' || process.env.LANRAGE_REQUIRE_ALL === '1';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function tool(cmd: string, pkg: string): Prerequisite {
  return {
    what: `${cmd} (${pkg})`,
    missing: onPath(cmd) ? null : `${cmd} is not on PATH`,
    install: `scripts/setup.sh installs the Debian package ${pkg} (run it as root)`,
  };
}

/**
 * The newest clang++ on PATH (`clang++`, else `clang++-N`), for libFuzzer: whichever the
 * machine has, not one version written into the tests.
 */
export function findClang(): { cxx: string; version: number } | null {
  for (let v = 30; v >= 11; v--) if (onPath(`clang++-${v}`)) return { cxx: `clang++-${v}`, version: v };
  if (!onPath('clang++')) return null;
  const m = /clang version (\d+)/.exec(execFileSync('clang++', ['--version'], { encoding: 'utf8' }));
  return { cxx: 'clang++', version: m ? Number(m[1]) : 0 };
}

function file(what: string, path: string, install: string): Prerequisite {
  return { what, missing: existsSync(path) ? null : `${path} does not exist`, install };
}

function condition(what: string, ok: boolean, why: string, install: string): Prerequisite {
  return { what, missing: ok ? null : why, install };
}

const isRoot = process.getuid?.() === 0;
const linux = process.platform === 'linux';

/** Every prerequisite by name: one place, so a message always names the same step. */
export const prerequisites = {
  wg: () => tool('wg', 'wireguard-tools'),
  bash: () => tool('bash', 'bash'),
  zsh: () => tool('zsh', 'zsh'),
  fish: () => tool('fish', 'fish'),
  systemdAnalyze: () => tool('systemd-analyze', 'systemd'),
  root: () => condition('root', isRoot, 'not running as root', 'run the tests as root (network namespaces, TUN devices, the VM kernel image)'),
  linux: () => condition('Linux', linux, `this is ${process.platform}`, 'these tests need Linux'),
  tun: () => file('/dev/net/tun', '/dev/net/tun', 'load the tun module (modprobe tun) or give the container /dev/net/tun'),
  wireguardGo: () => tool('wireguard-go', 'wireguard-go'),
  ip: () => tool('ip', 'iproute2'),
  gtest: () => file('GoogleTest headers', '/usr/include/gtest/gtest.h', 'scripts/setup.sh installs the Debian package libgtest-dev'),
  cmake: () => tool('cmake', 'cmake'),
  clang: () =>
    condition('clang++ (any version)', findClang() !== null, 'no clang++ or clang++-N on PATH', 'scripts/setup.sh installs the Debian package clang-14'),
  clangRuntime: () => {
    const v = findClang()?.version;
    return file(
      'the clang runtime (libFuzzer)',
      v ? `/usr/lib/llvm-${v}/lib/clang` : '/usr/lib/llvm-N/lib/clang',
      'scripts/setup.sh installs libfuzzer-14-dev and libclang-rt-14-dev',
    );
  },
  qemuUser: () => tool('qemu-aarch64-static', 'qemu-user-static'),
  aarch64Sysroot: () => file('the aarch64 sysroot', '/usr/aarch64-linux-gnu/lib', 'scripts/setup.sh installs g++-aarch64-linux-gnu'),
  vm: (): Prerequisite => {
    const reason = process.env.LANRAGE_SKIP_VM === '1' ? 'LANRAGE_SKIP_VM=1 turns the VM suite off' : vmUnavailableReason();
    return {
      what: 'the WireGuard VM (qemu and a kernel with the wireguard module)',
      missing: reason,
      install: 'scripts/setup.sh installs qemu-system-x86, busybox-static, cpio, xz-utils and linux-image-amd64',
    };
  },
  addon: () =>
    file(
      'the built netlink addon',
      join(repo, 'packages/native-linux/build/Release/lanrage_netlink.node'),
      'the build (pnpm run build) compiles it; scripts/setup.sh runs the build',
    ),
  prebuilds: (): Prerequisite => {
    const paths = ['x64', 'arm64'].map((a) => join(repo, `packages/native-linux/prebuilds/linux-${a}/lanrage_netlink.node`));
    const absent = paths.filter((p) => !existsSync(p));
    return {
      what: 'the linux-x64 and linux-arm64 prebuilds',
      missing: absent.length === 0 ? null : `${absent.join(', ')} missing`,
      install: 'scripts/test.sh builds them (pnpm --filter @lanrage/native-linux run build:prebuilds)',
    };
  },
  promtool: (): Prerequisite => {
    const local = join(repo, '.tools/promtool');
    const found = onPath('promtool') || existsSync(local);
    return {
      what: 'promtool',
      missing: found ? null : `promtool is neither on PATH nor at ${local}`,
      install: "scripts/setup.sh extracts it from Debian's prometheus package into .tools/",
    };
  },
  prometheus: (): Prerequisite => {
    const local = join(repo, '.tools/prometheus');
    return {
      what: 'prometheus',
      missing: existsSync(local) ? null : `${local} is missing`,
      install: "scripts/setup.sh extracts it from Debian's prometheus package into .tools/",
    };
  },
  linuxX64: () =>
    condition('linux-x64', linux && process.arch === 'x64', `this is ${process.platform}-${process.arch}`, 'these tests install the linux-x64 prebuild'),
} satisfies Record<string, () => Prerequisite>;

/** What `run` gets: either nothing is missing, or the missing ones and the message that names them. */
function check(needs: Prerequisite[]): { missing: Prerequisite[]; message: string } {
  const missing = needs.filter((p) => p.missing !== null);
  const message = missing.map((p) => `missing prerequisite: ${p.what} (${p.missing}); ${p.install}`).join('\n');
  return { missing, message };
}

/** The failure that stands in for a suite that cannot run under CI / --require-all. */
function failing(message: string): () => never {
  return () => {
    throw new Error(`${message}\n(CI=true or --require-all: a suite that cannot run fails; it is never skipped)`);
  };
}

/**
 * `describe` for a suite with prerequisites: runs when they hold; otherwise skipped with the
 * reason in its title, or (CI / --require-all) replaced by one failing test naming them.
 */
export function describeWith(title: string, needs: Prerequisite[], body: () => void): void {
  const { missing, message } = check(needs);
  if (missing.length === 0) describe(title, body);
  else if (requireAll) describe(title, () => it('has its prerequisites', failing(message)));
  else describe.skip(`${title} (skipped: ${missing.map((p) => p.what).join(', ')})`, body);
}

/** `it` with prerequisites, by the same rule as describeWith. */
export function itWith(title: string, needs: Prerequisite[], fn: () => unknown, timeout?: number): void {
  const { missing, message } = check(needs);
  if (missing.length === 0) it(title, fn, timeout);
  else if (requireAll) it(`${title} (prerequisites)`, failing(message));
  else it.skip(`${title} (skipped: ${missing.map((p) => p.what).join(', ')})`, fn);
}
