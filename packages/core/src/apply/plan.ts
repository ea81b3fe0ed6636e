import { TimeSlicer } from '../event-loop/time-slicer.js';
import type { Key } from '../keys/key.js';
import { publicKeyFrom } from '../keys/x25519.js';
import type { DeviceConfig, DeviceStatus, PeerConfig, PeerStatus } from '../types.js';
import { normalizeAllowedIPs } from '../validation/cidr.js';
import { parseEndpoint } from '../validation/endpoint.js';

/** The state a device should have. Absent device fields are left as they are. */
export interface DesiredDevice {
  privateKey?: Key;
  listenPort?: number;
  fwmark?: number;
  peers: DesiredPeer[];
}

export interface DesiredPeer {
  publicKey: Key;
  /** Absent means none. */
  presharedKey?: Key;
  /** Absent means "whatever the peer roamed to" (not changed). */
  endpoint?: string;
  /** Absent means off. */
  persistentKeepalive?: number;
  allowedIPs: string[];
}

export interface PeerChange {
  publicKey: string;
  /** Human-readable differences, e.g. `endpoint 192.0.2.1:1 → 192.0.2.2:1`; never key material. */
  changes: readonly string[];
  /**
   * The same differences as data, for updates (an added peer's values are its `config`
   * entry): a preshared key appears as `"(set)"`/`null`, never as key material.
   */
  fields?: FieldChange[];
}

/** One field of a peer that a plan changes. */
export interface FieldChange {
  field: 'endpoint' | 'persistentKeepalive' | 'presharedKey' | 'allowedIPs';
  from: string | number | string[] | null;
  to: string | number | string[] | null;
}

/** What `apply` will send: only the differences. */
export interface ApplyPlan {
  device: string[];
  add: PeerChange[];
  update: PeerChange[];
  remove: string[];
  unchanged: number;
  /** The single DeviceConfig that carries the whole change (empty peers when nothing changes). */
  config: DeviceConfig;
}

export interface PlanOptions {
  /** Send the whole desired state with REPLACE_PEERS instead of a diff (drops sessions). */
  replacePeers?: boolean;
  /** Keep peers that are live but not desired (default: remove them). */
  keepUnlisted?: boolean;
  /** Whether the backend can remove a single allowed IP (else the peer's set is replaced). */
  incrementalAllowedIPs?: boolean;
}

function sameKey(a: Key | null | undefined, b: Key | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.equals(b);
}

/**
 * Computes the minimal change from `live` to `desired`: new peers are added, vanished peers
 * removed, and changed peers updated in place (update-only, so their sessions survive) with
 * only the fields that differ; allowed IPs change incrementally when the backend can remove
 * single prefixes. REPLACE_PEERS is used only when asked for.
 */
export function planApply(live: DeviceStatus, desired: DesiredDevice, opts: PlanOptions = {}): ApplyPlan {
  const steps = planSteps(live, desired, opts);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** planApply in time slices: a 100,000-peer plan never blocks the event loop for long. */
export async function planApplySliced(live: DeviceStatus, desired: DesiredDevice, opts: PlanOptions = {}): Promise<ApplyPlan> {
  const steps = planSteps(live, desired, opts);
  const slicer = new TimeSlicer();
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    const pause = slicer.next();
    if (pause) await pause;
  }
}

/** The plan, computed peer by peer: yields after each peer so a caller can pause between them. */
function* planSteps(live: DeviceStatus, desired: DesiredDevice, opts: PlanOptions): Generator<void, ApplyPlan> {
  const plan: ApplyPlan = { device: [], add: [], update: [], remove: [], unchanged: 0, config: {} };
  const config: DeviceConfig = {};
  if (desired.privateKey && !sameKey(live.publicKey, publicKeyFrom(desired.privateKey))) {
    config.privateKey = desired.privateKey;
    plan.device.push('private key (new public key)');
  }
  if (desired.listenPort !== undefined && desired.listenPort !== 0 && desired.listenPort !== live.listenPort) {
    config.listenPort = desired.listenPort;
    plan.device.push(`listen port ${live.listenPort} → ${desired.listenPort}`);
  }
  if (desired.fwmark !== undefined && desired.fwmark !== live.fwmark) {
    config.fwmark = desired.fwmark;
    plan.device.push(`fwmark ${live.fwmark} → ${desired.fwmark}`);
  }

  const peers: PeerConfig[] = [];
  if (opts.replacePeers) {
    config.replacePeers = true;
    // Live peers not listed are dropped: found by striking the listed ones off (O(live) memory).
    const unlisted = new Map(live.peers.map((l) => [l.publicKey.toHex(), l]));
    for (const p of desired.peers) {
      yield;
      peers.push(fullPeer(p));
      unlisted.delete(p.publicKey.toHex());
      plan.add.push({ publicKey: p.publicKey.toBase64(), changes: REPLACE_CHANGES });
    }
    for (const l of unlisted.values()) plan.remove.push(l.publicKey.toBase64());
  } else {
    const liveByKey = new Map(live.peers.map((p) => [p.publicKey.toHex(), p]));
    // Live peers no desired peer names (removed below): the live ones struck off as they are
    // matched, so a 100,000-peer apply from empty keeps no set of the keys it wants.
    const unwanted = new Set(liveByKey.keys());
    for (const d of desired.peers) {
      yield;
      const id = d.publicKey.toHex();
      unwanted.delete(id);
      const l = liveByKey.get(id);
      if (!l) {
        peers.push(fullPeer(d));
        plan.add.push({ publicKey: d.publicKey.toBase64(), changes: describeNew(d) });
        continue;
      }
      const op: PeerConfig = { publicKey: d.publicKey, updateOnly: true };
      const changes: string[] = [];
      const fields: FieldChange[] = [];
      if (d.endpoint !== undefined) {
        const ep = parseEndpoint(d.endpoint).text;
        if (ep !== l.endpoint) {
          op.endpoint = d.endpoint;
          changes.push(`endpoint ${l.endpoint ?? '(none)'} → ${ep}`);
          fields.push({ field: 'endpoint', from: l.endpoint, to: ep });
        }
      }
      const ka = d.persistentKeepalive ?? 0;
      if (ka !== l.persistentKeepalive) {
        op.persistentKeepalive = ka;
        changes.push(`persistent keepalive ${l.persistentKeepalive} → ${ka}`);
        fields.push({ field: 'persistentKeepalive', from: l.persistentKeepalive, to: ka });
      }
      if (!sameKey(d.presharedKey, l.presharedKey)) {
        op.presharedKey = d.presharedKey ?? null;
        changes.push(d.presharedKey ? 'preshared key (changed)' : 'preshared key (removed)');
        fields.push({ field: 'presharedKey', from: l.presharedKey ? '(set)' : null, to: d.presharedKey ? '(set)' : null });
      }
      const want = normalizeAllowedIPs(d.allowedIPs).map((c) => c.text);
      const have = new Set(l.allowedIPs);
      const toAdd = want.filter((c) => !have.has(c));
      const wantSet = new Set(want);
      const toRemove = l.allowedIPs.filter((c) => !wantSet.has(c));
      if (toAdd.length > 0 || toRemove.length > 0) {
        if (toRemove.length === 0) op.allowedIPsAdd = toAdd;
        else if (opts.incrementalAllowedIPs) {
          if (toAdd.length > 0) op.allowedIPsAdd = toAdd;
          op.allowedIPsRemove = toRemove;
        } else op.allowedIPs = want;
        if (toAdd.length > 0) changes.push(`allowed IPs +${toAdd.join(',+')}`);
        if (toRemove.length > 0) changes.push(`allowed IPs -${toRemove.join(',-')}`);
        fields.push({ field: 'allowedIPs', from: [...l.allowedIPs], to: want });
      }
      if (changes.length === 0) {
        plan.unchanged++;
        continue;
      }
      peers.push(op);
      plan.update.push({ publicKey: d.publicKey.toBase64(), changes, fields });
    }
    if (!opts.keepUnlisted) {
      for (const id of unwanted) {
        yield;
        const l = liveByKey.get(id) as PeerStatus;
        peers.push({ publicKey: l.publicKey, remove: true });
        plan.remove.push(l.publicKey.toBase64());
      }
    }
  }
  if (peers.length > 0) config.peers = peers;
  plan.config = config;
  return plan;
}

/** Every peer of a REPLACE_PEERS plan has this description (one shared array, not one per peer). */
const REPLACE_CHANGES: readonly string[] = Object.freeze(['all (replace peers)']);

function fullPeer(p: DesiredPeer): PeerConfig {
  return {
    publicKey: p.publicKey,
    presharedKey: p.presharedKey ?? null,
    ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
    persistentKeepalive: p.persistentKeepalive ?? 0,
    allowedIPs: [...p.allowedIPs],
  };
}

function describeNew(p: DesiredPeer): string[] {
  const out = [`allowed IPs ${p.allowedIPs.length > 0 ? p.allowedIPs.join(',') : '(none)'}`];
  if (p.endpoint) out.push(`endpoint ${p.endpoint}`);
  if (p.persistentKeepalive) out.push(`persistent keepalive ${p.persistentKeepalive}`);
  if (p.presharedKey) out.push('preshared key');
  return out;
}

/** True when the plan changes nothing. */
export function isEmptyPlan(plan: ApplyPlan): boolean {
  return plan.device.length === 0 && plan.add.length === 0 && plan.update.length === 0 && plan.remove.length === 0;
}
