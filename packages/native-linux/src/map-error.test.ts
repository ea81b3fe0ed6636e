// L10: the addon's errno codes become typed errors a caller can act on.
import { LanrageError } from '@lanrage/core';
import { describe, expect, it } from 'vitest';
import { mapNativeError } from './map-error.js';

const native = (code: string, errno: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${code.toLowerCase()} from the kernel`), { code, errno, syscall: 'sendmsg', ...extra });

describe('mapNativeError', () => {
  it.each([
    ['EPERM', 1, 'PERMISSION_DENIED'],
    ['EACCES', 13, 'PERMISSION_DENIED'],
    ['EOPNOTSUPP', 95, 'UNSUPPORTED'],
    ['EPFNOSUPPORT', 96, 'UNSUPPORTED'],
    ['EAFNOSUPPORT', 97, 'UNSUPPORTED'],
    ['ENODEV', 19, 'INTERFACE_NOT_FOUND'],
    ['EAGAIN', 11, 'DUMP_INCONSISTENT'],
    ['EIO', 5, 'IO_ERROR'],
  ])('L10 %s is %s, with errno, syscall and the kernel’s extended ack kept', (code, errno, want) => {
    const e = mapNativeError(native(code, errno, { extack: 'unknown flag' }), 'setting wg0');
    expect(e).toBeInstanceOf(LanrageError);
    expect(e.code).toBe(want);
    expect(e.errno).toBe(errno);
    expect(e.syscall).toBe('sendmsg');
    expect(e.extack).toBe('unknown flag');
    expect(e.message).toBe(`setting wg0: ${code.toLowerCase()} from the kernel`);
    if (want === 'PERMISSION_DENIED') expect(e.remedy).toMatch(/CAP_NET_ADMIN/);
  });

  it('a missing generic-netlink family (ENOENT on the family lookup) is KERNEL_MODULE_MISSING; elsewhere ENOENT is an I/O error', () => {
    expect(mapNativeError(native('ENOENT', 2), 'resolving wireguard', { genl: true }).code).toBe('KERNEL_MODULE_MISSING');
    expect(mapNativeError(native('ENOENT', 2), 'reading wg0').code).toBe('IO_ERROR');
  });

  it('something that is not an addon error is INTERNAL, and a LanrageError passes through', () => {
    expect(mapNativeError(new TypeError('bad'), 'x').code).toBe('INTERNAL');
    const own = new LanrageError('TIMEOUT', 'late');
    expect(mapNativeError(own, 'x')).toBe(own);
  });
});
