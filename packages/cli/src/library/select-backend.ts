import { type BackendSelection, type LanrageConfig, LanrageError, type Logger, UserspaceBackend, type WireGuardBackend } from '@lanrage/core';
import type { LinkControl } from '@lanrage/core/backend';

/** A backend chosen for this platform, why, and what changes its addresses and routes. */
export type Selection = BackendSelection & { linkControl: string };

export interface SelectBackendOptions {
  platform?: NodeJS.Platform;
  /** Given to the backend it builds: the manager's Logger, so both log to one place. */
  logger?: Logger;
  /** Replaces how the backend packages are loaded (tests: a missing or failing addon). */
  load?: { nativeLinux?: () => Promise<NativeLinuxModule>; windowsDriver?: () => Promise<WindowsDriverModule> };
}

/** The parts of @lanrage/native-linux used here. */
interface NativeLinuxModule {
  KernelBackend: new (options?: { logger?: Logger }) => WireGuardBackend;
  createLinkControl(): Promise<LinkControl | null>;
}

interface WindowsDriverModule {
  WindowsBackend: new (options?: { logger?: Logger }) => WireGuardBackend;
}

/** The backend's share of the options: the logger, when there is one. */
function logged(options: SelectBackendOptions): { logger?: Logger } {
  return options.logger ? { logger: options.logger } : {};
}

/**
 * Loaded on demand: `lanrage --version` and Windows never load the addon. Imported from this
 * package, which depends on both backend packages, so strict layouts (pnpm) resolve them.
 */
async function tryLoad<T>(load: () => Promise<T>): Promise<{ module: T } | { error: string }> {
  try {
    return { module: await load() };
  } catch (err) {
    return { error: (err as Error)?.message ?? String(err) };
  }
}

/** The native addon's rtnetlink for the tun device when it loads; iproute2 otherwise (and why). */
async function userspace(
  options: SelectBackendOptions,
  config: LanrageConfig,
  native: NativeLinuxModule | undefined,
  whyNoNative: string | undefined,
): Promise<{ backend: UserspaceBackend; linkControl: string; linkWhy: string }> {
  const backend = new UserspaceBackend({
    ...logged(options),
    implementation: config.userspaceImplementation,
    timeoutMs: config.timeout * 1000,
    startTimeoutMs: config.timeout * 1000,
  });
  const control = await native?.createLinkControl().catch(() => null);
  if (control) {
    backend.linkControl = control;
    return { backend, linkControl: control.kind, linkWhy: 'addresses and routes over rtnetlink' };
  }
  return { backend, linkControl: backend.linkControl.kind, linkWhy: `addresses and routes with iproute2 (the native addon: ${whyNoNative ?? 'no rtnetlink'})` };
}

/**
 * Chooses the backend for `config.backend` on this platform, and says why:
 * - Windows: the tunnel-service backend of @lanrage/windows-driver.
 * - `kernel`: @lanrage/native-linux (KERNEL_MODULE_MISSING when the module or addon is absent).
 * - `userspace`: wireguard-go (or `userspaceImplementation`) over the UAPI, with the addon's
 *   rtnetlink for its tun device when the addon loads, else iproute2.
 * - `auto`: kernel when the `wireguard` generic-netlink family exists, otherwise userspace —
 *   the fallback wg-quick makes with WG_QUICK_USERSPACE_IMPLEMENTATION.
 */
export async function selectBackend(config: LanrageConfig, options: SelectBackendOptions = {}): Promise<Selection> {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    const mod = await tryLoad(options.load?.windowsDriver ?? (() => import('@lanrage/windows-driver')));
    if ('error' in mod) throw new LanrageError('BACKEND_UNAVAILABLE', `@lanrage/windows-driver cannot be loaded: ${mod.error}`);
    const backend = new mod.module.WindowsBackend(logged(options));
    return { backend, kind: backend.kind, linkControl: 'windows', reason: 'Windows: WireGuard tunnel service (wireguard.exe) and wg.exe' };
  }
  if (platform !== 'linux') {
    if (config.backend === 'kernel') throw new LanrageError('UNSUPPORTED', `the kernel backend is only available on Linux, not ${platform}`);
    const u = await userspace(options, config, undefined, `not used on ${platform}`);
    return { backend: u.backend, kind: 'userspace', linkControl: u.linkControl, reason: `${platform}: userspace implementation over the UAPI` };
  }

  const imported = await tryLoad(options.load?.nativeLinux ?? (() => import('@lanrage/native-linux')));
  const native = 'module' in imported ? imported.module : undefined;
  const nativeWhyNot = 'error' in imported ? `cannot be loaded: ${imported.error}` : undefined;

  if (config.backend === 'userspace') {
    const u = await userspace(options, config, native, nativeWhyNot);
    return { backend: u.backend, kind: 'userspace', linkControl: u.linkControl, reason: `requested (backend: userspace); ${u.linkWhy}` };
  }

  let kernelWhyNot: string;
  if (native) {
    const kernel = new native.KernelBackend(logged(options));
    const availability = await kernel.isAvailable();
    if (availability.available) {
      return {
        backend: kernel,
        kind: 'kernel',
        linkControl: 'rtnetlink',
        reason: config.backend === 'kernel' ? 'requested (backend: kernel)' : 'the kernel has the wireguard generic-netlink family',
      };
    }
    kernelWhyNot = availability.reason;
  } else {
    kernelWhyNot = `@lanrage/native-linux ${nativeWhyNot}`;
  }
  if (config.backend === 'kernel') {
    throw new LanrageError('KERNEL_MODULE_MISSING', `the kernel backend is not available: ${kernelWhyNot}`);
  }
  const u = await userspace(options, config, native, nativeWhyNot);
  const availability = await u.backend.isAvailable();
  if (!availability.available) {
    throw new LanrageError('BACKEND_UNAVAILABLE', `no WireGuard backend can run here: kernel: ${kernelWhyNot}; userspace: ${availability.reason}`);
  }
  return {
    backend: u.backend,
    kind: 'userspace',
    linkControl: u.linkControl,
    reason: `kernel WireGuard is not available (${kernelWhyNot}), so ${u.backend.implementation} runs in userspace; ${u.linkWhy}`,
  };
}
