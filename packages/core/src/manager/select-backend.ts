import { existsSync } from 'node:fs';
import type { WireGuardBackend } from '../backend.js';
import type { LanrageConfig } from '../config/config.js';
import { LanrageError } from '../errors.js';
import type { LinkControl } from '../userspace/link-control.js';
import { UserspaceBackend } from '../userspace/userspace-backend.js';

export interface BackendSelection {
  backend: WireGuardBackend;
  kind: string;
  /** Why this backend was chosen, in words for the user. */
  reason: string;
}

/** The shape of @lanrage/native-linux that core relies on (core cannot depend on it). */
interface NativeLinuxModule {
  KernelBackend: new () => WireGuardBackend;
  createLinkControl?: () => Promise<LinkControl | null>;
}

interface WindowsDriverModule {
  WindowsBackend: new () => WireGuardBackend;
}

/**
 * How to load the backend packages. The default is a plain dynamic import from core, which
 * works when they are installed side by side; a package that depends on them (the CLI)
 * passes loaders so strict layouts (pnpm) resolve them from its own node_modules.
 */
export interface BackendLoaders {
  nativeLinux?: () => Promise<unknown>;
  windowsDriver?: () => Promise<unknown>;
}

export interface SelectBackendOptions {
  platform?: NodeJS.Platform;
  loaders?: BackendLoaders;
}

/**
 * The one place where backend packages are reached, by dynamic import, so `@lanrage/core`
 * has no dependency on them. Returns null when the package is not installed or cannot load.
 */
async function importOptional<T>(specifier: string, loader?: () => Promise<unknown>): Promise<{ module: T } | { error: string }> {
  try {
    return { module: (await (loader ? loader() : import(specifier))) as T };
  } catch (err) {
    return { error: (err as Error)?.message ?? String(err) };
  }
}

function userspace(config: LanrageConfig): UserspaceBackend {
  return new UserspaceBackend({ implementation: config.userspaceImplementation });
}

/** Uses the native addon's rtnetlink for the tun device when it loads; iproute2 otherwise. */
async function withNativeLinks(backend: UserspaceBackend, native: NativeLinuxModule | undefined): Promise<void> {
  const control = await native?.createLinkControl?.().catch(() => null);
  if (control) backend.linkControl = control;
}

/**
 * Chooses the backend for `config.backend` on this platform:
 * - Windows: the tunnel-service backend of @lanrage/windows-driver.
 * - `kernel`: @lanrage/native-linux (KERNEL_MODULE_MISSING when the module or addon is absent).
 * - `userspace`: wireguard-go (or `userspaceImplementation`) over the UAPI.
 * - `auto`: kernel when the `wireguard` generic-netlink family exists, otherwise userspace —
 *   the fallback wg-quick makes with WG_QUICK_USERSPACE_IMPLEMENTATION.
 */
export async function selectBackend(config: LanrageConfig, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    const mod = await importOptional<WindowsDriverModule>('@lanrage/windows-driver', options.loaders?.windowsDriver);
    if ('error' in mod) throw new LanrageError('BACKEND_UNAVAILABLE', `@lanrage/windows-driver cannot be loaded: ${mod.error}`);
    return { backend: new mod.module.WindowsBackend(), kind: 'windows', reason: 'Windows: WireGuard tunnel service (wireguard.exe) and wg.exe' };
  }
  if (platform !== 'linux') {
    if (config.backend === 'kernel') throw new LanrageError('UNSUPPORTED', `the kernel backend is only available on Linux, not ${platform}`);
    return { backend: userspace(config), kind: 'userspace', reason: `${platform}: userspace implementation over the UAPI` };
  }

  const nativeImport =
    config.backend === 'userspace' && !existsSync('/sys/module/wireguard')
      ? undefined
      : await importOptional<NativeLinuxModule>('@lanrage/native-linux', options.loaders?.nativeLinux);
  const native = nativeImport && 'module' in nativeImport ? nativeImport.module : undefined;

  if (config.backend === 'userspace') {
    const backend = userspace(config);
    await withNativeLinks(backend, native);
    return { backend, kind: 'userspace', reason: 'requested (backend: userspace)' };
  }

  let kernelWhyNot: string;
  if (native) {
    const kernel = new native.KernelBackend();
    const availability = await kernel.isAvailable();
    if (availability.available) {
      return {
        backend: kernel,
        kind: 'kernel',
        reason: config.backend === 'kernel' ? 'requested (backend: kernel)' : 'the kernel has the wireguard generic-netlink family',
      };
    }
    kernelWhyNot = availability.reason;
  } else {
    kernelWhyNot = `@lanrage/native-linux cannot be loaded (${nativeImport && 'error' in nativeImport ? nativeImport.error : 'not installed'})`;
  }
  if (config.backend === 'kernel') {
    throw new LanrageError('KERNEL_MODULE_MISSING', `the kernel backend is not available: ${kernelWhyNot}`);
  }
  const backend = userspace(config);
  await withNativeLinks(backend, native);
  const availability = await backend.isAvailable();
  if (!availability.available) {
    throw new LanrageError('BACKEND_UNAVAILABLE', `no WireGuard backend can run here: kernel: ${kernelWhyNot}; userspace: ${availability.reason}`);
  }
  return { backend, kind: 'userspace', reason: `kernel WireGuard is not available (${kernelWhyNot}), so ${backend.implementation} runs in userspace` };
}
