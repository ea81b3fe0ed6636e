import { LanrageError, type LanrageErrorCode } from '../errors.js';
import { formatIp, type IpFamily, maskInPlace, parseIp, prefixContains } from './ip.js';

/** A parsed prefix. `text` is canonical (`10.0.0.0/24`, `fd00::/64`). */
export interface Cidr {
  family: IpFamily;
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

/** An interface address: the host address is kept (`10.66.0.1/16`), unlike an allowed IP. */
export interface InterfaceAddress extends Cidr {}

export interface ParsedAllowedIP {
  cidr: Cidr;
  /** True when host bits were set and cleared (A2): the kernel stores the masked prefix. */
  normalized: boolean;
}

/** A prefix length in plain decimal (no sign, no leading zero) from text[from..], or -1. */
function prefixLength(text: string, from: number): number {
  const n = text.length - from;
  if (n < 1 || n > 3) return -1;
  let v = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || (i > from && v === 0)) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function describe(text: unknown): string {
  return typeof text === 'string' && /^[\x20-\x7e]{0,64}$/.test(text) ? `'${text}'` : 'the given value';
}

function parsePrefixed(text: unknown, code: LanrageErrorCode, what: string, requirePrefix: boolean): { family: IpFamily; bytes: Uint8Array; prefix: number } {
  const fail = (): never => {
    throw new LanrageError(code, `${describe(text)} is not a valid ${what}`);
  };
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return fail();
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return fail();
  const max = addr.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    prefix = prefixLength(text, slash + 1);
    if (prefix < 0 || prefix > max) return fail();
  } else if (requirePrefix) return fail();
  return { family: addr.family, bytes: addr.bytes, prefix };
}

/**
 * Parses an allowed IP (`10.0.0.0/24`, `fd00::1/128`, or a bare address meaning a host
 * route, as wg does). Host bits are cleared (A2); bad text is INVALID_ALLOWED_IP (A1).
 */
export function parseAllowedIP(text: unknown): ParsedAllowedIP {
  const { family, bytes, prefix } = parsePrefixed(text, 'INVALID_ALLOWED_IP', 'allowed IP', false);
  const normalized = maskInPlace(bytes, prefix);
  return { cidr: { family, bytes, prefix, text: `${formatIp({ family, bytes })}/${prefix}` }, normalized };
}

/** The canonical text of an allowed IP. */
export function normalizeAllowedIP(text: unknown): string {
  return parseAllowedIP(text).cidr.text;
}

/** Parses a list of allowed IPs, dropping duplicates (A4) and keeping first-seen order. */
export function normalizeAllowedIPs(list: readonly unknown[]): Cidr[] {
  if (!Array.isArray(list)) throw new LanrageError('INVALID_ALLOWED_IP', 'allowed IPs must be a list');
  const out: Cidr[] = [];
  // A Set only when there is something to deduplicate (most peers have one or two prefixes).
  const seen = list.length > 2 ? new Set<string>() : null;
  for (const item of list) {
    const { cidr } = parseAllowedIP(item);
    if (seen) {
      if (seen.has(cidr.text)) continue;
      seen.add(cidr.text);
    } else if (out.length === 1 && (out[0] as Cidr).text === cidr.text) continue;
    out.push(cidr);
  }
  return out;
}

/** Parses an interface address with its prefix length (`10.66.0.1/16`); host bits are kept. */
export function parseInterfaceAddress(text: unknown): InterfaceAddress {
  const { family, bytes, prefix } = parsePrefixed(text, 'INVALID_ADDRESS', 'interface address', true);
  return { family, bytes, prefix, text: `${formatIp({ family, bytes })}/${prefix}` };
}

/** True when prefix `inner` lies entirely inside prefix `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && prefixContains(outer.bytes, outer.prefix, inner.bytes);
}
