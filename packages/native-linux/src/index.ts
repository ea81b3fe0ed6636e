/**
 * @lanrage/native-linux: kernel WireGuard over generic netlink and rtnetlink from a C++ N-API
 * addon. No subprocess anywhere in this package.
 */
import type { LinkControl } from '@lanrage/core';
import { loadNative } from './load-native.js';
import { RtnlLinks } from './rtnl-links.js';

export { type EncodedConfig, encodeConfig, encodeConfigNow } from './encode-config.js';
export { encodeRawPeerOps, type RawDeviceFields, type RawPeerOp } from './encode-op.js';
export { KernelBackend, type KernelBackendOptions } from './kernel-backend.js';
export { loadNative } from './load-native.js';
export { mapNativeError } from './map-error.js';
export type * from './native.js';
export { RtnlLinks } from './rtnl-links.js';

/**
 * rtnetlink link control for the userspace backend's tun device, or null when the addon
 * cannot load here (the caller then falls back to iproute2).
 */
export async function createLinkControl(): Promise<LinkControl | null> {
  try {
    const mod = loadNative();
    const native = new mod.NativeBackend();
    return new RtnlLinks(() => native);
  } catch {
    return null;
  }
}
