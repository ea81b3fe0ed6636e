import { LanrageError, type LanrageErrorCode } from '@lanrage/core';
import type { NativeError } from './native.js';

const BY_CODE: Record<string, LanrageErrorCode> = {
  EPERM: 'PERMISSION_DENIED',
  EACCES: 'PERMISSION_DENIED',
  ENODEV: 'INTERFACE_NOT_FOUND',
  EEXIST: 'INTERFACE_EXISTS',
  EADDRINUSE: 'PORT_IN_USE',
  EOPNOTSUPP: 'UNSUPPORTED',
  EPFNOSUPPORT: 'UNSUPPORTED',
  EAFNOSUPPORT: 'UNSUPPORTED',
  EAGAIN: 'DUMP_INCONSISTENT',
  EOVERFLOW: 'DUMP_STALLED',
  ETIMEDOUT: 'TIMEOUT',
  EINVAL: 'INVALID_ARGUMENT',
  ERANGE: 'INVALID_ARGUMENT',
  EMSGSIZE: 'INVALID_ARGUMENT',
  EPROTO: 'PROTOCOL_ERROR',
};

/** Maps an addon error (code, errno, syscall, extack) to a LanrageError; `genl` marks a family lookup. */
export function mapNativeError(err: unknown, context: string, opts: { genl?: boolean } = {}): LanrageError {
  if (err instanceof LanrageError) return err;
  const e = err as Partial<NativeError>;
  // The addon refuses a name its fixed-size buffers cannot take (N4): the one check the kernel
  // backend makes, since its callers pass names validated at the API edge. The name is not echoed.
  if (e?.code === 'INVALID_INTERFACE_NAME') {
    return new LanrageError('INVALID_INTERFACE_NAME', 'not a valid interface name: 1-15 bytes of letters, digits, _ = + . and -, not starting with -', {
      cause: err,
    });
  }
  if (typeof e?.code !== 'string' || typeof e.errno !== 'number') {
    return new LanrageError('INTERNAL', `${context}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  let code: LanrageErrorCode = BY_CODE[e.code] ?? 'IO_ERROR';
  if (e.code === 'ENOENT' && opts.genl) code = 'KERNEL_MODULE_MISSING';
  const remedy = code === 'PERMISSION_DENIED' ? 'Run as root or grant CAP_NET_ADMIN (sudo, or AmbientCapabilities=CAP_NET_ADMIN).' : undefined;
  return new LanrageError(code, `${context}: ${e.message}`, {
    cause: err,
    errno: e.errno,
    ...(e.syscall ? { syscall: e.syscall } : {}),
    ...(e.extack ? { extack: e.extack } : {}),
    ...(remedy ? { remedy } : {}),
  });
}
