/**
 * @lanrage/native-linux: kernel WireGuard over generic netlink and rtnetlink from a C++ N-API
 * addon. No subprocess anywhere in this package.
 */
import type { LinkControl } from '@lanrage/core/backend';
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
    // No busy-poll: a route change here is followed by a wait on the userspace implementation,
    // not by another call, and spinning would take a core from wireguard-go (measured: the
    // manager's add+remove rate with routes rose from 0.41-0.45x to 0.5-0.55x of the UAPI rate).
    const native = new mod.NativeBackend(0);
    return new RtnlLinks(() => native);
  } catch {
    return null;
  }
}
