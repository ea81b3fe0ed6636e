/**
 * The one error type of lanrage. Every failure that crosses a package boundary is a
 * `LanrageError` with a stable `code` (scripts and the CLI switch on it, never on text)
 * and a one-line `remedy`. Messages are written by us from validated data: they never
 * contain a private or preshared key, and never echo a rejected key string.
 */

/** Stable error codes with the remedy shown to users. Keep docs/troubleshooting.md in step. */
export const ERROR_REMEDIES = {
  INVALID_KEY: 'Give a 44-character standard base64 WireGuard key (as printed by `wg genkey` / `lanrage genkey`).',
  WEAK_PUBLIC_KEY: 'This public key is a low-order curve point that can never complete a handshake; ask the peer for its real key.',
  PEER_IS_SELF: "Do not add this device's own public key as a peer.",
  ADDRESS_CONFLICT:
    "Two nodes have the same address: give this node another one (lanrage up --address, or the config's address) or correct the peer's allowed IPs; LANrage's coordinator should assign each node its address.",
  KEY_COLLIDES_WITH_PEER: 'Remove the peer whose public key equals the new private key before setting the key.',
  INVALID_KEY_FILE: 'A key file holds exactly one base64 key, optionally followed by a newline.',
  EMPTY_KEY_FILE: 'The key file is empty; delete it to have a new key generated, or restore it from a backup.',
  UNSAFE_KEY_FILE: 'Key files must be regular files owned by this user with mode 0600, in a directory not accessible to others (chmod 700).',
  KEY_MISMATCH: 'public.key does not belong to private.key: delete public.key and it will be derived again.',
  INVALID_INTERFACE_NAME: 'Use 1 to 15 bytes of letters, digits and _ = + . - for the interface name.',
  INVALID_ENDPOINT: 'Write endpoints as 1.2.3.4:51820, [2001:db8::1]:51820 or host.example:51820 (port 1-65535).',
  INVALID_ALLOWED_IP: 'Write allowed IPs as CIDR prefixes such as 10.66.0.2/32 or fd00::/64.',
  INVALID_ADDRESS: 'Write addresses as an IP with a prefix length, such as 10.66.0.1/16.',
  INVALID_PORT: 'Use a port number from 0 to 65535 (0 picks a random listen port).',
  INVALID_KEEPALIVE: 'Use a keepalive interval from 0 (off) to 65535 seconds.',
  INVALID_FWMARK: 'Use a firewall mark from 0 (off) to 4294967295.',
  INVALID_MTU: 'Use an MTU from 576 to 65535 (at least 1280 when the interface has IPv6 addresses).',
  INVALID_ARGUMENT: 'Check the value passed to this call.',
  INVALID_CONFIG: 'Fix the named key in the configuration file, or remove it to use the default.',
  CONFIG_PARSE_ERROR: 'Fix the configuration file at the line given.',
  PERMISSION_DENIED: 'Run as root or grant CAP_NET_ADMIN (e.g. sudo lanrage ...); on Windows, run from an elevated prompt.',
  KERNEL_MODULE_MISSING: 'Load the WireGuard module (modprobe wireguard) or use the userspace backend (--backend userspace).',
  NOT_INSTALLED: 'Install the missing WireGuard component named in the message (wireguard-go, or WireGuard for Windows).',
  INTERFACE_NOT_FOUND: 'Create the interface first (lanrage up), or check the interface name.',
  INTERFACE_EXISTS: 'Use the existing interface, or delete it first (lanrage down).',
  NOT_WIREGUARD: 'That interface exists but is not a WireGuard interface; choose another name.',
  PEER_NOT_FOUND: 'Add the peer first (lanrage peer add), or check its public key.',
  PORT_IN_USE: 'Choose another listen port, or stop the program that uses this one.',
  PARTIAL_APPLY: 'Part of the change was applied (see `applied`); read the device again and retry the rest.',
  DUMP_INCONSISTENT: 'The device kept changing while it was read; retry when peer churn is lower.',
  DUMP_STALLED: 'The kernel repeated itself while the device was read; retry, and report this if it persists.',
  UNSUPPORTED: 'This operation is not supported by this backend or kernel; see the message for an alternative.',
  TIMEOUT: 'The operation did not finish in time; check that the WireGuard implementation is running and retry.',
  BACKEND_UNAVAILABLE: 'No WireGuard backend can run here; run `lanrage doctor` to see what is missing.',
  PROCESS_EXITED: 'The userspace WireGuard process stopped; see its log in the message and bring the interface up again.',
  PROTOCOL_ERROR: 'The WireGuard implementation answered with something unexpected; retry, and report it if it persists.',
  SERVICE_FAILED: 'The WireGuard tunnel service failed; see the service exit code in the message and the WireGuard log.',
  IO_ERROR: 'A file or socket operation failed; see the cause.',
  INTERNAL: 'This is a bug in lanrage; please report it with the message.',
} as const;

export type LanrageErrorCode = keyof typeof ERROR_REMEDIES;

/** What a failed multi-peer change applied (PARTIAL_APPLY's details). */
export interface PartialApplyDetails {
  /** Indexes into `config.peers` of operations that were applied before the failure. */
  appliedPeers: number[];
  /**
   * Indexes of operations that were not (completely) applied. WireGuard never rolls back, so the
   * first of these may be half-applied (e.g. a peer created whose allowed IP was refused):
   * re-read the device before retrying.
   */
  failedPeers: number[];
  /** Whether the device-level fields (key, port, fwmark, replacePeers) were applied. */
  deviceApplied: boolean;
}

/** The details a code always carries, typed; every other code carries free-form, secret-free facts. */
export interface ErrorDetailsByCode {
  PARTIAL_APPLY: PartialApplyDetails;
  ADDRESS_CONFLICT: { allowedIP: string; address: string };
}

/** The type of `details` for an error code. */
export type ErrorDetails<C extends LanrageErrorCode = LanrageErrorCode> = C extends keyof ErrorDetailsByCode ? ErrorDetailsByCode[C] : Record<string, unknown>;

export interface LanrageErrorOptions<C extends LanrageErrorCode = LanrageErrorCode> {
  cause?: unknown;
  /** Overrides the default remedy of the code. */
  remedy?: string;
  errno?: number;
  syscall?: string;
  /** The kernel's extended-ack text, when netlink gave one. */
  extack?: string;
  /** Secret-free facts: typed for the codes of ErrorDetailsByCode (e.g. `{ line: 4 }` otherwise). */
  details?: ErrorDetails<C>;
}

export class LanrageError<C extends LanrageErrorCode = LanrageErrorCode> extends Error {
  override readonly name = 'LanrageError';
  readonly code: C;
  readonly remedy: string;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly extack: string | undefined;
  readonly details: ErrorDetails<C>;

  constructor(code: C, message: string, options: LanrageErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remedy = options.remedy ?? ERROR_REMEDIES[code];
    this.errno = options.errno;
    this.syscall = options.syscall;
    this.extack = options.extack;
    this.details = options.details ?? ({} as ErrorDetails<C>);
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message, remedy: this.remedy };
    if (this.errno !== undefined) out.errno = this.errno;
    if (this.syscall !== undefined) out.syscall = this.syscall;
    if (this.extack !== undefined) out.extack = this.extack;
    if (Object.keys(this.details as object).length > 0) out.details = this.details;
    return out;
  }
}

export function isLanrageError<C extends LanrageErrorCode = LanrageErrorCode>(value: unknown, code?: C): value is LanrageError<C> {
  return value instanceof LanrageError && (code === undefined || value.code === code);
}

/** Maps a Node system error (errno code string) from a file or socket call to a LanrageError. */
export function fromSystemError(err: unknown, what: string): LanrageError {
  if (err instanceof LanrageError) return err;
  const e = err as NodeJS.ErrnoException;
  const sys = { cause: err, ...(e?.syscall ? { syscall: e.syscall } : {}), ...(typeof e?.errno === 'number' ? { errno: e.errno } : {}) };
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return new LanrageError('PERMISSION_DENIED', `${what}: permission denied`, sys);
    case 'ETIMEDOUT':
      return new LanrageError('TIMEOUT', `${what}: timed out`, sys);
    case 'EADDRINUSE':
      return new LanrageError('PORT_IN_USE', `${what}: address in use`, sys);
    default: {
      const remedy = e?.code ? IO_REMEDIES[e.code] : undefined;
      return new LanrageError('IO_ERROR', `${what}: ${e?.code ?? (e as Error)?.message ?? 'failed'}`, { ...sys, ...(remedy ? { remedy } : {}) });
    }
  }
}

/** What a person can do about the file-system errors a write meets (IO_ERROR's generic remedy names none). */
const IO_REMEDIES: Record<string, string> = {
  ENOSPC: 'The file system is full: free some space (df -h shows where), then run the command again.',
  EDQUOT: 'The disk quota is used up: free some space or raise the quota, then run the command again.',
  EROFS: 'The file system is read-only: remount it read-write, or point LANRAGE_CONFIG_DIR at a writable directory.',
  EIO: 'The storage device reported an I/O error: check it (dmesg), then run the command again.',
  ENOTDIR: 'A component of the path is a file, not a directory: move it away or choose another LANRAGE_CONFIG_DIR.',
};
