import { LanrageError } from '../errors.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

export interface Endpoint {
  /** 4 or 6 for an IP literal, 0 for a host name still to be resolved. */
  family: 0 | 4 | 6;
  /** IP in canonical text, or the lower-cased host name. */
  host: string;
  port: number;
  /** `1.2.3.4:51820`, `[2001:db8::1]:51820` or `name.example:51820`. */
  text: string;
  /** The address bytes (4 or 16) of an IP endpoint; absent for a host name. */
  address?: Uint8Array;
  /** For an endpoint resolved from a host name: that name as given (`relay.example:443`), what is saved so a restore resolves it again. */
  resolvedFrom?: string;
}

const PORT_RE = /^[1-9][0-9]{0,4}$/;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function fail(text: unknown, why: string): never {
  const shown = typeof text === 'string' && /^[\x20-\x7e]{0,80}$/.test(text) ? `'${text}'` : 'the given endpoint';
  throw new LanrageError('INVALID_ENDPOINT', `${shown} is not a valid endpoint: ${why}`);
}

function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  if (!labels.every((l) => LABEL_RE.test(l))) return false;
  // All-numeric names look like (bad) IPv4 literals: `1.2.3` is not a host name.
  return !/^[0-9.]+$/.test(host);
}

export function formatEndpoint(family: 0 | 4 | 6, host: string, port: number): string {
  return family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses `v4:port`, `[v6]:port` or `host:port`, port 1–65535 in plain decimal (E1–E3).
 * IPv6 must be bracketed (E2). A zone index (`[fe80::1%eth0]`) is UNSUPPORTED (E4);
 * `[::ffff:1.2.3.4]:1` is kept as the IPv6 it is. Shell metacharacters fail the host
 * name grammar (E6). Host names are not resolved here: see `resolveEndpoint`.
 */
export function parseEndpoint(text: unknown): Endpoint {
  if (typeof text !== 'string' || text.length === 0) return fail(text, 'empty');
  if (text.length > 300) return fail(text, 'too long');
  let hostPart: string;
  let portPart: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail(text, 'missing ]');
    hostPart = text.slice(1, close);
    if (text[close + 1] !== ':') return fail(text, 'missing :port after ]');
    portPart = text.slice(close + 2);
    if (hostPart.includes('%')) {
      throw new LanrageError('UNSUPPORTED', 'endpoints with an IPv6 zone index (%iface) are not supported', {
        remedy: 'Use a global or unique-local IPv6 address for the endpoint.',
      });
    }
    const v6 = parseIPv6(hostPart);
    if (!v6) return fail(text, 'brackets must contain an IPv6 address');
    const port = portOf(text, portPart);
    const host = formatIPv6(v6);
    return { family: 6, host, port, text: formatEndpoint(6, host, port), address: v6 };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return fail(text, 'missing :port');
  hostPart = text.slice(0, colon);
  portPart = text.slice(colon + 1);
  if (hostPart.length === 0) return fail(text, 'missing host');
  if (hostPart.includes(':')) return fail(text, 'IPv6 addresses must be written in brackets, as [addr]:port');
  const port = portOf(text, portPart);
  const v4 = parseIPv4(hostPart);
  if (v4) {
    const host = formatIPv4(v4);
    return { family: 4, host, port, text: formatEndpoint(4, host, port), address: v4 };
  }
  const lower = hostPart.toLowerCase();
  if (!isHostName(lower)) return fail(text, 'not an IP address or host name');
  return { family: 0, host: lower, port, text: formatEndpoint(0, lower, port) };
}

function portOf(text: string, portPart: string): number {
  if (!PORT_RE.test(portPart)) return fail(text, 'the port must be a decimal number from 1 to 65535');
  const port = Number(portPart);
  if (port > 65535) return fail(text, 'the port must be a decimal number from 1 to 65535');
  return port;
}
