import { loadConfig, type WireGuardBackend } from '@lanrage/core';
import { WindowsBackend } from '@lanrage/windows-driver';
import { describe, expect, it } from 'vitest';
import { createNetworkManager } from './create-manager.js';
import { selectBackend } from './select-backend.js';

const config = await loadConfig({ env: { LANRAGE_CONFIG_DIR: '/tmp/lanrage-select-test' } });

class FakeKernel {
  readonly kind = 'kernel';
  static available = true;
  async isAvailable() {
    return FakeKernel.available
      ? { available: true, reason: 'family present' }
      : { available: false, reason: 'the wireguard generic netlink family is missing (modprobe wireguard)' };
  }
}
const fakeNative = (links: boolean) => async () => ({
  KernelBackend: FakeKernel as unknown as new () => WireGuardBackend,
  createLinkControl: async () => (links ? ({ kind: 'rtnetlink' } as never) : null),
});

describe('selectBackend (the lanrage package picks the backend; core names none)', () => {
  it('win32: the tunnel-service backend of @lanrage/windows-driver', async () => {
    const s = await selectBackend(config, { platform: 'win32' });
    expect(s.kind).toBe('windows');
    expect(s.backend).toBeInstanceOf(WindowsBackend);
    expect(s.linkControl).toBe('windows');
  });

  it('linux, auto: kernel when the family exists, with rtnetlink', async () => {
    FakeKernel.available = true;
    const s = await selectBackend(config, { platform: 'linux', load: { nativeLinux: fakeNative(true) } });
    expect(s).toMatchObject({ kind: 'kernel', linkControl: 'rtnetlink', reason: 'the kernel has the wireguard generic-netlink family' });
  });

  it('linux, auto, no module: userspace with the addon rtnetlink for its tun device, and why', async () => {
    FakeKernel.available = false;
    const s = await selectBackend({ ...config, userspaceImplementation: 'sh' }, { platform: 'linux', load: { nativeLinux: fakeNative(true) } });
    expect(s.kind).toBe('userspace');
    expect(s.linkControl).toBe('rtnetlink');
    expect(s.reason).toMatch(/modprobe wireguard.*runs in userspace; addresses and routes over rtnetlink/);
  });

  it('linux, the addon does not load: userspace with iproute2, and the loader error in the reason', async () => {
    const s = await selectBackend(
      { ...config, backend: 'userspace' },
      {
        platform: 'linux',
        load: {
          nativeLinux: async () => {
            throw new Error('no prebuild for linux-riscv64');
          },
        },
      },
    );
    expect(s).toMatchObject({ kind: 'userspace', linkControl: 'iproute2' });
    expect(s.reason).toContain('no prebuild for linux-riscv64');
  });

  it('kernel requested but unavailable: KERNEL_MODULE_MISSING', async () => {
    FakeKernel.available = false;
    await expect(selectBackend({ ...config, backend: 'kernel' }, { platform: 'linux', load: { nativeLinux: fakeNative(true) } })).rejects.toMatchObject({
      code: 'KERNEL_MODULE_MISSING',
    });
  });

  it('createNetworkManager carries the choice on backendSelection', async () => {
    FakeKernel.available = true;
    const m = await createNetworkManager(config, { platform: 'linux', load: { nativeLinux: fakeNative(true) } });
    expect(m.backendSelection).toMatchObject({ kind: 'kernel', linkControl: 'rtnetlink' });
  });
});
