import { createHash } from 'node:crypto';
import { LanrageError } from '../errors.js';
import type { Key } from '../keys/key.js';
import { parseAllowedIP } from '../validation/cidr.js';
import { formatIp } from '../validation/ip.js';

/**
 * This node's interface address in CIDR form (`10.66.0.7/16`): the configured `address`, or,
 * when none is set, a host address derived from the public key (stable across restarts, never
 * the network or broadcast address), so no two nodes share a hard-coded 10.66.0.1.
 */
export function interfaceAddress(virtualSubnet: string, address: string | null, publicKey: Key): string {
  const subnet = parseAllowedIP(virtualSubnet).cidr;
  if (address !== null) return `${address}/${subnet.prefix}`;
  const hostBits = (subnet.family === 4 ? 32 : 128) - subnet.prefix;
  if (hostBits < 2) throw new LanrageError('INVALID_CONFIG', `virtualSubnet ${virtualSubnet} has no room for host addresses`);
  const usable = (1n << BigInt(Math.min(hostBits, 64))) - 2n; // skip the all-zeros and all-ones hosts
  const digest = createHash('sha256').update(publicKey.bytes()).digest();
  const host = (digest.readBigUInt64BE(0) % usable) + 1n;
  const bytes = new Uint8Array(subnet.bytes);
  let carry = host;
  for (let i = bytes.length - 1; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(bytes[i] as number) + (carry & 0xffn);
    bytes[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return `${formatIp({ family: subnet.family, bytes })}/${subnet.prefix}`;
}
