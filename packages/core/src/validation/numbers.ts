import { LanrageError, type LanrageErrorCode } from '../errors.js';

/**
 * Reads an integer in [min, max]: a safe integer number, or a string of decimal digits
 * (and `0x` hex where `hex`), and `off` as 0 where `off`. Anything else — `1.5`, `NaN`,
 * `"51820abc"`, `" 80"`, `1e3`, `-1` — is refused with `code`.
 */
function readInteger(value: unknown, min: number, max: number, code: LanrageErrorCode, what: string, opts: { hex?: boolean; off?: boolean } = {}): number {
  let n: number | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) n = value;
  else if (typeof value === 'bigint') n = value >= BigInt(min) && value <= BigInt(max) ? Number(value) : undefined;
  else if (typeof value === 'string') {
    if (opts.off && value === 'off') n = 0;
    else if (/^(?:0|[1-9][0-9]{0,15})$/.test(value)) n = Number(value);
    else if (opts.hex && /^0x[0-9a-fA-F]{1,8}$/.test(value)) n = Number.parseInt(value.slice(2), 16);
  }
  if (n === undefined || n < min || n > max) {
    const shown = typeof value === 'number' || (typeof value === 'string' && /^[\x20-\x7e]{0,24}$/.test(value)) ? ` (${String(value)})` : '';
    throw new LanrageError(code, `${what} must be an integer from ${min} to ${max}${shown}`);
  }
  return n;
}

/** Listen port 0–65535; 0 lets the implementation pick one (R1). */
/** Seconds an operation may wait for the WireGuard implementation or a DNS answer: 1 to 3600. */
export function validateTimeout(value: unknown): number {
  return readInteger(value, 1, 3600, 'INVALID_ARGUMENT', 'timeout (seconds)');
}

export function validateListenPort(value: unknown): number {
  return readInteger(value, 0, 65535, 'INVALID_PORT', 'listen port');
}

/** Endpoint or destination port 1–65535. */
export function validatePort(value: unknown): number {
  return readInteger(value, 1, 65535, 'INVALID_PORT', 'port');
}

/** Persistent keepalive 0–65535 seconds; `off` and 0 both disable it (R3). */
export function validateKeepalive(value: unknown): number {
  return readInteger(value, 0, 65535, 'INVALID_KEEPALIVE', 'persistent keepalive', { off: true });
}

/** Firewall mark, a u32; `off` is 0 and `0x…` hex is accepted, as in wg (R4). */
export function validateFwmark(value: unknown): number {
  return readInteger(value, 0, 0xffffffff, 'INVALID_FWMARK', 'fwmark', { hex: true, off: true });
}

/** MTU 576–65535, and at least 1280 when the interface carries IPv6 (R6). */
export function validateMtu(value: unknown, opts: { ipv6?: boolean } = {}): number {
  const mtu = readInteger(value, 576, 65535, 'INVALID_MTU', 'MTU');
  if (opts.ipv6 && mtu < 1280) throw new LanrageError('INVALID_MTU', `MTU must be at least 1280 on an interface with IPv6 (${mtu})`);
  return mtu;
}
