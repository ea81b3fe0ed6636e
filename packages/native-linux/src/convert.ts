import { type Cidr, formatIp, type IpAddress, parseAllowedIP, parseInterfaceAddress } from '@lanrage/core/backend';
import { AF_INET, AF_INET6, type NativePrefix } from './native.js';

/** Canonical text of an address from the addon (`10.0.0.1`, `fd00::1`). */
export function ipText(family: number, addr: Uint8Array): string {
  const ip: IpAddress = { family: family === AF_INET ? 4 : 6, bytes: addr };
  return formatIp(ip);
}

export function prefixText(p: NativePrefix): string {
  return `${ipText(p.family, p.addr)}/${p.prefix}`;
}

export function cidrToNative(c: Cidr, remove = false): NativePrefix {
  return { family: c.family === 4 ? AF_INET : AF_INET6, addr: c.bytes, prefix: c.prefix, ...(remove ? { remove: true } : {}) };
}

/** An allowed-IP / route prefix (host bits cleared). */
export function prefixToNative(text: string): NativePrefix {
  return cidrToNative(parseAllowedIP(text).cidr);
}

/** An interface address (host bits kept). */
export function addressToNative(text: string): NativePrefix {
  return cidrToNative(parseInterfaceAddress(text));
}
