/**
 * @lanrage/native-linux: the kernel WireGuard backend (generic netlink + rtnetlink from a C++
 * N-API addon). The addon is not built yet; `KernelBackend.isAvailable()` says so, and
 * backend selection falls back to the userspace backend.
 */
import type { Availability, DeviceConfig, DeviceStatus, WireGuardBackend } from '@lanrage/core';
import { LanrageError } from '@lanrage/core';

function missing(): never {
  throw new LanrageError('KERNEL_MODULE_MISSING', 'the native netlink addon of @lanrage/native-linux is not built in this version', {
    remedy: 'Use the userspace backend (--backend userspace).',
  });
}

export class KernelBackend implements WireGuardBackend {
  readonly kind = 'kernel';
  async isAvailable(): Promise<Availability> {
    return { available: false, reason: 'the native netlink addon is not built in this version of @lanrage/native-linux' };
  }
  async listDevices(): Promise<string[]> {
    return missing();
  }
  async createInterface(_name: string): Promise<void> {
    missing();
  }
  async deleteInterface(_name: string): Promise<void> {
    missing();
  }
  async getDevice(_name: string): Promise<DeviceStatus> {
    return missing();
  }
  async setDevice(_name: string, _config: DeviceConfig): Promise<void> {
    missing();
  }
  async setAddresses(_name: string, _cidrs: string[]): Promise<void> {
    missing();
  }
  async setMtu(_name: string, _mtu: number): Promise<void> {
    missing();
  }
  async setUp(_name: string, _up: boolean): Promise<void> {
    missing();
  }
}
