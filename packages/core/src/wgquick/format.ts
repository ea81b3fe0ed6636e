import type { DeviceConfig } from '../types.js';
import type { WgQuickConfig } from './types.js';

/**
 * Writes a wg-quick file in canonical form. This reveals the private and preshared keys: it
 * exists to write a configuration file, which the caller must create with mode 0600.
 * `parseWgQuick(formatWgQuick(c))` equals `c`, and `formatWgQuick(parseWgQuick(t)) === t`
 * for canonical text `t`.
 */
export function formatWgQuick(config: WgQuickConfig): string {
  const out: string[] = ['[Interface]'];
  const i = config.interface;
  if (i.privateKey) out.push(`PrivateKey = ${i.privateKey.toBase64()}`);
  if (i.listenPort !== undefined) out.push(`ListenPort = ${i.listenPort}`);
  if (i.fwmark !== undefined) out.push(`FwMark = 0x${i.fwmark.toString(16)}`);
  if (i.addresses.length > 0) out.push(`Address = ${i.addresses.join(', ')}`);
  if (i.dns.length > 0) out.push(`DNS = ${i.dns.join(', ')}`);
  if (i.mtu !== undefined) out.push(`MTU = ${i.mtu}`);
  if (i.table !== undefined) out.push(`Table = ${i.table}`);
  for (const h of i.preUp) out.push(`PreUp = ${h}`);
  for (const h of i.postUp) out.push(`PostUp = ${h}`);
  for (const h of i.preDown) out.push(`PreDown = ${h}`);
  for (const h of i.postDown) out.push(`PostDown = ${h}`);
  if (i.saveConfig !== undefined) out.push(`SaveConfig = ${i.saveConfig}`);
  for (const p of config.peers) {
    out.push('', '[Peer]', `PublicKey = ${p.publicKey.toBase64()}`);
    if (p.presharedKey) out.push(`PresharedKey = ${p.presharedKey.toBase64()}`);
    if (p.allowedIPs.length > 0) out.push(`AllowedIPs = ${p.allowedIPs.join(', ')}`);
    if (p.endpoint !== undefined) out.push(`Endpoint = ${p.endpoint}`);
    if (p.persistentKeepalive !== undefined) out.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The device part of a wg-quick file as a full DeviceConfig (every peer's allowed IPs
 * replaced; absent PresharedKey/keepalive mean none/off, as `wg setconf` reads them).
 */
export function wgQuickToDeviceConfig(config: WgQuickConfig, opts: { replacePeers?: boolean } = {}): DeviceConfig {
  const i = config.interface;
  return {
    ...(i.privateKey ? { privateKey: i.privateKey } : {}),
    ...(i.listenPort !== undefined ? { listenPort: i.listenPort } : {}),
    fwmark: i.fwmark ?? 0,
    ...(opts.replacePeers ? { replacePeers: true } : {}),
    peers: config.peers.map((p) => ({
      publicKey: p.publicKey,
      presharedKey: p.presharedKey ?? null,
      ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
      persistentKeepalive: p.persistentKeepalive ?? 0,
      allowedIPs: [...p.allowedIPs],
    })),
  };
}
