import { type DeviceStatus, Key, LanrageError, type PeerStatus, parseEndpoint } from '@lanrage/core';
import { parseAllowedIP } from '@lanrage/core/backend';

function field(value: string | undefined, line: number): string {
  if (value === undefined) throw new LanrageError('PROTOCOL_ERROR', `wg show dump line ${line} has too few fields`);
  return value;
}

function keyOrNull(text: string, kind: 'private' | 'public' | 'preshared', line: number): Key | null {
  if (text === '(none)' || text === '(hidden)') return null;
  try {
    return Key.parse(text, kind);
  } catch (cause) {
    throw new LanrageError('PROTOCOL_ERROR', `wg show dump line ${line} has a malformed ${kind} key`, { cause });
  }
}

function u64(text: string, what: string, line: number): bigint {
  if (!/^[0-9]{1,20}$/.test(text)) throw new LanrageError('PROTOCOL_ERROR', `wg show dump line ${line} has a bad ${what}`);
  return BigInt(text);
}

/**
 * Parses `wg.exe show <name> dump`: tab-separated, CRLF tolerated, `(none)` for missing
 * keys/endpoints/IPs, `off` for keepalive and fwmark, a zero handshake means never, counters as
 * bigint. Every column is checked (a misread column was a real bug elsewhere).
 */
export function parseWgDump(name: string, text: string): DeviceStatus {
  const lines = text
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l.length > 0);
  const head = lines[0];
  if (!head) throw new LanrageError('PROTOCOL_ERROR', 'wg show dump printed nothing');
  const h = head.split('\t');
  if (h.length !== 4) throw new LanrageError('PROTOCOL_ERROR', `wg show dump line 1 has ${h.length} fields, expected 4`);
  const privateKey = keyOrNull(field(h[0], 1), 'private', 1);
  const listen = field(h[2], 1);
  const fwmark = field(h[3], 1);
  if (!/^[0-9]{1,5}$/.test(listen)) throw new LanrageError('PROTOCOL_ERROR', 'wg show dump line 1 has a bad listen port');
  const peers: PeerStatus[] = lines.slice(1).map((l, i) => {
    const n = i + 2;
    const f = l.split('\t');
    if (f.length !== 8) throw new LanrageError('PROTOCOL_ERROR', `wg show dump line ${n} has ${f.length} fields, expected 8`);
    const publicKey = keyOrNull(field(f[0], n), 'public', n);
    if (!publicKey) throw new LanrageError('PROTOCOL_ERROR', `wg show dump line ${n} has no public key`);
    const ep = field(f[2], n);
    const ips = field(f[3], n);
    const handshake = u64(field(f[4], n), 'handshake time', n);
    const ka = field(f[7], n);
    if (ka !== 'off' && !/^[0-9]{1,5}$/.test(ka)) throw new LanrageError('PROTOCOL_ERROR', `wg show dump line ${n} has a bad keepalive`);
    return {
      publicKey,
      presharedKey: keyOrNull(field(f[1], n), 'preshared', n),
      // An IPv6 endpoint may carry a %scope, which lanrage does not model: keep the address.
      endpoint: ep === '(none)' ? null : parseEndpoint(ep.replace(/%[^\]]*\]/, ']')).text,
      allowedIPs: ips === '(none)' ? [] : ips.split(',').map((c) => parseAllowedIP(c).cidr.text),
      lastHandshake: handshake === 0n ? null : new Date(Number(handshake) * 1000),
      lastHandshakeNanos: 0,
      rxBytes: u64(field(f[5], n), 'rx counter', n),
      txBytes: u64(field(f[6], n), 'tx counter', n),
      persistentKeepalive: ka === 'off' ? 0 : Number(ka),
      protocolVersion: 1,
    };
  });
  return {
    name,
    privateKey,
    publicKey: keyOrNull(field(h[1], 1), 'public', 1),
    listenPort: Number(listen),
    fwmark: fwmark === 'off' ? 0 : Number(fwmark),
    peers,
  };
}

/** `wg.exe show interfaces`: names separated by spaces on one line. */
export function parseWgInterfaces(text: string): string[] {
  return text
    .replace(/\r/g, '')
    .split(/\s+/)
    .filter((s) => s.length > 0);
}
