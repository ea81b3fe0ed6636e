import type { WireGuardBackend } from '../backend.js';
import { isLanrageError, LanrageError } from '../errors.js';
import type { PeerStatus } from '../types.js';

export interface PeerSummary {
  publicKey: string;
  endpoint: string | null;
  allowedIPs: string[];
  persistentKeepalive: number;
  lastHandshake: string | null;
  /** Whole seconds since the last handshake when the device was read, or null for none. */
  handshakeAgeSeconds: number | null;
  /**
   * A handshake within the last 180 s (WireGuard's REJECT_AFTER_TIME, the PeerWatcher's
   * default for "stale"): the session can carry traffic.
   */
  online: boolean;
  rxBytes: string;
  txBytes: string;
  hasPresharedKey: boolean;
}

/** A peer with no handshake for this long is offline (stale), as PeerWatcher counts it. */
export const ONLINE_WITHIN_MS = 180_000;

/**
 * Why an interface that exists cannot carry traffic as it is: half-configured (a `lanrage up`
 * killed mid-way, a change made by hand). `lanrage up` repairs each of these.
 */
export interface StatusReason {
  code: 'NO_PRIVATE_KEY' | 'LINK_DOWN' | 'NO_ADDRESS';
  message: string;
  remedy: string;
}

export type InterfaceStatus =
  | { state: 'not_created'; interface: string; backend: string }
  | {
      /** degraded: it exists but `reasons` say why it cannot work as it is. */
      state: 'active' | 'degraded';
      reasons: StatusReason[];
      interface: string;
      backend: string;
      publicKey: string | null;
      listenPort: number;
      fwmark: number;
      addresses: string[] | null;
      /** The link's MTU, and whether it is administratively up (null: the backend cannot tell). */
      mtu: number | null;
      linkUp: boolean | null;
      /** When the device was read (ISO 8601); handshake ages count from here. */
      capturedAt: string;
      peers: PeerSummary[];
    }
  | { state: 'error'; interface: string; backend: string | null; error: { code: string; message: string; remedy: string } };

/** A peer as status reports it; `capturedAt` is when the device was read (default: now). */
export function summarizePeer(p: PeerStatus, capturedAt: number = Date.now()): PeerSummary {
  const age = p.lastHandshake ? Math.max(0, capturedAt - p.lastHandshake.getTime()) : null;
  return {
    publicKey: p.publicKey.toBase64(),
    endpoint: p.endpoint,
    allowedIPs: [...p.allowedIPs],
    persistentKeepalive: p.persistentKeepalive,
    lastHandshake: p.lastHandshake ? p.lastHandshake.toISOString() : null,
    handshakeAgeSeconds: age === null ? null : Math.floor(age / 1000),
    online: age !== null && age <= ONLINE_WITHIN_MS,
    rxBytes: p.rxBytes.toString(),
    txBytes: p.txBytes.toString(),
    hasPresharedKey: p.presharedKey !== null,
  };
}

/**
 * One interface's state, read live: not_created (nothing of that name), active (with its
 * peers, addresses, MTU and link state), or error with the typed error (a link that is not
 * WireGuard, a userspace process that died).
 */
export async function readInterfaceStatus(backend: WireGuardBackend, name: string): Promise<InterfaceStatus> {
  try {
    // Not listed first: the read says why (a link that is not WireGuard, a userspace process
    // that died), and only a name nothing has is "not created".
    const dev = await backend.getDevice(name);
    const capturedAt = Date.now();
    const [addresses, link] = await Promise.all([backend.capabilities.addresses?.getAddresses(name) ?? null, backend.capabilities.link?.getLink(name) ?? null]);
    const reasons: StatusReason[] = [];
    const repair = `lanrage up -i ${name} repairs it (peers are kept)`;
    if (!dev.publicKey) reasons.push({ code: 'NO_PRIVATE_KEY', message: `${name} has no private key: it cannot complete a handshake`, remedy: repair });
    if (link?.up === false) reasons.push({ code: 'LINK_DOWN', message: `${name}'s link is down: no traffic passes`, remedy: repair });
    if (addresses?.length === 0) reasons.push({ code: 'NO_ADDRESS', message: `${name} has no address: nothing is routed to it`, remedy: repair });
    return {
      state: reasons.length > 0 ? 'degraded' : 'active',
      reasons,
      interface: name,
      backend: backend.kind,
      publicKey: dev.publicKey?.toBase64() ?? null,
      listenPort: dev.listenPort,
      fwmark: dev.fwmark,
      addresses,
      mtu: link?.mtu ?? null,
      linkUp: link?.up ?? null,
      capturedAt: new Date(capturedAt).toISOString(),
      peers: dev.peers.map((p) => summarizePeer(p, capturedAt)),
    };
  } catch (err) {
    if (isLanrageError(err, 'INTERFACE_NOT_FOUND')) return { state: 'not_created', interface: name, backend: backend.kind };
    const e = isLanrageError(err) ? err : new LanrageError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err });
    return { state: 'error', interface: name, backend: backend.kind, error: { code: e.code, message: e.message, remedy: e.remedy } };
  }
}
