// From the package's own entry (one bundled file in dist), as memory-backend.ts does: the Key
// class that validates here must be the one callers' keys come from.
import { type DeviceConfig, prepareDeviceConfig, type WireGuardBackend } from '../internal.js';

/**
 * Validates a plain config at this edge (prepareDeviceConfig: keys, prefixes, host names) and
 * sends it: what a test or a tool driving a backend directly does, as the backend contract
 * asks. Invalid input rejects (never throws synchronously) and sends nothing.
 */
export async function setDeviceConfig(backend: WireGuardBackend, name: string, config: DeviceConfig): Promise<void> {
  await backend.setDevice(name, await prepareDeviceConfig(config));
}
